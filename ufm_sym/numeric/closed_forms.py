"""Float64 closed forms: global minimizers of [13] (CE) and [12] (MSE), and the MSE
critical-point families (docs/math.md §3 and §4).

Notation: ``q = sqrt(n lambda_W lambda_H)``, ``P_K = I - 1 1^T / K``,
``Ytilde = P_K kron 1_n^T``, ``mu = lambda_b / (1 + lambda_b)``.

* CE (Section 3.1): if ``K q < 1`` every sample puts softmax mass ``q`` on each wrong
  class; ``||w^k||^2 = a* = (K-1)/K sqrt(n lH/lW) log((1-(K-1)q)/q)``,
  ``W W^T = a* K/(K-1) P_K``, ``h_{k,i} = sqrt(lW/(lH n)) w^k``, ``b = 0`` (any constant
  vector if ``lambda_b = 0``) and ``f* = -log(1-(K-1)q) + (K-1) q log((1-(K-1)q)/q)``;
  if ``K q >= 1`` the minimizer is ``0`` and ``f* = log K``.
* MSE (Section 3.2, regimes A, B, C): ``W H = gamma_c Ytilde + gamma_m 1 1^T`` with
  ``gamma_c = (1 - K q)_+``, ``gamma_m = (1/K - q/mu)_+`` (0 if ``lambda_b = 0``),
  ``b = (1/K - gamma_m)/(1 + lambda_b) 1`` and the balanced factorisation.
* MSE critical points (Section 4.6, generalised to ``lambda_b >= 0``): for any
  ``s``-dimensional subspace ``S`` of ``1_K^perp`` and a flag ``m`` (mean direction on or
  off, on only if ``gamma_m > 0``), ``W H = (1 - K q) Pi_S Ytilde + m gamma_m 1 1^T`` with
  ``b = (1/K - m gamma_m)/(1 + lambda_b) 1`` is critical; it is global iff ``S = 1^perp``
  (when ``K q < 1``) and ``m = [gamma_m > 0]``.

>>> from ufm_sym import Problem
>>> p = Problem("mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b=0)
>>> round(closed_form_global_value(p), 12)       # docs/math.md §4, regime A
0.025530762114
>>> p = Problem("ce", K=4, n=3, d=6, lambda_W="5e-3", lambda_H="5e-3", lambda_b="5e-3")
>>> round(closed_form_global_value(p), 12)
0.149023231546
"""

from __future__ import annotations

import math

import numpy as np

from ufm_sym.model import Problem, UFMInputError

Point = tuple[np.ndarray, np.ndarray, np.ndarray]


def q_value(problem: Problem) -> float:
    """``q = sqrt(n lambda_W lambda_H)`` (float64)."""
    lw, lh, _ = problem.float_lambdas()
    return math.sqrt(problem.n * lw * lh)


def centered_basis(K: int) -> np.ndarray:
    """An orthonormal basis of ``1_K^perp`` (``K x (K-1)``), deterministic.

    >>> E = centered_basis(3)
    >>> bool(np.allclose(E.T @ E, np.eye(2))), bool(np.allclose(E.sum(axis=0), 0))
    (True, True)
    """
    P = np.eye(K) - np.ones((K, K)) / K
    Q, _ = np.linalg.qr(P[:, : K - 1])
    return Q


def mse_gammas(problem: Problem) -> tuple[float, float, float]:
    """``(gamma_c, gamma_m, mu)`` of the MSE closed form."""
    lw, lh, lb = problem.float_lambdas()
    K, q = problem.K, q_value(problem)
    mu = lb / (1.0 + lb)
    gc = max(0.0, 1.0 - K * q)
    gm = max(0.0, 1.0 / K - q / mu) if lb > 0 else 0.0
    return gc, gm, mu


def mse_regime(problem: Problem) -> str:
    """``"A"`` (``lambda_b = 0``), ``"B"`` (``mu <= K q``) or ``"C"`` (``mu > K q``)."""
    if problem.float_lambdas()[2] == 0:
        return "A"
    return "C" if mse_gammas(problem)[1] > 0 else "B"


def ce_norm_squared(problem: Problem) -> float:
    """``a* = ||w*||^2`` (each row of ``W*``), 0 when ``K q >= 1``."""
    lw, lh, _ = problem.float_lambdas()
    K, n, q = problem.K, problem.n, q_value(problem)
    if K * q >= 1:
        return 0.0
    return (K - 1) / K * math.sqrt(n * lh / lw) * math.log((1 - (K - 1) * q) / q)


def closed_form_global_value(problem: Problem) -> float:
    """The global minimum value ``f*`` in float64 ([13] for CE, [12] for MSE)."""
    K, q = problem.K, q_value(problem)
    if problem.loss == "ce":
        if K * q >= 1:
            return math.log(K)
        return -math.log(1 - (K - 1) * q) + (K - 1) * q * math.log((1 - (K - 1) * q) / q)
    _, gm, mu = mse_gammas(problem)
    centred = (K - 1) * (q - K / 2 * q * q) if K * q < 1 else (K - 1) / (2 * K)
    mean = (q - K * q * q / (2 * mu)) if (mu > 0 and K * q < mu) else mu / (2 * K)
    return centred + mean


def _check_rotation(Q: np.ndarray | None, d: int) -> np.ndarray:
    if Q is None:
        return np.eye(d)
    Q = np.asarray(Q, dtype=np.float64)
    if Q.shape != (d, d) or not np.allclose(Q.T @ Q, np.eye(d), atol=1e-10):
        raise UFMInputError(f"rotation: expected an orthogonal {d} x {d} matrix")
    return Q


def random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random orthogonal ``d x d`` matrix."""
    Z = rng.standard_normal((d, d))
    Q, R = np.linalg.qr(Z)
    return Q * np.sign(np.diag(R))


def balanced_factorization(problem: Problem, U: np.ndarray, sigma: np.ndarray,
                           V: np.ndarray, rotation: np.ndarray | None = None
                           ) -> tuple[np.ndarray, np.ndarray]:
    """``W = (lH/lW)^{1/4} U S^{1/2} Q^T``, ``H = (lW/lH)^{1/4} Q S^{1/2} V^T`` for
    ``Z = U diag(sigma) V^T`` (``r`` terms; ``Q`` the first ``r`` columns of ``rotation``).
    """
    lw, lh, _ = problem.float_lambdas()
    d, r = problem.d, len(sigma)
    if r > d:
        raise UFMInputError(f"d: {d} is too small for a rank-{r} factorisation (need d >= {r})")
    Q = _check_rotation(rotation, d)[:, :r]
    root = np.sqrt(np.asarray(sigma, dtype=np.float64))
    W = (lh / lw) ** 0.25 * (U * root) @ Q.T
    H = (lw / lh) ** 0.25 * Q @ (root[:, None] * V.T)
    return W, H


def mse_critical_point(problem: Problem, S: np.ndarray | None, mean: bool = False,
                       rotation: np.ndarray | None = None) -> Point:
    """A critical point of the MSE UFM (docs/math.md §4, any ``lambda_b``).

    ``S`` is a ``K x s`` matrix with orthonormal columns in ``1_K^perp`` (``None``: s = 0);
    ``mean`` switches the mean direction ``1 1^T`` on (allowed only in regime C).
    """
    if problem.loss != "mse":
        raise UFMInputError("loss: mse_critical_point needs an MSE problem")
    K, n = problem.K, problem.n
    lb = problem.float_lambdas()[2]
    q = q_value(problem)
    gc, gm, _ = mse_gammas(problem)
    S = np.zeros((K, 0)) if S is None else np.asarray(S, dtype=np.float64).reshape(K, -1)
    if S.shape[1] and (not np.allclose(S.T @ S, np.eye(S.shape[1]), atol=1e-10)
                       or not np.allclose(S.sum(axis=0), 0.0, atol=1e-10)):
        raise UFMInputError("S: columns must be orthonormal and orthogonal to 1_K")
    if S.shape[1] and K * q >= 1:
        S = np.zeros((K, 0))  # only s = 0 when K q >= 1: (1 - K q) would be <= 0
    if mean and gm <= 0:
        raise UFMInputError("mean: the mean direction is critical only in regime C "
                            "(lambda_b/(1+lambda_b) > K sqrt(n lambda_W lambda_H))")
    us, vs, sig = [], [], []
    for j in range(S.shape[1]):
        us.append(S[:, j])
        vs.append(np.repeat(S[:, j], n) / math.sqrt(n))
        sig.append((1 - K * q) * math.sqrt(n))
    if mean:
        us.append(np.ones(K) / math.sqrt(K))
        vs.append(np.ones(K * n) / math.sqrt(K * n))
        sig.append(gm * math.sqrt(K * K * n))
    r = len(sig)
    U = np.array(us).T.reshape(K, r)
    V = np.array(vs).T.reshape(K * n, r)
    W, H = balanced_factorization(problem, U, np.array(sig), V, rotation)
    b = np.full(K, (1.0 / K - (gm if mean else 0.0)) / (1.0 + lb))
    return W, H, b


def closed_form_global_minimizer(problem: Problem, *, rotation: np.ndarray | None = None,
                                 bias_shift: float = 0.0) -> Point:
    """A global minimizer ``(W, H, b)`` in float64, in closed form.

    ``rotation`` (a ``d x d`` orthogonal ``Q``) picks a point of the orbit
    ``(W Q, Q^T H, b)``; ``bias_shift`` adds ``c 1`` to ``b`` (CE with ``lambda_b = 0``
    only, where the minimizer is shift-invariant).  CE needs ``d >= K - 1``; MSE needs
    ``d >= K - 1`` in regimes A/B and ``d >= K`` in regime C.

    >>> import numpy as np
    >>> from ufm_sym import Problem
    >>> p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    >>> W, H, b = closed_form_global_minimizer(p)
    >>> G = W @ W.T / np.linalg.norm(W[0]) ** 2          # (1.7): K/(K-1) P_K
    >>> bool(np.allclose(G, 1.5 * (np.eye(3) - 1 / 3), atol=1e-12))
    True
    """
    K, n, d = problem.K, problem.n, problem.d
    lw, lh, lb = problem.float_lambdas()
    if bias_shift and not (problem.loss == "ce" and lb == 0):
        raise UFMInputError("bias_shift: only CE with lambda_b = 0 is shift-invariant")
    if problem.loss == "mse":
        if mse_regime(problem) == "C" and d < K:
            raise UFMInputError(f"d: regime C of the MSE minimizer needs d >= K = {K}, got {d}")
        if d < K - 1:
            raise UFMInputError(f"d: the closed form needs d >= K - 1 = {K - 1}, got {d}")
        gm = mse_gammas(problem)[1]
        return mse_critical_point(problem, centered_basis(K), mean=gm > 0, rotation=rotation)
    if d < K - 1:
        raise UFMInputError(f"d: the closed form needs d >= K - 1 = {K - 1}, got {d}")
    Q = _check_rotation(rotation, d)
    a = ce_norm_squared(problem)
    W = math.sqrt(a * K / (K - 1)) * centered_basis(K) @ Q[:, : K - 1].T
    H = math.sqrt(lw / (lh * n)) * np.repeat(W.T, n, axis=1)
    b = np.full(K, float(bias_shift))
    return W, H, b


def origin_point(problem: Problem) -> Point:
    """The origin family: CE ``(0, 0, 0)``; MSE ``(0, 0, 1_K/(K(1 + lambda_b)))``.

    Critical for every lambda (CE: ``grad g(0) 1_N = 0`` since ``N = n K``).
    """
    K, d, N = problem.K, problem.d, problem.N
    lb = problem.float_lambdas()[2]
    b = np.zeros(K) if problem.loss == "ce" else np.full(K, 1.0 / (K * (1.0 + lb)))
    return np.zeros((K, d)), np.zeros((d, N)), b
