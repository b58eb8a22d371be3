r"""Is a statement true at a point?  The truth value of a claim's SymPy statement
(relations, ``And``/``Or``/``Not``/``Implies``, lists of relations) evaluated at
numbers, with an explicit margin.

Each relation is decided with the margin on the safe side: ``a == b`` holds when
``|a - b| <= margin`` (the norm of the difference for matrices), ``a <= b`` when
``a <= b + margin``, and the strict ``a < b`` only when ``a < b - margin``: a strict
inequality is never decided on a difference below the margin.  Sides are evaluated by
:func:`ufm_sym.symbolic.evaluate.evaluate_matrix_expr` (``numpy`` or ``mpmath``), so a
check that calls :func:`truth` reads the very object the appendix prints.

The result carries the *residual*: how far the statement is from failing or holding
(for an equation ``|a - b|``; for an inequality the amount by which it is violated,
``0`` when it holds) and the name of the worst relation, so that a check can report
digits and say what failed.

>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> truth(sp.Le(x, y), {"x": 1.0, "y": 2.0}, margin=1e-12).holds
True
>>> t = truth(sp.Implies(sp.Lt(x, 0), sp.Eq(y, 1)), {"x": -1.0, "y": 3.0}, margin=1e-12)
>>> t.holds, t.worst
(False, 'Eq(y, 1)')
>>> truth(sp.Lt(x, y), {"x": 1.0, "y": 1.0 + 1e-15}, margin=1e-12).holds   # within the margin
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from .evaluate import Evaluation

__all__ = ["Truth", "truth", "relations"]


@dataclass(frozen=True)
class Truth:
    """The truth value of a statement at one point, with the margin used.

    ``residual``: for a statement that holds, the largest ``|a - b|`` over its equations
    (0 when it has none); for one that fails, the largest violation.  ``worst`` names
    the relation that decided it (``sympy.sstr``).
    """

    holds: bool
    residual: Any
    worst: str


def relations(statement: Any) -> list[sp.Rel]:
    """The relations inside a statement (a relation, a Boolean formula or a list).

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> relations([sp.Eq(x, 1), sp.Implies(sp.Lt(x, 2), sp.Ge(x, 0))])
    [Eq(x, 1), x < 2, x >= 0]
    """
    if isinstance(statement, (list, tuple)):
        return [r for s in statement for r in relations(s)]
    if isinstance(statement, sp.Rel):
        return [statement]
    if isinstance(statement, sp.logic.boolalg.Boolean) and statement.args:
        return [r for a in statement.args for r in relations(a)]
    return []


def _size(value: Any) -> Any:
    """|value| for a scalar, the Frobenius norm for a matrix (NumPy or mpmath)."""
    try:
        import mpmath

        if isinstance(value, mpmath.matrix):
            return mpmath.mnorm(value, "f")
    except ImportError:  # pragma: no cover - mpmath is a dependency
        pass
    if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
        import numpy as np

        return float(np.linalg.norm(value))
    return abs(value)


class _Decider:
    def __init__(self, env: Mapping[str, Any], margin: Any, backend: str,
                 options: Mapping[str, Any]) -> None:
        self.margin = margin
        self.evaluation = Evaluation(env, backend, **options)

    def value(self, expr: Any) -> Any:
        return self.evaluation.value(expr)

    def relation(self, rel: sp.Rel) -> Truth:
        lhs, rhs = self.value(rel.lhs), self.value(rel.rhs)
        name = sp.sstr(rel)
        margin = self.margin(rel) if callable(self.margin) else self.margin
        if isinstance(rel, sp.Eq):
            r = _size(lhs - rhs)
            return Truth(bool(r <= margin), r, name)
        if isinstance(rel, sp.Ne):
            r = _size(lhs - rhs)
            return Truth(bool(r > margin), r, name)
        gap = lhs - rhs  # a - b
        if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)):
            gap = -gap   # a >= b  <=>  b - a <= 0
        if isinstance(rel, (sp.LessThan, sp.GreaterThan)):
            holds = bool(gap <= margin)
        else:  # strict: certainly on the right side
            holds = bool(gap < -margin)
        violation = gap if gap > 0 else 0 * gap
        return Truth(holds, violation if not holds else 0 * gap, name)

    def decide(self, s: Any) -> Truth:
        if isinstance(s, (list, tuple)):
            return self.conjunction([self.decide(x) for x in s])
        if isinstance(s, sp.Rel):
            return self.relation(s)
        if isinstance(s, sp.And):
            return self.conjunction([self.decide(x) for x in s.args])
        if isinstance(s, sp.Or):
            parts = [self.decide(x) for x in s.args]
            good = [p for p in parts if p.holds]
            if good:
                return min(good, key=lambda p: p.residual)
            return min(parts, key=lambda p: p.residual)
        if isinstance(s, sp.Not):
            inner = self.decide(s.args[0])
            return Truth(not inner.holds, inner.residual, f"Not({inner.worst})")
        if isinstance(s, sp.Equivalent):
            parts = [self.decide(x) for x in s.args]
            same = len({p.holds for p in parts}) == 1
            worst = max(parts, key=lambda p: p.residual)
            return Truth(same, worst.residual if not same else 0 * worst.residual,
                         worst.worst if same else "Equivalent: " + ", ".join(
                             f"{p.worst} {'holds' if p.holds else 'fails'}" for p in parts))
        if isinstance(s, sp.Implies):
            premise = self.decide(s.args[0])
            if not premise.holds:
                return Truth(True, 0 * premise.residual, f"premise false: {premise.worst}")
            return self.decide(s.args[1])
        if s is sp.true or s is sp.false:
            return Truth(bool(s), 0, str(s))
        raise TypeError(f"cannot decide the truth of {type(s).__name__} {s!r}: expected a "
                        "relation, And/Or/Not/Implies or a list of them")

    @staticmethod
    def conjunction(parts: list[Truth]) -> Truth:
        if not parts:
            raise ValueError("an empty statement has no truth value")
        bad = [p for p in parts if not p.holds]
        if bad:
            return max(bad, key=lambda p: p.residual)
        return max(parts, key=lambda p: p.residual)


def truth(statement: Any, env: Mapping[str, Any], margin: Any, backend: str = "numpy",
          **options: Any) -> Truth:
    """The truth of ``statement`` at the values of ``env`` (see the module docstring).

    ``margin`` is a number, or a function of the relation giving its margin (an equation
    of values known to 45 digits and a sign decided at 1e-10 can share a statement).
    A value in ``env`` keyed by the ``sympy.sstr`` of a matrix functional (e.g.
    ``"LambdaMin(Hf)"``) stands for it, so an expensive or certified value computed
    elsewhere is used as is.

    ``options`` go to :func:`~ufm_sym.symbolic.evaluate.evaluate_matrix_expr`
    (``hess_g=``, ``loss_g=``).
    """
    return _Decider(env, margin, backend, options).decide(statement)
