r"""The per-point global certificate: a duality gap from the convex relaxation.

At a point ``x = (W, H, b)`` with ``R = W H + b 1^T``, ``G = grad g(R)``, ``Z = W H`` and
``tau = sqrt(lambda_W lambda_H)``:

1. **dual feasibility**: ``||G||_2 <= tau`` (reported as the excess ``||G||_2 - tau``);
2. **alignment**: ``<-G, Z> = tau ||Z||_*`` (reported as ``tau ||Z||_* - <-G, Z>``);
3. **duality gap** ``f(x) - L``, where ``L`` is a *valid lower bound on min f* from
   Fenchel weak duality.  For every dual ``Lambda`` with ``||Lambda||_2 <= tau`` and every
   ``(Z', b')``,

       F(Z', b') >= <Lambda, Z' + b' 1^T> - g*(Lambda) + tau ||Z'||_* + lb/2 ||b'||^2
                >= -g*(Lambda) - ||Lambda 1_N||^2 / (2 lb)  =:  L(Lambda)

   (``<Lambda, Z'> >= -||Lambda||_2 ||Z'||_*``; the minimum over ``b'``; for ``lb = 0`` the
   bound needs ``Lambda 1_N = 0`` and is ``-g*(Lambda)``), and ``f(W, H, b) >= F(W H, b)``.
   The dual point is ``Lambda = c G`` with ``c = min(1, tau / ||G||_2)`` (for ``lb = 0``
   first projected to ``Lambda 1_N = 0``), so it is always dual feasible: for CE,
   ``N c G_j + e_{y_j} = c softmax(r_j) + (1 - c) e_{y_j}`` stays in the simplex.

So ``f(x) - f* <= f(x) - L``: a gap within the tolerance certifies that ``x`` is a
global minimizer to that tolerance, for any ``d`` (the bound never assumes ``d = K``).
At a critical point with ``||G||_2 <= tau`` the gap is zero in exact arithmetic
(Fenchel-Young holds with equality at ``Lambda = G``, the alignment is the balance of
the critical point, and ``G 1 = -lb b``).

The tolerance of every decision is ``10^-(D - 10) * scale``, ``D`` the digits the point
is judged at (``dps`` by default) and ``scale = max(1, |f(x)|, tau ||Z||_*)``.

>>> from ufm_sym import Problem
>>> from ufm_sym.closed_form import global_minimizer
>>> p = Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> c = global_certificate(p, global_minimizer(p, dps=50), dps=50)
>>> c.holds, c.duality_gap < mpmath.mpf(10) ** -45
(True, True)
>>> o = global_certificate(p, ([[0] * 3] * 3, [[0] * 6] * 3, [0] * 3), dps=50)
>>> o.holds, o.violated
(False, ('dual feasibility', 'duality gap'))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mpmath

from ufm_sym.highprec.evaluate import (
    Point,
    grad_g,
    objective,
    residual_R,
    to_mp_point,
    working_precision,
)
from ufm_sym.highprec.linalg import spectral_norm
from ufm_sym.model import Problem, UFMInputError

from .relaxation import (
    conjugate,
    conjugate_domain_violation,
    labels_matrix,
    nuclear_norm,
    relaxed_objective,
    threshold,
)

__all__ = ["SLACK_DIGITS", "DualPoint", "GlobalCertificate", "dual_lower_bound",
           "feasible_dual", "global_certificate"]

SLACK_DIGITS = 10
"""Digits of slack between the judged digits ``D`` and the certificate's tolerance."""


@dataclass(frozen=True)
class DualPoint:
    """A dual feasible ``Lambda``: ``scale`` is ``c`` in ``Lambda = c G`` (``< 1`` when
    ``||G||_2 > tau``), ``mixed`` the weight ``t`` of the origin's gradient mixed in for
    CE with ``lb = 0`` when the projection left the simplex (``0`` otherwise), ``note``
    what was done."""

    Lambda: mpmath.matrix
    scale: Any
    mixed: Any
    note: str


def _row_sums(M: mpmath.matrix) -> mpmath.matrix:
    return mpmath.matrix([mpmath.fsum(M[i, j] for j in range(M.cols)) for i in range(M.rows)])


def _spectral(M: mpmath.matrix) -> Any:
    return spectral_norm(M)


def feasible_dual(problem: Problem, G: Any, dps: int | None = None) -> DualPoint:
    """``Lambda = c G``, ``c = min(1, tau/||G||_2)``; for ``lb = 0`` ``G`` is first
    projected onto ``Lambda 1_N = 0`` (``G - (G 1_N) 1_N^T / N``), and for CE, if that
    leaves the domain of ``g*``, mixed with the origin's gradient
    ``(1_K 1_N^T / K - Y)/N`` (which has ``Lambda 1_N = 0`` and columns inside the simplex)
    by the least weight that returns it to the domain.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> d = feasible_dual(p, mpmath.matrix([[1, 0], [0, 1]]), dps=20)
    >>> d.scale, d.Lambda[0, 0], d.Lambda[0, 1]
    (mpf('0.1'), mpf('0.05'), mpf('-0.05'))
    """
    with working_precision(dps):
        G = mpmath.matrix(G)
        K, N = problem.K, problem.N
        _, _, lb = problem.mp_lambdas()
        tau = threshold(problem)
        Lam = G.copy()
        notes = []
        t = mpmath.mpf(0)
        if lb == 0:
            Lam = Lam - _row_sums(Lam) * mpmath.ones(1, N) / N
            notes.append("projected to Lambda 1_N = 0 (lambda_b = 0)")
            rounding = mpmath.mpf(10) ** (-(mpmath.mp.dps - 5))
            if problem.loss == "ce" and conjugate_domain_violation(problem, Lam) > rounding:
                Y = labels_matrix(problem)
                L0 = (mpmath.ones(K, N) / K - Y) / N
                # N Lambda_j + e_y = q_j sums to 1; mix until every entry is >= 0
                for i in range(K):
                    for j in range(N):
                        q = N * Lam[i, j] + Y[i, j]
                        if q < 0:
                            t = max(t, -q / (mpmath.mpf(1) / K - q))
                Lam = Lam * (1 - t) + L0 * t
                notes.append(f"mixed with the origin's gradient, weight {mpmath.nstr(t, 5)}")
        s = _spectral(Lam)
        c = mpmath.mpf(1) if s <= tau else tau / s
        if c < 1:
            Lam = Lam * c
            notes.append(f"scaled by c = tau/||Lambda||_2 = {mpmath.nstr(c, 10)}")
        return DualPoint(Lambda=Lam, scale=c, mixed=t,
                         note="; ".join(notes) if notes else "Lambda = grad g(R)")


def dual_lower_bound(problem: Problem, Lam: Any, dps: int | None = None,
                     tol: Any = None) -> Any:
    """``L(Lambda) = -g*(Lambda) - ||Lambda 1_N||^2 / (2 lb)`` (``lb > 0``), or
    ``-g*(Lambda)`` (``lb = 0``, when ``||Lambda 1_N|| <= tol``, else ``-inf``): a lower
    bound on ``min F`` and hence on ``min f``, valid when ``||Lambda||_2 <= tau`` (checked:
    ``-inf`` otherwise, beyond ``tol``; default ``tol = 10^-(dps - 5) max(1, ||Lambda||_F)``).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b=1)
    >>> dual_lower_bound(p, mpmath.zeros(2, 2), dps=20)          # L(0) = -g*(0) = 0
    mpf('0.0')
    >>> dual_lower_bound(p, mpmath.eye(2), dps=20)               # ||Lambda||_2 = 1 > tau
    mpf('-inf')
    """
    with working_precision(dps):
        Lam = mpmath.matrix(Lam)
        _, _, lb = problem.mp_lambdas()
        if tol is None:
            tol = mpmath.mpf(10) ** (-(mpmath.mp.dps - 5)) * max(1, mpmath.mnorm(Lam, "f"))
        if _spectral(Lam) - threshold(problem) > tol:
            return -mpmath.inf
        gstar = conjugate(problem, Lam, tol=tol)
        if gstar == mpmath.inf:
            return -mpmath.inf
        row = _row_sums(Lam)
        rr = mpmath.fsum(x ** 2 for x in row)
        if lb == 0:
            return -gstar if mpmath.sqrt(rr) <= tol else -mpmath.inf
        return -gstar - rr / (2 * lb)


@dataclass(frozen=True)
class GlobalCertificate:
    """The outcome of :func:`global_certificate` (module docstring).

    ``holds`` is true when the dual feasibility excess, the alignment residual and the
    duality gap are all within ``tolerance``; ``violated`` names the ones that are not.
    """

    holds: bool
    violated: tuple[str, ...]
    reason: str
    objective: Any
    relaxed_value: Any
    lower_bound: Any
    duality_gap: Any
    grad_g_norm: Any
    threshold: Any
    dual_feasibility: Any
    alignment: Any
    tolerance: Any
    digits: int
    dps: int
    dual: DualPoint = field(repr=False)

    @property
    def gap_digits(self) -> float | None:
        """``-log10(gap / scale)`` (``None`` when the gap is infinite)."""
        if not mpmath.isfinite(self.duality_gap):
            return None
        scale = self.tolerance * mpmath.mpf(10) ** (self.digits - SLACK_DIGITS)
        g = abs(self.duality_gap)
        return float(self.dps) if g == 0 else round(float(-mpmath.log10(g / scale)), 1)

    def to_json(self, digits: int = 10) -> dict[str, Any]:
        """JSON-ready: every number a decimal string."""
        with mpmath.workdps(self.dps):
            s = lambda x, n=digits: mpmath.nstr(x, n)  # noqa: E731
            return {
                "holds": self.holds, "violated": list(self.violated), "reason": self.reason,
                "duality_gap": s(self.duality_gap), "gap_digits": self.gap_digits,
                "dual_feasibility": s(self.dual_feasibility), "alignment": s(self.alignment),
                "tolerance": s(self.tolerance, 6), "lower_bound": s(self.lower_bound, self.dps),
                "objective_minus_relaxed": s(self.objective - self.relaxed_value),
                "grad_g_norm": s(self.grad_g_norm, self.dps),
                "threshold": s(self.threshold, self.dps),
                "dual_scale": s(self.dual.scale, self.dps), "dual_note": self.dual.note,
                "digits": self.digits, "dps": self.dps,
            }

    def summary(self) -> str:
        """One line for the text report."""
        with mpmath.workdps(self.dps):
            return (f"{'holds' if self.holds else 'fails'}: duality gap "
                    f"{mpmath.nstr(self.duality_gap, 3)}, ||grad g||_2 - sqrt(lW lH) = "
                    f"{mpmath.nstr(self.dual_feasibility, 3)}, alignment "
                    f"{mpmath.nstr(self.alignment, 3)} (tolerance "
                    f"{mpmath.nstr(self.tolerance, 3)})")


def _as_point(problem: Problem, point: Any, dps: int) -> Point:
    if not (isinstance(point, (tuple, list)) and len(point) == 3):
        raise UFMInputError("point: expected a tuple (W, H, b)")
    return to_mp_point(problem, *point, dps=dps)


def global_certificate(problem: Problem, point: Any, dps: int = 50,
                       digits: int | None = None) -> GlobalCertificate:
    """The certificate at ``point = (W, H, b)`` (module docstring), computed at ``dps``
    and judged at ``digits`` (default ``dps``; e.g. classify's judged digits ``D``).

    Costs one SVD of ``G`` (``K x N``), one of ``Z = W H`` and one evaluation of ``f``:
    milliseconds at ``K <= 5`` and ``dps = 50``.
    """
    D = dps if digits is None else min(int(digits), dps)
    with working_precision(dps):
        x = _as_point(problem, point, dps)
        W, H, b = x
        f = objective(problem, x)
        R = residual_R(problem, x)
        G = grad_g(problem, R)
        Z = W * H
        tau = threshold(problem)
        nuc = nuclear_norm(Z)
        gnorm = _spectral(G)
        inner = mpmath.fsum(G[i, j] * Z[i, j] for i in range(Z.rows) for j in range(Z.cols))
        alignment = tau * nuc + inner                  # tau ||Z||_* - <-G, Z>
        relaxed = relaxed_objective(problem, Z, b)
        dual = feasible_dual(problem, G)
        L = dual_lower_bound(problem, dual.Lambda)
        gap = f - L
        scale = max(mpmath.mpf(1), abs(f), tau * nuc)
        tol = mpmath.mpf(10) ** (-(D - SLACK_DIGITS)) * scale
        excess = gnorm - tau
        checks = [
            ("dual feasibility", excess <= tol,
             f"||grad g(R)||_2 - sqrt(lW lH) = {mpmath.nstr(excess, 5)}"),
            ("alignment", abs(alignment) <= tol,
             f"sqrt(lW lH) ||WH||_* - <-grad g(R), WH> = {mpmath.nstr(alignment, 5)}"),
            ("duality gap", mpmath.isfinite(gap) and abs(gap) <= tol,
             f"f(x) - L = {mpmath.nstr(gap, 5)}"),
        ]
        violated = tuple(name for name, ok, _ in checks if not ok)
        t = mpmath.nstr(tol, 3)
        if not violated:
            reason = (f"global minimizer to {t}: duality gap f(x) - L = {mpmath.nstr(gap, 3)} "
                      f"<= {t} (L the Fenchel dual bound at Lambda = c grad g(R), c = "
                      f"{mpmath.nstr(dual.scale, 5)}); ||grad g(R)||_2 <= sqrt(lW lH) and "
                      f"<-grad g(R), WH> = sqrt(lW lH) ||WH||_* to {t}")
        else:
            reason = "; ".join(f"{name} fails: {text} > {t}" if name != "alignment"
                               else f"{name} fails: |{text.split(' = ')[0]}| = "
                               f"{mpmath.nstr(abs(alignment), 5)} > {t}"
                               for name, ok, text in checks if not ok)
            if gap < -tol:
                reason += ("; the lower bound exceeds f(x) beyond the tolerance: the point or "
                           "the precision is not what it claims")
        return GlobalCertificate(
            holds=not violated, violated=violated, reason=reason, objective=f,
            relaxed_value=relaxed, lower_bound=L, duality_gap=gap, grad_g_norm=gnorm,
            threshold=tau, dual_feasibility=excess, alignment=alignment, tolerance=tol,
            digits=D, dps=dps, dual=dual)
