"""The smallest Hessian eigenvalue: dense ``eigh`` for small sizes, Lanczos otherwise.

The Hessian of the UFM has zero eigenvalues along the rotation orbit
``(W Q, Q^T H, b)`` (and, for CE with ``lambda_b = 0``, along ``b + c 1``), so a sign
decision needs a margin: an eigenvalue below ``-margin`` is negative, one within
``margin`` of zero is *near zero* and gets no sign.  The margin is stated with every
result (:class:`EigenResult`):

    margin = max(atol, grad_factor * ||grad f(x)||, rtol * scale) + residual

``scale`` is the spectral radius (dense) or its Lanczos estimate; ``||grad f||`` enters
because at a point that is only approximately critical the orbit eigenvalues move by
about that much; ``residual`` is the Lanczos residual bound ``|beta_k s_k|`` (0 for the
dense path).  Defaults: ``atol = 1e-10``, ``grad_factor = 100``, ``rtol = 1e-10``.

The Lanczos path is matrix-free (one Hessian-vector product per step) and written on
the array API: with ``reorthogonalize="full"`` it keeps the basis and orthogonalises
twice against it (classical Gram-Schmidt, repeated), with ``"none"`` it keeps only two
vectors of the full size (the memory-lean mode for ``K = d = 1000``).  A Ritz value is
a Rayleigh quotient, so it never lies below the true smallest eigenvalue (up to
rounding): ``value < -margin`` certifies a negative eigenvalue even before convergence.

>>> import numpy as np
>>> from ufm_sym import Problem
>>> p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> origin = (np.zeros((3, 3)), np.zeros((3, 6)), np.zeros(3))
>>> lam = smallest_hessian_eigenvalue(p, origin)
>>> lam.method, round(lam.value, 6), lam.is_negative    # -1/(K sqrt n) + sqrt(lW lH)
('dense', -0.225702, True)
>>> lam2 = smallest_hessian_eigenvalue(p, origin, method="lanczos")
>>> abs(lam2.value - lam.value) < 1e-8
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import array_api_compat
import numpy as np
import scipy.linalg

from ufm_sym.model import Problem, UFMInputError
from ufm_sym.numeric.backend import Backend, get_backend
from ufm_sym.numeric.kernels import HessianOperator

DENSE_LIMIT = 1500  # parameters; above this "auto" uses Lanczos


@dataclass(frozen=True)
class EigenResult:
    """The smallest Hessian eigenvalue and the tolerance used for its sign.

    ``n_negative`` / ``n_near_zero`` count eigenvalues below ``-margin`` / within
    ``margin`` of zero (dense path only; ``None`` for Lanczos).  ``float(result)`` is
    the value.
    """

    value: float
    margin: float
    method: str
    size: int
    grad_norm: float
    residual: float = 0.0
    iterations: int = 0
    converged: bool = True
    n_negative: int | None = None
    n_near_zero: int | None = None
    eigenvalues: tuple[float, ...] | None = None

    def __float__(self) -> float:
        return self.value

    @property
    def is_negative(self) -> bool:
        """``value < -margin``: certified negative (a Ritz value bounds it from above)."""
        return self.value < -self.margin

    @property
    def is_nonnegative(self) -> bool:
        """``value >= -margin`` and converged: no eigenvalue below ``-margin``."""
        return self.converged and self.value >= -self.margin

    def to_dict(self, spectrum: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not spectrum:
            d.pop("eigenvalues")
        return d


def sign_margin(scale: float, grad_norm: float, residual: float = 0.0, *, atol: float = 1e-10,
                grad_factor: float = 100.0, rtol: float = 1e-10) -> float:
    """The margin of the sign decision: ``max(atol, grad_factor*|grad|, rtol*scale) + residual``.

    >>> sign_margin(2.0, 1e-9) == 100 * 1e-9
    True
    """
    return max(atol, grad_factor * grad_norm, rtol * scale) + residual


def hessian_spectrum(problem: Problem, point: Sequence[Any], *,
                     backend: Backend | str | None = None) -> np.ndarray:
    """All Hessian eigenvalues (ascending, dense ``eigh``; small sizes)."""
    op = HessianOperator(problem, point, backend=backend)
    xp = op.xp
    return op.backend.to_numpy(xp.linalg.eigvalsh(op.dense()))


def smallest_hessian_eigenvalue(problem: Problem, point: Sequence[Any], *,
                                method: str = "auto", backend: Backend | str | None = None,
                                tol: float = 1e-9, maxiter: int | None = None, seed: int = 0,
                                reorthogonalize: str = "auto", chunk: int | None = None,
                                store_gradient: bool | None = None,
                                atol: float = 1e-10, grad_factor: float = 100.0,
                                rtol: float = 1e-10, keep_spectrum: bool = False,
                                start: Sequence[Any] | None = None) -> EigenResult:
    """The smallest eigenvalue of the Hessian of ``f`` at ``point``, with its margin.

    ``method``: ``"dense"`` (assemble and ``eigh``), ``"lanczos"`` (matrix-free, array
    API), ``"eigsh"`` (SciPy ARPACK on a ``LinearOperator``, NumPy only) or ``"auto"``
    (dense up to 1500 parameters).  Lanczos stops when the residual bound of the smallest
    Ritz value is below ``tol * scale``; ``start`` optionally seeds its start vector
    (a direction ``(dW, dH, db)``, mixed with a seeded random vector).
    """
    method = method.strip().lower()
    if method not in ("auto", "dense", "lanczos", "eigsh"):
        raise UFMInputError(
            f"method: unknown eigenvalue method {method!r} (expected auto, dense, lanczos, eigsh)"
        )
    op = HessianOperator(problem, point, backend=backend, chunk=chunk,
                         store_gradient=store_gradient)
    gnorm = op.gradient_norm()
    if method == "auto":
        method = "dense" if op.size <= DENSE_LIMIT else "lanczos"
    margin_kw = {"atol": atol, "grad_factor": grad_factor, "rtol": rtol}
    if method == "dense":
        ev = op.backend.to_numpy(op.xp.linalg.eigvalsh(op.dense()))
        scale = float(np.max(np.abs(ev))) if ev.size else 0.0
        margin = sign_margin(scale, gnorm, **margin_kw)
        return EigenResult(
            value=float(ev[0]), margin=margin, method="dense", size=op.size, grad_norm=gnorm,
            n_negative=int(np.sum(ev < -margin)), n_near_zero=int(np.sum(np.abs(ev) <= margin)),
            eigenvalues=tuple(float(x) for x in ev) if keep_spectrum else None,
        )
    if method == "eigsh":
        return _eigsh(op, gnorm, tol, maxiter, seed, margin_kw)
    return _lanczos(op, gnorm, tol, maxiter, seed, reorthogonalize, margin_kw, start)


def _start_vector(op: HessianOperator, seed: int, start: Sequence[Any] | None) -> Any:
    rng = np.random.default_rng(seed)
    v = op.backend.asarray(rng.standard_normal(op.size))
    v /= _norm(v)
    if start is not None:
        s = op.join([op.backend.asarray(x) for x in start])
        s /= _norm(s)
        _axpy(s, 1e-3, v)
        v = s
        v /= _norm(v)
    return v


def _norm(x: Any) -> float:
    """``||x||_2`` of a flat vector without a full-size temporary."""
    xp = array_api_compat.array_namespace(x)
    return float(xp.vecdot(x, x)) ** 0.5


def _axpy(y: Any, a: float, x: Any, block: int = 1 << 20) -> None:
    """``y += a x`` in place, in blocks (no full-size temporary)."""
    n = y.shape[0]
    for s in range(0, n, block):
        y[s:s + block] += a * x[s:s + block]


def _lanczos(op: HessianOperator, gnorm: float, tol: float, maxiter: int | None, seed: int,
             reorth: str, margin_kw: dict[str, float], start: Sequence[Any] | None) -> EigenResult:
    xp, P = op.xp, op.size
    if maxiter is None:
        maxiter = min(P, 500)
    maxiter = max(1, min(int(maxiter), P))
    if reorth == "auto":
        reorth = "full" if P * maxiter * 8 <= 256 * 2**20 else "none"
    if reorth not in ("full", "none"):
        raise UFMInputError(f"reorthogonalize: {reorth!r} (expected full, none or auto)")
    v = _start_vector(op, seed, start)
    basis = [v] if reorth == "full" else None
    prev = op.backend.zeros((P,))
    alphas: list[float] = []
    betas: list[float] = []
    beta = 0.0
    theta, resid, scale, converged, k = 0.0, float("inf"), 0.0, False, 0
    for k in range(1, maxiter + 1):
        if basis is None:
            op.matvec_into(v, prev, beta)      # prev <- A v - beta * v_{k-1}, in place
        else:
            w = op.backend.zeros((P,))
            op.matvec_into(v, w, 0.0)
            _axpy(w, -beta, prev)
            prev = w
        alpha = float(xp.vecdot(v, prev))
        _axpy(prev, -alpha, v)
        if basis is not None:
            for _ in range(2):
                for q in basis:
                    _axpy(prev, -float(xp.vecdot(q, prev)), q)
        beta = _norm(prev)
        alphas.append(alpha)
        theta, s_last, scale = _ritz_smallest(alphas, betas)
        resid = abs(beta * s_last)
        if resid <= tol * max(scale, 1e-300) or beta <= 1e-300 or k == P:
            converged = True
            break
        betas.append(beta)
        prev /= beta
        v, prev = prev, v                      # v <- v_{k+1}, prev <- v_k
        if basis is not None:
            basis.append(v)
    margin = sign_margin(scale, gnorm, resid if np.isfinite(resid) else 0.0, **margin_kw)
    return EigenResult(value=theta, margin=margin,
                       method="lanczos" + ("" if reorth == "full" else "-lean"), size=P,
                       grad_norm=gnorm, residual=float(resid), iterations=k, converged=converged)


def _ritz_smallest(alphas: list[float], betas: list[float]) -> tuple[float, float, float]:
    """Smallest Ritz value, last component of its eigenvector, and spectral scale of T."""
    a = np.asarray(alphas)
    if a.size == 1:
        return float(a[0]), 1.0, abs(float(a[0]))
    e = np.asarray(betas)
    w, s = scipy.linalg.eigh_tridiagonal(a, e)
    return float(w[0]), float(s[-1, 0]), float(max(abs(w[0]), abs(w[-1])))


def _eigsh(op: HessianOperator, gnorm: float, tol: float, maxiter: int | None, seed: int,
           margin_kw: dict[str, float]) -> EigenResult:
    if op.backend.name != "numpy":
        raise UFMInputError("method: 'eigsh' needs the numpy backend (use 'lanczos')")
    from scipy.sparse.linalg import LinearOperator, eigsh

    P = op.size
    lin = LinearOperator((P, P), matvec=lambda v: op.matvec(np.ascontiguousarray(v.ravel())),
                         dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(P)
    vals, vecs = eigsh(lin, k=1, which="SA", tol=tol, v0=v0,
                       maxiter=maxiter if maxiter is not None else 10 * P)
    x = vecs[:, 0]
    r = float(np.linalg.norm(op.matvec(x) - vals[0] * x))
    scale = abs(float(vals[0]))
    margin = sign_margin(scale, gnorm, r, **margin_kw)
    return EigenResult(value=float(vals[0]), margin=margin, method="eigsh", size=P,
                       grad_norm=gnorm, residual=r, iterations=0, converged=True)


def smallest_eigenvalues_batched(problems: Sequence[Problem], points: Sequence[Any], *,
                                 backend: Backend | str | None = None) -> np.ndarray:
    """Smallest Hessian eigenvalues of many problems of one shape at once (dense, batched).

    ``points`` is a triple of arrays with a leading batch axis.
    """
    from ufm_sym.numeric.kernels import dense_hessians

    be = get_backend(backend)
    A = dense_hessians(problems, points, backend=be)
    return be.to_numpy(be.xp.linalg.eigvalsh(A)[..., 0])
