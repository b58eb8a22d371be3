"""Symmetric eigenvalues at high precision by iterative refinement of a float64
eigendecomposition (Ogita-Aishima), with python-flint matrix products.

The ball products of the last step (``X^T A X`` and ``X^T X``) are returned so that
:mod:`ufm_sym.certify.inertia` can count eigenvalues rigorously.
"""

from __future__ import annotations

import math
from typing import Any

import mpmath

from ufm_sym.certify.flint_util import arb_to_mpf, bits_for, flint_module
from ufm_sym.highprec.evaluate import working_precision

__all__ = ["refined_symmetric_eig"]


def refined_symmetric_eig(A: Any, dps: int, max_iter: int = 8, vectors: bool = True
                          ) -> tuple[list[Any], Any, dict[str, Any]]:
    """Eigenvalues (ascending, ``mpf``) and eigenvectors of a symmetric matrix at
    ``dps`` digits: float64 ``numpy.linalg.eigh``, then the Ogita-Aishima iteration
    (Japan J. Indust. Appl. Math. 35, 2018), whose every step is four python-flint
    matrix products::

        R = I - X^T X,  S = X^T A X,  l_i = S_ii / (1 - R_ii),
        E_ij = (S_ij + l_j R_ij) / (l_j - l_i)   (|l_i - l_j| > delta),  R_ij / 2  (else),
        X <- X + X E

    Eigenvalues closer than ``delta = 2 (||S - diag l|| + ||A|| ||R||)`` form a cluster
    whose invariant subspace (not its basis) is refined; their values are still
    the Rayleigh quotients, within the cluster's width.  Quadratic convergence:
    ``1e-16 -> 1e-32 -> 1e-64``.  Returns ``(eigenvalues, X, info)`` with ``X`` the
    eigenvectors (an ``arb_mat``, exact midpoints, columns in the order of the
    eigenvalues) and ``info`` (``iterations``, ``converged``, ``S`` and ``G``: the
    ball products ``X^T A X`` and ``X^T X`` of the last step, for certification).

    ``vectors=False``: only the eigenvalues are wanted, and the iteration stops one step
    earlier, as soon as the Rayleigh quotients ``l_i`` are accurate: with ``X`` accurate
    to ``eps = ||I - X^T X||``, a Rayleigh quotient is off by about ``eps^2 ||A||`` plus
    ``S_ij^2 / |l_i - l_j|`` over the pairs outside its cluster, so the test is
    ``||R||_F^2 <= 10^-(dps + 2)`` and ``max S_ij^2 / |l_i - l_j| <= 10^-(dps + 2) ||A||``
    (typically after the second round of products instead of the third: one update and
    three ``P x P`` products fewer).  ``X`` is then the less accurate basis of that step,
    and ``info`` says ``vectors: False``.

    >>> import mpmath
    >>> with mpmath.workdps(40):
    ...     A = mpmath.matrix([[2, 1, 0], [1, 2, 0], [0, 0, 1]])
    ...     E, X, info = refined_symmetric_eig(A, dps=40)
    ...     [mpmath.nstr(e, 30) for e in E], info["converged"]
    (['1.0', '1.0', '3.0'], True)
    """
    import numpy as np

    flint = flint_module()
    with working_precision(dps):
        A = A if isinstance(A, mpmath.matrix) else mpmath.matrix(A)
        P = A.rows
        entries = A.tolist()
        Af = np.array([[float(x) for x in row] for row in entries])
    Af = (Af + Af.T) / 2
    w, V = np.linalg.eigh(Af)
    order = np.argsort(w)
    V = V[:, order]
    norm_A = float(max(1e-300, np.abs(w).max() if P else 1.0))
    bits = bits_for(dps)
    target = 10.0 ** -(dps + 2)
    info: dict[str, Any] = {"iterations": 0, "converged": False}
    with flint.ctx.workprec(bits):
        Am = flint.arb_mat(entries)
        X = flint.arb_mat(V.tolist())
        one = flint.arb(1)
        for it in range(max_iter + 1):
            # early steps need far fewer bits: the error squares at each step
            step_bits = min(bits, 53 * 2 ** (it + 1) + 64)
            with flint.ctx.workprec(step_bits):
                AX = Am * X
                Xt = X.transpose()
                S_ball = Xt * AX
                G_ball = Xt * X
            S = S_ball.mid().tolist()
            G = G_ball.mid().tolist()
            lam = [S[i][i] / G[i][i] for i in range(P)]
            lamf = [float(x) for x in lam]
            Sf = [[float(x) for x in row] for row in S]
            Rf = [[(1.0 if i == j else 0.0) - float(G[i][j]) for j in range(P)]
                  for i in range(P)]
            off_S = math.sqrt(sum(Sf[i][j] ** 2 for i in range(P) for j in range(P)
                                  if i != j) + sum((Sf[i][i] * Rf[i][i]) ** 2
                                                   for i in range(P)))
            norm_R = math.sqrt(sum(x * x for row in Rf for x in row))
            delta = 2 * (off_S + norm_A * norm_R)
            # convergence: orthonormal, and off-diagonal only inside clusters
            cross = max((abs(Sf[i][j]) for i in range(P) for j in range(P)
                         if i != j and abs(lamf[i] - lamf[j]) > delta), default=0.0)
            done = (step_bits == bits and norm_R <= target
                    and cross <= target * norm_A)
            if not done and not vectors and step_bits == bits and norm_R ** 2 <= target:
                done = _rayleigh_converged(Sf, lamf, delta) <= target * norm_A
            if done or it == max_iter:
                info.update(iterations=it, converged=done, S=S_ball, G=G_ball,
                            delta=delta, bits=bits, vectors=vectors)
                break
            E = [[None] * P for _ in range(P)]
            for i in range(P):
                Si, Gi = S[i], G[i]
                for j in range(P):
                    Rij = one - Gi[j] if i == j else -Gi[j]
                    if i == j or abs(lamf[j] - lamf[i]) <= delta:
                        E[i][j] = Rij / 2
                    else:
                        E[i][j] = (Si[j] + lam[j] * Rij) / (lam[j] - lam[i])
            with flint.ctx.workprec(step_bits):
                X = (X + X * flint.arb_mat(E).mid()).mid()
        order2 = sorted(range(P), key=lambda k: lamf[k])
        with working_precision(dps):
            eigs = [arb_to_mpf(lam[k]) for k in order2]
        if order2 != list(range(P)):
            cols = X.tolist()
            X = flint.arb_mat([[cols[i][k] for k in order2] for i in range(P)])
            S_l, G_l = info["S"].tolist(), info["G"].tolist()
            info["S"] = flint.arb_mat([[S_l[a][b] for b in order2] for a in order2])
            info["G"] = flint.arb_mat([[G_l[a][b] for b in order2] for a in order2])
    return eigs, X, info


def _rayleigh_converged(Sf: list[list[float]], lamf: list[float], delta: float) -> float:
    """``max S_ij^2 / |l_i - l_j|`` over the pairs in different clusters (``|l_i - l_j| >
    delta``): the second-order error of the Rayleigh quotients from the couplings."""
    import numpy as np

    S = np.asarray(Sf, dtype=float)
    lam = np.asarray(lamf, dtype=float)
    gap = np.abs(lam[:, None] - lam[None, :])
    mask = gap > delta
    if not mask.any():
        return 0.0
    return float(np.max(np.where(mask, S * S / np.where(mask, gap, 1.0), 0.0)))
