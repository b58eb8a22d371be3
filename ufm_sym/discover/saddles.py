"""Critical points of any index: Levenberg-Marquardt on ``grad f = 0``, minimisation of
``||grad f||^2 / 2``, and deflation so that a found orbit is not found again.

**Levenberg-Marquardt** (:func:`lm_root`).  The Jacobian of ``grad f`` is the Hessian
``A`` (symmetric, singular along the symmetry orbit), so the step solves
``(A^2 + mu I) s = -A g`` (Fan and Yuan's choice ``mu = theta ||g||``; ``theta``
shrinks after a successful step and grows tenfold after a failed one).  In the
eigenbasis of ``A`` the step is ``-l / (l^2 + mu)`` times ``g``'s component: the orbit
directions (``l = 0``) are left alone, and a negative ``l`` is followed as readily as
a positive one, so the iteration is drawn to saddles as well as to minima.

**Gradient-norm minimisation** (:func:`gradient_norm_minimum`): L-BFGS on
``phi = M(x)^2 ||grad f||^2 / 2`` with gradient ``M^2 (A g + ||g||^2 grad log M)``
(one Hessian-vector product per step).  Every critical point is a global minimum of
``phi``; ``phi`` also has minima where ``A g = 0`` with ``g != 0``: those fail the
gradient test after polishing and are counted as unconverged starts.

**Deflation** (Farrell, Birkisson and Funke, SIAM J. Sci. Comput. 37 (2015)
A2026-A2045).  Once an orbit through ``r`` is known, the residual is multiplied by
``M(x) = prod_r (rho^2/dist(x, orbit r)^2 + 1)`` (``rho`` =
:data:`DEFLATION_RADIUS`), which is infinite on the known orbits, so
Newton-type iterations are repelled from them; ``dist`` is the distance to the
*orbit* (:func:`ufm_sym.discover.symmetry.align`), so a rotated copy of a known point is
repelled too.  For Newton-type steps the deflated step is the undeflated step ``s``
times ``tau = 1 / (1 - <grad log M, s>)`` (their Sherman-Morrison identity).  Here the
Levenberg-Marquardt step of the deflated system ``M g = 0`` is taken: its Jacobian is
``M (A + g u^T)`` with ``u = grad log M = sum_r -2 rho^2 (x - r') / (dist^4 + rho^2 dist^2)``
(``r'`` the aligned point of the orbit, by the envelope theorem), and the step solves
``(B^T B + mu I) s = -B^T g`` with ``B = A + g u^T``.  It is the deflated Newton step as
``mu -> 0`` and a descent direction for the deflated residual ``M ||g||`` as ``mu``
grows; a step is accepted when it reduces ``M ||g||``.

:func:`polish` is undeflated Levenberg-Marquardt to a tight gradient norm: every
candidate, however found, goes through it.

>>> from ufm_sym import Problem
>>> from ufm_sym.discover.objective import SearchObjective
>>> p = Problem(loss="ce", K=2, n=1, d=1, lambda_W="0.01", lambda_H="0.01")
>>> obj = SearchObjective(p)
>>> x, its = lm_root(obj, np.array([0.01, -0.02, 0.03, 0.01, 0.0, 0.0]), tol=1e-13)
>>> bool(np.linalg.norm(obj.grad(x)) < 1e-13)
True
"""

from __future__ import annotations

import numpy as np
import scipy.optimize

from ufm_sym.discover.objective import SearchObjective
from ufm_sym.discover.symmetry import align

__all__ = ["Deflation", "gradient_norm_minimum", "lm_root", "polish", "polish_tolerance"]

LM_MAXITER = 200
POLISH_MAXITER = 40
DEFLATION_RADIUS = 0.3
"""``rho`` of ``M = prod (rho^2 / dist^2 + 1)``: the deflated residual has a spurious
minimum near ``dist = rho`` from a known root (in the linear regime), so a small ``rho``
confines the repulsion to a small neighbourhood; measured against ``rho = 1`` and no
deflation in ``docs/discover.md``."""
STALL_STEPS = 5
STALL_DECREASE = 0.05
"""A deflated iteration stops when 5 steps reduced ``M ||g||`` by less than 5 %."""
GRADNORM_FTOL = 1e-12
"""L-BFGS on ``M^2 ||g||^2 / 2`` stops when a step lowers it by less than this (so at
about ``||g|| = 1e-6`` near a root, where polishing takes over)."""
POLISH_RTOL = 1e-13
"""Polishing stops at ``||grad f|| <= 1e-13 max(1, ||x||)``."""


def polish_tolerance(x: np.ndarray, rtol: float = POLISH_RTOL) -> float:
    return rtol * max(1.0, float(np.linalg.norm(x)))


class Deflation:
    """The deflation factor ``M(x) = prod_r (rho^2/dist(x, orbit r)^2 + 1)`` (module
    docstring) over the orbits added so far.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, d=1, lambda_W=1, lambda_H=1)
    >>> dfl = Deflation(p)
    >>> dfl.log_and_grad(np.ones(6))[0]
    0.0
    >>> dfl.add(np.zeros(6)); round(dfl.log_and_grad(np.ones(6))[0], 12)   # log(0.09/6 + 1)
    0.014888612494
    """

    radius = DEFLATION_RADIUS

    def __init__(self, problem: object) -> None:
        self.problem = problem
        self.roots: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.roots)

    def add(self, x: np.ndarray) -> None:
        self.roots.append(np.array(x, dtype=np.float64))

    def distance(self, x: np.ndarray) -> float:
        """Distance from ``x`` to the nearest known orbit (``inf`` if none)."""
        return min((align(self.problem, x, r)[0] for r in self.roots),  # type: ignore[arg-type]
                   default=float("inf"))

    def log_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``(log M(x), grad log M(x))``."""
        logm = 0.0
        grad = np.zeros_like(x)
        for r in self.roots:
            dist, y = align(self.problem, x, r)  # type: ignore[arg-type]
            d2 = max(dist * dist, 1e-300)
            r2 = self.radius ** 2
            logm += float(np.log1p(r2 / d2))
            grad += -2.0 * r2 * (x - y) / (d2 * d2 + r2 * d2)
        return logm, grad


def _capped(step: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Limit a step to ``max(1, ||x||)`` (a deflated step can be very long)."""
    cap = max(1.0, float(np.linalg.norm(x)))
    n = float(np.linalg.norm(step))
    return step if n <= cap else step * (cap / n)


def lm_root(obj: SearchObjective, x0: np.ndarray, deflation: Deflation | None = None, *,
            tol: float | None = None, maxiter: int = LM_MAXITER) -> tuple[np.ndarray, int]:
    """``(x, iterations)``: Levenberg-Marquardt on ``grad f = 0`` from ``x0``, deflated
    by ``deflation`` (module docstring); stops at ``||grad f|| <= tol`` (default
    :func:`polish_tolerance`) or when no step reduces the (deflated) residual."""
    x = np.array(x0, dtype=np.float64)
    g = obj.grad(x)
    use_defl = deflation is not None and len(deflation) > 0

    def merit(x: np.ndarray, g: np.ndarray) -> float:
        m = float(np.linalg.norm(g))
        if use_defl:
            m *= float(np.exp(deflation.log_and_grad(x)[0]))  # type: ignore[union-attr]
        return m

    cur = merit(x, g)
    history = [cur]
    theta = 1.0
    it = 0
    while it < maxiter:
        gn = float(np.linalg.norm(g))
        if gn <= (polish_tolerance(x) if tol is None else tol):
            break
        it += 1
        B = obj.hessian(x)
        if use_defl:  # the deflated Jacobian, divided by M: A + g (grad log M)^T
            B = B + np.outer(g, deflation.log_and_grad(x)[1])  # type: ignore[union-attr]
        BtB, Btg = B.T @ B, B.T @ g
        accepted = False
        for _ in range(12):
            mu = theta * gn
            try:
                s = -np.linalg.solve(BtB + mu * np.eye(len(g)), Btg)
            except np.linalg.LinAlgError:
                theta *= 10.0
                continue
            x_new = x + _capped(s, x)
            g_new = obj.grad(x_new)
            new = merit(x_new, g_new)
            if np.isfinite(new) and new < cur:
                accepted = True
                theta = max(theta / 4.0, 1e-10)
                break
            theta *= 10.0
        if not accepted:
            break
        x, g, cur = x_new, g_new, new
        history.append(cur)
        if use_defl and len(history) > STALL_STEPS and \
                cur > (1 - STALL_DECREASE) * history[-1 - STALL_STEPS]:
            break  # stuck at a minimum of the deflated residual: not a root
    return x, it


def gradient_norm_minimum(obj: SearchObjective, x0: np.ndarray,
                          deflation: Deflation | None = None, *,
                          maxiter: int = 3000) -> tuple[np.ndarray, int]:
    """``(x, iterations)``: L-BFGS on ``M^2 ||grad f||^2 / 2`` from ``x0``."""
    use_defl = deflation is not None and len(deflation) > 0

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        g, Ag = obj.grad_and_hvp(x)
        gg = float(g @ g)
        if not use_defl:
            return 0.5 * gg, Ag
        logm, glog = deflation.log_and_grad(x)  # type: ignore[union-attr]
        m2 = float(np.exp(min(2.0 * logm, 700.0)))
        return 0.5 * m2 * gg, m2 * (Ag + gg * glog)

    res = scipy.optimize.minimize(fun, np.asarray(x0, dtype=np.float64), jac=True,
                                  method="L-BFGS-B",
                                  options={"maxiter": maxiter, "maxfun": 2 * maxiter,
                                           "gtol": 1e-16, "ftol": GRADNORM_FTOL, "maxcor": 20})
    return np.asarray(res.x), int(res.nit)


def polish(obj: SearchObjective, x: np.ndarray) -> tuple[np.ndarray, float, int]:
    """``(x, ||grad f||, iterations)`` after undeflated Levenberg-Marquardt."""
    y, its = lm_root(obj, x, None, maxiter=POLISH_MAXITER)
    return y, float(np.linalg.norm(obj.grad(y))), its
