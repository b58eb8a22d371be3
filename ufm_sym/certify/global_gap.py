r"""A rigorous duality gap: ``0 <= f(x*) - min f <= U - L`` in ball arithmetic.

:func:`certify_global_gap` proves, with no floating-point step, an upper bound ``U`` on
the UFM objective ``f`` over a box (the certified existence box of
:func:`~ufm_sym.certify.critical.certify_critical_point`, so ``U >= f(x*)`` at the
true critical point ``x*``; or the given point's own ball) and a lower bound ``L`` on
``min f`` from Fenchel weak duality at one dual point ``Lambda``:

    min f  >=  min F  >=  L(Lambda) := -g*(Lambda) - ||Lambda 1_N||^2 / (2 lambda_b),

valid for *every* ``Lambda`` with ``||Lambda||_2 <= tau = sqrt(lW lH)`` in the domain of
``g*`` (for ``lambda_b = 0``: ``Lambda 1_N = 0`` and ``L = -g*(Lambda)``).  Here
``F(Z, b) = g(Z + b 1^T) + tau ||Z||_* + lambda_b/2 ||b||^2`` is the convex relaxation
(``f(W, H, b) >= F(W H, b)`` by AM-GM and ``||W H||_* <= ||W||_F ||H||_F``), ``g*`` the
Fenchel conjugate: MSE ``N/2 ||Lambda||_F^2 + <Lambda, Y>``, CE
``(1/N) sum_j sum_i p_ij log p_ij`` with ``p_j = N Lambda_j + e_{y_j}`` in the simplex.

**The dual point** is built from ``G = grad g(R)`` at the box's centre (any choice is
valid; this one makes the gap vanish at a global minimizer) and is an *exact rational
matrix* (python-flint ``fmpq``): the midpoints of the ball ``G``; for CE each column
minus its mean (``1_K^T Lambda = 0``: each ``p_j`` sums to 1 exactly); for
``lambda_b = 0`` each row minus its mean (``Lambda 1_N = 0`` exactly).  Two candidates
(:func:`dual_point`): *scaled* (``c Lambda`` with the largest tried dyadic ``c <= 1``,
after mixing in the origin's gradient for CE if some ``p_ij < 0``: the dual point of
:mod:`ufm_sym.convex`) and *clipped* (the singular values at or just below ``tau`` set
a hair below it, which keeps the gap second order in the distance to ``x*``); the
larger proved ``L`` is kept.  **Dual feasibility is proved in exact rational
arithmetic** (:func:`prove_dual_feasible`): every ``p_ij >= 0`` and every column of
``p`` summing to 1 (CE), ``Lambda 1_N = 0`` (``lambda_b = 0``), and
``||Lambda||_2 < tau`` from the characteristic polynomial of ``Lambda Lambda^T``
(:func:`_norm_below`); a candidate that fails is refused, never used.

**Values.**  ``U`` (:func:`objective_upper`): the smaller of the upper end of the ball
``f(box)`` and of the mean-value form ``f(m) + sum_i sup |df/dx_i| rad_i``;
``L``: exact for MSE, a ball (``arb`` logarithms) for CE, its lower end taken.  Then
``gap = U - L`` rounded up, and ``holds`` when ``gap <= tolerance``
(``10^-(dps - 10) * max(1, |U|)`` by default).  ``L > U`` would contradict weak duality
and is reported as such (a wrong conjugate or a wrong dual point), never as a pass.

**Not circular**: nothing here assumes that ``x*`` is a global minimizer, nor uses
[13, Lemma C.4] or Prop. 4.1; the bound is weak duality at a dual point whose
feasibility is proved on its own.  At a global minimizer the gap is about the box's
radius times the gradient's size; at a strict saddle ``||grad g||_2 > tau``, so
``c < 1`` and the gap is visibly positive (docs/certified.md, Section 7).

>>> from ufm_sym import Problem
>>> from ufm_sym.closed_form import global_minimizer
>>> p = Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> c = certify_global_gap(p, global_minimizer(p, dps=60), dps=50)
>>> c.holds, c.gap < 1e-45, c.about
(True, True, 'point')
>>> o = certify_global_gap(p, ([[0] * 3] * 3, [[0] * 6] * 3, [0] * 3), dps=50)
>>> o.holds, o.gap > 0.1, o.dual_scale < 1
(False, True, True)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath

from ufm_sym.certify.balls import (
    BallPoint,
    ball_point,
    flat_gradient,
    grad_g,
    objective,
    residual,
)
from ufm_sym.certify.flint_util import arb_lower_mpf, arb_upper_mpf, flint_module, mpf_str
from ufm_sym.model import Problem, UFMInputError

__all__ = ["GAP_SLACK_DIGITS", "MARGIN_BITS", "SNAP_WINDOW", "DualPoint", "GlobalGapCertificate",
           "certify_global_gap", "conjugate_ball", "dual_lower_bound", "dual_point", "gap_on_box",
           "objective_upper", "prove_dual_feasible"]

GAP_SLACK_DIGITS = 10
"""The default tolerance is ``10^-(dps - GAP_SLACK_DIGITS) * max(1, |U|)``."""
SNAP_WINDOW = 1e-8
"""Eigenvalues of ``Lambda Lambda^T`` above ``tau^2 (1 - SNAP_WINDOW)`` are set to
``tau^2 (1 - 2^-(prec - MARGIN_BITS))`` by the clipped dual point (:func:`dual_point`)."""
MARGIN_BITS = 48
"""The proposed dual points stay ``2^-(prec - MARGIN_BITS)`` (relative) inside the
constraint ``||Lambda||_2^2 <= tau^2``; their entries are rounded to ``prec - 16`` bits."""


# ------------------------------------------------------------------ exact helpers
def _fmpq_of(x: Any) -> Any:
    """The exact rational value of an exact number: an ``arb`` midpoint, an ``int``
    or a SymPy rational."""
    flint = flint_module()
    if isinstance(x, flint.arb):
        man, exp = (int(t) for t in x.mid().man_exp())
        return (flint.fmpq(man * 2 ** exp) if exp >= 0
                else flint.fmpq(man, 2 ** -exp))
    if isinstance(x, int):
        return flint.fmpq(x)
    return flint.fmpq(int(x.p), int(x.q))


def _labels(problem: Problem) -> list[list[int]]:
    return [[1 if problem.label_of_column(j) == i else 0 for j in range(problem.N)]
            for i in range(problem.K)]


def _theta(problem: Problem) -> Any:
    """``tau^2 = lW lH`` as an exact rational."""
    return _fmpq_of(problem.lambda_W) * _fmpq_of(problem.lambda_H)


def _gram(Lam: list[list[Any]]) -> list[list[Any]]:
    """``Lambda Lambda^T`` exactly (``fmpq``)."""
    flint = flint_module()
    M = flint.fmpq_mat(Lam) * flint.fmpq_mat(Lam).transpose()
    return M.tolist()


def _norm_below(Lam: list[list[Any]], theta: Any, c: Any = 1) -> bool:
    """Whether ``||c Lambda||_2^2 < theta``, decided exactly: with
    ``p(t) = det(t I - M)``, ``M = c^2 Lambda Lambda^T`` (``fmpq_mat.charpoly``, exact),
    every coefficient of the Taylor shift ``q(s) = p(theta + s)`` is ``> 0``.  Then
    ``q(s) >= q(0) > 0`` for ``s >= 0``: no eigenvalue of ``M`` (all real, ``M``
    symmetric) is ``>= theta``.  Conversely, if every eigenvalue is ``< theta``,
    ``q(s) = prod_i (s + theta - lambda_i)`` has positive coefficients: the test
    never refuses a feasible point.

    >>> import flint
    >>> q = flint.fmpq
    >>> _norm_below([[q(3, 10), 0], [0, q(1, 10)]], q(1, 20)), _norm_below(
    ...     [[q(3, 10), 0], [0, q(1, 10)]], q(1, 20), c=q(1, 4))
    (False, True)
    """
    flint = flint_module()
    L = flint.fmpq_mat(Lam)
    if c != 1:
        L = L * flint.fmpq(c)
    shifted = (L * L.transpose()).charpoly()(flint.fmpq_poly([theta, 1]))
    return all(v > 0 for v in shifted.coeffs())


# ------------------------------------------------------------------ the dual point
@dataclass(frozen=True)
class DualPoint:
    """An exact rational dual point (:func:`dual_point`): ``Lambda`` (``K x N`` nested
    lists of ``fmpq``), ``scale`` ``c`` (``fmpq``, ``<= 1``), ``mixed`` (the weight of
    the origin's gradient, CE only), ``note`` (what was done)."""

    Lambda: list[list[Any]] = field(repr=False)
    scale: Any
    mixed: Any
    note: str


def _scaled(Lam: list[list[Any]], c: Any) -> list[list[Any]]:
    return [[c * v for v in row] for row in Lam]


def _lambda_max_estimate(M: list[list[Any]], prec: int) -> Any:
    """An approximate largest eigenvalue of the symmetric rational ``M`` (an ``arb``
    midpoint, no error bound: it only proposes the scale that is then proved)."""
    flint = flint_module()
    with flint.ctx.workprec(prec):
        A = flint.acb_mat([[flint.acb(flint.arb(v)) for v in row] for row in M])
        ev = A.eig(algorithm="approx")
        return max((e.real.mid() for e in ev), key=lambda t: float(t))


def _scale_candidates(M: list[list[Any]], theta: Any, prec: int) -> list[Any]:
    """Dyadic ``c < 1`` with ``c^2 = theta / mu``, ``mu`` a little above the estimate
    of ``lambda_max(M)`` (relative margins ``2^-(prec - MARGIN_BITS)``, then halving the
    exponent down to ``2^-8``), then the
    Frobenius bound ``mu = ||M||_F (1 + 2^-20) >= lambda_max(M)``; each ``c`` rounded
    down to ``prec - 16`` bits."""
    flint = flint_module()
    with flint.ctx.workprec(prec):
        lam = _lambda_max_estimate(M, prec)
        th = flint.arb(theta)
        e = prec - MARGIN_BITS
        roots = []
        while e >= 8:
            mu = (lam if lam > th else th) * (1 + flint.arb(2) ** -e)
            roots.append((th / mu).sqrt())
            e //= 2
        fro = sum((flint.arb(v) ** 2 for row in M for v in row), flint.arb(0)).sqrt()
        roots.append((th / (fro * (1 + flint.arb(2) ** -20))).sqrt())
    with flint.ctx.workprec(prec - 16):
        out = [_fmpq_of(r.lower()) for r in roots]
    return [c for c in out if 0 <= c < 1]


def _project(problem: Problem, Lam: list[list[Any]]) -> list[list[Any]]:
    """The exact projections: for CE each column minus its mean (``1_K^T Lambda = 0``),
    for ``lambda_b = 0`` each row minus its mean (``Lambda 1_N = 0``).  Orthogonal
    projections on either side: ``||Lambda||_2`` does not grow."""
    flint = flint_module()
    K, N = problem.K, problem.N
    Lam = [list(row) for row in Lam]
    if problem.loss == "ce":
        for j in range(N):
            m = sum((Lam[i][j] for i in range(K)), flint.fmpq(0)) / K
            for i in range(K):
                Lam[i][j] -= m
    if problem.lambda_b == 0:
        for i in range(K):
            m = sum(Lam[i], flint.fmpq(0)) / N
            Lam[i] = [v - m for v in Lam[i]]
    return Lam


def _largest_feasible_scale(problem: Problem, Lam: list[list[Any]], prec: int) -> Any:
    """The largest tried ``c`` (``1``, then :func:`_scale_candidates`) for which
    ``||c Lambda||_2 < tau`` is proved; ``0`` if none."""
    flint = flint_module()
    theta = _theta(problem)
    if _norm_below(Lam, theta):
        return flint.fmpq(1)
    for cand in _scale_candidates(_gram(Lam), theta, prec):
        if _norm_below(Lam, theta, cand):
            return cand
    return flint.fmpq(0)


def _mix_into_simplex(problem: Problem, Lam: list[list[Any]]) -> tuple[list[list[Any]], Any]:
    """CE: mix with the origin's gradient ``(1_K 1_N^T / K - Y)/N`` (row and column sums
    0, every ``p_j = 1_K / K``) by the least weight ``t`` that makes every
    ``p_ij = N Lambda_ij + y_ij >= 0`` (exact)."""
    flint = flint_module()
    K, N = problem.K, problem.N
    Y = _labels(problem)
    inv_k = flint.fmpq(1, K)
    t = flint.fmpq(0)
    for i in range(K):
        for j in range(N):
            q = N * Lam[i][j] + Y[i][j]
            if q < 0:
                w = -q / (inv_k - q)
                if w > t:
                    t = w
    if t > 0:
        Lam = [[(1 - t) * Lam[i][j] + t * (inv_k - Y[i][j]) / N for j in range(N)]
               for i in range(K)]
    return Lam, t


def dual_point(problem: Problem, G: Any, prec: int, method: str = "scaled") -> DualPoint:
    """An exact dual point built from ``G`` (a ``K x N`` ``arb_mat``, e.g.
    ``grad g(R)`` at the centre); ``prec``: the working precision of the estimates.

    ``method="scaled"`` (the dual point of :mod:`ufm_sym.convex`): the exact projections
    (:func:`_project`), for CE the mixing into the simplex, then ``Lambda = c Lambda``
    with the largest ``c <= 1`` for which ``||Lambda||_2 < tau`` is proved.
    ``method="clipped"``: the singular values ``sigma`` of the projected ``G`` with
    ``sigma^2 > tau^2 (1 - SNAP_WINDOW)`` set to ``tau' = tau (1 - 2^-(prec - 48))^(1/2)``
    (:func:`_clip`: clipped from above, snapped up from just below), projected again
    (the clipping is only approximately exact) and, if that is not yet proved
    feasible, scaled as above.  At a global minimizer with ``W != 0`` the top singular
    values of ``grad g`` equal ``tau`` exactly (the constraint is active), so near one
    both the excess above ``tau`` and the deficit below it cost the dual value to
    first order in the distance; setting them to ``tau'`` leaves an error of second
    order (``10^-60`` instead of ``10^-30`` at a point known to 30 digits).
    The result is *not yet* proved feasible: :func:`prove_dual_feasible` does that.

    >>> import flint
    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> d = dual_point(p, flint.arb_mat([[1, 0], [0, 1]]), prec=128)
    >>> d.Lambda[0][1] == -d.Lambda[0][0], 0.0999 < float(d.scale) <= 0.1   # c = tau / 1
    (True, True)
    >>> dual_point(p, flint.arb_mat([[1, 0], [0, 1]]), prec=128, method="clipped").note
    'rows projected to sum 0 (Lambda 1_N = 0); sigma^2 = lW lH (1 - 2^-80) for 1 singular value(s)'
    """
    flint = flint_module()
    if method not in ("scaled", "clipped"):
        raise UFMInputError(f"method: unknown dual point {method!r} (scaled, clipped)")
    K, N = problem.K, problem.N
    Lam = _project(problem, [[_fmpq_of(G[i, j]) for j in range(N)] for i in range(K)])
    notes = []
    if problem.loss == "ce":
        notes.append("columns projected to sum 0 (1_K^T Lambda = 0)")
    if problem.lambda_b == 0:
        notes.append("rows projected to sum 0 (Lambda 1_N = 0)")
    t = flint.fmpq(0)
    if method == "clipped":
        Lam, clipped = _clip(problem, Lam, prec)
        if clipped:
            Lam = _project(problem, Lam)
            notes.append(f"sigma^2 = lW lH (1 - 2^-{prec - MARGIN_BITS}) for {clipped} singular "
                         "value(s)")
    elif problem.loss == "ce":
        Lam, t = _mix_into_simplex(problem, Lam)
        if t > 0:
            notes.append(f"mixed with the origin's gradient, weight {float(t):.3g}")
    c = _largest_feasible_scale(problem, Lam, prec)
    if c != 1:
        Lam = _scaled(Lam, c)
        notes.append(f"scaled by c = {float(c):.17g}")
    return DualPoint(Lambda=Lam, scale=c, mixed=t,
                     note="; ".join(notes) if notes else "Lambda = grad g(R)")


def _clip(problem: Problem, Lam: list[list[Any]], prec: int) -> tuple[list[list[Any]], int]:
    """``S Lambda`` with ``S`` (symmetric, ``K x K``) scaling the eigenspaces of
    ``M = Lambda Lambda^T`` above ``tau^2 (1 - SNAP_WINDOW)`` to
    ``theta' = tau^2 (1 - 2^-(prec - MARGIN_BITS))``: eigenvectors ``X`` of ``M`` refined
    to about ``0.3 prec`` digits (:func:`~ufm_sym.highprec.eig.refined_symmetric_eig`),
    eigenvalues grouped in clusters (relative gaps ``< 1e-8``); for a cluster ``Q``
    reaching the window, with
    ``B = Q^T M Q = beta (I + E)``, ``C = sqrt(theta'/beta) (I + E)^(-1/2)`` (four terms
    of the binomial series), so ``C B C = theta' I`` up to ``E^5``.  ``S`` and
    ``S Lambda`` are rounded to ``prec - 16``-bit dyadics: an approximation, checked
    afterwards.  Returns ``(S Lambda, number of
    clipped directions)``."""
    from ufm_sym.highprec.eig import refined_symmetric_eig

    flint = flint_module()
    K = problem.K
    M = _gram(Lam)
    eig_dps = max(30, int(prec * 0.3))
    with mpmath.workdps(eig_dps):
        Mm = mpmath.matrix([[mpmath.mpf(int(v.p)) / int(v.q) for v in row] for row in M])
        eigs, X, _ = refined_symmetric_eig(Mm, dps=eig_dps)
        ev = [float(e) for e in eigs]
    theta = _theta(problem)
    with flint.ctx.workprec(prec):
        th = flint.arb(theta) * (1 - flint.arb(2) ** -(prec - MARGIN_BITS))
        thf = float(th.mid())
        clusters: list[list[int]] = []
        for k in range(K):
            if clusters and abs(ev[k] - ev[clusters[-1][-1]]) <= 1e-8 * max(abs(ev[k]), thf):
                clusters[-1].append(k)
            else:
                clusters.append([k])
        edge = float(theta) * (1 - SNAP_WINDOW)
        top = [cl for cl in clusters if max(ev[k] for k in cl) > edge]
        if not top:
            return Lam, 0
        Ma = flint.arb_mat([[flint.arb(v) for v in row] for row in M])
        S = flint.arb_mat(K, K)
        for i in range(K):
            S[i, i] = 1
        Xl = X.tolist()
        for cl in top:
            r = len(cl)
            Q = flint.arb_mat([[Xl[i][k] for k in cl] for i in range(K)])
            B = Q.transpose() * Ma * Q
            beta = sum((B[a, a] for a in range(r)), flint.arb(0)) / r
            E = B / beta
            for a in range(r):
                E[a, a] -= 1
            Id = flint.arb_mat(r, r)
            for a in range(r):
                Id[a, a] = 1
            E2 = E * E
            series = Id - E / 2 + E2 * flint.arb("0.375") - E2 * E * flint.arb("0.3125")
            C = series * (th / beta).sqrt()
            S += Q * (C - Id) * Q.transpose()
    with flint.ctx.workprec(prec - 16):
        Sq = flint.fmpq_mat([[_fmpq_of(+S[i, j].mid()) for j in range(K)] for i in range(K)])
        out = (Sq * flint.fmpq_mat(Lam)).tolist()
        rounded = [[_fmpq_of(+flint.arb(v).mid()) for v in row] for row in out]
    return rounded, sum(len(cl) for cl in top)


def prove_dual_feasible(problem: Problem, Lam: list[list[Any]]) -> tuple[bool, str]:
    """Prove, in exact rational arithmetic, that ``Lambda`` is dual feasible:
    ``||Lambda||_2 < tau`` (:func:`_norm_below`), and, for
    CE, every ``p_j = N Lambda_j + e_{y_j}`` in the simplex, and, for
    ``lambda_b = 0``, ``Lambda 1_N = 0``.  Returns ``(True, ...)`` or
    ``(False, the violated condition)``.

    >>> import flint
    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b=1)
    >>> q = flint.fmpq
    >>> prove_dual_feasible(p, [[q(1, 20), 0], [0, q(1, 20)]])[0]
    True
    >>> prove_dual_feasible(p, [[q(1, 10), 0], [0, 0]])[0]          # ||Lambda||_2 = tau
    False
    """
    flint = flint_module()
    K, N = problem.K, problem.N
    if problem.loss == "ce":
        Y = _labels(problem)
        for j in range(N):
            col = [N * Lam[i][j] + Y[i][j] for i in range(K)]
            if any(v < 0 for v in col):
                return False, f"p_{j + 1} = N Lambda_{j + 1} + e_y has a negative entry " \
                              "(outside the domain of g*)"
            if sum(col, flint.fmpq(0)) != 1:
                return False, f"p_{j + 1} = N Lambda_{j + 1} + e_y does not sum to 1 " \
                              "(outside the domain of g*)"
    if problem.lambda_b == 0:
        for i in range(K):
            if sum(Lam[i], flint.fmpq(0)) != 0:
                return False, "lambda_b = 0 but Lambda 1_N != 0 (the bound is -inf)"
    if not _norm_below(Lam, _theta(problem)):
        return False, ("||Lambda||_2 < sqrt(lW lH) fails: det(t I - Lambda Lambda^T) shifted to "
                       "t = lW lH + s has a coefficient <= 0")
    return True, "||Lambda||_2 < sqrt(lW lH) and Lambda in the domain of g*, proved exactly"


def conjugate_ball(problem: Problem, Lam: list[list[Any]], prec: int) -> Any:
    """``g*(Lambda)`` as an ``arb`` ball at ``prec`` bits, for an exact rational
    ``Lambda`` in the domain (:func:`prove_dual_feasible` first): MSE
    ``N/2 ||Lambda||_F^2 + <Lambda, Y>`` (exact), CE
    ``(1/N) sum_j sum_i p_ij log p_ij`` (``0 log 0 = 0``; ``arb`` logarithms).

    >>> import flint
    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.5", lambda_H="0.5")
    >>> q = flint.fmpq
    >>> v = conjugate_ball(p, [[q(-1, 4), q(1, 4)], [q(1, 4), q(-1, 4)]], 64)
    >>> abs(float(v.mid()) + 0.6931471805599453) < 1e-15, v.rad() < 1e-18   # -log 2
    (True, True)
    """
    flint = flint_module()
    K, N = problem.K, problem.N
    Y = _labels(problem)
    with flint.ctx.workprec(prec):
        if problem.loss == "mse":
            s = sum((N * Lam[i][j] * Lam[i][j] / 2 + Lam[i][j] * Y[i][j]
                     for i in range(K) for j in range(N)), flint.fmpq(0))
            return flint.arb(s)
        total = flint.arb(0)
        for i in range(K):
            for j in range(N):
                pij = N * Lam[i][j] + Y[i][j]
                if pij != 0:
                    a = flint.arb(pij)
                    total += a * a.log()
        return total / N


def dual_lower_bound(problem: Problem, Lam: list[list[Any]], prec: int
                     ) -> tuple[Any, str]:
    """``(L, reason)``: ``L = -g*(Lambda) - ||Lambda 1_N||^2 / (2 lambda_b)`` (``-g*``
    for ``lambda_b = 0``) as an ``arb`` ball, a lower bound on ``min f``, after
    :func:`prove_dual_feasible` succeeded; ``(None, why)`` when it did not (the dual
    point is refused, never used).

    >>> import flint
    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b=1)
    >>> dual_lower_bound(p, [[flint.fmpq(0)] * 2] * 2, 64)[0] == 0       # L(0) = -g*(0)
    True
    >>> dual_lower_bound(p, [[flint.fmpq(1), 0], [0, 0]], 64)[0] is None
    True
    """
    flint = flint_module()
    ok, why = prove_dual_feasible(problem, Lam)
    if not ok:
        return None, why
    gstar = conjugate_ball(problem, Lam, prec)
    with flint.ctx.workprec(prec):
        L = -gstar
        if problem.lambda_b != 0:
            rr = sum((sum(row, flint.fmpq(0)) ** 2 for row in Lam), flint.fmpq(0))
            L -= flint.arb(rr / (2 * _fmpq_of(problem.lambda_b)))
    return L, why


# ------------------------------------------------------------------ the certificate
@dataclass(frozen=True)
class GlobalGapCertificate:
    """What :func:`certify_global_gap` proved (module docstring).

    ``upper`` (``U``, rounded up): ``f(y) <= U`` for every ``y`` of the box; ``lower``
    (``L``, rounded down): ``min f >= L``; ``gap`` (``U - L``, rounded up): so
    ``0 <= f(y) - min f <= gap`` on the box, in particular at the certified critical
    point ``x*`` when ``about == "critical point"``; ``holds``: ``gap <= tolerance``;
    ``dual_scale``: ``c`` (``1`` when ``grad g`` itself was dual feasible);
    ``box_radius``: each coordinate of the box is the centre ``+-`` it; ``reason``: one
    sentence.  ``lower`` and ``gap`` are ``None`` when the dual point was refused.
    Numbers are ``mpf``.  ``upper_ball`` / ``lower_ball``: the ``arb`` balls.
    """

    holds: bool
    upper: Any
    lower: Any
    gap: Any
    tolerance: Any
    dual_scale: Any
    about: str
    box_radius: Any
    reason: str
    dual_note: str
    dps: int
    seconds: float
    upper_ball: Any = field(default=None, repr=False, compare=False)
    lower_ball: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``U`` and ``L`` to ``dps`` digits (rounded outwards), the gap
        and the tolerance to 3 digits (rounded up), ``c`` to 20 digits (down)."""
        n = self.dps
        with mpmath.workdps(n + 20):
            def s(x: Any, digits: int, up: bool) -> str | None:
                return None if x is None else mpf_str(x, digits, up=up)
            return {"holds": self.holds, "about": self.about, "gap": s(self.gap, 3, True),
                    "upper": s(self.upper, n, True), "lower": s(self.lower, n, False),
                    "tolerance": s(self.tolerance, 3, True),
                    "dual_scale": s(self.dual_scale, 20, False),
                    "box_radius": s(self.box_radius, 3, True), "dual_note": self.dual_note,
                    "reason": self.reason, "seconds": round(self.seconds, 3)}

    def summary(self) -> str:
        """One line for a text report."""
        return self.reason


def _mpf(x: Any, up: bool, dps: int) -> Any:
    """An ``mpf`` bound of the ball ``x`` (rounded outwards) at ``dps + 20`` digits."""
    flint = flint_module()
    with mpmath.workdps(dps + 20), flint.ctx.workprec(mpmath.mp.prec + 10):
        return arb_upper_mpf(x) if up else arb_lower_mpf(x)


def objective_upper(box: BallPoint) -> Any:
    """An upper bound (exact ``arb``) of ``f`` on the box: the smaller of the upper end
    of the ball ``f(box)`` and of the mean-value form
    ``f(m) + sum_i sup |d f / d x_i (box)| rad_i`` (``m`` the box's midpoint; the mean
    value theorem on the segment from ``m``, inside the convex box).  The second is
    tight to second order in the radius, where the plain ball suffers from the
    dependency of ``f`` on each entry through several terms."""
    flint = flint_module()
    with flint.ctx.workprec(box.prec):
        plain = objective(box).upper()
        g = flat_gradient(box)
        mid = box.midpoint()
        mv = objective(mid)
        for i, xi in enumerate(box.flat()):
            r = flint.arb(xi.rad())
            if r != 0:
                mv += g[i, 0].abs_upper() * r
        mv = mv.upper()
        return mv if mv < plain else plain


def gap_on_box(problem: Problem, box: BallPoint, centre: BallPoint, dps: int, about: str,
               box_radius: Any, tolerance: Any = None, t0: float | None = None,
               dual: str = "best") -> GlobalGapCertificate:
    """The certificate for the box ``box`` (``U`` over it, :func:`objective_upper`)
    with the dual point built from ``grad g`` at ``centre`` (both at the same
    precision): what :func:`certify_global_gap` and
    :func:`~ufm_sym.certify.critical.certify_critical_point` call.  ``dual``:
    ``"scaled"`` (the dual point of :mod:`ufm_sym.convex`, for cross-checks) or
    ``"best"`` (also the clipped one of :func:`dual_point`; the larger proved ``L`` is
    kept)."""
    flint = flint_module()
    t0 = time.perf_counter() if t0 is None else t0
    if dual not in ("best", "scaled"):
        raise UFMInputError(f"dual: unknown choice {dual!r} (best, scaled)")
    prec = box.prec
    with flint.ctx.workprec(prec):
        U = objective_upper(box)
        G, _ = grad_g(problem, residual(centre), prec)
    scaled = dual_point(problem, G, prec, "scaled")
    tried = [scaled]
    if dual == "best":
        tried.append(dual_point(problem, G, prec, "clipped"))
    best = L = None
    refusals = []
    for cand in tried:
        Lc, why = dual_lower_bound(problem, cand.Lambda, prec)
        if Lc is None:
            refusals.append(why)
            continue
        with flint.ctx.workprec(prec):
            if L is None or Lc.lower() > L.lower():
                best, L = cand, Lc
    upper = _mpf(U, True, dps)
    c = _mpf(flint.arb(scaled.scale), False, dps)
    with mpmath.workdps(dps + 20):
        scale = max(mpmath.mpf(1), abs(upper))
        tol = (mpmath.mpf(10) ** -(dps - GAP_SLACK_DIGITS) * scale if tolerance is None
               else mpmath.mpf(tolerance))
    common = dict(upper=upper, tolerance=tol, dual_scale=c, about=about, box_radius=box_radius,
                  dps=dps, upper_ball=U)
    if L is None:
        return GlobalGapCertificate(holds=False, lower=None, gap=None, lower_ball=None,
                                    dual_note=scaled.note,
                                    reason=f"refused: the dual point is not proved feasible "
                                           f"({'; '.join(refusals)})",
                                    seconds=time.perf_counter() - t0, **common)
    with flint.ctx.workprec(prec):
        gap_arb = U - L.lower()
    lower = _mpf(L, False, dps)
    gap = _mpf(gap_arb, True, dps)
    where = "f(x*) - min f" if about == "critical point" else "f(x) - min f"
    with mpmath.workdps(dps + 20):
        gs, ts = mpf_str(gap, 3), mpf_str(tol, 3)
        if gap < 0:
            holds = False
            reason = (f"contradiction: the lower bound L exceeds the upper bound U by "
                      f"{mpf_str(-gap, 3, up=False)}, impossible under weak duality (a wrong "
                      f"conjugate or dual point)")
        elif gap <= tol:
            holds = True
            reason = (f"{where} <= {gs} <= tolerance {ts}: a global minimizer to that "
                      f"tolerance (rigorous duality gap: f <= U on the {about}'s box, "
                      f"min f >= L by weak duality at an exact dual point proved feasible)")
        else:
            holds = False
            reason = (f"{where} <= {gs} (rigorous duality gap), above the tolerance {ts}: "
                      f"not certified a global minimizer"
                      + (" (||grad g||_2 >= sqrt(lW lH) at the centre)"
                         if scaled.scale < 1 else ""))
    return GlobalGapCertificate(holds=holds, lower=lower, gap=gap, lower_ball=L, reason=reason,
                                dual_note=best.note, seconds=time.perf_counter() - t0,
                                **common)


def certify_global_gap(problem: Problem, point: Sequence[Any], dps: int = 50,
                       existence: Any = None, *, point_radius: Any = 0,
                       tolerance: Any = None, dual: str = "best") -> GlobalGapCertificate:
    """The rigorous duality gap at ``point = (W, H, b)`` (module docstring).

    ``existence``: an :class:`~ufm_sym.certify.existence.ExistenceCertificate` from
    :func:`~ufm_sym.certify.critical.certify_critical_point` for the *same* point,
    ``dps`` and ``point_radius``: when it is certified the box is its centre
    ``+- radius_inf`` (it contains the true critical point ``x*``, and the gap bounds
    ``f(x*) - min f``); a certificate about another centre raises
    :class:`~ufm_sym.model.UFMInputError`.  Without one (or when it is not certified)
    the box is the point's own ball (``point_radius`` wide) and the gap bounds
    ``f(x) - min f`` for every ``x`` in it.  ``tolerance`` (default
    ``10^-(dps - 10) * max(1, |U|)``) decides ``holds``.  ``dual``: ``"best"`` or
    ``"scaled"`` (:func:`gap_on_box`).

    **Cost**: one evaluation of ``f`` over the box and of ``grad g`` at its centre in
    ``arb`` at ``precision_bits(dps)``, ``g*`` at one point, a ``K x K`` exact
    ``L D L^T`` per tried scale: milliseconds at ``K <= 5``, about 0.1 s at
    ``K = d = 8, n = 4`` (``benchmarks/bench_certify.py``).
    """
    from ufm_sym.certify.critical import precision_bits
    from ufm_sym.precision import check_dps

    t0 = time.perf_counter()
    dps = check_dps(dps)
    hi = precision_bits(dps)
    x = ball_point(problem, point, hi, radius=point_radius)
    centre = x.midpoint()
    if existence is not None and existence.certified:
        ec = getattr(existence, "centre", None)
        if ec is None or ec.prec != hi or any(
                a.mid().man_exp() != b.mid().man_exp()
                for a, b in zip(ec.flat(), centre.flat(), strict=True)):
            raise UFMInputError("existence: the certificate is about another point (its "
                                "centre differs from this point's at this dps)")
        flint = flint_module()
        box = centre.widened(flint.arb(mpmath.mpf(existence.radius_inf)))
        return gap_on_box(problem, box, centre, dps, "critical point", existence.radius_inf,
                          tolerance, t0, dual)
    rad = x.max_radius()
    return gap_on_box(problem, x, centre, dps, "point", _mpf(rad, True, dps), tolerance, t0,
                      dual)
