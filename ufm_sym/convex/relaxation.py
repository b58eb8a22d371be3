r"""The convex relaxation of the UFM and the Fenchel conjugate of its data term.

With ``tau = sqrt(lambda_W lambda_H)`` the relaxation is

    F(Z, b) = g(Z + b 1_N^T) + tau ||Z||_* + lambda_b/2 ||b||^2,

with ``g`` the data term of the problem, normalised as everywhere in ufm_sym: CE
``g = (1/N) sum_j (logsumexp(r_j) - r_{y_j j})``, MSE ``g = ||R - Y||_F^2 / (2N)``.
AM-GM and ``||W H||_* <= ||W||_F ||H||_F`` give ``f(W, H, b) >= F(W H, b)`` (equality
at balanced points), so ``inf F <= inf f``.

The Fenchel conjugate ``g*(Lambda) = sup_R <Lambda, R> - g(R)`` is (derivation in
``docs/global-certificate.md``):

- MSE: ``g*(Lambda) = N/2 ||Lambda||_F^2 + <Lambda, Y>``;
- CE: ``g*(Lambda) = (1/N) sum_j sum_i p_ij log p_ij`` with ``p_j = N Lambda_j + e_{y_j}``,
  finite only when every ``p_j`` lies in the probability simplex (``0 log 0 = 0``).

>>> import mpmath
>>> from ufm_sym import Problem
>>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
>>> with mpmath.workdps(30):
...     R = mpmath.matrix([[1, 0.5], [0, 2]])
...     G = (R - mpmath.eye(2)) / 2                       # grad g(R)
...     fy = data_term(p, R) + conjugate(p, G) - mpmath.fsum(
...         G[i, j] * R[i, j] for i in range(2) for j in range(2))
>>> abs(fy) < mpmath.mpf(10) ** -28                       # Fenchel-Young equality
True
"""

from __future__ import annotations

from typing import Any

import mpmath

from ufm_sym.highprec.evaluate import _g_value, _labels, _matrix_rows, working_precision
from ufm_sym.highprec.linalg import singular_values
from ufm_sym.model import Problem, UFMInputError

__all__ = ["conjugate", "conjugate_domain_violation", "data_term", "labels_matrix",
           "nuclear_norm", "relaxed_objective", "threshold"]


def threshold(problem: Problem) -> Any:
    """``tau = sqrt(lambda_W lambda_H)`` at the current precision."""
    lw, lh, _ = problem.mp_lambdas()
    return mpmath.sqrt(lw * lh)


def labels_matrix(problem: Problem) -> mpmath.matrix:
    """``Y = I_K (kron) 1_n^T`` as an ``mpmath`` matrix."""
    labels = _labels(problem)
    return mpmath.matrix([[1 if labels[j] == k else 0 for j in range(problem.N)]
                          for k in range(problem.K)])


def _check_shape(problem: Problem, M: mpmath.matrix, name: str) -> None:
    if (M.rows, M.cols) != (problem.K, problem.N):
        raise UFMInputError(f"{name}: shape {M.rows} x {M.cols} does not match the problem "
                            f"(expected {problem.K} x {problem.N}: K x N)")


def data_term(problem: Problem, R: Any, dps: int | None = None) -> Any:
    """``g(R)`` (CE or MSE, normalised as in the module docstring)."""
    with working_precision(dps):
        R = mpmath.matrix(R)
        _check_shape(problem, R, "R")
        return _g_value(problem, _matrix_rows(R))


def nuclear_norm(M: Any, dps: int | None = None) -> Any:
    """``||M||_*``, the sum of the singular values."""
    with working_precision(dps):
        M = mpmath.matrix(M)
        if M.rows == 0 or M.cols == 0:
            return mpmath.mpf(0)
        return mpmath.fsum(singular_values(M))


def relaxed_objective(problem: Problem, Z: Any, b: Any, dps: int | None = None) -> Any:
    """``F(Z, b) = g(Z + b 1^T) + sqrt(lW lH) ||Z||_* + lb/2 ||b||^2``.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> relaxed_objective(p, mpmath.zeros(2, 2), [0.5, 0.5], dps=20)  # 1/(2N) ||Y - 1/2||^2
    mpf('0.25')
    """
    with working_precision(dps):
        Z = mpmath.matrix(Z)
        _check_shape(problem, Z, "Z")
        b = mpmath.matrix(b)
        if b.rows == 1 and b.cols == problem.K:
            b = b.T
        _, _, lb = problem.mp_lambdas()
        R = Z + b * mpmath.ones(1, problem.N)
        bb = mpmath.fsum(x ** 2 for x in b)
        return data_term(problem, R) + threshold(problem) * nuclear_norm(Z) + lb / 2 * bb


def _simplex_points(problem: Problem, Lam: mpmath.matrix) -> list[list[Any]]:
    """``p_j = N Lambda_j + e_{y_j}`` for CE, as columns."""
    labels = _labels(problem)
    N = problem.N
    return [[N * Lam[i, j] + (1 if labels[j] == i else 0) for i in range(problem.K)]
            for j in range(N)]


def conjugate_domain_violation(problem: Problem, Lam: Any, dps: int | None = None) -> Any:
    """How far ``Lambda`` is from the domain of ``g*``: ``0`` for MSE (all of
    ``R^{K x N}``); for CE the largest of ``-p_ij`` and ``|sum_i p_ij - 1|`` over the
    columns ``p_j = N Lambda_j + e_{y_j}`` (``0`` inside the simplex)."""
    with working_precision(dps):
        Lam = mpmath.matrix(Lam)
        _check_shape(problem, Lam, "Lambda")
        if problem.loss == "mse":
            return mpmath.mpf(0)
        worst = mpmath.mpf(0)
        for col in _simplex_points(problem, Lam):
            worst = max([worst, abs(mpmath.fsum(col) - 1)] + [-x for x in col])
        return worst


def conjugate(problem: Problem, Lam: Any, dps: int | None = None, tol: Any = None) -> Any:
    """``g*(Lambda)`` (module docstring); ``mpmath.inf`` when ``Lambda`` is outside the
    domain by more than ``tol`` (default ``10^-(dps - 5)``); within ``tol``, entries
    ``p_ij`` of size at most ``tol`` count as ``0`` (``0 log 0 = 0``).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> conjugate(p, mpmath.matrix([[-0.25, 0.25], [0.25, -0.25]]), dps=20)  # p_j uniform
    mpf('-0.69314718055994531')
    >>> conjugate(p, mpmath.matrix([[0.25, 0], [0, 0]]), dps=20)             # p_11 = 1.5
    mpf('+inf')
    """
    with working_precision(dps):
        Lam = mpmath.matrix(Lam)
        _check_shape(problem, Lam, "Lambda")
        tol = mpmath.mpf(10) ** (-(mpmath.mp.dps - 5)) if tol is None else mpmath.mpf(tol)
        N = problem.N
        if problem.loss == "mse":
            Y = labels_matrix(problem)
            return (mpmath.mpf(N) / 2 * mpmath.fsum(x ** 2 for x in Lam)
                    + mpmath.fsum(Lam[i, j] * Y[i, j] for i in range(problem.K)
                                  for j in range(N)))
        if conjugate_domain_violation(problem, Lam) > tol:
            return mpmath.inf
        terms = [x * mpmath.log(x) for col in _simplex_points(problem, Lam) for x in col
                 if x > tol]
        return mpmath.fsum(terms) / N
