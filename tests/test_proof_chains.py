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
