r"""The spectral norm read off a structure: ``||G||_2 = t`` when ``G G^T = t^2 I`` (written
with an orthogonal ``U``: ``G G^T U = t^2 U``), and ``||t U V^T + E||_2 = max(t, ||E||_2)``
when ``E`` is orthogonal to ``U`` on the left and to ``V`` on the right (the singular
values of the sum are ``t``, ``r`` times, and those of ``E``); and the singular value
decomposition ``W V = U Sigma`` (orthogonal ``U``, ``V``; the columns of ``Sigma``
orthogonal), the normal form of Proposition 4.3 and Assumption 4.4.

``t`` is a nonnegative symbol: its assumption is a hypothesis, and the tests draw
instances with ``t < 0`` that it must reject.

>>> print(SPECTRAL_NORM_ORTHOGONAL_SUM.statement.args[1])
Eq(SpectralNorm(t*U*V.T + E), Max(t, SpectralNorm(E)))
>>> from ufm_sym.symbolic.latex import paper_latex
>>> print(paper_latex(SPECTRAL_NORM_ORTHOGONAL_SUM.statement.args[1].rhs))
\max\left(t, \left\|\mathbf{E}\right\|_2\right)
"""

from __future__ import annotations

from collections.abc import Iterator

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.symbolic.evaluate import mp_svd_r
from ufm_sym.symbolic.functions import SpectralNorm
from ufm_sym.symbolic.symbols import K, N, d

from .base import Fact, Instance
from .nodes import Exists
from .sampling import diag, fro, gaussian, low_rank, orthonormal, rand_int

__all__ = ["SINGULAR_VALUE_DECOMPOSITION", "SPECTRAL_FACTS", "SPECTRAL_NORM_FROM_GRAM",
           "SPECTRAL_NORM_ORTHOGONAL_SUM"]

HJ = "Horn and Johnson, Matrix Analysis, 2nd ed., Cambridge 2013"
t = sp.Symbol("t", nonnegative=True)
r_ = sp.Symbol("r", integer=True, positive=True)


def _columns(M: mpmath.matrix, lo: int, hi: int) -> mpmath.matrix | None:
    """Columns ``lo .. hi-1`` of ``M`` (``None`` when there are none)."""
    if hi <= lo:
        return None
    return mpmath.matrix([[M[i, j] for j in range(lo, hi)] for i in range(M.rows)])


def _top_singular_value(M: mpmath.matrix) -> mpmath.mpf:
    return mp_svd_r(M, compute_uv=False)[0] if M.rows and M.cols else mpmath.mpf(0)


def _positive(rng: np.random.Generator, lo: float, hi: float) -> mpmath.mpf:
    return mpmath.mpf(float(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


# ------------------------------------------------------------ norm from the Gram
_G = sp.MatrixSymbol("G", K, N)
_Ug = sp.MatrixSymbol("U", K, K)


def _gram_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    """``G = t U_0 V_0^T`` (``U_0`` orthogonal, ``V_0`` with orthonormal columns, so
    ``G G^T = t^2 I``) and ``U`` any orthogonal matrix; all sharp.  Then a third as many
    built to violate one hypothesis each: ``U`` an eigenvector of ``G G^T`` of a lower
    eigenvalue ``t^2`` padded with zeros, or ``U = 0``; Gaussian ``G`` with an orthogonal
    ``U``; ``t < 0`` with ``G = |t| U_0 V_0^T``."""
    for k in range(count + count // 3):
        premise = k < count
        Kv = rand_int(rng, 1, 4)
        Nv = rand_int(rng, Kv, 6)
        tv = mpmath.mpf(0) if k % 8 == 7 else _positive(rng, 0.1, 10)
        U = orthonormal(rng, Kv, Kv)
        kind = f"{Kv}x{Nv}, t = {mpmath.nstr(tv, 3)}"
        if premise and tv == 0 and k % 16 == 15:  # G = 0 also when N < K
            Nv = rand_int(rng, 1, Kv)
        G = orthonormal(rng, Kv, Kv) * orthonormal(rng, Nv, Kv).T * tv if Nv >= Kv \
            else mpmath.zeros(Kv, Nv)
        if not premise:
            case = k % 3
            if case == 0:  # G G^T U = t^2 U with U not orthogonal
                Kv = max(Kv, 2)
                Nv = max(Nv, Kv)
                steps = [_positive(rng, 0.5, 2) for _ in range(Kv)]
                s = [mpmath.fsum(steps[j:]) for j in range(Kv)]  # strictly descending
                Uf = orthonormal(rng, Kv, Kv)
                G = Uf * diag(s) * orthonormal(rng, Nv, Kv).T
                j = rand_int(rng, 1, Kv - 1)
                tv = s[j]
                U = mpmath.zeros(Kv, Kv)
                if k % 2:
                    for i in range(Kv):
                        U[i, 0] = Uf[i, j]
                kind = f"{Kv}x{Nv}, U = " + ("[u_j, 0]" if k % 2 else "0") + ", t = sigma_j"
            elif case == 1:  # U orthogonal, G Gaussian
                G, kind = gaussian(rng, Kv, Nv), f"{Kv}x{Nv}, Gaussian G"
            else:  # t < 0
                tv, kind = -tv - 1, f"{Kv}x{Nv}, t < 0"
                G = orthonormal(rng, Kv, Kv) * orthonormal(rng, Nv, Kv).T * (-tv)
        yield Instance({"G": G, "U": U, "t": tv}, sharp=premise, premise=premise,
                       scale=max(1, tv ** 2, fro(G) ** 2), kind=kind)


SPECTRAL_NORM_FROM_GRAM = Fact(
    name="spectral-norm-from-gram",
    title="If G G^T U = t^2 U for an orthogonal U and t >= 0, then ||G||_2 = t",
    title_tex=r"If $GG^\top U=t^2U$ for an orthogonal $U$ ($UU^\top=I$) and $t\ge0$, then "
              r"$\|G\|_2=t$",
    statement=sp.Implies(sp.And(sp.Eq(_G * _G.T * _Ug, t ** 2 * _Ug),
                                sp.Eq(_Ug * _Ug.T, sp.Identity(K))),
                         sp.Eq(SpectralNorm(_G), t)),
    reference=f"{HJ}, Section 2.6 (the singular values of G are the square roots of the "
              "eigenvalues of G G^T) and Section 5.6.6 (||G||_2 = sigma_1(G)): with U "
              "invertible, G G^T U = t^2 U gives G G^T = t^2 I, so every singular value is "
              "|t| = t; t >= 0 is the symbol's assumption",
    instances=_gram_instances,
    tested="G = t U_0 V_0^T with U_0 orthogonal, V_0 orthonormal columns (N >= K), t "
           "log-uniform in [0.1, 10] or 0, U a random orthogonal matrix (all sharp); "
           "rejected: U = 0 or [u_j, 0] with u_j an eigenvector of G G^T of a lower "
           "eigenvalue t^2; Gaussian G; t < 0.",
)

# ------------------------------------------------------------ orthogonal sum
_U = sp.MatrixSymbol("U", K, r_)
_V = sp.MatrixSymbol("V", N, r_)
_E = sp.MatrixSymbol("E", K, N)


def _orthogonal_sum_parts(rng: np.random.Generator, Kv: int, Nv: int, r: int
                          ) -> tuple[mpmath.matrix, mpmath.matrix, mpmath.matrix | None,
                                     mpmath.matrix | None]:
    """``(U, V, U_perp, V_perp)``: complementary orthonormal bases (``None`` when empty)."""
    Uf, Vf = orthonormal(rng, Kv, Kv), orthonormal(rng, Nv, Nv)
    return _columns(Uf, 0, r), _columns(Vf, 0, r), _columns(Uf, r, Kv), _columns(Vf, r, Nv)


def _sum_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    """``E = U_perp M V_perp^T`` with ``t`` above, below or at ``||E||_2``, or ``t = 0``
    (all sharp: the conclusion is an equality, attained by either term).  Then a third
    as many built to violate one hypothesis each (``U^T E != 0``, ``E V != 0``,
    ``U^T U = 4 I``, ``V^T V = 4 I``, ``t < 0``), where the conclusion fails."""
    for k in range(count + count // 3):
        premise = k < count
        case = k % 5 if not premise else k % 4
        Kv, Nv = rand_int(rng, 1, 4), rand_int(rng, 1, 5)
        if not premise and case in (0, 1):  # room for the off-block part
            Kv, Nv = max(Kv, 2), max(Nv, 2)
        r = rand_int(rng, 1, min(Kv, Nv) - (not premise and case in (0, 1)))
        U, V, Up, Vp = _orthogonal_sum_parts(rng, Kv, Nv, r)
        if Up is None or Vp is None:
            E = mpmath.zeros(Kv, Nv)
        else:
            E = Up * gaussian(rng, Kv - r, Nv - r) * Vp.T * _positive(rng, 0.2, 2)
        nE = _top_singular_value(E)
        if premise:
            tv = [nE * _positive(rng, 1.1, 3), nE / _positive(rng, 1.1, 3), nE,
                  mpmath.mpf(0)][case]
            if tv == 0 and case != 3:
                tv = _positive(rng, 0.2, 2)
            kind = f"{Kv}x{Nv}, r = {r}, " + (
                "t = 0" if tv == 0 else "t = ||E||" if tv == nE else
                "t > ||E||" if tv > nE else "t < ||E||")
        else:
            tv = nE * _positive(rng, 1.5, 3) + mpmath.mpf(0.5)
            if case == 0:
                E = gaussian(rng, Kv, Nv - r) * Vp.T
            elif case == 1:
                E = Up * gaussian(rng, Kv - r, Nv)
            if case in (0, 1):  # t = ||E||: the top singular vectors then mix
                tv = _top_singular_value(E)
            elif case == 2:
                U = U * 2
            elif case == 3:
                V = V * 2
            else:
                tv = -tv
            kind = f"{Kv}x{Nv}, r = {r}, " + ["U^T E != 0", "E V != 0", "U^T U = 4 I",
                                              "V^T V = 4 I", "t < 0"][case]
        yield Instance({"U": U, "V": V, "E": E, "t": tv}, sharp=premise, premise=premise,
                       scale=max(1, abs(tv), fro(E)) ** 2, kind=kind)


SPECTRAL_NORM_ORTHOGONAL_SUM = Fact(
    name="spectral-norm-orthogonal-sum",
    title="If U (K x r) and V (N x r) have orthonormal columns, U^T E = 0, E V = 0 and "
          "t >= 0, then ||t U V^T + E||_2 = max(t, ||E||_2)",
    title_tex=r"If $U^\top U=V^\top V=I_r$, $U^\top E=0$, $EV=0$ and $t\ge0$, then "
              r"$\|tUV^\top+E\|_2=\max(t,\|E\|_2)$",
    statement=sp.Implies(
        sp.And(sp.Eq(_U.T * _U, sp.Identity(r_)), sp.Eq(_V.T * _V, sp.Identity(r_)),
               sp.Eq(_U.T * _E, sp.ZeroMatrix(r_, N)), sp.Eq(_E * _V, sp.ZeroMatrix(K, r_))),
        sp.Eq(SpectralNorm(t * _U * _V.T + _E), sp.Max(t, SpectralNorm(_E)))),
    reference=f"{HJ}, Section 2.6 (singular value decomposition): E lives on the orthogonal "
              "complements of the columns of U and V, so an SVD of E and the pairs of t U V^T "
              "together form an SVD of the sum, so its singular values are t (r times) and "
              "those of E, and ||.||_2 = sigma_1 (Section 5.6.6); the same block structure as "
              "the subdifferential of the nuclear norm (G. A. Watson, Linear Algebra Appl. "
              "170 (1992) 33-45); t >= 0 is the symbol's assumption",
    instances=_sum_instances,
    tested="U, V random orthonormal, E = U_perp M V_perp^T with M Gaussian (E = 0 when r = "
           "min(K, N)), t above, below or equal to ||E||_2, or 0 (all sharp); rejected: "
           "U^T E != 0 or E V != 0 (with t = ||E||_2), U^T U = 4 I, V^T V = 4 I, t < 0.",
)

# ------------------------------------------------------ singular value decomposition
_Ws = sp.MatrixSymbol("W", K, d)
_Us = sp.MatrixSymbol("U", K, K)
_Ss = sp.MatrixSymbol(r"\Sigma", K, d)
_Vs = sp.MatrixSymbol("V", d, d)


def _svd_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    """``W`` a product of Gaussians of planted rank ``0 .. min(K, d)`` (wide, tall and
    square); the witnesses ``U``, ``Sigma``, ``V`` from mpmath's full SVD."""
    for _ in range(count):
        Kv, dv = rand_int(rng, 1, 5), rand_int(rng, 1, 5)
        r = rand_int(rng, 0, min(Kv, dv))
        W = low_rank(rng, Kv, dv, r)
        U, S, Vt = mp_svd_r(W, full_matrices=True, compute_uv=True)
        Sigma = mpmath.zeros(Kv, dv)
        for i in range(min(Kv, dv)):
            Sigma[i, i] = S[i]
        yield Instance({"W": W, "U": U, r"\Sigma": Sigma, "V": Vt.T},
                       scale=max(1, fro(W)), kind=f"{Kv}x{dv} rank {r}")


SINGULAR_VALUE_DECOMPOSITION = Fact(
    name="singular-value-decomposition",
    title="Every real K x d matrix W has orthogonal U (K x K) and V (d x d) with W V = U Sigma, "
          "Sigma diagonal (so Sigma^T Sigma is diagonal: W V has orthogonal columns)",
    title_tex=r"Every real $K\times d$ matrix $W$ has orthogonal $U$, $V$ with $WV=U\Sigma$, "
              r"$\Sigma$ diagonal (so $\Sigma^\top\Sigma$ is diagonal)",
    statement=Exists(_Vs, Exists(_Us, Exists(_Ss, sp.And(
        sp.Eq(_Ws * _Vs, _Us * _Ss), sp.Eq(_Us.T * _Us, sp.Identity(K)),
        sp.Eq(_Vs.T * _Vs, sp.Identity(d)),
        sp.Eq(sp.HadamardProduct(_Ss.T * _Ss, sp.OneMatrix(d, d) - sp.Identity(d)),
              sp.ZeroMatrix(d, d)))))),
    reference=f"{HJ}, Theorem 2.6.3 (singular value decomposition W = U Sigma V^T with U, V "
              "unitary, real for real W, and Sigma diagonal with the singular values in "
              "decreasing order; right-multiplied by V); Sigma^T Sigma = diag(sigma_i^2)",
    instances=_svd_instances,
    tested="W a product of Gaussians of planted rank 0 .. min(K, d), K, d in 1 .. 5 (wide, "
           "tall and square); the witnesses U, Sigma, V are mpmath's full SVD; the statement "
           "(W V = U Sigma, U^T U = I, V^T V = I, off-diagonal of Sigma^T Sigma zero) is "
           "evaluated at them.",
)

SPECTRAL_FACTS: tuple[Fact, ...] = (SPECTRAL_NORM_FROM_GRAM, SPECTRAL_NORM_ORTHOGONAL_SUM,
                                    SINGULAR_VALUE_DECOMPOSITION)
