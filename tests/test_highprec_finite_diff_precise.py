"""Finite differences of the objective at raised internal precision against the
*derived* Hessian form, along random directions with D1 != 0 (so that hess g is
exercised): >= 45 digits at dps 50 at global minimizers, random points and saddles,
for both losses; a derived form with a dropped or wrong term fails."""

from __future__ import annotations

import dataclasses

import mpmath
import numpy as np
import pytest
import sympy as sp

from ufm_sym import Problem
from ufm_sym.closed_form import global_minimizer
from ufm_sym.highprec.evaluate import hessian_form, to_mp_point
from ufm_sym.highprec.families import critical_points
from ufm_sym.highprec.finite_diff import (
    fd_directional,
    fd_directional_precise,
    fd_gradient_agreement,
    fd_hessian_form_agreement,
    precise_plan,
)
from ufm_sym.symbolic.expressions import HessianG
from ufm_sym.symbolic.index_free import derive_index_free

DPS = 50
DIGITS = 45

SETTINGS = {
    "ce": Problem("ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b="1e-2"),
    "mse": Problem("mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
}


def _random(p: Problem, rng: np.random.Generator, scale: float = 1.0):
    return to_mp_point(p, scale * rng.normal(size=(p.K, p.d)),
                       scale * rng.normal(size=(p.d, p.N)), scale * rng.normal(size=p.K))


def _points(loss: str):
    """Global minimizer, two random points and every default saddle of the setting."""
    p = SETTINGS[loss]
    rng = np.random.default_rng(2024)
    pts = [("global minimizer", global_minimizer(p, dps=60)),
           ("random", _random(p, rng, 0.7)), ("random (scale 2)", _random(p, rng, 2.0))]
    pts += [(r.family, r.point) for r in critical_points(p, kinds=("saddle",), dps=60)]
    return p, pts, rng


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_derived_form_agrees_with_precise_finite_differences(loss):
    p, pts, rng = _points(loss)
    assert len(pts) >= 4
    reached = {}
    for name, x in pts:
        D = _random(p, rng)
        a = fd_hessian_form_agreement(p, x, D, dps=DPS)
        # the direction moves R: the hess g term is exercised, and not small
        assert a.first_order_change > 0.1, name
        assert abs(a.hess_g_part) > mpmath.mpf("1e-3") * abs(a.derived), name
        assert a.digits >= DIGITS, f"{loss} {name}: {a.digits:.1f} digits"
        # the finite difference states how it was computed
        fd = a.finite_difference
        assert fd.internal_dps > DPS and fd.levels == 4 and fd.step < 1e-5
        assert fd.error_estimate < mpmath.mpf(10) ** -(DPS + 5)
        reached[name] = a.digits
    print(f"\n{loss}: digits reached at dps {DPS}: "
          + ", ".join(f"{k} {v:.1f}" for k, v in reached.items()))


def test_precise_beats_the_default_finite_differences():
    """The default stencil (evaluations at dps) stops near 36 digits; raising the internal
    precision reaches the working precision."""
    p = SETTINGS["ce"]
    rng = np.random.default_rng(3)
    x, D = _random(p, rng, 0.7), _random(p, rng)
    exact = hessian_form(p, x, D, dps=DPS + 30)
    with mpmath.workdps(DPS + 30):
        old, _ = fd_directional(p, x, D, order=2, dps=DPS)
        new = fd_directional_precise(p, x, D, order=2, dps=DPS).value
        err_old, err_new = abs(old - exact) / abs(exact), abs(new - exact) / abs(exact)
    assert err_old > mpmath.mpf(10) ** -42
    assert err_new < mpmath.mpf(10) ** -(DPS - 1)


def test_first_derivative_and_plan():
    p = SETTINGS["mse"]
    rng = np.random.default_rng(4)
    x, D = _random(p, rng), _random(p, rng)
    from ufm_sym.highprec.derived import derived_gradient
    from ufm_sym.highprec.evaluate import flatten

    est = fd_directional_precise(p, x, D, order=1, dps=DPS)
    with mpmath.workdps(DPS):
        slope = mpmath.fdot(flatten(derived_gradient(p, x, dps=DPS)), flatten(D))
        assert abs(est.value - slope) <= mpmath.mpf(10) ** -(DPS - 3) * max(1, abs(slope))
    h, internal = precise_plan(2, 60, levels=4, scale=10)
    assert internal == 84 and abs(h - mpmath.mpf("1e-7")) < mpmath.mpf("1e-20")
    with pytest.raises(ValueError):
        precise_plan(3, 60)


WRONG = {
    "hess g term dropped": lambda D: D.hessian_form - HessianG(D.first_order_change),
    "2<G, D_W D_H> without its 2": lambda D: D.hessian_form - sp.Trace(D.G.T * D.D_W * D.D_H),
    "lambda_W doubled": lambda D: D.hessian_form + D.lambda_W * sp.Trace(D.D_W.T * D.D_W),
    "lambda_b dropped": lambda D: D.hessian_form - D.lambda_b * sp.Trace(D.D_b.T * D.D_b),
}


@pytest.mark.parametrize("wrong", sorted(WRONG))
@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_a_wrong_derived_form_fails(loss, wrong):
    p = Problem(loss, K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b="1e-2")
    rng = np.random.default_rng(5)
    x, D = _random(p, rng, 0.7), _random(p, rng)
    D0 = derive_index_free()
    bad = dataclasses.replace(D0, hessian_form=WRONG[wrong](D0))
    assert fd_hessian_form_agreement(p, x, D, dps=DPS).digits >= DIGITS
    err, digits = fd_hessian_form_agreement(p, x, D, dps=DPS, derivation=bad)
    assert digits < 10, f"{wrong}: {digits:.1f} digits"


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_derived_gradient_agrees_with_precise_finite_differences(loss):
    p = Problem(loss, K=2, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b="1e-2")
    rng = np.random.default_rng(6)
    x = _random(p, rng, 0.7)
    assert fd_gradient_agreement(p, x, dps=DPS)[1] >= DIGITS
    doubled = derive_index_free((1, sp.S.Half, sp.S.Half))  # lambda_W ||W||^2, not / 2
    assert fd_gradient_agreement(p, x, dps=DPS, derivation=doubled)[1] < 10
