"""Bounds on ``rank W`` and ``rank H`` at a certified critical point.

What ball arithmetic can prove, and what it cannot:

- a **lower** bound: if the ``r``-th largest eigenvalue of ``W^T W`` is ``>= s^2 > 0``
  for every ``W`` of a ball (Sylvester counts below ``s^2``, :func:`~.inertia.count_below`),
  then ``rank W >= r`` at every point of the ball, so at the critical point ``x*``
  inside it;
- an **upper** bound cannot come from balls alone: a ball around a matrix of rank
  ``r < min(K, d)`` always contains matrices of full rank, so "``W`` has a nontrivial
  left null vector" is not a statement that enclosures can prove.  It comes from
  algebra at the *exact* critical point whose existence is certified: for CE,
  ``1_K^T grad g(R) = 0`` (each column of ``softmax(R) - Y`` sums to 0), so
  ``1_K^T (d f/dW) = 1_K^T G H^T + lW 1_K^T W = lW 1_K^T W``, and ``d f/dW = 0`` at
  ``x*`` gives ``1_K^T W(x*) = 0``: ``rank W(x*) <= K - 1`` (Lemma 3.1's argument).
  Otherwise only ``rank W <= min(K, d)``.

So at a certified CE point whose ``K - 1`` singular values are bounded away from zero
on the ball, ``rank W(x*) = K - 1`` exactly; the balance (3.4)
``lW W^T W = lH H H^T`` at ``x*`` gives ``rank H(x*) = rank W(x*)``.

>>> from ufm_sym import Problem
>>> from ufm_sym.closed_form import global_minimizer
>>> from ufm_sym.certify.balls import ball_point
>>> p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> r = rank_bounds(p, ball_point(p, global_minimizer(p, dps=40), prec=128, radius="1e-30"))
>>> r.W_lower, r.W_upper, r.W_exact, r.H_lower, r.ones_W < 1e-29
(2, 2, 2, 2, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from ufm_sym.certify.balls import BallPoint
from ufm_sym.certify.flint_util import arb_lower_mpf, arb_upper_mpf, flint_module, mpf_str
from ufm_sym.certify.inertia import count_below
from ufm_sym.model import Problem

__all__ = ["RANK_TOL", "RankCertificate", "rank_bounds"]

RANK_TOL = 1e-10
"""Eigenvalues of the float64 ``W^T W`` below ``RANK_TOL * max(1, largest)`` are not
tried as nonzero (the lower bound is then proved for the others)."""


@dataclass(frozen=True)
class RankCertificate:
    """``W_lower <= rank W(x) `` on the whole ball (ball arithmetic; ``None``: no
    bound proved), ``W_upper >= rank W(x*)`` at the exact critical point
    (``upper_reason`` says why), ``H_lower`` likewise for ``H``, and ``sigma_W``: the
    ``W_lower``-th singular value of ``W`` is ``>= sigma_W`` on the ball.  For CE,
    ``ones_W``: an upper bound of ``||1_K^T W(x)||_2`` on the ball (a consistency check
    of the identity ``1_K^T W(x*) = 0``: it is ``None`` if a ball of ``1_K^T W`` misses
    0, which would refute the identity at ``x*``)."""

    W_lower: int | None
    W_upper: int
    upper_reason: str
    H_lower: int | None
    sigma_W: Any
    reason: str
    ones_W: Any = None

    @property
    def W_exact(self) -> int | None:
        """``rank W(x*)`` when the two bounds meet, else ``None``."""
        return self.W_upper if self.W_lower == self.W_upper else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"W_lower": self.W_lower, "W_upper": self.W_upper, "W_exact": self.W_exact,
                "H_lower": self.H_lower, "upper_reason": self.upper_reason,
                "sigma_W_lower": None if self.sigma_W is None else mpf_str(self.sigma_W, 6,
                                                                             up=False),
                "ones_W_upper": None if self.ones_W is None else mpf_str(self.ones_W, 3),
                "reason": self.reason}


def _rank_lower(M: Any, prec: int) -> tuple[int | None, Any]:
    """``(r, s^2)``: the Gram matrix ``M`` (ball) has ``r`` eigenvalues ``>= s^2 > 0``."""
    flint = flint_module()
    m = M.nrows()
    with flint.ctx.workprec(prec):
        Mf = np.array([[float(x) for x in row] for row in M.mid().tolist()])
    e = np.linalg.eigvalsh((Mf + Mf.T) / 2)
    top = float(e[-1]) if m else 0.0
    big = [float(x) for x in e if x > RANK_TOL * max(1.0, top)]
    if not big:
        return 0, None
    s2 = min(big) / 2
    counts, _ = count_below(M, [s2], prec)
    if counts is None:
        return None, None
    return m - counts[0], s2


def rank_bounds(problem: Problem, box: BallPoint) -> RankCertificate:
    """Rank bounds for the critical point certified inside ``box`` (module docstring)."""
    flint = flint_module()
    K, d = problem.K, problem.d
    with flint.ctx.workprec(box.prec):
        WtW = box.W.transpose() * box.W
        HHt = box.H * box.H.transpose()
    w_lo, s2 = _rank_lower(WtW, box.prec)
    h_lo, _ = _rank_lower(HHt, box.prec)
    ones_w = None
    if problem.loss == "ce":
        with flint.ctx.workprec(box.prec):
            row = flint.arb_mat(1, K, [1] * K) * box.W
            entries = [row[0, c] for c in range(d)]
            if all(e.contains(0) for e in entries):
                with mpmath.workdps(30):
                    ones_w = arb_upper_mpf(sum((e.abs_upper() ** 2 for e in entries),
                                               flint.arb(0)).sqrt())
    if problem.loss == "ce" and K - 1 < min(K, d):
        up, why = K - 1, ("1_K^T W(x*) = 0 at the exact critical point (1_K^T grad g = 0 for "
                          "CE and d f/dW = G H^T + lW W = 0), so rank W(x*) <= K - 1")
    else:
        up, why = min(K, d), "rank W <= min(K, d)"
    sigma = None
    if s2 is not None:
        with mpmath.workdps(30):
            sigma = arb_lower_mpf(flint.arb(s2).sqrt())
    if w_lo is None:
        reason = "no lower bound: a Gershgorin interval of W^T W touches the threshold"
    elif w_lo == up:
        reason = (f"rank W(x*) = {up}: {w_lo} singular values of W are >= "
                  f"{mpf_str(sigma, 3, up=False)} on the ball, and {why}")
    else:
        reason = f"{w_lo} <= rank W(x*) <= {up} ({why})"
    return RankCertificate(W_lower=w_lo, W_upper=up, upper_reason=why, H_lower=h_lo,
                           sigma_W=sigma, reason=reason, ones_W=ones_w)
