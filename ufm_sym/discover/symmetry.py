"""The continuous symmetries of the UFM objective, and the orbit of a point under them.

``f(W, H, b)`` does not change under

* ``(W, H) -> (W Q, Q^T H)`` for every orthogonal ``Q`` (``d x d``): ``W H`` and the
  penalties ``||W||_F``, ``||H||_F`` are unchanged;
* ``b -> b + c 1_K`` for CE with ``lambda_b = 0``: softmax does not see a common shift.

(Relabelling the classes, or the samples inside a class, also preserves ``f``; these
are discrete and matter only in :mod:`ufm_sym.discover.orbits`.)

At a point ``x`` the orbit of the continuous group is a manifold whose tangent space is
spanned by ``(W A, -A H, 0)`` for skew-symmetric ``A`` (the derivative of
``(W Q, Q^T H)`` at ``Q = I + t A``) and, with the shift, ``(0, 0, 1_K)``.  At a
critical point these vectors lie in the kernel of the Hessian, so a Hessian with no
negative eigenvalue and *exactly* as many near-zero eigenvalues as the orbit has
dimensions is positive definite across the orbit: the point is a strict local
minimum modulo the symmetries (the Morse-Bott lemma).  :func:`orbit_dimension`
computes that dimension at the point, from the singular values of the matrix of
tangent vectors, with a stated tolerance.

:func:`align` moves a reference point along its orbit as close as possible to a point
(orthogonal Procrustes: ``Q = U V^T`` from the SVD of ``W_r^T W + H_r H^T``, and the
mean shift), giving the distance from a point to an orbit that deflation
(:mod:`ufm_sym.discover.saddles`) needs.

>>> from ufm_sym import Problem
>>> from ufm_sym.highprec.evaluate import to_mp_point
>>> p = Problem(loss="ce", K=3, n=1, d=3, lambda_W="0.01", lambda_H="0.01", lambda_b=0)
>>> x = to_mp_point(p, [[1, 0, 0], [0, 1, 0], [0, 0, 0]], [[1, 0, 0], [0, 1, 0],
...                 [0, 0, 0]], [0, 0, 0], dps=30)
>>> o = orbit_dimension(p, x, tol=mpmath.mpf(10) ** -20, dps=30)
>>> o.dimension, o.rotations, o.shift, o.formula      # rank [W; H^T] = 2 in d = 3
(4, 3, True, 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from ufm_sym.highprec.evaluate import Point, working_precision
from ufm_sym.highprec.linalg import singular_values
from ufm_sym.model import Problem

__all__ = ["OrbitDimension", "align", "has_shift", "orbit_dimension", "tangent_vectors"]


def has_shift(problem: Problem) -> bool:
    """Is ``b -> b + c 1_K`` a symmetry (CE with ``lambda_b = 0``)?

    >>> has_shift(Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1, lambda_b=0))
    True
    >>> has_shift(Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1, lambda_b=0))
    False
    """
    return problem.loss == "ce" and problem.lambda_b == 0


def _skew_basis(d: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(d) for j in range(i + 1, d)]


def tangent_vectors(problem: Problem, point: Point) -> list[list[Any]]:
    """The tangent vectors of the orbit at ``point`` as flat lists of ``mpf``:
    ``(W A, -A H, 0)`` for ``A = E_ij - E_ji`` (``i < j``), then ``(0, 0, 1_K)`` when
    :func:`has_shift` (call under the working precision).

    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> p = Problem(loss="mse", K=2, n=1, d=2, lambda_W=1, lambda_H=1)
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [0, 0])
    >>> [int(t) for t in tangent_vectors(p, x)[0]]      # W A = [[-2, 1], [-4, 3]]
    [-2, 1, -4, 3, 0, -1, 1, 0, 0, 0]
    """
    W, H, _ = point
    K, d, N = problem.K, problem.d, problem.N
    zero = mpmath.mpf(0)
    out = []
    for i, j in _skew_basis(d):
        WA = [[zero] * d for _ in range(K)]
        AH = [[zero] * N for _ in range(d)]
        for a in range(K):  # (W A)[a, j] = W[a, i], (W A)[a, i] = -W[a, j]
            WA[a][j] = W[a, i]
            WA[a][i] = -W[a, j]
        for c in range(N):  # (A H)[i, c] = H[j, c], (A H)[j, c] = -H[i, c]
            AH[i][c] = H[j, c]
            AH[j][c] = -H[i, c]
        out.append([x for row in WA for x in row] + [-x for row in AH for x in row]
                   + [zero] * K)
    if has_shift(problem):
        out.append([zero] * (K * d + d * N) + [mpmath.mpf(1)] * K)
    return out


@dataclass(frozen=True)
class OrbitDimension:
    """The dimension of the orbit at a point.

    ``dimension``: the rank of the tangent vectors (their singular values above
    ``tol``); ``rotations`` the part from ``(W A, -A H)``, ``shift`` whether
    ``(0, 0, 1_K)`` counts; ``singular_values`` of the tangent matrix (descending).
    ``formula`` is the same dimension from theory, ``d(d-1)/2 - k(k-1)/2 (+1)`` with
    ``k = d - rank [W; H^T]`` (the stabiliser is ``O(k)`` acting on the common null
    space), computed with the same tolerance as a cross-check.
    """

    dimension: int
    rotations: int
    shift: bool
    tol: Any
    singular_values: tuple[Any, ...]
    formula: int

    @property
    def consistent(self) -> bool:
        return self.dimension == self.formula


def orbit_dimension(problem: Problem, point: Point, tol: Any, dps: int) -> OrbitDimension:
    """The orbit's dimension at ``point``: singular values of the tangent vectors
    (:func:`tangent_vectors`) above ``tol`` (module docstring)."""
    with working_precision(dps):
        tol = mpmath.mpf(tol)
        vecs = tangent_vectors(problem, point)
        shift = has_shift(problem)
        rot = vecs[:-1] if shift else vecs
        sv: list[Any] = []
        if rot:
            T = mpmath.matrix(len(rot[0]), len(rot))
            for k, v in enumerate(rot):
                for i, x in enumerate(v):
                    if x:
                        T[i, k] = x
            sv = singular_values(T)
        n_rot = sum(1 for s in sv if s > tol)
        W, H, _ = point
        d = problem.d
        S = mpmath.matrix(problem.K + problem.N, d)
        for a in range(problem.K):
            for c in range(d):
                S[a, c] = W[a, c]
        for j in range(problem.N):
            for c in range(d):
                S[problem.K + j, c] = H[c, j]
        k = d - sum(1 for s in singular_values(S) if s > tol)
        formula = d * (d - 1) // 2 - k * (k - 1) // 2 + int(shift)
        # the shift vector (0, 0, 1_K) is orthogonal to every rotation tangent (their
        # b-part is 0), so it adds exactly one dimension
        return OrbitDimension(dimension=n_rot + int(shift), rotations=n_rot, shift=shift,
                              tol=tol, singular_values=tuple(sv), formula=formula)


# ----------------------------------------------------------------- float64 orbit
def _split(problem: Problem, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    K, d, N = problem.K, problem.d, problem.N
    a, c = K * d, K * d + d * N
    return x[:a].reshape(K, d), x[a:c].reshape(d, N), x[c:c + K]


def align(problem: Problem, x: np.ndarray, ref: np.ndarray) -> tuple[float, np.ndarray]:
    """``(distance, g.ref)``: the point ``g.ref`` of the orbit of ``ref`` nearest to
    ``x`` (flat float64 vectors) and its distance, over ``Q`` in ``O(d)`` (and the
    shift ``c 1_K`` when :func:`has_shift`).

    >>> p = Problem(loss="mse", K=2, n=1, d=2, lambda_W=1, lambda_H=1)
    >>> rng = np.random.default_rng(0)
    >>> r = rng.normal(size=10)
    >>> Q = np.array([[0.6, -0.8], [0.8, 0.6]])
    >>> W, H, b = _split(p, r)
    >>> x = np.concatenate([(W @ Q).ravel(), (Q.T @ H).ravel(), b])
    >>> dist, y = align(p, x, r)
    >>> bool(dist < 1e-12), bool(np.allclose(y, x))
    (True, True)
    """
    W, H, b = _split(problem, x)
    Wr, Hr, br = _split(problem, ref)
    U, _, Vt = np.linalg.svd(Wr.T @ W + Hr @ H.T)
    Q = U @ Vt
    b2 = br + np.mean(b - br) if has_shift(problem) else br
    y = np.concatenate([(Wr @ Q).ravel(), (Q.T @ Hr).ravel(), b2])
    return float(np.linalg.norm(x - y)), y
