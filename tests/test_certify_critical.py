"""``ufm_sym.certify.critical.certify_critical_point``: the API the claims call."""

from __future__ import annotations

import json

import mpmath
import pytest

from ufm_sym import Problem
from ufm_sym.certify.critical import certify_critical_point, precision_bits
from ufm_sym.closed_form import global_minimizer
from ufm_sym.highprec.families import critical_points
from ufm_sym.model import UFMInputError
from ufm_sym.pointio import point_to_json

P = Problem(loss="ce", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-2")


def test_global_minimizer_and_saddle() -> None:
    cmin = certify_critical_point(P, global_minimizer(P, dps=60), dps=50)
    assert cmin.certified and cmin.kind == "minimum"
    assert cmin.rank.W_exact == 2 and cmin.dual.holds is True
    assert cmin.bits == (precision_bits(50), 128)
    sad = next(r for r in critical_points(P, dps=60) if r.kind == "saddle")
    cs = certify_critical_point(P, sad.point, dps=50)
    assert cs.certified and cs.kind == "strict_saddle" and cs.dual.holds is False
    assert cs.inertia.lambda_min_upper < 0
    d = json.loads(json.dumps(cs.to_dict()))
    assert d["existence"]["certified"] and d["inertia"]["kind"] == "strict_saddle"
    assert mpmath.mpf(d["existence"]["radius"]) >= cs.existence.radius
    assert cs.summary().startswith("existence:  a critical point exists within radius")


def test_decimal_point_as_written() -> None:
    """A POINT.json's decimal strings (30 digits): the certificate is about the decimal
    point itself; its radius reflects the 30 digits, within the default 1e-25."""
    obj = point_to_json(P, global_minimizer(P, dps=60), digits=30)
    c = certify_critical_point(P, (obj["W"], obj["H"], obj["b"]), dps=50)
    assert c.certified and 1e-34 < c.existence.radius < 1e-27
    c2 = certify_critical_point(P, (obj["W"], obj["H"], obj["b"]), dps=50,
                                max_radius="1e-40")
    assert not c2.certified and "Newton step" in c2.existence.reason


def test_point_radius_widens_the_statement() -> None:
    x = global_minimizer(P, dps=60)
    c = certify_critical_point(P, x, dps=50, point_radius="1e-40")
    assert c.certified and 1e-40 < c.existence.radius < 1e-38


@pytest.mark.parametrize("kwargs, message", [
    ({"point_radius": "-1"}, "point_radius: -1 must be >= 0"),
    ({"point_radius": "x"}, "point_radius: 'x' is not a number"),
    ({"max_radius": "0"}, "max_radius: 0 must be > 0"),
    ({"dps": 10}, "dps: 10 is too low"),
    ({"prec_lo": 8}, "prec_lo: 8 must be an integer >= 53"),
])
def test_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(UFMInputError, match=message):
        certify_critical_point(P, global_minimizer(P, dps=60), **{"dps": 50, **kwargs})
