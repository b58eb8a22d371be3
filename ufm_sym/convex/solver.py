r"""``f*`` from the convex relaxation by a conic solver, independently of the closed forms.

For ``d >= K`` the UFM's global value equals ``min F`` over ``(Z, b)``, with
``F(Z, b) = g(Z + b 1^T) + sqrt(lW lH) ||Z||_* + lb/2 ||b||^2`` (``docs/global-certificate.md``).
:func:`solve_relaxation` solves it with cvxpy (Clarabel: the nuclear norm as
``cp.normNuc``, an SDP; CE as ``cp.log_sum_exp`` per column, exponential cones; MSE as
``cp.sum_squares``), then **brackets** ``min F`` in mpmath at the solver's solution:

    L(Lambda) <= min F <= F(Z_solver, b_solver),

the upper end because ``(Z, b)`` is feasible, the lower end the Fenchel dual bound of
:func:`ufm_sym.convex.certificate.dual_lower_bound` at ``Lambda`` built from
``grad g`` there.  Both ends are evaluated at ``dps`` digits, so the bracket is valid to
that precision whatever the solver's own accuracy.

:func:`cross_check_global_value` compares three values per setting: the bracket (and
cvxpy's reported value), the closed form of [12] / [13]
(:func:`ufm_sym.closed_form.global_value`), and ``f`` at a minimizer found by L-BFGS
from seeded random starts and refined to a gradient norm below ``10^-(dps - 5)``.  The
**tolerance rule** (:data:`TOLERANCE_RULE`): a row agrees when the closed form and the
L-BFGS value both lie in the bracket widened by ``10^-(dps - 10)``, cvxpy's value is
within ``10^-8 max(1, |f*|)`` of the closed form (Clarabel runs at the tolerances
:data:`CLARABEL_OPTIONS`), and the L-BFGS value matches the closed form to
``10^-(dps - 10)`` at a point whose gradient norm is below ``10^-(dps - 5)``.

Needs cvxpy and Clarabel (base dependencies of ufm-sym, imported lazily).

>>> from ufm_sym import Problem
>>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
>>> r = solve_relaxation(p, dps=30)
>>> r.status, r.lower <= r.upper, float(r.upper - r.lower) < 1e-8
('optimal', True, True)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from ufm_sym.claims import Evidence
from ufm_sym.highprec.evaluate import grad_g, working_precision
from ufm_sym.model import Problem

from .certificate import dual_lower_bound, feasible_dual
from .relaxation import relaxed_objective

__all__ = ["CLARABEL_OPTIONS", "DEFAULT_SETTINGS", "SOLVER_TOLERANCE", "TOLERANCE_RULE",
           "CrossCheckRow", "RelaxationSolution", "build_relaxation", "cross_check_evidence",
           "cross_check_global_value", "default_settings", "lbfgs_global_value",
           "require_cvxpy", "solve_relaxation"]

SOLVER_TOLERANCE = 1e-8
"""Relative tolerance on cvxpy's reported optimum against the closed form."""

CLARABEL_OPTIONS: dict[str, float] = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12,
                                      "tol_feas": 1e-12, "tol_ktratio": 1e-10}
"""Clarabel's stopping tolerances (its defaults are 1e-8): the reported optimum then
agrees with the closed forms to 13 digits or more at these sizes."""

TOLERANCE_RULE = (
    "agree when (1) the closed-form f* and the refined L-BFGS value lie in the mpmath "
    "bracket [L(Lambda), F(Z, b)] at the solver's solution, widened by 10^-(dps-10); "
    "(2) |cvxpy value - f*| <= 1e-8 max(1, |f*|); (3) |L-BFGS value - f*| <= 10^-(dps-10) "
    "with the L-BFGS point's gradient norm <= 10^-(dps-5)")

DEFAULT_SETTINGS: tuple[tuple[str, int, int, str, str, str], ...] = (
    # loss, K, n, lambda_W, lambda_H, lambda_b            closed-form regime
    ("ce", 2, 1, "0.05", "0.05", "0.01"),                  # ce-nonzero
    ("ce", 3, 2, "0.01", "0.02", "0"),                     # ce-nonzero, lambda_b = 0
    ("ce", 4, 1, "0.005", "0.005", "0.005"),               # ce-nonzero
    ("ce", 3, 1, "0.4", "0.4", "0.1"),                     # ce-zero (W = H = 0)
    ("ce", 4, 2, "0.02", "0.01", "0.05"),                  # ce-nonzero
    ("ce", 2, 2, "0.1", "0.2", "0"),                       # ce-nonzero, lambda_b = 0
    ("mse", 2, 1, "0.1", "0.1", "0"),                      # A
    ("mse", 3, 2, "0.01", "0.01", "0.01"),                 # B
    ("mse", 4, 1, "0.005", "0.005", "0.1"),                # C
    ("mse", 3, 1, "0.4", "0.4", "0.01"),                   # zero (W = H = 0)
    ("mse", 4, 2, "0.02", "0.05", "0"),                    # A
    ("mse", 2, 2, "0.3", "0.3", "0.5"),                    # B
)
"""Six settings per loss: K = d in 2..4, n in 1..2, lambda_b = 0 and > 0, every regime."""


def default_settings(loss: str | None = None) -> list[Problem]:
    """The :data:`DEFAULT_SETTINGS` as problems (``d = K``), optionally of one loss."""
    return [Problem(loss=lo, K=K, n=n, lambda_W=lw, lambda_H=lh, lambda_b=lb)
            for lo, K, n, lw, lh, lb in DEFAULT_SETTINGS if loss in (None, lo)]


def require_cvxpy() -> Any:
    """Import cvxpy, or raise ``ImportError`` saying how to install it."""
    try:
        import cvxpy
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("the convex solver cross-check needs cvxpy and Clarabel: "
                          "pip install cvxpy clarabel") from exc
    return cvxpy


def build_relaxation(problem: Problem, tau: Any = None) -> tuple[Any, Any, Any]:
    """``(cvxpy.Problem, Z, b)`` for ``min F`` (``tau`` overrides ``sqrt(lW lH)``: the
    wrong-variant tests drop the nuclear norm with ``tau = 0``)."""
    cp = require_cvxpy()
    K, N = problem.K, problem.N
    lw, lh, lb = problem.float_lambdas()
    t = float(np.sqrt(lw * lh)) if tau is None else float(tau)
    Y = np.kron(np.eye(K), np.ones((1, problem.n)))
    Z = cp.Variable((K, N))
    b = cp.Variable(K)
    R = Z + cp.reshape(b, (K, 1), order="F") @ np.ones((1, N))
    if problem.loss == "ce":
        g = (cp.sum(cp.log_sum_exp(R, axis=0)) - cp.sum(cp.multiply(Y, R))) / N
    else:
        g = cp.sum_squares(R - Y) / (2 * N)
    obj = g + t * cp.normNuc(Z) + lb / 2 * cp.sum_squares(b)
    return cp.Problem(cp.Minimize(obj)), Z, b


@dataclass(frozen=True)
class RelaxationSolution:
    """cvxpy's solution of ``min F`` and the mpmath bracket ``[lower, upper]`` of it."""

    problem: Problem
    status: str
    solver: str
    value: float
    Z: np.ndarray
    b: np.ndarray
    lower: Any
    upper: Any
    dps: int
    seconds: float


def solve_relaxation(problem: Problem, dps: int = 50, solver: str = "CLARABEL",
                     tau: Any = None) -> RelaxationSolution:
    """Solve ``min F`` with cvxpy and bracket it in mpmath (module docstring).  Costs
    about 0.1 s per setting at ``K <= 4``, ``N <= 8``."""
    cp = require_cvxpy()
    t0 = time.perf_counter()
    prob, Z, b = build_relaxation(problem, tau)
    opts = CLARABEL_OPTIONS if solver == "CLARABEL" else {}
    prob.solve(solver=getattr(cp, solver), **opts)
    Zv, bv = np.asarray(Z.value, dtype=float), np.asarray(b.value, dtype=float)
    with working_precision(dps):
        Zm = mpmath.matrix(Zv.tolist())
        bm = mpmath.matrix(bv.tolist())
        upper = relaxed_objective(problem, Zm, bm)
        G = grad_g(problem, Zm + bm * mpmath.ones(1, problem.N))
        lower = dual_lower_bound(problem, feasible_dual(problem, G).Lambda)
    return RelaxationSolution(problem=problem, status=str(prob.status), solver=solver,
                              value=float(prob.value), Z=Zv, b=bv, lower=lower, upper=upper,
                              dps=dps, seconds=time.perf_counter() - t0)


@dataclass(frozen=True)
class CrossCheckRow:
    """One setting of :func:`cross_check_global_value` (digits are
    ``-log10(|difference| / max(1, |f*|))``, ``dps`` when the difference is zero)."""

    problem: Problem
    solution: RelaxationSolution
    closed_form: Any
    lbfgs_value: Any
    lbfgs_gradient_norm: Any
    lbfgs_starts: int
    digits_solver: float
    digits_bracket: float
    digits_lbfgs: float
    closed_in_bracket: bool
    lbfgs_in_bracket: bool
    agree: bool
    seconds: float

    def to_json(self) -> dict[str, Any]:
        s = self.solution
        with mpmath.workdps(s.dps):
            n = lambda x: mpmath.nstr(x, s.dps)  # noqa: E731
            return {
                "setting": self.problem.describe(), "solver": s.solver, "status": s.status,
                "cvxpy_value": repr(s.value), "bracket": [n(s.lower), n(s.upper)],
                "closed_form": n(self.closed_form), "lbfgs_value": n(self.lbfgs_value),
                "lbfgs_gradient_norm": mpmath.nstr(self.lbfgs_gradient_norm, 3),
                "digits_cvxpy_vs_closed_form": self.digits_solver,
                "digits_bracket_width": self.digits_bracket,
                "digits_lbfgs_vs_closed_form": self.digits_lbfgs,
                "closed_form_in_bracket": self.closed_in_bracket,
                "lbfgs_in_bracket": self.lbfgs_in_bracket, "agree": self.agree,
                "seconds": round(self.seconds, 3)}


def _digits(diff: Any, ref: Any, cap: int) -> float:
    d = abs(mpmath.mpf(diff)) / max(1, abs(mpmath.mpf(ref)))
    return float(cap) if d == 0 else round(min(float(cap), float(-mpmath.log10(d))), 1)


def lbfgs_global_value(problem: Problem, dps: int = 50, starts: int = 2, seed: int = 0
                       ) -> tuple[Any, Any]:
    """``(f, ||grad f||)`` at the best of ``starts`` minimizers found by float64 L-BFGS
    from seeded Gaussian starts (scale 0.3) and refined at ``dps + 10`` digits (Levenberg-
    Marquardt, :func:`~ufm_sym.highprec.refine.refine_critical_point`): no closed form
    is used."""
    from ufm_sym.highprec.evaluate import gradient_norm, num_params, objective, unflatten
    from ufm_sym.highprec.float_start import minimize
    from ufm_sym.highprec.refine import refine_critical_point

    hp = dps + 10
    best: tuple[Any, Any] | None = None
    for k in range(starts):
        rng = np.random.default_rng(seed + 7919 * k)
        res = minimize(problem, 0.3 * rng.standard_normal(num_params(problem)))
        with working_precision(hp):
            start = unflatten(problem, [mpmath.mpf(float(v)) for v in res.x])
            point = refine_critical_point(problem, start, dps=hp).point
            f, gn = objective(problem, point), gradient_norm(problem, point)
        if best is None or f < best[0]:
            best = (f, gn)
    assert best is not None
    return best


def cross_check_global_value(settings: Sequence[Problem] | None = None, dps: int = 50,
                             starts: int = 2, seed: int = 0,
                             closed_form: Any = None) -> list[CrossCheckRow]:
    """One :class:`CrossCheckRow` per setting (default :func:`default_settings`): cvxpy
    on ``F``, its mpmath bracket, the closed form and L-BFGS from random starts, with
    :data:`TOLERANCE_RULE` deciding ``agree``.  ``closed_form(problem, dps)`` overrides
    :func:`ufm_sym.closed_form.global_value` (for wrong-variant tests).

    Costs about 1 s per setting (cvxpy 0.1 s, L-BFGS and the refinement the rest) at
    ``dps = 50``, ``starts = 2``.
    """
    from ufm_sym.closed_form import global_value

    cf = global_value if closed_form is None else closed_form
    rows = []
    for p in (default_settings() if settings is None else settings):
        t0 = time.perf_counter()
        sol = solve_relaxation(p, dps=dps)
        fl, gn = lbfgs_global_value(p, dps=dps, starts=starts, seed=seed)
        with working_precision(dps):
            fstar = cf(p, dps=dps)
            widen = mpmath.mpf(10) ** (-(dps - 10)) * max(1, abs(fstar))
            lo, hi = sol.lower - widen, sol.upper + widen
            closed_in, lbfgs_in = bool(lo <= fstar <= hi), bool(lo <= fl <= hi)
            d_solver = _digits(sol.value - fstar, fstar, dps)
            d_lbfgs = _digits(fl - fstar, fstar, dps)
            d_bracket = _digits(sol.upper - sol.lower, fstar, dps)
            agree = (closed_in and lbfgs_in
                     and abs(sol.value - fstar) <= SOLVER_TOLERANCE * max(1, abs(fstar))
                     and abs(fl - fstar) <= widen
                     and gn <= mpmath.mpf(10) ** -(dps - 5))
        rows.append(CrossCheckRow(
            problem=p, solution=sol, closed_form=fstar, lbfgs_value=fl,
            lbfgs_gradient_norm=gn, lbfgs_starts=starts, digits_solver=d_solver,
            digits_bracket=d_bracket, digits_lbfgs=d_lbfgs, closed_in_bracket=closed_in,
            lbfgs_in_bracket=lbfgs_in, agree=bool(agree), seconds=time.perf_counter() - t0))
    return rows


def cross_check_evidence(rows: Sequence[CrossCheckRow]) -> Evidence:
    """The rows of :func:`cross_check_global_value` as ``high-precision`` evidence
    (the brackets and the refined L-BFGS values are mpmath at ``dps``): passed when
    every row agrees by :data:`TOLERANCE_RULE` and there is at least one; ``digits`` is
    the fewest digits by which cvxpy agrees with the closed form, ``residual`` the
    largest ``|cvxpy - f*|``.

    >>> from ufm_sym import Problem
    >>> rows = cross_check_global_value([Problem(loss="mse", K=2, n=1, lambda_W="0.1",
    ...                                          lambda_H="0.1")], dps=30, starts=1)
    >>> ev = cross_check_evidence(rows)
    >>> ev.passed, ev.samples, ev.digits >= 8
    (True, 1, True)
    """
    if not rows:
        return Evidence("high-precision", False, None, None, 0, "no setting was cross-checked")
    bad = [r.problem.describe() for r in rows if not r.agree]
    worst = max(abs(r.solution.value - float(r.closed_form)) for r in rows)
    detail = (f"f* of {len(rows)} settings: cvxpy (Clarabel) on the convex relaxation, its "
              f"mpmath bracket [L, F] at dps {rows[0].solution.dps}, the closed form and "
              f"L-BFGS from {rows[0].lbfgs_starts} random start(s) refined; cvxpy agrees "
              f"to >= {min(r.digits_solver for r in rows)} digits, L-BFGS to >= "
              f"{min(r.digits_lbfgs for r in rows)}; rule: {TOLERANCE_RULE}")
    if bad:
        detail += "; DISAGREE at " + "; ".join(bad)
    return Evidence("high-precision", not bad, f"{worst:.2e}",
                    min(r.digits_solver for r in rows), len(rows), detail)
