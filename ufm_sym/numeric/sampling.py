"""Sampling critical points of each family in float64, and validating each sample.

Families (``kind``):

* ``global``: the closed-form global minimizer (:mod:`.closed_forms`), at a random point
  of its orbit ``(W Q, Q^T H)`` (and a random constant bias for CE with ``lambda_b = 0``);
* ``origin``: CE ``(0, 0, 0)``; MSE ``(0, 0, 1/(K(1 + lambda_b)) 1)``; a saddle iff
  ``K sqrt(n lambda_W lambda_H) < 1``, else the global minimizer;
* CE saddles, each a minimizer of ``f`` restricted to an invariant subspace (refined by
  L-BFGS and Newton inside it; a critical point of the full ``f``, checked):
  ``rank`` (only ``r < K - 1`` columns of ``W`` / rows of ``H``), ``merged`` (two or more
  classes share classifier, features and bias), ``dead`` (one class has ``w = h = 0``);
* MSE saddles: ``subspace`` (docs/math.md §4): ``W H = (1 - K q) Pi_S Ytilde``
  for a random ``s``-dimensional ``S`` of ``1_K^perp``, ``s < K - 1`` (plus, in regime C,
  optionally the mean direction), balanced factorisation.

``saddle`` stands for the saddle families of the loss.  Every sample is validated
(:func:`validate`): gradient norm; Lemma 3.1 residuals (CE ``||1^T W||``) and balance
``||lambda_W W^T W - lambda_H H H^T||_F``; the spectral criterion ``||grad g||_2`` vs
``sqrt(lambda_W lambda_H)``; the objective vs the closed-form global value; the escape
direction (3.10)/(4.36), its curvature vs ``-2 sigma + 2 sqrt(lambda_W lambda_H)`` and vs a
finite difference; the smallest Hessian eigenvalue with its margin; and, at a saddle, a
step along the escape direction followed by descent reaches the global value (repeating
the escape at any intermediate saddle, since descent keeps invariant subspaces).  Every
check states its tolerance (:class:`Tolerances`).

>>> from ufm_sym import Problem
>>> p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> rec = sample(p, kinds=["origin"], count=1, seed=0)[0]
>>> rec.kind, rec.expected, rec.passed
('origin', 'saddle', True)
>>> round(rec.numbers["escape_curvature"], 8) == round(rec.numbers["escape_predicted"], 8)
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ufm_sym.model import Problem, UFMInputError
from ufm_sym.numeric.backend import Backend, get_backend
from ufm_sym.numeric.closed_forms import (
    centered_basis,
    closed_form_global_minimizer,
    closed_form_global_value,
    mse_critical_point,
    mse_gammas,
    origin_point,
    q_value,
    random_rotation,
)
from ufm_sym.numeric.eigen import smallest_hessian_eigenvalue
from ufm_sym.numeric.escape import (
    curvature_matches,
    escape_direction,
    finite_difference_curvature,
)
from ufm_sym.numeric.kernels import Spec, as_point, grad_g, gradient, logits, norm_of, objective
from ufm_sym.numeric.metrics import nc_metrics_both
from ufm_sym.numeric.optimize import (
    dead_class_subspace,
    find_critical,
    merged_subspace,
    rank_subspace,
)

Point = tuple[np.ndarray, np.ndarray, np.ndarray]

__all__ = [
    "FAMILIES", "KINDS", "STAGES", "EscapeLimits", "SampleRecord", "Tolerances",
    "closed_form_global_minimizer", "closed_form_global_value", "escape_to_global",
    "expand_kinds", "sample", "sample_point", "validate",
]

KINDS: tuple[str, ...] = ("global", "origin", "saddle", "rank", "merged", "dead", "subspace")
FAMILIES: dict[str, tuple[str, ...]] = {"ce": ("rank", "merged", "dead"), "mse": ("subspace",)}
_KIND_ID = {k: i for i, k in enumerate(KINDS)}


@dataclass(frozen=True)
class Tolerances:
    """Float64 tolerances of the validations (each check names the one it uses).

    * ``grad``: ``||grad f||_F <= grad`` at a sample (after L-BFGS and Newton);
    * ``residual``: Lemma 3.1 ``||1^T W||_2`` and balance ``||lW W^T W - lH H H^T||_F``;
    * ``criterion``: a global sample needs ``||grad g||_2 <= sqrt(lW lH) + criterion``, a
      saddle ``||grad g||_2 > sqrt(lW lH) + criterion``;
    * ``value``: ``|f - f*| <= value * max(1, |f*|)`` at a global sample; a saddle needs
      ``f > f* + value * max(1, |f*|)``;
    * ``curvature``: ``|Hess f[D, D] - (-2 sigma + 2 sqrt(lW lH))| <= curvature *
      max(1, |pred|)`` along the escape direction ``D``;
    * ``fd``: the same against the second difference with step ``1e-4`` (relative);
    * ``escape_value``: after escaping, ``|f_end - f*| <= escape_value * max(1, |f*|)``;
    * ``nc``: NC1, NC2, NC3 at a global sample with ``W != 0``;
    * ``escape_step``: the step along ``D/||D||`` before descent (not a tolerance).
    """

    grad: float = 1e-8
    residual: float = 1e-6
    criterion: float = 1e-7
    value: float = 1e-9
    curvature: float = 1e-7
    fd: float = 1e-5
    escape_value: float = 1e-7
    nc: float = 1e-6
    escape_step: float = 1e-2


@dataclass
class SampleRecord:
    """One sampled critical point: its family, the point, and its validation numbers."""

    kind: str
    problem: Problem
    point: Point
    seed: int
    expected: str                      # "global" or "saddle"
    params: dict[str, Any] = field(default_factory=dict)
    numbers: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    tolerances: Tolerances = field(default_factory=Tolerances)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    @property
    def failures(self) -> list[str]:
        return [k for k, v in self.checks.items() if not v]

    def to_dict(self, include_point: bool = False) -> dict[str, Any]:
        """JSON-ready: numbers as floats (``None`` for nan/missing), exact lambdas as strings."""
        out: dict[str, Any] = {
            "kind": self.kind, "expected": self.expected, "seed": int(self.seed),
            "problem": self.problem.to_dict(), "params": _jsonable(self.params),
            "passed": self.passed, "failures": self.failures,
            "checks": {k: bool(v) for k, v in self.checks.items()},
            "numbers": {k: _jsonable(v) for k, v in self.numbers.items()},
            "tolerances": asdict(self.tolerances), "seconds": round(self.seconds, 6),
        }
        if include_point:
            out["point"] = {n: np.asarray(x).tolist() for n, x in zip("WHb", self.point,
                                                                     strict=True)}
        return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, bool | str) or v is None:
        return v
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(float(v)) else None
    return str(v)


# ------------------------------------------------------------------------ families
def expand_kinds(problem: Problem, kinds: Iterable[str]) -> list[str]:
    """Validate kind names; ``saddle`` becomes the saddle families of the loss."""
    out: list[str] = []
    for k in kinds:
        k = k.strip().lower()
        if k not in KINDS:
            raise UFMInputError(f"kinds: unknown kind {k!r} (expected one of: {', '.join(KINDS)})")
        fams = FAMILIES[problem.loss] if k == "saddle" else (k,)
        for f in fams:
            if f in ("rank", "merged", "dead", "subspace") and f not in FAMILIES[problem.loss]:
                raise UFMInputError(f"kinds: {f!r} is a {'CE' if f != 'subspace' else 'MSE'} "
                                    f"family, not one of the {problem.loss} problem")
            if f not in out:
                out.append(f)
    return out


def saddles_exist(problem: Problem) -> bool:
    """``K q < 1``: the origin is a saddle and the saddle families are nontrivial."""
    return problem.K * q_value(problem) < 1


def child_seed(seed: int, kind: str, index: int) -> int:
    """The explicit seed of sample ``index`` of ``kind`` under the run seed ``seed``."""
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, _KIND_ID[kind], int(index)])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def sample_point(problem: Problem, kind: str, rng: np.random.Generator
                 ) -> tuple[Point, dict[str, Any], str]:
    """A critical point of family ``kind``: ``(point, params, expected)``."""
    K, d = problem.K, problem.d
    lb = problem.float_lambdas()[2]
    if kind == "global":
        Q = random_rotation(d, rng)
        shift = float(rng.normal()) if (problem.loss == "ce" and lb == 0) else 0.0
        pt = closed_form_global_minimizer(problem, rotation=Q, bias_shift=shift)
        return pt, {"bias_shift": shift}, "global"
    if kind == "origin":
        return origin_point(problem), {}, ("saddle" if saddles_exist(problem) else "global")
    if not saddles_exist(problem):
        raise UFMInputError(
            f"kinds: no saddle family for this problem: K sqrt(n lambda_W lambda_H) = "
            f"{K * q_value(problem):.6g} >= 1, so the origin is the global minimizer"
        )
    if kind == "subspace":
        s = int(rng.integers(0, K - 1))  # 0 .. K-2
        E = centered_basis(K)
        S = E @ np.linalg.qr(rng.standard_normal((K - 1, K - 1)))[0][:, :s] if s else None
        mean = bool(mse_gammas(problem)[1] > 0 and rng.integers(0, 2))
        r = s + int(mean)
        if r > d:
            raise UFMInputError(f"d: {d} is too small for a rank-{r} subspace point")
        pt = mse_critical_point(problem, S, mean=mean, rotation=random_rotation(d, rng))
        return pt, {"s": s, "mean": mean}, "saddle"
    if problem.loss != "ce":
        raise UFMInputError(f"kinds: {kind!r} is a CE family")
    if kind == "rank":
        if K < 3:
            raise UFMInputError("kinds: the rank family needs K >= 3 (r < K - 1)")
        r = int(rng.integers(1, K - 1))  # 1 .. K-2
        sub = rank_subspace(problem, r)
        params: dict[str, Any] = {"r": r}
    elif kind == "merged":
        m = int(rng.integers(2, K)) if K > 2 else 2
        merged = sorted(int(x) for x in rng.choice(K, size=m, replace=False))
        sub = merged_subspace(problem, merged)
        params = {"merged": merged}
    elif kind == "dead":
        dead = int(rng.integers(0, K))
        sub = dead_class_subspace(problem, dead)
        params = {"dead": dead}
    else:  # pragma: no cover - guarded by expand_kinds
        raise UFMInputError(f"kinds: unknown kind {kind!r}")
    theta0 = rng.standard_normal(sub.dim)
    res = find_critical(problem, theta0, sub)
    W, H, b = res.point
    if kind != "dead":  # a random point of the orbit (the dead family is already generic)
        Q = random_rotation(d, rng)
        W, H = W @ Q, Q.T @ H
    params["refine"] = res.method
    return (W, H, b), params, "saddle"


# ------------------------------------------------------------------------ validation
@dataclass(frozen=True)
class EscapeLimits:
    """The bounds of the escape-to-global descent at a saddle (printed with every report).

    A round steps along the paper's direction (3.10)/(4.36), ``escape_step / ||D||``
    times ``D``, adds a seeded random perturbation of norm ``noise * escape_step`` and
    descends (L-BFGS, then Newton where small enough).  The perturbation breaks the
    symmetry that keeps descent inside the invariant subspace of the saddle (without it
    descent from the origin stops at a rank-one saddle, then a rank-two one, ...: up to
    ``K - 1`` rounds of thousands of slow iterations each).  The descent stops after
    ``rounds`` rounds or ``seconds`` of wall-clock time per sample, whichever comes
    first; a descent stopped by a bound is reported as such, not as a failure.
    """

    rounds: int = 3
    seconds: float = 60.0
    noise: float = 1e-2

    def __post_init__(self) -> None:
        if not (isinstance(self.rounds, int) and self.rounds >= 1):
            raise UFMInputError(f"escape rounds: {self.rounds} must be an integer >= 1")
        if not (math.isfinite(self.seconds) and self.seconds > 0):
            raise UFMInputError(f"escape seconds: {self.seconds} must be a number > 0")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise UFMInputError(f"escape noise: {self.noise} must be >= 0")

    def describe(self, step: float) -> str:
        """One line for the report."""
        return (f"escape: step {step:g} along D/|D|, random perturbation {self.noise * step:g}, "
                f"then L-BFGS; at most {self.rounds} round(s) and {self.seconds:g} s per sample")


def escape_to_global(problem: Problem, point: Point, tol: Tolerances, *,
                     max_rounds: int | None = None, limits: EscapeLimits | None = None,
                     seed: int = 0, progress: Callable[[str], None] | None = None
                     ) -> dict[str, Any]:
    """Step along the escape direction, perturb, descend; repeat at any intermediate saddle,
    within ``limits`` (:class:`EscapeLimits`; ``max_rounds`` overrides its rounds).

    Returns the final value, the rounds, the first decrease (``f`` after the first step
    along the paper's direction minus ``f`` at the saddle, before any perturbation), the
    seconds, and ``stopped``: ``None`` if the global criterion was reached, else
    ``"rounds"`` or ``"time"``.
    """
    limits = EscapeLimits() if limits is None else limits
    if max_rounds is not None:
        limits = EscapeLimits(rounds=max_rounds, seconds=limits.seconds, noise=limits.noise)
    t0 = time.perf_counter()
    deadline = t0 + limits.seconds
    thr = math.sqrt(float(np.prod(problem.float_lambdas()[:2])))
    spec = Spec.from_problem(problem)
    rng = np.random.default_rng(seed)
    pt = point
    rounds = 0
    first_drop = None
    stopped: str | None = None
    f = float(objective(spec, *pt))
    while True:
        G = grad_g(spec, logits(*pt))
        if np.linalg.norm(G, 2) <= thr + tol.criterion:
            break
        if rounds >= limits.rounds:
            stopped = "rounds"
            break
        esc = escape_direction(problem, pt)
        D = esc.direction
        nD = math.sqrt(sum(float(np.sum(x * x)) for x in D))
        start = tuple(x + tol.escape_step / nD * dx for x, dx in zip(pt, D, strict=True))
        if first_drop is None:  # the paper's step is always taken and measured
            first_drop = float(objective(spec, *start)) - f
        if time.perf_counter() > deadline:
            stopped = "time"
            break
        if limits.noise > 0:
            xi = [rng.standard_normal(np.shape(x)) for x in start]
            nxi = math.sqrt(sum(float(np.sum(x * x)) for x in xi))
            scale = limits.noise * tol.escape_step / nxi
            start = tuple(x + scale * e for x, e in zip(start, xi, strict=True))
        res = find_critical(problem, start, deadline=deadline)
        pt = res.point
        f = float(objective(spec, *pt))
        rounds += 1
        if progress is not None:
            progress(f"escape round {rounds}")
        if res.method.endswith("(time limit)"):  # the descent did not finish
            stopped = "time"
            break
    G = grad_g(spec, logits(*pt))
    return {"value": f, "rounds": rounds, "first_drop": first_drop,
            "final_grad_g_norm": float(np.linalg.norm(G, 2)), "point": pt,
            "stopped": stopped, "seconds": time.perf_counter() - t0}


def validate(problem: Problem, point: Sequence[Any], kind: str, expected: str, *,
             seed: int = 0, params: dict[str, Any] | None = None,
             tol: Tolerances | None = None, backend: Backend | str | None = None,
             eig_method: str = "auto", escape: bool = True,
             escape_limits: EscapeLimits | None = None,
             progress: Callable[[str], None] | None = None) -> SampleRecord:
    """Validate a critical point claimed to be ``expected`` (``"global"``/``"saddle"``).

    ``progress(stage)`` is called after each stage (``checks``, ``lambda_min``,
    ``escape direction``, each escape round, ``NC``).
    """
    t0 = time.perf_counter()
    step = progress if progress is not None else (lambda stage: None)
    tol = Tolerances() if tol is None else tol
    be = get_backend(backend)
    spec = Spec.from_problem(problem)
    Wb, Hb, bb = as_point(spec, point, be)
    W, H, b = (be.to_numpy(x) for x in (Wb, Hb, bb))
    lw, lh, _ = problem.float_lambdas()
    thr = math.sqrt(lw * lh)
    num: dict[str, Any] = {}
    chk: dict[str, bool] = {}
    f = float(objective(spec, Wb, Hb, bb))
    fstar = closed_form_global_value(problem)
    scale_f = max(1.0, abs(fstar))
    gnorm = float(norm_of(gradient(spec, Wb, Hb, bb)))
    G = be.to_numpy(grad_g(spec, logits(Wb, Hb, bb)))
    sv = np.linalg.svd(G, compute_uv=False)
    num.update(objective=f, global_value=fstar, value_gap=f - fstar, grad_norm=gnorm,
               grad_g_norm=float(sv[0]), threshold=thr, criterion_gap=float(sv[0]) - thr)
    chk["critical"] = gnorm <= tol.grad
    # Lemma 3.1 / (3.4): balance; CE: 1^T W = 0 and 1^T grad g = 0
    bal = float(np.linalg.norm(lw * W.T @ W - lh * H @ H.T))
    num["balance_residual"] = bal
    chk["balance"] = bal <= tol.residual
    if problem.loss == "ce":
        num["lemma31_residual"] = float(np.linalg.norm(W.sum(axis=0)))
        num["ones_grad_g_residual"] = float(np.linalg.norm(G.sum(axis=0)))
        chk["lemma3.1"] = num["lemma31_residual"] <= tol.residual
    sW = np.linalg.svd(W, compute_uv=False)
    num["rank_W"] = int(np.sum(sW > 1e-8 * max(1.0, float(sW[0]) if sW.size else 0.0)))
    if expected == "global":
        chk["criterion"] = sv[0] <= thr + tol.criterion
        chk["global_value"] = abs(f - fstar) <= tol.value * scale_f
    else:
        chk["criterion"] = sv[0] > thr + tol.criterion
        chk["above_global"] = f > fstar + tol.value * scale_f
    step("checks")
    # smallest Hessian eigenvalue, with its margin
    lam = smallest_hessian_eigenvalue(problem, (Wb, Hb, bb), method=eig_method, backend=be)
    num.update(lambda_min=lam.value, lambda_min_margin=lam.margin, lambda_min_method=lam.method,
               n_negative=lam.n_negative, n_near_zero=lam.n_near_zero)
    if expected == "global":
        chk["lambda_min"] = lam.is_nonnegative
    else:
        chk["lambda_min"] = lam.is_negative
    step("lambda_min")
    # escape direction (3.10)/(4.36)
    if expected == "saddle":
        esc = escape_direction(problem, (W, H, b))
        D = esc.direction
        nD2 = sum(float(np.sum(x * x)) for x in D)
        fd = finite_difference_curvature(problem, (W, H, b), D)
        num.update(escape_sigma=esc.sigma, escape_predicted=esc.predicted,
                   escape_curvature=esc.curvature, escape_curvature_error=esc.curvature_error,
                   escape_curvature_fd=fd, escape_null_residual=esc.null_residual,
                   escape_first_order_residual=esc.first_order_residual)
        chk["escape_curvature"] = (curvature_matches(esc.curvature, esc.predicted, tol.curvature)
                                   and esc.curvature < 0)
        chk["escape_fd"] = abs(fd - esc.curvature) <= tol.fd * max(1.0, abs(esc.curvature))
        chk["escape_null"] = esc.null_residual <= tol.residual
        if esc.rotated_curvature is not None:  # Prop. 4.3: same Hessian information
            num["escape_rotated_curvature"] = esc.rotated_curvature
            chk["prop4.3"] = curvature_matches(esc.rotated_curvature, esc.curvature,
                                               tol.curvature)
        # Rayleigh: lambda_min <= Hess[D, D] / ||D||^2
        chk["rayleigh"] = lam.value <= esc.curvature / nD2 + lam.margin
        step("escape direction")
        if escape:
            out = escape_to_global(problem, (W, H, b), tol, limits=escape_limits, seed=seed,
                                   progress=step)
            num.update(escape_final_value=out["value"], escape_final_gap=out["value"] - fstar,
                       escape_rounds=out["rounds"], escape_first_drop=out["first_drop"],
                       escape_stopped=out["stopped"])
            # the paper's direction decreases f; descent from there reaches f* unless a
            # bound of EscapeLimits stopped it first (reported, not a failure)
            chk["escape_descends"] = out["first_drop"] is not None and out["first_drop"] < 0
            if out["stopped"] is None:
                chk["escaped"] = abs(out["value"] - fstar) <= tol.escape_value * scale_f
    # neural collapse
    nc = nc_metrics_both(problem, (W, H, b))
    num.update({k.lower(): v for k, v in nc.items()})
    if expected == "global" and num["rank_W"] > 0:
        keys = ["NC1", "NC3"] + (["NC2"] if not _regime_c(problem) else [])
        chk["neural_collapse"] = all(nc[k] <= tol.nc for k in keys)
    step("NC")
    return SampleRecord(kind=kind, problem=problem, point=(W, H, b), seed=seed,
                        expected=expected, params=dict(params or {}), numbers=num, checks=chk,
                        tolerances=tol, seconds=time.perf_counter() - t0)


def _regime_c(problem: Problem) -> bool:
    return problem.loss == "mse" and mse_gammas(problem)[1] > 0


#: the stages of one sample, in order (a progress bar advances once per stage)
STAGES: tuple[str, ...] = ("draw", "checks", "lambda_min", "escape direction", "escape", "NC")


def sample(problem: Problem, kinds: Sequence[str] = ("global", "origin", "saddle"),
           count: int = 1, seed: int = 0, *, backend: Backend | str | None = None,
           tol: Tolerances | None = None, escape: bool = True,
           escape_limits: EscapeLimits | None = None,
           progress: Callable[[str], None] | None = None) -> list[SampleRecord]:
    """Sample and validate ``count`` points of each kind (``origin``: one point).

    ``saddle`` expands to the loss's saddle families, ``count`` samples cycling through
    them; it is skipped (with no error) when no saddle exists (``K q >= 1``) unless a
    family is named explicitly.  ``progress(stage)`` is called as each stage of each
    sample ends (:data:`STAGES`; ``"done"`` when a sample is finished).
    """
    if count < 1:
        raise UFMInputError(f"count: {count} must be >= 1")
    jobs = plan(problem, kinds, count, seed)
    return [sample_one(problem, kind, s, backend=backend, tol=tol, escape=escape,
                       escape_limits=escape_limits, index=idx, progress=progress)
            for kind, idx, s in jobs]


def plan(problem: Problem, kinds: Sequence[str], count: int, seed: int
         ) -> list[tuple[str, int, int]]:
    """The samples to draw: ``(family, index, seed)``, in a fixed order."""
    kinds = [k.strip().lower() for k in kinds]
    jobs: list[tuple[str, int, int]] = []
    for k in kinds:
        if k not in KINDS:
            raise UFMInputError(f"kinds: unknown kind {k!r} (expected one of: {', '.join(KINDS)})")
        if k == "saddle":
            if not saddles_exist(problem):
                continue
            fams = FAMILIES[problem.loss]
            if problem.loss == "ce" and problem.K < 3:
                fams = ()
            for i in range(count):
                fam = fams[i % len(fams)] if fams else None
                if fam is not None:
                    jobs.append((fam, i, child_seed(seed, fam, i)))
            continue
        expand_kinds(problem, [k])
        n = 1 if k == "origin" else count
        for i in range(n):
            jobs.append((k, i, child_seed(seed, k, i)))
    return jobs


def sample_one(problem: Problem, kind: str, seed: int, *, backend: Backend | str | None = None,
               tol: Tolerances | None = None, escape: bool = True, index: int = 0,
               escape_limits: EscapeLimits | None = None,
               progress: Callable[[str], None] | None = None) -> SampleRecord:
    """Draw and validate one sample of ``kind`` with its explicit ``seed``."""
    from ufm_sym.numeric.threads import sampler_threads

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    with sampler_threads(problem):  # one BLAS thread for small products (same numbers)
        pt, params, expected = sample_point(problem, kind, rng)
        params = {"index": index, **params}
        if progress is not None:
            progress("draw")
        rec = validate(problem, pt, kind, expected, seed=seed, params=params, tol=tol,
                       backend=backend, escape=escape, escape_limits=escape_limits,
                       progress=progress)
    if progress is not None:
        progress("done")
    rec.seconds = time.perf_counter() - t0
    return rec
