"""The options shared by the commands that run claims (``verify``, ``appendix``,
``graph``): ``--dps``, ``--seed``, ``--samples`` and the LABEL arguments."""

from __future__ import annotations

import argparse
from typing import Any

from ufm_sym.model import UFMInputError
from ufm_sym.precision import MAX_DPS, MIN_DPS, check_dps


def add_run_options(p: argparse.ArgumentParser, label_example: str = "lem:3.1") -> None:
    """LABEL ..., --dps, --seed and --samples."""
    p.add_argument("labels", nargs="*", metavar="LABEL",
                   help=f"claim labels, e.g. {label_example} (default: every claim)")
    p.add_argument("--dps", type=int, default=50,
                   help=f"mpmath decimal digits for high-precision evidence "
                        f"({MIN_DPS}..{MAX_DPS}, default 50)")
    p.add_argument("--seed", type=int, default=0, help="seed of every sampled point (default 0)")
    p.add_argument("--samples", type=int, default=100,
                   help="float64 critical points per numeric check (default 100, >= 1)")


def check_run_options(args: argparse.Namespace) -> None:
    """Refuse a --dps, --samples or --seed that cannot give a decision."""
    check_dps(args.dps, "--dps")
    if args.samples < 1:
        raise UFMInputError(f"--samples: {args.samples} must be >= 1")
    if args.seed < 0:
        raise UFMInputError(f"--seed: {args.seed} must be >= 0")


def resolve_labels(registry: Any, labels: list[str]) -> list[str] | None:
    """The closure of ``labels`` in paper order (``None``: every claim); an unknown
    label is bad input."""
    from ufm_sym.claims import UnknownLabelError

    if not labels:
        return None
    try:
        return registry.closure(labels)
    except UnknownLabelError as exc:
        raise UFMInputError(str(exc)) from None


def context_from(args: argparse.Namespace) -> Any:
    """The :class:`~ufm_sym.claims.VerifyContext` of the checked options."""
    from ufm_sym.claims import VerifyContext

    check_run_options(args)
    return VerifyContext(dps=args.dps, seed=args.seed, numeric_samples=args.samples)


def add_report_options(p: argparse.ArgumentParser) -> None:
    """``--no-run`` and ``--from-report FILE`` (the commands that print claims with
    their evidence: ``appendix``, ``graph``, ``blueprint``)."""
    p.add_argument("--no-run", action="store_true",
                   help="do not run the claims: statements and structure only")
    p.add_argument("--from-report", metavar="FILE", default=None,
                   help="take the evidence from FILE, the output of `ufm-sym verify --json` "
                        "(the claims are not run again; one verification serves the "
                        "appendix, the graph and the blueprint)")


def stored_report(args: argparse.Namespace, registry: Any, labels: list[str] | None) -> Any:
    """The report of ``--from-report``, read and checked now (before any output exists),
    or ``None``; ``--from-report`` with ``--no-run`` is bad input."""
    if args.no_run and args.from_report:
        raise UFMInputError("--from-report: cannot be combined with --no-run")
    if not args.from_report:
        return None
    from ufm_sym.report import load_report

    return load_report(args.from_report, registry, labels)


def report_for(args: argparse.Namespace, registry: Any, labels: list[str] | None,
               ctx: Any, stored: Any = None) -> Any:
    """The report these options ask for: the ``stored`` one (``--from-report``),
    ``None`` (``--no-run``), or a fresh run of the claims (with a progress bar)."""
    if stored is not None:
        return stored
    if args.no_run:
        return None
    from ufm_sym import report as report_mod

    return report_mod.run_with_progress(registry, ctx, labels)


def report_failures(command: str, report: Any) -> int:
    """Name the claims of ``report`` that did not pass on stderr, as ``ufm-sym COMMAND:
    N claim(s) did not pass: ...``, and return the exit code: 1 if any did, else 0
    (also for ``report=None``, a ``--no-run``)."""
    import sys

    failures = report.failures() if report is not None else []
    if not failures:
        return 0
    names = ", ".join(f"{r.label} ({r.status})" for r in failures)
    sys.stderr.write(f"ufm-sym {command}: {len(failures)} claim(s) did not pass: {names}\n")
    return 1
