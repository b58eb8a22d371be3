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

from ufm_sym.appendix.views import object_latex, paper_ref, statement_latex
from ufm_sym.claims import Claim, ClaimResult, Evidence, Registry, Report, VerifyContext

__all__ = [
    "HTMLTable", "claims_with_prefix", "escape_plot", "evidence_table", "paper_registry",
    "run_claims", "show_claim", "show_claims", "show_step", "step_check", "summary_table",
    "table",
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
    from IPython.display import HTML, Markdown, Math, display

    if kind == "math":
        display(Math(payload))
    elif kind == "markdown":
        display(Markdown(payload))
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
    tags = [claim.kind] + (["cited"] if claim.cited else [])
    if claim.section:
        tags.append(f"Section {claim.section}")
    title = claim.title_tex or claim.title
    parts.append(("markdown", f"#### `{claim.label}` {title} ({', '.join(tags)})"))
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


def step_check(claim: Claim, index: int, results: dict[str, ClaimResult] | None = None, *,
               dps: int = 50, seed: int = 0) -> Evidence | ClaimResult | None:
    """The check of proof step ``index`` (1-based) of ``claim``: an identity's own
    ``check`` run now, a fact's randomized test run now, a cited claim's result from
    ``results`` (``None`` when it is not there).

    >>> import sympy as sp
    >>> from ufm_sym.claims import ProofStep
    >>> x = sp.Symbol("x")
    >>> c = Claim("eq:9.2", "t", proof=[ProofStep("square", sp.Eq(x * x, x ** 2),
    ...     check=lambda claim, ctx: Evidence.exact("symbolic", True, "x*x = x**2")),
    ...     ProofStep("a rank bound", None, "fact", "rank-product")])
    >>> step_check(c, 1).residual, step_check(c, 2, dps=30).passed
    ('exact', True)
    """
    step = claim.proof[index - 1]
    ctx = VerifyContext(dps=dps, seed=seed)
    if step.kind == "identity":
        return step.check(claim, ctx) if step.check is not None else None
    if step.kind == "fact":
        from ufm_sym.facts import FACTS

        ev = FACTS[step.by].test(dps=dps, seed=seed)
        if ev.passed and step.check is not None:   # the instance's link to the claim
            ev = step.check(claim, ctx)
        return ev
    return (results or {}).get(step.by)


def show_step(claim: Claim, index: int, results: dict[str, ClaimResult] | None = None, *,
              dps: int = 50, display_fn: Callable[[str, Any], None] | None = _ipython_display
              ) -> list[tuple[str, Any]] | None:
    """Display proof step ``index`` (1-based) of ``claim``: what it does, the formula it
    establishes, why it holds, and its check (:func:`step_check`)."""
    step = claim.proof[index - 1]
    parts: list[tuple[str, Any]] = [("markdown", f"**Step {index} of {len(claim.proof)}** "
                                                 f"(`{claim.label}`): {step.text}")]
    if step.formula is not None:
        parts += [("math", line) for line in statement_latex(step.formula)]
    if step.kind == "fact":
        from ufm_sym.facts import FACTS

        fact = FACTS[step.by]
        why = f"by the fact *{fact.title}* [{fact.reference}]"
        parts.append(("math", fact.latex()))
    elif step.kind == "claim":
        why = f"by {paper_ref(step.by)} (`{step.by}`)"
    else:
        why = step.identity_justification
    parts.append(("markdown", "*" + why + "*"))
    checked = step_check(claim, index, results, dps=dps)
    if isinstance(checked, Evidence):
        parts.append(("table", table([(checked.level, "yes" if checked.passed else "NO",
                                       _value(checked), checked.samples, checked.detail)],
                                     ["level", "passed", "residual / digits", "samples",
                                      "detail"])))
    elif checked is not None:
        parts.append(("markdown", f"`{step.by}`: {checked.status}"
                                  + (f", strongest evidence {checked.strongest}"
                                     if checked.strongest else "")))
    else:
        parts.append(("markdown", "*no check of its own*"))
    if display_fn is None:
        return parts
    for kind, payload in parts:
        display_fn(kind, payload)
    return None


def escape_plot(problem: Any, *, dps: int = 60, step: float = 0.05) -> Any:
    """A matplotlib figure: the objective along the escape direction at a saddle of
    ``problem`` (a high-precision critical point that is not a global minimizer), against
    the parabola of the predicted curvature ``-2 sigma + 2 sqrt(lambda_W lambda_H)``.
    Raises ``ValueError`` when the problem has no such saddle."""
    import matplotlib.pyplot as plt
    import numpy as np

    from ufm_sym.highprec.families import critical_points
    from ufm_sym.numeric import escape_direction, objective_value

    saddles = [r for r in critical_points(problem, kinds=("saddle",), dps=dps)
               if not r.is_global_min]
    if not saddles:
        raise ValueError("no saddle for these parameters: lower the lambdas")
    rec = saddles[0]
    x = tuple(np.array(M.tolist(), dtype=float) for M in rec.point)
    x = (x[0], x[1], x[2].ravel())
    esc = escape_direction(problem, x)
    norm = float(np.sqrt(sum(float(np.sum(d * d)) for d in esc.direction)))
    D = tuple(d / norm for d in esc.direction)
    ts = np.linspace(-4 * step, 4 * step, 81)
    f0 = objective_value(problem, x)
    along = [objective_value(problem, tuple(a + t * d for a, d in zip(x, D, strict=True))) - f0
             for t in ts]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(ts, along, label="f(x + t Δ) − f(x)")
    ax.plot(ts, 0.5 * esc.predicted / norm ** 2 * ts ** 2, "--",
            label="½ t² (−2σ + 2√(λ_W λ_H)) / |Δ|²")
    ax.set_xlabel("t")
    ax.set_title(f"{problem.loss.upper()}, K = {problem.K}, n = {problem.n}: the escape from "
                 f"the saddle {rec.family}", fontsize=9)
    ax.legend()
    fig.tight_layout()
    return fig
