"""Run a check: the settings, the sampled points, the residuals, the symbolic proof."""

from __future__ import annotations

import time
from typing import Any

import mpmath
import numpy as np

from ufm_sym.check.evaluate import environment, evaluate_residual, tolerance
from ufm_sym.check.parse import AT_CHOICES, RANDOM_POINTS, parse_expression
from ufm_sym.check.prove import prove_symbolically
from ufm_sym.check.report import CheckReport, PointResidual
from ufm_sym.model import Problem, UFMInputError


def check_settings(loss: str, K: int | None = None, n: int | None = None
                   ) -> tuple[Problem, ...]:
    """The settings of a check: with ``K``/``n`` (defaults 3 and 2 when one is given)
    one problem per regime of that size; otherwise the default
    :func:`~ufm_sym.highprec.families.sample_settings` of the loss.

    >>> from ufm_sym.closed_form import regime
    >>> [regime(p) for p in check_settings("mse", K=3, n=1)]
    ['A', 'B', 'C', 'zero']
    """
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


def check_identity(expression: str, loss: str, at: str = "critical", K: int | None = None,
                   n: int | None = None, dps: int = 50, seed: int = 0) -> CheckReport:
    """Check ``expression`` numerically at sampled points and try a symbolic proof.

    >>> r = check_identity("ones_K.T@G == 0*ones_N.T", "ce", at="random", K=2, n=1, dps=30)
    >>> r.holds, len(r.points), r.symbolic.proved
    (True, 9, True)
    >>> check_identity("lambda_W*W.T@W == -lambda_H*H@H.T", "mse", at="global", K=2, n=1,
    ...                dps=30).holds
    False
    """
    t0 = time.perf_counter()
    if at not in AT_CHOICES:
        raise UFMInputError(f"--at: unknown choice {at!r} (expected one of: "
                            f"{', '.join(AT_CHOICES)})")
    from ufm_sym.precision import check_dps

    check_dps(dps)
    parsed = parse_expression(expression)
    settings = check_settings(loss, K, n)
    tol = tolerance(dps)
    from ufm_sym.closed_form import regime

    results: list[PointResidual] = []
    for problem in settings:
        name = _setting_name(problem)
        for family, kind, point in _sample_points(problem, at, dps, seed):
            env = environment(problem, point, dps)
            try:
                rel, ab, scale = evaluate_residual(parsed, env, dps)
            except UFMInputError as exc:
                raise UFMInputError(f"{exc} (at {name}, {family})") from None
            with mpmath.workdps(dps):
                digits = float(dps) if rel == 0 else float(min(dps, -mpmath.log10(rel)))
            results.append(PointResidual(setting=name, regime=regime(problem), family=family,
                                         kind=kind, relative=rel, absolute=ab, scale=scale,
                                         digits=digits, holds=bool(rel <= tol)))
    if not results:
        raise UFMInputError(f"--at {at}: no such points in these settings")
    proof = prove_symbolically(parsed, loss)
    return CheckReport(seed=seed, expression=parsed.text, loss=loss, at=at, dps=dps,
                       tolerance=tol,
                       points=tuple(results), symbolic=proof,
                       settings=tuple(_setting_name(p) for p in settings),
                       seconds=time.perf_counter() - t0)
