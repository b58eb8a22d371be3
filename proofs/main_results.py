"""The proofs of the main results as chains of checked steps: [13, Lemma C.4] by the
convex relaxation, Lemma 3.1 and (3.8), Propositions 4.1-4.3, (4.30)-(4.34), and
Theorems 1.1 and 1.2.

Each chain (:mod:`ufm_sym_proofs.chains`) is a list of steps: identities derived by
SymPy from the objective (checked here), named elementary facts of
:mod:`ufm_sym.facts` (each with its reference and randomized test), and claims already
proved (edges of the graph).  Its last step states the claim's statement; the claim's
``symbolic`` evidence passes only when every step is checked and that conclusion is the
statement as it stands.  The chains are attached after every section has registered its
claims (entry point ``90-main-results``), so a step can cite any earlier claim.

The global-minimum half ([13, Lemma C.4], used by Prop. 4.1 and both theorems) goes
through the convex relaxation

    F(Z, b) = g(Z + b 1^T) + sqrt(lW lH) ||Z||_* + lambda_b/2 ||b||^2:

``f(W, H, b) >= F(W H, b)`` everywhere (AM-GM and ``||W H||_* <= ||W||_F ||H||_F``), with
equality at balanced points, which critical points are; at a critical point with
``||grad g(R)||_2 <= sqrt(lW lH)``, ``-grad g / sqrt(lW lH)`` is a subgradient of the
nuclear norm at ``Z = W H``, so ``(W H, b)`` minimizes ``F`` (``g`` convex), hence the
point minimizes ``f``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ufm_sym.claims import Registry
from ufm_sym.symbolic.expressions import FrobeniusNorm, HessianG, LossG
from ufm_sym.symbolic.functions import NuclearNorm, Rank, SpectralNorm
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import environments as E
from ufm_sym_proofs import geometry as Geo
from ufm_sym_proofs import section3_proofs, section4_proofs
from ufm_sym_proofs import section4_points as P
from ufm_sym_proofs.chains import add_proof, conclusion, fact, identity, prior

D = C.derivation()
W, H, b, G, ones_N = D.W, D.H, D.b, D.G, D.ones_N
lw, lh, lb = D.lambda_W, D.lambda_H, D.lambda_b
K, d, N = D.K, D.d, D.N
TAU = sp.sqrt(lw * lh)
ones_K = Geo.ones_K

#: the convex relaxation F(Z, b) and a second point (Z', b') of it
Z = sp.MatrixSymbol("Z", K, N)
Zp, bp = sp.MatrixSymbol("Z'", K, N), sp.MatrixSymbol("b'", K, 1)


def relaxation(Zm: Any, bm: Any) -> Any:
    """F(Z, b) = g(Z + b 1_N^T) + sqrt(lW lH) ||Z||_* + lambda_b/2 ||b||^2."""
    return LossG(Zm + bm * ones_N.T) + TAU * NuclearNorm(Zm) + lb / 2 * sp.Trace(bm.T * bm)


def register(registry: Registry) -> None:
    """Attach the proof chains (entry point ``90-main-results``)."""
    add_proof(registry, "lem:C.4", lambda: lemma_c4_steps(registry))
    add_proof(registry, "eq:3.8", lambda: eq38_steps(registry))
    add_proof(registry, "lem:3.1", lambda: lemma31_steps(registry))
    add_proof(registry, "thm:1.1", lambda: theorem_steps(registry, "ce"))
    add_proof(registry, "prop:4.1", lambda: prop41_steps(registry))
    add_proof(registry, "prop:4.2", lambda: prop42_steps(registry))
    add_proof(registry, "prop:4.3", lambda: prop43_steps(registry))
    add_proof(registry, "eq:4.30", lambda: eq430_steps(registry))
    add_proof(registry, "eq:4.31", lambda: eq431_steps(registry))
    add_proof(registry, "eq:4.32", lambda: eq432_steps(registry))
    add_proof(registry, "eq:4.33", lambda: eq433_steps(registry))
    add_proof(registry, "eq:4.34", lambda: eq434_steps(registry))
    add_proof(registry, "thm:1.2", lambda: theorem_steps(registry, "mse"))
    section3_proofs.register(registry)
    section4_proofs.register(registry)


# ------------------------------------------------------------ [13, Lemma C.4]
def lemma_c4_steps(registry: Registry) -> list[Any]:
    FW, FH = FrobeniusNorm(W), FrobeniusNorm(H)
    gap_identity = sp.Eq(D.objective - relaxation(W * H, b),
                         (lw / 2 * FW ** 2 + lh / 2 * FH ** 2 - TAU * FW * FH)
                         + TAU * (FW * FH - NuclearNorm(W * H)), evaluate=False)
    balance = sp.Eq(lw * W.T * W - lh * H * H.T, W.T * D.grad_W - D.grad_H * H.T,
                    evaluate=False)
    R, Rp = W * H + b * ones_N.T, Zp + bp * ones_N.T
    S = -G / TAU
    Z_sub = W * H                # the fact of step 9 at Z = W H, tied to step 8 by its link
    g_first_order = sp.Symbol("g")
    alignment = sp.Eq(sp.Trace(S.T * (W * H)) - NuclearNorm(W * H),
                      -(sp.Trace(W.T * D.grad_W) / TAU)
                      + (lw * sp.Trace(W.T * W) - TAU * NuclearNorm(W * H)) / TAU,
                      evaluate=False)
    grad_b = D.grad_b
    descent = sp.Eq(
        relaxation(Zp, bp) - relaxation(W * H, b),
        (LossG(Rp) - LossG(R) - sp.Trace(G.T * (Rp - R)))
        + TAU * (NuclearNorm(Zp) - NuclearNorm(W * H) - sp.Trace(S.T * (Zp - W * H)))
        + lb / 2 * sp.Trace((bp - b).T * (bp - b)) + sp.Trace(grad_b.T * (bp - b)),
        evaluate=False)
    statement = registry["lem:C.4"].statement
    return [
        identity("The gap between f and its convex relaxation F (derived from the objective): "
                 "f(W, H, b) - F(W H, b) is the penalty's excess over sqrt(lW lH)||W||_F||H||_F "
                 "plus sqrt(lW lH) times the excess of ||W||_F||H||_F over ||W H||_*.",
                 gap_identity, combination=None, by=C_DERIVED_F),
        fact("Each bracket is nonnegative: the first by AM-GM,", "am-gm-penalty"),
        fact("the second by the product bound of the nuclear norm; so f(W, H, b) >= "
             "F(W H, b) for every (W, H, b).", "nuclear-product-bound"),
        identity("At a critical point the factors are balanced: lambda_W W^T W - lambda_H H "
                 "H^T is a combination of the derived gradient (it vanishes with it).",
                 balance),
        fact(r"At balanced factors the gap closes: $\sqrt{\lambda_W\lambda_H}\,\|\mathbf W"
             r"\mathbf H\|_*$ equals the penalty, so $f(\mathbf W,\mathbf H,\mathbf b)=F("
             r"\mathbf W\mathbf H,\mathbf b)$ at a critical point.",
             "balanced-product-nuclear-norm"),
        prior("g is convex (for CE; for MSE hess g = ||D||^2/N, Proposition 4.1's step).",
              registry, "eq:3.1"),
        fact("So g lies above its tangent at R = W H + b 1^T.", "convex-first-order",
             {"varphi": g_first_order, "X": Rp, "X_0": R}),
        identity("At a critical point S = -grad g(R)/sqrt(lW lH) is aligned with Z = W H: "
                 "<S, Z> - ||Z||_* is a combination of the derived gradient and of the gap "
                 "lambda_W ||W||^2 - sqrt(lW lH) ||W H||_*, which vanishes at balanced factors "
                 "(step 5).", alignment, combination=0),
        fact("With ||S||_2 <= 1 (the premise ||grad g(R)||_2 <= sqrt(lW lH)) and the "
             "alignment, S is a subgradient of the nuclear norm at Z = W H.",
             "nuclear-subdifferential", {"S": S, "Z": Z_sub, "Y": Zp},
             link=(sp.Trace(S.T * Z_sub) - NuclearNorm(Z_sub), alignment.lhs, 0)),
        identity("The change of F from (W H, b) to any (Z', b') is a sum of the tangent gap "
                 "of g (step 7: >= 0), sqrt(lW lH) times the subgradient gap (step 9: >= 0), "
                 "lambda_b/2 ||b' - b||^2 >= 0 and <df/db, b' - b> = 0 at a critical point: "
                 "(W H, b) minimizes F.", descent, combination=0),
        conclusion("For every (W', H', b'): f(W', H', b') >= F(W' H', b') (step 3) >= F(W H, b) "
                   "(step 10) = f(W, H, b) (step 5); so f(W, H, b) = f* = min f.",
                   statement, "steps 3, 5 and 10 (transitivity of >=)",
                   established=[sp.Eq(E.F, E.FSTAR, evaluate=False)]),
    ]


C_DERIVED_F = "derived by SymPy from the objective and the definition of F"


# ----------------------------------------------------------- Lemma 3.1, (3.8)
def eq38_steps(registry: Registry) -> list[Any]:
    return [
        prior("rank W = rank H at a critical point.", registry, "eq:3.5"),
        prior("1_K^T W = 0 at a critical point (CE: the columns of grad g sum to 0).",
              registry, "eq:3.7"),
        fact("1_K is a nonzero vector in the left null space of W, so rank W <= K - 1.",
             "rank-left-null-vector", {"a": ones_K, "W": W}),
        conclusion("Steps 1 and 3.", registry["eq:3.8"].statement, "steps 1 and 3"),
    ]


def lemma31_steps(registry: Registry) -> list[Any]:
    a = Geo.a
    kernels = sp.Eq(lw * (a.T * W.T * W * a) - lh * (a.T * H * H.T * a),
                    a.T * (W.T * D.grad_W - D.grad_H * H.T) * a, evaluate=False)
    return [
        prior("The balance lambda_W W^T W = lambda_H H H^T at a critical point.", registry,
              "eq:3.4"),
        identity("For every a, lambda_W ||W a||^2 - lambda_H ||H^T a||^2 is a combination of "
                 "the derived gradient: at a critical point W a = 0 iff H^T a = 0, the kernels "
                 "of W and H^T agree.", kernels),
        fact("Equal kernels give equal ranks (both have d columns).", "rank-equal-kernels",
             {"W": W, "H": H}),
        prior("1_K^T W = 0 at a critical point.", registry, "eq:3.7"),
        fact("A nonzero vector in the left null space bounds the rank.",
             "rank-left-null-vector", {"a": ones_K, "W": W}),
        conclusion("Steps 3 and 5 at every critical point.", registry["lem:3.1"].statement,
                   "steps 3 and 5"),
    ]


# ------------------------------------------------------------------ theorems
def theorem_steps(registry: Registry, loss: str) -> list[Any]:
    label = "thm:1.1" if loss == "ce" else "thm:1.2"
    v_flat = sp.MatrixSymbol(r"\boldsymbol\Delta", E.P_SIZE, 1)
    common = [
        fact("At a global minimizer (f = f*) the Hessian is positive semidefinite.",
             "second-order-necessary"),
        fact("The smallest eigenvalue is at most any Rayleigh quotient: a direction with "
             "negative curvature gives lambda_min < 0.", "rayleigh-quotient-bound",
             {"A": E.HESS_F, "v": v_flat}),
    ]
    if loss == "ce":
        steps = [
            prior("Every critical point is in C1 (||grad g(R)|| <= sqrt(lW lH): a global "
                  "minimizer by [13, Lemma C.4]) or in C2.", registry, "step:3.C"),
            common[0],
            prior("rank W <= K - 1 < K = d (Lemma 3.1 and the hypothesis d = K) ...",
                  registry, "lem:3.1"),
            prior("... so a unit a with W a = 0 and H^T a = 0 exists.", registry, "step:3.a"),
            prior("Along the direction (3.10), hess f[Delta, Delta] = -2 sigma + 2 sqrt(lW lH), "
                  "negative in C2 (sigma = ||grad g(R)||).", registry, "step:3.final"),
            common[1],
        ]
        closes = "steps 1-2 in C1, steps 4-6 in C2"
    else:
        steps = [
            prior("Every critical point is in C1 (a global minimizer by Proposition 4.1) or "
                  "in C2.", registry, "eq:4.1"),
            common[0],
            prior("Without loss of generality the point is in the normal form of Assumption "
                  "4.4 (Propositions 4.2 and 4.3).", registry, "asm:4.4"),
            prior("Case 1 (r = K): ||grad g(R)|| = sqrt(lW lH), the point is in C1.", registry,
                  "eq:4.31"),
            prior("Case 2 (r < K = d): a unit a with W a = 0 = H^T a exists ...", registry,
                  "eq:4.35"),
            prior("... and along (4.36) hess f[Delta, Delta] = -2 sigma_j + 2 sqrt(lW lH) < 0 "
                  "for the uncovered sigma_j > sqrt(lW lH) of a point in C2.", registry,
                  "step:4.final"),
            common[1],
        ]
        closes = "steps 1-2 in C1 (and Case 1), steps 5-7 in C2"
    return [*steps, conclusion("Every critical point is a global minimizer with a positive "
                               "semidefinite Hessian, or has lambda_min(hess f) < 0.",
                               registry[label].statement, closes,
                               established=[sp.Lt(E.LAMBDA_MIN, 0, evaluate=False)])]


# ------------------------------------------------------------ Section 4
def prop41_steps(registry: Registry) -> list[Any]:
    Dm = sp.MatrixSymbol("D", K, N)
    convex = sp.Eq(HessianG(Dm), sp.Trace(Dm.T * Dm) / N, evaluate=False)

    def mse_convex(claim: Any, ctx: Any) -> Any:
        from ufm_sym_proofs.section4 import mse_g_symbolic

        return mse_g_symbolic()

    step1 = identity("For MSE, hess g[D, D] = ||D||_F^2 / N >= 0 (sympy.hessian of the "
                     "explicit loss): g is convex.", convex)
    step1.check = mse_convex
    return [step1,
            prior("[13, Lemma C.4] for a convex g.", registry, "lem:C.4"),
            conclusion("Steps 1 and 2.", registry["prop:4.1"].statement, "steps 1 and 2")]


def prop42_steps(registry: Registry) -> list[Any]:
    bal = sp.Eq(W.T * W, lh / lw * H * H.T, evaluate=False)
    bal_by = (W.T * D.grad_W - D.grad_H * H.T) / lw
    solved_W = sp.Eq(W + G * H.T / lw, D.grad_W / lw, evaluate=False)
    solved_H = sp.Eq(H + W.T * G / lh, D.grad_H / lh, evaluate=False)
    A_W, B_W = -G / lw, H.T      # W = A_W B_W at a critical point (step 2)
    A_H, B_H = W.T, -G / lh      # H = A_H B_H at a critical point (step 4)
    return [
        identity("(4.6): W^T W - (lH/lW) H H^T is a combination of the derived gradient.", bal,
                 combination=bal_by),
        identity("(4.7): W + (1/lambda_W) grad g H^T = (1/lambda_W) df/dW, so W = -(1/lambda_W) "
                 "grad g H^T at a critical point.", solved_W),
        fact("hence rank W <= rank H^T = rank H (with A = -grad g/lambda_W, B = H^T: A B "
             "- W = -(1/lambda_W) df/dW, so A B = W at a critical point);", "rank-product",
             {"A": A_W, "B": B_W}, link=(A_W * B_W, W, -D.grad_W / lw)),
        identity("(4.8): H + (1/lambda_H) W^T grad g = (1/lambda_H) df/dH.", solved_H),
        fact("hence rank H <= rank W (with A = W^T, B = -grad g/lambda_H: A B - H = "
             "-(1/lambda_H) df/dH).", "rank-product", {"A": A_H, "B": B_H},
             link=(A_H * B_H, H, -D.grad_H / lh)),
        conclusion("Steps 1, 3 and 5 at every critical point.", registry["prop:4.2"].statement,
                   "steps 1, 3 and 5 (rank W <= rank H <= rank W)",
                   established=[sp.Eq(Rank(W), Rank(H), evaluate=False)]),
    ]


def prop43_steps(registry: Registry) -> list[Any]:
    return [
        prior("(W V, V^T H, b) is a critical point.", registry, "step:4.3.crit"),
        prior("It has the same product W V V^T H = W H, so the same R and grad g.", registry,
              "eq:4.15"),
        prior("W V = U Sigma has orthogonal columns (the normal form).", registry, "eq:4.14"),
        prior("f and its Hessian form are invariant under (W Q, Q^T H): the Hessians at the "
              "two points are similar through the orthogonal map of directions.", registry,
              "step:4.3.inv"),
        conclusion("Steps 1, 2 and 4 (with Q = V).", registry["prop:4.3"].statement,
                   "steps 1, 2 and 4", established=[
                       sp.Eq(FrobeniusNorm(P.GRAD_F_ROT), 0, evaluate=False),
                       sp.Eq(P.F_ROT, E.F, evaluate=False),
                       sp.Eq(P.D_X.T * P.T_ROT.T * P.HESS_ROT * P.T_ROT * P.D_X,
                             P.D_X.T * E.HESS_F * P.D_X, evaluate=False)]),
    ]


def eq430_steps(registry: Registry) -> list[Any]:
    r_ = sp.Symbol("r", integer=True, positive=True)
    Ur, Vr = sp.MatrixSymbol("U_r", K, r_), sp.MatrixSymbol("V_r", N, r_)
    return [
        prior("The normal form: orthogonal, nonzero columns w_i and rows h^i (i <= r).",
              registry, "asm:4.4"),
        prior("u_i = -w_i/||w_i||, v_i = (h^i)^T/||h^i|| are singular pairs of grad g.",
              registry, "eq:4.29"),
        fact("With ker W = ker H^T ((4.16)), rank(W H) = rank W = r.",
             "rank-product-equal-kernels", {"W": W, "H": H}),
        conclusion("Step 3 with rank W = r; the u_i (the v_i) are the normalized orthogonal "
                   "columns of W (rows of H), hence orthonormal.", registry["eq:4.30"].statement,
                   "step 3 and the orthogonality of step 1",
                   established=[sp.Eq(Rank(W * H), r_, evaluate=False),
                                sp.Eq(Ur.T * Ur, sp.Identity(r_), evaluate=False),
                                sp.Eq(Vr.T * Vr, sp.Identity(r_), evaluate=False)]),
    ]


def eq431_steps(registry: Registry) -> list[Any]:
    claim = registry["eq:4.31"]
    U, VK = sp.MatrixSymbol("U", K, K), sp.MatrixSymbol("V_K", N, K)
    gram = sp.Eq(G * G.T * U, TAU ** 2 * U, evaluate=False)
    gram_by = G * (G.T * U - TAU * VK) + TAU * (G * VK - TAU * U)
    return [
        prior("sigma_i = sqrt(lW lH) for i <= r ...", registry, "eq:4.28"),
        prior("... with the singular pairs u_i, v_i ...", registry, "eq:4.29"),
        prior(r"... orthonormal: with $r=K$, $\mathbf U=[\mathbf u_1,\dots,\mathbf u_K]$ is "
              "orthogonal.", registry, "eq:4.30"),
        identity("G G^T U - t^2 U = G (G^T U - t V_K) + t (G V_K - t U), t = sqrt(lW lH): both "
                 "brackets vanish by (4.29) in matrix form (G V_K = t U, G^T U = t V_K), so "
                 "G G^T U = t^2 U.", gram, combination=gram_by),
        fact("So every singular value of grad g is t: ||grad g||_2 = t.",
             "spectral-norm-from-gram", {"G": G, "U": U, "t": TAU}),
        conclusion("Step 5.", claim.statement, "step 5"),
    ]


def eq432_steps(registry: Registry) -> list[Any]:
    r_ = sp.Symbol("r", integer=True, positive=True)
    Ur, Vr = sp.MatrixSymbol("U_r", K, r_), sp.MatrixSymbol("V_r", N, r_)
    Eg = G - TAU * Ur * Vr.T
    I_r = sp.Identity(r_)
    return [
        prior("The covered pairs: grad g v_i = t u_i and grad g^T u_i = t v_i ...", registry,
              "eq:4.29"),
        prior("... orthonormal.", registry, "eq:4.30"),
        identity("U_r^T (grad g - t U_r V_r^T) = (U_r^T grad g - t V_r^T) - t (U_r^T U_r - I) "
                 "V_r^T: both brackets vanish by steps 1 and 2.",
                 sp.Eq(Ur.T * Eg, sp.ZeroMatrix(r_, N), evaluate=False),
                 combination=(Ur.T * G - TAU * Vr.T) - TAU * (Ur.T * Ur - I_r) * Vr.T),
        identity("(grad g - t U_r V_r^T) V_r = (grad g V_r - t U_r) - t U_r (V_r^T V_r - I): "
                 "both brackets vanish by steps 1 and 2.",
                 sp.Eq(Eg * Vr, sp.ZeroMatrix(K, r_), evaluate=False),
                 combination=(G * Vr - TAU * Ur) - TAU * Ur * (Vr.T * Vr - I_r)),
        conclusion("Steps 3 and 4.", registry["eq:4.32"].statement, "steps 3 and 4"),
    ]


def eq433_steps(registry: Registry) -> list[Any]:
    u, v, sg = Geo.u, Geo.v, Geo.sigma
    r_ = sp.Symbol("r", integer=True, positive=True)
    Ur, Vr = sp.MatrixSymbol("U_r", K, r_), sp.MatrixSymbol("V_r", N, r_)
    value = sp.Eq(u.T * G * v, sg, evaluate=False)
    value_by = u.T * (G * v - sg * u) + sg * (u.T * u - sp.Identity(1))
    return [
        prior("grad g = t U_r V_r^T + E with U_r^T E = 0 and E V_r = 0.", registry, "eq:4.32"),
        identity("For a singular pair (grad g v = sigma u, |u| = 1): u^T grad g v - sigma = "
                 "u^T (grad g v - sigma u) + sigma (u^T u - 1) = 0.", value,
                 combination=value_by),
        conclusion("Step 2; and a singular pair of value sigma != t is orthogonal to the "
                   "covered ones (U_r^T grad g v = sigma U_r^T u = t V_r^T v and V_r^T grad g^T u "
                   "= sigma V_r^T v = t U_r^T u give (sigma^2 - t^2) U_r^T u = 0).",
                   registry["eq:4.33"].statement, "step 2 and the orthogonality of singular "
                   "vectors of distinct singular values",
                   established=[sp.Eq(Ur.T * u, sp.ZeroMatrix(r_, 1), evaluate=False),
                                sp.Eq(Vr.T * v, sp.ZeroMatrix(r_, 1), evaluate=False)]),
    ]


def eq434_steps(registry: Registry) -> list[Any]:
    r_ = sp.Symbol("r", integer=True, positive=True)
    Ur, Vr = sp.MatrixSymbol("U_r", K, r_), sp.MatrixSymbol("V_r", N, r_)
    Eg = sp.MatrixSymbol("E", K, N)
    return [
        prior("A critical point that is not a global minimizer has ||grad g(R)|| > sqrt(lW lH) "
              "(contrapositive of Proposition 4.1).", registry, "prop:4.1"),
        prior("grad g = t U_r V_r^T + E with the remainder orthogonal to the covered pairs.",
              registry, "eq:4.32"),
        fact("Then ||grad g||_2 = max(t, ||E||_2).", "spectral-norm-orthogonal-sum",
             {"U": Ur, "V": Vr, "E": Eg, "t": TAU}),
        conclusion("Steps 1 and 3: max(t, ||E||_2) > t, so the largest singular value sigma_j "
                   "of E, not covered by W, exceeds t.", registry["eq:4.34"].statement,
                   "steps 1 and 3", established=[sp.Gt(Geo.sigma, TAU, evaluate=False)]),
    ]


_ = SpectralNorm  # the statements cite it through the registry
