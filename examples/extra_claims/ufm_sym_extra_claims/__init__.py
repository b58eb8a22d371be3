"""Claims about the cross-entropy UFM with d > K (Zhu et al. 2021, [13] of the paper),
registered with ufm-sym by a package of their own.

* ``zhu:value``: the global value of (1.3) for d > K,
  ``f* = -log(1 - (K-1) q) + (K-1) q log((1 - (K-1) q)/q)``, ``q = sqrt(n lW lH)``
  when ``K q < 1`` ([13], Thm 3.1; the closed form of docs/math.md §3 of ufm-sym);
* ``zhu:crit``: at those global minimizers the spectral criterion holds with
  equality, ``||grad g(R)||_2 = sqrt(lW lH)`` ([13], Lemma C.4 and its converse).

Each check follows ufm-sym's contract: ``fn(claim, ctx) -> Evidence``, and it evaluates
``claim.statement`` (perturb the statement and the check fails).  The minimizers are
found without the closed form: float64 L-BFGS from random starts, at d > K.

>>> from ufm_sym.claims import Registry
>>> reg = Registry()
>>> register(reg)
>>> sorted(c.label for c in reg)
['zhu:value', 'zhu:crit']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ufm_sym.claims import Evidence, Registry, VerifyContext
from ufm_sym.model import Problem

__all__ = ["SETTINGS", "register", "value_statement", "criterion_statement"]

#: d > K, with K sqrt(n lW lH) < 1 (a nonzero minimizer)
SETTINGS = (
    Problem("ce", K=3, n=2, d=5, lambda_W="5e-3", lambda_H="1e-2", lambda_b="1e-2"),
    Problem("ce", K=4, n=1, d=6, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
)
TOL = 1e-8  # float64 L-BFGS minimizers: relative agreement of f, and of the criterion

K, n, lW, lH, f_star = sp.symbols("K n lambda_W lambda_H f^*", positive=True)


def value_statement() -> sp.Eq:
    """``f* = -log(1 - (K-1) q) + (K-1) q log((1 - (K-1) q)/q)``, ``q = sqrt(n lW lH)``."""
    q = sp.sqrt(n * lW * lH)
    return sp.Eq(f_star, -sp.log(1 - (K - 1) * q) + (K - 1) * q * sp.log((1 - (K - 1) * q) / q))


def criterion_statement() -> sp.Eq:
    """``||grad g(R)||_2 = sqrt(lW lH)`` at a global minimizer (``G`` is ``grad g(R)``)."""
    from ufm_sym.symbolic.functions import SpectralNorm

    G = sp.MatrixSymbol("G", sp.Symbol("K", integer=True), sp.Symbol("N", integer=True))
    return sp.Eq(SpectralNorm(G), sp.sqrt(sp.Symbol("lambda_W") * sp.Symbol("lambda_H")))


def minimizers(ctx: VerifyContext) -> list[tuple[Problem, Any]]:
    """The best of three L-BFGS runs from random starts, for each setting (memoised)."""
    from ufm_sym.numeric.optimize import find_critical

    def make() -> list[tuple[Problem, Any]]:
        out = []
        for i, p in enumerate(SETTINGS):
            rng = np.random.default_rng(1000 * ctx.seed + i)
            runs = [find_critical(p, tuple(0.3 * rng.standard_normal(s) for s in
                                           ((p.K, p.d), (p.d, p.N), (p.K,))))
                    for _ in range(3)]
            out.append((p, min(runs, key=lambda r: r.value).point))
        return out

    return ctx.memo(("zhu21", "minimizers", ctx.seed), make)


def check_value(claim: Any, ctx: VerifyContext) -> Evidence:
    """The statement's right side, evaluated at each setting, against the minimum found."""
    from ufm_sym.numeric.kernels import Spec, objective

    rhs = claim.statement.rhs
    worst = 0.0
    for p, x in minimizers(ctx):
        lw, lh, _ = p.float_lambdas()
        predicted = float(rhs.subs({K: p.K, n: p.n, lW: lw, lH: lh}))
        found = float(objective(Spec.from_problem(p), *x))
        worst = max(worst, abs(found - predicted) / max(1.0, abs(predicted)))
    return Evidence("numeric", worst <= TOL, f"{worst:.3e}", None, len(SETTINGS),
                    f"the worst relative gap between the minimum found by L-BFGS (d > K) "
                    f"and the statement's value is {worst:.1e} (tolerance {TOL:g})")


def check_criterion(claim: Any, ctx: VerifyContext) -> Evidence:
    """The statement (both sides) evaluated at each minimizer found."""
    from ufm_sym.numeric.kernels import Spec, grad_g, logits
    from ufm_sym.symbolic.evaluate import evaluate_matrix_expr

    worst = 0.0
    for p, x in minimizers(ctx):
        lw, lh, _ = p.float_lambdas()
        env = {"G": grad_g(Spec.from_problem(p), logits(*x)), "lambda_W": lw, "lambda_H": lh}
        lhs = float(evaluate_matrix_expr(claim.statement.lhs, env))
        rhs = float(evaluate_matrix_expr(claim.statement.rhs, env))
        worst = max(worst, abs(lhs - rhs) / max(1.0, abs(rhs)))
    return Evidence("numeric", worst <= TOL, f"{worst:.3e}", None, len(SETTINGS),
                    f"||grad g||_2 against sqrt(lW lH) at the minimizers found (d > K): "
                    f"worst relative difference {worst:.1e} (tolerance {TOL:g})")


def register(registry: Registry) -> None:
    """Add the claims (the entry point ``ufm_sym.proofs`` calls this)."""
    c = registry.claim("zhu:value", "[13] Thm 3.1 at d > K: the CE global value",
                       statement=value_statement(), kind="cited", cited=True,
                       section="zhu21")
    c.check("numeric")(check_value)
    c = registry.claim("zhu:crit", "[13] Lemma C.4 at d > K: equality at minimizers",
                       statement=criterion_statement(), kind="cited", cited=True,
                       section="zhu21", uses=("zhu:value",))
    c.check("numeric")(check_criterion)
