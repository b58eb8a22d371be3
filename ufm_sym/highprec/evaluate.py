"""Objective, gradient and Hessian of the UFM (1.3) / (1.4) in mpmath.

A *point* is a tuple ``(W, H, b)`` of ``mpmath.matrix``: ``W`` is ``K x d``, ``H`` is
``d x N`` (columns class by class, ``Y = I_K (kron) 1_n^T``) and ``b`` is ``K x 1``.
A *direction* has the same shapes.  With ``R = W H + b 1_N^T`` and ``G = grad g(R)``:

- CE:  ``g(R) = (1/N) sum_cols (logsumexp(r) - r_true)``, ``G = (softmax(R) - Y)/N``;
- MSE: ``g(R) = 1/(2N) ||R - Y||_F^2``, ``G = (R - Y)/N``;
- gradient ``(G H^T + lW W, W^T G + lH H, G 1_N + lb b)``;
- Hessian bilinear form (3.9) / (4.18)::

      hess_g[D1, E1] + <G, D_W E_H + E_W D_H> + lW <D_W, E_W> + lH <D_H, E_H>
      + lb <D_b, E_b>,        D1 = D_W H + W D_H + D_b 1^T  (E1 likewise)

  with ``hess_g[D, E] = (1/N) sum_cols (d^T diag(p) e - (p^T d)(p^T e))`` for CE and
  ``<D, E>/N`` for MSE.

Vectorization (:func:`flatten`, :func:`hessian_matrix`): ``W`` row-major, then ``H``
row-major, then ``b``; so ``P = K d + d N + K`` coordinates, ``W[a, c]`` at
``a d + c``, ``H[c, j]`` at ``K d + c N + j`` and ``b[a]`` at ``K d + d N + a``.

Every public function takes ``dps`` (decimal digits; ``None`` = the current
``mpmath.mp.dps``) and runs under ``mpmath.workdps(dps)``.  Internally the work is done
on lists of ``mpf`` with ``mpmath.fdot`` (``mpmath.matrix`` element access is slow).

>>> from ufm_sym import Problem
>>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
>>> x = to_mp_point(p, [[1, 0], [0, 1]], [[1, 0], [0, 1]], [0, 0])
>>> mpmath.nstr(objective(p, x, dps=30), 20)
'0.51326168751822283405'
>>> gw, gh, gb = gradient(p, x, dps=30)
>>> mpmath.nstr(gw[0, 0], 15), gb.rows, gb.cols
('-0.0344707106849976', 2, 1)
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import mpmath
import sympy as sp

from ufm_sym.model import Problem, UFMInputError

Point = tuple[mpmath.matrix, mpmath.matrix, mpmath.matrix]
"""``(W, H, b)`` as ``mpmath`` matrices; ``b`` is ``K x 1``."""

Rows = list[list[Any]]
"""A matrix as a list of rows of ``mpf`` (the internal fast representation)."""

RowPoint = tuple[Rows, Rows, list[Any]]
"""``(W rows, H rows, b list)``: the internal form of a point."""

__all__ = [
    "Point",
    "flatten",
    "grad_g",
    "gradient",
    "gradient_norm",
    "hess_g_form",
    "hessian_form",
    "hessian_matrix",
    "hessian_vector_product",
    "num_params",
    "objective",
    "residual_R",
    "to_mp_point",
    "unflatten",
    "working_precision",
]


# ------------------------------------------------------------------ precision
def working_precision(dps: int | None) -> contextlib.AbstractContextManager[Any]:
    """``mpmath.workdps(dps)``, or a no-op when ``dps`` is ``None``.

    >>> with working_precision(40):
    ...     mpmath.mp.dps
    40
    """
    if dps is None:
        return contextlib.nullcontext()
    if not isinstance(dps, int) or dps < 5:
        raise UFMInputError(f"dps: {dps!r} must be an integer >= 5")
    return mpmath.workdps(dps)


# ------------------------------------------------------------- conversions
def _to_mpf(x: Any, where: str) -> Any:
    if isinstance(x, str):
        text = x.strip()
        try:
            if "/" in text:
                num, _, den = text.partition("/")
                return mpmath.mpf(num) / mpmath.mpf(den)
            return mpmath.mpf(text)
        except (ValueError, TypeError, ZeroDivisionError):
            raise UFMInputError(f"{where}: {x!r} is not a number") from None
    if isinstance(x, sp.Rational):
        return mpmath.mpf(int(x.p)) / int(x.q)
    if isinstance(x, sp.Basic):
        return mpmath.mpf(sp.N(x, mpmath.mp.dps + 5)._mpf_)
    if isinstance(x, mpmath.mpf):
        return +x
    try:
        return mpmath.mpf(x)
    except (TypeError, ValueError):
        try:
            return mpmath.mpf(float(x))
        except (TypeError, ValueError):
            raise UFMInputError(f"{where}: {x!r} is not a number") from None


def _nested(value: Any) -> Any:
    if isinstance(value, mpmath.matrix):
        return value.tolist()
    if hasattr(value, "tolist") and not isinstance(value, (str, sp.Basic)):
        return value.tolist()
    if isinstance(value, sp.MatrixBase):
        return value.tolist()
    return value


def to_mp_point(problem: Problem, W: Any, H: Any, b: Any, dps: int | None = None) -> Point:
    """Convert ``(W, H, b)`` to a point of ``mpmath`` matrices, validating the shapes.

    Entries may be numbers, decimal or fraction strings (kept to full precision),
    SymPy numbers, NumPy arrays or ``mpmath`` matrices; ``b`` may be a flat list of
    ``K`` entries or a ``K x 1`` matrix.  Bad shapes or non-finite entries raise
    :class:`~ufm_sym.model.UFMInputError` (via ``problem.check_point``).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> W, H, b = to_mp_point(p, [["1/3", 0], [0, 1]], [[1, 0], [0, 1]], ["0.5", 0], dps=25)
    >>> mpmath.nstr(W[0, 0], 25), b.rows, b.cols
    ('0.3333333333333333333333333', 2, 1)
    >>> to_mp_point(p, [[1, 0]], [[1, 0], [0, 1]], [0, 0])
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: W: shape 1 x 2 does not match the problem (expected 2 x 2: K x d)
    """
    problem.check_point(W, H, b)
    with working_precision(dps):
        Wl = [[_to_mpf(x, f"W[{i}, {j}]") for j, x in enumerate(row)]
              for i, row in enumerate(_nested(W))]
        Hl = [[_to_mpf(x, f"H[{i}, {j}]") for j, x in enumerate(row)]
              for i, row in enumerate(_nested(H))]
        braw = _nested(b)
        bl = [_to_mpf(x[0] if isinstance(x, (list, tuple)) else x, f"b[{i}]")
              for i, x in enumerate(braw)]
        return _rows_to_point((Wl, Hl, bl))


def _matrix_rows(M: Any) -> Rows:
    if isinstance(M, mpmath.matrix):
        return [[M[i, j] for j in range(M.cols)] for i in range(M.rows)]
    return [[mpmath.mpf(x) for x in row] for row in M]


def _point_to_rows(point: Sequence[Any]) -> RowPoint:
    """``(W, H, b)`` (matrices, or already rows) to the internal list form."""
    W, H, b = point
    Wl = _matrix_rows(W)
    Hl = _matrix_rows(H)
    if isinstance(b, mpmath.matrix):
        bl = [b[i, 0] for i in range(b.rows)] if b.cols == 1 else [b[0, j] for j in range(b.cols)]
    else:
        bl = [mpmath.mpf(x[0] if isinstance(x, (list, tuple)) else x) for x in b]
    return Wl, Hl, bl


def _rows_to_point(rp: RowPoint) -> Point:
    Wl, Hl, bl = rp
    W = mpmath.matrix(len(Wl), len(Wl[0]) if Wl else 0)
    for i, row in enumerate(Wl):
        for j, x in enumerate(row):
            W[i, j] = x
    H = mpmath.matrix(len(Hl), len(Hl[0]) if Hl else 0)
    for i, row in enumerate(Hl):
        for j, x in enumerate(row):
            H[i, j] = x
    b = mpmath.matrix(len(bl), 1)
    for i, x in enumerate(bl):
        b[i, 0] = x
    return W, H, b


def _rows_to_matrix(A: Rows) -> mpmath.matrix:
    M = mpmath.matrix(len(A), len(A[0]) if A else 0)
    for i, row in enumerate(A):
        for j, x in enumerate(row):
            if x:
                M[i, j] = x
    return M


def num_params(problem: Problem) -> int:
    """``P = K d + d N + K``, the number of coordinates of a point.

    >>> from ufm_sym import Problem
    >>> num_params(Problem(loss="ce", K=8, n=4, lambda_W=1, lambda_H=1))
    328
    """
    return problem.K * problem.d + problem.d * problem.N + problem.K


def _flatten_rows(rp: RowPoint) -> list[Any]:
    Wl, Hl, bl = rp
    return [x for row in Wl for x in row] + [x for row in Hl for x in row] + list(bl)


def _unflatten_rows(problem: Problem, v: Sequence[Any]) -> RowPoint:
    K, d, N = problem.K, problem.d, problem.N
    if len(v) != num_params(problem):
        raise UFMInputError(f"vector: length {len(v)} does not match P = {num_params(problem)}")
    Wl = [list(v[a * d:(a + 1) * d]) for a in range(K)]
    off = K * d
    Hl = [list(v[off + c * N: off + (c + 1) * N]) for c in range(d)]
    bl = list(v[off + d * N:])
    return Wl, Hl, bl


def flatten(point: Point) -> list[Any]:
    """The point (or direction) as a flat list of ``mpf``: ``W`` row-major, ``H``
    row-major, then ``b``.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1)
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[5, 6], [7, 8]], [9, 10])
    >>> [int(t) for t in flatten(x)]
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    >>> flatten(unflatten(p, flatten(x))) == flatten(x)
    True
    """
    return _flatten_rows(_point_to_rows(point))


def unflatten(problem: Problem, vector: Any) -> Point:
    """Inverse of :func:`flatten`: a list (or ``mpmath`` column) of length ``P``."""
    if isinstance(vector, mpmath.matrix):
        vector = [vector[i] for i in range(len(vector))]
    return _rows_to_point(_unflatten_rows(problem, [mpmath.mpf(x) for x in vector]))


# ------------------------------------------------------------ small algebra
def _matmul(A: Rows, B: Rows) -> Rows:
    Bt = [list(c) for c in zip(*B, strict=True)] if B else []
    fdot = mpmath.fdot
    return [[fdot(r, c) for c in Bt] for r in A]


def _transpose(A: Rows) -> Rows:
    return [list(c) for c in zip(*A, strict=True)]


def _sqnorm(A: Rows) -> Any:
    return mpmath.fsum(mpmath.fdot(r, r) for r in A)


def _inner(A: Rows, B: Rows) -> Any:
    return mpmath.fsum(mpmath.fdot(r, s) for r, s in zip(A, B, strict=True))


def _labels(problem: Problem) -> list[int]:
    return [problem.label_of_column(j) for j in range(problem.N)]


# ------------------------------------------------------------ loss pieces
def _R_rows(rp: RowPoint) -> Rows:
    Wl, Hl, bl = rp
    WH = _matmul(Wl, Hl)
    return [[x + bl[i] for x in row] for i, row in enumerate(WH)]


def _softmax_cols(R: Rows) -> Rows:
    """Column-wise softmax of ``R`` (rows returned)."""
    K, N = len(R), len(R[0])
    out = [[mpmath.mpf(0)] * N for _ in range(K)]
    for j in range(N):
        col = [R[i][j] for i in range(K)]
        m = max(col)
        e = [mpmath.exp(x - m) for x in col]
        s = mpmath.fsum(e)
        for i in range(K):
            out[i][j] = e[i] / s
    return out


def _grad_g_rows(problem: Problem, R: Rows) -> tuple[Rows, Rows | None]:
    """``(G, P)``: ``G = grad g(R)`` and the softmax ``P`` (``None`` for MSE)."""
    N = problem.N
    labels = _labels(problem)
    if problem.loss == "ce":
        Pm = _softmax_cols(R)
        G = [[(Pm[i][j] - (1 if labels[j] == i else 0)) / N for j in range(N)]
             for i in range(len(R))]
        return G, Pm
    G = [[(R[i][j] - (1 if labels[j] == i else 0)) / N for j in range(N)]
         for i in range(len(R))]
    return G, None


def _g_value(problem: Problem, R: Rows) -> Any:
    N = problem.N
    labels = _labels(problem)
    K = len(R)
    if problem.loss == "ce":
        terms = []
        for j in range(N):
            col = [R[i][j] for i in range(K)]
            m = max(col)
            lse = m + mpmath.log(mpmath.fsum(mpmath.exp(x - m) for x in col))
            terms.append(lse - col[labels[j]])
        return mpmath.fsum(terms) / N
    return mpmath.fsum((R[i][j] - (1 if labels[j] == i else 0)) ** 2
                       for i in range(K) for j in range(N)) / (2 * N)


def _hess_g_rows(problem: Problem, Pm: Rows | None, D: Rows, E: Rows) -> Any:
    N = problem.N
    if problem.loss == "mse":
        return _inner(D, E) / N
    assert Pm is not None
    K = len(D)
    total = []
    for j in range(N):
        p = [Pm[i][j] for i in range(K)]
        dcol = [D[i][j] for i in range(K)]
        ecol = [E[i][j] for i in range(K)]
        pd = [p[i] * dcol[i] for i in range(K)]
        total.append(mpmath.fdot(pd, ecol) - mpmath.fsum(pd) * mpmath.fdot(p, ecol))
    return mpmath.fsum(total) / N


def _apply_hess_g(problem: Problem, Pm: Rows | None, D: Rows) -> Rows:
    """``S = hess_g(R)[D]`` as a K x N matrix (so that ``hess_g[D, E] = <S, E>``)."""
    N = problem.N
    if problem.loss == "mse":
        return [[x / N for x in row] for row in D]
    assert Pm is not None
    K = len(D)
    S = [[mpmath.mpf(0)] * N for _ in range(K)]
    for j in range(N):
        p = [Pm[i][j] for i in range(K)]
        pd = [p[i] * D[i][j] for i in range(K)]
        s = mpmath.fsum(pd)
        for i in range(K):
            S[i][j] = (pd[i] - p[i] * s) / N
    return S


def _D1(rp: RowPoint, dp: RowPoint) -> Rows:
    """``D_W H + W D_H + D_b 1^T``: the first-order change of ``R``."""
    Wl, Hl, _ = rp
    DW, DH, Db = dp
    A = _matmul(DW, Hl)
    B = _matmul(Wl, DH)
    return [[A[i][j] + B[i][j] + Db[i] for j in range(len(A[0]))] for i in range(len(A))]


def _objective_rows(problem: Problem, rp: RowPoint) -> Any:
    lw, lh, lb = problem.mp_lambdas()
    Wl, Hl, bl = rp
    return (_g_value(problem, _R_rows(rp)) + lw / 2 * _sqnorm(Wl) + lh / 2 * _sqnorm(Hl)
            + lb / 2 * mpmath.fdot(bl, bl))


def _gradient_rows(problem: Problem, rp: RowPoint) -> RowPoint:
    lw, lh, lb = problem.mp_lambdas()
    Wl, Hl, bl = rp
    G, _ = _grad_g_rows(problem, _R_rows(rp))
    GW = _matmul(G, _transpose(Hl))
    GW = [[x + lw * w for x, w in zip(r, wr, strict=True)] for r, wr in zip(GW, Wl, strict=True)]
    GH = _matmul(_transpose(Wl), G)
    GH = [[x + lh * h for x, h in zip(r, hr, strict=True)] for r, hr in zip(GH, Hl, strict=True)]
    Gb = [mpmath.fsum(G[i]) + lb * bl[i] for i in range(len(bl))]
    return GW, GH, Gb


def _norm_flat(v: Sequence[Any]) -> Any:
    return mpmath.sqrt(mpmath.fdot(v, v))


def _hessian_form_rows(problem: Problem, rp: RowPoint, dp: RowPoint, ep: RowPoint) -> Any:
    lw, lh, lb = problem.mp_lambdas()
    G, Pm = _grad_g_rows(problem, _R_rows(rp))
    D1 = _D1(rp, dp)
    E1 = D1 if ep is dp else _D1(rp, ep)
    DW, DH, Db = dp
    EW, EH, Eb = ep
    cross = _inner(G, _matmul(DW, EH)) + _inner(G, _matmul(EW, DH))
    return (_hess_g_rows(problem, Pm, D1, E1) + cross + lw * _inner(DW, EW)
            + lh * _inner(DH, EH) + lb * mpmath.fdot(Db, Eb))


def _hvp_rows(problem: Problem, rp: RowPoint, dp: RowPoint,
              cache: tuple[Rows, Rows | None] | None = None) -> RowPoint:
    lw, lh, lb = problem.mp_lambdas()
    Wl, Hl, _ = rp
    DW, DH, Db = dp
    G, Pm = cache if cache is not None else _grad_g_rows(problem, _R_rows(rp))
    S = _apply_hess_g(problem, Pm, _D1(rp, dp))
    VW1 = _matmul(S, _transpose(Hl))
    VW2 = _matmul(G, _transpose(DH))
    VW = [[VW1[a][c] + VW2[a][c] + lw * DW[a][c] for c in range(len(DW[0]))]
          for a in range(len(DW))]
    Wt = _transpose(Wl)
    VH1 = _matmul(Wt, S)
    VH2 = _matmul(_transpose(DW), G)
    VH = [[VH1[c][j] + VH2[c][j] + lh * DH[c][j] for j in range(len(DH[0]))]
          for c in range(len(DH))]
    Vb = [mpmath.fsum(S[a]) + lb * Db[a] for a in range(len(Db))]
    return VW, VH, Vb


def _hessian_rows(problem: Problem, rp: RowPoint) -> Rows:
    """The full ``P x P`` Hessian as rows, assembled block by block from its structure.

    With ``S_j = hess g`` of column ``j`` (CE: ``(diag p_j - p_j p_j^T)/N``; MSE
    ``I/N``) and ``T_j = S_j W``:

    - ``d2f/dW[a,c] dW[a',c'] = sum_j S_j[a,a'] H[c,j] H[c',j] + lW delta``;
    - ``d2f/dH[c,j] dH[c',j'] = delta_jj' (W^T T_j)[c,c'] + lH delta``;
    - ``d2f/dW[a,c] dH[c',j] = T_j[a,c'] H[c,j] + delta_cc' G[a,j]``;
    - ``d2f/dW[a,c] db[a'] = sum_j S_j[a,a'] H[c,j]``,
      ``d2f/dH[c,j] db[a] = T_j[a,c]``, ``d2f/db db = sum_j S_j + lb I``.
    """
    lw, lh, lb = problem.mp_lambdas()
    K, d, N = problem.K, problem.d, problem.N
    Wl, Hl, _ = rp
    G, Pm = _grad_g_rows(problem, _R_rows(rp))
    P = num_params(problem)
    zero = mpmath.mpf(0)
    A = [[zero] * P for _ in range(P)]
    oH, ob = K * d, K * d + d * N
    fdot = mpmath.fdot
    # S_j entries: S[a][a'] as a list over j
    if problem.loss == "ce":
        assert Pm is not None
        Sj = [[[(Pm[a][j] * ((1 if a == e else 0) - Pm[e][j])) / N for e in range(K)]
               for a in range(K)] for j in range(N)]
    else:
        invN = mpmath.mpf(1) / N
        Sj = [[[invN if a == e else zero for e in range(K)] for a in range(K)] for _ in range(N)]
    Sae = [[[Sj[j][a][e] for j in range(N)] for e in range(K)] for a in range(K)]
    # T_j = S_j W  (K x d)
    Tj = [[[fdot(Sj[j][a], (Wl[e][c] for e in range(K))) for c in range(d)] for a in range(K)]
          for j in range(N)]
    # W-W block
    HH = [[[Hl[c][j] * Hl[c2][j] for j in range(N)] for c2 in range(d)] for c in range(d)]
    for a in range(K):
        for e in range(a, K):
            s_ae = Sae[a][e]
            if not any(s_ae):
                continue
            for c in range(d):
                i = a * d + c
                for c2 in range(d):
                    k = e * d + c2
                    if k < i:
                        continue
                    v = fdot(s_ae, HH[c][c2])
                    A[i][k] = v
                    A[k][i] = v
    for i in range(K * d):
        A[i][i] += lw
    # H-H block (block diagonal over j)
    Wt = _transpose(Wl)
    for j in range(N):
        T = Tj[j]
        for c in range(d):
            i = oH + c * N + j
            for c2 in range(c, d):
                k = oH + c2 * N + j
                v = fdot(Wt[c], (T[a][c2] for a in range(K)))
                A[i][k] = v
                A[k][i] = v
    for i in range(oH, ob):
        A[i][i] += lh
    # W-H block
    for a in range(K):
        for c in range(d):
            i = a * d + c
            Hc = Hl[c]
            row = A[i]
            for c2 in range(d):
                base = oH + c2 * N
                same = c == c2
                for j in range(N):
                    v = Tj[j][a][c2] * Hc[j]
                    if same:
                        v += G[a][j]
                    row[base + j] = v
                    A[base + j][i] = v
    # W-b and H-b blocks
    for a in range(K):
        for c in range(d):
            i = a * d + c
            for e in range(K):
                v = fdot(Sae[a][e], Hl[c])
                A[i][ob + e] = v
                A[ob + e][i] = v
    for c in range(d):
        for j in range(N):
            i = oH + c * N + j
            for a in range(K):
                v = Tj[j][a][c]
                A[i][ob + a] = v
                A[ob + a][i] = v
    # b-b block
    for a in range(K):
        for e in range(K):
            A[ob + a][ob + e] = mpmath.fsum(Sae[a][e]) + (lb if a == e else 0)
    return A


# ------------------------------------------------------------- public API
def residual_R(problem: Problem, point: Point, dps: int | None = None) -> mpmath.matrix:
    """``R = W H + b 1_N^T`` (``K x N``).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1)
    >>> R = residual_R(p, to_mp_point(p, [[1, 0], [0, 2]], [[1, 1], [0, 1]], [0, 1]))
    >>> R.tolist()
    [[mpf('1.0'), mpf('1.0')], [mpf('1.0'), mpf('3.0')]]
    """
    with working_precision(dps):
        return _rows_to_matrix(_R_rows(_point_to_rows(point)))


def grad_g(problem: Problem, R: mpmath.matrix, dps: int | None = None) -> mpmath.matrix:
    """``grad g(R)``: ``(softmax(R) - Y)/N`` for CE, ``(R - Y)/N`` for MSE.

    For CE every column sums to zero, (3.6):

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=3, n=1, lambda_W=1, lambda_H=1)
    >>> G = grad_g(p, mpmath.matrix([[1, 2, 0], [0, 1, 5], [3, 0, 1]]), dps=30)
    >>> with mpmath.workdps(30):
    ...     abs(sum(G[i, 1] for i in range(3))) < mpmath.mpf(10) ** -28
    True
    """
    with working_precision(dps):
        G, _ = _grad_g_rows(problem, _matrix_rows(R))
        return _rows_to_matrix(G)


def hess_g_form(problem: Problem, R: mpmath.matrix, D: mpmath.matrix,
                E: mpmath.matrix | None = None, dps: int | None = None) -> Any:
    """``hess g(R)[D, E]`` (``E = D`` by default); ``||D||_F^2 / N`` for MSE.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1)
    >>> hess_g_form(p, mpmath.zeros(2, 2), mpmath.matrix([[1, 1], [1, 1]]))
    mpf('2.0')
    """
    with working_precision(dps):
        Rl = _matrix_rows(R)
        _, Pm = _grad_g_rows(problem, Rl)
        Dl = _matrix_rows(D)
        El = Dl if E is None else _matrix_rows(E)
        return _hess_g_rows(problem, Pm, Dl, El)


def objective(problem: Problem, point: Point, dps: int | None = None) -> Any:
    """``f(W, H, b)`` of (1.3) / (1.4).

    At the MSE origin ``(0, 0, 0)``: ``f = 1/(2N) ||Y||_F^2 = 1/2``.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=3, n=2, lambda_W=1, lambda_H=1)
    >>> objective(p, to_mp_point(p, [[0] * 3] * 3, [[0] * 6] * 3, [0] * 3))
    mpf('0.5')
    """
    with working_precision(dps):
        return _objective_rows(problem, _point_to_rows(point))


def gradient(problem: Problem, point: Point, dps: int | None = None) -> Point:
    """``(d f/dW, d f/dH, d f/db) = (G H^T + lW W, W^T G + lH H, G 1_N + lb b)``.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1, lambda_b="0.5")
    >>> gw, gh, gb = gradient(p, to_mp_point(p, [[0, 0], [0, 0]], [[0, 0], [0, 0]], [0, 0]))
    >>> gb.T.tolist()
    [[mpf('-0.5'), mpf('-0.5')]]
    """
    with working_precision(dps):
        return _rows_to_point(_gradient_rows(problem, _point_to_rows(point)))


def gradient_norm(problem: Problem, point: Point, dps: int | None = None) -> Any:
    """Euclidean norm of the full gradient (all ``P`` coordinates).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01")
    >>> gradient_norm(p, to_mp_point(p, [[0] * 3] * 3, [[0] * 6] * 3, [0] * 3), dps=40) < 1e-38
    True
    """
    with working_precision(dps):
        return _norm_flat(_flatten_rows(_gradient_rows(problem, _point_to_rows(point))))


def hessian_form(problem: Problem, point: Point, direction: Point,
                 direction2: Point | None = None, dps: int | None = None) -> Any:
    """The Hessian bilinear form (3.9) / (4.18): ``hess f[direction, direction2]``
    (``direction2 = direction`` by default); symmetric in its two arguments.

    At the CE origin along ``(E_11, 0, 0)`` only ``lW ||D_W||^2`` survives
    (``W = H = 0``, so ``D1 = D_W H + W D_H = 0``):

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.25", lambda_H=1)
    >>> x = to_mp_point(p, [[0, 0], [0, 0]], [[0, 0], [0, 0]], [0, 0])
    >>> dx = to_mp_point(p, [[1, 0], [0, 0]], [[0, 0], [0, 0]], [0, 0])
    >>> hessian_form(p, x, dx)
    mpf('0.25')
    """
    with working_precision(dps):
        rp = _point_to_rows(point)
        dp = _point_to_rows(direction)
        ep = dp if direction2 is None else _point_to_rows(direction2)
        return _hessian_form_rows(problem, rp, dp, ep)


def hessian_vector_product(problem: Problem, point: Point, direction: Point,
                           dps: int | None = None) -> Point:
    """``hess f[direction]`` as a direction-shaped tuple ``(V_W, V_H, V_b)``, so that
    ``<HVP(D), E> = hessian_form(D, E)``::

        V_W = S H^T + G D_H^T + lW D_W,  V_H = W^T S + D_W^T G + lH D_H,
        V_b = S 1_N + lb D_b,             S = hess g(R)[D1]

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.25", lambda_H=1)
    >>> x = to_mp_point(p, [[0, 0], [0, 0]], [[0, 0], [0, 0]], [0, 0])
    >>> vw, vh, vb = hessian_vector_product(p, x, to_mp_point(p, [[0] * 2] * 2, [[0] * 2] * 2,
    ...                                                        [1, 0]))
    >>> vb.T.tolist()
    [[mpf('1.0'), mpf('0.0')]]
    """
    with working_precision(dps):
        return _rows_to_point(_hvp_rows(problem, _point_to_rows(point),
                                        _point_to_rows(direction)))


def hessian_matrix(problem: Problem, point: Point, dps: int | None = None) -> mpmath.matrix:
    """The full symmetric ``P x P`` Hessian (vectorization as in :func:`flatten`).

    Assembled directly from the block structure (see ``_hessian_rows``), not by
    differentiation; ``K = d = 8, n = 4`` (``P = 328``) takes about 0.2 s at 50 dps.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.5", lambda_H="0.5", lambda_b=1)
    >>> Hm = hessian_matrix(p, to_mp_point(p, [[0] * 2] * 2, [[0] * 2] * 2, [0, 0]))
    >>> Hm.rows, Hm[0, 0], Hm[8, 8], Hm[8, 9]
    (10, mpf('0.5'), mpf('1.25'), mpf('-0.25'))
    """
    with working_precision(dps):
        return _rows_to_matrix(_hessian_rows(problem, _point_to_rows(point)))

