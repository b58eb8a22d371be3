"""``ufm_sym.certify.balls``: the objective's derivatives in ball arithmetic against
what SymPy derived from the objective (``lambdify_gradients``, ``lambdify_hessian_form``
evaluated in mpmath), and the enclosure of the point's entries.

Two directions: balls at a *low* precision (100 bits, about 30 digits) must contain
the mpmath values at 80 digits (the balls are enclosures); balls at a *high* precision
(400 bits) must have midpoints that agree with them to about 75 digits (the balls
compute the same functions).  A dropped term or a wrong constant fails both.
"""

from __future__ import annotations

import flint
import mpmath
import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.certify.balls import (
    ball_point,
    flat_gradient,
    hessian,
    objective,
    to_arb,
)
from ufm_sym.highprec.evaluate import (
    grad_g,
    hess_g_form,
    residual_R,
    to_mp_point,
    unflatten,
)
from ufm_sym.highprec.evaluate import (
    objective as mp_objective,
)
from ufm_sym.highprec.families import critical_points
from ufm_sym.model import UFMInputError
from ufm_sym.symbolic.evaluate import lambdify_gradients, lambdify_hessian_form

DPS = 80
PROBLEMS = [
    Problem(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b=0),
    Problem(loss="ce", K=2, n=1, lambda_W="0.3", lambda_H="0.2", lambda_b="0.1"),
    Problem(loss="mse", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5"),
    Problem(loss="mse", K=2, n=2, lambda_W="0.2", lambda_H="0.3", lambda_b=0),
]


def random_point(p: Problem, seed: int) -> tuple:
    """A point with short decimal entries (exact as written, not critical)."""
    rng = np.random.default_rng(seed)

    def dec(x: float) -> str:
        return f"{x:.6f}"

    W = [[dec(v) for v in row] for row in rng.normal(size=(p.K, p.d))]
    H = [[dec(v) for v in row] for row in rng.normal(size=(p.d, p.N))]
    b = [dec(v) for v in rng.normal(size=p.K)]
    return W, H, b


def points(p: Problem) -> list:
    out = [random_point(p, 0), random_point(p, 1)]
    out += [rec.point for rec in critical_points(p, dps=60)[:2]]
    return out


def derived(p: Problem, point: tuple) -> tuple[list, object]:
    """The derived gradient (flattened) and a Hessian-form evaluator, at DPS digits."""
    with mpmath.workdps(DPS):
        x = to_mp_point(p, *point, dps=DPS)
        R = residual_R(p, x)
        G = grad_g(p, R)
        lw, lh, lb = p.mp_lambdas()
        grads = lambdify_gradients(backend="mpmath")(x[0], x[1], x[2], G, lw, lh, lb)
        flat = [grads[k][i, j] for k in ("W", "H", "b")
                for i in range(grads[k].rows) for j in range(grads[k].cols)]
        form = lambdify_hessian_form(backend="mpmath")

        def quad(D: tuple) -> object:
            return form(x[0], x[1], x[2], G, D[0], D[1], D[2], lw, lh, lb,
                        hess_g=lambda A, B: hess_g_form(p, R, A, B))

        def q(u: list, w: list) -> object:
            """hess f[u, w] by polarization of the derived quadratic form."""
            plus = unflatten(p, [a + c for a, c in zip(u, w, strict=True)])
            minus = unflatten(p, [a - c for a, c in zip(u, w, strict=True)])
            return (quad(plus) - quad(minus)) / 4
        return flat, q


@pytest.mark.parametrize("p", PROBLEMS, ids=lambda p: f"{p.loss}-K{p.K}n{p.n}")
def test_gradient_and_objective_enclose_the_derived_values(p: Problem) -> None:
    for point in points(p):
        flat, _ = derived(p, point)
        lo = flat_gradient(ball_point(p, point, prec=100))
        hi = flat_gradient(ball_point(p, point, prec=400))
        with mpmath.workdps(DPS):
            for i, v in enumerate(flat):
                assert lo[i, 0].contains(flint.arb(v)), (i, lo[i, 0], v)
                assert abs(mpmath.mpf(hi[i, 0].mid()) - v) < mpmath.mpf(10) ** -75
            f = mp_objective(p, to_mp_point(p, *point, dps=DPS))
            assert objective(ball_point(p, point, prec=100)).contains(flint.arb(f))


@pytest.mark.parametrize("p", PROBLEMS, ids=lambda p: f"{p.loss}-K{p.K}n{p.n}")
def test_hessian_encloses_the_derived_form(p: Problem) -> None:
    rng = np.random.default_rng(3)
    P = p.K * p.d + p.d * p.N + p.K
    for point in points(p)[1:3]:
        _, q = derived(p, point)
        A_lo = hessian(ball_point(p, point, prec=100))
        A_hi = hessian(ball_point(p, point, prec=400))
        for _ in range(3):
            u = [int(v) for v in rng.integers(-3, 4, size=P)]
            w = [int(v) for v in rng.integers(-3, 4, size=P)]
            with mpmath.workdps(DPS):
                val = q(u, w)
            for A, check in ((A_lo, "contains"), (A_hi, "agrees")):
                with flint.ctx.workprec(A[0, 0].rel_accuracy_bits() + 64):
                    U = flint.arb_mat(P, 1, u)
                    Wv = flint.arb_mat(P, 1, w)
                    s = (U.transpose() * A * Wv)[0, 0]
                with mpmath.workdps(DPS):
                    if check == "contains":
                        assert s.contains(flint.arb(val)), (s, val)
                    else:
                        assert abs(mpmath.mpf(s.mid()) - val) < mpmath.mpf(10) ** -70


def test_hessian_every_entry_small_case() -> None:
    """K = d = 2, n = 1: every entry e_i^T A e_j against the derived form."""
    p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    point = random_point(p, 5)
    _, q = derived(p, point)
    A = hessian(ball_point(p, point, prec=120))
    P = A.nrows()
    for i in range(P):
        for j in range(i, P):
            e_i, e_j = [0] * P, [0] * P
            e_i[i] = e_j[j] = 1
            with mpmath.workdps(DPS):
                val = q(e_i, e_j)
            assert A[i, j].contains(flint.arb(val)) and A[j, i].contains(flint.arb(val))


def test_wrong_formula_is_not_enclosed() -> None:
    """A perturbed derived value (one lambda changed, beyond the ball's radius) falls
    outside the balls: the comparison can fail."""
    p = PROBLEMS[0]
    point = random_point(p, 0)
    flat, _ = derived(p, point)
    wrong = Problem(loss="ce", K=3, n=2, lambda_W="5.001e-3", lambda_H="1e-2", lambda_b=0)
    g_wrong = flat_gradient(ball_point(wrong, point, prec=100))
    with mpmath.workdps(DPS):
        assert not all(g_wrong[i, 0].contains(flint.arb(v)) for i, v in enumerate(flat))
    A = hessian(ball_point(p, point, prec=100))
    v = A[0, 0]
    with flint.ctx.workprec(100):
        shifted = v.mid() + 10 * v.rad()
    assert v.contains(v.mid()) and not v.contains(shifted)


def test_point_entries_are_enclosed_as_written() -> None:
    p = Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1)
    x = ball_point(p, ([["0.1", "1/3"], [0, "2.5e-7"]], [[1, 0], [0, 1]], ["0.5", 0]),
                   prec=80)
    assert (x.W[0, 0] * 10).contains(1) and x.W[0, 0].rad() > 0
    assert (x.W[0, 1] * 3).contains(1)
    assert x.b[0, 0].rad() == 0 and x.H[0, 0].rad() == 0     # dyadic: exact
    with mpmath.workdps(30):
        assert to_arb(mpmath.mpf(1) / 3, "x").rad() == 0      # binary: exact
    wide = ball_point(p, ([[0, 0], [0, 0]], [[1, 0], [0, 1]], [0, 0]), prec=80,
                      radius="1e-3")
    assert wide.W[0, 0].contains(flint.arb("0.0009")) and not wide.W[0, 0].contains(
        flint.arb("0.0011"))


@pytest.mark.parametrize("radius, message", [
    ("-1", "point_radius: -1 must be >= 0"),
    ("abc", "point_radius: 'abc' is not a number"),
    (float("nan"), "point_radius: nan is not a finite number"),
])
def test_bad_radius(radius: object, message: str) -> None:
    p = Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1)
    with pytest.raises(UFMInputError, match=message.replace("(", r"\(")):
        ball_point(p, ([[0, 0], [0, 0]], [[0, 0], [0, 0]], [0, 0]), 64, radius=radius)


def test_bad_entries() -> None:
    p = Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1)
    with pytest.raises(UFMInputError, match=r"W\[0, 1\]: '0.1x' is not a number"):
        ball_point(p, ([[0, "0.1x"], [0, 0]], [[0, 0], [0, 0]], [0, 0]), 64)
    with pytest.raises(UFMInputError, match="W: shape"):
        ball_point(p, ([[0, 0]], [[0, 0], [0, 0]], [0, 0]), 64)
