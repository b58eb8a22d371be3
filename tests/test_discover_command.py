"""``ufm-sym discover``: JSON, POINT.json files, the text report, exit codes, the atlas."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ufm_sym.cli import main
from ufm_sym.discover.kinds import KINDS

ARGS = ["discover", "--loss", "ce", "--K", "3", "--n", "1", "--d", "2", "--starts", "6",
        "--dps", "30"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_lists_points_with_kind_multiplicity_invariants(capsys, tmp_path) -> None:
    rc, out, err = run(capsys, *ARGS, "--json", "--out", str(tmp_path / "o"))
    assert rc == 0 and err == ""
    obj = json.loads(out)
    assert obj["command"] == "discover" and obj["theorem"]["applies"] is False
    assert obj["starts"] == 6 and obj["seed"] == 0 and obj["dps"] == 30
    assert set(obj["counts"]) == set(KINDS)
    assert sum(p["multiplicity"] for p in obj["points"]) + obj["unconverged_starts"] == 6
    for p in obj["points"]:
        assert p["kind"] in KINDS and isinstance(p["objective"], str)
        assert float(p["objective"]) == pytest.approx(float(p["invariants"]["objective"]))
        assert {"singular_values_W", "hessian_eigenvalues"} <= set(p["invariants"])
        assert p["point"]["d"] == 2 and p["point_file"].startswith(f"orbit-{p['index']:03d}")
    assert "margin" in obj["tolerances"] and "float_same_orbit" in obj["tolerances"]
    files = [Path(f).name for f in obj["files"]]
    assert files[0] == "discover.json" and len(files) == 1 + len(obj["points"])
    # every POINT.json classifies to the kind discover gave it
    for p in obj["points"][:2]:
        rc, out, _ = run(capsys, "classify", str(tmp_path / "o" / p["point_file"]), "--dps",
                         "30")
        assert rc == 0 and out.splitlines()[0].endswith(f": {p['kind']}")


def test_text_report(capsys) -> None:
    rc, out, _ = run(capsys, *ARGS)
    assert rc == 0
    assert "Theorem 1.1 does not apply" in out and "objective" in out
    assert "margins: 10^-(D - 5)" in out and "same orbit: float64" in out
    assert "found in these starts only" in out


def test_a_contradiction_at_d_equal_K_exits_1(capsys, monkeypatch) -> None:
    import ufm_sym.discover.search as search

    real = search.discover

    def fake(*a, **kw):
        r = real(*a, **kw)
        r.orbits[-1].kind = "local_min"
        return r

    monkeypatch.setattr(search, "discover", fake)
    rc, out, _ = run(capsys, "discover", "--loss", "mse", "--K", "2", "--n", "1",
                     "--starts", "3", "--dps", "30")
    assert rc == 1 and "CONTRADICTION" in out


def test_unreachable_scheduler_exits_2(capsys, monkeypatch, tmp_path) -> None:
    pytest.importorskip("distributed")
    import ufm_sym.grid

    monkeypatch.setattr(ufm_sym.grid, "CONNECT_TIMEOUT", "1s")
    out_dir = tmp_path / "new"
    rc, out, err = run(capsys, *ARGS, "--scheduler", "tcp://127.0.0.1:9", "--out", str(out_dir))
    assert rc == 2 and "--scheduler: cannot connect to 'tcp://127.0.0.1:9'" in err
    assert out == "" and not out_dir.exists()   # nothing half-written


GRID = 'starts = 4\ndps = 30\n[grid]\nloss = ["ce"]\nK = [2]\nn = [1]\nd = [1, 2]\n'


def test_atlas_writes_csv_json_plot_and_uses_its_cache(capsys, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    g = tmp_path / "g.toml"
    g.write_text(GRID)
    out_dir, cache = tmp_path / "atlas", tmp_path / "cache"
    rc, out, _ = run(capsys, "discover", "--grid", str(g), "--out", str(out_dir),
                     "--cache", str(cache), "--json")
    assert rc == 0
    obj = json.loads(out)
    assert [r["d"] for r in obj["rows"]] == [1, 2] and obj["computed"] == 2
    assert all(r["global_min"] == 1 and not r["spurious_found"] for r in obj["rows"])
    csv = (out_dir / "atlas.csv").read_text().splitlines()
    assert csv[0].startswith("loss,K,n,d,") and "spurious_local_min" in csv[0]
    assert len(csv) == 3
    assert (out_dir / "atlas.png").read_bytes()[:4] == b"\x89PNG"
    rc, out, _ = run(capsys, "discover", "--grid", str(g), "--cache", str(cache),
                     "--csv", str(tmp_path / "again.csv"))
    assert rc == 0 and "2 cells (0 computed, 2 from cache)" in out


def test_atlas_plot_without_matplotlib_says_so(capsys, tmp_path, monkeypatch) -> None:
    g = tmp_path / "g.toml"
    g.write_text(GRID)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    rc, out, err = run(capsys, "discover", "--grid", str(g), "--plot", str(tmp_path / "a.png"))
    assert rc == 2 and out == ""
    assert "--plot: the atlas plot needs matplotlib, which is not installed" in err


def test_help_names_the_kinds(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["discover", "--help"])
    out = capsys.readouterr().out
    for k in KINDS:
        assert k in out
    assert "--grid" in out and "--starts" in out
