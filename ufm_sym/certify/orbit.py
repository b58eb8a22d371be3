"""The symmetry orbit through a point and the slice transversal to it.

This module is the one source of the symmetry group: the certificate's slice
(:func:`choose_slice`, :func:`transversality`) and the orbit dimension of the kinds of
:mod:`ufm_sym.discover` (:func:`ufm_sym.discover.symmetry.orbit_dimension`, through
:func:`generators_mp`) both use :func:`generators`.

**The symmetries.**  ``f(W Q, Q^T H, b) = f(W, H, b)`` for every orthogonal ``d x d``
matrix ``Q`` (``W H``, ``||W||_F`` and ``||H||_F`` do not change), and for
cross-entropy with ``lambda_b = 0`` also ``f(W, H, b + c 1_K) = f(W, H, b)`` (each
column of ``R`` moves by ``c 1_K``, which the softmax ignores).  For MSE also
``(O W, H P^T, O b)`` with ``O`` orthogonal, ``O 1_K = 1_K``, and ``P = O (x) J_n +
S``, ``J_n = 1_n 1_n^T / n``, ``S`` any orthogonal map of the within-class deviations
``V = R^K (x) 1_n^perp`` (zero on ``V^perp``): then ``P 1_N = 1_N`` and
``O Y P^T = Y`` for ``Y = I_K (x) 1_n^T``, so ``R - Y -> O (R - Y) P^T`` keeps its norm.
Differentiating at ``t = 0`` along ``Q = exp(t A)``, ``A`` skew, gives the *generators*

    xi_A(x) = (W A, -A H, 0),   A = E_kl - E_lk  (k < l),     xi_b = (0, 0, 1_K),

``d(d-1)/2`` of them (plus ``xi_b``), and for MSE the class rotations
``(A W, -H (A (x) I_n), A b)`` (``A`` skew, ``A 1_K = 0``: ``(K-1)(K-2)/2``) and the
sample rotations ``(0, H A, 0)`` (``A`` skew on ``V``: ``m(m-1)/2``, ``m = K(n-1)``,
within a class and across classes); they are linear in ``x``.  Their span at ``x`` is
the orbit's tangent space ``T(x)``; its dimension ``t`` is the rank of the ``P x g``
matrix ``B(x) = [xi_1(x) ... xi_g(x)]``: ``d(d-1)/2`` for the rotations when ``W`` has
full rank ``d``, less when ``W`` is rank deficient (at the origin ``W = H = 0`` it is
0), and it is computed here, not assumed.  (At a critical point of MSE the within-class
deviations ``H P_V`` vanish, since the gradient's ``V`` part is
``(W^T W / N + lambda_H I) H P_V``, so the sample rotations fix every critical point.)
Differentiating ``f(g x) = f(x)`` gives ``<grad f(x), xi(x)> = 0`` at *every* ``x``: the
gradient is orthogonal to the orbit.

**The slice.**  With ``Y0`` an exact ``P x t`` matrix whose columns are an
orthonormal basis of ``T(x~)`` computed in float64 at the given point ``x~`` (the
left singular vectors of ``B(x~)`` for its ``t`` singular values above
``rel_tol * sigma_max`` and the search radius), the slice is the affine subspace

    { x : Y0^T (x - x~) = 0 },

the orthogonal complement of the orbit's tangent space at ``x~``.  For the rotations
this is the gauge condition "``W~^T dW - dH H~^T`` is symmetric" (``dW = W - W~``,
``dH = H - H~``), restricted to the directions that ``B(x~)`` spans; for the shift of
``b`` it is ``1_K^T (b - b~) = 0``.

**Transversality.**  With ``C = V_t Sigma_t^-1`` (``B(x~) = U Sigma V^T``), the
``t x t`` matrix ``M(x) = Y0^T B(x) C`` is the identity at ``x~`` up to rounding; it is
proved nonsingular on a whole box (``||I - M(x)||_inf < 1`` in ball arithmetic,
:func:`transversality`).  Then ``T(x)`` meets the slice's tangent space
``Y0^perp`` only in 0 in the sense needed by :mod:`.existence`: if ``grad f(x) = -Y0 mu``
then ``0 = C^T B(x)^T grad f(x) = -M(x)^T mu`` forces ``mu = 0``.

>>> from ufm_sym import Problem
>>> p = Problem(loss="ce", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b=0)
>>> s = choose_slice(p, [0.0] * 9 + [0.0] * 9 + [0.0] * 3)   # the origin
>>> s.dimension, s.generators, s.group
(1, 4, 'ce-shift')
>>> x = [1.0, 0, 0, 1.0, 0, 0, 0, 0, 0] + [1.0, 1.0, 0] + [0.0] * 6 + [0.0] * 3
>>> choose_slice(p, x).dimension   # rank W = 1: so(3) minus the stabiliser so(2), plus b
3
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ufm_sym.certify.balls import BallPoint, num_params
from ufm_sym.certify.flint_util import flint_module, max_upper
from ufm_sym.model import Problem

__all__ = ["PARTS", "Generator", "Slice", "choose_slice", "generator_pairs", "generators",
           "generators_ball", "generators_float", "generators_mp", "has_shift",
           "transversality"]

REL_TOL = 1e-8
"""Singular values of ``B(x~)`` below ``REL_TOL * sigma_max`` count as zero."""


def generator_pairs(d: int) -> list[tuple[int, int]]:
    """``(k, l)``, ``k < l``: the skew matrices ``E_kl - E_lk`` spanning ``so(d)``."""
    return [(k, l) for k in range(d) for l in range(k + 1, d)]


def _triangles(m: int) -> list[list[tuple[int, int, int]]]:
    """Exact integer skew ``m x m`` matrices with zero row sums, a basis of the
    skew maps of ``1^perp``: ``E_kl - E_lk + E_lp - E_pl + E_pk - E_kp`` for
    ``k < l < p = m - 1`` (the rotation ``k -> l -> p -> k``), as ``(i, j, value)``."""
    p = m - 1
    return [[(k, l, 1), (l, k, -1), (l, p, 1), (p, l, -1), (p, k, 1), (k, p, -1)]
            for k in range(p) for l in range(k + 1, p)]


def _wedge(u: dict[int, int], v: dict[int, int]) -> list[tuple[int, int, int]]:
    """``u v^T - v u^T`` for sparse integer vectors, as ``(i, j, value)``, zeros dropped."""
    out: dict[tuple[int, int], int] = {}
    for i, a in u.items():
        for j, c in v.items():
            out[i, j] = out.get((i, j), 0) + a * c
            out[j, i] = out.get((j, i), 0) - a * c
    return [(i, j, x) for (i, j), x in sorted(out.items()) if x]


def _deviation_basis(K: int, n: int) -> list[tuple[int, int, dict[int, int]]]:
    """``(class, i, e_(c n + i) - e_(c n + n - 1))``, ``i < n - 1``: an integer basis of
    the within-class deviations ``V = R^K (x) 1_n^perp``."""
    return [(c, i, {c * n + i: 1, c * n + n - 1: -1}) for c in range(K) for i in range(n - 1)]


def has_shift(problem: Problem) -> bool:
    """Is ``b -> b + c 1_K`` a symmetry (CE with ``lambda_b = 0``)?

    >>> has_shift(Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1, lambda_b=0))
    True
    >>> has_shift(Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1, lambda_b=0))
    False
    """
    return problem.loss == "ce" and problem.lambda_b == 0


Sparse = list[tuple[int, int, int]]

PARTS: tuple[str, ...] = ("rotation", "shift", "class", "sample")
"""The parts of the group a :class:`Generator` belongs to: the rotations of the features
``O(d)``, the shift of ``b``, the MSE class rotations, the MSE sample rotations."""


@dataclass(frozen=True)
class Generator:
    """A symmetry generator ``xi(x) = (LW W + W RW, LH H + H RH, Lb b + c 1_K)``,
    each map an exact sparse integer matrix (``(i, j, value)`` triples); ``part`` one
    of :data:`PARTS`."""

    name: str
    LW: Sparse = ()  # type: ignore[assignment]
    RW: Sparse = ()  # type: ignore[assignment]
    LH: Sparse = ()  # type: ignore[assignment]
    RH: Sparse = ()  # type: ignore[assignment]
    Lb: Sparse = ()  # type: ignore[assignment]
    shift: int = 0
    part: str = "rotation"


def generators(problem: Problem) -> list[Generator]:
    """The symmetry generators of ``problem`` (module docstring), in this order:
    ``so(d)`` on the feature space (``d(d-1)/2``); the shift of ``b`` (CE,
    ``lambda_b = 0``); for MSE the class rotations ``O`` with ``O 1_K = 1_K``
    (``(O W, H (O (x) I_n)^T, O b)``, ``(K-1)(K-2)/2``) and the sample rotations, the
    skew maps ``u v^T - v u^T`` of the within-class deviations for pairs of the basis
    ``e_(c n + i) - e_(c n + n - 1)`` (``i < n - 1``), within a class or across two
    (``m(m-1)/2``, ``m = K(n-1)``).

    >>> from ufm_sym import Problem
    >>> len(generators(Problem(loss="ce", K=4, n=3, lambda_W=1, lambda_H=1)))
    7
    >>> g = generators(Problem(loss="mse", K=4, n=3, lambda_W=1, lambda_H=1))
    >>> [sum(x.part == q for x in g) for q in PARTS]   # so(4), -, so(3), so(8)
    [6, 0, 3, 28]
    """
    K, d, n = problem.K, problem.d, problem.n
    out = [Generator(f"rotation[{k},{l}]", RW=[(k, l, 1), (l, k, -1)],
                     LH=[(l, k, 1), (k, l, -1)]) for k, l in generator_pairs(d)]
    if has_shift(problem):
        out.append(Generator("shift b", shift=1, part="shift"))
    if problem.loss == "mse":
        for A in _triangles(K):
            RH = [(s * n + i, s2 * n + i, -v) for s, s2, v in A for i in range(n)]
            out.append(Generator(f"class rotation[{A[0][0]},{A[0][1]},{K - 1}]", LW=A, RH=RH,
                                 Lb=A, part="class"))
        dev = _deviation_basis(K, n)
        for a, (c, i, u) in enumerate(dev):
            for c2, i2, v in dev[a + 1:]:
                where = (f"class {c}: {i},{i2},{n - 1}" if c == c2 else
                         f"class {c}: {i},{n - 1}; class {c2}: {i2},{n - 1}")
                out.append(Generator(f"sample rotation[{where}]", RH=_wedge(u, v),
                                     part="sample"))
    return out


def _apply(gen: Generator, W: Any, H: Any, b: Any, zero: Any, K: int, d: int, N: int
           ) -> list[Any]:
    """``xi(x)`` flattened, for ``W, H, b`` given as nested lists of numbers or balls."""
    dW = [[zero] * d for _ in range(K)]
    dH = [[zero] * N for _ in range(d)]
    db = [zero + gen.shift for _ in range(K)]
    for i, j, v in gen.LW:          # (L W)[i, :] += v W[j, :]
        for c in range(d):
            dW[i][c] = dW[i][c] + v * W[j][c]
    for i, j, v in gen.RW:          # (W R)[:, j] += v W[:, i]
        for a in range(K):
            dW[a][j] = dW[a][j] + v * W[a][i]
    for i, j, v in gen.LH:
        for c in range(N):
            dH[i][c] = dH[i][c] + v * H[j][c]
    for i, j, v in gen.RH:
        for c in range(d):
            dH[c][j] = dH[c][j] + v * H[c][i]
    for i, j, v in gen.Lb:
        db[i] = db[i] + v * b[j]
    return [x for row in dW for x in row] + [x for row in dH for x in row] + db


def generators_float(problem: Problem, x: Sequence[float]) -> np.ndarray:
    """``B(x)`` (``P x g``, float64) at a flat point ``x``."""
    K, d, N = problem.K, problem.d, problem.N
    x = [float(v) for v in x]
    W = [x[a * d:(a + 1) * d] for a in range(K)]
    H = [x[K * d + c * N:K * d + (c + 1) * N] for c in range(d)]
    b = x[K * d + d * N:]
    cols = [_apply(g, W, H, b, 0.0, K, d, N) for g in generators(problem)]
    return np.array(cols, dtype=float).T.reshape(num_params(problem), len(cols))


def generators_mp(problem: Problem, point: Sequence[Any]) -> list[list[Any]]:
    """The columns of ``B(x)`` at a point ``(W, H, b)`` of ``mpmath`` matrices (``b`` a
    column), each a flat list of ``mpf`` in the order of
    :func:`ufm_sym.highprec.evaluate.flatten`, one per :func:`generators` entry
    (call under the working precision: the arithmetic is ``mpf``).

    >>> import mpmath
    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=3, n=1, d=1, lambda_W=1, lambda_H=1)
    >>> W, H = mpmath.matrix([[1], [-1], [0]]), mpmath.matrix([[2, -2, 0]])
    >>> cols = generators_mp(p, (W, H, mpmath.zeros(3, 1)))
    >>> [int(t) for t in cols[0]]      # the class rotation (A W, -H A, A b), A 1 = 0
    [-1, -1, 2, -2, -2, 4, 0, 0, 0]
    """
    import mpmath

    W, H, b = point
    K, d, N = problem.K, problem.d, problem.N
    Wr = [[W[a, c] for c in range(d)] for a in range(K)]
    Hr = [[H[c, j] for j in range(N)] for c in range(d)]
    br = [b[a] if not hasattr(b, "rows") else b[a, 0] for a in range(K)]
    zero = mpmath.mpf(0)
    return [_apply(g, Wr, Hr, br, zero, K, d, N) for g in generators(problem)]


def generators_ball(x: BallPoint) -> Any:
    """``B(x)`` (``P x g`` ``arb_mat``) for every point of the ball ``x``."""
    flint = flint_module()
    p = x.problem
    K, d, N = p.K, p.d, p.N
    gens = generators(p)
    with flint.ctx.workprec(x.prec):
        W, H = x.W.tolist(), x.H.tolist()
        b = [x.b[a, 0] for a in range(K)]
        cols = [_apply(g, W, H, b, flint.arb(0), K, d, N) for g in gens]
        B = flint.arb_mat(num_params(p), len(gens))
        for m, col in enumerate(cols):
            for i, v in enumerate(col):
                if not v.is_zero():
                    B[i, m] = v
        return B


@dataclass(frozen=True)
class Slice:
    """The slice through a point: ``dimension`` ``t`` of the orbit's tangent space,
    ``generators`` ``g`` (:func:`generators`), ``basis`` ``Y0`` (``P x t`` float64,
    exact), ``combination`` ``C`` (``g x t``), the float64 ``singular_values`` of
    ``B(x~)``, and the ``group``: ``"ce"`` (rotations), ``"ce-shift"`` (and the shift of
    ``b``) or ``"mse"`` (rotations, class and sample rotations)."""

    dimension: int
    generators: int
    basis: np.ndarray = field(repr=False)
    combination: np.ndarray = field(repr=False)
    singular_values: tuple[float, ...] = field(repr=False)
    group: str
    rel_tol: float = REL_TOL

    @property
    def description(self) -> str:
        what = "(W Q, Q^T H), Q in O(d)" + {"ce": "", "ce-shift": " and b + c 1_K",
                                              "mse": " and the MSE class and sample rotations"
                                              }[self.group]
        if self.dimension == 0:
            return (f"none needed: the orbit of {what} through the point is the point "
                    f"itself (dimension 0)")
        return (f"Y0^T (x - x~) = 0: the orthogonal complement of the {self.dimension}-"
                f"dimensional tangent space of the orbit of {what} at the point "
                f"({self.generators} generators)")


def choose_slice(problem: Problem, x: Sequence[float], rel_tol: float = REL_TOL,
                 abs_tol: float = 0.0) -> Slice:
    """The orbit's tangent space at the flat point ``x`` (float64 SVD of ``B(x)``)
    and the slice orthogonal to it (module docstring).  A singular value counts when
    it exceeds both ``rel_tol * sigma_max`` and ``abs_tol``: the certificate passes its
    search radius, so that a direction whose size at ``x`` is below the radius (the
    point lies that close to where it vanishes, e.g. the origin) is not taken for part
    of the orbit, as :func:`ufm_sym.discover.symmetry.orbit_dimension` does not take
    it at that margin.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1, lambda_b=1)
    >>> x = [1e-40, 0, 0, 0] + [1e-35, 0, 0, 0] + [0, 0]      # 1e-35 from the origin
    >>> choose_slice(p, x).dimension, choose_slice(p, x, abs_tol=1e-25).dimension
    (1, 0)
    """
    B = generators_float(problem, x)
    g = B.shape[1]
    group = "mse" if problem.loss == "mse" else ("ce-shift" if has_shift(problem) else "ce")
    if g == 0:
        return Slice(0, 0, np.zeros((num_params(problem), 0)), np.zeros((0, 0)), (), group,
                     rel_tol)
    U, S, Vt = np.linalg.svd(B, full_matrices=False)
    top = float(S[0]) if S.size else 0.0
    t = int(sum(1 for s in S if top > 0 and s > rel_tol * top and s > abs_tol))
    Y0 = np.ascontiguousarray(U[:, :t])
    C = Vt[:t].T / S[:t]
    return Slice(t, g, Y0, C, tuple(float(s) for s in S), group, rel_tol)


def transversality(slc: Slice, box: BallPoint) -> tuple[bool, Any, str]:
    """Prove ``M(x) = Y0^T B(x) C`` nonsingular for every ``x`` in ``box``:
    ``||I - M||_inf < 1`` in ball arithmetic.  Returns ``(proved, bound on
    ||I - M||_inf, explanation)``.

    >>> from ufm_sym import Problem
    >>> from ufm_sym.certify.balls import ball_point
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1)
    >>> x = ([[1, 0], [0, 2]], [[1, 0], [0, 2]], [0, 0])
    >>> s = choose_slice(p, [1, 0, 0, 2, 1, 0, 0, 2, 0, 0])
    >>> ok, bound, _ = transversality(s, ball_point(p, x, 64, radius="1e-9"))
    >>> ok, bound < 1e-8
    (True, True)
    """
    flint = flint_module()
    t = slc.dimension
    if t == 0:
        return True, flint.arb(0), "no orbit directions: nothing to check"
    with flint.ctx.workprec(box.prec):
        B = generators_ball(box)
        Y0t = flint.arb_mat(slc.basis.T.tolist())
        C = flint.arb_mat(slc.combination.tolist())
        M = Y0t * B * C
        worst = max_upper(sum(((M[i, j] - (1 if i == j else 0)).abs_upper()
                               for j in range(t)), flint.arb(0)) for i in range(t))
        ok = bool(worst < 1)
        why = (f"||I - Y0^T B(x) C||_inf <= {worst.str(3, radius=False)} < 1 on the ball"
               if ok else "the slice is not provably transversal to the orbit on the ball "
                          f"(||I - Y0^T B(x) C||_inf <= {worst.str(3, radius=False)})")
        return ok, worst, why
