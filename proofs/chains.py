"""Proofs as chains of checked steps (issue "main results proved in general").

A claim's ``proof`` is a list of :class:`ufm_sym.claims.ProofStep`, each one of

* an **identity** derived by SymPy from the objective (its ``check`` proves it: an
  identity of matrix or trace polynomials, a combination of the derived gradient, or a
  reduction under stated hypotheses);
* a named elementary **fact** of :mod:`ufm_sym.facts` (its statement, reference and
  randomized test; the step prints the fact instantiated in the paper's symbols);
* a **claim** already proved (a label in ``uses``; the step prints its statement).

The last step states the claim's statement and says how the steps before it close it.
:func:`proof_evidence` is the claim's ``symbolic`` evidence: it passes when every step
is checked and the chain's conclusion *is* the claim's statement as it stands at run
time (a perturbed statement no longer matches the chain's conclusion).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sympy as sp

from ufm_sym.claims import Claim, Evidence, ProofStep, Registry, VerifyContext
from ufm_sym.symbolic.hypotheses import Hypothesis
from ufm_sym_proofs import _common as C

DERIVED = "derived by SymPy from the objective"


def _is_zero(expr: Any) -> bool:
    """Exact zero test for a scalar or matrix expression (normal forms, then simplify);
    ``||A||_F`` is written as ``sqrt(tr(A^T A))`` first."""
    from ufm_sym.symbolic.expressions import FrobeniusNorm

    expr = sp.sympify(expr)
    expr = expr.replace(lambda e: isinstance(e, FrobeniusNorm),
                        lambda e: sp.sqrt(sp.Trace(e.args[0].T * e.args[0])))
    if getattr(expr, "is_Matrix", False):
        return C.identity_evidence(expr, sp.ZeroMatrix(*expr.shape), "").passed
    try:
        if C.identity_evidence(expr, sp.Integer(0), "").passed:
            return True
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        pass
    return sp.simplify(sp.expand(expr)) == 0


def _as_1x1(x: Any) -> Any:
    """A scalar as a 1 x 1 matrix (``u^T G v = sigma``: a 1 x 1 product and a scalar)."""
    x = sp.sympify(x)
    return x if getattr(x, "is_Matrix", False) else x * sp.Identity(1)


def identity(text: str, formula: Any, combination: Any = None,
             hypotheses: Sequence[Hypothesis] = (), by: str = DERIVED) -> ProofStep:
    """An identity step.  ``formula`` is an ``Eq`` (or a relation whose sides are checked
    as ``lhs - rhs == combination``).  With ``combination`` (made of the derived
    gradient): ``lhs - rhs == combination`` identically, so the formula holds wherever
    the gradient vanishes; with ``hypotheses``: ``lhs - rhs`` reduces to 0 under them;
    else ``lhs == rhs`` identically."""

    def check(claim: Claim, ctx: VerifyContext) -> Evidence:
        lhs, rhs = sp.sympify(formula.lhs), sp.sympify(formula.rhs)
        matrix = getattr(lhs, "is_Matrix", False) or getattr(rhs, "is_Matrix", False)
        diff = _as_1x1(lhs) - _as_1x1(rhs) if matrix else lhs - rhs
        if hypotheses:
            matrix = bool(getattr(diff, "is_Matrix", False))
            zero = sp.ZeroMatrix(*diff.shape) if matrix else sp.Integer(0)
            ev = C.reduction_evidence(diff, hypotheses, zero, text[:60], matrix=matrix)
            if ev.passed or matrix:
                return ev
            return Evidence.exact("symbolic", _is_zero(reduced(diff, hypotheses)),
                                  f"{text[:60]}: reduces to 0 (traces cyclic, the arguments "
                                  "of g and of its Hessian reduced)")
        if combination is None:
            target = diff
        else:
            target = diff - (_as_1x1(combination) if matrix else combination)
        return Evidence.exact("symbolic", _is_zero(target), text[:80])

    return ProofStep(text, formula, kind="identity", by=by, check=check)


def reduced(expr: Any, hypotheses: Sequence[Hypothesis]) -> Any:
    """A scalar expression reduced under the hypotheses, the arguments of ``g`` and of
    its Hessian form first (``g(W Q Q^T H + b 1^T)`` becomes ``g(W H + b 1^T)`` under
    ``Q Q^T = I``); :func:`_is_zero` then decides it up to the cyclic trace."""
    from ufm_sym.symbolic.expressions import HessianG, LossG
    from ufm_sym.symbolic.hypotheses import reduce_matrix, reduce_scalar

    expr = sp.sympify(expr)
    reps = {x: LossG(reduce_matrix(x.argument, hypotheses)) for x in expr.atoms(LossG)}
    reps.update({x: HessianG(*(reduce_matrix(v, hypotheses) for v in x.directions))
                 for x in expr.atoms(HessianG)})
    return reduce_scalar(expr.xreplace(reps), hypotheses)


def derived(text: str, formula: Any, check: Callable[[Any], bool], detail: str,
            by: str = DERIVED) -> ProofStep:
    """An identity step whose check is ``check(formula)``: a SymPy computation on the
    printed formula itself (a relation the generic :func:`identity` cannot decide, e.g.
    an inequality in a positive symbol, or an identity over indexed sums)."""

    def run(claim: Claim, ctx: VerifyContext) -> Evidence:
        return Evidence.exact("symbolic", bool(check(formula)), detail)

    return ProofStep(text, formula, kind="identity", by=by, check=run)


def fact(text: str, name: str, subs: dict[str, Any] | None = None,
         link: tuple[Any, Any, Any] | None = None) -> ProofStep:
    """A step citing the named fact ``name``, printed instantiated with ``subs`` (by
    symbol name).

    ``link = (expr, target, combination)`` ties the instance to the claim's objects:
    ``expr - target == combination`` identically, the combination made of the derived
    gradient, so ``expr`` *is* ``target`` at a critical point (e.g. the product ``A B``
    of ``rank(A B) <= rank B`` is ``W``).  It is checked with the fact."""
    from ufm_sym.facts import FACTS

    check = None
    if link is not None:
        expr, target, combination = link
        check = identity(text, sp.Eq(expr, target, evaluate=False),
                         combination=combination).check
    return ProofStep(text, FACTS[name].instantiate(subs or {}), kind="fact", by=name,
                     subs=dict(subs or {}), check=check)


def prior(text: str, registry: Registry, label: str) -> ProofStep:
    """A step citing the claim ``label`` (already registered), printed with its
    statement."""
    return ProofStep(text, registry[label].statement, kind="claim", by=label)


def conclusion(text: str, statement: Any, closes: str,
               established: Sequence[Any] = ()) -> ProofStep:
    """The last step: the claim's statement, closed by the steps before it as ``closes``
    says.  Its check (in :func:`proof_evidence`) requires every relation of the statement
    that is not a premise (the left side of an ``Implies``) to be *established*: the
    formula of an earlier step states it (a derived identity, a fact's instance, a prior
    claim's statement), or it is one of ``established``, relations built here,
    independently of the statement, that the words of ``closes`` derive (elementary logic
    that SymPy does not check)."""

    def check(claim: Claim, ctx: VerifyContext) -> Evidence:
        return _conclusion_evidence(claim, list(established))

    return ProofStep(text, statement, kind="identity", by=closes, check=check,
                     closes=True)


def _premises(statement: Any) -> list[Any]:
    from ufm_sym.symbolic.truth import relations

    if isinstance(statement, (list, tuple)):
        return [p for s in statement for p in _premises(s)]
    if isinstance(statement, sp.Implies):
        return relations(statement.args[0]) + _premises(statement.args[1])
    if isinstance(statement, sp.logic.boolalg.Boolean) and statement.args:
        return [p for a in statement.args for p in _premises(a)]
    return []


def _conclusion_evidence(claim: Claim, established: list[Any]) -> Evidence:
    from ufm_sym.symbolic.truth import relations

    earlier = set()
    for step in claim.proof[:-1]:
        earlier.update(relations(step.formula))
        if isinstance(step.formula, sp.Implies):
            earlier.update(relations(step.formula.args[1]))
    earlier.update(established)
    premises = set(_premises(claim.statement))
    missing = [r for r in relations(claim.statement) if r not in premises and r not in earlier]
    same = _same(claim.proof[-1].formula, claim.statement)
    ok = same and not missing
    detail = ("the chain's conclusion is the claim's statement, each of its relations "
              "established by a step" if ok else
              ("the last step does not state the claim's statement; " if not same else "")
              + ("not established by any step: " + ", ".join(sp.sstr(r)[:80] for r in missing)
                 if missing else ""))
    return Evidence.exact("symbolic", ok, detail)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))
                and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True)))
    return a == b


def proof_evidence(claim: Claim, ctx: VerifyContext, registry: Registry) -> Evidence:
    """The claim's ``symbolic`` evidence from its proof chain: every step checked (an
    identity by its check, a fact by its test and instantiation, a claim by being among
    ``uses`` with the printed statement its own), and the last step concluding the
    claim's statement."""
    from ufm_sym.facts import fact_step_evidence

    if not claim.proof:
        return Evidence.exact("symbolic", False, "no proof steps")
    bad: list[str] = []
    counts = {"identity": 0, "fact": 0, "claim": 0}
    for i, step in enumerate(claim.proof, 1):
        counts[step.kind] += 1
        if step.kind == "identity":
            ev = step.check(claim, ctx) if step.check is not None else Evidence.exact(
                "symbolic", False, "an identity step without a check")
        elif step.kind == "fact":
            ev = fact_step_evidence(step, ctx, step.subs)
            if ev.passed and step.check is not None:     # the instance's link (fact())
                ev = step.check(claim, ctx)
        else:
            ok = step.by in claim.uses and step.by in registry and _same(
                step.formula, registry[step.by].statement)
            ev = Evidence.exact("symbolic", ok, f"cites {step.by}")
        if not ev.passed:
            bad.append(f"step {i} ({step.kind}: {step.by}): {ev.detail[:160]}")
    last = claim.proof[-1]
    if not _same(last.formula, claim.statement):
        bad.append("the last step does not state the claim's statement")
    detail = (f"proof of {len(claim.proof)} steps ({counts['identity']} derived identities "
              f"and conclusions, {counts['fact']} named facts, {counts['claim']} prior "
              "claims), every step checked and the last one the statement")
    if bad:
        detail += "; FAILED: " + "; ".join(bad[:3])
    return Evidence("symbolic", not bad, "exact" if not bad else "nonzero", None,
                    len(claim.proof), detail)


def add_proof(registry: Registry, label: str, steps: Callable[[], list[ProofStep]]) -> None:
    """Give the claim ``label`` its proof chain and its ``symbolic`` evidence from it."""
    claim = registry[label]
    claim.proof = steps()
    for step in claim.proof:
        if step.kind == "claim" and step.by not in claim.uses:
            raise ValueError(f"{label}: a proof step cites {step.by!r}, not among its uses")
    claim.checks.insert(0, ("symbolic", lambda claim, ctx: proof_evidence(claim, ctx,
                                                                          registry)))
