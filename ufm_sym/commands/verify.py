"""``ufm-sym verify [LABEL ...] [--dps 50] [--json]``: run the paper's claims."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ufm_sym.model import UFMInputError

MIN_DPS = 30
MAX_DPS = 1000


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "verify",
        help="run every claim of the paper (or the named ones and their dependencies)",
        description=(
            "Run the paper's claims and print a table: label, title, strongest evidence "
            "passed, residual or digits, samples, time.  Exit 1 if any claim fails or is "
            "blocked by a failing dependency."
        ),
    )
    p.add_argument("labels", nargs="*", metavar="LABEL", help="claim labels, e.g. lem:3.1")
    p.add_argument("--dps", type=int, default=50,
                   help=f"mpmath decimal digits for high-precision evidence "
                        f"({MIN_DPS}..{MAX_DPS}, default 50)")
    p.add_argument("--seed", type=int, default=0, help="seed of every sampled point (default 0)")
    p.add_argument("--samples", type=int, default=100,
                   help="float64 critical points per numeric check (default 100, >= 1)")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--details", action="store_true",
                   help="also list every piece of evidence under its claim")
    p.add_argument("--list", action="store_true", help="list the claim labels and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ufm_sym import report
    from ufm_sym.claims import UnknownLabelError, VerifyContext, load_registry

    if not MIN_DPS <= args.dps <= MAX_DPS:
        raise UFMInputError(
            f"--dps: {args.dps} is outside {MIN_DPS}..{MAX_DPS} (too low to decide the "
            f"high-precision checks)" if args.dps < MIN_DPS else
            f"--dps: {args.dps} is outside {MIN_DPS}..{MAX_DPS}")
    if args.samples < 1:
        raise UFMInputError(f"--samples: {args.samples} must be >= 1")
    registry = load_registry()
    if args.list:
        for claim in registry:
            print(f"{claim.label:12s} {claim.title}")
        return 0
    try:
        labels = registry.closure(args.labels) if args.labels else None
    except UnknownLabelError as exc:
        raise UFMInputError(str(exc)) from None
    ctx = VerifyContext(dps=args.dps, seed=args.seed, numeric_samples=args.samples)
    result = report.run_with_progress(registry, ctx, labels)
    if args.json:
        json.dump(report.to_json(result), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.to_table(result, details=args.details))
    if not result.passed:
        names = ", ".join(f"{r.label} ({r.status})" for r in result.failures())
        sys.stderr.write(f"ufm-sym verify: {len(result.failures())} claim(s) did not pass: "
                         f"{names}\n")
        return 1
    return 0
