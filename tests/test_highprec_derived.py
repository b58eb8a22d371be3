"""The typed high-precision fast paths (ufm_sym.highprec.evaluate) against the derived
forms (ufm_sym.highprec.derived), and mutants of the fast paths that the cross-check
must catch.

Tolerance: 10^-(dps - 5) relative (``max |typed - derived| / max(1, max |derived|)``),
at dps 50, random points and random directions, both losses, K = d in {2, 3, 4},
lambda_b = 0 and > 0.
"""

from __future__ import annotations

import dataclasses
import inspect
import textwrap

import mpmath
import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.highprec import evaluate as typed
from ufm_sym.highprec.derived import (
    FAST_PATHS,
    DerivedAt,
    derived_gradient,
    derived_hessian_form,
    derived_hessian_matrix,
    derived_hessian_vector_product,
    fast_path_disagreements,
)
from ufm_sym.symbolic.expressions import HessianG
from ufm_sym.symbolic.index_free import derive_index_free

DPS = 50
TOL = mpmath.mpf(10) ** -(DPS - 5)


def _problem(loss: str, K: int, lambda_b: str) -> Problem:
    return Problem(loss, K=K, n=2, lambda_W="0.03", lambda_H="0.05", lambda_b=lambda_b)


def _random(p: Problem, rng: np.random.Generator, scale: float = 1.0) -> typed.Point:
    return typed.to_mp_point(p, scale * rng.normal(size=(p.K, p.d)),
                             scale * rng.normal(size=(p.d, p.N)), scale * rng.normal(size=p.K))


def _setup(loss: str, K: int, lambda_b: str, seed: int = 0):
    p = _problem(loss, K, lambda_b)
    rng = np.random.default_rng(seed + 7 * K)
    return p, _random(p, rng, 0.8), _random(p, rng), _random(p, rng)


@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("K", [2, 3, 4])
@pytest.mark.parametrize("lambda_b", ["0", "0.02"])
def test_every_fast_path_agrees_with_the_derived_form(loss, K, lambda_b):
    p, x, D, E = _setup(loss, K, lambda_b)
    errs = fast_path_disagreements(p, x, D, E, dps=DPS, with_matrix=K <= 3)
    assert set(errs) == set(FAST_PATHS) - (set() if K <= 3 else {"hessian_matrix"})
    bad = {k: mpmath.nstr(v, 3) for k, v in errs.items() if not v <= TOL}
    assert not bad, f"{loss} K={K} lambda_b={lambda_b}: {bad}"


def test_fast_paths_agree_at_a_critical_point():
    """At the closed-form global minimizer (G != 0 for CE, rank W = K - 1)."""
    from ufm_sym.closed_form import global_minimizer

    for loss in ("ce", "mse"):
        p = _problem(loss, 3, "0.02")
        rng = np.random.default_rng(5)
        x = global_minimizer(p, dps=60)
        errs = fast_path_disagreements(p, x, _random(p, rng), _random(p, rng), dps=DPS)
        assert max(errs.values()) <= TOL, errs


def test_derived_forms_are_consistent_with_each_other():
    """<HVP(D), E> = B(D, E) = B(E, D); B(D, D) = Q(D); the Hessian matrix is symmetric
    before symmetrisation and its quadratic form is Q."""
    for loss in ("ce", "mse"):
        p, x, D, E = _setup(loss, 3, "0.02", seed=3)
        at = DerivedAt(p, x, dps=DPS)
        with mpmath.workdps(DPS):
            hv = typed.flatten(at.hessian_vector_product(D))
            e = typed.flatten(E)
            b_de, b_ed = at.hessian_form(D, E), at.hessian_form(E, D)
            assert abs(mpmath.fdot(hv, e) - b_de) <= TOL * max(1, abs(b_de))
            assert abs(b_de - b_ed) <= TOL * max(1, abs(b_de))
            assert abs(at.hessian_form(D, D) - at.hessian_form(D)) <= TOL
            A = at.hessian_matrix(symmetrize=False)
            assert mpmath.mnorm(A - A.T, 1) <= TOL
            d = mpmath.matrix(typed.flatten(D))
            assert abs((d.T * A * d)[0, 0] - at.hessian_form(D)) <= TOL * 10


def test_public_functions_match_the_class():
    p, x, D, _ = _setup("ce", 2, "0.02", seed=9)
    at = DerivedAt(p, x, dps=40)
    with mpmath.workdps(40):
        assert typed.flatten(derived_gradient(p, x, dps=40)) == typed.flatten(at.gradient())
        assert derived_hessian_form(p, x, D, dps=40) == at.hessian_form(D)
        assert typed.flatten(derived_hessian_vector_product(p, x, D, dps=40)) == \
            typed.flatten(at.hessian_vector_product(D))
        assert derived_hessian_matrix(p, x, dps=40).rows == typed.num_params(p)


def test_the_data_term_is_derived_not_typed(monkeypatch):
    """The derived side never calls the typed grad g / hess g: breaking them changes
    nothing on the derived side."""
    p, x, D, _ = _setup("ce", 2, "0.02", seed=11)
    before = derived_hessian_form(p, x, D, dps=DPS)

    def boom(*args, **kwargs):
        raise AssertionError("the derived path used a typed fast path")

    for name in ("_grad_g_rows", "_hess_g_rows", "_apply_hess_g", "grad_g", "hess_g_form",
                 "_hessian_form_rows", "_hvp_rows", "_gradient_rows"):
        monkeypatch.setattr(typed, name, boom)
    assert derived_hessian_form(p, x, D, dps=DPS) == before
    derived_hessian_vector_product(p, x, D, dps=DPS)
    derived_gradient(p, x, dps=DPS)


# ------------------------------------------------------------------ mutants
def _mutant(name: str, old: str, new: str):
    """The typed function ``name`` of ufm_sym.highprec.evaluate with ``old`` replaced by
    ``new`` in its source (a source-level mutant of the fast path)."""
    src = textwrap.dedent(inspect.getsource(getattr(typed, name)))
    assert src.count(old) == 1, f"mutation site {old!r} not found once in {name}"
    namespace = dict(vars(typed))
    exec(compile(src.replace(old, new), f"<mutant {name}>", "exec"), namespace)
    return namespace[name]


MUTANTS = {
    # the -p p^T part of the CE hess g, in each place it is assembled
    "hess_g form without -p p^T": ("_hess_g_rows",
                                   "mpmath.fdot(pd, ecol) - mpmath.fsum(pd) * mpmath.fdot(p, ecol)",
                                   "mpmath.fdot(pd, ecol)"),
    "HVP hess g without -p p^T": ("_apply_hess_g", "(pd[i] - p[i] * s) / N", "pd[i] / N"),
    "Hessian matrix without -p p^T": ("_hessian_rows",
                                      "((1 if a == e else 0) - Pm[e][j])", "(1 if a == e else 0)"),
    # the sign of 2 <G, D_W E_H + E_W D_H>
    "form with the cross term's sign flipped": ("_hessian_form_rows",
                                                "E1) + cross + lw", "E1) - cross + lw"),
    "HVP with G D_H^T's sign flipped": ("_hvp_rows", "VW1[a][c] + VW2[a][c]",
                                        "VW1[a][c] - VW2[a][c]"),
    "Hessian matrix with G's sign flipped": ("_hessian_rows", "v += G[a][j]", "v -= G[a][j]"),
    # lambda_b dropped
    "gradient without lambda_b": ("_gradient_rows", "+ lb * bl[i]", ""),
    "form without lambda_b": ("_hessian_form_rows", "+ lb * mpmath.fdot(Db, Eb)", ""),
    "HVP without lambda_b": ("_hvp_rows", "+ lb * Db[a]", ""),
    "Hessian matrix without lambda_b": ("_hessian_rows", "+ (lb if a == e else 0)", ""),
    # grad g without the labels
    "grad g without Y": ("_grad_g_rows", "(Pm[i][j] - (1 if labels[j] == i else 0)) / N",
                         "Pm[i][j] / N"),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_the_cross_check_catches_a_mutated_fast_path(mutant, monkeypatch):
    name, old, new = MUTANTS[mutant]
    p, x, D, E = _setup("ce", 3, "0.02", seed=1)
    assert max(fast_path_disagreements(p, x, D, E, dps=DPS).values()) <= TOL  # sound first
    monkeypatch.setattr(typed, name, _mutant(name, old, new))
    errs = fast_path_disagreements(p, x, D, E, dps=DPS)
    caught = {k: mpmath.nstr(v, 3) for k, v in errs.items() if not v <= TOL}
    assert caught, f"the mutant '{mutant}' passed the cross-check: {errs}"


def test_the_mutants_are_caught_for_mse_too(monkeypatch):
    """The MSE parts: lambda_b and the cross term (hess g has no p p^T for MSE)."""
    p, x, D, E = _setup("mse", 2, "0.02", seed=2)
    for mutant in ("form with the cross term's sign flipped", "HVP without lambda_b",
                   "gradient without lambda_b"):
        name, old, new = MUTANTS[mutant]
        with monkeypatch.context() as m:
            m.setattr(typed, name, _mutant(name, old, new))
            assert max(fast_path_disagreements(p, x, D, E, dps=DPS,
                                               with_matrix=False).values()) > TOL, mutant


def test_a_wrong_derivation_is_not_hidden_by_the_fast_path():
    """The comparison is two-sided: a derived form with a dropped term disagrees with
    the (sound) typed fast path too."""
    D0 = derive_index_free()
    dropped = dataclasses.replace(D0, hessian_form=D0.hessian_form
                                  - HessianG(D0.first_order_change))
    p, x, D, E = _setup("ce", 2, "0.02", seed=4)
    errs = fast_path_disagreements(p, x, D, E, dps=DPS, derivation=dropped, with_matrix=False)
    assert errs["hessian_form"] > TOL and errs["hessian_vector_product"] > TOL
    assert errs["gradient"] <= TOL  # the gradient was not touched
