"""Derivation snapshots (``ufm_sym.snapshots``) and the mutation tool (``tools/mutation.py``).

The snapshots hold the derived gradient, first variation and Hessian form (``srepr`` and
LaTeX) and every claim's statement LaTeX; when one changes, ``test_snapshots_match``
fails with the unified diff.  Accept an intended change with

    python -m ufm_sym.snapshots --update

The mutation tool itself runs outside the test suite; here it must list mutants, and a
known-bad mutant (the sign of beta in the direction (3.10), ``proofs/geometry.py``) must be
killed by the claim that checks (3.10), while a wrong *statement* that no evidence looks
at is caught by the snapshots.
"""

from __future__ import annotations

import doctest
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ufm_sym import snapshots

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "mutation.py"


# --------------------------------------------------------------------------- snapshots
@pytest.fixture(scope="module")
def current() -> dict[str, str]:
    return snapshots.build_snapshots()


def test_snapshots_match(current: dict[str, str]) -> None:
    diff = snapshots.check_snapshots(snapshots.DEFAULT_DIR, current)
    assert not diff, ("the derivation snapshots changed (python -m ufm_sym.snapshots --update "
                      "to accept):\n" + diff)


def test_snapshot_groups_and_content(current: dict[str, str]) -> None:
    assert list(current) == sorted(current)
    assert {"index_free", "claims_section1", "claims_section3"} <= set(current)
    text = current["index_free"]
    for name in ("grad_W", "grad_H", "grad_b", "first_variation", "hessian_form"):
        assert f"== {name}\nsrepr: " in text
    assert r"latex: \lambda_W \mathbf{W} + \nabla g(\mathbf{R}) \mathbf{H}^\top" in text
    s3 = current["claims_section3"]
    assert ("== eq:3.4" in s3 and r"statement: \lambda_W \mathbf{W}^\top \mathbf{W} = "
            r"\lambda_H \mathbf{H} \mathbf{H}^\top" in s3)
    assert all("!! paper_latex failed" not in t for t in current.values())
    # every registered claim is in exactly one group
    from ufm_sym.claims import load_registry

    labels = [c.label for c in load_registry(plugins=False)]
    heads = [ln[3:] for t in current.values() for ln in t.splitlines()
             if ln.startswith("== ") and ":" in ln]
    assert sorted(h for h in heads if h in labels) == sorted(labels)


def test_snapshots_are_stable(current: dict[str, str]) -> None:
    assert snapshots.build_snapshots() == current


def test_check_prints_a_diff_and_exits_1(tmp_path: Path, current: dict[str, str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    snapshots.write_snapshots(current, tmp_path)
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "claims_section3.txt"
    path.write_text(path.read_text().replace(r"\lambda_H \mathbf{H} \mathbf{H}^\top",
                                             r"- \lambda_H \mathbf{H} \mathbf{H}^\top", 1))
    (tmp_path / "stale.txt").write_text("old group\n")
    capsys.readouterr()
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "--- stored/claims_section3.txt" in out and "+++ current/claims_section3.txt" in out
    assert "\n-statement: " in out and "\n+statement: " in out
    assert "stored/stale.txt" in out and "--update" in err
    assert snapshots.main(["--update", "--dir", str(tmp_path)]) == 0
    assert not (tmp_path / "stale.txt").exists()
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 0


def test_statement_lines() -> None:
    import sympy as sp

    x = sp.Symbol("x")
    assert snapshots.statement_lines({"a": sp.Eq(x, 1)}) == ["a: x = 1"]
    assert snapshots.statement_lines((x, [x + 1])) == ["x", "x + 1"]
    assert snapshots.statement_lines("two  words") == ["two words"]


def test_doctests() -> None:
    result = doctest.testmod(snapshots)
    assert result.failed == 0 and result.attempted > 0


# --------------------------------------------------------------------------- mutation
def _tool():
    spec = importlib.util.spec_from_file_location("ufm_mutation_tool", TOOL)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_mutation_list_produces_mutants() -> None:
    proc = subprocess.run([sys.executable, str(TOOL), "--list", "--limit", "5"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 5 and all(ln.startswith("proofs/") and "  ->  " in ln for ln in lines)
    assert "5 of " in proc.stderr


def test_mutants_leave_text_and_tolerances_alone() -> None:
    tool = _tool()
    mutants = tool.generate_mutants(ROOT / "proofs" / "geometry.py")
    assert mutants and all(m.source != (ROOT / "proofs" / "geometry.py").read_text()
                           for m in mutants)
    for m in tool.all_mutants(["proofs/section3.py", "proofs/landscape.py"]):
        assert not m.original.lstrip("(").startswith(('"', "'", 'f"', "f'")), m.id  # text
        assert not any(w in m.function.lower() for w in ("tolerance", "margin")), m.id
    ops = {m.op for m in tool.all_mutants(["proofs/geometry.py", "proofs/section3.py"])}
    assert ops >= {"sign-unary", "sign-binop", "negate", "const", "rational", "div-mul",
                   "swap", "drop", "drop-part"}


def test_known_bad_mutants_are_killed_and_a_weaker_statement_is_caught(tmp_path: Path) -> None:
    """beta of (3.10) with the wrong sign: killed by the symbolic check of eq:3.10.  The
    statement of eq:3.4 with a flipped sign: killed by its symbolic check, which reads the
    statement (its high-precision check would too).  The bound of eq:3.8 weakened to
    rank W <= K: still true, yet eq:3.8's proof chain concludes rank W <= K - 1 (the
    named fact's instance), so its symbolic evidence fails: the chain's conclusion is
    not the statement."""
    tool = _tool()
    beta = [m for m in tool.generate_mutants(ROOT / "proofs" / "geometry.py")
            if m.function == "BETA_PAPER" and m.op == "sign-unary"]
    assert len(beta) == 1
    s3 = tool.generate_mutants(ROOT / "proofs" / "section3.py")
    statement = [m for m in s3 if m.op == "negate" and m.original == "lh * H * H.T"]
    assert statement, "no negate mutant of the statement of eq:3.4"
    weaker = [m for m in s3 if m.op == "drop" and m.original == "D.K - 1"
              and m.mutated == "D.K"]
    assert weaker, "no mutant K - 1 -> K of the rank bound"
    cfg = {"dps": 50, "seed": 0, "samples": 10, "labels": ["eq:3.10", "eq:3.4", "eq:3.8"],
           "levels": ["symbolic", "high-precision"], "snapshots": True}
    base, results = tool.run_mutants([beta[0], statement[0], weaker[0]], cfg, jobs=1,
                                     timeout=120, baseline=True, progress=False)
    assert base is not None and base.status == "survived", (base.status, base.why)
    killed, false_statement, weak_statement = results
    assert killed.status == "killed" and (killed.by, killed.level) == ("eq:3.10", "symbolic")
    assert false_statement.status == "killed", (false_statement.status, false_statement.why)
    # its symbolic check reads the statement too (lambda_W W^T W - lambda_H H H^T must be
    # the combination of the derived gradient), so it is the first to fail
    assert (false_statement.by, false_statement.level) == ("eq:3.4", "symbolic")
    assert weak_statement.status == "killed", (weak_statement.status, weak_statement.why)
    assert (weak_statement.by, weak_statement.level) == ("eq:3.8", "symbolic")


def test_copy_is_what_the_runner_imports(tmp_path: Path) -> None:
    tool = _tool()
    dest = tool.make_copy(ROOT, tmp_path / "copy")
    try:
        assert (dest / "proofs" / "geometry.py").is_file()
        assert not list(dest.rglob("__pycache__"))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
