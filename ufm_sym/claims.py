"""The claim registry: every labelled object of the paper as a checked claim.

A :class:`Claim` has the paper's label (``eq:3.4``, ``lem:3.1``, ``thm:1.1``), a
title, ``uses`` (the labels it depends on: the proof's dependency graph), a
statement held as SymPy objects (the LaTeX of the appendix and notebooks is printed
from it), and checks at up to four evidence levels, strongest first:

``symbolic``
    SymPy proves it exactly.
``certified``
    ball arithmetic proves an inequality at a concrete instance (later).
``high-precision``
    mpmath at >= 50 digits at refined critical points.
``numeric``
    float64 over many sampled critical points.

A claim passes only if every check it has passes; its status is then ``passed``
and its *strongest* level is the strongest level that passed.  A claim whose
dependency failed, was blocked or is missing is ``blocked``, with a message that
names the dependency.

>>> reg = Registry()
>>> c = reg.add(Claim("eq:0.1", "one plus one", statement=None))
>>> @c.check("symbolic")
... def _(claim, ctx):
...     return Evidence.exact("symbolic", 1 + 1 == 2, "1 + 1 - 2 simplifies to 0")
>>> report = reg.run(VerifyContext(dps=30))
>>> report.results[0].status, report.results[0].strongest
('passed', 'symbolic')
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

LEVELS: tuple[str, ...] = ("symbolic", "certified", "high-precision", "numeric")
STATUSES: tuple[str, ...] = ("passed", "failed", "blocked")
KINDS: tuple[str, ...] = (
    "model", "equation", "lemma", "proposition", "assumption", "theorem", "cited", "step",
)


@dataclass
class Evidence:
    """What one check established, at one level.

    ``residual`` is a decimal string (``"exact"`` for a symbolic proof, ``None`` when
    the check is not a residual); ``digits`` the number of correct significant digits
    it shows (``None`` for exact proofs); ``samples`` how many points it was checked
    at; ``detail`` one human sentence of what was checked.
    """

    level: str
    passed: bool
    residual: str | None = None
    digits: float | None = None
    samples: int = 0
    detail: str = ""
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown evidence level {self.level!r}")
        refuse_zero_points(self)

    @classmethod
    def exact(cls, level: str, passed: bool, detail: str, samples: int = 1) -> Evidence:
        """A symbolic proof: the residual is ``exact`` when it holds."""
        return cls(level, bool(passed), "exact" if passed else "nonzero", None, samples, detail)

    @classmethod
    def from_residual(
        cls, level: str, residual: Any, tolerance: Any, samples: int, detail: str,
        scale: Any = 1,
    ) -> Evidence:
        """Evidence from a measured residual against a stated tolerance.

        ``digits`` is ``-log10(residual / scale)``, capped at 99 when the residual is
        exactly zero.  The detail is suffixed with the tolerance used.

        >>> e = Evidence.from_residual("numeric", 3e-14, 1e-10, 5, "balance")
        >>> e.passed, e.digits
        (True, 13.5)
        >>> Evidence.from_residual("numeric", 1e-3, 1e-10, 5, "balance").passed
        False
        >>> e = Evidence.from_residual("numeric", 0.0, 1e-10, 0, "balance")
        >>> e.passed, e.detail
        (False, 'balance: no points (evidence over zero points fails)')
        """
        if samples <= 0:
            return cls(level, False, None, None, 0, f"{detail}: {NO_POINTS}")
        r = float(abs(residual))
        s = float(abs(scale)) or 1.0
        passed = bool(abs(residual) <= tolerance) and math.isfinite(r)
        digits = 99.0 if r == 0 else round(-math.log10(r / s), 1)
        return cls(level, passed, format_residual(residual), digits, samples,
                   f"{detail} (tolerance {format_residual(tolerance)})")


NO_POINTS = "no points (evidence over zero points fails)"


def refuse_zero_points(evidence: Evidence) -> Evidence:
    """Evidence that claims to pass over zero points fails, saying why: a check whose
    sample set came out empty has shown nothing.  Applied when evidence is built and
    again by :meth:`Registry.run` to what each check returns (a check may set
    ``passed`` after building it).

    >>> Evidence("numeric", True, None, None, 0, "rank W = rank H").detail
    'rank W = rank H: no points (evidence over zero points fails)'
    >>> Evidence("numeric", True, None, None, 3, "rank W = rank H").passed
    True
    """
    if evidence.passed and evidence.samples <= 0:
        evidence.passed = False
        evidence.detail = f"{evidence.detail}: {NO_POINTS}" if evidence.detail else NO_POINTS
    return evidence


def format_residual(x: Any) -> str:
    """A short decimal string for the magnitude of a residual (mpf or float).

    >>> format_residual(-3.14159e-12)
    '3.14e-12'
    """
    try:
        import mpmath

        if isinstance(x, mpmath.mpf):
            return mpmath.nstr(abs(x), 3, min_fixed=0, max_fixed=0)
    except ImportError:  # pragma: no cover - mpmath is a dependency
        pass
    return f"{float(abs(x)):.2e}"


STEP_KINDS: tuple[str, ...] = ("identity", "fact", "claim")
"""How a proof step is justified: a SymPy ``identity`` derived from the objective, a
named elementary ``fact`` of :mod:`ufm_sym.facts`, or a ``claim`` already proved."""

CheckFn = Callable[["Claim", "VerifyContext"], Evidence]
"""A check receives its claim and the run's context: it evaluates ``claim.statement``
(the object the appendix prints), never a private copy of the formula."""


@dataclass
class ProofStep:
    """One step of a claim's proof, as the appendix and the notebooks print it.

    ``text`` says what the step does (LaTeX allowed between ``$...$``); ``formula`` is
    the SymPy object it establishes (printed as a display); ``kind`` is one of
    :data:`STEP_KINDS` and ``by`` names what justifies it: for ``fact`` the name of a
    fact of :mod:`ufm_sym.facts`, for ``claim`` the label of a claim the proof uses,
    for ``identity`` how SymPy derived it.  ``check`` (identities) returns the step's
    symbolic evidence; facts are checked by their own randomized tests and claims by
    the registry (a step citing a label outside ``uses`` is refused).  ``subs``: for a
    fact step, the substitution (by symbol name) that instantiates the fact's statement
    in the paper's symbols.  ``closes``: the step is the proof's conclusion, drawn from
    the steps ``by`` names (elementary logic, checked against the statement).
    """

    text: str
    formula: Any = None
    kind: str = "identity"
    by: str = ""
    check: CheckFn | None = None
    subs: dict[str, Any] = field(default_factory=dict)
    closes: bool = False

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise ValueError(f"unknown proof step kind {self.kind!r} "
                             f"(expected one of: {', '.join(STEP_KINDS)})")
        if self.kind in ("fact", "claim") and not self.by:
            raise ValueError(f"a {self.kind} step names what it cites (by=...)")

    @property
    def identity_justification(self) -> str:
        """How an identity step is justified, in words, for the appendix and the notebooks.

        >>> ProofStep("x", by="expanded").identity_justification
        'derived by SymPy from the objective (expanded)'
        >>> ProofStep("x", by="derived by SymPy from the objective").identity_justification
        'derived by SymPy from the objective'
        >>> ProofStep("x", by="steps 1 and 2", closes=True).identity_justification
        'follows from steps 1 and 2'
        """
        if self.closes:
            return f"follows from {self.by}"
        base = "derived by SymPy from the objective"
        if not self.by or self.by.startswith(base):
            return self.by or base
        return f"{base} ({self.by})"


@dataclass
class Claim:
    """One labelled object of the paper.

    ``statement`` is a SymPy object (an ``Eq``, a relation, a ``dict`` of named
    expressions, or ``None`` for a claim that is only a reference); ``hypotheses``
    are SymPy relations assumed by the statement; ``derivation`` a list of
    ``(caption, SymPy object)`` steps for the appendix and the notebooks.
    """

    label: str
    title: str
    uses: tuple[str, ...] = ()
    statement: Any = None
    kind: str = "equation"
    section: str = ""
    cited: bool = False
    hypotheses: tuple[Any, ...] = ()
    derivation: list[tuple[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    checks: list[tuple[str, CheckFn]] = field(default_factory=list)
    proof: list[ProofStep] = field(default_factory=list)
    title_tex: str = ""

    def __post_init__(self) -> None:
        self.uses = tuple(self.uses)
        for step in self.proof:
            if step.kind == "claim" and step.by not in self.uses:
                raise ValueError(f"{self.label}: a proof step cites {step.by!r}, "
                                 "which is not among its uses")
        if self.kind not in KINDS:
            raise ValueError(f"{self.label}: unknown kind {self.kind!r}")
        if self.cited and self.kind != "cited":
            self.kind = "cited"

    def check(self, level: str) -> Callable[[CheckFn], CheckFn]:
        """Decorator adding a check at ``level``."""
        if level not in LEVELS:
            raise ValueError(f"{self.label}: unknown evidence level {level!r}")

        def deco(fn: CheckFn) -> CheckFn:
            _require_claim_and_context(self.label, fn)
            self.checks.append((level, fn))
            return fn

        return deco

    @property
    def levels(self) -> list[str]:
        return sorted({lvl for lvl, _ in self.checks}, key=LEVELS.index)


def _require_claim_and_context(label: str, fn: Callable[..., Any]) -> None:
    """A check must accept ``(claim, ctx)``: it reads the claim's own statement."""
    import inspect

    try:
        inspect.signature(fn).bind(None, None)
    except TypeError:
        raise TypeError(f"{label}: a check takes (claim, ctx); {getattr(fn, '__name__', fn)!r} "
                        "does not") from None
    except ValueError:  # pragma: no cover - builtins without a signature
        pass


@dataclass
class VerifyContext:
    """Settings shared by all checks of one run, and a memo for shared work
    (sampled critical points are generated once and reused by every claim)."""

    dps: int = 50
    seed: int = 0
    numeric_samples: int = 100
    backend: str = "numpy"
    memo_store: dict[Any, Any] = field(default_factory=dict)

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self.memo_store:
            self.memo_store[key] = make()
        return self.memo_store[key]

    def seeds(self) -> dict[str, int]:
        return {"seed": self.seed}


@dataclass
class ClaimResult:
    label: str
    title: str
    uses: tuple[str, ...]
    status: str
    strongest: str | None
    evidence: list[Evidence]
    message: str
    seconds: float
    cited: bool
    kind: str
    findings: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "title": self.title,
            "kind": self.kind,
            "cited": self.cited,
            "uses": list(self.uses),
            "status": self.status,
            "strongest": self.strongest,
            "message": self.message,
            "findings": list(self.findings),
            "evidence": [
                {"level": e.level, "passed": e.passed, "residual": e.residual,
                 "digits": e.digits, "samples": e.samples, "detail": e.detail,
                 "seconds": round(e.seconds, 3)}
                for e in self.evidence
            ],
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Report:
    results: list[ClaimResult]
    context: VerifyContext

    @property
    def passed(self) -> bool:
        return all(r.status == "passed" for r in self.results)

    def failures(self) -> list[ClaimResult]:
        return [r for r in self.results if r.status != "passed"]

    def by_label(self) -> dict[str, ClaimResult]:
        return {r.label: r for r in self.results}


class UnknownLabelError(KeyError):
    """A label that is not in the registry."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it plain
        return str(self.args[0])


class Registry:
    """The claims of the paper, in paper order, with their dependency graph."""

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}
        self._aliases: dict[str, str] = {}

    def add(self, claim: Claim) -> Claim:
        if claim.label in self._claims:
            raise ValueError(f"duplicate claim label {claim.label!r}")
        self._claims[claim.label] = claim
        return claim

    def add_alias(self, alias: str, label: str) -> None:
        """Let ``alias`` (a paper label covered by a grouped claim, e.g. ``eq:4.20``
        inside ``eq:4.19``) name the claim ``label``."""
        if alias in self._claims or alias in self._aliases:
            raise ValueError(f"alias {alias!r} is already a label")
        self[label]  # must exist
        self._aliases[alias] = label

    def aliases_of(self, label: str) -> list[str]:
        """The paper labels that the claim ``label`` also covers."""
        return [a for a, target in self._aliases.items() if target == label]

    def resolve(self, label: str) -> str:
        """A label or an alias, as the label of its claim."""
        return self._aliases.get(label, label)

    def claim(self, label: str, title: str, **kwargs: Any) -> Claim:
        """Create and register a claim (see :class:`Claim` for the fields)."""
        return self.add(Claim(label, title, **kwargs))

    def __contains__(self, label: object) -> bool:
        return label in self._claims or label in self._aliases

    def __getitem__(self, label: str) -> Claim:
        try:
            return self._claims[self.resolve(label)]
        except KeyError:
            raise UnknownLabelError(self._unknown_message(label)) from None

    def __iter__(self):
        return iter(self._claims.values())

    def __len__(self) -> int:
        return len(self._claims)

    @property
    def labels(self) -> list[str]:
        return list(self._claims)

    def _unknown_message(self, label: str) -> str:
        import difflib

        close = difflib.get_close_matches(label, self.labels + list(self._aliases), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return f"unknown claim label {label!r}{hint}"

    def closure(self, labels: Iterable[str]) -> list[str]:
        """The named labels and everything they use, transitively, in paper order.

        Unknown names raise :class:`UnknownLabelError`; a dependency that is not in
        the registry is kept out of the closure (the dependant will be blocked).
        """
        wanted: set[str] = set()
        stack = [self.resolve(label) for label in labels]
        for label in stack:
            self[label]  # raises on unknown top-level labels
        while stack:
            label = stack.pop()
            if label in wanted or label not in self._claims:
                continue
            wanted.add(label)
            stack.extend(self._claims[label].uses)
        return [lbl for lbl in self.topological_order() if lbl in wanted]

    def topological_order(self) -> list[str]:
        """Labels such that each claim comes after what it uses (stable in paper order)."""
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(label: str, path: tuple[str, ...]) -> None:
            if state.get(label) == 2 or label not in self._claims:
                return
            if state.get(label) == 1:
                raise ValueError("cyclic claim dependencies: " + " -> ".join(path + (label,)))
            state[label] = 1
            for dep in self._claims[label].uses:
                visit(dep, path + (label,))
            state[label] = 2
            order.append(label)

        for label in self._claims:
            visit(label, ())
        return order

    def dependants(self, label: str) -> list[str]:
        """Every claim that uses ``label``, directly or not."""
        out: list[str] = []
        for other in self.topological_order():
            deps = self._claims[other].uses
            if label in deps or any(d in out for d in deps):
                out.append(other)
        return out

    def run(
        self,
        context: VerifyContext | None = None,
        labels: Sequence[str] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Report:
        """Run the claims (all, or ``labels`` and their dependencies)."""
        ctx = context or VerifyContext()
        order = self.closure(labels) if labels else self.topological_order()
        done: dict[str, ClaimResult] = {}
        for label in order:
            if progress is not None:
                progress(label)
            done[label] = self._run_one(self._claims[label], ctx, done)
        return Report([done[label] for label in order], ctx)

    def _run_one(self, claim: Claim, ctx: VerifyContext,
                 done: dict[str, ClaimResult]) -> ClaimResult:
        start = time.perf_counter()
        evidence: list[Evidence] = []
        errors: list[str] = []
        for level, fn in claim.checks:
            t0 = time.perf_counter()
            try:
                ev = fn(claim, ctx)
            except Exception as exc:  # a crashing check is a failed check, named
                ev = Evidence(level, False, None, None, 0,
                              f"check {fn.__name__} raised {type(exc).__name__}: {exc}")
            if ev.level != level:
                ev = Evidence(level, False, ev.residual, ev.digits, ev.samples,
                              f"check declared {level} but returned {ev.level}")
            ev.seconds = time.perf_counter() - t0
            refuse_zero_points(ev)
            evidence.append(ev)
            if not ev.passed:
                errors.append(f"{ev.level} check failed: {ev.detail}")
        blocked_by = []
        for dep in claim.uses:
            if dep not in self._claims:
                blocked_by.append(f"{dep} (missing)")
            elif dep in done and done[dep].status != "passed":
                blocked_by.append(f"{dep} ({done[dep].status})")
        if not claim.checks:
            errors.append("no evidence: the claim has no check")
        if errors:
            status, message = "failed", "; ".join(errors)
        elif blocked_by:
            status = "blocked"
            message = "depends on " + ", ".join(blocked_by)
        else:
            status, message = "passed", ""
        if status == "failed" and blocked_by:
            message += "; also depends on " + ", ".join(blocked_by)
        passed_levels = [e.level for e in evidence if e.passed]
        strongest = min(passed_levels, key=LEVELS.index) if passed_levels else None
        return ClaimResult(claim.label, claim.title, claim.uses, status, strongest, evidence,
                           message, time.perf_counter() - start, claim.cited, claim.kind,
                           list(claim.findings))


#: the distribution whose entry points register the paper's own claims
OWN_DISTRIBUTION = "ufm-sym"


def load_registry(*, plugins: bool = True) -> Registry:
    """The registry of the paper's claims, discovered through the ``ufm_sym.proofs``
    entry points (each names a ``register(registry)`` function).  The engine never
    imports ``proofs`` by name: the proofs register themselves.  Other installed
    packages may register claims the same way (``docs/extending.md``); with
    ``plugins=False`` only ufm-sym's own entry points are loaded (the paper alone)."""
    from importlib.metadata import entry_points

    registry = Registry()
    eps = sorted(entry_points(group="ufm_sym.proofs"), key=lambda ep: ep.name)
    if not plugins:
        eps = [ep for ep in eps
               if ep.dist is None or ep.dist.name.lower().replace("_", "-") == OWN_DISTRIBUTION]
    if not eps:
        raise RuntimeError(
            "no proofs are registered (entry point group 'ufm_sym.proofs' is empty): "
            "reinstall the package with `pip install -e .`"
        )
    for ep in eps:
        ep.load()(registry)
    return registry
