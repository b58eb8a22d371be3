"""Float64 optimisation: L-BFGS, Newton refinement and gradient descent, optionally
restricted to an invariant subspace.

An invariant subspace is the fixed-point set of a group of symmetries of ``f`` (class
permutations with the matching column permutation, and orthogonal maps
``(W Q, Q^T H)``).  By the principle of symmetric criticality, a critical point of ``f``
restricted to it is a critical point of ``f`` itself: the gradient at a fixed point is
fixed by the group, so it lies in the subspace.  :class:`Subspace` is a linear
embedding ``theta -> (W, H, b)`` with its adjoint; the families are

* :func:`rank_subspace`: only the first ``r`` columns of ``W`` / rows of ``H`` nonzero
  (fixed by ``Q = diag(I_r, -I_{d-r})``);
* :func:`merged_subspace`: the classes in a set share ``w^k``, ``h_{k,i}`` and ``b_k``
  (fixed by the permutations of that set);
* :func:`dead_class_subspace`: class ``k`` is dead (``w^k = 0``, ``h_{k,i} = 0``) and the
  other ``K - 1`` classes form a centred simplex with ``n`` feature scales (fixed by the
  permutations of the live classes acting on ``K - 1`` coordinates, with the reflections
  of the all-ones coordinate direction and of the remaining ``d - K + 1`` coordinates).

>>> import numpy as np
>>> from ufm_sym import Problem
>>> p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> sub = rank_subspace(p, 1)
>>> sub.dim                                  # W[:, :1], H[:1, :], b
12
>>> W, H, b = sub.embed(np.arange(12.0))
>>> bool(W[:, 1:].any()), bool(H[1:].any())
(False, False)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.optimize

from ufm_sym.model import Problem, UFMInputError
from ufm_sym.numeric.kernels import (
    HessianOperator,
    Spec,
    grad_g,
    gradient,
    logits,
    loss_g,
    objective,
    penalty,
)

Point = tuple[np.ndarray, np.ndarray, np.ndarray]


# ---------------------------------------------------------------------- flattening
def flatten(point: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in point])


def unflatten(problem: Problem, x: np.ndarray) -> Point:
    K, d, N = problem.K, problem.d, problem.N
    a, c = K * d, K * d + d * N
    return x[:a].reshape(K, d), x[a:c].reshape(d, N), x[c:c + K].copy()


def value_and_grad(problem: Problem, point: Sequence[np.ndarray]) -> tuple[float, Point]:
    W, H, b = (np.asarray(x, dtype=np.float64) for x in point)
    return _value_and_gradient(Spec.from_problem(problem), W, H, b)


def _value_and_gradient(spec: Spec, W: np.ndarray, H: np.ndarray, b: np.ndarray
                        ) -> tuple[float, Point]:
    """``f`` and its gradient from one product ``R = W H + b 1^T`` (the same numbers as
    :func:`~ufm_sym.numeric.kernels.objective` and
    :func:`~ufm_sym.numeric.kernels.gradient`, which each form ``R``)."""
    R = logits(W, H, b)
    G = grad_g(spec, R)
    f = float(loss_g(spec, R) + penalty(spec, W, H, b))
    return f, (G @ H.T + spec.lambda_W * W, W.T @ G + spec.lambda_H * H,
               np.sum(G, axis=-1) + spec.lambda_b * b)


def grad_norm(problem: Problem, point: Sequence[np.ndarray]) -> float:
    return float(np.linalg.norm(flatten(value_and_grad(problem, point)[1])))


# ---------------------------------------------------------------------- subspaces
@dataclass
class Subspace:
    """A linear embedding ``theta -> (W, H, b)`` and its adjoint (on gradients)."""

    name: str
    dim: int
    embed: Callable[[np.ndarray], Point]
    adjoint: Callable[[Point], np.ndarray]
    params: dict = field(default_factory=dict)

    def project(self, point: Point) -> np.ndarray:
        """Least-squares coordinates of a point of the subspace (via the adjoint)."""
        E = self.matrix()
        return np.linalg.lstsq(E, flatten(point), rcond=None)[0]

    def matrix(self) -> np.ndarray:
        """The embedding as a dense ``size x dim`` matrix (small sizes)."""
        cols = [flatten(self.embed(e)) for e in np.eye(self.dim)]
        return np.array(cols).T


def full_space(problem: Problem) -> Subspace:
    return Subspace("full", problem.K * problem.d + problem.d * problem.N + problem.K,
                    lambda t: unflatten(problem, t), flatten)


def rank_subspace(problem: Problem, r: int) -> Subspace:
    """Only the first ``r`` columns of ``W`` and rows of ``H`` may be nonzero."""
    K, d, N = problem.K, problem.d, problem.N
    if not 0 <= r <= d:
        raise UFMInputError(f"r: {r} is not in 0..d = {d}")
    a, c = K * r, K * r + r * N

    def embed(t: np.ndarray) -> Point:
        W = np.zeros((K, d))
        H = np.zeros((d, N))
        W[:, :r] = t[:a].reshape(K, r)
        H[:r] = t[a:c].reshape(r, N)
        return W, H, t[c:c + K].copy()

    def adjoint(g: Point) -> np.ndarray:
        return np.concatenate([g[0][:, :r].ravel(), g[1][:r].ravel(), g[2]])

    return Subspace("rank", c + K, embed, adjoint, {"r": r})


def merged_subspace(problem: Problem, merged: Sequence[int]) -> Subspace:
    """The classes in ``merged`` share their classifier rows, features and biases."""
    K, d, n = problem.K, problem.d, problem.n
    merged = sorted({int(k) for k in merged})
    if len(merged) < 2 or merged[0] < 0 or merged[-1] >= K:
        raise UFMInputError(f"merged: need at least two classes in 0..{K - 1}, got {merged}")
    groups: list[list[int]] = [merged] + [[k] for k in range(K) if k not in merged]
    groups.sort(key=lambda g: g[0])
    Kp = len(groups)
    cls = np.empty(K, dtype=int)
    for j, g in enumerate(groups):
        cls[g] = j
    a, c = Kp * d, Kp * d + d * Kp * n

    def embed(t: np.ndarray) -> Point:
        Wp = t[:a].reshape(Kp, d)
        Hp = t[a:c].reshape(d, Kp, n)
        return Wp[cls].copy(), Hp[:, cls, :].reshape(d, K * n), t[c:c + Kp][cls].copy()

    def adjoint(g: Point) -> np.ndarray:
        gW = np.zeros((Kp, d))
        np.add.at(gW, cls, g[0])
        gH = np.zeros((d, Kp, n))
        np.add.at(gH, (slice(None), cls), g[1].reshape(d, K, n))
        gb = np.zeros(Kp)
        np.add.at(gb, cls, g[2])
        return np.concatenate([gW.ravel(), gH.ravel(), gb])

    return Subspace("merged", c + Kp, embed, adjoint, {"merged": merged})


def dead_class_subspace(problem: Problem, dead: int) -> Subspace:
    """Class ``dead`` has ``w = 0``, ``h = 0``; the live classes form a centred simplex.

    Coordinates ``theta = (alpha, beta_1..beta_n, b_live, b_dead)``:
    ``w^j = alpha c_j``, ``h_{j,i} = beta_i c_j`` for live ``j`` with
    ``c_j = e_j - 1/(K-1) 1`` in the first ``K - 1`` feature coordinates.
    """
    K, d, n = problem.K, problem.d, problem.n
    if not 0 <= dead < K:
        raise UFMInputError(f"dead: class {dead} is not in 0..{K - 1}")
    if K < 3 or d < K - 1:
        raise UFMInputError(f"dead-class family needs K >= 3 and d >= K - 1 (K={K}, d={d})")
    live = [k for k in range(K) if k != dead]
    C = np.zeros((K, d))
    for j, k in enumerate(live):
        C[k, : K - 1] = -1.0 / (K - 1)
        C[k, j] += 1.0
    cnorm = np.linalg.norm(C[live[0]])
    C /= cnorm  # unit rows for the live classes
    mask_live = np.ones(K)
    mask_live[dead] = 0.0

    def embed(t: np.ndarray) -> Point:
        alpha, beta, bl, bd = t[0], t[1:1 + n], t[1 + n], t[2 + n]
        W = alpha * C
        H = (C.T[:, :, None] * beta[None, None, :]).reshape(d, K * n)
        return W, H, bl * mask_live + bd * (1 - mask_live)

    def adjoint(g: Point) -> np.ndarray:
        ga = np.sum(g[0] * C)
        gbeta = np.einsum("dki,dk->i", g[1].reshape(d, K, n), C.T)
        return np.concatenate([[ga], gbeta, [np.sum(g[2] * mask_live), g[2][dead]]])

    return Subspace("dead", n + 3, embed, adjoint, {"dead": int(dead)})


# ---------------------------------------------------------------------- optimisers
def symmetric_eigh(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of a symmetric matrix, robust to LAPACK driver failures.

    SciPy's ``syevr`` first; NumPy's ``syevd`` (which fails to converge on some
    ill-conditioned Hessians with some OpenBLAS builds) only as a fallback.
    """
    try:
        return scipy.linalg.eigh(A, driver="evr")
    except (np.linalg.LinAlgError, ValueError):
        return np.linalg.eigh(A)

@dataclass
class OptResult:
    point: Point
    value: float
    grad_norm: float
    iterations: int
    method: str


#: L-BFGS memory: SciPy's L-BFGS-B costs far more per iteration as pairs are added (about
#: 30 ms at 36000 parameters and 30 pairs against 10 ms at 10 pairs, 1 core), while the
#: iteration counts of the UFM barely change; small problems keep 30 pairs.
LBFGS_PAIRS_SMALL, LBFGS_PAIRS_LARGE, LBFGS_LARGE = 30, 10, 5000


def minimize_lbfgs(problem: Problem, x0: Sequence[np.ndarray], subspace: Subspace | None = None,
                   *, gtol: float = 1e-11, maxiter: int = 20000,
                   deadline: float | None = None) -> OptResult:
    """L-BFGS (SciPy) on ``f`` (restricted to ``subspace`` if given), from ``x0``.

    ``deadline`` (a :func:`time.perf_counter` value) stops the iteration when passed; the
    result is then the last iterate, with ``method = "lbfgs (time limit)"``.
    """
    sub = subspace if subspace is not None else full_space(problem)
    spec = Spec.from_problem(problem)
    if subspace is None:
        t0 = flatten(x0)
    else:
        t0 = np.asarray(x0, dtype=np.float64) if np.ndim(x0) == 1 else sub.project(x0)

    def fun(t: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = _value_and_gradient(spec, *sub.embed(t))
        return f, sub.adjoint(g)

    last: dict[str, np.ndarray] = {}

    def stop_at_deadline(intermediate_result: scipy.optimize.OptimizeResult) -> None:
        if deadline is not None and time.perf_counter() > deadline:
            last["x"] = np.array(intermediate_result.x)
            raise StopIteration

    pairs = LBFGS_PAIRS_SMALL if sub.dim <= LBFGS_LARGE else LBFGS_PAIRS_LARGE
    res = scipy.optimize.minimize(fun, t0, jac=True, method="L-BFGS-B",
                                  callback=stop_at_deadline if deadline is not None else None,
                                  options={"maxiter": maxiter, "maxfun": 2 * maxiter,
                                           "gtol": gtol, "ftol": 1e-16, "maxcor": pairs})
    pt = sub.embed(res.x)
    method = "lbfgs (time limit)" if "x" in last else "lbfgs"
    return OptResult(pt, float(res.fun), grad_norm(problem, pt), int(res.nit), method)


def newton_refine(problem: Problem, point: Sequence[np.ndarray],
                  subspace: Subspace | None = None, *, iterations: int = 8,
                  target: float = 1e-14, max_dim: int = 1500) -> OptResult:
    """Newton steps (pseudo-inverse of the restricted Hessian, cutting its near-zero
    orbit directions) while the gradient norm decreases; a no-op above ``max_dim``."""
    pt = tuple(np.asarray(x, dtype=np.float64) for x in point)
    g = grad_norm(problem, pt)
    sub = subspace if subspace is not None else full_space(problem)
    size = problem.K * problem.d + problem.d * problem.N + problem.K
    if sub.dim > max_dim or size > 4 * max_dim:
        return OptResult(pt, value_and_grad(problem, pt)[0], g, 0, "newton-skipped")
    E = np.eye(sub.dim) if subspace is None else sub.matrix()
    it = 0
    while it < iterations and g > target:
        it += 1
        A = HessianOperator(problem, pt).dense()
        Ht = E.T @ A @ E
        gt = E.T @ flatten(value_and_grad(problem, pt)[1])
        w, V = symmetric_eigh(Ht)
        cut = 1e-9 * max(1.0, float(np.max(np.abs(w))))
        inv = np.where(np.abs(w) > cut, 1.0 / np.where(w == 0, 1.0, w), 0.0)
        step = -(V * inv) @ (V.T @ gt)
        new = unflatten(problem, flatten(pt) + E @ step)
        g_new = grad_norm(problem, new)
        if not g_new < g:
            break
        pt, g = new, g_new
    return OptResult(pt, value_and_grad(problem, pt)[0], g, it, "newton")


def find_critical(problem: Problem, x0: Sequence[np.ndarray] | np.ndarray,
                  subspace: Subspace | None = None, *, gtol: float = 1e-11,
                  maxiter: int = 20000, deadline: float | None = None) -> OptResult:
    """L-BFGS then Newton, in ``subspace`` (a critical point of the full ``f``).

    With a ``deadline`` (a :func:`time.perf_counter` value) that L-BFGS passes, the
    Newton steps are skipped and the last L-BFGS iterate is returned.
    """
    r = minimize_lbfgs(problem, x0, subspace, gtol=gtol, maxiter=maxiter, deadline=deadline)
    if r.method != "lbfgs":
        return r
    n = newton_refine(problem, r.point, subspace)
    if n.grad_norm < r.grad_norm:
        return OptResult(n.point, n.value, n.grad_norm, r.iterations + n.iterations,
                         "lbfgs+newton")
    return r


@dataclass
class Trajectory:
    """Gradient-descent iterates recorded every few steps."""

    iterations: list[int]
    values: list[float]
    grad_norms: list[float]
    points: list[Point]
    final: Point


def gradient_descent(problem: Problem, x0: Sequence[np.ndarray], *, iterations: int = 2000,
                     step: float | None = None, record_every: int = 10,
                     gtol: float = 1e-10) -> Trajectory:
    """Gradient descent with Armijo backtracking (initial step ``step`` or ``1``)."""
    spec = Spec.from_problem(problem)
    pt = tuple(np.array(x, dtype=np.float64) for x in x0)
    f = float(objective(spec, *pt))
    g = gradient(spec, *pt)
    t = 1.0 if step is None else float(step)
    its, vals, gns, pts = [], [], [], []
    for k in range(iterations + 1):
        gn = math.sqrt(sum(float(np.sum(x * x)) for x in g))
        if k % record_every == 0 or k == iterations or gn <= gtol:
            its.append(k)
            vals.append(f)
            gns.append(gn)
            pts.append(tuple(x.copy() for x in pt))
        if gn <= gtol or k == iterations:
            break
        t = min(1e3, t * 2.0)
        while True:
            new = tuple(x - t * gx for x, gx in zip(pt, g, strict=True))
            f_new = float(objective(spec, *new))
            if f_new <= f - 0.5 * t * gn * gn or t < 1e-14:
                break
            t *= 0.5
        pt, f = new, f_new
        g = gradient(spec, *pt)
    return Trajectory(its, vals, gns, pts, pt)
