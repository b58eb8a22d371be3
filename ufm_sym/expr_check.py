"""Check a user's identity in the paper's symbols, numerically and symbolically.

An *expression* is an identity ``lhs == rhs`` or a single expression (checked
against zero), written in the paper's symbols:

- matrices ``W`` (K x d), ``H`` (d x N), ``b`` (K x 1), ``Y``, ``R = W H + b 1_N^T``,
  ``G = grad g(R)`` (K x N), ``ones_K`` (K x 1), ``ones_N`` (N x 1); vectors are
  columns, so ``G@ones_N + lambda_b*b`` is K x 1;
- scalars ``lambda_W``, ``lambda_H``, ``lambda_b``, ``N``, ``n``, ``K``, ``d``;
- ``.T``, ``@`` (matrix product), ``*`` (a scalar times anything), ``+``, ``-``,
  ``/`` by a scalar, ``**`` between scalars, numbers, and the functions
  ``trace(M)``, ``norm(M)`` (Frobenius), ``sqrt(x)``, ``rank(M)``.

A 1 x 1 matrix counts as a scalar where a scalar is needed; a matrix may be compared
with the literal ``0`` (``ones_K.T@G == 0``).  Shapes are checked before anything
is evaluated, with ``d = K`` (the checks run at ``d = K``) and ``N`` a size of its
own (``G @ W`` is refused even though ``N = K`` when ``n = 1``).

The text is parsed with :mod:`ast` and only the node types above are accepted:
attributes other than ``.T``, calls to other names, subscripts, lambdas,
comprehensions, strings, comparisons other than one top-level ``==``, and every
other construct are refused with :class:`~ufm_sym.model.UFMInputError` naming the
offending piece.  Nothing is ever passed to ``eval``.

**Numerically** (:func:`check_identity`), the expression is evaluated with mpmath at
``dps`` digits at sampled points of the requested kind (critical points of every kind
from :func:`~ufm_sym.highprec.families.critical_points`, global minimizers only,
non-global critical points, or random points) over several settings.  The residual
at a point is ``||lhs - rhs||_F`` (or ``||expr||_F``) divided by the scale
``max(1, largest top-level term)``, where the top-level terms are the summands of
each side (so ``lambda_W*W.T@W - lambda_H*H@H.T == 0`` is relative to its two
terms); the identity holds at the point when that relative residual is at most
``10^-(dps - 10)``; ``rank`` counts singular values above
``10^-(dps/2) * max(1, largest)``.

**Symbolically** (:func:`prove_symbolically`), the expression is translated into
SymPy ``MatrixSymbol`` algebra with the symbols of
:func:`~ufm_sym.symbolic.index_free.derive_index_free` (plus ``ones_K``), and
``lhs - rhs`` is tested (normal form of :mod:`~ufm_sym.symbolic.normal_form`) for
being identically zero, or a combination ``sum_k c_k L_k X_k R_k`` of the *derived*
gradient components ``X = grad_W, grad_H, grad_b`` (and their transposes; for CE also
``1_K^T G``, zero by (3.6)), with multipliers ``L_k, R_k`` from
``{I, W, W.T, H, H.T, b, b.T, ones_K, ones_K.T, ones_N, ones_N.T}`` and scalar
coefficients ``c_k`` found by solving a linear system; a scalar (trace) identity is
tested the same way with ``tr(L X R)``.  A combination proves that the identity
holds at every critical point.

>>> e = parse_expression("lambda_W*W.T@W == lambda_H*H@H.T")
>>> e.is_equation, e.lhs_shape, e.rhs_shape
(True, ('K', 'K'), ('K', 'K'))
>>> prove_symbolically(e, "ce").combination
'W.T*grad_W - grad_H*H.T'
>>> parse_expression("W.__class__")
Traceback (most recent call last):
...
ufm_sym.model.UFMInputError: EXPR: attribute '.__class__' in 'W.__class__' is not allowed (only .T)
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np

from ufm_sym.model import Problem, UFMInputError, exact_number

__all__ = [
    "AT_CHOICES",
    "FUNCTIONS",
    "MATRIX_SHAPES",
    "SCALAR_NAMES",
    "CheckReport",
    "ParsedExpr",
    "PointResidual",
    "SymbolicProof",
    "check_identity",
    "check_settings",
    "environment",
    "evaluate_residual",
    "parse_expression",
    "prove_symbolically",
    "tolerance",
]

MATRIX_SHAPES: dict[str, tuple[str, str]] = {
    "W": ("K", "K"), "H": ("K", "N"), "b": ("K", "1"), "Y": ("K", "N"), "R": ("K", "N"),
    "G": ("K", "N"), "ones_K": ("K", "1"), "ones_N": ("N", "1"),
}
"""Static shapes, with ``d = K`` (every check runs at ``d = K``)."""
SCALAR_NAMES: tuple[str, ...] = ("lambda_W", "lambda_H", "lambda_b", "N", "n", "K", "d")
FUNCTIONS: tuple[str, ...] = ("trace", "norm", "sqrt", "rank")
AT_CHOICES: tuple[str, ...] = ("critical", "global", "saddle", "random")
MAX_LENGTH = 2000
MAX_DEPTH = 100
RANDOM_POINTS = 3

Shape = tuple[str, str] | None
"""``None`` for a scalar, else ``(rows, cols)`` in the size names ``K``, ``N``, ``1``."""


def _err(msg: str) -> UFMInputError:
    return UFMInputError(f"EXPR: {msg}")


# ------------------------------------------------------------------ parsing
_NODE_NAMES: dict[type, str] = {
    ast.ListComp: "list comprehension", ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression",
    ast.Lambda: "lambda", ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict",
    ast.Set: "set", ast.Subscript: "subscript", ast.Slice: "slice",
    ast.BoolOp: "boolean operator", ast.IfExp: "conditional expression",
    ast.NamedExpr: "assignment expression", ast.Starred: "starred expression",
    ast.JoinedStr: "f-string", ast.FormattedValue: "f-string", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.Compare: "comparison",
}
_BINOPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
                            ast.Pow: "**", ast.MatMult: "@"}
_OP_TEXT: dict[type, str] = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<",
                             ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
                             ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~"}


@dataclass(frozen=True)
class ParsedExpr:
    """A validated expression: ``lhs`` (and ``rhs`` for ``lhs == rhs``) as :mod:`ast`
    nodes whose every node is on the whitelist, with their static shapes."""

    text: str
    lhs: ast.expr = field(repr=False)
    rhs: ast.expr | None = field(repr=False)
    lhs_shape: Shape
    rhs_shape: Shape

    @property
    def is_equation(self) -> bool:
        return self.rhs is not None

    def segment(self, node: ast.AST) -> str:
        return _segment(self.text, node)


def _segment(text: str, node: ast.AST) -> str:
    seg = ast.get_source_segment(text, node)
    if seg is None:  # pragma: no cover - every node of ours has positions
        seg = ast.dump(node)
    seg = " ".join(seg.split())
    return seg if len(seg) <= 60 else seg[:57] + "..."


def parse_expression(text: str) -> ParsedExpr:
    """Parse and validate ``text`` (module docstring); shapes are checked too.

    >>> parse_expression("__import__('os')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: EXPR: call to '__import__' is not allowed (functions: ...)
    >>> parse_expression("W.T @ G @ W")
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: EXPR: shape mismatch in 'W.T @ G @ W': K x N @ K x K
    """
    if not isinstance(text, str):
        raise _err(f"{text!r} is not a string")
    if not text.strip():
        raise _err("empty expression")
    if len(text) > MAX_LENGTH:
        raise _err(f"longer than {MAX_LENGTH} characters")
    if "\n" in text or "\r" in text:
        raise _err("must be one line")
    src = text.strip()
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        why = "" if exc.msg == "invalid syntax" else f": {exc.msg}"
        raise _err(f"invalid syntax{col} in '{src}'{why}") from None
    except (RecursionError, MemoryError, ValueError):
        raise _err("nested too deeply or too large") from None
    body = tree.body
    lhs: ast.expr
    rhs: ast.expr | None = None
    if isinstance(body, ast.Compare):
        if len(body.ops) != 1 or not isinstance(body.ops[0], ast.Eq):
            raise _err(f"only one '==' is allowed as a comparison: '{_segment(src, body)}'")
        lhs, rhs = body.left, body.comparators[0]
    else:
        lhs = body
    for side in (lhs, rhs):
        if side is not None:
            _validate(src, side, 0)
    lshape = _shape(src, lhs)
    rshape = _shape(src, rhs) if rhs is not None else None
    if rhs is not None and lshape != rshape:
        one_by_one = {None, ("1", "1")}
        if not ({lshape, rshape} <= one_by_one or (_is_zero_literal(rhs) and rshape is None)
                or (_is_zero_literal(lhs) and lshape is None)):
            raise _err(f"the two sides have different shapes: {_fmt(lshape)} and "
                       f"{_fmt(rshape)} (a matrix may only be compared with the literal 0)")
    return ParsedExpr(text=src, lhs=lhs, rhs=rhs, lhs_shape=lshape, rhs_shape=rshape)


def _validate(text: str, node: ast.AST, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _err("nested too deeply")
    seg = _segment(text, node)
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            op = _OP_TEXT.get(type(node.op), type(node.op).__name__)
            raise _err(f"operator '{op}' in '{seg}' is not allowed (allowed: + - * / ** @)")
        _validate(text, node.left, depth + 1)
        _validate(text, node.right, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            op = _OP_TEXT.get(type(node.op), type(node.op).__name__)
            raise _err(f"operator '{op}' in '{seg}' is not allowed")
        _validate(text, node.operand, depth + 1)
    elif isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise _err(f"dunder name '{node.id}' is not allowed")
        if node.id in FUNCTIONS:
            raise _err(f"'{node.id}' is a function: write {node.id}(...)")
        if node.id not in MATRIX_SHAPES and node.id not in SCALAR_NAMES:
            raise _err(f"unknown name '{node.id}' (known: "
                       f"{', '.join(list(MATRIX_SHAPES) + list(SCALAR_NAMES))})")
    elif isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            kind = "string" if isinstance(v, (str, bytes)) else type(v).__name__
            raise _err(f"{kind} constant {seg} is not allowed (numbers only)")
    elif isinstance(node, ast.Attribute):
        if node.attr != "T":
            raise _err(f"attribute '.{node.attr}' in '{seg}' is not allowed (only .T)")
        _validate(text, node.value, depth + 1)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _err(f"call '{seg}' is not allowed (functions: {', '.join(FUNCTIONS)})")
        if node.func.id not in FUNCTIONS:
            raise _err(f"call to '{node.func.id}' is not allowed (functions: "
                       f"{', '.join(FUNCTIONS)})")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise _err(f"{node.func.id} takes exactly one argument: '{seg}'")
        _validate(text, node.args[0], depth + 1)
    else:
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        raise _err(f"{what} '{seg}' is not allowed")


def _fmt(shape: Shape) -> str:
    return "scalar" if shape is None else f"{shape[0]} x {shape[1]}"


def _is_zero_literal(node: ast.AST | None) -> bool:
    if isinstance(node, ast.UnaryOp):
        return _is_zero_literal(node.operand)
    return isinstance(node, ast.Constant) and node.value == 0


def _scalarish(shape: Shape) -> bool:
    return shape is None or shape == ("1", "1")


def _shape(text: str, node: ast.AST) -> Shape:
    seg = _segment(text, node)
    if isinstance(node, ast.Constant):
        return None
    if isinstance(node, ast.Name):
        return MATRIX_SHAPES.get(node.id)
    if isinstance(node, ast.UnaryOp):
        return _shape(text, node.operand)
    if isinstance(node, ast.Attribute):
        s = _shape(text, node.value)
        return None if s is None else (s[1], s[0])
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        s = _shape(text, node.args[0])
        if name == "trace":
            if s is None or s[0] != s[1]:
                raise _err(f"trace needs a square matrix, got {_fmt(s)} in '{seg}'")
        elif name == "sqrt":
            if not _scalarish(s):
                raise _err(f"sqrt needs a scalar, got {_fmt(s)} in '{seg}'")
        elif name == "rank":
            if s is None:
                raise _err(f"rank needs a matrix, got a scalar in '{seg}'")
        return None
    assert isinstance(node, ast.BinOp)
    a, b = _shape(text, node.left), _shape(text, node.right)
    op = node.op
    if isinstance(op, (ast.Add, ast.Sub)):
        if a == b or (_scalarish(a) and _scalarish(b)):
            return a if a == b else None
        raise _err(f"cannot add {_fmt(a)} and {_fmt(b)} in '{seg}'")
    if isinstance(op, ast.Mult):
        if _scalarish(a) and _scalarish(b):
            return a if a is not None else b
        if _scalarish(a):
            return b
        if _scalarish(b):
            return a
        raise _err(f"'*' multiplies by scalars only, got {_fmt(a)} * {_fmt(b)} in '{seg}' "
                   "(use @ for matrix products)")
    if isinstance(op, ast.MatMult):
        if a is None or b is None:
            raise _err(f"'@' needs two matrices, got {_fmt(a)} @ {_fmt(b)} in '{seg}'")
        if a[1] != b[0]:
            raise _err(f"shape mismatch in '{seg}': {_fmt(a)} @ {_fmt(b)}")
        return (a[0], b[1])
    if isinstance(op, ast.Div):
        if not _scalarish(b):
            raise _err(f"'/' divides by scalars only, got {_fmt(b)} in '{seg}'")
        return a
    if isinstance(op, ast.Pow):
        if not (_scalarish(a) and _scalarish(b)):
            raise _err(f"'**' needs scalars, got {_fmt(a)} ** {_fmt(b)} in '{seg}' "
                       "(use @ for matrix products)")
        exponent = _literal_value(node.right)
        if exponent is None:
            raise _err(f"the exponent in '{seg}' must be a number (such as 2, -1 or 1/2)")
        if abs(exponent) > MAX_EXPONENT:
            raise _err(f"the power in '{seg}' is too large (exponents up to {MAX_EXPONENT})")
        return None
    raise _err(f"'{seg}' is not allowed")  # pragma: no cover - validated before


#: the largest |exponent| of ``**``: bigger ones only exhaust time or memory
MAX_EXPONENT = 64


def _literal_value(node: ast.AST) -> float | None:
    """The value of a number written with literals, signs and ``/`` (e.g. ``-1/2``),
    or None when the node is not such a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not \
            isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _literal_value(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        num, den = _literal_value(node.left), _literal_value(node.right)
        if num is None or den is None or den == 0:
            return None
        return num / den
    return None


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
            return _norm(v)
        if name == "sqrt":
            return _real(mpmath.sqrt(_scalar(v)), _segment(text, node))
        from ufm_sym.highprec.linalg import singular_values

        s = singular_values(v)
        cut = mpmath.mpf(10) ** (-(dps // 2)) * max(1, s[0] if s else 0)
        return mpmath.mpf(sum(1 for x in s if x > cut))
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
    """``(relative residual, absolute residual, scale)`` of ``parsed`` at ``env``.

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1)
    >>> env = environment(p, to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [0, 0]), 30)
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
        return absolute / scale, absolute, scale


# ------------------------------------------------------------------ symbolic
class _NotSymbolic(Exception):
    pass


@dataclass(frozen=True)
class SymbolicProof:
    """The outcome of :func:`prove_symbolically`: ``proved``; ``how`` is
    ``"identical"`` (same normal form: holds everywhere), ``"ce-column-sums"`` (a
    multiple of ``1_K^T G``, zero for CE by (3.6): holds everywhere) or
    ``"gradient"`` (a combination of derived gradient components: holds at critical
    points);
    ``combination`` the combination (e.g. ``'W.T*grad_W - grad_H*H.T'``); ``note``
    a sentence."""

    proved: bool
    how: str | None
    combination: str | None
    note: str


@lru_cache(maxsize=1)
def _sym_env() -> dict[str, Any]:
    import sympy as sp

    from ufm_sym.symbolic.index_free import derive_index_free

    D = derive_index_free()
    ones_K = sp.MatrixSymbol("ones_K", D.K, 1)
    return {
        "D": D, "W": D.W, "H": D.H, "b": D.b, "Y": D.Y, "G": D.G, "ones_N": D.ones_N,
        "ones_K": ones_K, "R": D.W * D.H + D.b * D.ones_N.T,
        "lambda_W": D.lambda_W, "lambda_H": D.lambda_H, "lambda_b": D.lambda_b,
        "N": D.N, "K": D.K, "n": D.N / D.K, "d": D.d,
    }


def _sym_is_mat(x: Any) -> bool:
    return bool(getattr(x, "is_Matrix", False))


def _sym_scalar(x: Any) -> Any:
    import sympy as sp

    if _sym_is_mat(x):
        if x.shape != (1, 1):
            raise _NotSymbolic(f"a {x.shape} matrix used as a scalar")
        return sp.Trace(x)
    return x


def _to_sympy(text: str, node: ast.AST) -> Any:
    import sympy as sp

    env = _sym_env()
    if isinstance(node, ast.Constant):
        return exact_number(node.value, "EXPR")
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _to_sympy(text, node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Attribute):
        v = _to_sympy(text, node.value)
        return v.T if _sym_is_mat(v) else v
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        v = _to_sympy(text, node.args[0])
        if name == "trace":
            return sp.Trace(v)
        if name == "norm" and _sym_is_mat(v):
            return sp.sqrt(sp.Trace(v.T * v))
        raise _NotSymbolic(f"{name}(...) has no index-free normal form")
    assert isinstance(node, ast.BinOp)
    op = node.op
    if (isinstance(op, ast.Pow) and isinstance(node.left, ast.Call)
            and node.left.func.id == "norm"  # type: ignore[attr-defined]
            and isinstance(node.right, ast.Constant) and node.right.value == 2):
        inner = _to_sympy(text, node.left.args[0])
        if _sym_is_mat(inner):
            return sp.Trace(inner.T * inner)
    a, b = _to_sympy(text, node.left), _to_sympy(text, node.right)
    if isinstance(op, (ast.Add, ast.Sub)):
        if _sym_is_mat(a) != _sym_is_mat(b) or (_sym_is_mat(a) and a.shape != b.shape):
            a, b = _sym_scalar(a), _sym_scalar(b)
        return a + b if isinstance(op, ast.Add) else a - b
    if isinstance(op, ast.Mult):
        if _sym_is_mat(a) and _sym_is_mat(b):
            if a.shape == (1, 1):
                return sp.Trace(a) * b
            return a * sp.Trace(b)
        return a * b
    if isinstance(op, ast.MatMult):
        return a * b
    if isinstance(op, ast.Div):
        return a * (1 / _sym_scalar(b))
    if isinstance(op, ast.Pow):
        return _sym_scalar(a) ** _sym_scalar(b)
    raise _NotSymbolic(_segment(text, node))  # pragma: no cover


def _generators(loss: str) -> list[tuple[str, Any]]:
    env = _sym_env()
    D = env["D"]
    gens = [("grad_W", D.grad_W), ("grad_H", D.grad_H), ("grad_b", D.grad_b)]
    if loss == "ce":
        gens.append(("(ones_K.T*G)", env["ones_K"].T * D.G))
    return gens + [(f"{name}.T", g.T) for name, g in gens]


def _multipliers() -> list[tuple[str, Any]]:
    env = _sym_env()
    out: list[tuple[str, Any]] = [("", None)]
    for name in ("W", "H", "b", "ones_K", "ones_N"):
        out.append((name, env[name]))
        out.append((f"{name}.T", env[name].T))
    return out


def _candidates(loss: str, want: Callable[[Any], bool]) -> list[tuple[str, Any]]:
    """``L X R`` for every generator ``X`` and multipliers ``L``, ``R`` whose product
    is defined and satisfies ``want``."""
    out = []
    for gname, g in _generators(loss):
        for lname, L in _multipliers():
            if L is not None and L.shape[1] != g.shape[0]:
                continue
            for rname, Rm in _multipliers():
                if Rm is not None and Rm.shape[0] != g.shape[1]:
                    continue
                expr = g if L is None else L * g
                expr = expr if Rm is None else expr * Rm
                if want(expr):
                    name = "*".join(x for x in (lname, gname, rname) if x)
                    out.append((name, expr))
    return out


def _solve(target: dict[Any, Any], cands: list[tuple[str, dict[Any, Any]]]
           ) -> list[Any] | None:
    import sympy as sp

    cs = sp.symbols(f"c0:{len(cands)}")
    words = set(target)
    for _, t in cands:
        words |= set(t)
    eqs = [sp.Add(*[c * t.get(w, 0) for c, (_, t) in zip(cs, cands, strict=True)])
           - target.get(w, 0) for w in words]
    sol = sp.linsolve(eqs, cs)
    if not sol:
        return None
    values = list(next(iter(sol)))
    free = {s: 0 for v in values for s in getattr(v, "free_symbols", ()) if s in cs}
    return [sp.simplify(sp.sympify(v).subs(free)) for v in values]


def _combination_text(names: list[str], coeffs: list[Any]) -> str:
    import sympy as sp

    parts = []
    for name, c in zip(names, coeffs, strict=True):
        if c == 0:
            continue
        if c == 1:
            parts.append(("+", name))
        elif c == -1:
            parts.append(("-", name))
        else:
            cc = sp.sstr(c)
            if cc.startswith("-"):
                parts.append(("-", f"({cc[1:]})*{name}" if " " in cc else f"{cc[1:]}*{name}"))
            else:
                parts.append(("+", f"({cc})*{name}" if " " in cc else f"{cc}*{name}"))
    text = ""
    for i, (sign, body) in enumerate(parts):
        text += (("-" if sign == "-" else "") + body) if i == 0 else f" {sign} {body}"
    return text


def prove_symbolically(parsed: ParsedExpr, loss: str) -> SymbolicProof:
    """Try to prove ``parsed`` with SymPy (module docstring).

    >>> prove_symbolically(parse_expression("ones_K.T@G == 0"), "ce").combination
    '(ones_K.T*G)'
    >>> prove_symbolically(parse_expression("lambda_W*W.T@W == -lambda_H*H@H.T"), "ce").proved
    False
    >>> prove_symbolically(parse_expression("trace(W.T@W) == norm(W)**2"), "mse").how
    'identical'
    """
    import sympy as sp

    from ufm_sym.symbolic.normal_form import matrix_equal, matrix_terms, trace_terms

    try:
        lhs = _to_sympy(parsed.text, parsed.lhs)
        rhs = _to_sympy(parsed.text, parsed.rhs) if parsed.rhs is not None else sp.S.Zero
        if _sym_is_mat(lhs) and _is_zero_literal(parsed.rhs):
            rhs = sp.ZeroMatrix(*lhs.shape)
        elif parsed.rhs is not None and _sym_is_mat(rhs) and _is_zero_literal(parsed.lhs):
            lhs = sp.ZeroMatrix(*rhs.shape)
        elif parsed.rhs is None and _sym_is_mat(lhs):
            rhs = sp.ZeroMatrix(*lhs.shape)
        if _sym_is_mat(lhs) != _sym_is_mat(rhs):
            lhs, rhs = _sym_scalar(lhs), _sym_scalar(rhs)
        matrix = _sym_is_mat(lhs)
        if matrix:
            diff_terms = matrix_terms(lhs - rhs)
            if not diff_terms or matrix_equal(lhs, rhs):
                return SymbolicProof(True, "identical", None,
                                     "proved symbolically: both sides have the same normal "
                                     "form (the identity holds everywhere)")
            shape = lhs.shape
            cands = _candidates(loss, lambda e: e.shape == shape)
            cand_terms = [(name, matrix_terms(e)) for name, e in cands]
            target = diff_terms
        else:
            diff = sp.expand(lhs - rhs)
            tt, rest = trace_terms(diff)
            if not tt and rest == 0:
                return SymbolicProof(True, "identical", None,
                                     "proved symbolically: both sides have the same normal "
                                     "form (the identity holds everywhere)")
            if rest != 0:
                return SymbolicProof(False, None, None,
                                     "not proved symbolically: lhs - rhs has a part that is "
                                     f"not a trace ({sp.sstr(rest)[:60]})")
            cands = [(f"tr({name})", sp.Trace(e)) for name, e in
                     _candidates(loss, lambda e: e.shape[0] == e.shape[1])]
            cand_terms = [(name, trace_terms(e)[0]) for name, e in cands]
            target = tt
    except _NotSymbolic as exc:
        return SymbolicProof(False, None, None, f"not proved symbolically: {exc}")
    except (TypeError, ValueError, sp.ShapeError) as exc:
        return SymbolicProof(False, None, None,
                             f"not proved symbolically: no normal form ({str(exc)[:60]})")
    coeffs = _solve(target, cand_terms)
    if coeffs is None:
        return SymbolicProof(False, None, None,
                             "not proved symbolically: lhs - rhs is not a combination of the "
                             "derived gradient components with the candidate multipliers")
    names = [name for name, _ in cands]
    combo = sp.Add(*[c * e for c, (_, e) in zip(coeffs, cands, strict=True) if c != 0]) \
        if any(c != 0 for c in coeffs) else None
    ok = combo is not None and (matrix_equal(lhs - rhs, combo) if matrix else
                                not trace_terms(sp.expand(lhs - rhs - combo))[0])
    if not ok:  # pragma: no cover - the linear solve is exact
        return SymbolicProof(False, None, None, "not proved symbolically: the combination "
                                                "did not verify")
    text = _combination_text(names, coeffs)
    used = [n for n, c in zip(names, coeffs, strict=True) if c != 0]
    if all("ones_K.T*G" in n for n in used):
        return SymbolicProof(True, "ce-column-sums", text,
                             f"proved symbolically: lhs - rhs == {text}, zero by (3.6) "
                             "1_K^T grad g(R) = 0 (CE): it holds everywhere")
    extra = "; (ones_K.T*G) = 0 by (3.6) (CE)" if any("ones_K.T*G" in n for n in used) else ""
    return SymbolicProof(True, "gradient", text,
                         f"proved symbolically: lhs - rhs == {text}, with the derived "
                         f"grad_W, grad_H, grad_b{extra}: it vanishes at every critical point")


# -------------------------------------------------------------- the check
@dataclass(frozen=True)
class PointResidual:
    """The residual of the expression at one sampled point."""

    setting: str
    regime: str
    family: str
    kind: str
    relative: Any
    absolute: Any
    scale: Any
    digits: float
    holds: bool


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check_identity`."""

    expression: str
    loss: str
    at: str
    dps: int
    tolerance: Any
    points: tuple[PointResidual, ...]
    symbolic: SymbolicProof
    settings: tuple[str, ...]
    seconds: float = 0.0
    seed: int = 0

    @property
    def holds(self) -> bool:
        return all(p.holds for p in self.points)

    @property
    def worst(self) -> PointResidual:
        return max(self.points, key=lambda p: p.relative)

    @property
    def failures(self) -> tuple[PointResidual, ...]:
        return tuple(p for p in self.points if not p.holds)

    def to_json(self) -> dict[str, Any]:
        from ufm_sym import __version__

        w = self.worst
        return {
            "schema": 1, "tool": "ufm-sym", "command": "check", "version": __version__,
            "expression": self.expression, "loss": self.loss, "at": self.at,
            "dps": self.dps, "seed": self.seed, "backend": "mpmath",
            "tolerance": mpmath.nstr(self.tolerance, 3),
            "tolerance_rule": "relative residual ||lhs - rhs|| / max(1, largest top-level "
                              "term) <= 10^-(dps - 10)",
            "holds": self.holds, "points": len(self.points), "settings": list(self.settings),
            "worst": _point_json(w),
            "failures": [_point_json(p) for p in self.failures],
            "residuals": [_point_json(p) for p in self.points],
            "symbolic": {"proved": self.symbolic.proved, "how": self.symbolic.how,
                         "combination": self.symbolic.combination,
                         "note": self.symbolic.note},
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        w = self.worst
        n, bad = len(self.points), len(self.failures)
        verdict = f"holds at all {n} points" if not bad else f"FAILS at {bad} of {n} points"
        lines = [
            f"check: {self.expression}   ({self.loss.upper()}, at {self.at} points, "
            f"dps {self.dps})",
            f"{verdict} in {len(self.settings)} settings; tolerance "
            f"{mpmath.nstr(self.tolerance, 3)} (relative)",
            f"largest relative residual {mpmath.nstr(w.relative, 3)} ({w.digits:.1f} digits) "
            f"at {w.setting}, {w.family}",
            self.symbolic.note,
        ]
        return "\n".join(lines) + "\n"


def _point_json(p: PointResidual) -> dict[str, Any]:
    return {"setting": p.setting, "regime": p.regime, "family": p.family, "kind": p.kind,
            "relative_residual": mpmath.nstr(p.relative, 5),
            "absolute_residual": mpmath.nstr(p.absolute, 5),
            "scale": mpmath.nstr(p.scale, 5), "digits": round(p.digits, 2),
            "holds": p.holds}


def check_settings(loss: str, K: int | None = None, n: int | None = None
                   ) -> tuple[Problem, ...]:
    """The settings of a check: with ``K``/``n`` (defaults 3 and 2 when one is given)
    one problem per regime of that size; otherwise the default
    :func:`~ufm_sym.highprec.families.sample_settings` of the loss.

    >>> from ufm_sym.closed_form import regime
    >>> [regime(p) for p in check_settings("mse", K=3, n=1)]
    ['A', 'B', 'C', 'zero']
    """
    from ufm_sym.closed_form import regime
    from ufm_sym.highprec.families import sample_settings

    if loss not in ("ce", "mse"):
        raise UFMInputError(f"--loss: unknown loss {loss!r} (expected ce or mse)")
    if K is None and n is None:
        return tuple(p for p in sample_settings() if p.loss == loss)
    K = 3 if K is None else K
    n = 2 if n is None else n
    if loss == "ce":
        lams = [("1/100", "1/100", "1/100"), ("1/200", "1/100", "0"), ("1", "1", "1/10")]
    else:
        lams = [("1/100", "1/100", "0"), ("1/100", "1/100", "1/100"), ("1/100", "1/100", "1"),
                ("1", "1", "0")]
    out: list[Problem] = []
    seen: set[str] = set()
    for lw, lh, lb in lams:
        p = Problem(loss=loss, K=K, n=n, lambda_W=lw, lambda_H=lh, lambda_b=lb)
        reg = regime(p)
        if loss == "mse" and reg in seen:
            continue
        seen.add(reg)
        out.append(p)
    return tuple(out)


def _setting_name(p: Problem) -> str:
    return (f"{p.loss.upper()} K={p.K} n={p.n} lW={p.lambda_W} lH={p.lambda_H} "
            f"lb={p.lambda_b}")


def _sample_points(problem: Problem, at: str, dps: int, seed: int
                   ) -> list[tuple[str, str, Any]]:
    """``(family, kind, point)`` for one setting."""
    if at == "random":
        from ufm_sym.highprec.evaluate import to_mp_point

        rng = np.random.default_rng(seed)
        out = []
        K, d, N = problem.K, problem.d, problem.N
        for i in range(RANDOM_POINTS):
            W = (0.7 * rng.normal(size=(K, d))).tolist()
            H = (0.7 * rng.normal(size=(d, N))).tolist()
            b = (0.3 * rng.normal(size=K)).tolist()
            out.append((f"random-{i}", "random", to_mp_point(problem, W, H, b, dps=dps)))
        return out
    from ufm_sym.highprec.families import critical_points

    kinds = {"critical": ("global_min", "origin", "saddle"), "global": ("global_min",),
             "saddle": ("origin", "saddle")}[at]
    recs = critical_points(problem, kinds=kinds, dps=max(60, dps + 10), seed=seed)
    if at == "saddle":
        recs = tuple(r for r in recs if not r.is_global_min)
    return [(r.family, r.kind if r.kind != "origin" or r.is_global_min else "origin (C2)",
             r.point) for r in recs]


def check_identity(expression: str, loss: str, at: str = "critical", K: int | None = None,
                   n: int | None = None, dps: int = 50, seed: int = 0) -> CheckReport:
    """Check ``expression`` numerically at sampled points and try a symbolic proof.

    >>> r = check_identity("ones_K.T@G == 0*ones_N.T", "ce", at="random", K=2, n=1, dps=30)
    >>> r.holds, len(r.points), r.symbolic.proved
    (True, 9, True)
    >>> check_identity("lambda_W*W.T@W == -lambda_H*H@H.T", "mse", at="global", K=2, n=1,
    ...                dps=30).holds
    False
    """
    t0 = time.perf_counter()
    if at not in AT_CHOICES:
        raise UFMInputError(f"--at: unknown choice {at!r} (expected one of: "
                            f"{', '.join(AT_CHOICES)})")
    from ufm_sym.precision import check_dps

    check_dps(dps)
    parsed = parse_expression(expression)
    settings = check_settings(loss, K, n)
    tol = tolerance(dps)
    from ufm_sym.closed_form import regime

    results: list[PointResidual] = []
    for problem in settings:
        name = _setting_name(problem)
        for family, kind, point in _sample_points(problem, at, dps, seed):
            env = environment(problem, point, dps)
            try:
                rel, ab, scale = evaluate_residual(parsed, env, dps)
            except UFMInputError as exc:
                raise UFMInputError(f"{exc} (at {name}, {family})") from None
            with mpmath.workdps(dps):
                digits = float(dps) if rel == 0 else float(min(dps, -mpmath.log10(rel)))
            results.append(PointResidual(setting=name, regime=regime(problem), family=family,
                                         kind=kind, relative=rel, absolute=ab, scale=scale,
                                         digits=digits, holds=bool(rel <= tol)))
    if not results:
        raise UFMInputError(f"--at {at}: no such points in these settings")
    proof = prove_symbolically(parsed, loss)
    return CheckReport(seed=seed, expression=parsed.text, loss=loss, at=at, dps=dps,
                       tolerance=tol,
                       points=tuple(results), symbolic=proof,
                       settings=tuple(_setting_name(p) for p in settings),
                       seconds=time.perf_counter() - t0)
