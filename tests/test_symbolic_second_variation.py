"""The bilinear form and the Hessian-vector product polarised from the derived (3.9)."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from ufm_sym.symbolic.expressions import HessianG, inner
from ufm_sym.symbolic.index_free import derive_index_free
from ufm_sym.symbolic.normal_form import matrix_equal, trace_equal
from ufm_sym.symbolic.second_variation import derive_second_variation


def test_the_paper_hvp_is_what_the_polarisation_gives():
    D = derive_index_free()
    V = derive_second_variation(D)
    (S, A), = V.hess_g_arguments
    assert matrix_equal(A, D.first_order_change)
    assert matrix_equal(V.hvp_W, S * D.H.T + D.G * D.D_H.T + D.lambda_W * D.D_W)
    assert matrix_equal(V.hvp_H, D.W.T * S + D.D_W.T * D.G + D.lambda_H * D.D_H)
    assert matrix_equal(V.hvp_b, S * D.ones_N + D.lambda_b * D.D_b)


def test_the_bilinear_form_is_symmetric_and_reads_back_the_hvp():
    D = derive_index_free()
    V = derive_second_variation(D)
    swap = {D.D_W: V.E_W, D.D_H: V.E_H, D.D_b: V.E_b, V.E_W: D.D_W, V.E_H: D.D_H,
            V.E_b: D.D_b}
    assert trace_equal(V.bilinear_form, V.bilinear_form.xreplace(swap))
    # <hvp, E> = B(D, E) with HessianG(A(D), A(E)) = <S, A(E)>
    (S, A), = V.hess_g_arguments
    to_E = {D.D_W: V.E_W, D.D_H: V.E_H, D.D_b: V.E_b}
    lhs = inner(V.hvp_W, V.E_W) + inner(V.hvp_H, V.E_H) + inner(V.hvp_b, V.E_b)
    rhs = V.bilinear_form.xreplace({HessianG(A, A.xreplace(to_E)): inner(S, A.xreplace(to_E))})
    assert trace_equal(lhs, rhs)


def test_a_wrong_form_gives_the_matching_wrong_hvp():
    D = derive_index_free()
    bad = dataclasses.replace(D, hessian_form=D.hessian_form
                              - 2 * sp.Trace(D.G.T * D.D_W * D.D_H))
    V = derive_second_variation(bad)
    assert matrix_equal(V.hvp_W, V.hess_g_arguments[0][0] * D.H.T + D.lambda_W * D.D_W)


@pytest.mark.parametrize("extra,message", [
    (lambda D: sp.Trace(D.W.T * D.D_W), "degree 1"),
    (lambda D: D.lambda_W, "neither a trace nor"),
    (lambda D: HessianG(D.D_W * D.H, D.W * D.D_H), "neither a trace nor"),
])
def test_a_form_that_is_not_quadratic_is_refused(extra, message):
    D = derive_index_free()
    bad = dataclasses.replace(D, hessian_form=D.hessian_form + extra(D))
    with pytest.raises(ValueError, match=message):
        derive_second_variation(bad)
