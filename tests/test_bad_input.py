"""Bad input, every command: exit 2, one line on stderr naming the bad value.

DESIGN.md's contract: ``ufm-sym`` exits 2 on bad input, with a one-line message that
names the bad value, no traceback, nothing on stdout and nothing half-written.  Each
row of :data:`CASES` is one kind of bad input for one command; the test writes the
row's input files into a fresh directory, runs the command there (in-process through
``ufm_sym.cli.main``, or as a real ``python -m ufm_sym.cli`` subprocess) and asserts

* exit code 2 (argparse's ``SystemExit(2)`` included);
* exactly one line on stderr, containing the row's fragment, and no ``Traceback``;
* nothing on stdout;
* the directory is byte-for-byte what it was (no output file, no temporary file, no
  half-written output; pre-existing outputs unchanged).

Rows for a command that is not registered yet (``ufm_sym.cli.build_parser``) are
skipped.  Rows that could hang on a bad value run as a subprocess with a timeout.
``python tests/test_bad_input.py`` prints the README table of the rows.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SUBPROCESS_TIMEOUT = 20  # seconds; a bad value must be refused quickly, not hang


# --------------------------------------------------------------------------- inputs
def _point(**changes: object) -> str:
    """tests/data/ce_saddle.json with keys changed (``None``: removed)."""
    obj = json.loads((DATA / "ce_saddle.json").read_text())
    for key, value in changes.items():
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    return json.dumps(obj)


_GOOD_POINT = _point()
_TINY_GRID = 'kinds = ["origin"]\nescape = false\n[grid]\nloss = ["ce"]\nK = [2]\nn = [1]\n'


def _grid(body: str) -> str:
    return body if body.endswith("\n") else body + "\n"


SAMPLE = ["sample", "--loss", "ce", "--K", "3", "--n", "2"]
DISCOVER = ["discover", "--loss", "ce", "--K", "3", "--n", "1"]
_TINY_ATLAS = 'starts = 2\n[grid]\nloss = ["ce"]\nK = [2]\nn = [1]\n'


def _torch_without_gpu() -> str | None:
    """Skip reason unless PyTorch is installed and sees no GPU."""
    if importlib.util.find_spec("torch") is None:
        return "PyTorch is not installed"
    import torch

    return "a CUDA GPU is present" if torch.cuda.is_available() else None


def _no_distributed() -> str | None:
    """Skip reason unless dask.distributed is installed."""
    return None if importlib.util.find_spec("distributed") else "distributed is not installed"


@dataclass(frozen=True)
class Case:
    """One row: ``argv`` (``{d}`` stands for the run directory), the fragment the
    one-line message must contain, the input ``files`` written first (name -> text or
    bytes), ``what`` for the README table, and how to run it."""

    id: str
    argv: tuple[str, ...]
    fragment: str
    what: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    subprocess: bool = False
    skip_unless: Callable[[], str | None] | None = None

    @property
    def command(self) -> str:
        return self.argv[0]


def C(id: str, argv: list[str], fragment: str, what: str, **kw: object) -> Case:  # noqa: N802
    return Case(id, tuple(argv), fragment, what, **kw)  # type: ignore[arg-type]


CASES: list[Case] = [
    # ---------------------------------------------------------------- verify
    C("verify-unknown-label", ["verify", "eq:9.9"], "unknown claim label 'eq:9.9'",
      "unknown label"),
    C("verify-dps-too-low", ["verify", "--dps", "5"], "--dps: 5",
      "`--dps 5` (too low to decide)"),
    C("verify-dps-not-int", ["verify", "--dps", "abc"], "invalid int value: 'abc'",
      "`--dps abc`"),
    C("verify-samples-zero", ["verify", "--samples", "0"], "--samples: 0", "`--samples 0`"),
    C("verify-seed-negative", ["verify", "eq:1.4", "--seed", "-1", "--samples", "1"],
      "--seed: -1", "`--seed -1`"),
    C("verify-subprocess", ["verify", "nope:1"], "unknown claim label 'nope:1'",
      "unknown label (subprocess)", subprocess=True),
    # -------------------------------------------------------------- classify
    C("classify-missing-key", ["classify", "p.json"], "missing key 'n'",
      "POINT.json without `n`", files={"p.json": _point(n=None)}),
    C("classify-extra-key", ["classify", "p.json"], "unknown key 'colour'",
      "POINT.json with an extra key", files={"p.json": _point(colour="red")}),
    C("classify-duplicate-key", ["classify", "p.json"], "duplicate key 'loss'",
      "duplicate key", files={"p.json": '{"loss": "ce", "loss": "mse"}'}),
    C("classify-wrong-shape", ["classify", "p.json"], "W: shape 2 x 3",
      "W of the wrong shape", files={"p.json": _point(W=[["0", "0", "0"]] * 2)}),
    C("classify-ragged", ["classify", "p.json"], "W: rows of unequal length",
      "ragged W", files={"p.json": _point(W=[["0", "0", "0"], ["0"], ["0", "0", "0"]])}),
    C("classify-nan-string", ["classify", "p.json"], "W[0, 0]: 'NaN' is not a finite number",
      '`"NaN"` entry', files={"p.json": _point(W=[["NaN", "0", "0"]] + [["0"] * 3] * 2)}),
    C("classify-nan-literal", ["classify", "p.json"], "W[0, 0]: NaN is not a finite number",
      "bare `NaN` entry",
      files={"p.json": _GOOD_POINT.replace('"W": [[', '"W": [[NaN, ', 1)}),
    C("classify-infinity", ["classify", "p.json"], "Infinity is not a finite number",
      "`Infinity` entry",
      files={"p.json": _point(b=["0", "0", "0"]).replace('"b": ["0"', '"b": [Infinity', 1)}),
    C("classify-not-a-number", ["classify", "p.json"], "'abc' is not a number",
      "non-numeric entry", files={"p.json": _point(b=["abc", "0", "0"])}),
    C("classify-lambda-negative", ["classify", "p.json"], "lambda_b: '-0.1' must be >= 0",
      "negative lambda_b", files={"p.json": _point(lambda_b="-0.1")}),
    C("classify-lambda-zero", ["classify", "p.json"], "lambda_W: 0 must be > 0",
      "zero lambda_W", files={"p.json": _point(lambda_W=0)}),
    C("classify-K-1", ["classify", "p.json"], "K: 1 is too small", "K = 1",
      files={"p.json": _point(K=1)}),
    C("classify-n-0", ["classify", "p.json"], "n: 0 is too small", "n = 0",
      files={"p.json": _point(n=0)}),
    C("classify-d-0", ["classify", "p.json"], "d: 0 is too small", "d = 0",
      files={"p.json": _point(d=0)}),
    C("classify-K-float", ["classify", "p.json"], "K: 3.0 is not an integer", "K = 3.0",
      files={"p.json": _point(K=3.0)}),
    C("classify-not-utf8", ["classify", "p.json"], "not UTF-8 text (byte 0xff",
      "file that is not UTF-8", files={"p.json": _GOOD_POINT.encode("utf-16")}),
    C("classify-truncated", ["classify", "p.json"], "p.json: invalid JSON at line 1",
      "truncated JSON", files={"p.json": _GOOD_POINT[: len(_GOOD_POINT) // 2]}),
    C("classify-empty", ["classify", "p.json"], "p.json: empty file", "empty file",
      files={"p.json": ""}),
    C("classify-top-level-array", ["classify", "p.json"], "top level must be a JSON object",
      "JSON array at the top", files={"p.json": "[1, 2]"}),
    C("classify-too-deep", ["classify", "p.json"], "JSON nested too deeply",
      "JSON nested 100000 deep", files={"p.json": "[" * 100000 + "]" * 100000}),
    C("classify-no-file", ["classify", "absent.json"], "absent.json: no such file",
      "missing file"),
    C("classify-directory", ["classify", "{d}"], "is a directory", "a directory"),
    C("classify-dps-too-low", ["classify", "p.json", "--dps", "5"], "--dps: 5 is too low",
      "`--dps 5`", files={"p.json": _GOOD_POINT}),
    C("classify-radius-negative", ["classify", "p.json", "--point-radius=-1e-9"],
      "--point-radius: -1/1000000000 must be >= 0", "`--point-radius=-1e-9`",
      files={"p.json": _GOOD_POINT}),
    C("classify-radius-not-number", ["classify", "p.json", "--point-radius", "tiny"],
      "--point-radius: 'tiny' is not a number", "`--point-radius tiny`",
      files={"p.json": _GOOD_POINT}),
    C("classify-subprocess", ["classify", "p.json"], "invalid JSON",
      "truncated JSON (subprocess)", subprocess=True,
      files={"p.json": _GOOD_POINT[:40]}),
    # ----------------------------------------------------------------- check
    C("check-forbidden-call", ["check", "__import__('os').system('true')", "--loss", "ce"],
      "EXPR: call '__import__('os')", "forbidden syntax (a call)"),
    C("check-forbidden-attribute", ["check", "W.__class__ == 0", "--loss", "ce"],
      "attribute '.__class__'", "forbidden syntax (an attribute)"),
    C("check-forbidden-lambda", ["check", "lambda x: x", "--loss", "ce"],
      "EXPR: lambda 'lambda x: x' is not allowed", "forbidden syntax (a lambda)"),
    C("check-syntax-error", ["check", "W.T@W ==", "--loss", "ce"], "EXPR: invalid syntax",
      "truncated expression"),
    C("check-unknown-name", ["check", "Z == 0", "--loss", "ce"], "EXPR: unknown name 'Z'",
      "unknown symbol"),
    C("check-shapes", ["check", "W + H == 0", "--loss", "ce"], "cannot add K x d and d x N",
      "shapes that do not match"),
    C("check-matrix-inequality", ["check", "W <= W", "--loss", "ce"],
      "EXPR: '<=' compares scalars, got K x d <= K x d", "an inequality between matrices"),
    C("check-chained-relation", ["check", "0 < K < 3", "--loss", "ce"],
      "EXPR: one relation (==, <=, <, >=, >) is allowed", "a chained relation"),
    C("check-norm-order", ["check", "norm(W, 1) == 0", "--loss", "ce"],
      "norm(X, p) takes p = 2 (spectral)", "`norm(W, 1)`"),
    C("check-eigmin-shape", ["check", "eigmin(G) >= 0", "--loss", "ce"],
      "eigmin needs a square (symmetric) matrix, got K x N", "`eigmin` of a non-square matrix"),
    C("check-lambda-W-negative", ["check", "K == K", "--loss", "ce", "--lambda-W", "-1"],
      "--lambda-W: '-1' must be > 0", "`--lambda-W -1`"),
    C("check-lambda-H-zero", ["check", "K == K", "--loss", "ce", "--lambda-H", "0"],
      "--lambda-H: '0' must be > 0", "`--lambda-H 0`"),
    C("check-lambda-b-nan", ["check", "K == K", "--loss", "ce", "--lambda-b", "nan"],
      "lambda_b: 'nan' is not a finite", "`--lambda-b nan`"),
    C("check-d-0", ["check", "K == K", "--loss", "ce", "--d", "0"], "--d: 0 is too small",
      "`--d 0`"),
    C("check-no-loss", ["check", "K == K"], "--loss: needed (ce or mse) unless --point",
      "neither `--loss` nor `--point`"),
    C("check-point-missing", ["check", "K == K", "--point", "absent.json"],
      "absent.json: no such file", "missing `--point` file"),
    C("check-point-bad-json", ["check", "K == K", "--point", "p.json"], "invalid JSON",
      "truncated `--point` file", files={"p.json": _GOOD_POINT[:40]}),
    C("check-point-and-K", ["check", "K == K", "--point", "p.json", "--K", "3"],
      "--point: the point's file fixes the problem; drop --K", "`--point` with `--K`",
      files={"p.json": _GOOD_POINT}),
    C("check-unknown-loss", ["check", "W == W", "--loss", "hinge"],
      "--loss: unknown loss 'hinge'", "unknown loss"),
    C("check-K-1", ["check", "W == W", "--loss", "ce", "--K", "1"], "--K: 1 is too small",
      "`--K 1`"),
    C("check-n-0", ["check", "W == W", "--loss", "ce", "--n", "0"], "--n: 0 is too small",
      "`--n 0`"),
    C("check-dps-too-low", ["check", "W == W", "--loss", "ce", "--dps", "5"],
      "--dps: 5 is too low", "`--dps 5`"),
    C("check-seed-negative", ["check", "W == W", "--loss", "ce", "--seed", "-1"],
      "--seed: -1", "`--seed -1`"),
    C("check-at-choice", ["check", "W == W", "--loss", "ce", "--at", "nowhere"],
      "invalid choice: 'nowhere'", "`--at nowhere`"),
    C("check-huge-power", ["check", "10**10**10 == 0", "--loss", "ce"],
      "the exponent in '10**10**10' must be a number",
      "a power that would never finish (subprocess)", subprocess=True),
    C("check-power-memory", ["check", "K**K**K**K**K == 0", "--loss", "ce"],
      "the exponent in 'K**K' must be a number", "a power too large for memory"),
    # ---------------------------------------------------------------- sample
    C("sample-K-1", ["sample", "--loss", "ce", "--K", "1", "--n", "2"],
      "K: 1 is too small", "`--K 1`"),
    C("sample-n-0", ["sample", "--loss", "ce", "--K", "3", "--n", "0"],
      "n: 0 is too small", "`--n 0`"),
    C("sample-d-0", SAMPLE + ["--d", "0"], "d: 0 is too small", "`--d 0`"),
    C("sample-K-not-int", ["sample", "--loss", "ce", "--K", "1.5", "--n", "2"],
      "K: '1.5' is not an integer", "`--K 1.5`"),
    C("sample-unknown-loss", ["sample", "--loss", "hinge", "--K", "3", "--n", "2"],
      "unknown loss 'hinge'", "unknown loss"),
    C("sample-lambda-negative", SAMPLE + ["--lambda-W", "-1"], "lambda_W: -1 must be > 0",
      "negative lambda_W"),
    C("sample-lambda-zero", SAMPLE + ["--lambda-H", "0"], "lambda_H: 0 must be > 0",
      "zero lambda_H"),
    C("sample-lambda-b-negative", SAMPLE + ["--lambda-b", "-0.5"],
      "lambda_b: -1/2 must be >= 0", "negative lambda_b"),
    C("sample-lambda-nan", SAMPLE + ["--lambda-W", "nan"], "lambda_W: 'nan' is not a finite",
      "`--lambda-W nan`"),
    C("sample-lambda-inf", SAMPLE + ["--lambda-H", "inf"], "lambda_H: 'inf' is not a finite",
      "`--lambda-H inf`"),
    C("sample-lambda-div-zero", SAMPLE + ["--lambda-b", "1/0"], "lambda_b: '1/0' divides by",
      "`--lambda-b 1/0`"),
    C("sample-lambda-huge-exponent", SAMPLE + ["--lambda-W", "1e999999999"],
      "lambda_W: '1e999999999' is out of range", "`--lambda-W 1e999999999` (subprocess)",
      subprocess=True),
    C("sample-count-zero", SAMPLE + ["--count", "0"], "--count: 0 must be >= 1", "`--count 0`"),
    C("sample-escape-rounds-zero", SAMPLE + ["--escape-rounds", "0"],
      "--escape-rounds: 0 must be an integer >= 1", "`--escape-rounds 0`"),
    C("sample-escape-rounds-text", SAMPLE + ["--escape-rounds", "x"],
      "--escape-rounds: 'x' is not an integer", "`--escape-rounds x`"),
    C("sample-escape-seconds-negative", SAMPLE + ["--escape-seconds", "-1"],
      "--escape-seconds: -1.0 must be a number > 0", "`--escape-seconds -1`"),
    C("sample-escape-seconds-nan", SAMPLE + ["--escape-seconds", "nan"],
      "--escape-seconds: nan must be a number > 0", "`--escape-seconds nan`"),
    C("sample-unknown-kind", SAMPLE + ["--kinds", "global,foo"], "unknown kind 'foo'",
      "unknown kind"),
    C("sample-unknown-backend", SAMPLE + ["--backend", "jax"], "unknown backend 'jax'",
      "unknown backend"),
    C("sample-unknown-device", SAMPLE + ["--device", "tpu"], "unknown device 'tpu'",
      "unknown device"),
    C("sample-numpy-cuda", SAMPLE + ["--device", "cuda"], "runs on the CPU only",
      "cuda with the NumPy backend"),
    C("sample-torch-cuda-no-gpu", SAMPLE + ["--backend", "torch", "--device", "cuda"],
      "PyTorch sees no CUDA GPU", "cuda without a GPU", skip_unless=_torch_without_gpu),
    C("sample-plots-unwritable", SAMPLE + ["--kinds", "origin", "--no-escape", "--plots",
                                           "/proc/forbidden"],
      "--plots: cannot write to '/proc/forbidden'", "unwritable `--plots` folder"),
    C("sample-too-large", ["sample", "--loss", "ce", "--K", "3000", "--n", "3000",
                           "--kinds", "origin"],
      "out of memory", "K, n too large for memory"),
    C("sample-subprocess", ["sample", "--loss", "ce", "--K", "1", "--n", "2"],
      "K: 1 is too small", "`--K 1` (subprocess)", subprocess=True),
    # ----------------------------------------------------------------- sweep
    C("sweep-malformed-toml", ["sweep", "g.toml"], "is not valid TOML", "malformed GRID.toml",
      files={"g.toml": '[grid]\nloss = ["ce"\n'}),
    C("sweep-not-utf8", ["sweep", "g.toml"], "GRID: 'g.toml' is not UTF-8 text",
      "GRID.toml that is not UTF-8",
      files={"g.toml": b"\xff\xfe[grid]\n"}),
    C("sweep-no-file", ["sweep", "absent.toml"], "GRID: cannot read 'absent.toml'",
      "missing file"),
    C("sweep-empty", ["sweep", "g.toml"], "GRID: no cells", "empty file",
      files={"g.toml": ""}),
    C("sweep-unknown-key", ["sweep", "g.toml"], "GRID: unknown key(s) ['colour']",
      "unknown top-level key", files={"g.toml": _grid('colour = "red"\n' + _TINY_GRID)}),
    C("sweep-unknown-cell-key", ["sweep", "g.toml"], "unknown [[cells]] key(s) ['foo']",
      "unknown cell key", files={"g.toml": '[[cells]]\nloss = "ce"\nK = 2\nn = 1\nfoo = 1\n'}),
    C("sweep-cell-lacks-loss", ["sweep", "g.toml"], "GRID: a cell lacks 'loss'",
      "cell without `loss`", files={"g.toml": "[[cells]]\nK = 2\nn = 1\n"}),
    C("sweep-K-1", ["sweep", "g.toml"], "K: 1 is too small", "K = 1 in the grid",
      files={"g.toml": '[grid]\nloss = ["ce"]\nK = [1]\nn = [1]\n'}),
    C("sweep-lambda-nan", ["sweep", "g.toml"], "lambda_W: nan is not a finite number",
      "lambda_W = nan in the grid",
      files={"g.toml": '[grid]\nloss = ["ce"]\nK = [2]\nn = [1]\nlambda_W = [nan]\n'}),
    C("sweep-lambda-negative", ["sweep", "g.toml"], "lambda_H: -1/100 must be > 0",
      "negative lambda_H in the grid",
      files={"g.toml": '[grid]\nloss = ["ce"]\nK = [2]\nn = [1]\nlambda_H = ["-0.01"]\n'}),
    C("sweep-count-zero", ["sweep", "g.toml"], "GRID: count 0 must be", "count = 0",
      files={"g.toml": "count = 0\n" + _TINY_GRID}),
    C("sweep-kinds-not-list", ["sweep", "g.toml"], "GRID: kinds 3 must be a list of strings",
      "kinds = 3",
      files={"g.toml": '[grid]\nloss = ["ce"]\nK = [2]\nn = [1]\n'.replace(
          "[grid]", "kinds = 3\n[grid]")}),
    C("sweep-unknown-backend", ["sweep", "g.toml"], "unknown backend 'jax'",
      "unknown backend", files={"g.toml": 'backend = "jax"\n' + _TINY_GRID}),
    C("sweep-jobs-zero", ["sweep", "g.toml", "--jobs", "0"], "--jobs: 0 must be >= 1",
      "`--jobs 0`", files={"g.toml": _TINY_GRID}),
    C("sweep-cache-unwritable", ["sweep", "g.toml", "--cache", "/proc/forbidden"],
      "--cache: cannot create '/proc/forbidden'", "unwritable `--cache` folder",
      files={"g.toml": _TINY_GRID}),
    C("sweep-csv-unwritable", ["sweep", "g.toml", "--csv", "/proc/forbidden/s.csv"],
      "--csv: cannot write '/proc/forbidden/s.csv'", "unwritable `--csv` file",
      files={"g.toml": _TINY_GRID}),
    # -------------------------------------------------------------- discover
    C("discover-no-problem", ["discover"], "--loss, --K, --n: required (or give --grid",
      "no problem and no `--grid`"),
    C("discover-starts-zero", DISCOVER + ["--starts", "0"], "--starts: 0 must be >= 1",
      "`--starts 0`"),
    C("discover-seed-negative", DISCOVER + ["--seed", "-1"], "--seed: -1 must be >= 0",
      "`--seed -1`"),
    C("discover-d-0", DISCOVER + ["--d", "0"], "d: 0 is too small", "`--d 0`"),
    C("discover-K-1", ["discover", "--loss", "ce", "--K", "1", "--n", "1"],
      "K: 1 is too small", "`--K 1`"),
    C("discover-dps-too-low", DISCOVER + ["--dps", "5"], "--dps: 5 is too low", "`--dps 5`"),
    C("discover-jobs-zero", DISCOVER + ["--jobs", "0"], "--jobs: 0 must be >= 1",
      "`--jobs 0`"),
    C("discover-jobs-and-scheduler", DISCOVER + ["--jobs", "2", "--scheduler", "tcp://x:1"],
      "not allowed with argument", "`--jobs` with `--scheduler`"),
    C("discover-scheduler-bad-address", DISCOVER + ["--scheduler", "nonsense://x:1"],
      "--scheduler: cannot connect to 'nonsense://x:1'", "a scheduler that cannot be reached",
      skip_unless=_no_distributed),
    C("discover-cache-without-grid", DISCOVER + ["--cache", "c"], "--cache: only with --grid",
      "`--cache` without `--grid`"),
    C("discover-out-unwritable", DISCOVER + ["--out", "/proc/forbidden"],
      "--out: cannot write to '/proc/forbidden'", "unwritable `--out` folder"),
    C("discover-grid-missing", ["discover", "--grid", "absent.toml"],
      "GRID: cannot read 'absent.toml'", "missing GRID.toml"),
    C("discover-grid-with-loss", ["discover", "--grid", "g.toml", "--loss", "ce"],
      "--loss: not with --grid", "`--grid` with `--loss`",
      files={"g.toml": _TINY_ATLAS}),
    C("discover-grid-starts-zero", ["discover", "--grid", "g.toml"],
      "GRID: starts 0 must be an integer >= 1", "`starts = 0` in the grid",
      files={"g.toml": _TINY_ATLAS.replace("starts = 2", "starts = 0")}),
    C("discover-grid-d-0", ["discover", "--grid", "g.toml"], "d: 0 is too small",
      "`d = [0]` in the grid", files={"g.toml": _TINY_ATLAS + "d = [0]\n"}),
    C("discover-grid-unknown-key", ["discover", "--grid", "g.toml"],
      "GRID: unknown key(s) ['count']", "a `sweep` key in an atlas grid",
      files={"g.toml": "count = 2\n" + _TINY_ATLAS}),
    C("discover-subprocess", ["discover", "--loss", "ce", "--K", "3", "--n", "1", "--starts",
                              "-4"], "--starts: -4 must be >= 1", "`--starts -4` (subprocess)",
      subprocess=True),
    # -------------------------------------------------------------- appendix
    C("appendix-unwritable", ["appendix", "--out", "/proc/forbidden", "--no-run"],
      "--out: cannot write to '/proc/forbidden'", "unwritable `--out` folder"),
    C("appendix-out-under-a-file", ["appendix", "--out", "f.txt/sub", "--no-run"],
      "--out: cannot write to 'f.txt/sub'", "`--out` below a file",
      files={"f.txt": "a file\n"}),
    C("appendix-unknown-label", ["appendix", "--out", "out", "--no-run", "eq:9.9"],
      "unknown claim label 'eq:9.9'", "unknown label (old appendix unchanged)",
      files={"out/appendix.tex": "% the previous appendix\n"}),
    C("appendix-dps-too-low", ["appendix", "--out", "out", "--dps", "5"], "--dps: 5",
      "`--dps 5`"),
    C("appendix-samples-zero", ["appendix", "--out", "out", "--samples", "0"],
      "--samples: 0", "`--samples 0`"),
    C("appendix-no-out", ["appendix", "--no-run"], "--out", "no `--out`"),
    C("appendix-from-report-missing", ["appendix", "--out", "out", "--from-report",
                                       "verify.json"],
      "--from-report: cannot read 'verify.json'", "`--from-report` file missing"),
    C("appendix-from-report-with-no-run", ["appendix", "--out", "out", "--no-run",
                                           "--from-report", "v.json"],
      "--from-report: cannot be combined with --no-run", "`--from-report` with `--no-run`",
      files={"v.json": "{}\n"}),
    # ----------------------------------------------------------------- graph
    C("graph-missing-unwritable-dir", ["graph", "--out", "/proc/forbidden/g.svg",
                                       "--no-run"],
      "--out: cannot write to '/proc/forbidden'", "`--out` in a missing, uncreatable folder"),
    C("graph-unknown-format", ["graph", "--out", "g.txt", "--no-run"],
      "--out: 'g.txt' has an unknown format", "unknown output format"),
    C("graph-out-directory", ["graph", "--out", "out.svg", "--no-run"],
      "--out: 'out.svg' is a directory", "`--out` is a directory",
      files={"out.svg/keep": ""}),
    C("graph-unknown-label", ["graph", "--out", "g.svg", "--no-run", "eq:9.9"],
      "unknown claim label 'eq:9.9'", "unknown label (old graph unchanged)",
      files={"g.svg": "<svg/>\n"}),
    C("graph-dps-too-low", ["graph", "--out", "g.svg", "--dps", "5"], "--dps: 5",
      "`--dps 5`"),
    C("graph-from-report-not-json", ["graph", "--out", "g.svg", "--from-report", "v.json"],
      "--from-report: 'v.json' is not JSON", "`--from-report` not JSON",
      files={"v.json": "{not json\n"}),
    # ------------------------------------------------------------- blueprint
    C("blueprint-unwritable", ["blueprint", "--out", "/proc/forbidden", "--no-run"],
      "--out: cannot write to '/proc/forbidden", "unwritable `--out` folder"),
    C("blueprint-unknown-label", ["blueprint", "--out", "bp", "--no-run", "eq:9.9"],
      "unknown claim label 'eq:9.9'", "unknown label"),
    C("blueprint-from-report-schema", ["blueprint", "--out", "bp", "--from-report", "v.json"],
      "schema 7 is not 1", "`--from-report` of another schema",
      files={"v.json": '{"schema": 7}\n'}),
]


# --------------------------------------------------------------------------- harness
def registered_commands() -> set[str]:
    from ufm_sym.cli import build_parser

    parser = build_parser()
    for action in parser._actions:  # noqa: SLF001 - argparse keeps subparsers here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return set(action.choices)
    return set()


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (``None`` for a directory)."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root)] = None
        for name in filenames:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def _write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data)


def run_case(case: Case, root: Path, capsys: pytest.CaptureFixture[str]
             ) -> tuple[object, str, str]:
    argv = [a.replace("{d}", str(root)) for a in case.argv]
    if case.subprocess:
        try:
            proc = subprocess.run([sys.executable, "-m", "ufm_sym.cli", *argv], cwd=root,
                                  capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{case.id}: no answer within {SUBPROCESS_TIMEOUT} s (the bad value "
                        "is not refused up front)")
        return proc.returncode, proc.stdout, proc.stderr
    from ufm_sym.cli import main

    capsys.readouterr()
    try:
        code: object = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def commands() -> set[str]:
    return registered_commands()


def test_enough_kinds_of_bad_input() -> None:
    assert len(CASES) >= 20
    assert {c.command for c in CASES} >= {"verify", "classify", "check", "sample", "sweep",
                                          "discover", "appendix", "graph", "blueprint"}
    assert sum(c.subprocess for c in CASES) >= 2
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_with_one_line(case: Case, commands: set[str], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    if case.command not in commands:
        pytest.skip(f"ufm-sym {case.command} is not registered yet")
    if case.skip_unless is not None:
        reason = case.skip_unless()
        if reason:
            pytest.skip(reason)
    root = tmp_path / "run"
    root.mkdir()
    _write_files(root, case.files)
    monkeypatch.chdir(root)
    before = _tree(root)
    code, out, err = run_case(case, root, capsys)
    assert "Traceback" not in err, err
    assert code == 2, f"exit code {code!r}; stderr: {err!r}"
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert case.fragment in err, f"{case.fragment!r} not in {err!r}"
    assert out == "", f"stdout not empty: {out[:200]!r}"
    after = _tree(root)
    assert after == before, (f"files changed: added {sorted(set(after) - set(before))}, "
                             f"removed {sorted(set(before) - set(after))}, changed "
                             f"{sorted(k for k in before if k in after and after[k] != before[k])}")


# --------------------------------------------------------------------------- README
def readme_table() -> str:
    """The README's bad-input table (markdown): command | bad input | message fragment."""
    lines = ["| command | bad input | message fragment |", "|---|---|---|"]
    for c in CASES:
        frag = c.fragment.replace("|", "\\|")
        lines.append(f"| `{c.command}` | {c.what} | `{frag}` |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(readme_table())
