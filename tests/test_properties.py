"""Property-based tests (hypothesis) of identities the paper's proofs rest on.

Two kinds of properties, over the loss, ``K``, ``n`` and exact rational lambdas:

* identities that hold at **every** point: the derived gradient (SymPy, index-free)
  equals finite differences of ``f`` in float64 and in mpmath; ``1_K^T grad g(R) = 0``
  for CE (3.6); the index-free balance identity (3.4)
  ``lW W^T W - lH H H^T == W^T (df/dW) - (df/dH) H^T`` evaluated numerically; the Hessian
  is a symmetric bilinear form whose quadratic form is the derived (3.9); the rotation
  invariance ``f(W Q, Q^T H, b) = f(W, H, b)``;
* facts at **critical points** of the sampled families
  (:func:`ufm_sym.numeric.sampling.sample`, float64): the balance (3.4),
  ``rank W = rank H`` (3.5), CE ``1_K^T W = 0`` (3.7), and the curvature along the
  escape direction ``-2 sigma + 2 sqrt(lW lH)`` at every saddle.

``max_examples`` is small and the runs are derandomised (the same examples every run).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ufm_sym import Problem
from ufm_sym.numeric import full_gradient, hessian_bilinear, hessian_vector_product
from ufm_sym.numeric.kernels import Spec, grad_g, logits, objective

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
FEW = settings(SETTINGS, max_examples=8)

LAMBDA = st.fractions(min_value=Fraction(1, 1000), max_value=Fraction(1, 2),
                      max_denominator=1000)
LAMBDA_B = st.one_of(st.just(Fraction(0)), LAMBDA)


@st.composite
def problems(draw: Any, losses: tuple[str, ...] = ("ce", "mse"), k_min: int = 2,
             k_max: int = 4, n_max: int = 2, any_d: bool = True) -> Problem:
    """A problem with exact rational lambdas (``d`` may differ from ``K``)."""
    loss = draw(st.sampled_from(losses))
    K = draw(st.integers(k_min, k_max))
    n = draw(st.integers(1, n_max))
    d = draw(st.integers(1, K + 1)) if any_d else K
    return Problem(loss, K=K, n=n, d=d, lambda_W=draw(LAMBDA), lambda_H=draw(LAMBDA),
                   lambda_b=draw(LAMBDA_B))


SEEDS = st.integers(0, 2**32 - 1)


def random_point(p: Problem, seed: int, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (scale * rng.standard_normal((p.K, p.d)), scale * rng.standard_normal((p.d, p.N)),
            scale * rng.standard_normal(p.K))


def derived_gradient(p: Problem, point: tuple[np.ndarray, ...]) -> dict[str, np.ndarray]:
    """The gradient SymPy derived (index-free), evaluated in float64."""
    from ufm_sym.symbolic.evaluate import lambdify_gradients

    W, H, b = point
    G = np.asarray(grad_g(Spec.from_problem(p), logits(W, H, b)))
    lw, lh, lb = p.float_lambdas()
    return lambdify_gradients(backend="numpy")(W, H, b.reshape(-1, 1), G, lw, lh, lb)


def f64(p: Problem, point: tuple[np.ndarray, ...]) -> float:
    return float(objective(Spec.from_problem(p), *point))


def _flat(parts: Any) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in parts])


# ------------------------------------------------------------------ every point
@SETTINGS
@given(problems(), SEEDS)
def test_derived_gradient_equals_float64_finite_differences(p: Problem, seed: int) -> None:
    x = random_point(p, seed, 0.7)
    g = derived_gradient(p, x)
    derived = _flat((g["W"], g["H"], g["b"]))
    h = 1e-6
    flat = _flat(x)
    sizes = [a.size for a in x]

    def unflat(v: np.ndarray) -> tuple[np.ndarray, ...]:
        W = v[:sizes[0]].reshape(x[0].shape)
        H = v[sizes[0]:sizes[0] + sizes[1]].reshape(x[1].shape)
        return W, H, v[sizes[0] + sizes[1]:]

    fd = np.empty_like(flat)
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = h
        fd[i] = (f64(p, unflat(flat + e)) - f64(p, unflat(flat - e))) / (2 * h)
    scale = max(1.0, float(np.max(np.abs(fd))))
    assert np.max(np.abs(derived - fd)) / scale < 1e-6
    # and the float64 kernel's gradient is the derived one
    kernel = _flat(full_gradient(p, x))
    assert np.max(np.abs(kernel - derived)) / scale < 1e-12


@FEW
@given(problems(k_max=3, n_max=2), SEEDS)
def test_derived_gradient_equals_mpmath_finite_differences(p: Problem, seed: int) -> None:
    from ufm_sym.highprec.evaluate import flatten, residual_R, to_mp_point
    from ufm_sym.highprec.evaluate import grad_g as mp_grad_g
    from ufm_sym.highprec.finite_diff import fd_gradient
    from ufm_sym.symbolic.evaluate import lambdify_gradients

    W, H, b = random_point(p, seed, 0.7)
    with mpmath.workdps(40):
        x = to_mp_point(p, W.tolist(), H.tolist(), b.tolist())
        G = mp_grad_g(p, residual_R(p, x))
        lw, lh, lb = p.mp_lambdas()
        g = lambdify_gradients(backend="mpmath")(x[0], x[1], x[2], G, lw, lh, lb)
        derived = flatten((g["W"], g["H"], g["b"]))
        fd = flatten(fd_gradient(p, x, dps=40)[0])
        err = max(abs(a - c) for a, c in zip(derived, fd, strict=True))
        assert err / max(1, max(abs(v) for v in fd)) < mpmath.mpf(10) ** -25


@SETTINGS
@given(problems(losses=("ce",)), SEEDS, st.floats(0.1, 20.0))
def test_ce_columns_of_grad_g_sum_to_zero(p: Problem, seed: int, scale: float) -> None:
    """(3.6): 1_K^T grad g(R) = 0 for cross-entropy, at any R (float64 and 40 digits)."""
    from ufm_sym.highprec.evaluate import grad_g as mp_grad_g

    R = scale * np.random.default_rng(seed).standard_normal((p.K, p.N))
    G = np.asarray(grad_g(Spec.from_problem(p), R))
    assert np.max(np.abs(G.sum(axis=0))) < 1e-15 * max(1.0, float(np.max(np.abs(G)))) * p.K
    with mpmath.workdps(40):
        Gm = mp_grad_g(p, mpmath.matrix(R.tolist()))
        worst = max(abs(mpmath.fsum(Gm[i, j] for i in range(p.K))) for j in range(p.N))
        assert worst < mpmath.mpf(10) ** -35


@SETTINGS
@given(problems(), SEEDS)
def test_index_free_balance_identity_at_random_points(p: Problem, seed: int) -> None:
    """(3.4) as the unconditional identity of the proof, with the derived gradient:
    lW W^T W - lH H H^T == W^T (df/dW) - (df/dH) H^T, at any point."""
    x = random_point(p, seed)
    W, H, _ = x
    g = derived_gradient(p, x)
    lw, lh, _ = p.float_lambdas()
    lhs = lw * W.T @ W - lh * H @ H.T
    rhs = W.T @ g["W"] - g["H"] @ H.T
    scale = max(1.0, float(np.max(np.abs(W.T @ g["W"]))), float(np.max(np.abs(H @ H.T))))
    assert np.max(np.abs(lhs - rhs)) / scale < 1e-12


@SETTINGS
@given(problems(), SEEDS, st.floats(-2.0, 2.0), st.floats(-2.0, 2.0))
def test_hessian_is_a_symmetric_bilinear_form(p: Problem, seed: int, s: float, t: float
                                              ) -> None:
    """<Hess[D], E> = <D, Hess[E]>, Hess is linear, and its quadratic form is the derived
    (3.9) (SymPy) and the second difference of f."""
    from ufm_sym.numeric.kernels import hess_g_apply, point_state
    from ufm_sym.symbolic.evaluate import lambdify_hessian_form

    x = random_point(p, seed, 0.7)
    D = random_point(p, seed + 1)
    E = random_point(p, seed + 2)
    HD, HE = hessian_vector_product(p, x, D), hessian_vector_product(p, x, E)
    dot = lambda A, B: float(np.dot(_flat(A), _flat(B)))  # noqa: E731
    scale = max(1.0, float(np.max(np.abs(_flat(HD)))), float(np.max(np.abs(_flat(HE)))))
    assert abs(dot(HD, E) - dot(D, HE)) / (scale * _flat(D).size) < 1e-12
    comb = tuple(s * a + t * c for a, c in zip(D, E, strict=True))
    lin = _flat(hessian_vector_product(p, x, comb)) - (s * _flat(HD) + t * _flat(HE))
    assert np.max(np.abs(lin)) / (scale * (1 + abs(s) + abs(t))) < 1e-12
    q = float(hessian_bilinear(p, x, D))
    assert abs(q - dot(D, HD)) / max(1.0, abs(q)) < 1e-12
    W, H, b = x
    spec = Spec.from_problem(p)
    state = point_state(spec, W, H, b)
    G = np.asarray(grad_g(spec, logits(W, H, b)))
    lw, lh, lb = p.float_lambdas()
    form = lambdify_hessian_form(backend="numpy")(
        W, H, b.reshape(-1, 1), G, D[0], D[1], D[2].reshape(-1, 1), lw, lh, lb,
        hess_g=lambda A, B: float(np.sum(np.asarray(hess_g_apply(state, np.asarray(A)))
                                         * np.asarray(B))))
    assert abs(float(form) - q) / max(1.0, abs(q)) < 1e-10
    h = 1e-4
    second = (f64(p, tuple(a + h * c for a, c in zip(x, D, strict=True))) - 2 * f64(p, x)
              + f64(p, tuple(a - h * c for a, c in zip(x, D, strict=True)))) / h**2
    assert abs(second - q) / max(1.0, abs(q)) < 1e-4


@SETTINGS
@given(problems(), SEEDS)
def test_objective_is_invariant_under_rotations(p: Problem, seed: int) -> None:
    """f(W Q, Q^T H, b) = f(W, H, b) for orthogonal Q (float64, and exactly rotation-free
    at 40 digits)."""
    from ufm_sym.highprec.evaluate import objective as mp_objective
    from ufm_sym.highprec.evaluate import to_mp_point

    x = random_point(p, seed)
    Q, _ = np.linalg.qr(np.random.default_rng(seed + 7).standard_normal((p.d, p.d)))
    W, H, b = x
    y = (W @ Q, Q.T @ H, b)
    assert abs(f64(p, y) - f64(p, x)) <= 1e-12 * max(1.0, abs(f64(p, x)))
    with mpmath.workdps(40):
        Qm = mpmath.matrix(Q.tolist())
        Qm, _ = mpmath.qr(Qm)  # orthogonal to 40 digits
        xm = to_mp_point(p, W.tolist(), H.tolist(), b.tolist())
        ym = (xm[0] * Qm, Qm.T * xm[1], xm[2])
        diff = abs(mp_objective(p, ym) - mp_objective(p, xm))
        assert diff < mpmath.mpf(10) ** -30 * max(1, abs(mp_objective(p, xm)))


# ------------------------------------------------------------------ critical points
def _rank(M: np.ndarray, rtol: float = 1e-6) -> int:
    s = np.linalg.svd(M, compute_uv=False)
    return int(np.sum(s > rtol * max(1.0, float(s[0]) if s.size else 0.0)))


SMALL_LAMBDA = st.fractions(min_value=Fraction(1, 500), max_value=Fraction(1, 20),
                            max_denominator=500)


@st.composite
def sampled_problems(draw: Any) -> Problem:
    """d = K problems whose saddle families exist (small lambdas)."""
    loss = draw(st.sampled_from(("ce", "mse")))
    K = draw(st.integers(3, 4))
    n = draw(st.integers(1, 2))
    lb = draw(st.one_of(st.just(Fraction(0)), SMALL_LAMBDA))
    return Problem(loss, K=K, n=n, lambda_W=draw(SMALL_LAMBDA), lambda_H=draw(SMALL_LAMBDA),
                   lambda_b=lb)


@settings(SETTINGS, max_examples=12)
@given(sampled_problems(), st.integers(0, 10_000))
def test_sampled_critical_points_satisfy_lemma_3_1_and_the_escape_curvature(
        p: Problem, seed: int) -> None:
    from ufm_sym.numeric.escape import escape_direction
    from ufm_sym.numeric.sampling import sample

    records = sample(p, ("global", "origin", "saddle"), count=1, seed=seed, escape=False)
    assert any(r.expected == "saddle" for r in records), p.describe()
    lw, lh, _ = p.float_lambdas()
    thr = float(np.sqrt(lw * lh))
    for rec in records:
        W, H, b = (np.asarray(a, dtype=float) for a in rec.point)
        where = f"{p.describe()} [{rec.kind}, seed {rec.seed}]"
        assert rec.passed, f"{where}: {rec.failures}"
        assert float(np.linalg.norm(_flat(full_gradient(p, (W, H, b))))) < 1e-7, where
        scale = max(1.0, float(np.linalg.norm(W)) ** 2, float(np.linalg.norm(H)) ** 2)
        assert np.linalg.norm(lw * W.T @ W - lh * H @ H.T) < 1e-6 * scale, where  # (3.4)
        assert _rank(W) == _rank(H), where                                          # (3.5)
        if p.loss == "ce":
            assert np.linalg.norm(W.sum(axis=0)) < 1e-6 * max(1.0, np.linalg.norm(W)), where
        if rec.expected == "saddle":
            esc = escape_direction(p, (W, H, b))
            D = esc.direction
            curvature = float(hessian_bilinear(p, (W, H, b), D))
            predicted = -2 * esc.sigma + 2 * thr
            assert abs(curvature - predicted) < 1e-6 * max(1.0, abs(predicted)), where
            assert curvature < 0 and esc.sigma > thr, where


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_property_strategies_draw_valid_problems(loss: str) -> None:
    p = Problem(loss, K=2, n=1, d=1, lambda_W=Fraction(1, 1000), lambda_H=Fraction(1, 2),
                lambda_b=0)
    assert p.lambda_W == Fraction(1, 1000) and p.d == 1
