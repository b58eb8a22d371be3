"""Section 3 of the paper: Lemma 3.1 and Theorem 1.1 (cross-entropy), step by step.

Identities that hold at critical points are proved symbolically as unconditional
identities whose right side combines the *derived* gradient (``D.grad_W``,
``D.grad_H``) with the multipliers the paper uses; they are then evaluated at
high-precision critical points (refined to gradient norm < 1e-45) and at float64
samples.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from ufm_sym.claims import Claim, Evidence, Registry, VerifyContext
from ufm_sym.symbolic.expressions import HessianG
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import geometry as Geo
from ufm_sym_proofs.landscape import (
    classify_record,
    curvature_evidence,
    direction_for_record,
    theorem_evidence,
)
from ufm_sym_proofs.numeric_evidence import numeric_theorem_evidence

LOSS = "ce"
D = C.derivation()
W, H, b, G, ones_N = D.W, D.H, D.b, D.G, D.ones_N
lw, lh, lb = D.lambda_W, D.lambda_H, D.lambda_b
ones_K = Geo.ones_K


# ------------------------------------------------------------------ (3.1)
def convexity_symbolic(K_values: tuple[int, ...] = (2, 3, 4)) -> Evidence:
    """hess g of one CE column, derived by sympy from the explicit loss, equals the
    variance sum_i p_i (d_i - p^T d)^2 >= 0 with p = softmax(r) (a sum of squares)."""
    from ufm_sym.symbolic.cross_check import ZeroTester
    from ufm_sym.symbolic.explicit import explicit_loss

    ok = True
    for K in K_values:
        L = explicit_loss("ce", K, 1)  # one sample per class: columns are independent
        zero = ZeroTester(L.r)  # exact zero test: exp(r) -> s p, Laurent normal form
        Dm = sp.Matrix(K, K, lambda i, j: sp.Symbol(f"delta_{i}{j}", real=True))
        form = L.hessian_form(Dm)
        sm = L.softmax
        sos = 0
        for j in range(K):
            p = [sm[i, j] for i in range(K)]
            mean = sum(p[i] * Dm[i, j] for i in range(K))
            sos += sum(p[i] * (Dm[i, j] - mean) ** 2 for i in range(K))
        ok = ok and zero.is_zero(form * L.N - sos)
    return Evidence.exact("symbolic", ok,
                          "N hess g[D, D] (sympy.hessian of the explicit CE loss) = "
                          "sum over columns of sum_i p_i (d_i - p^T d)^2 >= 0, "
                          f"K in {set(K_values)}")


def convexity_high_precision(ctx: VerifyContext) -> Evidence:
    """hess g[D, D] >= 0 at random R and D: the most negative value found."""
    from ufm_sym.highprec.evaluate import hess_g_form, residual_R
    from ufm_sym.model import Problem

    worst = mpmath.mpf(0)
    count = 0
    with mpmath.workdps(ctx.dps):
        for K in (2, 3, 5):
            p = Problem("ce", K=K, n=2, lambda_W=1, lambda_H=1)
            for x_f, d_f in zip(C.random_points(p, 3, ctx.seed + K, 2.0),
                                C.random_points(p, 3, ctx.seed + 100 + K), strict=True):
                x = C.float_to_mp_point(p, x_f)
                R = residual_R(p, x)
                Dm = mpmath.matrix(d_f[1].tolist())  # a K x N direction (d = K here)
                val = hess_g_form(p, R, Dm)
                worst = min(worst, val)
                count += 1
        return Evidence.from_residual("high-precision", max(-worst, mpmath.mpf(0)),
                                      mpmath.mpf(0), count,
                                      "most negative hess g[D, D] at random R, D (must be >= 0)")


# ------------------------------------------------------------------ (3.6)
def column_sums_symbolic() -> Evidence:
    """1_K^T grad g(R) = 0: grad g derived by sympy.diff of the explicit CE loss."""
    from ufm_sym.symbolic.cross_check import ZeroTester
    from ufm_sym.symbolic.explicit import explicit_loss

    ok = True
    for K, n in ((2, 1), (3, 1), (3, 2), (4, 1)):
        L = explicit_loss("ce", K, n)
        grad = L.grad
        zero = ZeroTester(L.r)
        for j in range(L.N):
            ok = ok and zero.is_zero(sum(grad[i, j] for i in range(K)))
    return Evidence.exact("symbolic", ok,
                          "every column of grad g (sympy.diff of the explicit CE loss) sums to "
                          "0, (K, n) in (2, 1), (3, 1), (3, 2), (4, 1)")


def rank_evidence(ctx: VerifyContext, loss: str, bound: Any = None) -> Evidence:
    """rank W = rank H at every hp point, and rank W <= ``bound`` (an expression in the
    symbol K, e.g. the right side of the claim's statement K - 1) when given."""
    recs = C.hp_records(ctx, loss)
    bad = []
    worst = mpmath.mpf(0)
    with mpmath.workdps(ctx.dps):
        for rec in recs:
            rw, rh, wz, decided = C.numerical_ranks(rec.point[0], rec.point[1], ctx.dps)
            worst = max(worst, wz)
            limit = None if bound is None else int(sp.sympify(bound).subs(D.K, rec.problem.K))
            if not decided or rw != rh or (limit is not None and rw > limit):
                bad.append(f"{rec.family} (rank W {rw}, rank H {rh}, decided {decided})")
    what = "rank W = rank H" + (f" <= {bound}" if bound is not None else "")
    detail = (f"{what} at {len(recs)} critical points (singular values <= 1e-{ctx.dps - 10} "
              f"are zero, >= 1e-{ctx.dps // 3} nonzero)")
    if bad:
        detail += "; FAILED at " + ", ".join(bad[:3])
    digits = 99.0 if worst == 0 else float(-mpmath.log10(worst))
    return Evidence("high-precision", not bad and bool(recs), C.format_residual(worst),
                    round(digits, 1), len(recs), detail)


# --------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    from ufm_sym_proofs.numeric_evidence import numeric_residual_evidence

    recs = lambda ctx: C.hp_records(ctx, LOSS)  # noqa: E731
    Dsym = sp.MatrixSymbol("D", D.K, D.N)

    c = registry.claim(
        "eq:3.1", "g is convex: grad g = (softmax(R) - Y)/N, hess g >= 0", uses=("eq:1.3",),
        section="3", statement=sp.GreaterThan(HessianG(Dsym), 0, evaluate=False),
        derivation=[("f as g of R plus the penalties", D.objective)])
    c.check("symbolic")(lambda claim, ctx: convexity_symbolic())
    c.check("high-precision")(lambda claim, ctx: convexity_high_precision(ctx))

    c = registry.claim(
        "eq:3.2", "critical-point equation in W", uses=("eq:1.3",), section="3",
        statement=sp.Eq(D.grad_W, sp.ZeroMatrix(D.K, D.d), evaluate=False),
        derivation=[("derived gradient in W", D.grad_W)])
    c.check("symbolic")(lambda claim, ctx: C.identity_evidence(
        D.grad_W, G * H.T + lw * W, "derived df/dW = grad g(R) H^T + lambda_W W"))
    c.check("high-precision")(lambda c, ctx: C.statement_evidence(
        ctx, c, recs(ctx), "||df/dW|| (the derived gradient) at refined critical points"))
    c.check("numeric")(lambda claim, ctx: numeric_residual_evidence(ctx, LOSS, "gradient"))

    c = registry.claim(
        "eq:3.3", "critical-point equations in H and b", uses=("eq:1.3",), section="3",
        statement=[sp.Eq(D.grad_H, sp.ZeroMatrix(D.d, D.N), evaluate=False),
                   sp.Eq(D.grad_b, sp.ZeroMatrix(D.K, 1), evaluate=False)],
        derivation=[("derived gradient in H", D.grad_H), ("derived gradient in b", D.grad_b)])

    @c.check("symbolic")
    def _(claim: Claim, ctx: VerifyContext) -> Evidence:
        e1 = C.identity_evidence(D.grad_H, W.T * G + lh * H, "")
        e2 = C.identity_evidence(D.grad_b, G * ones_N + lb * b, "")
        return Evidence.exact("symbolic", e1.passed and e2.passed,
                              "derived df/dH = W^T grad g + lambda_H H and "
                              "df/db = grad g 1_N + lambda_b b")

    c.check("high-precision")(lambda c, ctx: C.statement_evidence(
        ctx, c, recs(ctx), "||df/dH|| and ||df/db|| (derived) at refined critical points"))
    c.check("numeric")(lambda claim, ctx: numeric_residual_evidence(ctx, LOSS, "gradient"))

    c = registry.claim(
        "eq:3.4", "balance lambda_W W^T W = lambda_H H H^T", uses=("eq:3.2", "eq:3.3"),
        section="3", statement=sp.Eq(lw * W.T * W, lh * H * H.T, evaluate=False),
        derivation=[("left-multiply (3.2) by W^T, right-multiply (3.3) by H^T, subtract",
                     sp.Eq(lw * W.T * W - lh * H * H.T, W.T * D.grad_W - D.grad_H * H.T,
                           evaluate=False))])
    c.check("symbolic")(lambda c, ctx: C.derivation_evidence(
        c, "lambda_W W^T W - lambda_H H H^T == W^T (df/dW) - (df/dH) H^T with the derived "
        "gradient (the derivation step)"))
    c.check("high-precision")(lambda c, ctx: C.statement_evidence(
        ctx, c, recs(ctx), "||lambda_W W^T W - lambda_H H H^T||"))
    c.check("numeric")(lambda claim, ctx: numeric_residual_evidence(ctx, LOSS, "balance"))

    a = Geo.a
    c = registry.claim(
        "eq:3.5", "rank W = rank H", uses=("eq:3.4",), section="3",
        statement=sp.Eq(sp.Function("rank")(W), sp.Function("rank")(H), evaluate=False),
        derivation=[("for every a: the kernels of W and H^T agree at critical points",
                     sp.Eq(lw * (a.T * W.T * W * a) - lh * (a.T * H * H.T * a),
                           a.T * (W.T * D.grad_W - D.grad_H * H.T) * a, evaluate=False))])
    c.check("symbolic")(lambda c, ctx: C.derivation_evidence(
        c, "lambda_W ||W a||^2 - lambda_H ||H^T a||^2 == a^T (W^T df/dW - df/dH H^T) a, so "
        "ker W = ker H^T at critical points and rank W = rank H (both have d columns)"))
    c.check("high-precision")(lambda claim, ctx: rank_evidence(ctx, LOSS, None))
    c.check("numeric")(lambda claim, ctx: numeric_residual_evidence(ctx, LOSS, "rank_equal"))

    c = registry.claim(
        "eq:3.6", "1_K^T grad g(R) = 0", uses=("eq:3.1",), section="3",
        statement=sp.Eq(ones_K.T * G, sp.ZeroMatrix(1, D.N), evaluate=False))
    c.check("symbolic")(lambda claim, ctx: column_sums_symbolic())
    c.check("high-precision")(lambda c, ctx: C.statement_evidence(
        ctx, c, recs(ctx), "max |1_K^T grad g(R)|"))

    c = registry.claim(
        "eq:3.7", "1_K^T W = 0", uses=("eq:3.2", "eq:3.6"), section="3",
        statement=sp.Eq(lw * ones_K.T * W, -ones_K.T * G * H.T, evaluate=False),
        derivation=[("left-multiply (3.2) by 1_K^T",
                     sp.Eq(lw * ones_K.T * W, ones_K.T * D.grad_W - (ones_K.T * G) * H.T,
                           evaluate=False))])
    c.check("symbolic")(lambda c, ctx: C.derivation_evidence(
        c, "lambda_W 1^T W == 1^T (df/dW) - (1^T grad g) H^T with the derived gradient; "
        "both terms on the right vanish at critical points by (3.2) and (3.6)"))
    # for CE 1_K^T grad g = 0 at every point ((3.6)), so the statement is lambda_W 1_K^T W = 0
    c.check("high-precision")(lambda c, ctx: C.statement_evidence(
        ctx, c, recs(ctx), "||lambda_W 1_K^T W + 1_K^T grad g H^T|| (= lambda_W ||1_K^T W||)"))
    c.check("numeric")(lambda claim, ctx: numeric_residual_evidence(ctx, LOSS, "ones_W"))

    c = registry.claim(
        "eq:3.8", "rank W = rank H <= K - 1", uses=("eq:3.5", "eq:3.7"), section="3",
        statement=sp.Le(sp.Function("rank")(W), D.K - 1, evaluate=False))
    c.check("high-precision")(lambda c, ctx: rank_evidence(ctx, LOSS, c.statement.rhs))
    c.check("numeric")(lambda claim, ctx: numeric_residual_evidence(ctx, LOSS, "rank_bound"))

    c = registry.claim(
        "lem:3.1", "Lemma 3.1: any critical point has rank W = rank H <= K - 1",
        uses=("eq:3.4", "eq:3.5", "eq:3.7", "eq:3.8"), kind="lemma", section="3",
        statement=sp.Le(sp.Function("rank")(W), D.K - 1, evaluate=False))
    c.check("high-precision")(lambda c, ctx: rank_evidence(ctx, LOSS, c.statement.rhs))
    c.check("numeric")(lambda claim, ctx: numeric_residual_evidence(ctx, LOSS, "rank_bound"))

    _register_landscape(registry)


def _register_landscape(registry: Registry) -> None:
    from ufm_sym_proofs.numeric_evidence import numeric_direction_evidence

    recs = lambda ctx: C.hp_records(ctx, LOSS)  # noqa: E731
    thr = sp.sqrt(lw * lh)
    gnorm = sp.Symbol(r"\|\nabla g(\mathbf{R})\|", positive=True)

    c = registry.claim(
        "step:3.C", "C = C1 u C2: the spectral criterion splits the critical points",
        uses=("lem:C.4",), kind="step", section="3",
        statement=[sp.Le(gnorm, thr, evaluate=False), sp.Gt(gnorm, thr, evaluate=False)])
    c.check("high-precision")(lambda claim, ctx: classify_evidence(ctx, LOSS))
    c.check("numeric")(lambda claim, ctx: numeric_direction_evidence(ctx, LOSS, "split"))

    c = registry.claim(
        "eq:3.9", "the Hessian bilinear form", uses=("eq:1.3",), section="3",
        statement=sp.Eq(sp.Symbol(r"\nabla^2 f[\Delta,\Delta]"), D.hessian_form,
                        evaluate=False))
    expected = (HessianG(D.first_order_change) + 2 * sp.Trace(G.T * D.D_W * D.D_H)
                + lw * sp.Trace(D.D_W.T * D.D_W) + lh * sp.Trace(D.D_H.T * D.D_H)
                + lb * sp.Trace(D.D_b.T * D.D_b))
    c.check("symbolic")(lambda claim, ctx: C.identity_evidence(
        D.hessian_form, expected,
        "d^2/dt^2 f(X + t Delta) at t = 0 (expansion in t) == hess g[D1, D1] + "
        "2 <G, D_W D_H> + the three penalty terms"))
    c.check("high-precision")(lambda claim, ctx: curvature_evidence(ctx, LOSS, "fd"))

    c = registry.claim(
        "step:3.a", "a unit a with W a = 0 and H^T a = 0", uses=("lem:3.1", "eq:3.4"),
        kind="step", section="3",
        statement=[sp.Eq(W * Geo.a, sp.ZeroMatrix(D.K, 1), evaluate=False),
                   sp.Eq(H.T * Geo.a, sp.ZeroMatrix(D.N, 1), evaluate=False)])
    c.check("high-precision")(lambda claim, ctx: C.hp_evidence(
        ctx, recs(ctx), lambda r: direction_for_record(r, ctx).null_residual,
        "max(||W a||, ||H^T a||) for a unit a from the SVD of W"))
    c.check("numeric")(lambda claim, ctx: numeric_direction_evidence(ctx, LOSS, "null"))

    dirn = Geo.direction()
    hyps = Geo.null_hypotheses()
    D1 = Geo.along(D.first_order_change, dirn)
    c = registry.claim(
        "eq:3.10", "the negative-curvature direction", uses=("step:3.a",), section="3",
        statement=sp.Eq(sp.Symbol(r"\Delta"), sp.Tuple(dirn["D_W"], dirn["D_H"], dirn["D_b"]),
                        evaluate=False),
        hypotheses=tuple(h.equation for h in hyps))

    @c.check("symbolic")
    def _(claim: Claim, ctx: VerifyContext) -> Evidence:
        checks = [
            C.reduction_evidence(D1, hyps, sp.ZeroMatrix(D.K, D.N), "D1", matrix=True),
            C.reduction_evidence(dirn["D_W"] * dirn["D_H"], hyps, -Geo.u * Geo.v.T,
                                 "D_W D_H", matrix=True),
            C.reduction_evidence(lw * sp.Trace(dirn["D_W"].T * dirn["D_W"]), hyps, thr,
                                 "lambda_W ||D_W||^2"),
            C.reduction_evidence(lh * sp.Trace(dirn["D_H"].T * dirn["D_H"]), hyps, thr,
                                 "lambda_H ||D_H||^2"),
        ]
        ok = all(e.passed for e in checks)
        return Evidence.exact("symbolic", ok,
                              "under W a = 0, H^T a = 0, |a| = |u| = |v| = 1: D_W H + W D_H = 0, "
                              "D_W D_H = -u v^T, lambda_W ||D_W||^2 = lambda_H ||D_H||^2 = "
                              "sqrt(lambda_W lambda_H)" + ("" if ok else "; " + "; ".join(
                                  e.detail for e in checks if not e.passed)))

    c.check("high-precision")(lambda claim, ctx: curvature_evidence(ctx, LOSS, "direction"))

    c = registry.claim(
        "eq:3.11", "hess g vanishes along the direction", uses=("eq:3.10", "eq:3.9"),
        section="3", statement=sp.Eq(HessianG(D1), 0, evaluate=False))
    c.check("symbolic")(lambda claim, ctx: C.reduction_evidence(
        Geo.along(HessianG(D.first_order_change), dirn), hyps, 0,
        "hess g[D1, D1] along (3.10), D1 reduced to 0 under the hypotheses"))
    c.check("high-precision")(lambda claim, ctx: curvature_evidence(ctx, LOSS, "hess_g"))

    form = Geo.along(D.hessian_form, dirn)
    c = registry.claim(
        "step:3.final", "hess f[Delta, Delta] = -2 sigma + 2 sqrt(lambda_W lambda_H) < 0",
        uses=("eq:3.9", "eq:3.10", "eq:3.11", "step:3.C"), kind="step", section="3",
        statement=sp.Eq(form, Geo.PREDICTED_CURVATURE, evaluate=False),
        hypotheses=tuple(h.equation for h in hyps) + (sp.Gt(Geo.sigma, thr),))
    final = c

    @c.check("symbolic")
    def _(claim: Claim, ctx: VerifyContext) -> Evidence:
        predicted = final.statement.rhs
        ev = C.reduction_evidence(form, hyps, predicted, "derived Hessian form along (3.10)")
        negative = Geo.negative_past_threshold(predicted)
        return Evidence.exact("symbolic", ev.passed and bool(negative),
                              ev.detail + "; with sigma = sqrt(lambda_W lambda_H) + epsilon, "
                              f"epsilon > 0, it is negative: {negative}")

    c.check("high-precision")(lambda claim, ctx: curvature_evidence(ctx, LOSS, "curvature"))
    c.check("numeric")(lambda claim, ctx: numeric_direction_evidence(ctx, LOSS, "curvature"))

    c = registry.claim(
        "thm:1.1", "Theorem 1.1: CE with d = K is strict saddle, no spurious local minima",
        uses=("lem:3.1", "step:3.C", "step:3.final", "eq:1.5", "eq:1.6", "eq:1.7"),
        kind="theorem", section="1",
        statement=sp.Symbol(r"\text{every critical point is a global minimizer or has "
                            r"}\lambda_{\min}(\nabla^2 f)<0"))
    c.check("high-precision")(lambda claim, ctx: theorem_evidence(ctx, LOSS, c))
    c.check("numeric")(lambda claim, ctx: numeric_theorem_evidence(ctx, LOSS, c))


def classify_evidence(ctx: VerifyContext, loss: str) -> Evidence:
    """Every hp critical point is in exactly one of C1 / C2, decided with a margin."""
    recs = C.hp_records(ctx, loss)
    margin = mpmath.mpf(10) ** -(ctx.dps // 2)
    bad = []
    for rec in recs:
        cls = classify_record(rec, ctx)
        if cls.undecided:
            bad.append(rec.family)
    detail = (f"{len(recs)} critical points, each in C1 (||grad g|| <= sqrt(lW lH) + "
              f"{C.format_residual(margin)}) or C2 (>= sqrt(lW lH) + 1e-10): "
              f"{sum(1 for r in recs if classify_record(r, ctx).in_C1)} in C1")
    if bad:
        detail += "; undecided: " + ", ".join(bad[:3])
    return Evidence("high-precision", not bad and bool(recs), None, None, len(recs), detail)
