"""The claim registry: evidence, statuses and the dependency graph."""

import pytest

from ufm_sym.claims import (
    Claim,
    Evidence,
    Registry,
    UnknownLabelError,
    VerifyContext,
)


def passing(level="symbolic"):
    def fn(claim, ctx):
        return Evidence.exact(level, True, "holds")
    return fn


def failing(level="numeric"):
    def fn(claim, ctx):
        return Evidence.from_residual(level, 1e-3, 1e-10, 3, "residual too large")
    return fn


def build(chain_fail=False):
    reg = Registry()
    a = reg.claim("eq:a", "A")
    a.check("symbolic")(passing())
    b = reg.claim("eq:b", "B", uses=("eq:a",))
    hp = failing("high-precision") if chain_fail else passing("high-precision")
    b.check("high-precision")(hp)
    b.check("numeric")(passing("numeric"))
    c = reg.claim("thm:c", "C", uses=("eq:b",), kind="theorem")
    c.check("numeric")(passing("numeric"))
    d = reg.claim("lem:d", "D", uses=("eq:a",), kind="lemma")
    d.check("numeric")(passing("numeric"))
    return reg


def test_all_pass_and_strongest_level():
    rep = build().run(VerifyContext())
    assert rep.passed
    res = rep.by_label()
    assert res["eq:a"].strongest == "symbolic"
    assert res["eq:b"].strongest == "high-precision"
    assert res["thm:c"].strongest == "numeric"


def test_a_failing_level_fails_the_claim_and_blocks_dependants_by_name():
    rep = build(chain_fail=True).run(VerifyContext())
    res = rep.by_label()
    assert res["eq:b"].status == "failed"
    assert "high-precision check failed" in res["eq:b"].message
    # the numeric level passed but the claim still fails: every level must pass
    assert res["eq:b"].strongest == "numeric"
    assert res["thm:c"].status == "blocked"
    assert "eq:b (failed)" in res["thm:c"].message
    assert res["lem:d"].status == "passed"
    assert not rep.passed


def test_missing_dependency_blocks():
    reg = Registry()
    reg.claim("eq:x", "X", uses=("eq:nowhere",)).check("numeric")(passing("numeric"))
    res = reg.run(VerifyContext()).by_label()["eq:x"]
    assert res.status == "blocked" and "eq:nowhere (missing)" in res.message


def test_claim_without_evidence_fails():
    reg = Registry()
    reg.claim("eq:x", "X")
    res = reg.run(VerifyContext()).by_label()["eq:x"]
    assert res.status == "failed" and "no evidence" in res.message


def test_crashing_check_is_a_named_failure():
    reg = Registry()
    c = reg.claim("eq:x", "X")

    @c.check("numeric")
    def explodes(claim, ctx):
        raise ZeroDivisionError("boom")

    res = reg.run(VerifyContext()).by_label()["eq:x"]
    assert res.status == "failed" and "explodes raised ZeroDivisionError: boom" in res.message


def test_level_mismatch_is_a_failure():
    reg = Registry()
    reg.claim("eq:x", "X").check("symbolic")(passing("numeric"))
    res = reg.run(VerifyContext()).by_label()["eq:x"]
    assert res.status == "failed"


def test_closure_and_order():
    reg = build()
    assert reg.closure(["thm:c"]) == ["eq:a", "eq:b", "thm:c"]
    assert reg.dependants("eq:a") == ["eq:b", "thm:c", "lem:d"]
    with pytest.raises(UnknownLabelError, match="did you mean eq:a"):
        reg.closure(["eq:aa"])


def test_run_subset_runs_dependencies_only():
    rep = build().run(VerifyContext(), labels=["lem:d"])
    assert [r.label for r in rep.results] == ["eq:a", "lem:d"]


def test_cycles_are_refused():
    reg = Registry()
    reg.claim("eq:x", "X", uses=("eq:y",))
    reg.claim("eq:y", "Y", uses=("eq:x",))
    with pytest.raises(ValueError, match="cyclic"):
        reg.topological_order()


def test_duplicate_and_bad_level_are_refused():
    reg = Registry()
    reg.claim("eq:x", "X")
    with pytest.raises(ValueError, match="duplicate"):
        reg.claim("eq:x", "X again")
    with pytest.raises(ValueError, match="unknown evidence level"):
        Claim("eq:z", "Z").check("probable")


def test_evidence_from_residual_digits_and_tolerance():
    import mpmath

    with mpmath.workdps(60):
        e = Evidence.from_residual("high-precision", mpmath.mpf(10) ** -52, mpmath.mpf(10) ** -45,
                                   4, "balance")
    assert e.passed and e.digits == 52.0 and e.residual.startswith("1.0e-52")
    assert "tolerance" in e.detail
    assert not Evidence.from_residual("numeric", float("nan"), 1.0, 1, "nan").passed


def test_evidence_over_zero_points_fails_naming_why():
    e = Evidence.from_residual("numeric", 0.0, 1e-10, 0, "balance at the saddles")
    assert not e.passed and e.samples == 0
    assert e.detail == "balance at the saddles: no points (evidence over zero points fails)"
    built = Evidence("high-precision", True, None, None, 0, "rank W = rank H")
    assert not built.passed and "no points" in built.detail
    failed = Evidence("numeric", False, None, None, 0, "no saddle sampled")
    assert failed.detail == "no saddle sampled"  # already failing: left as it was


def test_a_check_that_passes_over_zero_points_after_the_fact_fails():
    """A check may set ``passed`` after building its evidence; the registry refuses it."""
    def sneaky(claim, ctx):
        ev = Evidence("numeric", False, None, None, 0, "over an empty sample")
        ev.passed = True
        return ev

    reg = Registry()
    reg.claim("eq:z", "Z").check("numeric")(sneaky)
    res = reg.run(VerifyContext()).results[0]
    assert res.status == "failed" and "no points" in res.message


def test_memo_runs_once():
    ctx = VerifyContext()
    calls = []
    assert ctx.memo("k", lambda: calls.append(1) or 5) == 5
    assert ctx.memo("k", lambda: calls.append(1) or 6) == 5
    assert calls == [1]


def test_aliases_name_grouped_claims():
    reg = build()
    reg.add_alias("eq:b2", "eq:b")
    assert reg["eq:b2"] is reg["eq:b"]
    assert "eq:b2" in reg and reg.aliases_of("eq:b") == ["eq:b2"]
    assert reg.closure(["eq:b2"]) == ["eq:a", "eq:b"]
    with pytest.raises(ValueError, match="already a label"):
        reg.add_alias("eq:a", "eq:b")
    with pytest.raises(UnknownLabelError):
        reg.add_alias("eq:z", "eq:nowhere")


def test_a_check_must_take_its_claim():
    c = Claim("eq:x", "X")
    with pytest.raises(TypeError, match=r"eq:x: a check takes \(claim, ctx\)"):
        c.check("numeric")(lambda ctx: None)
