"""The index-free derivation of the gradient (3.2)-(3.3) and the Hessian form (3.9).

Everything here holds for *symbolic* sizes ``K``, ``d``, ``N``.  The data term ``g`` is
left abstract: ``G`` stands for ``nabla g(R)`` (a ``K x N`` ``MatrixSymbol``) and
:class:`~.expressions.HessianG` for ``nabla^2 g(R)[., .]``.  The objective (3.1) is

    f(W, H, b) = g(R) + lambda_W/2 tr(W^T W) + lambda_H/2 tr(H^T H) + lambda_b/2 b^T b,
    R = W H + b 1_N^T.

The derivation expands ``f(W + t D_W, H + t D_H, b + t D_b)`` in ``t``:

1. ``R(t) = R + t D1 + t^2 D2`` is expanded as a non-commutative polynomial
   (:mod:`.normal_form`); ``D1`` and ``D2`` are read off, not typed in.
2. The chain rule for the abstract ``g``:  ``d/dt g(R(t)) = <G, R'(t)>`` and
   ``d^2/dt^2 g(R(t)) = nabla^2 g[R', R'] + <G, R''>``, at ``t = 0`` with
   ``R'(0) = 1! D1`` and ``R''(0) = 2! D2``.
3. The penalties are expanded in ``t`` as traces, brought to a canonical cyclic form.
4. The gradient components are read off the first variation by rotating every
   trace to ``tr(P D_X)`` (:func:`~.normal_form.gradient_from_trace_terms`).

SymPy's own matrix derivatives are not used (they return silent zeros on some sums
of traces: SymPy issues 26561, 26585, 27406, 30527); :mod:`.cross_check` checks the
results against the explicit losses entry by entry.

>>> D = derive_index_free()
>>> D.grad_W
lambda_W*W + G*H.T
>>> D.grad_H
lambda_H*H + W.T*G
>>> D.grad_b
lambda_b*b + G*ones_N
>>> D.first_order_change
D_W*H + D_b*ones_N.T + W*D_H
>>> D.second_order_change
D_W*D_H
>>> D.hessian_form - HessianG(D.first_order_change)  # doctest: +NORMALIZE_WHITESPACE
lambda_H*Trace(D_H.T*D_H) + lambda_W*Trace(D_W.T*D_W) + lambda_b*Trace(D_b.T*D_b)
    + 2*Trace(G.T*D_W*D_H)
>>> D.first_variation  # doctest: +NORMALIZE_WHITESPACE
lambda_H*Trace(H.T*D_H) + lambda_W*Trace(W.T*D_W) + lambda_b*Trace(b.T*D_b)
    + Trace(G.T*(D_W*H + D_b*ones_N.T + W*D_H))
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from . import symbols as S
from .expressions import HessianG, LossG, inner
from .normal_form import (
    Terms,
    gradient_from_trace_terms,
    matrix_equal,
    matrix_terms,
    split_by_degree,
    terms_to_matrix,
    trace_terms,
    trace_terms_to_expr,
)

__all__ = ["IndexFreeDerivation", "PAPER_PENALTY_WEIGHTS", "derive_index_free",
           "index_free_symbols"]


@dataclass(frozen=True)
class IndexFreeDerivation:
    """The derived first and second variations of ``f`` at ``(W, H, b)``.

    Sizes ``K, d, N`` are SymPy symbols; ``W (K x d)``, ``H (d x N)``, ``b (K x 1)``,
    ``Y, G (K x N)``, ``ones_N (N x 1)`` and the directions ``D_W, D_H, D_b`` (shaped as
    ``W, H, b``) are ``MatrixSymbol``s.  ``G`` stands for ``nabla g(R)``.
    """

    K: sp.Symbol
    d: sp.Symbol
    N: sp.Symbol
    W: sp.MatrixSymbol
    H: sp.MatrixSymbol
    b: sp.MatrixSymbol
    Y: sp.MatrixSymbol
    G: sp.MatrixSymbol
    ones_N: sp.MatrixSymbol
    D_W: sp.MatrixSymbol
    D_H: sp.MatrixSymbol
    D_b: sp.MatrixSymbol
    lambda_W: sp.Symbol
    lambda_H: sp.Symbol
    lambda_b: sp.Symbol
    t: sp.Symbol
    R: sp.Basic
    """``W H + b 1_N^T``."""
    objective: sp.Expr
    """``g(R) + lambda_W/2 tr(W^T W) + lambda_H/2 tr(H^T H) + lambda_b/2 tr(b^T b)``."""
    first_order_change: sp.Basic
    """``D1``, the coefficient of ``t`` in ``R(t)``: ``D_W H + W D_H + D_b 1_N^T``."""
    second_order_change: sp.Basic
    """``D2``, the coefficient of ``t^2`` in ``R(t)``: ``D_W D_H``."""
    first_variation: sp.Expr
    """``d/dt f(X + t D)|_{t=0} = <G, D1> + (penalties' first variation)``."""
    grad_W: sp.Basic
    grad_H: sp.Basic
    grad_b: sp.Basic
    hessian_form: sp.Expr
    """``d^2/dt^2 f(X + t D)|_{t=0}``, (3.9): ``HessianG(D1, D1) + 2 tr(G^T D_W D_H) +
    lambda_W ||D_W||^2 + lambda_H ||D_H||^2 + lambda_b ||D_b||^2``."""

    @property
    def variables(self) -> tuple[sp.MatrixSymbol, sp.MatrixSymbol, sp.MatrixSymbol]:
        """``(W, H, b)``."""
        return (self.W, self.H, self.b)

    @property
    def directions(self) -> tuple[sp.MatrixSymbol, sp.MatrixSymbol, sp.MatrixSymbol]:
        """``(D_W, D_H, D_b)``."""
        return (self.D_W, self.D_H, self.D_b)

    @property
    def gradients(self) -> dict[str, sp.Basic]:
        """``{"W": grad_W, "H": grad_H, "b": grad_b}``."""
        return {"W": self.grad_W, "H": self.grad_H, "b": self.grad_b}

    @property
    def lambdas(self) -> tuple[sp.Symbol, sp.Symbol, sp.Symbol]:
        return (self.lambda_W, self.lambda_H, self.lambda_b)


def index_free_symbols() -> dict[str, sp.Basic]:
    """The symbols of the index-free calculus, by name.

    >>> s = index_free_symbols()
    >>> s["W"].shape, s["H"].shape, s["b"].shape, s["ones_N"].shape
    ((K, d), (d, N), (K, 1), (N, 1))
    """
    K, d, N = S.K, S.d, S.N
    return {
        "K": K, "d": d, "N": N,
        "W": sp.MatrixSymbol("W", K, d),
        "H": sp.MatrixSymbol("H", d, N),
        "b": sp.MatrixSymbol("b", K, 1),
        "Y": sp.MatrixSymbol("Y", K, N),
        "G": sp.MatrixSymbol("G", K, N),
        "ones_N": sp.MatrixSymbol("ones_N", N, 1),
        "D_W": sp.MatrixSymbol("D_W", K, d),
        "D_H": sp.MatrixSymbol("D_H", d, N),
        "D_b": sp.MatrixSymbol("D_b", K, 1),
        "lambda_W": S.lambda_W, "lambda_H": S.lambda_H, "lambda_b": S.lambda_b,
        "t": S.t,
    }


def _taylor_derivative(by_degree: list[Terms], k: int) -> Terms:
    """The ``k``-th derivative at ``t = 0`` of a polynomial in ``t``: ``k!`` times the
    coefficient of ``t^k``."""
    coeffs = by_degree[k] if k < len(by_degree) else {}
    return {w: sp.factorial(k) * c for w, c in coeffs.items()}


PAPER_PENALTY_WEIGHTS: tuple[sp.Rational, sp.Rational, sp.Rational] = (
    sp.S.Half, sp.S.Half, sp.S.Half)
"""The factor in front of each squared norm in (1.3)/(1.4): ``lambda/2``."""


def derive_index_free(penalty_weights: tuple = PAPER_PENALTY_WEIGHTS) -> IndexFreeDerivation:
    """Derive the gradient components and the Hessian bilinear form of (3.1).

    Cached: the result is computed once per process.  ``penalty_weights`` are the
    factors ``c`` in ``c lambda ||.||^2`` for ``W``, ``H``, ``b``; the paper's are
    ``1/2``.  Other weights exist only to derive deliberately *wrong* objectives
    (mutation tests: :mod:`.cross_check` must reject them).

    >>> derive_index_free((1, sp.S.Half, sp.S.Half)).grad_W   # the 1/2 dropped
    (2*lambda_W)*W + G*H.T
    """
    return _derive(tuple(sp.sympify(w) for w in penalty_weights))


@lru_cache(maxsize=4)
def _derive(penalty_weights: tuple[sp.Expr, sp.Expr, sp.Expr]) -> IndexFreeDerivation:
    s = index_free_symbols()
    W, H, b, G, ones = s["W"], s["H"], s["b"], s["G"], s["ones_N"]
    D_W, D_H, D_b = s["D_W"], s["D_H"], s["D_b"]
    lw, lh, lb, t = s["lambda_W"], s["lambda_H"], s["lambda_b"], s["t"]

    R = W * H + b * ones.T
    cW, cH, cb = penalty_weights
    penalty = cW * lw * sp.Trace(W.T * W) + cH * lh * sp.Trace(H.T * H) + cb * lb * sp.Trace(
        b.T * b)
    objective = LossG(R) + penalty
    step = {W: W + t * D_W, H: H + t * D_H, b: b + t * D_b}

    # 1. R(t) as a polynomial in t
    R_by_degree = split_by_degree(matrix_terms(R.xreplace(step)), t)
    if len(R_by_degree) > 3:
        raise AssertionError("R(t) should be quadratic in t")
    if not matrix_equal(terms_to_matrix(R_by_degree[0], R.shape), R):
        raise AssertionError("R(0) should be R")
    D1 = terms_to_matrix(R_by_degree[1], R.shape)
    D2 = terms_to_matrix(R_by_degree[2], R.shape)
    R1 = terms_to_matrix(_taylor_derivative(R_by_degree, 1), R.shape)  # R'(0)
    R2 = terms_to_matrix(_taylor_derivative(R_by_degree, 2), R.shape)  # R''(0)

    # 3. the penalties as traces, polynomial in t
    pen_terms, pen_rest = trace_terms(penalty.xreplace(step))
    if pen_rest != 0:
        raise AssertionError(f"unexpected non-trace penalty part {pen_rest}")
    pen_by_degree = split_by_degree(pen_terms, t)
    pen1 = trace_terms_to_expr(_taylor_derivative(pen_by_degree, 1))
    pen2 = trace_terms_to_expr(_taylor_derivative(pen_by_degree, 2))

    # 2. chain rule for the abstract g, at t = 0
    first_variation = inner(G, D1) + pen1
    fv_terms, fv_rest = trace_terms(inner(G, R1) + pen1)
    if fv_rest != 0:
        raise AssertionError(f"unexpected non-trace first-variation part {fv_rest}")
    second_terms, second_rest = trace_terms(inner(G, R2) + pen2)
    if second_rest != 0:
        raise AssertionError(f"unexpected non-trace second-variation part {second_rest}")
    hessian_form = HessianG(R1, R1) + trace_terms_to_expr(second_terms)

    # 4. gradients
    grads = {X: gradient_from_trace_terms(fv_terms, X) for X in (D_W, D_H, D_b)}

    return IndexFreeDerivation(
        K=s["K"], d=s["d"], N=s["N"], W=W, H=H, b=b, Y=s["Y"], G=G, ones_N=ones,
        D_W=D_W, D_H=D_H, D_b=D_b, lambda_W=lw, lambda_H=lh, lambda_b=lb, t=t,
        R=R, objective=objective,
        first_order_change=D1, second_order_change=D2,
        first_variation=first_variation,
        grad_W=grads[D_W], grad_H=grads[D_H], grad_b=grads[D_b],
        hessian_form=hessian_form,
    )
