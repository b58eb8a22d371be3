"""``ufm-sym sample`` and ``ufm-sym sweep``: exit codes, JSON, determinism, plots, cache,
parallel runs (joblib; dask LocalCluster on loopback, slow), and the doctests of the
numeric modules."""

from __future__ import annotations

import argparse
import doctest
import importlib
import json
from pathlib import Path

import pytest

from ufm_sym.cli import main
from ufm_sym.commands import sample as sample_cmd
from ufm_sym.commands import sweep as sweep_cmd
from ufm_sym.model import UFMInputError


def _strip_timing(obj):
    if isinstance(obj, dict):
        return {k: _strip_timing(v) for k, v in obj.items() if k != "seconds"}
    if isinstance(obj, list):
        return [_strip_timing(v) for v in obj]
    return obj


BASE = ["sample", "--loss", "ce", "--K", "3", "--n", "2", "--lambda-W", "0.01",
        "--lambda-H", "0.01", "--lambda-b", "0.01"]


def test_sample_table_and_exit_0(capsys):
    assert main(BASE + ["--count", "1"]) == 0
    out = capsys.readouterr().out
    assert "Theorem 1.1 applies" in out and "PASS" in out and "FAIL" not in out
    assert "tolerances:" in out


def test_sample_json_is_deterministic(capsys):
    argv = BASE + ["--count", "2", "--seed", "4", "--json"]
    assert main(argv) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    b = json.loads(capsys.readouterr().out)
    from ufm_sym import __version__

    assert a["version"] == __version__ and a["seed"] == 4
    assert (a["backend"], a["device"]) == ("numpy", "cpu")
    assert a["passed"] and a["n_samples"] == len(a["samples"]) >= 4
    assert json.dumps(_strip_timing(a)) == json.dumps(_strip_timing(b))
    s = a["samples"][0]
    assert {"kind", "problem", "numbers", "checks", "tolerances", "seed"} <= set(s)
    assert all(isinstance(v, float | int | str | type(None)) for v in s["numbers"].values())


@pytest.mark.parametrize("argv,msg", [
    (["--backend", "jax"], "unknown backend"),
    (["--kinds", "global,foo"], "unknown kind"),
    (["--count", "0"], "count"),
    (["--device", "cuda"], "CPU only"),
])
def test_sample_bad_input_exits_2(argv, msg, capsys):
    assert main(BASE + argv) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


def test_sample_bad_problem_exits_2(capsys):
    assert main(["sample", "--loss", "hinge", "--K", "3", "--n", "2"]) == 2
    assert "unknown loss" in capsys.readouterr().err


def test_sample_run_returns_1_when_a_validation_fails(monkeypatch, capsys):
    from ufm_sym.numeric import sampling

    real = sampling.validate

    def lying_validate(*a, **k):
        rec = real(*a, **k)
        rec.checks["escape_curvature"] = False  # as if the sign of (3.11) were wrong
        return rec

    monkeypatch.setattr(sampling, "validate", lying_validate)
    assert main(BASE + ["--kinds", "origin"]) == 1
    assert "FAIL: escape_curvature" in capsys.readouterr().out


def test_sample_register_and_run_directly(tmp_path):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    sample_cmd.register(sub)
    args = parser.parse_args(["sample", "--loss", "mse", "--K", "3", "--n", "2",
                              "--kinds", "global,saddle", "--json"])
    assert args.func is sample_cmd.run
    with pytest.raises(UFMInputError):
        sample_cmd.run(parser.parse_args(["sample", "--loss", "mse", "--K", "1", "--n", "2"]))


def test_sample_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    d = tmp_path / "figs"
    assert main(BASE + ["--kinds", "global,saddle", "--plots", str(d)]) == 0
    names = sorted(p.name for p in d.iterdir())
    assert names == ["escape_descent.png", "escape_profile.png", "hessian_spectrum.png"]
    for p in d.iterdir():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


GRID = """
seed = 1
count = 1
kinds = ["global", "origin"]

[grid]
loss = ["ce", "mse"]
K = [3]
n = [2]
lambda_W = ["0.01"]
lambda_H = ["0.01"]
lambda_b = ["0", "0.01"]
"""


def _grid(tmp_path: Path, text: str = GRID) -> Path:
    g = tmp_path / "grid.toml"
    g.write_text(text)
    return g


def test_sweep_cache_and_csv(tmp_path, capsys):
    g = _grid(tmp_path)
    cache = tmp_path / "cache"
    assert main(["sweep", str(g), "--cache", str(cache), "--json", "--csv",
                 str(tmp_path / "s.csv")]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["passed"] and first["computed"] == 4 and first["cached"] == 0
    assert not (tmp_path / "grid.csv").exists()        # no CSV unless --csv asks
    rows = (tmp_path / "s.csv").read_text().splitlines()
    assert rows[0].startswith("loss,K,n,d,") and len(rows) == 5
    # a re-run computes nothing; a new cell computes only itself
    assert main(["sweep", str(g), "--cache", str(cache), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["computed"] == 0 and again["cached"] == 4
    assert _strip_timing(again["cells"]) == [dict(_strip_timing(c), cached=True)
                                            for c in first["cells"]]
    _grid(tmp_path, GRID.replace('K = [3]', 'K = [3, 4]'))
    assert main(["sweep", str(g), "--cache", str(cache), "--json"]) == 0
    more = json.loads(capsys.readouterr().out)
    assert more["computed"] == 4 and more["cached"] == 4
    # explicit seeds: the same cell keeps its seed when others are added
    seeds = {(c["loss"], c["K"], c["lambda_b"]): c["seed"] for c in more["cells"]}
    for c in first["cells"]:
        assert seeds[(c["loss"], c["K"], c["lambda_b"])] == c["seed"]


def test_sweep_table_and_explicit_cell_seed(tmp_path, capsys):
    text = GRID + '\n[[cells]]\nloss = "ce"\nK = 4\nn = 1\nseed = 42\n'
    g = _grid(tmp_path, text)
    assert main(["sweep", str(g), "--csv", str(tmp_path / "out.csv")]) == 0
    out = capsys.readouterr().out
    assert "5 cells (5 computed, 0 from cache)" in out
    assert ",42," in (tmp_path / "out.csv").read_text()


@pytest.mark.parametrize("text,msg", [
    ("seed = 1\n", "no cells"),
    ("[grid]\nloss = ['ce']\nK = [3]\n", "lacks 'n'"),
    ("[grid]\nloss = ['ce']\nK = [3]\nn = [2]\nlambda_W = ['-1']\n", "lambda_W"),
    ("bogus = 1\n", "unknown key"),
    ("[grid\n", "not valid TOML"),
    ("kinds = ['foo']\n[grid]\nloss = ['ce']\nK = [3]\nn = [2]\n", "unknown kind"),
])
def test_sweep_bad_grid_exits_2(tmp_path, capsys, text, msg):
    assert main(["sweep", str(_grid(tmp_path, text))]) == 2
    assert msg in capsys.readouterr().err


def test_sweep_missing_file_exits_2(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_sweep_with_joblib_processes(tmp_path, capsys):
    pytest.importorskip("joblib")
    g = _grid(tmp_path)
    assert main(["sweep", str(g), "--jobs", "2", "--json"]) == 0
    par = json.loads(capsys.readouterr().out)
    assert main(["sweep", str(g), "--json"]) == 0
    ser = json.loads(capsys.readouterr().out)
    assert _strip_timing(par["cells"]) == _strip_timing(ser["cells"])


@pytest.mark.slow
def test_sweep_on_a_dask_local_cluster(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    g = _grid(tmp_path, GRID.replace('lambda_b = ["0", "0.01"]', 'lambda_b = ["0"]'))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        assert main(["sweep", str(g), "--scheduler", cluster.scheduler_address,
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] and out["computed"] == 2


def test_sweep_unreachable_scheduler_exits_2(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep_cmd, "CONNECT_TIMEOUT", "1s")
    g = _grid(tmp_path)
    assert main(["sweep", str(g), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot connect" in capsys.readouterr().err


def test_sweep_module_exposes_register():
    assert callable(sweep_cmd.register) and callable(sweep_cmd.run)


# ------------------------------------------------------------------ doctests
MODULES = ["ufm_sym.numeric", "ufm_sym.numeric.backend", "ufm_sym.numeric.kernels",
           "ufm_sym.numeric.eigen", "ufm_sym.numeric.closed_forms", "ufm_sym.numeric.escape",
           "ufm_sym.numeric.metrics", "ufm_sym.numeric.optimize", "ufm_sym.numeric.sampling"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted >= 1


def test_example_grid_is_the_documented_format(capsys):
    """examples/grid.toml is the format that --help prints, and it loads: 2 x 2 x 2 grid
    cells plus one extra cell with its own seed."""
    import textwrap

    from ufm_sym.commands.sweep import GRID_FORMAT, expand_cells, load_grid

    root = Path(__file__).resolve().parents[1]
    example = (root / "examples" / "grid.toml").read_text()
    assert textwrap.dedent(GRID_FORMAT) in example
    cells = expand_cells(load_grid(root / "examples" / "grid.toml"))
    assert len(cells) == 9 and cells[-1]["seed"] == 42
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    assert "[grid]" in capsys.readouterr().out
