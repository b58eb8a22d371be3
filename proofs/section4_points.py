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

from ufm_sym.claims import Evidence, VerifyContext
from ufm_sym.model import Problem
from ufm_sym_proofs import _common as C
from ufm_sym_proofs.geometry import paper_prediction

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


def residual_415(rot: Rotated) -> Any:
    Wt, Ht, _ = rot.point
    W, H, _ = rot.rec.point
    return C.mp_norm(Wt * Ht - W * H)


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


def residual_asm44(rot: Rotated, ratio: Callable[[Any, Any], Any] = lambda lw, lh: lh / lw
                   ) -> Any:
    """Assumption 4.4, item 2: ||w_i||^2 = (lH/lW) ||h^i||^2 for i <= r (and the
    w_i, h^i are nonzero: an infinite residual otherwise)."""
    Wt, Ht, _ = rot.point
    lw, lh, _ = rot.p.mp_lambdas()
    big_tol = mpmath.mpf(10) ** -(mpmath.mp.dps // 3)
    worst = mpmath.mpf(0)
    for i in range(rot.r):
        nw, nh = mpmath.norm(col(Wt, i)), mpmath.norm(row(Ht, i))
        if nw < big_tol or nh < big_tol or not rot.decided:
            return mpmath.inf
        worst = max(worst, abs(nw ** 2 - ratio(lw, lh) * nh ** 2))
    return worst


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


def invariance_evidence(ctx: VerifyContext) -> Evidence:
    """f and the Hessian form at (W Q, Q^T H, b) along (D_W Q, Q^T D_H, D_b) equal those
    at (W, H, b) along (D_W, D_H, D_b): Q = V from the SVD and a seeded random orthogonal
    Q, at a seeded random direction D."""
    from ufm_sym.highprec.evaluate import hessian_form, objective

    def res(rec: Any) -> Any:
        p = rec.problem
        W, H, b = rec.point
        Dm = C.float_to_mp_point(p, C.random_points(p, 1, ctx.seed + 7)[0])
        q0 = hessian_form(p, rec.point, Dm)
        worst = mpmath.mpf(0)
        for Q in (rotated(rec, ctx).V, random_orthogonal(p.d, ctx.seed + p.d)):
            x = (W * Q, Q.T * H, b)
            Dq = (Dm[0] * Q, Q.T * Dm[1], Dm[2])
            worst = max(worst, C.worst_part({"f~ - f": objective(p, x) - rec.value,
                        "hess f~[D~, D~] - hess f[D, D]": hessian_form(p, x, Dq) - q0}))
        return worst

    return C.hp_evidence(ctx, records(ctx), res,
                         "the worst of |f(WQ, Q^T H, b) - f(W, H, b)| and "
                         "|hess f~[D~, D~] - hess f[D, D]| "
                         "with D~ = (D_W Q, Q^T D_H, D_b), Q = V and Q a random orthogonal "
                         "matrix, at a random D")


def residual_418(rec: Any, ctx: VerifyContext) -> Any:
    """(4.18) written out in mpmath (hess g = ||D1||^2/N, grad g = (R - Y)/N) against the
    quadratic form of the full Hessian matrix (assembled block by block by the engine) at
    a seeded random direction; relative."""
    from ufm_sym.highprec.evaluate import flatten, hessian_matrix

    p = rec.problem
    W, H, b = rec.point
    DW, DH, Db = C.float_to_mp_point(p, C.random_points(p, 1, ctx.seed + 11)[0])
    lw, lh, lb = p.mp_lambdas()
    D1 = DW * H + W * DH + Db * mpmath.ones(1, p.N)
    Gm, P2 = mse_G(p, rec.point), DW * DH
    paper = (C.mp_norm(D1) ** 2 / p.N
             + 2 * mpmath.fsum(Gm[i, j] * P2[i, j] for i in range(p.K) for j in range(p.N))
             + lw * C.mp_norm(DW) ** 2 + lh * C.mp_norm(DH) ** 2 + lb * C.mp_norm(Db) ** 2)
    v = mpmath.matrix(flatten((DW, DH, Db)))
    quad = (v.T * hessian_matrix(p, rec.point) * v)[0, 0]
    return abs(paper - quad) / max(1, abs(quad))


# ------------------------------------------------------ (4.16)-(4.25)
ALPHA_TEST = mpmath.mpf("0.7")
BETA_TEST = mpmath.mpf("-1.3")
A_SCALE = mpmath.mpf("1.5")  # |a|^2 = s = 2.25 in (4.17)-(4.25)


def null_records(ctx: VerifyContext) -> list[Any]:
    """The points with rank W < d (a null vector a exists)."""
    return [rec for rec in records(ctx) if rotated(rec, ctx).r < rec.problem.d]


def residual_416(rot: Rotated) -> Any:
    """The worst of ||W a|| and ||H^T a|| over the null vectors a = V e_j, j > r."""
    from ufm_sym_proofs.geometry import null_parts

    parts = [null_parts(rot.rec.point, col(rot.V, j)) for j in range(rot.r, rot.p.d)]
    return max((C.worst_part(q) for q in parts), default=mpmath.mpf(0))


def _test_direction(rot: Rotated) -> tuple[Any, Any, Any, Any, Any]:
    """(a, u, v, s, u^T G v): a = 1.5 V e_d (a null vector), (u, v) the top singular
    pair of G."""
    from ufm_sym_proofs.geometry import top_singular_pair

    a = A_SCALE * col(rot.V, rot.p.d - 1)
    u, v, _ = top_singular_pair(rot.G)
    s = (a.T * a)[0, 0]
    return a, u, v, s, (u.T * rot.G * v)[0, 0]


def residual_419(rot: Rotated, rotated_copy: bool = False) -> Any:
    """(4.19)-(4.21) (or (4.22)-(4.24) at the rotated point with a~ = V^T a)."""
    al, be = ALPHA_TEST, BETA_TEST
    a, u, v, s, _ = _test_direction(rot)
    W, H, _ = rot.point if rotated_copy else rot.rec.point
    if rotated_copy:
        a = rot.V.T * a
    DW, DH = al * (u * a.T), be * (a * v.T)
    return C.worst_part({
        "D_W H": C.mp_norm(DW * H),
        "W D_H": C.mp_norm(W * DH),
        "D_W D_H - alpha beta s u v^T": C.mp_norm(DW * DH - al * be * s * (u * v.T)),
        "||D_W||^2 - alpha^2 s": C.mp_norm(DW) ** 2 - al ** 2 * s,
        "||D_H||^2 - beta^2 s": C.mp_norm(DH) ** 2 - be ** 2 * s,
    })


def residual_425(rot: Rotated) -> Any:
    """(4.25): the worst of |hess f[D, D] - closed form| and |hess f~[D~, D~] - closed
    form|."""
    from ufm_sym.highprec.evaluate import hessian_form

    al, be = ALPHA_TEST, BETA_TEST
    a, u, v, s, uGv = _test_direction(rot)
    lw, lh, _ = rot.p.mp_lambdas()
    closed = 2 * al * be * s * uGv + (lw * al ** 2 + lh * be ** 2) * s
    zK = mpmath.zeros(rot.p.K, 1)
    at = rot.V.T * a
    q0 = hessian_form(rot.p, rot.rec.point, (al * (u * a.T), be * (a * v.T), zK))
    q1 = hessian_form(rot.p, rot.point, (al * (u * at.T), be * (at * v.T), zK))
    return C.worst_part({"hess f[D, D] - (4.25)": q0 - closed,
                         "hess f~[D~, D~] - (4.25)": q1 - closed})


# --------------------------------------------------------- (4.27)-(4.34)
def residual_427(rot: Rotated) -> Any:
    Wt, Ht, _ = rot.point
    lw, lh, _ = rot.p.mp_lambdas()
    return max((C.worst_part({
        "G h^iT + lW w_i": C.mp_norm(rot.G * row(Ht, i).T + lw * col(Wt, i)),
        "w_i^T G + lH h^i": C.mp_norm(col(Wt, i).T * rot.G + lh * row(Ht, i)),
    }) for i in range(rot.r)), default=mpmath.mpf(0))


def residual_428(rot: Rotated, sigma: Callable[[Any, Any], Any] = paper_sigma) -> Any:
    """sigma = sqrt(lW lH) is a singular value of G of multiplicity >= r: the r singular
    values of G closest to sigma, their largest distance to it."""
    if rot.r == 0:
        return mpmath.mpf(0)
    lw, lh, _ = rot.p.mp_lambdas()
    sg = sigma(lw, lh)
    return sorted(abs(x - sg) for x in rot.sG)[rot.r - 1]


def residual_429(rot: Rotated, sigma: Callable[[Any, Any], Any] = paper_sigma) -> Any:
    """The worst of ||G v_i - sigma u_i|| and ||G^T u_i - sigma v_i|| with (4.29)'s u_i,
    v_i."""
    lw, lh, _ = rot.p.mp_lambdas()
    sg = sigma(lw, lh)
    us, vs = rot.pairs()
    return max((C.worst_part({"G v_i - sigma u_i": C.mp_norm(rot.G * v - sg * u),
                              "G^T u_i - sigma v_i": C.mp_norm(rot.G.T * u - sg * v)})
                for u, v in zip(us, vs, strict=True)), default=mpmath.mpf(0))


def residual_430(rot: Rotated) -> Any:
    """rank(W H) = r (with the gap; infinite residual otherwise) and the u_i, v_i are
    orthonormal."""
    from ufm_sym.highprec.linalg import singular_values

    W, H, _ = rot.rec.point
    sv = singular_values(W * H)
    zero_tol = mpmath.mpf(10) ** -(mpmath.mp.dps - 10)
    big_tol = mpmath.mpf(10) ** -(mpmath.mp.dps // 3)
    if any(zero_tol < s < big_tol for s in sv) or sum(1 for s in sv if s >= big_tol) != rot.r:
        return mpmath.inf
    if rot.r == 0:
        return mpmath.mpf(0)
    us, vs = rot.pairs()
    Ur, Vr = hstack(us, rot.p.K), hstack(vs, rot.p.N)
    return C.worst_part({"U_r^T U_r - I": C.mp_norm(Ur.T * Ur - mpmath.eye(rot.r)),
                         "V_r^T V_r - I": C.mp_norm(Vr.T * Vr - mpmath.eye(rot.r))})


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


def residual_433(rec: Any, ctx: VerifyContext) -> Any:
    """At a point of C2: the top pair (u, v, sigma) of G has u^T G v = sigma and is
    orthogonal to the covered pairs (u perp u_i, v perp v_i)."""
    from ufm_sym_proofs.landscape import direction_for_record

    rot = rotated(rec, ctx)
    dirn = direction_for_record(rec, ctx)
    Ur, Vr, _ = _covered(rot)
    zero = mpmath.mpf(0)
    return C.worst_part({
        "u^T G v - sigma": (dirn.u.T * rot.G * dirn.v)[0, 0] - dirn.sigma,
        "U_r^T u": zero if Ur is None else C.mp_norm(Ur.T * dirn.u),
        "V_r^T v": zero if Ur is None else C.mp_norm(Vr.T * dirn.v),
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
def parts_436(rec: Any, ctx: VerifyContext) -> dict[str, Any]:
    """The identities of the direction (4.36) at a point of C2, as named residuals
    (:func:`proofs.landscape.direction_parts`)."""
    from ufm_sym_proofs.landscape import direction_for_record, direction_parts

    return direction_parts(rec.problem, rec.point, direction_for_record(rec, ctx))


#: the parts of (4.36) that (4.37) states; (4.38) is the remaining one
PARTS_438 = ("D_W D_H + u v^T",)


def residual_437(rec: Any, ctx: VerifyContext) -> Any:
    """(4.37): D_W H = W D_H = 0, D_b = 0, lW ||D_W||^2 = lH ||D_H||^2 = sqrt(lW lH)."""
    parts = parts_436(rec, ctx)
    return C.worst_part({k: v for k, v in parts.items() if k not in PARTS_438})


def residual_438(rec: Any, ctx: VerifyContext) -> Any:
    """(4.38): D_W D_H = -u v^T."""
    parts = parts_436(rec, ctx)
    return C.worst_part({k: parts[k] for k in PARTS_438})


def residual_436(rec: Any, ctx: VerifyContext) -> Any:
    return C.worst_part(parts_436(rec, ctx))


def _quarter(lw: Any, lh: Any) -> tuple[Any, Any]:
    return (lh / lw) ** mpmath.mpf(0.25), -((lw / lh) ** mpmath.mpf(0.25))


def final_evidence(ctx: VerifyContext, scaling: Callable[[Any, Any], Any] = _quarter,
                   predicted: Callable[[Any, Any, Any], Any] = paper_prediction) -> Evidence:
    """At every point of C2: hess f along (alpha u a^T, beta a v^T, 0), (alpha, beta) =
    ``scaling(lW, lH)`` (the paper's quarter powers), equals ``predicted(sigma, lW, lH)``
    and is below -1e-10."""
    from ufm_sym.highprec.evaluate import hessian_form
    from ufm_sym_proofs.landscape import certainly_negative, direction_for_record

    recs = c2_records(ctx)
    positive: list[str] = []

    def res(rec: Any) -> Any:
        dirn = direction_for_record(rec, ctx)
        p = rec.problem
        lw, lh, _ = p.mp_lambdas()
        al, be = scaling(lw, lh)
        Dd = (al * (dirn.u * dirn.a.T), be * (dirn.a * dirn.v.T), mpmath.zeros(p.K, 1))
        val = hessian_form(p, rec.point, Dd)
        if not certainly_negative(val):
            positive.append(rec.family)
        return val - predicted(dirn.sigma, lw, lh)

    ev = evidence_over(ctx, recs, res, f"|hess f[Delta, Delta] - (-2 sigma + 2 sqrt(lW lH))| along "
                   f"(4.36) at the {len(recs)} points of C2, each < -1e-10")
    if positive:
        ev.passed = False
        ev.detail += "; not negative at " + ", ".join(positive[:3])
    return ev


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


def theorem_extra_evidence(ctx: VerifyContext) -> Evidence:
    """Theorem 1.2 at the critical points of :data:`EXTRA_SETTINGS` (the default ones are
    checked by :func:`proofs.landscape.theorem_evidence`): C1 and f = f* with lambda_min >=
    -1e-10, or C2 with negative curvature along (4.36) and lambda_min < -1e-10."""
    from ufm_sym_proofs.landscape import theorem_verdict

    default = {id(r) for r in C.hp_records(ctx, LOSS)}
    recs = [r for r in records(ctx) if id(r) not in default]
    bad = []
    with mpmath.workdps(ctx.dps):
        for rec in recs:
            bad.extend(f"{rec.family}: {f}" for f in theorem_verdict(rec, ctx).failures)
    detail = (f"{len(recs)} further critical points (lambda_W != lambda_H): each a global "
              "minimizer or a strict saddle")
    if bad:
        detail += "; FAILED: " + "; ".join(bad[:3])
    return Evidence("high-precision", not bad and bool(recs), None, None, len(recs), detail)


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
