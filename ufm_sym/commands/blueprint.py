"""``ufm-sym blueprint --out DIR [LABEL ...]``: the claims as a Lean blueprint source
(leanblueprint / plasTeX), with the tool's evidence as remarks."""

from __future__ import annotations

import argparse
import json
import sys
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


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "blueprint",
        help="write the claims as a Lean blueprint source (leanblueprint, plasTeX)",
        description=(
            "Write DIR/src/{web.tex, print.tex, content.tex, plastex.cfg, macros/}: each "
            "claim a definition, lemma, proposition or theorem environment with \\label "
            "and \\uses, its proof (proof steps, derivation or what a cited result cites) "
            "with \\uses, and the evidence of a run as a remark.  Nothing is marked as "
            "formalized in Lean (no \\leanok).  Render it with `cd DIR/src && plastex -c "
            "plastex.cfg web.tex` (pip install leanblueprint); the dependency graph is "
            "DIR/web/dep_graph_document.html.  Exit 0 if every claim passed (or with "
            "--no-run), 1 if one did not (the blueprint is written and shows it), 2 on bad "
            "input."
        ),
    )
    add_run_options(p, "thm:1.2")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output directory (created if missing); the source goes to DIR/src")
    add_report_options(p)
    p.add_argument("--json", action="store_true",
                   help="print the written files and the outcome as JSON on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ufm_sym.appendix.blueprint import write_blueprint
    from ufm_sym.atomic_write import ensure_writable_dir
    from ufm_sym.claims import load_registry

    ctx = context_from(args)
    registry = load_registry()
    labels = resolve_labels(registry, args.labels)
    stored = stored_report(args, registry, labels)
    ensure_writable_dir(Path(args.out) / "src")   # fail before the (long) run
    report = report_for(args, registry, labels, ctx, stored)
    written = write_blueprint(args.out, registry, report, labels)
    failures = report.failures() if report is not None else []
    if args.json:
        json.dump({"src": str(written.src), "files": [str(f) for f in written.files],
                   "ran": report is not None,
                   "passed": report.passed if report is not None else None,
                   "failures": [r.label for r in failures]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"wrote {written.src} ({len(written.files)} files); render with: "
              f"cd {written.src} && plastex -c plastex.cfg web.tex")
    return report_failures("blueprint", report)
