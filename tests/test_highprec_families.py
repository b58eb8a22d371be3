"""ufm_sym.highprec.families: every generated point is critical to < 1e-45 at 60 dps
and of the kind claimed.

Margins: at a global minimizer ||grad g|| <= sqrt(lW lH) up to 1e-45 (equality at
nonzero minimizers); at a saddle ||grad g|| >= 1.1 sqrt(lW lH) (the smallest relative
margin over the default settings is about 0.11, MSE K = 3 rank-2 in regime C), its value
is above f*, and the paper's direction (3.10)/(4.36) has curvature
2 sqrt(lW lH) - 2 ||grad g|| < 0."""

from __future__ import annotations

import time

import mpmath
import pytest

from ufm_sym import Problem, UFMInputError
from ufm_sym.closed_form import global_value, regime
from ufm_sym.highprec import families
from ufm_sym.highprec.evaluate import (
    grad_g,
    hessian_form,
    hessian_matrix,
    residual_R,
    to_mp_point,
)
from ufm_sym.highprec.families import (
    class_merged_saddle,
    critical_points,
    mse_subspace_saddle,
    rank_restricted_saddle,
    sample_settings,
)
from ufm_sym.highprec.linalg import null_vector, svd, symmetric_eigenvalues

DPS = 60
TARGET = mpmath.mpf(10) ** -45
SADDLE_MARGIN = mpmath.mpf("1.1")

SETTINGS = sample_settings()


@pytest.fixture(scope="module")
def all_records():
    families._critical_points_cached.cache_clear()
    t = time.perf_counter()
    recs = {p: critical_points(p, dps=DPS) for p in SETTINGS}
    return recs, time.perf_counter() - t


def test_generation_is_fast(all_records):
    _, elapsed = all_records
    assert elapsed < 20.0, f"all families took {elapsed:.1f} s"


def test_settings_cover_every_regime():
    assert {regime(p) for p in SETTINGS} == {"ce-nonzero", "ce-zero", "zero", "A", "B", "C"}
    assert {p.K for p in SETTINGS} == {2, 3, 4, 5}
    assert all(p.d == p.K for p in SETTINGS)
    assert any(p.lambda_b == 0 and p.loss == "ce" for p in SETTINGS)


@pytest.mark.parametrize("p", SETTINGS, ids=lambda p: f"{regime(p)}:{p.describe()}")
def test_records_are_critical_and_of_the_claimed_kind(p, all_records):
    recs = all_records[0][p]
    kinds = {r.kind for r in recs}
    assert {"global_min", "origin"} <= kinds
    if regime(p) not in ("ce-zero", "zero") and p.K >= 3:
        assert "saddle" in kinds
    fstar = global_value(p, dps=DPS)
    with mpmath.workdps(DPS):
        for r in recs:
            assert r.gradient_norm < TARGET, r.family
            assert r.dps == DPS and r.problem == p
            assert abs(r.threshold - mpmath.sqrt(p.mp_lambdas()[0] * p.mp_lambdas()[1])) == 0
            if r.kind == "global_min" or (r.kind == "origin" and r.is_global_min):
                assert r.is_global_min
                assert r.grad_g_norm <= r.threshold + TARGET, r.family
                assert abs(r.value - fstar) < TARGET, r.family
            else:
                assert not r.is_global_min
                assert r.grad_g_norm >= SADDLE_MARGIN * r.threshold, r.family
                assert r.value > fstar + mpmath.mpf(10) ** -6, r.family
            if r.refinement is not None:
                assert r.refinement.converged and r.refinement.iterations <= 8


@pytest.mark.parametrize("p", [s for s in SETTINGS if regime(s) not in ("ce-zero", "zero")],
                         ids=lambda p: f"{regime(p)}:{p.describe()}")
def test_saddles_have_the_papers_negative_curvature_direction(p, all_records):
    """(3.10)/(4.36): Delta = ((lH/lW)^(1/4) u a^T, -(lW/lH)^(1/4) a v^T, 0) with W a = 0
    and (u, v) the top singular pair of grad g: curvature 2 sqrt(lW lH) - 2 ||grad g||."""
    with mpmath.workdps(DPS):
        lw, lh, _ = p.mp_lambdas()
        for r in all_records[0][p]:
            if r.is_global_min:
                continue
            W, H, b = r.point
            a, res = null_vector(W, tol=mpmath.mpf(10) ** -40)
            U, S, Vt = svd(grad_g(p, residual_R(p, r.point)))
            u = U[:, 0]
            v = Vt[0, :]
            dW = (lh / lw) ** mpmath.mpf(0.25) * (u * a.T)
            dH = -(lw / lh) ** mpmath.mpf(0.25) * (a * v)
            delta = (dW, dH, mpmath.zeros(p.K, 1))
            curv = hessian_form(p, r.point, delta)
            assert abs(curv - (2 * r.threshold - 2 * r.grad_g_norm)) < mpmath.mpf(10) ** -40
            assert curv < 0


def test_smallest_hessian_eigenvalue_negative_at_small_saddles(all_records):
    p = SETTINGS[1]  # CE, K = 3, n = 2, lambda_b = 0
    with mpmath.workdps(DPS):
        for r in all_records[0][p]:
            ev = symmetric_eigenvalues(hessian_matrix(p, r.point), method="flint")
            if r.kind == "saddle":
                assert ev[0] < -mpmath.mpf("1e-4"), r.family
            elif r.kind == "global_min":
                assert ev[0] > -mpmath.mpf(10) ** -40


def test_deterministic_for_a_seed_and_cached():
    p = Problem(loss="ce", K=4, n=1, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-3")
    a = rank_restricted_saddle(p, 2, dps=DPS, seed=7)
    b = rank_restricted_saddle(p, 2, dps=DPS, seed=7)
    assert all(x == y for M, N in zip(a.point, b.point, strict=True)
               for x, y in zip(M, N, strict=True))
    c = class_merged_saddle(p, [[0, 1], [2, 3]], dps=DPS, seed=1)
    d = class_merged_saddle(p, [[0, 1], [2, 3]], dps=DPS, seed=1)
    assert all(x == y for M, N in zip(c.point, d.point, strict=True)
               for x, y in zip(M, N, strict=True))
    assert critical_points(p, dps=DPS) is critical_points(p, dps=DPS)


def test_class_merged_point_stays_in_its_subspace():
    p = Problem(loss="ce", K=4, n=1, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-3")
    r = class_merged_saddle(p, [[0, 1], [2], [3]], dps=DPS)
    W, H, b = r.point
    assert all(W[0, c] == W[1, c] for c in range(p.d))
    assert all(H[c, 0] == H[c, 1] for c in range(p.d))
    assert b[0] == b[1]
    assert r.family == "class-merged[01|2|3]"


def test_mse_subspace_family_is_exact_and_seeded():
    p = Problem(loss="mse", K=5, n=1, lambda_W="1e-2", lambda_H="1e-2")
    r0 = mse_subspace_saddle(p, 2, dps=DPS, seed=0)
    r1 = mse_subspace_saddle(p, 2, dps=DPS, seed=1)
    assert r0.refinement is None and r0.gradient_norm < mpmath.mpf(10) ** -55
    with mpmath.workdps(DPS):
        # value f_s = (K-1)/(2K) - s (1 - Kq)^2 / (2K), independent of S
        q = mpmath.sqrt(p.mp_lambdas()[0] * p.mp_lambdas()[1])
        fs = mpmath.mpf(4) / 10 - 2 * (1 - 5 * q) ** 2 / 10
        assert abs(r0.value - fs) < TARGET and abs(r1.value - fs) < TARGET
        assert abs(r0.point[0][0, 0] - r1.point[0][0, 0]) > 1e-6  # a different S


def test_invalid_requests():
    p = Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2")
    with pytest.raises(UFMInputError, match="kinds"):
        critical_points(p, kinds=("maximum",))
    with pytest.raises(UFMInputError, match="dps"):
        critical_points(p, dps=30)
    with pytest.raises(UFMInputError, match="s:"):
        mse_subspace_saddle(p, 2)
    with pytest.raises(UFMInputError, match="lambda_b=0"):
        mse_subspace_saddle(Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2",
                                    lambda_b=1), 1)
    with pytest.raises(UFMInputError, match="groups"):
        class_merged_saddle(Problem(loss="ce", K=3, n=1, lambda_W="1e-2", lambda_H="1e-2"),
                            [[0, 1, 2]])
    with pytest.raises(UFMInputError, match="zero regime"):
        rank_restricted_saddle(Problem(loss="ce", K=3, n=1, lambda_W=1, lambda_H=1), 1)
    with pytest.raises(UFMInputError, match="r:"):
        rank_restricted_saddle(Problem(loss="ce", K=3, n=1, lambda_W="1e-2",
                                       lambda_H="1e-2"), 2)


def test_origin_point_matches_formula():
    p = Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="0.5")
    (r,) = critical_points(p, kinds=("origin",), dps=DPS)
    with mpmath.workdps(DPS):
        expected = to_mp_point(p, [[0] * 3] * 3, [[0] * 6] * 3, [mpmath.mpf(2) / 9] * 3)
        assert all(abs(r.point[2][k] - expected[2][k]) < TARGET for k in range(3))
