"""The explicit route: real CE / MSE losses on entry symbols."""

from __future__ import annotations

import pytest
import sympy as sp

from ufm_sym import UFMInputError
from ufm_sym.symbolic import explicit_loss, explicit_model


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_shapes(loss):
    m = explicit_model(loss, K=3, n=2)
    assert (m.W.shape, m.H.shape, m.b.shape, m.R.shape) == ((3, 3), (3, 6), (3, 1), (3, 6))
    assert m.grad_W.shape == (3, 3) and m.grad_H.shape == (3, 6) and m.grad_b.shape == (3, 1)
    assert len(m.variables) == 9 + 18 + 3


def test_d_given_separately():
    m = explicit_model("mse", K=2, n=1, d=3)
    assert m.W.shape == (2, 3) and m.H.shape == (3, 2)


def test_cached():
    assert explicit_model("ce", 2, 1) is explicit_model("ce", K=2, n=1, d=2)


def test_ce_objective_is_minus_log_softmax():
    """(1.1): at R = 0 every sample has loss log K."""
    m = explicit_model("ce", K=3, n=1)
    zero = {s: 0 for s in m.variables}
    assert sp.simplify(m.objective.xreplace(zero) - sp.log(3)) == 0


def test_mse_objective():
    """(1.4): at W = H = b = 0, f = ||Y||^2 / (2N) = 1/2."""
    m = explicit_model("mse", K=2, n=2)
    assert m.objective.xreplace({s: 0 for s in m.variables}) == sp.Rational(1, 2)


def test_mse_hessian_is_constant_in_lambda_b_block():
    m = explicit_model("mse", K=2, n=1)
    lw, lh, lb = m.lambdas
    # d^2 f / d b_1^2 = N/N + lambda_b
    i = m.variables.index(m.b[0])
    assert sp.expand(m.hessian[i, i]) == 1 + lb


def test_loss_closed_forms_exist():
    ell = explicit_loss("ce", K=2, n=1)
    assert ell.closed_form_grad.shape == (2, 2)
    assert ell.hessian.shape == (4, 4)


@pytest.mark.parametrize("args, match", [
    (("hinge", 2, 1), "loss"),
    (("ce", 1, 1), "K"),
    (("ce", 2, 0), "n"),
    (("ce", 2, 1, 0), "d"),
])
def test_bad_input(args, match):
    with pytest.raises(UFMInputError, match=match):
        explicit_model(*args)
