"""De-duplication modulo symmetry: invariants of a critical point, and the orbits found.

Two critical points on one orbit of the symmetries (``(W Q, Q^T H)``, ``b + c 1_K`` for
CE with ``lambda_b = 0``, the MSE class rotations ``(O W, H (O (x) I_n)^T, O b)``, and
the relabellings of classes and of samples within a class) have the same

* objective value ``f``;
* singular values of ``W`` (``O W Q`` has those of ``W``; a relabelling permutes rows);
* Hessian spectrum (the Hessian at the image is an orthogonal conjugate).

So points whose invariants agree within the tolerances are counted as one orbit, and
points whose invariants differ are on different orbits.  The converse is not a
theorem: two different orbits with equal invariants would be merged (the report
counts *distinct invariants*, a lower bound on the number of orbits).

Tolerances (relative to ``max(1, |scale|)`` of each quantity):

* float64 candidates, after polishing: :data:`FLOAT_VALUE_RTOL` for ``f``,
  :data:`FLOAT_SPECTRUM_RTOL` for singular values and eigenvalues (a polished point's
  invariants are good to about ``1e-12``; distinct orbits seen so far differ by more
  than ``1e-4``);
* refined points at ``D`` digits: ``10^-(D/2)`` for all three (they agree to about
  ``D - 5`` digits on one orbit).

>>> a = Invariants(0.5, (1.0, 0.2), (-0.1, 0.0, 2.0))
>>> same_orbit(a, Invariants(0.5 + 1e-12, (1.0, 0.2), (-0.1, 1e-13, 2.0)), 1e-9, 1e-6)
True
>>> same_orbit(a, Invariants(0.5, (1.0, 0.3), (-0.1, 0.0, 2.0)), 1e-9, 1e-6)
False
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "FLOAT_SPECTRUM_RTOL",
    "FLOAT_VALUE_RTOL",
    "Invariants",
    "Orbit",
    "cluster",
    "float_invariants",
    "same_orbit",
]

FLOAT_VALUE_RTOL = 1e-9
FLOAT_SPECTRUM_RTOL = 1e-6


@dataclass(frozen=True)
class Invariants:
    """``f``, the singular values of ``W`` (descending) and the Hessian eigenvalues
    (ascending); floats or ``mpf``."""

    value: Any
    singular_values_W: tuple[Any, ...]
    eigenvalues: tuple[Any, ...]


def float_invariants(obj: Any, x: np.ndarray) -> Invariants:
    """The invariants of a flat float64 point for the search objective ``obj``."""
    from ufm_sym.numeric.optimize import symmetric_eigh

    f, _ = obj.value_grad(x)
    K, d = obj.problem.K, obj.problem.d
    sv = np.linalg.svd(x[:K * d].reshape(K, d), compute_uv=False)
    lam = symmetric_eigh(obj.hessian(x))[0]
    return Invariants(float(f), tuple(float(s) for s in sv), tuple(float(e) for e in lam))


def _close(a: Sequence[Any], b: Sequence[Any], rtol: Any) -> bool:
    if len(a) != len(b):
        return False
    if not len(a):
        return True
    scale = max(1, max(abs(t) for t in a), max(abs(t) for t in b))
    return max(abs(s - t) for s, t in zip(a, b, strict=True)) <= rtol * scale


def same_orbit(a: Invariants, b: Invariants, value_rtol: Any, spectrum_rtol: Any) -> bool:
    """Do the invariants agree within the tolerances (module docstring)?"""
    return (abs(a.value - b.value) <= value_rtol * max(1, abs(a.value), abs(b.value))
            and _close(a.singular_values_W, b.singular_values_W, spectrum_rtol)
            and _close(a.eigenvalues, b.eigenvalues, spectrum_rtol))


def cluster(invariants: Sequence[Invariants], value_rtol: Any, spectrum_rtol: Any
            ) -> list[list[int]]:
    """Group indices whose invariants agree with a group's first member (in order).

    >>> inv = [Invariants(0.0, (), (1.0,)), Invariants(1.0, (), (1.0,)),
    ...        Invariants(0.0, (), (1.0,))]
    >>> cluster(inv, 1e-9, 1e-6)
    [[0, 2], [1]]
    """
    groups: list[list[int]] = []
    for i, inv in enumerate(invariants):
        for g in groups:
            if same_orbit(invariants[g[0]], inv, value_rtol, spectrum_rtol):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


@dataclass
class Orbit:
    """One distinct critical orbit found by :func:`ufm_sym.discover.search.discover`.

    ``point`` is a refined representative (``mpmath`` matrices at ``dps``), ``kind``
    one of :data:`ufm_sym.discover.kinds.KINDS` with its ``reason``; ``multiplicity``
    the number of starts that reached the orbit, ``found_by`` per method, ``starts``
    their indices; ``objective``, ``gradient_norm``, ``margin`` (``mpf``),
    ``invariants`` (at ``dps``), the Hessian's ``negative`` / ``near_zero`` /
    ``positive`` counts (``certified``), ``orbit_dimension``, ``criterion_holds``
    (the spectral criterion, ``None`` under a perturbation) and the refinement
    (``refine_iterations``, ``refine_moved``).
    """

    problem: Any
    point: Any = field(repr=False)
    dps: int
    kind: str
    reason: str
    objective: Any
    gradient_norm: Any
    margin: Any
    digits: int
    invariants: Invariants = field(repr=False)
    negative: int | None
    near_zero: int | None
    positive: int | None
    certified: bool | None
    orbit_dimension: int | None
    criterion_holds: bool | None
    multiplicity: int
    found_by: dict[str, int]
    starts: tuple[int, ...]
    refine_iterations: int
    refine_moved: Any

    @property
    def critical(self) -> bool:
        return self.kind != "not_critical"

    def point_json(self, digits: int | None = None) -> dict[str, Any]:
        """The representative as a POINT.json object (``digits`` defaults to ``dps``)."""
        from ufm_sym.pointio import point_to_json

        return point_to_json(self.problem, self.point, digits=digits or self.dps)

    def record(self) -> Any:
        """The representative as a :class:`ufm_sym.highprec.families.CriticalPointRecord`
        (``kind`` ``"global_min"`` when the criterion holds, else ``"saddle"``; family
        ``"discovered <kind>"``, the kind's words), for code that checks the families' records."""
        from ufm_sym.highprec.families import _record
        from ufm_sym.highprec.refine import RefineResult

        is_global = bool(self.criterion_holds)
        ref = RefineResult(point=self.point, gradient_norm=self.gradient_norm,
                           iterations=self.refine_iterations, moved=self.refine_moved,
                           digits=float(self.digits), dps=self.dps)
        desc = (f"found by discover ({self.multiplicity} start(s): "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.found_by.items()))
                + f"); kind {self.kind}: {self.reason}")
        return _record(self.problem, "global_min" if is_global else "saddle",
                       f"discovered {self.kind.replace('_', ' ')}", self.point, desc, self.dps,
                       is_global, ref)

    def to_json(self, digits: int = 20) -> dict[str, Any]:
        """JSON-ready: numbers as decimal strings (``objective`` at ``dps`` digits)."""
        import mpmath

        def s(x: Any, n: int = digits) -> str:
            return mpmath.nstr(mpmath.mpf(x), n)

        with mpmath.workdps(self.dps + 5):
            return {
                "kind": self.kind, "reason": self.reason,
                "objective": s(self.objective, self.dps),
                "multiplicity": self.multiplicity, "found_by": dict(sorted(
                    self.found_by.items())), "starts": list(self.starts),
                "gradient_norm": s(self.gradient_norm, 6), "margin": s(self.margin, 6),
                "digits": self.digits,
                "invariants": {
                    "objective": s(self.invariants.value),
                    "singular_values_W": [s(t) for t in self.invariants.singular_values_W],
                    "hessian_eigenvalues": [s(t) for t in self.invariants.eigenvalues],
                },
                "hessian": {"negative": self.negative, "near_zero": self.near_zero,
                            "positive": self.positive, "certified": self.certified,
                            "smallest_eigenvalue": (s(self.invariants.eigenvalues[0])
                                                    if self.invariants.eigenvalues else None)},
                "orbit_dimension": self.orbit_dimension,
                "criterion_holds": self.criterion_holds,
                "refine": {"iterations": self.refine_iterations,
                           "moved": s(self.refine_moved, 6)},
                "point": self.point_json(),
            }
