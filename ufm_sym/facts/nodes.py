r"""Logical nodes that the statements of facts need and SymPy lacks: an existential
quantifier, and an abstract convex function ``varphi`` with its value and gradient.

They are printed by :func:`ufm_sym.symbolic.latex.paper_latex` and evaluated by
:mod:`ufm_sym.facts.logic` (free symbols of a statement are universally quantified).

>>> import sympy as sp
>>> from ufm_sym.symbolic.latex import paper_latex
>>> W = sp.MatrixSymbol("W", 3, 2); a = sp.MatrixSymbol("a", 2, 1)
>>> paper_latex(Exists(a, sp.Eq(W * a, sp.ZeroMatrix(3, 1))))
'\\exists\\, \\mathbf{a} \\in \\mathbb{R}^{2}:\\ \\mathbf{W} \\mathbf{a} = \\mathbf{0}'
>>> X = sp.MatrixSymbol("X", 2, 2)
>>> paper_latex(FunctionValue("varphi", X)), paper_latex(FunctionGradient("varphi", X))
('\\varphi\\left(\\mathbf{X}\\right)', '\\nabla \\varphi\\left(\\mathbf{X}\\right)')
>>> paper_latex(IsConvex("varphi"))
'\\varphi \\text{ convex and differentiable}'
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.logic.boolalg import Boolean

__all__ = ["Exists", "FunctionGradient", "FunctionValue", "IsConvex"]


def _name(name: Any) -> sp.Symbol:
    return name if isinstance(name, sp.Symbol) else sp.Symbol(str(name))


def _latex_name(sym: sp.Symbol) -> str:
    return "\\" + sym.name if sym.name in ("varphi", "phi", "psi") else sym.name


def _matrix(x: Any, who: str) -> sp.Basic:
    x = sp.sympify(x)
    if not getattr(x, "is_Matrix", False):
        raise TypeError(f"{who}: expected a matrix expression, got {x!r}")
    return x


class Exists(Boolean):
    """``exists var: body``.  Numerically, the instance supplies the witness: the value
    of ``var`` in the environment is the one the fact's proof constructs."""

    def __new__(cls, var: sp.MatrixSymbol, body: Any) -> Exists:
        if not isinstance(var, sp.MatrixSymbol):
            raise TypeError(f"Exists: the bound variable must be a MatrixSymbol, got {var!r}")
        return Boolean.__new__(cls, var, sp.sympify(body))

    @property
    def variable(self) -> sp.MatrixSymbol:
        return self.args[0]

    @property
    def body(self) -> sp.Basic:
        return self.args[1]

    @property
    def free_symbols(self) -> set[sp.Basic]:
        return self.body.free_symbols - {self.variable}

    def _paper_latex(self, printer: Any) -> str:
        rows, cols = self.variable.shape
        space = printer._print(rows) if cols == 1 else (printer._print(rows) + r" \times "
                                                        + printer._print(cols))
        return (r"\exists\, " + printer._print(self.variable) + r" \in \mathbb{R}^{" + space
                + r"}:\ " + printer._print(self.body))


class FunctionValue(sp.Expr):
    """``varphi(X)``: the value of an abstract function named ``name`` at ``X``."""

    is_commutative = True
    is_real = True

    def __new__(cls, name: Any, X: Any) -> FunctionValue:
        return sp.Expr.__new__(cls, _name(name), _matrix(X, cls.__name__))

    @property
    def name(self) -> str:
        return self.args[0].name

    def _paper_latex(self, printer: Any) -> str:
        return _latex_name(self.args[0]) + r"\left(" + printer._print(self.args[1]) + r"\right)"


class FunctionGradient(sp.MatrixExpr):
    """``grad varphi(X)``: the gradient of the function ``name`` at ``X`` (``X``'s shape)."""

    def __new__(cls, name: Any, X: Any) -> FunctionGradient:
        return sp.Basic.__new__(cls, _name(name), _matrix(X, cls.__name__))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.args[1].shape

    def _paper_latex(self, printer: Any) -> str:
        return (r"\nabla " + _latex_name(self.args[0]) + r"\left(" + printer._print(self.args[1])
                + r"\right)")


class IsConvex(Boolean):
    """The hypothesis ``varphi is convex and differentiable``.  Numerically it is checked
    by the midpoint inequality at the points of the instance (the function itself is
    convex by construction)."""

    def __new__(cls, name: Any) -> IsConvex:
        return Boolean.__new__(cls, _name(name))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def free_symbols(self) -> set[sp.Basic]:
        return set()

    def _paper_latex(self, printer: Any) -> str:
        return _latex_name(self.args[0]) + r" \text{ convex and differentiable}"
