"""ufm_sym.discover.symmetry: the orbit's tangent vectors (the generators of
ufm_sym.certify.orbit), its dimension, alignment."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.linalg

import ufm_sym.certify.orbit as orbit_mod
import ufm_sym.discover.symmetry as symmetry_mod
from ufm_sym import Problem
from ufm_sym.certify.inertia import hessian_spectrum
from ufm_sym.closed_form import global_minimizer
from ufm_sym.discover.kinds import minimum_kind
from ufm_sym.discover.symmetry import (
    _count_above,
    align,
    has_shift,
    orbit_dimension,
    tangent_singular_values,
    tangent_vectors,
)
from ufm_sym.highprec.evaluate import flatten, hessian_matrix, to_mp_point
from ufm_sym.highprec.families import critical_points, mse_subspace_saddle, origin
from ufm_sym.landscape import classify, precision_for

TOL = mpmath.mpf(10) ** -40


def so(m: int) -> int:
    return m * (m - 1) // 2


def mse_expected(d: int, K: int, r: int) -> int:
    """The orbit of O(d) x O(K-1) at an MSE critical point whose W has rank r, equal
    nonzero singular values and column space in 1^perp, H proportional to W^T and b
    proportional to 1 (docs/discover.md): the stabiliser is so(r) (A and B turning the
    r-plane together) + so(d - r) + so(K - 1 - r), so
    so(d) + so(K-1) - so(r) - so(d-r) - so(K-1-r) = [so(d) - so(d-r)] + r(K-1-r)."""
    return so(d) + so(K - 1) - so(r) - so(d - r) - so(K - 1 - r)


def _flat_point(p: Problem, x: np.ndarray, dps: int = 50):
    K, d, N = p.K, p.d, p.N
    a, c = K * d, K * d + d * N
    return to_mp_point(p, x[:a].reshape(K, d).tolist(), x[a:c].reshape(d, N).tolist(),
                       x[c:].tolist(), dps=dps)


@pytest.mark.parametrize("loss, lb, d, rank_cols", [
    ("ce", 0, 3, 3), ("ce", "0.1", 3, 3), ("ce", 0, 4, 2), ("mse", 0, 4, 1), ("mse", "0.1", 2, 0),
])
def test_rotation_part_matches_the_stabiliser_formula(loss, lb, d, rank_cols) -> None:
    """rank [W; H^T] = r gives d(d-1)/2 - (d-r)(d-r-1)/2 rotations, + 1 for the shift;
    the formula covers that part only: for MSE the class and sample rotations add more."""
    p = Problem(loss=loss, K=3, n=2, d=d, lambda_W="0.1", lambda_H="0.1", lambda_b=lb)
    rng = np.random.default_rng(0)
    W = np.zeros((3, d))
    H = np.zeros((d, 6))
    W[:, :rank_cols] = rng.normal(size=(3, rank_cols))
    H[:rank_cols] = rng.normal(size=(rank_cols, 6))
    x = to_mp_point(p, W.tolist(), H.tolist(), rng.normal(size=3).tolist(), dps=50)
    o = orbit_dimension(p, x, TOL, dps=50)
    k = d - rank_cols
    expect = so(d) - so(k) + int(loss == "ce" and lb == 0)
    assert o.rotations + int(o.shift) == o.formula == expect and o.consistent
    assert o.shift == has_shift(p) == (loss == "ce" and lb == 0)
    if loss == "ce":
        assert o.dimension == expect and o.class_rotations == 0
    else:   # a random point: the class rotation (so(2)) and so(V), dim V = 3, act too
        assert o.class_rotations > 0 and o.dimension == o.rotations + o.class_rotations
    # a perturbed objective that keeps only the rotations (and shift) counts those
    only = orbit_dimension(p, x, TOL, dps=50, parts=("rotation", "shift"))
    assert only.dimension == o.rotations + int(o.shift) and only.class_rotations == 0


def test_tangent_vectors_are_the_certificates_generators() -> None:
    """One source: the columns are generators_mp, in generators' order (so(d), the
    class rotations, the sample rotations), and agree with the float64 B(x)."""
    p = Problem(loss="mse", K=3, n=2, d=2, lambda_W=1, lambda_H=1)
    rng = np.random.default_rng(3)
    W, H, b = rng.normal(size=(3, 2)), rng.normal(size=(2, 6)), rng.normal(size=3)
    x = to_mp_point(p, W.tolist(), H.tolist(), b.tolist(), dps=30)
    with mpmath.workdps(30):
        T = np.array([[float(v) for v in col] for col in tangent_vectors(p, x)]).T
    B = orbit_mod.generators_float(p, np.concatenate([W.ravel(), H.ravel(), b]))
    assert T.shape == B.shape == (6 + 12 + 3, 1 + 1 + 3) and np.allclose(T, B, atol=1e-14)
    assert [g.part for g in orbit_mod.generators(p)] == ["rotation", "class"] + ["sample"] * 3


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


def test_class_and_sample_rotation_tangents_are_derivatives_of_the_group() -> None:
    """Finite differences of (O W, H P^T, O b), O = exp(t A) with A 1 = 0 and
    P = O (x) I_n, and of H exp(t R) with R a cross-class deviation rotation, equal the
    generators' columns; and f is unchanged along both (they are symmetries)."""
    from ufm_sym.highprec.evaluate import objective

    p = Problem(loss="mse", K=3, n=2, d=2, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    rng = np.random.default_rng(4)
    W, H, b = rng.normal(size=(3, 2)), rng.normal(size=(2, 6)), rng.normal(size=3)
    x = to_mp_point(p, W.tolist(), H.tolist(), b.tolist(), dps=30)
    gens = orbit_mod.generators(p)
    with mpmath.workdps(30):
        cols = [np.array([float(v) for v in c]) for c in tangent_vectors(p, x)]
    A = np.array([[0, 1, -1], [-1, 0, 1], [1, -1, 0]], dtype=float)   # the triangle, A 1 = 0
    i = next(k for k, g in enumerate(gens) if g.part == "class")
    t = 1e-6
    O = scipy.linalg.expm(t * A)
    moved = (O @ W, H @ np.kron(O, np.eye(2)).T, O @ b)
    fd = (np.concatenate([m.ravel() for m in moved])
          - np.concatenate([W.ravel(), H.ravel(), b])) / t
    assert np.allclose(fd, cols[i], atol=1e-5)
    # a sample rotation mixing the deviations of class 0 and class 1
    j = next(k for k, g in enumerate(gens) if g.name == "sample rotation[class 0: 0,1; "
                                                         "class 1: 0,1]")
    u, v = np.array([1, -1, 0, 0, 0, 0.0]), np.array([0, 0, 1, -1, 0, 0.0])
    R = np.outer(u, v) - np.outer(v, u)
    fd = np.concatenate([np.zeros(6), ((H @ scipy.linalg.expm(t * R) - H) / t).ravel(),
                         np.zeros(3)])
    assert np.allclose(fd, cols[j], atol=1e-5)
    f0 = objective(p, x, dps=30)
    for M in (moved, (W, H @ scipy.linalg.expm(0.7 * R), b)):
        y = to_mp_point(p, M[0].tolist(), M[1].tolist(), M[2].tolist(), dps=30)
        assert abs(objective(p, y, dps=30) - f0) < 1e-12
    ce = Problem(loss="ce", K=3, n=2, d=2, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    y = to_mp_point(ce, W.tolist(), (H @ scipy.linalg.expm(0.7 * R)).tolist(), b.tolist(),
                    dps=30)
    assert abs(objective(ce, y, dps=30) - objective(ce, x, dps=30)) > 1e-4   # not for CE


def _near_zero(p: Problem, x, dps: int, margin=None):
    """The Hessian's spectrum at ``margin`` (default: classify's at ``dps``)."""
    with mpmath.workdps(dps):
        A = hessian_matrix(p, x)
        if margin is None:
            norm_x = mpmath.sqrt(mpmath.fsum(t * t for t in flatten(x)))
            fro = mpmath.sqrt(mpmath.fsum(A[i, j] ** 2 for i in range(A.rows)
                                          for j in range(A.cols)))
            margin = precision_for(dps, None, float(norm_x), float(fro)).margin
        return hessian_spectrum(A, margin, dps), margin


def _rank_W(x, tol=TOL) -> int:
    from ufm_sym.highprec.linalg import singular_values

    return sum(1 for s in singular_values(x[0], dps=60) if s > tol)


MSE_POINTS = [   # (name, problem, point maker): critical points, D = 0 for n = 2
    ("origin", Problem(loss="mse", K=4, n=2, lambda_W="0.01", lambda_H="0.01",
                       lambda_b="0.01"), lambda p: origin(p).point),
    ("saddle-s1", Problem(loss="mse", K=4, n=2, lambda_W="0.01", lambda_H="0.01"),
     lambda p: mse_subspace_saddle(p, 1).point),
    ("saddle-s2", Problem(loss="mse", K=4, n=2, lambda_W="0.01", lambda_H="0.01"),
     lambda p: mse_subspace_saddle(p, 2).point),
    ("min-d=K", Problem(loss="mse", K=4, n=2, lambda_W="0.01", lambda_H="0.01"),
     lambda p: global_minimizer(p, dps=60)),
    ("min-d>K", Problem(loss="mse", K=3, n=2, d=5, lambda_W="0.01", lambda_H="0.01"),
     lambda p: global_minimizer(p, dps=60)),
    ("min-d=K-lb", Problem(loss="mse", K=3, n=1, lambda_W="0.01", lambda_H="0.01",
                           lambda_b="0.01"), lambda p: global_minimizer(p, dps=60)),
    ("min-d=2<K-1", Problem(loss="mse", K=4, n=2, d=2, lambda_W="0.01", lambda_H="0.01"),
     lambda p: mse_subspace_saddle(p, 2).point),
    ("min-d=1<K-1", Problem(loss="mse", K=4, n=1, d=1, lambda_W="0.01", lambda_H="0.01"),
     lambda p: mse_subspace_saddle(p, 1).point),
]


@pytest.mark.parametrize("name, p, make", MSE_POINTS, ids=[m[0] for m in MSE_POINTS])
def test_mse_orbit_includes_the_class_rotations(name, p, make) -> None:
    """At MSE critical points (origin, rank-deficient saddles, minimizers for d < K - 1,
    d = K, d > K) the orbit's dimension is the derived [so(d) - so(d - r)] + r(K-1-r),
    and it is exactly the number of near-zero Hessian eigenvalues (the whole kernel)."""
    x = make(p)
    o = orbit_dimension(p, x, TOL, dps=60)
    r = _rank_W(x)
    assert o.dimension == mse_expected(p.d, p.K, r) and o.consistent
    assert o.class_rotations == r * (p.K - 1 - r)
    if p.n > 1:   # the sample rotations fix a critical point: their columns vanish
        assert o.left_out >= so(p.K * (p.n - 1))
    spec, _ = _near_zero(p, x, 60, TOL)
    assert spec.certified and spec.near_zero == o.dimension


def test_ce_orbit_is_unchanged() -> None:
    """CE: the rotations and the shift only; at the families' critical points the
    dimension is the stabiliser formula and the Hessian's near-zero count."""
    for lb in (0, "0.01"):
        p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.01", lambda_b=lb)
        assert {g.part for g in orbit_mod.generators(p)} <= {"rotation", "shift"}
        for rec in critical_points(p, dps=60):
            o = orbit_dimension(p, rec.point, TOL, dps=60)
            assert o.dimension == o.formula and o.class_rotations == 0, rec.family
            spec, _ = _near_zero(p, rec.point, 60, TOL)   # refined to ~1e-45
            assert spec.near_zero == o.dimension, rec.family


def _drop_class_rotations(monkeypatch) -> None:
    real = orbit_mod.generators

    def without(problem):
        return [g for g in real(problem) if g.part != "class"]

    monkeypatch.setattr(orbit_mod, "generators", without)
    monkeypatch.setattr(symmetry_mod, "generators", without)


@pytest.mark.parametrize("K, d", [(4, 2), (5, 2)])
def test_without_the_class_rotations_the_mse_minimum_is_misread(monkeypatch, K, d) -> None:
    """The wrong variant: the MSE d < K - 1 minimum has d(K - 1 - d) near-zero
    eigenvalues more than the rotations explain, so without the class rotations it is
    called degenerate; with them, local_min (and classify agrees, certified)."""
    p = Problem(loss="mse", K=K, n=1, d=d, lambda_W="0.01", lambda_H="0.01")
    x = mse_subspace_saddle(p, d).point
    spec, margin = _near_zero(p, x, 60)
    right = orbit_dimension(p, x, margin, dps=60)
    assert minimum_kind(spec, right, margin)[0] == "local_min"
    c = classify(p, x, dps=60)
    assert c.kind == "local_min" and c.spectrum.certified
    assert not [note for note in c.notes if "disagree" in note]
    assert c.to_json()["hessian"]["orbit_dimension"] == c.certificate.existence.orbit_dimension
    assert (f"orbit:      dimension {right.dimension} ({so(d)} from the rotations of the "
            f"features, {d * (K - 1 - d)} from the class rotations)") in c.summary()
    _drop_class_rotations(monkeypatch)
    wrong = orbit_dimension(p, x, margin, dps=60)
    assert right.dimension - wrong.dimension == d * (K - 1 - d)
    kind, reason = minimum_kind(spec, wrong, margin)
    assert kind == "degenerate" and f"{d * (K - 1 - d)} zero direction(s)" in reason
    assert classify(p, x, dps=60).kind != "local_min"   # the certificate fails as well


def test_gram_singular_values_match_mpmath_svd() -> None:
    """tangent_singular_values (Gram matrix in flint at 2 prec + 64 bits) against
    mpmath.svd_r, with more columns than rows and fewer, and a rank-deficient matrix."""
    from ufm_sym.highprec.linalg import singular_values

    rng = np.random.default_rng(5)
    for P, g in ((12, 30), (30, 12)):
        M = rng.integers(-3, 4, size=(P, 4)) @ rng.integers(-3, 4, size=(4, g))  # rank 4
        with mpmath.workdps(40):
            cols = [[mpmath.mpf(int(v)) for v in M[:, k]] for k in range(g)]
            sv = tangent_singular_values(cols)
            ref = singular_values(mpmath.matrix(M.tolist()))
            assert len(sv) == min(P, g)
            assert max(abs(a - b) for a, b in zip(sv, ref, strict=True)) < mpmath.mpf(10) ** -35
            assert sum(1 for s in sv if s > mpmath.mpf(10) ** -30) == 4


def test_tiny_columns_are_left_out_only_when_the_count_cannot_change() -> None:
    one, tol = mpmath.mpf(1), mpmath.mpf(10) ** -10
    with mpmath.workdps(30):
        # a column of norm 0.2 tol beside a singular value 0.5 tol: left out, count 1
        n, _, out = _count_above([[one, 0, 0], [0, tol / 2, 0], [0, 0, tol / 5]], tol)
        assert (n, out) == (1, 1)
        # the left-out column (0.24 tol) would lift 0.98 tol above tol: recomputed, 2
        n, _, out = _count_above([[one, 0], [0, tol * 98 / 100], [0, tol * 24 / 100]], tol)
        assert (n, out) == (2, 0)
