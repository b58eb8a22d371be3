"""Speed of ``ufm-sym discover`` (issue targets), with baselines run in the same process.

* A: 60 starts, CE, K = 5, n = 1, d = 2, one process: target <= 120 s on 2 cores.
  Baseline: plain L-BFGS from the same 60 starts (no saddle search, no refinement).
* B: 200 starts, CE, K = 4, n = 2 (d = 4), ``--jobs 2``: target <= 600 s.
  Baseline: the same run in one process.

The machine's load average is printed before and after (the cores are shared), and
the numbers of orbits found, so that a faster run that finds less is visible.

    python benchmarks/bench_discover.py [--only A|B] [--dps 50]
"""

from __future__ import annotations

import argparse
import os
import time

from ufm_sym import Problem
from ufm_sym.discover.search import discover


def lbfgs_only(problem: Problem, starts: int, seed: int) -> float:
    from threadpoolctl import threadpool_limits

    from ufm_sym.discover.minima import lbfgs_minimum
    from ufm_sym.discover.objective import SearchObjective
    from ufm_sym.discover.starts import plan_starts

    t0 = time.perf_counter()
    with threadpool_limits(limits=1):
        obj = SearchObjective(problem)
        for st in plan_starts(problem, starts, seed):
            lbfgs_minimum(obj, st.x)
    return time.perf_counter() - t0


def report(name: str, r, seconds: float, target: float) -> None:
    counts = ", ".join(f"{v} {k}" for k, v in r.counts().items() if v)
    print(f"{name}: {seconds:.1f} s (target <= {target:.0f} s: "
          f"{'met' if seconds <= target else 'NOT met'}); {len(r.orbits)} orbits ({counts}); "
          f"{r.unconverged} unconverged; search {r.seconds['search']:.1f} s, refine "
          f"{r.seconds['refine']:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["A", "B"], default=None)
    ap.add_argument("--dps", type=int, default=50)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")
    if args.only in (None, "A"):
        p = Problem(loss="ce", K=5, n=1, d=2, lambda_W="0.01", lambda_H="0.01",
                    lambda_b="0.01")
        base = lbfgs_only(p, 60, 0)
        t0 = time.perf_counter()
        r = discover(p, starts=60, seed=0, dps=args.dps)
        t = time.perf_counter() - t0
        report("A  60 starts, CE K=5 n=1 d=2, 1 process", r, t, 120)
        print(f"   baseline L-BFGS only from the same starts: {base:.1f} s; discover / "
              f"baseline = {t / base:.1f}")
    if args.only in (None, "B"):
        p = Problem(loss="ce", K=4, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
        t0 = time.perf_counter()
        r2 = discover(p, starts=200, seed=0, dps=args.dps, jobs=2)
        t2 = time.perf_counter() - t0
        report("B  200 starts, CE K=4 n=2 d=4, --jobs 2", r2, t2, 600)
        t0 = time.perf_counter()
        r1 = discover(p, starts=200, seed=0, dps=args.dps)
        t1 = time.perf_counter() - t0
        same = [o.to_json()["objective"] for o in r1.orbits] == \
            [o.to_json()["objective"] for o in r2.orbits]
        print(f"   baseline one process: {t1:.1f} s; speed-up with 2 jobs = {t1 / t2:.2f}; "
              f"same orbits: {same}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
