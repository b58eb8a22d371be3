"""``ufm-sym sweep GRID.toml [--jobs J] [--scheduler ADDRESS] [--cache DIR]``.

Runs ``ufm-sym sample`` over a grid of problems, in parallel with joblib processes
(``--jobs``) or on a dask.distributed cluster (``--scheduler``); both are imported only
when used.  Each cell has an explicit seed (given in the grid, or derived from the run
seed and the cell's problem, so adding cells never changes the others).  With
``--cache DIR`` every finished cell is stored as ``DIR/<key>.json`` and a re-run
computes only the new cells.  A summary table goes to stdout, and a CSV to ``--csv
PATH`` when asked.  Exit 0 if every sample of every cell validates, 1 otherwise, 2 on
a bad grid.  ``examples/grid.toml`` is a grid to start from.

A grid file (:data:`GRID_FORMAT`)::

    seed = 0                       # run seed (default 0)
    count = 1                      # samples per kind and cell (default 1)
    kinds = ["global", "origin", "saddle"]
    backend = "numpy"              # numpy, torch or cupy; device = "cpu"
    escape = true                  # run the escape-to-global descent at saddles

    [grid]                         # the Cartesian product of these lists
    loss = ["ce", "mse"]
    K = [3, 4]
    n = [2]
    lambda_W = ["0.01"]
    lambda_H = ["0.01"]
    lambda_b = ["0", "0.01"]       # d = [...] optional (default K)

    [[cells]]                      # optional extra cells, each may fix its seed
    loss = "ce"
    K = 5
    n = 1
    lambda_W = "5e-3"
    lambda_H = "5e-3"
    seed = 42
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

from ufm_sym import grid as G
from ufm_sym.grid import cell_key, derived_seed  # noqa: F401  (re-exported)
from ufm_sym.model import Problem, UFMInputError

CONNECT_TIMEOUT = "10s"  # to reach a dask scheduler
TOP_KEYS = {"seed", "count", "kinds", "backend", "device", "escape", "grid", "cells"}
CELL_KEYS = {"loss", "K", "n", "d", "lambda_W", "lambda_H", "lambda_b", "seed", "count", "kinds"}
GRID_KEYS = {"loss", "K", "n", "d", "lambda_W", "lambda_H", "lambda_b"}
CSV_COLUMNS = ["loss", "K", "n", "d", "lambda_W", "lambda_H", "lambda_b", "seed", "samples",
               "failed", "global_value", "max_grad_norm", "min_saddle_lambda_min",
               "max_curvature_error", "max_escape_gap", "failures", "cached", "seconds"]


#: the grid format, as ``ufm-sym sweep --help`` prints it
GRID_FORMAT = __doc__.split("A grid file (:data:`GRID_FORMAT`)::\n", 1)[1].rstrip() + "\n"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run the sampler over a grid of problems (joblib or dask), with a cache",
        description="Run 'sample' over the cells of GRID.toml; a summary table, and a CSV "
                    "with --csv.  Exit 1 if any sample in any cell fails its validation.",
        epilog="GRID.toml (examples/grid.toml is one to start from):\n\n" + GRID_FORMAT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("grid", metavar="GRID.toml", help="the grid (see the module docstring)")
    p.add_argument("--jobs", type=int, default=1, metavar="J",
                   help="parallel joblib processes (default 1: in this process)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="dask.distributed scheduler address (e.g. tcp://127.0.0.1:8786)")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="cache directory: finished cells are reused")
    p.add_argument("--csv", default=None, metavar="PATH",
                   help="also write the summary as CSV to PATH (none by default)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=run)


# ------------------------------------------------------------------------ grid
def load_grid(path: str | Path) -> dict[str, Any]:
    return G.load_toml(path, TOP_KEYS)


def _kinds_list(value: Any, key: str) -> list[str]:
    """``kinds`` as a list of names: a list of strings or one comma-separated string."""
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list) and all(isinstance(k, str) for k in value):
        return value
    raise UFMInputError(f"GRID: {key} {value!r} must be a list of strings")


def expand_cells(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The cells of a grid: dicts with the problem, seed, count and kinds, validated."""
    from ufm_sym.numeric.sampling import plan

    base = G.base_seed(data)
    count = data.get("count", 1)
    kinds = _kinds_list(data.get("kinds", ["global", "origin", "saddle"]), "kinds")
    cells = []
    for c in G.problem_cells(data, CELL_KEYS - GRID_KEYS):
        p = G.cell_problem(c)
        cell_count = c.get("count", count)
        if not isinstance(cell_count, int) or cell_count < 1:
            raise UFMInputError(f"GRID: count {cell_count!r} must be an integer >= 1")
        cell_kinds = _kinds_list(c.get("kinds", kinds), "cells.kinds")
        seed = G.cell_seed(c, base, p)
        plan(p, cell_kinds, cell_count, seed)  # validates the kinds for this problem
        cells.append({"problem": p.to_dict(), "seed": int(seed), "count": int(cell_count),
                      "kinds": list(cell_kinds)})
    return cells


# ------------------------------------------------------------------------ one cell
def run_cell(cell: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """Sample and validate one cell; a JSON-ready result (runs in a worker process)."""
    from ufm_sym.numeric.sampling import sample

    t0 = time.perf_counter()
    p = Problem(**cell["problem"])
    recs = sample(p, cell["kinds"], count=cell["count"], seed=cell["seed"],
                  backend=settings["backend"], escape=settings["escape"])
    return {"cell": cell, "samples": [r.to_dict() for r in recs],
            "seconds": round(time.perf_counter() - t0, 6)}


def summarize(result: dict[str, Any], cached: bool) -> dict[str, Any]:
    from ufm_sym.numeric.closed_forms import closed_form_global_value

    cell, samples = result["cell"], result["samples"]
    p = Problem(**cell["problem"])

    def nums(key: str, saddle_only: bool = False) -> list[float]:
        return [s["numbers"][key] for s in samples
                if s["numbers"].get(key) is not None
                and (not saddle_only or s["expected"] == "saddle")]

    def agg(vals: list[float], fn: Any) -> float | None:
        return float(fn(vals)) if vals else None

    fails = sorted({f"{s['kind']}:{f}" for s in samples for f in s["failures"]})
    return {
        "loss": p.loss, "K": p.K, "n": p.n, "d": p.d, "lambda_W": str(p.lambda_W),
        "lambda_H": str(p.lambda_H), "lambda_b": str(p.lambda_b), "seed": cell["seed"],
        "samples": len(samples), "failed": sum(1 for s in samples if not s["passed"]),
        "global_value": closed_form_global_value(p),
        "max_grad_norm": agg(nums("grad_norm"), max),
        "min_saddle_lambda_min": agg(nums("lambda_min", True), min),
        "max_curvature_error": agg(nums("escape_curvature_error"), max),
        "max_escape_gap": agg([abs(x) for x in nums("escape_final_gap")], max),
        "failures": ";".join(fails), "cached": cached, "seconds": result["seconds"],
    }


# ------------------------------------------------------------------------ run
def run(args: argparse.Namespace) -> int:
    from ufm_sym import __version__
    from ufm_sym.numeric.backend import get_backend

    data = load_grid(args.grid)
    if args.jobs < 1:
        raise UFMInputError(f"--jobs: {args.jobs} must be >= 1")
    backend = str(data.get("backend", "numpy"))
    device = str(data.get("device", "cpu"))
    be = get_backend(backend, device)
    escape = data.get("escape", True)
    if not isinstance(escape, bool):
        raise UFMInputError(f"GRID: escape {escape!r} must be true or false")
    settings = {"backend": be.name, "device": be.device, "escape": escape}
    cells = expand_cells(data)
    cache = G.Cache(args.cache) if args.cache else None
    t0 = time.perf_counter()
    results, cached = G.run_cells(run_cell, cells, settings, cache=cache, jobs=args.jobs,
                                  scheduler=args.scheduler, desc="sweep",
                                  timeout=CONNECT_TIMEOUT)
    todo = [i for i, c in enumerate(cached) if not c]
    rows = [summarize(r, c) for r, c in zip(results, cached, strict=True)]  # type: ignore[arg-type]
    ok = all(r["failed"] == 0 for r in rows)
    csv_path = Path(args.csv) if args.csv else None
    if csv_path is not None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r[k] is None else r[k]) for k in CSV_COLUMNS})
        try:
            csv_path.write_text(buf.getvalue())
        except OSError as exc:
            raise UFMInputError(f"--csv: cannot write {str(csv_path)!r} "
                                f"({exc.strerror})") from None
    if args.json:
        out = {"command": "sweep", "version": __version__, "grid": str(args.grid),
               "backend": be.name, "device": be.device, "passed": ok, "cells": rows,
               "computed": len(todo), "cached": len(cells) - len(todo),
               "csv": None if csv_path is None else str(csv_path),
               "seconds": round(time.perf_counter() - t0, 6)}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        print(format_rows(rows))
        print(f"{len(cells)} cells ({len(todo)} computed, {len(cells) - len(todo)} from cache), "
              f"{sum(r['failed'] for r in rows)} failed samples"
              + (f"; CSV: {csv_path}" if csv_path is not None else ""))
    return 0 if ok else 1


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def format_rows(rows: list[dict[str, Any]]) -> str:
    cols = ["loss", "K", "n", "d", "lambda_W", "lambda_H", "lambda_b", "seed", "samples",
            "failed", "max_grad_norm", "min_saddle_lambda_min", "max_curvature_error",
            "max_escape_gap", "cached", "seconds"]
    head = ["loss", "K", "n", "d", "lW", "lH", "lb", "seed", "samples", "failed", "max|grad|",
            "min lam(saddle)", "max curv err", "max esc gap", "cached", "s"]
    table = [head] + [[_fmt(r[c]) for c in cols] for r in rows]
    widths = [max(len(row[j]) for row in table) for j in range(len(head))]
    lines = ["  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in rows:
        if r["failures"]:
            lines.append(f"FAILED {r['loss']} K={r['K']} n={r['n']}: {r['failures']}")
    return "\n".join(lines)
