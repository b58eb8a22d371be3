r"""The LaTeX appendix, rendered from the claim registry and a verification report.

Content comes from the claims (statements, hypotheses and derivations printed from
their SymPy objects with :func:`~ufm_sym.symbolic.latex.paper_latex`; labels, titles,
``uses``) and from the report (the evidence of each claim); layout lives in the
Jinja2 templates of ``ufm_sym/appendix/templates`` (see
:mod:`~ufm_sym.appendix.templating` for their delimiters).

>>> from ufm_sym.claims import Evidence, Registry, VerifyContext
>>> import sympy as sp
>>> reg = Registry()
>>> x = sp.Symbol("x")
>>> c = reg.claim("eq:9.1", "x squared is non-negative", statement=sp.Ge(x**2, 0))
>>> _ = c.check("symbolic")(lambda claim, ctx: Evidence.exact("symbolic", True, "x**2 >= 0"))
>>> tex = render_appendix(reg, reg.run(VerifyContext()))
>>> r"\label{ufm:eq:9.1}" in tex, "x^{2} \\geq 0" in tex, r"\documentclass" in tex
(True, True, True)
>>> body = render_appendix(reg, None, body_only=True)
>>> body.lstrip().startswith("%"), r"\documentclass" in body
(True, False)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ufm_sym import __version__
from ufm_sym.appendix.escape import latex_escape, latex_label
from ufm_sym.appendix.templating import latex_environment
from ufm_sym.claims import Claim, ClaimResult, Evidence, Registry, Report
from ufm_sym.report import residual_cell
from ufm_sym.symbolic.latex import paper_latex

__all__ = [
    "PREAMBLE_NAME", "ClaimView", "EvidenceRow", "appendix_context", "claim_view",
    "object_latex", "render_appendix", "render_preamble", "statement_latex",
]

#: the preamble file written next to a ``--body-only`` appendix
PREAMBLE_NAME = "ufm-sym-preamble.tex"
PAPER = ("Shao Gu and Yi Shen, \u201cGeometric Analysis of Unconstrained Feature Models "
         "with d = K\u201d (arXiv 2407.10702)")

# TikZ geometry (cm): layer spacing, row spacing
TIKZ_X, TIKZ_Y, TIKZ_KEY, TIKZ_HALF_W = 2.3, 0.6, 6.2, 0.95
#: a graph with more layers than this is drawn rotated, on a page of its own
TIKZ_ROTATE_LAYERS = 8


# ------------------------------------------------------------------ LaTeX of claims
def _is_latex_text(name: str) -> bool:
    return any(ch in name for ch in "\\{} ")


def object_latex(obj: Any) -> str:
    r"""The LaTeX of one SymPy object in the paper's notation.

    A ``Symbol`` whose name is LaTeX text (it contains a backslash, a brace or a
    space) prints that text; a ``str`` is taken as LaTeX; everything else goes through
    :func:`~ufm_sym.symbolic.latex.paper_latex`.

    >>> import sympy as sp
    >>> object_latex(sp.Symbol(r"\text{every critical point is strict}"))
    '\\text{every critical point is strict}'
    >>> object_latex(sp.Symbol("lambda_W") * sp.MatrixSymbol("W", 2, 2))
    '\\lambda_W \\mathbf{W}'
    """
    if isinstance(obj, sp.Symbol) and _is_latex_text(obj.name):
        return obj.name
    if isinstance(obj, str):
        return obj
    return paper_latex(obj)


def statement_latex(statement: Any) -> list[str]:
    r"""The LaTeX lines of a claim's statement: one per SymPy object (a list or tuple
    gives several; a ``dict`` gives ``name: object`` lines; ``None`` none).

    >>> import sympy as sp
    >>> W = sp.MatrixSymbol("W", 3, 3)
    >>> statement_latex([sp.Eq(W.T, W, evaluate=False), None])
    ['\\mathbf{W}^\\top = \\mathbf{W}']
    """
    if statement is None:
        return []
    if isinstance(statement, dict):
        return [r"\text{" + latex_escape(k) + r"}:\quad " + object_latex(v)
                for k, v in statement.items() if v is not None]
    if isinstance(statement, list | tuple):
        return [line for item in statement for line in statement_latex(item)]
    return [object_latex(statement)]


# ------------------------------------------------------------------- the views
@dataclass
class EvidenceRow:
    """One row of a claim's evidence table (text already LaTeX-escaped)."""

    level: str
    passed: bool
    value: str
    samples: int
    detail: str


@dataclass
class UseRef:
    label: str
    texlabel: str
    present: bool


@dataclass
class ClaimView:
    """Everything the claim template needs; math fields are LaTeX, text fields raw
    (the template escapes them)."""

    label: str
    texlabel: str
    title: str
    kind: str
    section: str
    cited: bool
    statement: list[str]
    hypotheses: list[str]
    derivation: list[tuple[str, str]]
    uses: list[UseRef]
    levels: list[str]
    ran: bool
    status: str = "not run"
    strongest: str | None = None
    residual: str = "--"
    message: str = ""
    findings: list[str] = field(default_factory=list)
    evidence: list[EvidenceRow] = field(default_factory=list)
    colour: str = "ufm-not-run"


def _value_cell(e: Evidence) -> str:
    if e.residual == "exact":
        return "exact"
    parts = []
    if e.residual:
        parts.append(e.residual)
    if e.digits is not None and math.isfinite(e.digits):
        d = f"{e.digits:g} digits"
        parts.append(f"({d})" if parts else d)
    return " ".join(parts) if parts else "--"


def claim_view(claim: Claim, result: ClaimResult | None, prefix: str,
               known: Iterable[str]) -> ClaimView:
    """The view of one claim (``known``: the labels present in the appendix)."""
    from ufm_sym.graph import style_for

    known = set(known)
    view = ClaimView(
        label=claim.label, texlabel=latex_label(prefix + claim.label), title=claim.title,
        kind=claim.kind, section=claim.section, cited=claim.cited,
        statement=statement_latex(claim.statement),
        hypotheses=[object_latex(h) for h in claim.hypotheses],
        derivation=[(cap, object_latex(obj)) for cap, obj in claim.derivation],
        uses=[UseRef(u, latex_label(prefix + u), u in known) for u in claim.uses],
        levels=claim.levels, ran=result is not None,
        findings=list(claim.findings),
    )
    if result is not None:
        view.status = result.status
        view.strongest = result.strongest
        view.residual = residual_cell(result)
        view.message = result.message
        view.findings = list(result.findings)
        view.evidence = [EvidenceRow(e.level, e.passed, _value_cell(e), e.samples, e.detail)
                         for e in result.evidence]
        view.colour = "ufm-" + style_for(result.status, result.strongest).category
    return view


def _tikz_graph(registry: Registry, report: Report | None, labels: Sequence[str]
                ) -> dict[str, Any]:
    from ufm_sym.graph import CATEGORIES, LEGEND_TEXT, build_graph

    graph = build_graph(registry, report) if report is not None else \
        build_graph(registry, labels=labels)
    ids = {lbl: f"n{i}" for i, lbl in enumerate(graph.nodes)}
    rotate = len(graph.layers) > TIKZ_ROTATE_LAYERS
    y_step = TIKZ_Y
    if rotate:  # rows run across the rotated page: spread them to the page's proportions
        extent = (len(graph.layers) - 1) * TIKZ_X
        y_step = min(1.5, max(TIKZ_Y, 0.7 * extent / max(graph.max_rows, 1)))
    nodes = []
    for lbl, n in graph.nodes.items():
        s = n.style
        nodes.append({
            "id": ids[lbl], "label": lbl, "x": f"{n.layer * TIKZ_X:.2f}",
            "y": f"{-n.row * y_step:.2f}", "category": s.category,
            "ellipse": s.shape == "ellipse", "hatch": bool(s.hatch),
            "dashed": s.linestyle == "dashed", "bold": s.bold, "red": s.red,
            "white_text": s.text.lower() == "#ffffff",
        })
    edges = []
    for e in graph.edges:
        via = [f"({k * TIKZ_X + dx:.2f}, {-r * y_step:.2f})"
               for k, r in e.via for dx in (-TIKZ_HALF_W, TIKZ_HALF_W)]
        edges.append({"source": ids[e.source], "target": ids[e.target], "red": e.red,
                      "via": via})
    width = (max(len(graph.layers), 1) - 1) * TIKZ_X
    present = {n.style.category for n in graph.nodes.values()}
    cats = [c for c in CATEGORIES if c in ("symbolic", "high-precision", "numeric", "failed",
                                           "blocked") or c in present]
    per_row = max(2, int((width + 2.0) // TIKZ_KEY))
    legend_y0 = -graph.max_rows * y_step - 0.2
    legend = []
    for i, c in enumerate(cats + ["cited"]):
        legend.append({
            "category": c, "text": LEGEND_TEXT.get(c, "cited result"),
            "x": f"{(i % per_row) * TIKZ_KEY - 0.8:.2f}",
            "y": f"{legend_y0 - (i // per_row) * 0.6:.2f}",
        })
    return {"nodes": nodes, "edges": edges, "legend": legend,
            "rotate": rotate}


def appendix_context(registry: Registry, report: Report | None = None,
                     labels: Sequence[str] | None = None, label_prefix: str = "ufm:",
                     include_graph: bool = True) -> dict[str, Any]:
    """The template context: the claims (of ``report``, else the closure of
    ``labels``, else all) in paper order, the run settings and the graph."""
    from ufm_sym.graph import PALETTE, RED

    if report is not None:
        order = [r.label for r in report.results]
        results = report.by_label()
    else:
        order = registry.closure(labels) if labels else registry.topological_order()
        results = {}
    claims = [claim_view(registry[lbl], results.get(lbl), label_prefix, order)
              for lbl in order]
    ctx: dict[str, Any] = {
        "version": __version__, "paper": PAPER, "claims": claims, "ran": report is not None,
        "prefix": latex_label(label_prefix),
        "colours": {f"ufm-{k}": v.lstrip("#").upper() for k, v in PALETTE.items()}
        | {"ufm-red": RED.lstrip("#").upper()},
        "graph": _tikz_graph(registry, report, order) if include_graph and order else None,
        "n_passed": sum(1 for c in claims if c.status == "passed"),
        "n_claims": len(claims),
    }
    if report is not None:
        ctx["settings"] = {"dps": report.context.dps, "seed": report.context.seed,
                           "samples": report.context.numeric_samples,
                           "backend": report.context.backend}
    else:
        ctx["settings"] = None
    return ctx


def render_appendix(registry: Registry, report: Report | None = None,
                    labels: Sequence[str] | None = None, *, body_only: bool = False,
                    label_prefix: str = "ufm:", include_graph: bool = True) -> str:
    """The appendix as LaTeX: a self-contained document, or (``body_only``) the body
    to ``\\input`` into a paper whose preamble inputs :func:`render_preamble`."""
    ctx = appendix_context(registry, report, labels, label_prefix, include_graph)
    name = "body.tex.j2" if body_only else "appendix.tex.j2"
    ctx["preamble_name"] = PREAMBLE_NAME
    return latex_environment().get_template(name).render(ctx)


def render_preamble() -> str:
    """The packages and macros the appendix body needs (``ufm-sym-preamble.tex``)."""
    from ufm_sym.graph import PALETTE, RED

    colours = {f"ufm-{k}": v.lstrip("#").upper() for k, v in PALETTE.items()}
    colours["ufm-red"] = RED.lstrip("#").upper()
    return latex_environment().get_template("preamble.tex.j2").render(
        colours=colours, version=__version__, standalone=True)
