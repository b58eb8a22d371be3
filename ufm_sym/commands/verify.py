"""``ufm-sym verify [LABEL ...] [--dps 50] [--json]``: run the paper's claims."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ufm_sym.commands.run_options import (
    add_run_options,
    context_from,
    report_failures,
    resolve_labels,
)


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
    add_run_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--details", action="store_true",
                   help="also list every piece of evidence under its claim")
    p.add_argument("--list", action="store_true", help="list the claim labels and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ufm_sym import report
    from ufm_sym.claims import load_registry

    ctx = context_from(args)
    registry = load_registry()
    if args.list:
        for claim in registry:
            print(f"{claim.label:12s} {claim.title}")
        return 0
    labels = resolve_labels(registry, args.labels)
    result = report.run_with_progress(registry, ctx, labels)
    if args.json:
        json.dump(report.to_json(result), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.to_table(result, details=args.details))
    return report_failures("verify", result)
