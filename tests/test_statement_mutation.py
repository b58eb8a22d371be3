"""The statement-mutation test: a green claim means its printed statement holds.

Every claim's statement is perturbed (:func:`ufm_sym.perturb.perturbations`: one side
of a relation times 2, one weight decay doubled, an inequality flipped, made strict or
loose, one term of a sum dropped) and that claim's checks are run on the perturbed
statement.  Every perturbation must make a check of the claim fail, unless

* it is *equivalent* as told from the formulas alone (``2 x = 0`` is ``x = 0``; a dropped
  term that is zero): :func:`ufm_sym.perturb.equivalence_reason`; or
* it is listed below, with the reason it cannot fail: it means the same under the
  claim's hypotheses or for every value of the weight decays, or it is a *weaker*
  statement that is still true (no sound check can fail a true statement; the statement
  snapshots of ``tests/test_snapshots.py`` catch such an edit instead).

The list is exact: a listed perturbation that starts failing a check, or a new survivor,
fails this test, so the list is revisited whenever a statement or a check changes.
"""

from __future__ import annotations

import time

import pytest
from statement_survivors import SURVIVORS, listed  # noqa: E402

from ufm_sym.claims import VerifyContext, load_registry
from ufm_sym.perturb import check_costs, run_statement_mutations


@pytest.fixture(scope="module")
def outcomes():
    registry = load_registry(plugins=False)
    ctx = VerifyContext(dps=50, seed=0, numeric_samples=20)
    report = registry.run(ctx)
    assert report.passed, [r.label for r in report.failures()]
    t0 = time.perf_counter()
    out = run_statement_mutations(registry, ctx, costs=check_costs(report))
    return out, time.perf_counter() - t0


def test_every_perturbation_of_every_statement_fails_a_check_or_islisted(outcomes):
    results, _ = outcomes
    assert len(results) > 300
    unexplained = [f"{r.label} | {r.perturbation}" for r in results
                   if not r.killed and not r.equivalent and not listed(r.label, r.perturbation)]
    assert unexplained == [], "perturbed statements that no check rejects:\n" + "\n".join(
        unexplained)


def test_the_list_of_survivors_is_exact(outcomes):
    """A listed perturbation that a check now rejects must leave the list."""
    results, _ = outcomes
    survived = {(r.label, r.perturbation) for r in results if not r.killed}
    stale = [k for k in SURVIVORS if k not in survived]
    assert stale == []
    killed_but_listed = [f"{r.label} | {r.perturbation}" for r in results
                         if r.killed and listed(r.label, r.perturbation)]
    assert killed_but_listed == []


def test_every_claim_is_perturbed(outcomes):
    """Every claim's statement has perturbations (none is an opaque symbol)."""
    results, _ = outcomes
    perturbed = {r.label for r in results}
    labels = {c.label for c in load_registry(plugins=False)}
    assert labels - perturbed == set()


def test_kill_rate_is_reported(outcomes, capsys):
    results, seconds = outcomes
    killed = sum(r.killed for r in results)
    equivalent = sum((not r.killed) and bool(r.equivalent) for r in results)
    listed = len(results) - killed - equivalent
    with capsys.disabled():
        print(f"\nstatement mutations: {killed} killed, {equivalent} equivalent (told from "
              f"the formulas), {listed} listed survivors of {len(results)}; {seconds:.0f} s")
    assert killed + equivalent + listed == len(results)
