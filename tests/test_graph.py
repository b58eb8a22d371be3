"""The dependency graph: node styles from a report, the layered layout, the drawings and
``ufm-sym graph``."""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path

import pytest

import ufm_sym.claims
from ufm_sym.claims import Evidence, Registry, VerifyContext, load_registry
from ufm_sym.cli import main
from ufm_sym.graph import (
    CATEGORIES,
    LEGEND_TEXT,
    PALETTE,
    build_graph,
    layers,
    node_styles,
    style_for,
    to_html,
    to_svg,
    write_graph,
)
from ufm_sym.model import UFMInputError


def _ok(level: str):
    def check(claim, ctx):
        if level == "symbolic":
            return Evidence.exact(level, True, "holds")
        return Evidence.from_residual(level, 1e-40 if level != "numeric" else 1e-14,
                                      1e-30 if level != "numeric" else 1e-10, 5, "holds")
    return check


def _bad(level: str):
    def check(claim, ctx):
        return Evidence.from_residual(level, 1e-3, 1e-10, 5, "residual too large")
    return check


def toy_registry(fail: str | None = None) -> Registry:
    """eq:a (symbolic) -> eq:b (hp) -> thm:c (numeric); eq:a -> lem:d; cited ref:e ->
    thm:c; thm:c also uses the unregistered eq:z only when asked."""
    reg = Registry()
    reg.claim("eq:a", "A: the model").check("symbolic")(_bad("symbolic") if fail == "eq:a"
                                                         else _ok("symbolic"))
    b = reg.claim("eq:b", "B: a step", uses=("eq:a",))
    b.check("high-precision")(_bad("high-precision") if fail == "eq:b" else _ok("high-precision"))
    b.check("numeric")(_ok("numeric"))
    reg.claim("ref:e", "E: cited", cited=True).check("numeric")(_ok("numeric"))
    reg.claim("thm:c", "C: the theorem", uses=("eq:b", "ref:e"), kind="theorem").check(
        "numeric")(_ok("numeric"))
    reg.claim("lem:d", "D: a lemma", uses=("eq:a",), kind="lemma").check("numeric")(
        _ok("numeric"))
    return reg


@pytest.fixture(scope="module")
def real_registry() -> Registry:
    return load_registry()


# ------------------------------------------------------------------ node styles
def test_passing_nodes_are_coloured_by_their_strongest_evidence():
    styles = node_styles(toy_registry().run(VerifyContext()))
    assert styles["eq:a"].category == "symbolic"
    assert styles["eq:b"].category == "high-precision"
    assert styles["thm:c"].category == "numeric"
    assert styles["eq:a"].fill == PALETTE["symbolic"]
    assert styles["eq:b"].fill == PALETTE["high-precision"]
    assert not any(s.red for s in styles.values())
    assert {s.fill for s in styles.values()} <= set(PALETTE.values())


def test_a_failing_claim_turns_its_node_and_its_dependants_red():
    reg = toy_registry(fail="eq:a")
    styles = node_styles(reg.run(VerifyContext()))
    assert styles["eq:a"].category == "failed" and styles["eq:a"].red
    assert styles["eq:a"].fill == PALETTE["failed"]
    # every dependant, direct (eq:b, lem:d) or not (thm:c), is red and drawn as blocked
    for label in reg.dependants("eq:a"):
        assert styles[label].red, label
        assert styles[label].category == "blocked"
        assert styles[label].hatch
    assert set(reg.dependants("eq:a")) == {"eq:b", "thm:c", "lem:d"}
    # a claim that does not depend on it stays green
    assert styles["ref:e"].category == "numeric" and not styles["ref:e"].red


def test_a_failure_in_the_middle_blocks_only_downstream():
    styles = node_styles(toy_registry(fail="eq:b").run(VerifyContext()))
    assert styles["eq:a"].category == "symbolic"
    assert styles["eq:b"].category == "failed"   # even though its numeric level passed
    assert styles["thm:c"].category == "blocked"
    assert styles["lem:d"].category == "numeric"


def test_cited_claims_have_a_distinct_marker_and_theorems_a_bold_label():
    styles = node_styles(toy_registry().run(VerifyContext()))
    assert styles["ref:e"].cited and styles["ref:e"].shape == "ellipse"
    assert all(s.shape == "box" for k, s in styles.items() if k != "ref:e")
    assert styles["thm:c"].bold and styles["lem:d"].bold and not styles["eq:a"].bold


def test_missing_dependencies_and_unrun_claims():
    reg = toy_registry()
    reg.claim("thm:f", "F", uses=("eq:a", "prop:9.9"), kind="theorem").check("numeric")(
        _ok("numeric"))
    report = reg.run(VerifyContext(), ["thm:f"])
    styles = node_styles(report)
    assert styles["prop:9.9"].category == "missing"
    assert styles["thm:f"].category == "blocked"   # it uses a missing claim
    with_registry = node_styles(report, reg)
    assert with_registry["lem:d"].category == "not-run"
    assert not with_registry["lem:d"].red


def test_style_for_rejects_unknown_status_and_covers_every_category():
    with pytest.raises(ValueError):
        style_for("unknown", None)
    seen = {style_for(s, lvl).category for s, lvl in
            [("passed", "symbolic"), ("passed", "certified"), ("passed", "high-precision"),
             ("passed", "numeric"), ("failed", None), ("blocked", None), ("missing", None),
             ("not-run", None)]}
    assert seen == set(CATEGORIES)
    assert set(LEGEND_TEXT) == set(CATEGORIES)


# ----------------------------------------------------------------------- layout
def test_layers_are_dependency_depths():
    assert layers({"a": (), "b": ("a",), "c": ("b", "a"), "d": ("a",)}) == {
        "a": 0, "b": 1, "c": 2, "d": 1}
    with pytest.raises(ValueError, match="cyclic"):
        layers({"a": ("b",), "b": ("a",)})


def test_build_graph_places_every_claim_after_what_it_uses():
    reg = toy_registry()
    g = build_graph(reg, reg.run(VerifyContext()))
    assert list(g.nodes) == ["eq:a", "eq:b", "ref:e", "thm:c", "lem:d"]
    for e in g.edges:
        assert g.nodes[e.source].layer < g.nodes[e.target].layer
    assert {(e.source, e.target) for e in g.edges} == {
        ("eq:a", "eq:b"), ("eq:b", "thm:c"), ("ref:e", "thm:c"), ("eq:a", "lem:d")}
    # ref:e (layer 0) -> thm:c (layer 2) skips a layer: it runs through one waypoint
    long_edge = next(e for e in g.edges if e.source == "ref:e")
    assert [k for k, _ in long_edge.via] == [1]
    rows = [(n.layer, n.row) for n in g.nodes.values()]
    assert len(rows) == len(set(rows))   # no two nodes on one spot


def test_the_paper_graph_is_a_layered_dag(real_registry):
    g = build_graph(real_registry)
    assert set(real_registry.labels) <= set(g.nodes)
    for e in g.edges:
        assert g.nodes[e.source].layer < g.nodes[e.target].layer
    assert sum(len(c.uses) for c in real_registry) == len(g.edges)
    data = json.loads(json.dumps(g.to_json()))
    assert {n["label"] for n in data["nodes"]} == set(g.nodes)


# ---------------------------------------------------------------------- drawing
def test_svg_html_png_pdf(tmp_path):
    reg = toy_registry(fail="eq:b")
    g = build_graph(reg, reg.run(VerifyContext()))
    svg = to_svg(g)
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    for label in g.nodes:
        assert label in svg
    assert "<title>eq:b: B: a step [failed]" in svg
    assert to_svg(g) == svg   # deterministic
    page = to_html(g)
    assert "<svg" in page and "<table>" in page and "thm:c" in page
    for suffix in (".svg", ".html", ".png", ".pdf"):
        out = write_graph(g, tmp_path / f"graph{suffix}")
        assert out.stat().st_size > 500
    assert (tmp_path / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "graph.pdf").read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "graph.html", "graph.pdf", "graph.png", "graph.svg"]   # no temporary files left
    with pytest.raises(UFMInputError, match="unknown format"):
        write_graph(g, tmp_path / "graph.txt")


# -------------------------------------------------------------------------- CLI
@pytest.fixture
def toy(monkeypatch):
    """Make the CLI load a small registry (one claim fails) instead of the paper's."""
    monkeypatch.setattr(ufm_sym.claims, "load_registry", lambda: toy_registry(fail="eq:b"))


def test_cli_graph_runs_the_claims_and_exits_1_on_a_failure(toy, tmp_path, capsys):
    out = tmp_path / "g.svg"
    assert main(["graph", "--out", str(out), "--json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    cats = {n["label"]: n["category"] for n in data["nodes"]}
    assert cats == {"eq:a": "symbolic", "eq:b": "failed", "ref:e": "numeric",
                    "thm:c": "blocked", "lem:d": "numeric"}
    assert "eq:b (failed)" in captured.err
    assert out.exists()


def test_cli_graph_subset_and_no_run(toy, tmp_path, capsys):
    out = tmp_path / "g.html"
    assert main(["graph", "lem:d", "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [n["label"] for n in data["nodes"]] == ["eq:a", "lem:d"]
    assert main(["graph", "--out", str(tmp_path / "s.svg"), "--no-run", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {n["category"] for n in data["nodes"]} == {"not-run"}


def test_cli_graph_of_the_paper_without_running(tmp_path):
    out = tmp_path / "paper.svg"
    assert main(["graph", "--out", str(out), "--no-run"]) == 0
    assert "thm:1.1" in out.read_text()


@pytest.mark.parametrize("args, needle", [
    (["graph", "--out", "{tmp}/g.txt", "--no-run"], "unknown format"),
    (["graph", "eq:nope", "--out", "{tmp}/g.svg", "--no-run"], "eq:nope"),
    (["graph", "--out", "{tmp}/file/g.svg", "--no-run"], "cannot write"),
    (["graph", "--out", "{tmp}", "--no-run"], "--out"),
    (["graph", "--out", "{tmp}/g.svg", "--dps", "5"], "--dps"),
    (["graph", "--out", "{tmp}/g.svg", "--samples", "0"], "--samples"),
    (["graph", "--out", "{tmp}/g.svg", "--seed", "-1"], "--seed: -1"),
])
def test_cli_graph_bad_input_exits_2_with_one_line(tmp_path, capsys, args, needle):
    (tmp_path / "file").write_text("a regular file, not a directory")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_doctests():
    mod = importlib.import_module("ufm_sym.graph")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 0


def test_graph_module_exports_exist():
    import ufm_sym.graph as g

    for name in g.__all__:
        assert hasattr(g, name), name
    assert Path(g.__file__).name == "graph.py"
