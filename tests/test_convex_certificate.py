"""The per-point global certificate (ufm_sym.convex.certificate): it holds at global
minimizers (closed-form and found from random starts) with a gap below 10^-(D-10),
fails at strict saddles naming the violated condition, fails visibly off a minimizer,
and its lower bound L is a valid lower bound on f* at any point."""

import mpmath
import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.closed_form import global_minimizer, global_value
from ufm_sym.convex import certificate as cert_mod
from ufm_sym.convex.certificate import dual_lower_bound, feasible_dual, global_certificate
from ufm_sym.convex.relaxation import conjugate_domain_violation, threshold
from ufm_sym.convex.solver import lbfgs_global_value
from ufm_sym.highprec.evaluate import grad_g, residual_R, to_mp_point
from ufm_sym.highprec.families import critical_points
from ufm_sym.highprec.linalg import spectral_norm

DPS = 50
SETTINGS = [
    Problem(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b=0),
    Problem(loss="ce", K=4, n=1, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-3"),
    Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
    Problem(loss="mse", K=4, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="0.1"),
]
IDS = [f"{p.loss}-K{p.K}-lb{p.lambda_b}" for p in SETTINGS]


@pytest.mark.parametrize("p", SETTINGS, ids=IDS)
def test_holds_at_the_closed_form_minimizer_with_45_digits(p):
    c = global_certificate(p, global_minimizer(p, dps=DPS + 20), dps=DPS)
    assert c.holds and c.violated == (), c.reason
    assert abs(c.duality_gap) <= mpmath.mpf(10) ** -(DPS - 10)
    assert c.gap_digits >= 45 and c.digits == DPS
    assert "global minimizer" in c.reason


@pytest.mark.parametrize("p", SETTINGS[::3], ids=IDS[::3])
def test_holds_at_minimizers_found_from_random_starts(p):
    """L-BFGS from a seeded random start, refined: no closed form is involved."""
    from ufm_sym.highprec.evaluate import num_params, unflatten
    from ufm_sym.highprec.float_start import minimize
    from ufm_sym.highprec.refine import refine_critical_point

    res = minimize(p, 0.3 * np.random.default_rng(5).standard_normal(num_params(p)))
    with mpmath.workdps(DPS + 20):
        start = unflatten(p, [mpmath.mpf(float(v)) for v in res.x])
        x = refine_critical_point(p, start, dps=DPS + 20).point
    c = global_certificate(p, x, dps=DPS)
    assert c.holds, c.reason
    assert c.gap_digits >= 45


@pytest.mark.parametrize("p", SETTINGS, ids=IDS)
def test_fails_at_strict_saddles_and_names_the_condition(p):
    recs = [r for r in critical_points(p, dps=DPS + 20) if not r.is_global_min]
    assert recs, "no saddle in the families"
    for rec in recs:
        c = global_certificate(p, rec.point, dps=DPS)
        assert not c.holds, rec.family
        assert "dual feasibility" in c.violated and "duality gap" in c.violated
        assert "dual feasibility fails: ||grad g(R)||_2 - sqrt(lW lH) = " in c.reason
        assert c.dual_feasibility > 1e-3 and c.duality_gap > 1e-3
        assert abs(c.alignment) < mpmath.mpf(10) ** -(DPS - 10)  # still a critical point


@pytest.mark.parametrize("p", SETTINGS, ids=IDS)
def test_fails_visibly_off_a_minimizer(p):
    W, H, b = global_minimizer(p, dps=DPS)
    with mpmath.workdps(DPS):
        rng = np.random.default_rng(6)
        E = mpmath.matrix(rng.standard_normal((p.K, p.d)).tolist()) * mpmath.mpf("1e-6")
        c = global_certificate(p, (W + E, H, b), dps=DPS)
    assert not c.holds and "duality gap" in c.violated
    assert c.duality_gap > 1e-20                          # visibly positive
    assert c.duality_gap < 1e-4                           # and small: a near-minimizer


def test_the_judged_digits_set_the_tolerance():
    p = SETTINGS[1]
    x = global_minimizer(p, dps=DPS)
    with mpmath.workdps(DPS):
        x20 = tuple(M.apply(lambda t: mpmath.mpf(mpmath.nstr(t, 20))) for M in x)
    assert not global_certificate(p, x20, dps=DPS).holds          # 20 digits judged as 50
    c = global_certificate(p, x20, dps=DPS, digits=20)
    assert c.holds and c.digits == 20 and c.tolerance > mpmath.mpf(10) ** -11


@pytest.mark.parametrize("p", SETTINGS, ids=IDS)
def test_the_lower_bound_is_valid_at_random_points(p):
    """L <= f* (the closed form) at random, non-critical points: the dual point is
    feasible (||Lambda||_2 <= tau, inside the domain of g*) and the bound finite."""
    rng = np.random.default_rng(7)
    with mpmath.workdps(DPS):
        fstar = global_value(p, dps=DPS)
        for scale in (0.1, 1.0, 3.0):
            W, H, b = (scale * rng.standard_normal(s) for s in ((p.K, p.d), (p.d, p.N), (p.K,)))
            x = to_mp_point(p, W, H, b)
            G = grad_g(p, residual_R(p, x))
            dual = feasible_dual(p, G)
            assert spectral_norm(dual.Lambda) <= threshold(p) * (1 + mpmath.mpf(10) ** -40)
            assert conjugate_domain_violation(p, dual.Lambda) <= mpmath.mpf(10) ** -40
            L = dual_lower_bound(p, dual.Lambda)
            assert mpmath.isfinite(L) and L <= fstar + mpmath.mpf(10) ** -40
            c = global_certificate(p, x, dps=DPS)
            assert c.lower_bound == L and c.duality_gap >= 0 and not c.holds


def test_a_wrong_conjugate_makes_the_bound_invalid(monkeypatch):
    """The validity test above can fail: with the CE conjugate missing its 1/N the bound
    exceeds f* at the closed-form minimizer."""
    p = SETTINGS[1]
    real = cert_mod.conjugate
    monkeypatch.setattr(cert_mod, "conjugate", lambda pr, L, **kw: real(pr, L, **kw) * pr.N)
    with mpmath.workdps(DPS):
        c = global_certificate(p, global_minimizer(p, dps=DPS), dps=DPS)
        assert c.lower_bound > global_value(p, dps=DPS) + 1e-3
        assert not c.holds and "exceeds f(x)" in c.reason


def test_lambda_b_zero_needs_a_zero_row_sum():
    p = SETTINGS[2]
    with mpmath.workdps(DPS):
        L = mpmath.matrix([[mpmath.mpf("1e-3")] * p.N] + [[0] * p.N] * (p.K - 1))
        assert dual_lower_bound(p, L) == -mpmath.inf          # Lambda 1 != 0
        assert dual_lower_bound(p, L - L) == 0                 # L(0) = -g*(0) = 0
        ce = SETTINGS[0]                                       # CE, lambda_b = 0
        R = mpmath.matrix([[12, 0, 0, 0, 0, 0], [0, 0, 12, 12, 0, 0], [0, 0, 0, 0, 12, 12]])
        d = feasible_dual(ce, grad_g(ce, R))   # the projection leaves the simplex here
        assert d.mixed > 0 and "mixed" in d.note
        assert conjugate_domain_violation(ce, d.Lambda) <= mpmath.mpf(10) ** -40
        assert dual_lower_bound(ce, d.Lambda) <= global_value(ce, dps=DPS)


def test_json_and_summary():
    p = SETTINGS[0]
    c = global_certificate(p, global_minimizer(p, dps=DPS), dps=DPS)
    j = c.to_json()
    assert j["holds"] is True and set(j) >= {"duality_gap", "dual_feasibility", "alignment",
                                             "reason", "lower_bound", "tolerance"}
    assert all(isinstance(j[k], str) for k in ("duality_gap", "dual_feasibility", "alignment"))
    assert c.summary().startswith("holds: duality gap")


def test_lbfgs_value_from_random_starts_matches_the_certificate():
    p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    f, gn = lbfgs_global_value(p, dps=40, starts=1)       # refined at dps + 10
    assert gn < mpmath.mpf(10) ** -35 and abs(f - global_value(p, dps=40)) < 1e-35
