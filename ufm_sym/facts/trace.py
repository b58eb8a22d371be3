r"""Trace inequalities: von Neumann's trace inequality and its corollary
``<A, B> <= ||A||_2 ||B||_*`` (the duality of the spectral and nuclear norms).

>>> from ufm_sym.symbolic.latex import paper_latex
>>> print(paper_latex(TRACE_SPECTRAL_NUCLEAR.statement.lhs))
\left\langle \mathbf{A}, \mathbf{B}\right\rangle
"""

from __future__ import annotations

from collections.abc import Iterator

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.symbolic.functions import NuclearNorm, SingularValue, SpectralNorm

from .base import Fact, Instance
from .sampling import diag, fro, gaussian, rand_int, svd_parts

__all__ = ["TRACE_FACTS", "TRACE_SPECTRAL_NUCLEAR", "VON_NEUMANN_TRACE"]

m, p = sp.symbols("m p", integer=True, positive=True)
i = sp.Symbol("i", integer=True, positive=True)
_A = sp.MatrixSymbol("A", m, p)
_B = sp.MatrixSymbol("B", m, p)


def _von_neumann_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for k in range(count):
        mv, pv = rand_int(rng, 1, 5), rand_int(rng, 1, 6)
        if k % 2:
            A, B = gaussian(rng, mv, pv), gaussian(rng, mv, pv)
            sharp = False
        else:  # common singular vectors, singular values in the same order: equality
            r = min(mv, pv)
            U, sa, V = svd_parts(rng, mv, pv, r)
            sb = sorted((mpmath.mpf(float(x)) for x in rng.uniform(0, 2, r)), reverse=True)
            A, B = U * diag(sa) * V.T, U * diag(sb) * V.T
            sharp = True
        yield Instance({"A": A, "B": B}, sharp=sharp, scale=max(1, fro(A) * fro(B)),
                       kind=f"{mv}x{pv}" + (", common singular vectors" if sharp else ""))


VON_NEUMANN_TRACE = Fact(
    name="von-neumann-trace",
    title="von Neumann's trace inequality |tr(A^T B)| <= sum_i sigma_i(A) sigma_i(B)",
    title_tex=r"von Neumann's trace inequality $|\operatorname{tr}(A^\top B)|\le"
              r"\sum_i\sigma_i(A)\sigma_i(B)$",
    statement=sp.Abs(sp.Trace(_A.T * _B))
    <= sp.Sum(SingularValue(_A, i) * SingularValue(_B, i), (i, 1, sp.Min(m, p))),
    reference="J. von Neumann, Some matrix-inequalities and metrization of matric-space, "
              "Tomsk Univ. Rev. 1 (1937) 286-300; L. Mirsky, A trace inequality of John von "
              "Neumann, Monatsh. Math. 79 (1975) 303-306; Horn and Johnson, Matrix Analysis, "
              "2nd ed., Thm 7.4.1.1",
    instances=_von_neumann_instances,
    tested="Gaussian pairs, and pairs U diag(s_A) V^T, U diag(s_B) V^T with common "
           "singular vectors and both spectra descending (equality).",
)


def _holder_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for k in range(count):
        mv, pv = rand_int(rng, 1, 5), rand_int(rng, 1, 6)
        if k % 2:
            A, B = gaussian(rng, mv, pv), gaussian(rng, mv, pv)
            sharp = False
        else:  # A = c (U V^T + U_perp M V_perp^T), ||M||_2 <= 1: <A, B> = c ||B||_*
            n = min(mv, pv)
            r = rand_int(rng, 1, n)
            Uf, _, Vf = svd_parts(rng, mv, pv, n)
            s = sorted((mpmath.mpf(float(x)) for x in rng.uniform(0.2, 3, r)), reverse=True)
            U = mpmath.matrix([[Uf[a, j] for j in range(r)] for a in range(mv)])
            V = mpmath.matrix([[Vf[a, j] for j in range(r)] for a in range(pv)])
            B = U * diag(s) * V.T
            A = U * V.T
            if r < n:
                Up = mpmath.matrix([[Uf[a, j] for j in range(r, n)] for a in range(mv)])
                Vp = mpmath.matrix([[Vf[a, j] for j in range(r, n)] for a in range(pv)])
                M = gaussian(rng, n - r, n - r)
                M = M / max(mpmath.mpf(1), mpmath.svd_r(M, compute_uv=False)[0])
                A = A + Up * M * Vp.T
            A = A * mpmath.mpf(float(rng.uniform(0.5, 2)))
            sharp = True
        yield Instance({"A": A, "B": B}, sharp=sharp, scale=max(1, fro(A) * fro(B)),
                       kind=f"{mv}x{pv}" + (", A aligned with B's SVD" if sharp else ""))


TRACE_SPECTRAL_NUCLEAR = Fact(
    name="trace-spectral-nuclear",
    title="<A, B> <= ||A||_2 ||B||_* (corollary of von Neumann's trace inequality)",
    title_tex=r"$\langle A,B\rangle\le\|A\|_2\,\|B\|_*$ (from von Neumann's trace inequality)",
    statement=sp.Trace(_A.T * _B) <= SpectralNorm(_A) * NuclearNorm(_B),
    reference="Corollary of von Neumann's trace inequality (sigma_i(A) <= ||A||_2); Horn and "
              "Johnson, Matrix Analysis, 2nd ed., Section 5.6 (the spectral and nuclear norms "
              "are dual)",
    instances=_holder_instances,
    tested="Gaussian pairs, and B = U diag(s) V^T with A = c (U V^T + U_perp M V_perp^T), "
           "||M||_2 <= 1 (equality).",
)

TRACE_FACTS: tuple[Fact, ...] = (VON_NEUMANN_TRACE, TRACE_SPECTRAL_NUCLEAR)
