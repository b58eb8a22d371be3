"""Backends: selection, bad input, and NumPy vs PyTorch parity (float64, 1e-10)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.model import UFMInputError
from ufm_sym.numeric import (
    backend as backend_mod,
)
from ufm_sym.numeric import (
    full_gradient,
    get_backend,
    hessian_bilinear,
    hessian_vector_product,
    objective_value,
    smallest_hessian_eigenvalue,
)
from ufm_sym.numeric.backend import available_backends, backend_of
from ufm_sym.numeric.sampling import sample

PARITY_TOL = 1e-10  # numpy vs torch CPU, relative to max(1, |value|)

try:
    import torch

    HAS_TORCH = True
    HAS_CUDA = bool(torch.cuda.is_available())
except ImportError:  # pragma: no cover - depends on the environment
    HAS_TORCH = False
    HAS_CUDA = False

needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")


def _point(p: Problem, seed: int, scale: float = 0.7):
    rng = np.random.default_rng(seed)
    return (scale * rng.standard_normal((p.K, p.d)), scale * rng.standard_normal((p.d, p.N)),
            scale * rng.standard_normal(p.K))


def _close(a, c, tol=PARITY_TOL):
    a = np.asarray(get_backend("numpy").to_numpy(a))
    c = np.asarray(get_backend("numpy").to_numpy(c))
    return float(np.max(np.abs(a - c))) <= tol * max(1.0, float(np.max(np.abs(c))))


def test_numpy_is_the_default():
    be = get_backend()
    assert (be.name, be.device) == ("numpy", "cpu")
    assert get_backend("numpy", "auto").device == "cpu"
    assert backend_of(np.zeros(2)).name == "numpy"
    assert ("numpy", "cpu") in available_backends()


@pytest.mark.parametrize("name", ["jax", "", "numpyy"])
def test_unknown_backend_is_bad_input(name):
    with pytest.raises(UFMInputError, match="unknown backend"):
        get_backend(name)


def test_unknown_device_is_bad_input():
    with pytest.raises(UFMInputError, match="unknown device"):
        get_backend("numpy", "tpu")


def test_numpy_on_cuda_is_bad_input():
    with pytest.raises(UFMInputError, match="CPU only"):
        get_backend("numpy", "cuda")


def test_cupy_is_gpu_only_or_missing():
    with pytest.raises(UFMInputError, match="GPU only"):
        get_backend("cupy", "cpu")
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(UFMInputError, match="not installed"):
            get_backend("cupy", "cuda")


def test_missing_torch_gives_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    monkeypatch.setattr(backend_mod, "_CACHE", {})
    with pytest.raises(UFMInputError, match="'torch'.*not installed.*pip install torch"):
        get_backend("torch", "cpu")


@needs_torch
@pytest.mark.skipif(HAS_CUDA, reason="a CUDA GPU is present")
def test_cuda_without_gpu_is_bad_input():
    with pytest.raises(UFMInputError, match="no CUDA GPU"):
        get_backend("torch", "cuda")
    assert get_backend("torch", "auto").device == "cpu"


@needs_torch
@pytest.mark.parametrize("loss,lb,d", [("ce", "0.01", None), ("ce", "0", 5), ("mse", "0", None),
                                        ("mse", "0.1", 4)])
def test_numpy_torch_parity(loss, lb, d):
    p = Problem(loss, K=3, n=2, d=d, lambda_W="0.01", lambda_H="0.02", lambda_b=lb)
    x, v = _point(p, 1), _point(p, 2)
    be = get_backend("torch", "cpu")
    xt, vt = [be.asarray(a) for a in x], [be.asarray(a) for a in v]
    assert _close(objective_value(p, xt), objective_value(p, x))
    for a, c in zip(full_gradient(p, xt), full_gradient(p, x), strict=True):
        assert isinstance(a, torch.Tensor)
        assert _close(a, c)
    for a, c in zip(hessian_vector_product(p, xt, vt), hessian_vector_product(p, x, v),
                    strict=True):
        assert _close(a, c)
    assert _close(hessian_bilinear(p, xt, vt), hessian_bilinear(p, x, v))
    for method in ("dense", "lanczos"):
        lt = smallest_hessian_eigenvalue(p, xt, method=method)
        ln = smallest_hessian_eigenvalue(p, x, method=method)
        assert abs(lt.value - ln.value) <= 1e-9 * max(1.0, abs(ln.value))  # stated: 1e-9


@needs_torch
def test_sampling_parity_numpy_torch():
    p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    a = sample(p, ("global", "origin"), count=1, seed=3, backend="numpy")
    c = sample(p, ("global", "origin"), count=1, seed=3, backend="torch")
    for ra, rc in zip(a, c, strict=True):
        assert ra.passed and rc.passed
        for key in ("objective", "grad_g_norm", "lambda_min", "balance_residual"):
            assert abs(ra.numbers[key] - rc.numbers[key]) <= PARITY_TOL


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU")
def test_cuda_parity():  # pragma: no cover - needs a GPU
    p = Problem("ce", K=4, n=3, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    x, v = _point(p, 1), _point(p, 2)
    be = get_backend("torch", "cuda")
    xt, vt = [be.asarray(a) for a in x], [be.asarray(a) for a in v]
    for a, c in zip(hessian_vector_product(p, xt, vt), hessian_vector_product(p, x, v),
                    strict=True):
        assert a.device.type == "cuda"
        assert _close(a, c)
    lt = smallest_hessian_eigenvalue(p, xt, method="lanczos")
    ln = smallest_hessian_eigenvalue(p, x, method="dense")
    assert abs(lt.value - ln.value) <= 1e-8
