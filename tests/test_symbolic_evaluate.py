"""Evaluating the derived expressions numerically: NumPy vs mpmath, and against finite
differences of the real objective (an independent check of (3.2), (3.3), (3.9))."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from ufm_sym.symbolic import (
    EvaluationError,
    HessianG,
    UnsupportedExpressionError,
    derive_index_free,
    evaluate_matrix_expr,
    frobenius_norm,
    lambdify_gradients,
    lambdify_hessian_form,
)

D = derive_index_free()
K, d, n = 3, 3, 2
N = n * K
Y = np.kron(np.eye(K), np.ones((1, n)))
LAMBDAS = (0.03, 0.02, 0.01)


def _point(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(K, d)), rng.normal(size=(d, N)), rng.normal(size=K),
            rng.normal(size=(K, d)), rng.normal(size=(d, N)), rng.normal(size=K))


def _softmax(R):
    E = np.exp(R - R.max(axis=0))
    return E / E.sum(axis=0)


def _f(loss, W, H, b):
    R = W @ H + b[:, None]
    if loss == "ce":
        Rs = R - R.max(axis=0)
        g = np.mean(np.log(np.exp(Rs).sum(axis=0)) - (Rs * Y).sum(axis=0))
    else:
        g = np.sum((R - Y) ** 2) / (2 * N)
    lw, lh, lb = LAMBDAS
    return g + lw / 2 * np.sum(W**2) + lh / 2 * np.sum(H**2) + lb / 2 * np.sum(b**2)


def _grad_g(loss, R):
    return (_softmax(R) - Y) / N if loss == "ce" else (R - Y) / N


def _hess_g(loss, R):
    if loss == "mse":
        return lambda A, B: float(np.sum(A * B)) / N
    P = _softmax(R)
    return lambda A, B: float(np.sum(P * A * B) - np.sum((P * A).sum(0) * (P * B).sum(0))) / N


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_derived_gradient_matches_finite_differences(loss):
    W, H, b, dW, dH, db = _point(1)
    G = _grad_g(loss, W @ H + b[:, None])
    grads = lambdify_gradients()(W, H, b, G, *LAMBDAS)
    h = 1e-6
    fd = (_f(loss, W + h * dW, H + h * dH, b + h * db)
          - _f(loss, W - h * dW, H - h * dH, b - h * db)) / (2 * h)
    directional = (np.sum(grads["W"] * dW) + np.sum(grads["H"] * dH)
                   + np.sum(grads["b"].ravel() * db))
    assert directional == pytest.approx(fd, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_derived_hessian_form_matches_second_difference(loss):
    W, H, b, dW, dH, db = _point(2)
    R = W @ H + b[:, None]
    q = lambdify_hessian_form()(W, H, b, _grad_g(loss, R), dW, dH, db, *LAMBDAS,
                                hess_g=_hess_g(loss, R))
    h = 1e-4
    fd = (_f(loss, W + h * dW, H + h * dH, b + h * db) - 2 * _f(loss, W, H, b)
          + _f(loss, W - h * dW, H - h * dH, b - h * db)) / h**2
    assert q == pytest.approx(fd, rel=1e-5, abs=1e-7)


def test_numpy_and_mpmath_agree():
    W, H, b, dW, dH, db = _point(3)
    G = _grad_g("ce", W @ H + b[:, None])
    env = {"W": W, "H": H, "b": b, "G": G, "D_W": dW, "D_H": dH, "D_b": db,
           "lambda_W": LAMBDAS[0], "lambda_H": LAMBDAS[1], "lambda_b": LAMBDAS[2]}
    mp_env = {k: (mpmath.matrix(v.tolist()) if isinstance(v, np.ndarray) else mpmath.mpf(v))
              for k, v in env.items()}

    def hess_np(A, B):
        return float(np.sum(A * B))

    def hess_mp(A, B):
        return mpmath.fsum(A[i, j] * B[i, j] for i in range(A.rows) for j in range(A.cols))

    with mpmath.workdps(40):
        for name in ("grad_W", "grad_H", "grad_b"):
            a = evaluate_matrix_expr(getattr(D, name), env, "numpy")
            m = evaluate_matrix_expr(getattr(D, name), mp_env, "mpmath")
            assert isinstance(m, mpmath.matrix)
            assert np.allclose(a, np.array(m.tolist(), dtype=float), rtol=1e-13, atol=1e-15)
        qa = evaluate_matrix_expr(D.hessian_form, env, "numpy", hess_g=hess_np)
        qm = evaluate_matrix_expr(D.hessian_form, mp_env, "mpmath", hess_g=hess_mp)
        assert isinstance(qm, mpmath.mpf)
        assert float(qm) == pytest.approx(qa, rel=1e-12)


def test_mpmath_keeps_high_precision():
    with mpmath.workdps(50):
        third = mpmath.mpf(1) / 3
        out = evaluate_matrix_expr(D.lambda_W * D.W, {"W": mpmath.matrix([[third]]),
                                                      "lambda_W": "3"}, "mpmath")
        assert abs(out[0, 0] - 1) < mpmath.mpf(10) ** -48


def test_sympy_backend_keeps_symbols():
    x = sp.Symbol("x")
    out = evaluate_matrix_expr(D.grad_b, {"G": sp.Matrix([[x, 1], [2, 3]]), "b": [1, 1]},
                               "sympy")
    assert out == sp.Matrix([[x + 1 + D.lambda_b], [5 + D.lambda_b]])


def test_sizes_inferred_and_ones_filled():
    A = sp.MatrixSymbol("A", D.K, D.N)
    out = evaluate_matrix_expr(A * D.ones_N + sp.Identity(D.K) * A * sp.OneMatrix(D.N, 1),
                               {"A": np.arange(6.0).reshape(2, 3)})
    assert out.shape == (2, 1) and np.allclose(out.ravel(), [6, 24])
    assert evaluate_matrix_expr(sp.Trace(sp.Identity(D.N)), {"N": 4}) == 4.0
    z = evaluate_matrix_expr(sp.ZeroMatrix(D.K, 1) + D.b, {"b": np.ones(2)})
    assert np.allclose(z, 1)


def test_frobenius_norm_and_pow():
    A = sp.MatrixSymbol("A", 2, 2)
    val = evaluate_matrix_expr(frobenius_norm(A) ** 2 + sp.Trace(A**2),
                               {"A": [[1.0, 2.0], [3.0, 4.0]]})
    assert val == pytest.approx(30 + 29)


def test_errors():
    with pytest.raises(UnsupportedExpressionError, match="KroneckerProduct"):
        evaluate_matrix_expr(sp.KroneckerProduct(D.W, D.W), {"W": np.eye(2)})
    with pytest.raises(EvaluationError, match="H: no value"):
        evaluate_matrix_expr(D.W * D.H, {"W": np.eye(2)})
    with pytest.raises(EvaluationError, match="does not match"):
        evaluate_matrix_expr(D.W * D.H, {"W": np.eye(2), "H": np.ones((3, 4))})
    with pytest.raises(EvaluationError, match="backend"):
        evaluate_matrix_expr(D.W, {"W": np.eye(2)}, backend="torch")
    with pytest.raises(EvaluationError, match="hess_g"):
        evaluate_matrix_expr(HessianG(D.W), {"W": np.eye(2)})
    with pytest.raises(EvaluationError, match="lambda_W: no value"):
        evaluate_matrix_expr(D.grad_W, {"W": np.eye(2), "H": np.eye(2), "G": np.eye(2)})


def test_array_backend_keeps_the_library_and_device():
    """``"array"``: the matrices stay in their array library (PyTorch here), float64."""
    torch = pytest.importorskip("torch")
    env = {"W": torch.eye(2, dtype=torch.float64), "H": torch.ones((2, 4), dtype=torch.float64),
           "b": torch.zeros(2, dtype=torch.float64),
           "G": torch.full((2, 4), 0.5, dtype=torch.float64),
           "lambda_W": 0.1, "lambda_H": 0.2, "lambda_b": 0.0}
    out = evaluate_matrix_expr(D.grad_W + D.grad_b * sp.OneMatrix(1, 2), env, backend="array")
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    want = evaluate_matrix_expr(D.grad_W + D.grad_b * sp.OneMatrix(1, 2),
                                {k: (v.numpy() if hasattr(v, "numpy") else v)
                                 for k, v in env.items()})
    assert np.allclose(out.numpy(), want)
    tr = evaluate_matrix_expr(sp.Trace(D.W.T * D.W) + frobenius_norm(D.W), env, backend="array")
    assert float(tr) == pytest.approx(2 + 2 ** 0.5)
    with pytest.raises(EvaluationError, match="needs at least one array"):
        evaluate_matrix_expr(D.lambda_W, {"lambda_W": 1.0}, backend="array")


def test_mpmath_svd_is_retried_with_guard_digits_where_it_does_not_converge(monkeypatch):
    """mpmath's svd_r can fail to converge on repeated singular values (t Q, Q orthogonal);
    the evaluator's spectral functionals retry it with guard digits."""
    from ufm_sym.facts.sampling import orthonormal
    from ufm_sym.symbolic.evaluate import mp_svd_r
    from ufm_sym.symbolic.functions import NuclearNorm, NullSpaceProjector, SpectralNorm

    rng = np.random.default_rng(134)
    with mpmath.workdps(30):  # a case where mpmath 1.3's svd_r itself raises
        Q = orthonormal(rng, 4, 4) * mpmath.mpf(float(rng.uniform(0.1, 10)))
        s = mp_svd_r(Q, compute_uv=False)
        A = sp.MatrixSymbol("A", 4, 4)
        norm = evaluate_matrix_expr(SpectralNorm(A), {"A": Q}, backend="mpmath")
        assert all(abs(s[i] - norm) < mpmath.mpf(10) ** -25 for i in range(4)) and norm > 0
    real = mpmath.svd_r
    calls: list[int] = []

    def flaky(M, **kw):  # fails at the working precision, converges with guard digits
        calls.append(mpmath.mp.dps)
        if mpmath.mp.dps == 30:
            raise RuntimeError("svd: no convergence")
        return real(M, **kw)

    monkeypatch.setattr(mpmath, "svd_r", flaky)
    with mpmath.workdps(30):
        M = mpmath.matrix([[3, 0], [4, 5]])
        B = sp.MatrixSymbol("B", 2, 2)
        nuc = evaluate_matrix_expr(NuclearNorm(B), {"B": M}, backend="mpmath")
        assert abs(nuc - (mpmath.sqrt(45) + mpmath.sqrt(5))) < mpmath.mpf(10) ** -28
        P = evaluate_matrix_expr(NullSpaceProjector(B), {"B": M}, backend="mpmath")
        assert mpmath.mnorm(P, "f") == 0 and calls[:2] == [30, 40]
    with mpmath.workdps(30), pytest.raises(RuntimeError):
        monkeypatch.setattr(mpmath, "svd_r", lambda M, **kw: (_ for _ in ()).throw(
            RuntimeError("svd: no convergence")))
        mp_svd_r(M, compute_uv=False)
