"""The Hessian bilinear form and the Hessian-vector product, derived from (3.9).

:func:`~.index_free.derive_index_free` gives the *quadratic* form
``Q(D) = d^2/dt^2 f(X + t D)|_{t=0}`` (3.9): an abstract part
``sum_k c_k HessianG(A_k(D), A_k(D))`` (``A = D1``, the first-order change) plus a
trace polynomial ``T(D)``.  From it, with no formula typed in:

1. the bilinear form by polarisation, ``B(D, E) = (1/2) d/ds Q(D + s E)|_{s=0}``:
   ``sum_k c_k HessianG(A_k(D), A_k(E)) + (1/2) d/ds T(D + s E)|_{s=0}``, the
   derivative read off the expansion in ``s`` (:mod:`.normal_form`);
2. the Hessian-vector product ``hess f[D]``, the gradient in ``E`` of ``B(D, E)``:
   each ``HessianG(A_k(D), A_k(E))`` is ``<S_k, A_k(E)>`` with ``S_k = hess g(R)[A_k(D)]``
   (a ``K x N`` matrix, evaluated numerically), and the gradient of the trace
   polynomial in ``E`` is read off as the derivation reads the gradient off the first
   variation (:func:`~.normal_form.gradient_from_trace_terms`).

The derivation checks itself: ``Q`` must be a quadratic form in ``D`` (``Q(D + sE)``
has degree 2 in ``s`` with ``Q(E)`` as top coefficient) and ``B(D, D) = Q(D)``.

>>> V = derive_second_variation()
>>> V.hvp_W
lambda_W*D_W + G*D_H.T + S_1*H.T
>>> V.hvp_H
lambda_H*D_H + D_W.T*G + W.T*S_1
>>> V.hvp_b
lambda_b*D_b + S_1*ones_N
>>> V.hess_g_arguments                      # S_1 = hess g(R)[D1]
((S_1, D_W*H + D_b*ones_N.T + W*D_H),)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .expressions import HessianG, inner
from .index_free import IndexFreeDerivation, derive_index_free
from .normal_form import (
    gradient_from_trace_terms,
    matrix_terms,
    split_by_degree,
    trace_equal,
    trace_terms,
    trace_terms_to_expr,
    word_str,
)

__all__ = ["SecondVariation", "derive_second_variation"]


@dataclass(frozen=True)
class SecondVariation:
    """The bilinear Hessian form and the Hessian-vector product of a derivation.

    ``E_W, E_H, E_b`` are the second direction; ``hess_g_arguments`` the pairs
    ``(S_k, A_k)``: to evaluate the HVP set ``S_k = hess g(R)[A_k(D)]``.
    """

    derivation: IndexFreeDerivation
    E_W: sp.MatrixSymbol
    E_H: sp.MatrixSymbol
    E_b: sp.MatrixSymbol
    bilinear_form: sp.Expr
    """``hess f[D, E]``, symmetric, with ``B(D, D) = Q(D)``."""
    hvp_W: sp.Basic
    hvp_H: sp.Basic
    hvp_b: sp.Basic
    hess_g_arguments: tuple[tuple[sp.MatrixSymbol, sp.Basic], ...]

    @property
    def hvp(self) -> dict[str, sp.Basic]:
        """``{"W": hvp_W, "H": hvp_H, "b": hvp_b}``."""
        return {"W": self.hvp_W, "H": self.hvp_H, "b": self.hvp_b}

    @property
    def second_directions(self) -> tuple[sp.MatrixSymbol, sp.MatrixSymbol, sp.MatrixSymbol]:
        return (self.E_W, self.E_H, self.E_b)


def derive_second_variation(derivation: IndexFreeDerivation | None = None) -> SecondVariation:
    """Polarise ``derivation.hessian_form`` and read off the Hessian-vector product
    (cached per derivation; a deliberately wrong derivation gives the matching wrong
    bilinear form and HVP, which is what the mutation tests need).

    >>> import dataclasses
    >>> D = derive_index_free()
    >>> bad = dataclasses.replace(D, hessian_form=D.hessian_form + sp.Trace(D.W.T * D.D_W))
    >>> derive_second_variation(bad)
    Traceback (most recent call last):
    ...
    ValueError: the Hessian form has a term of degree 1 in the direction: tr(W.T*D_W)
    """
    return _derive(derivation if derivation is not None else derive_index_free())


def _directional_parts(expr: sp.Expr) -> tuple[dict, list[tuple[sp.Expr, sp.Basic]]]:
    """Split a scalar form into its trace terms and ``[(c_k, A_k)]`` for the terms
    ``c_k HessianG(A_k, A_k)``; any other remainder is refused."""
    terms, rest = trace_terms(expr)
    hess: list[tuple[sp.Expr, sp.Basic]] = []
    for term in sp.Add.make_args(rest):
        if term == 0:
            continue
        factors = sp.Mul.make_args(term)
        hg = [f for f in factors if isinstance(f, HessianG)]
        coeff = sp.Mul(*[f for f in factors if not isinstance(f, HessianG)])
        if len(hg) != 1 or hg[0].args[0] != hg[0].args[1] or coeff.has(HessianG):
            raise ValueError(f"the Hessian form has a term {term} that is neither a trace nor "
                             "c * HessianG(A, A)")
        hess.append((coeff, hg[0].args[0]))
    return terms, hess


@lru_cache(maxsize=8)
def _derive(D: IndexFreeDerivation) -> SecondVariation:
    E_W = sp.MatrixSymbol("E_W", *D.D_W.shape)
    E_H = sp.MatrixSymbol("E_H", *D.D_H.shape)
    E_b = sp.MatrixSymbol("E_b", *D.D_b.shape)
    s = sp.Dummy("s")
    to_E = {D.D_W: E_W, D.D_H: E_H, D.D_b: E_b}
    shift = {D.D_W: D.D_W + s * E_W, D.D_H: D.D_H + s * E_H, D.D_b: D.D_b + s * E_b}
    Q = D.hessian_form
    terms, hess = _directional_parts(Q)
    directions = (D.D_W, D.D_H, D.D_b)
    for word in terms:
        n = sum(1 for atom in word if atom[0] in directions)
        if n != 2:
            raise ValueError(f"the Hessian form has a term of degree {n} in the direction: "
                             f"tr({word_str(word)})")

    # the trace part T(D + s E) by degree in s
    by_s = split_by_degree(trace_terms(trace_terms_to_expr(terms).xreplace(shift))[0], s)
    by_s += [{}] * (3 - len(by_s))
    if len(by_s) > 3:
        raise ValueError("the Hessian form is not quadratic in the direction")
    if not trace_equal(trace_terms_to_expr(by_s[2]), trace_terms_to_expr(terms).xreplace(to_E)):
        raise ValueError("the Hessian form is not a quadratic form in the direction")
    T0 = trace_terms_to_expr(by_s[0])
    if not trace_equal(T0, trace_terms_to_expr(terms)):
        raise AssertionError("T(D + 0 E) should be T(D)")
    for A in (A for _, A in hess):
        for word in matrix_terms(A):
            if sum(1 for atom in word if atom[0] in directions) != 1:
                raise ValueError(f"HessianG argument {A} is not linear in the direction")

    # 1. the bilinear form
    half_dT = {w: c / 2 for w, c in by_s[1].items()}
    S_syms = tuple(sp.MatrixSymbol(f"S_{k + 1}", *D.G.shape) for k in range(len(hess)))
    bilinear = trace_terms_to_expr(half_dT) + sp.Add(
        *[c * HessianG(A, A.xreplace(to_E)) for c, A in hess])
    if not trace_equal(bilinear.xreplace({E_W: D.D_W, E_H: D.D_H, E_b: D.D_b}), Q):
        raise AssertionError("B(D, D) should be Q(D)")

    # 2. the Hessian-vector product: gradient of B(D, E) in E
    linear_in_E = trace_terms_to_expr(half_dT) + sp.Add(
        *[c * inner(S, A.xreplace(to_E)) for (c, A), S in zip(hess, S_syms, strict=True)])
    lin_terms, lin_rest = trace_terms(linear_in_E)
    if lin_rest != 0:
        raise AssertionError(f"unexpected non-trace part {lin_rest}")
    hvp = {X: gradient_from_trace_terms(lin_terms, X) for X in (E_W, E_H, E_b)}
    return SecondVariation(
        derivation=D, E_W=E_W, E_H=E_H, E_b=E_b, bilinear_form=bilinear,
        hvp_W=hvp[E_W], hvp_H=hvp[E_H], hvp_b=hvp[E_b],
        hess_g_arguments=tuple((S, A) for S, (_, A) in zip(S_syms, hess, strict=True)),
    )
