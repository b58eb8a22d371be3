"""Section 4 at points: the high-precision and float64 measurements behind the claims
of :mod:`proofs.section4`.

Every high-precision check runs over the MSE critical points of
:func:`proofs._common.hp_records` (closed-form global minimizers in regimes A, B, C
and zero, the origin, the subspace and rank-restricted saddles; refined to a gradient
norm below 1e-45 at 70 digits) together with those of :data:`EXTRA_SETTINGS` (the same
families where lambda_W != lambda_H: every default MSE setting has lambda_W = lambda_H,
where swapping the two is invisible), and is evaluated at ``ctx.dps``.  Proposition 4.3's
rotation ``V`` comes from the SVD of ``W`` (mpmath, at the record's precision), so the
rotated point ``(W V, V^T H, b)`` is the paper's normal form (4.14)/(4.26).

Float64 checks use the validated samples of :func:`proofs.numeric_evidence.numeric_samples`
(global minimizers at a random point of their rotation orbit, the origin and the
subspace saddles, K up to 20) plus those of :data:`EXTRA_FLOAT_SETTINGS`
(lambda_W != lambda_H), rotated with NumPy's SVD.

Each measurement is a function with the mutable ingredient as a parameter (the
singular value of (4.28), the threshold of (4.31), ...), so that a test can feed a
wrong one and see the check fail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.claims import Evidence, VerifyContext
from ufm_sym.model import Problem
from ufm_sym_proofs import _common as C

LOSS = "mse"


def paper_sigma(lw: Any, lh: Any) -> Any:
    """The singular value (4.28) and the threshold (4.31): sqrt(lambda_W lambda_H)."""
    return mpmath.sqrt(lw * lh) if isinstance(lw, mpmath.mpf) else np.sqrt(lw * lh)


# ------------------------------------------------------------- mp helpers
def labels_Y(p: Problem) -> Any:
    """Y = I_K (kron) 1_n^T as an mpmath matrix."""
    return mpmath.matrix([[1 if j // p.n == k else 0 for j in range(p.N)] for k in range(p.K)])


def mse_G(p: Problem, x: Any) -> Any:
    """grad g(R) = (W H + b 1_N^T - Y)/N, written out (not the engine's grad_g)."""
    W, H, b = x
    return (W * H + b * mpmath.ones(1, p.N) - labels_Y(p)) / p.N


def col(M: Any, j: int) -> Any:
    return mpmath.matrix([[M[i, j]] for i in range(M.rows)])


def row(M: Any, i: int) -> Any:
    return mpmath.matrix([[M[i, j] for j in range(M.cols)]])


def hstack(cols: Sequence[Any], rows: int) -> Any:
    """The columns side by side (at least one column)."""
    return mpmath.matrix([[c[i, 0] for c in cols] for i in range(rows)])


def offdiag(M: Any) -> Any:
    """Frobenius norm of the off-diagonal part of a square matrix."""
    return mpmath.sqrt(mpmath.fsum(M[i, j] ** 2 for i in range(M.rows)
                                   for j in range(M.cols) if i != j))


# --------------------------------------------------- the rotation of Prop. 4.3
@dataclass
class Rotated:
    """A critical point and its normal form (W V, V^T H, b) of Proposition 4.3."""

    rec: Any
    V: Any                # d x d orthogonal, from the SVD W = U Sigma V^T
    U: Any                # K x K
    S: list[Any]          # singular values of W, descending
    point: tuple[Any, Any, Any]
    r: int                # rank W (with a gap: below 1e-(dps-10) zero, above 1e-(dps/3) not)
    decided: bool
    G: Any                # grad g(R) at the point (MSE, written out)
    sG: list[Any]         # singular values of G, descending

    @property
    def p(self) -> Problem:
        return self.rec.problem

    def pairs(self) -> tuple[list[Any], list[Any]]:
        """(4.29): u_i = -w_i/||w_i||, v_i = (h^i)^T/||h^i|| of the rotated point, i <= r."""
        Wt, Ht, _ = self.point
        us, vs = [], []
        for i in range(self.r):
            w = col(Wt, i)
            h = row(Ht, i).T
            us.append(-w / mpmath.norm(w))
            vs.append(h / mpmath.norm(h))
        return us, vs


def rotated(rec: Any, ctx: VerifyContext) -> Rotated:
    """The rotated point of a record (memoised); computed at the record's precision."""
    from ufm_sym.highprec.linalg import singular_values, svd

    def make() -> Rotated:
        with mpmath.workdps(rec.dps):
            W, H, b = rec.point
            U, S, Vt = svd(W, full_matrices=True)
            V = Vt.T
            S = list(S) + [mpmath.mpf(0)] * (W.cols - len(S))
            zero_tol = mpmath.mpf(10) ** -(ctx.dps - 10)
            big_tol = mpmath.mpf(10) ** -(ctx.dps // 3)
            decided = all(s <= zero_tol or s >= big_tol for s in S)
            r = sum(1 for s in S if s >= big_tol)
            G = mse_G(rec.problem, rec.point)
            return Rotated(rec, V, U, S, (W * V, V.T * H, b), r, decided, G,
                           singular_values(G))

    return ctx.memo(("s4-rotated", id(rec)), make)


#: MSE settings with lambda_W != lambda_H (every default MSE setting has lambda_W =
#: lambda_H, where a swap of the two lambdas, or of the two quarter powers, is invisible):
#: regimes A, B, C.  Their critical points join the default ones in every Section 4 check.
EXTRA_SETTINGS = (
    Problem("mse", K=4, n=1, lambda_W="2e-2", lambda_H="5e-3", lambda_b=0),
    Problem("mse", K=3, n=2, lambda_W="2e-2", lambda_H="5e-3", lambda_b="1e-2"),
    Problem("mse", K=3, n=2, lambda_W="5e-3", lambda_H="2e-2", lambda_b="0.1"),
)


def records(ctx: VerifyContext) -> list[Any]:
    """The MSE critical points of :func:`proofs._common.hp_records` and those of
    :data:`EXTRA_SETTINGS` (same families, same refinement)."""
    from ufm_sym.highprec.families import critical_points

    def make() -> list[Any]:
        out = list(C.hp_records(ctx, LOSS))
        for p in EXTRA_SETTINGS:
            out.extend(critical_points(p, dps=C.hp_dps(ctx), seed=ctx.seed))
        return out

    return ctx.memo(("s4-records", ctx.seed, ctx.dps), make)


def c2_records(ctx: VerifyContext) -> list[Any]:
    """The points of C2 (||grad g|| > sqrt(lW lH) + 1e-10) among :func:`records`."""
    from ufm_sym_proofs.landscape import classify_record

    return [r for r in records(ctx) if not classify_record(r, ctx).in_C1
            and not classify_record(r, ctx).undecided]


def evidence_over(ctx: VerifyContext, recs: Sequence[Any], fn: Callable[[Any], Any],
              detail: str, tolerance: Any = None, min_points: int = 1) -> Evidence:
    ev = C.hp_evidence(ctx, recs, fn, detail, tolerance)
    if len(recs) < min_points:
        ev.passed = False
        ev.detail += f"; only {len(recs)} points (need {min_points})"
    return ev


# ----------------------------------------------- Proposition 4.2, (4.3)-(4.10)
def rank_inequality_evidence(ctx: VerifyContext, which: str) -> Evidence:
    """(4.9) rank W <= rank H, (4.10) rank H <= rank W, (4.3) equality, with a gap."""
    recs = records(ctx)
    bad = []
    worst = mpmath.mpf(0)
    with mpmath.workdps(ctx.dps):
        for rec in recs:
            rw, rh, wz, decided = C.numerical_ranks(rec.point[0], rec.point[1], ctx.dps)
            worst = max(worst, wz)
            ok = {"4.9": rw <= rh, "4.10": rh <= rw, "4.3": rw == rh}[which]
            if not (decided and ok):
                bad.append(f"{rec.family} (rank W {rw}, rank H {rh})")
    what = {"4.9": "rank W <= rank H", "4.10": "rank H <= rank W",
            "4.3": "rank W = rank H"}[which]
    detail = (f"{what} at {len(recs)} MSE critical points (singular values <= "
              f"1e-{ctx.dps - 10} are zero, >= 1e-{ctx.dps // 3} nonzero, none between)")
    if bad:
        detail += "; FAILED at " + ", ".join(bad[:3])
    digits = 99.0 if worst == 0 else round(float(-mpmath.log10(worst)), 1)
    return Evidence("high-precision", not bad and bool(recs), C.format_residual(worst), digits,
                    len(recs), detail)


# ------------------------------------------------------ Proposition 4.3
def residual_414(rot: Rotated) -> Any:
    """The worst of ||W V - U Sigma||, the off-diagonal of (WV)^T(WV) and the columns of
    W V after r."""
    Wt = rot.point[0]
    K, d = Wt.rows, Wt.cols
    US = mpmath.matrix([[rot.U[i, j] * rot.S[j] if j < min(K, d) else 0 for j in range(d)]
                        for i in range(K)])
    return C.worst_part({
        "W V - U Sigma": C.mp_norm(Wt - US),
        "off-diagonal of W~^T W~": offdiag(Wt.T * Wt),
        "columns of W~ after r": C.mp_norm(*[col(Wt, j) for j in range(rot.r, d)]),
    })


def residual_rotated_critical(rot: Rotated) -> Any:
    from ufm_sym.highprec.evaluate import gradient_norm

    return gradient_norm(rot.p, rot.point)


def residual_426(rot: Rotated) -> Any:
    """(4.26): columns of W~ orthogonal, rows of H~ orthogonal, zero after r."""
    Wt, Ht, _ = rot.point
    d = Wt.cols
    return C.worst_part({
        "off-diagonal of W~^T W~": offdiag(Wt.T * Wt),
        "off-diagonal of H~ H~^T": offdiag(Ht * Ht.T),
        "columns of W~ after r": C.mp_norm(*[col(Wt, j) for j in range(rot.r, d)]),
        "rows of H~ after r": C.mp_norm(*[row(Ht, j) for j in range(rot.r, d)]),
    })


def prop43_evidence(ctx: VerifyContext) -> Evidence:
    """Proposition 4.3 at every MSE critical point: (W V, V^T H, b) is critical, in the
    normal form (4.26), has the same objective, and the two full Hessian spectra agree
    (orthogonal similarity).  At W = 0 points the rotated point is the point itself
    (checked exactly) and the spectra agree trivially."""
    from ufm_sym.highprec.evaluate import hessian_matrix, objective
    from ufm_sym.highprec.linalg import symmetric_eigenvalues

    recs = records(ctx)
    worst = mpmath.mpf(0)
    where = ""
    n_spec = n_same = 0
    bad: list[str] = []
    with mpmath.workdps(ctx.dps):
        for rec in recs:
            rot = rotated(rec, ctx)
            r = C.worst_part({"grad f~": residual_rotated_critical(rot),
                 "(4.26)": residual_426(rot), "f~ - f": objective(rot.p, rot.point) - rec.value})
            if not rot.decided:
                bad.append(f"{rec.family}: rank undecided")
            if rot.r == 0:
                same = all(A.tolist() == B.tolist() for A, B in zip(rot.point, rec.point,
                                                                    strict=True))
                if not same:
                    bad.append(f"{rec.family}: W = 0 but the rotated point differs")
                n_same += 1
            else:
                e0 = symmetric_eigenvalues(hessian_matrix(rec.problem, rec.point))
                e1 = symmetric_eigenvalues(hessian_matrix(rec.problem, rot.point))
                r += max(abs(a - c) for a, c in zip(e0, e1, strict=True))
                n_spec += 1
            if r >= worst:
                worst, where = r, f"{rec.problem.describe()} [{rec.family}]"
        ev = Evidence.from_residual(
            "high-precision", worst, C.hp_tolerance(ctx), len(recs),
            f"the worst of ||grad f(WV, V^T H, b)||, the normal form (4.26) and |f~ - f|, "
            f"plus max |eig_i of the two full Hessians| at {len(recs)} points ({n_spec} with "
            f"W != 0: spectra compared; {n_same} with W = 0: the same point); worst at {where}")
    if bad:
        ev.passed = False
        ev.detail += "; FAILED: " + "; ".join(bad[:3])
    return ev


def random_orthogonal(d: int, seed: int) -> Any:
    """A seeded orthogonal d x d matrix (QR of a Gaussian matrix, at the working
    precision)."""
    rng = np.random.default_rng(seed)
    Qm, _ = mpmath.qr(mpmath.matrix(rng.standard_normal((d, d)).tolist()))
    return Qm


# ------------------------------------------------------ (4.16)-(4.25)
ALPHA_TEST = mpmath.mpf("0.7")
BETA_TEST = mpmath.mpf("-1.3")
A_SCALE = mpmath.mpf("1.5")  # |a|^2 = s = 2.25 in (4.17)-(4.25)


def null_records(ctx: VerifyContext) -> list[Any]:
    """The points with rank W < d (a null vector a exists)."""
    return [rec for rec in records(ctx) if rotated(rec, ctx).r < rec.problem.d]


def _test_direction(rot: Rotated) -> tuple[Any, Any, Any, Any, Any]:
    """(a, u, v, s, u^T G v): a = 1.5 V e_d (a null vector), (u, v) the top singular
    pair of G."""
    from ufm_sym_proofs.geometry import top_singular_pair

    a = A_SCALE * col(rot.V, rot.p.d - 1)
    u, v, _ = top_singular_pair(rot.G)
    s = (a.T * a)[0, 0]
    return a, u, v, s, (u.T * rot.G * v)[0, 0]


# --------------------------------------------------------- (4.27)-(4.34)


def case1_records(ctx: VerifyContext) -> list[Any]:
    return [rec for rec in records(ctx) if rotated(rec, ctx).r == rec.problem.K]


def case1_evidence(ctx: VerifyContext,
                   threshold: Callable[[Any, Any], Any] = paper_sigma) -> Evidence:
    """Case 1, (4.31): at every critical point with r = K all K singular values of G
    equal the threshold (so ||G|| equals it), and the point is a global minimizer."""
    from ufm_sym.closed_form import global_value

    def res(rec: Any) -> Any:
        rot = rotated(rec, ctx)
        lw, lh, _ = rec.problem.mp_lambdas()
        thr = threshold(lw, lh)
        return C.worst_part({"sigma_j(grad g) - sqrt(lW lH)": max(abs(s - thr) for s in rot.sG),
                             "f - f*": rec.value - global_value(rec.problem, dps=ctx.dps)})

    recs = case1_records(ctx)
    return evidence_over(ctx, recs, res,
                     f"Case 1 (r = K, {len(recs)} points: regime C minimizers): max_j "
                     "|sigma_j(grad g) - sqrt(lW lH)| and |f - f*|")


def _covered(rot: Rotated) -> tuple[Any, Any, Any]:
    """(U_r, V_r, E = G - sqrt(lW lH) U_r V_r^T)."""
    lw, lh, _ = rot.p.mp_lambdas()
    us, vs = rot.pairs()
    if not us:
        return None, None, rot.G
    Ur, Vr = hstack(us, rot.p.K), hstack(vs, rot.p.N)
    return Ur, Vr, rot.G - mpmath.sqrt(lw * lh) * Ur * Vr.T


def case2_records(ctx: VerifyContext) -> list[Any]:
    return [rec for rec in records(ctx) if rotated(rec, ctx).r < rec.problem.K]


def residual_432(rot: Rotated) -> Any:
    """(4.32): the remainder E = G - sqrt(lW lH) sum_{i<=r} u_i v_i^T is orthogonal to the
    covered pairs, and the singular values of G are sqrt(lW lH) (r times) together with
    the top K - r singular values of E."""
    from ufm_sym.highprec.linalg import singular_values

    lw, lh, _ = rot.p.mp_lambdas()
    Ur, Vr, E = _covered(rot)
    r = rot.r
    zero = mpmath.mpf(0)
    predicted = sorted([mpmath.sqrt(lw * lh)] * r + singular_values(E)[: rot.p.K - r],
                       reverse=True)
    return C.worst_part({
        "U_r^T E": zero if Ur is None else C.mp_norm(Ur.T * E),
        "E V_r": zero if Ur is None else C.mp_norm(E * Vr),
        "singular values of G": max(abs(a - c) for a, c in zip(predicted, rot.sG, strict=True)),
    })


def case2_split_evidence(ctx: VerifyContext) -> Evidence:
    """(4.34): at every critical point that is not a global minimizer (f > f* by the
    closed form of [12]), the largest singular value of G not covered by W exceeds
    sqrt(lW lH) by at least 1e-10; at every global minimizer none does (up to
    10^-(dps/2))."""
    from ufm_sym.closed_form import global_value
    from ufm_sym.highprec.linalg import spectral_norm
    from ufm_sym_proofs.landscape import C2_MARGIN, eq_margin

    recs = records(ctx)
    bad = []
    n_saddle = 0
    least = mpmath.inf
    with mpmath.workdps(ctx.dps):
        for rec in recs:
            rot = rotated(rec, ctx)
            lw, lh, _ = rec.problem.mp_lambdas()
            _, _, E = _covered(rot)
            excess = spectral_norm(E) - mpmath.sqrt(lw * lh)
            gap = rec.value - global_value(rec.problem, dps=ctx.dps)
            if gap > mpmath.mpf(10) ** -20:
                n_saddle += 1
                least = min(least, excess)
                if excess < C2_MARGIN:
                    bad.append(f"{rec.family}: not global but uncovered sigma - sqrt(lW lH)"
                               f" = {C.format_residual(excess)}")
            elif excess > eq_margin(ctx):
                bad.append(f"{rec.family}: global but an uncovered sigma exceeds the threshold")
    detail = (f"{n_saddle} non-global critical points (f > f*), each with an uncovered "
              f"singular value sigma_j > sqrt(lW lH) (smallest excess "
              f"{C.format_residual(least) if n_saddle else '-'}); {len(recs) - n_saddle} global "
              f"minimizers with none")
    if bad:
        detail += "; FAILED: " + "; ".join(bad[:3])
    return Evidence("high-precision", not bad and n_saddle > 0, None, None, len(recs), detail)


# ------------------------------------------------------- (4.35)-(4.38)


def split_evidence(ctx: VerifyContext) -> Evidence:
    """(4.1) decides every point, with a margin, and agrees with theory (is_global_min)."""
    from ufm_sym_proofs.landscape import classify_record

    recs = records(ctx)
    bad = []
    n1 = 0
    for rec in recs:
        cls = classify_record(rec, ctx)
        n1 += cls.in_C1
        if cls.undecided or cls.in_C1 != rec.is_global_min:
            bad.append(rec.family)
    detail = (f"{len(recs)} MSE critical points, each in C1 (||grad g|| <= sqrt(lW lH) + "
              f"1e-{ctx.dps // 2}) or C2 (>= sqrt(lW lH) + 1e-10): {n1} in C1, exactly the "
              "global minimizers")
    if bad:
        detail += "; undecided or misplaced: " + ", ".join(bad[:3])
    return Evidence("high-precision", not bad and bool(recs), None, None, len(recs), detail)


def prop41_evidence(ctx: VerifyContext) -> Evidence:
    """Prop. 4.1 at every point meeting (4.1): f = f* (the closed form of [12]); no
    seeded random point goes below f* ([13, Lemma C.4] over the Section 4 points)."""
    from ufm_sym_proofs.cited import lemma_c4_evidence

    return lemma_c4_evidence(ctx, "mse", records(ctx), what="(4.1)")


# ---------------------------------------------------------- [12]: closed form
REF12_SETTINGS = (
    Problem("mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),        # A
    Problem("mse", K=4, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-2"),   # B
    Problem("mse", K=4, n=2, lambda_W="1e-2", lambda_H="2e-2", lambda_b="0.1"),    # C
    Problem("mse", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5"),      # C
    Problem("mse", K=3, n=2, lambda_W="0.3", lambda_H="0.3", lambda_b=0),          # zero
    Problem("mse", K=2, n=1, lambda_W="0.6", lambda_H="0.6", lambda_b="0.2"),      # zero
)


def ref12_residual(p: Problem, x: Any) -> Any:
    """The closed form of [12] (docs/math.md §4) at a minimizer found without it:
    W W^T = s (gamma_c P_K + gamma_m 1 1^T), W H = gamma_c Ytilde + gamma_m 1 1_N^T,
    b = beta 1_K, h_ki = sqrt(lW/(lH n)) w^k, and f = f*."""
    from ufm_sym.closed_form import global_value, mse_gammas
    from ufm_sym.highprec.evaluate import objective

    W, H, b = x
    K, N, n = p.K, p.N, p.n
    lw, lh, _ = p.mp_lambdas()
    gc, gm, beta = mse_gammas(p, dps=mpmath.mp.dps)
    PK = mpmath.eye(K) - mpmath.ones(K, K) / K
    Yt = labels_Y(p) - mpmath.ones(K, N) / K
    s = mpmath.sqrt(n * lh / lw)
    c = mpmath.sqrt(lw / (lh * n))
    return C.worst_part({
        "W W^T - s (gamma_c P_K + gamma_m 1 1^T)":
            C.mp_norm(W * W.T - s * (gc * PK + gm * mpmath.ones(K, K))),
        "W H - (gamma_c Ytilde + gamma_m 1 1_N^T)":
            C.mp_norm(W * H - (gc * Yt + gm * mpmath.ones(K, N))),
        "b - beta 1_K": C.mp_norm(b - beta * mpmath.ones(K, 1)),
        "h_ki - sqrt(lW/(lH n)) w^k": max(C.mp_norm(col(H, j) - c * row(W, j // n).T)
                                          for j in range(N)),
        "f - f*": objective(p, x) - global_value(p, dps=mpmath.mp.dps),
    })


def ref12_minimizers(ctx: VerifyContext) -> list[tuple[Problem, Any, str]]:
    """MSE minimizers reached by L-BFGS from random starts (no closed form used), refined
    to a gradient norm below 1e-45, with their regime."""
    from ufm_sym.closed_form import regime

    return [(p, x, regime(p))
            for p, x in C.minimizers_from_random_starts(ctx, REF12_SETTINGS, salt=53)]


def ref12_evidence(ctx: VerifyContext) -> Evidence:
    from ufm_sym.highprec.evaluate import gradient_norm

    pts = ref12_minimizers(ctx)
    worst = mpmath.mpf(0)
    where = ""
    with mpmath.workdps(ctx.dps):
        for p, x, reg in pts:
            r = ref12_residual(p, x)
            if gradient_norm(p, x) > C.hp_tolerance(ctx):
                r = mpmath.inf
            if r >= worst:
                worst, where = r, f"{p.describe()} [regime {reg}]"
        regs = sorted({reg for _, _, reg in pts})
        return Evidence.from_residual(
            "high-precision", worst, C.hp_tolerance(ctx), len(pts),
            f"closed form of [12] (W W^T, W H, b, h_ki = sqrt(lW/(lH n)) w^k, f*) at minimizers "
            f"reached by L-BFGS from random starts and refined to 1e-45, regimes "
            f"{', '.join(regs)}; worst at {where}")


def ref12_ranks(ctx: VerifyContext) -> list[tuple[str, int, int]]:
    """(regime, rank W, K) at the L-BFGS minimizers (singular values >= 1e-(dps/3))."""
    from ufm_sym.highprec.linalg import singular_values

    big_tol = mpmath.mpf(10) ** -(ctx.dps // 3)
    with mpmath.workdps(ctx.dps):
        return [(reg, sum(1 for s in singular_values(x[0]) if s >= big_tol), p.K)
                for p, x, reg in ref12_minimizers(ctx)]


def ref12_numeric_evidence(ctx: VerifyContext) -> Evidence:
    """float64 minimizers (L-BFGS then Newton, from random starts; K = 4, 5, 6 in regimes
    A, B, C) against the closed form."""
    from ufm_sym.highprec.evaluate import num_params
    from ufm_sym.numeric.optimize import find_critical

    def make() -> list[tuple[Problem, Any]]:
        out = []
        for i, p in enumerate((
                Problem("mse", K=4, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b=0),
                Problem("mse", K=5, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-2"),
                Problem("mse", K=6, n=1, lambda_W="2e-3", lambda_H="2e-3", lambda_b="0.1"))):
            rng = np.random.default_rng(1000 * ctx.seed + i)
            out.append((p, find_critical(p, 0.3 * rng.standard_normal(num_params(p))).point))
        return out

    pts = ctx.memo(("s4-ref12-float", ctx.seed), make)
    worst = 0.0
    with mpmath.workdps(30):
        for p, xf in pts:
            worst = max(worst, float(ref12_residual(p, C.float_to_mp_point(p, xf))))
    return Evidence.from_residual("numeric", worst, 1e-10, len(pts),
                                  "closed form of [12] at float64 minimizers (L-BFGS + Newton "
                                  "from random starts), K = 4, 5, 6 in regimes A, B, C")


# ====================================================== float64 evidence
@dataclass
class FloatRotated:
    sample: Any
    point: tuple[np.ndarray, np.ndarray, np.ndarray]
    V: np.ndarray
    r: int
    G: np.ndarray
    sG: np.ndarray


def _float_G(p: Problem, W: np.ndarray, H: np.ndarray, b: np.ndarray) -> np.ndarray:
    Y = np.kron(np.eye(p.K), np.ones((1, p.n)))
    return (W @ H + b.reshape(-1, 1) - Y) / p.N


#: float64 settings with lambda_W != lambda_H (the default ones all have lambda_W =
#: lambda_H): regimes C and A
EXTRA_FLOAT_SETTINGS = (
    Problem("mse", K=5, n=2, lambda_W="2e-2", lambda_H="5e-3", lambda_b="0.1"),
    Problem("mse", K=6, n=1, lambda_W="5e-3", lambda_H="2e-2", lambda_b=0),
)


def extra_float_samples(ctx: VerifyContext) -> list[Any]:
    """Validated float64 samples of :data:`EXTRA_FLOAT_SETTINGS` (memoised)."""
    from ufm_sym.numeric.sampling import sample

    def make() -> list[Any]:
        per = max(1, -(-ctx.numeric_samples // 20))
        out: list[Any] = []
        for i, p in enumerate(EXTRA_FLOAT_SETTINGS):
            out.extend(sample(p, ("global", "origin", "saddle"), count=per,
                              seed=ctx.seed * 1000 + 500 + i, escape=False))
        return out

    return ctx.memo(("s4-extra-float", ctx.seed, ctx.numeric_samples), make)


def float_rotated(ctx: VerifyContext) -> list[FloatRotated]:
    """The float64 samples and their normal forms (numpy SVD of W), memoised."""
    from ufm_sym_proofs.numeric_evidence import numeric_samples

    def make() -> list[FloatRotated]:
        out = []
        for s in numeric_samples(ctx, LOSS) + extra_float_samples(ctx):
            W, H, b = (np.asarray(x, dtype=float) for x in s.point)
            _, S, Vt = np.linalg.svd(W)
            r = int(np.sum(S > 1e-8 * max(1.0, float(S[0]))))
            V = Vt.T
            G = _float_G(s.problem, W, H, b)
            out.append(FloatRotated(s, (W @ V, V.T @ H, b), V, r, G,
                                    np.linalg.svd(G, compute_uv=False)))
        return out

    return ctx.memo(("s4-float-rotated", ctx.seed, ctx.numeric_samples), make)


def _float_pairs(fr: FloatRotated) -> tuple[np.ndarray, np.ndarray]:
    Wt, Ht, _ = fr.point
    Ur = -Wt[:, :fr.r] / np.linalg.norm(Wt[:, :fr.r], axis=0)
    Vr = (Ht[:fr.r, :] / np.linalg.norm(Ht[:fr.r, :], axis=1, keepdims=True)).T
    return Ur, Vr


def float_residual(fr: FloatRotated, what: str,
                   sigma: Callable[[Any, Any], Any] = paper_sigma,
                   ratio: Callable[[Any, Any], Any] = lambda lw, lh: lh / lw) -> float:
    from ufm_sym.numeric.kernels import full_gradient, objective_value

    p = fr.sample.problem
    lw, lh, _ = p.float_lambdas()
    thr = float(sigma(lw, lh))
    W, H, b = fr.sample.point
    Wt, Ht, _ = fr.point
    r = fr.r
    if what == "4.6":
        return float(C.worst_part({
            "W^T W - (lH/lW) H H^T": np.linalg.norm(W.T @ W - ratio(lw, lh) * H @ H.T),
            "lW ||W||^2 - lH ||H||^2": lw * np.sum(W * W) - lh * np.sum(H * H)}))
    if what == "prop4.3":   # critical, same f, W~ H~ = W H
        g = full_gradient(p, fr.point)
        gn = float(np.sqrt(sum(float(np.sum(np.asarray(x) ** 2)) for x in g)))
        df = abs(float(objective_value(p, fr.point)) - float(objective_value(p, fr.sample.point)))
        return float(C.worst_part({"grad f~": gn, "f~ - f": df,
                                   "W~ H~ - W H": np.linalg.norm(Wt @ Ht - W @ H)}))
    if what == "4.26":
        WW, HH = Wt.T @ Wt, Ht @ Ht.T
        return float(C.worst_part({
            "off-diagonal of W~^T W~": np.linalg.norm(WW - np.diag(np.diag(WW))),
            "off-diagonal of H~ H~^T": np.linalg.norm(HH - np.diag(np.diag(HH))),
            "columns of W~ after r": np.linalg.norm(Wt[:, r:]),
            "rows of H~ after r": np.linalg.norm(Ht[r:, :])}))
    if what == "asm4.4":
        nw = np.linalg.norm(Wt[:, :r], axis=0)
        nh = np.linalg.norm(Ht[:r, :], axis=1)
        if r and min(nw.min(), nh.min()) < 1e-6:
            return float("inf")
        return float(np.max(np.abs(nw ** 2 - lh / lw * nh ** 2), initial=0.0))
    if what == "4.27":
        return float(max((C.worst_part({
            "G h^iT + lW w_i": np.linalg.norm(fr.G @ Ht[i] + lw * Wt[:, i]),
            "w_i^T G + lH h^i": np.linalg.norm(Wt[:, i] @ fr.G + lh * Ht[i])})
            for i in range(r)), default=0.0))
    if what == "4.28":
        return float(np.sort(np.abs(fr.sG - thr))[r - 1]) if r else 0.0
    if what == "4.29":
        Ur, Vr = _float_pairs(fr)
        return float(C.worst_part({"G v_i - sigma u_i": np.linalg.norm(fr.G @ Vr - thr * Ur),
                                   "G^T u_i - sigma v_i": np.linalg.norm(fr.G.T @ Ur - thr * Vr)}))
    if what == "4.30":
        Ur, Vr = _float_pairs(fr)
        sv = np.linalg.svd(W @ H, compute_uv=False)
        if int(np.sum(sv > 1e-8 * max(1.0, float(sv[0])))) != r:
            return float("inf")
        return float(C.worst_part({"U_r^T U_r - I": np.linalg.norm(Ur.T @ Ur - np.eye(r)),
                                   "V_r^T V_r - I": np.linalg.norm(Vr.T @ Vr - np.eye(r))}))
    if what == "4.31":
        return float(np.max(np.abs(fr.sG - thr)))
    if what == "4.32":
        Ur, Vr = _float_pairs(fr)
        E = fr.G - thr * Ur @ Vr.T
        pred = np.sort(np.concatenate([np.full(r, thr),
                                       np.linalg.svd(E, compute_uv=False)[: p.K - r]]))[::-1]
        return float(C.worst_part({"U_r^T E": np.linalg.norm(Ur.T @ E),
                                   "E V_r": np.linalg.norm(E @ Vr),
                                   "singular values of G": np.max(np.abs(pred - fr.sG))}))
    raise ValueError(what)  # pragma: no cover - programming error


_FLOAT_TEXT = {
    "4.6": "the worst of ||W^T W - (lH/lW) H H^T|| and |lW ||W||^2 - lH ||H||^2|",
    "prop4.3": "the worst of ||grad f(WV, V^T H, b)||, |f~ - f| and ||W~H~ - WH||",
    "4.26": "normal form (4.26): off-diagonals of W~^T W~, H~ H~^T, and the zero tail",
    "asm4.4": "|  ||w_i||^2 - (lH/lW) ||h^i||^2 | (and w_i, h^i != 0), i <= r",
    "4.27": "the worst of ||G h^iT + lW w_i|| and ||w_i^T G + lH h^i||, i <= r",
    "4.28": "distance of the r singular values of G closest to sqrt(lW lH)",
    "4.29": "the worst of ||G v_i - sqrt(lW lH) u_i|| and ||G^T u_i - sqrt(lW lH) v_i||",
    "4.30": "rank W H = r and the worst of ||U_r^T U_r - I|| and ||V_r^T V_r - I||",
    "4.31": "max_j |sigma_j(G) - sqrt(lW lH)| at the samples with r = K",
    "4.32": "remainder E = G - sqrt(lW lH) U_r V_r^T orthogonal to the covered pairs, and "
            "sv(G) = {sqrt(lW lH) x r} + top K - r sv(E)",
}


def float_evidence(ctx: VerifyContext, what: str,
                   sigma: Callable[[Any, Any], Any] = paper_sigma,
                   ratio: Callable[[Any, Any], Any] = lambda lw, lh: lh / lw) -> Evidence:
    """A Section 4 residual over the float64 samples (tolerance: the samples' residual
    tolerance, relative to max(1, |G|))."""
    frs = float_rotated(ctx)
    if what == "4.31":
        frs = [fr for fr in frs if fr.r == fr.sample.problem.K]
    elif what == "4.32":
        frs = [fr for fr in frs if fr.r < fr.sample.problem.K]
    if not frs:
        return Evidence("numeric", False, None, None, 0, f"{_FLOAT_TEXT[what]}: no sample")
    tol = frs[0].sample.tolerances.residual
    worst = max(float_residual(fr, what, sigma, ratio) for fr in frs)
    if not all(fr.sample.passed for fr in frs):  # every sample is a validated critical point
        worst = float("inf")
    Kmax = max(fr.sample.problem.K for fr in frs)
    return Evidence.from_residual("numeric", worst, tol, len(frs),
                                  f"{_FLOAT_TEXT[what]}, float64, {len(frs)} samples, K up to "
                                  f"{Kmax}")


def numeric_prop41_evidence(ctx: VerifyContext) -> Evidence:
    """Prop. 4.1 at the float64 samples: every sample meeting (4.1) (up to the criterion
    tolerance) has f = f* (closed form), and every other one has f > f*."""
    from ufm_sym_proofs.numeric_evidence import numeric_samples

    samples = numeric_samples(ctx, LOSS) + extra_float_samples(ctx)
    bad = []
    n1 = 0
    for s in samples:
        t = s.tolerances
        in_c1 = s.numbers["grad_g_norm"] <= s.numbers["threshold"] + t.criterion
        scale = max(1.0, abs(float(s.numbers["global_value"])))
        gap = float(s.numbers["value_gap"])
        if in_c1:
            n1 += 1
            if abs(gap) > t.value * scale:
                bad.append(f"{s.kind} K={s.problem.K}: (4.1) holds but f - f* = {gap:.2e}")
        elif gap <= t.value * scale:
            bad.append(f"{s.kind} K={s.problem.K}: (4.1) fails but f = f*")
    detail = (f"{len(samples)} float64 critical points: {n1} satisfy (4.1) and all have "
              f"f = f* (tolerance {samples[0].tolerances.value:g} relative); the others have "
              "f > f*")
    if bad:
        detail += "; FAILED: " + "; ".join(bad[:3])
    return Evidence("numeric", not bad, None, None, len(samples), detail)


# ------------------------------------------ environments of the statements
def rotation_env(rot: Rotated) -> dict[str, Any]:
    """The values at a record with its rotation: ``W, H, b, G, Y``, the lambdas, sizes,
    and ``V``, ``U``, ``Sigma`` (K x d, the singular values of W) and ``r``."""
    from ufm_sym_proofs.environments import point_env

    env = point_env(rot.rec)
    K, d = rot.p.K, rot.p.d
    env.update({"V": rot.V, "U": rot.U, "r": rot.r,
                r"\Sigma": mpmath.matrix([[rot.S[j] if i == j else 0 for j in range(d)]
                                          for i in range(K)])})
    return env


def normal_env(rot: Rotated) -> dict[str, Any]:
    """The values at the normal form ``(W V, V^T H, b)`` of a record (Assumption 4.4: the
    rest of Section 4 works with it), with ``r = rank W``."""
    from ufm_sym_proofs.environments import point_env

    env = point_env(rot.rec)
    env.update({"W": rot.point[0], "H": rot.point[1], "r": rot.r})
    return env


def covered_pairs_env(rot: Rotated) -> dict[str, Any]:
    """:func:`normal_env` with ``U_r`` and ``V_r``: the pairs (4.29) side by side
    (``r >= 1``)."""
    env = normal_env(rot)
    us, vs = rot.pairs()
    env.update({"U_r": hstack(us, rot.p.K), "V_r": hstack(vs, rot.p.N)})
    return env


def index_envs(rot: Rotated, pairs: bool = False) -> list[dict[str, Any]]:
    """:func:`normal_env` once for each column index ``i <= r`` (or each pair ``(i, j)`` of
    indices ``<= d`` with ``pairs``): ``e_i`` (and ``e_j``), ``i`` (and ``j``), the norms
    ``||w_i||`` and ``||h^i||`` of the i-th column of W and row of H, and ``sigma_i =
    u_i^T G v_i`` with ``u_i = -w_i/||w_i||``, ``v_i = (h^i)^T/||h^i||`` (i <= r)."""
    d = rot.p.d
    base = normal_env(rot)
    Wt, Ht, _ = rot.point

    def unit(k: int) -> Any:
        return mpmath.matrix([[1 if m == k else 0] for m in range(d)])

    out = []
    index_pairs = ([(i, j) for i in range(d) for j in range(d)] if pairs
                   else [(i, None) for i in range(rot.r)])
    for i, j in index_pairs:
        env = dict(base)
        env.update({"e_i": unit(i), "i": i + 1})
        if j is not None:
            env.update({"e_j": unit(j), "j": j + 1})
        if i < rot.r:
            w, h = col(Wt, i), row(Ht, i).T
            nw, nh = mpmath.norm(w), mpmath.norm(h)
            env.update({r"\|w_i\|": nw, r"\|h^i\|": nh,
                        r"\sigma_i": ((-w / nw).T * rot.G * (h / nh))[0, 0]})
        out.append(env)
    return out


def test_direction_env(rot: Rotated, rotated_point: bool = False) -> dict[str, Any]:
    """The values for (4.17)-(4.25): ``alpha = 0.7``, ``beta = -1.3``, ``a = 1.5 V e_d`` (a
    null vector, ``s_a = |a|^2``), ``(u, v)`` the top singular pair of G, ``sigma = u^T G
    v``, and ``V`` (the original point's values; ``rotated_point`` is not used)."""
    from ufm_sym_proofs import geometry as Geo

    a, u, v, s, uGv = _test_direction(rot)
    env = rotation_env(rot)
    env.update({Geo.a.name: a, Geo.u.name: u, Geo.v.name: v, Geo.a_norm2.name: s,
                Geo.sigma.name: uGv, Geo.alpha.name: ALPHA_TEST, Geo.beta.name: BETA_TEST})
    return env


def rot_envs(ctx: VerifyContext, recs: Sequence[Any], build: Callable[[Rotated], Any],
             with_options: bool = False) -> list[tuple[str, Any, Any]]:
    """``(where, env, options)`` for each record, the env built from its rotation
    (``build`` may return one env or a list of them)."""
    from ufm_sym_proofs.environments import options

    out = []
    with mpmath.workdps(ctx.dps):
        for rec in recs:
            built = build(rotated(rec, ctx))
            for k, env in enumerate(built if isinstance(built, list) else [built]):
                out.append((f"{rec.problem.describe()} [{rec.family}]"
                            + (f" #{k}" if isinstance(built, list) else ""), env,
                            options(rec) if with_options else None))
    return out


def truth_over_rotations(ctx: VerifyContext, claim: Any, recs: Sequence[Any],
                         build: Callable[[Rotated], Any], detail: str,
                         with_options: bool = False) -> Evidence:
    """High-precision evidence: the claim's statement at each record's rotation env
    (memoised for the run: the environments do not depend on the statement)."""
    envs = ctx.memo(("rot-envs", claim.label, detail, with_options,
                     tuple(id(r) for r in recs)),
                    lambda: rot_envs(ctx, recs, build, with_options))
    return C.statement_truth_evidence(ctx, claim, envs, detail, margin=C.hp_margins(ctx))


def column_direction_envs(rot: Rotated) -> list[dict[str, Any]]:
    """:func:`rotation_env` once for each column ``a = V e_j`` of ``V`` (``j > r``: a
    null vector of ``W``; ``j <= r``: not), for the equivalence (4.16)."""
    from ufm_sym_proofs import geometry as Geo

    out = []
    for j in range(rot.p.d):
        env = rotation_env(rot)
        env[Geo.a.name] = col(rot.V, j)
        out.append(env)
    return out


def pair_envs(rot: Rotated) -> list[dict[str, Any]]:
    """:func:`rotation_env` for every pair ``(i, j)`` of indices ``<= d`` (1-based
    ``i``, ``j`` and the unit vectors ``e_i``, ``e_j``), for Assumption 4.4 (4.26)."""
    d = rot.p.d

    def unit(k: int) -> Any:
        return mpmath.matrix([[1 if m == k else 0] for m in range(d)])

    out = []
    for i in range(d):
        for j in range(d):
            env = rotation_env(rot)
            env.update({"i": i + 1, "j": j + 1, "e_i": unit(i), "e_j": unit(j)})
            out.append(env)
    return out


def covered_direction_env(rot: Rotated, ctx: VerifyContext | None = None) -> dict[str, Any]:
    """:func:`covered_pairs_env` with the top singular pair ``u, v, sigma`` of ``G``."""
    from ufm_sym_proofs import geometry as Geo
    from ufm_sym_proofs.geometry import top_singular_pair

    env = covered_pairs_env(rot)
    u, v, s = top_singular_pair(rot.G)
    env.update({Geo.u.name: u, Geo.v.name: v, Geo.sigma.name: s})
    return env


def ref12_statement_evidence(ctx: VerifyContext, claim: Any) -> Evidence:
    """The statement of [12] at minimizers found from random starts without the closed
    form: ``W W^T``, ``W H``, ``b`` against the closed form's ``gamma_c``, ``gamma_m``,
    ``beta`` (their formulas in [12]), and ``f = f*``."""
    from ufm_sym.closed_form import global_value, mse_gammas
    from ufm_sym.highprec.evaluate import objective

    def make_envs() -> list[Any]:
        envs = []
        with mpmath.workdps(ctx.dps):
            for p, x, reg in ref12_minimizers(ctx):
                W, H, b = x
                gc, gm, beta = mse_gammas(p, dps=ctx.dps)
                lw, lh, lb = p.mp_lambdas()
                envs.append((f"{p.describe()} [regime {reg}]", {
                    "W": W, "H": H, "b": b, "Y": labels_Y(p), "lambda_W": lw, "lambda_H": lh,
                    "lambda_b": lb, "n": p.n, "K": p.K, "N": p.N, "d": p.d,
                    r"\gamma_c": gc, r"\gamma_m": gm, r"\beta_{\star}": beta,
                    "f": objective(p, x), r"f^{\star}": global_value(p, dps=ctx.dps)}, None))
        return envs

    return C.statement_truth_evidence(ctx, claim, make_envs, "the closed form of [12] at "
                                      "minimizers reached by L-BFGS from random starts",
                                      margin=C.hp_margins(ctx))


def invariance_statement_evidence(ctx: VerifyContext, claim: Any) -> Evidence:
    """Remark R2's statement (f and the Hessian form at (W Q, Q^T H, b) along (D_W Q,
    Q^T D_H, D_b) equal those at (W, H, b) along D) at every MSE critical point, for
    ``Q = V`` and a seeded random orthogonal ``Q``, at a seeded random direction."""
    from ufm_sym_proofs.environments import options, point_env

    def make_envs() -> list[Any]:
        envs = []
        with mpmath.workdps(ctx.dps):
            for rec in records(ctx):
                p = rec.problem
                Dm = C.float_to_mp_point(p, C.random_points(p, 1, ctx.seed + 7)[0])
                for name, Q in (("Q = V", rotated(rec, ctx).V),
                                ("Q random", random_orthogonal(p.d, ctx.seed + p.d))):
                    env = point_env(rec)
                    env.update({"Q": Q, "D_W": Dm[0], "D_H": Dm[1], "D_b": Dm[2]})
                    envs.append((f"{p.describe()} [{rec.family}] {name}", env, options(rec)))
        return envs

    return C.statement_truth_evidence(ctx, claim, make_envs, "f and the Hessian form after the "
                                      "rotation, at a random direction",
                                      margin=C.hp_margins(ctx))


#: the symbols of Proposition 4.3's statement: the gradient, value and Hessian at the
#: normal form (W V, V^T H, b), and the orthogonal change of variables
#: T: (D_W, D_H, D_b) -> (D_W V, V^T D_H, D_b) as a P x P matrix
_P = sp.Symbol("P", positive=True, integer=True)
GRAD_F_ROT = sp.MatrixSymbol(r"\nabla f(\widetilde W,\widetilde H,b)", _P, 1)
F_ROT = sp.Symbol(r"f(\widetilde W,\widetilde H,b)")
HESS_ROT = sp.MatrixSymbol(r"\nabla^2 f(\widetilde W,\widetilde H,b)", _P, _P)
T_ROT = sp.MatrixSymbol("T_V", _P, _P)


def rotation_operator(p: Problem, V: Any) -> Any:
    """The P x P matrix of (D_W, D_H, D_b) -> (D_W V, V^T D_H, D_b) in the flattening of
    :func:`ufm_sym.highprec.evaluate.flatten`."""
    from ufm_sym.highprec.evaluate import flatten, num_params, unflatten

    P_ = num_params(p)
    T = mpmath.zeros(P_, P_)
    for k in range(P_):
        e = [mpmath.mpf(0)] * P_
        e[k] = mpmath.mpf(1)
        DW, DH, Db = unflatten(p, e)
        image = flatten((DW * V, V.T * DH, Db))
        for m in range(P_):
            T[m, k] = image[m]
    return T


def prop43_statement_evidence(ctx: VerifyContext, claim: Any) -> Evidence:
    """Proposition 4.3's statement at every MSE critical point: the normal form is
    critical, has the same value, and its Hessian is similar to the point's through the
    rotation T of directions, tested as quadratic forms along two seeded random
    directions per point (the full spectra are compared by :func:`prop43_evidence`)."""
    from ufm_sym.highprec.evaluate import flatten, gradient, hessian_matrix, objective
    from ufm_sym_proofs.environments import HESS_F

    def make_envs() -> list[Any]:
        envs = []
        with mpmath.workdps(ctx.dps):
            for rec in records(ctx):
                rot = rotated(rec, ctx)
                p = rec.problem
                grad = flatten(gradient(p, rot.point))
                base = {GRAD_F_ROT.name: mpmath.matrix(grad), F_ROT.name: objective(p, rot.point),
                        "f": rec.value, HESS_ROT.name: hessian_matrix(p, rot.point),
                        HESS_F.name: hessian_matrix(p, rec.point),
                        T_ROT.name: rotation_operator(p, rot.V), "P": len(grad)}
                rng = np.random.default_rng(ctx.seed + len(grad))
                for k in range(2):
                    env = dict(base)
                    env[D_X.name] = mpmath.matrix(rng.standard_normal(len(grad)).tolist())
                    envs.append((f"{p.describe()} [{rec.family}] direction {k}", env, None))
        return envs

    return C.statement_truth_evidence(ctx, claim, make_envs, "criticality and value of the "
                                      "normal form, and its Hessian's quadratic form along T D "
                                      "against the point's along D", margin=C.hp_margins(ctx))


#: a direction in the flattened parameter space (for Proposition 4.3's quadratic forms)
D_X = sp.MatrixSymbol("D_x", _P, 1)


def projector_env(rot: Rotated) -> dict[str, Any]:
    """:func:`rotation_env` with the coordinate projectors ``P_{>r}`` and ``P_{<=r}``
    (diagonal 0/1 matrices of size d) of Assumption 4.4."""
    d = rot.p.d
    env = rotation_env(rot)
    env[r"P_{>r}"] = mpmath.matrix([[1 if i == j and i >= rot.r else 0 for j in range(d)]
                                    for i in range(d)])
    env[r"P_{\le r}"] = mpmath.matrix([[1 if i == j and i < rot.r else 0 for j in range(d)]
                                       for i in range(d)])
    return env


def float_samples(ctx: VerifyContext) -> list[Any]:
    """Every float64 MSE sample of Section 4: the shared ones
    (:func:`ufm_sym_proofs.numeric_evidence.numeric_samples`, lambda_W = lambda_H) and
    those of :data:`EXTRA_FLOAT_SETTINGS` (lambda_W != lambda_H)."""
    from ufm_sym_proofs.numeric_evidence import numeric_samples

    return ctx.memo(("s4-float-samples", ctx.seed, ctx.numeric_samples),
                    lambda: [*numeric_samples(ctx, LOSS), *extra_float_samples(ctx)])
