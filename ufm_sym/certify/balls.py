"""The UFM's objective, gradient and Hessian in ball arithmetic (python-flint ``arb``).

Every quantity here is a *ball* (midpoint and radius) that provably contains the
true real number: the point's entries enter as balls (decimal strings such as
``"0.1"`` and fractions such as ``"1/3"`` are enclosed exactly as written, binary
numbers such as ``mpf`` and ``float`` are exact, and an optional ``radius`` widens
every entry), then

    R = W H + b 1_N^T,   G = grad g(R) = (softmax(R) - Y)/N  (CE)  or  (R - Y)/N  (MSE),

the objective (1.3) / (1.4), the gradient ``(G H^T + lW W, W^T G + lH H, G 1_N + lb b)``
and the full ``P x P`` Hessian (``P = K d + d N + K``; vectorization as in
:func:`ufm_sym.highprec.evaluate.flatten`: ``W`` row-major, then ``H`` row-major,
then ``b``) are computed with ``arb`` / ``arb_mat`` operations only: no floating-point
step in between, so each printed bound is a statement about the UFM at every point
of the ball.  The lambdas are exact rationals (balls when not dyadic).

The formulas are the ones SymPy derives from the objective (``tests/test_certify_balls.py``
checks them against :func:`ufm_sym.symbolic.evaluate.lambdify_gradients` and
:func:`~ufm_sym.symbolic.evaluate.lambdify_hessian_form`); the Hessian is assembled
block by block, with ``S_j = hess g`` of column ``j`` (CE: ``(diag p_j - p_j p_j^T)/N``,
MSE: ``I/N``) and ``T_j = S_j W``::

    d2f/dW[a,c] dW[a',c'] = sum_j S_j[a,a'] H[c,j] H[c',j] + lW delta
    d2f/dH[c,j] dH[c',j'] = delta_jj' (W^T T_j)[c,c'] + lH delta
    d2f/dW[a,c] dH[c',j]  = T_j[a,c'] H[c,j] + delta_cc' G[a,j]
    d2f/dW[a,c] db[a']    = sum_j S_j[a,a'] H[c,j],   d2f/dH[c,j] db[a] = T_j[a,c]
    d2f/db db             = sum_j S_j + lb I

>>> from ufm_sym import Problem
>>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.5", lambda_H="0.5", lambda_b=1)
>>> x = ball_point(p, ([[0, 0], [0, 0]], [[0, 0], [0, 0]], [0, 0]), prec=100)
>>> A = hessian(x)
>>> A.nrows(), A[0, 0].mid() == 0.5, A[8, 9].mid() == -0.25, A[8, 9].rad() == 0
(10, True, True, True)
>>> g = flat_gradient(x)
>>> g[8, 0].contains(0) and g[8, 0].rad() == 0
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from ufm_sym.certify.flint_util import flint_module
from ufm_sym.highprec.evaluate import _nested
from ufm_sym.model import Problem, UFMInputError, exact_number

__all__ = [
    "BallPoint",
    "ball_lambdas",
    "ball_point",
    "ball_radius",
    "ball_point_from_flat",
    "flat_gradient",
    "grad_g",
    "gradient",
    "hessian",
    "num_params",
    "objective",
    "residual",
    "softmax_columns",
    "to_arb",
]


def num_params(problem: Problem) -> int:
    """``P = K d + d N + K``."""
    return problem.K * problem.d + problem.d * problem.N + problem.K


@dataclass(frozen=True)
class BallPoint:
    """A point ``(W, H, b)`` of ``problem`` as ``arb_mat`` balls at ``prec`` bits
    (``b`` is ``K x 1``)."""

    problem: Problem
    W: Any
    H: Any
    b: Any
    prec: int

    def flat(self) -> list[Any]:
        """The ``P`` entries (``W`` row-major, ``H`` row-major, ``b``) as ``arb``."""
        out = []
        for M in (self.W, self.H, self.b):
            out += [M[i, j] for i in range(M.nrows()) for j in range(M.ncols())]
        return out

    def midpoint(self) -> BallPoint:
        """The exact centre of the ball (every entry's midpoint, radius 0)."""
        return BallPoint(self.problem, self.W.mid(), self.H.mid(), self.b.mid(), self.prec)

    def widened(self, radius: Any) -> BallPoint:
        """Every entry widened by ``[-radius, radius]`` (``radius`` an ``arb`` or number)."""
        flint = flint_module()
        with flint.ctx.workprec(self.prec):
            e = flint.arb(0, radius) if not isinstance(radius, flint.arb) \
                else flint.arb(0, radius.abs_upper())
            return ball_point_from_flat(self.problem, [x + e for x in self.flat()], self.prec)

    def max_radius(self) -> Any:
        """The largest radius of an entry (an ``arb``)."""
        flint = flint_module()
        worst = flint.arb(0)
        for x in self.flat():
            r = flint.arb(x.rad())
            if r > worst:
                worst = r
        return worst

    def floats(self) -> list[float]:
        """The midpoints as Python floats (for preconditioners only, never for bounds)."""
        return [float(x.mid()) for x in self.flat()]


def to_arb(x: Any, where: str) -> Any:
    """One entry as an ``arb`` ball at the current python-flint precision.

    ``mpf``, ``int`` and binary fractions are exact; decimal strings (``"0.1"``,
    ``"1e-3"``), fraction strings (``"1/3"``), ``Fraction``, SymPy rationals and
    ``float`` (through its shortest decimal ``repr``, as everywhere in the project)
    are enclosed exactly as written.  Anything else is refused.

    >>> flint = flint_module()
    >>> with flint.ctx.workprec(80):
    ...     a = to_arb("0.1", "x")
    >>> (a * 10).contains(1), a.rad() > 0, to_arb(mpmath.mpf(0.5), "y").rad() == 0
    (True, True, True)
    """
    flint = flint_module()
    if isinstance(x, mpmath.mpf):
        return flint.arb(x)
    if isinstance(x, bool):
        raise UFMInputError(f"{where}: {x!r} is not a number")
    if isinstance(x, int):
        return flint.arb(x)
    q = exact_number(x, where)
    if isinstance(q, sp.Integer):
        return flint.arb(int(q))
    return flint.arb(flint.fmpq(int(q.p), int(q.q)))


def ball_radius(radius: Any, name: str = "point_radius") -> Any:
    """A point radius as an exact non-negative number (``UFMInputError`` naming
    ``name`` otherwise).

    >>> ball_radius("1e-30")
    1/1000000000000000000000000000000
    >>> ball_radius("-1")
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: point_radius: -1 must be >= 0
    """
    q = exact_number(radius, name)
    if q < 0:
        raise UFMInputError(f"{name}: {q} must be >= 0")
    return q


def ball_point(problem: Problem, point: Sequence[Any], prec: int,
               radius: Any = 0) -> BallPoint:
    """``point = (W, H, b)`` as balls at ``prec`` bits, each entry widened by
    ``radius`` (a number ``>= 0``: the entries are known only to ``+- radius``).

    Accepts whatever :func:`ufm_sym.highprec.evaluate.to_mp_point` accepts (nested
    lists of numbers or strings, NumPy arrays, ``mpmath`` matrices); bad shapes,
    non-numbers and a negative radius raise :class:`~ufm_sym.model.UFMInputError`.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1)
    >>> x = ball_point(p, ([["1/3", 0], [0, 1]], [[1, 0], [0, 1]], ["0.5", 0]), prec=64)
    >>> (x.W[0, 0] * 3).contains(1), x.b[0, 0].rad() == 0
    (True, True)
    >>> ball_point(p, ([[1, 0], [0, 1]], [[1, 0], [0, 1]], [0, 0]), 64, radius="x")
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: point_radius: 'x' is not a number
    """
    flint = flint_module()
    if not (isinstance(point, (tuple, list)) and len(point) == 3):
        raise UFMInputError("point: expected a tuple (W, H, b)")
    W, H, b = point
    problem.check_point(W, H, b)
    rad = ball_radius(radius)
    with flint.ctx.workprec(prec):
        Wl = [[to_arb(x, f"W[{i}, {j}]") for j, x in enumerate(row)]
              for i, row in enumerate(_nested(W))]
        Hl = [[to_arb(x, f"H[{i}, {j}]") for j, x in enumerate(row)]
              for i, row in enumerate(_nested(H))]
        bl = [to_arb(x[0] if isinstance(x, (list, tuple)) else x, f"b[{i}]")
              for i, x in enumerate(_nested(b))]
        out = BallPoint(problem, flint.arb_mat(Wl), flint.arb_mat(Hl),
                        flint.arb_mat([[x] for x in bl]), prec)
        if rad:
            out = out.widened(flint.arb(flint.fmpq(int(rad.p), int(rad.q))))
        return out


def ball_point_from_flat(problem: Problem, entries: Sequence[Any], prec: int) -> BallPoint:
    """A :class:`BallPoint` from its ``P`` flat entries (``arb`` or numbers)."""
    flint = flint_module()
    K, d, N = problem.K, problem.d, problem.N
    if len(entries) != num_params(problem):
        raise UFMInputError(f"vector: length {len(entries)} does not match "
                            f"P = {num_params(problem)}")
    with flint.ctx.workprec(prec):
        e = [x if isinstance(x, flint.arb) else flint.arb(x) for x in entries]
        W = flint.arb_mat(K, d, e[:K * d])
        H = flint.arb_mat(d, N, e[K * d:K * d + d * N])
        b = flint.arb_mat(K, 1, e[K * d + d * N:])
        return BallPoint(problem, W, H, b, prec)


def ball_lambdas(problem: Problem) -> tuple[Any, Any, Any]:
    """``(lW, lH, lb)`` as balls (exact rationals) at the current precision."""
    flint = flint_module()
    return tuple(flint.arb(flint.fmpq(int(x.p), int(x.q)))  # type: ignore[return-value]
                 for x in (problem.lambda_W, problem.lambda_H, problem.lambda_b))


def residual(x: BallPoint) -> Any:
    """``R = W H + b 1_N^T`` (``K x N`` ``arb_mat``)."""
    flint = flint_module()
    N = x.problem.N
    with flint.ctx.workprec(x.prec):
        ones = flint.arb_mat(1, N, [1] * N)
        return x.W * x.H + x.b * ones


def softmax_columns(R: Any) -> Any:
    """Column-wise softmax of ``R`` in balls; each column is shifted by the midpoint
    of its largest entry first (softmax is shift invariant: an exact identity).

    >>> flint = flint_module()
    >>> with flint.ctx.workprec(80):
    ...     P = softmax_columns(flint.arb_mat([[0], [0]]))
    >>> P[0, 0].contains(flint.fmpq(1, 2)), (P[0, 0] + P[1, 0]).contains(1)
    (True, True)
    """
    flint = flint_module()
    K, N = R.nrows(), R.ncols()
    out = flint.arb_mat(K, N)
    for j in range(N):
        col = [R[i, j] for i in range(K)]
        m = max(col, key=lambda t: float(t.mid())).mid()
        e = [(t - m).exp() for t in col]
        s = sum(e[1:], e[0])
        for i in range(K):
            out[i, j] = e[i] / s
    return out


def grad_g(problem: Problem, R: Any, prec: int) -> tuple[Any, Any]:
    """``(G, Pm)``: ``G = grad g(R)`` and the softmax ``Pm`` (``None`` for MSE)."""
    flint = flint_module()
    K, N = R.nrows(), R.ncols()
    with flint.ctx.workprec(prec):
        Y = flint.arb_mat(K, N, [1 if problem.label_of_column(j) == i else 0
                                 for i in range(K) for j in range(N)])
        if problem.loss == "ce":
            Pm = softmax_columns(R)
            return (Pm - Y) / N, Pm
        return (R - Y) / N, None


def objective(x: BallPoint) -> Any:
    """``f(W, H, b)`` of (1.3) / (1.4) as a ball.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=3, n=2, lambda_W=1, lambda_H=1)
    >>> objective(ball_point(p, ([[0] * 3] * 3, [[0] * 6] * 3, [0] * 3), 64)).mid() == 0.5
    True
    """
    flint = flint_module()
    p = x.problem
    K, N = p.K, p.N
    with flint.ctx.workprec(x.prec):
        lw, lh, lb = ball_lambdas(p)
        R = residual(x)
        if p.loss == "ce":
            total = flint.arb(0)
            for j in range(N):
                col = [R[i, j] for i in range(K)]
                m = max(col, key=lambda t: float(t.mid())).mid()
                s = sum(((t - m).exp() for t in col[1:]), (col[0] - m).exp())
                total += m + s.log() - col[p.label_of_column(j)]
            g = total / N
        else:
            g = flint.arb(0)
            for i in range(K):
                for j in range(N):
                    r = R[i, j] - (1 if p.label_of_column(j) == i else 0)
                    g += r * r
            g = g / (2 * N)
        return (g + lw / 2 * _sqnorm(x.W) + lh / 2 * _sqnorm(x.H)
                + lb / 2 * _sqnorm(x.b))


def _sqnorm(M: Any) -> Any:
    return (M.transpose() * M).trace()


def gradient(x: BallPoint) -> tuple[Any, Any, Any]:
    """``(G H^T + lW W, W^T G + lH H, G 1_N + lb b)`` as ``arb_mat``."""
    flint = flint_module()
    p = x.problem
    with flint.ctx.workprec(x.prec):
        lw, lh, lb = ball_lambdas(p)
        G, _ = grad_g(p, residual(x), x.prec)
        ones = flint.arb_mat(p.N, 1, [1] * p.N)
        return (G * x.H.transpose() + x.W * lw, x.W.transpose() * G + x.H * lh,
                G * ones + x.b * lb)


def flat_gradient(x: BallPoint) -> Any:
    """The full gradient as a ``P x 1`` ``arb_mat`` (flatten order)."""
    flint = flint_module()
    parts = gradient(x)
    flat = []
    for M in parts:
        flat += [M[i, j] for i in range(M.nrows()) for j in range(M.ncols())]
    with flint.ctx.workprec(x.prec):
        return flint.arb_mat(len(flat), 1, flat)


def hessian(x: BallPoint, extra: int = 0) -> Any:
    """The symmetric ``P x P`` Hessian of ``f`` as an ``arb_mat`` (module docstring):
    a ball matrix containing ``hess f(y)`` for every point ``y`` of the ball ``x``.
    ``extra > 0`` returns a ``(P + extra)``-square matrix with the Hessian in its
    top-left corner and zeros elsewhere (room for a border)."""
    flint = flint_module()
    p = x.problem
    K, d, N = p.K, p.d, p.N
    P = num_params(p)
    oH, ob = K * d, K * d + d * N
    with flint.ctx.workprec(x.prec):
        lw, lh, lb = ball_lambdas(p)
        W, H = x.W, x.H
        G, Pm = grad_g(p, residual(x), x.prec)
        A = flint.arb_mat(P + extra, P + extra)
        Wt, Ht = W.transpose(), H.transpose()
        Hl = H.tolist()
        Gl = G.tolist()
        if p.loss == "ce":
            Pl = Pm.tolist()
            # U[(a,c), j] = p_j[a] H[c,j]: the W-W block is
            # (1/N) (blockdiag_a H diag(P[a,:]) H^T - U U^T) + lW I
            U = flint.arb_mat([[Pl[a][j] * Hl[c][j] for j in range(N)]
                               for a in range(K) for c in range(d)])
            WW = (U * U.transpose()) * (-1)
            WWl = WW.tolist()
            for a in range(K):
                Hs = flint.arb_mat([[Hl[c][j] * Pl[a][j] for j in range(N)] for c in range(d)])
                D = (Hs * Ht).tolist()
                for c in range(d):
                    for c2 in range(d):
                        WWl[a * d + c][a * d + c2] += D[c][c2]
            # T_j = S_j W = (diag(p_j) W - p_j (p_j^T W)) / N
            Wl = W.tolist()
            T = []
            for j in range(N):
                pj = flint.arb_mat(K, 1, [Pl[a][j] for a in range(K)])
                DW = flint.arb_mat([[Pl[a][j] * Wl[a][c] for c in range(d)] for a in range(K)])
                T.append((DW - pj * (pj.transpose() * W)) / N)
            # W-b: (1/N) (delta_ae (P H^T)[a, c] - (U P^T)[(a,c), e])
            UP = (U * Pm.transpose()).tolist()
            PH = (Pm * Ht).tolist()
            Wb = [[(-UP[a * d + c][e] + (PH[a][c] if a == e else 0)) / N for e in range(K)]
                  for a in range(K) for c in range(d)]
            rowsum = [sum(Pl[a][1:], Pl[a][0]) for a in range(K)]
            PP = (Pm * Pm.transpose()).tolist()
            bb = [[((rowsum[a] if a == e else 0) - PP[a][e]) / N for e in range(K)]
                  for a in range(K)]
        else:
            HH = (H * Ht).tolist()
            WWl = [[flint.arb(0)] * (K * d) for _ in range(K * d)]
            for a in range(K):
                for c in range(d):
                    for c2 in range(d):
                        WWl[a * d + c][a * d + c2] = HH[c][c2]
            TW = W / N
            T = [TW] * N
            Hsum = [sum(Hl[c][1:], Hl[c][0]) for c in range(d)]
            Wb = [[(Hsum[c] / N if a == e else flint.arb(0)) for e in range(K)]
                  for a in range(K) for c in range(d)]
            bb = [[flint.arb(1 if a == e else 0) for e in range(K)] for a in range(K)]
        # W-W block
        for i in range(K * d):
            row = WWl[i]
            for k in range(K * d):
                v = row[k] / N
                if i == k:
                    v += lw
                A[i, k] = v
        # H-H block (block diagonal over j) and W-H, H-b blocks
        Tl = [Tj.tolist() for Tj in T]
        WtT = [(Wt * Tj).tolist() for Tj in (T if p.loss == "ce" else T[:1])]
        for j in range(N):
            B = WtT[j] if p.loss == "ce" else WtT[0]
            Tj = Tl[j]
            for c in range(d):
                i = oH + c * N + j
                for c2 in range(d):
                    v = B[c][c2]
                    if c == c2:
                        v += lh
                    A[i, oH + c2 * N + j] = v
                for a in range(K):          # H-b
                    A[i, ob + a] = Tj[a][c]
                    A[ob + a, i] = Tj[a][c]
            for a in range(K):              # W-H
                for c in range(d):
                    r = a * d + c
                    h = Hl[c][j]
                    for c2 in range(d):
                        v = Tj[a][c2] * h
                        if c == c2:
                            v += Gl[a][j]
                        A[r, oH + c2 * N + j] = v
                        A[oH + c2 * N + j, r] = v
        for i in range(K * d):               # W-b
            for e in range(K):
                A[i, ob + e] = Wb[i][e]
                A[ob + e, i] = Wb[i][e]
        for a in range(K):                   # b-b
            for e in range(K):
                A[ob + a, ob + e] = bb[a][e] + (lb if a == e else 0)
        return A
