"""``ufm_sym.certify.rank`` and ``ufm_sym.certify.dual`` at certified critical points:
rank W(x*) = K - 1 at CE global minimizers (balls below, the identity above), and the
dual-feasibility outcomes (equality at global minimizers with W != 0, strict in the
zero regime, fails at saddles); each refuses what it cannot prove."""

from __future__ import annotations

import pytest

from ufm_sym import Problem
from ufm_sym.certify.balls import ball_point
from ufm_sym.certify.dual import dual_feasibility
from ufm_sym.certify.rank import rank_bounds
from ufm_sym.highprec.families import critical_points

SETTINGS = [
    Problem(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b=0),
    Problem(loss="ce", K=3, n=2, lambda_W="0.3", lambda_H="0.3", lambda_b="0.1"),
    Problem(loss="mse", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5"),
    Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
]


def box(p: Problem, rec) -> object:
    return ball_point(p, rec.point, prec=128, radius="1e-50")


@pytest.mark.parametrize("p", SETTINGS, ids=lambda p: f"{p.loss}-lW{p.lambda_W}")
def test_rank_and_dual_at_the_families(p: Problem) -> None:
    from ufm_sym.highprec.linalg import singular_values

    for rec in critical_points(p, dps=60):
        b = box(p, rec)
        rk = rank_bounds(p, b)
        numeric = sum(1 for s in singular_values(rec.point[0], dps=50) if s > 1e-30)
        assert rk.W_lower == numeric and rk.H_lower == numeric, rec.family
        assert rk.W_upper == (2 if p.loss == "ce" else 3)
        du = dual_feasibility(p, b, rk.W_lower)
        assert du.holds is rec.is_global_min, (rec.family, du.reason)
        if not rec.is_global_min:
            assert du.outcome == "fails" and du.norm_lower > du.threshold
        elif numeric == 0:
            assert du.outcome == "strict" and du.norm_upper < du.threshold
        else:
            assert du.outcome == "equality" and "exactly" in du.reason


def test_ce_global_minimizer_rank_is_exactly_K_minus_1() -> None:
    p = SETTINGS[0]
    rec = critical_points(p, dps=60)[0]
    rk = rank_bounds(p, box(p, rec))
    assert rk.W_exact == 2 and "1_K^T W(x*) = 0" in rk.upper_reason
    assert rk.sigma_W > 1 and rk.ones_W < 1e-35      # 128-bit balls
    # a point whose columns of W do not sum to zero fails the consistency check
    W, H, b = (m.copy() for m in rec.point)
    W[0, 0] += 1
    assert rank_bounds(p, ball_point(p, (W, H, b), prec=128, radius="1e-50")).ones_W is None


def test_equality_needs_the_rank_bound() -> None:
    """Without rank W(x*) >= m the cluster at lW lH cannot be pinned: undecided."""
    p = SETTINGS[0]
    rec = critical_points(p, dps=60)[0]
    du = dual_feasibility(p, box(p, rec), rank_W_lower=1)
    assert du.holds is None and du.outcome == "undecided" and "not proved" in du.reason


def test_a_wide_ball_decides_nothing() -> None:
    p = SETTINGS[0]
    rec = critical_points(p, dps=60)[0]
    wide = ball_point(p, rec.point, prec=128, radius="0.5")
    assert rank_bounds(p, wide).W_lower in (None, 0, 1)
    assert dual_feasibility(p, wide, 2).holds is None
