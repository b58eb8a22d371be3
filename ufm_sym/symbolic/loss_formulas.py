r"""The two losses written out for any ``K``: the column loss, its gradient and Hessian,
derived by ``sympy.diff`` on indexed sums (nothing typed), for the appendix and the
notebooks.

:mod:`.column_loss` writes the column loss on ``K`` explicit symbols for one concrete
``K``; here the same loss is written once with a symbolic ``K`` and an indexed column
``r_1..r_K``::

    CE:   ell(r, y) = log(sum_l exp(r_l)) - sum_l y_l r_l
    MSE:  ell(r, y) = (1/2) sum_l (r_l - y_l)^2

``sympy.diff`` in ``r_k`` and ``r_m`` gives Kronecker deltas inside the sums; summing
them out (``Sum.doit``, valid because ``k`` and ``m`` range over ``1..K``) gives the
gradient and Hessian entries.  For CE they are then written with the softmax
``p = softmax(r)`` by substituting its definition ``exp(r_i) = p_i sum_l exp(r_l)``:
``d ell/d r_k = p_k - y_k`` and ``d^2 ell/d r_k d r_m = delta_km p_k - p_k p_m``.  The
tests check both entries against :func:`~.column_loss.column_loss` for ``K`` = 2, 3, 4.

>>> F = loss_formulas("ce")
>>> F.gradient_entry
p[k] - y[k]
>>> F.hessian_entry
KroneckerDelta(k, m)*p[k] - p[k]*p[m]
>>> loss_formulas("mse").hessian_entry
KroneckerDelta(k, m)
>>> [caption for caption, _ in loss_derivation("mse")][:2]
['the column loss of one column r of R with its one-hot label y', 'its gradient (sympy.diff)']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import sympy as sp

from ..model import LOSSES, UFMInputError
from .expressions import LossG

__all__ = ["LossFormulas", "loss_derivation", "loss_formulas"]

K, N = sp.symbols("K N", positive=True, integer=True)
k, l, m, j = sp.symbols("k l m j", positive=True, integer=True)
r, y, p = sp.IndexedBase("r"), sp.IndexedBase("y"), sp.IndexedBase("p")


@dataclass(frozen=True)
class LossFormulas:
    """One loss for a symbolic number of classes ``K``: the column loss ``ell`` (an
    expression in ``r[l]``, ``y[l]``), its derived gradient entry ``d ell/d r[k]`` and
    Hessian entry ``d^2 ell/d r[k] d r[m]`` (CE: in the softmax ``p``), and the same
    entries before the softmax is substituted (``raw_*``, in ``exp(r[l])``)."""

    loss: str
    ell: sp.Expr
    raw_gradient_entry: sp.Expr
    raw_hessian_entry: sp.Expr
    gradient_entry: sp.Expr
    hessian_entry: sp.Expr


def _index_in_range(expr: sp.Expr) -> sp.Expr:
    """Resolve the ``Piecewise`` that ``Sum.doit`` leaves around a Kronecker delta: its
    first branch holds for an index in ``1..K``, which ``k`` and ``m`` are."""
    def first(*pairs: Any) -> Any:
        value, cond = pairs[0]
        free = cond.free_symbols if hasattr(cond, "free_symbols") else set()
        if not free <= {K, k, m}:
            raise AssertionError(f"unexpected condition {cond} in a derived entry")
        return value

    return expr.replace(sp.Piecewise, first)


def loss_formulas(loss: str) -> LossFormulas:
    """The derived formulas of ``loss`` (``"ce"`` or ``"mse"``; cached).

    >>> loss_formulas("hinge")
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: loss: unknown loss 'hinge' (expected one of: ce, mse)
    """
    if loss not in LOSSES:
        raise UFMInputError(f"loss: unknown loss {loss!r} (expected one of: {', '.join(LOSSES)})")
    return _loss_formulas(loss)


@cache
def _loss_formulas(loss: str) -> LossFormulas:
    if loss == "ce":
        ell = sp.log(sp.Sum(sp.exp(r[l]), (l, 1, K))) - sp.Sum(y[l] * r[l], (l, 1, K))
    else:
        ell = sp.Sum((r[l] - y[l]) ** 2, (l, 1, K)) / 2
    grad = _index_in_range(sp.diff(ell, r[k]).doit())
    hess = _index_in_range(sp.diff(sp.diff(ell, r[k]), r[m]).doit())
    if loss == "ce":
        total = sp.Sum(sp.exp(r[l]), (l, 1, K))
        softmax = {sp.exp(r[k]): p[k] * total, sp.exp(r[m]): p[m] * total}
        grad_p = sp.expand(sp.simplify(grad.subs(softmax)))
        hess_p = sp.expand(sp.simplify(hess.subs(softmax)))
    else:
        grad_p, hess_p = sp.expand(grad), sp.expand(hess)
    return LossFormulas(loss, ell, grad, hess, grad_p, hess_p)


def _named(tex: str) -> sp.Symbol:
    """A symbol whose name is LaTeX (printed as it is by the appendix)."""
    return sp.Symbol(tex)


def loss_derivation(loss: str) -> list[tuple[str, Any]]:
    """``(caption, SymPy object)`` steps that write ``loss`` out: the column loss, its
    derived gradient and Hessian entries, and ``g``, ``grad g`` and ``hess g`` of the
    whole ``K x N`` matrix ``R`` assembled from them column by column."""
    F = loss_formulas(loss)
    ell = _named(r"\ell(\mathbf{r}, \mathbf{y})")
    d_ell = _named(r"\frac{\partial \ell}{\partial r_k}")
    dd_ell = _named(r"\frac{\partial^2 \ell}{\partial r_k\, \partial r_m}")
    R = sp.MatrixSymbol("R", K, N)
    G = sp.IndexedBase(r"\left(\nabla g(\mathbf{R})\right)")
    column = _named(r"\frac{1}{N} \sum_{j=1}^{N} \ell(\mathbf{r}_j, \mathbf{y}_j)")
    steps: list[tuple[str, Any]] = [
        ("the column loss of one column r of R with its one-hot label y",
         sp.Eq(ell, F.ell, evaluate=False)),
    ]
    if loss == "ce":
        steps.append(("its gradient (sympy.diff), and the same with p = softmax(r)",
                      [sp.Eq(d_ell, F.raw_gradient_entry, evaluate=False),
                       sp.Eq(d_ell, F.gradient_entry, evaluate=False)]))
    else:
        steps.append(("its gradient (sympy.diff)", sp.Eq(d_ell, F.gradient_entry,
                                                          evaluate=False)))
    steps.append(("its Hessian (sympy.diff), which does not involve y",
                  sp.Eq(dd_ell, F.hessian_entry, evaluate=False)))
    steps.append(("the data term is the mean of the column losses of R",
                  sp.Eq(LossG(R), column, evaluate=False)))
    # column j of R is r_j: the entries of grad g and the Hessian form, column by column
    a = sp.IndexedBase("p" if loss == "ce" else "r")
    Yj, Dj = sp.IndexedBase("y"), sp.IndexedBase("d")
    per_column = {p[k]: a[k, j], p[m]: a[m, j], r[k]: a[k, j], r[m]: a[m, j], y[k]: Yj[k, j]}
    steps.append(("so grad g(R) has the gradient of column j, over N, in column j",
                  sp.Eq(G[k, j], F.gradient_entry.subs(per_column) / N, evaluate=False)))
    form = sp.Sum(sp.Sum(sp.Sum(Dj[k, j] * Dj[m, j] * F.hessian_entry.subs(per_column),
                                (m, 1, K)), (k, 1, K)), (j, 1, N)) / N
    steps.append(("and its Hessian form sums the column Hessians (the Kronecker delta "
                  "summed out)",
                  sp.Eq(_named(r"\nabla^2 g(\mathbf{R})[\mathbf{D}, \mathbf{D}]"),
                        _index_in_range(form.doit()), evaluate=False)))
    return steps
