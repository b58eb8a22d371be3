"""Numeric (float64) evidence: the claims at sampled critical points, K up to 20.

The samples come from :mod:`ufm_sym.numeric.sampling` (global minimizers, the
origin, and the saddle families of each loss), each validated there with stated
float64 tolerances.  The checks here read the measured numbers.
"""

from __future__ import annotations

from typing import Any

from ufm_sym.claims import Claim, Evidence, VerifyContext
from ufm_sym.model import Problem


def numeric_settings(loss: str) -> list[Problem]:
    """Settings for the float64 samples: K = d from 3 to 20, several lambda regimes."""
    if loss == "ce":
        return [
            Problem("ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b="1e-2"),
            Problem("ce", K=4, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
            Problem("ce", K=6, n=1, lambda_W="2e-2", lambda_H="5e-3", lambda_b="1e-3"),
            Problem("ce", K=10, n=1, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-2"),
            Problem("ce", K=20, n=1, lambda_W="2e-3", lambda_H="2e-3", lambda_b="1e-3"),
        ]
    return [
        Problem("mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
        Problem("mse", K=4, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-2"),
        Problem("mse", K=4, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="0.1"),
        Problem("mse", K=8, n=1, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-3"),
        Problem("mse", K=20, n=1, lambda_W="2e-3", lambda_H="2e-3", lambda_b=0),
    ]


def numeric_samples(ctx: VerifyContext, loss: str) -> list[Any]:
    """At least ``ctx.numeric_samples`` validated float64 critical points of ``loss``,
    spread over the settings and the kinds (memoised for the run)."""
    from ufm_sym.numeric.sampling import sample

    def make() -> list[Any]:
        settings = numeric_settings(loss)
        per = max(1, -(-ctx.numeric_samples // (2 * len(settings))))
        out: list[Any] = []
        for i, p in enumerate(settings):
            out.extend(sample(p, ("global", "origin", "saddle"), count=per,
                              seed=ctx.seed * 1000 + i, escape=False))
        return out

    return ctx.memo(("numeric-samples", loss, ctx.seed, ctx.numeric_samples), make)


def numeric_direction_evidence(ctx: VerifyContext, loss: str, what: str) -> Evidence:
    """The split C1/C2 and the escape direction at the float64 samples."""
    samples = numeric_samples(ctx, loss)
    if what == "split":
        bad = [s.kind for s in samples if not s.checks.get("criterion", False)]
        return Evidence("numeric", not bad, None, None, len(samples),
                        "criterion ||grad g|| vs sqrt(lW lH) (tolerance "
                        f"{samples[0].tolerances.criterion:g}) decides C1 for global minimizers "
                        "and C2 for saddles" + (f"; FAILED at {bad[:3]}" if bad else ""))
    saddles = [s for s in samples if s.expected == "saddle"]
    if not saddles:
        return Evidence("numeric", False, None, None, 0, "no saddle sampled")
    if what == "null":
        worst = max(float(s.numbers["escape_null_residual"]) for s in saddles)
        return Evidence.from_residual("numeric", worst, saddles[0].tolerances.residual,
                                      len(saddles), "||W a|| + ||H^T a|| at float64 saddles")
    worst = max(float(s.numbers["escape_curvature_error"]) for s in saddles)
    ev = Evidence.from_residual("numeric", worst, saddles[0].tolerances.curvature, len(saddles),
                                "|hess f[Delta, Delta] - (-2 sigma + 2 sqrt(lW lH))| at float64 "
                                "saddles, each negative")
    if not all(s.checks.get("escape_curvature", False) for s in saddles):
        ev.passed = False
        ev.detail += "; the curvature was not negative somewhere"
    return ev


def numeric_theorem_evidence(ctx: VerifyContext, loss: str, claim: Claim) -> Evidence:
    """Theorem 1.1 / 1.2: the claim's statement at every float64 sample meeting its
    hypotheses (lambda_min by the sample's Lanczos/dense eigenvalues)."""
    from ufm_sym_proofs import environments as E

    pool = numeric_samples(ctx, loss)
    samples = [s for s in pool if E.hypotheses_hold(claim.hypotheses, s.problem)]
    ev = E.truth_at_samples(ctx, claim, samples, E.float_landscape_env,
                            f"at {len(samples)} float64 critical points (K up to "
                            f"{max((s.problem.K for s in samples), default=0)})")
    zeros = [int(s.numbers.get("n_near_zero", 0)) for s in samples if s.expected == "saddle"]
    ev.detail += (f"; near-zero Hessian eigenvalues at the saddles: "
                  f"{min(zeros, default=0)}..{max(zeros, default=0)}")
    return ev
