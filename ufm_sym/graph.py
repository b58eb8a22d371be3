"""The proof's dependency graph: the registry's ``uses`` edges, coloured by evidence.

A claim is a node; an edge runs from a claim to each claim that uses it.  Nodes are
laid out in layers by dependency depth (a claim sits one layer to the right of the
deepest claim it uses; the order inside a layer reduces edge crossings with a few
barycentre sweeps), so the paper's results flow left to right into the theorems.

Each node is styled by its verification result (:func:`node_styles`):

==================  =====================================================
category            drawn as
==================  =====================================================
``symbolic``        dark green: SymPy proved it exactly
``certified``       green: ball arithmetic proved it
``high-precision``  light green: mpmath at >= 50 digits (strongest passed)
``numeric``         yellow-green: float64 only
``failed``          red: a check of the claim failed
``blocked``         salmon, hatched, red outline: a claim it uses did not pass
``missing``         white, dashed grey outline: used but not in the registry
``not-run``         grey: the claim was not run
==================  =====================================================

Cited results (``claim.cited``) are ellipses, the paper's own claims rounded boxes;
theorems, lemmas and propositions have bold labels.  A failing claim turns its own
node red and every claim that depends on it red (hatched):

>>> from ufm_sym.claims import Evidence, Registry, VerifyContext
>>> reg = Registry()
>>> _ = reg.claim("eq:a", "A").check("symbolic")(
...     lambda claim, ctx: Evidence.exact("symbolic", False, "wrong sign"))
>>> _ = reg.claim("thm:b", "B", uses=("eq:a",), kind="theorem").check("numeric")(
...     lambda claim, ctx: Evidence("numeric", True, "1e-14", 14.0, 10, "holds"))
>>> styles = node_styles(reg.run(VerifyContext()))
>>> styles["eq:a"].category, styles["thm:b"].category, styles["thm:b"].red
('failed', 'blocked', True)

Drawing (:func:`write_graph`) uses matplotlib (``.svg``, ``.png``, ``.pdf``; ``.html``
embeds the SVG with a table of the claims); the LaTeX appendix draws the same layout
as a TikZ picture (:mod:`ufm_sym.appendix`).
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ufm_sym.claims import LEVELS, ClaimResult, Registry, Report
from ufm_sym.model import UFMInputError

__all__ = [
    "CATEGORIES", "FORMATS", "PALETTE", "DependencyGraph", "Edge", "Node", "NodeStyle",
    "build_graph", "draw", "layers", "node_styles", "style_for", "to_html", "to_svg",
    "write_graph",
]

#: every category a node can have, in legend order
CATEGORIES: tuple[str, ...] = LEVELS + ("failed", "blocked", "missing", "not-run")

#: fill colour of each category (hex RGB); the TikZ picture uses the same colours
PALETTE: dict[str, str] = {
    "symbolic": "#1a9850",
    "certified": "#66bd63",
    "high-precision": "#a6d96a",
    "numeric": "#e6f598",
    "failed": "#d73027",
    "blocked": "#f4a582",
    "missing": "#ffffff",
    "not-run": "#e0e0e0",
}
RED = "#b2182b"
GREY = "#777777"
DARK = "#222222"

LEGEND_TEXT: dict[str, str] = {
    "symbolic": "symbolic (SymPy, exact)",
    "certified": "certified (ball arithmetic)",
    "high-precision": "high-precision (mpmath)",
    "numeric": "numeric (float64)",
    "failed": "failed",
    "blocked": "blocked (uses a claim that did not pass)",
    "missing": "missing (used, not registered)",
    "not-run": "not run",
}

#: output formats of :func:`write_graph`
FORMATS: tuple[str, ...] = (".svg", ".html", ".png", ".pdf")

_STRONG_KINDS = frozenset({"theorem", "lemma", "proposition"})


# ----------------------------------------------------------------------- styles
@dataclass(frozen=True)
class NodeStyle:
    """How one node is drawn, and why.

    ``status`` is the claim's status (``passed``, ``failed``, ``blocked``) or
    ``missing`` / ``not-run``; ``level`` its strongest passed evidence; ``category``
    the key of :data:`PALETTE` that decided the colours.
    """

    status: str
    level: str | None
    category: str
    fill: str
    edge: str
    text: str
    hatch: str | None
    linestyle: str
    shape: str          # "box" or "ellipse" (cited)
    cited: bool
    bold: bool

    @property
    def red(self) -> bool:
        """Drawn red: the claim failed, or a claim it depends on did not pass."""
        return self.category in ("failed", "blocked")


def style_for(status: str, level: str | None, cited: bool = False, kind: str = "") -> NodeStyle:
    """The style of a node with this status and strongest passed level.

    >>> style_for("passed", "symbolic").fill
    '#1a9850'
    >>> s = style_for("blocked", "numeric", cited=True)
    >>> s.category, s.hatch, s.shape, s.red
    ('blocked', '////', 'ellipse', True)
    """
    if status == "passed":
        category = level if level in LEVELS else "not-run"
    elif status in ("failed", "blocked", "missing", "not-run"):
        category = status
    else:
        raise ValueError(f"unknown node status {status!r}")
    fill = PALETTE[category]
    text = "#ffffff" if category in ("symbolic", "failed") else DARK
    edge = {"failed": RED, "blocked": RED, "missing": GREY, "not-run": GREY}.get(category, DARK)
    return NodeStyle(
        status=status, level=level, category=category, fill=fill, edge=edge, text=text,
        hatch="////" if category == "blocked" else None,
        linestyle="dashed" if category == "missing" else "solid",
        shape="ellipse" if cited else "box", cited=cited, bold=kind in _STRONG_KINDS,
    )


def _result_style(r: ClaimResult) -> NodeStyle:
    return style_for(r.status, r.strongest, r.cited, r.kind)


def node_styles(report: Report | None, registry: Registry | None = None) -> dict[str, NodeStyle]:
    """``{label: NodeStyle}`` for every claim of ``report`` (and of ``registry``, those
    not in the report being ``not-run``), plus a ``missing`` node for each label that
    is used but was never registered.

    ``report=None`` styles the registry's claims as ``not-run``.
    """
    out: dict[str, NodeStyle] = {}
    results = report.results if report is not None else []
    for r in results:
        out[r.label] = _result_style(r)
    if registry is not None:
        for claim in registry:
            if claim.label not in out:
                out[claim.label] = style_for("not-run", None, claim.cited, claim.kind)
    used: list[str] = [u for r in results for u in r.uses]
    if registry is not None:
        used += [u for c in registry for u in c.uses]
    for label in used:
        if label not in out and (registry is None or label not in registry):
            out[label] = style_for("missing", None)
    return out


# ----------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Node:
    """A placed node: ``layer`` (dependency depth) and ``row`` inside the layer."""

    label: str
    title: str
    kind: str
    layer: int
    row: float
    style: NodeStyle
    message: str = ""


@dataclass(frozen=True)
class Edge:
    """``source`` is used by ``target``; ``red`` when ``source`` did not pass.

    ``via`` are the ``(layer, row)`` points an edge that skips layers runs through
    (shared by every long edge of the same source: they are drawn as one bundle).
    """

    source: str
    target: str
    red: bool
    via: tuple[tuple[int, float], ...] = ()


@dataclass
class DependencyGraph:
    """The placed graph: nodes by label (paper order), edges, layers (left to right),
    and ``rows``, the height of the layout in rows."""

    nodes: dict[str, Node]
    edges: list[Edge]
    layers: list[list[str]]
    rows: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def max_rows(self) -> int:
        return max(self.rows, max((len(layer) for layer in self.layers), default=0))

    def to_json(self) -> dict[str, Any]:
        """The graph as plain data (for ``ufm-sym graph --json``)."""
        return {
            "nodes": [
                {"label": n.label, "title": n.title, "kind": n.kind, "layer": n.layer,
                 "row": n.row, "status": n.style.status, "strongest": n.style.level,
                 "category": n.style.category, "cited": n.style.cited,
                 "fill": n.style.fill, "message": n.message}
                for n in self.nodes.values()
            ],
            "edges": [{"source": e.source, "target": e.target} for e in self.edges],
            "layers": self.layers,
        }


def layers(uses: dict[str, Sequence[str]]) -> dict[str, int]:
    """Dependency depth of each node: 0 without dependencies, else one more than the
    deepest node it uses (``uses`` maps every node to the nodes it uses).

    >>> layers({"a": (), "b": ("a",), "c": ("a", "b")})
    {'a': 0, 'b': 1, 'c': 2}
    """
    depth: dict[str, int] = {}

    def visit(label: str, seen: tuple[str, ...]) -> int:
        if label in depth:
            return depth[label]
        if label in seen:
            raise ValueError("cyclic claim dependencies: " + " -> ".join(seen + (label,)))
        deps = [d for d in uses.get(label, ()) if d in uses]
        depth[label] = 1 + max((visit(d, seen + (label,)) for d in deps), default=-1)
        return depth[label]

    for label in uses:
        visit(label, ())
    return depth


def _virtual(source: str, layer: int) -> str:
    return f"\x00{source}@{layer}"


def _order_layers(by_layer: list[list[str]], uses: dict[str, list[str]],
                  sweeps: int = 8) -> list[list[str]]:
    """Barycentre heuristic: reorder each layer by the mean row of its neighbours in
    the previous (forward sweep) or next (backward sweep) layer."""
    users: dict[str, list[str]] = {k: [] for k in uses}
    for k, deps in uses.items():
        for d in deps:
            users[d].append(k)
    order = [list(layer) for layer in by_layer]
    width = max((len(x) for x in order), default=0)

    def rows() -> dict[str, float]:
        out: dict[str, float] = {}
        for layer in order:
            off = (width - len(layer)) / 2
            for i, lbl in enumerate(layer):
                out[lbl] = off + i
        return out

    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        idx = range(1, len(order)) if forward else range(len(order) - 2, -1, -1)
        for li in idx:
            pos = rows()
            keys = {}
            for i, lbl in enumerate(order[li]):
                nb = [pos[x] for x in (uses[lbl] if forward else users[lbl])]
                keys[lbl] = (sum(nb) / len(nb) if nb else pos[lbl], i)
            order[li].sort(key=keys.__getitem__)
    return order


def build_graph(registry: Registry | None = None, report: Report | None = None,
                labels: Iterable[str] | None = None) -> DependencyGraph:
    """Place the claims of ``report`` (or of ``registry`` / the closure of ``labels``
    when there is no report) in dependency layers, styled by :func:`node_styles`.

    An edge that skips layers runs through one waypoint per skipped layer, shared by
    all long edges of its source (Sugiyama's virtual nodes, bundled by source).

    >>> from ufm_sym.claims import Registry
    >>> reg = Registry()
    >>> _ = reg.claim("eq:a", "A"); _ = reg.claim("eq:b", "B", uses=("eq:a", "eq:z"))
    >>> g = build_graph(reg)
    >>> g.layers, [n.style.category for n in g.nodes.values()]
    ([['eq:a', 'eq:z'], ['eq:b']], ['not-run', 'missing', 'not-run'])
    """
    if report is None and registry is None:
        raise ValueError("build_graph needs a registry or a report")
    info: dict[str, tuple[str, str, tuple[str, ...], str]] = {}
    if report is not None:
        for r in report.results:
            info[r.label] = (r.title, r.kind, tuple(r.uses), r.message)
        styles = node_styles(report)
    else:
        assert registry is not None
        wanted = registry.closure(labels) if labels else registry.topological_order()
        for lbl in wanted:
            c = registry[lbl]
            info[lbl] = (c.title, c.kind, tuple(c.uses), "")
        styles = {lbl: style_for("not-run", None, registry[lbl].cited, registry[lbl].kind)
                  for lbl in wanted}
        for _, _, uses_, _ in info.values():
            for u in uses_:
                styles.setdefault(u, style_for("missing", None))
    # paper order: the claims as given, each missing label just before its first user
    paper: list[str] = []
    uses: dict[str, tuple[str, ...]] = {}
    for lbl, (_, _, deps, _) in info.items():
        for d in deps:
            if d not in info and d not in uses:
                paper.append(d)
                uses[d] = ()
        paper.append(lbl)
        uses[lbl] = deps
    depth = layers(uses)
    n_layers = 1 + max(depth.values(), default=-1)
    by_layer: list[list[str]] = [[lbl for lbl in paper if depth[lbl] == k]
                                 for k in range(n_layers)]
    # virtual nodes: one per (source, skipped layer), shared by the source's long edges
    adj: dict[str, list[str]] = {lbl: [] for lbl in paper}
    for lbl in paper:
        for d in uses[lbl]:
            prev = d
            for k in range(depth[d] + 1, depth[lbl]):
                v = _virtual(d, k)
                if v not in adj:
                    adj[v] = [prev]
                    by_layer[k].append(v)
                prev = v
            adj[lbl].append(prev)
    order = _order_layers(by_layer, adj)
    width = max((len(x) for x in order), default=0)
    row: dict[str, float] = {}
    for layer in order:
        off = (width - len(layer)) / 2
        for i, lbl in enumerate(layer):
            row[lbl] = off + i
    nodes: dict[str, Node] = {}
    for lbl in paper:
        title, kind, _, msg = info.get(lbl, ("(not in the registry)", "missing", (), ""))
        nodes[lbl] = Node(lbl, title, kind, depth[lbl], row[lbl], styles[lbl], msg)
    edges = []
    for lbl in paper:
        for d in uses[lbl]:
            via = tuple((k, row[_virtual(d, k)]) for k in range(depth[d] + 1, depth[lbl]))
            edges.append(Edge(d, lbl, styles[d].category in ("failed", "blocked", "missing"),
                              via))
    real_layers = [[x for x in layer if x in nodes] for layer in order]
    meta: dict[str, Any] = {}
    if report is not None:
        meta = {"dps": report.context.dps, "seed": report.context.seed,
                "samples": report.context.numeric_samples}
    return DependencyGraph(nodes, edges, real_layers, width, meta)


# --------------------------------------------------------------------- drawing
#: layout in inches: layer spacing, row spacing, node box width and height
X_STEP, Y_STEP, BOX_W, BOX_H = 1.32, 0.4, 1.0, 0.27
LEGEND_H = 0.95


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise UFMInputError(
            "drawing the graph needs matplotlib, a dependency of ufm-sym: "
            "pip install matplotlib (or reinstall: pip install -e .)") from None
    return plt


def _categories_present(graph: DependencyGraph) -> list[str]:
    present = {n.style.category for n in graph.nodes.values()}
    shown = [c for c in LEVELS if c != "certified" or "certified" in present]
    shown += ["failed", "blocked"]
    shown += [c for c in ("missing", "not-run") if c in present]
    return shown


def draw(graph: DependencyGraph, title: str | None = None) -> Any:
    """A matplotlib figure of the graph, with its legend (1 data unit = 1 inch)."""
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Patch

    n_layers = max(len(graph.layers), 1)
    rows = max(graph.max_rows, 1)
    top = 0.35 if title else 0.1
    width = max(n_layers * X_STEP + 0.3, 7.0)
    height = rows * Y_STEP + LEGEND_H + top + 0.1
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    x0 = (width - (n_layers - 1) * X_STEP) / 2

    def at(layer: int, row_: float) -> tuple[float, float]:
        return x0 + layer * X_STEP, height - top - Y_STEP / 2 - row_ * Y_STEP

    def centre(n: Node) -> tuple[float, float]:
        return at(n.layer, n.row)

    for e in graph.edges:
        (xa, ya), (xb, yb) = centre(graph.nodes[e.source]), centre(graph.nodes[e.target])
        pts = [(xa + BOX_W / 2, ya)]
        for k, r in e.via:
            xv, yv = at(k, r)
            pts += [(xv - BOX_W / 2, yv), (xv + BOX_W / 2, yv)]
        pts.append((xb - BOX_W / 2, yb))
        colour = RED if e.red else "#9a9a9a"
        if len(pts) > 2:
            ax.plot([p[0] for p in pts[:-1]], [p[1] for p in pts[:-1]], color=colour, lw=0.8,
                    zorder=1, solid_capstyle="round", solid_joinstyle="round")
        ax.add_patch(FancyArrowPatch(pts[-2], pts[-1], arrowstyle="-|>", mutation_scale=7,
                                     color=colour, lw=0.8, shrinkA=0, shrinkB=1, zorder=1))
    for n in graph.nodes.values():
        x, y = centre(n)
        s = n.style
        common = dict(facecolor=s.fill, edgecolor=s.edge, hatch=s.hatch,
                      linestyle="--" if s.linestyle == "dashed" else "-",
                      lw=1.6 if s.red else 0.9, zorder=2)
        if s.shape == "ellipse":
            patch = Ellipse((x, y), BOX_W * 1.08, BOX_H * 1.25, **common)
        else:
            patch = FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                   boxstyle="round,pad=0,rounding_size=0.06", **common)
        patch.set_gid("node-" + _gid(n.label))
        ax.add_patch(patch)
        txt = ax.text(x, y, n.label, ha="center", va="center", fontsize=7.5,
                      family="monospace", color=s.text, zorder=3,
                      fontweight="bold" if s.bold else "normal")
        if s.hatch:  # keep the label readable over the hatching
            txt.set_bbox(dict(facecolor=s.fill, edgecolor="none", pad=0.6))
    handles: list[Any] = [
        Patch(facecolor=PALETTE[c], edgecolor=RED if c in ("failed", "blocked") else DARK,
              hatch="////" if c == "blocked" else None,
              linestyle="--" if c == "missing" else "-", label=LEGEND_TEXT[c])
        for c in _categories_present(graph)
    ]
    handles.append(Line2D([], [], marker="o", markersize=9, markerfacecolor="white",
                          markeredgecolor=DARK, linestyle="none",
                          label="ellipse: cited result"))
    handles.append(Line2D([], [], color="#9a9a9a", lw=1, marker=">", markersize=4,
                          label="arrow: used by"))
    ncol = 3 if width < 11 else 5
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=7.5,
               frameon=False, bbox_to_anchor=(0.5, 0.02), handlelength=2.2)
    if title:
        ax.text(width / 2, height - 0.2, title, ha="center", va="center", fontsize=10)
    return fig


def _gid(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", label)


def _save(fig: Any, target: Any, fmt: str, dpi: int = 110) -> None:
    metadata = {"Date": None} if fmt == "svg" else (
        {"CreationDate": None} if fmt == "pdf" else None)
    fig.savefig(target, format=fmt, dpi=dpi, metadata=metadata)


def to_svg(graph: DependencyGraph, title: str | None = None) -> str:
    """The SVG text of the drawing; each node carries a ``<title>`` tooltip."""
    plt = _pyplot()
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "ufm-sym", "svg.fonttype": "none"}):
        fig = draw(graph, title)
        buf = io.StringIO()
        _save(fig, buf, "svg")
        plt.close(fig)
    svg = buf.getvalue()
    for n in graph.nodes.values():
        tip = f"{n.label}: {n.title} [{_status_text(n)}]"
        if n.message:
            tip += f" {n.message}"
        svg = svg.replace(f'<g id="node-{_gid(n.label)}">',
                          f'<g id="node-{_gid(n.label)}">\n   <title>{html.escape(tip)}</title>',
                          1)
    return svg


def _status_text(n: Node) -> str:
    s = n.style
    if s.status == "passed":
        return f"passed, {s.level}"
    return s.status


def to_html(graph: DependencyGraph, title: str = "ufm-sym: the proof's dependency graph") -> str:
    """A standalone HTML page: the SVG drawing and a table of the claims."""
    from ufm_sym.appendix.templating import html_environment

    tpl = html_environment().get_template("graph.html.j2")
    rows = [{"label": n.label, "title": n.title, "kind": n.kind, "status": _status_text(n),
             "category": n.style.category, "fill": n.style.fill, "text": n.style.text,
             "message": n.message, "uses": [e.source for e in graph.edges
                                            if e.target == n.label]}
            for n in graph.nodes.values()]
    return tpl.render(title=title, svg=to_svg(graph), rows=rows, meta=graph.meta,
                      legend=[(c, PALETTE[c], LEGEND_TEXT[c])
                              for c in _categories_present(graph)])


def write_graph(graph: DependencyGraph, path: str | os.PathLike[str],
                title: str | None = None) -> Path:
    """Write the drawing to ``path`` (format by suffix: ``.svg``, ``.html``, ``.png``,
    ``.pdf``) atomically: a failed write leaves no partial file."""
    from ufm_sym.atomic_write import atomic_write_bytes, atomic_write_text

    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise UFMInputError(f"--out: {str(path)!r} has an unknown format "
                            f"(expected a file ending in {', '.join(FORMATS)})")
    if suffix == ".svg":
        atomic_write_text(out, to_svg(graph, title))
    elif suffix == ".html":
        atomic_write_text(out, to_html(graph) if title is None else to_html(graph, title))
    else:
        plt = _pyplot()
        fig = draw(graph, title)
        buf = io.BytesIO()
        _save(fig, buf, suffix[1:])
        plt.close(fig)
        atomic_write_bytes(out, buf.getvalue())
    return out
