"""``ufm_sym.certify.global_gap``: the rigorous duality gap ``0 <= f(x*) - min f <= U - L``.

At the closed-form global minimizers of every default setting (both losses,
``lambda_b = 0`` and ``> 0``, the zero regimes) the gap over the certified existence box
holds with ``gap <= 1e-40`` at dps 50; at strict saddles it does not (and dual
feasibility fails); a point ``1e-6`` off a minimizer never "holds"; a wrong conjugate
or a dual point beyond feasibility is refused or makes the bound fail; the balls
contain the mpmath values of :mod:`ufm_sym.convex`.  The closed-form ``f*`` serves as
an independent oracle only (``L <= f* <= U``); the certificate never uses it."""

from __future__ import annotations

import json
import random

import flint
import mpmath
import pytest

from ufm_sym import Problem
from ufm_sym.certify import global_gap as gg
from ufm_sym.certify.balls import ball_point, grad_g, residual
from ufm_sym.certify.critical import certify_critical_point
from ufm_sym.certify.global_gap import certify_global_gap, dual_lower_bound, dual_point
from ufm_sym.closed_form import global_minimizer, global_value
from ufm_sym.convex import global_certificate
from ufm_sym.convex.relaxation import conjugate
from ufm_sym.highprec.evaluate import objective
from ufm_sym.highprec.families import critical_points, sample_settings
from ufm_sym.model import UFMInputError

SETTINGS = sample_settings()
SADDLE_SETTINGS = [SETTINGS[1], SETTINGS[3], SETTINGS[7], SETTINGS[12]]
P_CE = SETTINGS[1]          # CE, K = 3, n = 2, lambda_b = 0
P_MSE = SETTINGS[12]        # MSE, K = 3, n = 1, regime C


def ids(p: Problem) -> str:
    return f"{p.loss}-K{p.K}-n{p.n}-lW{p.lambda_W}-lb{p.lambda_b}"


def f_star(p: Problem) -> mpmath.mpf:
    with mpmath.workdps(130):
        return +global_value(p, dps=130)


def value(p: Problem, x) -> mpmath.mpf:
    with mpmath.workdps(130):
        return objective(p, x)


@pytest.mark.parametrize("p", SETTINGS, ids=ids)
def test_global_minimizers_hold_over_the_existence_box(p: Problem) -> None:
    x = global_minimizer(p, dps=60)
    c = certify_critical_point(p, x, dps=50)
    g = c.gap
    assert c.certified and g is not None and g.about == "critical point", c.existence.reason
    assert g.holds and 0 <= g.gap <= 1e-40, g.reason
    assert g.box_radius == c.existence.radius_inf
    fs = f_star(p)
    with mpmath.workdps(130):
        assert g.lower <= fs <= g.upper            # the independent oracle lies inside
    # the same certificate through the public function, from the existence certificate
    g2 = certify_global_gap(p, x, dps=50, existence=c.existence)
    assert g2.holds and g2.gap == g.gap
    d = json.loads(json.dumps(c.to_dict()))["global_gap"]
    with mpmath.workdps(80):                   # printed outwards: never a stronger claim
        assert d["holds"] is True and mpmath.mpf(d["gap"]) >= g.gap
        assert mpmath.mpf(d["lower"]) <= g.lower and mpmath.mpf(d["upper"]) >= g.upper


@pytest.mark.parametrize("p", SADDLE_SETTINGS, ids=ids)
def test_strict_saddles_do_not_hold(p: Problem) -> None:
    fs = f_star(p)
    saddles = [r for r in critical_points(p, dps=60) if not r.is_global_min]
    assert saddles
    for r in saddles:
        c = certify_critical_point(p, r.point, dps=50)
        assert c.certified and c.kind == "strict_saddle" and c.dual.holds is False
        g = c.gap
        with mpmath.workdps(130):
            excess = value(p, r.point) - fs
            assert not g.holds and g.gap >= excess > 1e-4, (r.family, g.reason)
            assert g.gap <= 1.05 * excess    # the bound is nearly tight (measured <= 1.03)
        assert g.dual_scale < 1 and "not certified a global minimizer" in g.reason


def _perturbed(p: Problem, eps: str, seed: int = 1):
    W, H, b = global_minimizer(p, dps=60)
    rng = random.Random(seed)
    with mpmath.workdps(60):
        W2 = W.copy()
        for i in range(W2.rows):
            for j in range(W2.cols):
                W2[i, j] += mpmath.mpf(rng.uniform(-1, 1)) * mpmath.mpf(eps)
    return W2, H, b


@pytest.mark.parametrize("p", [P_CE, P_MSE, SETTINGS[0]], ids=ids)
def test_a_point_off_a_minimizer_never_holds(p: Problem) -> None:
    x = _perturbed(p, "1e-6")
    g = certify_global_gap(p, x, dps=50)
    with mpmath.workdps(130):
        excess = value(p, x) - f_star(p)
        assert g.about == "point" and not g.holds
        assert g.gap >= excess > 1e-15, g.reason
    c = certify_critical_point(p, x, dps=50)
    assert not c.existence.certified and c.gap is None


def test_decimal_point_with_30_digits() -> None:
    """A POINT.json written to 30 digits: the existence box has radius ~1e-30, yet the
    clipped dual point keeps the gap second order (about 1e-60, not 1e-30)."""
    from ufm_sym.pointio import point_to_json

    for p in (SETTINGS[0], P_MSE):
        obj = point_to_json(p, global_minimizer(p, dps=60), digits=30)
        c = certify_critical_point(p, (obj["W"], obj["H"], obj["b"]), dps=50)
        assert c.certified and c.existence.radius > 1e-32
        assert c.gap.holds and c.gap.gap < 1e-50, c.gap.reason
        scaled = certify_global_gap(p, (obj["W"], obj["H"], obj["b"]), dps=50,
                                    existence=c.existence, dual="scaled")
        assert scaled.gap > 1e-35          # scaling alone loses the distance itself


# --------------------------------------------------------------- refusals
def _dual_at_minimizer(p: Problem) -> gg.DualPoint:
    x = ball_point(p, global_minimizer(p, dps=60), 365).midpoint()
    with flint.ctx.workprec(365):
        G, _ = grad_g(p, residual(x), 365)
    return dual_point(p, G, 365, "clipped")


@pytest.mark.parametrize("p", [P_CE, P_MSE], ids=ids)
def test_a_dual_point_beyond_feasibility_is_refused(p: Problem) -> None:
    d = _dual_at_minimizer(p)
    L, why = dual_lower_bound(p, d.Lambda, 365)
    assert L is not None, why
    over = [[v * flint.fmpq(2 ** 100 + 1, 2 ** 100) for v in row] for row in d.Lambda]
    L2, why2 = dual_lower_bound(p, over, 365)
    assert L2 is None and "||Lambda||_2 < sqrt(lW lH) fails" in why2


def test_domain_conditions_are_refused() -> None:
    d = _dual_at_minimizer(P_CE)                     # CE, lambda_b = 0
    q = flint.fmpq
    shifted = [list(row) for row in d.Lambda]
    shifted[0][0] += q(1, 10 ** 6)                              # rows 1 and 2 sum to
    shifted[1][0] -= q(1, 10 ** 6)                              # +-1e-6, columns to 0
    assert "Lambda 1_N != 0" in dual_lower_bound(P_CE, shifted, 365)[1]
    col = [list(row) for row in d.Lambda]
    col[0][0] += q(1, 10 ** 6)
    col[0][1] -= q(1, 10 ** 6)                                  # column 1 sums to 1e-6
    assert "does not sum to 1" in dual_lower_bound(P_CE, col, 365)[1]
    neg = [list(row) for row in d.Lambda]
    j = 0
    y = next(i for i in range(P_CE.K) if P_CE.label_of_column(j) == i)
    other = (y + 1) % P_CE.K
    neg[other][j] = q(-1, P_CE.N)                               # p_other,j = 0 ...
    neg[y][j] += d.Lambda[other][j] + q(1, P_CE.N)              # ... kept summing to 1
    neg[other][j] -= q(1, 10 ** 9)
    neg[y][j] += q(1, 10 ** 9)
    assert "negative entry" in dual_lower_bound(P_CE, neg, 365)[1]


def test_an_infeasible_dual_point_makes_the_certificate_refuse(monkeypatch) -> None:
    real = gg.dual_point

    def too_far(problem, G, prec, method="scaled"):
        dp = real(problem, G, prec, method)
        k = flint.fmpq(1001, 1000)
        return gg.DualPoint([[v * k for v in row] for row in dp.Lambda], dp.scale * k,
                            dp.mixed, dp.note)

    monkeypatch.setattr(gg, "dual_point", too_far)
    g = certify_global_gap(P_MSE, global_minimizer(P_MSE, dps=60), dps=50)
    assert not g.holds and g.gap is None and g.reason.startswith("refused")


@pytest.mark.parametrize("p, kind", [(P_MSE, "mse N/4 for N/2"), (P_CE, "ce without 1/N"),
                                     (P_CE, "ce plus 1e-30")])
def test_a_wrong_conjugate_makes_the_bound_fail(monkeypatch, p: Problem, kind: str) -> None:
    real = gg.conjugate_ball

    def wrong(pr: Problem, Lam, prec: int):
        v = real(pr, Lam, prec)
        with flint.ctx.workprec(prec):
            if kind.startswith("mse"):
                sq = sum((x * x for row in Lam for x in row), flint.fmpq(0))
                return v - flint.arb(sq * pr.N / 4)
            if kind == "ce without 1/N":
                return v * pr.N
            return v + flint.arb("1e-30")

    monkeypatch.setattr(gg, "conjugate_ball", wrong)
    g = certify_global_gap(p, global_minimizer(p, dps=60), dps=50)
    assert not g.holds, g.reason
    if kind == "ce plus 1e-30":          # a larger g*: L drops, the gap shows it
        assert 0.99e-30 <= g.gap < 2e-30
    else:                                # a smaller g*: L above f(x*), impossible
        assert g.gap < 0 and g.reason.startswith("contradiction")


def test_the_norm_test_is_exact() -> None:
    q = flint.fmpq
    theta = q(1, 100)                      # tau = 1/10
    eps = q(1, 2 ** 300)
    assert gg._norm_below([[q(1, 10) * (1 - eps), 0], [0, 0]], theta)
    assert not gg._norm_below([[q(1, 10), 0], [0, 0]], theta)             # = tau: not <
    assert not gg._norm_below([[q(1, 10) * (1 + eps), 0], [0, 0]], theta)
    # a rotated, full matrix: ||[[a, b], [b, a]]||_2 = |a| + |b|
    assert gg._norm_below([[q(3, 100), q(7, 100) - eps], [q(7, 100) - eps, q(3, 100)]], theta)
    assert not gg._norm_below([[q(3, 100), q(7, 100) + eps], [q(7, 100) + eps, q(3, 100)]],
                              theta)


# --------------------------------------------------------------- cross-checks
@pytest.mark.parametrize("p", [P_CE, P_MSE, SETTINGS[0], SETTINGS[6]], ids=ids)
def test_the_balls_contain_the_mpmath_values_of_ufm_sym_convex(p: Problem) -> None:
    """With the dual point of :mod:`ufm_sym.convex` (``dual="scaled"``), at a minimizer
    and at a saddle: ``f(x) <= U`` within the rounding, and ``L`` (a ball) contains the
    mpmath ``L`` up to the mpmath path's own rounding (``1e-45``)."""
    slack = mpmath.mpf("1e-45")
    recs = critical_points(p, dps=60)
    for r in (recs[0], next(r for r in recs if not r.is_global_min)):
        g = certify_global_gap(p, r.point, dps=50, dual="scaled")
        m = global_certificate(p, r.point, dps=50)
        with mpmath.workdps(70):
            lo = g.lower_ball.lower()
            hi = g.lower_ball.upper()
            lower_lo = mpmath.mpf(lo.mid().str(70, radius=False)) - slack
            lower_hi = mpmath.mpf(hi.mid().str(70, radius=False)) + slack
            assert lower_lo <= m.lower_bound <= lower_hi, r.family
            assert abs(g.upper - m.objective) <= slack
            assert g.upper - lower_hi <= m.duality_gap <= g.gap + slack, r.family


@pytest.mark.parametrize("p", [P_CE, SETTINGS[0], P_MSE, SETTINGS[6]], ids=ids)
def test_the_ball_conjugate_is_the_mpmath_one_and_fenchel_young_holds(p: Problem) -> None:
    """At the dual points of a saddle (in the domain, ``g*`` finite): the ball ``g*``
    contains :func:`ufm_sym.convex.relaxation.conjugate`, and ``g(R) + g*(Lambda) >=
    <Lambda, R>`` at random ``R`` (Fenchel-Young), with equality at ``R`` of the point
    when ``Lambda = grad g(R)``."""
    rec = next(r for r in critical_points(p, dps=60) if not r.is_global_min)
    x = ball_point(p, rec.point, 365).midpoint()
    with flint.ctx.workprec(365):
        G, _ = grad_g(p, residual(x), 365)
    rng = random.Random(3)
    for method in ("scaled", "clipped"):
        d = dual_point(p, G, 365, method)
        ok, why = gg.prove_dual_feasible(p, d.Lambda)
        if not ok:
            continue
        gs = gg.conjugate_ball(p, d.Lambda, 365)
        with mpmath.workdps(70):
            Lm = mpmath.matrix([[mpmath.mpf(int(v.p)) / int(v.q) for v in row]
                                for row in d.Lambda])
            ref = conjugate(p, Lm)
            assert abs(mpmath.mpf(gs.mid().str(70, radius=False)) - ref) < 1e-60
            from ufm_sym.convex.relaxation import data_term
            for _ in range(3):
                R = mpmath.matrix([[rng.uniform(-2, 2) for _ in range(p.N)]
                                   for _ in range(p.K)])
                inner = mpmath.fsum(Lm[i, j] * R[i, j] for i in range(p.K)
                                    for j in range(p.N))
                assert data_term(p, R) + ref - inner >= 0


def test_existence_about_another_point_is_refused() -> None:
    x = global_minimizer(P_MSE, dps=60)
    c = certify_critical_point(P_MSE, x, dps=50)
    y = _perturbed(P_MSE, "1e-40")
    with pytest.raises(UFMInputError, match="existence: the certificate is about another"):
        certify_global_gap(P_MSE, y, dps=50, existence=c.existence)
    with pytest.raises(UFMInputError, match="dual: unknown choice"):
        certify_global_gap(P_MSE, x, dps=50, dual="exact")


def test_classify_reports_the_global_gap() -> None:
    from ufm_sym.landscape import classify

    x = global_minimizer(P_CE, dps=60)
    c = classify(P_CE, x, dps=50)
    d = c.to_json()
    assert d["global_gap"]["holds"] is True and d["global_gap"]["about"] == "critical point"
    assert "global gap: f(x*) - min f <= " in c.summary()
    sad = next(r for r in critical_points(P_CE, dps=60) if not r.is_global_min)
    ds = classify(P_CE, sad.point, dps=50).to_json()["global_gap"]
    assert ds["holds"] is False and mpmath.mpf(ds["gap"]) > 0.01
    nc = classify(P_CE, _perturbed(P_CE, "1e-6"), dps=50).to_json()
    assert nc["global_gap"]["holds"] is False and nc["global_gap"]["gap"] is None
    assert nc["global_gap"]["reason"].startswith("not attempted")
