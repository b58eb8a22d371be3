"""The Python API (``docs/api.md``): every code block of the page runs and prints what
the page shows; the exported names; float points judged at the digits they carry; the
command line's hints in its own words."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

import ufm_sym

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```\n\n```text\n(.*?)```",
                    (ROOT / "docs" / "api.md").read_text(encoding="utf-8"), re.S)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 7


@pytest.mark.parametrize("code, expected", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_api_page_examples_print_what_the_page_shows(code: str, expected: str) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/api.md", "exec"), {})  # noqa: S102 - our own page
    assert out.getvalue() == expected


def test_stable_names_are_exported() -> None:
    for name in ("Problem", "classify", "check_identity", "run_claims", "sample",
                 "load_point", "UFMInputError"):
        assert name in ufm_sym.__all__ and callable(getattr(ufm_sym, name))
    with pytest.raises(AttributeError):
        ufm_sym.no_such_name  # noqa: B018


def test_run_claims_refuses_an_unknown_label() -> None:
    with pytest.raises(ufm_sym.UFMInputError, match="unknown claim label 'eq:9.9'"):
        ufm_sym.run_claims(["eq:9.9"])


def test_cli_hint_in_cli_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A not-critical verdict suggests --refine on the command line, refine=True in Python."""
    import json

    from ufm_sym.cli import main

    data = json.loads((ROOT / "tests" / "data" / "ce_saddle.json").read_text())
    data["W"][0][0] = str(float(data["W"][0][0]) + 0.01)
    f = tmp_path / "p.json"
    f.write_text(json.dumps(data))
    assert main(["classify", str(f)]) == 0
    out = capsys.readouterr().out
    assert "--refine polishes" in out and "refine=True" not in out
    pf = ufm_sym.load_point(f)
    c = ufm_sym.classify(pf.problem, (pf.W, pf.H, pf.b))
    assert c.kind == "not_critical" and "refine=True polishes" in c.reason
