"""The README's example outputs have the current output format: each marked block
(``tools/readme_figures.py``) compared line by line with a fresh run, numbers masked
(timings and residuals may differ; column headers, words and line shapes may not).
``ufm-sym verify lem:3.1`` takes a minute, so its block is compared with the table the
report code prints (header and summary line).  After a change of format:
``python tools/readme_figures.py`` rewrites the blocks from real runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("readme_figures",
                                               ROOT / "tools" / "readme_figures.py")
figures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(figures)  # type: ignore[union-attr]

BLOCKS = figures.blocks((ROOT / "README.md").read_text(encoding="utf-8"))
CHEAP = [(cmd, body) for cmd, body in BLOCKS if not cmd.startswith("ufm-sym verify")]


def test_the_readme_has_its_example_blocks() -> None:
    cmds = [cmd.split()[1] for cmd, _ in BLOCKS]
    assert {"verify", "classify", "check", "sample"} <= set(cmds)
    for cmd, body in BLOCKS:
        assert body.startswith(f"$ {cmd}\n")


@pytest.mark.parametrize("cmd, body", CHEAP, ids=[c.split()[1] for c, _ in CHEAP])
def test_readme_example_has_the_current_format(cmd: str, body: str) -> None:
    fresh = figures.shapes(figures.run(cmd))
    shown = figures.shapes(body)
    assert shown == fresh, "\n".join(
        f"README: {a!r}\nnow:    {b!r}" for a, b in zip(shown, fresh, strict=False) if a != b
    ) or f"{len(shown)} lines in the README, {len(fresh)} now; run tools/readme_figures.py"


def test_readme_verify_table_has_the_current_columns() -> None:
    from ufm_sym.claims import Claim, Evidence, Registry, VerifyContext
    from ufm_sym.report import to_table

    reg = Registry()
    c = reg.add(Claim("eq:0.1", "a claim", statement=None))
    c.check("symbolic")(lambda claim, ctx: Evidence.exact("symbolic", True, "ok"))
    table = to_table(reg.run(VerifyContext())).splitlines()
    body = next(b for cmd, b in BLOCKS if cmd.startswith("ufm-sym verify")).splitlines()
    assert body[1].split() == table[0].split()           # the column headers
    assert figures.shape(body[-1]) == figures.shape(table[-1])   # the summary line


def test_shape_masks_numbers_only() -> None:
    assert figures.shape("x = 1.5e-3, y = 2") == figures.shape("x = -7,  y = 0.25")
    assert figures.shape("a 1") != figures.shape("b 1")
