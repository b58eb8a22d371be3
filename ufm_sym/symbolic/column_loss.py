"""The data term column by column, and its derivatives by ``sympy.diff``.

The data term of (1.3)/(1.4) is a mean over the columns of ``R``::

    g(R) = (1/N) sum_j ell(r_j, y_j),
    CE:  ell(r, y) = log(sum_l exp(r_l)) - y^T r,     MSE:  ell(r, y) = ||r - y||^2 / 2,

with ``r_j`` the ``j``-th column of ``R`` and ``y_j`` the one-hot label of column ``j``
(``y^T r = r_{true}`` for a one-hot ``y``).  Here ``ell`` is written once on ``K`` real
symbols ``r_1..r_K`` and ``y_1..y_K``; its gradient ``d ell/d r`` and Hessian
``d^2 ell/d r^2`` come from ``sympy.diff``, nothing is typed.  Hence

    grad g(R)[:, j]     = (1/N) grad ell(r_j, y_j),
    hess g(R)[A, B]     = (1/N) sum_j a_j^T hess ell(r_j) b_j,

which is how :mod:`ufm_sym.highprec.derived` and :mod:`ufm_sym.numeric.derived`
evaluate the abstract ``G`` and ``HessianG`` of the index-free derivation.  The tests
check that ``(1/N) sum_j ell(r_j, y_j)`` is exactly the explicit loss of
:mod:`.explicit` (and so the same function as ``sympy.hessian`` differentiates there).

The derivatives are lambdified (with common subexpressions shared) for ``mpmath`` or
for an array-API namespace (NumPy, PyTorch): the array version takes rows of ``R`` and
``Y`` and works on all columns at once.

>>> ell = column_loss("ce", 2)
>>> ell.value
-r_1*y_1 - r_2*y_2 + log(exp(r_1) + exp(r_2))
>>> ell.gradient[0]
-y_1 + exp(r_1)/(exp(r_1) + exp(r_2))
>>> column_loss("mse", 2).hessian
Matrix([
[1, 0],
[0, 1]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sympy as sp

from ..model import LOSSES, UFMInputError

__all__ = ["ColumnLoss", "column_loss"]


@dataclass(frozen=True, eq=False)
class ColumnLoss:
    """``ell(r, y)`` for one column, with its derived gradient and Hessian in ``r``."""

    loss: str
    K: int
    r: tuple[sp.Symbol, ...] = field(repr=False)
    y: tuple[sp.Symbol, ...] = field(repr=False)
    value: sp.Expr = field(repr=False)
    gradient: tuple[sp.Expr, ...] = field(repr=False)
    """``d ell / d r_l`` by ``sympy.diff``, ``l = 1..K``."""
    hessian: sp.ImmutableMatrix = field(repr=False)
    """``d^2 ell / d r_l d r_m`` by ``sympy.diff`` (it does not involve ``y``)."""

    def _args(self) -> tuple[sp.Symbol, ...]:
        return self.r + self.y

    def mpmath_functions(self) -> tuple[Callable[..., list[Any]], Callable[..., list[Any]]]:
        """``(grad, hess)``: functions of ``(r_1..r_K, y_1..y_K)`` (``mpf``) returning the
        ``K`` gradient entries and the ``K^2`` Hessian entries (row-major), evaluated
        at the current ``mpmath.mp.dps``."""
        return _lambdified(self.loss, self.K, "mpmath")

    def array_functions(self, xp: Any) -> tuple[Callable[..., list[Any]],
                                                Callable[..., list[Any]]]:
        """As :meth:`mpmath_functions`, with ``exp`` and ``log`` from the array-API
        namespace ``xp``: pass the ``K`` rows of ``R`` and of ``Y`` (each of length
        ``N``) to evaluate every column at once.  Constant entries come back as Python
        numbers (broadcast them)."""
        return _lambdified(self.loss, self.K, xp)


def column_loss(loss: str, K: int) -> ColumnLoss:
    """The column loss of ``loss`` (``"ce"`` or ``"mse"``) for ``K`` classes (cached).

    >>> column_loss("hinge", 2)
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: loss: unknown loss 'hinge' (expected one of: ce, mse)
    """
    if loss not in LOSSES:
        raise UFMInputError(f"loss: unknown loss {loss!r} (expected one of: {', '.join(LOSSES)})")
    if not isinstance(K, int) or isinstance(K, bool) or K < 2:
        raise UFMInputError(f"K: {K!r} must be an integer >= 2")
    return _column_loss(loss, K)


@cache
def _column_loss(loss: str, K: int) -> ColumnLoss:
    r = tuple(sp.Symbol(f"r_{i + 1}", real=True) for i in range(K))
    y = tuple(sp.Symbol(f"y_{i + 1}", real=True) for i in range(K))
    if loss == "ce":
        value = sp.log(sp.Add(*[sp.exp(x) for x in r])) - sp.Add(*[a * b for a, b in zip(
            r, y, strict=True)])
    else:
        value = sp.Add(*[(a - b) ** 2 for a, b in zip(r, y, strict=True)]) / 2
    grad = tuple(sp.diff(value, x) for x in r)
    hess = sp.ImmutableMatrix(K, K, lambda i, j: sp.diff(grad[i], r[j]))
    if hess.free_symbols & set(y):
        raise AssertionError("the column Hessian should not involve the labels")
    return ColumnLoss(loss, K, r, y, value, grad, hess)


_LAMBDIFIED: dict[tuple[str, int, Any], tuple[Callable[..., Any], Callable[..., Any]]] = {}


def _lambdified(loss: str, K: int, xp: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    key = (loss, K, "mpmath" if xp == "mpmath" else getattr(xp, "__name__", id(xp)))
    if key not in _LAMBDIFIED:
        ell = _column_loss(loss, K)
        modules: Any = "mpmath" if xp == "mpmath" else [{"exp": xp.exp, "log": xp.log}]
        args = ell._args()
        _LAMBDIFIED[key] = (
            sp.lambdify(args, list(ell.gradient), modules=modules, cse=True),
            sp.lambdify(args, list(ell.hessian), modules=modules, cse=True),
        )
    return _LAMBDIFIED[key]
