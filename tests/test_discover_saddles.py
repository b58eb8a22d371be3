"""ufm_sym.discover.saddles and .minima: the float64 searches and deflation."""

from __future__ import annotations

import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.discover.minima import lbfgs_minimum
from ufm_sym.discover.objective import SearchObjective
from ufm_sym.discover.saddles import Deflation, gradient_norm_minimum, lm_root, polish
from ufm_sym.discover.starts import plan_starts

P = Problem(loss="ce", K=3, n=1, d=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")


@pytest.fixture(scope="module")
def obj() -> SearchObjective:
    return SearchObjective(P)


def _index(obj: SearchObjective, x: np.ndarray) -> int:
    return int(np.sum(np.linalg.eigvalsh(obj.hessian(x)) < -1e-8))


def test_lbfgs_finds_a_minimum_and_lm_a_saddle(obj: SearchObjective) -> None:
    st = plan_starts(P, 9, seed=0)
    x, _ = lbfgs_minimum(obj, st[3].x)
    assert np.linalg.norm(obj.grad(x)) < 1e-8 and _index(obj, x) == 0
    y, _ = lm_root(obj, st[8].x)
    assert np.linalg.norm(obj.grad(y)) < 1e-12 and _index(obj, y) >= 1


def test_gradient_norm_minimisation_reaches_a_critical_point(obj: SearchObjective) -> None:
    x, _ = gradient_norm_minimum(obj, plan_starts(P, 9, seed=0)[8].x)
    y, gn, _ = polish(obj, x)
    assert gn < 1e-12 and _index(obj, y) >= 1


def test_deflation_repels_the_known_orbit_and_its_rotations(obj: SearchObjective) -> None:
    start = plan_starts(P, 9, seed=0)[6].x
    root, _ = lm_root(obj, start)
    dfl = Deflation(P)
    dfl.add(root)
    # a rotated copy of the root is at distance 0 from the orbit
    W, H = root[:6].reshape(3, 2), root[6:12].reshape(2, 3)
    Q = np.array([[0.0, -1.0], [1.0, 0.0]])
    rot = np.concatenate([(W @ Q).ravel(), (Q.T @ H).ravel(), root[12:]])
    assert dfl.distance(rot) < 1e-10
    y, _ = lm_root(obj, start, dfl)
    assert dfl.distance(y) > 1e-2          # not the same orbit again
    undeflated, _ = lm_root(obj, start)    # while without deflation it is
    assert dfl.distance(undeflated) < 1e-8


def test_deflation_gradient_matches_finite_differences() -> None:
    dfl = Deflation(P)
    rng = np.random.default_rng(0)
    dfl.add(rng.normal(size=15))
    dfl.add(rng.normal(size=15))
    x, h = rng.normal(size=15), 1e-6
    logm, g = dfl.log_and_grad(x)
    fd = np.array([(dfl.log_and_grad(x + h * e)[0] - dfl.log_and_grad(x - h * e)[0]) / (2 * h)
                   for e in np.eye(15)])
    assert logm > 0 and np.abs(g - fd).max() < 1e-6 * max(1, np.abs(g).max())
