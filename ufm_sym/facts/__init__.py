r"""The named elementary facts that proof steps cite (``ProofStep(kind="fact", by=...)``).

Each :class:`Fact` has a stable ``name``, a ``title`` (plain text and LaTeX), a
``statement`` (a SymPy formula over ``MatrixSymbol`` s and the functionals of
:mod:`ufm_sym.symbolic.functions`, printed by :func:`~ufm_sym.symbolic.latex.paper_latex`),
a ``reference`` (textbook or paper, with theorem or section) and a randomized
high-precision :meth:`~Fact.test` that evaluates the statement object at constructed
random instances and can fail.  ``docs/facts.md`` lists them.

>>> from ufm_sym.facts import FACTS
>>> f = FACTS["rank-product"]
>>> f.title, f.statement
('rank(A B) <= min(rank A, rank B)', Rank(A*B) <= Min(Rank(A), Rank(B)))
>>> print(FACTS["nuclear-product-bound"].latex())
\left\|\mathbf{W} \mathbf{H}\right\|_* \leq \left\|\mathbf{H}\right\|_F \left\|\mathbf{W}\right\|_F
>>> FACTS["rank-prodcut"]
Traceback (most recent call last):
...
ufm_sym.facts.base.UnknownFactError: unknown fact 'rank-prodcut' (did you mean rank-product?); ...
>>> ev = FACTS["am-gm-penalty"].test(dps=30, seed=1)
>>> ev.passed, ev.samples
(True, 24)
"""

from __future__ import annotations

from typing import Any

from ufm_sym.claims import Evidence, ProofStep, VerifyContext

from .base import SLACK_DIGITS, Fact, FactRegistry, Instance, UnknownFactError
from .convexity import CONVEXITY_FACTS
from .nuclear import NUCLEAR_FACTS
from .optimality import OPTIMALITY_FACTS
from .rank import RANK_FACTS
from .spectral import SPECTRAL_FACTS
from .trace import TRACE_FACTS

__all__ = ["FACTS", "SLACK_DIGITS", "Fact", "FactRegistry", "Instance", "UnknownFactError",
           "fact_step_evidence", "get_fact"]

FACTS: FactRegistry = FactRegistry(RANK_FACTS + TRACE_FACTS + NUCLEAR_FACTS + SPECTRAL_FACTS
                                   + CONVEXITY_FACTS + OPTIMALITY_FACTS)
"""Every fact of the library, by name."""


def get_fact(name: str) -> Fact:
    """``FACTS[name]``; an unknown name raises :class:`UnknownFactError` naming the
    known ones."""
    return FACTS[name]


def fact_step_evidence(step: ProofStep, ctx: VerifyContext,
                       subs: dict[Any, Any] | None = None) -> Evidence:
    """The evidence for a proof step that cites a fact: the fact's randomized test at the
    run's ``dps`` and ``seed`` (memoised), failed when the step is not a ``fact`` step,
    names an unknown fact, or prints a formula that is neither the fact's statement nor
    its conclusion under ``subs`` (:meth:`Fact.instantiate`): what is printed is what
    the fact says.

    >>> import sympy as sp
    >>> from ufm_sym.symbolic.functions import Rank
    >>> from ufm_sym.symbolic.symbols import K, d
    >>> W = sp.MatrixSymbol("W", K, d)
    >>> step = ProofStep("rank bound", Rank(W) <= K - 1, kind="fact", by="rank-left-null-vector")
    >>> fact_step_evidence(step, VerifyContext(dps=30)).passed
    True
    >>> bad = ProofStep("rank bound", Rank(W) <= K - 2, kind="fact", by="rank-left-null-vector")
    >>> fact_step_evidence(bad, VerifyContext(dps=30)).passed
    False
    """
    from .logic import split_implication

    if step.kind != "fact":
        return Evidence("high-precision", False, None, None, 0,
                        f"the step is a {step.kind!r} step, not a fact")
    try:
        fact = FACTS[step.by]
    except UnknownFactError as exc:
        return Evidence("high-precision", False, None, None, 0, str(exc))
    ev = fact.evidence(ctx)
    if step.formula is not None:
        statement = fact.instantiate(subs or {})
        _, conclusion = split_implication(statement)
        if step.formula not in (statement, conclusion):
            return Evidence("high-precision", False, ev.residual, None, ev.samples,
                            f"{fact.name}: the step's formula {step.formula} is neither the "
                            f"fact's statement nor its conclusion {conclusion}"
                            + (f" under {subs}" if subs else ""))
    return Evidence(ev.level, ev.passed, ev.residual, ev.digits, ev.samples, ev.detail,
                    ev.seconds)
