"""Proofs as chains of checked steps (proofs/main_results.py, proofs/chains.py): every
main result has a chain whose every step is checked and whose conclusion is the claim's
statement; a wrong identity, a wrong fact instance, a missing step or a changed
statement fails it."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from ufm_sym.claims import ProofStep, VerifyContext, load_registry
from ufm_sym_proofs import chains
from ufm_sym_proofs import main_results as M

MAIN = ["lem:3.1", "eq:3.8", "prop:4.1", "prop:4.2", "prop:4.3", "eq:4.30", "eq:4.31",
        "eq:4.32", "eq:4.33", "eq:4.34", "thm:1.1", "thm:1.2", "lem:C.4"]


@pytest.fixture(scope="module")
def registry():
    return load_registry(plugins=False)


@pytest.fixture(scope="module")
def ctx():
    return VerifyContext(dps=50, seed=0, numeric_samples=10)


@pytest.mark.parametrize("label", MAIN)
def test_every_main_result_has_a_checked_chain(registry, ctx, label):
    claim = registry[label]
    assert claim.proof and claim.proof[-1].formula == claim.statement
    ev = chains.proof_evidence(claim, ctx, registry)
    assert ev.passed, ev.detail
    kinds = {s.kind for s in claim.proof}
    assert kinds <= {"identity", "fact", "claim"}
    # the chain's symbolic evidence is a check of the claim (the first one)
    assert claim.checks[0][0] == "symbolic"


def _with_steps(registry, label, steps):
    claim = dataclasses.replace(registry[label])
    claim.proof = steps
    return claim


def test_a_wrong_identity_step_fails(registry, ctx):
    claim = registry["prop:4.2"]
    step = claim.proof[0]                    # (4.6) as a combination of the gradient
    wrong = chains.identity(step.text, sp.Eq(step.formula.lhs, 2 * step.formula.rhs,
                                             evaluate=False),
                            combination=(M.W.T * M.D.grad_W - M.D.grad_H * M.H.T) / M.lw)
    ev = chains.proof_evidence(_with_steps(registry, "prop:4.2", [wrong, *claim.proof[1:]]),
                               ctx, registry)
    assert not ev.passed and "step 1" in ev.detail


def test_a_wrong_fact_instance_fails(registry, ctx):
    claim = registry["eq:3.8"]
    i = next(k for k, s in enumerate(claim.proof) if s.kind == "fact")
    step = claim.proof[i]
    bad = ProofStep(step.text, sp.Le(step.formula.args[1].lhs, M.K - 2), kind="fact",
                    by=step.by, subs=step.subs)
    steps = list(claim.proof)
    steps[i] = bad
    assert not chains.proof_evidence(_with_steps(registry, "eq:3.8", steps), ctx,
                                     registry).passed


def test_a_missing_step_leaves_a_relation_unestablished(registry, ctx):
    claim = registry["eq:3.8"]
    steps = [s for s in claim.proof if s.kind != "fact"]   # drop the rank bound's fact
    ev = chains.proof_evidence(_with_steps(registry, "eq:3.8", steps), ctx, registry)
    assert not ev.passed and "not established" in ev.detail


def test_a_changed_statement_is_not_the_chains_conclusion(registry, ctx):
    claim = dataclasses.replace(registry["lem:3.1"])
    claim.proof = registry["lem:3.1"].proof
    claim.statement = sp.Implies(claim.statement.args[0],
                                 sp.Le(claim.statement.args[1].args[1].lhs, M.K))
    assert not chains.proof_evidence(claim, ctx, registry).passed


def test_a_step_citing_a_claim_outside_uses_is_refused(registry):
    reg = load_registry(plugins=False)
    with pytest.raises(ValueError, match="not among its uses"):
        chains.add_proof(reg, "eq:3.8", lambda: [chains.prior("x", reg, "thm:1.1")])


def test_an_identity_without_a_check_fails(registry, ctx):
    claim = registry["eq:4.33"]
    bare = ProofStep("no check", claim.proof[1].formula, kind="identity", by="nothing")
    steps = [claim.proof[0], bare, claim.proof[-1]]
    assert not chains.proof_evidence(_with_steps(registry, "eq:4.33", steps), ctx,
                                     registry).passed


# ------------------------------------------- the chains of the steps (Sections 3 and 4)
STEPS = ["eq:3.6", "step:3.C", "eq:3.9", "step:3.a", "eq:3.10", "eq:3.11", "step:3.final",
         "eq:4.1", "eq:4.4", "eq:4.5", "eq:4.2", "eq:4.7", "eq:4.8", "eq:4.9", "eq:4.10",
         "eq:4.3", "eq:4.11", "eq:4.12", "eq:4.13", "eq:4.14", "eq:4.15", "step:4.3.crit",
         "eq:4.16", "eq:4.17", "eq:4.18", "eq:4.19", "eq:4.22", "eq:4.25", "step:4.3.inv",
         "asm:4.4", "eq:4.27", "eq:4.28", "eq:4.29", "eq:4.35", "eq:4.36", "eq:4.37",
         "eq:4.38", "step:4.final"]


def test_every_step_of_sections_3_and_4_has_a_checked_chain(registry, ctx):
    bad = {}
    for label in STEPS:
        claim = registry[label]
        ev = chains.proof_evidence(claim, ctx, registry)
        if not (claim.proof and claim.checks[0][0] == "symbolic" and ev.passed):
            bad[label] = ev.detail
    assert not bad, bad
    # the claims of the paper without a proof part: the hypothesis d = K only
    assert [c.label for c in registry if not (c.proof or c.derivation or c.cited)] == [
        "hyp:dimension"]


def test_the_derived_steps_fail_on_a_wrong_formula(registry):
    from ufm_sym_proofs import section3_proofs as S3P
    from ufm_sym_proofs import section4_proofs as S4P

    # (3.6): the summed softmax gradient, with a factor 2 or a dropped label term
    f = registry["eq:3.6"].proof[0].formula
    assert S3P.sum_identity(f)
    assert not S3P.sum_identity(sp.Eq(2 * f.lhs, f.rhs, evaluate=False))
    assert not S3P.sum_identity(sp.Eq(f.lhs, sp.Integer(1), evaluate=False))
    # the MSE Hessian hess g[D, D] = ||D||^2/N, with N + 1 or a factor 2
    f = registry["eq:4.1"].proof[0].formula
    assert S3P.mse_hessian_matches(f)
    assert not S3P.mse_hessian_matches(sp.Eq(f.lhs, f.rhs * M.N / (M.N + 1), evaluate=False))
    assert not S3P.mse_hessian_matches(sp.Eq(f.lhs, 2 * f.rhs, evaluate=False))
    # -2 sigma + 2 sqrt(lW lH) < 0 in C2: a flipped sign and a non-strict variant fail
    ctx = VerifyContext(dps=30)
    fin = registry["step:3.final"]
    rel = next(s.formula for s in fin.proof if isinstance(s.formula, sp.StrictLessThan))
    assert S3P.negative_curvature_step(rel).check(fin, ctx).passed
    for wrong in (sp.Lt(-rel.lhs, 0, evaluate=False), sp.Le(rel.lhs, 0, evaluate=False)):
        assert not S3P.negative_curvature_step(wrong).check(fin, ctx).passed
    # Assumption 4.4's diagonal balance: lambda_H doubled, or the off-diagonal mask
    asm = registry["asm:4.4"]
    rel = asm.statement[-1]
    comb = S4P.V.T * (M.W.T * M.D.grad_W - M.D.grad_H * M.H.T) * S4P.V
    assert S4P._hadamard_of_combination(rel, comb)
    assert not S4P._hadamard_of_combination(rel.xreplace({M.lh: 2 * M.lh}), comb)
    assert not S4P._hadamard_of_combination(asm.statement[0], comb)


def test_a_reduction_through_g_fails_when_wrong(registry):
    """step:4.3.inv reduces inside g(.) and hess g[., .] (traces cyclic): a doubled
    weight decay or an unrotated direction fails."""
    from ufm_sym_proofs import section4 as S4

    ctx = VerifyContext(dps=30)
    inv = registry["step:4.3.inv"]
    Q = sp.MatrixSymbol("Q", M.d, M.d)

    def check(rel):
        return chains.identity("x", rel, hypotheses=S4.ORTH_Q).check(inv, ctx).passed

    for rel in inv.statement:
        assert check(rel)
        assert not check(sp.Eq(rel.lhs, rel.rhs.xreplace({M.lw: 2 * M.lw}), evaluate=False))
    rel = inv.statement[1]
    assert not check(sp.Eq(rel.lhs.xreplace({Q.T: sp.Identity(M.d)}), rel.rhs,
                           evaluate=False))


def test_a_definition_chain_needs_its_statement(registry, ctx):
    """A chain that closes a definition lists the statement as established: a changed
    statement is not the chain's conclusion."""
    claim = dataclasses.replace(registry["eq:4.36"])
    claim.proof = registry["eq:4.36"].proof
    claim.statement = sp.Eq(claim.statement.lhs, sp.Tuple(*(2 * x for x in
                                                            claim.statement.rhs)))
    assert not chains.proof_evidence(claim, ctx, registry).passed


def test_zero_test_coverage():
    """The exact zero test of identity steps, its last resort (simplify) included: a
    trigonometric identity that no normal form of matrix polynomials decides."""
    x = sp.Symbol("x")
    assert chains._is_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)
    assert not chains._is_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2)
    W = sp.MatrixSymbol("W", 2, 3)
    assert chains._is_zero(W * W.T - (W * W.T).T)
    assert not chains._is_zero(W * W.T - W.T.T * W.T + sp.Identity(2))


def test_scalar_identity_under_hypotheses_coverage(registry, ctx):
    """A scalar identity step under hypotheses: true reductions pass, a wrong one fails."""
    from ufm_sym.symbolic.hypotheses import Hypothesis

    Q = sp.MatrixSymbol("Q", 3, 3)
    A = sp.MatrixSymbol("A", 3, 3)
    hyps = [Hypothesis(Q * Q.T, sp.Identity(3))]
    good = chains.identity("rotation", sp.Eq(sp.Trace(Q.T * A.T * A * Q),
                                             sp.Trace(A.T * A)), hypotheses=hyps)
    bad = chains.identity("rotation", sp.Eq(sp.Trace(Q.T * A.T * A * Q),
                                            2 * sp.Trace(A.T * A)), hypotheses=hyps)
    claim = registry["lem:3.1"]
    assert good.check(claim, ctx).passed
    assert not bad.check(claim, ctx).passed


def test_a_fact_instance_with_a_wrong_link_fails(registry, ctx):
    """prop:4.2's rank-product step is tied to W: rank(A B) <= rank B is true for any A,
    so its instance must also satisfy A B - W = -(1/lambda_W) df/dW identically; a
    flipped sign (or a wrong factor) in A is a true fact instance that no longer says
    anything about W, and the chain fails."""
    claim = registry["prop:4.2"]
    assert chains.proof_evidence(claim, ctx, registry).passed
    i = next(k for k, s in enumerate(claim.proof) if s.kind == "fact")
    A, B = claim.proof[i].subs["A"], claim.proof[i].subs["B"]
    for wrong in (-A, M.lw * M.lw * A):
        step = chains.fact("x", "rank-product", {"A": wrong, "B": B},
                           link=(wrong * B, M.W, -M.D.grad_W / M.lw))
        changed = dataclasses.replace(claim, proof=list(claim.proof))
        changed.proof[i] = step
        ev = chains.proof_evidence(changed, ctx, registry)
        assert not ev.passed and f"step {i + 1} (fact" in ev.detail


@pytest.mark.parametrize("label, factor", [("eq:4.9", "A"), ("eq:4.10", "B")])
def test_the_rank_bound_instances_with_a_wrong_link_fail(registry, ctx, label, factor):
    """(4.9)/(4.10): the rank-product instance is tied to W (to H) by its link; the
    same instance with the factor's sign flipped is a true fact about another matrix."""
    from ufm_sym_proofs import section4_proofs as S

    claim = registry[label]
    assert chains.proof_evidence(claim, ctx, registry).passed
    i = next(k for k, s in enumerate(claim.proof) if s.kind == "fact")
    assert claim.proof[i].check is not None          # linked
    subs = dict(claim.proof[i].subs)
    subs[factor] = -subs[factor]
    target, comb = ((S.W, -S.D.grad_W / S.lw) if factor == "A"
                    else (S.H, -S.D.grad_H / S.lh))
    step = chains.fact("x", "rank-product", subs, link=(subs["A"] * subs["B"], target, comb))
    changed = dataclasses.replace(claim, proof=list(claim.proof))
    changed.proof[i] = step
    assert not chains.proof_evidence(changed, ctx, registry).passed
