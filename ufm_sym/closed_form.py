"""Closed-form global minimizers and values of the UFMs (docs/math.md §3, §4).

Notation: ``q = sqrt(n lW lH)``, ``P_K = I - 11^T/K``, ``Ytilde = Y - 1 1_N^T / K``,
``s = sqrt(n lH / lW)``.  Every minimizer below has ``h_{k,i} = sqrt(lW/(lH n)) w^k``.

**CE** ([13, Thm 3.1]; the norm derived for this tool, docs/math.md §3):

- ``"ce-nonzero"`` (``K q < 1``): ``W W^T = a* K/(K-1) P_K`` with
  ``a* = (K-1)/K s log((1 - (K-1) q)/q)``, ``b* = 0`` (for ``lb = 0`` any ``c 1_K``;
  we take ``0``); ``f* = -log(1-(K-1)q) + (K-1) q log((1-(K-1)q)/q)``;
- ``"ce-zero"`` (``K q >= 1``): ``W = H = 0``, ``b = 0``, ``f* = log K``.

**MSE** ([12, Thm 3.1]; the complete closed form of docs/math.md §4), with
``mu = lb/(1+lb)``, ``gamma_c = (1 - K q)_+``, ``gamma_m = (1/K - q/mu)_+``
(``0`` if ``lb = 0``)::

    W H = gamma_c Ytilde + gamma_m 1 1_N^T,   W W^T = s (gamma_c P_K + gamma_m 1 1^T),
    b*  = (1/K - gamma_m)/(1 + lb) 1_K

- ``"zero"`` (``K q >= 1``): ``W = H = 0``, ``b* = 1_K/(K(1+lb))``;
- ``"A"`` (``lb = 0``, ``K q < 1``): centred simplex ETF, ``b* = 1_K/K``;
- ``"B"`` (``lb > 0``, ``mu <= K q < 1``): as A, ``b* = 1_K/(K(1+lb))``;
- ``"C"`` (``lb > 0``, ``K q < mu``): ``W W^T`` has full rank ``K`` (needs ``d >= K``),
  ``b* = (q/lb) 1_K``.

The regime tests are exact (rational arithmetic on ``K^2 n lW lH`` and ``mu^2``).
``W`` is the symmetric square root ``sqrt(s) (sqrt(gamma_c) P_K + sqrt(gamma_m/K) 11^T)``
padded with zero columns (for ``d = K - 1`` an orthonormal basis of ``1^perp`` is used).

>>> from ufm_sym import Problem
>>> p = Problem(loss="mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.1")
>>> regime(p), mpmath.nstr(global_value(p, dps=30), 12)
('C', '0.0325410161514')
>>> from ufm_sym.highprec.evaluate import gradient_norm, objective
>>> x = global_minimizer(p, dps=50)
>>> gradient_norm(p, x, dps=50) < mpmath.mpf(10) ** -45, mpmath.nstr(x[2][0], 5)
(True, '0.086603')
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from ufm_sym.highprec.evaluate import Point, _rows_to_point, working_precision
from ufm_sym.model import Problem, UFMInputError

__all__ = [
    "REGIMES",
    "ce_point_from_norm",
    "ce_row_norm_squared",
    "centred_basis",
    "global_minimizer",
    "global_value",
    "mse_gammas",
    "mse_point_from_gammas",
    "regime",
]

REGIMES: tuple[str, ...] = ("ce-nonzero", "ce-zero", "zero", "A", "B", "C")


def _mp(x: sp.Rational) -> Any:
    return mpmath.mpf(int(x.p)) / int(x.q)


def regime(problem: Problem) -> str:
    """The regime of the global minimizer (decided exactly, in rationals).

    >>> from ufm_sym import Problem
    >>> regime(Problem(loss="ce", K=3, n=2, lambda_W="0.3", lambda_H="0.3"))
    'ce-zero'
    >>> regime(Problem(loss="mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3"))
    'A'
    >>> regime(Problem(loss="mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-2"))
    'B'
    """
    K2q2 = problem.K ** 2 * problem.n * problem.lambda_W * problem.lambda_H  # (K q)^2
    if problem.loss == "ce":
        return "ce-zero" if K2q2 >= 1 else "ce-nonzero"
    if K2q2 >= 1:
        return "zero"
    lb = problem.lambda_b
    if lb == 0:
        return "A"
    mu = lb / (1 + lb)
    return "B" if mu ** 2 <= K2q2 else "C"


def _q(problem: Problem) -> Any:
    lw, lh, _ = problem.mp_lambdas()
    return mpmath.sqrt(problem.n * lw * lh)


def ce_row_norm_squared(problem: Problem, dps: int = 50) -> Any:
    """``a* = ||w*||^2`` for CE: ``(K-1)/K sqrt(n lH/lW) log((1-(K-1)q)/q)``, or ``0``.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b="5e-3")
    >>> mpmath.nstr(ce_row_norm_squared(p, dps=30), 11)
    '6.1349503717'
    """
    if problem.loss != "ce":
        raise UFMInputError("loss: ce_row_norm_squared needs loss='ce'")
    with working_precision(dps):
        if regime(problem) == "ce-zero":
            return mpmath.mpf(0)
        lw, lh, _ = problem.mp_lambdas()
        K, q = problem.K, _q(problem)
        return (mpmath.mpf(K - 1) / K * mpmath.sqrt(problem.n * lh / lw)
                * mpmath.log((1 - (K - 1) * q) / q))


def mse_gammas(problem: Problem, dps: int = 50) -> tuple[Any, Any, Any]:
    """``(gamma_c, gamma_m, beta)`` for MSE: ``W H = gamma_c Ytilde + gamma_m 1 1^T`` and
    ``b* = beta 1_K``.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> [mpmath.nstr(t, 6) for t in mse_gammas(p, dps=20)]
    ['0.8', '0.0', '0.5']
    """
    if problem.loss != "mse":
        raise UFMInputError("loss: mse_gammas needs loss='mse'")
    with working_precision(dps):
        K, q = problem.K, _q(problem)
        _, _, lb = problem.mp_lambdas()
        reg = regime(problem)
        gc = mpmath.mpf(0) if reg == "zero" else 1 - K * q
        gm = mpmath.mpf(0)
        if reg == "C":
            gm = mpmath.mpf(1) / K - q * (1 + lb) / lb
        beta = (mpmath.mpf(1) / K - gm) / (1 + lb)
        return gc, gm, beta


def centred_basis(K: int, dps: int | None = None) -> mpmath.matrix:
    """An orthogonal ``K x K`` matrix (Helmert): its first ``K - 1`` columns span
    ``1_K^perp``, its last column is ``1_K / sqrt(K)``.

    >>> Q = centred_basis(3, dps=30)
    >>> mpmath.mnorm(Q.T * Q - mpmath.eye(3), 1) < mpmath.mpf(10) ** -28
    True
    """
    with working_precision(dps):
        Q = mpmath.matrix(K, K)
        for k in range(K - 1):
            c = 1 / mpmath.sqrt((k + 1) * (k + 2))
            for i in range(k + 1):
                Q[i, k] = c
            Q[k + 1, k] = -(k + 1) * c
        for i in range(K):
            Q[i, K - 1] = 1 / mpmath.sqrt(K)
        return Q


def _point_from_W(problem: Problem, Wl: list[list[Any]], beta: Any) -> Point:
    """``H = sqrt(lW/(lH n)) W^T (kron) 1_n^T``, ``b = beta 1_K``."""
    lw, lh, _ = problem.mp_lambdas()
    c = mpmath.sqrt(lw / (lh * problem.n))
    K, d, n = problem.K, problem.d, problem.n
    Hl = [[c * Wl[j // n][col] for j in range(K * n)] for col in range(d)]
    return _rows_to_point((Wl, Hl, [mpmath.mpf(beta)] * K))


def _W_from_spectrum(problem: Problem, centred: Any, mean: Any) -> list[list[Any]]:
    """``W`` with ``W W^T = centred * P_K + mean * 1 1^T`` (both >= 0)."""
    K, d = problem.K, problem.d
    zero = mpmath.mpf(0)
    if d >= K:
        a = mpmath.sqrt(centred)
        c = mpmath.sqrt(mean / K)
        Wl = [[(a * ((1 if i == j else 0) - mpmath.mpf(1) / K) + c) if j < K else zero
               for j in range(d)] for i in range(K)]
        return Wl
    if d == K - 1 and mean == 0:
        Q = centred_basis(K)
        a = mpmath.sqrt(centred)
        return [[a * Q[i, j] for j in range(d)] for i in range(K)]
    raise UFMInputError(
        f"d: the closed-form minimizer needs d >= {K if mean != 0 else K - 1} here, got d = {d}")


def ce_point_from_norm(problem: Problem, a: Any, dps: int = 50) -> Point:
    """The CE neural-collapse point with row norm ``||w^k||^2 = a``:
    ``W W^T = a K/(K-1) P_K``, ``h_{k,i} = sqrt(lW/(lH n)) w^k``, ``b = 0``.
    It is critical exactly when ``a`` solves the scalar equation (*) of §3.1.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.01")
    >>> W, H, b = ce_point_from_norm(p, 2, dps=20)
    >>> mpmath.nstr(sum(W[0, j] ** 2 for j in range(3)), 10)
    '2.0'
    """
    with working_precision(dps):
        K = problem.K
        Wl = _W_from_spectrum(problem, mpmath.mpf(a) * K / (K - 1), mpmath.mpf(0))
        return _point_from_W(problem, Wl, 0)


def mse_point_from_gammas(problem: Problem, gamma_c: Any, gamma_m: Any, beta: Any,
                          dps: int = 50) -> Point:
    """The MSE point with ``W W^T = s (gamma_c P_K + gamma_m 1 1^T)``,
    ``h_{k,i} = sqrt(lW/(lH n)) w^k`` and ``b = beta 1_K``.

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import gradient_norm
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> x = mse_point_from_gammas(p, "0.8", 0, "0.5", dps=30)
    >>> gradient_norm(p, x, dps=30) < mpmath.mpf(10) ** -28
    True
    """
    with working_precision(dps):
        lw, lh, _ = problem.mp_lambdas()
        s = mpmath.sqrt(problem.n * lh / lw)
        gc, gm = mpmath.mpf(gamma_c), mpmath.mpf(gamma_m)
        if gc < 0 or gm < 0:
            raise UFMInputError("gamma: gamma_c and gamma_m must be >= 0")
        Wl = _W_from_spectrum(problem, s * gc, s * gm)
        return _point_from_W(problem, Wl, mpmath.mpf(beta))


def global_minimizer(problem: Problem, dps: int = 50) -> Point:
    """A global minimizer ``(W*, H*, b*)`` in closed form (module docstring).

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import gradient_norm, objective
    >>> p = Problem(loss="ce", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b="5e-3")
    >>> x = global_minimizer(p, dps=50)
    >>> gradient_norm(p, x, dps=50) < mpmath.mpf(10) ** -45
    True
    >>> abs(objective(p, x, dps=50) - global_value(p, dps=50)) < mpmath.mpf(10) ** -45
    True
    """
    with working_precision(dps):
        if problem.loss == "ce":
            return ce_point_from_norm(problem, ce_row_norm_squared(problem, dps=dps), dps=dps)
        gc, gm, beta = mse_gammas(problem, dps=dps)
        return mse_point_from_gammas(problem, gc, gm, beta, dps=dps)


def global_value(problem: Problem, dps: int = 50) -> Any:
    """The global minimum value ``f*`` from the closed formulas (not from a point).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=4, n=3, lambda_W="0.2", lambda_H="0.2")
    >>> mpmath.nstr(global_value(p, dps=20), 15), mpmath.nstr(mpmath.log(4), 15)
    ('1.38629436111989', '1.38629436111989')
    >>> p = Problem(loss="mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3")
    >>> mpmath.nstr(global_value(p, dps=30), 11)
    '0.025530762114'
    """
    with working_precision(dps):
        K, q = problem.K, _q(problem)
        reg = regime(problem)
        if problem.loss == "ce":
            if reg == "ce-zero":
                return mpmath.log(K)
            t = 1 - (K - 1) * q
            return -mpmath.log(t) + (K - 1) * q * mpmath.log(t / q)
        _, _, lb = problem.mp_lambdas()
        mu = lb / (1 + lb)
        centred = (mpmath.mpf(1) / (2 * K) if reg == "zero" else q - K * q ** 2 / 2)
        mean = (q - K * q ** 2 / (2 * mu)) if reg == "C" else mu / (2 * K)
        return (K - 1) * centred + mean
