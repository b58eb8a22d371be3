"""Section 4 (Propositions 4.1-4.3, Assumption 4.4, Theorem 1.2) and the cited closed
form of [12]: every claim passes, every label of the paper is covered, and every kind
of evidence rejects a wrong claim."""


import mpmath
import numpy as np
import pytest
import sympy as sp

from ufm_sym.claims import Registry, VerifyContext, load_registry
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import section4 as S4
from ufm_sym_proofs import section4_points as P

#: every label of Section 4 that the issue lists, plus the theorem and the cited result
PAPER_LABELS = (["ref:12", "prop:4.1", "eq:4.1", "prop:4.2", "prop:4.3", "asm:4.4",
                 "step:4.final", "thm:1.2"]
                + [f"eq:4.{i}" for i in range(1, 39)])


def _section4_labels():
    reg = load_registry()
    return [c.label for c in reg if c.section == "4"] + ["thm:1.2"]


@pytest.fixture(scope="module")
def ctx():
    return VerifyContext(dps=50, seed=0, numeric_samples=20)


@pytest.fixture(scope="module")
def report(ctx):
    return load_registry().run(ctx, labels=_section4_labels())


def test_every_paper_label_is_a_claim_or_covered():
    labels = set(load_registry().labels)
    covered = labels | {x for group in S4.COVERS.values() for x in group}
    missing = [lbl for lbl in PAPER_LABELS if lbl not in covered]
    assert not missing
    for label, group in S4.COVERS.items():
        assert label in labels and label in group
        title = load_registry()[label].title
        assert label.startswith("eq:") or "covers" in title  # grouped labels are named


def test_every_section4_claim_passes(report):
    res = report.by_label()
    bad = {k: v.message for k, v in res.items() if v.status != "passed"}
    assert not bad
    assert {"ref:12", "prop:4.3", "asm:4.4", "eq:4.31", "thm:1.2"} <= set(res)
    assert res["asm:4.4"].kind == "assumption" and res["ref:12"].cited


@pytest.mark.parametrize("label", [
    "prop:4.1", "eq:4.2", "eq:4.3", "eq:4.4", "eq:4.5", "eq:4.6", "eq:4.7", "eq:4.8",
    "eq:4.9", "eq:4.10", "eq:4.11", "eq:4.12", "eq:4.13", "eq:4.15", "step:4.3.crit",
    "eq:4.16", "eq:4.17", "eq:4.18", "eq:4.19", "eq:4.22", "eq:4.25", "step:4.3.inv",
    "eq:4.27", "eq:4.28", "eq:4.29", "eq:4.31", "eq:4.36", "eq:4.37", "eq:4.38",
    "step:4.final"])
def test_symbolic_evidence_where_the_issue_asks(report, label):
    assert report.by_label()[label].strongest == "symbolic"


def test_high_precision_digits_at_least_45(report):
    for r in report.results:
        if not (r.label.startswith(("eq:4", "prop:4", "asm:4", "step:4", "ref:12"))
                or r.label == "thm:1.2"):
            continue
        for e in r.evidence:
            if e.level == "high-precision" and e.digits is not None:
                assert e.digits >= 45, (r.label, e.digits)


def test_high_precision_runs_at_every_mse_critical_point(report, ctx):
    n = len(P.records(ctx))
    assert n > len(C.hp_records(ctx, "mse"))
    for label in ("eq:4.4", "eq:4.6", "eq:4.14", "prop:4.3", "asm:4.4"):
        ev = [e for e in report.by_label()[label].evidence if e.level == "high-precision"]
        # prop:4.3 compares quadratic forms along two directions per point
        assert ev and all(e.samples in (n, 2 * n) for e in ev), label
    # the column-by-column claims run at every column i <= r of every point with W != 0
    columns = sum(P.rotated(r, ctx).r for r in P.records(ctx))
    for label in ("eq:4.27", "eq:4.28", "eq:4.29"):
        ev = [e for e in report.by_label()[label].evidence if e.level == "high-precision"]
        assert ev and all(e.samples == columns for e in ev), label
    nonzero = sum(1 for r in P.records(ctx) if P.rotated(r, ctx).r > 0)
    ev = [e for e in report.by_label()["eq:4.30"].evidence if e.level == "high-precision"]
    assert ev and ev[0].samples == nonzero


def test_case2_claims_coverage(report, ctx):
    """(4.32) and (4.33) run at every point of Case 2 with W != 0, those of rank 1
    included (a filter r > 1 would drop them)."""
    ranks = [P.rotated(r, ctx).r for r in P.case2_records(ctx)]
    assert 1 in ranks and 0 in ranks
    ev = [e for e in report.by_label()["eq:4.32"].evidence if e.level == "high-precision"]
    assert ev and f"evaluated at {sum(r > 0 for r in ranks)} points" in ev[0].detail
    c2 = [P.rotated(r, ctx).r for r in P.c2_records(ctx)]
    assert 1 in c2
    ev = [e for e in report.by_label()["eq:4.33"].evidence if e.level == "high-precision"]
    assert ev and ev[0].samples == sum(r > 0 for r in c2)


def test_column_environments_coverage(ctx):
    """(4.27)-(4.29) are evaluated column by column with e_i the i-th standard basis
    vector (a statement checked at a sum of columns would not see one wrong column)."""
    rot = next(P.rotated(r, ctx) for r in P.records(ctx) if P.rotated(r, ctx).r >= 2)
    envs = P.index_envs(rot)
    assert len(envs) == rot.r
    for k, env in enumerate(envs):
        e = env["e_i"]
        assert env["i"] == k + 1
        assert [e[m, 0] for m in range(rot.p.d)] == [1 if m == k else 0 for m in range(rot.p.d)]


def test_numeric_evidence_has_many_samples():
    big = VerifyContext(numeric_samples=100)
    for ev in (P.float_evidence(big, "prop4.3"), P.float_evidence(big, "4.29")):
        assert ev.passed and ev.samples >= 100, ev.detail
    rep = load_registry(plugins=False).run(big, labels=["eq:4.6"])
    ev = [e for e in rep.by_label()["eq:4.6"].evidence if e.level == "numeric"][0]
    assert ev.passed and ev.samples >= 100


def test_theorem_records_the_non_degenerate_finding(report):
    res = report.by_label()["thm:1.2"]
    assert any("non-degenerate" in f and "literally false" in f for f in res.findings)


def test_case1_is_exercised(report, ctx):
    assert len(P.case1_records(ctx)) >= 2
    assert any("not vacuous" in f for f in report.by_label()["eq:4.31"].findings)


# --------------------------------------------------------- wrong claims fail
lw, lh = S4.lw, S4.lh


def _with_statement(label, statement, ctx, level=None):
    """The claim's checks (at ``level``) on a replaced statement."""
    claim = load_registry(plugins=False)[label]
    claim.statement = statement
    return [fn(claim, ctx) for lvl, fn in claim.checks if level is None or lvl == level]


def test_wrong_multiplier_in_balance_fails_symbolically_at_hp_and_in_float64(ctx):
    claim = load_registry(plugins=False)["eq:4.6"]
    swapped = [e.subs({lw: lh, lh: lw}, simultaneous=True) for e in claim.statement]
    evs = _with_statement("eq:4.6", swapped, ctx)
    assert [e.level for e in evs] == ["symbolic", "high-precision", "numeric"]
    assert not any(e.passed for e in evs), [e.detail for e in evs]
    assert P.float_evidence(ctx, "4.6").passed
    assert not P.float_evidence(ctx, "4.6", ratio=lambda a, c: a / c).passed


def test_quarter_powers_swapped_fails(ctx):
    """The direction (4.36) with the quarter powers swapped: its symbolic and
    high-precision checks fail (visible where lambda_W != lambda_H)."""
    claim = load_registry(plugins=False)["eq:4.36"]
    alpha_sw = (lw / lh) ** sp.Rational(1, 4)
    beta_sw = -((lh / lw) ** sp.Rational(1, 4))
    dirn = S4.Geo.direction(alpha_sw, beta_sw)
    wrong = sp.Eq(claim.statement.lhs, sp.Tuple(dirn["D_W"], dirn["D_H"], dirn["D_b"]),
                  evaluate=False)
    evs = _with_statement("eq:4.36", wrong, ctx)
    assert evs and not any(e.passed for e in evs)


def test_every_default_mse_setting_has_equal_lambdas_hence_the_extra_settings(ctx):
    """A swap of lambda_W and lambda_H is invisible where they are equal: the default
    MSE settings all have lambda_W = lambda_H, so Section 4 adds settings where they
    differ (high precision and float64)."""
    default = {r.problem for r in C.hp_records(ctx, "mse")}
    assert all(p.lambda_W == p.lambda_H for p in default)
    extra = {r.problem for r in P.records(ctx)} - default
    assert extra and all(p.lambda_W != p.lambda_H for p in extra)
    assert any(fr.sample.problem.lambda_W != fr.sample.problem.lambda_H
               for fr in P.float_rotated(ctx))


def test_case1_threshold_without_sqrt_fails(ctx):
    assert P.case1_evidence(ctx).passed
    assert not P.case1_evidence(ctx, threshold=lambda a, c: a * c).passed
    claim = load_registry(plugins=False)["eq:4.31"]
    wrong = sp.Eq(claim.statement.lhs, lw * lh, evaluate=False)
    evs = _with_statement("eq:4.31", wrong, ctx)
    assert not any(e.passed for e in evs if e.level in ("symbolic", "high-precision"))
    assert not P.float_evidence(ctx, "4.31", sigma=lambda a, c: a * c).passed


def test_wrong_singular_value_fails(ctx):
    def wrong(a, c):
        return 2 * mpmath.sqrt(a * c) if isinstance(a, mpmath.mpf) else 2 * np.sqrt(a * c)

    claim = load_registry(plugins=False)["eq:4.28"]
    evs = _with_statement("eq:4.28", sp.Eq(claim.statement.lhs, 2 * S4.THR, evaluate=False),
                          ctx)
    assert not any(e.passed for e in evs if e.level in ("symbolic", "high-precision"))
    assert not S4.singular_pair_symbolic(sigma=2 * S4.THR).passed
    assert not P.float_evidence(ctx, "4.28", sigma=wrong).passed


def test_normal_form_needs_the_rotation(ctx):
    """Without V the float64 samples (random points of the rotation orbit) are not in the
    normal form (4.26): the check is not vacuous."""
    frs = P.float_rotated(ctx)
    unrotated = [P.FloatRotated(fr.sample, fr.sample.point, np.eye(fr.sample.problem.d), fr.r,
                                fr.G, fr.sG) for fr in frs]
    assert max(P.float_residual(fr, "4.26") for fr in frs) < 1e-6
    assert max(P.float_residual(fr, "4.26") for fr in unrotated) > 1e-3


def test_rotated_gradient_needs_orthogonality():
    """Without V V^T = I the rotated gradient is not the rotated gradient."""
    from ufm_sym.symbolic.hypotheses import reduce_matrix
    from ufm_sym.symbolic.normal_form import matrix_equal

    gw = S4.D.grad_W.xreplace({S4.G: S4.G_ROT, **S4.ROT})
    got = reduce_matrix(gw - S4.GRAD_W * S4.V, [])
    assert not matrix_equal(got, sp.ZeroMatrix(S4.K, S4.d))
    assert S4.rotated_critical_symbolic().passed


def test_a_failing_dependency_blocks_the_theorem(ctx):
    fresh = Registry()
    for claim in load_registry():
        fresh.add(claim)
    fresh["eq:4.6"].checks[:] = [("symbolic", lambda claim, ctx: C.identity_evidence(
        S4.W.T * S4.W, S4.H * S4.H.T, "wrong (4.6)"))]
    res = fresh.run(ctx, labels=["eq:4.16"]).by_label()
    assert res["eq:4.6"].status == "failed"
    assert res["eq:4.16"].status == "blocked" and "eq:4.6" in res["eq:4.16"].message
