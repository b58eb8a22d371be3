"""``ufm-sym classify`` and :mod:`ufm_sym.landscape` / :mod:`ufm_sym.pointio`.

Points of every kind (global minimizers of both losses, the origin, non-trivial
saddles, a perturbed non-critical point, d != K), ``--refine``, the margin rule, the
eigenvalue route against ``mpmath.eigsy``, and malformed POINT.json files (exit 2,
one line on stderr, nothing on stdout, no traceback).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest

from ufm_sym import Problem
from ufm_sym.cli import main
from ufm_sym.closed_form import global_minimizer
from ufm_sym.highprec.evaluate import hessian_matrix
from ufm_sym.highprec.families import critical_points
from ufm_sym.landscape import (
    certify_inertia,
    classify,
    effective_digits,
    hessian_spectrum,
    precision_for,
)
from ufm_sym.model import UFMInputError
from ufm_sym.pointio import load_point, parse_point, point_to_json, significant_digits

DATA = Path(__file__).resolve().parent / "data"
CE = Problem(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b=0)
MSE_C = Problem(loss="mse", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5")
MSE_ZERO = Problem(loss="mse", K=2, n=1, lambda_W="0.6", lambda_H="0.6", lambda_b="0.2")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def write(tmp_path: Path, name: str, obj: object) -> str:
    path = tmp_path / name
    if isinstance(obj, bytes):
        path.write_bytes(obj)
    else:
        path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return str(path)


def base_point() -> dict:
    return json.loads((DATA / "ce_saddle.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------ the data files
@pytest.mark.parametrize("name, kind, equation", [
    ("ce_global_min.json", "global_min", None),
    ("ce_saddle.json", "strict_saddle", "(3.10)"),
    ("mse_saddle.json", "strict_saddle", "(4.36)"),
])
def test_example_files(capsys: pytest.CaptureFixture[str], name: str, kind: str,
                       equation: str | None) -> None:
    rc, out, err = run_cli(capsys, "classify", str(DATA / name))
    assert rc == 0 and err == ""
    assert out.splitlines()[0].endswith(f": {kind}")
    assert "certified" in out and "judged at 50 digits (input 50 digits" in out
    if equation:
        assert f"escape {equation}" in out and "predicted -2 sigma + 2 sqrt(lW lH)" in out


def test_example_file_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "classify", str(DATA / "mse_saddle.json"), "--json")
    assert rc == 0
    obj = json.loads(out)
    assert obj["kind"] == "strict_saddle" and obj["critical"]["is_critical"] is True
    assert obj["theorem"] == {"label": "thm:1.2", "applies": True,
                              "note": "Theorem 1.2 applies (d = K = 3)."}
    assert obj["criterion"]["holds"] is False and obj["criterion"]["threshold"] == "0.01"
    esc = obj["escape"]
    assert esc["equation"] == "(4.36)" and esc["tilde"]["rank"] == 1
    with mpmath.workdps(50):
        assert abs(mpmath.mpf(esc["curvature"]) - mpmath.mpf(esc["predicted"])) < 1e-45
        assert abs(mpmath.mpf(esc["tilde"]["curvature"]) - mpmath.mpf(esc["curvature"])) < 1e-45
        # numbers are decimal strings at full precision
        assert len(obj["objective"].replace("0.", "")) > 40
        assert mpmath.mpf(obj["hessian"]["smallest_eigenvalue"]) < 0
    h = obj["hessian"]
    assert h["certified"] is True and h["negative"] == 2 and h["near_zero"] == 3
    assert h["negative"] + h["near_zero"] + h["positive"] == h["size"] == 30
    assert obj["rank"]["W"] == obj["rank"]["H"] == 1
    assert obj["global"]["equal"] is False and obj["refine"] is None
    # the certificate: a true critical point within the margin, its inertia, the dual
    ex = obj["existence"]
    assert ex["certified"] is True and ex["orbit_dimension"] == 3
    assert float(ex["radius"]) < float(obj["precision"]["margin"])
    assert ex["slice"].startswith("Y0^T (x - x~) = 0") and "within radius" in ex["reason"]
    ins = h["inertia_at_critical_point"]
    assert (ins["negative"], ins["zero"], ins["kind"]) == (2, 3, "strict_saddle")
    assert float(ins["lambda_min_upper"]) < 0
    assert obj["criterion"]["certified"]["holds"] is False
    assert obj["rank"]["certified"]["W_lower"] == 1


def test_certificate_wording(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """'certified' only when the certificate holds: not with --no-certify, not at a
    point that is not critical (nothing is attempted there)."""
    rc, out, _ = run_cli(capsys, "classify", str(DATA / "ce_global_min.json"), "--no-certify")
    assert rc == 0 and "(not certified)" in out and "existence:" not in out
    assert "(certified)" not in out
    rc, out, _ = run_cli(capsys, "classify", str(DATA / "ce_global_min.json"), "--json",
                         "--no-certify")
    obj = json.loads(out)
    assert obj["existence"] == {"certified": False, "radius": None, "slice": None,
                                "reason": "not attempted (certify=False)"}
    assert obj["hessian"]["certified"] is False
    rc, out, _ = run_cli(capsys, "classify", str(DATA / "ce_global_min.json"))
    assert "existence:  a critical point exists within radius" in out
    assert "hess f restricted to the slice is positive definite" in out
    assert "rank W(x*) = 2" in out and "= sqrt(lW lH) exactly" in out
    obj = base_point()
    obj["b"][0] = str(mpmath.mpf(obj["b"][0]) + mpmath.mpf("1e-6"))
    rc, out, _ = run_cli(capsys, "classify", write(tmp_path, "near.json", obj), "--json")
    res = json.loads(out)
    assert res["kind"] == "not_critical" and res["existence"]["certified"] is False
    assert res["existence"]["reason"].startswith("not attempted")


def test_point_radius(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "classify", str(DATA / "ce_saddle.json"), "--json",
                         "--point-radius", "1e-48")
    ex = json.loads(out)["existence"]
    assert rc == 0 and ex["certified"] and 1e-48 < float(ex["radius"]) < 1e-46


# ------------------------------------------------------- kinds from families
@pytest.mark.parametrize("problem", [CE, MSE_C, MSE_ZERO], ids=["ce", "mse-C", "mse-zero"])
def test_families_are_classified_as_theory_says(problem: Problem) -> None:
    recs = critical_points(problem, dps=60)
    assert {r.kind for r in recs} >= {"global_min", "origin"}
    for rec in recs:
        c = classify(problem, rec.point, dps=50)
        assert c.critical, rec.family
        assert c.kind == ("global_min" if rec.is_global_min else "strict_saddle"), rec.family
        assert c.spectrum.certified
        if c.kind == "strict_saddle":
            assert c.spectrum.negative >= 1 and c.spectrum.smallest < -c.precision.margin
            assert c.escape is not None and c.escape.sigma > c.escape.threshold
            assert abs(c.escape.curvature - c.escape.predicted) < 1e-44
            assert c.escape.Wa_norm < 1e-44 and c.escape.Hta_norm < 1e-44
            assert c.global_comparison.difference > 0
        else:
            assert c.spectrum.negative == 0 and c.criterion.holds
            assert abs(c.global_comparison.difference) < 1e-44
        assert c.ranks.W == c.ranks.H  # Lemma 3.1 / (4.3)


def test_origin_is_a_saddle_with_the_paper_direction() -> None:
    p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.02", lambda_b="0.01")
    c = classify(p, ([[0] * 3] * 3, [[0] * 3] * 3, [0] * 3), dps=40)
    assert c.kind == "strict_saddle" and c.ranks.W == 0 and c.escape.equation == "(3.10)"
    with mpmath.workdps(40):
        lw, lh = mpmath.mpf("0.01"), mpmath.mpf("0.02")
        assert abs(c.escape.threshold - mpmath.sqrt(lw * lh)) < 1e-38
        # curvature/||Delta||^2 bounds the smallest eigenvalue from above
        assert c.spectrum.smallest <= c.escape.rayleigh + 1e-35


def test_mse_escape_after_change_of_variables() -> None:
    """A rotated MSE saddle: W is not in Assumption 4.4 form, a comes from the SVD."""
    p = Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0)
    rec = next(r for r in critical_points(p, dps=60) if r.family == "subspace-s1")
    with mpmath.workdps(60):
        c_, s_ = mpmath.cos(mpmath.mpf("0.7")), mpmath.sin(mpmath.mpf("0.7"))
        Q = mpmath.matrix([[c_, -s_, 0], [s_, c_, 0], [0, 0, 1]])
        W, H, b = rec.point
        rotated = (W * Q, Q.T * H, b)
    c = classify(p, rotated, dps=50)
    assert c.kind == "strict_saddle" and c.escape.tilde["rank"] == 1
    assert c.escape.tilde["zero_columns_W_norm"] < 1e-44
    assert abs(c.escape.tilde["curvature"] - c.escape.curvature) < 1e-44


# ----------------------------------------------- non-critical points, refine
def test_perturbed_point_is_not_critical_then_refined(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    obj = base_point()
    obj["W"][0][0] = str(mpmath.mpf(obj["W"][0][0]) + mpmath.mpf("1e-3"))
    path = write(tmp_path, "perturbed.json", obj)
    rc, out, err = run_cli(capsys, "classify", path)
    assert rc == 0 and err == "" and "not_critical" in out.splitlines()[0]
    assert "--refine" in out
    rc, out, _ = run_cli(capsys, "classify", path, "--refine", "--json")
    res = json.loads(out)
    assert rc == 0 and res["kind"] == "strict_saddle" and res["refine"]["converged"]
    assert 1e-5 < float(res["refine"]["moved"]) < 1e-1
    assert res["precision"]["input_digits"] is None and res["precision"]["digits"] == 50


def test_fewer_digits_loosen_the_margin(tmp_path: Path) -> None:
    obj = json.loads((DATA / "ce_global_min.json").read_text(encoding="utf-8"))
    for key in ("W", "H"):
        obj[key] = [[mpmath.nstr(mpmath.mpf(x), 20) for x in row] for row in obj[key]]
    pf = load_point(write(tmp_path, "p20.json", obj))
    assert pf.input_digits == 20
    c = classify(pf.problem, (pf.W, pf.H, pf.b), dps=50, input_digits=pf.input_digits)
    assert c.precision.digits == 20 and c.kind == "global_min"
    assert c.precision.margin > 1e-16 and c.gradient_norm > 1e-40
    # the 20-digit decimal point itself is certified: a critical point within about
    # 1e-20 times the norm of the inverse Hessian on the slice (lambda ~ 5e-3 here)
    assert c.certificate.certified and 1e-22 < c.certificate.existence.radius < 1e-14
    # judged at 50 digits, the same point is not critical
    strict = classify(pf.problem, pf.mp_point(50), dps=50)
    assert strict.kind == "not_critical"


def test_margin_rule() -> None:
    assert [effective_digits(50, t) for t in (None, 3, 20, 60)] == [50, 15, 20, 50]
    pr = precision_for(50, 30, 2.0, 10.0)
    assert pr.digits == 30 and abs(pr.margin / mpmath.mpf("2e-24") - 1) < 1e-10
    assert [significant_digits(x) for x in ("0.125", "3", 3, "1/7", "-0", "1.50e3")] == \
        [3, None, None, None, None, None]


# ---------------------------------------------------------------- d != K
def test_d_not_equal_K(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = Problem(loss="ce", K=3, n=2, d=4, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    obj = point_to_json(p, global_minimizer(p, dps=60), digits=50)
    rc, out, _ = run_cli(capsys, "classify", write(tmp_path, "d4.json", obj))
    assert rc == 0 and out.splitlines()[0].endswith("global_min")
    assert "Theorem 1.1 does not apply" in out


def test_d_below_K_local_min() -> None:
    """MSE, d = 2 < K = 3 in regime C: a local minimizer of the d = 2 problem fails
    the criterion, has no negative curvature, and exactly as many near-zero
    eigenvalues as its symmetry orbit has dimensions: local_min (the closed form
    needs d = 3, so it cannot be compared: not called spurious)."""
    import numpy as np

    from ufm_sym.highprec.evaluate import unflatten
    from ufm_sym.highprec.float_start import minimize

    p = Problem(loss="mse", K=3, n=1, d=2, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5")
    out = minimize(p, np.random.default_rng(0).normal(size=15))
    x = unflatten(p, [mpmath.mpf(float(t)) for t in out.x])
    c = classify(p, x, dps=40, refine=True)
    assert c.kind == "local_min" and "dimension of the symmetry orbit" in c.reason
    assert c.orbit.dimension == c.spectrum.near_zero == 1 and c.orbit.consistent
    assert not c.criterion.holds and c.spectrum.negative == 0
    assert c.escape is None and "rank W = 2 = d" in c.escape_note
    assert c.global_comparison.applies is False


# ---------------------------------------------------------------- spectrum
def test_refined_eigenvalues_match_mpmath_eigsy() -> None:
    rec = next(r for r in critical_points(CE, dps=60) if r.family == "rank-1")
    A = hessian_matrix(CE, rec.point, dps=50)
    margin = mpmath.mpf(10) ** -44
    fast = hessian_spectrum(A, margin, dps=50)
    slow = hessian_spectrum(A, margin, dps=50, method="mpmath")
    assert (fast.negative, fast.near_zero) == (slow.negative, slow.near_zero) == (2, 3)
    assert fast.certified and slow.certified
    with mpmath.workdps(50):
        assert max(abs(a - b) for a, b in zip(fast.eigenvalues, slow.eigenvalues,
                                              strict=True)) < 1e-46


def test_certificate_refuses_a_disc_across_zero() -> None:
    import flint

    S = flint.arb_mat([[mpmath.mpf("1e-30"), mpmath.mpf("1e-20")],
                       [mpmath.mpf("1e-20"), 2]])
    G = flint.arb_mat([[1, 0], [0, 1]])
    counts, _, why = certify_inertia(S, G, [mpmath.mpf(0)], 0, dps=40)
    assert counts is None and "contains 0" in why


# ---------------------------------------------------------------- bad input
def _bad_files() -> list[tuple[str, object, str]]:
    b = base_point()
    out: list[tuple[str, object, str]] = [
        ("empty", "", "empty file"),
        ("blank", "  \n", "empty file"),
        ("invalid-json", '{"loss": "ce",', "invalid JSON at line 1"),
        ("not-utf8", b'{"loss": "\xff"}', "not UTF-8 text (byte 0xff"),
        ("array", "[1, 2]", "top level must be a JSON object"),
        ("duplicate", json.dumps(b)[:-1] + ', "K": 3}', "duplicate key 'K'"),
    ]
    for key in ("W", "lambda_b", "loss"):
        m = dict(b)
        del m[key]
        out.append((f"missing-{key}", m, f"missing key '{key}'"))
    out.append(("extra-key", {**b, "bias": 0}, "unknown key 'bias'"))
    out.append(("W-rows", {**b, "W": b["W"][:2]}, "W: shape 2 x 3 does not match"))
    out.append(("H-ragged", {**b, "H": [b["H"][0][:-1]] + b["H"][1:]}, "H: rows of unequal"))
    out.append(("b-long", {**b, "b": b["b"] + ["0"]}, "b: shape 4 does not match"))
    out.append(("W-not-list", {**b, "W": "abc"}, "W: 'abc' is not a matrix"))
    w = [row[:] for row in b["W"]]
    w[1][2] = "0.1x"
    out.append(("non-numeric", {**b, "W": w}, "W[1, 2]: '0.1x' is not a number"))
    h = [row[:] for row in b["H"]]
    h[0][0] = "inf"
    out.append(("inf-string", {**b, "H": h}, "H[0, 0]: 'inf' is not a finite number"))
    out.append(("nan-literal", json.dumps(b).replace('"b": ["', '"b": [NaN, "', 1),
                "b[0]: NaN is not a finite number"))
    out.append(("neg-lambda-W", {**b, "lambda_W": "-0.01"}, "lambda_W: '-0.01' must be > 0"))
    out.append(("neg-lambda-b", {**b, "lambda_b": -1}, "lambda_b: -1 must be >= 0"))
    out.append(("zero-lambda-H", {**b, "lambda_H": 0}, "lambda_H: 0 must be > 0"))
    out.append(("lambda-text", {**b, "lambda_H": "small"}, "lambda_H: 'small' is not a number"))
    out.append(("K-float", {**b, "K": 3.0}, "K: 3.0 is not an integer"))
    out.append(("K-bool", {**b, "K": True}, "K: true is not an integer"))
    out.append(("loss", {**b, "loss": "hinge"}, "unknown loss 'hinge'"))
    out.append(("entry-null", {**b, "b": [None, "0", "0"]}, "b[0]: null is not a number"))
    return out


@pytest.mark.parametrize("name, content, message", _bad_files(),
                         ids=[c[0] for c in _bad_files()])
def test_bad_point_files_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                name: str, content: object, message: str) -> None:
    path = write(tmp_path, f"{name}.json", content)
    rc, out, err = run_cli(capsys, "classify", path)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("ufm-sym classify: error: ") and message in err, err


@pytest.mark.parametrize("argv, message", [
    (["--dps", "20"], "--dps: 20 is too low"),
    (["--dps", "5000"], "--dps: 5000 is too high"),
    (["--point-radius=-1e-3"], "--point-radius: -1/1000 must be >= 0"),
    (["--point-radius", "wide"], "--point-radius: 'wide' is not a number"),
    (["--point-radius", "inf"], "--point-radius: 'inf' is not a finite number"),
])
def test_bad_dps_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                        message: str) -> None:
    rc, out, err = run_cli(capsys, "classify", str(DATA / "ce_saddle.json"), *argv)
    assert rc == 2 and out == "" and err.count("\n") == 1 and message in err


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["classify", str(DATA / "ce_saddle.json"), "--dps", "x"])
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == "" and err.count("\n") == 1
    assert "invalid int value" in err


def test_missing_file_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, out, err = run_cli(capsys, "classify", str(tmp_path / "nope.json"))
    assert rc == 2 and out == "" and "no such file" in err and err.count("\n") == 1


def test_parse_point_api() -> None:
    with pytest.raises(UFMInputError, match="missing key 'H'"):
        parse_point('{"loss": "ce", "K": 2, "n": 1, "lambda_W": 1, "lambda_H": 1, '
                    '"lambda_b": 0, "W": [[0, 0], [0, 0]], "b": [0, 0]}')
    pf = parse_point(json.dumps(point_to_json(CE, global_minimizer(CE, dps=40), digits=30)))
    assert pf.input_digits == 30 and pf.problem == CE


def test_subprocess_classify() -> None:
    exe = [sys.executable, "-m", "ufm_sym.cli"]
    ok = subprocess.run(exe + ["classify", str(DATA / "ce_saddle.json"), "--json"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and json.loads(ok.stdout)["kind"] == "strict_saddle"
    bad = subprocess.run(["ufm-sym", "classify", str(DATA / "nope.json")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("module", ["ufm_sym.landscape", "ufm_sym.pointio",
                                    "ufm_sym.commands.classify"])
def test_doctests(module: str) -> None:
    import doctest
    import importlib

    res = doctest.testmod(importlib.import_module(module),
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
