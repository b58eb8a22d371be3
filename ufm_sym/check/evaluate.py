"""Evaluate a parsed expression with mpmath at a point: the environment of the paper's
symbols, the residual of an identity, the slack of an inequality."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

import mpmath

from ufm_sym.check.parse import ParsedExpr, _err, _segment
from ufm_sym.model import Problem, exact_number


# -------------------------------------------------------------- evaluation
def tolerance(dps: int) -> Any:
    """The relative tolerance of a numerical check: ``10^-(dps - 10)``.

    >>> tolerance(50)
    mpf('1.0e-40')
    """
    with mpmath.workdps(dps):
        return mpmath.mpf(10) ** (-(dps - 10))


def environment(problem: Problem, point: Sequence[Any], dps: int) -> dict[str, Any]:
    """Values of every symbol at ``point = (W, H, b)`` (``mpmath`` at ``dps``).

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1)
    >>> env = environment(p, to_mp_point(p, [[1, 0], [0, 1]], [[1, 0], [0, 1]], [0, 0]), 30)
    >>> env["G"].tolist(), env["n"]
    ([[mpf('0.0'), mpf('0.0')], [mpf('0.0'), mpf('0.0')]], mpf('1.0'))
    """
    from ufm_sym.highprec.evaluate import grad_g, residual_R

    with mpmath.workdps(dps):
        W, H, b = (M * 1 for M in point)
        R = residual_R(problem, (W, H, b))
        lw, lh, lb = problem.mp_lambdas()
        Y = mpmath.matrix(problem.K, problem.N)
        for j in range(problem.N):
            Y[problem.label_of_column(j), j] = 1
        return {
            "W": W, "H": H, "b": b, "Y": Y, "R": R, "G": grad_g(problem, R),
            "ones_K": mpmath.ones(problem.K, 1), "ones_N": mpmath.ones(problem.N, 1),
            "lambda_W": lw, "lambda_H": lh, "lambda_b": lb, "N": mpmath.mpf(problem.N),
            "n": mpmath.mpf(problem.n), "K": mpmath.mpf(problem.K),
            "d": mpmath.mpf(problem.d),
        }


def _is_mat(v: Any) -> bool:
    return isinstance(v, mpmath.matrix)


def _scalar(v: Any) -> Any:
    if _is_mat(v):
        return v[0, 0]  # a 1 x 1 matrix (shapes were checked)
    return v


def _norm(v: Any) -> Any:
    if _is_mat(v):
        return mpmath.sqrt(mpmath.fsum(v[i, j] ** 2 for i in range(v.rows)
                                       for j in range(v.cols)))
    return abs(v)


def _real(v: Any, seg: str) -> Any:
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            raise _err(f"'{seg}' is not real (a negative base or square root)")
        return v.real
    if not mpmath.isfinite(v):
        raise _err(f"'{seg}' is not finite")
    return v


def _eval(text: str, node: ast.AST, env: dict[str, Any], dps: int) -> Any:
    if isinstance(node, ast.Constant):
        return mpmath.mpf(int(node.value)) if isinstance(node.value, int) else \
            mpmath.mpf(exact_number(node.value, "EXPR").p) / int(
                exact_number(node.value, "EXPR").q)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _eval(text, node.operand, env, dps)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Attribute):
        v = _eval(text, node.value, env, dps)
        return v.T if _is_mat(v) else v
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        v = _eval(text, node.args[0], env, dps)
        if name == "trace":
            return mpmath.fsum(v[i, i] for i in range(v.rows))
        if name == "norm":
            return _norm(v) if len(node.args) == 1 else _matrix_functional("sigma_max", v)
        if name == "sqrt":
            return _real(mpmath.sqrt(_scalar(v)), _segment(text, node))
        if name in ("eigmin", "eigmax"):
            _require_symmetric(v, dps, _segment(text, node))
        return _matrix_functional(name, v, dps)
    assert isinstance(node, ast.BinOp)
    a = _eval(text, node.left, env, dps)
    b = _eval(text, node.right, env, dps)
    op = node.op
    seg = _segment(text, node)
    if isinstance(op, (ast.Add, ast.Sub)):
        if _is_mat(a) and _is_mat(b):
            return a + b if isinstance(op, ast.Add) else a - b
        a, b = _scalar(a), _scalar(b)
        return a + b if isinstance(op, ast.Add) else a - b
    if isinstance(op, ast.Mult):
        if _is_mat(a) and _is_mat(b):
            if a.rows == a.cols == 1:
                return a[0, 0] * b
            return a * b[0, 0]
        return a * b
    if isinstance(op, ast.MatMult):
        return a * b
    if isinstance(op, ast.Div):
        d = _scalar(b)
        if d == 0:
            raise _err(f"division by zero in '{seg}'")
        return a / d
    if isinstance(op, ast.Pow):
        base, ex = _scalar(a), _scalar(b)
        if base == 0 and ex < 0:
            raise _err(f"division by zero in '{seg}'")
        return _real(mpmath.power(base, ex), seg)
    raise _err(f"'{seg}' is not allowed")  # pragma: no cover


def _matrix_functional(name: str, v: Any, dps: int = 50) -> Any:
    """``rank``, ``sigma_max`` (= ``norm(X, 2)``), ``sigma_min``, ``eigmin``, ``eigmax`` of
    an mpmath matrix at the working precision (:mod:`ufm_sym.highprec.linalg`)."""
    from ufm_sym.highprec.linalg import singular_values, spectral_norm, symmetric_eigenvalues

    if name == "sigma_max":
        return spectral_norm(v)
    if name in ("eigmin", "eigmax"):
        sym = (v + v.T) / 2
        ev = symmetric_eigenvalues(sym, method="mpmath")
        return ev[0] if name == "eigmin" else ev[-1]
    if all(v[i, j] == 0 for i in range(v.rows) for j in range(v.cols)):
        return mpmath.mpf(0)
    s = singular_values(v)
    if name == "sigma_min":
        return s[-1]
    cut = mpmath.mpf(10) ** (-(dps // 2)) * max(1, s[0] if s else 0)
    return mpmath.mpf(sum(1 for x in s if x > cut))


def _require_symmetric(v: Any, dps: int, seg: str) -> None:
    """``eigmin``/``eigmax`` are of symmetric matrices: ``||X - X^T||_F`` must be at most
    ``10^-(dps/2) max(1, ||X||_F)``."""
    if _norm(v - v.T) > mpmath.mpf(10) ** (-(dps // 2)) * max(1, _norm(v)):
        raise _err(f"'{seg}' is not symmetric (eigmin and eigmax need a symmetric matrix)")


def _top_terms(node: ast.AST, sign: int = 1) -> list[tuple[int, ast.AST]]:
    """The summands of a ``+``/``-`` chain with their signs."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        right_sign = sign if isinstance(node.op, ast.Add) else -sign
        return _top_terms(node.left, sign) + _top_terms(node.right, right_sign)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _top_terms(node.operand, -sign)
    return [(sign, node)]


def evaluate_residual(parsed: ParsedExpr, env: dict[str, Any], dps: int
                      ) -> tuple[Any, Any, Any]:
    """``(relative residual, absolute residual, scale)`` of ``parsed`` at ``env``; for an
    inequality the signed excess ``lhs - rhs`` (``rhs - lhs`` for ``>=``, ``>``) in place
    of the residual: positive on the wrong side.

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1)
    >>> env = environment(p, to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [0, 0]), 30)
    >>> from ufm_sym.check.parse import parse_expression
    >>> rel, ab, scale = evaluate_residual(parse_expression("W.T@W == (W.T@W).T"), env, 30)
    >>> ab, mpmath.nstr(scale, 5)
    (mpf('0.0'), '29.866')
    """
    with mpmath.workdps(dps):
        terms = _top_terms(parsed.lhs)
        if parsed.rhs is not None:
            terms += [(-s, t) for s, t in _top_terms(parsed.rhs)]
        values = [(s, _eval(parsed.text, t, env, dps)) for s, t in terms]
        mats = [v for _, v in values if _is_mat(v) and not (v.rows == v.cols == 1)]
        if mats:
            total = mpmath.zeros(mats[0].rows, mats[0].cols)
            for s, v in values:
                if _is_mat(v) and not (v.rows == v.cols == 1):
                    total += v if s > 0 else -v
                elif _scalar(v) != 0:  # only the literal 0 may meet a matrix
                    raise _err("a matrix may only be compared with the literal 0")
        else:
            total = mpmath.fsum(_scalar(v) if s > 0 else -_scalar(v) for s, v in values)
        absolute = _norm(total)
        scale = max([mpmath.mpf(1)] + [_norm(v) for _, v in values])
        if parsed.is_inequality:  # signed: how far lhs - rhs lies on the wrong side
            excess = _scalar(total) if parsed.relation in ("<=", "<") else -_scalar(total)
            return excess / scale, excess, scale
        return absolute / scale, absolute, scale


def relation_holds(parsed: ParsedExpr, relative: Any, tol: Any) -> bool:
    """Does the relation hold, given the relative residual (identities) or the relative
    excess (inequalities, :func:`evaluate_residual`) and the tolerance?

    ``==``: ``|lhs - rhs| / scale <= tol``; ``<=`` and ``>=``: the excess is at most
    ``tol`` (equality within the tolerance counts); ``<`` and ``>``: the excess is below
    ``-tol`` (a strict inequality needs the margin on its side: values within the
    tolerance of equality do not prove it).

    >>> from ufm_sym.check.parse import parse_expression
    >>> e = parse_expression("lambda_W < lambda_H")
    >>> relation_holds(e, mpmath.mpf("-1e-50"), mpmath.mpf("1e-40"))
    False
    >>> relation_holds(parse_expression("lambda_W <= lambda_H"), mpmath.mpf("-1e-50"),
    ...                mpmath.mpf("1e-40"))
    True
    """
    if parsed.relation in ("<", ">"):
        return bool(relative < -tol)
    return bool(relative <= tol)
