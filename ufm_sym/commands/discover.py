"""``ufm-sym discover``: critical points from unbiased starts, de-duplicated modulo
symmetry and classified; or, with ``--grid``, an atlas of such runs.

    ufm-sym discover --loss ce|mse --K K --n n [--d d] [--lambda-W X] [--lambda-H X]
                     [--lambda-b X] [--starts 60] [--seed 0] [--dps 50]
                     [--jobs J | --scheduler ADDRESS] [--json] [--out DIR]
    ufm-sym discover --grid GRID.toml [--jobs J | --scheduler ADDRESS] [--cache DIR]
                     [--csv PATH] [--plot PATH] [--out DIR] [--json]

The engine is :mod:`ufm_sym.discover` (method and margins: ``docs/discover.md``).
Exit 0 after a run, whatever it found, except at ``d = K`` where a ``local_min``,
``spurious_local_min`` or ``degenerate`` orbit contradicts Theorem 1.1/1.2: exit 1.
Exit 2 on bad input (one line on stderr naming the bad value; nothing written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ufm_sym.commands.sample import add_problem_arguments, problem_from_args
from ufm_sym.model import UFMInputError

CONTRADICTS = ("local_min", "spurious_local_min", "degenerate")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "discover",
        help="find critical points from random starts, de-duplicated and classified",
        description=(
            "Critical points from random starts at several scales: L-BFGS for minima, "
            "deflated Levenberg-Marquardt on grad f = 0 and deflated minimisation of "
            "||grad f||^2 for saddles; each refined to --dps digits, de-duplicated modulo "
            "the symmetries (W Q, Q^T H; b + c 1 for CE with lambda_b = 0; the MSE class "
            "rotations O W, H (O x I)^T, O b with O 1 = 1) by its "
            "invariants (f, singular values of W, Hessian spectrum) and classified: "
            "global_min, strict_saddle, local_min, spurious_local_min, degenerate, "
            "not_critical, undecided (docs/discover.md).  With --grid GRID.toml: an atlas "
            "of runs over a grid (the TOML format of 'sweep', with 'starts' and 'dps'), "
            "as a table, CSV, JSON and a plot."),
        epilog="Exit 0 after a run; 1 if, at d = K, an orbit contradicts Theorem 1.1/1.2 "
               "(local_min, spurious_local_min or degenerate); 2 on bad input.",
    )
    add_problem_arguments(p, required=False)
    p.add_argument("--starts", type=int, default=None, metavar="S",
                   help="random starts (default 60)")
    p.add_argument("--seed", type=int, default=None, help="run seed (default 0)")
    p.add_argument("--dps", type=int, default=None,
                   help="digits of the refinement and classification (default 50)")
    par = p.add_mutually_exclusive_group()
    par.add_argument("--jobs", type=int, default=1, metavar="J",
                     help="parallel joblib processes (default 1)")
    par.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="dask.distributed scheduler address (e.g. tcp://127.0.0.1:8786)")
    p.add_argument("--grid", default=None, metavar="GRID.toml",
                   help="run the atlas over this grid instead of one problem")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="with --grid: finished cells are kept here and reused")
    p.add_argument("--csv", default=None, metavar="PATH",
                   help="with --grid: the atlas CSV (default: GRID with suffix .csv)")
    p.add_argument("--plot", default=None, metavar="PATH",
                   help="with --grid: the atlas plot, PNG (needs matplotlib; default "
                        "DIR/atlas.png with --out DIR)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write discover.json and one POINT.json per orbit (with --grid: "
                        "atlas.json, atlas.csv, atlas.png and the spurious minima found)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=run)


# ------------------------------------------------------------------ checks
def _check_common(args: argparse.Namespace) -> None:
    if args.jobs < 1:
        raise UFMInputError(f"--jobs: {args.jobs} must be >= 1")
    if args.scheduler is not None and not args.scheduler.strip():
        raise UFMInputError("--scheduler: empty address")


def _check_single(args: argparse.Namespace) -> Any:
    from ufm_sym.precision import check_dps

    missing = [f"--{k}" for k in ("loss", "K", "n") if getattr(args, k) is None]
    if missing:
        raise UFMInputError(f"{', '.join(missing)}: required (or give --grid GRID.toml)")
    for opt in ("cache", "csv", "plot"):
        if getattr(args, opt) is not None:
            raise UFMInputError(f"--{opt}: only with --grid")
    problem = problem_from_args(args)
    args.starts = 60 if args.starts is None else args.starts
    args.seed = 0 if args.seed is None else args.seed
    args.dps = 50 if args.dps is None else args.dps
    if args.starts < 1:
        raise UFMInputError(f"--starts: {args.starts} must be >= 1")
    if args.seed < 0:
        raise UFMInputError(f"--seed: {args.seed} must be >= 0")
    check_dps(args.dps, "--dps")
    return problem


# ------------------------------------------------------------------ one problem
def run(args: argparse.Namespace) -> int:
    _check_common(args)
    if args.grid is not None:
        return run_atlas(args)
    problem = _check_single(args)
    from ufm_sym.discover.search import discover

    with _out_dir(args.out) as out_dir:
        result = discover(problem, starts=args.starts, seed=args.seed, dps=args.dps,
                          jobs=args.jobs, scheduler=args.scheduler, progress=True)
    obj = result.to_json()
    files = _write_outputs(out_dir, result, obj) if out_dir is not None else []
    if args.json:
        obj["files"] = files
        sys.stdout.write(json.dumps(obj, indent=2) + "\n")
    else:
        sys.stdout.write(format_result(result))
        for f in files:
            sys.stdout.write(f"wrote {f}\n")
    bad = problem.theorem_applies and any(o.kind in CONTRADICTS for o in result.orbits)
    return 1 if bad else 0


@contextlib.contextmanager
def _out_dir(path: str | None) -> Iterator[Path | None]:
    """The checked output folder (created); removed again if it was new and bad input
    stops the run before anything is written in it."""
    if path is None:
        yield None
        return
    from ufm_sym.atomic_write import ensure_writable_dir

    existed = Path(path).exists()
    d = ensure_writable_dir(path, "--out")
    try:
        yield d
    except UFMInputError:
        if not existed and d.is_dir() and not any(d.iterdir()):
            d.rmdir()
        raise


def _write_outputs(out_dir: Path, result: Any, obj: dict[str, Any]) -> list[str]:
    from ufm_sym.atomic_write import atomic_write_text

    files = []
    for i, pt in enumerate(obj["points"]):
        name = out_dir / f"orbit-{i:03d}-{pt['kind']}.json"
        atomic_write_text(name, json.dumps(pt["point"], indent=1) + "\n")
        pt["point_file"] = name.name
        files.append(str(name))
    summary = out_dir / "discover.json"
    atomic_write_text(summary, json.dumps(obj, indent=2) + "\n")
    return [str(summary)] + files


def format_result(result: Any) -> str:
    """The text report: a table of the orbits, the counts, the tolerances."""
    import mpmath

    p = result.problem
    lines = [f"{p.describe()}  [{result.starts} starts, seed {result.seed}, dps "
             f"{result.dps}]", p.theorem_note()]
    head = ["#", "kind", "objective", "starts", "found by", "neg/0/pos", "orbit dim",
            "|grad f|", "margin"]
    table = [head]
    for i, o in enumerate(result.orbits):
        counts = ("-" if o.negative is None else
                  f"{o.negative}/{o.near_zero}/{o.positive}")
        table.append([str(i), o.kind, mpmath.nstr(o.objective, 15), str(o.multiplicity),
                      ",".join(f"{k} {v}" for k, v in sorted(o.found_by.items())), counts,
                      "-" if o.orbit_dimension is None else str(o.orbit_dimension),
                      mpmath.nstr(o.gradient_norm, 2), mpmath.nstr(o.margin, 2)])
    widths = [max(len(r[j]) for r in table) for j in range(len(head))]
    rows = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in table]
    rows.insert(1, "  ".join("-" * w for w in widths))
    lines += rows
    for i, o in enumerate(result.orbits):
        if o.kind not in ("global_min", "strict_saddle"):
            lines.append(f"#{i} {o.kind}: {o.reason}")
    counts = ", ".join(f"{v} {k}" for k, v in result.counts().items() if v)
    sec = result.seconds
    lines.append(f"distinct orbits: {len(result.orbits)} ({counts or 'none'}); "
                 f"{result.unconverged} of {result.starts} starts reached no critical point; "
                 f"{sec['total']:.1f} s (search {sec['search']:.1f} s, refine "
                 f"{sec['refine']:.1f} s)")
    lines.append("found in these starts only: more starts may find more orbits")
    tol = result.settings()["tolerances"]
    lines.append(f"margins: {tol['margin']}; values equal within margin * max(1, |f|)")
    lines.append(f"same orbit: float64 {tol['float_same_orbit']}; refined "
                 f"{tol['refined_same_orbit']}")
    if p.theorem_applies and any(o.kind in CONTRADICTS for o in result.orbits):
        lines.append("CONTRADICTION: at d = K an orbit is a local minimum that is not a "
                     f"global one, against {p.theorem_label}; check it with ufm-sym classify")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the atlas
def run_atlas(args: argparse.Namespace) -> int:
    from ufm_sym import __version__
    from ufm_sym import grid as G
    from ufm_sym.atomic_write import atomic_write_text
    from ufm_sym.discover.atlas import (
        atlas_csv,
        format_atlas,
        load_atlas,
        plot_atlas,
        require_matplotlib,
        run_cell,
    )

    for opt in ("loss", "K", "n", "d", "starts", "seed", "dps"):
        if getattr(args, opt) is not None:
            raise UFMInputError(f"--{opt}: not with --grid (the grid file sets it)")
    cells = load_atlas(args.grid)
    plot_path = Path(args.plot) if args.plot else None
    if plot_path is not None:
        require_matplotlib()
    for opt, path in (("--plot", plot_path), ("--csv", args.csv and Path(args.csv))):
        if path and not path.parent.is_dir():
            raise UFMInputError(f"{opt}: the folder of {str(path)!r} does not exist")
    cache = G.Cache(args.cache) if args.cache else None
    with _out_dir(args.out) as out_dir:
        results, cached = G.run_cells(run_cell, cells, None, cache=cache,
                                      key_settings={"command": "discover"}, jobs=args.jobs,
                                      scheduler=args.scheduler, desc="discover: atlas")
    todo = [i for i, c in enumerate(cached) if not c]
    rows = [dict(r["row"], cached=c) for r, c in zip(results, cached, strict=True)]
    csv_path = (Path(args.csv) if args.csv else out_dir / "atlas.csv" if out_dir
                else Path(args.grid).with_suffix(".csv"))
    if plot_path is None and out_dir is not None:
        try:
            require_matplotlib()
            plot_path = out_dir / "atlas.png"
        except UFMInputError:
            sys.stderr.write("ufm-sym discover: note: no atlas plot: matplotlib is not "
                             "installed (pip install matplotlib)\n")
    try:
        atomic_write_text(csv_path, atlas_csv(rows))
    except OSError as exc:
        raise UFMInputError(f"--csv: cannot write {str(csv_path)!r} ({exc.strerror})") \
            from None
    files = [str(csv_path)]
    if plot_path is not None:
        files.append(str(plot_atlas(rows, plot_path)))
    obj = {"schema": 1, "tool": "ufm-sym", "command": "discover --grid",
           "version": __version__, "grid": str(args.grid), "rows": rows,
           "cells": [{"cell": r["cell"], "orbits": r["orbits"],
                      "spurious_example": r["spurious_example"]} for r in results],
           "computed": len(todo), "cached": len(cells) - len(todo)}
    if out_dir is not None:
        atomic_write_text(out_dir / "atlas.json", json.dumps(obj, indent=2) + "\n")
        files.append(str(out_dir / "atlas.json"))
        for r in results:
            if r["spurious_example"] is not None:
                p = r["cell"]["problem"]
                name = out_dir / (f"spurious-{p['loss']}-K{p['K']}-n{p['n']}-d{p['d']}"
                                  f"-seed{r['cell']['seed']}.json")
                atomic_write_text(name, json.dumps(r["spurious_example"], indent=1) + "\n")
                files.append(str(name))
    if args.json:
        obj["files"] = files
        sys.stdout.write(json.dumps(obj, indent=2) + "\n")
    else:
        sys.stdout.write(format_atlas(rows) + "\n")
        sys.stdout.write(f"{len(cells)} cells ({len(todo)} computed, {len(cells) - len(todo)} "
                         "from cache); orbits found in the given starts only\n")
        for f in files:
            sys.stdout.write(f"wrote {f}\n")
    bad = [r for r in rows if r["d"] == r["K"] and any(r[k] for k in CONTRADICTS)]
    for r in bad:
        sys.stderr.write(f"ufm-sym discover: CONTRADICTION at d = K: {r['loss']} K={r['K']} "
                         f"n={r['n']} has a non-global local minimum\n")
    return 1 if bad else 0
