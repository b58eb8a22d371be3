"""ufm_sym.discover.search: the whole pipeline can fail, and at d = K it must not.

* a planted spurious minimum (the objective plus a Gaussian bump around a chosen
  non-critical orbit, through the ``perturbation`` hook) is found and called
  ``spurious_local_min``;
* at d = K no run reports ``local_min`` or ``spurious_local_min`` (both losses);
* the result does not depend on the number of processes.
"""

from __future__ import annotations

import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.discover.minima import lbfgs_minimum
from ufm_sym.discover.objective import SearchObjective
from ufm_sym.discover.perturbation import OrbitBump
from ufm_sym.discover.search import discover, find_orbits, search_batch
from ufm_sym.discover.symmetry import align
from ufm_sym.highprec.evaluate import flatten
from ufm_sym.model import UFMInputError

CE3 = Problem(loss="ce", K=3, n=1, d=3, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")


def _planted() -> OrbitBump:
    """A bump of depth 0.6, width 1 around a random point of scale 0.3 (f = 0.995 there,
    ||grad f|| = 0.42: not critical); it creates a minimum at f = 0.2954, above the
    global value 0.1119."""
    center = 0.3 * np.random.default_rng(3).normal(size=3 * 3 + 3 * 3 + 3)
    return OrbitBump(CE3, center, depth=0.6, width=1.0)


def test_a_planted_spurious_minimum_is_found_and_named() -> None:
    bump = _planted()
    f = SearchObjective(CE3)
    assert np.linalg.norm(f.grad(bump.center)) > 0.1  # the centre is not critical
    planted, _ = lbfgs_minimum(SearchObjective(CE3, bump), bump.center)
    r = discover(CE3, starts=12, seed=0, dps=30, perturbation=bump)
    spurious = [o for o in r.orbits if o.kind == "spurious_local_min"]
    assert len(spurious) == 1 and r.spurious_found
    o = spurious[0]
    x = np.array([float(t) for t in flatten(o.point)])
    assert align(CE3, x, planted)[0] < 1e-6            # it is the planted orbit
    assert o.negative == 0 and o.near_zero == o.orbit_dimension == 3 and o.certified
    assert "exceeds that of another local minimum" in o.reason
    lowest = r.orbits[0]
    assert lowest.kind == "local_min" and lowest.objective < o.objective
    assert "bump" in r.to_json()["perturbation"].lower()
    # the same run without the bump: no spurious minimum (d = K: Theorem 1.1)
    plain = discover(CE3, starts=12, seed=0, dps=30)
    assert not plain.spurious_found and plain.counts()["local_min"] == 0


@pytest.mark.parametrize("loss, K, n, lb", [
    ("ce", 2, 2, "0"), ("ce", 3, 1, "0.01"), ("mse", 2, 1, "0.01"), ("mse", 3, 1, "0"),
])
def test_no_local_minimum_other_than_global_at_d_equal_K(loss, K, n, lb) -> None:
    p = Problem(loss=loss, K=K, n=n, lambda_W="0.01", lambda_H="0.01", lambda_b=lb)
    r = discover(p, starts=12, seed=0, dps=30)
    kinds = {o.kind for o in r.orbits}
    assert "global_min" in kinds and "strict_saddle" in kinds
    assert not kinds & {"local_min", "spurious_local_min", "degenerate", "undecided"}
    assert all(o.certified for o in r.orbits)
    assert sum(o.multiplicity for o in r.orbits) + r.unconverged == 12


def test_same_result_for_any_number_of_processes() -> None:
    pytest.importorskip("joblib")
    p = Problem(loss="ce", K=2, n=1, d=1, lambda_W="0.05", lambda_H="0.05", lambda_b=0)
    one = discover(p, starts=24, seed=5, dps=30).to_json()
    two = discover(p, starts=24, seed=5, dps=30, jobs=2).to_json()
    one.pop("seconds"), two.pop("seconds")
    assert one == two


def test_batches_are_independent_of_each_other() -> None:
    p = Problem(loss="mse", K=2, n=1, d=1, lambda_W="0.05", lambda_H="0.05")
    whole = search_batch(p, 7, 0, 6)
    part = search_batch(p, 7, 3, 3)
    assert [c["start"] for c in part] == [3, 4, 5]
    # a batch's first start does not depend on the batch before it
    assert whole[3]["method"] == part[0]["method"] == "lbfgs"
    assert np.allclose(whole[3]["x"], part[0]["x"])


def test_find_orbits_is_memoised_and_checks_its_arguments() -> None:
    p = Problem(loss="ce", K=2, n=1, lambda_W="0.05", lambda_H="0.05", lambda_b="0.01")
    a = find_orbits(p, starts=6, seed=0, dps=60)
    assert find_orbits(p, starts=6, seed=0, dps=60) is a
    assert {o.kind for o in a} <= {"global_min", "strict_saddle"}
    with pytest.raises(UFMInputError, match="starts: 0 must be >= 1"):
        find_orbits(p, starts=0)
    with pytest.raises(UFMInputError, match="seed: -1"):
        discover(p, starts=3, seed=-1)
