"""The perturbations of the claims' statements that no check can fail, with the reason:
read by ``tests/test_statement_mutation.py`` (which keeps the list exact) and by
``tools/mutation.py --statements`` (which prints it in ``docs/mutation-report.md``)."""

from __future__ import annotations

WEAKER = "weaker but still true (caught by the statement snapshots)"
DEFINITION = "the left side of a definition is its name"
LAMBDAS = "an identity in the weight decays: it holds for every value of them"
VANISHES = "the term vanishes under the statement's hypotheses (W a = 0, H^T a = 0)"
SCALING = "D_W H + W D_H vanishes for every scaling of the direction (W a = 0, H^T a = 0)"
BY_EQ43 = "true at every critical point: rank W = rank H by (4.3)"

#: (label, perturbation) -> why no check can fail it
SURVIVORS: dict[tuple[str, str], str] = {
    ("step:3.C", "[1] lhs*2"): WEAKER,
    ("step:3.C", "[1] loose"): WEAKER,
    ("step:3.C", "[3] rhs*2"): WEAKER,
    ("step:3.a", "[0] rhs*2"): WEAKER,
    ("step:3.a", "[0] loose"): WEAKER,
    ("eq:3.10", "[0] lhs*2"): DEFINITION,
    ("eq:3.11", "lambda_W*2"): SCALING,
    ("eq:3.11", "lambda_H*2"): SCALING,
    ("step:3.final", "[1] drop 2*sqrt(lambda_H)*sqrt(lambda_W) of lhs"): WEAKER,
    ("eq:4.1", "[1] lhs*2"): WEAKER,
    ("eq:4.1", "[1] loose"): WEAKER,
    ("eq:4.1", "[3] rhs*2"): WEAKER,
    ("eq:4.9", "[0] rhs*2"): WEAKER,
    ("eq:4.9", "[0] flip"): BY_EQ43,
    ("eq:4.10", "[0] rhs*2"): WEAKER,
    ("eq:4.10", "[0] flip"): BY_EQ43,
    ("step:4.3.crit", "lambda_W*2"): LAMBDAS,
    ("step:4.3.crit", "lambda_H*2"): LAMBDAS,
    ("step:4.3.crit", "lambda_b*2"): LAMBDAS,
    ("eq:4.17", "[0] lhs*2"): DEFINITION,
    ("eq:4.19", "[0] drop alpha*u*a.T*H of lhs"): VANISHES,
    ("eq:4.19", "[0] drop beta*W*a*v.T of lhs"): VANISHES,
    ("eq:4.22", "[0] drop alpha*u*a.T*V*V.T*H of lhs"): VANISHES,
    ("eq:4.22", "[0] drop beta*W*V*V.T*a*v.T of lhs"): VANISHES,
    ("eq:4.25", "lambda_W*2"): LAMBDAS,
    ("eq:4.25", "lambda_H*2"): LAMBDAS,
    ("step:4.3.inv", "lambda_W*2"): LAMBDAS,
    ("step:4.3.inv", "lambda_H*2"): LAMBDAS,
    ("step:4.3.inv", "lambda_b*2"): LAMBDAS,
    ("eq:4.35", "[0] rhs*2"): WEAKER,
    ("eq:4.35", "[0] loose"): WEAKER,
    ("eq:4.36", "[0] lhs*2"): DEFINITION,
    ("eq:4.37", "lambda_W*2"): SCALING,
    ("eq:4.37", "lambda_H*2"): SCALING,
    ("step:4.final", "[1] drop 2*sqrt(lambda_H)*sqrt(lambda_W) of lhs"): WEAKER,
}

#: survivors named by prefix: dropping a term that vanishes under the hypotheses (the
#: names print the whole term, too long to list)
VANISHING_DROPS: dict[str, tuple[str, ...]] = {
    "step:3.final": ("[0] drop HessianG(",),
    "eq:4.25": ("[0] drop Trace(", "[1] drop Trace("),
    "eq:4.37": ("[0] drop (-lambda_W**(1/4)", "[0] drop (lambda_H**(1/4)"),
    "step:4.final": ("[0] drop Trace(",),
}


def listed(label: str, name: str) -> str | None:
    """Why the perturbation ``name`` of ``label`` cannot fail a check, or None."""
    if (label, name) in SURVIVORS:
        return SURVIVORS[(label, name)]
    if any(name.startswith(p) for p in VANISHING_DROPS.get(label, ())):
        return VANISHES
    return None
