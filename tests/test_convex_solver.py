"""f* cross-checked independently of the closed forms (ufm_sym.convex.solver): cvxpy
(Clarabel) on the convex relaxation, bracketed in mpmath, against the closed forms of
[12] / [13] and L-BFGS from random starts refined to >= 45 digits.  Six settings per
loss; the check fails on a wrong lambda or a dropped nuclear-norm term."""

import mpmath
import pytest

from ufm_sym import Problem
from ufm_sym.closed_form import global_value, regime
from ufm_sym.convex.solver import (
    DEFAULT_SETTINGS,
    SOLVER_TOLERANCE,
    TOLERANCE_RULE,
    cross_check_evidence,
    cross_check_global_value,
    default_settings,
    solve_relaxation,
)

DPS = 50


def test_the_settings_cover_every_regime_and_lambda_b_zero():
    ps = default_settings()
    for loss in ("ce", "mse"):
        mine = [p for p in ps if p.loss == loss]
        assert len(mine) >= 6
        assert {p.K for p in mine} == {2, 3, 4} and {p.n for p in mine} == {1, 2}
        assert any(p.lambda_b == 0 for p in mine) and all(p.d == p.K for p in mine)
    assert {regime(p) for p in ps} == {"ce-nonzero", "ce-zero", "zero", "A", "B", "C"}
    assert len(DEFAULT_SETTINGS) == len(ps) and "bracket" in TOLERANCE_RULE


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_cvxpy_the_closed_form_and_lbfgs_agree(loss):
    rows = cross_check_global_value(default_settings(loss), dps=DPS)
    assert len(rows) >= 6
    for r in rows:
        j = r.to_json()
        assert r.agree, j
        assert r.solution.status == "optimal"
        assert r.closed_in_bracket and r.lbfgs_in_bracket
        assert r.digits_solver >= 8 and r.digits_lbfgs >= 45
        assert r.lbfgs_gradient_norm <= mpmath.mpf(10) ** -45
        assert r.solution.lower <= r.solution.upper
    ev = cross_check_evidence(rows)
    assert ev.passed and ev.samples == len(rows) and ev.digits >= 8


def test_a_wrong_lambda_is_caught():
    p = default_settings("mse")[1]
    wrong = Problem(loss=p.loss, K=p.K, n=p.n, lambda_W=p.lambda_W * 2, lambda_H=p.lambda_H,
                    lambda_b=p.lambda_b)
    (row,) = cross_check_global_value([p], dps=DPS, starts=1,
                                      closed_form=lambda _, dps: global_value(wrong, dps=dps))
    assert not row.agree and not row.closed_in_bracket
    ev = cross_check_evidence([row])
    assert not ev.passed and "DISAGREE" in ev.detail
    assert not cross_check_evidence([]).passed
    (ce_row,) = cross_check_global_value(
        [default_settings("ce")[0]], dps=DPS, starts=1,
        closed_form=lambda q, dps: global_value(q, dps=dps) * (1 + mpmath.mpf(10) ** -6))
    assert not ce_row.agree                               # a relative error of 1e-6


def test_a_dropped_nuclear_norm_term_is_caught():
    """MSE without the nuclear norm (tau = 0), and CE with half of it (without any, the CE
    infimum is not attained: the logits run off to infinity)."""
    from ufm_sym.convex.relaxation import threshold

    for p, factor in ((default_settings("mse")[2], 0), (default_settings("ce")[2], 0.5)):
        with mpmath.workdps(DPS):
            tau = factor * float(threshold(p))
        sol = solve_relaxation(p, dps=DPS, tau=tau)
        fstar = global_value(p, dps=DPS)
        assert abs(sol.value - fstar) > 100 * SOLVER_TOLERANCE * max(1, abs(fstar))
        assert sol.lower <= fstar <= sol.upper + mpmath.mpf(10) ** -40  # still a valid bracket
        assert not (sol.lower <= sol.value <= sol.upper)                 # but not its value
