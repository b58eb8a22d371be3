"""Benchmark (not a test): wall time of `ufm-sym verify`, per section and per
evidence level, against the 60 s target of the issues (2 cores).

    python benchmarks/bench_verify.py [--samples 100]

Each run starts from a fresh process-level cache state only for the first section;
the numbers printed are the measured seconds and their ratio to the target.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from ufm_sym.claims import VerifyContext, load_registry

TARGET_S = 60.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--dps", type=int, default=50)
    args = ap.parse_args()
    reg = load_registry()
    t0 = time.perf_counter()
    report = reg.run(VerifyContext(dps=args.dps, numeric_samples=args.samples))
    total = time.perf_counter() - t0
    by_level: dict[str, float] = defaultdict(float)
    by_section: dict[str, float] = defaultdict(float)
    for r in report.results:
        sec = reg[r.label].section or "?"
        by_section[sec] += r.seconds
        for e in r.evidence:
            by_level[e.level] += e.seconds
    print(f"ufm-sym verify: {len(report.results)} claims, "
          f"{sum(r.status == 'passed' for r in report.results)} passed")
    print(f"total wall time {total:7.2f} s  ({total / TARGET_S:.2f} x the {TARGET_S:.0f} s target)")
    for sec in sorted(by_section):
        print(f"  section {sec:3s} {by_section[sec]:7.2f} s")
    for level, sec in sorted(by_level.items(), key=lambda kv: -kv[1]):
        print(f"  level {level:15s} {sec:7.2f} s  ({sec / total:.0%} of the run)")


if __name__ == "__main__":
    main()
