"""Spectral helpers at high precision: SVD, spectral norm, symmetric eigenvalues,
null vectors and numerical rank.

Everything runs under an explicit ``dps`` (``None``: the current ``mpmath.mp.dps``).
Small problems use ``mpmath`` (``svd_r``, retried with guard digits where it does not
converge: :func:`ufm_sym.symbolic.evaluate.mp_svd_r`; ``eigsy``); large symmetric
eigenproblems can use python-flint (``acb_mat.eig``), imported lazily, which is much
faster (about 0.5 s instead of 10 s for an 80 x 80 matrix at 60 digits).

>>> import mpmath
>>> A = mpmath.matrix([[3, 0], [4, 5]])
>>> mpmath.nstr(spectral_norm(A, dps=30), 20)
'6.7082039324993690892'
>>> numerical_rank(mpmath.matrix([[1, 2], [2, 4]]), rtol=mpmath.mpf(10) ** -40, dps=50)
1
"""

from __future__ import annotations

from typing import Any

import mpmath

from ufm_sym.highprec.evaluate import working_precision
from ufm_sym.symbolic.evaluate import mp_svd_r

__all__ = [
    "eigenvalue_enclosures",
    "null_vector",
    "numerical_rank",
    "singular_values",
    "spectral_norm",
    "svd",
    "symmetric_eig",
    "symmetric_eigenvalues",
]


def _as_matrix(A: Any) -> mpmath.matrix:
    return A if isinstance(A, mpmath.matrix) else mpmath.matrix(A)


def svd(A: Any, dps: int | None = None,
        full_matrices: bool = False) -> tuple[mpmath.matrix, list[Any], mpmath.matrix]:
    """``(U, S, Vt)`` with ``A = U diag(S) Vt``, ``S`` descending (``mpmath.svd_r``).

    >>> import mpmath
    >>> U, S, Vt = svd(mpmath.matrix([[0, 2], [1, 0]]), dps=20)
    >>> S
    [mpf('2.0'), mpf('1.0')]
    """
    with working_precision(dps):
        U, S, Vt = mp_svd_r(_as_matrix(A), full_matrices=full_matrices, compute_uv=True)
        return U, [S[i] for i in range(len(S))], Vt


def singular_values(A: Any, dps: int | None = None) -> list[Any]:
    """Singular values, descending.

    >>> import mpmath
    >>> singular_values(mpmath.matrix([[0, 2, 0], [1, 0, 0]]), dps=20)
    [mpf('2.0'), mpf('1.0')]
    """
    with working_precision(dps):
        S = mp_svd_r(_as_matrix(A), compute_uv=False)
        return sorted((S[i] for i in range(len(S))), reverse=True)


def spectral_norm(A: Any, dps: int | None = None) -> Any:
    """Largest singular value ``||A||_2`` (zero for the zero matrix).

    >>> import mpmath
    >>> spectral_norm(mpmath.zeros(2, 3))
    mpf('0.0')
    """
    A = _as_matrix(A)
    if all(A[i, j] == 0 for i in range(A.rows) for j in range(A.cols)):
        return mpmath.mpf(0)
    return singular_values(A, dps)[0]


def _flint_sym_eig(A: mpmath.matrix, want_vectors: bool) -> tuple[list[Any], Any]:
    try:
        import flint
    except ImportError as exc:  # pragma: no cover - flint is an optional speed-up
        raise ImportError("method='flint' needs python-flint (pip install python-flint)") from exc
    bits = int(mpmath.mp.prec) + 64
    n = A.rows
    with flint.ctx.workprec(bits):
        M = flint.acb_mat(flint.arb_mat([[flint.arb(A[i, j]) for j in range(n)]
                                         for i in range(n)]))
        # without an explicit tolerance flint stops early, and eigenvalues of a cluster
        # at zero come out as large as 1e-6 (the rotation orbit of a critical point)
        tol = flint.arb(2) ** -bits
        if want_vectors:
            E, R = M.eig(right=True, algorithm="approx", tol=tol)
        else:
            E, R = M.eig(algorithm="approx", tol=tol), None
        vals = [mpmath.mpf(tuple(int(t) for t in e.real.mid().man_exp())) for e in E]
        vecs = None
        if want_vectors:
            vecs = mpmath.matrix(n, n)
            for k in range(n):
                col = [mpmath.mpf(tuple(int(t) for t in R[i, k].real.mid().man_exp()))
                       for i in range(n)]
                nrm = mpmath.sqrt(mpmath.fdot(col, col))
                for i in range(n):
                    vecs[i, k] = col[i] / nrm
    order = sorted(range(n), key=lambda k: vals[k])
    vals = [vals[k] for k in order]
    if vecs is not None:
        vecs = mpmath.matrix([[vecs[i, k] for k in order] for i in range(n)])
    return vals, vecs


def symmetric_eigenvalues(A: Any, dps: int | None = None, method: str = "auto") -> list[Any]:
    """Eigenvalues of a symmetric matrix, ascending.

    ``method``: ``"mpmath"`` (``mpmath.eigsy``, Jacobi/QL, pure Python), ``"flint"``
    (python-flint approximate QR at the working precision plus 64 guard bits; no
    error bounds) or ``"auto"`` (flint above 24 x 24 when installed).

    >>> import mpmath
    >>> symmetric_eigenvalues(mpmath.matrix([[2, 1], [1, 2]]), dps=20)
    [mpf('1.0'), mpf('3.0')]
    >>> [mpmath.nint(x) for x in symmetric_eigenvalues(mpmath.matrix([[2, 1], [1, 2]]),
    ...                                                 dps=30, method="flint")]
    [mpf('1.0'), mpf('3.0')]
    """
    return symmetric_eig(A, dps=dps, method=method, vectors=False)[0]


def symmetric_eig(A: Any, dps: int | None = None, method: str = "auto",
                  vectors: bool = True) -> tuple[list[Any], mpmath.matrix | None]:
    """``(eigenvalues ascending, eigenvectors as columns)`` of a symmetric matrix.

    >>> import mpmath
    >>> E, Q = symmetric_eig(mpmath.matrix([[2, 0], [0, 1]]), dps=20)
    >>> E, abs(Q[1, 0])
    ([mpf('1.0'), mpf('2.0')], mpf('1.0'))
    """
    if method not in ("auto", "mpmath", "flint"):
        raise ValueError(f"method: unknown method {method!r} (auto, mpmath, flint)")
    with working_precision(dps):
        A = _as_matrix(A)
        if method == "auto":
            method = "mpmath"
            if A.rows > 24:
                try:
                    import flint  # noqa: F401

                    method = "flint"
                except ImportError:  # pragma: no cover
                    pass
        if method == "flint":
            return _flint_sym_eig(A, vectors)
        if vectors:
            E, Q = mpmath.eigsy(A)
            return [E[i] for i in range(len(E))], Q
        E = mpmath.eigsy(A, eigvals_only=True)
        return [E[i] for i in range(len(E))], None


def eigenvalue_enclosures(A: Any, dps: int | None = None) -> list[tuple[Any, Any]]:
    """Certified enclosures ``[(lower, upper), ...]`` of the eigenvalues of a symmetric
    matrix (python-flint ball arithmetic, ``acb_mat.eig(multiple=True)``), ascending by
    midpoint.  Raises ``ValueError`` when flint cannot isolate them (e.g. clusters that
    are too tight at this precision).

    >>> import mpmath
    >>> [(float(lo), float(hi)) for lo, hi in eigenvalue_enclosures(
    ...     mpmath.matrix([[2, 1], [1, 2]]), dps=20)]
    [(1.0, 1.0), (3.0, 3.0)]
    """
    import flint

    with working_precision(dps):
        A = _as_matrix(A)
        n = A.rows
        bits = int(mpmath.mp.prec) + 32
        with flint.ctx.workprec(bits):
            M = flint.acb_mat(flint.arb_mat([[flint.arb(A[i, j]) for j in range(n)]
                                             for i in range(n)]))
            E = M.eig(multiple=True)
            out = []
            for e in E:
                re = e.real
                lo = mpmath.mpf(tuple(int(t) for t in re.lower().mid().man_exp()))
                hi = mpmath.mpf(tuple(int(t) for t in re.upper().mid().man_exp()))
                if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
                    raise ValueError("eigenvalue_enclosures: flint could not isolate eigenvalues")
                out.append((lo, hi))
        return sorted(out, key=lambda t: t[0] + t[1])


def null_vector(W: Any, tol: Any, dps: int | None = None) -> tuple[mpmath.matrix, Any]:
    """A unit vector ``a`` with ``W a = 0`` up to ``tol``: the right singular vector of
    the smallest singular value.  Returns ``(a, ||W a||)`` (``a`` a column); raises
    ``ValueError`` when ``||W a|| > tol`` (no null vector at this tolerance).

    >>> import mpmath
    >>> a, res = null_vector(mpmath.matrix([[1, -1], [2, -2]]), tol=mpmath.mpf(10) ** -40,
    ...                      dps=50)
    >>> mpmath.nstr(abs(a[0]), 10), res < mpmath.mpf(10) ** -45
    ('0.7071067812', True)
    """
    with working_precision(dps):
        W = _as_matrix(W)
        tol = mpmath.mpf(tol)
        _, _, Vt = mp_svd_r(W, full_matrices=True, compute_uv=True)
        a = mpmath.matrix([Vt[Vt.rows - 1, j] for j in range(Vt.cols)])
        a = a / mpmath.norm(a)
        res = mpmath.norm(W * a)
        if res > tol:
            raise ValueError(f"null_vector: smallest ||W a|| = {mpmath.nstr(res, 5)} > tol "
                             f"{mpmath.nstr(tol, 5)}")
        return a, res


def numerical_rank(A: Any, rtol: Any, dps: int | None = None) -> int:
    """Number of singular values ``> rtol * sigma_max`` (``rtol`` is required, a relative
    tolerance; ``0`` for the zero matrix).

    >>> import mpmath
    >>> numerical_rank(mpmath.zeros(2, 2), rtol=1e-30)
    0
    >>> numerical_rank(mpmath.eye(3), rtol=mpmath.mpf(10) ** -40, dps=50)
    3
    """
    with working_precision(dps):
        S = singular_values(A)
        if not S or S[0] == 0:
            return 0
        cut = mpmath.mpf(rtol) * S[0]
        return sum(1 for s in S if s > cut)
