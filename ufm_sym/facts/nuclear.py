r"""The penalty and the nuclear norm: AM-GM for the weight decay, the product bound
``||W H||_* <= ||W||_F ||H||_F``, the variational form of the nuclear norm, the
equality ``sqrt(lambda_W lambda_H) ||W H||_* = lambda_W/2 ||W||_F^2 + lambda_H/2 ||H||_F^2``
at a balanced point, and the subdifferential of the nuclear norm (the steps from ``f``
to the convex relaxation ``F``).

>>> from ufm_sym.symbolic.latex import paper_latex
>>> print(paper_latex(NUCLEAR_PRODUCT_BOUND.statement))
\left\|\mathbf{W} \mathbf{H}\right\|_* \leq \left\|\mathbf{H}\right\|_F \left\|\mathbf{W}\right\|_F
"""

from __future__ import annotations

from collections.abc import Iterator

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.symbolic.expressions import FrobeniusNorm
from ufm_sym.symbolic.functions import NuclearNorm, SpectralNorm
from ufm_sym.symbolic.symbols import K, N, d, lambda_H, lambda_W

from .base import Fact, Instance
from .sampling import diag, fro, gaussian, orthonormal, rand_int, svd_parts

__all__ = ["AM_GM_PENALTY", "BALANCED_PRODUCT_NUCLEAR_NORM", "NUCLEAR_FACTS",
           "NUCLEAR_PRODUCT_BOUND", "NUCLEAR_SUBDIFFERENTIAL", "NUCLEAR_VARIATIONAL_FORM"]

_W = sp.MatrixSymbol("W", K, d)
_H = sp.MatrixSymbol("H", d, N)
_F = FrobeniusNorm


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> mpmath.mpf:
    return mpmath.mpf(float(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


def _balanced_factors(rng: np.random.Generator, Kv: int, dv: int, Nv: int, r: int
                      ) -> tuple[mpmath.matrix, mpmath.matrix, mpmath.matrix]:
    """``(W, H, Z)`` with ``Z = W H`` of rank ``r`` and ``W^T W = H H^T`` (so
    ``||W||_F ||H||_F = ||Z||_*``): ``W = U S^(1/2) R^T``, ``H = R S^(1/2) V^T``."""
    U, s, V = svd_parts(rng, Kv, Nv, r)
    R = orthonormal(rng, dv, r)
    half = diag([mpmath.sqrt(x) for x in s])
    W, H = U * half * R.T, R * half * V.T
    return W, H, U * diag(s) * V.T


# ----------------------------------------------------------------------- AM-GM
def _am_gm_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for k in range(count):
        Kv, dv, Nv = rand_int(rng, 1, 4), rand_int(rng, 1, 4), rand_int(rng, 1, 6)
        lw, lh = _log_uniform(rng, 1e-4, 1), _log_uniform(rng, 1e-4, 1)
        W, H = gaussian(rng, Kv, dv), gaussian(rng, dv, Nv)
        sharp = k % 2 == 0
        if sharp:  # rescale H so that lambda_W ||W||^2 = lambda_H ||H||^2
            H = H * mpmath.sqrt(lw / lh) * fro(W) / fro(H)
        env = {"W": W, "H": H, "lambda_W": lw, "lambda_H": lh}
        yield Instance(env, sharp=sharp, scale=max(1, lw * fro(W) ** 2 + lh * fro(H) ** 2),
                       kind="balanced" if sharp else "random")


AM_GM_PENALTY = Fact(
    name="am-gm-penalty",
    title="AM-GM for the penalty: lambda_W/2 ||W||_F^2 + lambda_H/2 ||H||_F^2 >= "
          "sqrt(lambda_W lambda_H) ||W||_F ||H||_F",
    title_tex=r"AM--GM for the penalty: $\frac{\lambda_W}{2}\|W\|_F^2+\frac{\lambda_H}{2}"
              r"\|H\|_F^2\ge\sqrt{\lambda_W\lambda_H}\,\|W\|_F\|H\|_F$",
    statement=(lambda_W / 2 * _F(_W) ** 2 + lambda_H / 2 * _F(_H) ** 2
               >= sp.sqrt(lambda_W * lambda_H) * _F(_W) * _F(_H)),
    reference="The arithmetic-geometric mean inequality x^2 + y^2 >= 2 x y (x = sqrt(lambda_W) "
              "||W||_F, y = sqrt(lambda_H) ||H||_F), equality iff x = y; Hardy, Littlewood and "
              "Polya, Inequalities, 2nd ed., Section 2.5; lambda_W, lambda_H > 0 are the "
              "symbols' assumptions",
    instances=_am_gm_instances,
    tested="Gaussian W, H and log-uniform lambdas in [1e-4, 1]; sharp where H is rescaled "
           "to lambda_W ||W||_F^2 = lambda_H ||H||_F^2.",
)


# ------------------------------------------------------------ product bound
def _product_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for k in range(count):
        Kv, dv, Nv = rand_int(rng, 1, 4), rand_int(rng, 1, 4), rand_int(rng, 1, 6)
        sharp = k % 2 == 0
        if sharp:
            r = rand_int(rng, 1, min(Kv, dv, Nv))
            W, H, _ = _balanced_factors(rng, Kv, dv, Nv, r)
            c = _log_uniform(rng, 0.1, 10)
            W, H = W * c, H / c
        else:
            W, H = gaussian(rng, Kv, dv), gaussian(rng, dv, Nv)
        yield Instance({"W": W, "H": H}, sharp=sharp, scale=max(1, fro(W) * fro(H)),
                       kind="balanced factorization" if sharp else "random")


NUCLEAR_PRODUCT_BOUND = Fact(
    name="nuclear-product-bound",
    title="||W H||_* <= ||W||_F ||H||_F",
    title_tex=r"$\|WH\|_*\le\|W\|_F\,\|H\|_F$",
    statement=NuclearNorm(_W * _H) <= _F(_W) * _F(_H),
    reference="Horn and Johnson, Topics in Matrix Analysis, Cambridge 1991, Thm 3.3.14 "
              "(||W H||_* <= sum_i sigma_i(W) sigma_i(H)) and Cauchy-Schwarz; equality at "
              "W = c U S^(1/2) R^T, H = R S^(1/2) V^T / c (Recht, Fazel and Parrilo, SIAM "
              "Review 52 (2010), Lemma 5.1)",
    instances=_product_instances,
    tested="Gaussian W, H; sharp at balanced factorizations W = c U S^(1/2) R^T, "
           "H = R S^(1/2) V^T / c of a random Z = U S V^T.",
)

# ---------------------------------------------------------- variational form
r_ = sp.Symbol("r", integer=True, positive=True)
_U = sp.MatrixSymbol("U", K, r_)
_V = sp.MatrixSymbol("V", N, r_)
_D = sp.MatrixSymbol("D", r_, r_)


def _variational_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for k in range(count):
        Kv, Nv = rand_int(rng, 1, 4), rand_int(rng, 1, 6)
        r = rand_int(rng, 1, min(Kv, Nv))
        U, V = orthonormal(rng, Kv, r), orthonormal(rng, Nv, r)
        sharp = k % 2 == 0
        if sharp:  # W = U D, H = D V^T with D = S^(1/2): the minimizing factorization
            D = diag([mpmath.sqrt(mpmath.mpf(float(x))) for x in rng.uniform(0.1, 3, r)])
            W, H = U * D, D * V.T
        else:
            G = gaussian(rng, r, r)
            D = (G + G.T) / 2
            dv = rand_int(rng, 1, 4)
            W, H = gaussian(rng, Kv, dv), gaussian(rng, dv, Nv)
        env = {"W": W, "H": H, "U": U, "V": V, "D": D}
        yield Instance(env, sharp=sharp, scale=max(1, fro(W) ** 2 + fro(H) ** 2, fro(D) ** 2),
                       kind="W = U S^(1/2), H = S^(1/2) V^T" if sharp else "random")


NUCLEAR_VARIATIONAL_FORM = Fact(
    name="nuclear-variational-form",
    title="The variational form of the nuclear norm: ||Z||_* = min over W H = Z of "
          "(||W||_F^2 + ||H||_F^2)/2, attained at W = U S^(1/2), H = S^(1/2) V^T",
    title_tex=r"$\|Z\|_*=\min_{WH=Z}\frac12(\|W\|_F^2+\|H\|_F^2)$, attained at "
              r"$W=US^{1/2}$, $H=S^{1/2}V^\top$",
    statement=sp.And(
        NuclearNorm(_W * _H) <= (_F(_W) ** 2 + _F(_H) ** 2) / 2,
        sp.Implies(sp.And(sp.Eq(_U.T * _U, sp.Identity(r_)), sp.Eq(_V.T * _V, sp.Identity(r_)),
                          sp.Eq(_D, _D.T)),
                   sp.Eq(NuclearNorm(_U * _D * _D * _V.T), (_F(_U * _D) ** 2 + _F(_D * _V.T) ** 2)
                         / 2))),
    reference="Recht, Fazel and Parrilo, Guaranteed minimum-rank solutions of linear matrix "
              "equations via nuclear norm minimization, SIAM Review 52 (2010), Lemma 5.1; "
              "Srebro, Rennie and Jaakkola, NIPS 2004",
    instances=_variational_instances,
    tested="the lower bound at Gaussian W, H; the attainment at orthonormal U, V and a "
           "random symmetric D (Z = U D^2 V^T); sharp (both parts equalities) at "
           "W = U D, H = D V^T with D = S^(1/2) diagonal.",
)

# ------------------------------------------------------- balanced factorization
def _balanced_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    """Balanced ``W = U S^(1/2) R^T c``, ``H = R S^(1/2) V^T / c`` with
    ``c = (lambda_H/lambda_W)^(1/4)`` (all sharp: the conclusion is an equality), then a
    third as many built off the balance: Gaussian ``W, H``, or ``c`` times a random
    factor ``!= 1``."""
    for k in range(count + count // 3):
        Kv, dv, Nv = rand_int(rng, 1, 4), rand_int(rng, 1, 4), rand_int(rng, 1, 6)
        lw, lh = _log_uniform(rng, 1e-4, 1), _log_uniform(rng, 1e-4, 1)
        r = rand_int(rng, 0 if k % 8 == 7 else 1, min(Kv, dv, Nv))
        W, H, _ = _balanced_factors(rng, Kv, dv, Nv, r) if r else (
            mpmath.zeros(Kv, dv), mpmath.zeros(dv, Nv), None)
        c = (lh / lw) ** mpmath.mpf(0.25)
        premise = k < count
        kind = f"{Kv}x{dv}x{Nv}, rank {r}"
        if not premise:
            if k % 2 or r == 0:
                W, H, kind = gaussian(rng, Kv, dv), gaussian(rng, dv, Nv), "Gaussian W, H"
            else:
                c *= _log_uniform(rng, 1.5, 4) ** (1 if k % 4 else -1)
                kind += ", balance off by a factor"
        W, H = W * c, H / c
        env = {"W": W, "H": H, "lambda_W": lw, "lambda_H": lh}
        yield Instance(env, sharp=premise, kind=kind, premise=premise,
                       scale=max(1, lw * fro(W) ** 2 + lh * fro(H) ** 2))


BALANCED_PRODUCT_NUCLEAR_NORM = Fact(
    name="balanced-product-nuclear-norm",
    title="At a balanced factorization (lambda_W W^T W = lambda_H H H^T): "
          "sqrt(lambda_W lambda_H) ||W H||_* = lambda_W/2 ||W||_F^2 + lambda_H/2 ||H||_F^2",
    title_tex=r"At a balanced factorization ($\lambda_W W^\top W=\lambda_H HH^\top$): "
              r"$\sqrt{\lambda_W\lambda_H}\,\|WH\|_*=\frac{\lambda_W}{2}\|W\|_F^2+"
              r"\frac{\lambda_H}{2}\|H\|_F^2$",
    statement=sp.Implies(
        sp.Eq(lambda_W * _W.T * _W, lambda_H * _H * _H.T),
        sp.Eq(sp.sqrt(lambda_W * lambda_H) * NuclearNorm(_W * _H),
              lambda_W / 2 * _F(_W) ** 2 + lambda_H / 2 * _F(_H) ** 2)),
    reference="Horn and Johnson, Matrix Analysis, 2nd ed., Cambridge 2013, Section 2.6 (the "
              "singular values of A are the square roots of the eigenvalues of A^T A): at a "
              "balanced point (W H)^T (W H) = H^T (W^T W) H = (lambda_H/lambda_W) (H^T H)^2, so "
              "the singular values of W H are sqrt(lambda_H/lambda_W) times the eigenvalues of "
              "the PSD matrix H^T H and ||W H||_* = sqrt(lambda_H/lambda_W) ||H||_F^2, while the "
              "trace of the balance gives lambda_W ||W||_F^2 = lambda_H ||H||_F^2; it is the "
              "equality case of am-gm-penalty and nuclear-product-bound (Recht, Fazel and "
              "Parrilo, SIAM Review 52 (2010), Lemma 5.1); lambda_W, lambda_H > 0 are the "
              "symbols' assumptions",
    instances=_balanced_instances,
    tested="balanced W = U S^(1/2) R^T (lambda_H/lambda_W)^(1/4), H = R S^(1/2) V^T "
           "(lambda_W/lambda_H)^(1/4) of random rank (0 included) and log-uniform lambdas "
           "in [1e-4, 1] (all sharp); rejected: Gaussian W, H and balanced ones rescaled "
           "W c, H / c with c != 1.",
)


# ------------------------------------------------------------ subdifferential
_Z = sp.MatrixSymbol("Z", K, N)
_S = sp.MatrixSymbol("S", K, N)
_Y = sp.MatrixSymbol("Y", K, N)


def _subgradient_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for k in range(count):
        Kv, Nv = rand_int(rng, 1, 4), rand_int(rng, 1, 6)
        n = min(Kv, Nv)
        r = rand_int(rng, 0, n)
        Uf, s, Vf = svd_parts(rng, Kv, Nv, n)
        cols = lambda M, lo, hi: mpmath.matrix(  # noqa: E731
            [[M[a, j] for j in range(lo, hi)] for a in range(M.rows)]) if hi > lo else None
        U, V = cols(Uf, 0, r), cols(Vf, 0, r)
        Z = U * diag(s[:r]) * V.T if r else mpmath.zeros(Kv, Nv)
        S = U * V.T if r else mpmath.zeros(Kv, Nv)
        if r < n:  # the free block: U_perp M V_perp^T with ||M||_2 <= 1
            M = gaussian(rng, n - r, n - r)
            M = M * mpmath.mpf(float(rng.uniform(0, 1))) / mpmath.svd_r(M, compute_uv=False)[0]
            S = S + cols(Uf, r, n) * M * cols(Vf, r, n).T
        sharp = k % 3 == 0
        if sharp:  # Y = t Z: ||t Z||_* = ||Z||_* + <S, (t - 1) Z>
            Y = Z * mpmath.mpf(float(rng.uniform(0, 2)))
        elif k % 3 == 1:
            Y = gaussian(rng, Kv, Nv) * mpmath.mpf(float(rng.uniform(0.01, 1)))
        else:
            Y = Z + gaussian(rng, Kv, Nv) * mpmath.mpf(float(rng.uniform(0.01, 1)))
        yield Instance({"Z": Z, "S": S, "Y": Y}, sharp=sharp,
                       scale=max(1, fro(Z), fro(Y)) * max(1, fro(S)),
                       kind=f"{Kv}x{Nv}, rank Z = {r}" + (", Y = t Z" if sharp else ""))


NUCLEAR_SUBDIFFERENTIAL = Fact(
    name="nuclear-subdifferential",
    title="The subdifferential of the nuclear norm: if ||S||_2 <= 1 and <S, Z> = ||Z||_* then "
          "S is a subgradient of ||.||_* at Z: ||Y||_* >= ||Z||_* + <S, Y - Z> for all Y",
    title_tex=r"If $\|S\|_2\le1$ and $\langle S,Z\rangle=\|Z\|_*$ then $S\in\partial\|Z\|_*$: "
              r"$\|Y\|_*\ge\|Z\|_*+\langle S,Y-Z\rangle$ for all $Y$",
    statement=sp.Implies(
        sp.And(SpectralNorm(_S) <= 1, sp.Eq(sp.Trace(_S.T * _Z), NuclearNorm(_Z))),
        NuclearNorm(_Y) >= NuclearNorm(_Z) + sp.Trace(_S.T * (_Y - _Z))),
    reference="G. A. Watson, Characterization of the subdifferential of some matrix norms, "
              "Linear Algebra Appl. 170 (1992) 33-45 (d||Z||_* = {U V^T + W : U^T W = 0, "
              "W V = 0, ||W||_2 <= 1} = {S : ||S||_2 <= 1, <S, Z> = ||Z||_*}); the inequality "
              "is <S, Y> <= ||S||_2 ||Y||_* <= ||Y||_*",
    instances=_subgradient_instances,
    tested="Z = U_r S V_r^T of random rank r, S = U_r V_r^T + U_perp M V_perp^T with "
           "||M||_2 <= 1; Y Gaussian, Z plus noise, or (sharp) t Z.",
)

NUCLEAR_FACTS: tuple[Fact, ...] = (AM_GM_PENALTY, NUCLEAR_PRODUCT_BOUND, NUCLEAR_VARIATIONAL_FORM,
                                   NUCLEAR_SUBDIFFERENTIAL, BALANCED_PRODUCT_NUCLEAR_NORM)
