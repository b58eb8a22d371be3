"""`ufm-sym --help/--version` and `ufm-sym verify` (table, JSON schema, exit codes)."""

import json
import subprocess
import sys

import pytest

from ufm_sym import __version__
from ufm_sym.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "verify" in capsys.readouterr().out


def test_verify_one_claim_table(capsys):
    code, out, err = run(capsys, "verify", "eq:3.4", "--samples", "10")
    assert code == 0
    assert "eq:3.4" in out and "symbolic" in out and "claims passed" in out
    # the dependencies ran too
    assert "eq:3.2" in out and "eq:1.3" in out


def _strip_timing(obj):
    if isinstance(obj, dict):
        return {k: _strip_timing(v) for k, v in obj.items() if k != "seconds"}
    if isinstance(obj, list):
        return [_strip_timing(v) for v in obj]
    return obj


def test_verify_json_schema_and_reproducible(capsys):
    code, out, _ = run(capsys, "verify", "eq:3.7", "--json", "--samples", "10")
    assert code == 0
    data = json.loads(out)
    for key in ("schema", "version", "dps", "seeds", "numeric_samples", "backend", "claims"):
        assert key in data
    assert data["version"] == __version__ and data["dps"] == 50
    claim = {c["label"]: c for c in data["claims"]}["eq:3.7"]
    assert set(claim) >= {"label", "title", "uses", "status", "evidence"}
    assert claim["status"] == "passed"
    for ev in claim["evidence"]:
        assert set(ev) >= {"level", "passed", "residual", "digits", "samples", "detail"}
    code2, out2, _ = run(capsys, "verify", "eq:3.7", "--json", "--samples", "10")
    assert _strip_timing(json.loads(out2)) == _strip_timing(data)


@pytest.mark.parametrize("argv,fragment", [
    (["verify", "eq:9.9"], "unknown claim label 'eq:9.9'"),
    (["verify", "--dps", "10"], "--dps: 10"),
    (["verify", "--samples", "0"], "--samples: 0"),
    (["verify", "--dps", "abc"], "invalid int value"),
])
def test_verify_bad_input_exit_2_one_line(capsys, argv, fragment):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == ""


def test_list_labels(capsys):
    code, out, _ = run(capsys, "verify", "--list")
    assert code == 0 and "lem:3.1" in out and "thm:1.1" in out


def test_console_script_subprocess():
    proc = subprocess.run([sys.executable, "-m", "ufm_sym.cli", "verify", "nope:1"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown claim label" in proc.stderr and "Traceback" not in proc.stderr
