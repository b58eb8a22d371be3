"""One verification run serves the appendix, the graph and the blueprint: the report is
read back (``--from-report``) with bad input refused in one line, and the files written
honour the umask."""

from __future__ import annotations

import json
import os
import stat

import pytest
import sympy as sp

import ufm_sym.claims
from ufm_sym.atomic_write import atomic_write_text
from ufm_sym.claims import Evidence, Registry, VerifyContext
from ufm_sym.cli import main
from ufm_sym.report import ReportFormatError, from_json, to_json


def toy_registry() -> Registry:
    reg = Registry()
    a = reg.claim("eq:a", "x squared", statement=sp.Ge(sp.Symbol("x") ** 2, 0), section="1")
    a.check("symbolic")(lambda claim, ctx: Evidence.exact("symbolic", True, "x**2 >= 0"))
    b = reg.claim("thm:b", "the theorem", uses=("eq:a",), kind="theorem", section="1")
    b.check("numeric")(lambda claim, ctx: Evidence.from_residual(
        "numeric", 1e-14, 1e-10, 5, "five points"))
    return reg


def counting_registry(runs: list[str]):
    def make() -> Registry:
        reg = toy_registry()
        real = reg.run
        reg.run = lambda *a, **k: (runs.append("run"), real(*a, **k))[1]  # type: ignore
        return reg
    return make


@pytest.fixture
def report_file(tmp_path):
    path = tmp_path / "verify.json"
    path.write_text(json.dumps(to_json(toy_registry().run(VerifyContext(dps=30, seed=3)))))
    return path


def test_round_trip_keeps_every_field():
    rep = toy_registry().run(VerifyContext(dps=30, seed=3, numeric_samples=7))
    again = from_json(json.loads(json.dumps(to_json(rep))))
    assert to_json(again) == to_json(rep)


@pytest.mark.parametrize("data, needle", [
    ([], "not a `ufm-sym verify --json` report"),
    ({"tool": "other"}, "not a"),
    ({"schema": 2}, "schema 2"),
    ({"schema": 1, "dps": 50}, "missing field"),
    ({"schema": 1, "dps": "x", "seeds": {"seed": 0}, "numeric_samples": 1, "claims": []},
     "malformed"),
])
def test_malformed_reports_are_refused(data, needle):
    with pytest.raises(ReportFormatError, match=needle):
        from_json(data)


@pytest.mark.parametrize("command, out", [
    ("appendix", "app"), ("graph", "g.svg"), ("blueprint", "bp"),
])
def test_from_report_runs_no_claim(tmp_path, monkeypatch, capsys, report_file, command, out):
    runs: list[str] = []
    monkeypatch.setattr(ufm_sym.claims, "load_registry", counting_registry(runs))
    assert main([command, "--out", str(tmp_path / out), "--from-report", str(report_file)]) == 0
    assert runs == []
    written = list((tmp_path / out).rglob("*")) if (tmp_path / out).is_dir() else \
        [tmp_path / out]
    assert written and all(p.exists() for p in written)
    if command == "appendix":
        tex = (tmp_path / out / "appendix.tex").read_text()
        assert "seed 3" in tex and "five points" in tex   # the stored run's evidence


@pytest.mark.parametrize("args, needle", [
    (["--from-report", "{tmp}/none.json"], "cannot read"),
    (["--from-report", "{tmp}/bad.json"], "is not JSON"),
    (["--from-report", "{tmp}/schema.json"], "schema 9"),
    (["--from-report", "{tmp}/alien.json"], "eq:alien"),
    (["--from-report", "{report}", "--no-run"], "--no-run"),
    (["thm:zz", "--from-report", "{report}"], "thm:zz"),
])
@pytest.mark.parametrize("command", ["appendix", "graph", "blueprint"])
def test_from_report_bad_input_exits_2_with_one_line(tmp_path, monkeypatch, capsys,
                                                      report_file, command, args, needle):
    monkeypatch.setattr(ufm_sym.claims, "load_registry", toy_registry)
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "schema.json").write_text(json.dumps({"schema": 9}))
    data = json.loads(report_file.read_text())
    data["claims"][0]["label"] = "eq:alien"
    (tmp_path / "alien.json").write_text(json.dumps(data))
    out = tmp_path / ("g.svg" if command == "graph" else "out")
    argv = [command, "--out", str(out)] + [
        a.replace("{tmp}", str(tmp_path)).replace("{report}", str(report_file)) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_a_report_missing_a_named_label_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ufm_sym.claims, "load_registry", toy_registry)
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(to_json(toy_registry().run(VerifyContext(), ["eq:a"]))))
    assert main(["appendix", "thm:b", "--out", str(tmp_path / "a"),
                 "--from-report", str(path)]) == 2
    assert "no result for thm:b" in capsys.readouterr().err


# ------------------------------------------------------------------------ umask
def test_new_files_honour_the_umask_and_rewrites_keep_the_mode(tmp_path):
    old = os.umask(0o022)
    try:
        f = atomic_write_text(tmp_path / "a.tex", "x")
        assert stat.S_IMODE(f.stat().st_mode) == 0o644
        os.umask(0o077)
        assert stat.S_IMODE(atomic_write_text(tmp_path / "b.tex", "x").stat().st_mode) == 0o600
        f.chmod(0o664)
        atomic_write_text(f, "y")                     # a rewrite keeps the file's mode
        assert stat.S_IMODE(f.stat().st_mode) == 0o664 and f.read_text() == "y"
    finally:
        os.umask(old)


def test_command_outputs_are_0644_under_umask_022(tmp_path, monkeypatch, report_file):
    monkeypatch.setattr(ufm_sym.claims, "load_registry", toy_registry)
    old = os.umask(0o022)
    try:
        assert main(["appendix", "--out", str(tmp_path / "app"), "--no-run"]) == 0
        assert main(["graph", "--out", str(tmp_path / "g.svg"), "--no-run"]) == 0
        assert main(["blueprint", "--out", str(tmp_path / "bp"), "--no-run"]) == 0
    finally:
        os.umask(old)
    files = [tmp_path / "app" / "appendix.tex", tmp_path / "g.svg",
             *(p for p in (tmp_path / "bp").rglob("*") if p.is_file())]
    assert len(files) >= 9
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {oct(0o644)}
