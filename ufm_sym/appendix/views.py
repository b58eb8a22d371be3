r"""What the appendix prints of one claim, already as LaTeX: the *views* the templates
fill in.

Mathematics comes from the claim's SymPy objects (:func:`object_latex`,
:func:`statement_tex`); titles from ``title_tex`` where the claim has one, else from
its plain title through :func:`~ufm_sym.appendix.pseudo_math.text_to_tex`, as are the
evidence details, findings and derivation captions; the plain title goes to the PDF
bookmarks.  Each claim gets a *proof part* (:func:`proof_part`): its proof steps, each
with its justification, else its derivation from the objective, else, for a cited
result, what is cited and how it is checked.

>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> print(statement_tex([sp.Eq(x, 1), sp.Le(x ** 2, 2)]))
\ufmaligned{%
\ufmrow{x}{= 1}\ufmnext
\ufmrow{x^{2}}{\leq 2}%
}
>>> print(statement_tex(sp.Implies(x > 0, x ** 2 > 0)))
\ufmdisplay{x > 0 \;\Longrightarrow\; x^{2} > 0}
>>> paper_ref("lem:3.1"), paper_ref("eq:4.19"), paper_ref("hyp:dimension")
('Lemma 3.1', '(4.19)', 'hyp:dimension')
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ufm_sym.appendix.escape import latex_escape, latex_label
from ufm_sym.appendix.pseudo_math import text_to_tex
from ufm_sym.claims import Claim, ClaimResult, Evidence, ProofStep
from ufm_sym.symbolic.latex import paper_latex

__all__ = [
    "RELATION_TEX", "ClaimView", "EvidenceRow", "StepView", "UseRef", "claim_view",
    "object_latex", "paper_ref", "proof_part", "residual_tex", "statement_items",
    "statement_latex", "statement_tex", "title_tex",
]

#: how each kind of claim label is named in the paper's words
_REF_WORDS = {"lem": "Lemma", "prop": "Proposition", "thm": "Theorem", "asm": "Assumption",
              "cor": "Corollary", "def": "Definition", "step": "step", "ref": "reference"}
#: the references the paper cites for the results it does not prove
REFERENCES: dict[str, str] = {
    "12": ("J. Zhou, X. Li, T. Ding, C. You, Q. Qu and Z. Zhu, On the optimization "
           "landscape of neural collapse under MSE loss: global optimality with "
           "unconstrained features, ICML 2022 (arXiv 2203.01238)"),
    "13": ("Z. Zhu, T. Ding, J. Zhou, X. Li, C. You, J. Sulam and Q. Qu, A geometric "
           "analysis of neural collapse with unconstrained features, NeurIPS 2021 "
           "(arXiv 2105.02375)"),
}


# ------------------------------------------------------------ LaTeX of objects
def _is_latex_text(name: str) -> bool:
    return any(ch in name for ch in "\\{} ")


def object_latex(obj: Any) -> str:
    r"""The LaTeX of one SymPy object in the paper's notation.

    A ``Symbol`` whose name is LaTeX text (it contains a backslash, a brace or a
    space) prints that text; a ``str`` is taken as LaTeX; everything else goes through
    :func:`~ufm_sym.symbolic.latex.paper_latex`.

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


def statement_items(statement: Any) -> list[Any]:
    """The objects of a statement: a list or tuple flattened, ``None`` dropped."""
    if statement is None:
        return []
    if isinstance(statement, list | tuple):
        return [x for item in statement for x in statement_items(item)]
    return [statement]


def statement_latex(statement: Any) -> list[str]:
    r"""The LaTeX lines of a statement: one per SymPy object (a list or tuple gives
    several; a ``dict`` gives ``name: object`` lines; ``None`` none).

    >>> W = sp.MatrixSymbol("W", 3, 3)
    >>> statement_latex([sp.Eq(W.T, W, evaluate=False), None])
    ['\\mathbf{W}^\\top = \\mathbf{W}']
    """
    if isinstance(statement, dict):
        return [r"\text{" + latex_escape(k) + r"}:\quad " + object_latex(v)
                for k, v in statement.items() if v is not None]
    return [line for item in statement_items(statement) for line in (
        statement_latex(item) if isinstance(item, dict) else [object_latex(item)])]


RELATION_TEX = {"==": "=", "<=": r"\leq", ">=": r"\geq", "<": "<", ">": ">", "!=": r"\neq"}


def statement_tex(statement: Any) -> str:
    r"""The statement as display macros: several relations as one aligned display
    (``\ufmaligned``, which falls back to a display per line when a line is wider
    than the text), anything else a ``\ufmdisplay`` per object."""
    items = [] if isinstance(statement, dict) else statement_items(statement)
    if len(items) > 1 and all(isinstance(x, sp.core.relational.Relational)
                              and getattr(x, "rel_op", None) in RELATION_TEX for x in items):
        rows = [r"\ufmrow{" + object_latex(x.lhs) + "}{" + RELATION_TEX[x.rel_op] + " "
                + object_latex(x.rhs) + "}" for x in items]
        return "\\ufmaligned{%\n" + "\\ufmnext\n".join(rows) + "%\n}"
    return "\n".join(r"\ufmdisplay{" + line + "}" for line in statement_latex(statement))


def title_tex(claim: Any) -> str:
    """The claim's title as LaTeX: ``title_tex`` when it has one, else its plain title
    with the formulas set as mathematics."""
    return claim.title_tex or text_to_tex(claim.title)


def paper_ref(label: str) -> str:
    """How the paper names the object ``label``: ``(3.4)``, ``Lemma 3.1``; other
    labels as they are."""
    kind, _, number = label.partition(":")
    if kind == "eq" and re.fullmatch(r"[0-9A-Z.]+", number):
        return f"({number})"
    if kind in _REF_WORDS and re.fullmatch(r"[0-9A-Z.]+", number):
        return f"{_REF_WORDS[kind]} {number}"
    return label


def residual_tex(value: str | None) -> str:
    r"""A residual string as LaTeX: ``3.1e-60`` becomes ``$3.1\times 10^{-60}$``.

    >>> residual_tex("3.1e-60"), residual_tex("exact"), residual_tex("0.0")
    ('$3.1\\times 10^{-60}$', 'exact', '$0$')
    """
    if value is None or value in ("", "-", "--"):
        return "--"
    m = re.fullmatch(r"(\d+(?:\.\d+)?)e([-+]?\d+)", value)
    if m:
        mant = m.group(1)
        exp = int(m.group(2))
        head = "" if mant in ("1", "1.0", "1.00") else mant + r"\times "
        return f"${head}10^{{{exp}}}$"
    try:
        x = float(value)
    except ValueError:
        return text_to_tex(value)
    return "$0$" if x == 0 else f"${value}$"


# ----------------------------------------------------------------- the views
@dataclass
class EvidenceRow:
    """One row of a claim's evidence table (LaTeX)."""

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
class StepView:
    """One proof step: its text, its formula (display macros) and why it holds."""

    number: int
    text: str
    formula: str
    justification: str


@dataclass
class ClaimView:
    """Everything the claim template needs, as LaTeX (``title_plain`` is escaped plain
    text for the PDF bookmark)."""

    label: str
    texlabel: str
    title: str
    title_plain: str
    kind: str
    section: str
    cited: bool
    statement: str
    hypotheses: list[str]
    proof: list[StepView]
    derivation: list[tuple[str, str]]
    cited_part: str
    part: str | None
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


def proof_part(claim: Claim) -> str | None:
    """Which proof part the appendix prints for ``claim``: ``"proof"`` (its proof
    steps), ``"derivation"`` (its derivation from the objective), ``"cited"`` (what is
    cited and how it is checked), or ``None``."""
    if claim.proof:
        return "proof"
    if claim.derivation:
        return "derivation"
    if claim.cited:
        return "cited"
    return None


def _value_cell(e: Evidence) -> str:
    if e.residual == "exact":
        return "exact"
    parts = []
    if e.residual:
        parts.append(residual_tex(e.residual))
    if e.digits is not None and math.isfinite(e.digits):
        d = f"{e.digits:g} digits"
        parts.append(f"({d})" if parts else d)
    return " ".join(parts) if parts else "--"


def _justification(step: ProofStep, prefix: str, known: set[str]) -> str:
    if step.kind == "fact":
        from ufm_sym.facts import FACTS

        try:
            fact = FACTS[step.by]
        except KeyError:
            return (r"by the fact \texttt{" + latex_escape(step.by)
                    + r"} \textcolor{ufm-red}{(not among the named facts)}")
        title = fact.title_tex or text_to_tex(fact.title)
        return rf"by Fact: {title} [{text_to_tex(fact.reference)}]"
    if step.kind == "claim":
        name = latex_escape(paper_ref(step.by))
        if step.by in known:
            return rf"by \hyperref[{latex_label(prefix + step.by)}]{{{name}}}"
        return rf"by {name}"
    return text_to_tex(step.identity_justification)


def _step_view(i: int, step: ProofStep, prefix: str, known: set[str]) -> StepView:
    formula = statement_tex(step.formula) if step.formula is not None else ""
    return StepView(i, step_text_tex(step.text), formula, _justification(step, prefix, known))


def step_text_tex(text: str) -> str:
    """A proof step's text for LaTeX: as written when it holds ``$...$`` math, else its
    ASCII formulas set as mathematics (:func:`~ufm_sym.appendix.pseudo_math.text_to_tex`)."""
    return text if "$" in text else text_to_tex(text)


def _cited_part(claim: Claim, result: ClaimResult | None) -> str:
    """What a cited result cites, and how it is checked."""
    refs = re.findall(r"\[(\d+)(?:,\s*([^\]]*))?\]", claim.title)
    cites = []
    for number, where in refs:
        full = REFERENCES.get(number)
        what = f"[{number}" + (f", {where}" if where else "") + "]"
        cites.append(latex_escape(what) + (": " + latex_escape(full) if full else ""))
    head = ("Cited from " + "; ".join(cites) if cites else "A cited result") + \
        ". The paper does not prove it, and neither does this appendix: it is checked"
    levels = claim.levels
    if result is not None and result.evidence:
        how = [f"{e.level} ({e.samples} point{'s' if e.samples != 1 else ''})"
               for e in result.evidence]
        return head + " " + ", ".join(how) + ", as the evidence table says."
    return head + (" at the levels " + ", ".join(levels) + "." if levels else ".")


def claim_view(claim: Claim, result: ClaimResult | None, prefix: str,
               known: Iterable[str]) -> ClaimView:
    """The view of one claim (``known``: the labels present in the appendix)."""
    from ufm_sym.graph import style_for
    from ufm_sym.report import residual_cell

    known = set(known)
    view = ClaimView(
        label=claim.label, texlabel=latex_label(prefix + claim.label),
        title=title_tex(claim), title_plain=latex_escape(claim.title),
        kind=claim.kind, section=claim.section, cited=claim.cited,
        statement=statement_tex(claim.statement),
        hypotheses=[object_latex(h) for h in claim.hypotheses if h is not sp.true],
        proof=[_step_view(i, s, prefix, known) for i, s in enumerate(claim.proof, 1)],
        derivation=[(text_to_tex(cap), statement_tex(obj)) for cap, obj in claim.derivation],
        cited_part=_cited_part(claim, result) if claim.cited else "",
        part=proof_part(claim),
        uses=[UseRef(u, latex_label(prefix + u), u in known) for u in claim.uses],
        levels=claim.levels, ran=result is not None,
        findings=[text_to_tex(f) for f in claim.findings],
    )
    if result is not None:
        view.status = result.status
        view.strongest = result.strongest
        view.residual = residual_tex(residual_cell(result))
        view.message = text_to_tex(result.message)
        view.findings = [text_to_tex(f) for f in result.findings]
        view.evidence = [EvidenceRow(e.level, e.passed, _value_cell(e), e.samples,
                                     text_to_tex(e.detail)) for e in result.evidence]
        view.colour = "ufm-" + style_for(result.status, result.strongest).category
    return view
