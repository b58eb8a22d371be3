r"""Perturbations of a claim's statement, for the statement-mutation test: if a check
reads the statement it prints, then a perturbed statement must make a check fail.

:func:`perturbations` lists, for a statement (a relation, a Boolean formula of
relations, or a list of them):

* ``lhs*2`` / ``rhs*2``: one side of one relation times 2;
* ``lambda_X*2``: one of the weight decays ``lambda_W``, ``lambda_H``, ``lambda_b``
  doubled wherever it appears;
* ``flip``: an inequality reversed (``<=`` to ``>=``, ``<`` to ``>``);
* ``strict`` / ``loose``: ``<=`` made ``<`` and ``<`` made ``<=``;
* ``drop``: one term of a sum left out (each sum that is a side of a relation, or a
  top-level term of one).

A perturbation that leaves the statement unchanged (``2 * 0`` is ``0``) is not
listed.  Each perturbation is named by where it acts (the relation's index in
:func:`ufm_sym.symbolic.truth.relations` order) and what it does.

>>> import sympy as sp
>>> x, lw = sp.symbols("x lambda_W")
>>> for p in perturbations(sp.Le(x, lw + 1)):
...     print(p.name)
[0] lhs*2
[0] rhs*2
[0] flip
[0] strict
[0] drop 1 of rhs
[0] drop lambda_W of rhs
lambda_W*2
>>> perturbations(sp.Le(x, lw + 1))[2].statement
x >= lambda_W + 1
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

__all__ = ["LAMBDA_NAMES", "MutationOutcome", "Perturbation", "check_costs",
           "equivalence_reason",
           "perturbations",
           "run_statement_mutations"]

#: the weight decays a perturbation doubles
LAMBDA_NAMES: tuple[str, ...] = ("lambda_W", "lambda_H", "lambda_b")

_FLIP = {sp.LessThan: sp.GreaterThan, sp.GreaterThan: sp.LessThan,
         sp.StrictLessThan: sp.StrictGreaterThan, sp.StrictGreaterThan: sp.StrictLessThan}
_STRICT = {sp.LessThan: sp.StrictLessThan, sp.GreaterThan: sp.StrictGreaterThan}
_LOOSE = {v: k for k, v in _STRICT.items()}


@dataclass(frozen=True)
class Perturbation:
    """A named perturbed copy of a statement."""

    name: str
    statement: Any


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))
                and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True)))
    return a == b


def _times2(expr: Any) -> Any:
    if isinstance(expr, sp.Tuple):  # a direction (D_W, D_H, D_b): each component
        return sp.Tuple(*(2 * x for x in expr))
    return 2 * expr


def _terms(side: Any) -> list[Any]:
    if isinstance(side, (sp.Add, sp.MatAdd)):
        return list(side.args)
    return []


def _without(side: Any, i: int) -> Any:
    args = [a for j, a in enumerate(side.args) if j != i]
    if isinstance(side, sp.MatAdd):
        return sp.MatAdd(*args).doit() if len(args) > 1 else args[0]
    return sp.Add(*args)


def _rebuild(rel: sp.Rel, lhs: Any, rhs: Any, cls: type | None = None) -> sp.Rel:
    return (cls or type(rel))(lhs, rhs, evaluate=False)


def _map_relations(statement: Any, fn: Callable[[int, sp.Rel], Any], counter: list[int]
                   ) -> Any:
    """``statement`` with every relation ``r`` replaced by ``fn(index, r)``."""
    if isinstance(statement, (list, tuple)):
        return type(statement)(_map_relations(s, fn, counter) for s in statement)
    if isinstance(statement, sp.Rel):
        i = counter[0]
        counter[0] += 1
        return fn(i, statement)
    if isinstance(statement, sp.logic.boolalg.Boolean) and statement.args:
        return statement.func(*(_map_relations(a, fn, counter) for a in statement.args),
                              evaluate=False)
    return statement


def _relation_list(statement: Any) -> list[sp.Rel]:
    out: list[sp.Rel] = []
    _map_relations(statement, lambda i, r: out.append(r) or r, [0])
    return out


def _replace_relation(statement: Any, index: int, new: sp.Rel) -> Any:
    return _map_relations(statement, lambda i, r: new if i == index else r, [0])


def _relation_variants(rel: sp.Rel) -> list[tuple[str, sp.Rel]]:
    out = [("lhs*2", _rebuild(rel, _times2(rel.lhs), rel.rhs)),
           ("rhs*2", _rebuild(rel, rel.lhs, _times2(rel.rhs)))]
    cls = type(rel)
    if cls in _FLIP:
        out.append(("flip", _rebuild(rel, rel.lhs, rel.rhs, _FLIP[cls])))
    if cls in _STRICT:
        out.append(("strict", _rebuild(rel, rel.lhs, rel.rhs, _STRICT[cls])))
    if cls in _LOOSE:
        out.append(("loose", _rebuild(rel, rel.lhs, rel.rhs, _LOOSE[cls])))
    for side_name, side in (("lhs", rel.lhs), ("rhs", rel.rhs)):
        terms = _terms(side)
        for i, term in enumerate(terms):
            smaller = _without(side, i)
            new = (_rebuild(rel, smaller, rel.rhs) if side_name == "lhs"
                   else _rebuild(rel, rel.lhs, smaller))
            out.append((f"drop {sp.sstr(term)} of {side_name}", new))
    return out


def perturbations(statement: Any) -> list[Perturbation]:
    """Every perturbation of ``statement`` that changes it (see the module docstring)."""
    out: list[Perturbation] = []
    for i, rel in enumerate(_relation_list(statement)):
        for name, new in _relation_variants(rel):
            changed = _replace_relation(statement, i, new)
            if not _same(changed, statement):
                out.append(Perturbation(f"[{i}] {name}", changed))
    symbols = {s.name: s for r in _relation_list(statement) for s in r.free_symbols
               if isinstance(s, sp.Symbol)}
    for name in LAMBDA_NAMES:
        if name in symbols:
            s = symbols[name]
            changed = _map_relations(statement, lambda i, r, s=s: r.xreplace({s: 2 * s}), [0])
            if not _same(changed, statement):
                out.append(Perturbation(f"{name}*2", changed))
    return out


@dataclass(frozen=True)
class MutationOutcome:
    """What the checks of one claim said about one perturbation of its statement."""

    label: str
    perturbation: str
    killed: bool
    by: str          # "level: detail" of the first failing check, or "" when it survived
    seconds: float
    equivalent: str = ""  # why the perturbation means the same (told from the formulas)


def check_costs(report: Any) -> dict[tuple[str, int], float]:
    """Seconds each check took in a verify ``report``, keyed by ``(label, index)`` (the
    check's position in ``claim.checks``): :func:`run_statement_mutations` runs the
    cheapest first."""
    return {(r.label, i): e.seconds for r in report.results for i, e in enumerate(r.evidence)}


def run_statement_mutations(registry: Any, context: Any, labels: Any = None,
                            progress: Callable[[str], None] | None = None,
                            costs: dict[tuple[str, int], float] | None = None
                            ) -> list[MutationOutcome]:
    """Perturb each claim's statement in turn (:func:`perturbations`), run that claim's
    checks with the perturbed statement in place, and record whether one failed (a check
    that raises counts as failed).  The statement is restored afterwards.  One
    ``context`` serves every run, so work memoised there (critical points) is shared;
    ``costs`` (:func:`check_costs`) orders each claim's checks cheapest first, and the
    first failing check ends the run of a perturbation.
    """
    import time

    out: list[MutationOutcome] = []
    claims = [registry[label] for label in labels] if labels else list(registry)
    for claim in claims:
        original = claim.statement
        for pert in perturbations(original):
            if progress is not None:
                progress(f"{claim.label} {pert.name}")
            t0 = time.perf_counter()
            claim.statement = pert.statement
            by = ""
            order = sorted(range(len(claim.checks)),
                           key=lambda i: (costs or {}).get((claim.label, i), 0.0))
            try:
                for level, fn in (claim.checks[i] for i in order):
                    try:
                        ev = fn(claim, context)
                    except Exception as exc:  # a crash on a wrong statement is a failure
                        by = f"{level}: raised {type(exc).__name__}: {exc}"[:200]
                        break
                    if not ev.passed:
                        by = f"{level}: {ev.detail}"[:200]
                        break
            finally:
                claim.statement = original
            out.append(MutationOutcome(claim.label, pert.name, bool(by), by,
                                       time.perf_counter() - t0,
                                       equivalence_reason(original, pert.statement) or ""))
    return out


def _zero_side(rel: sp.Rel) -> int | None:
    """0 if the left side is zero, 1 if the right side is, else None."""
    for i, side in enumerate((rel.lhs, rel.rhs)):
        if side == 0 or isinstance(side, sp.ZeroMatrix) or (
                getattr(side, "is_Matrix", False) and side.is_ZeroMatrix):
            return i
    return None


def _positive_multiple(new: Any, old: Any) -> bool:
    """Is ``new`` a positive constant times ``old`` (scalars or matrix expressions)?"""
    try:
        if getattr(old, "is_Matrix", False):
            for c in (2, sp.Rational(1, 2)):
                diff = (new - c * old).doit()
                if diff.is_ZeroMatrix or sp.simplify(diff) == 0:
                    return True
            return False
        ratio = sp.simplify(new / old)
        return bool(ratio.is_number and ratio.is_positive)
    except (TypeError, ValueError, AttributeError):
        return False


def equivalence_reason(original: Any, perturbed: Any) -> str | None:
    """Why a perturbation leaves the statement's meaning unchanged, when that can be told
    from the two formulas alone; else None.

    * a side of a relation against 0 scaled by a positive constant (``2 x = 0`` is
      ``x = 0``; ``2 x >= 0`` is ``x >= 0``);
    * a dropped term that is zero as written.

    >>> x = sp.Symbol("x")
    >>> equivalence_reason(sp.Eq(x, 0), sp.Eq(2 * x, 0))
    'a side against 0 scaled by a positive constant'
    >>> equivalence_reason(sp.Le(x, 1), sp.Le(2 * x, 1)) is None
    True
    """
    old_rels, new_rels = _relation_list(original), _relation_list(perturbed)
    if len(old_rels) != len(new_rels):
        return None
    # Boolean formulas re-sort their arguments when rebuilt: pair the changed relations
    # (those of one list not in the other), in order
    old_changed = [r for r in old_rels if r not in new_rels]
    new_changed = [r for r in new_rels if r not in old_rels]
    if len(old_changed) != len(new_changed):
        return None
    reasons = []
    for o, n in zip(old_changed, new_changed, strict=True):
        if type(o) is not type(n):
            return None
        z = _zero_side(o)
        if z is not None and _zero_side(n) == z:
            k = 1 - z
            if _positive_multiple((n.lhs, n.rhs)[k], (o.lhs, o.rhs)[k]):
                reasons.append("a side against 0 scaled by a positive constant")
                continue
        try:
            same = (o.lhs - n.lhs).doit() == 0 and (o.rhs - n.rhs).doit() == 0
        except (TypeError, ValueError, AttributeError):
            same = False
        if same:
            reasons.append("the dropped term is zero")
            continue
        return None
    return "; ".join(dict.fromkeys(reasons)) or None
