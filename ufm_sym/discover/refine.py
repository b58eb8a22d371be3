"""From a float64 critical point to a high-precision one, and its verdict.

:func:`refine_float_point` polishes a float64 point (gradient norm about ``1e-13``) by
the Levenberg-Marquardt iteration of
:func:`ufm_sym.highprec.refine.refine_critical_point` at ``dps`` digits (its linear
systems are solved with python-flint at twice the precision), to a gradient norm below
:func:`target` ``= 10^-(dps - 4)``, a tenth of the smallest margin of
:func:`ufm_sym.landscape.precision_for`; the iteration converges quadratically and
leaves the symmetry orbit's directions alone.  :func:`resolve` then classifies the refined point:
:func:`ufm_sym.landscape.classify` for the plain objective (so a point's kind here is
its kind under ``ufm-sym classify``), :func:`ufm_sym.discover.kinds.classify_perturbed`
under a perturbation.  The result is a JSON-ready dict (decimal strings at ``dps``
digits), which crosses process boundaries and caches unchanged.

>>> from ufm_sym import Problem
>>> p = Problem(loss="mse", K=2, n=1, d=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5")
>>> r = resolve(p, [0.0] * 4 + [1 / 3, 1 / 3], dps=30)   # W = 0, H = 0, b = 1/(K(1+lb))
>>> r["kind"], r["near_zero"], r["orbit_dimension"], r["refine"]["converged"]
('strict_saddle', 0, 0, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mpmath

from ufm_sym.highprec.evaluate import flatten, unflatten, working_precision
from ufm_sym.highprec.refine import RefineResult, refine_critical_point
from ufm_sym.model import Problem

__all__ = ["refine_float_point", "resolve", "target"]


def target(dps: int) -> Any:
    """The gradient norm refinement aims at, ``10^-(dps - 4)``."""
    return mpmath.mpf(10) ** -(dps - 4)


def refine_float_point(problem: Problem, x: Sequence[float], dps: int,
                       perturbation: Any = None) -> RefineResult:
    """Levenberg-Marquardt at ``dps`` digits from the float64 point ``x`` (flat)."""
    with working_precision(dps):
        start = unflatten(problem, [mpmath.mpf(float(t)) for t in x])
        return refine_critical_point(problem, start, dps=dps, tol=target(dps),
                                     perturbation=perturbation)


def resolve(problem: Problem, x: Sequence[float], dps: int, perturbation: Any = None
            ) -> dict[str, Any]:
    """Refine ``x`` and classify it: a dict with ``kind``, ``reason``, ``objective``,
    ``gradient_norm``, ``margin``, ``digits``, the invariants (``singular_values_W``,
    ``eigenvalues``), the Hessian counts, ``orbit_dimension``, ``criterion_holds``,
    ``refine`` and the refined flat ``point`` (decimal strings)."""
    from ufm_sym.discover.kinds import Verdict, classify_perturbed
    from ufm_sym.landscape import classify

    res = refine_float_point(problem, x, dps, perturbation)
    with working_precision(dps):
        if perturbation is None:
            c = classify(problem, res.point, dps=dps)
            v = Verdict(c.kind, c.reason, c.objective, c.gradient_norm, c.precision.margin,
                        c.precision.digits, c.spectrum, c.orbit,
                        tuple(c.ranks.singular_values_W) if c.ranks else (),
                        c.criterion.holds if c.criterion else None, c)
        else:
            v = classify_perturbed(problem, res.point, perturbation, dps)
        if not v.singular_values_W:
            from ufm_sym.highprec.linalg import singular_values

            v = Verdict(**{**v.__dict__, "singular_values_W": tuple(
                singular_values(res.point[0]))})
        s = mpmath.nstr
        sp = v.spectrum
        return {
            "kind": v.kind, "reason": v.reason, "objective": s(v.objective, dps),
            "gradient_norm": s(v.gradient_norm, 10), "margin": s(v.margin, 10),
            "digits": v.digits,
            "singular_values_W": [s(t, dps) for t in v.singular_values_W],
            "eigenvalues": [] if sp is None else [s(t, dps) for t in sp.eigenvalues],
            "negative": None if sp is None else sp.negative,
            "near_zero": None if sp is None else sp.near_zero,
            "positive": None if sp is None else sp.positive,
            "certified": None if sp is None else sp.certified,
            "orbit_dimension": None if v.orbit is None else v.orbit.dimension,
            "criterion_holds": v.criterion_holds,
            "refine": {"iterations": res.iterations, "moved": s(res.moved, 10),
                       "converged": res.converged, "gradient_norm": s(res.gradient_norm, 10)},
            "point": [s(t, dps + 5) for t in flatten(res.point)],
        }
