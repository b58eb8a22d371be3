"""ufm_sym.highprec.linalg: spectral helpers at high precision."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.closed_form import global_minimizer
from ufm_sym.highprec.evaluate import grad_g, hessian_matrix, residual_R
from ufm_sym.highprec.linalg import (
    eigenvalue_enclosures,
    null_vector,
    numerical_rank,
    singular_values,
    spectral_norm,
    svd,
    symmetric_eig,
    symmetric_eigenvalues,
)

EPS40 = mpmath.mpf(10) ** -40


def _rand(m, n, seed):
    rng = np.random.default_rng(seed)
    return mpmath.matrix(rng.normal(size=(m, n)).tolist())


def test_svd_reconstructs_and_matches_numpy():
    A = _rand(3, 7, 0)
    with mpmath.workdps(50):
        U, S, Vt = svd(A)
        assert mpmath.mnorm(U * mpmath.diag(S) * Vt - A, 1) < EPS40
        assert S == sorted(S, reverse=True)
    np_s = np.linalg.svd(np.array(A.tolist(), dtype=float), compute_uv=False)
    assert np.allclose([float(s) for s in singular_values(A, dps=50)], np_s, rtol=1e-13)
    assert abs(float(spectral_norm(A, dps=50)) - np_s[0]) < 1e-13


def test_symmetric_eigenvalues_mpmath_and_flint_agree():
    B = _rand(30, 30, 1)
    A = B + B.T
    with mpmath.workdps(50):
        e1 = symmetric_eigenvalues(A, method="mpmath")
        e2 = symmetric_eigenvalues(A, method="flint")
        assert max(abs(a - b) for a, b in zip(e1, e2, strict=True)) < EPS40
        E, Q = symmetric_eig(A, method="flint")
        k = 3
        col = Q[:, k]
        assert mpmath.norm(A * col - E[k] * col) < EPS40
    with pytest.raises(ValueError, match="unknown method"):
        symmetric_eig(A, method="lapack")


def test_eigenvalue_enclosures_contain_eigenvalues():
    B = _rand(6, 6, 2)
    A = B + B.T
    with mpmath.workdps(40):
        ev = symmetric_eigenvalues(A, method="mpmath")
        enc = eigenvalue_enclosures(A)
        for e, (lo, hi) in zip(ev, enc, strict=True):
            assert lo - mpmath.mpf(10) ** -35 <= e <= hi + mpmath.mpf(10) ** -35
            assert hi - lo < mpmath.mpf(10) ** -30


def test_null_vector_and_rank_at_closed_form_minimizers():
    # CE: rank W = K - 1 (Lemma 3.1) and W 1/sqrt(K) = 0
    p = Problem(loss="ce", K=4, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    W, H, b = global_minimizer(p, dps=60)
    with mpmath.workdps(60):
        a, res = null_vector(W, tol=mpmath.mpf(10) ** -50)
        assert res < mpmath.mpf(10) ** -50
        assert abs(abs(a[0]) - 1 / mpmath.sqrt(4)) < mpmath.mpf(10) ** -45
        assert numerical_rank(W, rtol=mpmath.mpf(10) ** -40) == 3
        assert numerical_rank(H, rtol=mpmath.mpf(10) ** -40) == 3
        # spectral criterion with equality: ||grad g|| = sqrt(lW lH)
        G = grad_g(p, residual_R(p, (W, H, b)))
        assert abs(spectral_norm(G) - mpmath.mpf("0.01")) < mpmath.mpf(10) ** -50
    # MSE regime C: full rank K, no null vector
    q = Problem(loss="mse", K=4, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.1")
    W, H, b = global_minimizer(q, dps=60)
    with mpmath.workdps(60):
        assert numerical_rank(W, rtol=mpmath.mpf(10) ** -40) == 4
        with pytest.raises(ValueError, match="null_vector"):
            null_vector(W, tol=mpmath.mpf(10) ** -40)


def test_hessian_has_orbit_null_space_at_minimizer():
    """Remark R1: zero Hessian eigenvalues along the orbit (W Q, Q^T H).  CE, K = d = 3,
    rank W = 2: the stabilizer is trivial, so the orbit has dimension d(d-1)/2 = 3."""
    p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    x = global_minimizer(p, dps=50)
    with mpmath.workdps(50):
        ev = symmetric_eigenvalues(hessian_matrix(p, x), method="flint")
        tiny = [e for e in ev if abs(e) < mpmath.mpf(10) ** -40]
        assert len(tiny) == 3
        assert min(ev) > -mpmath.mpf(10) ** -40
