"""Prove an identity symbolically: identical normal forms, or a combination of the derived
gradient components (then it holds at every critical point)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ufm_sym.check.parse import ParsedExpr, _is_zero_literal, _segment
from ufm_sym.model import exact_number


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
        if name == "norm" and _sym_is_mat(v) and len(node.args) == 1:
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

    >>> from ufm_sym.check.parse import parse_expression
    >>> prove_symbolically(parse_expression("ones_K.T@G == 0"), "ce").combination
    '(ones_K.T*G)'
    >>> prove_symbolically(parse_expression("lambda_W*W.T@W == -lambda_H*H@H.T"), "ce").proved
    False
    >>> prove_symbolically(parse_expression("trace(W.T@W) == norm(W)**2"), "mse").how
    'identical'
    """
    import sympy as sp

    from ufm_sym.symbolic.normal_form import matrix_equal, matrix_terms, trace_terms

    if parsed.is_inequality:
        return SymbolicProof(False, None, None, "an inequality: checked at the sampled points "
                                                "only (no symbolic proof is attempted)")
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
