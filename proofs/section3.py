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
from ufm_sym.symbolic.functions import Rank, SpectralNorm
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import certified as Cert
from ufm_sym_proofs import environments as E
from ufm_sym_proofs import geometry as Geo
from ufm_sym_proofs.landscape import (
    c2_records,
    classify_record,
    direction_for_record,
    discovered_theorem_evidence,
    theorem_evidence,
)
from ufm_sym_proofs.numeric_evidence import (
    numeric_direction_evidence,
    numeric_samples,
    numeric_theorem_evidence,
)

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


def convexity_high_precision(claim: Claim, ctx: VerifyContext) -> Evidence:
    """The statement hess g(R)[D, D] >= 0 at random R and D, and at directions D whose
    columns are constant (the kernel of the softmax Hessian, where hess g[D, D] = 0: a
    strict version of the statement fails there)."""
    from ufm_sym.highprec.derived import DerivedAt
    from ufm_sym.model import Problem

    def make_envs() -> list[Any]:
        envs = []
        with mpmath.workdps(ctx.dps):
            for K in (2, 3, 5):
                p = Problem("ce", K=K, n=2, lambda_W=1, lambda_H=1)
                pts = C.random_points(p, 3, ctx.seed + K, 2.0)
                dirs = C.random_points(p, 3, ctx.seed + 100 + K)
                for i, (x_f, d_f) in enumerate(zip(pts, dirs, strict=True)):
                    at = DerivedAt(p, C.float_to_mp_point(p, x_f), ctx.dps)
                    hess_g = at.hess_g_form  # the derived second derivative of the CE loss

                    random_D = mpmath.matrix(d_f[1].tolist())  # K x N (d = K here)
                    flat_D = mpmath.ones(K, 1) * mpmath.matrix([d_f[1][0].tolist()])
                    for name, Dm in (("random D", random_D), ("D = 1_K c^T", flat_D)):
                        envs.append((f"K={K} point {i}, {name}", {"D": Dm, "K": K,
                                                                   "N": p.N},
                                     {"hess_g": hess_g}))
        return envs

    return C.statement_truth_evidence(ctx, claim, make_envs,
                                      "hess g(R)[D, D] at random R, at random D and at D with "
                                      "constant columns", margin=C.hp_margins(ctx))


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


def rank_decided_evidence(ctx: VerifyContext, loss: str) -> Evidence:
    """The ranks the statements read are decided: every singular value of W and H at the
    hp points is below 10^-(dps-10) or above 10^-(dps/3) (never in between)."""
    recs = C.hp_records(ctx, loss)
    bad = []
    worst = mpmath.mpf(0)
    with mpmath.workdps(ctx.dps):
        for rec in recs:
            _, _, wz, decided = C.numerical_ranks(rec.point[0], rec.point[1], ctx.dps)
            worst = max(worst, wz)
            if not decided:
                bad.append(rec.family)
    digits = 99.0 if worst == 0 else float(-mpmath.log10(worst))
    return Evidence("high-precision", not bad and bool(recs), C.format_residual(worst),
                    round(digits, 1), len(recs),
                    f"ranks decided at {len(recs)} points (singular values <= "
                    f"1e-{ctx.dps - 10} or >= 1e-{ctx.dps // 3})"
                    + (f"; undecided at {', '.join(bad[:3])}" if bad else ""))


def _merge(*evs: Evidence) -> Evidence:
    """Several pieces of evidence at one level as one: passed when all passed; the
    weakest digits and the largest sample count are reported."""
    digits = [e.digits for e in evs if e.digits is not None]
    worst = min(evs, key=lambda e: 99 if e.digits is None else e.digits)
    return Evidence(evs[0].level, all(e.passed for e in evs), worst.residual,
                    min(digits) if digits else None, max(e.samples for e in evs),
                    " | ".join(e.detail for e in evs))


# --------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    recs = lambda ctx: C.hp_records(ctx, LOSS)  # noqa: E731
    samples = lambda ctx: numeric_samples(ctx, LOSS)  # noqa: E731
    Dsym = sp.MatrixSymbol("D", D.K, D.N)

    def at_points(detail: str, options: bool = False) -> Any:
        return lambda claim, ctx: E.truth_at_records(ctx, claim, recs(ctx), E.point_env,
                                                     detail, with_options=options)

    def at_samples(detail: str) -> Any:
        return lambda claim, ctx: E.truth_at_samples(ctx, claim, samples(ctx),
                                                     E.float_point_env, detail)

    c = registry.claim(
        "eq:3.1", "g is convex: grad g = (softmax(R) - Y)/N, hess g >= 0", uses=("eq:1.3",),
        title_tex=r"$g$ is convex: $\nabla g=(\operatorname{softmax}(\mathbf R)-\mathbf Y)/N$, "
                  r"$\nabla^2 g\succeq 0$",
        section="3", statement=sp.GreaterThan(HessianG(Dsym), 0, evaluate=False),
        derivation=[("f as g of R plus the penalties", D.objective)])
    c.check("symbolic")(lambda claim, ctx: convexity_symbolic())
    c.check("high-precision")(convexity_high_precision)

    c = registry.claim(
        "eq:3.2", "critical-point equation in W", uses=("eq:1.3",), section="3",
        title_tex=r"critical-point equation in $\mathbf W$",
        statement=sp.Eq(D.grad_W, sp.ZeroMatrix(D.K, D.d), evaluate=False),
        derivation=[("derived gradient in W", D.grad_W)])
    c.check("symbolic")(lambda claim, ctx: C.identity_evidence(
        D.grad_W, G * H.T + lw * W, "derived df/dW = grad g(R) H^T + lambda_W W"))
    c.check("high-precision")(at_points("df/dW (the derived gradient) at refined critical "
                                        "points"))
    c.check("numeric")(at_samples("df/dW at float64 critical points"))

    c = registry.claim(
        "eq:3.3", "critical-point equations in H and b", uses=("eq:1.3",), section="3",
        title_tex=r"critical-point equations in $\mathbf H$ and $\mathbf b$",
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

    c.check("high-precision")(at_points("df/dH and df/db (derived) at refined critical points"))
    c.check("numeric")(at_samples("df/dH and df/db at float64 critical points"))

    c = registry.claim(
        "eq:3.4", "balance lambda_W W^T W = lambda_H H H^T", uses=("eq:3.2", "eq:3.3"),
        title_tex=r"balance $\lambda_W\mathbf W^\top\mathbf W=\lambda_H\mathbf H\mathbf H^\top$",
        section="3", statement=sp.Eq(lw * W.T * W, lh * H * H.T, evaluate=False),
        derivation=[("left-multiply (3.2) by W^T, right-multiply (3.3) by H^T, subtract",
                     sp.Eq(lw * W.T * W - lh * H * H.T, W.T * D.grad_W - D.grad_H * H.T,
                           evaluate=False))])
    c.check("symbolic")(lambda claim, ctx: C.combination_evidence(
        claim, [W.T * D.grad_W - D.grad_H * H.T],
        "the statement's lambda_W W^T W - lambda_H H H^T == W^T (df/dW) - (df/dH) H^T with "
        "the derived gradient: it holds wherever the gradient vanishes"))
    c.check("high-precision")(at_points("lambda_W W^T W - lambda_H H H^T at refined critical "
                                        "points"))
    c.check("numeric")(at_samples("the balance at float64 critical points"))

    a = Geo.a
    c = registry.claim(
        "eq:3.5", "rank W = rank H", uses=("eq:3.4",), section="3",
        title_tex=r"$\operatorname{rank}\mathbf W=\operatorname{rank}\mathbf H$",
        statement=sp.Eq(Rank(W), Rank(H), evaluate=False),
        derivation=[("for every a: the kernels of W and H^T agree at critical points",
                     sp.Eq(lw * (a.T * W.T * W * a) - lh * (a.T * H * H.T * a),
                           a.T * (W.T * D.grad_W - D.grad_H * H.T) * a, evaluate=False))])
    c.check("symbolic")(lambda claim, ctx: C.derivation_evidence(
        claim, "lambda_W ||W a||^2 - lambda_H ||H^T a||^2 == a^T (W^T df/dW - df/dH H^T) a, "
        "so ker W = ker H^T at critical points and rank W = rank H (both have d columns)"))
    c.check("high-precision")(lambda claim, ctx: _merge(
        at_points("rank W and rank H (singular values above 10^-(dps/2) relative)")(claim, ctx),
        rank_decided_evidence(ctx, LOSS)))
    c.check("numeric")(at_samples("rank W and rank H in float64 (above 1e-8 relative)"))

    c = registry.claim(
        "eq:3.6", "1_K^T grad g(R) = 0", uses=("eq:3.1",), section="3",
        title_tex=r"$\mathbf 1_K^\top\nabla g(\mathbf R)=\mathbf 0$",
        statement=sp.Eq(ones_K.T * G, sp.ZeroMatrix(1, D.N), evaluate=False))
    c.check("symbolic")(lambda claim, ctx: column_sums_symbolic())
    c.check("high-precision")(at_points("1_K^T grad g(R)"))
    c.check("numeric")(at_samples("1_K^T grad g(R) in float64"))

    c = registry.claim(
        "eq:3.7", "1_K^T W = 0", uses=("eq:3.2", "eq:3.6"), section="3",
        title_tex=r"$\mathbf 1_K^\top\mathbf W=\mathbf 0$",
        statement=[sp.Eq(lw * ones_K.T * W, -ones_K.T * G * H.T, evaluate=False),
                   sp.Eq(ones_K.T * W, sp.ZeroMatrix(1, D.d), evaluate=False)],
        derivation=[("left-multiply (3.2) by 1_K^T",
                     sp.Eq(lw * ones_K.T * W, ones_K.T * D.grad_W - (ones_K.T * G) * H.T,
                           evaluate=False))])
    c.check("symbolic")(lambda claim, ctx: C.combination_evidence(
        claim, [ones_K.T * D.grad_W, (ones_K.T * D.grad_W - (ones_K.T * G) * H.T) / lw],
        "the statement's lambda_W 1^T W + 1^T grad g H^T == 1^T (df/dW) and 1^T W == "
        "(1^T df/dW - (1^T grad g) H^T)/lambda_W with the derived gradient; both vanish at "
        "critical points, the second because 1^T grad g = 0 for CE ((3.6))"))
    c.check("high-precision")(at_points("lambda_W 1_K^T W, 1_K^T grad g H^T and 1_K^T W"))
    c.check("numeric")(at_samples("1_K^T W in float64"))

    c = registry.claim(
        "eq:3.8", "rank W = rank H <= K - 1", uses=("eq:3.5", "eq:3.7"), section="3",
        title_tex=r"$\operatorname{rank}\mathbf W=\operatorname{rank}\mathbf H\le K-1$",
        statement=[sp.Eq(Rank(W), Rank(H), evaluate=False),
                   sp.Le(Rank(W), D.K - 1, evaluate=False)])
    c.check("high-precision")(lambda claim, ctx: _merge(
        at_points("rank W = rank H <= K - 1 (the statement)")(claim, ctx),
        rank_decided_evidence(ctx, LOSS)))
    c.check("numeric")(at_samples("rank W = rank H <= K - 1 in float64"))

    c = registry.claim(
        "lem:3.1", "Lemma 3.1: any critical point has rank W = rank H <= K - 1",
        title_tex=r"Lemma 3.1: any critical point has $\operatorname{rank}\mathbf W="
                  r"\operatorname{rank}\mathbf H\le K-1$",
        uses=("eq:3.4", "eq:3.5", "eq:3.7", "eq:3.8"), kind="lemma", section="3",
        statement=sp.Implies(E.CRITICAL, sp.And(sp.Eq(Rank(W), Rank(H), evaluate=False),
                                                sp.Le(Rank(W), D.K - 1, evaluate=False))))
    c.check("certified")(Cert.lemma31_certified_evidence)
    c.check("high-precision")(lambda claim, ctx: _merge(
        E.truth_at_records(ctx, claim, recs(ctx), lambda r: E.landscape_env(r, ctx),
                           "at every refined critical point"),
        rank_decided_evidence(ctx, LOSS)))
    c.check("numeric")(lambda claim, ctx: E.truth_at_samples(
        ctx, claim, samples(ctx), E.float_landscape_env, "at every float64 critical point"))

    _register_landscape(registry)


def _register_landscape(registry: Registry) -> None:
    recs = lambda ctx: C.hp_records(ctx, LOSS)  # noqa: E731
    samples = lambda ctx: numeric_samples(ctx, LOSS)  # noqa: E731
    thr = sp.sqrt(lw * lh)
    gnorm = SpectralNorm(G)

    c = registry.claim(
        "step:3.C", "C = C1 u C2: the spectral criterion splits the critical points",
        title_tex=r"$\mathcal C=\mathcal C_1\cup\mathcal C_2$: the spectral criterion "
                  r"splits the critical points",
        uses=("lem:C.4", "eq:3.1"), kind="step", section="3",
        statement=sp.Implies(E.CRITICAL, sp.Or(
            sp.And(sp.Le(gnorm, thr, evaluate=False), sp.Eq(E.F, E.FSTAR, evaluate=False)),
            sp.Gt(gnorm, thr, evaluate=False))))
    c.check("high-precision")(lambda claim, ctx: _merge(
        E.truth_at_records(ctx, claim, recs(ctx), lambda r: E.landscape_env(r, ctx),
                           "each critical point is in C1 (and a global minimizer, by "
                           "[13, Lemma C.4]) or in C2"),
        classify_evidence(ctx, LOSS)))
    c.check("numeric")(lambda claim, ctx: numeric_direction_evidence(ctx, LOSS, "split"))

    form_symbol = sp.Symbol(r"\nabla^2 f[\Delta,\Delta]")
    c = registry.claim(
        "eq:3.9", "the Hessian bilinear form", uses=("eq:1.3",), section="3",
        statement=sp.Eq(form_symbol, D.hessian_form, evaluate=False))
    expected = (HessianG(D.first_order_change) + 2 * sp.Trace(G.T * D.D_W * D.D_H)
                + lw * sp.Trace(D.D_W.T * D.D_W) + lh * sp.Trace(D.D_H.T * D.D_H)
                + lb * sp.Trace(D.D_b.T * D.D_b))
    c.check("symbolic")(lambda claim, ctx: C.identity_evidence(
        claim.statement.rhs, expected,
        "the statement's right side (d^2/dt^2 f(X + t Delta) at t = 0, derived) == "
        "hess g[D1, D1] + 2 <G, D_W D_H> + the three penalty terms"))
    c.check("high-precision")(lambda claim, ctx: form_fd_evidence(ctx, claim, LOSS,
                                                                  form_symbol))

    c = registry.claim(
        "step:3.a", "a unit a with W a = 0 and H^T a = 0",
        uses=("lem:3.1", "eq:3.4", "hyp:dimension"),
        title_tex=r"a unit $\mathbf a$ with $\mathbf W\mathbf a=\mathbf 0$ and "
                  r"$\mathbf H^\top\mathbf a=\mathbf 0$",
        kind="step", section="3",
        statement=[sp.Lt(Rank(W), D.d, evaluate=False),
                   sp.Eq(W * Geo.a, sp.ZeroMatrix(D.K, 1), evaluate=False),
                   sp.Eq(H.T * Geo.a, sp.ZeroMatrix(D.N, 1), evaluate=False),
                   sp.Eq(Geo.a.T * Geo.a, sp.Integer(1), evaluate=False)])
    c.check("high-precision")(lambda claim, ctx: E.truth_at_records(
        ctx, claim, recs(ctx), lambda r: E.direction_env(r, ctx),
        "rank W < d, and a unit a from the SVD of W has W a = 0, H^T a = 0"))
    c.check("numeric")(lambda claim, ctx: E.truth_at_samples(
        ctx, claim, samples(ctx), E.float_direction_env, "the same in float64"))

    dirn = Geo.direction()
    hyps = Geo.null_hypotheses()
    c = registry.claim(
        "eq:3.10", "the negative-curvature direction", uses=("step:3.a",), section="3",
        statement=sp.Eq(sp.Symbol(r"\Delta"), sp.Tuple(dirn["D_W"], dirn["D_H"], dirn["D_b"]),
                        evaluate=False),
        hypotheses=tuple(h.equation for h in hyps))
    c.check("symbolic")(lambda claim, ctx: direction_properties_symbolic(claim))
    c.check("high-precision")(lambda claim, ctx: direction_properties_hp(ctx, claim, LOSS))
    d310 = c

    D1 = Geo.along(D.first_order_change, C.direction_of(d310))
    c = registry.claim(
        "eq:3.11", "hess g vanishes along the direction", uses=("eq:3.10", "eq:3.9"),
        title_tex=r"$\nabla^2 g$ vanishes along the direction",
        section="3", statement=sp.Eq(HessianG(D1), 0, evaluate=False),
        hypotheses=tuple(h.equation for h in hyps))
    c.check("symbolic")(lambda claim, ctx: C.reduction_evidence(
        claim.statement.lhs.directions[0], C.hypotheses_of(claim),
        sp.ZeroMatrix(D.K, D.N), "the statement's D1 = D_W H + W D_H + D_b 1^T along (3.10)",
        matrix=True))
    c.check("high-precision")(lambda claim, ctx: E.truth_at_records(
        ctx, claim, c2_records(ctx, LOSS), lambda r: E.direction_env(r, ctx),
        "hess g[D1, D1] along the direction at the points of C2", with_options=True))

    form = Geo.along(D.hessian_form, C.direction_of(d310))
    c = registry.claim(
        "step:3.final", "hess f[Delta, Delta] = -2 sigma + 2 sqrt(lambda_W lambda_H) < 0",
        title_tex=r"$\nabla^2 f[\boldsymbol\Delta,\boldsymbol\Delta]=-2\sigma+"
                  r"2\sqrt{\lambda_W\lambda_H}<0$",
        uses=("eq:3.9", "eq:3.10", "eq:3.11", "step:3.C"), kind="step", section="3",
        statement=[sp.Eq(form, Geo.PREDICTED_CURVATURE, evaluate=False),
                   sp.Lt(Geo.PREDICTED_CURVATURE, 0, evaluate=False)],
        hypotheses=tuple(h.equation for h in hyps) + (sp.Gt(Geo.sigma, thr),))

    @c.check("symbolic")
    def _(claim: Claim, ctx: VerifyContext) -> Evidence:
        return final_step_symbolic(claim)

    c.check("high-precision")(lambda claim, ctx: E.truth_at_records(
        ctx, claim, c2_records(ctx, LOSS), lambda r: E.direction_env(r, ctx),
        "the derived Hessian form along the direction and -2 sigma + 2 sqrt(lW lH) at the "
        "points of C2", with_options=True))
    c.check("numeric")(lambda claim, ctx: E.truth_at_samples(
        ctx, claim, [s for s in samples(ctx) if s.expected == "saddle"],
        E.float_direction_env, "the same at float64 saddles", with_options=True))

    c = registry.claim(
        "thm:1.1", "Theorem 1.1: CE with d = K is strict saddle, no spurious local minima",
        title_tex=r"Theorem 1.1: CE with $d=K$ is strict saddle, no spurious local minima",
        uses=("lem:3.1", "step:3.C", "step:3.a", "step:3.final", "hyp:dimension"),
        kind="theorem", section="1", statement=E.theorem_statement(),
        hypotheses=E.THEOREM_HYPOTHESES)
    c.check("certified")(lambda claim, ctx: Cert.theorem_certified_evidence(
        claim, ctx, C.hp_records(ctx, LOSS)))
    c.check("high-precision")(lambda claim, ctx: theorem_evidence(ctx, LOSS, claim))
    c.check("high-precision")(lambda claim, ctx: discovered_theorem_evidence(ctx, LOSS, claim))
    c.check("numeric")(lambda claim, ctx: numeric_theorem_evidence(ctx, LOSS, claim))


def direction_properties_symbolic(claim: Claim) -> Evidence:
    """What the direction of the claim's statement (3.10)/(4.36) is built for, under its
    hypotheses W a = 0, H^T a = 0, |a| = |u| = |v| = 1: D_W H + W D_H + D_b 1^T = 0,
    D_W D_H = -u v^T, lambda_W ||D_W||^2 = lambda_H ||D_H||^2 = sqrt(lambda_W lambda_H)."""
    dirn = C.direction_of(claim)
    hyps = C.hypotheses_of(claim)
    thr = sp.sqrt(lw * lh)
    checks = [
        C.reduction_evidence(Geo.along(D.first_order_change, dirn), hyps,
                             sp.ZeroMatrix(D.K, D.N), "D1", matrix=True),
        C.reduction_evidence(dirn["D_W"] * dirn["D_H"], hyps, -Geo.u * Geo.v.T,
                             "D_W D_H", matrix=True),
        C.reduction_evidence(lw * sp.Trace(dirn["D_W"].T * dirn["D_W"]), hyps, thr,
                             "lambda_W ||D_W||^2"),
        C.reduction_evidence(lh * sp.Trace(dirn["D_H"].T * dirn["D_H"]), hyps, thr,
                             "lambda_H ||D_H||^2"),
    ]
    ok = all(e.passed for e in checks)
    return Evidence.exact("symbolic", ok,
                          "the statement's direction under W a = 0, H^T a = 0, |a| = |u| = "
                          "|v| = 1: D_W H + W D_H + D_b 1^T = 0, D_W D_H = -u v^T, lambda_W "
                          "||D_W||^2 = lambda_H ||D_H||^2 = sqrt(lambda_W lambda_H)"
                          + ("" if ok else "; " + "; ".join(e.detail for e in checks
                                                              if not e.passed)))


def direction_properties_hp(ctx: VerifyContext, claim: Claim, loss: str,
                            records: Any = None) -> Evidence:
    """The direction of the claim's statement, evaluated at each point of C2 (u, v the
    top singular pair of grad g, a unit a with W a = 0), has the properties of
    :func:`direction_properties_symbolic` (named parts, worst taken)."""
    from ufm_sym.symbolic.evaluate import evaluate_matrix_expr
    from ufm_sym_proofs.landscape import direction_parts

    rhs = claim.statement.rhs

    def residual(rec: Any) -> Any:
        env = E.direction_env(rec, ctx)
        Dm = tuple(evaluate_matrix_expr(x, env, "mpmath") for x in rhs)
        dirn = direction_for_record(rec, ctx)
        built = type(dirn)(dirn.a, dirn.u, dirn.v, dirn.sigma, Dm, dirn.null_residual)
        return C.worst_part(direction_parts(rec.problem, rec.point, built))

    recs = c2_records(ctx, loss) if records is None else records
    return C.hp_evidence(ctx, recs, residual,
                         "the statement's direction at the points of C2: the worst of "
                         "||D_W H||, ||W D_H||, ||D_b||, ||D_W D_H + u v^T||, "
                         "|lW ||D_W||^2 - sqrt(lW lH)|, |lH ||D_H||^2 - sqrt(lW lH)|")


def final_step_symbolic(claim: Claim) -> Evidence:
    """The statement's Hessian form along the direction reduces, under the hypotheses, to
    the statement's closed form, and that closed form is negative for sigma > sqrt(lW lH)
    (sigma = sqrt(lW lH) + epsilon)."""
    eq, neg = claim.statement
    ev = C.reduction_evidence(eq.lhs, C.hypotheses_of(claim), eq.rhs,
                              "the derived Hessian form along the direction")
    negative = Geo.negative_past_threshold(neg.lhs - neg.rhs) if isinstance(
        neg, sp.StrictLessThan) else False
    return Evidence.exact("symbolic", ev.passed and bool(negative),
                          ev.detail + "; with sigma = sqrt(lambda_W lambda_H) + epsilon, "
                          f"epsilon > 0, the statement's bound is negative: {negative}")


def form_fd_evidence(ctx: VerifyContext, claim: Claim, loss: str, form_symbol: Any,
                     count: int = 2) -> Evidence:
    """The statement ``hess f[Delta, Delta] == <derived form>`` at hp critical points of
    ``loss`` along ``count`` random directions each (D1 != 0, so the hess g term
    counts), the left side taken from finite differences of f."""
    points = _spread(C.hp_records(ctx, loss), 4)

    def make_envs() -> list[Any]:
        with mpmath.workdps(ctx.dps):
            return _fd_envs(ctx, points, count, form_symbol)

    return C.statement_truth_evidence(
        ctx, claim, make_envs, "the statement's right side (the derived form) against finite "
        "differences of f at raised precision with Richardson extrapolation, along random "
        "directions (D1 != 0)", margin=C.hp_margins(ctx))


def _spread(records: Any, count: int) -> list[Any]:
    """``count`` records spread over the list (every family and setting in turn)."""
    if len(records) <= count:
        return list(records)
    step = len(records) / count
    return [records[int(i * step)] for i in range(count)]


def _fd_envs(ctx: VerifyContext, points: Any, count: int, form_symbol: Any) -> list[Any]:
    envs = []
    for rec in points:
        for k in range(count):
            envs.append((f"{rec.problem.describe()} [{rec.family}] direction {k}",
                         E.random_direction_env(rec, ctx, ctx.seed + 7 * k, form_symbol),
                         E.options(rec)))
    return envs


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
