"""Section 3 (Lemma 3.1, Theorem 1.1) and the cited claims: every claim passes, and
every kind of evidence rejects a wrong claim."""

from types import SimpleNamespace

import mpmath
import pytest
import sympy as sp

from ufm_sym.claims import Registry, VerifyContext, load_registry
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import geometry as Geo
from ufm_sym_proofs import section3 as S3
from ufm_sym_proofs.landscape import curvature_evidence

SECTION3 = ["eq:1.3", "eq:1.5", "eq:1.6", "eq:1.7", "lem:C.4", "eq:3.1", "eq:3.2", "eq:3.3",
            "eq:3.4", "eq:3.5", "eq:3.6", "eq:3.7", "eq:3.8", "lem:3.1", "step:3.C", "eq:3.9",
            "step:3.a", "eq:3.10", "eq:3.11", "step:3.final", "thm:1.1"]


@pytest.fixture(scope="module")
def ctx():
    return VerifyContext(dps=50, seed=0, numeric_samples=20)


@pytest.fixture(scope="module")
def report(ctx):
    return load_registry().run(ctx, labels=["thm:1.1", "eq:3.6", "eq:3.9", "eq:3.11"])


def test_every_section3_label_is_registered():
    labels = load_registry().labels
    for label in SECTION3:
        assert label in labels


def test_every_section3_claim_passes(report):
    res = report.by_label()
    assert set(SECTION3) <= set(res)
    bad = {k: v.message for k, v in res.items() if v.status != "passed"}
    assert not bad


@pytest.mark.parametrize("label", ["eq:3.2", "eq:3.3", "eq:3.4", "eq:3.5", "eq:3.6", "eq:3.7",
                                   "eq:3.9", "eq:3.10", "eq:3.11", "step:3.final"])
def test_symbolic_evidence_where_the_issue_asks(report, label):
    assert report.by_label()[label].strongest == "symbolic"


def test_high_precision_digits_at_least_45(report):
    for r in report.results:
        for e in r.evidence:
            if e.level == "high-precision" and e.digits is not None and r.label not in (
                    "eq:3.9", "eq:1.3", "eq:1.4"):  # finite differences: >= 30 digits
                assert e.digits >= 45, (r.label, e.digits)


def test_numeric_evidence_has_many_samples():
    rep = load_registry().run(VerifyContext(numeric_samples=100), labels=["eq:3.4"])
    ev = [e for e in rep.by_label()["eq:3.4"].evidence if e.level == "numeric"][0]
    assert ev.passed and ev.samples >= 100


def test_theorem_records_the_non_degenerate_finding(report):
    res = report.by_label()["thm:1.1"]
    assert any("non-degenerate" in f and "literally false" in f for f in res.findings)


# --------------------------------------------------------- wrong claims fail
D = S3.D


def test_wrong_multiplier_in_balance_fails_symbolically():
    ok = C.identity_evidence(S3.lw * S3.W.T * S3.W - S3.lh * S3.H * S3.H.T,
                             S3.W.T * D.grad_W - 2 * D.grad_H * S3.H.T, "wrong")
    assert not ok.passed
    good = C.identity_evidence(S3.lw * S3.W.T * S3.W - S3.lh * S3.H * S3.H.T,
                               S3.W.T * D.grad_W - D.grad_H * S3.H.T, "right")
    assert good.passed


def test_wrong_multiplier_in_balance_fails_at_high_precision(ctx):
    claim = load_registry()["eq:3.4"]
    recs = C.hp_records(ctx, "ce")
    assert C.statement_evidence(ctx, claim, recs, "right").passed
    wrong = SimpleNamespace(statement=sp.Eq(S3.lw * S3.W.T * S3.W, 2 * S3.lh * S3.H * S3.H.T,
                                            evaluate=False))
    assert not C.statement_evidence(ctx, wrong, recs, "wrong balance").passed


def test_wrong_derivation_step_fails():
    claim = load_registry()["eq:3.4"]
    assert C.derivation_evidence(claim, "right").passed
    step = claim.derivation[0][1]
    wrong = SimpleNamespace(derivation=[("wrong", sp.Eq(step.lhs, 2 * step.rhs, evaluate=False))])
    assert not C.derivation_evidence(wrong, "wrong").passed
    assert not C.derivation_evidence(SimpleNamespace(derivation=[]), "no steps").passed


def _final_form(alpha, beta):
    return Geo.along(D.hessian_form, Geo.direction(alpha, beta))


def test_flipped_sign_in_direction_fails_symbolically():
    thr = sp.sqrt(S3.lw * S3.lh)
    right = C.reduction_evidence(_final_form(Geo.ALPHA_PAPER, Geo.BETA_PAPER),
                                 Geo.null_hypotheses(), -2 * Geo.sigma + 2 * thr, "paper")
    flipped = C.reduction_evidence(_final_form(Geo.ALPHA_PAPER, -Geo.BETA_PAPER),
                                   Geo.null_hypotheses(), -2 * Geo.sigma + 2 * thr, "flipped")
    assert right.passed and not flipped.passed


def test_threshold_without_sqrt_fails_symbolically_and_at_high_precision(ctx):
    wrong_thr = S3.lw * S3.lh
    ev = C.reduction_evidence(_final_form(Geo.ALPHA_PAPER, Geo.BETA_PAPER),
                              Geo.null_hypotheses(), -2 * Geo.sigma + 2 * wrong_thr, "wrong")
    assert not ev.passed
    hp = curvature_evidence(ctx, "ce", "curvature",
                            predicted=lambda s, lw, lh: -2 * s + 2 * lw * lh)
    assert not hp.passed
    assert curvature_evidence(ctx, "ce", "curvature").passed


def test_quarter_powers_swapped_fails():
    swapped = C.reduction_evidence(
        _final_form(Geo.BETA_PAPER * -1, -Geo.ALPHA_PAPER), Geo.null_hypotheses(),
        -2 * Geo.sigma + 2 * sp.sqrt(S3.lw * S3.lh), "swapped")
    assert not swapped.passed


def test_wrong_convexity_certificate_fails():
    # the certificate must be the variance; dropping the mean term is caught
    from ufm_sym.symbolic.cross_check import ZeroTester
    from ufm_sym.symbolic.explicit import explicit_loss

    L = explicit_loss("ce", 2, 1)
    Dm = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"x{i}{j}", real=True))
    sm = L.softmax
    wrong = sum(sm[i, j] * Dm[i, j] ** 2 for i in range(2) for j in range(2))
    assert not ZeroTester(L.r).is_zero(L.hessian_form(Dm) * L.N - wrong)
    assert S3.convexity_symbolic((2,)).passed


def test_wrong_rank_bound_fails(ctx):
    K = S3.D.K
    assert S3.rank_evidence(ctx, "ce", K - 1).passed
    ev = S3.rank_evidence(ctx, "ce", K - 2)  # rank <= K - 2 is false at the global minimizers
    assert not ev.passed
    # and the bound K - 1 itself is false for MSE: regime C minimizers have rank K
    assert not S3.rank_evidence(ctx, "mse", K - 1).passed
    # the same in float64
    from ufm_sym_proofs.numeric_evidence import numeric_residual_evidence

    assert numeric_residual_evidence(ctx, "ce", "rank_bound").passed
    assert not numeric_residual_evidence(ctx, "mse", "rank_bound").passed


def test_numeric_wrong_balance_is_detected(ctx):
    from ufm_sym_proofs.numeric_evidence import numeric_samples

    samples = numeric_samples(ctx, "ce")
    import numpy as np

    worst = 0.0
    for s in samples:
        W, H, _ = s.point
        lw, lh, _ = s.problem.float_lambdas()
        worst = max(worst, float(np.linalg.norm(lw * W.T @ W - 2 * lh * H @ H.T)))
    assert worst > 1e-6 > max(float(s.numbers["balance_residual"]) for s in samples)


def test_a_failing_dependency_blocks_the_theorem(ctx):
    reg = load_registry()
    fresh = Registry()
    for claim in reg:
        fresh.add(claim)
    orig = list(fresh["eq:3.4"].checks)
    fresh["eq:3.4"].checks[:] = [("symbolic", lambda claim, ctx: C.identity_evidence(
        S3.lw * S3.W.T * S3.W, S3.W.T * D.grad_W, "wrong (3.4)"))]
    try:
        res = fresh.run(ctx, labels=["lem:3.1"]).by_label()
        assert res["eq:3.4"].status == "failed"
        assert res["lem:3.1"].status == "blocked" and "eq:3.4" in res["lem:3.1"].message
    finally:
        fresh["eq:3.4"].checks[:] = orig


def test_hp_tolerance_is_tied_to_dps():
    assert C.hp_tolerance(VerifyContext(dps=50)) == mpmath.mpf(10) ** -45
    assert C.hp_dps(VerifyContext(dps=50)) == 70
