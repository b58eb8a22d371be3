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

SECTION3 = ["eq:1.3", "eq:1.5", "eq:1.6", "eq:1.7", "lem:C.4", "eq:3.1", "eq:3.2", "eq:3.3",
            "eq:3.4", "eq:3.5", "eq:3.6", "eq:3.7", "eq:3.8", "lem:3.1", "step:3.C", "eq:3.9",
            "step:3.a", "eq:3.10", "eq:3.11", "step:3.final", "thm:1.1"]


@pytest.fixture(scope="module")
def ctx():
    return VerifyContext(dps=50, seed=0, numeric_samples=20)


@pytest.fixture(scope="module")
def report(ctx):
    return load_registry().run(ctx, labels=["thm:1.1", "eq:3.6", "eq:3.9", "eq:3.11", "eq:1.5",
                                            "eq:1.6", "eq:1.7"])


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
            if (e.level == "high-precision" and e.digits is not None
                    and r.label not in ("lem:3.1", "eq:3.8", "eq:3.5")   # ranks
                    and "cvxpy" not in e.detail):   # a convex solver: about 13 digits
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


def _with_statement(label, statement, ctx, level=None):
    """The claim's checks (at ``level``) on a replaced statement: passed or not."""
    claim = load_registry(plugins=False)[label]
    claim.statement = statement
    return [fn(claim, ctx) for lvl, fn in claim.checks if level is None or lvl == level]


def test_wrong_multiplier_in_balance_fails_symbolically_at_hp_and_in_float64(ctx):
    wrong = sp.Eq(S3.lw * S3.W.T * S3.W, 2 * S3.lh * S3.H * S3.H.T, evaluate=False)
    evs = _with_statement("eq:3.4", wrong, ctx)
    assert [e.level for e in evs] == ["symbolic", "high-precision", "numeric"]
    assert not any(e.passed for e in evs), [e.detail for e in evs]


def test_wrong_derivation_step_fails():
    claim = load_registry()["eq:3.5"]
    assert C.derivation_evidence(claim, "right").passed
    step = claim.derivation[0][1]
    wrong = SimpleNamespace(derivation=[("wrong", sp.Eq(step.lhs, 2 * step.rhs, evaluate=False))])
    assert not C.derivation_evidence(wrong, "wrong").passed
    assert not C.derivation_evidence(SimpleNamespace(derivation=[]), "no steps").passed


def _final_form(alpha, beta):
    return Geo.along(D.hessian_form, Geo.direction(alpha, beta))


def test_flipped_sign_in_direction_fails_symbolically_and_at_high_precision(ctx):
    claim = load_registry(plugins=False)["eq:3.10"]
    dirn = C.direction_of(claim)
    flipped = sp.Eq(claim.statement.lhs, sp.Tuple(dirn["D_W"], -dirn["D_H"], dirn["D_b"]),
                    evaluate=False)
    assert S3.direction_properties_symbolic(claim).passed
    assert S3.direction_properties_hp(ctx, claim, "ce").passed
    claim.statement = flipped
    assert not S3.direction_properties_symbolic(claim).passed
    assert not S3.direction_properties_hp(ctx, claim, "ce").passed


def test_threshold_without_sqrt_fails_symbolically_and_at_high_precision(ctx):
    claim = load_registry(plugins=False)["step:3.final"]
    eq, neg = claim.statement
    wrong_rhs = -2 * Geo.sigma + 2 * S3.lw * S3.lh
    wrong = [sp.Eq(eq.lhs, wrong_rhs, evaluate=False), sp.Lt(wrong_rhs, 0, evaluate=False)]
    evs = _with_statement("step:3.final", wrong, ctx)
    assert not any(e.passed for e in evs)


def test_quarter_powers_swapped_fails():
    swapped = C.reduction_evidence(
        _final_form(Geo.BETA_PAPER * -1, -Geo.ALPHA_PAPER), Geo.null_hypotheses(),
        -2 * Geo.sigma + 2 * sp.sqrt(S3.lw * S3.lh), "swapped")
    assert not swapped.passed


def test_wrong_convexity_certificate_fails(ctx):
    # the certificate must be the variance; dropping the mean term is caught
    from ufm_sym.symbolic.cross_check import ZeroTester
    from ufm_sym.symbolic.explicit import explicit_loss

    L = explicit_loss("ce", 2, 1)
    Dm = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"x{i}{j}", real=True))
    sm = L.softmax
    wrong = sum(sm[i, j] * Dm[i, j] ** 2 for i in range(2) for j in range(2))
    assert not ZeroTester(L.r).is_zero(L.hessian_form(Dm) * L.N - wrong)
    assert S3.convexity_symbolic((2,)).passed
    # hess g[D, D] > 0 (strict) is false along directions with constant columns
    claim = load_registry(plugins=False)["eq:3.1"]
    strict = sp.StrictGreaterThan(claim.statement.lhs, 0, evaluate=False)
    assert not _with_statement("eq:3.1", strict, ctx, "high-precision")[0].passed


def test_wrong_rank_bound_fails(ctx):
    K = S3.D.K
    claim = load_registry(plugins=False)["eq:3.8"]
    eq, le = claim.statement
    wrong = [eq, sp.Le(le.lhs, K - 2, evaluate=False)]
    evs = _with_statement("eq:3.8", wrong, ctx)
    assert not any(e.passed for e in evs)   # rank <= K - 2 is false at the minimizers
    # and the bound K - 1 itself is false for MSE: regime C minimizers have rank K
    from ufm_sym_proofs import environments as E

    mse = C.statement_truth_evidence(ctx, claim, C.record_envs(C.hp_records(ctx, "mse"),
                                                                E.point_env), "mse",
                                     margin=C.hp_margins(ctx))
    assert not mse.passed


def test_theorem_statement_fails_where_it_is_false(ctx):
    """thm:1.1's statement at a point that is critical, not global, with lambda_min >= 0:
    the truth evaluator must call it false (a spurious local minimum would look so)."""
    from ufm_sym.symbolic.truth import truth
    from ufm_sym_proofs import environments as E

    stmt = E.theorem_statement()
    env = {E.GRAD_F.name: mpmath.matrix([[0], [0]]), "P": 2, "f": mpmath.mpf(1),
           r"f^{\star}": mpmath.mpf("0.5"), sp.sstr(E.LAMBDA_MIN): mpmath.mpf("0.1")}
    assert not truth(stmt, env, mpmath.mpf("1e-30"), backend="mpmath").holds
    env[sp.sstr(E.LAMBDA_MIN)] = mpmath.mpf("-0.1")
    assert truth(stmt, env, mpmath.mpf("1e-30"), backend="mpmath").holds
    env[sp.sstr(E.LAMBDA_MIN)] = mpmath.mpf("-1e-40")   # inside the margin: not negative
    assert not truth(stmt, env, mpmath.mpf("1e-30"), backend="mpmath").holds


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
