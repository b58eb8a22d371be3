"""Certified evidence: the claims' statements at true critical points whose existence
and Hessian inertia ball arithmetic proves (:func:`ufm_sym.certify.critical.
certify_critical_point`, docs/certified.md).

At every high-precision record the certificate proves that a critical point ``x*`` lies
within a printed radius, the inertia of the Hessian at ``x*`` (its zero eigenvalues are
exactly the symmetry orbit's dimension; ``lambda_min <= -c < 0`` at a strict saddle;
positive definite on the slice at a minimum), bounds on ``rank W(x*)`` and whether
``||grad g(R(x*))||_2 <= sqrt(lW lH)`` holds.  The checks below evaluate the claim's
own statement with those certified values (never the float ones):

* Theorems 1.1 / 1.2: ``grad f(x*) = 0``; ``lambda_min`` the certified bound (``0`` when
  the certified kernel is the orbit and nothing is negative); ``f(x*) = f*`` where dual
  feasibility is proved (then ``x*`` is a global minimizer by [13, Lemma C.4]);
* Lemma 3.1: ``rank W(x*)`` the certified value (lower bound from the balls, upper
  bound ``K - 1`` from ``1_K^T W(x*) = 0`` at the exact critical point, whose balls are
  checked to contain 0) and ``rank H(x*) = rank W(x*)`` (balance (3.4) at ``x*``);
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from ufm_sym.claims import Claim, Evidence, VerifyContext
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import environments as E


def certificate(rec: Any, ctx: VerifyContext) -> Any:
    """The ball-arithmetic certificate of a record (memoised for the run)."""
    from ufm_sym.certify.critical import certify_critical_point

    return ctx.memo(("certificate", id(rec), ctx.dps),
                    lambda: certify_critical_point(rec.problem, rec.point, dps=ctx.dps))


def _expected_kind(rec: Any) -> str:
    return "minimum" if rec.is_global_min else "strict_saddle"


def certified_theorem_env(rec: Any, ctx: VerifyContext) -> dict[str, Any]:
    """The theorem's symbols at the certified critical point ``x*`` of a record."""
    cert = certificate(rec, ctx)
    env = E.point_env(rec)
    P = sum(M.rows * M.cols for M in rec.point)
    lam: Any
    if cert.inertia.negative:
        lam = cert.inertia.lambda_min_upper                 # <= -c < 0 on the ball
    elif cert.inertia.zero:
        lam = mpmath.mpf(0)                                 # kernel = the orbit, no negative
    else:
        lam = E.landscape_env(rec, ctx)[sp.sstr(E.LAMBDA_MIN)]  # positive definite
    fstar = E.landscape_env(rec, ctx)[E.FSTAR.name]
    env.update({E.GRAD_F.name: mpmath.zeros(P, 1), E.P_SIZE.name: P,
                sp.sstr(E.LAMBDA_MIN): lam,
                E.F.name: fstar if cert.dual is not None and cert.dual.holds else rec.value,
                E.FSTAR.name: fstar})
    return env


def _certified_records(ctx: VerifyContext, records: Any) -> tuple[list[Any], list[str]]:
    """The records whose certificate holds with the kind theory predicts (global
    minimizer: a minimum with dual feasibility proved; else a strict saddle with dual
    feasibility disproved), and why the others are refused."""
    good, bad = [], []
    with mpmath.workdps(ctx.dps):
        for rec in records:
            cert = certificate(rec, ctx)
            where = f"{rec.problem.describe()} [{rec.family}]"
            if not cert.certified:
                why = (cert.existence.reason if not cert.existence.certified
                       else cert.inertia.reason)
                bad.append(f"{where}: {why}")
            elif cert.kind != _expected_kind(rec):
                bad.append(f"{where}: certified {cert.kind}, expected {_expected_kind(rec)}")
            elif cert.dual is None or cert.dual.holds is not rec.is_global_min:
                bad.append(f"{where}: dual feasibility {cert.dual and cert.dual.outcome}")
            else:
                good.append(rec)
    return good, bad


def _radius_evidence(ctx: VerifyContext, records: Any, ev: Evidence) -> Evidence:
    """Report the largest existence radius as the residual and its digits."""
    radii = [certificate(r, ctx).existence.radius for r in records]
    worst = max(radii, default=None)
    if worst is not None:
        ev.residual = C.format_residual(worst)
        ev.digits = 99.0 if worst == 0 else round(float(-mpmath.log10(worst)), 1)
    return ev


def theorem_certified_evidence(claim: Claim, ctx: VerifyContext, records: Any) -> Evidence:
    """Theorem 1.1 / 1.2 at every certified critical point near the records."""
    pool = [r for r in records if E.hypotheses_hold(claim.hypotheses, r.problem)]
    good, bad = _certified_records(ctx, pool)
    ev = C.statement_truth_evidence(
        ctx, claim, lambda: [(f"{r.problem.describe()} [{r.family}]",
                              certified_theorem_env(r, ctx), None) for r in good],
        f"the statement at {len(good)} true critical points certified by ball arithmetic "
        "(existence within the radius, Hessian inertia, dual feasibility), one near each "
        "high-precision record", margin=C.hp_margins(ctx), level="certified")
    if bad:
        ev.passed = False
        ev.detail += "; not certified: " + "; ".join(bad[:3])
    saddles = sum(1 for r in good if not r.is_global_min)
    ev.detail += (f"; {len(good) - saddles} certified minima (dual feasibility proved), "
                  f"{saddles} certified strict saddles (lambda_min <= -c < 0 on the ball)")
    return _radius_evidence(ctx, good, ev)


def lemma31_certified_evidence(claim: Claim, ctx: VerifyContext) -> Evidence:
    """Lemma 3.1 at every certified CE critical point: rank W(x*) with its certified
    bounds (the upper bound K - 1 is the identity 1_K^T W(x*) = 0 at the exact point,
    whose balls are checked to contain 0; the lower bound comes from the balls)."""
    recs = C.hp_records(ctx, "ce")
    good, bad = _certified_records(ctx, recs)
    envs, exact = [], 0
    with mpmath.workdps(ctx.dps):
        for rec in good:
            cert = certificate(rec, ctx)
            rk = cert.rank
            if (rk is None or rk.ones_W is None or rk.W_lower is None
                    or rk.W_lower > rk.W_upper):
                bad.append(f"{rec.family}: {rk.reason if rk else 'no rank certificate'}")
                continue
            exact += rk.W_exact is not None
            value = rk.W_exact if rk.W_exact is not None else rk.W_upper
            env = E.point_env(rec)
            P = sum(M.rows * M.cols for M in rec.point)
            env.update({E.GRAD_F.name: mpmath.zeros(P, 1), E.P_SIZE.name: P,
                        "Rank(W)": value, "Rank(H)": value})
            envs.append((f"{rec.problem.describe()} [{rec.family}]", env, None))
    ev = C.statement_truth_evidence(ctx, claim, envs, "rank W(x*) at certified critical "
                                    f"points (exact at {exact} of {len(envs)}: where the ball "
                                    "lower bound meets K - 1)", margin=C.hp_margins(ctx),
                                    level="certified")
    if bad:
        ev.passed = False
        ev.detail += "; not certified: " + "; ".join(bad[:3])
    return _radius_evidence(ctx, good, ev)


def criterion_certified_evidence(claim: Claim, ctx: VerifyContext, records: Any) -> Evidence:
    """[13, Lemma C.4] / Prop. 4.1 at the certified critical points near the records,
    without using the lemma: the premise ``||grad g(R(x*))||_2 <= sqrt(lW lH)`` is decided
    by the certified dual feasibility, and the conclusion ``f(x*) = f*`` by the certified
    duality gap (:mod:`ufm_sym.certify.global_gap`: ``L <= min f <= f(x*) <= U`` in ball
    arithmetic, from f >= F, Fenchel-Young and von Neumann's inequality only); the
    statement is evaluated with ``f := U`` and ``f* := L``, so it holds when ``U - L`` is
    within the margin."""
    good, bad = _certified_records(ctx, records)

    def make() -> list[Any]:
        out = []
        with mpmath.workdps(ctx.dps):
            for rec in good:
                cert = certificate(rec, ctx)
                env = certified_theorem_env(rec, ctx)
                thr = cert.dual.threshold
                premise = thr if cert.dual.holds else cert.dual.norm_lower
                gap = cert.gap
                if gap is None or gap.upper is None or gap.lower is None:
                    bad.append(f"{rec.family}: no certified gap")
                    continue
                env.update({"SpectralNorm(G)": premise, E.F.name: gap.upper,
                            E.FSTAR.name: gap.lower})
                out.append((f"{rec.problem.describe()} [{rec.family}]", env, None))
        return out

    ev = C.statement_truth_evidence(
        ctx, claim, make, "at certified critical points: the premise by certified dual "
        "feasibility, the conclusion by the certified duality gap f(x*) - min f <= U - L "
        "(no closed form, no use of the lemma)", margin=C.hp_margins(ctx), level="certified")
    if bad:
        ev.passed = False
        ev.detail += "; not certified: " + "; ".join(bad[:3])
    with mpmath.workdps(ctx.dps):
        gaps = [certificate(r, ctx).gap.gap for r in good if r.is_global_min
                and certificate(r, ctx).gap is not None]
    if gaps:
        worst = max(gaps)
        ev.residual = C.format_residual(worst)
        ev.digits = 99.0 if worst == 0 else round(float(-mpmath.log10(worst)), 1)
        ev.detail += (f"; {len(gaps)} certified global minimizers, largest gap "
                      f"{C.format_residual(worst)}")
    return ev
