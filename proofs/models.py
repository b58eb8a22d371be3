"""The models (1.3) and (1.4) and their derivatives, checked four ways.

For each loss, the claim ``eq:1.3`` (CE) / ``eq:1.4`` (MSE) states the objective
``f = g(W H + b 1_N^T) + penalties``.  Its evidence is the four-way cross-check of the
derivation engine:

* ``symbolic``: the index-free gradient and Hessian form (derived by expanding
  ``f(X + t D)`` in ``t`` with ``g`` abstract) agree exactly with ``sympy.diff`` and
  ``sympy.hessian`` of the explicit loss, for ``K = d`` in {2, 3} and ``n`` in {1, 2};
* ``high-precision``: the derived gradient and Hessian form, evaluated in mpmath at
  50 digits, agree with central finite differences of the objective to >= 30 digits;
* ``numeric``: the derived gradient and Hessian form, evaluated in float64, agree with
  the 50-digit values at random points, ``K = d`` from 2 to 10.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from ufm_sym.claims import Evidence, Registry, VerifyContext
from ufm_sym.model import Problem
from ufm_sym_proofs._common import derivation, float_to_mp_point, random_points

SYMBOLIC_SIZES: tuple[tuple[int, int], ...] = ((2, 1), (2, 2), (3, 1), (3, 2))


def _problems(loss: str) -> list[Problem]:
    return [
        Problem(loss, K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3"),
        Problem(loss, K=3, n=2, lambda_W="1e-2", lambda_H="5e-3", lambda_b=0),
    ]


def symbolic_cross_check(loss: str, derived: Any = None) -> Evidence:
    """Index-free vs explicit route, every size, every component."""
    from ufm_sym.symbolic.cross_check import cross_check

    failures, count = [], 0
    for K, n in SYMBOLIC_SIZES:
        for res in cross_check(loss, K, n, derivation=derived):
            count += 1
            if not res.passed:
                failures.append(f"{res.name} at K={K}, n={n}: {res.detail or res.residual}")
    detail = (f"index-free gradient (3.2)-(3.3) and Hessian form (3.9) = sympy.diff / "
              f"sympy.hessian of the explicit {loss.upper()} loss, K = d in {{2, 3}}, "
              f"n in {{1, 2}}, {count} comparisons")
    if failures:
        detail += "; FAILED: " + "; ".join(failures[:3])
    return Evidence("symbolic", not failures, "exact" if not failures else "nonzero", None,
                    count, detail)


def high_precision_fd(ctx: VerifyContext, loss: str, derived: Any = None) -> Evidence:
    """The derived gradient and Hessian form against finite differences of f evaluated at
    raised precision with Richardson extrapolation
    (:func:`ufm_sym.highprec.finite_diff.fd_gradient_agreement` and
    :func:`~ufm_sym.highprec.finite_diff.fd_hessian_form_agreement`), at random points and
    random directions, relative error against 10^-(dps-5)."""
    from ufm_sym.highprec.finite_diff import fd_gradient_agreement, fd_hessian_form_agreement

    worst = mpmath.mpf(0)
    samples = 0
    plan = ""
    with mpmath.workdps(ctx.dps):
        for j, p in enumerate(_problems(loss)):
            x_f, d_f = random_points(p, 2, ctx.seed + 17 * j, scale=0.7)
            x = float_to_mp_point(p, x_f)
            dirn = float_to_mp_point(p, d_f)
            err_g, _ = fd_gradient_agreement(p, x, ctx.dps, derivation=derived)
            agree = fd_hessian_form_agreement(p, x, dirn, ctx.dps, derivation=derived)
            est = agree.finite_difference
            plan = (f"step {mpmath.nstr(est.step, 3)}, {est.internal_dps} internal digits, "
                    f"{est.levels} Richardson levels")
            worst = max(worst, err_g, agree.relative_error)
            samples += 1
        return Evidence.from_residual(
            "high-precision", worst, C_hp_tolerance(ctx), samples,
            f"derived gradient and Hessian form (mpmath, dps {ctx.dps}) vs finite differences "
            f"of f ({plan}), relative error")


def C_hp_tolerance(ctx: VerifyContext) -> Any:
    """10^-(dps-5): 45 digits at dps 50."""
    return mpmath.mpf(10) ** -(ctx.dps - 5)


def float64_leg(ctx: VerifyContext, loss: str, derived: Any = None) -> Evidence:
    """The derived gradient, Hessian-vector product and form in float64 against an
    independent derivative of f (PyTorch autograd of f written in torch when torch is
    installed, else 8th-order central differences), K = d = 2..10."""
    from ufm_sym.numeric.autodiff import compare_with_derived

    worst, tol, method, samples = 0.0, 0.0, "", 0
    for K in range(2, 11):
        p = Problem(loss, K=K, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b="1e-3")
        x_f, d_f = random_points(p, 2, ctx.seed + K, scale=0.5)
        cmp = compare_with_derived(p, x_f, d_f, backend="auto", derivation=derived)
        worst, tol, method = max(worst, cmp.worst), cmp.tolerance, cmp.method
        samples += 1
    return Evidence.from_residual(
        "numeric", worst, tol, samples,
        f"derived gradient, HVP and Hessian form in float64 vs {method}, K = d = 2..10, "
        "relative error")


def per_sample_objective(problem: Problem, point: Any) -> Any:
    """f written sample by sample as in (1.1)-(1.4), in mpmath at the current precision:
    (1/N) sum over classes k and samples i of the loss of ``W h_{k,i} + b`` against the
    one-hot ``y_k`` (CE: ``log sum_l exp(r_l) - r_k``; MSE: ``||r - y_k||^2 / 2``), plus
    ``lambda/2`` times each squared norm.  It is written here independently of the
    engine's matrix form, so that evaluating the statement ``f = g(W H + b 1^T) +
    penalties`` compares two different computations of the same number."""
    W, H, b = point
    lw, lh, lb = problem.mp_lambdas()
    total = mpmath.mpf(0)
    for k in range(problem.K):
        for i in range(problem.n):
            h = H[:, k * problem.n + i]
            r = [mpmath.fsum(W[l, j] * h[j] for j in range(problem.d)) + b[l]
                 for l in range(problem.K)]
            if problem.loss == "ce":
                top = max(r)
                total += top + mpmath.log(mpmath.fsum(mpmath.exp(x - top) for x in r)) - r[k]
            else:
                total += mpmath.fsum((x - (1 if l == k else 0)) ** 2
                                     for l, x in enumerate(r)) / 2
    sq = lambda M: mpmath.fsum(x ** 2 for x in M)  # noqa: E731
    return (total / problem.N + lw * sq(W) / 2 + lh * sq(H) / 2 + lb * sq(b) / 2)


def objective_statement_evidence(claim: Any, ctx: VerifyContext, loss: str) -> Evidence:
    """The statement ``f = g(W H + b 1^T) + lambda_W/2 ||W||^2 + ...`` at random points:
    the left side by :func:`per_sample_objective`, the right side evaluated as printed
    (``g`` the engine's data term at ``R``)."""
    from ufm_sym.highprec.evaluate import _g_value, _matrix_rows

    def make_envs() -> list[Any]:
        envs = []
        with mpmath.workdps(ctx.dps):
            for j, p in enumerate(_problems(loss)):
                for m, x_f in enumerate(random_points(p, 2, ctx.seed + 29 * j, scale=0.8)):
                    x = float_to_mp_point(p, x_f)
                    lw, lh, lb = p.mp_lambdas()
                    env = {"f": per_sample_objective(p, x), "W": x[0], "H": x[1], "b": x[2],
                           "lambda_W": lw, "lambda_H": lh, "lambda_b": lb}

                    def loss_g(R: Any, p: Any = p) -> Any:
                        return _g_value(p, _matrix_rows(R))

                    envs.append((f"{p.describe()} point {m}", env, {"loss_g": loss_g}))
        return envs

    from ufm_sym_proofs._common import hp_margins, statement_truth_evidence

    return statement_truth_evidence(ctx, claim, make_envs, "f sample by sample ((1.1)-(1.4)) "
                                    "against the statement's right side at random points",
                                    margin=hp_margins(ctx))


def register(registry: Registry) -> None:
    D = derivation()
    f = sp.Symbol("f")
    for loss, label, title in (
        ("ce", "eq:1.3", "the cross-entropy UFM and its derivatives"),
        ("mse", "eq:1.4", "the MSE UFM and its derivatives"),
    ):
        claim = registry.claim(
            label, title, kind="model", section="1",
            statement=sp.Eq(f, D.objective, evaluate=False),
            derivation=[
                ("first variation d/dt f(X + t D) at t = 0", D.first_variation),
                ("gradient in W", D.grad_W), ("gradient in H", D.grad_H),
                ("gradient in b", D.grad_b),
                ("Hessian bilinear form d^2/dt^2 f(X + t D) at t = 0", D.hessian_form),
            ],
        )
        claim.check("symbolic")(lambda claim, ctx, loss=loss: symbolic_cross_check(loss))
        claim.check("high-precision")(lambda claim, ctx, loss=loss: objective_statement_evidence(
            claim, ctx, loss))
        claim.check("high-precision")(lambda claim, ctx, loss=loss: high_precision_fd(ctx, loss))
        claim.check("numeric")(lambda claim, ctx, loss=loss: float64_leg(ctx, loss))

    c = registry.claim(
        "hyp:dimension", "the hypothesis of Theorems 1.1 and 1.2: feature dimension d = K classes",
        title_tex="the hypothesis of Theorems 1.1 and 1.2: feature dimension $d=K$ classes",
        kind="assumption", section="1", statement=sp.Eq(D.d, D.K, evaluate=False))
    c.check("high-precision")(hypothesis_evidence)


def hypothesis_evidence(claim: Any, ctx: VerifyContext) -> Evidence:
    """The hypothesis holds for every setting whose points the claims that use it are
    checked at (the high-precision critical points and the float64 samples of both
    losses): the statement evaluated at each setting's sizes."""
    from ufm_sym.highprec.families import sample_settings
    from ufm_sym.symbolic.truth import truth
    from ufm_sym_proofs.numeric_evidence import numeric_settings

    settings = list(dict.fromkeys([*sample_settings(), *numeric_settings("ce"),
                                   *numeric_settings("mse")]))
    bad = [p.describe() for p in settings
           if not truth(claim.statement, {"d": p.d, "K": p.K}, 0).holds]
    return Evidence("high-precision", not bad and bool(settings), None, None, len(settings),
                    f"the statement holds for each of the {len(settings)} settings the "
                    "theorems are checked at" + (f"; FAILS for {bad[0]}" if bad else ""))
