"""The notebooks: stored without outputs, parameters first, reading the claims, paired
with jupytext percent-format ``.py`` files that are in sync, the proof notebooks up to date
with the registry (``tools/proof_notebooks.py``), and each one runs top to bottom (executed
with nbclient, two at a time)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ufm_sym.appendix.strip_notebooks import main as strip_main
from ufm_sym.appendix.strip_notebooks import strip

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = [
    "01_models_and_derivatives.ipynb",
    "02_section3_ce.ipynb",
    "03_section4_mse.ipynb",
    "04_numeric_landscape.ipynb",
    "05_proof_theorem_1_1.ipynb",
    "06_proof_theorem_1_2.ipynb",
]
#: each notebook must run in under two minutes on two cores; allow for a slow machine
TIMEOUT_S = 240


def load(name: str) -> dict:
    return json.loads((NOTEBOOK_DIR / name).read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def test_the_notebooks_exist():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == NOTEBOOKS
    assert (NOTEBOOK_DIR / "README.md").exists()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_is_paired_with_a_percent_script_in_sync(name):
    """``jupytext --sync`` leaves nothing to do: the ``.py`` (what a diff shows) and the
    ``.ipynb`` hold the same cells."""
    jupytext = pytest.importorskip("jupytext")
    ipynb = NOTEBOOK_DIR / name
    script = ipynb.with_suffix(".py")
    assert script.exists(), f"pair it: jupytext --set-formats ipynb,py:percent {ipynb}"
    assert load(name)["metadata"]["jupytext"]["formats"] == "ipynb,py:percent"
    a = jupytext.read(ipynb)
    b = jupytext.read(script, fmt="py:percent")
    cells = lambda nb: [(c.cell_type, c.source.strip(), c.metadata.get("tags", []))  # noqa: E731
                        for c in nb.cells]
    assert cells(a) == cells(b), f"out of sync: jupytext --sync {ipynb}"


def test_a_notebook_out_of_sync_is_caught(tmp_path):
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(NOTEBOOK_DIR / NOTEBOOKS[0])
    text = jupytext.writes(nb, fmt="py:percent").replace("K = 3", "K = 4", 1)
    changed = jupytext.reads(text, fmt="py:percent")
    assert [c.source for c in changed.cells] != [c.source for c in nb.cells]


def test_the_proof_notebooks_are_up_to_date_with_the_registry():
    pytest.importorskip("jupytext")
    spec = importlib.util.spec_from_file_location(
        "proof_notebooks", NOTEBOOK_DIR.parent / "tools" / "proof_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run: python tools/proof_notebooks.py"
    from ufm_sym.claims import load_registry

    text = module.notebook_text("thm:1.1", load_registry())
    chain = load_registry().closure(["thm:1.1"])
    assert all(f'show_claim(registry["{lbl}"]' in text for lbl in chain)   # one cell each


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_outputs_are_stored(name):
    nb = load(name)
    for cell in code_cells(nb):
        assert cell["outputs"] == [], \
            f"{name}: strip it (python -m ufm_sym.appendix.strip_notebooks)"
        assert cell["execution_count"] is None
    assert strip(nb) is False


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_come_first_and_the_claims_are_read_not_restated(name):
    cells = code_cells(load(name))
    first = cells[0]
    assert "parameters" in first["metadata"].get("tags", [])
    assert "K = " in source(first) and "n = " in source(first) and "lambda_W" in source(first)
    text = "\n".join(source(c) for c in cells)
    assert "paper_registry()" in text and "show_claim" in text
    assert "sp.Eq(" not in text and "MatrixSymbol" not in text   # no statement typed in


def test_strip_notebooks_cli(tmp_path):
    nb = load(NOTEBOOKS[0])
    cell = code_cells(nb)[0]
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    cell["execution_count"] = 1
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert strip_main(["--check", str(tmp_path)]) == 1
    assert strip_main([str(path)]) == 0
    assert strip_main(["--check", str(path)]) == 0
    assert code_cells(json.loads(path.read_text()))[0]["outputs"] == []
    assert strip_main([str(tmp_path / "none")]) == 2


_RUNNER = """
import sys, time
import nbclient, nbformat
src, dst, cwd, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
nb = nbformat.read(src, as_version=4)
start = time.perf_counter()
nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                        resources={"metadata": {"path": cwd}}).execute()
nb.metadata["ufm_sym_seconds"] = time.perf_counter() - start
nbformat.write(nb, dst)
"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Execute the four notebooks, two at a time (each kernel is a process of its own),
    each with nbclient in a subprocess; ``{name: (executed notebook, stderr)}``."""
    for module in ("nbformat", "nbclient", "ipykernel", "matplotlib"):
        pytest.importorskip(module)
    out = tmp_path_factory.mktemp("executed")
    workers = max(1, min(2, os.cpu_count() or 1))
    pending = list(NOTEBOOKS)
    running: dict[str, subprocess.Popen] = {}
    done: dict[str, tuple[Path, str]] = {}
    while pending or running:
        while pending and len(running) < workers:
            name = pending.pop(0)
            running[name] = subprocess.Popen(
                [sys.executable, "-c", _RUNNER, str(NOTEBOOK_DIR / name), str(out / name),
                 str(NOTEBOOK_DIR), str(TIMEOUT_S)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, proc in list(running.items()):
            if proc.poll() is not None:
                _, err = proc.communicate()
                done[name] = (out / name, err if proc.returncode else "")
                del running[name]
        time.sleep(0.2)
    return done


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom(executed, name):
    import nbformat

    path, err = executed[name]
    assert not err, f"{name} failed:\n{err[-4000:]}"
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["ufm_sym_seconds"] < TIMEOUT_S
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o.get("data", {}) for o in outputs if o.output_type in ("display_data",
                                                                      "execute_result")]
    assert any("text/latex" in d for d in shown), "no statement was displayed"
    assert any("image/png" in d for d in shown), "no plot was drawn"


def test_each_proof_step_gets_a_cell_of_its_own():
    import sympy as sp

    from ufm_sym.appendix.notebook import show_step
    from ufm_sym.claims import Evidence, ProofStep, Registry

    spec = importlib.util.spec_from_file_location(
        "proof_notebooks", NOTEBOOK_DIR.parent / "tools" / "proof_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = sp.Symbol("x")
    reg = Registry()
    reg.claim("eq:3.1", "a fact", statement=sp.Ge(x ** 2, 0))
    thm = reg.claim("thm:1.1", "the theorem", kind="theorem", uses=("eq:3.1",), proof=[
        ProofStep("expand", sp.Eq(x * (x + 1), x ** 2 + x, evaluate=False),
                  check=lambda claim, ctx: Evidence.exact("symbolic", True, "expands")),
        ProofStep("by (3.1)", None, "claim", "eq:3.1"),
        ProofStep("a rank bound", None, "fact", "rank-product")])
    text = module.notebook_text("thm:1.1", reg)
    for k in (1, 2, 3):
        assert f'show_step(registry["thm:1.1"], {k}, results, dps=DPS)' in text
    assert "1 claims" not in text and "3 proof steps" in text
    parts = show_step(thm, 1, {}, dps=30, display_fn=None)
    assert parts[1] == ("math", "x \\left(x + 1\\right) = x^{2} + x")
    assert any(kind == "table" and "exact" in payload.data for kind, payload in parts)
    fact = show_step(thm, 3, {}, dps=30, display_fn=None)
    assert any("Horn and Johnson" in str(p) for _, p in fact)
