"""``discover``: critical points from unbiased starts, de-duplicated and classified.

1. **Search** (float64).  The starts (:mod:`~ufm_sym.discover.starts`) are cut into
   batches of :data:`BATCH_SIZE`; each batch runs its starts in order, each with its
   method (L-BFGS, deflated Levenberg-Marquardt, deflated gradient-norm
   minimisation), polishes the result and keeps it if ``||grad f|| <=``
   :data:`FLOAT_GRAD_RTOL` ``* max(1, ||x||)``; every new orbit (farther than
   :data:`DEFLATION_NEW` from the known ones) is added to the batch's deflation.
   Batches are independent (their seeds are fixed by the run seed and the start
   index), so the result is the same for any ``--jobs`` or scheduler.
2. **Cluster** the converged candidates by float64 invariants
   (:func:`~ufm_sym.discover.orbits.cluster`); the member with the smallest gradient
   norm represents each cluster.
3. **Refine and classify** each representative at ``dps`` digits
   (:func:`~ufm_sym.discover.refine.resolve`).
4. **Merge** clusters whose high-precision invariants agree to ``10^-(D/2)``, and mark
   ``spurious_local_min`` (:func:`~ufm_sym.discover.kinds.mark_spurious`).

Steps 1 and 3 run through :func:`ufm_sym.grid.run_tasks` (serial, joblib or Dask).
Every float64 computation runs with one BLAS thread (threadpoolctl): the matrices are
tiny, and threaded BLAS on them is up to 100 times slower on a loaded machine.

>>> from ufm_sym import Problem
>>> p = Problem(loss="ce", K=2, n=1, d=1, lambda_W="0.05", lambda_H="0.05", lambda_b="0.01")
>>> r = discover(p, starts=6, seed=0, dps=30)
>>> sorted({o.kind for o in r.orbits}), r.unconverged
(['global_min', 'strict_saddle'], 0)
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from ufm_sym.discover.kinds import KINDS, mark_spurious
from ufm_sym.discover.orbits import (
    FLOAT_SPECTRUM_RTOL,
    FLOAT_VALUE_RTOL,
    Invariants,
    Orbit,
    cluster,
    float_invariants,
)
from ufm_sym.discover.starts import METHODS, SCALES
from ufm_sym.model import Problem, UFMInputError

__all__ = ["BATCH_SIZE", "FLOAT_GRAD_RTOL", "DiscoveryResult", "discover", "find_orbits",
           "search_batch"]

BATCH_SIZE = 12
"""Starts per batch (the unit of parallel work and of deflation)."""
FLOAT_GRAD_RTOL = 1e-8
"""A float64 candidate counts as critical when ``||grad f|| <= 1e-8 max(1, ||x||)``."""
DEFLATION_NEW = 1e-6
"""A candidate farther than this from every deflated orbit is deflated in its batch."""
MAX_STARTS = 1_000_000


def _limits() -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


# ----------------------------------------------------------------- step 1: search
def search_batch(problem: Problem, seed: int, first: int, count: int,
                 perturbation: Any = None) -> list[dict[str, Any]]:
    """Starts ``first .. first + count - 1``: one dict per start with ``start``,
    ``method``, ``scale``, ``x`` (flat list), ``value``, ``grad_norm``,
    ``iterations``, ``converged`` and, if converged, the float ``invariants``."""
    from ufm_sym.discover.minima import lbfgs_minimum
    from ufm_sym.discover.objective import SearchObjective
    from ufm_sym.discover.saddles import Deflation, gradient_norm_minimum, lm_root, polish
    from ufm_sym.discover.starts import plan_starts

    out = []
    with _limits():
        obj = SearchObjective(problem, perturbation)
        defl = Deflation(problem)
        for st in plan_starts(problem, count, seed, first):
            if st.method == "lbfgs":
                x, its = lbfgs_minimum(obj, st.x)
            elif st.method == "newton":
                x, its = lm_root(obj, st.x, defl)
            else:
                x, its = gradient_norm_minimum(obj, st.x, defl)
            y, gn, pits = polish(obj, x)
            ok = bool(np.all(np.isfinite(y))) and gn <= FLOAT_GRAD_RTOL * max(
                1.0, float(np.linalg.norm(y)))
            rec: dict[str, Any] = {"start": st.index, "method": st.method, "scale": st.scale,
                                   "x": [float(t) for t in y], "grad_norm": gn,
                                   "iterations": its + pits, "converged": ok}
            if ok:
                inv = float_invariants(obj, y)
                rec["value"] = inv.value
                rec["invariants"] = inv
                if defl.distance(y) > DEFLATION_NEW:
                    defl.add(y)
            out.append(rec)
    return out


def _batch_task(task: tuple[int, int], settings: dict[str, Any]) -> list[dict[str, Any]]:
    return search_batch(Problem(**settings["problem"]), settings["seed"], task[0], task[1],
                        settings["perturbation"])


def _resolve_task(x: list[float], settings: dict[str, Any]) -> dict[str, Any]:
    from ufm_sym.discover.refine import resolve

    with _limits():
        return resolve(Problem(**settings["problem"]), x, settings["dps"],
                       settings["perturbation"])


# ----------------------------------------------------------------- the result
@dataclass
class DiscoveryResult:
    """What :func:`discover` found: the distinct ``orbits`` (ascending objective),
    ``unconverged`` starts (no critical point within the float64 test), the counts of
    candidates per method, and the settings and timings."""

    problem: Problem
    starts: int
    seed: int
    dps: int
    orbits: list[Orbit]
    unconverged: int
    candidates: dict[str, int]
    float_clusters: int
    seconds: dict[str, float] = field(default_factory=dict)
    perturbation: str | None = None

    def counts(self) -> dict[str, int]:
        """Distinct orbits per kind (every kind listed, zeros included)."""
        c = Counter(o.kind for o in self.orbits)
        return {k: c.get(k, 0) for k in KINDS}

    @property
    def spurious_found(self) -> bool:
        return any(o.kind == "spurious_local_min" for o in self.orbits)

    def settings(self) -> dict[str, Any]:
        return {"starts": self.starts, "seed": self.seed, "dps": self.dps,
                "batch_size": BATCH_SIZE, "methods": list(METHODS), "scales": list(SCALES),
                "tolerances": tolerances(self.dps)}

    def to_json(self) -> dict[str, Any]:
        from ufm_sym import __version__

        return {
            "schema": 1, "tool": "ufm-sym", "command": "discover", "version": __version__,
            "problem": self.problem.to_dict(),
            "theorem": {"label": self.problem.theorem_label,
                        "applies": self.problem.theorem_applies,
                        "note": self.problem.theorem_note()},
            **self.settings(),
            "perturbation": self.perturbation,
            "counts": self.counts(), "spurious_local_min_found": self.spurious_found,
            "unconverged_starts": self.unconverged, "candidates": dict(self.candidates),
            "float_clusters": self.float_clusters,
            "points": [dict(o.to_json(), index=i) for i, o in enumerate(self.orbits)],
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def tolerances(dps: int) -> dict[str, str]:
    """Every tolerance and margin of a run, as text (they are printed and stored)."""
    return {
        "float_critical": f"||grad f|| <= {FLOAT_GRAD_RTOL:g} max(1, ||x||) after polishing",
        "float_same_orbit": (f"|df| <= {FLOAT_VALUE_RTOL:g} max(1, |f|); singular values of W "
                             f"and Hessian eigenvalues within {FLOAT_SPECTRUM_RTOL:g} max(1, "
                             "largest)"),
        "refined_same_orbit": f"f, singular values of W, Hessian eigenvalues within "
                              f"1e-{dps // 2} max(1, largest)",
        "margin": "10^-(D - 5) max(1, ||x||_F) max(1, ||hess f||_F), D = dps = "
                  f"{dps} (ufm_sym.landscape.precision_for): critical, eigenvalue signs, "
                  "near-zero counts (certified) and the orbit's dimension",
        "value": "two values are equal within margin * max(1, |f|)",
    }


# ----------------------------------------------------------------- the run
def _check(starts: Any, seed: Any, dps: Any, jobs: Any) -> None:
    from ufm_sym.precision import check_dps

    for name, v, lo in (("starts", starts, 1), ("seed", seed, 0), ("jobs", jobs, 1)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise UFMInputError(f"{name}: {v!r} is not an integer")
        if v < lo:
            raise UFMInputError(f"{name}: {v} must be >= {lo}")
    if starts > MAX_STARTS:
        raise UFMInputError(f"starts: {starts} is more than {MAX_STARTS}")
    check_dps(dps, "dps")


def discover(problem: Problem, starts: int = 60, seed: int = 0, dps: int = 50, *,
             jobs: int = 1, scheduler: str | None = None, perturbation: Any = None,
             progress: bool = False, connect_timeout: str | None = None
             ) -> DiscoveryResult:
    """Critical orbits of ``problem`` from ``starts`` random starts (module docstring).

    ``perturbation``: the test hook of :mod:`ufm_sym.discover.perturbation` (searched,
    refined and classified with ``f``).  ``progress``: tqdm bars on a terminal.
    """
    from ufm_sym.grid import CONNECT_TIMEOUT, run_tasks

    _check(starts, seed, dps, jobs)
    t0 = time.perf_counter()
    settings = {"problem": problem.to_dict(), "seed": int(seed), "dps": int(dps),
                "perturbation": perturbation}
    batches = [(a, min(BATCH_SIZE, starts - a)) for a in range(0, starts, BATCH_SIZE)]
    run = functools.partial(run_tasks, settings=settings, jobs=jobs, scheduler=scheduler,
                            progress=progress, timeout=connect_timeout or CONNECT_TIMEOUT)
    cands: list[dict[str, Any]] = []
    for _, res in run(_batch_task, batches, desc="discover: search"):
        cands.extend(res)
    t1 = time.perf_counter()
    good = [c for c in cands if c["converged"]]
    groups = cluster([c["invariants"] for c in good], FLOAT_VALUE_RTOL, FLOAT_SPECTRUM_RTOL)
    reps = [min(g, key=lambda i: good[i]["grad_norm"]) for g in groups]
    resolved: list[dict[str, Any]] = [{}] * len(reps)
    for i, res in run(_resolve_task, [good[r]["x"] for r in reps], desc="discover: refine"):
        resolved[i] = res
    t2 = time.perf_counter()
    orbits = _merge(problem, dps, [[good[i] for i in g] for g in groups], resolved)
    return DiscoveryResult(
        problem=problem, starts=starts, seed=int(seed), dps=dps, orbits=orbits,
        unconverged=len(cands) - len(good),
        candidates=dict(sorted(Counter(c["method"] for c in good).items())),
        float_clusters=len(groups),
        seconds={"search": t1 - t0, "refine": t2 - t1, "total": time.perf_counter() - t0},
        perturbation=None if perturbation is None else perturbation.describe())


def _hp_invariants(r: dict[str, Any]) -> Invariants:
    mp = mpmath.mpf
    return Invariants(mp(r["objective"]), tuple(mp(t) for t in r["singular_values_W"]),
                      tuple(mp(t) for t in r["eigenvalues"]))


def _merge(problem: Problem, dps: int, members: list[list[dict[str, Any]]],
           resolved: list[dict[str, Any]]) -> list[Orbit]:
    """Orbits from the resolved clusters: merge equal high-precision invariants (a
    not-critical representative is never merged), sort, mark spurious minima."""
    from ufm_sym.highprec.evaluate import unflatten

    with mpmath.workdps(dps):
        inv = [_hp_invariants(r) for r in resolved]
        tol = mpmath.mpf(10) ** -(dps // 2)
        crit = [i for i, r in enumerate(resolved) if r["kind"] != "not_critical"]
        merged = [[crit[j] for j in g] for g in cluster([inv[i] for i in crit], tol, tol)]
        merged += [[i] for i, r in enumerate(resolved) if r["kind"] == "not_critical"]
        orbits = []
        for g in merged:
            best = min(g, key=lambda i: mpmath.mpf(resolved[i]["gradient_norm"]))
            r = resolved[best]
            mem = [c for i in g for c in members[i]]
            orbits.append(Orbit(
                problem=problem, point=unflatten(problem, [mpmath.mpf(t) for t in r["point"]]),
                dps=dps, kind=r["kind"], reason=r["reason"], objective=mpmath.mpf(r["objective"]),
                gradient_norm=mpmath.mpf(r["gradient_norm"]), margin=mpmath.mpf(r["margin"]),
                digits=int(r["digits"]), invariants=inv[best], negative=r["negative"],
                near_zero=r["near_zero"], positive=r["positive"], certified=r["certified"],
                orbit_dimension=r["orbit_dimension"], criterion_holds=r["criterion_holds"],
                multiplicity=len(mem), found_by=dict(Counter(c["method"] for c in mem)),
                starts=tuple(sorted(c["start"] for c in mem)),
                refine_iterations=int(r["refine"]["iterations"]),
                refine_moved=mpmath.mpf(r["refine"]["moved"])))
        orbits.sort(key=lambda o: (o.objective, o.starts))
        marks = mark_spurious([o.kind for o in orbits], [o.objective for o in orbits],
                              [o.margin for o in orbits])
        for o, (kind, extra) in zip(orbits, marks, strict=True):
            if extra is not None:
                o.reason = f"{o.reason}; {extra}"
                o.kind = kind
    return orbits


@functools.lru_cache(maxsize=64)
def _find_orbits_cached(problem: Problem, starts: int, seed: int, dps: int
                        ) -> tuple[Orbit, ...]:
    return tuple(discover(problem, starts=starts, seed=seed, dps=dps).orbits)


def find_orbits(problem: Problem, starts: int = 30, seed: int = 0, dps: int = 60
                ) -> tuple[Orbit, ...]:
    """The distinct critical orbits :func:`discover` finds for ``problem``, memoised
    per ``(problem, starts, seed, dps)`` in this process (treat them as read-only).
    Each has its high-precision ``point``, ``kind``, ``multiplicity`` and
    ``invariants``; ``Orbit.record()`` gives a
    :class:`~ufm_sym.highprec.families.CriticalPointRecord`.  With ``dps >= 60`` the
    points are refined to a gradient norm below ``10^-(dps - 10)``."""
    _check(starts, seed, dps, 1)
    return _find_orbits_cached(problem, int(starts), int(seed), int(dps))
