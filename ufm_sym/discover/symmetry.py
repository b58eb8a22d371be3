"""The continuous symmetries of the UFM objective, and the orbit of a point under them.

The group is the one of :mod:`ufm_sym.certify.orbit` (:func:`~ufm_sym.certify.orbit.
generators`, the same exact generators the certificate's slice uses):

* ``(W, H) -> (W Q, Q^T H)`` for every orthogonal ``Q`` (``d x d``), both losses;
* ``b -> b + c 1_K`` for CE with ``lambda_b = 0``: softmax does not see a common shift;
* for MSE, the class rotations ``(O W, H (O (x) I_n)^T, O b)`` with ``O`` orthogonal,
  ``O 1_K = 1_K``, and the rotations of the within-class deviations of ``H`` (which
  fix every critical point: there the deviations vanish).

(Relabelling the classes, or the samples inside a class, also preserves ``f``; these
are discrete and matter only in :mod:`ufm_sym.discover.orbits`.)

At a point ``x`` the orbit of the continuous group is a manifold whose tangent space is
spanned by the generators evaluated at ``x``
(:func:`~ufm_sym.certify.orbit.generators_mp`): ``(W A, -A H, 0)`` for skew ``A``,
``(0, 0, 1_K)`` with the shift, and for MSE ``(A W, -H (A (x) I_n), A b)`` with ``A``
skew, ``A 1_K = 0`` (and ``(0, H A, 0)`` for the sample rotations).  At a critical point
these vectors lie in the kernel of the Hessian, so a Hessian with no negative
eigenvalue and *exactly* as many near-zero eigenvalues as the orbit has dimensions is
positive definite across the orbit: the point is a strict local minimum modulo the
symmetries (the Morse-Bott lemma).  :func:`orbit_dimension` computes that dimension at
the point, from the singular values of the matrix of tangent vectors, with a stated
tolerance.

:func:`align` moves a reference point along its ``O(d)`` orbit (and the shift) as close
as possible to a point (orthogonal Procrustes: ``Q = U V^T`` from the SVD of
``W_r^T W + H_r H^T``, and the mean shift), giving the distance from a point to that
orbit that deflation (:mod:`ufm_sym.discover.saddles`) needs; it does not move along
the MSE class rotations, so for MSE it is an upper bound on the distance to the orbit.

>>> from ufm_sym import Problem
>>> from ufm_sym.highprec.evaluate import to_mp_point
>>> p = Problem(loss="ce", K=3, n=1, d=3, lambda_W="0.01", lambda_H="0.01", lambda_b=0)
>>> x = to_mp_point(p, [[1, 0, 0], [0, 1, 0], [0, 0, 0]], [[1, 0, 0], [0, 1, 0],
...                 [0, 0, 0]], [0, 0, 0], dps=30)
>>> o = orbit_dimension(p, x, tol=mpmath.mpf(10) ** -20, dps=30)
>>> o.dimension, o.rotations, o.shift, o.formula      # rank [W; H^T] = 2 in d = 3
(4, 3, True, 4)
>>> q = Problem(loss="mse", K=3, n=1, d=3, lambda_W="0.01", lambda_H="0.01")
>>> o = orbit_dimension(q, x, tol=mpmath.mpf(10) ** -20, dps=30)
>>> o.dimension, o.rotations, o.class_rotations, o.formula   # + the class rotation
(4, 3, 1, 3)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from ufm_sym.certify.flint_util import arb_to_mpf, flint_module
from ufm_sym.certify.orbit import generators, generators_mp, has_shift
from ufm_sym.highprec.evaluate import Point, working_precision
from ufm_sym.highprec.linalg import singular_values
from ufm_sym.model import Problem

__all__ = ["OrbitDimension", "align", "has_shift", "orbit_dimension",
           "tangent_singular_values", "tangent_vectors"]

def tangent_vectors(problem: Problem, point: Point) -> list[list[Any]]:
    """The tangent vectors of the orbit at ``point`` as flat lists of ``mpf``, one per
    generator of :func:`ufm_sym.certify.orbit.generators` and in its order: ``(W A,
    -A H, 0)`` for ``A = E_ij - E_ji`` (``i < j``), then ``(0, 0, 1_K)`` when
    :func:`has_shift`, then for MSE the class and sample rotations (call under the
    working precision).

    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> p = Problem(loss="mse", K=2, n=1, d=2, lambda_W=1, lambda_H=1)
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [0, 0])
    >>> [int(t) for t in tangent_vectors(p, x)[0]]      # W A = [[-2, 1], [-4, 3]]
    [-2, 1, -4, 3, 0, -1, 1, 0, 0, 0]
    """
    return generators_mp(problem, point)


def tangent_singular_values(columns: Sequence[Sequence[Any]]) -> list[Any]:
    """Singular values, descending, of the matrix ``T`` with these columns (flat lists
    of ``mpf``, at least one), for the working precision ``prec``: the square roots of
    the eigenvalues of ``T^T T`` or ``T T^T`` (the smaller), formed and diagonalised in
    python-flint at ``2 prec + 64`` bits (approximate QR, tolerance ``2^-(2 prec +
    64)``), so that singular values down to about ``2^-(prec + 32) ||T||`` are resolved
    as an SVD at ``prec`` would (tested against ``mpmath.svd_r``), 10 to 100 times
    faster.

    >>> with mpmath.workdps(30):
    ...     sv = tangent_singular_values([[3, 0, 0], [0, 0, 4]])
    >>> [int(s) for s in sv]
    [4, 3]
    """
    g, P = len(columns), len(columns[0])
    flint = flint_module()
    bits = 2 * mpmath.mp.prec + 64
    with flint.ctx.workprec(bits):
        T = flint.arb_mat(P, g)
        for k, v in enumerate(columns):
            for i, x in enumerate(v):
                if x:
                    T[i, k] = flint.arb(x)
        G = T.transpose() * T if g <= P else T * T.transpose()
        E = flint.acb_mat(G).eig(algorithm="approx", tol=flint.arb(2) ** -bits)
        vals = [arb_to_mpf(e.real) for e in E]
    with mpmath.workprec(bits):
        sv = [mpmath.sqrt(v) if v > 0 else mpmath.mpf(0) for v in vals]
    return sorted((+s for s in sv), reverse=True)


@dataclass(frozen=True)
class OrbitDimension:
    """The dimension of the orbit at a point.

    ``dimension``: the rank of all the tangent vectors (their singular values above
    ``tol``); ``rotations`` the rank of the rotation part ``(W A, -A H)`` alone,
    ``shift`` whether ``(0, 0, 1_K)`` counts (it is orthogonal to every other tangent
    vector, so it adds exactly one), ``class_rotations`` what the MSE class and sample
    rotations add beyond them (``dimension - rotations - shift``); ``singular_values``
    of the tangent matrix (descending) without the ``left_out`` columns of tiny norm
    (:func:`_count_above`), ``generators`` how many generators.

    ``formula`` is the rotation part and the shift from theory, ``d(d-1)/2 - k(k-1)/2
    (+1)`` with ``k = d - rank [W; H^T]`` (the stabiliser is ``O(k)`` acting on the
    common null space), computed with the same tolerance: ``consistent`` cross-checks
    ``rotations + shift`` against it.  It does not cover ``class_rotations``, whose
    stabiliser depends on more than a rank (at an MSE critical point whose ``W`` has
    rank ``r``, equal nonzero singular values and column space in ``1_K^perp`` it is
    ``r(K - 1 - r)``, tested; docs/discover.md).
    """

    dimension: int
    rotations: int
    shift: bool
    tol: Any
    singular_values: tuple[Any, ...]
    formula: int
    class_rotations: int = 0
    generators: int = 0
    left_out: int = 0

    @property
    def consistent(self) -> bool:
        return self.rotations + int(self.shift) == self.formula


def _count_above(columns: list[list[Any]], tol: Any) -> tuple[int, list[Any], int]:
    """``(count of singular values above tol, the singular values, columns left out)``.

    Columns of tiny norm are left out when that cannot change the count: with ``E``
    the left-out columns, ``||E||_F = eps <= tol / 4``, every singular value of the
    whole matrix lies within ``eps`` above the corresponding one of the rest, and the
    extra ones are at most ``eps`` (interlacing and Weyl), so the counts above ``tol``
    agree unless a singular value of the rest lies in ``(tol - eps, tol]``; then the
    whole matrix is decomposed.  (At a critical point of MSE the sample rotations'
    columns are of the order of the gradient, far below ``tol``: this keeps their
    ``m(m-1)/2`` columns out of the decomposition.)
    """
    if not columns:
        return 0, [], 0
    norms = [mpmath.sqrt(mpmath.fsum(x * x for x in v)) for v in columns]
    order = sorted(range(len(columns)), key=lambda k: norms[k])
    eps2, cut = mpmath.mpf(0), 0
    for k in order:
        if eps2 + norms[k] ** 2 > (tol / 4) ** 2:
            break
        eps2 += norms[k] ** 2
        cut += 1
    kept = sorted(order[cut:])
    if cut:
        eps = mpmath.sqrt(eps2)
        sv = tangent_singular_values([columns[k] for k in kept]) if kept else []
        if not any(tol - eps < t <= tol for t in sv):
            return sum(1 for t in sv if t > tol), sv, cut
    sv = tangent_singular_values(columns)
    return sum(1 for t in sv if t > tol), sv, 0


def orbit_dimension(problem: Problem, point: Point, tol: Any, dps: int,
                    parts: Collection[str] | None = None) -> OrbitDimension:
    """The orbit's dimension at ``point``: singular values of the tangent vectors
    (:func:`tangent_vectors`) above ``tol`` (module docstring); columns of tiny norm
    are left out only where that cannot change the count (:func:`_count_above`).
    ``parts``: only the generators of these parts of
    :data:`ufm_sym.certify.orbit.PARTS` (default all: the symmetry group of ``f``; a
    perturbed objective that keeps fewer symmetries names them)."""
    with working_precision(dps):
        tol = mpmath.mpf(tol)
        gens, vecs = generators(problem), tangent_vectors(problem, point)
        if parts is not None:
            keep = [k for k, g in enumerate(gens) if g.part in parts]
            gens, vecs = [gens[k] for k in keep], [vecs[k] for k in keep]
        dimension, sv, left_out = _count_above(vecs, tol)
        rot = [v for g, v in zip(gens, vecs, strict=True) if g.part == "rotation"]
        n_rot = dimension if len(rot) == len(vecs) else _count_above(rot, tol)[0]
        shift = has_shift(problem) and any(g.part == "shift" for g in gens)
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
        return OrbitDimension(dimension=dimension, rotations=n_rot, shift=shift, tol=tol,
                              singular_values=tuple(sv), formula=formula,
                              class_rotations=dimension - n_rot - int(shift),
                              generators=len(gens), left_out=left_out)


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
