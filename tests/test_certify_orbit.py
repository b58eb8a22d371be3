"""``ufm_sym.certify.orbit``: the generators are symmetries of ``f`` (the gradient is
orthogonal to each, in ball arithmetic, at random non-critical points), the orbit's
dimension is computed (not assumed) at full-rank, rank-deficient and zero ``W``, and
the transversality check can fail."""

from __future__ import annotations

import flint
import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.certify.balls import ball_point, flat_gradient
from ufm_sym.certify.orbit import (
    Generator,
    _apply,
    choose_slice,
    generators,
    generators_ball,
    transversality,
)
from ufm_sym.highprec.families import critical_points


def rand_point(p: Problem, seed: int, rank: int | None = None) -> tuple:
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(p.K, p.d))
    H = rng.normal(size=(p.d, p.N))
    if rank is not None:
        W[:, rank:] = 0
        H[rank:, :] = 0
    return W.tolist(), H.tolist(), rng.normal(size=p.K).tolist()


@pytest.mark.parametrize("p", [
    Problem(loss="ce", K=3, n=2, lambda_W="0.1", lambda_H="0.2", lambda_b=0),
    Problem(loss="ce", K=4, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3"),
    Problem(loss="mse", K=4, n=3, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3"),
    Problem(loss="mse", K=3, n=2, d=4, lambda_W="0.1", lambda_H="0.2", lambda_b=0),
], ids=["ce-shift", "ce", "mse", "mse-d4"])
def test_gradient_is_orthogonal_to_every_generator(p: Problem) -> None:
    x = ball_point(p, rand_point(p, 0), prec=200)
    g = flat_gradient(x)
    B = generators_ball(x)
    with flint.ctx.workprec(200):
        ip = g.transpose() * B
    assert all(ip[0, k].contains(0) and ip[0, k].rad() < 1e-40 for k in range(B.ncols()))
    # and the gradient is not zero there: the test is not vacuous
    assert any(not g[i, 0].contains(0) for i in range(g.nrows()))


def test_a_non_symmetry_is_detected() -> None:
    """The MSE class rotation is not a symmetry of CE: <grad f, xi> != 0."""
    ce = Problem(loss="ce", K=3, n=2, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    mse = Problem(loss="mse", K=3, n=2, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    gen = [g for g in generators(mse) if g.name.startswith("class")][0]
    x = ball_point(ce, rand_point(ce, 1), prec=200)
    g = flat_gradient(x)
    with flint.ctx.workprec(200):
        xi = _apply(gen, x.W.tolist(), x.H.tolist(), [x.b[a, 0] for a in range(3)],
                    flint.arb(0), 3, 3, 6)
        ip = sum((g[i, 0] * v for i, v in enumerate(xi)), flint.arb(0))
    assert not ip.contains(0)
    cross = [g for g in generators(mse) if g.name == "sample rotation[class 0: 0,1; class 1: 0,1]"]
    with flint.ctx.workprec(200):     # mixing two classes' deviations: MSE only
        xi = _apply(cross[0], x.W.tolist(), x.H.tolist(), [x.b[a, 0] for a in range(3)],
                    flint.arb(0), 3, 3, 6)
        assert not sum((g[i, 0] * v for i, v in enumerate(xi)), flint.arb(0)).contains(0)
    shift = Generator("shift b", shift=1)     # a symmetry of CE only when lambda_b = 0
    with flint.ctx.workprec(200):
        xi = _apply(shift, x.W.tolist(), x.H.tolist(), [x.b[a, 0] for a in range(3)],
                    flint.arb(0), 3, 3, 6)
        assert not sum((g[i, 0] * v for i, v in enumerate(xi)), flint.arb(0)).contains(0)


def _flat(point: tuple) -> list[float]:
    W, H, b = point
    return [v for r in W for v in r] + [v for r in H for v in r] + list(b)


@pytest.mark.parametrize("rank", [3, 2, 1, 0])
def test_orbit_dimension_is_computed(rank: int) -> None:
    """so(d) minus the stabiliser so(d - r) of a rank-r point: d(d-1)/2 - (d-r)(d-r-1)/2."""
    p = Problem(loss="ce", K=3, n=2, lambda_W="0.1", lambda_H="0.2", lambda_b="0.1")
    s = choose_slice(p, _flat(rand_point(p, 2, rank=rank)))
    d = 3
    assert s.dimension == d * (d - 1) // 2 - (d - rank) * (d - rank - 1) // 2
    assert s.generators == 3 and s.basis.shape == (p.K * d + d * p.N + p.K, s.dimension)
    if s.dimension:
        assert np.allclose(s.basis.T @ s.basis, np.eye(s.dimension), atol=1e-12)


def test_slice_at_the_origin_and_with_the_shift() -> None:
    ce0 = Problem(loss="ce", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b=0)
    mse = Problem(loss="mse", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b=0)
    assert choose_slice(ce0, [0.0] * 21).dimension == 1          # only b + c 1
    assert choose_slice(mse, [0.0] * 18 + [1 / 3] * 3).dimension == 0
    assert "none needed" in choose_slice(mse, [0.0] * 18 + [1 / 3] * 3).description


def test_mse_saddles_have_the_class_rotations_in_their_orbit() -> None:
    """An MSE subspace saddle (rank W = 1, K = 3): the rotations give a 2-dimensional
    orbit, the class rotation one more direction (the line S moving in 1^perp)."""
    from ufm_sym.highprec.evaluate import flatten

    p = Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0)
    rec = next(r for r in critical_points(p, dps=60) if r.family == "subspace-s1")
    x = [float(v) for v in flatten(rec.point)]
    s = choose_slice(p, x)
    # so(3) (rank 1: 2) + one class; the so(3) of the deviations (K(n-1) = 3) is 0 here
    assert s.dimension == 3 and s.generators == 3 + 1 + 3


def test_transversality_holds_at_the_point_and_fails_on_a_wide_ball() -> None:
    p = Problem(loss="ce", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.1")
    pt = rand_point(p, 4)
    s = choose_slice(p, _flat(pt))
    ok, bound, _ = transversality(s, ball_point(p, pt, 128, radius="1e-20"))
    assert ok and bound < 1e-15
    ok, _, why = transversality(s, ball_point(p, pt, 128, radius="1"))
    assert not ok and "not provably transversal" in why


def test_the_sample_rotations_span_so_of_the_deviations() -> None:
    """MSE: m(m-1)/2 sample generators for m = K(n-1), linearly independent, each skew,
    zero on the class indicators and mapping into the deviations (rows sum to 0 per
    class): a basis of so(V)."""
    K, n = 3, 3
    p = Problem(loss="mse", K=K, n=n, lambda_W=1, lambda_H=1)
    sample = [g for g in generators(p) if g.part == "sample"]
    m = K * (n - 1)
    assert len(sample) == m * (m - 1) // 2
    N = K * n
    mats = []
    for g in sample:
        R = np.zeros((N, N))
        for i, j, v in g.RH:
            R[i, j] += v
        assert np.array_equal(R, -R.T)
        ind = np.kron(np.eye(K), np.ones((n, 1)))          # the class indicators
        assert not (R @ ind).any() and not (ind.T @ R).any()
        mats.append(R.ravel())
    assert np.linalg.matrix_rank(np.array(mats)) == len(sample)


def test_slice_ignores_directions_below_the_search_radius() -> None:
    """A point 1e-35 from the CE origin: relative to its own size the rotations look
    like a 3-dimensional orbit, but they vanish at the origin, within any radius above
    1e-35; with the radius as abs_tol the slice is the whole space, as the orbit's
    dimension at that margin (ufm_sym.discover.symmetry) says."""
    p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    rng = np.random.default_rng(6)
    x = list(1e-35 * rng.normal(size=9)) + list(1e-35 * rng.normal(size=9)) + [0.0] * 3
    assert choose_slice(p, x).dimension == 3
    assert choose_slice(p, x, abs_tol=1e-25).dimension == 0
    assert choose_slice(p, [10 * v for v in x[:18]] + [0.0] * 3, abs_tol=1e-40).dimension == 3
