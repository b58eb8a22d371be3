"""The numeric path on a CUDA GPU through the same backend interface as on the CPU:
kernels, the derived forms, Lanczos and the sample command agree with NumPy.  Skipped
cleanly without a GPU (CI); run on a GPU machine with ``python -m pytest -m gpu``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ufm_sym import Problem

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")]

#: float64 on the GPU against float64 on the CPU: relative agreement
TOL = 1e-11


def _point(p, seed, scale=0.3):
    rng = np.random.default_rng(seed)
    return (scale * rng.standard_normal((p.K, p.d)), scale * rng.standard_normal((p.d, p.N)),
            scale * rng.standard_normal(p.K))


def _rel(a, b):
    a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = np.asarray(b.detach().cpu().numpy() if hasattr(b, "detach") else b)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_kernels_and_derived_forms_on_cuda(loss):  # pragma: no cover - needs a GPU
    from ufm_sym.numeric import hessian_vector_product
    from ufm_sym.numeric.backend import get_backend
    from ufm_sym.numeric.derived import DerivedAt

    p = Problem(loss, K=8, n=4, lambda_W="0.01", lambda_H="0.02", lambda_b="0.01")
    x, v = _point(p, 1), _point(p, 2)
    be = get_backend("torch", "cuda")
    xt, vt = [be.asarray(a) for a in x], [be.asarray(a) for a in v]
    for a, c in zip(hessian_vector_product(p, xt, vt), hessian_vector_product(p, x, v),
                    strict=True):
        assert a.device.type == "cuda" and _rel(a, c) <= TOL
    on_gpu = DerivedAt(p, xt).hessian_form(vt)
    on_cpu = DerivedAt(p, x).hessian_form(v)
    assert abs(float(on_gpu) - float(on_cpu)) <= TOL * max(1.0, abs(float(on_cpu)))


def test_lanczos_on_cuda_matches_dense():  # pragma: no cover - needs a GPU
    from ufm_sym.numeric import smallest_hessian_eigenvalue
    from ufm_sym.numeric.backend import get_backend

    p = Problem("ce", K=12, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    x = _point(p, 3)
    be = get_backend("torch", "cuda")
    lt = smallest_hessian_eigenvalue(p, [be.asarray(a) for a in x], method="lanczos")
    ln = smallest_hessian_eigenvalue(p, x, method="dense")
    assert abs(lt.value - ln.value) <= 1e-8


def test_sample_command_on_cuda():  # pragma: no cover - needs a GPU
    cmd = [sys.executable, "-m", "ufm_sym.cli", "sample", "--loss", "ce", "--K", "10",
           "--n", "2", "--count", "1", "--backend", "torch", "--device", "cuda", "--json"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                         env=dict(os.environ))
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    records = out["samples"] if isinstance(out, dict) and "samples" in out else out
    assert records and all(r["passed"] for r in records)
