"""``ufm-sym classify`` reports the convex global certificate (ufm_sym.convex):
``"global_certificate"`` in the JSON and a ``certificate:`` line in the text report."""

from __future__ import annotations

import json
from pathlib import Path

import mpmath
import pytest

from ufm_sym import Problem
from ufm_sym.cli import main
from ufm_sym.closed_form import global_minimizer
from ufm_sym.landscape import classify

DATA = Path(__file__).resolve().parent / "data"
KEYS = {"holds", "duality_gap", "dual_feasibility", "alignment", "reason"}


def test_json_at_a_global_minimizer_and_at_a_saddle(capsys: pytest.CaptureFixture[str]):
    assert main(["classify", str(DATA / "ce_global_min.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    g = out["global_certificate"]
    assert KEYS <= set(g) and g["holds"] is True and out["kind"] == "global_min"
    assert mpmath.mpf(g["duality_gap"]) <= mpmath.mpf(10) ** -(out["precision"]["digits"] - 10)
    main(["classify", str(DATA / "mse_saddle.json"), "--json"])
    out = json.loads(capsys.readouterr().out)
    g = out["global_certificate"]
    assert g["holds"] is False and "dual feasibility" in g["violated"]
    assert "dual feasibility fails" in g["reason"] and mpmath.mpf(g["duality_gap"]) > 1e-3


def test_the_text_report_prints_the_certificate(capsys: pytest.CaptureFixture[str]):
    main(["classify", str(DATA / "ce_saddle.json")])
    text = capsys.readouterr().out
    assert "certificate: fails: duality gap" in text and "dual feasibility fails" in text


def test_the_certificate_is_judged_at_the_points_digits():
    p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    x = global_minimizer(p, dps=40)
    with mpmath.workdps(40):
        x18 = tuple([[mpmath.nstr(M[i, j], 18) for j in range(M.cols)] for i in range(M.rows)]
                    for M in x)
    c = classify(p, x18, dps=40, input_digits=18)
    assert c.precision.digits == 18 and c.global_certificate.digits == 18
    assert c.global_certificate.holds, c.global_certificate.reason
    off = classify(p, ([["0.1"] * 3] * 3, [["0.1"] * 3] * 3, ["0"] * 3), dps=30)
    assert off.kind == "not_critical" and not off.global_certificate.holds
    assert off.to_json()["global_certificate"]["holds"] is False
