r"""The claims in Jupyter: the same objects as the appendix, displayed.

The notebooks read the claims rather than restating them: :func:`show_claim` displays a
claim's statement, hypotheses and derivation, printed from its SymPy objects with
:func:`~ufm_sym.symbolic.latex.paper_latex` (through
:func:`~ufm_sym.appendix.render.statement_latex`), the labels it uses, and the evidence
table of its run (:func:`evidence_table`).

Outside IPython every function still works: the HTML objects have ``.data`` and
:func:`show_claim` returns the pieces it would display.

>>> from ufm_sym.claims import Evidence, Registry
>>> import sympy as sp
>>> reg = Registry()
>>> c = reg.claim("eq:9.1", "x squared", statement=sp.Ge(sp.Symbol("x")**2, 0))
>>> _ = c.check("symbolic")(lambda claim, ctx: Evidence.exact("symbolic", True, "x**2 >= 0"))
>>> report = run_claims(["eq:9.1"], registry=reg)
>>> parts = show_claim(c, report.by_label()["eq:9.1"], display_fn=None)
>>> parts[1]
('math', 'x^{2} \\geq 0')
>>> "exact" in evidence_table(report.by_label()["eq:9.1"]).data
True
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ufm_sym.appendix.render import object_latex, statement_latex
from ufm_sym.claims import Claim, ClaimResult, Registry, Report, VerifyContext

__all__ = [
    "HTMLTable", "claims_with_prefix", "evidence_table", "paper_registry", "run_claims",
    "show_claim", "show_claims", "summary_table", "table",
]


class HTMLTable:
    """An HTML table that Jupyter renders (``_repr_html_``); ``.data`` is the HTML."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_html_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return f"HTMLTable({len(self.data)} characters of HTML)"


@functools.lru_cache(maxsize=1)
def paper_registry() -> Registry:
    """The paper's registry (:func:`~ufm_sym.claims.load_registry`, loaded once)."""
    from ufm_sym.claims import load_registry

    return load_registry()


def run_claims(labels: Sequence[str], *, registry: Registry | None = None, dps: int = 50,
               samples: int = 20, seed: int = 0) -> Report:
    """Run the claims ``labels`` and what they use (``samples`` float64 critical points
    per numeric check: keep it small in a notebook)."""
    reg = registry if registry is not None else paper_registry()
    ctx = VerifyContext(dps=dps, seed=seed, numeric_samples=samples)
    return reg.run(ctx, list(labels))


def claims_with_prefix(reg: Registry, prefixes: Iterable[str]) -> list[Claim]:
    """The claims whose label starts with one of ``prefixes``, in paper order.

    >>> from ufm_sym.claims import Registry
    >>> r = Registry(); _ = r.claim("eq:4.1", "a"); _ = r.claim("eq:3.1", "b")
    >>> [c.label for c in claims_with_prefix(r, ["eq:4."])]
    ['eq:4.1']
    """
    prefixes = tuple(prefixes)
    return [reg[lbl] for lbl in reg.topological_order() if lbl.startswith(prefixes)]


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> HTMLTable:
    """A plain HTML table of ``rows`` (each cell through ``str``, escaped).

    >>> table([(1, "<b>")], ["n", "text"]).data.count("<td>")
    2
    """
    head = "".join(f"<th style='text-align:left'>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows)
    return HTMLTable(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _value(e: Any) -> str:
    if e.residual == "exact":
        return "exact"
    out = e.residual or ""
    if e.digits is not None:
        out += f" ({e.digits:g} digits)" if out else f"{e.digits:g} digits"
    return out or "-"


def evidence_table(result: ClaimResult) -> HTMLTable:
    """The evidence of one claim: level, passed, residual / digits, samples, detail."""
    return table([(e.level, "yes" if e.passed else "NO", _value(e), e.samples, e.detail)
                  for e in result.evidence],
                 ["level", "passed", "residual / digits", "samples", "detail"])


def summary_table(report: Report) -> HTMLTable:
    """One row per claim of ``report``: label, title, status, strongest, seconds."""
    return table([(r.label, r.title, r.status, r.strongest or "-", f"{r.seconds:.2f}")
                  for r in report.results],
                 ["claim", "title", "status", "strongest evidence", "seconds"])


def _ipython_display(kind: str, payload: Any) -> None:
    from IPython.display import HTML, Math, display

    if kind == "math":
        display(Math(payload))
    elif kind == "html":
        display(HTML(payload))
    else:
        display(payload)


def show_claim(claim: Claim, result: ClaimResult | None = None, *, derivation: bool = True,
               display_fn: Callable[[str, Any], None] | None = _ipython_display
               ) -> list[tuple[str, Any]] | None:
    """Display a claim: heading, statement (``Math`` of its LaTeX), hypotheses,
    derivation steps, the labels it uses and, given its ``result``, the evidence.

    With ``display_fn=None`` nothing is displayed and the pieces are returned as
    ``(kind, payload)`` with kind ``html``, ``math`` or ``table`` (else ``None``, so that
    a notebook cell ending in ``show_claim(...)`` shows no extra value).
    """
    parts: list[tuple[str, Any]] = []
    head = f"<h4><code>{html.escape(claim.label)}</code> &nbsp; {html.escape(claim.title)}"
    tags = [claim.kind] + (["cited"] if claim.cited else [])
    if claim.section:
        tags.append(f"Section {claim.section}")
    head += f" <small>({html.escape(', '.join(tags))})</small></h4>"
    parts.append(("html", head))
    lines = statement_latex(claim.statement)
    parts += [("math", line) for line in lines]
    if not lines:
        parts.append(("html", "<i>no statement (a reference)</i>"))
    if claim.hypotheses:
        parts.append(("html", "<b>Hypotheses</b>"))
        parts.append(("math", r",\quad ".join(object_latex(h) for h in claim.hypotheses)))
    if derivation and claim.derivation:
        parts.append(("html", "<b>Derivation</b> (what SymPy derived)"))
        for i, (caption, obj) in enumerate(claim.derivation, 1):
            parts.append(("html", f"{i}. {html.escape(caption)}"))
            parts.append(("math", object_latex(obj)))
    if claim.uses:
        parts.append(("html", "<b>Uses</b>: " + ", ".join(
            f"<code>{html.escape(u)}</code>" for u in claim.uses)))
    if result is not None:
        status = html.escape(result.status)
        if result.strongest:
            status += f", strongest evidence: <b>{html.escape(result.strongest)}</b>"
        if result.message:
            status += f" &mdash; {html.escape(result.message)}"
        parts.append(("html", f"<b>Status</b>: {status}"))
        parts.append(("table", evidence_table(result)))
    if display_fn is None:
        return parts
    for kind, payload in parts:
        display_fn(kind, payload)
    return None


def show_claims(claims: Iterable[Claim], report: Report | None = None, **kwargs: Any) -> None:
    """:func:`show_claim` for each claim, with its result from ``report``."""
    results = report.by_label() if report is not None else {}
    for claim in claims:
        show_claim(claim, results.get(claim.label), **kwargs)
