"""Float64 kernels: objective, gradient, Hessian-vector product (3.9)/(4.18).

Cross-checked against central finite differences, an independent SymPy Hessian and
PyTorch autograd double backward (skipped without torch).  Each check states its
tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from ufm_sym import Problem
from ufm_sym.model import UFMInputError
from ufm_sym.numeric import (
    HessianOperator,
    dense_hessians,
    full_gradient,
    hessian_bilinear,
    hessian_vector_product,
    objective_value,
)
from ufm_sym.numeric.kernels import Spec, hvp_state, point_state

PROBLEMS = [
    Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.02", lambda_b="0.03"),
    Problem("ce", K=4, n=1, d=6, lambda_W="0.05", lambda_H="0.01", lambda_b=0),
    Problem("mse", K=3, n=2, lambda_W="0.01", lambda_H="0.02", lambda_b=0),
    Problem("mse", K=2, n=3, d=3, lambda_W="0.1", lambda_H="0.2", lambda_b="0.5"),
]
IDS = [f"{p.loss}-K{p.K}-d{p.d}-lb{p.lambda_b}" for p in PROBLEMS]


def rand_point(p: Problem, seed: int, scale: float = 0.7):
    rng = np.random.default_rng(seed)
    return (scale * rng.standard_normal((p.K, p.d)), scale * rng.standard_normal((p.d, p.N)),
            scale * rng.standard_normal(p.K))


def shifted(x, v, t):
    return tuple(a + t * c for a, c in zip(x, v, strict=True))


def flat(parts):
    return np.concatenate([np.ravel(a) for a in parts])


@pytest.mark.parametrize("p", PROBLEMS, ids=IDS)
def test_gradient_vs_central_differences(p):
    """Directional derivative: relative error <= 1e-7 (step 1e-5, error ~ h^2)."""
    x, v = rand_point(p, 0), rand_point(p, 1)
    h = 1e-5
    fd = (float(objective_value(p, shifted(x, v, h)))
          - float(objective_value(p, shifted(x, v, -h)))) / (2 * h)
    an = float(np.dot(flat(full_gradient(p, x)), flat(v)))
    assert abs(fd - an) <= 1e-7 * max(1.0, abs(an))


@pytest.mark.parametrize("p", PROBLEMS, ids=IDS)
def test_hvp_vs_central_differences_of_the_gradient(p):
    """Hess v vs (grad(x + h v) - grad(x - h v))/2h: max error <= 1e-6 relative."""
    x, v = rand_point(p, 2), rand_point(p, 3)
    h = 1e-5
    fd = (flat(full_gradient(p, shifted(x, v, h)))
          - flat(full_gradient(p, shifted(x, v, -h)))) / (2 * h)
    hv = flat(hessian_vector_product(p, x, v))
    assert np.max(np.abs(fd - hv)) <= 1e-6 * max(1.0, np.max(np.abs(hv)))


@pytest.mark.parametrize("p", PROBLEMS, ids=IDS)
def test_bilinear_form_is_the_quadratic_form_of_the_hvp(p):
    """(3.9)/(4.18) coded apart from the HVP: <v, Hv> = form(v) to 1e-12 relative,
    and the second difference of f agrees to 1e-6."""
    x, v = rand_point(p, 4), rand_point(p, 5)
    q = float(hessian_bilinear(p, x, v))
    vhv = float(np.dot(flat(hessian_vector_product(p, x, v)), flat(v)))
    assert abs(q - vhv) <= 1e-12 * max(1.0, abs(q))
    t = 1e-4
    f = [float(objective_value(p, shifted(x, v, s))) for s in (t, 0.0, -t)]
    assert abs((f[0] - 2 * f[1] + f[2]) / t ** 2 - q) <= 1e-6 * max(1.0, abs(q))


@pytest.mark.parametrize("p", PROBLEMS, ids=IDS)
def test_assembled_hessian_is_symmetric(p):
    """The unsymmetrised matrix of unit-vector products: asymmetry <= 1e-13 relative."""
    op = HessianOperator(p, rand_point(p, 6))
    E = np.eye(op.size)
    A = op.join(hvp_state(op.state, *op.split(E)))
    assert np.max(np.abs(A - A.T)) <= 1e-13 * max(1.0, np.max(np.abs(A)))


@pytest.mark.parametrize("p", PROBLEMS[:3], ids=IDS[:3])
def test_chunked_streaming_product_matches_dense(p):
    """matvec_into over column blocks (out <- A v - beta out) vs the dense matrix: 1e-12."""
    x = rand_point(p, 7)
    A = HessianOperator(p, x).dense()
    rng = np.random.default_rng(8)
    for chunk, store in ((1, None), (2, True), (2, False), (p.N - 1, False)):
        op = HessianOperator(p, x, chunk=chunk, store_gradient=store)
        v, out = rng.standard_normal(op.size), rng.standard_normal(op.size)
        want = A @ v - 0.3 * out
        op.matvec_into(v, out, 0.3)
        assert np.max(np.abs(out - want)) <= 1e-12 * max(1.0, np.max(np.abs(want)))
        assert abs(op.gradient_norm() - np.linalg.norm(op.gradient())) <= 1e-12


def test_batched_over_problems_and_directions():
    """Leading batch axes: a batch of problems (lambdas as arrays) and of directions,
    equal to one-by-one evaluation to 1e-14."""
    ps = [Problem("ce", K=3, n=2, lambda_W=lw, lambda_H="0.01", lambda_b=lb)
          for lw, lb in (("0.01", "0"), ("0.1", "0.2"), ("0.03", "0.01"))]
    xs = [rand_point(p, 10 + i) for i, p in enumerate(ps)]
    vs = [rand_point(p, 20 + i) for i, p in enumerate(ps)]
    X = tuple(np.stack(parts) for parts in zip(*xs, strict=True))
    V = tuple(np.stack(parts) for parts in zip(*vs, strict=True))
    fb = objective_value(ps, X)
    hb = hessian_vector_product(ps, X, V)
    for i, p in enumerate(ps):
        assert abs(float(fb[i]) - float(objective_value(p, xs[i]))) <= 1e-14
        for a, c in zip(hb, hessian_vector_product(p, xs[i], vs[i]), strict=True):
            assert np.max(np.abs(a[i] - c)) <= 1e-14
    A = dense_hessians(ps, X)
    for i, p in enumerate(ps):
        assert np.max(np.abs(A[i] - HessianOperator(p, xs[i]).dense())) <= 1e-14


def test_bad_points_are_bad_input():
    p = PROBLEMS[0]
    W, H, b = rand_point(p, 0)
    with pytest.raises(UFMInputError, match="W has shape"):
        hessian_vector_product(p, (W.T[:2], H, b), (W, H, b))
    with pytest.raises(UFMInputError, match="direction: H has shape"):
        hessian_vector_product(p, (W, H, b), (W, H[:, :-1], b))
    bad = H.copy()
    bad[0, 0] = np.nan
    with pytest.raises(UFMInputError, match="non-finite"):
        objective_value(p, (W, bad, b))
    with pytest.raises(UFMInputError, match="triple"):
        objective_value(p, (W, H))
    with pytest.raises(UFMInputError, match="one loss and one shape"):
        Spec.from_problems([p, PROBLEMS[2]])
    # b as a K x 1 column is accepted
    assert np.isfinite(float(objective_value(p, (W, H, b[:, None]))))


# --------------------------------------------------------------- SymPy cross-check
def _sympy_hessian(p: Problem):
    """An independent SymPy objective of (1.3)/(1.4) and its exact Hessian (small sizes)."""
    K, d, N = p.K, p.d, p.N
    W = sp.Matrix(K, d, lambda i, j: sp.Symbol(f"w{i}{j}"))
    H = sp.Matrix(d, N, lambda i, j: sp.Symbol(f"h{i}{j}"))
    b = sp.Matrix(K, 1, lambda i, j: sp.Symbol(f"b{i}"))
    R = W * H + b * sp.ones(1, N)
    if p.loss == "ce":
        g = sum(sp.log(sum(sp.exp(R[k, j]) for k in range(K))) - R[j // p.n, j]
                for j in range(N)) / N
    else:
        g = sum((R[k, j] - (1 if j // p.n == k else 0)) ** 2
                for k in range(K) for j in range(N)) / (2 * N)
    f = g + (p.lambda_W * sum(w ** 2 for w in W) + p.lambda_H * sum(h ** 2 for h in H)
             + p.lambda_b * sum(x ** 2 for x in b)) / 2
    syms = list(W) + list(H) + list(b)
    return syms, sp.lambdify(syms, sp.hessian(f, syms), "numpy")


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_dense_hessian_vs_sympy(loss):
    """The closed-form Hessian vs SymPy's exact Hessian, K = d = 2, n = 1: 1e-12."""
    p = Problem(loss, K=2, n=1, lambda_W="0.03", lambda_H="0.02", lambda_b="0.01")
    syms, hess = _sympy_hessian(p)
    x = rand_point(p, 30)
    ref = np.array(hess(*flat(x)), dtype=float)
    A = HessianOperator(p, x).dense()
    assert np.max(np.abs(A - ref)) <= 1e-12 * max(1.0, np.max(np.abs(ref)))


# --------------------------------------------------------------- PyTorch autograd
def _torch_objective(p: Problem):
    import torch

    labels = torch.arange(p.K).repeat_interleave(p.n)
    Y = torch.nn.functional.one_hot(labels, p.K).T.double()
    lw, lh, lb = p.float_lambdas()

    def f(W, H, b):
        R = W @ H + b[:, None]
        g = (torch.nn.functional.cross_entropy(R.T, labels) if p.loss == "ce"
             else 0.5 * ((R - Y) ** 2).sum() / p.N)
        return g + 0.5 * (lw * (W * W).sum() + lh * (H * H).sum() + lb * (b * b).sum())

    return f


@pytest.mark.parametrize("p", PROBLEMS, ids=IDS)
def test_hvp_vs_torch_double_backward(p):
    """Closed form (numpy and torch backends) vs autograd double backward of an
    objective written with torch's own losses: max error <= 1e-12 relative."""
    torch = pytest.importorskip("torch")
    x, v = rand_point(p, 40), rand_point(p, 41)
    params = [torch.tensor(a, requires_grad=True) for a in x]
    f = _torch_objective(p)
    grads = torch.autograd.grad(f(*params), params, create_graph=True)
    s = sum((g * torch.tensor(c)).sum() for g, c in zip(grads, v, strict=True))
    ref = [t.detach().numpy() for t in torch.autograd.grad(s, params)]
    scale = max(1.0, max(float(np.max(np.abs(r))) for r in ref))
    for got in (hessian_vector_product(p, x, v),
                [t.numpy() for t in hessian_vector_product(
                    p, [torch.tensor(a) for a in x], [torch.tensor(a) for a in v])]):
        assert max(float(np.max(np.abs(a - r))) for a, r in zip(got, ref, strict=True)) \
            <= 1e-12 * scale
    assert abs(float(f(*[torch.tensor(a) for a in x])) - float(objective_value(p, x))) <= 1e-13
    # gradient too
    gref = [t.detach().numpy() for t in torch.autograd.grad(f(*params), params)]
    for a, r in zip(full_gradient(p, x), gref, strict=True):
        assert np.max(np.abs(a - r)) <= 1e-13


def test_point_state_reuse_is_consistent():
    p = PROBLEMS[0]
    x = rand_point(p, 50)
    st = point_state(Spec.from_problem(p), *x)
    v = rand_point(p, 51)
    for a, c in zip(hvp_state(st, *v), hessian_vector_product(p, x, v), strict=True):
        assert np.array_equal(a, c)


def test_points_from_lists_strings_mpmath_and_sympy():
    """POINT.json-style decimal strings, mpmath and SymPy matrices are accepted."""
    import mpmath

    p = Problem("ce", K=2, n=1, lambda_W=1, lambda_H=1)
    ref = float(objective_value(p, (np.eye(2), np.eye(2), np.array([0.0, 0.5]))))
    for pt in ((mpmath.matrix([[1, 0], [0, 1]]), sp.Matrix([[1, 0], [0, 1]]), [["0"], ["0.5"]]),
               ([["1", "0"], ["0", "1"]], np.eye(2), mpmath.matrix([0, 0.5]))):
        assert float(objective_value(p, pt)) == pytest.approx(ref, abs=1e-15)
    with pytest.raises(UFMInputError, match="not a real float64 array"):
        objective_value(p, (["a"], [[1]], [1]))
