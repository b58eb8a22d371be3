"""Shared pieces of the proofs of Theorems 1.1 and 1.2: the symbolic direction
(3.10)/(4.36) with its hypotheses, and its high-precision construction at a point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from ufm_sym.symbolic.hypotheses import Hypothesis
from ufm_sym_proofs._common import derivation, worst_part

# ---------------------------------------------------------------- symbolic

_D = derivation()
K, d, N = _D.K, _D.d, _D.N
W, H, b, G = _D.W, _D.H, _D.b, _D.G
lambda_W, lambda_H, lambda_b = _D.lambda_W, _D.lambda_H, _D.lambda_b
a = sp.MatrixSymbol("a", d, 1)
u = sp.MatrixSymbol("u", K, 1)
v = sp.MatrixSymbol("v", N, 1)
ones_K = sp.MatrixSymbol("ones_K", K, 1)
sigma = sp.Symbol("sigma", positive=True)
alpha, beta = sp.symbols("alpha beta", real=True)
a_norm2 = sp.Symbol("s_a", positive=True)  # ||a||^2 in (4.17)-(4.25)

#: the paper's scaling of the negative-curvature direction (3.10) / (4.36)
ALPHA_PAPER = (lambda_H / lambda_W) ** sp.Rational(1, 4)
BETA_PAPER = -((lambda_W / lambda_H) ** sp.Rational(1, 4))


#: the threshold of the split C1 / C2 and the singular value (4.28): sqrt(lW lH)
THRESHOLD = sp.sqrt(lambda_W * lambda_H)
#: the curvature the paper predicts along (3.10) / (4.36): the right side of the final
#: steps of Sections 3 and 4, their symbolic and high-precision checks all use this object
PREDICTED_CURVATURE = -2 * sigma + 2 * THRESHOLD
_predicted = sp.lambdify((sigma, lambda_W, lambda_H), PREDICTED_CURVATURE, "mpmath")


def paper_prediction(sigma_: Any, lw: Any, lh: Any) -> Any:
    """:data:`PREDICTED_CURVATURE` at numbers (mpmath, current precision).

    >>> float(paper_prediction(mpmath.mpf(3), mpmath.mpf(1), mpmath.mpf(4)))
    -2.0
    """
    return _predicted(sigma_, lw, lh)


def negative_past_threshold(expr: Any) -> bool | None:
    """Is ``expr`` negative at sigma = sqrt(lW lH) + epsilon for every epsilon > 0 (SymPy's
    assumptions on positive symbols; None when it cannot tell)?"""
    eps = sp.Symbol("epsilon", positive=True)
    return sp.simplify(sp.sympify(expr).subs(sigma, THRESHOLD + eps)).is_negative


def direction(alpha_: Any = ALPHA_PAPER, beta_: Any = BETA_PAPER) -> dict[str, Any]:
    """The direction (alpha u a^T, beta a v^T, 0) of (3.10)/(4.17)/(4.36)."""
    return {"D_W": alpha_ * u * a.T, "D_H": beta_ * a * v.T, "D_b": sp.ZeroMatrix(K, 1)}


def null_hypotheses(unit_a: bool = True) -> list[Hypothesis]:
    """W a = 0, H^T a = 0, |a| = 1 (or |a|^2 = s_a), |u| = |v| = 1, u^T G v = sigma."""
    return [
        Hypothesis(W * a, sp.ZeroMatrix(K, 1)),
        Hypothesis(H.T * a, sp.ZeroMatrix(N, 1)),
        Hypothesis(a.T * a, sp.Integer(1) if unit_a else a_norm2),
        Hypothesis(u.T * u, sp.Integer(1)),
        Hypothesis(v.T * v, sp.Integer(1)),
        Hypothesis(u.T * G * v, sigma),
    ]


def along(expr: Any, dirn: dict[str, Any]) -> Any:
    """Substitute a direction into an expression in D_W, D_H, D_b, and let SymPy carry
    out the trivial products (zero blocks drop out, scalars come to the front)."""
    return expr.subs({_D.D_W: dirn["D_W"], _D.D_H: dirn["D_H"], _D.D_b: dirn["D_b"]}).doit()


# ---------------------------------------------------------- high precision


@dataclass
class MPDirection:
    """The escape direction at a point, with the pieces it was built from."""

    a: Any
    u: Any
    v: Any
    sigma: Any
    D: tuple[Any, Any, Any]
    null_residual: Any  # max(||W a||, ||H^T a||)


def mp_direction(problem: Any, point: Any, u_vec: Any, v_vec: Any, sigma_: Any,
                 a_vec: Any) -> MPDirection:
    """Assemble (3.10)/(4.36) from u, v, sigma and a unit a (current precision)."""
    Wm, Hm, _ = point
    lw, lh, _ = problem.mp_lambdas()
    al = (lh / lw) ** mpmath.mpf(0.25)
    be = -((lw / lh) ** mpmath.mpf(0.25))
    DW = al * (u_vec * a_vec.T)
    DH = be * (a_vec * v_vec.T)
    Db = mpmath.zeros(problem.K, 1)
    return MPDirection(a_vec, u_vec, v_vec, sigma_, (DW, DH, Db),
                       worst_part(null_parts(point, a_vec)))


def null_parts(point: Any, a_vec: Any) -> dict[str, Any]:
    """W a = 0 and H^T a = 0, the two hypotheses on a, as named residuals."""
    Wm, Hm, _ = point
    return {"W a": mpmath.norm(Wm * a_vec), "H^T a": mpmath.norm(Hm.T * a_vec)}


def top_singular_pair(Gm: Any, index: int = 0) -> tuple[Any, Any, Any]:
    """(u, v, sigma) of the ``index``-th largest singular value of ``Gm``."""
    U, S, V = mpmath.svd_r(Gm)
    return U[:, index], V[index, :].T, S[index]


def unit_null_vector(Wm: Any) -> Any:
    """A unit a minimising ||W a||: the right singular vector of the smallest singular
    value of W (the last row of V^T of the full SVD, so also when W is wide)."""
    _, _, V = mpmath.svd_r(Wm, full_matrices=True)
    return V[Wm.cols - 1, :].T
