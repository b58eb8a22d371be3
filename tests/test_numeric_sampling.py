"""Sampling critical points of each family and their validations; closed forms against
L-BFGS from random starts; and wrong claims that the validations must catch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.model import UFMInputError
from ufm_sym.numeric import (
    closed_form_global_minimizer,
    closed_form_global_value,
    escape_direction,
    hessian_bilinear,
    mse_critical_point,
    origin_point,
    validate,
)
from ufm_sym.numeric.closed_forms import centered_basis, mse_regime, random_rotation
from ufm_sym.numeric.escape import curvature_matches, predicted_curvature
from ufm_sym.numeric.optimize import (
    dead_class_subspace,
    find_critical,
    flatten,
    grad_norm,
    merged_subspace,
    minimize_lbfgs,
    rank_subspace,
)
from ufm_sym.numeric.sampling import Tolerances, plan, sample, sample_point

TOL = Tolerances()


# ------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("loss,d,lw,lh,lb,value", [
    # the closed forms of docs/math.md §3-4 at K = 4, n = 3, 12 digits
    ("mse", 6, "5e-3", "5e-3", "0", 0.025530762114),
    ("mse", 6, "1e-2", "2e-3", "0", 0.022877900077),
    ("mse", 6, "5e-3", "5e-3", "1e-2", 0.026768385876),
    ("mse", 6, "5e-3", "5e-3", "0.1", 0.032541016151),
    ("mse", 6, "0.2", "0.2", "0", 0.375),
    ("mse", 6, "0.05", "0.06", "5e-3", 0.231226879962),
    ("ce", 6, "5e-3", "5e-3", "5e-3", 0.149023231546),
    ("ce", 6, "1e-2", "1e-3", "0", 0.101858244878),
    ("ce", 6, "0.05", "0.05", "1e-3", 0.858283443963),
    ("ce", 6, "0.2", "0.2", "1e-3", math.log(4)),
])
def test_closed_form_values_match_the_reference_table(loss, d, lw, lh, lb, value):
    p = Problem(loss, K=4, n=3, d=d, lambda_W=lw, lambda_H=lh, lambda_b=lb)
    assert closed_form_global_value(p) == pytest.approx(value, abs=5e-13)
    x = closed_form_global_minimizer(p)
    assert grad_norm(p, x) <= 1e-14  # exact up to rounding


@pytest.mark.parametrize("loss,d,lb", [
    ("ce", 4, "5e-3"), ("ce", 4, "0"), ("ce", 6, "1e-2"),
    ("mse", 4, "0"), ("mse", 4, "1e-2"), ("mse", 4, "0.1"),  # regimes A, B, C
])
def test_lbfgs_from_random_starts_reaches_the_closed_form(loss, d, lb):
    """L-BFGS + Newton from 2 random starts: f = f* to 1e-9 relative, W W^T equals the
    closed form's to 1e-5, b matches (CE lambda_b > 0: b = 0 to 1e-4; CE lambda_b = 0: b
    constant), and the criterion ||grad g||_2 = sqrt(lW lH) holds to 1e-7."""
    p = Problem(loss, K=4, n=2, d=d, lambda_W="5e-3", lambda_H="5e-3", lambda_b=lb)
    fstar = closed_form_global_value(p)
    Wc, _, bc = closed_form_global_minimizer(p)
    if loss == "mse":
        assert mse_regime(p) == {"0": "A", "1e-2": "B", "0.1": "C"}[lb]
    rng = np.random.default_rng(0)
    for _ in range(2):
        x0 = tuple(0.5 * rng.standard_normal(s) for s in ((p.K, p.d), (p.d, p.N), (p.K,)))
        r = find_critical(p, x0)
        W, H, b = r.point
        assert abs(r.value - fstar) <= 1e-9 * max(1.0, abs(fstar))
        assert np.max(np.abs(W @ W.T - Wc @ Wc.T)) <= 1e-5
        if loss == "mse" or float(p.lambda_b) > 0:
            assert np.max(np.abs(b - bc)) <= 1e-4
        else:
            assert np.ptp(b) <= 1e-6
        rec = validate(p, r.point, "global", "global", escape=False,
                       tol=Tolerances(grad=1e-7, criterion=1e-6))
        assert rec.passed, rec.failures


def test_closed_form_bad_input():
    with pytest.raises(UFMInputError, match="d >= K - 1"):
        closed_form_global_minimizer(Problem("ce", K=4, n=2, d=2, lambda_W=1, lambda_H=1))
    with pytest.raises(UFMInputError, match="regime C"):
        closed_form_global_minimizer(Problem("mse", K=4, n=3, d=3, lambda_W="5e-3",
                                             lambda_H="5e-3", lambda_b="0.1"))
    p = Problem("mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b=0)
    with pytest.raises(UFMInputError, match="orthonormal"):
        mse_critical_point(p, np.ones((3, 1)))
    with pytest.raises(UFMInputError, match="mean direction"):
        mse_critical_point(p, None, mean=True)


# ------------------------------------------------------------------ families
FAMILY_CASES = [
    ("ce", "0.01", ["global", "origin", "rank", "merged", "dead"]),
    ("ce", "0", ["global", "rank", "merged", "dead"]),
    ("mse", "0", ["global", "origin", "subspace"]),
    ("mse", "0.01", ["subspace"]),
    ("mse", "0.1", ["global", "subspace"]),  # regime C: mean direction too
]


@pytest.mark.parametrize("loss,lb,kinds", FAMILY_CASES)
def test_every_family_validates(loss, lb, kinds):
    """Each sample passes every validation (gradient, Lemma 3.1, balance, criterion,
    escape curvature vs -2 sigma + 2 sqrt(lW lH), finite difference, lambda_min with its
    margin, escape to the global value, NC at minimizers)."""
    p = Problem(loss, K=4, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b=lb)
    recs = sample(p, kinds, count=2, seed=11)
    assert {r.kind for r in recs} == set(kinds)
    for r in recs:
        assert r.passed, (r.kind, r.params, r.failures)
        n = r.numbers
        assert n["grad_norm"] <= TOL.grad
        if r.expected == "saddle":
            assert n["lambda_min"] < -n["lambda_min_margin"]
            assert n["escape_curvature"] == pytest.approx(n["escape_predicted"], abs=1e-10)
            assert n["escape_curvature"] < 0
            assert abs(n["escape_final_gap"]) <= TOL.escape_value * max(1.0, n["global_value"])
        else:
            assert n["n_negative"] == 0
        if loss == "ce":
            assert n["lemma31_residual"] <= TOL.residual
            assert n["rank_W"] <= p.K - 1


def test_saddle_families_have_their_structure():
    p = Problem("ce", K=5, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.01")
    rng = np.random.default_rng(3)
    (W, H, b), params, exp = sample_point(p, "rank", rng)
    assert exp == "saddle" and np.linalg.matrix_rank(W, tol=1e-8) <= params["r"]
    (W, H, b), params, _ = sample_point(p, "merged", rng)
    m = params["merged"]
    assert np.allclose(W[m], W[m[0]], atol=1e-10) and np.allclose(b[m], b[m[0]], atol=1e-10)
    (W, H, b), params, _ = sample_point(p, "dead", rng)
    k = params["dead"]
    assert np.allclose(W[k], 0) and np.allclose(H[:, k * p.n:(k + 1) * p.n], 0)
    assert np.linalg.norm(W) > 1e-3  # not the origin


def test_non_square_d_and_no_saddle_regime():
    p = Problem("mse", K=3, n=2, d=5, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    assert all(r.passed for r in sample(p, ["global", "saddle"], count=1, seed=2))
    big = Problem("ce", K=3, n=2, lambda_W="0.3", lambda_H="0.3", lambda_b="0.1")  # K q >= 1
    assert [k for k, _, _ in plan(big, ["global", "origin", "saddle"], 2, 0)] == \
        ["global", "global", "origin"]
    recs = sample(big, ["origin"], count=1, seed=0)
    assert recs[0].expected == "global" and recs[0].passed
    with pytest.raises(UFMInputError, match="no saddle family"):
        sample(big, ["rank"], count=1, seed=0)


def test_kinds_are_checked():
    p = Problem("mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01")
    with pytest.raises(UFMInputError, match="unknown kind"):
        sample(p, ["foo"])
    with pytest.raises(UFMInputError, match="CE family"):
        sample(p, ["rank"])
    with pytest.raises(UFMInputError, match="count"):
        sample(p, ["global"], count=0)


def test_same_seed_same_samples():
    p = Problem("ce", K=4, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.01")
    a = [r.to_dict(include_point=True) for r in sample(p, ["saddle"], count=3, seed=7)]
    b = [r.to_dict(include_point=True) for r in sample(p, ["saddle"], count=3, seed=7)]
    for ra, rb in zip(a, b, strict=True):
        ra.pop("seconds")
        rb.pop("seconds")
    assert a == b


# ------------------------------------------------------------------ subspaces
@pytest.mark.parametrize("make", [lambda p: rank_subspace(p, 2),
                                  lambda p: merged_subspace(p, [0, 2]),
                                  lambda p: dead_class_subspace(p, 1)])
def test_subspace_adjoint_and_symmetric_criticality(make):
    """<embed(t), g> = <t, adjoint(g)> (1e-12); the restricted minimizer is critical for
    the full f (gradient <= 1e-9)."""
    p = Problem("ce", K=4, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.01")
    sub = make(p)
    rng = np.random.default_rng(0)
    t = rng.standard_normal(sub.dim)
    g = tuple(rng.standard_normal(s) for s in ((p.K, p.d), (p.d, p.N), (p.K,)))
    assert abs(np.dot(flatten(sub.embed(t)), flatten(g)) - np.dot(t, sub.adjoint(g))) <= 1e-12
    r = minimize_lbfgs(p, rng.standard_normal(sub.dim), sub)
    assert r.grad_norm <= 1e-9


# ------------------------------------------------------------------ escape direction
def test_escape_direction_identities_and_prop_4_3():
    """(4.35) W a = 0 = H^T a, (4.37) first-order term 0 and lW|dW|^2 = lH|dH|^2 =
    sqrt(lW lH), (4.38) dW dH = -u v^T; Prop. 4.3: same curvature after rotation."""
    p = Problem("mse", K=4, n=2, lambda_W="5e-3", lambda_H="2e-2", lambda_b=0)
    S = centered_basis(4)[:, :1]
    x = mse_critical_point(p, S, rotation=random_rotation(4, np.random.default_rng(1)))
    e = escape_direction(p, x)
    dW, dH, _ = e.direction
    lw, lh, _ = p.float_lambdas()
    assert e.null_residual <= 1e-12 and e.first_order_residual <= 1e-12
    assert lw * np.sum(dW ** 2) == pytest.approx(math.sqrt(lw * lh), rel=1e-12)
    assert lh * np.sum(dH ** 2) == pytest.approx(math.sqrt(lw * lh), rel=1e-12)
    assert np.max(np.abs(dW @ dH + np.outer(e.u, e.v))) <= 1e-14
    assert e.sigma > e.threshold
    assert curvature_matches(e.curvature, e.predicted, 1e-12)
    assert curvature_matches(e.rotated_curvature, e.curvature, 1e-12)


# ------------------------------------------------------------------ wrong claims
def _saddle(p):
    return sample_point(p, "rank" if p.loss == "ce" else "subspace",
                        np.random.default_rng(5))[0]


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_flipped_sign_in_the_predicted_curvature_is_detected(loss):
    p = Problem(loss, K=4, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.01")
    e = escape_direction(p, _saddle(p))
    assert curvature_matches(e.curvature, predicted_curvature(e.sigma, e.threshold), 1e-9)
    # +2 sigma - 2 sqrt(lW lH): the sign flipped
    assert not curvature_matches(e.curvature, -predicted_curvature(e.sigma, e.threshold), 1e-7)
    # a missing factor 2 on the cross term
    assert not curvature_matches(e.curvature, -e.sigma + 2 * e.threshold, 1e-7)
    # a flipped sign in Delta_H makes Delta_W Delta_H = +u v^T: curvature +2 sigma + ...
    dW, dH, db = e.direction
    flipped = float(hessian_bilinear(p, _saddle(p), (dW, -dH, db)))
    assert flipped > 0 and not curvature_matches(flipped, e.predicted, 1e-7)


def test_a_saddle_claimed_global_fails_and_vice_versa():
    p = Problem("ce", K=4, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.01")
    rec = validate(p, _saddle(p), "rank", "global", escape=False)
    assert not rec.passed
    assert {"criterion", "global_value", "lambda_min"} <= set(rec.failures)
    rec = validate(p, closed_form_global_minimizer(p), "global", "saddle", escape=False)
    assert not rec.passed
    assert {"criterion", "above_global", "lambda_min"} <= set(rec.failures)


def test_a_non_critical_point_fails():
    p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    W, H, b = closed_form_global_minimizer(p)
    W = W + 1e-3 * np.ones_like(W)  # breaks 1^T W = 0 (Lemma 3.1) and criticality
    rec = validate(p, (W, H, b), "global", "global", escape=False)
    assert {"critical", "lemma3.1"} <= set(rec.failures)
    W2 = 1.01 * closed_form_global_minimizer(p)[0]  # breaks the balance (3.4)
    rec = validate(p, (W2, H, b), "global", "global", escape=False)
    assert {"critical", "balance"} <= set(rec.failures)


def test_origin_values():
    """At the origin ||grad g||_2 = 1/(K sqrt n) for both losses."""
    for loss in ("ce", "mse"):
        p = Problem(loss, K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.1")
        rec = validate(p, origin_point(p), "origin", "saddle", escape=False)
        assert rec.numbers["grad_g_norm"] == pytest.approx(1 / (3 * math.sqrt(2)), abs=1e-15)
        assert rec.passed


def test_gradient_descent_from_a_random_start_reaches_the_closed_form():
    """Plain gradient descent (Armijo) on MSE regime A: f - f* <= 1e-8 after 3000 steps."""
    from ufm_sym.numeric.optimize import gradient_descent

    p = Problem("mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b=0)
    rng = np.random.default_rng(9)
    x0 = tuple(0.5 * rng.standard_normal(s) for s in ((3, 3), (3, 6), (3,)))
    tr = gradient_descent(p, x0, iterations=3000, record_every=100)
    assert tr.values[-1] - closed_form_global_value(p) <= 1e-8
    assert all(a >= b - 1e-15 for a, b in zip(tr.values, tr.values[1:], strict=False))


# ------------------------------------------------------------------ escape bounds
def test_escape_is_bounded_in_rounds_and_reported_not_failed():
    """Without the symmetry-breaking perturbation, descent from the origin stays in a
    rank-one subspace: one round ends at a saddle, and the round bound stops the escape
    (stated in the record, no 'escaped' check, not a failure)."""
    from ufm_sym.numeric.sampling import EscapeLimits, escape_to_global

    p = Problem("ce", K=4, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.01")
    out = escape_to_global(p, origin_point(p), TOL,
                           limits=EscapeLimits(rounds=1, seconds=30, noise=0.0))
    assert out["stopped"] == "rounds" and out["rounds"] == 1
    assert out["first_drop"] < 0
    assert out["value"] - closed_form_global_value(p) > 1e-3   # not at the global value
    rec = validate(p, origin_point(p), "origin", "saddle",
                   escape_limits=EscapeLimits(rounds=1, seconds=30, noise=0.0))
    assert rec.passed and "escaped" not in rec.checks and rec.checks["escape_descends"]
    assert rec.numbers["escape_stopped"] == "rounds"
    # with the perturbation one round reaches the global value
    out = escape_to_global(p, origin_point(p), TOL, limits=EscapeLimits(rounds=1))
    assert out["stopped"] is None
    assert abs(out["value"] - closed_form_global_value(p)) <= TOL.escape_value


def test_escape_time_bound_stops_the_descent():
    from ufm_sym.numeric.sampling import EscapeLimits, escape_to_global

    p = Problem("ce", K=6, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.01")
    out = escape_to_global(p, origin_point(p), TOL, limits=EscapeLimits(seconds=1e-9))
    assert out["stopped"] == "time" and out["first_drop"] < 0   # the step is still measured


@pytest.mark.parametrize("kw,msg", [({"rounds": 0}, "escape rounds: 0"),
                                    ({"seconds": 0.0}, "escape seconds: 0.0"),
                                    ({"seconds": float("nan")}, "escape seconds: nan"),
                                    ({"noise": -1.0}, "noise: -1.0")])
def test_escape_limits_reject_bad_values(kw, msg):
    from ufm_sym.numeric.sampling import EscapeLimits

    with pytest.raises(UFMInputError, match=msg):
        EscapeLimits(**kw)
