"""Counting the Hessian's eigenvalues below a threshold with ball arithmetic
(Sylvester's law of inertia and Gershgorin discs), and the spectrum summary
:func:`hessian_spectrum` that :func:`ufm_sym.landscape.classify` reports.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath

from ufm_sym.certify.flint_util import arb_to_mpf, bits_for, flint_module
from ufm_sym.highprec.eig import refined_symmetric_eig
from ufm_sym.highprec.evaluate import working_precision
from ufm_sym.model import UFMInputError

__all__ = ["EIG_METHODS", "Spectrum", "certify_inertia", "hessian_spectrum"]

EIG_METHODS: tuple[str, ...] = ("refined", "mpmath")


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues of the Hessian matrix and their signs at the margin.

    ``negative``: eigenvalues ``< -margin``; ``near_zero``: in ``[-margin, margin]``;
    ``positive``: ``> margin``.  ``certified`` is True when ball arithmetic proved
    these counts (:func:`certify_inertia`); ``error_bound`` bounds the distance from
    each reported eigenvalue to the spectrum (largest Gershgorin radius).
    """

    size: int
    eigenvalues: tuple[Any, ...] = field(repr=False)
    smallest: Any
    negative: int
    near_zero: int
    positive: int
    margin: Any
    certified: bool
    certificate: str
    error_bound: Any
    method: str
    seconds: float


def certify_inertia(S: Any, G: Any, mus: Sequence[Any], allowance: Any, dps: int
                    ) -> tuple[list[int] | None, Any, str]:
    """Count the eigenvalues of ``A`` below each ``mu`` from ball products
    ``S = X^T A X`` and ``G = X^T X`` (``X`` approximate eigenvectors).

    ``X^T (A - mu I) X = S - mu G`` has the inertia of ``A - mu I`` when ``X`` is
    nonsingular (Sylvester's law; proved by ``||I - G||_F < 1``).  Its Gershgorin
    intervals (radius: off-diagonal row sum, plus ``allowance`` for the rounding of
    ``A`` itself) that lie left of 0 are then exactly its negative eigenvalues,
    provided no interval contains 0.  Returns ``(counts or None, largest radius,
    explanation)``.

    >>> import flint
    >>> S = flint.arb_mat([[-1, 0], [0, 2]]); G = flint.arb_mat([[1, 0], [0, 1]])
    >>> certify_inertia(S, G, [mpmath.mpf(0), mpmath.mpf(3)], 0, dps=30)[0]
    [1, 2]
    """
    flint = flint_module()
    P = S.nrows()
    with flint.ctx.workprec(bits_for(dps)):
        Sl, Gl = S.tolist(), G.tolist()
        allow = flint.arb(allowance)
        off_G = flint.arb(0)
        for i in range(P):
            for j in range(P):
                d = Gl[i][j] - (1 if i == j else 0)
                off_G += d * d
        if not off_G.upper() < 1:
            return None, None, "not certified: the eigenvector matrix is not provably " \
                               "nonsingular"
        rS = []
        rG = []
        for i in range(P):
            rs = flint.arb(0)
            rg = flint.arb(0)
            for j in range(P):
                if i != j:
                    rs += Sl[i][j].abs_upper()
                    rg += Gl[i][j].abs_upper()
            rS.append(rs)
            rG.append(rg)
        counts: list[int] = []
        worst = flint.arb(0)
        for mu in mus:
            m = flint.arb(mu)
            below = 0
            for i in range(P):
                c = Sl[i][i] - m * Gl[i][i]
                r = (rS[i] + abs(m) * rG[i] + allow).upper()
                if (r > worst.upper()) is True:
                    worst = flint.arb(r)
                lo, hi = (c - r).lower(), (c + r).upper()
                if hi < 0:
                    below += 1
                elif not lo > 0:
                    return None, arb_to_mpf(worst), (
                        f"not certified: a Gershgorin interval of X^T (A - mu I) X "
                        f"contains 0 at mu = {mpmath.nstr(mu, 3)}")
            counts.append(below)
        with working_precision(dps):
            rad = arb_to_mpf(worst)
        return counts, rad, ("certified: Sylvester inertia of X^T (A - mu I) X with "
                             "Gershgorin discs (python-flint ball arithmetic) at "
                             "mu = -margin and +margin")


def hessian_spectrum(A: Any, margin: Any, dps: int, method: str = "refined") -> Spectrum:
    """Eigenvalues of the symmetric Hessian matrix ``A`` and their signs at ``margin``.

    ``method``: ``"refined"`` (default; :func:`refined_symmetric_eig`) or ``"mpmath"``
    (``mpmath.eigsy``, the slow dense baseline).  Both are certified by
    :func:`certify_inertia` with an allowance of ``P * 10^-(dps - 3) * max |A_ij|`` for
    the rounding of ``A``'s entries.

    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     s = hessian_spectrum(mpmath.matrix([[-1, 0, 0], [0, 0, 0], [0, 0, 2]]),
    ...                          mpmath.mpf(10) ** -20, dps=30)
    >>> s.negative, s.near_zero, s.positive, s.certified, mpmath.nstr(s.smallest, 5)
    (1, 1, 1, True, '-1.0')
    """
    if method not in EIG_METHODS:
        raise UFMInputError(f"eig_method: unknown method {method!r} "
                            f"(expected one of: {', '.join(EIG_METHODS)})")
    flint = flint_module()
    t0 = time.perf_counter()
    with working_precision(dps):
        A = A if isinstance(A, mpmath.matrix) else mpmath.matrix(A)
        P = A.rows
        margin = mpmath.mpf(margin)
        max_entry = max((abs(A[i, j]) for i in range(P) for j in range(P)),
                        default=mpmath.mpf(0))
        allowance = P * mpmath.mpf(10) ** (-(dps - 3)) * max(max_entry, 1)
        if method == "refined":
            eigs, _, info = refined_symmetric_eig(A, dps)
            S, G = info["S"], info["G"]
            label = (f"refined (float64 eigh + {info['iterations']} Ogita-Aishima steps, "
                     f"python-flint)")
            if not info["converged"]:
                label += ", not fully converged"
        else:
            E, Q = mpmath.eigsy(A)
            eigs = [E[i] for i in range(P)]
            with flint.ctx.workprec(bits_for(dps)):
                X = flint.arb_mat([[Q[i, k] for k in range(P)] for i in range(P)])
                Am = flint.arb_mat([[A[i, j] for j in range(P)] for i in range(P)])
                Xt = X.transpose()
                S, G = Xt * (Am * X), Xt * X
            label = "mpmath.eigsy (dense Jacobi/QL)"
        counts, radius, cert = certify_inertia(S, G, [-margin, margin], allowance, dps)
        if counts is not None:
            neg, below_plus = counts
            zero = below_plus - neg
        else:
            neg = sum(1 for e in eigs if e < -margin)
            zero = sum(1 for e in eigs if -margin <= e <= margin)
            radius = radius if radius is not None else mpmath.mpf("nan")
        return Spectrum(size=P, eigenvalues=tuple(eigs), smallest=eigs[0] if eigs else None,
                        negative=neg, near_zero=zero, positive=P - neg - zero,
                        margin=margin, certified=counts is not None, certificate=cert,
                        error_bound=radius, method=label,
                        seconds=time.perf_counter() - t0)
