"""The ``ufm-sym`` entry point: a reader that closes the pipe early (``| head``) ends the
command quietly, with no traceback, for every kind of output."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("argv", [
    ["verify", "--list"],
    ["sample", "--loss", "ce", "--K", "3", "--n", "2", "--count", "1"],
    ["check", "W.T@W == W.T@W", "--loss", "ce", "--K", "2", "--n", "1", "--at", "random"],
])
def test_closed_pipe_ends_quietly(argv):
    p = subprocess.Popen([sys.executable, "-m", "ufm_sym.cli", *argv],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()            # the reader has gone before the first line is written
    err = p.stderr.read().decode()
    rc = p.wait(timeout=120)
    p.stderr.close()
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert rc == 141            # as a Unix tool killed by SIGPIPE
