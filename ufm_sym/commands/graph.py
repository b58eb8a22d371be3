"""``ufm-sym graph --out FILE [--dps 50] [LABEL ...]``: the proof's dependency graph,
each claim coloured by the strongest evidence that passed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ufm_sym.commands.run_options import (
    add_report_options,
    add_run_options,
    context_from,
    report_failures,
    report_for,
    resolve_labels,
    stored_report,
)
from ufm_sym.model import UFMInputError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "graph",
        help="draw the dependency graph of the claims, coloured by their evidence",
        description=(
            "Run the claims (all, or the named ones and their dependencies) and draw the "
            "registry's `uses` edges as a layered graph: green by the strongest evidence "
            "that passed (symbolic, certified, high-precision, numeric), red when a claim "
            "failed, red and hatched when a claim it uses did not pass; ellipses are "
            "cited results.  FILE ends in .svg, .html (the SVG and a table of the claims), "
            ".png or .pdf; it is written atomically.  Exit 0 if every claim passed, 1 if "
            "one did not (the graph is written and shows it), 2 on bad input.  With "
            "--from-report the evidence of a `ufm-sym verify --json` run is used."
        ),
    )
    add_run_options(p, "thm:1.1")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="output file: .svg, .html, .png or .pdf")
    add_report_options(p)
    p.add_argument("--title", default=None, help="a title drawn above the graph")
    p.add_argument("--json", action="store_true",
                   help="print the graph (nodes, styles, edges, layers) as JSON on stdout")
    p.set_defaults(func=run)


def _check_out(path: str) -> Path:
    from ufm_sym.atomic_write import ensure_writable_dir
    from ufm_sym.graph import FORMATS

    out = Path(path)
    if out.suffix.lower() not in FORMATS:
        raise UFMInputError(f"--out: {path!r} has an unknown format (expected a file ending "
                            f"in {', '.join(FORMATS)})")
    if out.is_dir():
        raise UFMInputError(f"--out: {path!r} is a directory (expected a file)")
    ensure_writable_dir(out.parent if str(out.parent) else ".")
    return out


def run(args: argparse.Namespace) -> int:
    from ufm_sym.claims import load_registry
    from ufm_sym.graph import build_graph, write_graph

    ctx = context_from(args)
    out = _check_out(args.out)
    registry = load_registry()
    labels = resolve_labels(registry, args.labels)
    stored = stored_report(args, registry, labels)
    report = report_for(args, registry, labels, ctx, stored)
    if report is None:
        graph = build_graph(registry, labels=labels)
    else:
        graph = build_graph(registry, report)
    try:
        write_graph(graph, out, title=args.title)
    except OSError as exc:
        raise UFMInputError(f"--out: cannot write {args.out!r} "
                            f"({exc.strerror or type(exc).__name__})") from None
    if args.json:
        data = graph.to_json()
        data["out"] = str(out)
        data["passed"] = report.passed if report is not None else None
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"wrote {out}")
    return report_failures("graph", report)
