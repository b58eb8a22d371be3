"""The atlas: ``discover`` over a grid of problems, as a table, CSV, JSON and a plot.

The grid file is the TOML format of ``ufm-sym sweep`` (:mod:`ufm_sym.grid`) with the
discover settings at the top::

    seed = 0          # run seed; each cell's seed is derived from it and the problem
    starts = 60       # random starts per cell
    dps = 30          # digits of the refinement and classification
    [grid]
    loss = ["ce", "mse"]
    K = [3]
    n = [1]
    d = [1, 2, 3, 4, 5]
    lambda_W = ["0.01"]
    lambda_H = ["0.01"]
    lambda_b = ["0.01"]

(``[[cells]]`` may set ``seed`` and ``starts`` per cell.)  Each cell is one
:func:`ufm_sym.discover.search.discover` run; cells run in joblib processes or on a
Dask cluster and can be cached.  A row per cell: the distinct orbits by kind, whether a
spurious local minimum was found, the lowest minimum's value, unconverged starts.
:func:`plot_atlas` draws, per loss and ``K``, the orbits by kind against ``d`` with the
line ``d = K`` and a mark where a spurious local minimum was found.

>>> import tempfile, pathlib
>>> g = pathlib.Path(tempfile.mkdtemp()) / "a.toml"
>>> _ = g.write_text('starts = 3\\n[grid]\\nloss = ["ce"]\\nK = [2]\\nn = [1]\\nd = [1, 2]\\n')
>>> [(c["problem"]["d"], c["starts"]) for c in load_atlas(g)]
[(1, 3), (2, 3)]
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import mpmath

from ufm_sym import grid as G
from ufm_sym.discover.kinds import KINDS
from ufm_sym.model import Problem, UFMInputError

__all__ = ["CSV_COLUMNS", "TOP_KEYS", "atlas_csv", "format_atlas", "load_atlas",
           "plot_atlas", "require_matplotlib", "run_cell"]

TOP_KEYS = {"seed", "starts", "dps", "grid", "cells"}
CELL_KEYS = {"seed", "starts"}
DEFAULT_STARTS = 60
DEFAULT_DPS = 30
CSV_COLUMNS = (["loss", "K", "n", "d", "lambda_W", "lambda_H", "lambda_b", "seed", "starts",
                "orbits"] + list(KINDS)
               + ["spurious_found", "lowest_minimum", "unconverged", "cached", "seconds"])


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UFMInputError(f"GRID: {what} {value!r} must be an integer >= 1")
    return value


def load_atlas(path: str | Path) -> list[dict[str, Any]]:
    """The cells of an atlas grid: ``problem`` (dict), ``seed``, ``starts``, ``dps``."""
    from ufm_sym.precision import check_dps

    data = G.load_toml(path, TOP_KEYS)
    base = G.base_seed(data)
    starts = _positive(data.get("starts", DEFAULT_STARTS), "starts")
    dps = data.get("dps", DEFAULT_DPS)
    if isinstance(dps, bool) or not isinstance(dps, int):
        raise UFMInputError(f"GRID: dps {dps!r} is not an integer")
    check_dps(dps, "GRID: dps")
    cells = []
    for c in G.problem_cells(data, CELL_KEYS):
        p = G.cell_problem(c)
        cells.append({"problem": p.to_dict(), "seed": G.cell_seed(c, base, p),
                      "starts": _positive(c.get("starts", starts), "starts"), "dps": dps})
    return cells


def run_cell(cell: dict[str, Any], settings: Any = None) -> dict[str, Any]:
    """One cell: a discover run, as a JSON-ready row plus its orbits (kind, value,
    multiplicity, Hessian counts) and the POINT.json of its lowest spurious minimum."""
    from ufm_sym.discover.search import discover

    p = Problem(**cell["problem"])
    r = discover(p, starts=cell["starts"], seed=cell["seed"], dps=cell["dps"])
    counts = r.counts()
    minima = [o for o in r.orbits if o.kind in ("global_min", "local_min",
                                                "spurious_local_min")]
    spurious = [o for o in r.orbits if o.kind == "spurious_local_min"]
    row = {**{k: cell["problem"][k] for k in ("loss", "K", "n", "d", "lambda_W", "lambda_H",
                                             "lambda_b")},
           "seed": cell["seed"], "starts": cell["starts"], "orbits": len(r.orbits), **counts,
           "spurious_found": bool(spurious),
           "lowest_minimum": mpmath.nstr(minima[0].objective, 20) if minima else "",
           "unconverged": r.unconverged, "seconds": round(r.seconds["total"], 3)}
    orbits = [{"kind": o.kind, "objective": mpmath.nstr(o.objective, 20),
               "multiplicity": o.multiplicity, "negative": o.negative,
               "near_zero": o.near_zero, "orbit_dimension": o.orbit_dimension}
              for o in r.orbits]
    return {"cell": cell, "row": row, "orbits": orbits,
            "spurious_example": spurious[0].point_json() if spurious else None}


def atlas_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in CSV_COLUMNS})
    return buf.getvalue()


_SHORT = {"global_min": "glob", "strict_saddle": "saddle", "local_min": "loc",
          "spurious_local_min": "spur", "degenerate": "degen", "not_critical": "n/c",
          "undecided": "undec"}


def format_atlas(rows: list[dict[str, Any]]) -> str:
    """A plain-text table: one line per cell."""
    head = (["loss", "K", "n", "d", "lW", "lH", "lb", "starts", "orbits"]
            + [_SHORT[k] for k in KINDS] + ["spurious?", "lowest min", "unconv", "s"])
    table = [head]
    for r in rows:
        low = r["lowest_minimum"]
        table.append([str(r[k]) for k in ("loss", "K", "n", "d", "lambda_W", "lambda_H",
                                          "lambda_b", "starts", "orbits")]
                     + [str(r[k]) for k in KINDS]
                     + ["yes" if r["spurious_found"] else "no",
                        f"{float(low):.10g}" if low else "-", str(r["unconverged"]),
                        f"{r['seconds']:.1f}"])
    widths = [max(len(row[j]) for row in table) for j in range(len(head))]
    lines = ["  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def require_matplotlib(option: str = "--plot") -> Any:
    """``matplotlib.pyplot`` (Agg), or bad input saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise UFMInputError(f"{option}: the atlas plot needs matplotlib, which is not "
                            "installed (pip install matplotlib, or pip install "
                            "'ufm-sym[plots]')") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


_COLOURS = {"global_min": "#1a9850", "strict_saddle": "#91bfdb", "local_min": "#fee08b",
            "spurious_local_min": "#d73027", "degenerate": "#984ea3",
            "not_critical": "#bbbbbb", "undecided": "#555555"}


def plot_atlas(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """Per (loss, K, lambdas): stacked bars of the distinct orbits by kind against
    ``d``, the line ``d = K``, and ``S`` over a ``d`` where a spurious local minimum
    was found.  Written atomically; same rows, same bytes."""
    from ufm_sym.atomic_write import atomic_write_bytes

    plt = require_matplotlib()
    panels: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        key = (r["loss"], r["K"], r["n"], r["lambda_W"], r["lambda_H"], r["lambda_b"])
        panels.setdefault(key, []).append(r)
    keys = sorted(panels)
    ncol = min(4, len(keys))
    nrow = (len(keys) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 2.9 * nrow), squeeze=False)
    for ax, key in zip(axes.ravel(), keys, strict=False):
        cells = sorted(panels[key], key=lambda r: r["d"])
        ds = [r["d"] for r in cells]
        bottom = [0] * len(cells)
        for k in KINDS:
            h = [r[k] for r in cells]
            if any(h):
                ax.bar(ds, h, bottom=bottom, color=_COLOURS[k], label=k, width=0.7)
                bottom = [a + b for a, b in zip(bottom, h, strict=True)]
        for r, top in zip(cells, bottom, strict=True):
            if r["spurious_found"]:
                ax.text(r["d"], top + 0.2, "S", ha="center", va="bottom", color="#d73027",
                        fontweight="bold")
        ax.axvline(key[1], color="k", lw=0.8, ls="--")
        ax.set_title(f"{key[0].upper()} K={key[1]} n={key[2]} lb={key[5]}", fontsize=9)
        ax.set_xlabel("d (dashed: d = K)", fontsize=8)
        ax.set_ylabel("distinct orbits", fontsize=8)
        ax.set_xticks(ds)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(0, max(bottom + [1]) * 1.25 + 0.5)
    for ax in axes.ravel()[len(keys):]:
        ax.axis("off")
    handles, labels = [], []
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=min(7, len(labels)), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
