"""The ``ufm-sym`` command line.

Exit codes (the stable contract of DESIGN.md): 0 success, 1 a check failed,
2 bad input (one line on stderr naming the bad value, no traceback).

Each subcommand lives in ``ufm_sym/commands/<name>.py`` and defines
``register(subparsers)`` (adding its parser, with ``set_defaults(func=run)``) and
``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ufm_sym import __version__
from ufm_sym.model import UFMInputError

COMMANDS: tuple[str, ...] = (
    "verify", "classify", "check", "sample", "sweep", "discover", "appendix", "graph",
    "blueprint",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ufm-sym",
        description=(
            "Symbolic-numeric proof companion for Gu and Shen, 'Geometric Analysis of "
            "Unconstrained Feature Models with d = K' (arXiv 2407.10702)."
        ),
        epilog="Exit codes: 0 success, 1 a check failed, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"ufm-sym {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"ufm_sym.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"ufm_sym.commands.{name}":
                continue  # this command is not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # inside the try: a closed pipe is reported here, not at exit
        return code
    except UFMInputError as exc:
        sys.stderr.write(f"ufm-sym {args.command}: error: {exc}\n")
        return 2
    except MemoryError:
        sys.stderr.write(f"ufm-sym {args.command}: error: out of memory: the problem is too "
                         f"large for this machine (reduce K, n or d)\n")
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.stderr.write("ufm-sym: interrupted\n")
        return 130
    except BrokenPipeError:
        return _broken_pipe()


def _broken_pipe() -> int:
    """The reader of stdout went away (``ufm-sym verify --list | head``): stop quietly,
    as a Unix tool killed by SIGPIPE does (exit 141), with no traceback at exit either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout already closed
        pass
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
