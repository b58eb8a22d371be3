"""Evaluate a fact's statement (a SymPy formula) at one numeric instance.

:func:`truth` walks ``Implies``, ``And``, ``Or``, the relations ``Eq``, ``<=``, ``<``,
``>=``, ``>``, :class:`~ufm_sym.facts.nodes.Exists` and
:class:`~ufm_sym.facts.nodes.IsConvex`; each side of a relation is evaluated by
:func:`ufm_sym.symbolic.evaluate.evaluate_matrix_expr` (mpmath at the current ``mp.dps``),
after the abstract function nodes (:class:`~ufm_sym.facts.nodes.FunctionValue`,
:class:`~ufm_sym.facts.nodes.FunctionGradient`) have been replaced by their values from
the function object the environment gives under the function's name.

Every decision uses a stated tolerance ``tol``:

- ``Eq(lhs, rhs)`` holds when ``||lhs - rhs|| <= tol`` (Frobenius for matrices);
- ``lhs <= rhs`` holds when ``lhs - rhs <= tol``; the *slack* is ``rhs - lhs``;
- ``lhs < rhs`` holds only when ``lhs - rhs < -tol`` (strict beyond the tolerance);
- ``Implies(h, c)`` holds when ``h`` fails or ``c`` holds.

>>> import mpmath, sympy as sp
>>> from ufm_sym.symbolic.functions import Rank
>>> W = sp.MatrixSymbol("W", 2, 2)
>>> t = truth(Rank(W) <= 1, {"W": mpmath.matrix([[1, 2], [2, 4]])}, tol=mpmath.mpf(10) ** -20)
>>> t.holds, t.violation, t.slack
(True, 0, mpf('0.0'))
>>> truth(Rank(W) <= 0, {"W": mpmath.matrix([[1, 2], [2, 4]])}, tol=1e-20).violation
mpf('1.0')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from sympy.logic.boolalg import BooleanFalse, BooleanTrue

from ufm_sym.symbolic.evaluate import evaluate_matrix_expr

from .nodes import Exists, FunctionGradient, FunctionValue, IsConvex

__all__ = ["ConvexFunction", "Truth", "split_implication", "truth"]


@dataclass(frozen=True)
class Truth:
    """The value of a formula at an instance: ``holds``; ``violation`` (how far it is
    from holding, ``0`` when it holds exactly); ``slack`` (how far from the boundary a
    relation is, ``0`` at equality: for ``Eq`` the residual; for ``And`` the largest
    ``|slack|`` of its parts, so that "sharp" means that every part is an equality)."""

    holds: bool
    violation: Any
    slack: Any


@dataclass(frozen=True)
class ConvexFunction:
    """A function object for :class:`~ufm_sym.facts.nodes.FunctionValue` and
    :class:`~ufm_sym.facts.nodes.FunctionGradient`: ``value(X)`` and ``gradient(X)`` on
    ``mpmath`` matrices, convex by construction (``convex`` records that claim; the
    midpoint inequality is also checked at the instance's points)."""

    value: Callable[[Any], Any]
    gradient: Callable[[Any], Any]
    convex: bool = True


def split_implication(statement: Any) -> tuple[Any, Any]:
    """``(hypotheses, conclusion)`` of ``Implies(h, c)``; ``(None, statement)`` otherwise."""
    if isinstance(statement, sp.Implies):
        return statement.args[0], statement.args[1]
    return None, statement


def _norm(x: Any) -> Any:
    if isinstance(x, mpmath.matrix):
        return mpmath.mnorm(x, "f")
    if hasattr(x, "shape") and getattr(x, "ndim", 0) >= 1:  # numpy
        import numpy as np

        return float(np.linalg.norm(x))
    return abs(x)


def _substitute_functions(expr: sp.Basic, env: dict[str, Any]) -> sp.Basic:
    """Replace each function node by a fresh symbol whose value goes into ``env``."""
    nodes = sorted(expr.atoms(FunctionValue, FunctionGradient), key=sp.default_sort_key)
    reps: dict[sp.Basic, sp.Basic] = {}
    for k, node in enumerate(nodes):
        fn = env.get(node.name)
        if not isinstance(fn, ConvexFunction):
            raise ValueError(f"{node.name}: the instance gives no function object")
        X = _value(node.args[1], env)
        if isinstance(node, FunctionValue):
            sym: sp.Basic = sp.Symbol(f"_fv{k}")
            env[sym.name] = fn.value(X)
        else:
            sym = sp.MatrixSymbol(f"_fg{k}", *node.shape)
            env[sym.name] = fn.gradient(X)
        reps[node] = sym
    return expr.xreplace(reps) if reps else expr


def _value(expr: Any, env: dict[str, Any]) -> Any:
    expr = _substitute_functions(sp.sympify(expr), env)
    return evaluate_matrix_expr(expr, env, backend="mpmath")


def _convex_at_points(name: str, env: Mapping[str, Any], tol: Any) -> Truth:
    fn = env.get(name)
    if not isinstance(fn, ConvexFunction) or not fn.convex:
        return Truth(False, mpmath.inf, mpmath.mpf(0))
    points = [v for k, v in env.items() if isinstance(v, mpmath.matrix) and not k.startswith("_")]
    worst = mpmath.mpf(0)
    for i, P in enumerate(points):
        for Q in points[i + 1:]:
            if (P.rows, P.cols) != (Q.rows, Q.cols):
                continue
            try:
                gap = fn.value((P + Q) / 2) - (fn.value(P) + fn.value(Q)) / 2
            except (TypeError, ValueError, ZeroDivisionError):
                continue
            worst = max(worst, gap)
    return Truth(bool(worst <= tol), worst if worst > tol else 0, -worst)


def truth(statement: Any, env: Mapping[str, Any], tol: Any) -> Truth:
    """The :class:`Truth` of ``statement`` at the values in ``env`` (call under
    ``mpmath.workdps``)."""
    statement = sp.sympify(statement)
    work = dict(env)
    _bind_sizes(statement, work)
    return _truth(statement, work, tol)


def _bind_sizes(statement: sp.Basic, env: dict[str, Any]) -> None:
    """Give each size symbol (``d`` in ``ZeroMatrix(1, d)``) the value read off the
    shape of a matrix of the environment, so that either side of a relation can be
    evaluated alone."""
    for ms in sorted(statement.atoms(sp.MatrixSymbol), key=str):
        value = env.get(ms.name)
        if not isinstance(value, mpmath.matrix):
            continue
        for dim, got in zip(ms.shape, (value.rows, value.cols), strict=True):
            if isinstance(dim, sp.Symbol):
                env.setdefault(dim.name, got)


def _truth(e: Any, env: dict[str, Any], tol: Any) -> Truth:
    zero = 0
    if isinstance(e, BooleanTrue) or e is True:
        return Truth(True, zero, zero)
    if isinstance(e, BooleanFalse) or e is False:
        return Truth(False, 1, zero)
    if isinstance(e, sp.Implies):
        h = _truth(e.args[0], env, tol)
        if not h.holds:
            return Truth(True, zero, zero)
        return _truth(e.args[1], env, tol)
    if isinstance(e, sp.And):
        parts = [_truth(a, env, tol) for a in e.args]
        return Truth(all(p.holds for p in parts), max(p.violation for p in parts),
                     max(abs(p.slack) for p in parts))
    if isinstance(e, sp.Or):
        parts = [_truth(a, env, tol) for a in e.args]
        return Truth(any(p.holds for p in parts), min(p.violation for p in parts),
                     min(abs(p.slack) for p in parts))
    if isinstance(e, Exists):
        if e.variable.name not in env:
            raise ValueError(f"Exists: the instance gives no witness for {e.variable.name}")
        return _truth(e.body, env, tol)
    if isinstance(e, IsConvex):
        return _convex_at_points(e.name, env, tol)
    if isinstance(e, sp.Equality):
        r = _norm(_value(e.lhs, env) - _value(e.rhs, env))
        return Truth(bool(r <= tol), r if r > tol else 0, r)
    if isinstance(e, (sp.LessThan, sp.StrictLessThan, sp.GreaterThan, sp.StrictGreaterThan)):
        small, big = (e.lhs, e.rhs) if isinstance(e, (sp.LessThan, sp.StrictLessThan)) \
            else (e.rhs, e.lhs)
        v = _value(small, env) - _value(big, env)
        strict = isinstance(e, (sp.StrictLessThan, sp.StrictGreaterThan))
        holds = bool(v < -tol) if strict else bool(v <= tol)
        return Truth(holds, 0 if holds else (v + tol if strict else v), -v)
    raise TypeError(f"cannot evaluate the truth of {type(e).__name__} {e}")
