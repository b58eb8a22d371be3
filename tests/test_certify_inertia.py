"""``ufm_sym.certify.inertia``: the Hessian's inertia at the certified critical point
(a saddle is never certified positive definite; the zero eigenvalues are exactly the
orbit; the Rayleigh bound is a true upper bound of lambda_min), and the eigenvalue
counts of small ball matrices."""

from __future__ import annotations

import flint
import mpmath
import pytest

from ufm_sym import Problem
from ufm_sym.certify.balls import ball_point
from ufm_sym.certify.existence import prove_existence
from ufm_sym.certify.inertia import (
    count_below,
    hessian_spectrum,
    inertia_at_critical_point,
)
from ufm_sym.highprec.evaluate import hessian_matrix
from ufm_sym.highprec.families import critical_points

SETTINGS = [
    Problem(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b=0),
    Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
    Problem(loss="mse", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5"),
]


@pytest.mark.parametrize("p", SETTINGS, ids=lambda p: f"{p.loss}-lb{p.lambda_b}")
def test_inertia_at_the_families(p: Problem) -> None:
    for rec in critical_points(p, dps=60):
        ex, bs = prove_existence(p, ball_point(p, rec.point, 420), max_radius="1e-40")
        ins = inertia_at_critical_point(ex, bs)
        spec = hessian_spectrum(hessian_matrix(p, rec.point, dps=50), mpmath.mpf(10) ** -40, 50)
        assert ins.certified and ins.zero == ex.orbit_dimension, rec.family
        # the proved counts are the computed ones: zero eigenvalues = the orbit, no more
        assert (ins.negative, ins.zero, ins.positive) == (spec.negative, spec.near_zero,
                                                          spec.positive), rec.family
        if rec.is_global_min:
            assert ins.kind == "minimum" and ins.slice_positive_definite
            assert ins.lambda_min_upper is None
        else:   # a saddle is never certified positive definite
            assert ins.kind == "strict_saddle" and not ins.slice_positive_definite
            assert ins.negative >= 1
            with mpmath.workdps(50):
                assert spec.smallest <= ins.lambda_min_upper < 0
                assert ins.lambda_min_upper - spec.smallest < 1e-10


def test_no_inertia_without_existence() -> None:
    p = SETTINGS[0]
    rec = critical_points(p, dps=60)[0]
    W, H, b = (m.copy() for m in rec.point)
    with mpmath.workdps(60):
        b[0, 0] += mpmath.mpf("1e-6")
    ex, bs = prove_existence(p, ball_point(p, (W, H, b), 420), max_radius="1e-12")
    ins = inertia_at_critical_point(ex, bs)
    assert not ins.certified and ins.kind is None and ins.negative is None


def test_count_below_and_its_refusal() -> None:
    with flint.ctx.workprec(100):
        M = flint.arb_mat([[2, 1, 0], [1, 2, 0], [0, 0, -1]])
        assert count_below(M, [-2, 0, 1.5, 4], 100)[0] == [0, 1, 2, 3]
        # a ball matrix whose eigenvalue 1 is only known to +- 0.1: a threshold at 1
        # cannot be decided, one at 1.5 can
        Mb = flint.arb_mat([[2, 1, 0], [1, 2, 0], [0, 0, -1]]) + flint.arb_mat(
            [[flint.arb(0, 0.1), 0, 0], [0, 0, 0], [0, 0, 0]])
    counts, why = count_below(Mb, [1], 100)
    assert counts is None and "contains 0" in why
    assert count_below(Mb, [1.5], 100)[0] == [2]


def test_eigenvalues_only_stop_one_round_earlier_with_the_same_values() -> None:
    """``refined_symmetric_eig(vectors=False)`` (what ``hessian_spectrum(check=False)``
    uses): the Rayleigh quotients agree with the fully refined eigenvalues to
    ``10^-(dps + 2) ||A||``, with fewer iterations; the counts at the margin are the
    checked ones, and nothing is called checked or certified."""
    from ufm_sym.highprec.eig import refined_symmetric_eig

    p = SETTINGS[0]
    rec = next(r for r in critical_points(p, dps=60) if r.kind == "saddle")
    A = hessian_matrix(p, rec.point, dps=50)
    full, _, info = refined_symmetric_eig(A, 50)
    fast, _, info2 = refined_symmetric_eig(A, 50, vectors=False)
    assert info["converged"] and info2["converged"] and info2["vectors"] is False
    assert info2["iterations"] < info["iterations"]
    with mpmath.workdps(60):
        norm = max(abs(e) for e in full)
        assert max(abs(a - b) for a, b in zip(full, fast, strict=True)) <= 1e-52 * norm
    margin = mpmath.mpf(10) ** -40
    s1 = hessian_spectrum(A, margin, 50)
    s2 = hessian_spectrum(A, margin, 50, check=False)
    assert s1.certified and not s2.certified and s2.error_bound is None
    assert (s1.negative, s1.near_zero, s1.positive) == (s2.negative, s2.near_zero,
                                                        s2.positive)
    assert "not checked" in s2.certificate
