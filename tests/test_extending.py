"""Extension by others (docs/extending.md): the example package examples/extra_claims
registers its claims through the ``ufm_sym.proofs`` entry point, they pass, and a wrong
statement fails its check.  Skipped where the example is not installed (``.ci/run``
installs it: ``pip install -e examples/extra_claims``)."""

from __future__ import annotations

import pytest
import sympy as sp

from ufm_sym.claims import Registry, VerifyContext, load_registry

extra = pytest.importorskip("ufm_sym_extra_claims",
                            reason="pip install -e examples/extra_claims")

LABELS = ["zhu:value", "zhu:crit"]


def test_entry_point_registers_the_claims_and_they_pass() -> None:
    registry = load_registry()
    assert all(label in registry for label in LABELS)
    report = registry.run(VerifyContext(), LABELS)
    assert report.passed, [(r.label, r.message) for r in report.results]
    assert all(label not in load_registry(plugins=False) for label in LABELS)


@pytest.mark.parametrize("label, wrong", [
    # (K - 1) q replaced by K q: a wrong constant
    ("zhu:value", lambda s: sp.Eq(s.lhs, s.rhs.subs(sp.Symbol("K", positive=True),
                                                         sp.Symbol("K", positive=True) + 1))),
    # the criterion with a factor 2: a wrong constant
    ("zhu:crit", lambda s: sp.Eq(s.lhs, 2 * s.rhs)),
])
def test_a_wrong_statement_fails_its_check(label, wrong) -> None:
    reg = Registry()
    extra.register(reg)
    claim = reg[label]
    claim.statement = wrong(claim.statement)
    report = reg.run(VerifyContext(), [label])
    assert report.results[-1].status == "failed"
