"""The results the paper cites, marked ``cited`` and still checked: (1.5)-(1.7), the
form of the CE global minimizer from [13, Thm 3.1], and [13, Lemma C.4], the spectral
certificate of global optimality.

The minimizers used here are found independently of the closed form: L-BFGS in
float64 from random starts, then refined to 1e-45 in mpmath.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.claims import Evidence, Registry, VerifyContext
from ufm_sym.model import Problem
from ufm_sym.symbolic.expressions import FrobeniusNorm
from ufm_sym.symbolic.functions import SpectralNorm
from ufm_sym_proofs import _common as C

SETTINGS = (
    Problem("ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b="1e-2"),
    Problem("ce", K=4, n=1, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
    Problem("ce", K=4, n=2, lambda_W="2e-2", lambda_H="5e-3", lambda_b="1e-3"),
)


def minimizers_from_random_starts(ctx: VerifyContext) -> list[tuple[Problem, Any]]:
    """CE global minimizers reached by L-BFGS from random starts, refined at hp."""
    return C.minimizers_from_random_starts(ctx, SETTINGS, salt=31)


def eq15_residual_of(statement: Any, p: Problem, x: Any, margin: Any = None) -> Any:
    """(1.5): the statement (row norms equal, b = b* 1_K, b* = 0 or lambda_b = 0) decided
    at the point for every row k (w^1 the first row, b* the mean of b); the worst
    residual (a failing relation's residual exceeds the margin 10^-(dps-5))."""
    from ufm_sym.symbolic.truth import truth

    W, _, b = x
    lw, lh, lb = p.mp_lambdas()
    margin = mpmath.mpf(10) ** -(mpmath.mp.dps - 5) if margin is None else margin
    worst = mpmath.mpf(0)
    for k in range(p.K):
        env = {"w^k": W[k, :], "w^1": W[0, :], "b": b, "b^{\\star}": mpmath.fsum(b) / p.K,
               "lambda_b": lb, "K": p.K, "d": p.d}
        t = truth(statement, env, margin, backend="mpmath")
        worst = max(worst, abs(t.residual) if t.holds else max(abs(t.residual), 1))
    return worst


def eq16_residual(p: Problem, x: Any, statement: Any) -> Any:
    """(1.6): the statement h_ki = sqrt(lW/(n lH)) (w^k)^T evaluated at every column
    j = k n + i of H, and the features centred (mean_k h_ki = 0)."""
    W, H, _ = x
    lw, lh, _ = p.mp_lambdas()
    collapse = max(C.equation_residual(statement, {
        "h_{k,i}": H[:, j], "w^k": W[j // p.n, :], "lambda_W": lw, "lambda_H": lh, "n": p.n,
        "d": p.d}) for j in range(p.N))
    centred = max(mpmath.norm(sum((H[:, k * p.n + i] for k in range(p.K)),
                                  mpmath.zeros(p.d, 1)) / p.K) for i in range(p.n))
    return C.worst_part({"h_ki - sqrt(lW/(n lH)) w^k": collapse, "mean_k h_ki": centred})


def eq17_residual(p: Problem, x: Any, statement: Any) -> Any:
    """(1.7): the statement W W^T / ||w||^2 = K/(K-1) (I - 1 1^T / K) evaluated at the
    point, with ||w||^2 the squared norm of the first row."""
    W = x[0]
    return C.equation_residual(statement, {
        "W": W, r"\|\mathbf{w}^\star\|^2": mpmath.norm(W[0, :]) ** 2, "K": p.K, "d": p.d})


def _minimizer_evidence(ctx: VerifyContext, fn: Any, what: str) -> Evidence:
    pts = minimizers_from_random_starts(ctx)
    from ufm_sym.closed_form import global_value
    from ufm_sym.highprec.evaluate import objective

    worst = mpmath.mpf(0)
    with mpmath.workdps(ctx.dps):
        for p, x in pts:
            r = C.worst_part({what: fn(p, x),
                              "f - f*": objective(p, x) - global_value(p, dps=ctx.dps)})
            worst = max(worst, r)
        return Evidence.from_residual(
            "high-precision", worst, C.hp_tolerance(ctx), len(pts),
            f"{what} (and |f - f*|) at CE minimizers reached by L-BFGS from random starts and "
            f"refined to 1e-45")


def numeric_minimizers(ctx: VerifyContext) -> list[tuple[Problem, Any]]:
    """float64 L-BFGS minimizers from several random starts (K up to 10)."""
    from ufm_sym.highprec.evaluate import num_params
    from ufm_sym.highprec.float_start import minimize, split

    def make() -> list[tuple[Problem, Any]]:
        out = []
        for K in (3, 5, 10):
            p = Problem("ce", K=K, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-2")
            for s in range(2):
                rng = np.random.default_rng(1000 * ctx.seed + 10 * K + s)
                res = minimize(p, 0.3 * rng.standard_normal(num_params(p)), gtol=1e-12)
                out.append((p, split(p, res.x)))
        return out

    return ctx.memo(("ce-minimizers-float", ctx.seed), make)


def _numeric_minimizer_evidence(ctx: VerifyContext, fn: Any, what: str) -> Evidence:
    worst = 0.0
    pts = numeric_minimizers(ctx)
    with mpmath.workdps(30):
        for p, (W, H, b) in pts:
            x = C.float_to_mp_point(p, (W, H, b))
            worst = max(worst, float(fn(p, x)))
    return Evidence.from_residual("numeric", worst, 1e-6, len(pts),
                                  f"{what} at float64 L-BFGS minimizers from random starts, "
                                  f"K up to 10")


def lemma_c4_evidence(ctx: VerifyContext, loss: str, records: Any = None,
                      what: str = "||grad g|| <= sqrt(lW lH)") -> Evidence:
    """[13, Lemma C.4] / Prop. 4.1 at every hp critical point that meets the criterion
    (``records``: the default ones of ``loss``): its value is the global value (closed
    form), and no seeded random point of the same problem goes below that value."""
    from ufm_sym.closed_form import global_value
    from ufm_sym.highprec.evaluate import objective
    from ufm_sym_proofs.landscape import classify_record

    pool = C.hp_records(ctx, loss) if records is None else records
    recs = [r for r in pool if classify_record(r, ctx).in_C1]
    worst = mpmath.mpf(0)
    below = []
    with mpmath.workdps(ctx.dps):
        for rec in recs:
            worst = max(worst, abs(rec.value - global_value(rec.problem, dps=ctx.dps)))
        for p in dict.fromkeys(r.problem for r in recs):
            fstar = global_value(p, dps=ctx.dps)
            for x_f in C.random_points(p, 3, ctx.seed, scale=0.5):
                if objective(p, C.float_to_mp_point(p, x_f)) < fstar:
                    below.append(p.describe())
        ev = Evidence.from_residual(
            "high-precision", worst, C.hp_tolerance(ctx), len(recs),
            f"|f - f*| at the {len(recs)} critical points meeting {what}; no random point "
            "below f*")
    if below:
        ev.passed = False
        ev.detail += "; a random point is below f* for " + below[0]
    if not recs:
        ev.passed = False
        ev.detail += "; no point meets the criterion"
    return ev


def register(registry: Registry) -> None:
    from ufm_sym_proofs.geometry import G, W, lambda_b, lambda_H, lambda_W

    K, n = sp.symbols("K n", positive=True, integer=True)
    Kd = W.shape[0]
    wk, w1 = sp.MatrixSymbol("w^k", 1, W.shape[1]), sp.MatrixSymbol("w^1", 1, W.shape[1])
    bstar = sp.Symbol(r"b^{\star}")
    c = registry.claim(
        "eq:1.5", "[13]: equal row norms of W*, b* = b* 1_K", cited=True, section="1",
        title_tex=r"[13]: equal row norms of $\mathbf W^\star$, $\mathbf b^\star="
                  r"b^\star\mathbf 1_K$",
        uses=("eq:1.3",),
        statement=[sp.Eq(FrobeniusNorm(wk), FrobeniusNorm(w1), evaluate=False),
                   sp.Eq(sp.MatrixSymbol("b", Kd, 1), bstar * sp.OneMatrix(Kd, 1),
                         evaluate=False),
                   sp.Or(sp.Eq(bstar, 0, evaluate=False),
                         sp.Eq(lambda_b, 0, evaluate=False))])
    what15 = "the statement (||w^k|| = ||w^1||, b = b* 1_K, b* = 0 or lambda_b = 0) at every row"
    c.check("high-precision")(lambda claim, ctx: _minimizer_evidence(
        ctx, partial(eq15_residual_of, claim.statement), what15))
    c.check("numeric")(lambda claim, ctx: _numeric_minimizer_evidence(
        ctx, partial(eq15_residual_of, claim.statement, margin=1e-6), what15))
    hk, wk = sp.MatrixSymbol("h_{k,i}", W.shape[1], 1), sp.MatrixSymbol("w^k", 1, W.shape[1])
    c = registry.claim(
        "eq:1.6", "[13]: features collapse onto the classifier rows and are centred",
        cited=True, section="1", uses=("eq:1.3",),
        statement=sp.Eq(hk, sp.sqrt(lambda_W / (n * lambda_H)) * wk.T, evaluate=False))
    what16 = "the worst of ||h_ki - sqrt(lW/(n lH)) w^k|| (the statement) and ||mean_k h_ki||"
    c.check("high-precision")(lambda claim, ctx: _minimizer_evidence(
        ctx, partial(eq16_residual, statement=claim.statement), what16))
    c.check("numeric")(lambda claim, ctx: _numeric_minimizer_evidence(
        ctx, partial(eq16_residual, statement=claim.statement), what16))
    c = registry.claim(
        "eq:1.7", "[13]: W*^T is a K-simplex ETF", cited=True, section="1", uses=("eq:1.3",),
        title_tex=r"[13]: $(\mathbf W^\star)^\top$ is a $K$-simplex ETF",
        statement=sp.Eq(W * W.T / sp.Symbol(r"\|\mathbf{w}^\star\|^2"),
                        Kd / (Kd - 1) * (sp.Identity(Kd) - sp.OneMatrix(Kd, Kd) / Kd),
                        evaluate=False))
    what17 = "||W W^T / ||w||^2 - K/(K-1) (I - 11^T/K)|| (the statement)"
    c.check("high-precision")(lambda claim, ctx: _minimizer_evidence(
        ctx, partial(eq17_residual, statement=claim.statement), what17))
    c.check("numeric")(lambda claim, ctx: _numeric_minimizer_evidence(
        ctx, partial(eq17_residual, statement=claim.statement), what17))
    from ufm_sym_proofs import environments as E

    c = registry.claim(
        "lem:C.4", "[13, Lemma C.4]: ||grad g(R)|| <= sqrt(lW lH) at a critical point "
        "implies a global minimizer (g convex)", cited=True, section="3",
        title_tex=r"[13, Lemma C.4]: $\|\nabla g(\mathbf R)\|\le\sqrt{\lambda_W\lambda_H}$ "
                  r"at a critical point implies a global minimizer ($g$ convex)",
        uses=("eq:1.3", "eq:1.4", "eq:3.1"),
        statement=sp.Implies(
            sp.And(E.CRITICAL, sp.Le(SpectralNorm(G), sp.sqrt(lambda_W * lambda_H),
                                     evaluate=False)),
            sp.Eq(E.F, E.FSTAR, evaluate=False)))
    c.check("certified")(lambda claim, ctx: _certified_c4(claim, ctx))
    c.check("high-precision")(lambda claim, ctx: _both(ctx, claim))
    c.check("high-precision")(lambda claim, ctx: duality_gap_evidence(
        claim, ctx, C.hp_records(ctx, "ce") + C.hp_records(ctx, "mse")))
    c.check("high-precision")(lambda claim, ctx: cvxpy_evidence(ctx))


def _both(ctx: VerifyContext, claim: Any) -> Evidence:
    """[13, Lemma C.4]: its statement at every hp critical point of both losses, and no
    seeded random point below f*."""
    from ufm_sym_proofs import environments as E

    recs = C.hp_records(ctx, "ce") + C.hp_records(ctx, "mse")
    truth_ev = E.truth_at_records(ctx, claim, recs, lambda r: E.landscape_env(r, ctx),
                                  "at every refined critical point of both losses")
    e1, e2 = lemma_c4_evidence(ctx, "ce"), lemma_c4_evidence(ctx, "mse")
    if not truth_ev.passed:
        return truth_ev
    worst = max(float(e1.residual or 0), float(e2.residual or 0))
    ev = Evidence.from_residual("high-precision", mpmath.mpf(worst), C.hp_tolerance(ctx),
                                e1.samples + e2.samples, "CE: " + e1.detail + " | MSE: "
                                + e2.detail)
    ev.passed = e1.passed and e2.passed
    ev.detail = truth_ev.detail + " | " + ev.detail
    return ev


def duality_gap_evidence(claim: Any, ctx: VerifyContext, records: Any) -> Evidence:
    """The lemma's statement with f* replaced by a *lower bound* on min f that does not
    use the closed forms or the lemma: the Fenchel dual bound of the convex relaxation at
    the dual point built from grad g(R) (:func:`ufm_sym.convex.global_certificate`).  Since
    L <= f* <= f, ``f - L`` within the margin proves ``f = f*`` to that margin where the
    premise holds; at the points of C2 the premise fails and the dual point is infeasible
    (the certificate must not hold there)."""
    from ufm_sym.convex import global_certificate
    from ufm_sym_proofs import environments as E

    def make() -> list[Any]:
        out = []
        with mpmath.workdps(ctx.dps):
            for rec in records:
                cert = global_certificate(rec.problem, rec.point, dps=ctx.dps)
                env = E.landscape_env(rec, ctx)
                env[E.FSTAR.name] = cert.lower_bound   # a lower bound on min f, not f*
                out.append((f"{rec.problem.describe()} [{rec.family}]", env, None))
        return out

    ev = C.statement_truth_evidence(ctx, claim, make, "f against the Fenchel dual lower bound "
                                    "of the convex relaxation (no closed form)",
                                    margin=C.hp_margins(ctx))
    with mpmath.workdps(ctx.dps):
        wrong = [f"{r.family}" for r in records
                 if global_certificate(r.problem, r.point, dps=ctx.dps).holds
                 is not bool(r.is_global_min)]
    if wrong:
        ev.passed = False
        ev.detail += "; the certificate disagrees with the criterion at " + ", ".join(wrong[:3])
    return ev


def cvxpy_evidence(ctx: VerifyContext) -> Evidence:
    """f* by a convex solver on the relaxation F (cvxpy with Clarabel), bracketed in mpmath
    by a dual lower bound and a primal value, against the closed forms of [12] and [13]
    and L-BFGS from random starts (:mod:`ufm_sym.convex.solver`): an independent global
    value for every setting of :func:`~ufm_sym.convex.solver.default_settings`."""
    from ufm_sym.convex.solver import cross_check_evidence, cross_check_global_value

    rows = ctx.memo(("cvxpy", ctx.dps, ctx.seed),
                    lambda: cross_check_global_value(dps=ctx.dps, seed=ctx.seed))
    return cross_check_evidence(rows)


def _certified_c4(claim: Any, ctx: VerifyContext) -> Evidence:
    from ufm_sym_proofs.certified import criterion_certified_evidence

    return criterion_certified_evidence(claim, ctx, C.hp_records(ctx, "ce")
                                        + C.hp_records(ctx, "mse"))
