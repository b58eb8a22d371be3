r"""Derivation snapshots: the derived formulas and every claim's statement as text.

A maintainer who changes a formula, a constant or a sign should see a test fail that
names the step.  The snapshot of a run is a dict ``{group: text}``:

``index_free``
    the index-free derivation (:func:`~ufm_sym.symbolic.index_free.derive_index_free`):
    ``R``, the objective, ``D1``, ``D2``, the first variation, the three gradient
    components and the Hessian form, each as ``sympy.srepr`` and as
    :func:`~ufm_sym.symbolic.latex.paper_latex`;
``claims_section<S>``
    for each registered claim of section ``S`` (in registry order): its header (label,
    kind, cited, uses, title), the LaTeX of its statement (a list or tuple item by
    item, a dict entry by entry, a bare ``Symbol`` by its name, which is LaTeX text
    already), of its hypotheses and of its derivation steps.

``python -m ufm_sym.snapshots --update`` writes one file per group,
``tests/snapshots/<group>.txt``; ``--check`` compares and prints a unified diff of any
change (exit 1), a missing or an extra file counting as a change.

>>> snap = build_snapshots(include_claims=False)
>>> list(snap)
['index_free']
>>> print(snap["index_free"].splitlines()[2])
latex: \mathbf{W} \mathbf{H} + \mathbf{b} \mathbf{1}_N^\top
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_DIR", "build_snapshots", "check_snapshots", "diff_snapshots", "main",
    "read_snapshots", "statement_lines", "write_snapshots",
]

#: ``tests/snapshots`` of the source tree this module belongs to
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "tests" / "snapshots"
SUFFIX = ".txt"

_DERIVED = ("R", "objective", "first_order_change", "second_order_change",
            "first_variation", "grad_W", "grad_H", "grad_b", "hessian_form")


def _latex(expr: Any) -> str:
    from ufm_sym.symbolic.latex import paper_latex

    try:
        return paper_latex(expr)
    except Exception as exc:  # noqa: BLE001 - recorded in the snapshot, never hidden
        return f"!! paper_latex failed: {type(exc).__name__}: {exc}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def statement_lines(obj: Any) -> list[str]:
    r"""The LaTeX lines of a statement (or a hypothesis, or a derivation step).

    >>> import sympy as sp
    >>> statement_lines([sp.Eq(sp.Symbol("x"), 1), sp.Symbol(r"\text{holds}")])
    ['x = 1', '\\text{holds}']
    >>> statement_lines(None)
    ['(none)']
    """
    import sympy as sp

    if obj is None:
        return ["(none)"]
    if isinstance(obj, dict):
        return [f"{k}: {line}" for k, v in obj.items() for line in statement_lines(v)]
    if isinstance(obj, (list, tuple)) and not isinstance(obj, sp.Basic):
        return [line for item in obj for line in statement_lines(item)] or ["(empty)"]
    if isinstance(obj, sp.Symbol):
        return [obj.name]
    if isinstance(obj, str):
        return [_one_line(obj)]
    if isinstance(obj, sp.Basic):
        return [_one_line(_latex(obj))]
    return [_one_line(repr(obj))]


def _index_free_text() -> str:
    import sympy as sp

    from ufm_sym.symbolic.index_free import derive_index_free

    D = derive_index_free()
    out: list[str] = []
    for name in _DERIVED:
        expr = getattr(D, name)
        out += [f"== {name}", f"srepr: {sp.srepr(expr)}", f"latex: {_one_line(_latex(expr))}",
                ""]
    return "\n".join(out)


def _claim_text(claim: Any) -> str:
    uses = ", ".join(claim.uses) or "-"
    out = [f"== {claim.label}",
           f"kind: {claim.kind}; cited: {'yes' if claim.cited else 'no'}; uses: {uses}",
           f"title: {_one_line(claim.title)}"]
    out += [f"statement: {line}" for line in statement_lines(claim.statement)]
    for hyp in claim.hypotheses:
        out += [f"hypothesis: {line}" for line in statement_lines(hyp)]
    for caption, step in claim.derivation:
        out.append(f"derivation: {_one_line(caption)}")
        out += [f"  {line}" for line in statement_lines(step)]
    return "\n".join(out) + "\n"


def _section_group(claim: Any) -> str:
    section = "".join(ch for ch in str(claim.section) if ch.isalnum()) or "other"
    return f"claims_section{section}"


def build_snapshots(registry: Any = None, include_claims: bool = True) -> dict[str, str]:
    """``{group: text}`` for the derivation and (with ``include_claims``) every claim of
    ``registry`` (default: :func:`~ufm_sym.claims.load_registry`), groups sorted."""
    snap = {"index_free": _index_free_text()}
    if include_claims:
        if registry is None:
            from ufm_sym.claims import load_registry

            registry = load_registry(plugins=False)  # the paper's claims only
        groups: dict[str, list[str]] = {}
        for claim in registry:
            groups.setdefault(_section_group(claim), []).append(_claim_text(claim))
        for group, texts in groups.items():
            snap[group] = "\n".join(texts)
    return {k: snap[k] for k in sorted(snap)}


def read_snapshots(directory: Path | str = DEFAULT_DIR) -> dict[str, str]:
    """The stored snapshots: ``{group: text}`` of ``directory/*.txt``."""
    d = Path(directory)
    if not d.is_dir():
        return {}
    return {p.name[: -len(SUFFIX)]: p.read_text(encoding="utf-8")
            for p in sorted(d.glob("*" + SUFFIX))}


def write_snapshots(snapshots: dict[str, str], directory: Path | str = DEFAULT_DIR
                    ) -> list[Path]:
    """Write each group to ``directory/<group>.txt`` (only files whose text changed)
    and remove stored groups that no longer exist; returns the files written."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    written = []
    for group, text in snapshots.items():
        path = d / f"{group}{SUFFIX}"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_suffix(SUFFIX + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            written.append(path)
    for stale in set(read_snapshots(d)) - set(snapshots):
        (d / f"{stale}{SUFFIX}").unlink()
    return written


def diff_snapshots(stored: dict[str, str], current: dict[str, str]) -> str:
    """A unified diff from the stored to the current snapshots ('' when equal)."""
    chunks: list[str] = []
    for group in sorted(set(stored) | set(current)):
        old, new = stored.get(group), current.get(group)
        if old == new:
            continue
        name = f"{group}{SUFFIX}"
        chunks.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"stored/{name}" if old is not None else "/dev/null",
            tofile=f"current/{name}" if new is not None else "/dev/null"))
        if chunks and not chunks[-1].endswith("\n"):
            chunks[-1] += "\n"
    return "".join(chunks)


def check_snapshots(directory: Path | str = DEFAULT_DIR,
                    current: dict[str, str] | None = None) -> str:
    """The diff between the stored snapshots and the current ones ('' when equal)."""
    return diff_snapshots(read_snapshots(directory),
                          build_snapshots() if current is None else current)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ufm_sym.snapshots",
        description="Write (--update) or compare (--check) the derivation snapshots.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--update", action="store_true", help="write the snapshot files")
    mode.add_argument("--check", action="store_true",
                      help="print a unified diff of any change and exit 1")
    parser.add_argument("--dir", default=str(DEFAULT_DIR),
                        help=f"snapshot folder (default {DEFAULT_DIR})")
    args = parser.parse_args(argv)
    current = build_snapshots()
    if args.update:
        written = write_snapshots(current, args.dir)
        for path in written:
            print(f"wrote {path}")
        print(f"{len(current)} snapshot groups, {len(written)} changed")
        return 0
    diff = check_snapshots(args.dir, current)
    if diff:
        sys.stdout.write(diff)
        sys.stderr.write(f"snapshots differ from {args.dir} (python -m ufm_sym.snapshots "
                         "--update to accept)\n")
        return 1
    print(f"{len(current)} snapshot groups match {args.dir}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
