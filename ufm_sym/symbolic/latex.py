r"""LaTeX in the paper's notation, for the appendix and the notebooks.

:class:`PaperLatexPrinter` is a SymPy ``LatexPrinter`` that prints matrices bold
(``\mathbf{W}``), transposes as ``^\top``, traces as ``\operatorname{tr}``, ``G`` as
``\nabla g(\mathbf{R})``, ``ones_N`` as ``\mathbf{1}_N``, the directions ``D_W`` as
``\boldsymbol{\Delta}_W``, ``lambda_W`` as ``\lambda_W``, :class:`~.expressions.HessianG`
as ``\nabla^2 g(\mathbf{R})[\cdot,\cdot]`` and :class:`~.expressions.FrobeniusNorm` as
``\|\cdot\|_F``.  With ``inner_products=True`` (the default) ``tr(A^T A)`` prints as
``\|A\|_F^2`` (``\|a\|_2^2`` for a column vector) and ``tr(A^T B)`` as
``\langle A, B\rangle``, the paper's way of writing them.

Statements that are Boolean formulas read as sentences: ``Implies`` prints as
``\Longrightarrow``, ``Equivalent`` as ``\Longleftrightarrow``, ``And`` and ``Or`` as
the words *and* and *or*, with parentheses only where the nesting needs them:

>>> x, y, z = sp.symbols("x y z")
>>> print(paper_latex(sp.Implies(sp.And(x > 0, y > 0), sp.Or(z > 0, sp.Eq(z, x)))))
x > 0 \;\text{and}\; y > 0 \;\Longrightarrow\; z = x \;\text{or}\; z > 0
>>> print(paper_latex(sp.And(sp.Or(x > 0, y > 0), z > 0)))
z > 0 \;\text{and}\; \left(x > 0 \;\text{or}\; y > 0\right)

>>> from ufm_sym.symbolic.index_free import derive_index_free
>>> D = derive_index_free()
>>> print(paper_latex(D.grad_W))
\lambda_W \mathbf{W} + \nabla g(\mathbf{R}) \mathbf{H}^\top
>>> print(paper_latex(D.second_order_change))
\boldsymbol{\Delta}_W \boldsymbol{\Delta}_H
>>> print(paper_latex(D.lambda_b * sp.Trace(D.D_b.T * D.D_b)))
\lambda_b \left\|\boldsymbol{\Delta}_b\right\|_2^{2}
>>> print(paper_latex(sp.Trace(D.W.T * D.D_W), inner_products=False))
\operatorname{tr}\left(\mathbf{W}^\top \boldsymbol{\Delta}_W\right)
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

from .expressions import FrobeniusNorm, HessianG, LossG

__all__ = ["PaperLatexPrinter", "paper_latex"]

_SPECIAL_MATRICES = {
    "G": r"\nabla g(\mathbf{R})",
    "ones_N": r"\mathbf{1}_N",
    "ones_K": r"\mathbf{1}_K",
    "ones_n": r"\mathbf{1}_n",
}


def _sub(text: str) -> str:
    return text if len(text) == 1 or (text.startswith("{") and text.endswith("}")) \
        else "{" + text + "}"


#: how tightly each Boolean connective binds (a lower number binds more loosely)
_BOOLEAN_PRECEDENCE: dict[str, int] = {"Equivalent": 1, "Implies": 2, "Or": 3, "And": 4,
                                       "Not": 5}
#: the LaTeX of each connective between its operands
_BOOLEAN_JOIN: dict[str, str] = {
    "Equivalent": r" \;\Longleftrightarrow\; ",
    "Implies": r" \;\Longrightarrow\; ",
    "Or": r" \;\text{or}\; ",
    "And": r" \;\text{and}\; ",
}


class PaperLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the paper's notation (see the module docstring)."""

    printmethod = "_paper_latex"
    _default_settings = dict(LatexPrinter._default_settings, inner_products=True)

    # -------------------------------------------------------------- symbols
    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        name = expr.name
        if name in _SPECIAL_MATRICES:
            return _SPECIAL_MATRICES[name]
        if "\\" in name:  # a name that is already LaTeX (``\nabla f``): print it as it is
            return name
        base, _, sup = name.partition("^")   # ``w^k``: a row of W, bold w, index up
        base, _, sub = base.partition("_")
        if base == "D" and sub:
            head = r"\boldsymbol{\Delta}_" + _sub(sub)
        else:
            head = r"\mathbf{" + base + "}" + ("_" + _sub(sub) if sub else "")
        return head + ("^" + _sub(sup) if sup else "")

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        rows, cols = (self._print(x) for x in expr.shape)
        if expr.shape[1] == 1:
            return r"\mathbf{1}_" + _sub(rows)
        if expr.shape[0] == 1:
            return r"\mathbf{1}_" + _sub(cols) + r"^\top"
        return r"\mathbf{1}_" + _sub(rows) + r"\mathbf{1}_" + _sub(cols) + r"^\top"

    def _print_Identity(self, expr: sp.Identity) -> str:
        return r"\mathbf{I}_" + _sub(self._print(expr.shape[0]))

    def _print_ZeroMatrix(self, expr: sp.ZeroMatrix) -> str:
        return r"\mathbf{0}"

    # ------------------------------------------------------------ logic
    def _boolean_operand(self, arg: Any, outer: str) -> str:
        inner = _BOOLEAN_PRECEDENCE.get(type(arg).__name__)
        tex = self._print(arg)
        mixed = {type(arg).__name__, outer} == {"And", "Or"}   # always bracketed
        if inner is not None and (inner <= _BOOLEAN_PRECEDENCE[outer] or mixed) and inner < 5:
            return r"\left(" + tex + r"\right)"
        return tex

    def _print_boolean(self, expr: Any, name: str) -> str:
        return _BOOLEAN_JOIN[name].join(self._boolean_operand(a, name) for a in expr.args)

    def _print_And(self, expr: Any) -> str:
        return self._print_boolean(expr, "And")

    def _print_Or(self, expr: Any) -> str:
        return self._print_boolean(expr, "Or")

    def _print_Implies(self, expr: Any) -> str:
        return self._print_boolean(expr, "Implies")

    def _print_Equivalent(self, expr: Any) -> str:
        return self._print_boolean(expr, "Equivalent")

    def _print_Not(self, expr: Any) -> str:
        return r"\text{not}\ " + self._boolean_operand(expr.args[0], "Not")

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if "\\" in expr.name:  # a symbol whose name is already LaTeX: print it as it is
            return expr.name
        base, _, sub = expr.name.partition("_")
        if base == "lambda" and sub:
            return r"\lambda_" + _sub(sub)
        return super()._print_Symbol(expr, style=style)

    # ------------------------------------------------------------- matrices
    def _print_Transpose(self, expr: sp.Transpose) -> str:
        arg = expr.arg
        inner = self._print(arg)
        if isinstance(arg, sp.MatrixSymbol) and "^" not in inner:
            return inner + r"^\top"
        return r"\left(" + inner + r"\right)^\top"

    def _print_Trace(self, expr: sp.Trace) -> str:
        arg = expr.arg
        if self._settings["inner_products"] and isinstance(arg, sp.MatMul):
            coeff, mats = arg.as_coeff_matrices()
            if coeff == 1 and len(mats) >= 2 and isinstance(mats[0], sp.Transpose):
                A = mats[0].arg
                B = mats[1] if len(mats) == 2 else sp.MatMul(*mats[1:])
                if A == B:
                    kind = "2" if A.shape[1] == 1 else "F"
                    return r"\left\|" + self._print(A) + r"\right\|_" + kind + "^{2}"
                return (r"\left\langle " + self._print(A) + ", " + self._print(B)
                        + r"\right\rangle")
        return r"\operatorname{tr}\left(" + self._print(arg) + r"\right)"

    # -------------------------------------------------------- custom nodes
    def _print_HessianG(self, expr: HessianG) -> str:
        A, B = expr.args
        return (r"\nabla^2 g(\mathbf{R})\left[" + self._print(A) + ", " + self._print(B)
                + r"\right]")

    def _print_LossG(self, expr: LossG) -> str:
        return r"g\left(" + self._print(expr.args[0]) + r"\right)"

    def _print_FrobeniusNorm(self, expr: FrobeniusNorm) -> str:
        return r"\left\|" + self._print(expr.args[0]) + r"\right\|_F"

    def _print_Pow(self, expr: sp.Pow) -> str:
        if isinstance(expr.base, FrobeniusNorm):
            return self._print(expr.base) + "^{" + self._print(expr.exp) + "}"
        return super()._print_Pow(expr)


def paper_latex(expr: Any, **settings: Any) -> str:
    r"""LaTeX of ``expr`` in the paper's notation (settings as for ``sympy.latex``,
    plus ``inner_products``).

    >>> import sympy as sp
    >>> from ufm_sym.symbolic.expressions import frobenius_norm
    >>> A = sp.MatrixSymbol("A", 2, 2)
    >>> paper_latex(frobenius_norm(A)**2)
    '\\left\\|\\mathbf{A}\\right\\|_F^{2}'
    """
    return PaperLatexPrinter(settings).doprint(expr)
