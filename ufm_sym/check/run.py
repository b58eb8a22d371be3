"""Run a check: the settings, the sampled points, the residuals, the symbolic proof."""

from __future__ import annotations

import time
from typing import Any

import mpmath
import numpy as np

from ufm_sym.check.evaluate import environment, evaluate_residual, relation_holds, tolerance
from ufm_sym.check.parse import AT_CHOICES, RANDOM_POINTS, parse_expression
from ufm_sym.check.prove import prove_symbolically
from ufm_sym.check.report import CheckReport, PointResidual
from ufm_sym.model import Problem, UFMInputError


def check_settings(loss: str, K: int | None = None, n: int | None = None, *,
                   lambda_W: Any = None, lambda_H: Any = None, lambda_b: Any = None,
                   d: int | None = None) -> tuple[Problem, ...]:
    """The settings of a check: with ``K``/``n`` (defaults 3 and 2 when one is given)
    one problem per regime of that size; otherwise the default
    :func:`~ufm_sym.highprec.families.sample_settings` of the loss.  A given
    ``lambda_W``, ``lambda_H``, ``lambda_b`` or ``d`` replaces that value in every
    setting (settings that become equal are kept once).

    >>> from ufm_sym.closed_form import regime
    >>> [regime(p) for p in check_settings("mse", K=3, n=1)]
    ['A', 'B', 'C', 'zero']
    >>> {str(p.lambda_b) for p in check_settings("ce", lambda_b=0)}
    {'0'}
    """
    base = _base_settings(loss, K, n)
    fixed = {k: v for k, v in (("lambda_W", lambda_W), ("lambda_H", lambda_H),
                               ("lambda_b", lambda_b), ("d", d)) if v is not None}
    if not fixed:
        return base
    out: list[Problem] = []
    for p in base:
        args = {"loss": p.loss, "K": p.K, "n": p.n, "d": p.d, "lambda_W": p.lambda_W,
                "lambda_H": p.lambda_H, "lambda_b": p.lambda_b, **fixed}
        q = Problem(**args)
        if q not in out:
            out.append(q)
    return tuple(out)


def _base_settings(loss: str, K: int | None, n: int | None) -> tuple[Problem, ...]:
    from ufm_sym.closed_form import regime
    from ufm_sym.highprec.families import sample_settings

    if loss not in ("ce", "mse"):
        raise UFMInputError(f"--loss: unknown loss {loss!r} (expected ce or mse)")
    if K is None and n is None:
        return tuple(p for p in sample_settings() if p.loss == loss)
    K = 3 if K is None else K
    n = 2 if n is None else n
    if loss == "ce":
        lams = [("1/100", "1/100", "1/100"), ("1/200", "1/100", "0"), ("1", "1", "1/10")]
    else:
        lams = [("1/100", "1/100", "0"), ("1/100", "1/100", "1/100"), ("1/100", "1/100", "1"),
                ("1", "1", "0")]
    out: list[Problem] = []
    seen: set[str] = set()
    for lw, lh, lb in lams:
        p = Problem(loss=loss, K=K, n=n, lambda_W=lw, lambda_H=lh, lambda_b=lb)
        reg = regime(p)
        if loss == "mse" and reg in seen:
            continue
        seen.add(reg)
        out.append(p)
    return tuple(out)


def _setting_name(p: Problem) -> str:
    return (f"{p.loss.upper()} K={p.K} n={p.n} lW={p.lambda_W} lH={p.lambda_H} "
            f"lb={p.lambda_b}")


def _sample_points(problem: Problem, at: str, dps: int, seed: int
                   ) -> list[tuple[str, str, Any]]:
    """``(family, kind, point)`` for one setting."""
    if at == "random":
        from ufm_sym.highprec.evaluate import to_mp_point

        rng = np.random.default_rng(seed)
        out = []
        K, d, N = problem.K, problem.d, problem.N
        for i in range(RANDOM_POINTS):
            W = (0.7 * rng.normal(size=(K, d))).tolist()
            H = (0.7 * rng.normal(size=(d, N))).tolist()
            b = (0.3 * rng.normal(size=K)).tolist()
            out.append((f"random-{i}", "random", to_mp_point(problem, W, H, b, dps=dps)))
        return out
    from ufm_sym.highprec.families import critical_points

    kinds = {"critical": ("global_min", "origin", "saddle"), "global": ("global_min",),
             "saddle": ("origin", "saddle")}[at]
    recs = critical_points(problem, kinds=kinds, dps=max(60, dps + 10), seed=seed)
    if at == "saddle":
        recs = tuple(r for r in recs if not r.is_global_min)
    return [(r.family, r.kind if r.kind != "origin" or r.is_global_min else "origin (C2)",
             r.point) for r in recs]


def check_identity(expression: str, loss: str | None = None, at: str = "critical",
                   K: int | None = None, n: int | None = None, dps: int = 50, seed: int = 0,
                   *, lambda_W: Any = None, lambda_H: Any = None, lambda_b: Any = None,
                   d: int | None = None, point: Any = None) -> CheckReport:
    """Check ``expression`` (an identity, an inequality, or an expression compared with 0)
    numerically at sampled points and try a symbolic proof.

    ``lambda_W``, ``lambda_H``, ``lambda_b``, ``d`` fix those values in every setting.
    ``point``: check at this one point instead: a :class:`~ufm_sym.pointio.PointFile`
    (what ``--point POINT.json`` reads) or a pair ``(problem, (W, H, b))``; the point is
    judged as :func:`ufm_sym.classify` judges it, at ``D = min(dps, max(15, input
    digits))`` digits (float entries carry their shortest round-trip digits) with its
    margin ``10^-(D - 5) max(1, ||x||_F) max(1, ||hess f||_F)`` as the tolerance.

    >>> r = check_identity("ones_K.T@G == 0*ones_N.T", "ce", at="random", K=2, n=1, dps=30)
    >>> r.holds, len(r.points), r.symbolic.proved
    (True, 9, True)
    >>> check_identity("lambda_W*W.T@W == -lambda_H*H@H.T", "mse", at="global", K=2, n=1,
    ...                dps=30).holds
    False
    >>> check_identity("norm(G, 2) <= sqrt(lambda_W*lambda_H)", "ce", at="global", K=2, n=1,
    ...                dps=30).holds
    True
    """
    t0 = time.perf_counter()
    if at not in AT_CHOICES:
        raise UFMInputError(f"--at: unknown choice {at!r} (expected one of: "
                            f"{', '.join(AT_CHOICES)})")
    from ufm_sym.precision import check_dps

    check_dps(dps)
    parsed = parse_expression(expression)
    if point is not None:
        return _check_at_point(parsed, loss, point, dps, seed, t0)
    if loss is None:
        raise UFMInputError("--loss: needed (ce or mse) unless --point gives the problem")
    settings = check_settings(loss, K, n, lambda_W=lambda_W, lambda_H=lambda_H,
                              lambda_b=lambda_b, d=d)
    tol = tolerance(dps)
    from ufm_sym.closed_form import regime

    results: list[PointResidual] = []
    for problem in settings:
        name = _setting_name(problem)
        for family, kind, x in _sample_points(problem, at, dps, seed):
            results.append(_residual_at(parsed, problem, x, dps, tol, name, regime(problem),
                                        family, kind))
    if not results:
        raise UFMInputError(f"--at {at}: no such points in these settings")
    proof = prove_symbolically(parsed, loss)
    return CheckReport(seed=seed, expression=parsed.text, loss=loss, at=at, dps=dps,
                       tolerance=tol, points=tuple(results), symbolic=proof,
                       settings=tuple(_setting_name(p) for p in settings),
                       seconds=time.perf_counter() - t0, relation=parsed.relation)


def _residual_at(parsed: Any, problem: Problem, x: Any, dps: int, tol: Any, name: str,
                 reg: str, family: str, kind: str) -> PointResidual:
    env = environment(problem, x, dps)
    try:
        rel, ab, scale = evaluate_residual(parsed, env, dps)
    except UFMInputError as exc:
        raise UFMInputError(f"{exc} (at {name}, {family})") from None
    with mpmath.workdps(dps):
        size = abs(rel)
        digits = float(dps) if size == 0 else float(min(dps, -mpmath.log10(size)))
    return PointResidual(setting=name, regime=reg, family=family, kind=kind, relative=rel,
                         absolute=ab, scale=scale, digits=digits,
                         holds=relation_holds(parsed, rel, tol))


def _check_at_point(parsed: Any, loss: str | None, point: Any, dps: int, seed: int,
                    t0: float) -> CheckReport:
    """The check at the user's point, with the margin of :func:`ufm_sym.classify`."""
    from ufm_sym.closed_form import regime
    from ufm_sym.highprec.evaluate import hessian_matrix, to_mp_point
    from ufm_sym.landscape import precision_for
    from ufm_sym.pointio import PointFile, point_digits

    if isinstance(point, PointFile):
        problem, entries, digits = point.problem, (point.W, point.H, point.b), \
            point.input_digits
        where = point.source
    else:
        try:
            problem, entries = point
        except (TypeError, ValueError):
            raise UFMInputError("point: expected a PointFile or (problem, (W, H, b))") from None
        digits = point_digits(entries)
        where = "the point"
    if not isinstance(problem, Problem):
        raise UFMInputError("point: expected a PointFile or (problem, (W, H, b))")
    if loss is not None and loss != problem.loss:
        raise UFMInputError(f"--loss: {loss!r} but {where} is a {problem.loss} point")
    with mpmath.workdps(dps):
        x = to_mp_point(problem, *entries, dps=dps)
        norm_x = float(mpmath.sqrt(mpmath.fsum(mpmath.norm(M, 2) ** 2 for M in x)))
        norm_A = float(mpmath.norm(hessian_matrix(problem, x), 2))   # Frobenius
    prec = precision_for(dps, digits, norm_x, norm_A)
    name = f"{where} ({_setting_name(problem)})"
    res = _residual_at(parsed, problem, x, dps, prec.margin, name, regime(problem),
                       "user point", "given")
    proof = prove_symbolically(parsed, problem.loss)
    return CheckReport(seed=seed, expression=parsed.text, loss=problem.loss, at="point",
                       dps=dps, tolerance=prec.margin, points=(res,), symbolic=proof,
                       settings=(_setting_name(problem),), seconds=time.perf_counter() - t0,
                       relation=parsed.relation, tolerance_rule=prec.rule)
