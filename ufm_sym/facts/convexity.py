r"""Convexity and the Rayleigh quotient: the first-order condition of a convex
differentiable function, "a stationary point of a convex differentiable function is a
global minimizer", and ``lambda_min(A) <= v^T A v / v^T v``.

The convex functions of the tests are of the UFM's kind: a data term ``g`` (the CE
loss ``(1/N) sum_j (logsumexp(x_j) - x_{y_j j})`` or the MSE loss
``||X - Y||_F^2 / (2N)``) plus a quadratic penalty and a linear term,

    varphi(X) = g(X) + mu/2 ||X||_F^2 + <C, X>,      mu >= 0,

whose stationary point is planted: ``C = -(grad g(X_0) + mu X_0)`` for a random ``X_0``.

>>> from ufm_sym.symbolic.latex import paper_latex
>>> RAYLEIGH_QUOTIENT_BOUND.statement.args[1]
LambdaMin(A) <= Trace(v.T*A*v)/Trace(v.T*v)
>>> print(paper_latex(RAYLEIGH_QUOTIENT_BOUND.statement.args[1].rhs))
\frac{\left\langle \mathbf{v}, \mathbf{A} \mathbf{v}\right\rangle}{\left\|\mathbf{v}\right\|_2^{2}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.symbolic.functions import LambdaMin

from .base import Fact, Instance
from .logic import ConvexFunction
from .nodes import FunctionGradient, FunctionValue, IsConvex
from .sampling import fro, gaussian, rand_int

__all__ = ["CONVEXITY_FACTS", "CONVEX_FIRST_ORDER", "CONVEX_STATIONARY_GLOBAL_MIN",
           "RAYLEIGH_QUOTIENT_BOUND", "ufm_kind_function"]

BV = "Boyd and Vandenberghe, Convex Optimization, Cambridge 2004"
m, p = sp.symbols("m p", integer=True, positive=True)
_X0 = sp.MatrixSymbol("X_0", m, p)
_X = sp.MatrixSymbol("X", m, p)
_phi = "varphi"


def _data_term(loss: str, labels: list[int]) -> tuple[Any, Any]:
    """``(g, grad g)`` of the CE or MSE data term on ``K x N`` mpmath matrices."""
    N = len(labels)

    if loss == "mse":
        def Y(K: int) -> mpmath.matrix:
            return mpmath.matrix([[1 if labels[j] == k else 0 for j in range(N)]
                                  for k in range(K)])

        def g(X: mpmath.matrix) -> Any:
            return fro(X - Y(X.rows)) ** 2 / (2 * N)

        def grad(X: mpmath.matrix) -> mpmath.matrix:
            return (X - Y(X.rows)) / N
        return g, grad

    def g(X: mpmath.matrix) -> Any:
        total = mpmath.mpf(0)
        for j in range(N):
            col = [X[k, j] for k in range(X.rows)]
            top = max(col)
            total += top + mpmath.log(mpmath.fsum(mpmath.exp(x - top) for x in col)) \
                - X[labels[j], j]
        return total / N

    def grad(X: mpmath.matrix) -> mpmath.matrix:
        G = mpmath.matrix(X.rows, N)
        for j in range(N):
            col = [X[k, j] for k in range(X.rows)]
            top = max(col)
            e = [mpmath.exp(x - top) for x in col]
            s = mpmath.fsum(e)
            for k in range(X.rows):
                G[k, j] = (e[k] / s - (1 if labels[j] == k else 0)) / N
        return G
    return g, grad


def ufm_kind_function(loss: str, labels: list[int], mu: Any, C: mpmath.matrix
                      ) -> ConvexFunction:
    """``varphi(X) = g(X) + mu/2 ||X||_F^2 + <C, X>`` (module docstring) as a
    :class:`~ufm_sym.facts.logic.ConvexFunction`.

    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     phi = ufm_kind_function("mse", [0, 1], 0, mpmath.zeros(2, 2))
    ...     phi.value(mpmath.eye(2)), phi.gradient(mpmath.eye(2))
    (mpf('0.0'), matrix(
    [['0.0', '0.0'],
     ['0.0', '0.0']]))
    """
    g, grad = _data_term(loss, labels)
    mu = mpmath.mpf(mu)

    def value(X: mpmath.matrix) -> Any:
        inner = mpmath.fsum(C[i, j] * X[i, j] for i in range(X.rows) for j in range(X.cols))
        return g(X) + mu / 2 * fro(X) ** 2 + inner

    def gradient(X: mpmath.matrix) -> mpmath.matrix:
        return grad(X) + X * mu + C

    return ConvexFunction(value, gradient, convex=bool(mu >= 0))


def _function_instances(rng: np.random.Generator, count: int, planted: bool
                        ) -> Iterator[Instance]:
    for k in range(count):
        loss = "ce" if k % 2 == 0 else "mse"
        Kv, Nv = rand_int(rng, 2, 4), rand_int(rng, 1, 6)
        labels = [int(x) for x in rng.integers(0, Kv, Nv)]
        mu = mpmath.mpf(0) if k % 4 == 0 else mpmath.mpf(float(rng.uniform(0, 1)))
        X0 = gaussian(rng, Kv, Nv)
        g, grad = _data_term(loss, labels)
        C = -(grad(X0) + X0 * mu) if planted else gaussian(rng, Kv, Nv)
        phi = ufm_kind_function(loss, labels, mu, C)
        sharp = loss == "ce" and mu == 0  # g is constant along X_0 + 1_K c^T
        if sharp:
            X = X0 + mpmath.ones(Kv, 1) * gaussian(rng, 1, Nv)
        elif k % 4 == 1:  # a small step against the gradient
            X = X0 - phi.gradient(X0) * mpmath.mpf(float(rng.uniform(1e-3, 1e-1)))
        else:
            X = X0 + gaussian(rng, Kv, Nv) * mpmath.mpf(float(rng.uniform(0.01, 2)))
        yield Instance({"X_0": X0, "X": X, _phi: phi}, sharp=sharp,
                       scale=max(1, fro(X0) ** 2, fro(X) ** 2, fro(C) * fro(X)),
                       kind=f"{loss}, {Kv}x{Nv}, mu = {mpmath.nstr(mu, 3)}")


CONVEX_FIRST_ORDER = Fact(
    name="convex-first-order",
    title="A convex differentiable function lies above its tangent planes: "
          "phi(X) >= phi(X_0) + <grad phi(X_0), X - X_0>",
    title_tex=r"A convex differentiable $\varphi$ lies above its tangents: $\varphi(X)\ge"
              r"\varphi(X_0)+\langle\nabla\varphi(X_0),X-X_0\rangle$",
    statement=sp.Implies(IsConvex(_phi),
                         FunctionValue(_phi, _X) >= FunctionValue(_phi, _X0)
                         + sp.Trace(FunctionGradient(_phi, _X0).T * (_X - _X0))),
    reference=f"{BV}, Section 3.1.3 (first-order conditions), eq. (3.2)",
    instances=lambda rng, count: _function_instances(rng, count, planted=False),
    tested="random functions of the UFM's kind (CE or MSE data term + mu/2 ||X||^2 + <C, X>) "
           "at Gaussian X_0 and X (also X a small step against the gradient); sharp for CE "
           "with mu = 0 along X = X_0 + 1_K c^T, where g is constant.",
)

CONVEX_STATIONARY_GLOBAL_MIN = Fact(
    name="convex-stationary-global-min",
    title="A stationary point of a convex differentiable function is a global minimizer",
    title_tex=r"A stationary point of a convex differentiable function is a global minimizer",
    statement=sp.Implies(sp.And(IsConvex(_phi),
                                sp.Eq(FunctionGradient(_phi, _X0), sp.ZeroMatrix(m, p))),
                         FunctionValue(_phi, _X) >= FunctionValue(_phi, _X0)),
    reference=f"{BV}, Section 4.2.3 (optimality criterion for differentiable convex "
              "problems, unconstrained case: grad f(x) = 0)",
    instances=lambda rng, count: _function_instances(rng, count, planted=True),
    tested="random functions of the UFM's kind whose stationary point X_0 is planted "
           "(C = -(grad g(X_0) + mu X_0)), at Gaussian X and small steps off X_0; sharp for "
           "CE with mu = 0 along X_0 + 1_K c^T.",
)

# ------------------------------------------------------------- Rayleigh quotient
n_ = sp.Symbol("n", integer=True, positive=True)
_A = sp.MatrixSymbol("A", n_, n_)
_v = sp.MatrixSymbol("v", n_, 1)


def _rayleigh_instances(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    for k in range(count):
        nv = rand_int(rng, 1, 6)
        G = gaussian(rng, nv, nv)
        A = (G + G.T) / 2
        sharp = k % 2 == 0
        if sharp:
            E, Q = mpmath.eigsy(A)
            j = min(range(nv), key=lambda i: E[i])
            v = mpmath.matrix([Q[i, j] for i in range(nv)]) * mpmath.mpf(
                float(rng.uniform(0.5, 2)))
        else:
            v = gaussian(rng, nv, 1)
        yield Instance({"A": A, "v": v}, sharp=sharp, scale=max(1, fro(A)),
                       kind=f"{nv}x{nv}" + (", v the eigenvector of lambda_min" if sharp else ""))


RAYLEIGH_QUOTIENT_BOUND = Fact(
    name="rayleigh-quotient-bound",
    title="The Rayleigh quotient bound lambda_min(A) <= v^T A v / v^T v for symmetric A",
    title_tex=r"Rayleigh: $\lambda_{\min}(A)\le v^\top Av/v^\top v$ for symmetric $A$, $v\ne0$",
    statement=sp.Implies(sp.And(sp.Eq(_A, _A.T), sp.Trace(_v.T * _v) > 0),
                         LambdaMin(_A) <= sp.Trace(_v.T * _A * _v) / sp.Trace(_v.T * _v)),
    reference="Horn and Johnson, Matrix Analysis, 2nd ed., Thm 4.2.2 (Rayleigh)",
    instances=_rayleigh_instances,
    tested="random symmetric A (Gaussian, symmetrized) with Gaussian v, and (sharp) v a "
           "multiple of the eigenvector of the smallest eigenvalue.",
)

CONVEXITY_FACTS: tuple[Fact, ...] = (CONVEX_FIRST_ORDER, CONVEX_STATIONARY_GLOBAL_MIN,
                                     RAYLEIGH_QUOTIENT_BOUND)
