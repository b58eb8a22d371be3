"""ufm_sym.highprec.refine: Levenberg-Marquardt refinement to 1e-45 and beyond, with a
singular Hessian (rotation orbit, b-shift) and in invariant subspaces."""

from __future__ import annotations

import random

import mpmath
import numpy as np
import pytest

from ufm_sym import Problem, UFMInputError
from ufm_sym.closed_form import global_minimizer
from ufm_sym.highprec.evaluate import flatten, hessian_matrix, num_params, unflatten
from ufm_sym.highprec.float_start import minimize
from ufm_sym.highprec.linalg import symmetric_eigenvalues
from ufm_sym.highprec.refine import rank_mask, refine_critical_point

DPS = 60
TARGET = mpmath.mpf(10) ** -45


def _digits(h) -> float:
    return float(-mpmath.log10(h))


def _perturbed(p: Problem, x, scale: float, seed: int):
    rng = random.Random(seed)
    with mpmath.workdps(DPS):
        v = flatten(x)
        dv = [mpmath.mpf(rng.gauss(0, scale)) for _ in v]
        return unflatten(p, [a + b for a, b in zip(v, dv, strict=True)]), mpmath.sqrt(
            mpmath.fdot(dv, dv))


def test_singular_orbit_case_converges_superlinearly():
    """CE with lambda_b = 0 at the global minimizer: the Hessian has the rotation orbit
    (dimension 6 for d = 4, rank 3) plus the b -> b + c 1 direction in its null space."""
    p = Problem(loss="ce", K=4, n=1, lambda_W="0.01", lambda_H="0.02", lambda_b=0)
    xs = global_minimizer(p, dps=DPS)
    with mpmath.workdps(DPS):
        ev = symmetric_eigenvalues(hessian_matrix(p, xs), method="flint")
    assert sum(1 for e in ev if abs(e) < mpmath.mpf(10) ** -40) == 7  # singular Hessian
    x0, dnorm = _perturbed(p, xs, 1e-7, seed=1)
    res = refine_critical_point(p, x0, dps=DPS)
    assert res.converged and res.gradient_norm < TARGET
    assert res.iterations <= 6
    assert res.digits > 45
    # superlinear: the digits gained per step grow until the precision floor
    d = [_digits(h) for h in res.history]
    gains = [b - a for a, b in zip(d, d[1:], strict=False)]
    live = [g for g, b in zip(gains, d[1:], strict=False) if b < DPS - 15]
    assert all(g2 > g1 for g1, g2 in zip(live, live[1:], strict=False)), d
    # the orbit is not corrected: the move is about the normal part of the perturbation
    assert 0.3 * dnorm < res.moved < 1.2 * dnorm
    assert res.point[0].rows == 4 and res.dps == DPS


def test_float64_rounded_minimizer_mse_regime_c():
    p = Problem(loss="mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.5")
    xs = global_minimizer(p, dps=DPS)
    rough = tuple(M.apply(lambda t: mpmath.mpf(float(t))) for M in xs)
    res = refine_critical_point(p, rough, dps=DPS)
    assert res.gradient_norm < TARGET and res.iterations <= 4
    assert res.moved < 1e-14
    assert res.history[0] > 1e-18  # the float64 start was not already critical


def test_exact_critical_point_does_not_move():
    p = Problem(loss="mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01")
    res = refine_critical_point(p, global_minimizer(p, dps=DPS), dps=DPS)
    assert res.iterations == 0 and res.moved == 0 and res.converged


def test_unrestricted_newton_keeps_a_saddle():
    """LM converges to the nearest critical point whatever its index: started at a
    float64 rank-1 saddle it stays there (a descent method would leave it)."""
    p = Problem(loss="mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.1")
    mask = np.array(rank_mask(p, 1))
    rng = np.random.default_rng(0)
    x0 = np.where(mask, rng.normal(size=mask.size) * 0.3, 0.0)
    out = minimize(p, x0, basis=np.eye(mask.size)[:, mask])
    with mpmath.workdps(DPS):
        start = unflatten(p, [mpmath.mpf(float(t)) for t in out.x])
    res = refine_critical_point(p, start, dps=DPS)
    assert res.gradient_norm < TARGET
    assert res.moved < 1e-7
    with mpmath.workdps(DPS):
        ev = symmetric_eigenvalues(hessian_matrix(p, res.point), method="flint")
    assert ev[0] < -mpmath.mpf("1e-3")  # a strict saddle


def test_restricted_refinement_by_mask_is_critical_for_full_objective():
    p = Problem(loss="ce", K=4, n=1, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    mask = rank_mask(p, 2)
    rng = np.random.default_rng(3)
    m = np.array(mask)
    x0 = np.where(m, rng.normal(size=m.size), 0.0)
    out = minimize(p, x0, basis=np.eye(m.size)[:, m], gtol=1e-9)
    with mpmath.workdps(DPS):
        start = unflatten(p, [mpmath.mpf(float(t)) for t in out.x])
    res = refine_critical_point(p, start, dps=DPS, mask=mask)
    assert res.gradient_norm < TARGET and res.converged
    assert res.restricted_gradient_norm is not None
    assert res.restricted_gradient_norm <= res.gradient_norm + mpmath.mpf(10) ** -55
    flat = flatten(res.point)
    assert all(flat[i] == 0 for i in range(len(flat)) if not mask[i])


def test_non_invariant_subspace_is_reported_not_critical():
    """Freeing only W: grad_W = 0 is reached, but the full gradient is not zero."""
    p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.1")
    P = num_params(p)
    mask = [i < p.K * p.d for i in range(P)]
    rng = random.Random(5)
    with mpmath.workdps(DPS):
        x0 = unflatten(p, [mpmath.mpf(rng.gauss(0, 1)) for _ in range(P)])
    res = refine_critical_point(p, x0, dps=DPS, mask=mask)
    assert res.restricted_gradient_norm < TARGET
    assert not res.converged and res.gradient_norm > 1e-3


def test_basis_restriction_and_input_errors():
    p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5")
    P = num_params(p)
    # the b-only subspace: the origin family (0, 0, beta 1) with beta free
    e = [[1 if i == P - 2 else 0 for i in range(P)], [1 if i == P - 1 else 0 for i in range(P)]]
    with mpmath.workdps(DPS):
        x0 = unflatten(p, [0] * (P - 2) + [mpmath.mpf("0.3"), mpmath.mpf("0.4")])
    res = refine_critical_point(p, x0, dps=DPS, basis=e)
    with mpmath.workdps(DPS):
        assert abs(res.point[2][0] - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -50
    with pytest.raises(UFMInputError, match="not both"):
        refine_critical_point(p, x0, mask=[True] * P, basis=e)
    with pytest.raises(UFMInputError, match="mask"):
        refine_critical_point(p, x0, mask=[True] * 3)
    with pytest.raises(UFMInputError, match="r:"):
        rank_mask(p, 5)


def test_mpmath_fallback_without_flint(monkeypatch):
    """Without python-flint the LM system is solved by mpmath LU at 2 dps + 20."""
    import sys

    monkeypatch.setitem(sys.modules, "flint", None)
    p = Problem(loss="ce", K=2, n=1, lambda_W="0.05", lambda_H="0.05", lambda_b="0.01")
    xs = global_minimizer(p, dps=DPS)
    x0, _ = _perturbed(p, xs, 1e-8, seed=2)
    res = refine_critical_point(p, x0, dps=DPS)
    assert res.converged and res.gradient_norm < TARGET and res.iterations <= 5
