"""Scalar expression nodes the index-free derivation needs and SymPy lacks.

* :class:`HessianG` -- the abstract Hessian of the data term as a symmetric bilinear
  form, ``nabla^2 g(R)[A, B]``.  It is a placeholder: :mod:`.cross_check` and
  :mod:`.evaluate` substitute the explicit loss's second derivative for it.
* :class:`LossG` -- the abstract data term ``g(R)``.
* :class:`FrobeniusNorm` -- ``||A||_F`` (printed as such by :mod:`.latex`).
* :func:`inner` -- the trace inner product ``<A, B> = tr(A^T B)``.

>>> import sympy as sp
>>> A = sp.MatrixSymbol("A", 2, 3); B = sp.MatrixSymbol("B", 2, 3)
>>> HessianG(A, B) == HessianG(B, A)          # symmetric
True
>>> HessianG(A)
HessianG(A, A)
>>> inner(A, B)
Trace(A.T*B)
>>> HessianG(A, sp.MatrixSymbol("C", 3, 3))
Traceback (most recent call last):
...
ValueError: HessianG: shapes (2, 3) and (3, 3) differ
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.sorting import default_sort_key

__all__ = ["HessianG", "LossG", "FrobeniusNorm", "frobenius_norm", "inner"]


def _matrix_arg(x: Any, who: str) -> sp.Basic:
    x = sp.sympify(x)
    if not getattr(x, "is_Matrix", False):
        raise TypeError(f"{who}: expected a matrix expression, got {x!r}")
    return x


class HessianG(sp.Expr):
    """``nabla^2 g(R)[A, B]``: the Hessian of the data term ``g`` at ``R`` applied to
    two directions of ``R``'s shape.  Symmetric: the arguments are stored sorted.

    With one argument it is the quadratic form ``nabla^2 g(R)[A, A]``.
    """

    is_commutative = True
    is_real = True

    def __new__(cls, A: Any, B: Any = None) -> HessianG:
        A = _matrix_arg(A, "HessianG")
        B = A if B is None else _matrix_arg(B, "HessianG")
        if A.shape != B.shape:
            raise ValueError(f"HessianG: shapes {A.shape} and {B.shape} differ")
        A, B = sorted((A, B), key=default_sort_key)
        return sp.Expr.__new__(cls, A, B)

    @property
    def directions(self) -> tuple[sp.Basic, sp.Basic]:
        """The two directions ``(A, B)``."""
        return (self.args[0], self.args[1])

    def _sympystr(self, printer: Any) -> str:
        a, b = (printer._print(x) for x in self.args)
        return f"HessianG({a}, {b})"


class LossG(sp.Expr):
    """The abstract data term ``g(R)`` of (3.1): CE or MSE, left unspecified."""

    is_commutative = True
    is_real = True

    def __new__(cls, R: Any) -> LossG:
        return sp.Expr.__new__(cls, _matrix_arg(R, "LossG"))

    @property
    def argument(self) -> sp.Basic:
        return self.args[0]


class FrobeniusNorm(sp.Expr):
    """``||A||_F = sqrt(tr(A^T A))``; ``.doit()`` gives the trace form."""

    is_commutative = True
    is_real = True
    is_nonnegative = True

    def __new__(cls, A: Any) -> FrobeniusNorm:
        return sp.Expr.__new__(cls, _matrix_arg(A, "FrobeniusNorm"))

    @property
    def argument(self) -> sp.Basic:
        return self.args[0]

    def doit(self, **hints: Any) -> sp.Expr:
        A = self.args[0].doit(**hints) if hints.get("deep", True) else self.args[0]
        return sp.sqrt(sp.Trace(A.T * A))


def inner(A: Any, B: Any) -> sp.Expr:
    """The trace inner product ``<A, B> = tr(A^T B)`` (unevaluated ``Trace``)."""
    A = _matrix_arg(A, "inner")
    B = _matrix_arg(B, "inner")
    if A.shape != B.shape:
        raise ValueError(f"inner: shapes {A.shape} and {B.shape} differ")
    return sp.Trace(A.T * B)


def frobenius_norm(A: Any) -> FrobeniusNorm:
    """``||A||_F`` as an unevaluated node (printed ``\\|A\\|_F`` by :mod:`.latex`)."""
    return FrobeniusNorm(A)
