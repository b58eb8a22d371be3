"""Reduce index-free matrix expressions under the paper's hypotheses.

The proofs specialise the Hessian form along a direction under hypotheses such as
``W a = 0``, ``H^T a = 0``, ``a^T a = 1``, ``u^T G v = sigma`` or ``V V^T = I``.
Each hypothesis says that a product of matrix factors equals a value: a scalar (the
product is 1 x 1), ``ZeroMatrix`` or ``Identity``.  :func:`reduce_scalar` and
:func:`reduce_matrix` expand an expression into products, rotate the products inside
traces cyclically, and replace every consecutive run of factors that matches a
hypothesis (or its transpose) by its value.  Nothing is assumed beyond the stated
hypotheses: a product that no hypothesis reduces stays in the result, so a
reduction that "should" give a closed form and does not is visible.

>>> import sympy as sp
>>> K, d, N = sp.symbols("K d N", integer=True, positive=True)
>>> W = sp.MatrixSymbol("W", K, d); a = sp.MatrixSymbol("a", d, 1)
>>> u = sp.MatrixSymbol("u", K, 1)
>>> hyps = [Hypothesis(W * a, sp.ZeroMatrix(K, 1)), Hypothesis(a.T * a, 1),
...         Hypothesis(u.T * u, 1)]
>>> reduce_scalar(sp.Trace((u * a.T).T * (u * a.T)), hyps)
1
>>> reduce_matrix(W * a * a.T + u * a.T, hyps)
u*a.T
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr


@dataclass(frozen=True)
class Hypothesis:
    """``product == value``: a product of matrix factors and its value.

    ``value`` is a SymPy scalar (then the product must be 1 x 1), a
    ``ZeroMatrix`` or an ``Identity``.
    """

    product: MatrixExpr
    value: Any

    def __post_init__(self) -> None:
        factors = _factors_of(self.product)
        if factors is None:
            raise ValueError(f"hypothesis {self.product} is not a product of matrix factors")
        if isinstance(self.value, MatrixExpr) and not (
                self.value.is_ZeroMatrix or isinstance(self.value, sp.Identity)):
            raise ValueError(f"hypothesis {self.product} = {self.value}: a matrix value must be "
                             "a ZeroMatrix or an Identity (other products are not substituted "
                             "in order); write the identity as a combination instead")
        if not isinstance(self.value, MatrixExpr) and self.product.shape != (1, 1):
            raise ValueError(f"hypothesis {self.product} = {self.value}: a scalar value needs "
                             f"a 1 x 1 product, got shape {self.product.shape}")

    @property
    def equation(self) -> sp.Eq:
        """The hypothesis as a SymPy equation (for printing)."""
        return sp.Eq(self.product, self.value, evaluate=False)

    def patterns(self) -> list[tuple[tuple[Any, ...], Any]]:
        """The factor sequence and its transpose, each with its value."""
        factors = tuple(_factors_of(self.product) or ())
        transposed = tuple(_transpose_atom(f) for f in reversed(factors))
        value_t = self.value.T if isinstance(self.value, MatrixExpr) else self.value
        pats = [(factors, self.value)]
        if transposed != factors:
            pats.append((transposed, value_t))
        return pats


def _transpose_atom(f: Any) -> Any:
    return f.arg if isinstance(f, sp.Transpose) else sp.Transpose(f)


def _factors_of(expr: Any) -> list[Any] | None:
    """The matrix factors of a coefficient-free product, or None."""
    if isinstance(expr, sp.MatMul):
        coeff, mats = expr.as_coeff_matrices()
        if coeff != 1:
            return None
        out: list[Any] = []
        for m in mats:
            sub = _factors_of(m)
            if sub is None:
                return None
            out.extend(sub)
        return out
    if isinstance(expr, sp.MatrixSymbol):
        return [expr]
    if isinstance(expr, sp.Transpose) and isinstance(expr.arg, sp.MatrixSymbol):
        return [expr]
    return None


def _expand(expr: Any) -> Any:
    """Push transposes to the leaves and distribute products over sums."""
    return sp.expand(expr.doit())


def _terms(expr: Any) -> list[tuple[Any, list[Any]]]:
    """An expanded matrix expression as ``[(coefficient, factors), ...]``."""
    expr = _expand(expr)
    if isinstance(expr, sp.ZeroMatrix) or expr == 0:
        return []
    terms = expr.args if isinstance(expr, sp.MatAdd) else (expr,)
    out = []
    for term in terms:
        if isinstance(term, sp.ZeroMatrix):
            continue
        if isinstance(term, sp.MatMul):
            coeff, mats = term.as_coeff_matrices()
        else:
            coeff, mats = sp.Integer(1), [term]
        factors: list[Any] = []
        for m in mats:
            f = _factors_of(m)
            factors.extend(f if f is not None else [m])
        out.append((coeff, factors))
    return out


def _apply_linear(coeff: Any, factors: list[Any],
                  patterns: Sequence[tuple[tuple[Any, ...], Any]]) -> tuple[Any, list[Any]] | None:
    """Rewrite a linear product until no pattern matches; None if it vanishes."""
    changed = True
    while changed:
        changed = False
        for pat, value in patterns:
            k = len(pat)
            for i in range(len(factors) - k + 1):
                if tuple(factors[i:i + k]) == pat:
                    if isinstance(value, sp.ZeroMatrix):
                        return None
                    if isinstance(value, sp.Identity):
                        factors = factors[:i] + factors[i + k:]
                    else:
                        coeff = coeff * value
                        factors = factors[:i] + factors[i + k:]
                    changed = True
                    break
            if changed:
                break
    return coeff, factors


def _apply_cyclic(coeff: Any, factors: list[Any],
                  patterns: Sequence[tuple[tuple[Any, ...], Any]]) -> tuple[Any, list[Any]] | None:
    """Like :func:`_apply_linear`, for the factors of a trace (cyclic).

    When an identity consumes the last factors, the trace of that identity (its
    size) multiplies the coefficient.
    """
    changed = True
    while changed and factors:
        changed = False
        for pat, value in patterns:
            k = len(pat)
            n = len(factors)
            if k > n:
                continue
            for start in range(n):
                window = [factors[(start + j) % n] for j in range(k)]
                if tuple(window) == pat:
                    if isinstance(value, sp.ZeroMatrix):
                        return None
                    rest = [factors[(start + k + j) % n] for j in range(n - k)]
                    if not isinstance(value, sp.Identity):
                        coeff = coeff * value
                    elif not rest:
                        coeff = coeff * value.rows
                    factors = rest
                    changed = True
                    break
            if changed:
                break
    return coeff, factors


def _patterns(hyps: Iterable[Hypothesis]) -> list[tuple[tuple[Any, ...], Any]]:
    pats: list[tuple[tuple[Any, ...], Any]] = []
    for h in hyps:
        pats.extend(h.patterns())
    # longest first, so that u^T G v = sigma wins over shorter rules
    return sorted(pats, key=lambda p: -len(p[0]))


def _product(factors: list[Any], shape: tuple[Any, Any]) -> Any:
    if not factors:
        return sp.Identity(shape[0]) if shape != (1, 1) else sp.Integer(1)
    if len(factors) == 1:
        return factors[0]
    return sp.MatMul(*factors)


def reduce_matrix(expr: MatrixExpr, hypotheses: Iterable[Hypothesis]) -> Any:
    """Reduce a matrix expression under the hypotheses (no cyclic moves)."""
    pats = _patterns(hypotheses)
    shape = expr.shape
    total: Any = sp.ZeroMatrix(*shape)
    for coeff, factors in _terms(expr):
        res = _apply_linear(coeff, factors, pats)
        if res is None:
            continue
        c, fs = res
        total = total + c * _product(fs, shape)
    return total.doit() if isinstance(total, MatrixExpr) else total


def reduce_scalar(expr: Any, hypotheses: Iterable[Hypothesis]) -> Any:
    """Reduce a scalar expression (traces and 1 x 1 products) under the hypotheses.

    The directions of a :class:`~.expressions.HessianG` bilinear form are reduced as
    matrices; the form vanishes when one of them reduces to zero.  Traces of sums are
    split, their products rotated cyclically; 1 x 1 products
    outside traces are treated as traces of themselves.  The result is simplified
    with ``sympy.simplify`` only at the end, on the scalar coefficients.
    """
    from ufm_sym.symbolic.expressions import HessianG

    hyps = list(hypotheses)
    pats = _patterns(hyps)
    expr = sp.sympify(expr)
    replacements: dict[Any, Any] = {}
    for node in sp.preorder_traversal(expr):
        if isinstance(node, HessianG):
            # a bilinear form: reduce both directions; a zero direction gives 0
            A, B = (reduce_matrix(x, hyps) for x in node.directions)
            zero = isinstance(A, sp.ZeroMatrix) or isinstance(B, sp.ZeroMatrix)
            replacements[node] = sp.Integer(0) if zero else HessianG(A, B)
        elif isinstance(node, sp.Trace):
            replacements[node] = _reduce_trace_arg(node.arg, pats)
    expr = expr.xreplace(replacements)
    # 1 x 1 matrix products standing as scalars (e.g. b^T b)
    if isinstance(expr, MatrixExpr):
        expr = _reduce_trace_arg(expr, pats)
    else:
        more: dict[Any, Any] = {}
        _collect_bare_1x1(expr, more, pats)
        expr = expr.xreplace(more)
    return sp.simplify(expr)


def _collect_bare_1x1(node: Any, out: dict[Any, Any],
                      pats: Sequence[tuple[tuple[Any, ...], Any]]) -> None:
    """1 x 1 matrix products that stand as scalars outside any trace (not inside a
    ``Trace`` or a ``HessianG``, which are reduced on their own)."""
    from ufm_sym.symbolic.expressions import HessianG

    if isinstance(node, sp.Trace | HessianG):
        return
    if isinstance(node, MatrixExpr) and node.shape == (1, 1):
        out[node] = _reduce_trace_arg(node, pats)
        return
    for arg in node.args:
        _collect_bare_1x1(arg, out, pats)


def _reduce_trace_arg(arg: Any, pats: Sequence[tuple[tuple[Any, ...], Any]]) -> Any:
    total: Any = sp.Integer(0)
    for coeff, factors in _terms(arg):
        res = _apply_cyclic(coeff, factors, pats)
        if res is None:
            continue
        c, fs = res
        if not fs:
            total += c
        else:
            prod = _product(fs, (None, None))
            total += c * (sp.Trace(prod) if prod.shape != (1, 1) else _as_scalar(prod))
    return total


def _as_scalar(prod: Any) -> Any:
    """A 1 x 1 product that no hypothesis reduced, kept as a trace."""
    return sp.Trace(prod)
