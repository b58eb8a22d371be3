"""The perturbations of the claims' statements that no check can fail, with the reason:
read by ``tests/test_statement_mutation.py`` (which keeps the list exact) and by
``tools/mutation.py --statements`` (which prints it in ``docs/mutation-report.md``).

The list is empty: every claim that had survivors (a weaker statement that is still true,
a definition's name, a term that vanishes under the hypotheses, a weight decay an identity
does not depend on) now has a proof chain whose conclusion must be the statement as it
stands (:func:`ufm_sym_proofs.chains.proof_evidence`), so any perturbation of it fails that
check.  A survivor added here needs its reason, e.g.::

    SURVIVORS[("eq:4.9", "[0] flip")] = "true at every critical point: rank W = rank H"
"""

from __future__ import annotations

#: (label, perturbation) -> why no check can fail it
SURVIVORS: dict[tuple[str, str], str] = {}

#: survivors named by prefix (label -> name prefixes), with their reason: dropping a term
#: that vanishes under the hypotheses (the names print the whole term, too long to list)
VANISHING_DROPS: dict[str, tuple[tuple[str, ...], str]] = {}


def listed(label: str, name: str) -> str | None:
    """Why the perturbation ``name`` of ``label`` cannot fail a check, or None."""
    if (label, name) in SURVIVORS:
        return SURVIVORS[(label, name)]
    prefixes, why = VANISHING_DROPS.get(label, ((), ""))
    if any(name.startswith(p) for p in prefixes):
        return why
    return None
