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

from .base import SLACK_DIGITS, Fact, FactRegistry, Instance, UnknownFactError
from .convexity import CONVEXITY_FACTS
from .nuclear import NUCLEAR_FACTS
from .rank import RANK_FACTS
from .trace import TRACE_FACTS

__all__ = ["FACTS", "SLACK_DIGITS", "Fact", "FactRegistry", "Instance", "UnknownFactError",
           "get_fact"]

FACTS: FactRegistry = FactRegistry(RANK_FACTS + TRACE_FACTS + NUCLEAR_FACTS + CONVEXITY_FACTS)
"""Every fact of the library, by name."""


def get_fact(name: str) -> Fact:
    """``FACTS[name]``; an unknown name raises :class:`UnknownFactError` naming the
    known ones."""
    return FACTS[name]
