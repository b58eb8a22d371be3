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

from collections.abc import Sequence
from typing import Any

from ufm_sym import __version__
from ufm_sym.appendix.escape import latex_label
from ufm_sym.appendix.graph_tikz import tikz_figures, tikz_legend
from ufm_sym.appendix.templating import latex_environment
from ufm_sym.appendix.views import (
    REFERENCES,
    ClaimView,
    EvidenceRow,
    claim_view,
    object_latex,
    statement_latex,
    statement_tex,
)
from ufm_sym.claims import Registry, Report

__all__ = [
    "PREAMBLE_NAME", "ClaimView", "EvidenceRow", "appendix_context", "claim_view",
    "losses_context", "object_latex", "render_appendix", "render_preamble",
    "statement_latex",
]

#: the preamble file written next to a ``--body-only`` appendix
PREAMBLE_NAME = "ufm-sym-preamble.tex"
PAPER = ("Shao Gu and Yi Shen, \u201cGeometric Analysis of Unconstrained Feature Models "
         "with d = K\u201d (arXiv 2407.10702)")
LOSS_NAMES = {"ce": "the cross-entropy loss (1.3)", "mse": "the squared loss (1.4)"}


def losses_context() -> list[dict[str, Any]]:
    """Each loss written out: its name and the derivation steps of
    :func:`~ufm_sym.symbolic.loss_formulas.loss_derivation` as LaTeX."""
    from ufm_sym.appendix.pseudo_math import text_to_tex
    from ufm_sym.symbolic.loss_formulas import loss_derivation

    return [{"name": LOSS_NAMES[loss],
             "steps": [(text_to_tex(cap), statement_tex(obj))
                       for cap, obj in loss_derivation(loss)]}
            for loss in ("ce", "mse")]


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
        "figures": tikz_figures(registry, report, order) if include_graph and order else [],
        "legend": tikz_legend(report),
        "losses": losses_context(),
        "references": REFERENCES,
        "n_proof_parts": sum(1 for c in claims if c.part),
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
