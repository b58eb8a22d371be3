r"""The claims as a Lean *blueprint* source (leanblueprint, rendered by plasTeX).

``ufm-sym blueprint --out DIR`` writes ``DIR/src``: ``web.tex`` (plasTeX, with the
``blueprint`` package and its dependency graph), ``print.tex`` (pdfLaTeX),
``content.tex`` (the claims), ``plastex.cfg`` and ``macros/{common,web,print}.tex``.
Each claim is a ``definition``, ``lemma``, ``proposition`` or ``theorem`` environment
with its ``\label`` (:func:`blueprint_label`: ``eq:3.4`` is ``ufm:eq-3.4``, so that the
graph, which shows what follows the last colon, names it ``eq-3.4``) and ``\uses`` (the
claims it uses), followed by a ``proof`` environment with ``\uses`` (the claims its
proof steps cite, else all it uses) holding the proof steps, the derivation or what a
cited result cites; our evidence follows as a remark.  Nothing is marked ``\leanok``
and no ``\lean{...}`` names a declaration: there is no Lean formalization yet, and this
is where one starts.

Render it with ``cd DIR/src && plastex -c plastex.cfg web.tex`` (``pip install
leanblueprint``): the dependency graph is ``DIR/web/dep_graph_document.html``.

>>> from ufm_sym.claims import Registry
>>> import sympy as sp
>>> reg = Registry()
>>> _ = reg.claim("eq:1.1", "x is real", kind="model", statement=sp.Eq(sp.Symbol("x"), 1))
>>> _ = reg.claim("thm:1.1", "the theorem", kind="theorem", uses=("eq:1.1",))
>>> files = blueprint_files(reg)
>>> sorted(files)  # doctest: +NORMALIZE_WHITESPACE
['content.tex', 'macros/common.tex', 'macros/print.tex', 'macros/web.tex',
 'plastex.cfg', 'print.tex', 'web.tex']
>>> print(files["content.tex"].split("\\begin{theorem}")[1].split("\\end{theorem}")[0].strip())
[the theorem]
\label{ufm:thm-1.1}
\uses{ufm:eq-1.1}
(a reference only: no statement)
>>> "\\leanok" in files["content.tex"], "\\lean{" in files["content.tex"]
(False, False)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from ufm_sym import __version__
from ufm_sym.appendix.escape import latex_escape, latex_label
from ufm_sym.appendix.graph_tikz import section_key
from ufm_sym.appendix.templating import latex_environment
from ufm_sym.appendix.views import (
    REFERENCES,
    RELATION_TEX,
    claim_view,
    object_latex,
    paper_ref,
    proof_part,
    statement_items,
    step_text_tex,
)
from ufm_sym.claims import Claim, Registry, Report

__all__ = ["ENVIRONMENTS", "BlueprintFiles", "blueprint_files", "blueprint_label",
           "write_blueprint"]


def blueprint_label(label: str) -> str:
    """The blueprint label of a claim.

    >>> blueprint_label("prop:4.3")
    'ufm:prop-4.3'
    """
    return "ufm:" + latex_label(label).replace(":", "-")

#: the blueprint environment of each kind of claim (the dependency graph draws
#: definitions as boxes, the others as ellipses)
ENVIRONMENTS: dict[str, str] = {
    "model": "definition", "assumption": "definition", "equation": "lemma",
    "step": "lemma", "lemma": "lemma", "proposition": "proposition",
    "theorem": "theorem", "cited": "theorem",
}

_SECTION_TITLES = {"1": "The models and the main theorems",
                   "3": "Cross-entropy: the proof of Theorem 1.1",
                   "4": "Squared loss: the proof of Theorem 1.2"}


def display_math(statement: Any) -> str:
    r"""A statement as plain LaTeX displays for plasTeX and MathJax: several relations
    one ``aligned`` display, anything else ``\[...\]`` each.

    >>> x = sp.Symbol("x")
    >>> print(display_math([sp.Eq(x, 1), sp.Le(x, 2)]))
    \[\begin{aligned}x &= 1\\ x &\leq 2\end{aligned}\]
    """
    if isinstance(statement, dict):
        return "\n".join(r"\[\text{" + latex_escape(k) + r"}:\quad " + object_latex(v) + r"\]"
                         for k, v in statement.items() if v is not None)
    items = statement_items(statement)
    if len(items) > 1 and all(isinstance(x, sp.core.relational.Relational)
                              and getattr(x, "rel_op", None) in RELATION_TEX for x in items):
        rows = [object_latex(x.lhs) + " &" + RELATION_TEX[x.rel_op] + " " + object_latex(x.rhs)
                for x in items]
        return r"\[\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}\]"
    return "\n".join(r"\[" + object_latex(x) + r"\]" for x in items)


@dataclass
class _Entry:
    env: str
    label: str
    title: str
    uses: list[str]
    proof_uses: list[str]
    statement: str
    hypotheses: str
    steps: list[dict[str, str]]
    derivation: list[tuple[str, str]]
    cited: str
    part: str | None
    evidence: list[dict[str, Any]]
    status: str
    strongest: str | None
    findings: list[str]


def _entry(claim: Claim, registry: Registry, report: Report | None) -> _Entry:
    results = report.by_label() if report is not None else {}
    result = results.get(claim.label)
    view = claim_view(claim, result, "", registry.labels)
    known = [blueprint_label(u) for u in claim.uses if u in registry]
    cited_by_steps = [blueprint_label(s.by) for s in claim.proof
                      if s.kind == "claim" and s.by in registry]
    steps = []
    for s, v in zip(claim.proof, view.proof, strict=True):
        if s.kind == "claim":
            why = f"by {latex_escape(paper_ref(s.by))} (\\ref{{{blueprint_label(s.by)}}})" \
                if s.by in registry else f"by {latex_escape(paper_ref(s.by))}"
        else:
            why = v.justification.replace(r"\textcolor{ufm-red}", r"\emph")
        steps.append({"text": step_text_tex(s.text), "formula": display_math(s.formula)
                      if s.formula is not None else "", "by": why})
    return _Entry(
        env=ENVIRONMENTS.get(claim.kind, "lemma"), label=blueprint_label(claim.label),
        title=view.title,
        uses=known, proof_uses=list(dict.fromkeys(cited_by_steps)) or known,
        statement=display_math(claim.statement),
        hypotheses=r",\quad ".join(view.hypotheses),
        steps=steps,
        derivation=[(cap, display_math(obj)) for (cap, _), (_, obj)
                    in zip(view.derivation, claim.derivation, strict=True)],
        cited=view.cited_part, part=proof_part(claim),
        evidence=[{"level": e.level, "passed": e.passed, "value": e.value,
                   "samples": e.samples, "detail": e.detail} for e in view.evidence],
        status=view.status, strongest=view.strongest, findings=view.findings,
    )


def blueprint_files(registry: Registry, report: Report | None = None,
                    labels: Sequence[str] | None = None,
                    title: str = "Geometric Analysis of Unconstrained Feature Models "
                                 "with $d = K$: a blueprint") -> dict[str, str]:
    """The blueprint source, ``{path under src/: text}``: the claims of ``report``
    (else the closure of ``labels``, else all) in paper order, each with its evidence
    from ``report`` when there is one."""
    if report is not None:
        order = [r.label for r in report.results]
    else:
        order = registry.closure(labels) if labels else registry.topological_order()
    sections: dict[str, list[_Entry]] = {}
    for lbl in order:
        c = registry[lbl]
        sections.setdefault(c.section or "", []).append(_entry(c, registry, report))
    chapters = [{"title": _SECTION_TITLES.get(sec, f"Section {sec}" if sec else "Other claims"),
                 "entries": entries}
                for sec, entries in sorted(sections.items(), key=lambda kv: section_key(kv[0]))]
    ctx = {"version": __version__, "title": title, "chapters": chapters,
           "references": REFERENCES, "ran": report is not None,
           "settings": None if report is None else {
               "dps": report.context.dps, "seed": report.context.seed,
               "samples": report.context.numeric_samples}}
    env = latex_environment()
    names = {"content.tex": "blueprint-content.tex.j2", "web.tex": "blueprint-web.tex.j2",
             "print.tex": "blueprint-print.tex.j2", "plastex.cfg": "blueprint-plastex.cfg.j2",
             "macros/common.tex": "blueprint-macros-common.tex.j2",
             "macros/web.tex": "blueprint-macros-web.tex.j2",
             "macros/print.tex": "blueprint-macros-print.tex.j2"}
    return {path: env.get_template(tpl).render(ctx) for path, tpl in names.items()}


@dataclass
class BlueprintFiles:
    """What was written: ``src`` (the source folder) and its files."""

    src: Path
    files: list[Path]


def write_blueprint(out_dir: str | os.PathLike[str], registry: Registry,
                    report: Report | None = None, labels: Sequence[str] | None = None
                    ) -> BlueprintFiles:
    """Render the blueprint and write ``out_dir/src/...``, each file atomically (all
    are rendered before any is written)."""
    from ufm_sym.atomic_write import atomic_write_text, ensure_writable_dir

    texts = blueprint_files(registry, report, labels)
    src = ensure_writable_dir(Path(out_dir) / "src")
    ensure_writable_dir(src / "macros")
    written = [atomic_write_text(src / rel, text) for rel, text in texts.items()]
    return BlueprintFiles(src, written)
