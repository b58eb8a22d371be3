"""Section 4 of the paper: Propositions 4.1-4.3, Assumption 4.4 and Theorem 1.2 (MSE),
step by step, with the cited closed form of the MSE global minimizer of [12].

Identities that hold at critical points are proved symbolically as unconditional
identities whose right side combines the *derived* gradient (``D.grad_W``,
``D.grad_H``, ``D.grad_b``, with the MSE ``grad g(R) = (W H + b 1_N^T - Y)/N``
substituted for the abstract ``G`` where the paper uses it) with the multipliers the
paper uses.  Steps under hypotheses (``V V^T = V^T V = I``, ``W a = 0``,
``H^T a = 0``, ``|a|^2 = s``, ``u^T G v = sigma``) are reductions of the derived
expressions.  Facts that are not identities (ranks, the SVD normal form, which
singular values of ``grad g`` are covered by ``W``) are measured at every MSE
critical point of :func:`proofs._common.hp_records` at ``dps`` digits and over the
float64 samples (:mod:`proofs.section4_points`).

Grouped equations: one claim stands for several displays where the paper derives them
together; :data:`COVERS` lists, for each registered label, the paper labels it covers
(e.g. ``eq:4.19`` covers (4.19)-(4.21)).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ufm_sym.claims import Claim, Evidence, Registry, VerifyContext
from ufm_sym.symbolic.expressions import FrobeniusNorm, HessianG, LossG
from ufm_sym.symbolic.functions import Rank, SpectralNorm
from ufm_sym.symbolic.hypotheses import Hypothesis, reduce_scalar
from ufm_sym.symbolic.normal_form import matrix_equal, trace_equal
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import certified as Cert
from ufm_sym_proofs import environments as E
from ufm_sym_proofs import geometry as Geo
from ufm_sym_proofs import section3 as S3
from ufm_sym_proofs import section4_points as P
from ufm_sym_proofs.cited import duality_gap_evidence
from ufm_sym_proofs.landscape import discovered_theorem_evidence, theorem_evidence

LOSS = "mse"
D = C.derivation()
W, H, b, G, Y, ones_N = D.W, D.H, D.b, D.G, D.Y, D.ones_N
lw, lh, lb = D.lambda_W, D.lambda_H, D.lambda_b
K, d, N = D.K, D.d, D.N
THR = sp.sqrt(lw * lh)

#: the paper labels each registered claim stands for (only where it is more than itself)
COVERS: dict[str, tuple[str, ...]] = {
    "eq:4.19": ("eq:4.19", "eq:4.20", "eq:4.21"),
    "eq:4.22": ("eq:4.22", "eq:4.23", "eq:4.24"),
    "asm:4.4": ("asm:4.4", "eq:4.26"),
}

# ----------------------------------------------------------------- the MSE pieces
#: grad g(R) for the MSE loss, (R - Y)/N
G_MSE = (W * H + b * ones_N.T - Y) / N


def mse(expr: Any) -> Any:
    """Substitute the MSE gradient (R - Y)/N for the abstract G."""
    return expr.xreplace({G: G_MSE})


def mse_hessian(expr: Any) -> Any:
    """Substitute the MSE hess g[A, B] = tr(A^T B)/N for every abstract HessianG."""
    reps = {h: sp.Trace(h.directions[0].T * h.directions[1]) / N
            for h in expr.atoms(HessianG)}
    return expr.xreplace(reps)


GRAD_W, GRAD_H, GRAD_b = mse(D.grad_W), mse(D.grad_H), mse(D.grad_b)
#: the Hessian form (4.18): the derived (3.9) with hess g = (1/N) I
FORM = mse_hessian(D.hessian_form)

V = sp.MatrixSymbol("V", d, d)
Q = sp.MatrixSymbol("Q", d, d)
ORTH_V = [Hypothesis(V * V.T, sp.Identity(d)), Hypothesis(V.T * V, sp.Identity(d))]
ORTH_Q = [Hypothesis(Q * Q.T, sp.Identity(d)), Hypothesis(Q.T * Q, sp.Identity(d))]
#: the rotated point of Proposition 4.3 and its MSE gradient
ROT = {W: W * V, H: V.T * H}
G_ROT = G_MSE.xreplace(ROT)
e_i = sp.MatrixSymbol("e_i", d, 1)
rho_h = sp.Symbol(r"\|h^i\|", positive=True)
rho_w = sp.sqrt(lh / lw) * rho_h           # (4.6) column by column


def _all(checks: list[Evidence], detail: str) -> Evidence:
    ok = all(e.passed for e in checks)
    bad = [e.detail for e in checks if not e.passed]
    return Evidence.exact("symbolic", ok, detail + ("" if ok else "; FAILED: " + "; ".join(bad)))


# ============================================================ symbolic checks
def mse_g_symbolic(sizes: tuple[tuple[int, int], ...] = ((2, 1), (2, 2), (3, 1))) -> Evidence:
    """grad g = (R - Y)/N and hess g[D, D] = ||D||_F^2 / N >= 0 (a sum of squares), by
    sympy.diff / sympy.hessian of the explicit MSE loss."""
    from ufm_sym.symbolic.explicit import explicit_loss

    ok = True
    for Kc, n in sizes:
        L = explicit_loss("mse", Kc, n)
        Dm = sp.Matrix(Kc, L.N, lambda i, j: sp.Symbol(f"delta_{i}{j}", real=True))
        ok = ok and all(sp.expand(x) == 0 for x in (L.grad - L.closed_form_grad))
        ok = ok and sp.expand(L.hessian_form(Dm) - sum(x ** 2 for x in Dm) / L.N) == 0
    return Evidence.exact("symbolic", ok,
                          "sympy.diff / sympy.hessian of the explicit MSE g: grad g = (R - Y)/N,"
                          " N hess g[D, D] = sum of D_ij^2 >= 0 (g convex), (K, n) in "
                          f"{list(sizes)}")


def critical_equation_symbolic(which: str) -> Evidence:
    """(4.4)/(4.5): the derived gradient with the MSE G is the paper's expression."""
    if which == "W":
        return C.identity_evidence(GRAD_W, (W * H + b * ones_N.T - Y) * H.T / N + lw * W,
                                   "derived df/dW with grad g = (R - Y)/N equals "
                                   "(1/N)(W H + b 1^T - Y) H^T + lambda_W W")
    return C.identity_evidence(GRAD_H, W.T * (W * H + b * ones_N.T - Y) / N + lh * H,
                               "derived df/dH with grad g = (R - Y)/N equals "
                               "(1/N) W^T (W H + b 1^T - Y) + lambda_H H")


def kernel_symbolic() -> Evidence:
    """lW ||W a||^2 - lH ||H^T a||^2 == a^T (W^T df/dW - df/dH H^T) a."""
    a = Geo.a
    return C.identity_evidence(
        lw * sp.Trace(a.T * W.T * W * a) - lh * sp.Trace(a.T * H * H.T * a),
        sp.Trace(a.T * (W.T * D.grad_W - D.grad_H * H.T) * a),
        "lambda_W ||W a||^2 - lambda_H ||H^T a||^2 == a^T (W^T df/dW - df/dH H^T) a: at a "
        "critical point W a = 0 iff H^T a = 0, so ker W = ker H^T")


def factor_symbolic(which: str) -> Evidence:
    """(4.9)/(4.10): W == -(1/lW) G H^T + (1/lW) df/dW and H == -(1/lH) W^T G + ..."""
    if which == "W":
        return C.identity_evidence(W, -G * H.T / lw + D.grad_W / lw,
                                   "W == -(1/lambda_W) grad g H^T + (1/lambda_W) df/dW: at a "
                                   "critical point W = (.) H^T, so rank W <= rank H")
    return C.identity_evidence(H, -W.T * G / lh + D.grad_H / lh,
                               "H == -(1/lambda_H) W^T grad g + (1/lambda_H) df/dH: at a "
                               "critical point H = W^T (.), so rank H <= rank W")


def rotated_critical_symbolic() -> Evidence:
    """grad f at (W V, V^T H, b) == (df/dW V, V^T df/dH, df/db) under V V^T = I (MSE G
    written out at both points); with V^T V = I too, one vanishes iff the other does."""
    gw = D.grad_W.xreplace({G: G_ROT, **ROT})
    gh = D.grad_H.xreplace({G: G_ROT, **ROT})
    gb = D.grad_b.xreplace({G: G_ROT, **ROT})
    checks = [
        C.reduction_evidence(gw - GRAD_W * V, ORTH_V, sp.ZeroMatrix(K, d), "W", matrix=True),
        C.reduction_evidence(gh - V.T * GRAD_H, ORTH_V, sp.ZeroMatrix(d, N), "H", matrix=True),
        C.reduction_evidence(gb - GRAD_b, ORTH_V, sp.ZeroMatrix(K, 1), "b", matrix=True),
    ]
    return _all(checks, "df/dW(WV, V^T H, b) - df/dW V, df/dH(...) - V^T df/dH and "
                "df/db(...) - df/db (derived, MSE grad g at each point) reduce to 0 under "
                "V V^T = V^T V = I: (4.11)-(4.13) multiplied by V, V^T")


def rotated_balance_symbolic() -> Evidence:
    """lH H~ H~^T - lW W~^T W~ == V^T (df/dH H^T - W^T df/dW) V: H~ H~^T = (lW/lH)
    Sigma^T Sigma is diagonal at a critical point."""
    Wt, Ht = W * V, V.T * H
    return C.identity_evidence(lh * Ht * Ht.T - lw * Wt.T * Wt,
                               V.T * (D.grad_H * H.T - W.T * D.grad_W) * V,
                               "lambda_H H~ H~^T - lambda_W W~^T W~ == V^T (df/dH H^T - "
                               "W^T df/dW) V, so the rows of H~ are orthogonal when the "
                               "columns of W~ = U Sigma are")


def invariance_symbolic() -> Evidence:
    """f(W Q, Q^T H, b) = f(W, H, b) and hess f at (W Q, Q^T H, b) along (D_W Q, Q^T D_H,
    D_b) = hess f at (W, H, b) along (D_W, D_H, D_b), under Q Q^T = Q^T Q = I (g abstract:
    it only sees R, and R is unchanged)."""
    checks = []
    obj = D.objective.xreplace({W: W * Q, H: Q.T * H})
    (loss,) = obj.atoms(LossG)
    checks.append(C.reduction_evidence(loss.argument, ORTH_Q, D.R, "R~", matrix=True))
    pen0 = D.objective - LossG(D.R)
    checks.append(Evidence.exact("symbolic",
                                 trace_equal(reduce_scalar(obj - loss, ORTH_Q), pen0),
                                 "penalties"))
    form = D.hessian_form.xreplace({W: W * Q, H: Q.T * H, D.D_W: D.D_W * Q,
                                    D.D_H: Q.T * D.D_H})
    (hg,) = form.atoms(HessianG)
    checks.append(C.reduction_evidence(hg.directions[0], ORTH_Q, D.first_order_change, "D1~",
                                       matrix=True))
    rest0 = D.hessian_form - HessianG(D.first_order_change)
    checks.append(Evidence.exact("symbolic",
                                 trace_equal(reduce_scalar(form - hg, ORTH_Q), rest0),
                                 "Hessian form, G-terms and penalties"))
    return _all(checks, "f(W Q, Q^T H, b) == f(W, H, b) (R~ = R, penalties cyclic) and the "
                "derived Hessian form at (W Q, Q^T H, b) along (D_W Q, Q^T D_H, D_b) == the "
                "one at (W, H, b) along (D_W, D_H, D_b), under Q Q^T = Q^T Q = I: the two "
                "Hessians are orthogonally similar")


def hessian_form_symbolic() -> Evidence:
    """(4.18): the derived form with hess g = (1/N) I is the paper's expression; and
    hess g of the explicit MSE loss is ||D||^2/N."""
    D1 = D.D_W * H + W * D.D_H + D.D_b * ones_N.T
    paper = (sp.Trace(D1.T * D1) / N + 2 * sp.Trace(G.T * D.D_W * D.D_H)
             + lw * sp.Trace(D.D_W.T * D.D_W) + lh * sp.Trace(D.D_H.T * D.D_H)
             + lb * sp.Trace(D.D_b.T * D.D_b))
    e1 = C.identity_evidence(FORM, paper, "form")
    e2 = mse_g_symbolic()
    return _all([e1, e2], "d^2/dt^2 f(X + t Delta) at t = 0 (derived, hess g = (1/N) I) == "
                "(1/N)||D_W H + W D_H + D_b 1^T||^2 + 2 <grad g, D_W D_H> + the penalties; "
                "and hess g of the explicit MSE loss is ||D||_F^2 / N")


def _general_hyps() -> list[Hypothesis]:
    return Geo.null_hypotheses(unit_a=False)


def singular_pair_symbolic(which: str = "4.28", sigma: Any = THR) -> Evidence:
    """(4.28)/(4.29): with u_i = -w_i/|w_i|, v_i = (h^i)^T/|h^i| and |w_i| = sqrt(lH/lW)
    |h^i| ((4.6) column by column):
    G v_i - sigma u_i == (df/dW) e_i / |h^i| and G^T u_i - sigma v_i == -(df/dH)^T e_i/|w_i|;
    both vanish at critical points, so sigma = sqrt(lW lH) is a singular value of G with
    the singular vectors (4.29)."""
    u_i = -(W * e_i) / rho_w
    v_i = (H.T * e_i) / rho_h
    col_balance = C.identity_evidence(
        lw * sp.Trace(e_i.T * W.T * W * e_i) - lh * sp.Trace(e_i.T * H * H.T * e_i),
        sp.Trace(e_i.T * (W.T * D.grad_W - D.grad_H * H.T) * e_i), "column balance")
    left = C.identity_evidence(G * v_i - sigma * u_i, D.grad_W * e_i / rho_h, "G v - sigma u")
    right = C.identity_evidence(G.T * u_i - sigma * v_i, -D.grad_H.T * e_i / rho_w,
                                "G^T u - sigma v")
    return _all([col_balance, left, right],
                f"with sigma = {sp.sstr(sigma)}: lambda_W ||w_i||^2 - lambda_H ||h^i||^2 == "
                "e_i^T (W^T df/dW - df/dH H^T) e_i, and with ||w_i|| = sqrt(lambda_H/"
                "lambda_W) ||h^i||: G v_i - sigma u_i == (df/dW) e_i/||h^i||, G^T u_i - "
                "sigma v_i == -(df/dH)^T e_i/||w_i|| (derived gradient)")


# ======================================================= high-precision wrappers
def _recs(ctx: VerifyContext) -> list[Any]:
    return P.records(ctx)


def _hp_rot(ctx: VerifyContext, fn: Any, detail: str, recs: Any = None,
            min_points: int = 1) -> Evidence:
    recs = _recs(ctx) if recs is None else recs
    return P.evidence_over(ctx, recs, lambda r: fn(P.rotated(r, ctx)), detail,
                       min_points=min_points)


# ================================================================ registration


def num(what: str) -> Any:
    """A float64 check of :mod:`proofs.section4_points` as a check function."""
    return lambda claim, ctx: P.float_evidence(ctx, what)


def register(registry: Registry) -> None:
    """Register the claims of Section 4, Theorem 1.2 and [12] (entry point
    ``40-section4``), with the paper labels of :data:`COVERS` as aliases."""
    _register_claims(registry)
    for label, group in COVERS.items():
        for alias in group:
            if alias != label:
                registry.add_alias(alias, label)


def _register_claims(registry: Registry) -> None:
    from ufm_sym_proofs.numeric_evidence import numeric_direction_evidence

    recs = P.records
    samples = P.float_samples

    def at_points(detail: str) -> Any:
        return lambda claim, ctx: E.truth_at_records(ctx, claim, recs(ctx), E.point_env, detail)

    def at_samples(detail: str) -> Any:
        return lambda claim, ctx: E.truth_at_samples(ctx, claim, samples(ctx),
                                                     E.float_point_env, detail)

    gnorm = SpectralNorm(G)

    # ------------------------------------------------------------ [12] cited
    s_ = sp.sqrt(sp.Symbol("n", positive=True) * lh / lw)
    gc, gm, beta_s = sp.Symbol(r"\gamma_c"), sp.Symbol(r"\gamma_m"), sp.Symbol(r"\beta_{\star}")
    PK = sp.Identity(K) - sp.OneMatrix(K, K) / K
    c = registry.claim(
        "ref:12", "[12]: closed form of the MSE global minimizer in every regime (A, B, C, "
        "zero)", cited=True, section="4", uses=("eq:1.4",),
        title_tex=r"[12]: closed form of the MSE global minimizer in every regime",
        statement=[sp.Eq(W * W.T, s_ * (gc * PK + gm * sp.OneMatrix(K, K)), evaluate=False),
                   sp.Eq(W * H, gc * (Y - sp.OneMatrix(K, N) / K) + gm * sp.OneMatrix(K, N),
                         evaluate=False),
                   sp.Eq(b, beta_s * sp.OneMatrix(K, 1), evaluate=False),
                   sp.Eq(E.F, E.FSTAR, evaluate=False)])

    @c.check("high-precision")
    def _(claim: Claim, ctx: VerifyContext) -> Evidence:
        ev = _merge(P.ref12_statement_evidence(ctx, claim), P.ref12_evidence(ctx))
        ranks = P.ref12_ranks(ctx)
        full = [f"K={k}" for reg, rk, k in ranks if reg == "C" and rk == k]
        claim.findings[:] = [
            "Regime C (lambda_b > 0, lambda_b/(1+lambda_b) > K sqrt(n lW lH)) is not neural "
            "collapse in the centred sense: the minimizers found from random starts there have "
            f"rank W = K ({', '.join(full) or 'none found'}), W W^T = s (gamma_c P_K + gamma_m "
            "1 1^T) with gamma_m > 0 and b* = (q/lambda_b) 1_K; ranks (regime, rank W, K): "
            f"{ranks}"]
        if not full:
            ev.passed = False
            ev.detail += "; no regime-C minimizer of rank K was found"
        return ev

    c.check("numeric")(lambda claim, ctx: P.ref12_numeric_evidence(ctx))

    # --------------------------------------------------------- Proposition 4.1
    c = registry.claim(
        "eq:4.1", "(4.1) ||grad g(R)|| <= sqrt(lambda_W lambda_H) splits the MSE critical "
        "points", uses=("eq:1.4", "lem:C.4"), section="4",
        title_tex=r"(4.1) $\|\nabla g(\mathbf R)\|\le\sqrt{\lambda_W\lambda_H}$ splits the MSE "
                  r"critical points",
        statement=sp.Implies(E.CRITICAL, sp.Or(
            sp.And(sp.Le(gnorm, THR, evaluate=False), sp.Eq(E.F, E.FSTAR, evaluate=False)),
            sp.Gt(gnorm, THR, evaluate=False))))
    c.check("high-precision")(lambda claim, ctx: _merge(
        E.truth_at_records(ctx, claim, recs(ctx), lambda r: E.landscape_env(r, ctx),
                           "each MSE critical point is in C1 (and a global minimizer) or "
                           "in C2"), P.split_evidence(ctx)))
    c.check("numeric")(lambda claim, ctx: numeric_direction_evidence(ctx, LOSS, "split"))

    c = registry.claim(
        "prop:4.1", "Proposition 4.1: a critical point with ||grad g(R)|| <= "
        "sqrt(lW lH) is a global minimizer", uses=("eq:4.1", "lem:C.4"),
        title_tex=r"Proposition 4.1: a critical point with $\|\nabla g(\mathbf R)\|\le"
                  r"\sqrt{\lambda_W\lambda_H}$ is a global minimizer",
        kind="proposition", section="4",
        statement=sp.Implies(sp.And(E.CRITICAL, sp.Le(gnorm, THR, evaluate=False)),
                             sp.Eq(E.F, E.FSTAR, evaluate=False)),
        derivation=[("MSE g is convex: hess g[D, D] = ||D||_F^2 / N", sp.Eq(
            HessianG(sp.MatrixSymbol("D", K, N)),
            sp.Trace(sp.MatrixSymbol("D", K, N).T * sp.MatrixSymbol("D", K, N)) / N,
            evaluate=False))])
    c.check("symbolic")(lambda claim, ctx: mse_g_symbolic())
    c.check("high-precision")(lambda claim, ctx: _merge(
        E.truth_at_records(ctx, claim, recs(ctx), lambda r: E.landscape_env(r, ctx),
                           "at every MSE critical point"), P.prop41_evidence(ctx)))
    c.check("certified")(lambda claim, ctx: Cert.criterion_certified_evidence(claim, ctx,
                                                                              recs(ctx)))
    c.check("high-precision")(lambda claim, ctx: duality_gap_evidence(claim, ctx, recs(ctx)))
    c.check("numeric")(lambda claim, ctx: P.numeric_prop41_evidence(ctx))

    # --------------------------------------------------------- Proposition 4.2
    for label, which, eq in (("eq:4.4", "W", sp.Eq(GRAD_W, sp.ZeroMatrix(K, d), evaluate=False)),
                             ("eq:4.5", "H", sp.Eq(GRAD_H, sp.ZeroMatrix(d, N),
                                                   evaluate=False))):
        c = registry.claim(label, f"critical-point equation in {which} (MSE)", uses=("eq:1.4",),
                           title_tex=rf"critical-point equation in $\mathbf {which}$ (MSE)",
                           section="4", statement=eq)
        c.check("symbolic")(lambda claim, ctx, w=which: critical_equation_symbolic(w))
        c.check("high-precision")(at_points(f"the MSE gradient in {which} at refined critical "
                                            "points"))
        c.check("numeric")(at_samples(f"the MSE gradient in {which} at float64 points"))

    bal = sp.Eq(W.T * W, lh / lw * H * H.T, evaluate=False)
    comb = W.T * D.grad_W - D.grad_H * H.T
    c = registry.claim(
        "eq:4.6", "balance W^T W = (lambda_H/lambda_W) H H^T, lambda_W ||W||^2 = lambda_H "
        "||H||^2", uses=("eq:4.4", "eq:4.5"), section="4",
        title_tex=r"balance $\mathbf W^\top\mathbf W=(\lambda_H/\lambda_W)\mathbf H\mathbf "
                  r"H^\top$, $\lambda_W\|\mathbf W\|^2=\lambda_H\|\mathbf H\|^2$",
        statement=[bal, sp.Eq(lw * sp.Trace(W.T * W), lh * sp.Trace(H.T * H), evaluate=False)],
        derivation=[("left-multiply (4.4) by W^T, right-multiply (4.5) by H^T, subtract",
                     sp.Eq(W.T * W - lh / lw * H * H.T, comb / lw, evaluate=False))])
    c.check("symbolic")(lambda claim, ctx: C.combination_evidence(
        claim, [comb / lw, sp.Trace(comb)],
        "the statement's W^T W - (lH/lW) H H^T == (1/lambda_W)(W^T df/dW - df/dH H^T) and its "
        "trace form == tr(W^T df/dW - df/dH H^T), with the derived gradient"))
    c.check("high-precision")(at_points("the balance and its trace at refined critical points"))
    c.check("numeric")(at_samples("the balance and its trace at float64 points"))

    c = registry.claim(
        "eq:4.2", "Proposition 4.2's balance condition W^T W = (lambda_H/lambda_W) H H^T",
        title_tex=r"Proposition 4.2's balance condition $\mathbf W^\top\mathbf W=(\lambda_H/"
                  r"\lambda_W)\mathbf H\mathbf H^\top$",
        uses=("eq:4.6",), section="4", statement=bal)
    c.check("symbolic")(lambda claim, ctx: C.combination_evidence(
        claim, [comb / lw], "the statement's W^T W - (lH/lW) H H^T == (1/lambda_W)(W^T df/dW "
        "- df/dH H^T), with the derived gradient"))
    c.check("high-precision")(at_points("W^T W - (lH/lW) H H^T at refined critical points"))
    c.check("numeric")(at_samples("the balance at float64 points"))

    for label, which, lhs, rhs in (
            ("eq:4.7", "W", W, (Y - b * ones_N.T - W * H) * H.T / (N * lw)),
            ("eq:4.8", "H", H, W.T * (Y - b * ones_N.T - W * H) / (N * lh))):
        c = registry.claim(label, f"{which} solved from the critical-point equation",
                           title_tex=rf"$\mathbf {which}$ solved from the critical-point "
                                     "equation",
                           uses=("eq:4.4" if which == "W" else "eq:4.5",), section="4",
                           statement=sp.Eq(lhs, rhs, evaluate=False))
        c.check("symbolic")(lambda claim, ctx, w=which: C.combination_evidence(
            claim, [(GRAD_W / lw) if w == "W" else (GRAD_H / lh)],
            f"the statement's {w} - (right side) == (1/lambda) df/d{w} (derived, MSE)"))
        c.check("high-precision")(at_points(f"{which} against the right side at refined "
                                            "critical points"))
        c.check("numeric")(at_samples(f"{which} against the right side at float64 points"))

    for label, which, stmt in (
            ("eq:4.9", "W", sp.Le(Rank(W), Rank(H), evaluate=False)),
            ("eq:4.10", "H", sp.Le(Rank(H), Rank(W), evaluate=False))):
        other = "H" if which == "W" else "W"
        c = registry.claim(label, f"rank {which} <= rank {other}",
                           title_tex=rf"$\operatorname{{rank}}\mathbf {which}\le"
                                     rf"\operatorname{{rank}}\mathbf {other}$",
                           uses=("eq:4.7" if which == "W" else "eq:4.8",), section="4",
                           statement=stmt)
        c.check("symbolic")(lambda claim, ctx, w=which: factor_symbolic(w))
        c.check("high-precision")(lambda claim, ctx: _merge(
            at_points("the ranks (singular values above 10^-(dps/2) relative)")(claim, ctx),
            P.rank_inequality_evidence(ctx, "4.3")))
        c.check("numeric")(at_samples("the ranks in float64"))

    c = registry.claim(
        "eq:4.3", "rank W = rank H (no bound K - 1 for MSE)", uses=("eq:4.9", "eq:4.10"),
        title_tex=r"$\operatorname{rank}\mathbf W=\operatorname{rank}\mathbf H$ (no bound "
                  r"$K-1$ for MSE)",
        section="4", statement=sp.Eq(Rank(W), Rank(H), evaluate=False))
    c.check("symbolic")(lambda claim, ctx: kernel_symbolic())
    c.check("high-precision")(lambda claim, ctx: _merge(
        at_points("rank W and rank H")(claim, ctx), P.rank_inequality_evidence(ctx, "4.3")))
    c.check("numeric")(at_samples("rank W and rank H in float64"))

    c = registry.claim(
        "prop:4.2", "Proposition 4.2: any MSE critical point has W^T W = (lH/lW) H H^T and "
        "rank W = rank H", uses=("eq:4.2", "eq:4.3"), kind="proposition", section="4",
        title_tex=r"Proposition 4.2: any MSE critical point has $\mathbf W^\top\mathbf W="
                  r"(\lambda_H/\lambda_W)\mathbf H\mathbf H^\top$ and $\operatorname{rank}"
                  r"\mathbf W=\operatorname{rank}\mathbf H$",
        statement=sp.Implies(E.CRITICAL, sp.And(bal, sp.Eq(Rank(W), Rank(H), evaluate=False))))
    c.check("high-precision")(lambda claim, ctx: _merge(
        E.truth_at_records(ctx, claim, recs(ctx), lambda r: E.landscape_env(r, ctx),
                           "at every MSE critical point"),
        P.rank_inequality_evidence(ctx, "4.3")))
    c.check("numeric")(lambda claim, ctx: E.truth_at_samples(
        ctx, claim, samples(ctx), E.float_landscape_env, "at every float64 MSE critical point"))

    _register_prop43(registry)
    _register_theorem(registry)


def _merge(*evs: Evidence) -> Evidence:
    """Several pieces of evidence at one level, as one (the weakest digits reported)."""
    digits = [e.digits for e in evs if e.digits is not None]
    worst = min(evs, key=lambda e: 99 if e.digits is None else e.digits)
    return Evidence(evs[0].level, all(e.passed for e in evs), worst.residual,
                    min(digits) if digits else None, max(e.samples for e in evs),
                    " | ".join(e.detail for e in evs))


def _register_prop43(registry: Registry) -> None:

    recs = P.records

    E_ = W * H + b * ones_N.T - Y
    for which, stmt in ((11, sp.Eq(E_ * H.T + N * lw * W, sp.ZeroMatrix(K, d), evaluate=False)),
                        (12, sp.Eq(W.T * E_ + N * lh * H, sp.ZeroMatrix(d, N), evaluate=False)),
                        (13, sp.Eq(E_ * ones_N + N * lb * b, sp.ZeroMatrix(K, 1),
                                   evaluate=False))):
        c = registry.claim(f"eq:4.{which}", f"critical-point equation times N ({which - 10} of"
                           " 3)", uses=("eq:1.4",), section="4", statement=stmt,
                           title_tex=f"critical-point equation times $N$ ({which - 10} of 3)")
        c.check("symbolic")(lambda claim, ctx, w=which: C.combination_evidence(
            claim, [N * {11: GRAD_W, 12: GRAD_H, 13: GRAD_b}[w]],
            f"the statement's left side of (4.{w}) == N times the derived gradient (MSE)"))
        c.check("high-precision")(lambda claim, ctx, w=which: E.truth_at_records(
            ctx, claim, recs(ctx), E.point_env, f"(4.{w}) at refined critical points"))
        c.check("numeric")(lambda claim, ctx: E.truth_at_samples(
            ctx, claim, P.float_samples(ctx), E.float_point_env, "at float64 points"))

    Sig = sp.MatrixSymbol(r"\Sigma", K, d)
    Um = sp.MatrixSymbol("U", K, K)
    c = registry.claim(
        "eq:4.14", "W~ = W V = U Sigma: orthogonal columns, zero after r = rank W",
        uses=(), section="4",
        title_tex=r"$\widetilde{\mathbf W}=\mathbf W\mathbf V=\mathbf U\boldsymbol\Sigma$",
        statement=sp.Eq(W * V, Um * Sig, evaluate=False))
    c.check("high-precision")(lambda claim, ctx: _merge(
        P.truth_over_rotations(ctx, claim, recs(ctx), P.rotation_env,
                               "W V against U Sigma (the mpmath SVD of W)"),
        _hp_rot(ctx, P.residual_414, "the off-diagonal of W~^T W~ and ||columns > r||")))
    c.check("numeric")(lambda claim, ctx: P.float_evidence(ctx, "4.26"))

    c = registry.claim(
        "eq:4.15", "W~ H~ = W V V^T H = W H", uses=("eq:4.14",), section="4",
        title_tex=r"$\widetilde{\mathbf W}\widetilde{\mathbf H}=\mathbf W\mathbf V\mathbf "
                  r"V^\top\mathbf H=\mathbf W\mathbf H$",
        statement=sp.Eq(W * V * V.T * H, W * H, evaluate=False),
        hypotheses=tuple(h.equation for h in ORTH_V))
    c.check("symbolic")(lambda claim, ctx: C.statement_reduction_evidence(
        claim, "the statement under V V^T = V^T V = I"))
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, recs(ctx), P.rotation_env, "W V V^T H against W H"))
    c.check("numeric")(lambda claim, ctx: P.float_evidence(ctx, "prop4.3"))

    c = registry.claim(
        "step:4.3.crit", "(W V, V^T H, b) is a critical point: (4.11)-(4.13) times V, V^T",
        uses=("eq:4.11", "eq:4.12", "eq:4.13", "eq:4.15"), kind="step", section="4",
        title_tex=r"$(\mathbf W\mathbf V,\mathbf V^\top\mathbf H,\mathbf b)$ is a critical "
                  r"point: (4.11)-(4.13) times $\mathbf V$, $\mathbf V^\top$",
        statement=[sp.Eq(D.grad_W.xreplace(ROT), D.grad_W * V, evaluate=False),
                   sp.Eq(D.grad_H.xreplace(ROT), V.T * D.grad_H, evaluate=False),
                   sp.Eq(D.grad_b.xreplace(ROT), D.grad_b, evaluate=False)],
        hypotheses=tuple(h.equation for h in ORTH_V))
    c.check("symbolic")(lambda claim, ctx: _all([
        C.statement_reduction_evidence(claim, "the statement under V V^T = V^T V = I (grad g "
                                       "is the same at both points, R~ = R by (4.15))"),
        rotated_critical_symbolic(), rotated_balance_symbolic()],
        "the rotated gradient is the gradient times V (derived); rows of H~ orthogonal"))
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, recs(ctx), P.rotation_env, "the gradient at (W V, V^T H, b) against the "
        "rotated gradient"))
    c.check("numeric")(lambda claim, ctx: P.float_evidence(ctx, "prop4.3"))

    a = Geo.a
    c = registry.claim(
        "eq:4.16", "W a = 0 iff H^T a = 0 (by (4.6))", uses=("eq:4.6",), section="4",
        title_tex=r"$\mathbf W\mathbf a=\mathbf 0$ iff $\mathbf H^\top\mathbf a=\mathbf 0$",
        statement=sp.Equivalent(sp.Eq(W * a, sp.ZeroMatrix(K, 1), evaluate=False),
                                sp.Eq(H.T * a, sp.ZeroMatrix(N, 1), evaluate=False)))
    c.check("symbolic")(lambda claim, ctx: kernel_symbolic())
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, recs(ctx), P.column_direction_envs,
        "at a = V e_j for every j (null vectors of W and not)"))

    gen = Geo.direction(Geo.alpha, Geo.beta)
    hyps17 = tuple(h.equation for h in _general_hyps())
    c = registry.claim(
        "eq:4.17", "the direction (alpha u a^T, beta a v^T, 0)", uses=("eq:4.16",),
        title_tex=r"the direction $(\alpha\mathbf u\mathbf a^\top,\beta\mathbf a\mathbf "
                  r"v^\top,\mathbf 0)$",
        section="4", statement=sp.Eq(sp.Symbol(r"\Delta"), sp.Tuple(
            *(gen[k] for k in ("D_W", "D_H", "D_b"))), evaluate=False),
        hypotheses=hyps17)
    c.check("symbolic")(lambda claim, ctx: general_direction_symbolic(claim))
    d417 = c

    form_symbol = sp.Symbol(r"\nabla^2 f[\Delta,\Delta]")
    c = registry.claim(
        "eq:4.18", "the MSE Hessian form: (3.9) with hess g = (1/N) I", uses=("eq:1.4",),
        title_tex=r"the MSE Hessian form: (3.9) with $\nabla^2 g=\frac1N\mathbf I$",
        section="4", statement=sp.Eq(form_symbol, FORM, evaluate=False))
    c.check("symbolic")(lambda claim, ctx: _all([C.identity_evidence(
        claim.statement.rhs, mse_hessian(D.hessian_form), "the statement's right side is the "
        "derived form with hess g = (1/N) I"), hessian_form_symbolic()],
        "the statement's right side == (3.9) with hess g = (1/N) I == (1/N)||D1||^2 + 2 <grad "
        "g, D_W D_H> + the penalties"))
    c.check("high-precision")(lambda claim, ctx: S3.form_fd_evidence(ctx, claim, LOSS,
                                                                     form_symbol))

    dirn17 = C.direction_of(d417)
    DW, DH = dirn17["D_W"], dirn17["D_H"]
    al, be, s, sg = Geo.alpha, Geo.beta, Geo.a_norm2, Geo.sigma
    c = registry.claim(
        "eq:4.19", "(4.19)-(4.21): D_W H + W D_H = 0, D_W D_H = alpha beta |a|^2 u v^T, "
        "||D_W||^2 = alpha^2 |a|^2, ||D_H||^2 = beta^2 |a|^2", uses=("eq:4.17",), section="4",
        title_tex=r"(4.19)-(4.21): $\mathbf D_W\mathbf H+\mathbf W\mathbf D_H=\mathbf 0$, "
                  r"$\mathbf D_W\mathbf D_H=\alpha\beta|\mathbf a|^2\mathbf u\mathbf v^\top$, "
                  r"$\|\mathbf D_W\|^2=\alpha^2|\mathbf a|^2$, $\|\mathbf D_H\|^2=\beta^2|"
                  r"\mathbf a|^2$",
        statement=[sp.Eq(Geo.along(D.first_order_change, dirn17), sp.ZeroMatrix(K, N),
                         evaluate=False),
                   sp.Eq(DW * DH, al * be * s * Geo.u * Geo.v.T, evaluate=False),
                   sp.Eq(sp.Trace(DW.T * DW), al ** 2 * s, evaluate=False),
                   sp.Eq(sp.Trace(DH.T * DH), be ** 2 * s, evaluate=False)],
        hypotheses=hyps17)
    c.check("symbolic")(lambda claim, ctx: C.statement_reduction_evidence(
        claim, "the statement under W a = 0, H^T a = 0, |a|^2 = s, |u| = |v| = 1"))
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, P.null_records(ctx), P.test_direction_env,
        "alpha = 0.7, beta = -1.3, a = 1.5 V e_d, (u, v) the top pair of grad g"))

    at = V.T * a
    rdir = {"D_W": al * Geo.u * at.T, "D_H": be * at * Geo.v.T}
    c = registry.claim(
        "eq:4.22", "(4.22)-(4.24): the same at (W V, V^T H, b) with a~ = V^T a",
        title_tex=r"(4.22)-(4.24): the same at $(\mathbf W\mathbf V,\mathbf V^\top\mathbf H,"
                  r"\mathbf b)$ with $\tilde{\mathbf a}=\mathbf V^\top\mathbf a$",
        uses=("eq:4.17", "eq:4.14"), section="4",
        statement=[sp.Eq(rdir["D_W"] * V.T * H + W * V * rdir["D_H"], sp.ZeroMatrix(K, N),
                         evaluate=False),
                   sp.Eq(rdir["D_W"] * rdir["D_H"], al * be * s * Geo.u * Geo.v.T,
                         evaluate=False),
                   sp.Eq(sp.Trace(rdir["D_W"].T * rdir["D_W"]), al ** 2 * s, evaluate=False),
                   sp.Eq(sp.Trace(rdir["D_H"].T * rdir["D_H"]), be ** 2 * s, evaluate=False)],
        hypotheses=hyps17 + tuple(h.equation for h in ORTH_V))
    c.check("symbolic")(lambda claim, ctx: C.statement_reduction_evidence(
        claim, "the statement under W a = 0, H^T a = 0, |a|^2 = s, |u| = |v| = 1, V V^T = I"))
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, P.null_records(ctx), P.test_direction_env,
        "the same test direction at the rotated point"))

    closed = 2 * al * be * s * sg + (lw * al ** 2 + lh * be ** 2) * s
    form_x = Geo.along(FORM, dirn17)
    form_rot = FORM.xreplace({W: W * V, H: V.T * H}).subs(
        {D.D_W: rdir["D_W"], D.D_H: rdir["D_H"], D.D_b: sp.ZeroMatrix(K, 1)}).doit()
    c = registry.claim(
        "eq:4.25", "the two points have the same Hessian information along (4.17)",
        uses=("eq:4.18", "eq:4.19", "eq:4.22", "eq:4.15"), section="4",
        statement=[sp.Eq(form_x, closed, evaluate=False), sp.Eq(form_rot, closed,
                                                                evaluate=False)],
        hypotheses=hyps17 + tuple(h.equation for h in ORTH_V) + (
            Geo.null_hypotheses(unit_a=False)[-1].equation,))
    c.check("symbolic")(lambda claim, ctx: C.statement_reduction_evidence(
        claim, "the (4.18) form along (4.17) at (W, H, b) and along the rotated direction at "
        "(W V, V^T H, b) both reduce to the statement's closed form"))
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, P.null_records(ctx), P.test_direction_env,
        "both forms and the closed form at the test direction"))

    Dm = (D.D_W, D.D_H, D.D_b)
    obj_q = D.objective.xreplace({W: W * Q, H: Q.T * H})
    form_q = D.hessian_form.xreplace({W: W * Q, H: Q.T * H}).subs(
        {D.D_W: Dm[0] * Q, D.D_H: Q.T * Dm[1]})
    c = registry.claim(
        "step:4.3.inv", "f(W Q, Q^T H, b) = f(W, H, b): the Hessians at the two points are "
        "orthogonally similar (Remark R2)", uses=("eq:1.4",), kind="step", section="4",
        title_tex=r"$f(\mathbf W\mathbf Q,\mathbf Q^\top\mathbf H,\mathbf b)=f(\mathbf W,"
                  r"\mathbf H,\mathbf b)$: the Hessians at the two points are orthogonally "
                  r"similar (Remark R2)",
        statement=[sp.Eq(obj_q, D.objective, evaluate=False),
                   sp.Eq(form_q, D.hessian_form, evaluate=False)],
        hypotheses=tuple(h.equation for h in ORTH_Q))
    c.check("symbolic")(lambda claim, ctx: invariance_symbolic())
    c.check("high-precision")(lambda claim, ctx: P.invariance_statement_evidence(ctx, claim))

    c = registry.claim(
        "prop:4.3", "Proposition 4.3: (W V, V^T H, b) is a critical point in normal form with "
        "the same Hessian information",
        title_tex=r"Proposition 4.3: $(\mathbf W\mathbf V,\mathbf V^\top\mathbf H,\mathbf b)$ "
                  r"is a critical point in normal form with the same Hessian information",
        uses=("eq:4.14", "eq:4.15", "step:4.3.crit",
                                               "eq:4.25", "step:4.3.inv"),
        kind="proposition", section="4",
        statement=[sp.Eq(FrobeniusNorm(P.GRAD_F_ROT), 0, evaluate=False),
                   sp.Eq(P.F_ROT, E.F, evaluate=False),
                   sp.Eq(P.D_X.T * P.T_ROT.T * P.HESS_ROT * P.T_ROT * P.D_X,
                         P.D_X.T * E.HESS_F * P.D_X, evaluate=False)])
    c.check("high-precision")(lambda claim, ctx: _merge(P.prop43_statement_evidence(ctx, claim),
                                                       P.prop43_evidence(ctx)))
    c.check("numeric")(lambda claim, ctx: P.float_evidence(ctx, "prop4.3"))

    r_ = sp.Symbol("r", integer=True, nonnegative=True)
    Wt, Ht = W * V, V.T * H
    Jd, Id = sp.OneMatrix(d, d), sp.Identity(d)
    Pz, Pr = sp.MatrixSymbol(r"P_{>r}", d, d), sp.MatrixSymbol(r"P_{\le r}", d, d)
    c = registry.claim(
        "asm:4.4", "Assumption 4.4 [covers (4.26)]: W = [w_1..w_r, 0], H = [h^1; ..; h^r; 0] "
        "with orthogonal columns/rows, w_i, h^i != 0", uses=("prop:4.2", "prop:4.3", "eq:4.14"),
        title_tex=r"Assumption 4.4 [covers (4.26)]: $\mathbf W=[\mathbf w_1,\dots,\mathbf w_r,"
                  r"\mathbf 0]$, $\mathbf H=[\mathbf h^1;\dots;\mathbf h^r;\mathbf 0]$ with "
                  r"orthogonal columns and rows, $\mathbf w_i,\mathbf h^i\ne\mathbf 0$",
        kind="assumption", section="4",
        statement=[
            sp.Eq(sp.HadamardProduct(Wt.T * Wt, Jd - Id), sp.ZeroMatrix(d, d), evaluate=False),
            sp.Eq(sp.HadamardProduct(Ht * Ht.T, Jd - Id), sp.ZeroMatrix(d, d), evaluate=False),
            sp.Eq(Wt * Pz, sp.ZeroMatrix(K, d), evaluate=False),
            sp.Eq(Pz * Ht, sp.ZeroMatrix(d, N), evaluate=False),
            sp.Eq(Rank(Wt * Pr), r_, evaluate=False),
            sp.Eq(sp.HadamardProduct(lw * Wt.T * Wt - lh * Ht * Ht.T, Id),
                  sp.ZeroMatrix(d, d), evaluate=False)])
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, recs(ctx), P.projector_env, "the rotated point (V from the SVD of W, "
        "r = rank W; P_{>r}, P_{<=r} the coordinate projectors)"))
    c.check("numeric")(lambda claim, ctx: _merge(P.float_evidence(ctx, "4.26"),
                                                 P.float_evidence(ctx, "asm4.4")))


def general_direction_symbolic(claim: Claim) -> Evidence:
    """(4.17) is built so that, under W a = 0, H^T a = 0, |a|^2 = s, |u| = |v| = 1:
    D1 = 0, D_W D_H = alpha beta s u v^T, ||D_W||^2 = alpha^2 s, ||D_H||^2 = beta^2 s
    (the statement's direction, reduced), and its blocks have the shapes of W, H, b."""
    dirn = C.direction_of(claim)
    hyps = C.hypotheses_of(claim)
    al, be, s = Geo.alpha, Geo.beta, Geo.a_norm2
    DW, DH = dirn["D_W"], dirn["D_H"]
    checks = [
        C.reduction_evidence(Geo.along(D.first_order_change, dirn), hyps,
                             sp.ZeroMatrix(K, N), "D1", matrix=True),
        C.reduction_evidence(DW * DH, hyps, al * be * s * Geo.u * Geo.v.T, "D_W D_H",
                             matrix=True),
        C.reduction_evidence(sp.Trace(DW.T * DW), hyps, al ** 2 * s, "||D_W||^2"),
        C.reduction_evidence(sp.Trace(DH.T * DH), hyps, be ** 2 * s, "||D_H||^2"),
        Evidence.exact("symbolic", DW.shape == (K, d) and DH.shape == (d, N)
                       and dirn["D_b"].shape == (K, 1), "shapes"),
    ]
    return _all(checks, "the statement's direction under W a = 0, H^T a = 0, |a|^2 = s, "
                "|u| = |v| = 1: D1 = 0, D_W D_H = alpha beta s u v^T, ||D_W||^2 = alpha^2 s, "
                "||D_H||^2 = beta^2 s; the shapes of (W, H, b)")


def _register_theorem(registry: Registry) -> None:
    from ufm_sym_proofs.numeric_evidence import (
        numeric_direction_evidence,
        numeric_theorem_evidence,
    )

    recs = P.records
    gnorm = SpectralNorm(G)
    wi, hi = W * e_i, (e_i.T * H)
    c = registry.claim(
        "eq:4.27", "(4.11)-(4.12) column by column: grad g (h^i)^T + lW w_i = 0, w_i^T grad g "
        "+ lH h^i = 0", uses=("asm:4.4", "eq:4.11", "eq:4.12"), section="4",
        title_tex=r"(4.11)-(4.12) column by column: $\nabla g\,(\mathbf h^i)^\top+\lambda_W"
                  r"\mathbf w_i=\mathbf 0$, $\mathbf w_i^\top\nabla g+\lambda_H\mathbf h^i="
                  r"\mathbf 0$",
        statement=[sp.Eq(G * hi.T + lw * wi, sp.ZeroMatrix(K, 1), evaluate=False),
                   sp.Eq(wi.T * G + lh * hi, sp.ZeroMatrix(1, N), evaluate=False)])
    c.check("symbolic")(lambda claim, ctx: C.combination_evidence(
        claim, [D.grad_W * e_i, e_i.T * D.grad_H],
        "the statement's columns == (df/dW) e_i and rows == e_i^T (df/dH), derived"))
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, recs(ctx), P.index_envs, "at the normal form, every i <= r"))
    c.check("numeric")(num("4.27"))

    sig_i = sp.Symbol(r"\sigma_i", positive=True)
    c = registry.claim(
        "eq:4.28", "sigma_i = sqrt(lambda_W lambda_H), i <= r, are singular values of grad g",
        title_tex=r"$\sigma_i=\sqrt{\lambda_W\lambda_H}$, $i\le r$, are singular values of "
                  r"$\nabla g(\mathbf R)$",
        uses=("eq:4.27", "eq:4.6"), section="4", statement=sp.Eq(sig_i, THR, evaluate=False))
    c.check("symbolic")(lambda claim, ctx: singular_pair_symbolic("4.28",
                                                                  sigma=claim.statement.rhs))
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, recs(ctx), P.index_envs, "sigma_i = u_i^T grad g v_i with (4.29)'s "
        "u_i = -w_i/||w_i||, v_i = (h^i)^T/||h^i||, every i <= r"))
    c.check("numeric")(num("4.28"))

    rw, rh = sp.Symbol(r"\|w_i\|", positive=True), sp.Symbol(r"\|h^i\|", positive=True)
    u_i, v_i = -wi / rw, hi.T / rh
    c = registry.claim(
        "eq:4.29", "singular vectors u_i = -w_i/|w_i|, v_i = h^iT/|h^i|",
        title_tex=r"singular vectors $\mathbf u_i=-\mathbf w_i/\|\mathbf w_i\|$, "
                  r"$\mathbf v_i=(\mathbf h^i)^\top/\|\mathbf h^i\|$",
        uses=("eq:4.27", "eq:4.6"), section="4",
        statement=[sp.Eq(G * v_i, THR * u_i, evaluate=False),
                   sp.Eq(G.T * u_i, THR * v_i, evaluate=False)])
    c.findings[:] = [
        "Sign convention: with u_i = -w_i/||w_i|| and v_i = (h^i)^T/||h^i|| the pairs satisfy "
        "grad g v_i = +sqrt(lW lH) u_i and grad g^T u_i = +sqrt(lW lH) v_i (checked); with "
        "u_i = +w_i/||w_i|| they are singular pairs of -grad g.  The reconstruction does not "
        "say which of the two the paper writes; both give the same singular values."]
    c.check("symbolic")(lambda claim, ctx: singular_vectors_symbolic(claim, rw, rh))
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, recs(ctx), P.index_envs, "at the normal form, every i <= r"))
    c.check("numeric")(num("4.29"))

    r_ = sp.Symbol("r", integer=True, positive=True)
    Ur, Vr = sp.MatrixSymbol("U_r", K, r_), sp.MatrixSymbol("V_r", N, r_)
    c = registry.claim(
        "eq:4.30", "rank(W H) = r; the u_i and v_i are orthonormal",
        uses=("eq:4.28", "eq:4.29", "asm:4.4"), section="4",
        title_tex=r"$\operatorname{rank}(\mathbf W\mathbf H)=r$; the $\mathbf u_i$ and "
                  r"$\mathbf v_i$ are orthonormal",
        statement=[sp.Eq(Rank(W * H), r_, evaluate=False),
                   sp.Eq(Ur.T * Ur, sp.Identity(r_), evaluate=False),
                   sp.Eq(Vr.T * Vr, sp.Identity(r_), evaluate=False)])
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, [x for x in recs(ctx) if P.rotated(x, ctx).r > 0], P.covered_pairs_env,
        "at every critical point with W != 0: U_r, V_r the pairs (4.29) side by side"))
    c.check("numeric")(num("4.30"))

    U, VK = sp.MatrixSymbol("U", K, K), sp.MatrixSymbol("V_K", N, K)
    c = registry.claim(
        "eq:4.31", "Case 1 (r = K): all K singular values of grad g are sqrt(lW lH), so "
        "||grad g(R)|| = sqrt(lW lH) and the point is a global minimizer",
        title_tex=r"Case 1 ($r=K$): $\|\nabla g(\mathbf R)\|=\sqrt{\lambda_W\lambda_H}$",
        uses=("eq:4.28", "eq:4.29", "eq:4.30", "prop:4.1"), section="4",
        statement=sp.Eq(gnorm, THR, evaluate=False),
        hypotheses=(sp.Eq(G * VK, THR * U, evaluate=False), sp.Eq(G.T * U, THR * VK,
                                                                   evaluate=False),
                    sp.Eq(U * U.T, sp.Identity(K), evaluate=False)))
    c.check("symbolic")(lambda claim, ctx: case1_from_pairs_symbolic(claim, U, VK))

    @c.check("high-precision")
    def _(claim: Claim, ctx: VerifyContext) -> Evidence:
        ev = _merge(E.truth_at_records(ctx, claim, P.case1_records(ctx), E.point_env,
                                       "||grad g|| at every critical point with r = K"),
                    P.case1_evidence(ctx))
        fams = sorted({f"{r.problem.describe()} [{r.family}]" for r in P.case1_records(ctx)})
        claim.findings[:] = [
            f"Case 1 is not vacuous: {len(fams)} sampled MSE critical points have rank W = K "
            "(the regime-C minimizers), so Lemma 3.1's rank W <= K - 1 (a CE fact, from "
            "1_K^T grad g = 0) fails for MSE and Section 4 needs Case 1: " + "; ".join(fams)]
        return ev
    c.check("numeric")(num("4.31"))

    Eg = G - THR * Ur * Vr.T
    c = registry.claim(
        "eq:4.32", "Case 2 (r < K): grad g = sqrt(lW lH) sum_{i<=r} u_i v_i^T + sum_{j>r} "
        "sigma_j u_j v_j^T", uses=("eq:4.29", "eq:4.30"), section="4",
        title_tex=r"Case 2 ($r<K$): $\nabla g(\mathbf R)=\sqrt{\lambda_W\lambda_H}\sum_{i\le r}"
                  r"\mathbf u_i\mathbf v_i^\top+\sum_{j>r}\sigma_j\mathbf u_j\mathbf v_j^\top$",
        statement=[sp.Eq(Ur.T * Eg, sp.ZeroMatrix(r_, N), evaluate=False),
                   sp.Eq(Eg * Vr, sp.ZeroMatrix(K, r_), evaluate=False)])
    c.check("high-precision")(lambda claim, ctx: _merge(P.truth_over_rotations(
        ctx, claim, [x for x in P.case2_records(ctx) if P.rotated(x, ctx).r > 0],
        P.covered_pairs_env, "the remainder grad g - sqrt(lW lH) U_r V_r^T has no component "
        "along the covered pairs, at every critical point with 0 < r < K"),
        _hp_rot(ctx, P.residual_432, "and the singular values of grad g are sqrt(lW lH) (r "
                "times) with the top K - r of the remainder", recs=P.case2_records(ctx))))
    c.check("numeric")(num("4.32"))

    c = registry.claim(
        "eq:4.33", "u_j^T grad g v_j = sigma_j with u_j perp u_i, v_j perp v_i",
        uses=("eq:4.32",), section="4",
        title_tex=r"$\mathbf u_j^\top\nabla g(\mathbf R)\mathbf v_j=\sigma_j$ with "
                  r"$\mathbf u_j\perp\mathbf u_i$, $\mathbf v_j\perp\mathbf v_i$",
        statement=[sp.Eq(Geo.u.T * G * Geo.v, Geo.sigma, evaluate=False),
                   sp.Eq(Ur.T * Geo.u, sp.ZeroMatrix(r_, 1), evaluate=False),
                   sp.Eq(Vr.T * Geo.v, sp.ZeroMatrix(r_, 1), evaluate=False)])
    c.check("high-precision")(lambda claim, ctx: P.truth_over_rotations(
        ctx, claim, [x for x in P.c2_records(ctx) if P.rotated(x, ctx).r > 0],
        P.covered_direction_env, "the top pair (u, v, sigma) of grad g at the points of C2 "
        "with W != 0"))

    c = registry.claim(
        "eq:4.34", "at a non-global critical point an uncovered sigma_j > sqrt(lW lH)",
        uses=("eq:4.32", "eq:4.33", "prop:4.1"), section="4",
        title_tex=r"at a non-global critical point an uncovered $\sigma_j>\sqrt{\lambda_W"
                  r"\lambda_H}$",
        statement=sp.Gt(Geo.sigma, THR, evaluate=False))
    c.check("high-precision")(lambda claim, ctx: _merge(E.truth_at_records(
        ctx, claim, P.c2_records(ctx), lambda r: E.direction_env(r, ctx),
        "sigma the top uncovered singular value of grad g, at the points of C2"),
        P.case2_split_evidence(ctx)))
    c.check("numeric")(lambda claim, ctx: numeric_direction_evidence(ctx, LOSS, "split"))

    c = registry.claim(
        "eq:4.35", "r < K = d: a unit a with W a = 0 and H^T a = 0 (e.g. a = e_{r+1})",
        uses=("asm:4.4", "eq:4.16", "hyp:dimension"), section="4",
        title_tex=r"$r<K=d$: a unit $\mathbf a$ with $\mathbf W\mathbf a=\mathbf 0$ and "
                  r"$\mathbf H^\top\mathbf a=\mathbf 0$",
        statement=[sp.Lt(Rank(W), d, evaluate=False),
                   sp.Eq(W * Geo.a, sp.ZeroMatrix(K, 1), evaluate=False),
                   sp.Eq(H.T * Geo.a, sp.ZeroMatrix(N, 1), evaluate=False),
                   sp.Eq(Geo.a.T * Geo.a, sp.Integer(1), evaluate=False)])
    c.check("symbolic")(lambda claim, ctx: kernel_symbolic())
    c.check("high-precision")(lambda claim, ctx: E.truth_at_records(
        ctx, claim, P.c2_records(ctx), lambda r: E.direction_env(r, ctx),
        "rank W < d, and a unit a from the SVD of W has W a = 0 = H^T a, at the points of C2"))
    c.check("numeric")(lambda claim, ctx: E.truth_at_samples(
        ctx, claim, [x for x in P.float_samples(ctx) if x.expected == "saddle"],
        E.float_direction_env, "the same at float64 saddles"))

    dirn = Geo.direction()
    nhyps = tuple(h.equation for h in Geo.null_hypotheses())
    c = registry.claim(
        "eq:4.36", "the negative-curvature direction ((lH/lW)^(1/4) u a^T, -(lW/lH)^(1/4) "
        "a v^T, 0)", uses=("eq:4.35", "eq:4.33"), section="4",
        title_tex=r"the negative-curvature direction $((\lambda_H/\lambda_W)^{1/4}\mathbf u"
                  r"\mathbf a^\top,-(\lambda_W/\lambda_H)^{1/4}\mathbf a\mathbf v^\top,"
                  r"\mathbf 0)$",
        statement=sp.Eq(sp.Symbol(r"\Delta"), sp.Tuple(dirn["D_W"], dirn["D_H"], dirn["D_b"]),
                        evaluate=False), hypotheses=nhyps)
    c.check("symbolic")(lambda claim, ctx: S3.direction_properties_symbolic(claim))
    c.check("high-precision")(lambda claim, ctx: S3.direction_properties_hp(
        ctx, claim, LOSS, P.c2_records(ctx)))
    d436 = c

    dirn = C.direction_of(d436)
    c = registry.claim(
        "eq:4.37", "D_W H + W D_H + D_b 1^T = 0 and lambda_W ||D_W||^2 = lambda_H ||D_H||^2 = "
        "sqrt(lambda_W lambda_H)", uses=("eq:4.36",), section="4",
        title_tex=r"$\mathbf D_W\mathbf H+\mathbf W\mathbf D_H+\mathbf D_b\mathbf 1^\top="
                  r"\mathbf 0$ and $\lambda_W\|\mathbf D_W\|^2=\lambda_H\|\mathbf D_H\|^2="
                  r"\sqrt{\lambda_W\lambda_H}$",
        statement=[sp.Eq(Geo.along(D.first_order_change, dirn), sp.ZeroMatrix(K, N),
                         evaluate=False),
                   sp.Eq(lw * sp.Trace(dirn["D_W"].T * dirn["D_W"]), THR, evaluate=False),
                   sp.Eq(lh * sp.Trace(dirn["D_H"].T * dirn["D_H"]), THR, evaluate=False)],
        hypotheses=nhyps)
    c.check("symbolic")(lambda claim, ctx: C.statement_reduction_evidence(
        claim, "the statement under W a = 0, H^T a = 0, |a| = |u| = |v| = 1"))
    c.check("high-precision")(lambda claim, ctx: E.truth_at_records(
        ctx, claim, P.c2_records(ctx), lambda r: E.direction_env(r, ctx),
        "the direction at the points of C2"))

    c = registry.claim(
        "eq:4.38", "D_W D_H = -u v^T", uses=("eq:4.36",), section="4",
        title_tex=r"$\mathbf D_W\mathbf D_H=-\mathbf u\mathbf v^\top$",
        statement=sp.Eq(dirn["D_W"] * dirn["D_H"], -Geo.u * Geo.v.T, evaluate=False),
        hypotheses=nhyps)
    c.check("symbolic")(lambda claim, ctx: C.statement_reduction_evidence(
        claim, "the statement under |a| = 1"))
    c.check("high-precision")(lambda claim, ctx: E.truth_at_records(
        ctx, claim, P.c2_records(ctx), lambda r: E.direction_env(r, ctx),
        "D_W D_H + u v^T at the points of C2"))

    form = Geo.along(FORM, dirn)
    c = registry.claim(
        "step:4.final", "hess f[Delta, Delta] = -2 sigma_j + 2 sqrt(lambda_W lambda_H) < 0",
        title_tex=r"$\nabla^2 f[\boldsymbol\Delta,\boldsymbol\Delta]=-2\sigma_j+"
                  r"2\sqrt{\lambda_W\lambda_H}<0$",
        uses=("eq:4.18", "eq:4.33", "eq:4.34", "eq:4.37", "eq:4.38"), kind="step",
        section="4", statement=[sp.Eq(form, Geo.PREDICTED_CURVATURE, evaluate=False),
                                sp.Lt(Geo.PREDICTED_CURVATURE, 0, evaluate=False)],
        hypotheses=nhyps + (sp.Gt(Geo.sigma, THR),))
    c.check("symbolic")(lambda claim, ctx: S3.final_step_symbolic(claim))
    c.check("high-precision")(lambda claim, ctx: E.truth_at_records(
        ctx, claim, P.c2_records(ctx), lambda r: E.direction_env(r, ctx),
        "the (4.18) form along (4.36) and -2 sigma + 2 sqrt(lW lH) at the points of C2"))
    c.check("numeric")(lambda claim, ctx: E.truth_at_samples(
        ctx, claim, [x for x in P.float_samples(ctx) if x.expected == "saddle"],
        E.float_direction_env, "the same at float64 saddles"))

    c = registry.claim(
        "thm:1.2", "Theorem 1.2: MSE with d = K is strict saddle, no spurious local minima",
        title_tex=r"Theorem 1.2: MSE with $d=K$ is strict saddle, no spurious local minima",
        uses=("prop:4.1", "prop:4.2", "prop:4.3", "asm:4.4", "eq:4.1", "eq:4.31", "eq:4.35",
              "step:4.final", "hyp:dimension"), kind="theorem", section="1",
        statement=E.theorem_statement(), hypotheses=E.THEOREM_HYPOTHESES)

    c.check("certified")(lambda claim, ctx: Cert.theorem_certified_evidence(
        claim, ctx, recs(ctx)))

    @c.check("high-precision")
    def _(claim: Claim, ctx: VerifyContext) -> Evidence:
        e1 = theorem_evidence(ctx, LOSS, claim)
        extra = [r for r in recs(ctx) if id(r) not in {id(x) for x in C.hp_records(ctx, LOSS)}]
        e2 = E.truth_at_records(ctx, claim, extra, lambda r: E.landscape_env(r, ctx),
                                f"and at {len(extra)} further points with lambda_W != "
                                "lambda_H")
        ev = _merge(e1, e2)
        ev.samples = e1.samples + e2.samples  # different points
        return ev

    c.check("high-precision")(lambda claim, ctx: discovered_theorem_evidence(ctx, LOSS, claim))
    c.check("numeric")(lambda claim, ctx: numeric_theorem_evidence(ctx, LOSS, claim))


def singular_vectors_symbolic(claim: Claim, rw: Any, rh: Any) -> Evidence:
    """(4.29): with ||w_i|| = sqrt(lH/lW) ||h^i|| ((4.6) column by column, itself an
    identity modulo the gradient), each equation of the statement is ``lhs - rhs ==``
    a multiple of the derived gradient: G v_i - sqrt(lW lH) u_i == (df/dW) e_i / ||h^i||
    and G^T u_i - sqrt(lW lH) v_i == -(df/dH)^T e_i / ||w_i||."""
    col_balance = C.identity_evidence(
        lw * sp.Trace(e_i.T * W.T * W * e_i) - lh * sp.Trace(e_i.T * H * H.T * e_i),
        sp.Trace(e_i.T * (W.T * D.grad_W - D.grad_H * H.T) * e_i), "column balance")
    sub = {rw: sp.sqrt(lh / lw) * rh}
    eqs = C.equations_of(claim.statement)
    combos = [D.grad_W * e_i / rh, -D.grad_H.T * e_i / (sp.sqrt(lh / lw) * rh)]
    ok = len(eqs) == 2 and all(
        C.identity_evidence((e.lhs - e.rhs).xreplace(sub), comb, "").passed
        for e, comb in zip(eqs, combos, strict=True))
    return _all([col_balance, Evidence.exact("symbolic", ok, "pairs")],
                "lambda_W ||w_i||^2 - lambda_H ||h^i||^2 == e_i^T (W^T df/dW - df/dH H^T) e_i; "
                "with ||w_i|| = sqrt(lH/lW) ||h^i||, the statement's G v_i - sqrt(lW lH) u_i == "
                "(df/dW) e_i/||h^i|| and G^T u_i - sqrt(lW lH) v_i == -(df/dH)^T e_i/||w_i||")


def case1_from_pairs_symbolic(claim: Claim, U: Any, VK: Any) -> Evidence:
    """(4.31) from (4.28)-(4.30): under the claim's hypotheses G V_K = t U, G^T U = t V_K
    (the K pairs of (4.29), t the statement's right side) and U U^T = I, G G^T U reduces
    to t^2 U; U is orthogonal, so G G^T = t^2 I and ||G|| = t (the named fact: a matrix
    whose every singular value is t has spectral norm t)."""
    t = claim.statement.rhs
    # the hypotheses are substitutions G V_K -> t U and G^T U -> t V_K, read from the claim
    hyp = {h.lhs: h.rhs for h in claim.hypotheses}
    expr = G * (G.T * U)
    step1 = G * hyp[G.T * U]                    # G (t V_K)
    step2 = sp.expand(step1).subs(G * VK, hyp[G * VK])   # t (t U)
    ok = matrix_equal(step2, t ** 2 * U)
    return Evidence.exact("symbolic", bool(ok),
                          f"G G^T U = G (t V_K) = t (G V_K) = t^2 U with t = {sp.sstr(t)} "
                          f"(the statement's value) under the hypotheses from (4.28)-(4.30); "
                          f"expression {sp.sstr(expr)}")
