r"""The second-order necessary condition: at a point where a twice continuously
differentiable function attains its global minimum value ``f^star``, its Hessian is
positive semidefinite.

The statement is written with the theorems' own symbols (``f``, ``f^{\star}`` and the
``P x P`` matrix ``\nabla^2 f``), read at one point: ``f`` is the value there,
``f^{\star}`` the global minimum value, ``\nabla^2 f`` the Hessian there.  The test's
functions are wells with a known global minimizer ``x_0`` (:class:`Well`):

    phi(x) = f_0 + 1/2 y^T A y + c ||y||^4 + b (1 - cos(u^T y)),    y = x - x_0,

with ``A`` positive semidefinite and ``b, c >= 0``: every term is ``>= 0`` and vanishes
at ``y = 0``, so ``f^star = f_0``.  The cosine term makes ``phi`` nonconvex (its
Hessian has the negative part ``-b u u^T`` where ``u^T y = pi``), so the points where
``f > f^star`` include points of negative curvature, where the conclusion fails.

>>> SECOND_ORDER_NECESSARY.statement
Implies(Eq(f, f^{\star}), LambdaMin(\nabla^2 f) >= 0)
>>> SECOND_ORDER_NECESSARY.test(dps=30, seed=0).passed
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.symbolic.functions import LambdaMin

from .base import Fact, Instance
from .sampling import diag, fro, gaussian, orthonormal, rand_int

__all__ = ["FSTAR", "F_VALUE", "HESS_F", "OPTIMALITY_FACTS", "P_SIZE", "SECOND_ORDER_NECESSARY",
           "Well"]

#: the symbols of the theorems' statements (the same names and assumptions as theirs)
F_VALUE = sp.Symbol("f")
FSTAR = sp.Symbol(r"f^{\star}")
P_SIZE = sp.Symbol("P", positive=True, integer=True)
HESS_F = sp.MatrixSymbol(r"\nabla^2 f", P_SIZE, P_SIZE)


@dataclass(frozen=True)
class Well:
    """``phi(x) = f_0 + 1/2 y^T A y + c ||y||^4 + b (1 - cos(u^T y))``, ``y = x - x_0``
    (module docstring), with its gradient and Hessian (cross-checked against mpmath's
    numerical derivatives in the tests).  Its global minimum value is ``f_0`` when ``A``
    is positive semidefinite and ``b, c >= 0``.

    >>> import mpmath
    >>> w = Well(mpmath.matrix([0, 0]), mpmath.zeros(2, 2), mpmath.mpf(1), mpmath.mpf(0),
    ...          mpmath.matrix([1, 0]), mpmath.mpf(3))
    >>> w.value(mpmath.matrix([1, 1])), w.hessian(mpmath.matrix([0, 0])) == mpmath.zeros(2, 2)
    (mpf('7.0'), True)
    """

    x0: mpmath.matrix
    A: mpmath.matrix
    c: Any
    b: Any
    u: mpmath.matrix
    f0: Any

    def _y(self, x: mpmath.matrix) -> tuple[mpmath.matrix, Any, Any]:
        y = x - self.x0
        return y, (y.T * y)[0, 0], (self.u.T * y)[0, 0]

    def value(self, x: mpmath.matrix) -> Any:
        y, yy, uy = self._y(x)
        return (self.f0 + (y.T * self.A * y)[0, 0] / 2 + self.c * yy ** 2
                + self.b * (1 - mpmath.cos(uy)))

    def gradient(self, x: mpmath.matrix) -> mpmath.matrix:
        y, yy, uy = self._y(x)
        return self.A * y + y * (4 * self.c * yy) + self.u * (self.b * mpmath.sin(uy))

    def hessian(self, x: mpmath.matrix) -> mpmath.matrix:
        y, yy, uy = self._y(x)
        n = y.rows
        return (self.A + mpmath.eye(n) * (4 * self.c * yy) + y * y.T * (8 * self.c)
                + self.u * self.u.T * (self.b * mpmath.cos(uy)))


def _psd(rng: np.random.Generator, n: int, zeros: int) -> tuple[mpmath.matrix, mpmath.matrix]:
    """``(A, Q)``: ``A = Q diag(a) Q^T`` with the last ``zeros`` of ``a`` zero."""
    Q = orthonormal(rng, n, n)
    a = [mpmath.mpf(float(x)) for x in rng.uniform(0.2, 3, n - zeros)] + [0] * zeros
    return Q * diag(a) * Q.T, Q


def _wells(rng: np.random.Generator, count: int) -> Iterator[Instance]:
    """At the planted minimizer ``x_0`` (``A`` positive definite; ``A`` singular with
    ``u`` orthogonal to ``ker A``: sharp; the pure quartic ``A = 0, b = 0``: sharp, the
    Hessian is ``0``), at another global minimizer ``x_0 + z``, ``z`` in ``ker A``
    (``c = 0``: sharp); then a third as many at points with ``f > f^star``: random ones,
    and points ``u^T y = pi`` of negative curvature."""
    for k in range(count + count // 3):
        premise = k < count
        case = k % 4 if premise else k % 2
        n = rand_int(rng, 1, 4)
        zeros = 0 if (premise and case == 0) else rand_int(rng, 1, n)
        A, Q = _psd(rng, n, zeros)
        u = Q * mpmath.matrix([float(x) for x in rng.standard_normal(n)]
                              [: n - zeros] + [0] * zeros)  # u orthogonal to ker A
        c = mpmath.mpf(float(rng.uniform(0.1, 2)))
        b = mpmath.mpf(float(rng.uniform(0, 2)))
        x0 = gaussian(rng, n, 1)
        y = mpmath.zeros(n, 1)
        if premise and case == 2:  # another global minimizer: c = 0, y in ker A
            c = mpmath.mpf(0)
            y = Q * mpmath.matrix([0] * (n - zeros) + [float(x) for x in
                                                       rng.standard_normal(zeros)])
        elif premise and case == 3:  # the pure quartic: the Hessian is 0
            A, b = mpmath.zeros(n, n), mpmath.mpf(0)
        elif not premise:
            u = gaussian(rng, n, 1)
            if case == 0:
                y = gaussian(rng, n, 1) * mpmath.mpf(float(rng.uniform(0.5, 2)))
            else:  # u^T y = pi and b large enough for u^T (hess) u < 0
                uu = (u.T * u)[0, 0]
                y = u * (mpmath.pi / uu)
                b = 2 * ((u.T * A * u)[0, 0] / uu + 12 * c * mpmath.pi ** 2 / uu + 1) / uu
        well = Well(x0, A, c, b, u, mpmath.mpf(float(rng.normal())))
        x = x0 + y
        H = well.hessian(x)
        env = {"f": well.value(x), r"f^{\star}": well.f0, r"\nabla^2 f": H}
        kind = f"P = {n}, " + (["A > 0 at x_0", "A singular at x_0", "x_0 + z, z in ker A",
                                "the pure quartic at x_0"][case] if premise else
                               ["a random point", "a point of negative curvature"][case])
        yield Instance(env, sharp=premise and case != 0, premise=premise, kind=kind,
                       scale=max(1, abs(well.f0), fro(H)))


SECOND_ORDER_NECESSARY = Fact(
    name="second-order-necessary",
    title="Second-order necessary condition: where a C^2 function attains its global minimum "
          "value f^star (f = f^star), its Hessian is positive semidefinite",
    title_tex=r"Second-order necessary condition: where a $C^2$ function attains its global "
              r"minimum value ($f=f^\star$), $\lambda_{\min}(\nabla^2 f)\ge0$",
    statement=sp.Implies(sp.Eq(F_VALUE, FSTAR), LambdaMin(HESS_F) >= 0),
    reference="J. Nocedal and S. J. Wright, Numerical Optimization, 2nd ed., Springer 2006, "
              "Thm 2.3 (second-order necessary conditions: at a local minimizer x* with "
              "nabla^2 f continuous near x*, nabla f(x*) = 0 and nabla^2 f(x*) is positive "
              "semidefinite); a point where f = f^star, the global minimum value, is a local "
              "minimizer",
    instances=_wells,
    tested="wells phi(x) = f_0 + y^T A y/2 + c |y|^4 + b (1 - cos u^T y), y = x - x_0 "
           "(A PSD, b, c >= 0, so f^star = f_0) at x_0 with A positive definite, or A "
           "singular and u orthogonal to ker A (sharp), the pure quartic (sharp), and another "
           "minimizer x_0 + z, z in ker A, c = 0 (sharp); rejected: random points, and "
           "points u^T y = pi with b large, where the Hessian has a negative eigenvalue.",
)

OPTIMALITY_FACTS: tuple[Fact, ...] = (SECOND_ORDER_NECESSARY,)
