"""``ufm_sym.certify.existence``: the Krawczyk test on the bordered system certifies
the high-precision critical points of the families (global minimizers, the origin,
saddles; K = d in {2, 3}), and refuses what it must refuse: a point 1e-6 away from a
critical point within 1e-12, a degenerate critical point (zero eigenvalues beyond the
orbit), a Hessian enclosure too wide to contract, bad radii."""

from __future__ import annotations

import flint
import mpmath
import pytest

from ufm_sym import Problem
from ufm_sym.certify import existence as ex_mod
from ufm_sym.certify.balls import ball_point, hessian
from ufm_sym.certify.existence import prove_existence
from ufm_sym.certify.inertia import inertia_at_critical_point
from ufm_sym.closed_form import global_minimizer
from ufm_sym.highprec.families import critical_points
from ufm_sym.model import UFMInputError

SETTINGS = [
    Problem(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b=0),
    Problem(loss="ce", K=2, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-2"),
    Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
    Problem(loss="mse", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5"),
]
BITS = 420


@pytest.mark.parametrize("p", SETTINGS, ids=lambda p: f"{p.loss}-K{p.K}-lb{p.lambda_b}")
def test_families_are_certified(p: Problem) -> None:
    recs = critical_points(p, dps=60)
    assert {r.kind for r in recs} >= {"global_min", "origin"}
    for rec in recs:
        cert, bs = prove_existence(p, ball_point(p, rec.point, BITS), max_radius="1e-40")
        assert cert.certified, (rec.family, cert.reason)
        assert cert.radius < 1e-45 and cert.radius_inf <= cert.radius
        assert cert.contraction < 1e-6 and cert.radius_inf < cert.unique_within <= 1e-40
        assert "within radius" in cert.reason and bs.slice.dimension == cert.orbit_dimension
        ins = inertia_at_critical_point(cert, bs)
        assert ins.kind == ("minimum" if rec.is_global_min else "strict_saddle"), rec.family


def _perturbed(point: tuple, delta: str) -> tuple:
    W, H, b = (m.copy() for m in point)
    with mpmath.workdps(60):
        b[0, 0] += mpmath.mpf(delta)
    return W, H, b


@pytest.mark.parametrize("family", ["class-merged[01|2]", "origin"])
def test_a_near_miss_is_not_certified_within_1e_12(family: str) -> None:
    p = SETTINGS[0]
    rec = next(r for r in critical_points(p, dps=60) if r.family == family)
    near = ball_point(p, _perturbed(rec.point, "1e-6"), BITS)
    cert, bs = prove_existence(p, near, max_radius="1e-12")
    assert not cert.certified and bs is None
    assert "Newton step" in cert.reason and cert.newton_step > 1e-8
    assert cert.radius is None and not inertia_at_critical_point(cert, bs).certified
    # a true statement at the right scale: a critical point within about 1e-6
    wide, _ = prove_existence(p, near, max_radius="1e-3")
    assert wide.certified and 1e-8 < wide.radius < 1e-4


def test_zero_eigenvalues_beyond_the_orbit_are_refused() -> None:
    """At the threshold K sqrt(n lW lH) = 1 the MSE origin has Hessian eigenvalues
    lW +- sigma(G) = 0 although its orbit is a point."""
    p = Problem(loss="mse", K=2, n=1, lambda_W="1/2", lambda_H="1/2", lambda_b=0)
    x = ball_point(p, ([[0, 0], [0, 0]], [[0, 0], [0, 0]], ["1/2", "1/2"]), BITS)
    cert, _ = prove_existence(p, x, max_radius="1e-30")
    assert not cert.certified and cert.orbit_dimension == 0
    assert cert.reason.startswith("not certified: 2 zero eigenvalues beyond the orbit")
    assert cert.zero_eigenvalues_beyond_orbit == 2


def test_a_hessian_entry_perturbed_beyond_its_ball_breaks_the_certificate(monkeypatch) -> None:
    """The certificate reads the Hessian's balls: widening one entry's ball far beyond
    its radius stops the contraction; moving one entry's midpoint far beyond its radius
    (a wrong Hessian) changes the inertia the certificate reports, so the inertia is
    computed from the enclosure, never assumed."""
    p = Problem(loss="ce", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-2")
    x = ball_point(p, global_minimizer(p, dps=60), BITS)
    good, bs = prove_existence(p, x, max_radius="1e-40")
    assert good.certified and inertia_at_critical_point(good, bs).kind == "minimum"

    def widened(box, extra=0):
        A = hessian(box, extra)
        with flint.ctx.workprec(box.prec):
            A[0, 0] = A[0, 0] + flint.arb(0, 10)
        return A

    monkeypatch.setattr(ex_mod, "hessian", widened)
    cert, _ = prove_existence(p, x, max_radius="1e-40")
    assert not cert.certified and "does not contract" in cert.reason

    def shifted(box, extra=0):
        A = hessian(box, extra)
        with flint.ctx.workprec(box.prec):
            A[0, 0] = A[0, 0] - 10
        return A

    monkeypatch.setattr(ex_mod, "hessian", shifted)
    cert, bs = prove_existence(p, x, max_radius="1e-40")
    assert inertia_at_critical_point(cert, bs).kind != "minimum"


@pytest.mark.parametrize("value, message", [
    ("0", "max_radius: 0 must be > 0"),
    ("-1e-3", "max_radius: -1/1000 must be > 0"),
    ("tiny", "max_radius: 'tiny' is not a number"),
])
def test_bad_max_radius(value: str, message: str) -> None:
    p = SETTINGS[1]
    with pytest.raises(UFMInputError, match=message):
        prove_existence(p, ball_point(p, global_minimizer(p, dps=40), 200), max_radius=value)
