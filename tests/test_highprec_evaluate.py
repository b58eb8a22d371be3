"""ufm_sym.highprec.evaluate: gradient, Hessian form, HVP and Hessian matrix against
finite differences of the objective at 50 digits (residuals >= 30 digits down)."""

from __future__ import annotations

import random
import time

import mpmath
import numpy as np
import pytest

from ufm_sym import Problem, UFMInputError
from ufm_sym.highprec.evaluate import (
    flatten,
    grad_g,
    gradient,
    gradient_norm,
    hess_g_form,
    hessian_form,
    hessian_matrix,
    hessian_vector_product,
    num_params,
    objective,
    residual_R,
    to_mp_point,
    unflatten,
)
from ufm_sym.highprec.finite_diff import fd_directional, fd_gradient, fd_hessian_vector_product
from ufm_sym.highprec.float_start import objective_and_gradient

DPS = 50
TOL = mpmath.mpf(10) ** -30

PROBLEMS = [
    Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.02", lambda_b="0.03"),
    Problem(loss="ce", K=2, n=2, lambda_W="0.05", lambda_H="0.01", lambda_b=0),
    Problem(loss="mse", K=3, n=2, lambda_W="0.01", lambda_H="0.02", lambda_b="0.5"),
    Problem(loss="mse", K=3, n=1, lambda_W="0.2", lambda_H="0.1", lambda_b=0, d=4),
]


def _random_point(p: Problem, seed: int, scale: float = 1.0):
    rng = random.Random(seed)
    with mpmath.workdps(DPS):
        return unflatten(p, [mpmath.mpf(rng.gauss(0, scale)) for _ in range(num_params(p))])


def _close(a, b, tol=TOL) -> bool:
    return abs(a - b) <= tol * max(1, abs(b))


@pytest.mark.parametrize("p", PROBLEMS, ids=lambda p: p.describe())
def test_gradient_matches_finite_differences(p):
    x = _random_point(p, 1)
    g = flatten(gradient(p, x, dps=DPS))
    g_fd, err = fd_gradient(p, x, dps=DPS)
    with mpmath.workdps(DPS):
        worst = max(abs(a - b) for a, b in zip(g, flatten(g_fd), strict=True))
    assert worst < TOL, f"gradient vs finite differences: {mpmath.nstr(worst, 5)}"


@pytest.mark.parametrize("p", PROBLEMS, ids=lambda p: p.describe())
def test_hessian_form_matches_second_difference(p):
    x = _random_point(p, 2)
    D = _random_point(p, 3)
    exact = hessian_form(p, x, D, dps=DPS)
    fd, _ = fd_directional(p, x, D, order=2, dps=DPS)
    with mpmath.workdps(DPS):
        assert _close(fd, exact), f"(3.9)/(4.18) vs FD: {mpmath.nstr(fd - exact, 5)}"


@pytest.mark.parametrize("p", PROBLEMS, ids=lambda p: p.describe())
def test_directional_derivative_is_gradient_inner_product(p):
    x, D = _random_point(p, 4), _random_point(p, 5)
    with mpmath.workdps(DPS):
        exact = mpmath.fdot(flatten(gradient(p, x)), flatten(D))
    fd, _ = fd_directional(p, x, D, order=1, dps=DPS)
    with mpmath.workdps(DPS):
        assert _close(fd, exact)


@pytest.mark.parametrize("p", PROBLEMS, ids=lambda p: p.describe())
def test_hvp_matches_hessian_form_and_gradient_differences(p):
    x, D, E = _random_point(p, 6), _random_point(p, 7), _random_point(p, 8)
    with mpmath.workdps(DPS):
        hv = flatten(hessian_vector_product(p, x, D))
        # <HVP(D), E> = hess f[D, E], and the form is symmetric
        assert _close(mpmath.fdot(hv, flatten(E)), hessian_form(p, x, D, E), mpmath.mpf(10) ** -45)
        assert _close(hessian_form(p, x, D, E), hessian_form(p, x, E, D), mpmath.mpf(10) ** -45)
        assert _close(hessian_form(p, x, D), hessian_form(p, x, D, D), mpmath.mpf(10) ** -45)
    hv_fd, _ = fd_hessian_vector_product(p, x, D, dps=DPS)
    with mpmath.workdps(DPS):
        worst = max(abs(a - b) for a, b in zip(hv, flatten(hv_fd), strict=True))
    assert worst < TOL


@pytest.mark.parametrize("p", PROBLEMS, ids=lambda p: p.describe())
def test_hessian_matrix_symmetric_and_consistent(p):
    x, D, E = _random_point(p, 9), _random_point(p, 10), _random_point(p, 11)
    with mpmath.workdps(DPS):
        A = hessian_matrix(p, x)
        P = num_params(p)
        assert A.rows == A.cols == P
        assert all(A[i, j] == A[j, i] for i in range(P) for j in range(i))
        d, e = flatten(D), flatten(E)
        Ad = [mpmath.fdot([A[i, j] for j in range(P)], d) for i in range(P)]
        assert _close(mpmath.fdot(e, Ad), hessian_form(p, x, D, E), mpmath.mpf(10) ** -45)
        hv = flatten(hessian_vector_product(p, x, D))
        assert max(abs(a - b) for a, b in zip(Ad, hv, strict=True)) < mpmath.mpf(10) ** -45


def test_hessian_assembly_speed_K8_n4():
    """K = d = 8, n = 4 (P = 328) at 50 dps: a few seconds at most."""
    p = Problem(loss="ce", K=8, n=4, lambda_W="0.01", lambda_H="0.02", lambda_b="0.03")
    x = _random_point(p, 12, scale=0.5)
    t = time.perf_counter()
    A = hessian_matrix(p, x, dps=50)
    elapsed = time.perf_counter() - t
    assert A.rows == 328
    assert elapsed < 5.0, f"Hessian assembly took {elapsed:.2f} s"
    # spot-check one column against the HVP
    with mpmath.workdps(50):
        e = [mpmath.mpf(0)] * 328
        e[100] = mpmath.mpf(1)
        hv = flatten(hessian_vector_product(p, x, unflatten(p, e)))
        assert max(abs(hv[i] - A[i, 100]) for i in range(328)) < mpmath.mpf(10) ** -45


def test_pieces_and_float64_agree():
    p = PROBLEMS[0]
    x = _random_point(p, 13)
    with mpmath.workdps(DPS):
        R = residual_R(p, x)
        G = grad_g(p, R)
        for j in range(p.N):  # (3.6): 1^T grad g = 0 for CE
            assert abs(mpmath.fsum(G[i, j] for i in range(p.K))) < mpmath.mpf(10) ** -48
        W, H, b = x
        D = mpmath.randmatrix(p.K, p.N)
        assert hess_g_form(p, R, D) >= 0
        f = objective(p, x)
        g = flatten(gradient(p, x))
    f64, g64 = objective_and_gradient(p, np.array([float(t) for t in flatten(x)]))
    assert abs(float(f) - f64) < 1e-12 * max(1, abs(f64))
    assert np.allclose([float(t) for t in g], g64, rtol=1e-10, atol=1e-12)


def test_gradient_norm_and_roundtrip():
    p = PROBLEMS[2]
    x = _random_point(p, 14)
    with mpmath.workdps(DPS):
        g = flatten(gradient(p, x))
        assert _close(gradient_norm(p, x), mpmath.sqrt(mpmath.fdot(g, g)))
        assert flatten(unflatten(p, flatten(x))) == flatten(x)


def test_to_mp_point_inputs_and_validation():
    p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    W, H, b = to_mp_point(p, np.eye(2), [["1/3", "0.1"], [0, 1]], np.array([[0.5], [0.25]]),
                          dps=40)
    with mpmath.workdps(40):
        assert abs(H[0, 0] - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -39
        assert H[0, 1] == mpmath.mpf("0.1")
    assert (b.rows, b.cols) == (2, 1)
    with pytest.raises(UFMInputError, match="H: shape"):
        to_mp_point(p, np.eye(2), [[1, 2, 3], [4, 5, 6]], [0, 0])
    with pytest.raises(UFMInputError, match="not a finite number"):
        to_mp_point(p, [[float("nan"), 0], [0, 0]], np.eye(2), [0, 0])
    with pytest.raises(UFMInputError, match="ragged"):
        to_mp_point(p, [[1, 2], [3]], np.eye(2), [0, 0])
    with pytest.raises(UFMInputError, match="length"):
        unflatten(p, [1, 2, 3])
    with pytest.raises(UFMInputError, match="dps"):
        objective(p, (W, H, b), dps=2)
