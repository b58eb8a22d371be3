"""The numeric leg of (1.3)/(1.4): the derived gradient and Hessian form against an
independent derivative (PyTorch autograd, or central differences of the objective),
and wrong derivations that it must reject."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from ufm_sym import Problem
from ufm_sym.model import UFMInputError
from ufm_sym.numeric import autodiff
from ufm_sym.numeric.autodiff import (
    TOLERANCES,
    compare_with_derived,
    independent_derivatives,
    objective_numpy,
)
from ufm_sym.numeric.derived import relative_difference
from ufm_sym.numeric.kernels import objective_value
from ufm_sym.symbolic import index_free
from ufm_sym.symbolic.index_free import PAPER_PENALTY_WEIGHTS, derive_index_free

BACKENDS = ["torch", "central-differences"]


def _setup(loss: str, K: int, lambda_b: str, seed: int):
    p = Problem(loss, K=K, n=2, lambda_W="0.02", lambda_H="0.03", lambda_b=lambda_b)
    rng = np.random.default_rng(seed)

    def pt(s: float):
        return (s * rng.normal(size=(K, K)), s * rng.normal(size=(K, p.N)),
                s * rng.normal(size=K))
    return p, pt(0.7), pt(1.0)


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "torch":
        pytest.importorskip("torch")
    return request.param


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_derived_forms_agree_with_an_independent_derivative(loss, backend):
    worst = 0.0
    for K, lb, seed in ((2, "0.01", 0), (3, "0", 1), (4, "0.01", 2)):
        p, x, D = _setup(loss, K, lb, seed)
        c = compare_with_derived(p, x, D, backend=backend)
        assert c.backend == backend and c.tolerance == TOLERANCES[backend]
        assert c.passed, (K, c)
        worst = max(worst, c.worst)
    # the measured agreement is far inside the stated tolerance
    assert worst < TOLERANCES[backend] / 50


def test_the_two_independent_methods_agree():
    pytest.importorskip("torch")
    p, x, D = _setup("ce", 3, "0.01", 3)
    g1, h1, m1 = independent_derivatives(p, x, D, backend="torch")
    g2, h2, m2 = independent_derivatives(p, x, D, backend="central-differences")
    assert "autograd" in m1 and "central differences of order 8" in m2
    assert relative_difference(g2, g1) < 1e-11 and relative_difference(h2, h1) < 1e-9


def test_the_numpy_objective_is_the_kernels_objective():
    for loss in ("ce", "mse"):
        p, x, _ = _setup(loss, 3, "0.01", 4)
        assert abs(objective_numpy(p, *x) - float(objective_value(p, x))) < 1e-14


def test_auto_falls_back_to_central_differences_without_torch(monkeypatch):
    monkeypatch.setattr(autodiff, "_torch_available", lambda: False)
    p, x, D = _setup("mse", 2, "0.01", 5)
    _, _, method = independent_derivatives(p, x, D)
    assert method.startswith("central differences")
    assert compare_with_derived(p, x, D).backend == "central-differences"
    with pytest.raises(UFMInputError, match="needs the optional package 'torch'"):
        independent_derivatives(p, x, D, backend="torch")
    with pytest.raises(UFMInputError, match="unknown backend 'jax'"):
        independent_derivatives(p, x, D, backend="jax")
    with pytest.raises(UFMInputError, match="direction: H has shape"):
        independent_derivatives(p, x, (D[0], D[1][:, :1], D[2]), backend="central-differences")


def _without_factorial(monkeypatch) -> index_free.IndexFreeDerivation:
    """The derivation with ``factorial`` removed from ``_taylor_derivative`` (R''(0) = D2
    instead of 2 D2): the mutant of issue 12 that the float64-vs-mpmath leg missed."""
    def no_factorial(by_degree, k):
        coeffs = by_degree[k] if k < len(by_degree) else {}
        return dict(coeffs)

    monkeypatch.setattr(index_free, "_taylor_derivative", no_factorial)
    return index_free._derive.__wrapped__(tuple(sp.sympify(w) for w in PAPER_PENALTY_WEIGHTS))


def _wrong_derivations(monkeypatch) -> dict[str, index_free.IndexFreeDerivation]:
    D = derive_index_free()
    return {
        "gradient with lambda_W doubled": derive_index_free((1, sp.S.Half, sp.S.Half)),
        "Hessian form missing the factor 2 of <G, D_W D_H>": dataclasses.replace(
            D, hessian_form=D.hessian_form - sp.Trace(D.G.T * D.D_W * D.D_H)),
        "gradient in H without W^T G": dataclasses.replace(
            D, grad_H=D.lambda_H * D.H + D.W.T * D.G * 0),
        "_taylor_derivative without factorial": _without_factorial(monkeypatch),
    }


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_a_wrong_derivation_fails(loss, backend, monkeypatch):
    p, x, D = _setup(loss, 3, "0.01", 6)
    for name, bad in _wrong_derivations(monkeypatch).items():
        c = compare_with_derived(p, x, D, backend=backend, derivation=bad)
        assert not c.passed, f"{name} passed with {c.backend}: worst {c.worst:.2e}"
        assert c.worst > 1e3 * c.tolerance, name
