"""The LaTeX appendix: content printed from the claims, escaping, atomic writing, the PDF
and ``ufm-sym appendix``."""

from __future__ import annotations

import doctest
import importlib
import json
import os
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest
import sympy as sp

import ufm_sym.appendix.write as write_mod
import ufm_sym.claims
from ufm_sym.appendix import (
    PREAMBLE_NAME,
    latex_escape,
    object_latex,
    render_appendix,
    render_preamble,
    statement_latex,
    write_appendix,
)
from ufm_sym.appendix.pdf import INSTALL_HINT, LatexmkMissing, compile_pdf
from ufm_sym.appendix.pseudo_math import text_to_tex
from ufm_sym.appendix.views import statement_tex, title_tex
from ufm_sym.claims import Evidence, Registry, VerifyContext, load_registry
from ufm_sym.cli import main
from ufm_sym.symbolic.latex import paper_latex

HAVE_LATEXMK = shutil.which("latexmk") is not None
needs_latexmk = pytest.mark.skipif(not HAVE_LATEXMK, reason="latexmk is not installed "
                                   "(Debian: latexmk texlive-latex-extra)")


# ------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="module")
def tex_all(registry) -> str:
    """The appendix of every claim, not run (statements and derivations only)."""
    return render_appendix(registry)


@pytest.fixture(scope="module")
def small_run(registry):
    """A real run of a small, fast subset (the MSE model: three evidence levels)."""
    return registry.run(VerifyContext(dps=50, numeric_samples=5), ["eq:1.4"])


def sections(tex: str) -> dict[str, str]:
    """The text of each claim's subsection, by claim label."""
    out = {}
    for chunk in tex.split(r"\subsection{")[1:]:
        m = re.search(r"\\label\{ufm:([^}]*)\}", chunk)
        if m:
            out[m.group(1)] = chunk
    return out


def toy_registry(fail: bool = False) -> Registry:
    x = sp.Symbol("x")
    W = sp.MatrixSymbol("W", 3, 3)
    reg = Registry()
    a = reg.claim("eq:a", "50% of {x_1} & #W ~ ^ [13] <= \\ λ", statement=sp.Ge(x**2, 0),
                  hypotheses=(sp.Eq(W.T, W, evaluate=False),),
                  derivation=[("expand (x - 1)^2 & collect", sp.expand((x - 1) ** 2))])
    a.check("symbolic")(lambda claim, ctx: Evidence.exact(
        "symbolic", True, "x**2 >= 0 & 100% sure"))
    a.check("high-precision")(lambda claim, ctx: Evidence.from_residual(
        "high-precision", 1e-60 if not fail else 1e-3, 1e-45, 7, "|x_1|^2 at {points}"))
    b = reg.claim("thm:b", "the theorem", uses=("eq:a", "eq:zz"), kind="theorem",
                  statement=sp.Symbol(r"\text{every critical point is }\lambda_{\min}>0"))
    b.check("numeric")(lambda claim, ctx: Evidence("numeric", True, None, None, 10, "ten points"))
    c = reg.claim("ref:c", "a cited result", cited=True,
                  statement={"value": sp.Integer(2), "none": None})
    c.check("numeric")(lambda claim, ctx: Evidence("numeric", True, "1e-15", 15.0, 3, "ok"))
    return reg


# ------------------------------------------------------------------- content
def test_every_claim_label_appears_with_its_label_and_title(registry, tex_all):
    secs = sections(tex_all)
    assert list(secs) == registry.topological_order()   # paper order
    for claim in registry:
        assert rf"\label{{ufm:{claim.label}}}" in tex_all
        assert rf"\texttt{{{latex_escape(claim.label)}}}" in secs[claim.label]
        assert title_tex(claim) in secs[claim.label]            # typeset title
        assert latex_escape(claim.title) in secs[claim.label]   # plain-text bookmark


def _items(statement):
    items = statement if isinstance(statement, list | tuple) else [statement]
    return [x for x in items if x is not None and not isinstance(x, dict | str)]


def test_statements_are_printed_by_paper_latex(registry, tex_all):
    secs = sections(tex_all)
    checked = 0
    for claim in registry:
        assert statement_tex(claim.statement) in secs[claim.label], claim.label
        for item in _items(claim.statement):
            if isinstance(item, sp.Symbol) and "\\" in item.name:
                expected = [item.name]   # LaTeX text held in a Symbol prints as is
            elif len(_items(claim.statement)) > 1 and isinstance(item, sp.Rel):
                expected = [object_latex(item.lhs), object_latex(item.rhs)]   # aligned
            else:
                expected = [paper_latex(item)]
            for tex in expected:
                assert tex in secs[claim.label], claim.label
            checked += 1
        for _, obj in claim.derivation:
            assert statement_tex(obj) in secs[claim.label], claim.label
        for h in claim.hypotheses:
            if h is not sp.true:     # a hypothesis that evaluated to True says nothing
                assert paper_latex(h) in secs[claim.label], claim.label
        for dep in claim.uses:
            if dep in registry:
                assert rf"\ufmuse{{ufm:{dep}}}" in secs[claim.label]
    assert checked >= len(registry) // 2


def test_statement_latex_shapes():
    W = sp.MatrixSymbol("W", 2, 2)
    eq = sp.Eq(W.T, W, evaluate=False)
    assert statement_latex(None) == []
    assert statement_latex(eq) == [paper_latex(eq)]
    assert statement_latex([eq, None, eq]) == [paper_latex(eq)] * 2
    assert statement_latex({"symmetric": eq}) == [r"\text{symmetric}:\quad " + paper_latex(eq)]
    assert statement_latex(sp.Symbol(r"\text{a fact}")) == [r"\text{a fact}"]
    assert statement_latex(sp.Symbol("lambda_W")) == [r"\lambda_W"]


def test_evidence_table_from_a_real_run(registry, small_run):
    tex = render_appendix(registry, small_run)
    sec = sections(tex)["eq:1.4"]
    result = small_run.by_label()["eq:1.4"]
    assert len(result.evidence) >= 2
    table = sec[sec.index(r"\begin{tabularx}"):sec.index(r"\end{tabularx}")]
    for e in result.evidence:
        assert latex_escape(e.level) in table
        assert text_to_tex(e.detail) in table
        assert f"& {e.samples} &" in table
    assert r"\ufmyes" in table and r"\ufmno" not in table
    assert "passed: symbolic" in sec
    assert "64 claims" not in tex and "1 of 1 claims passed" in tex
    assert f"{small_run.context.numeric_samples} float64 samples" in tex


def test_text_is_escaped_and_math_is_not():
    reg = toy_registry()
    tex = render_appendix(reg, reg.run(VerifyContext()))
    sec = sections(tex)["eq:a"]
    title = reg["eq:a"].title
    assert text_to_tex(title) in sec and latex_escape(title) in sec   # typeset; bookmark
    assert r"50\% of $\{x_1\}$ \& \#W" in sec and r"{[}13{]}" in sec
    assert r"x^{2} \geq 0" in sec                              # math untouched
    assert r"expand $(x - 1)^2$ \& collect" in sec             # a caption
    assert r"$x^2 \ge 0$ \& 100\% sure" in sec                 # an evidence detail
    assert r"x**2 >= 0" not in sec and "x**2" not in sec
    assert r"$|x_1|^2$ at" in sec
    secs = sections(tex)
    assert r"\ufmdisplay{\text{every critical point is }\lambda_{\min}>0}" in secs["thm:b"]
    assert r"\ufmmissing{eq:zz}" in secs["thm:b"]            # a used label never registered
    assert r"\ufmuse{ufm:eq:a}{eq:a}" in secs["thm:b"]
    assert r"\text{value}:\quad 2" in secs["ref:c"]


def test_latex_escape_handles_every_special_character():
    assert latex_escape("a_b") == r"a\_b"
    assert latex_escape(None) == ""
    assert latex_escape("é") == "é"
    assert latex_escape("\u2603") == r"\texttt{[U+2603]}"
    for ch in "&%$#_{}~^\\<>|[]":
        out = latex_escape(ch)
        assert out != ch


def test_a_failing_claim_is_shown_failed_and_its_dependant_blocked():
    reg = toy_registry(fail=True)
    tex = render_appendix(reg, reg.run(VerifyContext()))
    secs = sections(tex)
    assert r"\ufmbadge{ufm-failed}" in secs["eq:a"]
    assert r"\ufmno" in secs["eq:a"]
    assert "high-precision check failed" in secs["eq:a"]
    assert r"\ufmbadge{ufm-blocked}" in secs["thm:b"]
    assert "depends on eq:a (failed)" in secs["thm:b"]


def test_body_only_and_preamble(registry):
    reg = toy_registry()
    body = render_appendix(reg, None, body_only=True)
    assert r"\documentclass" not in body and r"\begin{document}" not in body
    assert r"\section{Machine-checked claims}" in body
    pre = render_preamble()
    assert r"\newcommand{\ufmdisplay}" in pre and r"\usepackage{hyperref}" in pre
    assert r"\input{ufm-sym-preamble}" in pre   # documented use
    full = render_appendix(reg, None)
    assert r"\newcommand{\ufmdisplay}" in full and r"\documentclass" in full


def test_label_prefix():
    reg = toy_registry()
    tex = render_appendix(reg, None, label_prefix="")
    assert r"\label{eq:a}" in tex and r"\ufmuse{eq:a}{eq:a}" in tex


def test_templates_are_package_data():
    templates = resources.files("ufm_sym.appendix") / "templates"
    names = {p.name for p in templates.iterdir()}
    assert {"appendix.tex.j2", "body.tex.j2", "claim.tex.j2", "preamble.tex.j2",
            "graph.tikz.j2", "graph.html.j2", "pdf-wrapper.tex.j2"} <= names


# ------------------------------------------------------------------- writing
def test_write_appendix_is_atomic(tmp_path, monkeypatch):
    reg = toy_registry()
    files = write_appendix(tmp_path, reg, reg.run(VerifyContext()))
    assert files.tex.read_text().startswith("% appendix.tex")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["appendix.tex"]   # no temp files
    before = files.tex.read_text()

    def boom(*args, **kwargs):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(write_mod, "render_appendix", boom)
    with pytest.raises(RuntimeError):
        write_appendix(tmp_path, reg, None)
    assert files.tex.read_text() == before
    monkeypatch.undo()

    real_replace = os.replace

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_appendix(tmp_path, reg, None, body_only=True)
    monkeypatch.setattr(os, "replace", real_replace)
    assert files.tex.read_text() == before                       # the old file, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["appendix.tex"]   # temp removed


def test_body_only_writes_the_preamble_file(tmp_path):
    reg = toy_registry()
    files = write_appendix(tmp_path, reg, None, body_only=True)
    assert files.preamble == tmp_path / PREAMBLE_NAME
    assert files.preamble.read_text() == render_preamble()
    assert r"\documentclass" not in files.tex.read_text()


# ----------------------------------------------------------------------- PDF
@needs_latexmk
def test_pdf_of_every_claim_compiles(tmp_path, registry):
    """Every statement and derivation of the registry is valid LaTeX."""
    files = write_appendix(tmp_path, registry, None, pdf=True)
    assert files.pdf.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["appendix.pdf", "appendix.tex"]


@needs_latexmk
def test_pdf_body_only_and_failed_claims_compile(tmp_path):
    reg = toy_registry(fail=True)
    files = write_appendix(tmp_path, reg, reg.run(VerifyContext()), body_only=True, pdf=True)
    assert files.pdf is not None and files.pdf.stat().st_size > 1000


@needs_latexmk
def test_cli_pdf(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ufm_sym.claims, "load_registry", toy_registry)
    # thm:b uses a label that is not registered: blocked, so exit 1, and the PDF shows it
    assert main(["appendix", "--out", str(tmp_path / "out"), "--pdf", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert Path(data["pdf"]).read_bytes()[:5] == b"%PDF-"
    assert data["failures"] == ["thm:b"] and data["error"] is None


def test_missing_latexmk_exits_2_before_any_claim_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ufm_sym.claims, "load_registry", toy_registry)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(LatexmkMissing):
        compile_pdf(tmp_path / "x.tex")
    ran = []

    def spy_registry():
        reg = toy_registry()
        reg.run = lambda *a, **k: ran.append(1)   # type: ignore[method-assign]
        return reg

    monkeypatch.setattr(ufm_sym.claims, "load_registry", spy_registry)
    out = tmp_path / "out"
    assert main(["appendix", "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "latexmk texlive-latex-extra" in err and INSTALL_HINT in err
    assert not ran and not out.exists()      # no claim ran, nothing was written


# -------------------------------------------------------------------------- CLI
def test_cli_writes_the_appendix_and_exits_1_when_a_claim_fails(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.setattr(ufm_sym.claims, "load_registry", lambda: toy_registry(fail=True))
    assert main(["appendix", "--out", str(tmp_path), "--json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["failures"] == ["eq:a", "thm:b"] and data["passed"] is False
    assert "eq:a (failed)" in captured.err
    assert r"\ufmbadge{ufm-failed}" in (tmp_path / "appendix.tex").read_text()


def test_cli_subset_body_only_no_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ufm_sym.claims, "load_registry", toy_registry)
    assert main(["appendix", "thm:b", "--out", str(tmp_path), "--body-only", "--no-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"wrote {tmp_path / 'appendix.tex'}", f"wrote {tmp_path / PREAMBLE_NAME}"]
    tex = (tmp_path / "appendix.tex").read_text()
    assert list(sections(tex)) == ["eq:a", "thm:b"]   # the named claim and what it uses
    assert "Not run; checks at: symbolic, high-precision." in tex


def test_cli_real_claim(tmp_path, capsys):
    assert main(["appendix", "eq:1.4", "--out", str(tmp_path), "--samples", "5"]) == 0
    tex = (tmp_path / "appendix.tex").read_text()
    assert list(sections(tex)) == ["eq:1.4"]
    assert "passed: symbolic" in tex


@pytest.mark.parametrize("args, needle", [
    (["appendix", "eq:nope", "--out", "{tmp}/a"], "eq:nope"),
    (["appendix", "--out", "{tmp}/file/sub", "--no-run"], "cannot write"),
    (["appendix", "--out", "{tmp}/file", "--no-run"], "cannot write"),
    (["appendix", "--out", "{tmp}/a", "--dps", "10"], "--dps"),
    (["appendix", "--out", "{tmp}/a", "--samples", "0"], "--samples"),
    (["appendix", "--out", "{tmp}/a", "--seed", "-1"], "--seed: -1"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, args, needle):
    (tmp_path / "file").write_text("a regular file, not a directory")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err
    assert not (tmp_path / "a" / "appendix.tex").exists()


def test_cli_requires_out(capsys):
    assert_exit = pytest.raises(SystemExit)
    with assert_exit as info:
        main(["appendix"])
    assert info.value.code == 2


@pytest.mark.parametrize("module", [
    "ufm_sym.appendix.escape", "ufm_sym.appendix.render", "ufm_sym.appendix.templating",
    "ufm_sym.atomic_write", "ufm_sym.appendix.notebook",
    "ufm_sym.appendix.strip_notebooks",
])
def test_doctests(module):
    res = doctest.testmod(importlib.import_module(module),
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 0


@needs_latexmk
def test_a_latex_error_exits_1_and_keeps_the_log(tmp_path, monkeypatch, capsys):
    def broken() -> Registry:
        reg = Registry()
        c = reg.claim("eq:x", "broken", statement=sp.Symbol(r"\undefinedmacro{x}"))
        c.check("numeric")(lambda claim, ctx: Evidence("numeric", True, None, None, 1, "ok"))
        return reg

    monkeypatch.setattr(ufm_sym.claims, "load_registry", broken)
    assert main(["appendix", "--out", str(tmp_path), "--pdf"]) == 1
    err = capsys.readouterr().err
    assert "latexmk failed" in err and "Undefined control sequence" in err
    assert (tmp_path / "appendix.tex").exists() and (tmp_path / "appendix.log").exists()
    assert not (tmp_path / "appendix.pdf").exists()
