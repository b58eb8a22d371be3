"""Float64 objective, gradient and L-BFGS: the float64-accurate starting points that
:mod:`ufm_sym.highprec.refine` polishes to high precision.

Vectors are flat NumPy arrays in the vectorization of
:func:`ufm_sym.highprec.evaluate.flatten` (``W`` row-major, ``H`` row-major, ``b``).
A minimization can be restricted to a linear subspace ``x = B y`` (``B`` a ``P x m``
array), e.g. an invariant subspace, where a local minimizer of the restricted problem is
a critical point of the full one.  Tolerances are float64: ``gtol`` on the reduced
gradient (default ``1e-11``).

>>> import numpy as np
>>> from ufm_sym import Problem
>>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
>>> out = minimize(p, np.linspace(-1, 1, 10))
>>> round(out.value, 10), out.gradient_norm < 1e-9
(0.09, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize

from ufm_sym.model import Problem

__all__ = ["MinimizeResult", "minimize", "objective_and_gradient", "split"]


def split(problem: Problem, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(W, H, b)`` views of a flat vector.

    >>> from ufm_sym import Problem
    >>> W, H, b = split(Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1), np.arange(10.))
    >>> W.shape, H.shape, b.tolist()
    ((2, 2), (2, 2), [8.0, 9.0])
    """
    K, d, N = problem.K, problem.d, problem.N
    W = x[:K * d].reshape(K, d)
    H = x[K * d:K * d + d * N].reshape(d, N)
    b = x[K * d + d * N:]
    return W, H, b


def objective_and_gradient(problem: Problem, x: np.ndarray) -> tuple[float, np.ndarray]:
    """``(f(x), grad f(x))`` in float64 (same formulas as the mpmath module).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01")
    >>> f, g = objective_and_gradient(p, np.zeros(3 * 3 + 3 * 6 + 3))
    >>> round(f, 12) == round(float(np.log(3)), 12), float(np.abs(g).max()) < 1e-15
    (True, True)
    """
    lw, lh, lb = problem.float_lambdas()
    W, H, b = split(problem, np.asarray(x, dtype=float))
    K, N, n = problem.K, problem.N, problem.n
    Y = np.kron(np.eye(K), np.ones((1, n)))
    R = W @ H + b[:, None]
    if problem.loss == "ce":
        m = R.max(axis=0, keepdims=True)
        E = np.exp(R - m)
        s = E.sum(axis=0, keepdims=True)
        lse = (m + np.log(s)).ravel()
        g_val = float(np.sum(lse - np.sum(R * Y, axis=0)) / N)
        G = (E / s - Y) / N
    else:
        g_val = float(np.sum((R - Y) ** 2) / (2 * N))
        G = (R - Y) / N
    f = g_val + lw / 2 * float(np.sum(W * W)) + lh / 2 * float(np.sum(H * H)) \
        + lb / 2 * float(b @ b)
    grad = np.concatenate([(G @ H.T + lw * W).ravel(), (W.T @ G + lh * H).ravel(),
                           G.sum(axis=1) + lb * b])
    return f, grad


@dataclass(frozen=True)
class MinimizeResult:
    """``x`` (full flat vector), ``value``, ``gradient_norm`` (full), ``reduced_gradient_norm``,
    ``iterations`` and scipy's ``message``."""

    x: np.ndarray
    value: float
    gradient_norm: float
    reduced_gradient_norm: float
    iterations: int
    message: str


def minimize(problem: Problem, x0: Any, basis: np.ndarray | None = None, gtol: float = 1e-11,
             maxiter: int = 20000) -> MinimizeResult:
    """L-BFGS (scipy, analytic gradient) from ``x0``; with ``basis`` (``P x m``), over
    ``x = basis @ y`` with ``y`` the least-squares coordinates of ``x0``.

    >>> import numpy as np
    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    >>> rng = np.random.default_rng(0)
    >>> out = minimize(p, rng.normal(size=21))
    >>> out.gradient_norm < 1e-8
    True
    """
    x0 = np.asarray(x0, dtype=float)
    if basis is None:
        def fun(y: np.ndarray) -> tuple[float, np.ndarray]:
            return objective_and_gradient(problem, y)
        y0 = x0
    else:
        B = np.asarray(basis, dtype=float)
        y0 = np.linalg.lstsq(B, x0, rcond=None)[0]

        def fun(y: np.ndarray) -> tuple[float, np.ndarray]:
            f, g = objective_and_gradient(problem, B @ y)
            return f, B.T @ g
    res = scipy.optimize.minimize(fun, y0, jac=True, method="L-BFGS-B",
                                  options={"maxiter": maxiter, "gtol": gtol, "ftol": 1e-16,
                                           "maxcor": 30})
    x = res.x if basis is None else B @ res.x
    f, g = objective_and_gradient(problem, x)
    gr = g if basis is None else B.T @ g
    return MinimizeResult(x=x, value=f, gradient_norm=float(np.linalg.norm(g)),
                          reduced_gradient_norm=float(np.linalg.norm(gr)),
                          iterations=int(res.nit), message=str(res.message))
