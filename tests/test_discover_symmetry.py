"""ufm_sym.discover.symmetry: the orbit's tangent vectors, its dimension, alignment."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.closed_form import global_minimizer
from ufm_sym.discover.symmetry import align, has_shift, orbit_dimension, tangent_vectors
from ufm_sym.highprec.evaluate import flatten, hessian_matrix, to_mp_point
from ufm_sym.highprec.families import critical_points

TOL = mpmath.mpf(10) ** -40


def _flat_point(p: Problem, x: np.ndarray, dps: int = 50):
    K, d, N = p.K, p.d, p.N
    a, c = K * d, K * d + d * N
    return to_mp_point(p, x[:a].reshape(K, d).tolist(), x[a:c].reshape(d, N).tolist(),
                       x[c:].tolist(), dps=dps)


@pytest.mark.parametrize("loss, lb, d, rank_cols", [
    ("ce", 0, 3, 3), ("ce", "0.1", 3, 3), ("ce", 0, 4, 2), ("mse", 0, 4, 1), ("mse", "0.1", 2, 0),
])
def test_dimension_matches_the_stabiliser_formula(loss, lb, d, rank_cols) -> None:
    """rank [W; H^T] = r gives d(d-1)/2 - (d-r)(d-r-1)/2 rotations, + 1 for the shift."""
    p = Problem(loss=loss, K=3, n=2, d=d, lambda_W="0.1", lambda_H="0.1", lambda_b=lb)
    rng = np.random.default_rng(0)
    W = np.zeros((3, d))
    H = np.zeros((d, 6))
    W[:, :rank_cols] = rng.normal(size=(3, rank_cols))
    H[:rank_cols] = rng.normal(size=(rank_cols, 6))
    x = to_mp_point(p, W.tolist(), H.tolist(), rng.normal(size=3).tolist(), dps=50)
    o = orbit_dimension(p, x, TOL, dps=50)
    k = d - rank_cols
    expect = d * (d - 1) // 2 - k * (k - 1) // 2 + int(loss == "ce" and lb == 0)
    assert o.dimension == o.formula == expect and o.consistent
    assert o.shift == has_shift(p) == (loss == "ce" and lb == 0)


def test_tangent_vectors_lie_in_the_hessian_kernel_at_a_critical_point() -> None:
    p = Problem(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b=0)
    rec = next(r for r in critical_points(p, dps=60) if r.kind == "saddle")
    with mpmath.workdps(50):
        A = hessian_matrix(p, rec.point)
        for t in tangent_vectors(p, rec.point):
            v = mpmath.matrix(t)
            assert mpmath.norm(A * v) < mpmath.mpf(10) ** -40 * mpmath.norm(v)
        # a direction off the orbit is not in the kernel (the test can fail)
        w = mpmath.matrix([1] + [0] * (A.rows - 1))
        assert mpmath.norm(A * w) > mpmath.mpf(10) ** -3


def test_tangent_vector_is_the_derivative_of_the_rotation() -> None:
    """(f(W Q_t, Q_t^T H) - ...): finite difference of the rotated point = (W A, -A H)."""
    p = Problem(loss="mse", K=2, n=1, d=3, lambda_W=1, lambda_H=1)
    rng = np.random.default_rng(1)
    W, H = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    x = to_mp_point(p, W.tolist(), H.tolist(), [0, 0], dps=30)
    A = np.zeros((3, 3))
    A[0, 1], A[1, 0] = 1, -1
    t = 1e-6
    Q = np.eye(3) + t * A + t * t / 2 * A @ A
    fd = (np.concatenate([(W @ Q).ravel(), (Q.T @ H).ravel(), [0, 0]])
          - np.concatenate([W.ravel(), H.ravel(), [0, 0]])) / t
    with mpmath.workdps(30):
        tv = np.array([float(v) for v in tangent_vectors(p, x)[0]])
    assert np.allclose(fd, tv, atol=1e-5)


def test_global_minimizer_orbit_dimension_at_d_above_K() -> None:
    """CE K = 3, d = 4: rank W* = 2, so 6 - 1 = 5 rotation directions."""
    p = Problem(loss="ce", K=3, n=1, d=4, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    o = orbit_dimension(p, global_minimizer(p, dps=50), TOL, dps=50)
    assert (o.dimension, o.rotations, o.shift) == (5, 5, False) and o.consistent


def test_align_recovers_a_rotated_and_shifted_point() -> None:
    p = Problem(loss="ce", K=3, n=1, d=2, lambda_W=1, lambda_H=1, lambda_b=0)
    rng = np.random.default_rng(2)
    r = rng.normal(size=15)
    Wr, Hr, br = r[:6].reshape(3, 2), r[6:12].reshape(2, 3), r[12:]
    th = 0.7
    Q = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    x = np.concatenate([(Wr @ Q).ravel(), (Q.T @ Hr).ravel(), br + 0.3])
    dist, y = align(p, x, r)
    assert dist < 1e-12 and np.allclose(y, x)
    # without the shift symmetry (MSE) the shifted point is 0.3 sqrt(3) away
    q = Problem(loss="mse", K=3, n=1, d=2, lambda_W=1, lambda_H=1)
    assert abs(align(q, x, r)[0] - 0.3 * np.sqrt(3)) < 1e-12
    # a point off the orbit is at a positive distance
    assert align(p, x + 0.01 * rng.normal(size=15), r)[0] > 1e-3


def test_flatten_order_matches_float_layout() -> None:
    p = Problem(loss="ce", K=2, n=1, d=2, lambda_W=1, lambda_H=1)
    x = np.arange(10.0)
    with mpmath.workdps(20):
        assert [float(t) for t in flatten(_flat_point(p, x, 20))] == list(x)
