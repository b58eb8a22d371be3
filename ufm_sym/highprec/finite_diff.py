"""Central finite differences of the objective at high precision, with Richardson
extrapolation: the independent check of the derived gradient and Hessian.

A symmetric stencil has an error expansion in even powers of the step ``h``; from
``D(h), D(h/2), D(h/4), ...`` each Richardson level removes one more power:
``(4^k D(h/2) - D(h)) / (4^k - 1)``.  With ``L`` levels the truncation error is
``O(h^(2L+2))`` and the rounding error ``O(eps / h^m)`` (``m`` = derivative order), so
the default step is ``h = eps^(1/(2L+2+m))``: at 50 digits and ``L = 2`` the first
derivative is good to about 43 digits and the second to about 37.

The *precise* variants (:func:`fd_directional_precise`, :func:`fd_hessian_form_agreement`,
:func:`fd_gradient_agreement`) remove the rounding limit by evaluating ``f`` above the
working precision: aimed at ``dps + 10`` digits with ``L = 4`` levels, the step is
``h = 10^-((dps + 10)/10) / max(1, ||D||)`` and the internal precision
``dps + 10 + order * log10(1/h) + 10`` (82 to 84 digits at dps 50).  At dps 50 the
derived Hessian form then agrees to 49-52 digits at every default critical point.

>>> import mpmath
>>> val, err = derivative(mpmath.exp, order=2, dps=50)
>>> abs(val - 1) < mpmath.mpf(10) ** -35, err < mpmath.mpf(10) ** -20
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath

from ufm_sym.highprec.evaluate import (
    Point,
    _flatten_rows,
    _gradient_rows,
    _objective_rows,
    _point_to_rows,
    _rows_to_point,
    _unflatten_rows,
    working_precision,
)
from ufm_sym.model import Problem

__all__ = [
    "FDAgreement",
    "FDEstimate",
    "default_step",
    "derivative",
    "digits_of_agreement",
    "fd_directional",
    "fd_directional_precise",
    "fd_gradient",
    "fd_gradient_agreement",
    "fd_hessian_form_agreement",
    "fd_hessian_vector_product",
    "precise_plan",
    "richardson",
]


def default_step(order: int, levels: int, dps: int) -> Any:
    """``10^(-dps / (2 levels + 2 + order))``: balances truncation against rounding.

    >>> default_step(1, 2, 49)
    mpf('1.0e-7')
    """
    with mpmath.workdps(dps):
        return mpmath.mpf(10) ** (-mpmath.mpf(dps) / (2 * levels + 2 + order))


def richardson(values: list[Any]) -> tuple[Any, Any]:
    """Extrapolate ``D(h), D(h/2), D(h/4), ...`` of a symmetric (even-power) stencil;
    returns ``(estimate, |estimate - best of the previous level|)``: a pessimistic error
    estimate (it is the previous level's error, not the final one's).

    >>> import mpmath
    >>> D = [mpmath.mpf(1) + h ** 2 + h ** 4 for h in (mpmath.mpf(1), mpmath.mpf(1) / 2,
    ...                                              mpmath.mpf(1) / 4)]
    >>> richardson(D)
    (mpf('1.0'), mpf('0.015625'))
    """
    table = [list(values)]
    for k in range(1, len(values)):
        prev = table[-1]
        f = mpmath.mpf(4) ** k
        table.append([(f * prev[i + 1] - prev[i]) / (f - 1) for i in range(len(prev) - 1)])
    est = table[-1][0]
    err = abs(est - table[-2][-1]) if len(table) > 1 else mpmath.inf
    return est, err


def derivative(phi: Callable[[Any], Any], order: int = 1, step: Any = None, levels: int = 2,
               dps: int | None = None) -> tuple[Any, Any]:
    """``phi'(0)`` (``order=1``, stencil ``(phi(h) - phi(-h)) / 2h``) or ``phi''(0)``
    (``order=2``, ``(phi(h) - 2 phi(0) + phi(-h)) / h^2``) with ``levels`` Richardson
    levels; returns ``(value, error estimate)``.

    >>> import mpmath
    >>> val, err = derivative(mpmath.sin, order=1, dps=40)
    >>> abs(val - 1) < mpmath.mpf(10) ** -30
    True
    """
    if order not in (1, 2):
        raise ValueError("order must be 1 or 2")
    with working_precision(dps):
        h = default_step(order, levels, mpmath.mp.dps) if step is None else mpmath.mpf(step)
        f0 = phi(mpmath.mpf(0)) if order == 2 else None
        vals = []
        for k in range(levels + 1):
            hk = h / 2 ** k
            fp, fm = phi(hk), phi(-hk)
            if order == 1:
                vals.append((fp - fm) / (2 * hk))
            else:
                vals.append((fp - 2 * f0 + fm) / hk ** 2)
        return richardson(vals)


def _line(problem: Problem, x: list[Any], v: list[Any],
          fn: Callable[[Problem, Any], Any]) -> Callable[[Any], Any]:
    def phi(t: Any) -> Any:
        return fn(problem, _unflatten_rows(problem, [a + t * b for a, b in
                                                     zip(x, v, strict=True)]))
    return phi


def fd_directional(problem: Problem, point: Point, direction: Point, order: int = 1,
                   dps: int = 50, step: Any = None, levels: int = 2) -> tuple[Any, Any]:
    """``d/dt f(x + t D)`` (order 1) or ``d^2/dt^2 f(x + t D)`` (order 2) at ``t = 0``,
    from objective values only; returns ``(value, error estimate)``.

    >>> import mpmath
    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point, hessian_form
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [1, -1])
    >>> D = to_mp_point(p, [[1, 0], [0, 1]], [[0, 1], [1, 0]], [1, 1])
    >>> val, err = fd_directional(p, x, D, order=2, dps=50)
    >>> abs(val - hessian_form(p, x, D, dps=50)) < mpmath.mpf(10) ** -30
    True
    """
    with working_precision(dps):
        x = _flatten_rows(_point_to_rows(point))
        v = _flatten_rows(_point_to_rows(direction))
        return derivative(_line(problem, x, v, _objective_rows), order=order, step=step,
                          levels=levels)


def fd_gradient(problem: Problem, point: Point, dps: int = 50, step: Any = None,
                levels: int = 2) -> tuple[Point, Any]:
    """The gradient from 1-D central differences of the objective along each
    coordinate; returns ``(gradient as a point, largest error estimate)``.

    >>> import mpmath
    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point, gradient, flatten
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [1, -1])
    >>> g_fd, err = fd_gradient(p, x, dps=50)
    >>> g = gradient(p, x, dps=50)
    >>> max(abs(a - b) for a, b in zip(flatten(g_fd), flatten(g))) < mpmath.mpf(10) ** -30
    True
    """
    with working_precision(dps):
        x = _flatten_rows(_point_to_rows(point))
        out, worst = [], mpmath.mpf(0)
        for i in range(len(x)):
            e = [mpmath.mpf(0)] * len(x)
            e[i] = mpmath.mpf(1)
            val, err = derivative(_line(problem, x, e, _objective_rows), order=1, step=step,
                                  levels=levels)
            out.append(val)
            worst = max(worst, err)
        return _rows_to_point(_unflatten_rows(problem, out)), worst


def fd_hessian_vector_product(problem: Problem, point: Point, direction: Point,
                              dps: int = 50, step: Any = None,
                              levels: int = 2) -> tuple[Point, Any]:
    """``d/dt grad f(x + t D)`` at ``t = 0`` by central differences of the (derived)
    gradient: checks the Hessian against the gradient; returns ``(HVP, error est.)``.

    >>> import mpmath
    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point, hessian_vector_product, flatten
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.2")
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [1, -1])
    >>> D = to_mp_point(p, [[1, 0], [0, 1]], [[0, 1], [1, 0]], [1, 1])
    >>> v_fd, err = fd_hessian_vector_product(p, x, D, dps=50)
    >>> v = hessian_vector_product(p, x, D, dps=50)
    >>> max(abs(a - b) for a, b in zip(flatten(v_fd), flatten(v))) < mpmath.mpf(10) ** -30
    True
    """
    with working_precision(dps):
        x = _flatten_rows(_point_to_rows(point))
        v = _flatten_rows(_point_to_rows(direction))
        h = default_step(1, levels, mpmath.mp.dps) if step is None else mpmath.mpf(step)

        def grad_at(t: Any) -> list[Any]:
            y = [a + t * b for a, b in zip(x, v, strict=True)]
            return _flatten_rows(_gradient_rows(problem, _unflatten_rows(problem, y)))

        cols = []
        for k in range(levels + 1):
            hk = h / 2 ** k
            gp, gm = grad_at(hk), grad_at(-hk)
            cols.append([(a - b) / (2 * hk) for a, b in zip(gp, gm, strict=True)])
        out, worst = [], mpmath.mpf(0)
        for i in range(len(x)):
            val, err = richardson([c[i] for c in cols])
            out.append(val)
            worst = max(worst, err)
        return _rows_to_point(_unflatten_rows(problem, out)), worst


def digits_of_agreement(a: Any, b: Any) -> float:
    """``-log10(|a - b| / max(1, |b|))`` (``inf`` when equal): the digits two numbers
    share, measured absolutely for ``|b| < 1``.

    >>> import mpmath
    >>> round(digits_of_agreement(mpmath.mpf("1.0001"), 1), 6)
    4.0
    """
    diff = abs(mpmath.mpf(a) - mpmath.mpf(b))
    if diff == 0:
        return float("inf")
    return float(-mpmath.log10(diff / max(mpmath.mpf(1), abs(mpmath.mpf(b)))))


# ------------------------------------------------- precise second derivatives
@dataclass(frozen=True)
class FDEstimate:
    """A finite-difference derivative computed above the working precision.

    ``value`` is the Richardson-extrapolated central difference, ``error_estimate`` the
    difference between the last two Richardson levels (pessimistic), ``step`` the
    largest step ``h`` (the others are ``h/2, ..., h/2^levels``), ``internal_dps`` the
    precision of every evaluation of ``f``, ``evaluations`` how many values of ``f``
    were computed.
    """

    value: Any
    error_estimate: Any
    order: int
    step: Any
    levels: int
    internal_dps: int
    target_digits: int
    evaluations: int


def precise_plan(order: int, target_digits: int, levels: int = 4,
                 scale: Any = 1) -> tuple[Any, int]:
    """``(h, internal_dps)`` for a central difference of ``order`` with ``levels``
    Richardson levels aimed at ``target_digits``: truncation ``(h scale)^(2 levels + 2)``
    and rounding ``10^-internal_dps / h^order`` both below ``10^-target_digits``, with
    ``h = 10^-(target / (2 levels + 2)) / scale`` and ``internal_dps = target + order
    log10(1/h) + 10``.  ``scale`` is the size of the direction (``h`` shrinks with it).

    >>> h, p = precise_plan(2, 60, levels=4)
    >>> mpmath.nstr(h, 3), p
    ('1.0e-6', 82)
    """
    if order not in (1, 2):
        raise ValueError("order must be 1 or 2")
    if levels < 1:
        raise ValueError("levels must be >= 1")
    with mpmath.workdps(30):
        scale = max(mpmath.mpf(1), mpmath.mpf(scale))
        h = mpmath.mpf(10) ** (-mpmath.mpf(target_digits) / (2 * levels + 2)) / scale
        internal = int(target_digits + order * mpmath.ceil(-mpmath.log10(h)) + 10)
        return +h, internal


def fd_directional_precise(problem: Problem, point: Point, direction: Point, order: int = 2,
                           dps: int = 50, levels: int = 4, target_digits: int | None = None,
                           ) -> FDEstimate:
    """``d/dt`` (order 1) or ``d^2/dt^2`` (order 2) of ``f(x + t D)`` at ``t = 0`` from
    objective values evaluated at a raised internal precision (:func:`precise_plan`,
    aimed at ``target_digits``, default ``dps + 10``), with ``levels`` Richardson levels;
    the value keeps the internal precision (round it with ``+value`` under ``dps``).

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point, hessian_form
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [1, -1])
    >>> D = to_mp_point(p, [[1, 0], [0, 1]], [[0, 1], [1, 0]], [1, 1])
    >>> est = fd_directional_precise(p, x, D, order=2, dps=50)
    >>> est.internal_dps, est.evaluations
    (84, 11)
    >>> digits_of_agreement(est.value, hessian_form(p, x, D, dps=50)) > 48
    True
    """
    target = dps + 10 if target_digits is None else int(target_digits)
    with working_precision(dps):
        v0 = _flatten_rows(_point_to_rows(direction))
        size = mpmath.sqrt(mpmath.fdot(v0, v0))
    h, internal = precise_plan(order, target, levels, size)
    with mpmath.workdps(internal):
        x = _flatten_rows(_point_to_rows(point))
        v = _flatten_rows(_point_to_rows(direction))
        value, err = derivative(_line(problem, x, v, _objective_rows), order=order, step=h,
                                levels=levels)
        return FDEstimate(value, err, order, h, levels, internal, target,
                          2 * (levels + 1) + (1 if order == 2 else 0))


@dataclass(frozen=True)
class FDAgreement:
    """How well a (derived) Hessian form agrees with precise finite differences.

    ``relative_error = |derived - fd| / |fd|`` (the derived value at ``dps``, the finite
    difference and the difference at the internal precision, so the digits measure the
    derived evaluation's own rounding); ``digits = -log10(relative_error)``;
    ``hess_g_part`` is the data-term part ``hess g[D1, D1]`` of the derived form and
    ``first_order_change`` ``||D1||_F`` (nonzero: the ``hess g`` term is exercised).
    """

    relative_error: Any
    digits: float
    derived: Any
    finite_difference: FDEstimate
    hess_g_part: Any
    first_order_change: Any
    dps: int

    def __iter__(self):  # unpacks as (relative_error, digits)
        return iter((self.relative_error, self.digits))


def fd_hessian_form_agreement(problem: Problem, point: Point, direction: Point, dps: int = 50,
                              derivation: Any = None, levels: int = 4) -> FDAgreement:
    """Compare the *derived* Hessian form (:mod:`.derived`, evaluated at ``dps``) along
    ``direction`` with :func:`fd_directional_precise` (order 2, aimed at ``dps + 10``
    digits); unpacks as ``(relative_error, digits)``.

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [1, -1])
    >>> D = to_mp_point(p, [[1, 0], [0, 1]], [[0, 1], [1, 0]], [1, 1])
    >>> err, digits = fd_hessian_form_agreement(p, x, D, dps=50)
    >>> digits >= 45
    True
    """
    from ufm_sym.highprec.derived import DerivedAt
    from ufm_sym.symbolic.evaluate import evaluate_matrix_expr

    fd = fd_directional_precise(problem, point, direction, order=2, dps=dps, levels=levels)
    at = DerivedAt(problem, point, dps, derivation)
    q = at.hessian_form(direction)
    with working_precision(dps):
        env = at._env(direction)
        D1 = evaluate_matrix_expr(at.derivation.first_order_change, env, "mpmath")
        hg = at.hess_g_form(D1, D1)
    with mpmath.workdps(fd.internal_dps):  # the difference itself is not rounded to dps
        diff = abs(q - fd.value)
        rel = diff / abs(fd.value) if fd.value != 0 else (mpmath.inf if diff else mpmath.mpf(0))
        digits = float("inf") if rel == 0 else float(-mpmath.log10(rel))
        return FDAgreement(rel, digits, q, fd, hg, mpmath.mnorm(D1, "f"), dps)


def fd_gradient_agreement(problem: Problem, point: Point, dps: int = 50, derivation: Any = None,
                          levels: int = 4) -> tuple[Any, float]:
    """``(relative error, digits)`` of the *derived* gradient (at ``dps``) against
    :func:`fd_directional_precise` (order 1) along every coordinate: ``max_i |derived_i -
    fd_i| / max(1, max_i |fd_i|)``.  Cost: ``10 P`` objective values at about
    ``dps + 30`` digits (``P`` coordinates).

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [1, -1])
    >>> err, digits = fd_gradient_agreement(p, x, dps=50)
    >>> digits >= 45
    True
    """
    from ufm_sym.highprec.derived import DerivedAt
    from ufm_sym.highprec.evaluate import flatten, num_params

    grad = flatten(DerivedAt(problem, point, dps, derivation).gradient())
    P = num_params(problem)
    fd = []
    for i in range(P):
        e = [mpmath.mpf(0)] * P
        e[i] = mpmath.mpf(1)
        est = fd_directional_precise(problem, point, _rows_to_point(_unflatten_rows(problem, e)),
                                     order=1, dps=dps, levels=levels)
        fd.append(est.value)
    with mpmath.workdps(est.internal_dps):
        scale = max([mpmath.mpf(1)] + [abs(v) for v in fd])
        rel = max(abs(a - b) for a, b in zip(grad, fd, strict=True)) / scale
        return rel, (float("inf") if rel == 0 else float(-mpmath.log10(rel)))
