"""A named elementary fact: statement, reference, and a randomized test that can fail.

A :class:`Fact`'s ``statement`` is a SymPy formula (usually ``Implies(hypotheses,
conclusion)``; free symbols are universally quantified).  Its ``instances`` generator
*constructs* random instances that satisfy the hypotheses (a matrix with a planted
left null vector, a subgradient built from an SVD, ...), and :meth:`Fact.test`
evaluates the fact's own statement object at each of them
(:func:`ufm_sym.facts.logic.truth`).  The test fails when

- an instance violates the conclusion beyond the tolerance
  ``10^-(dps - SLACK_DIGITS) * scale``;
- a constructed instance does not satisfy the statement's hypotheses (the statement
  and its test disagree: a statement whose hypotheses were changed is caught here);
- an instance marked *sharp* (where the fact holds with equality, e.g. AM-GM at
  ``lambda_W ||W||^2 = lambda_H ||H||^2``) shows a slack above the tolerance (a
  statement weakened by a dropped factor is caught here);
- an instance built to *violate* the hypotheses (``Instance(premise=False)``: a matrix
  whose kernel differs, a point that is not a minimizer, ``t < 0`` for a nonnegative
  ``t``) is accepted by the statement's hypotheses (a statement whose hypothesis was
  dropped is caught here; the conclusion is still evaluated there, and the detail says
  at how many such instances it fails, i.e. where the hypothesis is needed);
- no instance was checked.

The sign assumptions of the statement's symbols (``lambda_W`` positive, ``t``
nonnegative) count as hypotheses: an instance whose value of such a symbol violates
its assumption is rejected (:func:`assumption_violation`).

>>> from ufm_sym.facts import FACTS
>>> ev = FACTS["rank-left-null-vector"].test(dps=30, seed=0)
>>> ev.passed, ev.level, ev.samples > 0
(True, 'high-precision', True)
"""

from __future__ import annotations

import dataclasses
import difflib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.claims import Evidence, VerifyContext, format_residual

from .logic import split_implication, truth

__all__ = ["SLACK_DIGITS", "Fact", "FactRegistry", "Instance", "UnknownFactError",
           "assumption_violation"]

SLACK_DIGITS = 10
"""Digits of slack between the working precision and the tolerance of a fact's test."""


@dataclass(frozen=True)
class Instance:
    """One random instance: ``env`` (values of the statement's symbols, by name, as
    ``mpmath`` matrices and numbers; a witness for each ``Exists``; a function object
    for each abstract function), ``sharp`` (the conclusion holds with equality here),
    ``scale`` (the size of the compared quantities), ``kind`` (for messages) and
    ``premise`` (``False``: built so that a hypothesis fails; the statement must reject
    it)."""

    env: dict[str, Any]
    sharp: bool = False
    scale: Any = 1
    kind: str = ""
    premise: bool = True


InstanceMaker = Callable[[np.random.Generator, int], Iterable[Instance]]
"""``(rng, count) -> instances``, called under ``mpmath.workdps(dps)``."""


@dataclass(frozen=True)
class Fact:
    """A named elementary fact (see the module docstring).

    ``name`` is the stable identifier proof steps cite (``ProofStep(kind="fact",
    by=name)``); ``title`` and ``title_tex`` say it in words; ``statement`` is the SymPy
    formula (printed by :func:`ufm_sym.symbolic.latex.paper_latex`, evaluated by the
    test); ``reference`` the textbook or paper, with theorem or section; ``tested`` one
    sentence on how the instances are built; ``count`` how many instances a test draws.
    """

    name: str
    title: str
    title_tex: str
    statement: Any
    reference: str
    instances: InstanceMaker = field(repr=False, compare=False)
    tested: str = ""
    count: int = 24

    def latex(self) -> str:
        """The statement in the paper's notation."""
        from ufm_sym.symbolic.latex import paper_latex

        return paper_latex(self.statement)

    def with_statement(self, statement: Any) -> Fact:
        """The same fact and test with another statement (for wrong-variant tests)."""
        return dataclasses.replace(self, statement=statement)

    def instantiate(self, subs: Mapping[Any, Any]) -> Any:
        """The statement with symbols replaced (keys: symbols or their names).  A
        replaced ``MatrixSymbol``'s size symbols are replaced by the new shape, so
        ``Min(m, p)`` in a bound follows the matrices it bounds.

        >>> import sympy as sp
        >>> from ufm_sym.facts import FACTS
        >>> K = sp.Symbol("K", integer=True, positive=True)
        >>> W = sp.MatrixSymbol("W", K, 3)
        >>> FACTS["rank-product"].instantiate({"A": W, "B": W.T})
        Rank(W*W.T) <= Min(Rank(W), Rank(W.T))
        """
        by_name = {str(k): v for k, v in subs.items()}
        reps: dict[sp.Basic, Any] = {}
        sizes: dict[sp.Basic, Any] = {}
        atoms = self.statement.atoms(sp.MatrixSymbol, sp.Symbol)
        for a in atoms:
            name = getattr(a, "name", str(a))
            if name not in by_name:
                continue
            new = sp.sympify(by_name[name])
            reps[a] = new
            if isinstance(a, sp.MatrixSymbol):
                for old_dim, new_dim in zip(a.shape, new.shape, strict=True):
                    if isinstance(old_dim, sp.Symbol) and old_dim != new_dim:
                        sizes[old_dim] = new_dim
        missing = set(by_name) - {getattr(a, "name", str(a)) for a in reps}
        if missing:
            raise ValueError(f"{self.name}: the statement has no symbol named "
                             f"{', '.join(sorted(missing))}")
        out = self.statement.xreplace(reps)
        return out.xreplace(sizes) if sizes else out

    def test(self, dps: int = 50, seed: int = 0) -> Evidence:
        """Evaluate the statement at ``count`` constructed random instances at ``dps``
        digits (module docstring); ``Evidence`` at level ``high-precision``."""
        t0 = time.perf_counter()
        parts = [split_implication(c) for c in
                 (self.statement.args if isinstance(self.statement, sp.And) else
                  (self.statement,))]
        rng = np.random.default_rng(seed)
        checked = sharp = outside = needed = 0
        worst = mpmath.mpf(0)
        problems: list[str] = []
        with mpmath.workdps(dps):
            for k, inst in enumerate(self._instances(rng)):
                tol = mpmath.mpf(10) ** (-(dps - SLACK_DIGITS)) * max(1, inst.scale)
                where = f"instance {k}" + (f" ({inst.kind})" if inst.kind else "")
                try:
                    rejected = assumption_violation(self.statement, inst.env, tol) is not None \
                        or any(h is not None and not truth(h, inst.env, tol).holds
                               for h, _ in parts)
                    t = None if rejected and inst.premise else truth(
                        sp.And(*[c for _, c in parts]), inst.env, tol)
                except (TypeError, ValueError, ZeroDivisionError, RuntimeError) as exc:
                    problems.append(f"{where}: the statement cannot be evaluated "
                                    f"({type(exc).__name__}: {exc})")
                    continue
                if not inst.premise:
                    outside += 1
                    needed += t is not None and not t.holds
                    if not rejected:
                        problems.append(f"{where} was built to violate the hypotheses, but "
                                        "the statement's hypotheses accept it")
                    continue
                if t is None:
                    problems.append(f"{where} was built to satisfy the hypotheses, but the "
                                    "statement's hypotheses reject it")
                    continue
                checked += 1
                worst = max(worst, mpmath.mpf(t.violation))
                if not t.holds:
                    problems.append(f"{where}: the conclusion is violated by "
                                    f"{format_residual(mpmath.mpf(t.violation))}")
                elif inst.sharp:
                    sharp += 1
                    if abs(t.slack) > tol:
                        problems.append(f"{where}: the fact is sharp here, but the statement "
                                        f"leaves a slack of {format_residual(mpmath.mpf(t.slack))}")
            tol_text = f"10^-{dps - SLACK_DIGITS} x scale"
            worst_text = format_residual(worst)
        if checked == 0:
            problems.append("no instance was checked")
        passed = not problems
        detail = (f"{self.name}: the statement evaluated at {checked} constructed random "
                  f"instances ({sharp} where it is sharp), dps {dps}, seed {seed}; worst "
                  f"violation {worst_text} (tolerance {tol_text})")
        if outside:
            detail += (f"; {outside} instances built to violate the hypotheses, rejected "
                       f"(the conclusion fails at {needed} of them)")
        if problems:
            detail += "; FAILED: " + "; ".join(problems[:3]) + (
                f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        return Evidence("high-precision", passed, worst_text, None, checked, detail,
                        time.perf_counter() - t0)

    def evidence(self, ctx: VerifyContext) -> Evidence:
        """:meth:`test` at the run's ``dps`` and ``seed``, memoised in ``ctx`` (a proof
        that cites a fact in several steps tests it once)."""
        key = ("fact", self.name, self.statement, ctx.dps, ctx.seed)
        return ctx.memo(key, lambda: self.test(dps=ctx.dps, seed=ctx.seed))

    def _instances(self, rng: np.random.Generator) -> Iterator[Instance]:
        yield from self.instances(rng, self.count)


def assumption_violation(statement: Any, env: Mapping[str, Any], tol: Any) -> str | None:
    """The name of the first symbol of ``statement`` whose value in ``env`` violates its
    sign assumption (``positive``: ``> 0``; ``nonnegative``: ``>= -tol``), else ``None``.
    The assumptions of a fact's symbols are hypotheses of the fact.

    >>> import mpmath, sympy as sp
    >>> t = sp.Symbol("t", nonnegative=True)
    >>> assumption_violation(sp.Eq(t, 1), {"t": mpmath.mpf(-1)}, 1e-20)
    't'
    >>> assumption_violation(sp.Eq(t, 1), {"t": mpmath.mpf(0)}, 1e-20) is None
    True
    """
    for sym in sorted(sp.sympify(statement).atoms(sp.Symbol), key=str):
        value = env.get(sym.name)
        if value is None or isinstance(value, mpmath.matrix) \
                or not isinstance(value, (int, float, mpmath.mpf)):
            continue
        if (sym.is_positive and not value > 0) or (sym.is_nonnegative and value < -tol):
            return sym.name
    return None


class UnknownFactError(KeyError):
    """A fact name that is not in the library."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it plain
        return str(self.args[0])


class FactRegistry(Mapping[str, Fact]):
    """The library of facts, by name (in the order they were added)."""

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._facts: dict[str, Fact] = {}
        for f in facts:
            self.add(f)

    def add(self, fact: Fact) -> Fact:
        if fact.name in self._facts:
            raise ValueError(f"duplicate fact name {fact.name!r}")
        self._facts[fact.name] = fact
        return fact

    def __getitem__(self, name: str) -> Fact:
        try:
            return self._facts[name]
        except KeyError:
            close = difflib.get_close_matches(str(name), list(self._facts), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UnknownFactError(f"unknown fact {name!r}{hint}; known facts: "
                                   f"{', '.join(self._facts)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    @property
    def names(self) -> list[str]:
        return list(self._facts)
