r"""LaTeX in the paper's notation, for the appendix and the notebooks.

:class:`PaperLatexPrinter` is a SymPy ``LatexPrinter`` that prints matrices bold
(``\mathbf{W}``), transposes as ``^\top``, traces as ``\operatorname{tr}``, ``G`` as
``\nabla g(\mathbf{R})``, ``ones_N`` as ``\mathbf{1}_N``, the directions ``D_W`` as
``\boldsymbol{\Delta}_W``, ``lambda_W`` as ``\lambda_W``, :class:`~.expressions.HessianG`
as ``\nabla^2 g(\mathbf{R})[\cdot,\cdot]`` and :class:`~.expressions.FrobeniusNorm` as
``\|\cdot\|_F``.  With ``inner_products=True`` (the default) ``tr(A^T A)`` prints as
``\|A\|_F^2`` (``\|a\|_2^2`` for a column vector) and ``tr(A^T B)`` as
``\langle A, B\rangle``, the paper's way of writing them.

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
    return text if len(text) == 1 else "{" + text + "}"


class PaperLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the paper's notation (see the module docstring)."""

    printmethod = "_paper_latex"
    _default_settings = dict(LatexPrinter._default_settings, inner_products=True)

    # -------------------------------------------------------------- symbols
    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        name = expr.name
        if name in _SPECIAL_MATRICES:
            return _SPECIAL_MATRICES[name]
        if "\\" in name:  # a name that is LaTeX already (\nabla^2 f): print it as it is
            return name
        base, _, sub = name.partition("_")
        if base == "D" and sub:
            return r"\boldsymbol{\Delta}_" + _sub(sub)
        head = r"\mathbf{" + base + "}"
        return head + ("_" + _sub(sub) if sub else "")

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if "\\" in expr.name:  # a symbol whose name is already LaTeX: print it as it is
            return expr.name
        base, _, sub = expr.name.partition("_")
        if base == "lambda" and sub:
            return r"\lambda_" + _sub(sub)
        return super()._print_Symbol(expr, style=style)

    # ------------------------------------------------------------- matrices
    def _print_OneMatrix(self, expr: Any) -> str:
        rows, cols = expr.shape
        if cols == 1:
            return r"\mathbf{1}_{" + self._print(rows) + "}"
        return (r"\mathbf{1}_{" + self._print(rows) + r"}\mathbf{1}_{" + self._print(cols)
                + r"}^\top")

    def _print_Identity(self, expr: Any) -> str:
        return r"\mathbf{I}_{" + self._print(expr.shape[0]) + "}"

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
