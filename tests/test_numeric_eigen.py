"""The smallest Hessian eigenvalue: Lanczos (both modes) and eigsh vs dense eigh, and the
sign decision with its margin (orbit zeros are not negative)."""

from __future__ import annotations

import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.model import UFMInputError
from ufm_sym.numeric import (
    closed_form_global_minimizer,
    hessian_spectrum,
    origin_point,
    smallest_eigenvalues_batched,
    smallest_hessian_eigenvalue,
)
from ufm_sym.numeric.eigen import sign_margin

EIG_TOL = 1e-8  # Lanczos / eigsh vs dense eigh, absolute (values are O(1) or smaller)


def rand_point(p, seed, scale=0.7):
    rng = np.random.default_rng(seed)
    return (scale * rng.standard_normal((p.K, p.d)), scale * rng.standard_normal((p.d, p.N)),
            scale * rng.standard_normal(p.K))


@pytest.mark.parametrize("loss,lb", [("ce", "0.01"), ("ce", "0"), ("mse", "0"), ("mse", "0.3")])
def test_lanczos_and_eigsh_match_dense(loss, lb):
    p = Problem(loss, K=3, n=3, d=4, lambda_W="0.02", lambda_H="0.01", lambda_b=lb)
    x = rand_point(p, 1)
    dense = smallest_hessian_eigenvalue(p, x, method="dense")
    full = smallest_hessian_eigenvalue(p, x, method="lanczos", reorthogonalize="full")
    lean = smallest_hessian_eigenvalue(p, x, method="lanczos", reorthogonalize="none",
                                       maxiter=200)
    arp = smallest_hessian_eigenvalue(p, x, method="eigsh")
    assert dense.method == "dense" and full.method == "lanczos" and lean.method == "lanczos-lean"
    for r in (full, lean, arp):
        assert r.converged
        assert abs(r.value - dense.value) <= EIG_TOL
    # a Ritz value is a Rayleigh quotient: never below the true minimum (up to rounding)
    assert full.value >= dense.value - 1e-12
    assert dense.value == pytest.approx(float(hessian_spectrum(p, x)[0]), abs=1e-13)


def test_auto_uses_lanczos_above_the_dense_limit_and_agrees():
    p = Problem("ce", K=12, n=10, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    x = rand_point(p, 2, scale=0.3)  # 144 + 1440 + 12 = 1596 parameters
    auto = smallest_hessian_eigenvalue(p, x)
    assert auto.method.startswith("lanczos") and auto.n_negative is None
    dense = smallest_hessian_eigenvalue(p, x, method="dense")
    assert abs(auto.value - dense.value) <= EIG_TOL


@pytest.mark.parametrize("loss,lb", [("ce", "0.01"), ("ce", "0"), ("mse", "0"), ("mse", "0.2")])
def test_orbit_zeros_at_a_minimizer_are_not_negative(loss, lb):
    """At a closed-form minimizer: no eigenvalue below -margin, and the rotation orbit
    gives near-zero eigenvalues (dim O(d) - dim O(d - r)) that get no sign."""
    p = Problem(loss, K=4, n=2, lambda_W="5e-3", lambda_H="5e-3", lambda_b=lb)
    x = closed_form_global_minimizer(p)
    lam = smallest_hessian_eigenvalue(p, x, method="dense", keep_spectrum=True)
    assert lam.n_negative == 0 and not lam.is_negative and lam.is_nonnegative
    d = p.d
    r = int(np.linalg.matrix_rank(x[0]))
    orbit = d * (d - 1) // 2 - (d - r) * (d - r - 1) // 2
    assert lam.n_near_zero >= orbit
    assert abs(lam.value) <= lam.margin
    lz = smallest_hessian_eigenvalue(p, x, method="lanczos")
    assert not lz.is_negative and lz.value >= -lz.margin


def test_margin_grows_with_the_gradient_and_keeps_perturbed_orbit_zeros_unsigned():
    """A point 1e-7 away from a minimizer: the orbit eigenvalues move, the margin
    (100 |grad f|) covers them; the count of negatives stays 0."""
    p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    x = closed_form_global_minimizer(p)
    rng = np.random.default_rng(5)
    y = tuple(a + 1e-7 * rng.standard_normal(a.shape) for a in x)
    lam = smallest_hessian_eigenvalue(p, y, method="dense")
    assert lam.grad_norm > 1e-9
    assert lam.margin >= 100 * lam.grad_norm
    assert lam.n_negative == 0 and not lam.is_negative
    assert sign_margin(1.0, 0.0) == 1e-10  # the floor, stated


def test_negative_eigenvalue_at_the_origin_is_certified():
    """Origin with K q < 1: lambda_min = -1/(K sqrt n) + sqrt(lW lH) (per unit direction)."""
    p = Problem("mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b=0)
    x = origin_point(p)
    lam = smallest_hessian_eigenvalue(p, x, method="dense")
    want = -1 / (3 * np.sqrt(2)) + 0.01
    assert lam.value == pytest.approx(want, abs=1e-12)
    assert lam.is_negative and not lam.is_nonnegative
    assert lam.n_negative >= 1 and lam.n_near_zero == 0


def test_lean_lanczos_with_a_start_direction():
    from ufm_sym.numeric import escape_direction

    p = Problem("ce", K=4, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    x = origin_point(p)
    e = escape_direction(p, x)
    r = smallest_hessian_eigenvalue(p, x, method="lanczos", reorthogonalize="none",
                                    start=e.direction)
    d = smallest_hessian_eigenvalue(p, x, method="dense")
    assert abs(r.value - d.value) <= EIG_TOL


def test_batched_smallest_eigenvalues():
    ps = [Problem("ce", K=3, n=2, lambda_W=lw, lambda_H="0.01", lambda_b="0.01")
          for lw in ("0.01", "0.05", "0.2")]
    xs = [rand_point(p, 10 + i) for i, p in enumerate(ps)]
    X = tuple(np.stack(parts) for parts in zip(*xs, strict=True))
    got = smallest_eigenvalues_batched(ps, X)
    for i, p in enumerate(ps):
        assert abs(got[i] - smallest_hessian_eigenvalue(p, xs[i], method="dense").value) <= 1e-12


def test_bad_method_is_bad_input():
    p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01")
    with pytest.raises(UFMInputError, match="unknown eigenvalue method"):
        smallest_hessian_eigenvalue(p, rand_point(p, 0), method="power")
    with pytest.raises(UFMInputError, match="reorthogonalize"):
        smallest_hessian_eigenvalue(p, rand_point(p, 0), method="lanczos",
                                    reorthogonalize="some")


def test_result_is_a_float_with_a_dict():
    p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01")
    lam = smallest_hessian_eigenvalue(p, rand_point(p, 0))
    assert float(lam) == lam.value
    d = lam.to_dict()
    assert {"value", "margin", "method", "n_negative", "n_near_zero"} <= set(d)
