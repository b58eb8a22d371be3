"""Strip outputs from notebooks, so that they stay small and diff-friendly.

    python -m ufm_sym.appendix.strip_notebooks [--check] [NOTEBOOK_OR_DIR ...]

Without arguments it strips ``notebooks/*.ipynb``.  Outputs, execution counts and the
per-run metadata Jupyter adds (``execution``, ``collapsed``, ``scrolled``, widget
state) are removed; cell sources and tags are kept.  A notebook is rewritten only when
it changes.  ``--check`` changes nothing and exits 1 if a notebook would change (for
CI or a pre-commit hook).  Only the standard library is used (the notebook is JSON).

>>> nb = {"cells": [{"cell_type": "code", "source": "1 + 1", "metadata": {"tags": ["x"]},
...                  "outputs": [{"output_type": "execute_result"}], "execution_count": 3}],
...       "metadata": {"kernelspec": {"name": "python3"}, "widgets": {}},
...       "nbformat": 4, "nbformat_minor": 4}
>>> strip(nb)
True
>>> nb["cells"][0]["outputs"], nb["cells"][0]["execution_count"], nb["metadata"]
([], None, {'kernelspec': {'name': 'python3'}})
>>> strip(nb)
False
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["main", "notebook_paths", "strip", "strip_file"]

_CELL_META_DROP = ("execution", "collapsed", "scrolled", "ExecuteTime")
_NB_META_DROP = ("widgets", "varInspector", "toc")


def strip(nb: dict[str, Any]) -> bool:
    """Strip ``nb`` (a notebook as parsed JSON) in place; ``True`` if it changed."""
    before = json.dumps(nb, sort_keys=True)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta = cell.get("metadata", {})
        for key in _CELL_META_DROP:
            meta.pop(key, None)
    for key in _NB_META_DROP:
        nb.get("metadata", {}).pop(key, None)
    return json.dumps(nb, sort_keys=True) != before


def strip_file(path: str | Path, check: bool = False) -> bool:
    """Strip one ``.ipynb`` file (unless ``check``); ``True`` if it had to change."""
    p = Path(path)
    nb = json.loads(p.read_text(encoding="utf-8"))
    changed = strip(nb)
    if changed and not check:
        from ufm_sym.atomic_write import atomic_write_text

        atomic_write_text(p, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


def notebook_paths(args: Iterable[str]) -> list[Path]:
    """The ``.ipynb`` files named, or found in the directories named."""
    out: list[Path] = []
    for a in args:
        p = Path(a)
        out.extend(sorted(p.glob("*.ipynb")) if p.is_dir() else [p])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ufm_sym.appendix.strip_notebooks",
                                     description="Strip outputs from Jupyter notebooks.")
    parser.add_argument("paths", nargs="*", default=["notebooks"],
                        help="notebooks or directories (default: notebooks)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook has outputs to strip")
    args = parser.parse_args(argv)
    paths = notebook_paths(args.paths)
    if not paths:
        sys.stderr.write("strip_notebooks: no notebooks found\n")
        return 2
    changed = []
    for p in paths:
        try:
            if strip_file(p, check=args.check):
                changed.append(p)
        except (OSError, ValueError) as exc:
            sys.stderr.write(f"strip_notebooks: {p}: {exc}\n")
            return 2
    for p in changed:
        print(f"{'would strip' if args.check else 'stripped'} {p}")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
