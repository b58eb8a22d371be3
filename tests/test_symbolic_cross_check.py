"""The index-free derivation against the explicit route, exactly; and mutations of the
derivation that the cross-check must reject."""

from __future__ import annotations

import dataclasses
import time
from functools import cache

import pytest
import sympy as sp

from ufm_sym.symbolic import HessianG, cross_check, derive_index_free, inner
from ufm_sym.symbolic.cross_check import ZeroTester

SIZES = [(K, n) for K in (2, 3) for n in (1, 2)]
COMMON = ["grad_W", "grad_H", "grad_b", "hessian form"]
CE_ONLY = ["grad g = softmax form (softmax(R) - Y)/N", "1_K^T grad g = 0 (3.6)",
           "hess g = (1/N) sum_cols (d^T diag(p) d - (p^T d)^2)"]
MSE_ONLY = ["grad g = (R - Y)/N", "hess g = ||D||_F^2 / N"]


@cache
def results(loss: str, K: int, n: int):
    return {r.name: r for r in cross_check(loss, K, n)}


def _cases():
    for loss, names in (("ce", COMMON + CE_ONLY), ("mse", COMMON + MSE_ONLY)):
        for K, n in SIZES:
            for name in names:
                yield pytest.param(loss, K, n, name, id=f"{loss}-K{K}-n{n}-{name}")


@pytest.mark.parametrize("loss, K, n, name", list(_cases()))
def test_route_agrees_exactly(loss, K, n, name):
    r = results(loss, K, n)[name]
    assert r.passed, r.detail
    assert r.residual == "exact"
    assert r.seconds >= 0 and r.route


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_check_names(loss):
    names = list(results(loss, 2, 1))
    assert names == COMMON + (CE_ONLY if loss == "ce" else MSE_ONLY)


def test_d_different_from_K():
    assert all(r.passed for r in cross_check("mse", K=2, n=1, d=3))
    assert all(r.passed for r in cross_check("ce", K=2, n=1, d=1))


# ----------------------------------------------------------------------- mutations
D = derive_index_free()
G, W, H, b, ones = D.G, D.W, D.H, D.b, D.ones_N
lw, lh, lb = D.lambdas


def _failed(loss, derivation, K=2, n=1):
    return {r.name: r for r in cross_check(loss, K, n, derivation=derivation)
            if not r.passed}


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_flipped_sign_in_grad_W_fails(loss):
    bad = dataclasses.replace(D, grad_W=-G * H.T + lw * W)
    failed = _failed(loss, bad)
    assert set(failed) == {"grad_W"}
    assert failed["grad_W"].residual != "exact" and float(failed["grad_W"].residual) > 0
    assert "differ" in failed["grad_W"].detail


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_dropped_half_in_penalty_fails(loss):
    """The gradient of lambda ||W||^2 (no 1/2) is 2 lambda W: rejected."""
    bad = dataclasses.replace(D, grad_W=G * H.T + 2 * lw * W)
    assert set(_failed(loss, bad)) == {"grad_W"}


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_derivation_of_objective_without_half_fails(loss):
    """Derived (not hand-edited) from f with lambda ||.||^2: every route fails."""
    bad = derive_index_free((1, 1, 1))
    assert set(_failed(loss, bad)) == {"grad_W", "grad_H", "grad_b", "hessian form"}


@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("factor", [1, 4])
def test_wrong_factor_2_in_hessian_fails(loss, factor):
    bad_form = D.hessian_form + (factor - 2) * inner(G, D.D_W * D.D_H)
    bad = dataclasses.replace(D, hessian_form=bad_form)
    failed = _failed(loss, bad)
    assert set(failed) == {"hessian form"}
    assert float(failed["hessian form"].residual) > 0


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_missing_hess_g_term_fails(loss):
    hess = [a for a in sp.Add.make_args(D.hessian_form) if isinstance(a, HessianG)][0]
    bad = dataclasses.replace(D, hessian_form=D.hessian_form - hess)
    assert set(_failed(loss, bad)) == {"hessian form"}


def test_mutation_caught_at_larger_size():
    bad = dataclasses.replace(D, grad_b=G * ones + 2 * lb * b)
    assert set(_failed("ce", bad, K=3, n=2)) == {"grad_b"}


def test_unevaluable_derivation_fails_cleanly():
    bad = dataclasses.replace(D, grad_H=sp.Inverse(W.T * W) * H)
    failed = _failed("mse", bad)
    assert set(failed) == {"grad_H"}
    assert failed["grad_H"].residual == "nan" and "error" in failed["grad_H"].detail


# ----------------------------------------------------------------------- zero tester
def test_zero_tester_softmax_identities():
    r = sp.ImmutableMatrix(3, 1, sp.symbols("r1:4", real=True))
    z = ZeroTester(r)
    e = [sp.exp(x) for x in r]
    S = sum(e)
    assert z.is_zero(sum(ei / S for ei in e) - 1)
    assert z.is_zero(sp.exp(2 * r[0]) / S**2 - (e[0] / S) ** 2)
    assert not z.is_zero(e[0] / S - sp.Rational(1, 3))
    # a non-Laurent expression falls back to cancel
    assert z.is_zero((r[0] ** 2 - 1) / (r[0] - 1) - r[0] - 1)


def test_zero_tester_refuses_foreign_exp_arguments():
    r = sp.ImmutableMatrix(2, 1, sp.symbols("r1:3", real=True))
    with pytest.raises(ValueError, match="not a combination"):
        ZeroTester(r).is_zero(sp.exp(sp.Symbol("q")))


@pytest.mark.slow
def test_full_cross_check_is_fast():
    """Both losses, K in {2, 3}, n in {1, 2}: well under 60 s (it takes ~10 s)."""
    from ufm_sym.symbolic.explicit import _explicit_loss, _explicit_model

    _explicit_model.cache_clear()
    _explicit_loss.cache_clear()
    t0 = time.perf_counter()
    for loss in ("ce", "mse"):
        for K, n in SIZES:
            assert all(r.passed for r in cross_check(loss, K, n))
    assert time.perf_counter() - t0 < 60
