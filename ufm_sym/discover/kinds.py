"""The kinds of critical point, for any ``d``, and the tests that decide them.

=====================  ===============================================================
``global_min``         critical; the criterion ``||grad g(R)||_2 <= sqrt(lW lH)`` of
                       Prop. 4.1 / [13, Lemma C.4] holds (it proves global optimality
                       for every ``d``: ``f`` is bounded below by its convex relaxation,
                       whose optimum the point attains); no eigenvalue below ``-margin``
``strict_saddle``      critical, an eigenvalue below ``-margin`` (certified)
``local_min``          critical, no eigenvalue below ``-margin`` and exactly as many in
                       ``[-margin, margin]`` as the symmetry orbit has dimensions there
                       (:func:`ufm_sym.discover.symmetry.orbit_dimension`): the Hessian
                       is positive definite across the orbit, so the point is a strict
                       local minimum modulo the symmetries (Morse-Bott)
``spurious_local_min`` a ``local_min`` whose value exceeds that of another local minimum
                       of the same problem by more than the value margin: the
                       closed-form global minimum where it applies (``classify``), or
                       any minimum found by the same ``discover`` run
``degenerate``         critical, no eigenvalue below ``-margin``, but more near-zero
                       eigenvalues than the orbit explains: the second-order test does
                       not decide, a higher-order test is needed
``not_critical``       ``||grad f|| > margin``
``undecided``          the evidence does not decide at this precision (the reason says
                       why: uncertified counts, contradicting evidence, fewer near-zero
                       eigenvalues than the orbit's dimension)
=====================  ===============================================================

Every sign is decided with the margin of :func:`ufm_sym.landscape.precision_for`
(``10^-(D - 5) max(1, ||x||_F) max(1, ||hess f||_F)`` at ``D`` digits); values are
compared with :func:`value_tolerance`, ``margin * max(1, |f|)``.

>>> from types import SimpleNamespace as NS
>>> spec = NS(negative=0, near_zero=3, certified=True)
>>> minimum_kind(spec, NS(dimension=3), 1e-40)[0], minimum_kind(spec, NS(dimension=2), 1e-40)[0]
('local_min', 'degenerate')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath

__all__ = [
    "KINDS",
    "MINIMA",
    "Verdict",
    "classify_perturbed",
    "mark_spurious",
    "minimum_kind",
    "minimum_verdict",
    "value_tolerance",
]

KINDS: tuple[str, ...] = ("global_min", "strict_saddle", "local_min", "spurious_local_min",
                          "degenerate", "not_critical", "undecided")
MINIMA: tuple[str, ...] = ("global_min", "local_min", "spurious_local_min")


def value_tolerance(value: Any, margin: Any) -> Any:
    """``margin * max(1, |value|)``: two objective values closer than this are equal."""
    return margin * max(1, abs(value))


def minimum_kind(spectrum: Any, orbit: Any, margin: Any) -> tuple[str, str]:
    """``(kind, reason)`` at a critical point with no eigenvalue below ``-margin``:
    ``local_min``, ``degenerate`` or ``undecided`` (module docstring).  ``spectrum``
    has ``negative``, ``near_zero``, ``certified``; ``orbit`` has ``dimension``."""
    m = mpmath.nstr(mpmath.mpf(margin), 3)
    z, dim = spectrum.near_zero, orbit.dimension
    if not spectrum.certified:
        return "undecided", (f"no Hessian eigenvalue below -{m}, but the counts at margin "
                             f"{m} are not certified")
    if z == dim:
        return "local_min", (f"critical, no Hessian eigenvalue below -{m} and {z} in "
                             f"[-{m}, {m}] = the dimension of the symmetry orbit there: "
                             "a strict local minimum modulo the symmetries (certified counts)")
    if z > dim:
        return "degenerate", (f"critical, no Hessian eigenvalue below -{m}, but {z} in "
                              f"[-{m}, {m}] against an orbit of dimension {dim}: "
                              f"{z - dim} zero direction(s) beyond the symmetries, so a "
                              "higher-order test is needed")
    return "undecided", (f"{z} Hessian eigenvalues in [-{m}, {m}], fewer than the orbit's "
                         f"dimension {dim}: the point is not critical to this precision")


def minimum_verdict(problem: Any, spectrum: Any, orbit: Any, margin: Any,
                    glob: Any = None, theorem: bool = True) -> tuple[str, str]:
    """:func:`minimum_kind`, then: a ``local_min`` above the closed-form global value
    by more than :func:`value_tolerance` (``glob.applies``: the closed form fits in
    ``d``) is ``spurious_local_min``; at ``d = K`` any minimum other than a global one
    contradicts Theorems 1.1/1.2 and the reason says so."""
    kind, reason = minimum_kind(spectrum, orbit, margin)
    if kind == "local_min" and glob is not None and glob.applies:
        tol = value_tolerance(glob.value, margin)
        if glob.difference > tol:
            kind = "spurious_local_min"
            reason += (f"; f - f* = {mpmath.nstr(glob.difference, 5)} > "
                       f"{mpmath.nstr(tol, 3)} above the closed-form global minimum "
                       f"(regime {glob.regime})")
        else:
            kind = "undecided"
            reason += ("; but the criterion fails while f = f* to the margin: the evidence "
                       "disagrees")
    if theorem and problem.theorem_applies and kind in ("local_min", "spurious_local_min",
                                                        "degenerate"):
        thm = "Theorem 1.1" if problem.loss == "ce" else "Theorem 1.2"
        reason += (f"; at d = K this contradicts {thm}: is the point critical to the "
                   "precision claimed?")
    return kind, reason


def mark_spurious(kinds: Sequence[str], values: Sequence[Any], margins: Sequence[Any]
                  ) -> list[tuple[str, str | None]]:
    """For points of one problem: ``(kind, extra reason or None)``, a ``local_min``
    turned ``spurious_local_min`` when its value exceeds the lowest minimum among
    them by more than :func:`value_tolerance` (the larger of the two margins).

    >>> mark_spurious(["global_min", "local_min", "strict_saddle"], [0.1, 0.5, 0.7],
    ...               [1e-30] * 3)[1][0]
    'spurious_local_min'
    """
    minima = [i for i, k in enumerate(kinds) if k in MINIMA]
    out: list[tuple[str, str | None]] = [(k, None) for k in kinds]
    if not minima:
        return out
    best = min(minima, key=lambda i: values[i])
    for i in minima:
        if kinds[i] != "local_min" or i == best:
            continue
        tol = value_tolerance(values[best], max(margins[i], margins[best]))
        gap = values[i] - values[best]
        if gap > tol:
            out[i] = ("spurious_local_min",
                      f"its value exceeds that of another local minimum found for this "
                      f"problem (f = {mpmath.nstr(mpmath.mpf(values[best]), 12)}) by "
                      f"{mpmath.nstr(mpmath.mpf(gap), 5)} > {mpmath.nstr(mpmath.mpf(tol), 3)}")
    if kinds[best] == "local_min" or kinds[best] == "spurious_local_min":
        for i in minima:
            if kinds[i] == "global_min" and values[i] - values[best] > value_tolerance(
                    values[i], max(margins[i], margins[best])):
                out[i] = ("undecided", "a local minimum below this proved global minimum "
                                       "was found: the evidence disagrees")
    return out


@dataclass(frozen=True)
class Verdict:
    """The kind of a refined point and the numbers behind it.

    ``spectrum`` is a :class:`ufm_sym.certify.inertia.Spectrum`, ``orbit`` an
    :class:`~ufm_sym.discover.symmetry.OrbitDimension` (``None`` when the point is not
    critical), ``classification`` the :class:`ufm_sym.landscape.Classification` when
    the plain objective was classified (``None`` under a perturbation).
    """

    kind: str
    reason: str
    objective: Any
    gradient_norm: Any
    margin: Any
    digits: int
    spectrum: Any
    orbit: Any
    singular_values_W: tuple[Any, ...]
    criterion_holds: bool | None = None
    classification: Any = None


def classify_perturbed(problem: Any, point: Any, perturbation: Any, dps: int) -> Verdict:
    """The kind of ``point`` for ``f + perturbation`` (the test hook): the same margin
    rule and decisions as :func:`ufm_sym.landscape.classify`, without the criterion
    (which speaks of ``f`` alone, so no ``global_min``: minima are ``local_min`` until
    :func:`mark_spurious` compares them).  The orbit is that of the symmetries the
    perturbation keeps (its ``symmetries``, parts of :data:`ufm_sym.certify.orbit.PARTS`;
    all of them when it does not say)."""
    from ufm_sym.certify.inertia import hessian_spectrum
    from ufm_sym.discover.symmetry import orbit_dimension
    from ufm_sym.highprec.evaluate import (
        flatten,
        gradient,
        hessian_matrix,
        objective,
        working_precision,
    )
    from ufm_sym.highprec.linalg import singular_values
    from ufm_sym.landscape import precision_for

    with working_precision(dps):
        x = flatten(point)
        A = hessian_matrix(problem, point)
        B = perturbation.hessian(x)
        for i in range(A.rows):
            for j in range(A.cols):
                A[i, j] += B[i][j]
        g = [a + b for a, b in zip(flatten(gradient(problem, point)),
                                   perturbation.gradient(x), strict=True)]
        gn = mpmath.sqrt(mpmath.fsum(t * t for t in g))
        f = objective(problem, point) + perturbation.value(x)
        fro = mpmath.sqrt(mpmath.fsum(A[i, j] ** 2 for i in range(A.rows)
                                      for j in range(A.cols)))
        norm_x = mpmath.sqrt(mpmath.fsum(t * t for t in x))
        prec = precision_for(dps, None, float(norm_x), float(fro))
        margin = prec.margin
        sw = tuple(singular_values(point[0]))
        base = dict(objective=f, gradient_norm=gn, margin=margin, digits=prec.digits,
                    singular_values_W=sw)
        if gn > margin:
            return Verdict("not_critical", f"||grad f|| = {mpmath.nstr(gn, 5)} > margin "
                           f"{mpmath.nstr(margin, 3)}", spectrum=None, orbit=None, **base)
        spec = hessian_spectrum(A, margin, dps)
        orbit = orbit_dimension(problem, point, margin, dps,
                                parts=getattr(perturbation, "symmetries", None))
        if spec.negative > 0:
            if spec.certified:
                return Verdict("strict_saddle", f"critical; {spec.negative} Hessian "
                               f"eigenvalue(s) below -{mpmath.nstr(margin, 3)} (certified)",
                               spectrum=spec, orbit=orbit, **base)
            return Verdict("undecided", "a negative eigenvalue was computed but could not "
                           "be certified", spectrum=spec, orbit=orbit, **base)
        kind, reason = minimum_verdict(problem, spec, orbit, margin, theorem=False)
        return Verdict(kind, reason, spectrum=spec, orbit=orbit, **base)
