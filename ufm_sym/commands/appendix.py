"""``ufm-sym appendix --out DIR [--pdf] [--body-only] [--dps 50] [LABEL ...]``: the
LaTeX appendix of the claims, with their evidence and the dependency graph."""

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
from ufm_sym.model import UFMInputError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "appendix",
        help="write the LaTeX appendix of the claims (statements, derivations, evidence)",
        description=(
            "Run the claims (all, or the named ones and their dependencies) and write "
            "DIR/appendix.tex: for each claim in paper order its label, title, statement, "
            "hypotheses and derivation printed from SymPy, the claims it uses, and its "
            "evidence table; plus the dependency graph (TikZ).  By default a "
            "self-contained document; with --body-only the body to \\input into a paper, "
            "with DIR/ufm-sym-preamble.tex for the paper's preamble.  Files are written "
            "atomically.  Exit 0 if every claim passed, 1 if one did not (the appendix "
            "is written and shows it), 2 on bad input or without latexmk for --pdf "
            "(checked before any claim runs).  With --from-report the evidence of a "
            "`ufm-sym verify --json` run is used instead of running the claims."
        ),
    )
    add_run_options(p, "thm:1.1")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output directory (created if missing)")
    p.add_argument("--pdf", action="store_true",
                   help="also compile DIR/appendix.pdf with latexmk -pdf (Debian: latexmk "
                        "texlive-latex-extra)")
    p.add_argument("--body-only", action="store_true",
                   help="write the body only, and DIR/ufm-sym-preamble.tex")
    add_report_options(p)
    p.add_argument("--label-prefix", default="ufm:", metavar="PREFIX",
                   help="prefix of the \\label of each claim (default 'ufm:', e.g. "
                        "\\label{ufm:eq:3.4}; keeps clear of the paper's own labels)")
    p.add_argument("--json", action="store_true",
                   help="print the written files and the outcome as JSON on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ufm_sym.appendix.pdf import LatexCompileError, LatexmkMissing, compile_pdf, latexmk
    from ufm_sym.appendix.write import write_appendix
    from ufm_sym.atomic_write import ensure_writable_dir
    from ufm_sym.claims import load_registry

    ctx = context_from(args)
    if args.pdf and latexmk() is None:   # before the (long) run, nothing written
        raise UFMInputError(f"--pdf: {LatexmkMissing()}")
    registry = load_registry()
    labels = resolve_labels(registry, args.labels)
    stored = stored_report(args, registry, labels)
    out_dir = ensure_writable_dir(args.out)  # fail before the (long) run
    report = report_for(args, registry, labels, ctx, stored)
    files = write_appendix(out_dir, registry, report, labels, body_only=args.body_only,
                           label_prefix=args.label_prefix)
    error: str | None = None
    if args.pdf:
        try:
            files.pdf = compile_pdf(files.tex, out_dir / "appendix.pdf",
                                    preamble=files.preamble)
        except LatexmkMissing as exc:
            raise UFMInputError(f"--pdf: {exc} ({files.tex} was written)") from None
        except LatexCompileError as exc:
            error = f"--pdf: {exc}"
    failures = report.failures() if report is not None else []
    if args.json:
        json.dump({
            "tex": str(files.tex),
            "preamble": str(files.preamble) if files.preamble else None,
            "pdf": str(files.pdf) if files.pdf else None,
            "ran": report is not None,
            "passed": report.passed if report is not None else None,
            "failures": [r.label for r in failures],
            "error": error,
        }, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for path in (files.tex, files.preamble, files.pdf):
            if path is not None:
                print(f"wrote {path}")
    if error:
        sys.stderr.write(f"ufm-sym appendix: error: {error}\n")
    failed = report_failures("appendix", report)
    return 1 if error else failed
