"""Reproducible reports: the same command twice gives byte-identical JSON apart from the
timing fields, and every report records what is needed to reproduce it (the package
version, the precision, the seeds, the backend).

Each command runs twice as a real ``python -m ufm_sym.cli`` process (the two runs in
parallel), so no in-process cache can hide a difference between runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ufm_sym import __version__

ROOT = Path(__file__).resolve().parents[1]
TIMING_KEYS = frozenset({"seconds"})

VERIFY = ["verify", "eq:1.4", "eq:1.7", "--samples", "4", "--seed", "3", "--json"]
SAMPLE = ["sample", "--loss", "ce", "--K", "4", "--n", "2", "--lambda-b", "0.01", "--count",
          "2", "--seed", "5", "--json"]
SAMPLE_MSE = ["sample", "--loss", "mse", "--K", "3", "--n", "2", "--lambda-b", "0.1",
              "--count", "1", "--seed", "7", "--no-escape", "--json"]
CHECK = ["check", "lambda_W*W.T@W == lambda_H*H@H.T", "--loss", "ce", "--K", "3", "--n", "1",
         "--seed", "2", "--json"]


def strip_timing(obj: Any) -> Any:
    """``obj`` without the timing fields (every key named ``seconds``, at any depth)."""
    if isinstance(obj, dict):
        return {k: strip_timing(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [strip_timing(v) for v in obj]
    return obj


def canonical(text: str) -> str:
    """The JSON text without timing fields, key order and formatting kept."""
    return json.dumps(strip_timing(json.loads(text)), indent=2)


def run_twice(argv: list[str], timeout: float = 300) -> tuple[str, str]:
    """Two runs of ``ufm-sym argv`` in parallel; their stdout (each must exit 0)."""
    procs = [subprocess.Popen([sys.executable, "-m", "ufm_sym.cli", *argv], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, f"ufm-sym {' '.join(argv)} exited {p.returncode}: {err}"
        outs.append(out)
    return outs[0], outs[1]


def _first_difference(a: str, b: str) -> str:
    import difflib

    return "".join(list(difflib.unified_diff(a.splitlines(True), b.splitlines(True),
                                             "run 1", "run 2"))[:40])


@pytest.fixture(scope="module")
def verify_runs() -> tuple[str, str]:
    return run_twice(VERIFY)


@pytest.fixture(scope="module")
def sample_runs() -> tuple[str, str]:
    return run_twice(SAMPLE)


def test_strip_timing() -> None:
    data = {"seconds": 1.5, "a": [{"seconds": 2, "b": 1}], "c": {"seconds": 0, "d": "x"}}
    assert strip_timing(data) == {"a": [{"b": 1}], "c": {"d": "x"}}


def test_verify_json_is_byte_identical_but_for_timing(verify_runs: tuple[str, str]) -> None:
    a, b = verify_runs
    ca, cb = canonical(a), canonical(b)
    assert ca == cb, _first_difference(ca, cb)
    # the timing fields are the only ones removed: the raw texts differ at most there
    ja, jb = json.loads(a), json.loads(b)
    assert set(ja) == set(jb)
    assert [c["label"] for c in ja["claims"]] == ["eq:1.3", "eq:1.4", "eq:1.7"]


def test_verify_report_records_version_dps_seeds_backend(verify_runs: tuple[str, str]) -> None:
    data = json.loads(verify_runs[0])
    assert data["version"] == __version__ and data["tool"] == "ufm-sym"
    assert data["dps"] == 50
    assert data["seeds"] == {"seed": 3}
    assert data["numeric_samples"] == 4
    assert data["backend"] == "numpy"
    assert data["passed"] is True
    for claim in data["claims"]:
        assert "seconds" in claim and all("seconds" in e for e in claim["evidence"])


def test_sample_json_is_byte_identical_but_for_timing(sample_runs: tuple[str, str]) -> None:
    a, b = sample_runs
    ca, cb = canonical(a), canonical(b)
    assert ca == cb, _first_difference(ca, cb)
    data = json.loads(a)
    assert data["n_samples"] >= 4 and data["passed"] is True


def test_sample_mse_json_is_byte_identical_but_for_timing() -> None:
    a, b = run_twice(SAMPLE_MSE)
    ca, cb = canonical(a), canonical(b)
    assert ca == cb, _first_difference(ca, cb)


def test_sample_report_records_version_dps_seeds_backend(sample_runs: tuple[str, str]) -> None:
    data = json.loads(sample_runs[0])
    assert data["version"] == __version__
    assert data["seed"] == 5
    assert all(isinstance(s["seed"], int) for s in data["samples"])  # each sample's own seed
    assert (data["backend"], data["device"]) == ("numpy", "cpu")
    assert "dps" in data, ("the sample report does not record its precision: add "
                           '"dps": None (float64, no mpmath digits) to its JSON')


def test_check_json_is_byte_identical_and_records_its_settings() -> None:
    a, b = run_twice(CHECK)
    ca, cb = canonical(a), canonical(b)
    assert ca == cb, _first_difference(ca, cb)
    data = json.loads(a)
    assert data["version"] == __version__ and data["dps"] == 50
    assert data.get("seed") == 2, "the check report does not record its --seed"
    assert data.get("backend") == "mpmath", "the check report does not record its backend"
