"""ufm_sym.discover.kinds: the kinds for any d, their margins, and spurious minima."""

from __future__ import annotations

from types import SimpleNamespace as NS

import mpmath
import pytest

from ufm_sym import Problem
from ufm_sym.discover.kinds import (
    KINDS,
    mark_spurious,
    minimum_kind,
    minimum_verdict,
    value_tolerance,
)

M = mpmath.mpf(10) ** -40
D2 = Problem(loss="ce", K=3, n=1, d=2, lambda_W="0.01", lambda_H="0.01")
D3 = Problem(loss="ce", K=3, n=1, d=3, lambda_W="0.01", lambda_H="0.01")


def spec(zero: int, certified: bool = True) -> NS:
    return NS(negative=0, near_zero=zero, certified=certified)


def test_the_seven_kinds() -> None:
    assert KINDS == ("global_min", "strict_saddle", "local_min", "spurious_local_min",
                     "degenerate", "not_critical", "undecided")


@pytest.mark.parametrize("zero, dim, certified, kind, phrase", [
    (3, 3, True, "local_min", "strict local minimum modulo the symmetries"),
    (4, 3, True, "degenerate", "higher-order test is needed"),
    (2, 3, True, "undecided", "fewer than the orbit's dimension"),
    (3, 3, False, "undecided", "not certified"),
])
def test_minimum_kind(zero, dim, certified, kind, phrase) -> None:
    k, why = minimum_kind(spec(zero, certified), NS(dimension=dim), M)
    assert k == kind and phrase in why and "1.0e-40" in why


def test_spurious_against_the_closed_form_where_it_applies() -> None:
    above = NS(applies=True, value=mpmath.mpf("0.3"), difference=mpmath.mpf("1e-6"),
               regime="ce-nonzero")
    k, why = minimum_verdict(D2, spec(1), NS(dimension=1), M, above)
    assert k == "spurious_local_min" and "above the closed-form global minimum" in why
    equal = NS(applies=True, value=mpmath.mpf("0.3"), difference=M / 10, regime="ce-nonzero")
    assert minimum_verdict(D2, spec(1), NS(dimension=1), M, equal)[0] == "undecided"
    absent = NS(applies=False, value=mpmath.mpf("0.3"), difference=mpmath.mpf(1), regime="x")
    assert minimum_verdict(D2, spec(1), NS(dimension=1), M, absent)[0] == "local_min"


def test_at_d_equal_K_a_minimum_is_a_contradiction_of_the_theorem() -> None:
    k, why = minimum_verdict(D3, spec(3), NS(dimension=3), M)
    assert k == "local_min" and "contradicts Theorem 1.1" in why
    assert "contradicts" not in minimum_verdict(D3, spec(3), NS(dimension=3), M,
                                                theorem=False)[1]
    assert "contradicts" not in minimum_verdict(D2, spec(1), NS(dimension=1), M)[1]


def test_mark_spurious_uses_the_value_margin() -> None:
    marks = mark_spurious(["local_min", "local_min", "strict_saddle", "local_min"],
                          [mpmath.mpf("0.5"), mpmath.mpf("0.2"), mpmath.mpf("0.1"),
                           mpmath.mpf("0.2") + M / 10], [M] * 4)
    assert [m[0] for m in marks] == ["spurious_local_min", "local_min", "strict_saddle",
                                     "local_min"]
    assert "by 0.3" in marks[0][1]
    # a proved global minimum above a local minimum: the evidence disagrees
    bad = mark_spurious(["global_min", "local_min"], [mpmath.mpf("0.5"), mpmath.mpf("0.2")],
                        [M, M])
    assert bad[0][0] == "undecided"
    assert mark_spurious(["strict_saddle"], [1], [M]) == [("strict_saddle", None)]
    assert value_tolerance(mpmath.mpf(-3), M) == 3 * M


def test_the_example_spurious_minimum_classifies_as_local_min() -> None:
    """examples/ce_K5_d2_spurious_local_min.json (found by the atlas): classify alone says
    local_min (the closed form needs d >= 4 here), and against the lower minimum the
    atlas found (f = 0.31023...) it is spurious."""
    from pathlib import Path

    from ufm_sym.landscape import classify
    from ufm_sym.pointio import load_point

    pf = load_point(Path(__file__).resolve().parent.parent / "examples"
                    / "ce_K5_d2_spurious_local_min.json")
    c = classify(pf.problem, pf.mp_point(30), dps=30, input_digits=pf.input_digits)
    assert c.kind == "local_min" and not c.global_comparison.applies
    assert c.spectrum.negative == 0 and c.spectrum.near_zero == c.orbit.dimension == 1
    assert c.spectrum.eigenvalues[1] > mpmath.mpf("0.002")
    lower = mpmath.mpf("0.31023275784786945418")
    marks = mark_spurious(["local_min", "local_min"], [lower, c.objective],
                          [c.precision.margin] * 2)
    assert marks[1][0] == "spurious_local_min"


def test_the_example_mse_minimum_below_K_minus_1_is_a_certified_local_min() -> None:
    """examples/mse_K5_d2_local_min.json (the atlas's MSE K = 5, d = 2 minimum): 5 zero
    Hessian eigenvalues, the orbit of the rotations (1) and the class rotations
    (d (K - 1 - d) = 4), so local_min, certified; with the rotations alone (the first
    atlas) it read as degenerate."""
    from pathlib import Path

    from ufm_sym.discover.kinds import minimum_kind
    from ufm_sym.landscape import classify
    from ufm_sym.pointio import load_point

    pf = load_point(Path(__file__).resolve().parent.parent / "examples"
                    / "mse_K5_d2_local_min.json")
    c = classify(pf.problem, pf.mp_point(30), dps=30, input_digits=pf.input_digits)
    assert c.kind == "local_min" and c.spectrum.certified
    assert c.spectrum.near_zero == c.orbit.dimension == 5
    assert (c.orbit.rotations, c.orbit.class_rotations) == (1, 4)
    assert c.certificate.existence.orbit_dimension == 5
    rotations_only = type(c.orbit)(**{**c.orbit.__dict__, "dimension": c.orbit.rotations})
    assert minimum_kind(c.spectrum, rotations_only, c.precision.margin)[0] == "degenerate"
