"""Regenerate the example outputs of README.md from real runs.

Each example block of the README sits between two markers::

    <!-- readme-figure: ufm-sym sample --loss ce --K 4 --n 2 --lambda-b 0.01 --count 1 -->
    ```text
    $ ufm-sym sample ...
    (the command's output)
    ```
    <!-- /readme-figure -->

``python tools/readme_figures.py`` runs every marked command (``python -m ufm_sym.cli``,
in the repository root) and rewrites the block between its markers with ``$ command``
and the output; ``--check`` only compares the *shape* of each block with a fresh run
(numbers masked, so timings and residuals may differ) and exits 1 when a block no
longer has the current output format; ``--only WORD`` limits both to the commands
containing WORD.  ``tests/test_readme.py`` runs the cheap comparisons in the test suite.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARK = re.compile(r"<!-- readme-figure: (?P<cmd>.+?) -->\n```text\n(?P<body>.*?)```\n"
                  r"<!-- /readme-figure -->", re.S)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def blocks(text: str) -> list[tuple[str, str]]:
    """``(command, body)`` of every marked block, in order."""
    return [(m["cmd"], m["body"]) for m in MARK.finditer(text)]


def run(command: str) -> str:
    """The output of ``command`` (``ufm-sym ...``) as the README shows it."""
    argv = shlex.split(command)
    if argv[0] != "ufm-sym":
        raise SystemExit(f"readme_figures: {command!r} is not a ufm-sym command")
    res = subprocess.run([sys.executable, "-m", "ufm_sym.cli", *argv[1:]], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if res.returncode not in (0, 1):
        raise SystemExit(f"readme_figures: {command!r} exited {res.returncode}: "
                         f"{res.stderr.strip()}")
    return f"$ {command}\n{res.stdout}"


def shape(line: str) -> str:
    """A line with every number masked and runs of blanks collapsed (column widths and
    values change between runs; words, order and punctuation do not).

    >>> shape("0  global  -1.11e-16  1.8e-16   PASS")
    '# global # # PASS'
    """
    return " ".join(_NUMBER.sub("#", line).split())


def shapes(body: str) -> list[str]:
    return [shape(ln) for ln in body.splitlines()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="compare the shapes of the blocks with fresh runs; rewrite nothing")
    ap.add_argument("--only", default=None, metavar="WORD",
                    help="only the commands that contain WORD")
    a = ap.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    stale = []
    new = text
    for cmd, body in blocks(text):
        if a.only and a.only not in cmd:
            continue
        out = run(cmd)
        if a.check:
            if shapes(out) != shapes(body):
                stale.append(cmd)
            continue
        new = new.replace(f"<!-- readme-figure: {cmd} -->\n```text\n{body}```",
                          f"<!-- readme-figure: {cmd} -->\n```text\n{out}```", 1)
        print(f"ran {cmd}", file=sys.stderr)
    if a.check:
        for cmd in stale:
            print(f"stale: {cmd}")
        return 1 if stale else 0
    if new != text:
        tmp = README.with_suffix(".md.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(README)
    return 0


if __name__ == "__main__":
    sys.exit(main())
