"""The negative-curvature direction (3.10) / (4.36) at a critical point that is not a
global minimizer, and its predicted curvature ``-2 sigma + 2 sqrt(lambda_W lambda_H)``.

    Delta = ((lH/lW)^{1/4} u a^T, -(lW/lH)^{1/4} a v^T, 0),   W a = 0,  H^T a = 0, |a| = 1

* CE (3.10): ``(u, v)`` is the top singular pair of ``grad g(R)``; ``a`` a unit null
  vector of ``W`` (it exists for ``d = K`` by Lemma 3.1) and, by balance, of ``H^T``.
* MSE (4.36): rotate by the right singular vectors ``V`` of ``W`` (Prop. 4.3), so that
  ``W V`` has orthogonal columns and zeros after the first ``r``; ``a = V e_{r+1}``;
  ``(u, v)`` is a singular pair of ``grad g`` with ``sigma > sqrt(lW lH)`` orthogonal to
  the pairs ``W`` covers (the top pair of ``(I - P_W) grad g``).

Then ``Delta_W H + W Delta_H = 0``, ``Delta_W Delta_H = -u v^T`` and the bilinear form
(3.9)/(4.18) along ``Delta`` is ``-2 u^T grad g v + 2 sqrt(lW lH) = -2 sigma + 2 sqrt(lW lH)``.

>>> import numpy as np
>>> from ufm_sym import Problem
>>> p = Problem("mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b=0)
>>> x = (np.zeros((3, 3)), np.zeros((3, 6)), np.full(3, 1 / 3))
>>> e = escape_direction(p, x)
>>> round(e.sigma, 6), round(e.predicted, 6), round(e.curvature, 6)
(0.235702, -0.451405, -0.451405)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ufm_sym.model import Problem, UFMInputError
from ufm_sym.numeric.kernels import (
    Spec,
    bilinear_state,
    grad_g,
    logits,
    objective,
    point_state,
)

Point = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class EscapeDirection:
    """The direction ``Delta`` and the numbers that the paper predicts for it."""

    direction: Point
    a: np.ndarray
    u: np.ndarray
    v: np.ndarray
    sigma: float            # u^T grad g v
    threshold: float        # sqrt(lambda_W lambda_H)
    predicted: float        # -2 sigma + 2 sqrt(lW lH)
    curvature: float        # Hess f[Delta, Delta], from (3.9)/(4.18)
    null_residual: float    # max(||W a||, ||H^T a||)
    first_order_residual: float  # ||Delta_W H + W Delta_H||_F (4.37)
    rank: int               # rank of W used for the choice of a
    rotated_curvature: float | None = None  # same form at (W V, V^T H, b), Prop. 4.3

    @property
    def curvature_error(self) -> float:
        return abs(self.curvature - self.predicted)


def numerical_rank(s: np.ndarray, scale: float | None = None, rtol: float = 1e-8) -> int:
    """Number of singular values above ``rtol * max(1, scale)``."""
    if s.size == 0:
        return 0
    ref = max(1.0, float(s[0]) if scale is None else scale)
    return int(np.sum(s > rtol * ref))


def escape_direction(problem: Problem, point: Sequence[np.ndarray], *,
                     rank_rtol: float = 1e-8) -> EscapeDirection:
    """The paper's escape direction at ``point`` (NumPy, float64).

    Raises :class:`UFMInputError` if ``W`` has no null vector (``rank W = d``; then the
    point is a global minimizer by Case 1 of Theorem 1.2 if it is critical).
    """
    W, H, b = (np.asarray(x, dtype=np.float64) for x in point)
    spec = Spec.from_problem(problem)
    lw, lh, _ = problem.float_lambdas()
    thr = math.sqrt(lw * lh)
    G = grad_g(spec, logits(W, H, b))
    UW, sW, VWt = np.linalg.svd(W, full_matrices=True)
    r = numerical_rank(sW, rtol=rank_rtol)
    d = problem.d
    if problem.loss == "ce":
        # a: unit null vector of [W; H^T] (the right singular vector of the stacked matrix
        # with the smallest singular value; by Lemma 3.1 it exists for d = K)
        stacked = np.vstack([W, H.T])
        a = np.linalg.svd(stacked, full_matrices=stacked.shape[0] < d)[2][-1]
        Ug, sg, Vgt = np.linalg.svd(G, full_matrices=False)
        u, v, sigma = Ug[:, 0], Vgt[0], float(sg[0])
    else:
        if r >= d:
            raise UFMInputError(
                f"point: W has full rank {r} = d, so no unit a with W a = 0 exists "
                "(Case 1 of Theorem 1.2)"
            )
        a = VWt[r]  # V e_{r+1}: Prop. 4.3 rotation
        Ur = UW[:, :r]
        Gp = G - Ur @ (Ur.T @ G)  # the singular pairs W does not cover
        Ug, sg, Vgt = np.linalg.svd(Gp, full_matrices=False)
        u, v = Ug[:, 0], Vgt[0]
        sigma = float(u @ G @ v)
    cW, cH = (lh / lw) ** 0.25, (lw / lh) ** 0.25
    dW = cW * np.outer(u, a)
    dH = -cH * np.outer(a, v)
    db = np.zeros(problem.K)
    st = point_state(spec, W, H, b)
    curv = float(bilinear_state(st, dW, dH, db))
    rotated = None
    if problem.loss == "mse":
        Vfull = VWt.T
        xr = (W @ Vfull, Vfull.T @ H, b)
        dr = (dW @ Vfull, Vfull.T @ dH, db)
        rotated = float(bilinear_state(point_state(spec, *xr), *dr))
    return EscapeDirection(
        direction=(dW, dH, db), a=a, u=u, v=v, sigma=sigma, threshold=thr,
        predicted=predicted_curvature(sigma, thr), curvature=curv,
        null_residual=float(max(np.linalg.norm(W @ a), np.linalg.norm(H.T @ a))),
        first_order_residual=float(np.linalg.norm(dW @ H + W @ dH)), rank=r,
        rotated_curvature=rotated,
    )


def predicted_curvature(sigma: float, threshold: float) -> float:
    """The paper's value ``-2 sigma + 2 sqrt(lambda_W lambda_H)`` ((3.11), end of Sec. 4)."""
    return -2.0 * sigma + 2.0 * threshold


def curvature_matches(measured: float, predicted: float, tol: float) -> bool:
    """``|measured - predicted| <= tol * max(1, |predicted|)`` (the stated float64 check).

    >>> curvature_matches(-0.4514, -0.4514, 1e-9)
    True
    >>> curvature_matches(-0.4514, 0.4514, 1e-9)          # a flipped sign is caught
    False
    """
    return abs(measured - predicted) <= tol * max(1.0, abs(predicted))


def finite_difference_curvature(problem: Problem, point: Sequence[np.ndarray],
                                direction: Sequence[np.ndarray], step: float = 1e-4) -> float:
    """``[f(x + t D) - 2 f(x) + f(x - t D)] / t^2`` (error ~ ``t^2`` plus ``eps f / t^2``)."""
    spec = Spec.from_problem(problem)
    f = [float(objective(spec, *[x + s * dx for x, dx in zip(point, direction, strict=True)]))
         for s in (step, 0.0, -step)]
    return (f[0] - 2 * f[1] + f[2]) / step ** 2
