"""ufm_sym.discover.orbits: invariants, clustering, and the Orbit record/JSON."""

from __future__ import annotations

import mpmath
import numpy as np

from ufm_sym import Problem
from ufm_sym.discover.objective import SearchObjective
from ufm_sym.discover.orbits import Invariants, cluster, float_invariants, same_orbit
from ufm_sym.discover.search import discover
from ufm_sym.pointio import parse_point


def test_invariants_are_invariant_under_the_symmetries() -> None:
    """A rotation, a class relabelling (with its columns) and a shift (CE, lb = 0)
    leave f, sv(W) and the Hessian spectrum unchanged; a perturbed point does not."""
    p = Problem(loss="ce", K=3, n=1, d=2, lambda_W="0.1", lambda_H="0.1", lambda_b=0)
    obj = SearchObjective(p)
    x = np.random.default_rng(0).normal(size=15)
    W, H, b = x[:6].reshape(3, 2), x[6:12].reshape(2, 3), x[12:]
    Q = np.array([[0.6, -0.8], [0.8, 0.6]])
    perm = [2, 0, 1]
    y = np.concatenate([(W @ Q)[perm].ravel(), (Q.T @ H)[:, perm].ravel(), b[perm] + 0.4])
    a, c = float_invariants(obj, x), float_invariants(obj, y)
    assert same_orbit(a, c, 1e-12, 1e-10)
    z = float_invariants(obj, x + 1e-4 * np.random.default_rng(1).normal(size=15))
    assert not same_orbit(a, z, 1e-9, 1e-6)


def test_cluster_and_tolerances() -> None:
    base = Invariants(1.0, (2.0, 1.0), (-1.0, 0.0, 3.0))
    near = Invariants(1.0 + 1e-12, (2.0, 1.0 + 1e-9), (-1.0, 1e-9, 3.0))
    far = Invariants(1.0, (2.0, 1.0 + 1e-3), (-1.0, 0.0, 3.0))
    assert cluster([base, far, near], 1e-9, 1e-6) == [[0, 2], [1]]
    assert not same_orbit(base, Invariants(1.0, (2.0,), (-1.0, 0.0, 3.0)), 1, 1)


def test_orbit_json_point_and_record() -> None:
    p = Problem(loss="mse", K=2, n=1, d=2, lambda_W="0.05", lambda_H="0.05", lambda_b="0.1")
    r = discover(p, starts=6, seed=1, dps=60)
    assert r.orbits and r.unconverged == 0
    o = r.orbits[0]
    js = o.to_json()
    assert js["kind"] == o.kind and isinstance(js["objective"], str)
    assert len(js["objective"].replace("-", "").replace(".", "")) > 40
    assert js["multiplicity"] == sum(js["found_by"].values()) == len(js["starts"])
    assert len(js["invariants"]["hessian_eigenvalues"]) == 2 * 2 + 2 * 2 + 2
    pf = parse_point(__import__("json").dumps(js["point"]))
    assert pf.problem == p
    rec = o.record()
    assert rec.family == f"discovered {o.kind.replace('_', ' ')}"
    assert rec.gradient_norm < mpmath.mpf(10) ** -45
    assert rec.kind == ("global_min" if o.kind == "global_min" else "saddle")
    assert rec.is_global_min == (o.kind == "global_min")
    assert sum(o.multiplicity for o in r.orbits) == 6
