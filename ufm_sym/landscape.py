"""Classify one point of the UFM: is it critical, a global minimizer, a strict saddle?

:func:`classify` answers at a given precision (``dps`` decimal digits), with the
paper's own tests:

1. **critical**: the norm of the full gradient is compared with the *margin* below;
2. **global minimizer** (the spectral criterion of Prop. 4.1 / [13, Lemma C.4]):
   ``||grad g(R)||_2 <= sqrt(lambda_W lambda_H)`` at a critical point, cross-checked
   against the closed-form global value (:func:`ufm_sym.closed_form.global_value`);
3. **strict saddle**: the paper's escape direction, (3.10) for CE and (4.36) for MSE
   (``a`` a unit vector with ``W a = 0 = H^T a``, ``u, v`` the top singular pair of
   ``grad g(R)``), its curvature against the predicted ``-2 sigma + 2 sqrt(lW lH)``,
   and the smallest Hessian eigenvalue with the number of negative and near-zero
   eigenvalues.

The verdict (:attr:`Classification.kind`) is one of :data:`KINDS` (``global_min``,
``strict_saddle``, ``local_min``, ``spurious_local_min``, ``degenerate``,
``not_critical``, ``undecided``; defined for any ``d`` in :mod:`ufm_sym.discover.kinds`:
with no eigenvalue below ``-margin``, the near-zero count is compared with the
dimension of the symmetry orbit at the point).  It is never guessed: when two pieces of evidence
disagree, or a quantity that decides lies within the margin of its threshold, the
verdict is ``undecided`` and :attr:`Classification.reason` says why.

**Precision and the margin.**  A point written with ``D_in`` significant digits is
only known to about ``10^-D_in`` (relative), so it is judged at
``D = min(dps, max(15, D_in))`` digits: entries that are integers, fractions
(``"1/3"``) or zero are exact and do not count, an entry written with fewer digits
(``"0.5"``) is read as exact, ``D_in`` is the largest number of significant digits
written in any entry, and a point with no inexact entry (or given as numbers in
memory, ``input_digits=None``) is judged at ``D = dps``.  Points written with fewer
than 15 digits are held to the float64 standard.  Every decision then uses one

    margin = 10^-(D - 5) * max(1, ||x||_F) * max(1, ||hess f(x)||_F)

(five digits of slack, scaled by the size of the point and of its Hessian): the
point is critical when ``||grad f|| <= margin``; the criterion holds when
``||grad g||_2 - sqrt(lW lH) <= margin``; ``f = f*`` when
``|f - f*| <= margin * max(1, |f*|)``; an eigenvalue is negative below ``-margin``,
near zero within ``[-margin, margin]`` (the symmetry orbit of
:mod:`ufm_sym.certify.orbit`, ``(W Q, Q^T H)`` and for MSE the class rotations, always
gives some: never read as negative); a singular value of ``W`` or ``H`` counts for
the rank above ``margin``.  With ``refine=True`` the point is first polished by
:func:`~ufm_sym.highprec.refine.refine_critical_point` at ``dps`` (so ``D = dps``
afterwards) and the distance it moved is reported.

**Eigenvalues** of the ``P x P`` Hessian (``P = K d + d N + K``) come from
:func:`refined_symmetric_eig`: a float64 ``eigh`` refined by the Ogita-Aishima
iteration with python-flint matrix products; their counts at ``-margin`` and
``+margin`` are *checked* for the computed matrix (Sylvester's law of inertia and
Gershgorin discs, up to a rounding allowance for its assembly in mpmath) when
``certify=False``; with the certificate that check (and the last refinement round it
needs) is skipped, since the certificate's proved counts decide instead.

**Certified** (:func:`~ufm_sym.certify.critical.certify_critical_point`, at every
point judged critical, unless ``certify=False``): ball arithmetic end to end proves
that a true critical point exists within the margin of the point (Krawczyk on a slice
transversal to the symmetry orbit) and the Hessian's inertia there; the report calls
the counts "certified" only then, and only when they agree with the computed ones.

>>> from ufm_sym import Problem
>>> from ufm_sym.closed_form import global_minimizer
>>> p = Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> c = classify(p, global_minimizer(p, dps=50), dps=50)
>>> c.kind, c.critical, c.ranks.W, c.spectrum.negative, c.spectrum.certified
('global_min', True, 2, 0, True)
>>> o = classify(p, ([[0] * 3] * 3, [[0] * 6] * 3, [0] * 3), dps=40)
>>> o.kind, o.escape.equation, abs(o.escape.curvature - o.escape.predicted) < 1e-35
('strict_saddle', '(3.10)', True)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath

from ufm_sym.certify.balls import ball_radius
from ufm_sym.certify.critical import CriticalPointCertificate, certify_critical_point
from ufm_sym.certify.inertia import (
    EIG_METHODS,
    Spectrum,
    certified_spectrum,
    certify_inertia,
    hessian_spectrum,
)
from ufm_sym.closed_form import global_value, regime
from ufm_sym.convex.certificate import GlobalCertificate, global_certificate
from ufm_sym.discover.kinds import KINDS, minimum_verdict
from ufm_sym.discover.symmetry import OrbitDimension, orbit_dimension
from ufm_sym.highprec.eig import refined_symmetric_eig
from ufm_sym.highprec.evaluate import (
    Point,
    grad_g,
    gradient_norm,
    hessian_form,
    hessian_matrix,
    objective,
    residual_R,
    to_mp_point,
    working_precision,
)
from ufm_sym.highprec.linalg import null_vector, singular_values, svd
from ufm_sym.highprec.refine import refine_critical_point
from ufm_sym.model import Problem, UFMInputError
from ufm_sym.precision import MAX_DPS, MIN_DPS, check_dps

__all__ = [
    "EIG_METHODS",
    "FLOAT_DIGITS",
    "KINDS",
    "MAX_DPS",
    "MIN_DPS",
    "SLACK_DIGITS",
    "Classification",
    "Criterion",
    "EscapeDirection",
    "GlobalComparison",
    "Precision",
    "Ranks",
    "RefineSummary",
    "Spectrum",
    "certify_inertia",
    "classify",
    "effective_digits",
    "escape_direction",
    "hessian_spectrum",
    "precision_for",
    "refined_symmetric_eig",
]

DEFAULT_DPS = 50
#: the hint of a not-critical verdict, in the Python API's words (the command line
#: prints it in its own: ``--refine``)
REFINE_HINT = "; refine=True polishes it to a nearby one"
SLACK_DIGITS = 5
"""Digits of slack between the precision of a point and its margin."""
FLOAT_DIGITS = 15
"""A point is judged at no fewer digits than float64 carries."""


# ----------------------------------------------------------------- precision
def effective_digits(dps: int, input_digits: int | None) -> int:
    """``D = min(dps, max(15, input_digits))``, or ``dps`` for an exact point.

    >>> effective_digits(50, None), effective_digits(50, 80), effective_digits(50, 20)
    (50, 50, 20)
    >>> effective_digits(50, 3)
    15
    """
    if input_digits is None:
        return dps
    return min(dps, max(FLOAT_DIGITS, int(input_digits)))


@dataclass(frozen=True)
class Precision:
    """How finely the point is judged: ``margin = 10^-(digits - 5) * scale``."""

    dps: int
    input_digits: int | None
    digits: int
    scale: Any
    margin: Any

    @property
    def rule(self) -> str:
        return (f"margin = 10^-(D - {SLACK_DIGITS}) * max(1, ||x||_F) * max(1, "
                f"||hess f||_F), D = min(dps, max({FLOAT_DIGITS}, input digits)) = "
                f"{self.digits}")


def precision_for(dps: int, input_digits: int | None, point_norm: float,
                  hessian_norm: float) -> Precision:
    """The :class:`Precision` of a point of Frobenius norm ``point_norm`` whose
    Hessian has Frobenius norm ``hessian_norm``.

    >>> pr = precision_for(50, None, 0.5, 3.0)
    >>> pr.digits, mpmath.nstr(pr.margin, 3)
    (50, '3.0e-45')
    """
    digits = effective_digits(dps, input_digits)
    with working_precision(dps):
        scale = mpmath.mpf(max(1.0, float(point_norm))) * max(1.0, float(hessian_norm))
        margin = mpmath.mpf(10) ** (-(digits - SLACK_DIGITS)) * scale
    return Precision(dps=dps, input_digits=input_digits, digits=digits, scale=scale,
                     margin=margin)


# ----------------------------------------------------------------- results
@dataclass(frozen=True)
class RefineSummary:
    """What :func:`~ufm_sym.highprec.refine.refine_critical_point` did."""

    moved: Any
    iterations: int
    gradient_norm_before: Any
    gradient_norm_after: Any
    converged: bool
    tol: Any


@dataclass(frozen=True)
class Criterion:
    """The spectral criterion (4.1) / [13, Lemma C.4]: ``||grad g(R)||_2`` against
    ``sqrt(lW lH)``; ``holds`` when the difference is ``<= margin``."""

    grad_g_norm: Any
    threshold: Any
    difference: Any
    holds: bool


@dataclass(frozen=True)
class GlobalComparison:
    """The closed-form global value ``f*`` and ``f - f*`` (``applies`` is False when
    the closed form is not the minimum of this problem: ``d`` below the rank of the
    minimizer)."""

    regime: str
    applies: bool
    value: Any
    difference: Any
    equal: bool | None
    note: str


@dataclass(frozen=True)
class Ranks:
    """``rank W`` and ``rank H``: singular values above ``tolerance`` (the margin)."""

    W: int
    H: int
    tolerance: Any
    singular_values_W: tuple[Any, ...]
    singular_values_H: tuple[Any, ...]


@dataclass(frozen=True)
class EscapeDirection:
    """The paper's negative-curvature direction at a critical point.

    ``Delta = ((lH/lW)^(1/4) u a^T, -(lW/lH)^(1/4) a v^T, 0)`` with ``a`` a unit
    vector, ``W a = 0`` (and so ``H^T a = 0`` by the balance (3.4) / (4.6)), and
    ``u, v`` the top singular pair of ``G = grad g(R)`` (``u^T G v = sigma``).
    ``curvature`` is ``hess f[Delta, Delta]`` (:func:`~ufm_sym.highprec.evaluate.
    hessian_form`), ``predicted`` is ``-2 sigma + 2 sqrt(lW lH)`` and ``rayleigh`` is
    ``curvature / ||Delta||^2``, an upper bound for the smallest eigenvalue.
    For MSE, ``a`` comes from the change of variables of Prop. 4.3: with the full SVD
    ``W = U S V^T``, ``W~ = W V`` has zero columns from ``r = rank W`` on and
    ``a = V e_(r+1)``; ``tilde`` holds the norms of those zero blocks of ``W~``,
    ``H~ = V^T H`` and the curvature at ``(W~, H~, b)`` along ``Delta~`` (equal, Prop. 4.3).
    """

    equation: str
    a: mpmath.matrix
    u: mpmath.matrix
    v: mpmath.matrix
    direction: Point
    sigma: Any
    threshold: Any
    curvature: Any
    predicted: Any
    rayleigh: Any
    Wa_norm: Any
    Hta_norm: Any
    rank_W: int
    tilde: dict[str, Any] | None = None


@dataclass(frozen=True)
class Classification:
    """The outcome of :func:`classify` (fields not computed are ``None``)."""

    problem: Problem
    point: Point = field(repr=False)
    dps: int
    precision: Precision
    kind: str
    reason: str
    critical: bool
    gradient_norm: Any
    objective: Any
    refine: RefineSummary | None = None
    criterion: Criterion | None = None
    global_comparison: GlobalComparison | None = None
    ranks: Ranks | None = None
    escape: EscapeDirection | None = None
    escape_note: str | None = None
    spectrum: Spectrum | None = None
    global_certificate: GlobalCertificate | None = None
    orbit: OrbitDimension | None = None
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    certificate: CriticalPointCertificate | None = None

    @property
    def theorem_note(self) -> str:
        return self.problem.theorem_note()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dictionary; every real number is a decimal string at ``dps``."""
        return _classification_json(self)

    def summary(self) -> str:
        """A short human-readable report (several lines, ending in a newline)."""
        return _classification_summary(self)


# ---------------------------------------------------------------- escape
def _column(vals: Sequence[Any]) -> mpmath.matrix:
    M = mpmath.matrix(len(vals), 1)
    for i, x in enumerate(vals):
        M[i, 0] = x
    return M


def _fro(M: mpmath.matrix) -> Any:
    return mpmath.sqrt(mpmath.fsum(M[i, j] ** 2 for i in range(M.rows)
                                   for j in range(M.cols)))


def escape_direction(problem: Problem, point: Point, margin: Any, dps: int
                     ) -> tuple[EscapeDirection | None, str]:
    """The paper's escape direction (3.10) (CE) or (4.36) (MSE) at ``point``, or
    ``(None, reason)`` when ``W`` has no null vector (``rank W = d``).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> x = to_mp_point(p, [[0, 0], [0, 0]], [[0, 0], [0, 0]], ["0.5", "0.5"], dps=30)
    >>> e, note = escape_direction(p, x, mpmath.mpf(10) ** -25, dps=30)
    >>> e.equation, mpmath.nstr(e.sigma, 6), mpmath.nstr(e.curvature, 6), note
    ('(4.36)', '0.5', '-0.8', 'a = V e_1 (Prop. 4.3: W~ = W V has zero columns from 1 on)')
    """
    with working_precision(dps):
        W, H, b = point
        K, d = problem.K, problem.d
        lw, lh, _ = problem.mp_lambdas()
        thr = mpmath.sqrt(lw * lh)
        margin = mpmath.mpf(margin)
        G = grad_g(problem, residual_R(problem, point))
        Ug, Sg, Vgt = svd(G)
        sigma = Sg[0]
        u = _column([Ug[i, 0] for i in range(K)])
        v = _column([Vgt[0, j] for j in range(Vgt.cols)])
        sw = singular_values(W)
        rank_W = sum(1 for s in sw if s > margin)
        tilde = None
        if problem.loss == "mse":
            equation = "(4.36)"
            if rank_W >= d:
                return None, (f"no unit a with W a = 0: rank W = {rank_W} = d"
                              + (" (cannot happen at a non-global critical point by "
                                 "Theorem 1.2, Case 1)" if d == K else ""))
            _, _, Vt = mpmath.svd_r(W, full_matrices=True, compute_uv=True)
            V = Vt.T
            a = _column([V[i, rank_W] for i in range(d)])
            Wt = W * V
            Ht = V.T * H
            zero_W = mpmath.matrix([[Wt[i, j] for j in range(rank_W, d)] for i in range(K)])
            zero_H = mpmath.matrix([[Ht[i, j] for j in range(Ht.cols)]
                                    for i in range(rank_W, d)])
            tilde = {"rank": rank_W, "zero_columns_W_norm": _fro(zero_W),
                     "zero_rows_H_norm": _fro(zero_H)}
            note = (f"a = V e_{rank_W + 1} (Prop. 4.3: W~ = W V has zero columns from "
                    f"{rank_W + 1} on)")
        else:
            equation = "(3.10)"
            try:
                a, _ = null_vector(W, tol=margin)
            except ValueError:
                return None, (f"no unit a with W a = 0: rank W = {rank_W} = d"
                              + (" (impossible at a CE critical point by Lemma 3.1)"
                                 if d == K else ""))
            note = "a = unit null vector of W (smallest right singular vector)"
        cw = mpmath.root(lh / lw, 4)
        ch = mpmath.root(lw / lh, 4)
        DW = cw * (u * a.T)
        DH = -ch * (a * v.T)
        Db = mpmath.zeros(K, 1)
        direction = (DW, DH, Db)
        curvature = hessian_form(problem, point, direction)
        predicted = -2 * sigma + 2 * thr
        norm2 = _fro(DW) ** 2 + _fro(DH) ** 2
        if tilde is not None:
            e_r = _column([1 if i == tilde["rank"] else 0 for i in range(d)])
            dt = (cw * (u * e_r.T), -ch * (e_r * v.T), Db)
            tilde["curvature"] = hessian_form(problem, (Wt, Ht, b), dt)
        esc = EscapeDirection(
            equation=equation, a=a, u=u, v=v, direction=direction, sigma=sigma,
            threshold=thr, curvature=curvature, predicted=predicted,
            rayleigh=curvature / norm2, Wa_norm=mpmath.norm(W * a),
            Hta_norm=mpmath.norm(H.T * a), rank_W=rank_W, tilde=tilde)
        return esc, note


# ---------------------------------------------------------------- classify
def _rank_of_minimizer(problem: Problem, reg: str) -> int:
    """``rank W*`` of the closed-form minimizer: the ``d`` it needs."""
    return {"ce-nonzero": problem.K - 1, "ce-zero": 0, "zero": 0, "A": problem.K - 1,
            "B": problem.K - 1, "C": problem.K}[reg]


def _global_comparison(problem: Problem, f: Any, margin: Any, dps: int) -> GlobalComparison:
    reg = regime(problem)
    need = _rank_of_minimizer(problem, reg)
    with working_precision(dps):
        value = global_value(problem, dps=dps)
        if problem.d < need:
            return GlobalComparison(
                regime=reg, applies=False, value=value, difference=f - value, equal=None,
                note=f"the closed form (regime {reg}) needs d >= {need}; here d = "
                     f"{problem.d}, so it is only a lower bound")
        diff = f - value
        equal = bool(abs(diff) <= margin * max(1, abs(value)))
        return GlobalComparison(regime=reg, applies=True, value=value, difference=diff,
                                equal=equal, note=f"closed-form global value, regime {reg}")


def _as_point(problem: Problem, point: Any, dps: int) -> Point:
    if not (isinstance(point, (tuple, list)) and len(point) == 3):
        raise UFMInputError("point: expected a tuple (W, H, b)")
    return to_mp_point(problem, *point, dps=dps)


def classify(problem: Problem, point: Any, dps: int | None = None, refine: bool = False,
             input_digits: int | None | str = "auto", eig_method: str = "refined",
             certify: bool = True, point_radius: Any = 0) -> Classification:
    """Classify ``point = (W, H, b)`` of ``problem`` at ``dps`` digits (module docstring).

    ``point``: ``mpmath`` matrices or anything :func:`~ufm_sym.highprec.evaluate.
    to_mp_point` accepts (decimal strings keep their digits, and the certificate
    encloses them exactly as written).  ``input_digits``: the significant digits the
    point was written with (``None``: exact); ``"auto"`` (the default) reads them from
    the entries as the command line reads a POINT.json (a float carries the digits of its
    shortest round-trip text, :func:`~ufm_sym.pointio.point_digits`) when ``dps`` is not
    given, and judges the point as exact at ``dps`` digits when it is.  ``dps`` defaults
    to 50.  ``refine``: polish with :func:`~ufm_sym.highprec.refine.refine_critical_point`
    first.  ``certify``: run :func:`~ufm_sym.certify.critical.certify_critical_point` at
    a critical point (``max_radius`` = the margin); ``point_radius``: the entries are
    known only to ``+- point_radius`` (for the certificate).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> c = classify(p, ([[1, 0], [0, 1]], [[1, 0], [0, 1]], [0, 0]), dps=30)
    >>> c.kind, c.critical
    ('not_critical', False)
    >>> r = classify(p, ([["0.63", 0], [0, "0.63"]], [["0.63", 0], [0, "0.63"]],
    ...                  ["0.5", "0.5"]), dps=30, refine=True, input_digits=2)
    >>> r.kind, r.refine.converged, r.ranks.W, r.refine.moved > 0.1
    ('global_min', True, 1, True)
    """
    t0 = time.perf_counter()
    if input_digits == "auto":
        from ufm_sym.pointio import point_digits

        input_digits = point_digits(point) if dps is None else None
    dps = check_dps(DEFAULT_DPS if dps is None else dps)
    if eig_method not in EIG_METHODS:
        raise UFMInputError(f"eig_method: unknown method {eig_method!r} "
                            f"(expected one of: {', '.join(EIG_METHODS)})")
    notes: list[str] = []
    point_radius = ball_radius(point_radius)
    with working_precision(dps):
        x = _as_point(problem, point, dps)
        refine_summary = None
        if refine:
            A0 = hessian_matrix(problem, x)
            pre = precision_for(dps, None, _point_norm(x), _fro(A0))
            before = gradient_norm(problem, x)
            res = refine_critical_point(problem, x, dps=dps, tol=pre.margin / 10)
            refine_summary = RefineSummary(
                moved=res.moved, iterations=res.iterations, gradient_norm_before=before,
                gradient_norm_after=res.gradient_norm, converged=res.converged,
                tol=pre.margin / 10)
            x = res.point
            input_digits = None
        A = hessian_matrix(problem, x)
        prec = precision_for(dps, input_digits, _point_norm(x), _fro(A))
        margin = prec.margin
        gn = gradient_norm(problem, x)
        f = objective(problem, x)
        is_critical = bool(gn <= margin)
        cert = global_certificate(problem, x, dps=dps, digits=prec.digits)  # ufm_sym.convex
        base = dict(problem=problem, point=x, dps=dps, precision=prec, gradient_norm=gn,
                    objective=f, refine=refine_summary, global_certificate=cert)
        if not problem.theorem_applies:
            notes.append(problem.theorem_note())
        if not is_critical:
            hint = "" if refine else REFINE_HINT
            return Classification(
                kind="not_critical", critical=False,
                reason=f"||grad f|| = {mpmath.nstr(gn, 5)} > margin "
                       f"{mpmath.nstr(margin, 3)}{hint}",
                notes=tuple(notes), seconds=time.perf_counter() - t0, **base)
        # --- the criterion and the global value
        G = grad_g(problem, residual_R(problem, x))
        sg = singular_values(G)
        lw, lh, _ = problem.mp_lambdas()
        thr = mpmath.sqrt(lw * lh)
        crit = Criterion(grad_g_norm=sg[0], threshold=thr, difference=sg[0] - thr,
                         holds=bool(sg[0] - thr <= margin))
        glob = _global_comparison(problem, f, margin, dps)
        # --- ranks
        W, H, _ = x
        sw, sh = singular_values(W), singular_values(H)
        ranks = Ranks(W=sum(1 for s in sw if s > margin), H=sum(1 for s in sh if s > margin),
                      tolerance=margin, singular_values_W=tuple(sw),
                      singular_values_H=tuple(sh))
        # --- escape direction and spectrum
        esc, esc_note = escape_direction(problem, x, margin, dps)
        cert = certify_critical_point(problem, x if refine else point, dps=dps,
                                      point_radius=point_radius,
                                      max_radius=margin) if certify else None
        # with the certificate, its proved counts decide "certified" (certified_spectrum):
        # the check of the counts for the computed matrix, and the last refinement
        # round it needs, would be discarded
        spec = hessian_spectrum(A, margin, dps, method=eig_method, check=not certify)
        spec = certified_spectrum(spec, cert)
        orbit = orbit_dimension(problem, x, margin, dps)
        if cert is not None and cert.existence.orbit_dimension != orbit.dimension:
            notes.append(f"the symmetry orbit has dimension {orbit.dimension} at margin "
                         f"{mpmath.nstr(margin, 3)} but {cert.existence.orbit_dimension} "
                         "for the certificate's slice (float64, relative 1e-8): the two "
                         "rank decisions disagree")
        kind, reason = _decide(problem, crit, glob, esc, spec, margin, orbit)
        return Classification(
            kind=kind, reason=reason, critical=True, criterion=crit, global_comparison=glob,
            ranks=ranks, escape=esc, escape_note=esc_note, spectrum=spec, orbit=orbit,
            notes=tuple(notes), seconds=time.perf_counter() - t0, certificate=cert, **base)


def _point_norm(x: Point) -> float:
    return float(mpmath.sqrt(sum(_fro(M) ** 2 for M in x)))


def _decide(problem: Problem, crit: Criterion, glob: GlobalComparison,
            esc: EscapeDirection | None, spec: Spectrum, margin: Any,
            orbit: OrbitDimension) -> tuple[str, str]:
    """The verdict at a critical point, and why (never a guess)."""
    m = mpmath.nstr(margin, 3)
    along_escape = esc is not None and esc.rayleigh < -margin
    # proof of negative curvature: a certified eigenvalue count, or the Rayleigh
    # quotient of the paper's direction; any sign of it contradicts a global minimum
    neg_curv = (spec.negative > 0 and spec.certified) or along_escape
    any_neg = spec.negative > 0 or along_escape
    where = ("certified" if spec.certified else "computed, not certified")
    if crit.holds:
        if any_neg:
            return "undecided", (f"the criterion holds (||grad g|| - sqrt(lW lH) <= {m}) but "
                                 f"the Hessian has a negative eigenvalue ({where})")
        if glob.applies and not glob.equal:
            return "undecided", (f"the criterion holds but f - f* = "
                                 f"{mpmath.nstr(glob.difference, 5)} is not within the margin")
        ref = "[13, Lemma C.4]" if problem.loss == "ce" else "Prop. 4.1"
        extra = ", f = f* to the margin" if glob.applies else ""
        return "global_min", (f"critical, ||grad g(R)||_2 <= sqrt(lW lH) + {m} ({ref}){extra}, "
                              f"no Hessian eigenvalue below -{m} ({where})")
    # criterion fails
    if neg_curv:
        if glob.applies and glob.equal:
            return "undecided", ("negative curvature but f = f* to the margin: the evidence "
                                 "disagrees")
        how = []
        if spec.negative and spec.certified:
            how.append(f"{spec.negative} Hessian eigenvalue(s) below -{m} ({where})")
        if along_escape:
            how.append(f"curvature {mpmath.nstr(esc.curvature, 5)} along {esc.equation}")
        return "strict_saddle", ("critical, ||grad g(R)||_2 > sqrt(lW lH) + margin; "
                                 + "; ".join(how))
    if any_neg:
        return "undecided", ("the criterion fails; a negative eigenvalue was computed but "
                             "could not be certified")
    # no eigenvalue below -margin: a minimum modulo the orbit, or degenerate
    kind, why = minimum_verdict(problem, spec, orbit, margin, glob)
    return kind, "the criterion fails; " + why


# ------------------------------------------------------------------ output
def _s(x: Any, digits: int) -> str | None:
    """A decimal string (call under ``workdps``: ``mpf(x)`` rounds to the context)."""
    if x is None:
        return None
    if isinstance(x, (bool, int)):
        return str(x)
    return mpmath.nstr(x if isinstance(x, mpmath.mpf) else mpmath.mpf(x), digits)


def _mat(M: mpmath.matrix, digits: int) -> list[list[str]]:
    return [[mpmath.nstr(M[i, j], digits) for j in range(M.cols)] for i in range(M.rows)]


def _classification_json(c: Classification) -> dict[str, Any]:
    with mpmath.workdps(c.dps):
        return _classification_json_at(c)


def _classification_json_at(c: Classification) -> dict[str, Any]:
    from ufm_sym import __version__

    n = c.dps
    out: dict[str, Any] = {
        "schema": 1, "tool": "ufm-sym", "command": "classify", "version": __version__,
        "problem": c.problem.to_dict(),
        "theorem": {"label": c.problem.theorem_label, "applies": c.problem.theorem_applies,
                    "note": c.problem.theorem_note()},
        "dps": c.dps,
        "precision": {"input_digits": c.precision.input_digits, "digits": c.precision.digits,
                      "scale": _s(c.precision.scale, 6), "margin": _s(c.precision.margin, 6),
                      "rule": c.precision.rule},
        "kind": c.kind, "reason": c.reason,
        "critical": {"is_critical": c.critical, "gradient_norm": _s(c.gradient_norm, 10),
                     "tolerance": _s(c.precision.margin, 6)},
        "objective": _s(c.objective, n),
        "refine": None, "criterion": None, "global": None, "rank": None, "escape": None,
        "escape_note": c.escape_note, "hessian": None, "notes": list(c.notes),
        "global_certificate": (None if c.global_certificate is None
                               else c.global_certificate.to_json()),
        "seconds": round(c.seconds, 3),
    }
    if c.refine is not None:
        r = c.refine
        out["refine"] = {"moved": _s(r.moved, 10), "iterations": r.iterations,
                         "gradient_norm_before": _s(r.gradient_norm_before, 10),
                         "gradient_norm_after": _s(r.gradient_norm_after, 10),
                         "converged": r.converged, "tolerance": _s(r.tol, 6)}
    if c.criterion is not None:
        k = c.criterion
        out["criterion"] = {"label": "prop:4.1 / [13, Lemma C.4]",
                            "grad_g_norm": _s(k.grad_g_norm, n), "threshold": _s(k.threshold, n),
                            "difference": _s(k.difference, 10), "holds": k.holds}
    if c.global_comparison is not None:
        g = c.global_comparison
        out["global"] = {"regime": g.regime, "applies": g.applies, "value": _s(g.value, n),
                         "difference": _s(g.difference, 10), "equal": g.equal, "note": g.note}
    if c.ranks is not None:
        rk = c.ranks
        out["rank"] = {"W": rk.W, "H": rk.H, "tolerance": _s(rk.tolerance, 6),
                       "singular_values_W": [_s(s, 10) for s in rk.singular_values_W],
                       "singular_values_H": [_s(s, 10) for s in rk.singular_values_H]}
    if c.escape is not None:
        e = c.escape
        out["escape"] = {
            "equation": e.equation, "sigma": _s(e.sigma, n), "threshold": _s(e.threshold, n),
            "curvature": _s(e.curvature, n), "predicted": _s(e.predicted, n),
            "curvature_minus_predicted": _s(e.curvature - e.predicted, 5),
            "rayleigh_quotient": _s(e.rayleigh, n), "W_a_norm": _s(e.Wa_norm, 5),
            "Ht_a_norm": _s(e.Hta_norm, 5), "rank_W": e.rank_W,
            "a": [_s(e.a[i, 0], n) for i in range(e.a.rows)],
            "u": [_s(e.u[i, 0], n) for i in range(e.u.rows)],
            "v": [_s(e.v[i, 0], n) for i in range(e.v.rows)],
            "Delta_W": _mat(e.direction[0], n), "Delta_H": _mat(e.direction[1], n),
            "Delta_b": [_s(e.direction[2][i, 0], n) for i in range(e.direction[2].rows)],
            "tilde": None if e.tilde is None else {
                "rank": e.tilde["rank"],
                "zero_columns_W_norm": _s(e.tilde["zero_columns_W_norm"], 5),
                "zero_rows_H_norm": _s(e.tilde["zero_rows_H_norm"], 5),
                "curvature": _s(e.tilde["curvature"], n)},
        }
    if c.spectrum is not None:
        sp = c.spectrum
        out["hessian"] = {
            "size": sp.size, "smallest_eigenvalue": _s(sp.smallest, n),
            "negative": sp.negative, "near_zero": sp.near_zero, "positive": sp.positive,
            "margin": _s(sp.margin, 6), "certified": sp.certified,
            "certificate": sp.certificate, "error_bound": _s(sp.error_bound, 5),
            "method": sp.method, "seconds": round(sp.seconds, 3),
            "orbit_dimension": None if c.orbit is None else c.orbit.dimension,
            "lowest_eigenvalues": [_s(e, 10) for e in sp.eigenvalues[:12]],
        }
    _certificate_json(c, out)
    return out


def _certificate_json(c: Classification, out: dict[str, Any]) -> None:
    """``existence`` and ``global_gap`` (always), and the certified parts of
    ``hessian``, ``rank`` and ``criterion``
    (:func:`~ufm_sym.certify.critical.certify_critical_point`)."""
    cert = c.certificate
    if cert is None or cert.gap is None:
        why = ("not attempted: the point is not critical to the margin" if not c.critical
               else "not attempted (certify=False)" if cert is None
               else "not attempted: no certified critical point")
        out["global_gap"] = {"holds": False, "gap": None, "upper": None, "lower": None,
                             "reason": why}
    else:
        out["global_gap"] = cert.gap.to_dict()
    if cert is None:
        out["existence"] = {"certified": False, "radius": None, "slice": None, "reason": why}
        return
    out["existence"] = cert.existence.to_dict()
    out["certificate_seconds"] = round(cert.seconds, 3)
    if out.get("hessian") is not None:
        out["hessian"]["inertia_at_critical_point"] = cert.inertia.to_dict()
    if out.get("rank") is not None and cert.rank is not None:
        out["rank"]["certified"] = cert.rank.to_dict()
    if out.get("criterion") is not None and cert.dual is not None:
        out["criterion"]["certified"] = cert.dual.to_dict()


def _classification_summary(c: Classification) -> str:
    with mpmath.workdps(c.dps):
        return _classification_summary_at(c)


def _classification_summary_at(c: Classification) -> str:
    p = c.problem
    pr = c.precision
    src = "exact input" if pr.input_digits is None else f"input {pr.input_digits} digits"
    lines = [f"{p.describe()}", f"  {p.theorem_note()}",
             f"precision:  judged at {pr.digits} digits ({src}, dps {c.dps}); "
             f"margin {mpmath.nstr(pr.margin, 3)}"]
    if c.refine is not None:
        r = c.refine
        lines.append(f"refine:     moved {mpmath.nstr(r.moved, 5)} in {r.iterations} LM steps; "
                     f"|grad f| {mpmath.nstr(r.gradient_norm_before, 3)} -> "
                     f"{mpmath.nstr(r.gradient_norm_after, 3)}"
                     + ("" if r.converged else " (not converged)"))
    lines.append(f"critical:   {'yes' if c.critical else 'no'}, |grad f| = "
                 f"{mpmath.nstr(c.gradient_norm, 3)} "
                 f"{'<=' if c.critical else '>'} {mpmath.nstr(pr.margin, 3)}")
    lines.append(f"objective:  {mpmath.nstr(c.objective, 20)}")
    if c.criterion is not None:
        k = c.criterion
        rel = "<=" if k.holds else ">"
        lines.append(f"criterion:  ||grad g(R)||_2 = {mpmath.nstr(k.grad_g_norm, 12)} {rel} "
                     f"sqrt(lW lH) = {mpmath.nstr(k.threshold, 12)} (+ margin)")
    if c.global_comparison is not None:
        g = c.global_comparison
        lines.append(f"global:     f* = {mpmath.nstr(g.value, 20)} ({g.regime}); f - f* = "
                     f"{mpmath.nstr(g.difference, 5)}" + ("" if g.applies else
                                                          f" [{g.note}]"))
    if c.global_certificate is not None:
        lines.append(f"certificate: {c.global_certificate.summary()}")
        if not c.global_certificate.holds:
            lines.append(f"            {c.global_certificate.reason}")
    if c.ranks is not None:
        lines.append(f"ranks:      rank W = {c.ranks.W}, rank H = {c.ranks.H} (singular values "
                     f"> {mpmath.nstr(c.ranks.tolerance, 3)})")
    if c.escape is not None and c.kind != "global_min":
        e = c.escape
        lines.append(f"escape {e.equation}: |W a| = {mpmath.nstr(e.Wa_norm, 3)}, |H^T a| = "
                     f"{mpmath.nstr(e.Hta_norm, 3)}, sigma = {mpmath.nstr(e.sigma, 12)}")
        lines.append(f"            curvature {mpmath.nstr(e.curvature, 15)}; predicted "
                     f"-2 sigma + 2 sqrt(lW lH) = {mpmath.nstr(e.predicted, 15)}")
        if e.tilde is not None:
            lines.append(f"            Prop. 4.3: |W~ zero cols| = "
                         f"{mpmath.nstr(e.tilde['zero_columns_W_norm'], 3)}, |H~ zero rows| = "
                         f"{mpmath.nstr(e.tilde['zero_rows_H_norm'], 3)}, curvature at "
                         f"(W~, H~, b) = {mpmath.nstr(e.tilde['curvature'], 15)}")
    elif c.escape_note and c.kind != "global_min" and c.critical:
        lines.append(f"escape:     {c.escape_note}")
    if c.spectrum is not None:
        s = c.spectrum
        lines.append(f"Hessian:    {s.size} x {s.size}; smallest eigenvalue "
                     f"{mpmath.nstr(s.smallest, 12)}; {s.negative} negative, {s.near_zero} "
                     f"near zero, {s.positive} positive at margin "
                     f"{mpmath.nstr(s.margin, 3)} "
                     f"({'certified' if s.certified else 'not certified'})")
        if c.orbit is not None:
            o = c.orbit
            parts = f"{o.rotations} from the rotations of the features" + (
                ", 1 from the shift of b" if o.shift else "") + (
                f", {o.class_rotations} from the class rotations" if o.class_rotations
                else "")
            lines.append(f"orbit:      dimension {o.dimension} ({parts})")
    if c.certificate is not None:
        lines += c.certificate.summary().splitlines()
    for note in c.notes:
        lines.append(f"note:       {note}")
    lines.append(f"kind:       {c.kind}: {c.reason}")
    return "\n".join(lines) + "\n"
