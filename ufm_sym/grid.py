"""Grids of problems: the TOML format, explicit seeds, a cache, and parallel execution.

Shared by ``ufm-sym sweep`` (a grid of ``sample`` runs) and the atlas of ``ufm-sym
discover --grid`` (a grid of ``discover`` runs).  A grid file has top-level settings, a
``[grid]`` table of lists (their Cartesian product) and optional ``[[cells]]``::

    seed = 0
    [grid]
    loss = ["ce", "mse"]
    K = [3, 4]
    n = [2]
    lambda_W = ["0.01"]            # lambda_H, lambda_b, d likewise (optional)

    [[cells]]
    loss = "ce"
    K = 5
    n = 1
    seed = 42

Each cell's seed is explicit (given, or :func:`derived_seed` from the run seed and the
cell's problem, so adding cells never changes the others).  :func:`run_tasks` runs a
module-level function over tasks serially, in joblib processes (``jobs > 1``) or on a
dask.distributed cluster (``scheduler``), importing either only when used, with a
progress bar on a terminal.  :class:`Cache` keeps finished results as JSON files.

>>> cells = problem_cells({"grid": {"loss": ["ce"], "K": [2, 3], "n": [1]}}, set())
>>> [(c["loss"], c["K"]) for c in cells]
[('ce', 2), ('ce', 3)]
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ufm_sym.model import Problem, UFMInputError

__all__ = [
    "CONNECT_TIMEOUT",
    "PROBLEM_KEYS",
    "Cache",
    "cell_key",
    "cell_problem",
    "cell_seed",
    "derived_seed",
    "load_toml",
    "problem_cells",
    "progress_bar",
    "run_cells",
    "run_tasks",
]

CONNECT_TIMEOUT = "10s"
"""How long to try to reach a dask scheduler."""
PROBLEM_KEYS: tuple[str, ...] = ("loss", "K", "n", "d", "lambda_W", "lambda_H", "lambda_b")


def load_toml(path: str | Path, top_keys: set[str]) -> dict[str, Any]:
    """The grid file as a dict; unreadable, non-UTF-8, invalid TOML or an unknown
    top-level key is bad input (``GRID: ...``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UFMInputError(f"GRID: cannot read {str(path)!r} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UFMInputError(f"GRID: {str(path)!r} is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UFMInputError(f"GRID: {str(path)!r} is not valid TOML ({exc})") from None
    unknown = set(data) - top_keys
    if unknown:
        raise UFMInputError(f"GRID: unknown key(s) {sorted(unknown)} (expected some of "
                            f"{sorted(top_keys)})")
    return data


def _as_list(v: Any, key: str) -> list[Any]:
    if isinstance(v, list):
        if not v:
            raise UFMInputError(f"GRID: [grid] {key} is an empty list")
        return v
    return [v]


def problem_cells(data: dict[str, Any], cell_keys: set[str]) -> list[dict[str, Any]]:
    """The raw cells: the product of ``[grid]`` (problem keys only) and the
    ``[[cells]]`` entries (problem keys and ``cell_keys``)."""
    raw: list[dict[str, Any]] = []
    grid = data.get("grid")
    if grid is not None:
        if not isinstance(grid, dict):
            raise UFMInputError("GRID: [grid] must be a table")
        unknown = set(grid) - set(PROBLEM_KEYS)
        if unknown:
            raise UFMInputError(f"GRID: unknown [grid] key(s) {sorted(unknown)}")
        keys = [k for k in PROBLEM_KEYS if k in grid]
        for combo in itertools.product(*[_as_list(grid[k], k) for k in keys]):
            raw.append(dict(zip(keys, combo, strict=True)))
    allowed = set(PROBLEM_KEYS) | cell_keys
    for c in data.get("cells", []) or []:
        if not isinstance(c, dict):
            raise UFMInputError("GRID: each [[cells]] entry must be a table")
        unknown = set(c) - allowed
        if unknown:
            raise UFMInputError(f"GRID: unknown [[cells]] key(s) {sorted(unknown)}")
        raw.append(dict(c))
    if not raw:
        raise UFMInputError("GRID: no cells (give a [grid] table or [[cells]] entries)")
    for c in raw:
        for req in ("loss", "K", "n"):
            if req not in c:
                raise UFMInputError(f"GRID: a cell lacks {req!r}: {c}")
    return raw


def cell_problem(cell: dict[str, Any]) -> Problem:
    """The problem of a raw cell (weight decays default to 0.01, 0.01, 0)."""
    return Problem(loss=cell["loss"], K=cell["K"], n=cell["n"], d=cell.get("d"),
                   lambda_W=cell.get("lambda_W", "0.01"),
                   lambda_H=cell.get("lambda_H", "0.01"), lambda_b=cell.get("lambda_b", 0))


def base_seed(data: dict[str, Any]) -> int:
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise UFMInputError(f"GRID: seed {seed!r} is not an integer")
    return seed


def cell_seed(cell: dict[str, Any], base: int, problem: Problem) -> int:
    """The cell's own ``seed``, or :func:`derived_seed`."""
    seed = cell.get("seed")
    if seed is None:
        return derived_seed(base, problem)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise UFMInputError(f"GRID: cell seed {seed!r} is not an integer")
    return int(seed)


def derived_seed(base: int, problem: Problem) -> int:
    """A cell's seed from the run seed and the cell's problem (independent of its
    position in the grid).

    >>> derived_seed(0, Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1)) >= 0
    True
    """
    text = f"{base}|{json.dumps(problem.to_dict(), sort_keys=True)}"
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def cell_key(cell: dict[str, Any], settings: dict[str, Any]) -> str:
    """The cache key of a cell: its contents, the settings and the package version."""
    from ufm_sym import __version__

    blob = json.dumps({"cell": cell, "settings": settings, "version": __version__},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


class Cache:
    """Finished results as ``DIR/<key>.json`` (written atomically)."""

    def __init__(self, directory: str | Path, option: str = "--cache") -> None:
        self.dir = Path(directory)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UFMInputError(f"{option}: cannot create {str(self.dir)!r} "
                                f"({exc.strerror})") from None

    def get(self, key: str) -> Any:
        f = self.dir / f"{key}.json"
        if not f.is_file():
            return None
        try:
            return json.loads(f.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, key: str, result: Any) -> None:
        tmp = self.dir / f"{key}.json.tmp"
        tmp.write_text(json.dumps(result, sort_keys=True))
        tmp.replace(self.dir / f"{key}.json")


def progress_bar(total: int, desc: str) -> Any:
    """A tqdm bar on stderr when it is a terminal and there is more than one step."""
    if total <= 1 or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, file=sys.stderr, desc=desc, leave=False)


def run_tasks(fn: Callable[[Any, Any], Any], tasks: Sequence[Any], settings: Any, *,
              jobs: int = 1, scheduler: str | None = None, desc: str = "",
              timeout: str = CONNECT_TIMEOUT, progress: bool = True,
              ) -> Iterator[tuple[int, Any]]:
    """Yield ``(i, fn(tasks[i], settings))`` in order: serially, with ``jobs`` joblib
    processes, or on the dask scheduler at ``scheduler`` (``fn`` must be importable,
    a module-level function).  A scheduler that cannot be reached, or a missing
    joblib / distributed, is bad input.

    >>> list(run_tasks(divmod, [7, 9], 4, progress=False))
    [(0, (1, 3)), (1, (2, 1))]
    """
    if not tasks:
        return
    bar = progress_bar(len(tasks), desc) if progress else None
    try:
        if scheduler:
            try:
                from dask.distributed import Client
            except ImportError:
                raise UFMInputError("--scheduler: needs dask.distributed "
                                    "(pip install dask distributed)") from None
            try:
                client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UFMInputError(f"--scheduler: cannot connect to {scheduler!r} "
                                    f"({exc})") from None
            try:
                futures = client.map(fn, list(tasks), settings=settings, pure=False)
                for i, fut in enumerate(futures):
                    yield i, fut.result()
                    _tick(bar)
            finally:
                client.close()
        elif jobs > 1:
            try:
                from joblib import Parallel, delayed
            except ImportError:
                raise UFMInputError("--jobs: needs joblib (pip install joblib)") from None
            par = Parallel(n_jobs=jobs, return_as="generator")
            for i, res in enumerate(par(delayed(fn)(t, settings) for t in tasks)):
                yield i, res
                _tick(bar)
        else:
            for i, t in enumerate(tasks):
                yield i, fn(t, settings)
                _tick(bar)
    finally:
        if bar is not None:
            bar.close()


def _tick(bar: Any) -> None:
    if bar is not None:
        bar.update(1)


def run_cells(fn: Callable[[Any, Any], Any], cells: Sequence[dict[str, Any]], settings: Any,
              *, cache: Cache | None = None, key_settings: Any = None, jobs: int = 1,
              scheduler: str | None = None, desc: str = "",
              timeout: str = CONNECT_TIMEOUT) -> tuple[list[Any], list[bool]]:
    """``(results, cached)``: ``fn(cell, settings)`` for every cell not in ``cache``
    (keyed by :func:`cell_key` of the cell and ``key_settings``, default ``settings``),
    through :func:`run_tasks`; new results are stored in the cache.

    >>> run_cells(divmod, [7, 9], 4)
    ([(1, 3), (2, 1)], [False, False])
    """
    ks = settings if key_settings is None else key_settings
    keys = [cell_key(c, ks) for c in cells] if cache is not None else []
    results: list[Any] = [cache.get(k) for k in keys] if cache is not None else \
        [None] * len(cells)
    cached = [r is not None for r in results]
    todo = [i for i, r in enumerate(results) if r is None]
    for j, res in run_tasks(fn, [cells[i] for i in todo], settings, jobs=jobs,
                            scheduler=scheduler, desc=desc, timeout=timeout):
        results[todo[j]] = res
        if cache is not None:
            cache.put(keys[todo[j]], res)
    return results, cached
