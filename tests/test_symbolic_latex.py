"""LaTeX in the paper's notation."""

from __future__ import annotations

import sympy as sp

from ufm_sym.symbolic import HessianG, derive_index_free, frobenius_norm, paper_latex

D = derive_index_free()


def test_gradients():
    assert paper_latex(D.grad_W) == r"\lambda_W \mathbf{W} + \nabla g(\mathbf{R}) \mathbf{H}^\top"
    assert paper_latex(D.grad_H) == r"\lambda_H \mathbf{H} + \mathbf{W}^\top \nabla g(\mathbf{R})"
    assert paper_latex(D.grad_b) == r"\lambda_b \mathbf{b} + \nabla g(\mathbf{R}) \mathbf{1}_N"


def test_directions_and_hessian_pieces():
    assert paper_latex(D.second_order_change) == r"\boldsymbol{\Delta}_W \boldsymbol{\Delta}_H"
    tex = paper_latex(D.hessian_form)
    assert r"2 \left\langle \nabla g(\mathbf{R}), \boldsymbol{\Delta}_W \boldsymbol{\Delta}_H" \
           r"\right\rangle" in tex
    assert r"\lambda_W \left\|\boldsymbol{\Delta}_W\right\|_F^{2}" in tex
    assert r"\lambda_b \left\|\boldsymbol{\Delta}_b\right\|_2^{2}" in tex
    assert r"\nabla^2 g(\mathbf{R})\left[" in tex


def test_trace_transpose_and_norm():
    A = sp.MatrixSymbol("A", 2, 3)
    B = sp.MatrixSymbol("B", 3, 3)
    assert paper_latex(sp.Trace(B)) == r"\operatorname{tr}\left(\mathbf{B}\right)"
    assert paper_latex(sp.Transpose(A.T * A)) == r"\left(\mathbf{A}^\top \mathbf{A}\right)^\top"
    assert paper_latex(frobenius_norm(A)) == r"\left\|\mathbf{A}\right\|_F"
    assert paper_latex(sp.Trace(A.T * A), inner_products=False) == \
        r"\operatorname{tr}\left(\mathbf{A}^\top \mathbf{A}\right)"
    assert paper_latex(HessianG(A)) == \
        r"\nabla^2 g(\mathbf{R})\left[\mathbf{A}, \mathbf{A}\right]"


def test_symbols():
    assert paper_latex(D.lambda_W) == r"\lambda_W"
    assert paper_latex(2 * sp.sqrt(D.lambda_W)) == r"2 \sqrt{\lambda_W}"
    assert paper_latex(D.R) == r"\mathbf{W} \mathbf{H} + \mathbf{b} \mathbf{1}_N^\top"
