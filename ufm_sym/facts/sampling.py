"""Random matrices for the facts' tests, in ``mpmath`` at the working precision.

Entries come from a seeded NumPy generator (float64 normals, which are exact binary
numbers); everything built from them (products, projections, orthonormal bases) is
computed in ``mpmath`` at ``mp.dps``, so planted structure (a null vector, a rank, an
SVD) holds to the working precision.

>>> import numpy as np, mpmath
>>> rng = np.random.default_rng(0)
>>> with mpmath.workdps(30):
...     A = low_rank(rng, 4, 3, 2)
...     mpmath.svd_r(A, compute_uv=False)[2] < mpmath.mpf(10) ** -25
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mpmath
import numpy as np

__all__ = ["diag", "fro", "gaussian", "low_rank", "orthonormal", "rand_int", "svd_parts"]


def rand_int(rng: np.random.Generator, lo: int, hi: int) -> int:
    """An integer in ``[lo, hi]``."""
    return int(rng.integers(lo, hi + 1))


def gaussian(rng: np.random.Generator, rows: int, cols: int) -> mpmath.matrix:
    """A ``rows x cols`` matrix of standard normals."""
    return mpmath.matrix(rng.standard_normal((rows, cols)).tolist()) if rows and cols \
        else mpmath.matrix(rows, cols)


def orthonormal(rng: np.random.Generator, n: int, k: int) -> mpmath.matrix:
    """``n x k`` with orthonormal columns (``k <= n``): the first ``k`` columns of the
    Q factor of a Gaussian matrix."""
    Q, _ = mpmath.qr(gaussian(rng, n, n))
    return mpmath.matrix([[Q[i, j] for j in range(k)] for i in range(n)])


def diag(values: Sequence[Any]) -> mpmath.matrix:
    """The diagonal matrix of ``values``."""
    D = mpmath.zeros(len(values), len(values))
    for i, v in enumerate(values):
        D[i, i] = v
    return D


def low_rank(rng: np.random.Generator, rows: int, cols: int, rank: int) -> mpmath.matrix:
    """A ``rows x cols`` matrix of rank ``rank`` (generic: a product of Gaussians)."""
    if rank == 0:
        return mpmath.zeros(rows, cols)
    return gaussian(rng, rows, rank) * gaussian(rng, rank, cols)


def svd_parts(rng: np.random.Generator, rows: int, cols: int, rank: int
              ) -> tuple[mpmath.matrix, list[Any], mpmath.matrix]:
    """``(U, s, V)``: orthonormal ``U`` (``rows x rank``), ``V`` (``cols x rank``) and
    descending positive singular values ``s``."""
    s = sorted((mpmath.mpf(float(x)) for x in rng.uniform(0.2, 3.0, rank)), reverse=True)
    return orthonormal(rng, rows, rank), s, orthonormal(rng, cols, rank)


def fro(M: mpmath.matrix) -> Any:
    """The Frobenius norm."""
    return mpmath.mnorm(M, "f")
