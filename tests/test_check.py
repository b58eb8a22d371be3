"""``ufm-sym check`` and :mod:`ufm_sym.check`.

Identities that hold (and are proved symbolically), ones that do not (a flipped sign,
a wrong constant, an identity true only at global minimizers checked at saddles),
and malformed expressions (exit 2, one line on stderr naming the offending piece,
no traceback).  Small settings (``--K 3 --n 2`` for CE, ``--K 3 --n 1`` for MSE) keep
the sampled critical points cheap; they are cached across the tests.
"""

from __future__ import annotations

import json
import subprocess

import mpmath
import pytest

from ufm_sym.check import (
    check_identity,
    check_settings,
    environment,
    evaluate_residual,
    parse_expression,
    prove_symbolically,
)
from ufm_sym.cli import main
from ufm_sym.highprec.evaluate import to_mp_point
from ufm_sym.model import Problem, UFMInputError

CE_ARGS = ["--loss", "ce", "--K", "3", "--n", "2"]
MSE_ARGS = ["--loss", "mse", "--K", "3", "--n", "1"]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["check", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


# ------------------------------------------------------------ holds / fails
def test_balance_holds_at_critical_points_and_is_proved(
        capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, "lambda_W*W.T@W == lambda_H*H@H.T", *CE_ARGS)
    assert rc == 0 and err == ""
    assert "holds at all" in out
    assert "proved symbolically: lhs - rhs == W.T*grad_W - grad_H*H.T" in out


def test_balance_fails_at_random_points(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, "lambda_W*W.T@W == lambda_H*H@H.T", *CE_ARGS,
                           "--at", "random")
    assert rc == 1 and "FAILS" in out and "random-" in err and err.count("\n") == 1
    assert "proved symbolically" in out  # at critical points only: consistent


def test_ce_column_sums_hold_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "ones_K.T@G == 0*ones_N.T", *CE_ARGS, "--at", "random")
    assert rc == 0 and "(3.6)" in out and "holds everywhere" in out
    rc, out, _ = run_cli(capsys, "ones_K.T@G == 0", *MSE_ARGS, "--at", "random")
    assert rc == 1  # not for MSE
    assert "not proved symbolically" in out


@pytest.mark.parametrize("expr", [
    "lambda_W*W.T@W == -lambda_H*H@H.T",       # flipped sign
    "lambda_W*W.T@W == 2*lambda_H*H@H.T",      # wrong constant
])
def test_wrong_identities_fail(capsys: pytest.CaptureFixture[str], expr: str) -> None:
    rc, out, err = run_cli(capsys, expr, *CE_ARGS)
    assert rc == 1 and "FAILS" in out and "not proved symbolically" in out
    assert err.startswith("ufm-sym check: fails at ") and err.count("\n") == 1


def test_global_only_identity_fails_at_saddles(capsys: pytest.CaptureFixture[str]) -> None:
    expr = "rank(W) == K-1"  # CE global minimizers, nonzero regime
    rc, out, _ = run_cli(capsys, expr, *CE_ARGS, "--at", "saddle")
    assert rc == 1 and "not proved symbolically: rank" in out
    rep = check_identity(expr, "ce", at="global", K=3, n=2)
    assert {p.regime for p in rep.points if p.holds} == {"ce-nonzero"}
    assert {p.regime for p in rep.failures} == {"ce-zero"}


def test_mse_identities(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "G@ones_N + lambda_b*b == 0", *MSE_ARGS)
    assert rc == 0 and "lhs - rhs == grad_b" in out
    rc, out, _ = run_cli(capsys, "lambda_W*trace(W.T@W) == lambda_H*norm(H)**2", *MSE_ARGS)
    assert rc == 0 and "tr(grad_W*W.T) - tr(grad_H*H.T)" in out
    rc, _, _ = run_cli(capsys, "rank(W) == rank(H)", *MSE_ARGS, "--at", "saddle")
    assert rc == 0


def test_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "lambda_W*ones_K.T@W == 0", *CE_ARGS, "--json")
    obj = json.loads(out)
    assert rc == 0 and obj["holds"] is True and obj["at"] == "critical"
    assert obj["symbolic"]["combination"] == "ones_K.T*grad_W - (ones_K.T*G)*H.T"
    assert obj["tolerance"] == "1.0e-40" and obj["points"] == len(obj["residuals"])
    assert float(obj["worst"]["relative_residual"]) < 1e-40
    assert {r["kind"] for r in obj["residuals"]} >= {"global_min", "saddle"}


# ------------------------------------------------------------------ API
def test_parse_and_shapes() -> None:
    e = parse_expression("  G@ones_N + lambda_b*b  ")
    assert not e.is_equation and e.lhs_shape == ("K", "1")
    assert parse_expression("ones_K.T@b == 1").lhs_shape == ("1", "1")
    assert parse_expression("trace(W.T@W)**0.5 == norm(W)").lhs_shape is None


def test_residual_is_relative_to_the_largest_term() -> None:
    p = Problem(loss="mse", K=2, n=1, lambda_W=1, lambda_H=1)
    env = environment(p, to_mp_point(p, [[3, 0], [0, 4]], [[1, 0], [0, 1]], [0, 0]), 30)
    rel, ab, scale = evaluate_residual(parse_expression("norm(W) == 5 + 1e-6"), env, 30)
    with mpmath.workdps(30):
        assert abs(ab - mpmath.mpf("1e-6")) < 1e-25 and scale == 5
        assert abs(rel - mpmath.mpf("2e-7")) < 1e-25


def test_symbolic_proofs() -> None:
    assert prove_symbolically(parse_expression("trace(W.T@W) == norm(W)**2"), "ce").how == \
        "identical"
    assert prove_symbolically(parse_expression("W.T.T == W"), "ce").how == "identical"
    p = prove_symbolically(parse_expression("lambda_W*W == -G@H.T"), "mse")
    assert p.proved and p.combination == "grad_W"
    assert not prove_symbolically(parse_expression("norm(G) == 1"), "ce").proved


def test_settings() -> None:
    from ufm_sym.closed_form import regime

    assert [regime(p) for p in check_settings("ce", K=3, n=2)] == \
        ["ce-nonzero", "ce-nonzero", "ce-zero"]
    assert all(p.loss == "mse" for p in check_settings("mse"))


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("expr, message", [
    ("__import__('os')", "call to '__import__' is not allowed"),
    ("W.__class__", "attribute '.__class__' in 'W.__class__' is not allowed"),
    ("[x for x in y]", "list comprehension '[x for x in y]' is not allowed"),
    ("W[0]", "subscript 'W[0]' is not allowed"),
    ("(lambda: W)()", "call '(lambda: W)()' is not allowed"),
    ("'os'", "string constant 'os' is not allowed"),
    ("open", "unknown name 'open'"),
    ("__builtins__", "dunder name '__builtins__'"),
    ("W < H", "'<' compares scalars, got K x d < d x N"),
    ("W == H == W", "one relation (==, <=, <, >=, >) is allowed"),
    ("lambda_W <= lambda_H <= 1", "one relation (==, <=, <, >=, >) is allowed"),
    ("W != W", "one relation (==, <=, <, >=, >) is allowed"),
    ("W // 2", "operator '//'"),
    ("G @ W", "shape mismatch in 'G @ W': K x N @ K x d"),
    ("W @ W", "shape mismatch in 'W @ W': K x d @ K x d"),
    ("W.T @ G == W", "the two sides have different shapes"),
    ("W * H", "'*' multiplies by scalars only"),
    ("W ** 2", "'**' needs scalars"),
    ("trace(G)", "trace needs a square matrix"),
    ("norm(W, 3)", "norm(X, p) takes p = 2 (spectral)"),
    ("norm(W, 2, 2)", "norm takes one or two arguments"),
    ("sigma_max(W, 2)", "sigma_max takes exactly one argument"),
    ("eigmin(W @ H)", "eigmin needs a square (symmetric) matrix, got K x N"),
    ("eigmax(lambda_W)", "eigmax needs a square (symmetric) matrix, got scalar"),
    ("sigma_min(K)", "sigma_min needs a matrix, got a scalar"),
    ("eigmin(H@H.T@W.T@W) >= 0", "'eigmin(H@H.T@W.T@W)' is not symmetric"),
    ("W +", "invalid syntax"),
    ("", "empty expression"),
    ("1/lambda_b", "division by zero in '1/lambda_b'"),
])
def test_malformed_expressions_exit_2(capsys: pytest.CaptureFixture[str], expr: str,
                                      message: str) -> None:
    rc, out, err = run_cli(capsys, expr, "--loss", "mse", "--K", "2", "--n", "1",
                           "--at", "random")
    assert rc == 2 and out == "" and err.count("\n") == 1, err
    assert "Traceback" not in err and message in err, err
    assert err.startswith("ufm-sym check: error: EXPR: ")


@pytest.mark.parametrize("argv, message", [
    (["W", "--loss", "hinge"], "--loss: unknown loss 'hinge'"),
    (["W", "--loss", "ce", "--dps", "10"], "--dps: 10 is too low"),
    (["W", "--loss", "ce", "--K", "1"], "--K: 1 is too small"),
])
def test_bad_options_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                            message: str) -> None:
    rc, out, err = run_cli(capsys, *argv)
    assert rc == 2 and out == "" and message in err and err.count("\n") == 1


def test_api_refuses_bad_expressions() -> None:
    with pytest.raises(UFMInputError, match="EXPR: lambda 'lambda x: x' is not allowed"):
        parse_expression("lambda x: x")
    with pytest.raises(UFMInputError, match="nested too deeply|too large"):
        parse_expression("-" * 150 + "W")


def test_subprocess_check() -> None:
    bad = subprocess.run(["ufm-sym", "check", "W.__class__", "--loss", "ce"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == ("ufm-sym check: error: EXPR: attribute '.__class__' in "
                          "'W.__class__' is not allowed (only .T)\n")
    ok = subprocess.run(["ufm-sym", "check", "W.T.T == W", "--loss", "mse", "--K", "2",
                         "--n", "1", "--at", "random", "--dps", "30"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "holds at all 12 points" in ok.stdout


@pytest.mark.parametrize("module", ["ufm_sym.expr_check", "ufm_sym.commands.check"])
def test_doctests(module: str) -> None:
    import doctest
    import importlib

    res = doctest.testmod(importlib.import_module(module),
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0


# ------------------------------------------------------- inequalities, norms, a point
DATA = __import__("pathlib").Path(__file__).resolve().parent / "data"


def test_spectral_criterion_as_an_inequality(capsys: pytest.CaptureFixture[str]) -> None:
    """||grad g||_2 <= sqrt(lW lH) holds at global minimizers (with equality for CE: the
    non-strict relation accepts it within the tolerance) and fails at saddles, naming the
    worst point; the strict and the flipped relations fail at global minimizers."""
    crit = "norm(G, 2) <= sqrt(lambda_W*lambda_H)"
    rc, out, err = run_cli(capsys, crit, *CE_ARGS, "--at", "global")
    assert rc == 0 and "holds at all" in out
    rc, out, err = run_cli(capsys, crit, *CE_ARGS, "--at", "saddle")
    assert rc == 1 and "FAILS" in out and "worst at CE K=3" in err and "excess" in err
    for wrong in ("norm(G, 2) < sqrt(lambda_W*lambda_H)", "norm(G, 2) > sqrt(lambda_W*lambda_H)"):
        assert run_cli(capsys, wrong, *CE_ARGS, "--at", "global")[0] == 1


@pytest.mark.parametrize("expr, holds", [
    ("norm(W, 2) <= norm(W)", True),
    ("norm(W) <= norm(W, 2)", False),                  # Frobenius > spectral at rank >= 2
    ("sigma_max(W) == norm(W, 2)", True),
    ("eigmax(W.T@W) == sigma_max(W)**2", True),
    ("eigmin(W.T@W) == sigma_min(W)**2", True),
    ("eigmin(W.T@W) == sigma_max(W)**2", False),
    ("sigma_min(W) <= sigma_max(W)", True),
])
def test_matrix_functionals_at_random_points(capsys: pytest.CaptureFixture[str], expr: str,
                                             holds: bool) -> None:
    rc, _, _ = run_cli(capsys, expr, *MSE_ARGS, "--at", "random")
    assert rc == (0 if holds else 1)


def test_fixed_lambdas_and_d(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "lambda_b == 0", "--loss", "ce", "--lambda-b", "0",
                         "--at", "random", "--json")
    data = json.loads(out)
    assert rc == 0 and data["settings"] and all("lb=0" in s for s in data["settings"])
    rc, out, _ = run_cli(capsys, "d == K + 1", "--loss", "mse", "--K", "3", "--n", "1",
                         "--d", "4", "--lambda-W", "1/50", "--at", "random", "--json")
    data = json.loads(out)
    assert rc == 0 and all("lW=1/50" in s for s in data["settings"])
    assert run_cli(capsys, "d == K", "--loss", "mse", "--K", "3", "--n", "1", "--d", "4",
                   "--at", "random")[0] == 1


def test_at_the_users_point_with_the_margin_of_classify(
        capsys: pytest.CaptureFixture[str]) -> None:
    from ufm_sym.landscape import classify
    from ufm_sym.pointio import load_point

    path = str(DATA / "ce_saddle.json")
    rc, out, _ = run_cli(capsys, "lambda_W*W.T@W == lambda_H*H@H.T", "--point", path, "--json")
    data = json.loads(out)
    pf = load_point(path)
    c = classify(pf.problem, (pf.W, pf.H, pf.b), input_digits=pf.input_digits)
    assert rc == 0 and data["points"] == 1 and data["at"] == "point"
    assert data["tolerance"] == mpmath.nstr(c.precision.margin, 3)
    rc, _, err = run_cli(capsys, "norm(G, 2) <= sqrt(lambda_W*lambda_H)", "--point", path)
    assert rc == 1 and "ce_saddle.json" in err          # a saddle violates the criterion
    # the point's own file fixes the problem
    rc, _, err = run_cli(capsys, "K == 3", "--point", path, "--K", "3")
    assert rc == 2 and "--point: the point's file fixes the problem; drop --K" in err
    rc, _, err = run_cli(capsys, "K == 3", "--point", path, "--loss", "mse")
    assert rc == 2 and "is a ce point" in err


def test_check_identity_at_a_float_point_uses_its_digits() -> None:
    """A float64 point is judged at the digits it carries (as in POINT.json), so a
    balance residual of 1e-17 holds; the same point read as exact would fail."""
    import numpy as np

    from ufm_sym.numeric import closed_form_global_minimizer

    p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    x = closed_form_global_minimizer(p)
    r = check_identity("lambda_W*W.T@W == lambda_H*H@H.T", point=(p, x))
    assert r.holds and r.tolerance > mpmath.mpf("1e-16")
    exact = [[[mpmath.mpf(float(v)) for v in row] for row in np.atleast_2d(a)] for a in x[:2]]
    r2 = check_identity("lambda_W*W.T@W == lambda_H*H@H.T",
                        point=(p, (exact[0], exact[1], [mpmath.mpf(float(v)) for v in x[2]])))
    assert not r2.holds
