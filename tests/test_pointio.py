"""POINT.json: ``d`` is read from ``W`` when the file omits it."""

from __future__ import annotations

import json

import pytest

from ufm_sym.model import UFMInputError
from ufm_sym.pointio import parse_point


def _point(K: int, n: int, d: int, with_d: bool) -> str:
    obj = {"loss": "mse", "K": K, "n": n, "lambda_W": "0.1", "lambda_H": "0.1",
           "lambda_b": "0", "W": [["0"] * d for _ in range(K)],
           "H": [["0"] * (K * n) for _ in range(d)], "b": ["0"] * K}
    if with_d:
        obj["d"] = d
    return json.dumps(obj)


@pytest.mark.parametrize("d", [2, 3, 5])
def test_d_is_inferred_from_W(d):
    assert parse_point(_point(3, 1, d, with_d=False)).problem.d == d


def test_inferred_d_must_agree_with_H():
    obj = json.loads(_point(3, 1, 4, with_d=False))
    obj["H"] = obj["H"][:3]                       # H has 3 rows, W 4 columns
    with pytest.raises(UFMInputError, match="H: shape 3 x 3"):
        parse_point(json.dumps(obj))


def test_explicit_d_still_checked_against_W():
    obj = json.loads(_point(3, 1, 4, with_d=True))
    obj["d"] = 3
    with pytest.raises(UFMInputError, match="W: shape 3 x 4"):
        parse_point(json.dumps(obj))
