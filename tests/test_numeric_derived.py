"""The float64 kernels (ufm_sym.numeric.kernels) and the escape curvature
(ufm_sym.numeric.escape) against the derived forms (ufm_sym.numeric.derived), and
mutated kernels that the cross-check must catch.

Tolerance: 1e-12 relative (``max |kernel - derived| / max(1, max |derived|)``); the
measured disagreement of the sound kernels is about 1e-15.  The mutants wrap the
kernels' public functions (the kernels' internals are being optimised elsewhere, so
the mutants do not depend on their source text).
"""

from __future__ import annotations

import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.model import UFMInputError
from ufm_sym.numeric import escape, kernels
from ufm_sym.numeric.closed_forms import closed_form_global_minimizer, origin_point
from ufm_sym.numeric.derived import (
    FAST_PATHS,
    DerivedAt,
    derived_gradient,
    derived_hessian_form,
    derived_hessian_vector_product,
    escape_disagreement,
    fast_path_disagreements,
    relative_difference,
)

TOL = 1e-12


def _problem(loss: str, K: int, lambda_b: str) -> Problem:
    return Problem(loss, K=K, n=2, lambda_W="0.03", lambda_H="0.05", lambda_b=lambda_b)


def _random(p: Problem, rng: np.random.Generator, scale: float = 1.0):
    return (scale * rng.normal(size=(p.K, p.d)), scale * rng.normal(size=(p.d, p.N)),
            scale * rng.normal(size=p.K))


def _setup(loss: str, K: int, lambda_b: str, seed: int = 0):
    p = _problem(loss, K, lambda_b)
    rng = np.random.default_rng(seed + 11 * K)
    return p, _random(p, rng, 0.8), _random(p, rng), _random(p, rng)


@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("K", [2, 3, 4])
@pytest.mark.parametrize("lambda_b", ["0", "0.02"])
def test_every_kernel_agrees_with_the_derived_form(loss, K, lambda_b):
    for seed in range(3):  # three random points and directions per setting
        p, x, D, E = _setup(loss, K, lambda_b, seed)
        errs = fast_path_disagreements(p, x, D, E)
        assert set(errs) == set(FAST_PATHS)
        assert max(errs.values()) <= TOL, errs


def test_kernels_agree_on_torch_too():
    torch = pytest.importorskip("torch")
    for loss in ("ce", "mse"):
        p, x, D, E = _setup(loss, 3, "0.02")
        tx, tD, tE = ([torch.tensor(a, dtype=torch.float64) for a in t] for t in (x, D, E))
        errs = fast_path_disagreements(p, tx, tD, tE)
        assert max(errs.values()) <= TOL, errs
        at = DerivedAt(p, tx)
        assert at.backend.name == "torch" and isinstance(at.gradient()[0], torch.Tensor)
        # and the torch derived values equal the NumPy derived values
        assert relative_difference(at.hessian_vector_product(tD),
                                   derived_hessian_vector_product(p, x, D)) <= TOL


def test_kernels_agree_at_critical_points():
    for loss in ("ce", "mse"):
        p = _problem(loss, 3, "0.02")
        rng = np.random.default_rng(2)
        for x in (closed_form_global_minimizer(p), origin_point(p)):
            errs = fast_path_disagreements(p, x, _random(p, rng), _random(p, rng))
            assert max(errs.values()) <= TOL, errs


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_the_escape_curvature_agrees_with_the_derived_form(loss):
    """At saddles (the origin) and at random points with a null vector of W (rank W < d
    for MSE), for K = d in {2, 3, 4}, lambda_b = 0 and > 0."""
    for K in (2, 3, 4):
        for lb in ("0", "0.02"):
            p = _problem(loss, K, lb)
            rng = np.random.default_rng(K)
            W, H, b = _random(p, rng, 0.8)
            W[:, -1] = 0.0  # rank W < d: a unit null vector exists
            for x in (origin_point(p), (W, H, b)):
                errs = escape_disagreement(p, x)
                assert max(errs.values()) <= TOL, (K, lb, errs)
                if loss == "mse":
                    assert "rotated_curvature" in errs


def test_public_functions_and_bad_input():
    p, x, D, E = _setup("ce", 2, "0.02")
    at = DerivedAt(p, x)
    assert relative_difference(derived_gradient(p, x), at.gradient()) == 0
    assert derived_hessian_form(p, x, D, E) == at.hessian_form(D, E)
    with pytest.raises(UFMInputError, match="direction: H has shape"):
        at.hessian_form((D[0], D[1][:, :1], D[2]))
    huge = (x[0], x[1], np.full(p.K, 1e3) * np.arange(p.K))
    if p.loss == "ce":
        with pytest.raises(UFMInputError, match="overflow float64"):
            DerivedAt(p, huge)


# ------------------------------------------------------------------ mutants
def _wrap(monkeypatch, name: str, change, modules=(kernels,)):
    """Replace ``name`` in ``modules`` by ``change(original)``."""
    original = getattr(kernels, name)
    for m in modules:
        monkeypatch.setattr(m, name, change(original))


def _drop_ppT_from_bilinear(orig):
    def bilinear(state, dW, dH, db):
        out = orig(state, dW, dH, db)
        if state.spec.loss != "ce":
            return out
        D = dW @ state.H + state.W @ dH + db[:, None]
        s = np.sum(state.P * D, axis=0)
        return out + np.sum(s * s) / state.spec.N   # the -(p^T d)^2 term undone
    return bilinear


def _flip_cross_in_bilinear(orig):
    def bilinear(state, dW, dH, db):
        return orig(state, dW, dH, db) - 4.0 * np.sum(state.G * (dW @ dH))
    return bilinear


def _drop_lambda_b_in_bilinear(orig):
    def bilinear(state, dW, dH, db):
        return orig(state, dW, dH, db) - state.spec.lambda_b * np.sum(db * db)
    return bilinear


def _drop_ppT_from_hvp(orig):
    def hvp(state, dW, dH, db):
        VW, VH, Vb = orig(state, dW, dH, db)
        if state.spec.loss != "ce":
            return VW, VH, Vb
        D = dW @ state.H + state.W @ dH + db[:, None]
        M = state.P * np.sum(state.P * D, axis=0)[None, :] / state.spec.N  # the p p^T D part
        return VW + M @ state.H.T, VH + state.W.T @ M, Vb + np.sum(M, axis=1)
    return hvp


def _drop_lambda_b_in_hvp(orig):
    def hvp(state, dW, dH, db):
        VW, VH, Vb = orig(state, dW, dH, db)
        return VW, VH, Vb - state.spec.lambda_b * db
    return hvp


def _drop_lambda_b_in_gradient(orig):
    def gradient(spec, W, H, b):
        gW, gH, gb = orig(spec, W, H, b)
        return gW, gH, gb - spec.lambda_b * b
    return gradient


KERNEL_MUTANTS = {
    "bilinear form without -p p^T": ("bilinear_state", _drop_ppT_from_bilinear),
    "bilinear form with 2<G, D_W D_H> flipped": ("bilinear_state", _flip_cross_in_bilinear),
    "bilinear form without lambda_b": ("bilinear_state", _drop_lambda_b_in_bilinear),
    "HVP without -p p^T": ("hvp_state", _drop_ppT_from_hvp),
    "HVP without lambda_b": ("hvp_state", _drop_lambda_b_in_hvp),
    "gradient without lambda_b": ("gradient", _drop_lambda_b_in_gradient),
}


@pytest.mark.parametrize("mutant", sorted(KERNEL_MUTANTS))
def test_the_cross_check_catches_a_mutated_kernel(mutant, monkeypatch):
    p, x, D, E = _setup("ce", 3, "0.02", seed=5)
    assert max(fast_path_disagreements(p, x, D, E).values()) <= TOL  # sound first
    name, change = KERNEL_MUTANTS[mutant]
    _wrap(monkeypatch, name, change)
    errs = fast_path_disagreements(p, x, D, E)
    assert max(errs.values()) > TOL, f"the mutant '{mutant}' passed: {errs}"


@pytest.mark.parametrize("mutant", ["bilinear form without -p p^T",
                                    "bilinear form with 2<G, D_W D_H> flipped",
                                    "bilinear form without lambda_b"])
def test_the_escape_cross_check_catches_a_mutated_curvature(mutant, monkeypatch):
    """escape.py imports bilinear_state by name: mutate it there.  Along the escape
    direction D1 = D_b = 0 at the saddle, so the -p p^T and lambda_b mutants need a
    point where they matter (a random point with rank W < d, where D1 != 0)."""
    p = _problem("ce", 3, "0.02")
    rng = np.random.default_rng(8)
    W, H, b = _random(p, rng, 0.8)
    W[:, -1] = 0.0
    name, change = KERNEL_MUTANTS[mutant]
    _wrap(monkeypatch, name, change, modules=(kernels, escape))
    errs = escape_disagreement(p, (W, H, b))
    if mutant == "bilinear form without lambda_b":
        # the escape direction has D_b = 0: the lambda_b term is zero along it, so this
        # mutant is *equivalent* on the escape curvature (and caught by the kernel check)
        assert errs["curvature"] <= TOL
    else:
        assert errs["curvature"] > TOL, errs
