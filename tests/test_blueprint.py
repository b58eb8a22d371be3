"""``ufm-sym blueprint``: the claims as a leanblueprint source, rendered by plasTeX.

The render test installs leanblueprint with pip when it is missing (it is in the test
extra, so CI has it) and skips only when that install is impossible."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from ufm_sym.appendix.blueprint import ENVIRONMENTS, blueprint_files, blueprint_label
from ufm_sym.claims import Evidence, ProofStep, Registry, VerifyContext, load_registry
from ufm_sym.cli import main


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="module")
def content(registry) -> str:
    return blueprint_files(registry)["content.tex"]


def environments(content: str) -> dict[str, tuple[str, str, str]]:
    """``{label: (environment, statement body, proof body)}``."""
    out = {}
    pattern = re.compile(r"\\begin\{(\w+)\}\[[^\n]*\]\n\\label\{([^}]*)\}\n(.*?)\\end\{\1\}\n"
                         r"(?:\\begin\{proof\}\n(.*?)\\end\{proof\})?", re.S)
    for m in pattern.finditer(content):
        out[m.group(2)] = (m.group(1), m.group(3), m.group(4) or "")
    return out


def test_every_claim_is_an_environment_with_label_and_uses(registry, content):
    envs = environments(content)
    assert set(envs) == {blueprint_label(c.label) for c in registry}
    for claim in registry:
        env, body, proof = envs[blueprint_label(claim.label)]
        assert env == ENVIRONMENTS[claim.kind]
        uses = [blueprint_label(u) for u in claim.uses if u in registry]
        if uses:
            assert "\\uses{" + ", ".join(uses) + "}" in body
            if env != "definition":
                assert "\\uses{" in proof
    assert "\\leanok" not in content and "\\lean{" not in content


def synthetic_registry() -> Registry:
    x = sp.Symbol("x")
    reg = Registry()
    a = reg.claim("eq:1.1", "x squared is non-negative", statement=sp.Ge(x ** 2, 0))
    a.check("symbolic")(lambda claim, ctx: Evidence.exact("symbolic", True, "x**2 >= 0"))
    b = reg.claim("lem:2.1", "a lemma", kind="lemma", uses=("eq:1.1",),
                  statement=sp.Ge(x ** 2 + 1, 1), proof=[
                      ProofStep("expand", sp.Eq(x ** 2 + 1 - 1, x ** 2), "identity",
                                "sympy.expand"),
                      ProofStep("apply (1.1)", None, "claim", "eq:1.1"),
                      ProofStep("rank bound", None, "fact", "rank-product")])
    b.check("numeric")(lambda claim, ctx: Evidence("numeric", True, "1e-15", 15.0, 3, "ok"))
    return reg


def test_proof_steps_and_evidence_are_printed():
    reg = synthetic_registry()
    files = blueprint_files(reg, reg.run(VerifyContext()))
    env, body, proof = environments(files["content.tex"])["ufm:lem-2.1"]
    assert env == "lemma" and "\\uses{ufm:eq-1.1}" in proof
    assert "derived by SymPy from the objective" in proof
    assert "by (1.1) (\\ref{ufm:eq-1.1})" in proof
    assert "by Fact:" in proof and "Horn and Johnson" in proof
    assert "numeric, passed" in files["content.tex"]


def _plastex() -> str:
    """The plastex executable, installing leanblueprint with pip if it is missing."""
    if importlib.util.find_spec("leanblueprint") is None:
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "leanblueprint"],
                              capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            pytest.skip("leanblueprint cannot be installed here: "
                        + (proc.stderr.strip().splitlines() or ["pip failed"])[-1])
    exe = Path(sys.executable).with_name("plastex")
    found = str(exe) if exe.exists() else shutil.which("plastex")
    if not found:
        pytest.skip("leanblueprint is installed but its plastex command is not on PATH")
    return found


@pytest.mark.slow
def test_plastex_renders_the_blueprint_and_its_dependency_graph(tmp_path, registry):
    plastex = _plastex()
    assert main(["blueprint", "--out", str(tmp_path), "--no-run"]) == 0
    src = tmp_path / "src"
    assert {p.name for p in src.iterdir()} >= {"web.tex", "print.tex", "content.tex",
                                               "plastex.cfg", "macros"}
    proc = subprocess.run([plastex, "-c", "plastex.cfg", "web.tex"], cwd=src,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    graph = tmp_path / "web" / "dep_graph_document.html"
    assert graph.exists(), sorted(p.name for p in (tmp_path / "web").iterdir())
    dot = graph.read_text(encoding="utf-8")
    for claim in registry:
        assert f'"{blueprint_label(claim.label)}"' in dot, claim.label
    assert '"ufm:eq-3.4" -> "ufm:eq-3.5"' in dot     # an edge of the proof


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk is not installed")
def test_print_version_compiles(tmp_path):
    from ufm_sym.appendix.blueprint import write_blueprint

    reg = synthetic_registry()
    written = write_blueprint(tmp_path, reg, reg.run(VerifyContext()))
    # compile in place: print.tex inputs macros/ and content.tex next to it
    proc = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
                           "print.tex"], cwd=written.src, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (written.src / "print.pdf").read_bytes()[:5] == b"%PDF-"


def test_cli_exit_codes(tmp_path, capsys):
    assert main(["blueprint", "--out", str(tmp_path / "f"), "eq:nope", "--no-run"]) == 2
    assert "eq:nope" in capsys.readouterr().err
    (tmp_path / "file").write_text("not a directory")
    assert main(["blueprint", "--out", str(tmp_path / "file"), "--no-run"]) == 2
    assert "cannot write" in capsys.readouterr().err
