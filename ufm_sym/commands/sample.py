"""``ufm-sym sample``: sample critical points of each family in float64 and validate them.

    ufm-sym sample --loss ce|mse --K K --n n [--d d] [--lambda-W X] [--lambda-H X]
                   [--lambda-b X] [--count M] [--kinds global,origin,saddle] [--seed S]
                   [--backend numpy|torch|cupy] [--device cpu|cuda|auto] [--json]
                   [--plots DIR] [--no-escape] [--escape-rounds R] [--escape-seconds S]

The escape-to-global descent at saddles is bounded (``--escape-rounds``, default 3;
``--escape-seconds`` per sample, default 60; :class:`~ufm_sym.numeric.sampling.EscapeLimits`),
the bounds are printed under the table, and a descent stopped by one is marked ``+`` and
reported, not failed.  The progress bar (on a terminal) names each stage of each sample.

Exit 0 if every validation of every sample holds, 1 if one fails, 2 on bad input.
A table goes to stdout (or, with ``--json``, one JSON object: package version, seed,
backend, device, problem, samples); a progress bar goes to stderr when it is a terminal.
The same seed gives byte-identical JSON apart from the timing fields (``seconds``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from ufm_sym.model import Problem, UFMInputError

DEFAULT_KINDS = "global,origin,saddle"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "sample",
        help="sample critical points of each family (float64) and validate them",
        description=(
            "Sample critical points (global minimizers, the origin, saddle families) in "
            "float64 and validate each: gradient norm, Lemma 3.1 residuals, the spectral "
            "criterion, the escape direction (3.10)/(4.36) and its curvature, the smallest "
            "Hessian eigenvalue, escape to the global value, NC1-NC3 and the bias residual.  "
            "Exit 1 if a validation fails."
        ),
    )
    add_problem_arguments(p)
    p.add_argument("--count", type=int, default=1, metavar="M",
                   help="samples per kind (the origin is one point; default 1)")
    p.add_argument("--kinds", default=DEFAULT_KINDS,
                   help="comma-separated: global, origin, saddle (or the families rank, merged, "
                        f"dead for CE, subspace for MSE); default {DEFAULT_KINDS}")
    p.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    add_backend_arguments(p)
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--points", action="store_true", help="with --json, include W, H, b")
    p.add_argument("--plots", metavar="DIR", default=None,
                   help="write PNG figures (Hessian spectra, escape profile, descent with NC "
                        "metrics) into DIR")
    p.add_argument("--no-escape", action="store_true",
                   help="skip the escape-to-global descent at saddles")
    add_escape_arguments(p)
    p.set_defaults(func=run)


def add_problem_arguments(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--loss", required=required, help="ce or mse")
    p.add_argument("--K", type=str, required=required, help="number of classes (>= 2)")
    p.add_argument("--n", type=str, required=required, help="samples per class (>= 1)")
    p.add_argument("--d", type=str, default=None, help="feature dimension (default K)")
    p.add_argument("--lambda-W", dest="lambda_W", default="0.01", help="default 0.01")
    p.add_argument("--lambda-H", dest="lambda_H", default="0.01", help="default 0.01")
    p.add_argument("--lambda-b", dest="lambda_b", default="0", help="default 0")


def add_escape_arguments(p: argparse.ArgumentParser) -> None:
    from ufm_sym.numeric.sampling import EscapeLimits

    lim = EscapeLimits()
    p.add_argument("--escape-rounds", default=str(lim.rounds), metavar="R",
                   help=f"at most R escape rounds per saddle (default {lim.rounds})")
    p.add_argument("--escape-seconds", default=f"{lim.seconds:g}", metavar="S",
                   help=f"at most S seconds of escape descent per saddle (default "
                        f"{lim.seconds:g}); a descent stopped by a bound is reported, "
                        "not failed")


def escape_limits_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~ufm_sym.numeric.sampling.EscapeLimits` of ``--escape-rounds/-seconds``."""
    from ufm_sym.numeric.sampling import EscapeLimits

    try:
        rounds = int(str(args.escape_rounds))
    except ValueError:
        raise UFMInputError(f"--escape-rounds: {args.escape_rounds!r} is not an integer") from None
    try:
        seconds = float(str(args.escape_seconds))
    except ValueError:
        raise UFMInputError(f"--escape-seconds: {args.escape_seconds!r} is not a number") from None
    try:
        return EscapeLimits(rounds=rounds, seconds=seconds)
    except UFMInputError as exc:  # in the command line's words
        raise UFMInputError(str(exc).replace("escape rounds:", "--escape-rounds:")
                            .replace("escape seconds:", "--escape-seconds:")) from None


def add_backend_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", default="numpy", help="numpy (default), torch or cupy")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")


def problem_from_args(args: argparse.Namespace) -> Problem:
    return Problem(loss=args.loss, K=args.K, n=args.n, d=args.d, lambda_W=args.lambda_W,
                   lambda_H=args.lambda_H, lambda_b=args.lambda_b)


def parse_kinds(text: str) -> list[str]:
    kinds = [k.strip().lower() for k in str(text).split(",") if k.strip()]
    if not kinds:
        raise UFMInputError("--kinds: empty list")
    return kinds


def _fmt(x: Any, spec: str = ".3g") -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    try:
        return format(float(x), spec)
    except (TypeError, ValueError):
        return str(x)


def _params_text(params: dict[str, Any]) -> str:
    keep = {k: v for k, v in params.items() if k not in ("index", "refine", "bias_shift")}
    return ",".join(f"{k}={v}" for k, v in keep.items()).replace(" ", "") or "-"


def format_table(records: list[Any]) -> str:
    """A plain-text table of the sample records."""
    head = ["#", "kind", "params", "expect", "f - f*", "|grad f|", "|grad g|2-sqrt",
            "lambda_min", "margin", "neg/0", "curv (pred)", "escaped", "NC1/NC2/NC3", "ok"]
    rows = [head]
    for i, r in enumerate(records):
        n = r.numbers
        curv = "-" if "escape_curvature" not in n else (
            f"{_fmt(n['escape_curvature'], '.4g')} ({_fmt(n['escape_predicted'], '.4g')})")
        esc = "-" if "escape_final_gap" not in n else (
            f"{_fmt(n['escape_final_gap'], '.1e')}/{n['escape_rounds']}r"
            + ("+" if n.get("escape_stopped") else ""))
        negz = (f"{_fmt(n.get('n_negative'))}/{_fmt(n.get('n_near_zero'))}")
        nc = "/".join(_fmt(n.get(k), ".1e") for k in ("nc1", "nc2", "nc3"))
        rows.append([str(i), r.kind, _params_text(r.params), r.expected,
                     _fmt(n["value_gap"], ".2e"), _fmt(n["grad_norm"], ".1e"),
                     _fmt(n["criterion_gap"], ".3e"), _fmt(n["lambda_min"], ".4g"),
                     _fmt(n["lambda_min_margin"], ".1e"), negz, curv, esc, nc,
                     "PASS" if r.passed else "FAIL: " + ",".join(r.failures)])
    widths = [max(len(row[j]) for row in rows) for j in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ufm_sym import __version__
    from ufm_sym.numeric.backend import get_backend
    from ufm_sym.numeric.sampling import plan, sample_one

    problem = problem_from_args(args)
    if args.count < 1:
        raise UFMInputError(f"--count: {args.count} must be >= 1")
    if args.plots:
        from ufm_sym.atomic_write import ensure_writable_dir

        ensure_writable_dir(args.plots, "--plots")  # before the samples, not after
    kinds = parse_kinds(args.kinds)
    limits = escape_limits_from_args(args)
    be = get_backend(args.backend, args.device)
    jobs = plan(problem, kinds, args.count, args.seed)
    t0 = time.perf_counter()
    records = []
    bar = _progress(len(jobs))
    try:
        for i, (kind, idx, seed) in enumerate(jobs):
            records.append(sample_one(problem, kind, seed, backend=be,
                                      escape=not args.no_escape, index=idx,
                                      escape_limits=limits,
                                      progress=_stage_reporter(bar, i, len(jobs), kind)))
    finally:
        if bar is not None:
            bar.close()
    plots: list[str] = []
    if args.plots:
        from ufm_sym.numeric.plots import write_plots

        plots = [str(p) for p in write_plots(problem, records, args.plots, seed=args.seed)]
    ok = all(r.passed for r in records)
    if args.json:
        from ufm_sym.numeric.closed_forms import closed_form_global_value

        out = {
            "command": "sample", "version": __version__, "seed": args.seed,
            "dps": None, "precision": "float64", "backend": be.name, "device": be.device,
            "problem": problem.to_dict(),
            "theorem": problem.theorem_note(), "kinds": kinds, "count": args.count,
            "global_value": closed_form_global_value(problem),
            "escape": None if args.no_escape else {
                "rounds": limits.rounds, "seconds": limits.seconds, "noise": limits.noise,
                "stopped": sum(1 for r in records if r.numbers.get("escape_stopped"))},
            "passed": ok, "n_samples": len(records),
            "n_failed": sum(1 for r in records if not r.passed),
            "samples": [r.to_dict(include_point=args.points) for r in records],
            "plots": plots, "seconds": round(time.perf_counter() - t0, 6),
        }
        sys.stdout.write(json.dumps(out, indent=2, sort_keys=False, allow_nan=False) + "\n")
    else:
        print(f"{problem.describe()}  [{be.describe()}, seed {args.seed}]")
        print(problem.theorem_note())
        if not records:
            print("no samples (no saddle exists: K sqrt(n lambda_W lambda_H) >= 1)")
        else:
            print(format_table(records))
        tol = records[0].tolerances if records else None
        if tol is not None:
            print(f"tolerances: grad {tol.grad:g}, residual {tol.residual:g}, criterion "
                  f"{tol.criterion:g}, value {tol.value:g}, curvature {tol.curvature:g}, "
                  f"escape value {tol.escape_value:g}, NC {tol.nc:g}; eigenvalue margin per row")
            if not args.no_escape and any("escape_rounds" in r.numbers for r in records):
                stopped = sum(1 for r in records if r.numbers.get("escape_stopped"))
                print(limits.describe(tol.escape_step) + (
                    f"; {stopped} stopped at a bound ('+', not failed)" if stopped else ""))
        for p in plots:
            print(f"wrote {p}")
        n_bad = sum(1 for r in records if not r.passed)
        print(f"{len(records)} samples, {n_bad} failed, "
              f"{time.perf_counter() - t0:.2f} s")
    return 0 if ok else 1


def _stage_reporter(bar: Any, i: int, total: int, kind: str) -> Any:
    """A ``progress(stage)`` callback that shows the stage and counts finished samples."""
    if bar is None:
        return None

    def report(stage: str) -> None:
        if stage == "done":
            bar.update(1)
        else:
            bar.set_postfix_str(f"{i + 1}/{total} {kind}: {stage}", refresh=True)

    return report


def _progress(total: int) -> Any:
    if total < 1 or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, file=sys.stderr, desc="sample", leave=False)
