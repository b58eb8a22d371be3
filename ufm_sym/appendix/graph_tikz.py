r"""The dependency graph as TikZ figures for a portrait page, labels at 8 pt.

The layers of :func:`ufm_sym.graph.build_graph` (dependency depth, order inside a layer
by barycentre sweeps, one waypoint per skipped layer for long edges) run from the top
of the page down; each node is as wide as its label in 8 pt typewriter type, so
nothing is scaled.  A layer wider than the text is wrapped onto several rows.  When the
whole graph does not fit one page it is drawn once per section of the paper: each
figure shows that section's claims, and the claims of other sections that they use as
dashed boxes.

>>> from ufm_sym.claims import Registry
>>> reg = Registry()
>>> _ = reg.claim("eq:1.1", "a", section="1")
>>> _ = reg.claim("eq:1.2", "b", section="1", uses=("eq:1.1",))
>>> figs = tikz_figures(reg, None, reg.labels)
>>> len(figs), [n["label"] for n in figs[0]["nodes"]], figs[0]["fits"]
(1, ['eq:1.1', 'eq:1.2'], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ufm_sym.claims import ClaimResult, Registry, Report, VerifyContext

__all__ = ["PAGE_HEIGHT_CM", "PAGE_WIDTH_CM", "section_key", "tikz_figures", "tikz_legend"]

#: the text block a figure must fit (cm): 11 pt article, 2.2 cm margins, with room
#: for the caption
PAGE_WIDTH_CM, PAGE_HEIGHT_CM = 16.0, 19.5
#: 8 pt typewriter: 0.525 em = 4.2 pt = 0.1482 cm a character
CHAR_CM = 0.1482
NODE_PAD_CM, NODE_GAP_CM, WAYPOINT_CM, ROW_CM = 0.3, 0.25, 0.2, 1.05


@dataclass
class _Slot:
    key: str          # a label, or the waypoint key
    width: float
    real: bool


def _results(registry: Registry, report: Report | None, labels: Sequence[str]
             ) -> list[ClaimResult]:
    """The report's results, or placeholders (``not-run``) for the registry's claims."""
    if report is not None:
        return list(report.results)
    out = []
    for lbl in labels:
        c = registry[lbl]
        out.append(ClaimResult(c.label, c.title, c.uses, "not-run", None, [], "", 0.0,
                               c.cited, c.kind, []))
    return out


def _figure(results: list[ClaimResult], registry: Registry, title: str) -> dict[str, Any]:
    from ufm_sym.graph import build_graph

    graph = build_graph(report=Report(results, VerifyContext()))
    mine = {r.label for r in results}
    waypoints: dict[int, list[tuple[float, str]]] = {}
    for e in graph.edges:
        for layer, row in e.via:
            waypoints.setdefault(layer, []).append((row, f"{e.source}@{layer}"))
    # slots of each layer, left to right; wrapped into rows no wider than the page
    rows: list[list[_Slot]] = []
    for li, layer in enumerate(graph.layers):
        seq = [(graph.nodes[lbl].row, lbl, True) for lbl in layer]
        seq += [(row, key, False) for row, key in dict.fromkeys(waypoints.get(li, []))]
        seq.sort()
        current: list[_Slot] = []
        width = 0.0
        for _, key, real in seq:
            w = len(key) * CHAR_CM + NODE_PAD_CM if real else WAYPOINT_CM
            if current and width + NODE_GAP_CM + w > PAGE_WIDTH_CM:
                rows.append(current)
                current, width = [], 0.0
            width += (NODE_GAP_CM if current else 0.0) + w
            current.append(_Slot(key, w, real))
        rows.append(current)
    pos: dict[str, tuple[float, float]] = {}
    widest = 0.0
    for ri, row in enumerate(rows):
        total = sum(s.width for s in row) + NODE_GAP_CM * max(len(row) - 1, 0)
        widest = max(widest, total)
        x = -total / 2
        for s in row:
            pos[s.key] = (x + s.width / 2, -ri * ROW_CM)
            x += s.width + NODE_GAP_CM
    ids = {lbl: f"n{i}" for i, lbl in enumerate(graph.nodes)}
    nodes = []
    for lbl, n in graph.nodes.items():
        s = n.style
        external = lbl not in mine and lbl in registry
        x, y = pos[lbl]
        nodes.append({
            "id": ids[lbl], "label": lbl, "x": f"{x:.3f}", "y": f"{y:.3f}",
            "category": s.category, "ellipse": s.shape == "ellipse" or (
                external and registry[lbl].cited),
            "hatch": bool(s.hatch) and not external, "external": external,
            "dashed": s.linestyle == "dashed" and not external, "bold": s.bold,
            "white_text": s.text.lower() == "#ffffff" and not external,
        })
    edges = []
    for e in graph.edges:
        via = [f"({pos[f'{e.source}@{layer}'][0]:.3f}, {pos[f'{e.source}@{layer}'][1]:.3f})"
               for layer, _ in e.via]
        external_source = e.source not in mine and e.source in registry
        edges.append({"source": ids[e.source], "target": ids[e.target],
                      "red": e.red and not external_source, "via": via})
    height = (len(rows) - 1) * ROW_CM + 0.6
    return {"title": title, "nodes": nodes, "edges": edges,
            "width_cm": round(widest, 2), "height_cm": round(height, 2),
            "fits": widest <= PAGE_WIDTH_CM and height <= PAGE_HEIGHT_CM}


def tikz_figures(registry: Registry, report: Report | None, labels: Sequence[str]
                 ) -> list[dict[str, Any]]:
    """The graph figures of the claims ``labels`` (with ``report``'s results): one if
    it fits a page, else one per section.  Each figure is a dict for the template
    (``nodes``, ``edges``, ``title``, ``width_cm``, ``height_cm``, ``fits``)."""
    results = _results(registry, report, labels)
    whole = _figure(results, registry, "")
    if whole["fits"]:
        return [whole]
    sections: dict[str, list[ClaimResult]] = {}
    for r in results:
        sec = registry[r.label].section if r.label in registry else ""
        sections.setdefault(sec, []).append(r)
    return [_figure(rs, registry, f"Section {sec}" if sec else "other claims")
            for sec, rs in sorted(sections.items(), key=lambda kv: section_key(kv[0]))]


def section_key(section: str) -> tuple[int, str]:
    """Sort key of a section name: ``"3"`` before ``"4"`` before ``"10"``, others last."""
    head = section.split(".")[0]
    return (int(head), section) if head.isdigit() else (10 ** 6, section)


def tikz_legend(report: Report | None) -> list[dict[str, str]]:
    """The keys of the legend: the colours that can appear, cited, other section."""
    from ufm_sym.graph import CATEGORIES, LEGEND_TEXT

    present = {r.status if r.status != "passed" else (r.strongest or "not-run")
               for r in (report.results if report is not None else [])}
    cats = [c for c in CATEGORIES if c in ("symbolic", "high-precision", "numeric", "failed",
                                           "blocked") or c in present]
    if report is None:
        cats = ["not-run"]
    keys = [{"category": c, "text": LEGEND_TEXT[c]} for c in cats]
    keys.append({"category": "cited", "text": "ellipse: cited result"})
    keys.append({"category": "external", "text": "dashed: a claim of another section"})
    return keys
