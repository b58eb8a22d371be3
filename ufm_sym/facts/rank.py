r"""Facts about rank and null spaces (Lemma 3.1, Prop. 4.2 and the escape directions).

- ``rank-left-null-vector``: a ``K x d`` matrix with a nonzero ``a``, ``a^T W = 0``,
  has ``rank W <= K - 1``;
- ``rank-product``: ``rank(A B) <= min(rank A, rank B)``;
- ``kernel-of-gram``: ``ker(A^T A) = ker A``;
- ``rank-equal-kernels`` (rank-nullity): ``ker W = ker H^T`` implies
  ``rank W = rank H``;
- ``rank-product-equal-kernels``: ``ker W = ker H^T`` implies ``rank(W H) = rank W``;
- ``null-vector-of-rank-deficient``: a ``K x d`` matrix of rank ``< d`` has a unit
  ``a`` with ``W a = 0``.

>>> from ufm_sym.symbolic.latex import paper_latex
>>> print(paper_latex(RANK_LEFT_NULL_VECTOR.statement.args[1]))
\operatorname{rank}\left(\mathbf{W}\right) \leq K - 1
"""

from __future__ import annotations

from collections.abc import Iterator

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.symbolic.functions import NullSpaceProjector, Rank
from ufm_sym.symbolic.symbols import K, N, d

from .base import Fact, Instance
from .nodes import Exists
from .sampling import fro, gaussian, low_rank, orthonormal, rand_int

__all__ = ["KERNEL_OF_GRAM", "NULL_VECTOR_OF_RANK_DEFICIENT", "RANK_EQUAL_KERNELS",
           "RANK_FACTS", "RANK_LEFT_NULL_VECTOR", "RANK_PRODUCT", "RANK_PRODUCT_EQUAL_KERNELS"]

m, p, q = sp.symbols("m p q", integer=True, positive=True)
HJ = "Horn and Johnson, Matrix Analysis, 2nd ed., Cambridge 2013"

# ------------------------------------------------------------ left null vector
_W = sp.MatrixSymbol("W", K, d)
_a_K = sp.MatrixSymbol("a", K, 1)


def _left_null_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for k in range(count):
        Kv, dv = rand_int(rng, 2, 5), rand_int(rng, 1, 6)
        a = gaussian(rng, Kv, 1)
        P = mpmath.eye(Kv) - (a * a.T) / (a.T * a)[0, 0]
        M = gaussian(rng, Kv, dv) if k % 6 else mpmath.zeros(Kv, dv)
        W = P * M
        yield Instance({"W": W, "a": a}, sharp=bool(k % 6) and dv >= Kv - 1,
                       scale=max(1, fro(M), fro(a) ** 2), kind=f"K={Kv}, d={dv}")


RANK_LEFT_NULL_VECTOR = Fact(
    name="rank-left-null-vector",
    title="A K x d matrix with a nonzero vector in its left null space has rank at most K - 1",
    title_tex=r"A $K\times d$ matrix with a nonzero left null vector has rank at most $K-1$",
    statement=sp.Implies(sp.And(sp.Eq(_a_K.T * _W, sp.ZeroMatrix(1, d)),
                                sp.Trace(_a_K.T * _a_K) > 0),
                         Rank(_W) <= K - 1),
    reference=f"{HJ}, Sections 0.2 and 0.4 (the rank-nullity theorem and row rank = column "
              "rank: rank W = rank W^T = K - dim ker W^T <= K - 1)",
    instances=_left_null_instances,
    tested="W = (I - a a^T/|a|^2) M for Gaussian a, M (and M = 0); sharp (rank exactly "
           "K - 1) where d >= K - 1 and M != 0.",
)

# ------------------------------------------------------------------ product
_A = sp.MatrixSymbol("A", m, p)
_B = sp.MatrixSymbol("B", p, q)


def _product_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for k in range(count):
        mv, pv, qv = rand_int(rng, 1, 5), rand_int(rng, 1, 5), rand_int(rng, 1, 5)
        ra = rand_int(rng, 0, min(mv, pv))
        sharp = k % 2 == 0 and qv >= pv  # B of full row rank p: rank(AB) = rank A
        rb = pv if sharp else rand_int(rng, 0, min(pv, qv))
        A, B = low_rank(rng, mv, pv, ra), low_rank(rng, pv, qv, rb)
        yield Instance({"A": A, "B": B}, sharp=sharp, scale=1,
                       kind=f"{mv}x{pv} rank {ra} times {pv}x{qv} rank {rb}")


RANK_PRODUCT = Fact(
    name="rank-product",
    title="rank(A B) <= min(rank A, rank B)",
    title_tex=r"$\operatorname{rank}(AB)\le\min(\operatorname{rank}A,\operatorname{rank}B)$",
    statement=Rank(_A * _B) <= sp.Min(Rank(_A), Rank(_B)),
    reference=f"{HJ}, Section 0.4.5 (rank inequalities)",
    instances=_product_instances,
    tested="A, B products of Gaussians with planted ranks; sharp where B has full row "
           "rank (then rank AB = rank A).",
)

# ------------------------------------------------------------ kernel of A^T A
_G = sp.MatrixSymbol("A", m, p)


def _gram_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for _ in range(count):
        mv, pv = rand_int(rng, 1, 5), rand_int(rng, 1, 5)
        r = rand_int(rng, 0, min(mv, pv))
        yield Instance({"A": low_rank(rng, mv, pv, r)}, kind=f"{mv}x{pv} rank {r}")


KERNEL_OF_GRAM = Fact(
    name="kernel-of-gram",
    title="ker(A^T A) = ker A",
    title_tex=r"$\ker(A^\top A)=\ker A$",
    statement=sp.Eq(NullSpaceProjector(_G.T * _G), NullSpaceProjector(_G)),
    reference=f"{HJ}, Section 0.4 (rank A^T A = rank A; directly: A^T A x = 0 implies "
              "|A x|^2 = x^T A^T A x = 0)",
    instances=_gram_instances,
    tested="A a product of Gaussians with a planted rank; the two null-space projectors "
           "are compared.",
)

# --------------------------------------------------------- equal kernels -> ranks
_Wk = sp.MatrixSymbol("W", K, d)
_Hk = sp.MatrixSymbol("H", d, N)


def _common_kernel(rng: np.random.Generator, Kv: int, dv: int, Nv: int, r: int
                   ) -> tuple[mpmath.matrix, mpmath.matrix]:
    """``(W, H)`` with ``ker W = ker H^T`` of dimension ``d - r`` (``r <= min(K, d, N)``):
    ``W = A V^T``, ``H = V B`` with ``V`` (``d x r``) orthonormal, ``A``, ``B`` Gaussian."""
    if r == 0:
        return mpmath.zeros(Kv, dv), mpmath.zeros(dv, Nv)
    V = orthonormal(rng, dv, r)  # row space of W = column space of H = span V
    return gaussian(rng, Kv, r) * V.T, V * gaussian(rng, r, Nv)


def _kernel_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for _ in range(count):
        Kv, dv, Nv = rand_int(rng, 1, 5), rand_int(rng, 1, 5), rand_int(rng, 1, 8)
        r = rand_int(rng, 0, min(Kv, dv, Nv))
        W, H = _common_kernel(rng, Kv, dv, Nv, r)
        yield Instance({"W": W, "H": H}, scale=max(1, fro(W), fro(H)),
                       kind=f"K={Kv}, d={dv}, N={Nv}, rank {r}")


RANK_EQUAL_KERNELS = Fact(
    name="rank-equal-kernels",
    title="If ker W = ker H^T (W is K x d, H is d x N) then rank W = rank H",
    title_tex=r"If $\ker W=\ker H^\top$ ($W\in\mathbb R^{K\times d}$, "
              r"$H\in\mathbb R^{d\times N}$) then $\operatorname{rank}W=\operatorname{rank}H$",
    statement=sp.Implies(sp.Eq(NullSpaceProjector(_Wk), NullSpaceProjector(_Hk.T)),
                         sp.Eq(Rank(_Wk), Rank(_Hk))),
    reference=f"{HJ}, Section 0.2 (the rank-nullity theorem: rank W = d - dim ker W, "
              "rank H = rank H^T = d - dim ker H^T)",
    instances=_kernel_instances,
    tested="W = A V^T and H = V B with V (d x r) orthonormal and A, B Gaussian, so both "
           "kernels are V's orthogonal complement.",
)

# ------------------------------------------------- equal kernels -> rank of W H
def _product_kernel_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    """Common kernels of random dimension ``d - r`` (all sharp: the conclusion is an
    equality), then a third as many with ``range H`` missing a direction of
    ``range W^T`` (``H = V_{r-1} B``, or ``[V_{r-1}, w] B`` with ``w`` in ``ker W``), where
    ``rank(W H) = r - 1 < rank W``."""
    for k in range(count + count // 3):
        premise = k < count
        Kv, dv, Nv = rand_int(rng, 1, 5), rand_int(rng, 1, 5), rand_int(rng, 1, 8)
        if premise:
            r = rand_int(rng, 0, min(Kv, dv, Nv))
            W, H = _common_kernel(rng, Kv, dv, Nv, r)
            kind = f"K={Kv}, d={dv}, N={Nv}, common kernel of dimension {dv - r}"
        else:
            Kv, dv, Nv = max(Kv, 2), max(dv, 2), max(Nv, 2)
            r = rand_int(rng, 1, min(Kv, dv, Nv))
            Vf = orthonormal(rng, dv, dv)
            V = mpmath.matrix([[Vf[i, j] for j in range(r)] for i in range(dv)])
            W = gaussian(rng, Kv, r) * V.T
            cols = list(range(r - 1)) + ([r] if r < dv and k % 2 else [])
            Vh = mpmath.matrix([[Vf[i, j] for j in cols] for i in range(dv)]) if cols else None
            H = Vh * gaussian(rng, len(cols), Nv) if cols else mpmath.zeros(dv, Nv)
            kind = f"K={Kv}, d={dv}, N={Nv}, range H misses a direction of range W^T"
        yield Instance({"W": W, "H": H}, sharp=premise, premise=premise,
                       scale=max(1, fro(W), fro(H)), kind=kind)


RANK_PRODUCT_EQUAL_KERNELS = Fact(
    name="rank-product-equal-kernels",
    title="If ker W = ker H^T (W is K x d, H is d x N) then rank(W H) = rank W",
    title_tex=r"If $\ker W=\ker H^\top$ ($W\in\mathbb R^{K\times d}$, "
              r"$H\in\mathbb R^{d\times N}$) then $\operatorname{rank}(WH)=\operatorname{rank}W$",
    statement=sp.Implies(sp.Eq(NullSpaceProjector(_Wk), NullSpaceProjector(_Hk.T)),
                         sp.Eq(Rank(_Wk * _Hk), Rank(_Wk))),
    reference=f"{HJ}, Section 0.2 (range H = (ker H^T)^perp = (ker W)^perp = range W^T, and W "
              "is injective on range W^T, so rank(W H) = dim W(range H) = dim range W^T = "
              "rank W); equivalently, by the rank of a product rank(W H) = rank H - "
              "dim(ker W cap range H) (C. D. Meyer, Matrix Analysis and Applied Linear "
              "Algebra, SIAM 2000, eq. (4.5.1)) with ker W cap range H = 0 and rank H = rank W "
              "(rank-equal-kernels)",
    instances=_product_kernel_instances,
    tested="W = A V^T and H = V B with V (d x r) orthonormal and A, B Gaussian, common "
           "kernels of random dimension d - r (all sharp); rejected: H = V_{r-1} B or "
           "[V_{r-1}, w] B with w in ker W, where rank(W H) = r - 1.",
)


# ----------------------------------------------------- null vector of rank < d
_Wn = sp.MatrixSymbol("W", K, d)
_a_d = sp.MatrixSymbol("a", d, 1)


def _null_vector_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for _ in range(count):
        Kv, dv = rand_int(rng, 1, 5), rand_int(rng, 1, 5)
        r = rand_int(rng, 0, min(Kv, dv - 1))
        W = low_rank(rng, Kv, dv, r)
        _, _, Vt = mpmath.svd_r(W, full_matrices=True, compute_uv=True)
        a = mpmath.matrix([Vt[dv - 1, j] for j in range(dv)])  # the witness
        yield Instance({"W": W, "a": a}, scale=max(1, fro(W)), kind=f"{Kv}x{dv} rank {r}")


NULL_VECTOR_OF_RANK_DEFICIENT = Fact(
    name="null-vector-of-rank-deficient",
    title="A K x d matrix of rank r < d has a unit vector a with W a = 0",
    title_tex=r"A $K\times d$ matrix of rank $r<d$ has a unit vector $a$ with $Wa=0$",
    statement=sp.Implies(Rank(_Wn) < d,
                         Exists(_a_d, sp.And(sp.Eq(_Wn * _a_d, sp.ZeroMatrix(K, 1)),
                                             sp.Eq(sp.Trace(_a_d.T * _a_d), 1)))),
    reference=f"{HJ}, Section 0.2 (rank-nullity: dim ker W = d - rank W >= 1); the witness is "
              "the right singular vector of the smallest singular value (Section 2.6, the "
              "singular value decomposition)",
    instances=_null_vector_instances,
    tested="W a product of Gaussians of planted rank r < d; the witness a is the last "
           "right singular vector from mpmath's SVD.",
)

RANK_FACTS: tuple[Fact, ...] = (RANK_LEFT_NULL_VECTOR, RANK_PRODUCT, KERNEL_OF_GRAM,
                                RANK_EQUAL_KERNELS, NULL_VECTOR_OF_RANK_DEFICIENT,
                                RANK_PRODUCT_EQUAL_KERNELS)
