"""Dual feasibility ``||grad g(R)||_2 <= sqrt(lW lH)`` (Prop. 4.1 / [13, Lemma C.4]) at a
certified critical point, in ball arithmetic.

With ``G = grad g(R)`` enclosed over the certified ball and ``theta = lW lH``, the
eigenvalues of the ``K x K`` matrix ``M = G G^T`` are counted below thresholds by
Sylvester's law and Gershgorin discs (:func:`~.inertia.count_below`), for every
matrix of the ball at once.  Three outcomes:

- **fails**: ``lambda_max(M) > theta + eps`` on the ball, so
  ``||G(x*)||_2 > sqrt(theta)`` (a strict saddle's certificate);
- **holds strictly**: ``lambda_max(M) < theta - delta`` on the ball (the zero regime);
- **holds with equality**: ``m`` eigenvalues lie in ``(theta - delta, theta + eps)``
  and the others below ``theta - delta``.  Balls alone cannot show ``<=`` here (the
  top singular value *equals* ``sqrt(theta)`` at a global minimizer with ``W != 0``);
  the algebra at the exact critical point does: from ``d f/dW = G H^T + lW W = 0`` and
  ``d f/dH = W^T G + lH H = 0``, ``G G^T W = -lH G H^T = lW lH W``, so ``theta`` is an
  eigenvalue of ``M(x*)`` of multiplicity ``>= rank W(x*)``.  When the certified
  lower bound ``rank W(x*) >= m`` (:mod:`.rank`) holds, the ``m`` eigenvalues in the
  window are all ``theta``, the rest are below, and ``||G(x*)||_2 = sqrt(theta)``
  exactly.  If ``rank W(x*) >= m`` is not proved, the answer is "undecided".

>>> from ufm_sym import Problem
>>> from ufm_sym.closed_form import global_minimizer
>>> from ufm_sym.certify.balls import ball_point
>>> p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> box = ball_point(p, global_minimizer(p, dps=40), prec=128, radius="1e-30")
>>> dual_feasibility(p, box, rank_W_lower=2).outcome
'equality'
>>> dual_feasibility(p, box, rank_W_lower=1).holds is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from ufm_sym.certify.balls import BallPoint, ball_lambdas, grad_g, residual
from ufm_sym.certify.flint_util import arb_lower_mpf, arb_upper_mpf, flint_module, mpf_str
from ufm_sym.certify.inertia import count_below
from ufm_sym.model import Problem

__all__ = ["CLUSTER_TOL", "DualCertificate", "dual_feasibility"]

CLUSTER_TOL = 1e-8
"""Float64 eigenvalues of ``G G^T`` more than ``CLUSTER_TOL * theta`` above (below)
``theta`` are tried as above (below) it, the others as the cluster at ``theta``."""


@dataclass(frozen=True)
class DualCertificate:
    """``holds``: ``||grad g(R(x*))||_2 <= sqrt(lW lH)`` proved (``True``), disproved
    (``False``) or undecided (``None``); ``outcome``: ``"strict"``, ``"equality"``,
    ``"fails"`` or ``"undecided"``; ``norm_upper`` / ``norm_lower``: bounds on
    ``||G(x)||_2`` valid on the whole ball (``None`` when not proved);
    ``threshold``: ``sqrt(lW lH)``; ``reason``: one sentence."""

    holds: bool | None
    outcome: str
    norm_upper: Any
    norm_lower: Any
    threshold: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        def s(x: Any, up: bool) -> str | None:
            return None if x is None else mpf_str(x, 12, up=up)
        return {"holds": self.holds, "outcome": self.outcome,
                "norm_upper": s(self.norm_upper, True), "norm_lower": s(self.norm_lower, False),
                "threshold": mpmath.nstr(self.threshold, 12), "reason": self.reason}


def dual_feasibility(problem: Problem, box: BallPoint, rank_W_lower: int | None
                     ) -> DualCertificate:
    """The dual-feasibility certificate on ``box`` (a ball containing the certified
    critical point); ``rank_W_lower``: a proved lower bound on ``rank W`` there
    (:func:`~ufm_sym.certify.rank.rank_bounds`)."""
    flint = flint_module()
    K = problem.K
    with flint.ctx.workprec(box.prec):
        lw, lh, _ = ball_lambdas(problem)
        theta = lw * lh
        G, _ = grad_g(problem, residual(box), box.prec)
        M = G * G.transpose()
        Mf = np.array([[float(x) for x in row] for row in M.mid().tolist()])
        th = float(theta.mid())
    with mpmath.workdps(30):
        thr = mpmath.sqrt(mpmath.mpf(int(problem.lambda_W.p) * int(problem.lambda_H.p))
                          / (int(problem.lambda_W.q) * int(problem.lambda_H.q)))
    e = np.linalg.eigvalsh((Mf + Mf.T) / 2)
    above = [float(x) for x in e if x > th * (1 + CLUSTER_TOL)]
    below = [float(x) for x in e if x < th * (1 - CLUSTER_TOL)]

    def bound(x: Any, up: bool) -> Any:
        with mpmath.workdps(30):
            v = flint.arb(x).sqrt()
            return arb_upper_mpf(v) if up else arb_lower_mpf(v)

    if above:
        eps = (max(above) - th) / 2
        with flint.ctx.workprec(box.prec):
            mu = theta + eps
        counts, why = count_below(M, [mu], box.prec)
        if counts is not None and counts[0] < K:
            low = bound(mu.lower(), up=False)
            return DualCertificate(False, "fails", None, low, thr,
                                   f"||grad g(R)||_2 >= {mpf_str(low, 10, up=False)} > "
                                   f"sqrt(lW lH) = "
                                   f"{mpmath.nstr(thr, 10)} on the whole ball")
        return DualCertificate(None, "undecided", None, None, thr,
                               f"not certified: {why}")
    delta = (th - max(below)) / 2 if below else th / 2
    with flint.ctx.workprec(box.prec):
        lo_mu, hi_mu = theta - delta, theta + delta
    counts, why = count_below(M, [lo_mu, hi_mu], box.prec)
    if counts is None or counts[1] != K:
        return DualCertificate(None, "undecided", None, None, thr, f"not certified: {why}")
    upper = bound(hi_mu.upper(), up=True)
    m = K - counts[0]
    if m == 0:
        up = bound(lo_mu.upper(), up=True)
        return DualCertificate(True, "strict", up, None, thr,
                               f"||grad g(R)||_2 <= {mpf_str(up, 10)} < sqrt(lW lH) = "
                               f"{mpmath.nstr(thr, 10)} on the whole ball")
    if rank_W_lower is not None and rank_W_lower >= m:
        return DualCertificate(True, "equality", upper, None, thr,
                               f"||grad g(R(x*))||_2 = sqrt(lW lH) exactly: {m} eigenvalue(s) "
                               f"of G G^T lie within {delta:.3g} of lW lH, the rest below, and "
                               f"G G^T W = lW lH W at x* with rank W(x*) >= {rank_W_lower}")
    return DualCertificate(None, "undecided", upper, None, thr,
                           f"undecided: {m} eigenvalue(s) of G G^T lie within {delta:.3g} of "
                           f"lW lH but rank W(x*) >= {m} is not proved "
                           f"(proved: {rank_W_lower})")
