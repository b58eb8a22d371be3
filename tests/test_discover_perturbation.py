"""ufm_sym.discover.perturbation: the planted bump (a test hook) and its derivatives."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.discover.perturbation import OrbitBump
from ufm_sym.model import UFMInputError

P = Problem(loss="ce", K=3, n=1, d=2, lambda_W="0.1", lambda_H="0.1", lambda_b=0)
SIZE = 3 * 2 + 2 * 3 + 3


@pytest.fixture()
def bump() -> OrbitBump:
    return OrbitBump(P, np.random.default_rng(1).normal(size=SIZE), depth=0.3, width=0.5)


def _x(seed: int = 2) -> np.ndarray:
    return np.random.default_rng(1).normal(size=SIZE) + 0.05 * np.random.default_rng(
        seed).normal(size=SIZE)


def test_gradient_and_hessian_match_finite_differences(bump: OrbitBump) -> None:
    x, h = _x(), 1e-6
    E = np.eye(SIZE)
    fd_g = np.array([(bump.value(x + h * e) - bump.value(x - h * e)) / (2 * h) for e in E])
    fd_H = np.array([(bump.gradient(x + h * e) - bump.gradient(x - h * e)) / (2 * h) for e in E])
    g, A = bump.gradient(x), bump.hessian(x)
    assert np.abs(g).max() > 1e-3 and np.abs(A).max() > 1e-2
    assert np.abs(g - fd_g).max() < 1e-8 and np.abs(A - fd_H).max() < 1e-7
    v = np.random.default_rng(3).normal(size=SIZE)
    assert np.allclose(bump.hvp(x, v), A @ v, atol=1e-13)
    # a dropped term is caught: the Hessian without its rank-one part is wrong
    gp = bump._grad_phi(bump._parts(x, lambda a: a))
    assert np.abs((A + np.outer(gp, gp) * 0.3) - fd_H).max() > 1e-4


def test_high_precision_agrees_with_float64(bump: OrbitBump) -> None:
    x = _x()
    with mpmath.workdps(40):
        xm = [mpmath.mpf(float(t)) for t in x]
        g, A = bump.gradient(xm), bump.hessian(xm)
        assert isinstance(g[0], mpmath.mpf) and isinstance(A[0][0], mpmath.mpf)
        assert abs(float(bump.value(xm)) - bump.value(x)) < 1e-15
    assert np.abs(np.array(g, dtype=float) - bump.gradient(x)).max() < 1e-14
    assert np.abs(np.array(A, dtype=float) - bump.hessian(x)).max() < 1e-13


def test_invariant_under_rotation_and_shift(bump: OrbitBump) -> None:
    x = _x()
    W, H, b = x[:6].reshape(3, 2), x[6:12].reshape(2, 3), x[12:]
    Q = np.array([[0.6, -0.8], [0.8, 0.6]])
    y = np.concatenate([(W @ Q).ravel(), (Q.T @ H).ravel(), b + 0.7])
    assert abs(bump.value(x) - bump.value(y)) < 1e-14
    # the centre's orbit is the bottom of the bump, with zero gradient
    c = bump.center
    assert bump.value(c) == -0.3 and np.abs(bump.gradient(c)).max() == 0


def test_bad_arguments() -> None:
    with pytest.raises(UFMInputError, match="center"):
        OrbitBump(P, np.zeros(3), 0.1, 0.1)
    with pytest.raises(UFMInputError, match="depth and width"):
        OrbitBump(P, np.zeros(SIZE), -0.1, 0.1)


def test_the_bump_keeps_the_symmetries_it_names_and_breaks_the_class_rotations() -> None:
    """<grad bump, xi(x)> = 0 for the generators of the parts in ``symmetries`` (the
    rotations, and the shift for CE with lambda_b = 0), not for the MSE class rotations:
    so classify_perturbed must not count those in the orbit of f + bump."""
    from ufm_sym.certify.orbit import generators, generators_float

    for p in (P, Problem(loss="mse", K=3, n=1, d=2, lambda_W="0.1", lambda_H="0.1")):
        rng = np.random.default_rng(4)
        b = OrbitBump(p, rng.normal(size=SIZE), depth=0.3, width=2.0)
        x = b.center + 0.3 * rng.normal(size=SIZE)
        ip = b.gradient(x) @ generators_float(p, x)
        assert np.abs(b.gradient(x)).max() > 1e-3
        for g, v in zip(generators(p), ip, strict=True):
            if g.part in OrbitBump.symmetries:
                assert abs(v) < 1e-12, g.name
            else:
                assert abs(v) > 1e-4, g.name
        assert {g.part for g in generators(p)} == (
            {"rotation", "shift"} if p.loss == "ce" else {"rotation", "class"})
