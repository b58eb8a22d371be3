"""The outcome of a check: the residual at each point and the report (text and JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath

from ufm_sym.check.prove import SymbolicProof


# -------------------------------------------------------------- the check
@dataclass(frozen=True)
class PointResidual:
    """The residual of the expression at one sampled point."""

    setting: str
    regime: str
    family: str
    kind: str
    relative: Any
    absolute: Any
    scale: Any
    digits: float
    holds: bool


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check_identity`."""

    expression: str
    loss: str
    at: str
    dps: int
    tolerance: Any
    points: tuple[PointResidual, ...]
    symbolic: SymbolicProof
    settings: tuple[str, ...]
    seconds: float = 0.0
    seed: int = 0
    relation: str | None = None
    tolerance_rule: str | None = None

    @property
    def is_inequality(self) -> bool:
        return self.relation in ("<=", "<", ">=", ">")

    @property
    def rule(self) -> str:
        if self.tolerance_rule is not None:
            base = f"relative to max(1, largest top-level term); tolerance = the margin of " \
                   f"classify: {self.tolerance_rule}"
        else:
            base = "relative to max(1, largest top-level term); tolerance 10^-(dps - 10)"
        if self.relation in ("<", ">"):
            return f"strict: the excess of lhs over rhs must be below -tolerance ({base})"
        if self.is_inequality:
            return f"the excess of lhs over rhs must be at most the tolerance ({base})"
        return f"||lhs - rhs|| at most the tolerance ({base})"

    @property
    def holds(self) -> bool:
        return all(p.holds for p in self.points)

    @property
    def worst(self) -> PointResidual:
        return max(self.points, key=lambda p: p.relative)

    @property
    def failures(self) -> tuple[PointResidual, ...]:
        return tuple(p for p in self.points if not p.holds)

    def to_json(self) -> dict[str, Any]:
        from ufm_sym import __version__

        w = self.worst
        return {
            "schema": 1, "tool": "ufm-sym", "command": "check", "version": __version__,
            "expression": self.expression, "loss": self.loss, "at": self.at,
            "dps": self.dps, "seed": self.seed, "backend": "mpmath",
            "tolerance": mpmath.nstr(self.tolerance, 3),
            "relation": self.relation or "== 0",
            "tolerance_rule": self.rule,
            "holds": self.holds, "points": len(self.points), "settings": list(self.settings),
            "worst": _point_json(w),
            "failures": [_point_json(p) for p in self.failures],
            "residuals": [_point_json(p) for p in self.points],
            "symbolic": {"proved": self.symbolic.proved, "how": self.symbolic.how,
                         "combination": self.symbolic.combination,
                         "note": self.symbolic.note},
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        w = self.worst
        n, bad = len(self.points), len(self.failures)
        verdict = f"holds at all {n} points" if not bad else f"FAILS at {bad} of {n} points"
        where = "at the given point" if self.at == "point" else f"at {self.at} points"
        if self.is_inequality:
            worst = (f"smallest slack {mpmath.nstr(-w.relative, 3)} (relative; rhs - lhs for "
                     f"<, <=, lhs - rhs for >, >=) at {w.setting}, {w.family}")
        else:
            worst = (f"largest relative residual {mpmath.nstr(w.relative, 3)} "
                     f"({w.digits:.1f} digits) at {w.setting}, {w.family}")
        lines = [
            f"check: {self.expression}   ({self.loss.upper()}, {where}, dps {self.dps})",
            f"{verdict} in {len(self.settings)} settings; tolerance "
            f"{mpmath.nstr(self.tolerance, 3)} (relative"
            + (", strict: slack must exceed it" if self.relation in ("<", ">") else "") + ")",
            worst,
            self.symbolic.note,
        ]
        return "\n".join(lines) + "\n"


def _point_json(p: PointResidual) -> dict[str, Any]:
    return {"setting": p.setting, "regime": p.regime, "family": p.family, "kind": p.kind,
            "relative_residual": mpmath.nstr(p.relative, 5),
            "absolute_residual": mpmath.nstr(p.absolute, 5),
            "scale": mpmath.nstr(p.scale, 5), "digits": round(p.digits, 2),
            "holds": p.holds}
