"""Read and write POINT.json files: a problem and a point ``(W, H, b)``.

The format (DESIGN.md)::

    {"loss": "ce", "K": 3, "n": 2, "d": 3,
     "lambda_W": "0.01", "lambda_H": "0.01", "lambda_b": "0.01",
     "W": [["0.1", ...], ...], "H": [[...], ...], "b": ["0", ...]}

Every key but ``d`` is required and no other key is allowed; without ``d`` the feature
dimension is read from ``W`` (its number of columns).  Numbers may be decimal
strings (full precision), fraction strings (``"1/3"``, exact) or JSON numbers; a JSON
number keeps the digits written in the file (it is read as text, never through a
float).  ``H``'s columns go class by class; ``b`` is a list of ``K`` numbers (or a
``K x 1`` nested list).

Anything else is refused with :class:`~ufm_sym.model.UFMInputError` and a one-line
message naming the bad value: an empty file, bytes that are not UTF-8, invalid JSON,
a top level that is not an object, a duplicate, missing or unknown key, ``NaN`` or
``Infinity``, a non-numeric string, a non-integer size, a negative weight decay, a
wrong shape.

The *input digits* of a point (:func:`significant_digits`) are the largest number
of significant digits written in any inexact entry; integers, fractions and zeros
are exact and do not count (``None`` when every entry is exact).  They set the
precision at which :func:`ufm_sym.landscape.classify` judges the point.

>>> pf = parse_point('{"loss": "mse", "K": 2, "n": 1, "lambda_W": "0.1", '
...                  '"lambda_H": 0.1, "lambda_b": 0, "W": [[1, 0], [0, 1]], '
...                  '"H": [[1, 0], [0, 1]], "b": ["0.50", 0]}')
>>> pf.problem.describe(), pf.input_digits
('MSE UFM, K=2, d=2, n=1, lambda_W=1/10, lambda_H=1/10, lambda_b=0', 2)
>>> parse_point('{"loss": "ce", "K": 2}')
Traceback (most recent call last):
...
ufm_sym.model.UFMInputError: POINT.json: missing key 'n'
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import mpmath
import numpy as np

from ufm_sym.highprec.evaluate import Point, to_mp_point
from ufm_sym.model import Problem, UFMInputError, exact_number

__all__ = [
    "ALLOWED_KEYS",
    "REQUIRED_KEYS",
    "JsonNumber",
    "PointFile",
    "load_point",
    "parse_point",
    "point_to_json",
    "point_digits",
    "significant_digits",
]

REQUIRED_KEYS: tuple[str, ...] = ("loss", "K", "n", "lambda_W", "lambda_H", "lambda_b",
                                  "W", "H", "b")
ALLOWED_KEYS: tuple[str, ...] = REQUIRED_KEYS[:3] + ("d",) + REQUIRED_KEYS[3:]
MAX_BYTES = 64 * 1024 * 1024


class JsonNumber(str):
    """A JSON number literal kept as its text (so no digit is lost to a float)."""


@dataclass(frozen=True)
class PointFile:
    """A parsed POINT.json: the problem, the raw entries and their input digits."""

    problem: Problem
    W: Any
    H: Any
    b: Any
    input_digits: int | None
    source: str = "POINT.json"

    def mp_point(self, dps: int) -> Point:
        """``(W, H, b)`` as ``mpmath`` matrices at ``dps`` digits."""
        return to_mp_point(self.problem, self.W, self.H, self.b, dps=dps)


def significant_digits(value: Any) -> int | None:
    """Significant digits written in one entry, or ``None`` if it is exact (an
    integer value, a fraction ``"a/b"``, zero).

    >>> [significant_digits(x) for x in ("0.125", "1.50", "3", 7, "1/3", "0.0", "-2.5e-7")]
    [3, 3, None, None, None, None, 2]
    """
    if isinstance(value, bool) or isinstance(value, int):
        return None
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if "/" in text:
        return None
    try:
        dec = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not dec.is_finite() or dec == 0 or dec == dec.to_integral_value():
        return None
    return len(dec.as_tuple().digits)


def point_digits(point: Sequence[Any]) -> int | None:
    """The input digits of a point given as arrays or nested lists, read as the command
    line reads a POINT.json: a float carries the digits of its shortest round-trip text
    (what ``json.dumps`` writes), a string its written digits, an integer, a fraction or a
    zero none (``None`` when every entry is exact).

    >>> import numpy as np
    >>> point_digits((np.array([[0.1, 1/3]]), [["2"]], ["0.25"]))
    16
    >>> point_digits(([[1, 0]], [["1/3"]], [0])) is None
    True
    """
    digits = []
    for x in _flat(point):
        if isinstance(x, mpmath.mpf):
            return None          # a high-precision point: judged at dps
        if isinstance(x, float | np.floating):
            x = repr(float(x))
        digits.append(significant_digits(x))
    inexact = [t for t in digits if t is not None]
    return max(inexact) if inexact else None


def _flat(x: Any) -> list[Any]:
    if hasattr(x, "tolist") and not isinstance(x, str):
        x = x.tolist()
    if isinstance(x, list | tuple):
        return [e for item in x for e in _flat(item)]
    return [x]


def _entries(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in _entries(v)]
    return [value]


class _Constant(str):
    """``NaN``, ``Infinity`` or ``-Infinity`` (Python's json accepts them): refused
    once their place in the document is known."""


def _find_constant(obj: Any, path: str = "") -> tuple[str, str] | None:
    if isinstance(obj, _Constant):
        return path, str(obj)
    if isinstance(obj, dict):
        for k, v in obj.items():
            hit = _find_constant(v, k if not path else f"{path}.{k}")
            if hit:
                return hit
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            if isinstance(v, list):
                for j, x in enumerate(v):
                    hit = _find_constant(x, f"{path}[{i}, {j}]")
                    if hit:
                        return hit
            else:
                hit = _find_constant(v, f"{path}[{i}]")
                if hit:
                    return hit
    return None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise UFMInputError(f"{{source}}: duplicate key {k!r}")
        out[k] = v
    return out


def _decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise UFMInputError(f"{source}: empty file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1]
        raise UFMInputError(f"{source}: not UTF-8 text (byte 0x{bad.hex()} at offset "
                            f"{exc.start})") from None


def parse_point(text: str | bytes, source: str = "POINT.json") -> PointFile:
    """Parse the text (or bytes) of a POINT.json (module docstring).

    >>> parse_point('{"loss": "ce"', source="p.json")
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: p.json: invalid JSON at line 1, column 14: Expecting ',' delimiter
    """
    if isinstance(text, bytes):
        text = _decode(text, source)
    elif not text.strip():
        raise UFMInputError(f"{source}: empty file")
    try:
        obj = json.loads(text, parse_float=JsonNumber, parse_constant=_Constant,
                         object_pairs_hook=_no_duplicates)
    except UFMInputError as exc:
        raise UFMInputError(str(exc).replace("{source}", source)) from None
    except json.JSONDecodeError as exc:
        raise UFMInputError(f"{source}: invalid JSON at line {exc.lineno}, column "
                            f"{exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise UFMInputError(f"{source}: JSON nested too deeply") from None
    bad = _find_constant(obj)
    if bad is not None:
        where = bad[0] or source
        raise UFMInputError(f"{where}: {bad[1]} is not a finite number")
    if not isinstance(obj, dict):
        raise UFMInputError(f"{source}: the top level must be a JSON object, got "
                            f"{_json_type(obj)}")
    for key in obj:
        if key not in ALLOWED_KEYS:
            raise UFMInputError(f"{source}: unknown key {key!r} (allowed: "
                                f"{', '.join(ALLOWED_KEYS)})")
    for key in REQUIRED_KEYS:
        if key not in obj:
            raise UFMInputError(f"{source}: missing key {key!r}")
    loss = obj["loss"]
    if not isinstance(loss, str):
        raise UFMInputError(f"loss: {loss!r} is not a string (expected 'ce' or 'mse')")
    for key in ("K", "n", "d"):
        val = obj.get(key)
        if key == "d" and val is None:
            continue
        if isinstance(val, JsonNumber) or isinstance(val, (bool, float)) or not isinstance(
                val, (int, str)):
            raise UFMInputError(f"{key}: {_show(val)} is not an integer")
    for key in ("lambda_W", "lambda_H", "lambda_b"):
        val = obj[key]
        if isinstance(val, (list, dict)) or val is None:
            raise UFMInputError(f"{key}: {_show(val)} is not a number")
        x = exact_number(val, key)
        if x < 0 or (x == 0 and key != "lambda_b"):
            need = ">= 0" if key == "lambda_b" else "> 0"
            raise UFMInputError(f"{key}: {_show(val)} must be {need}")
    problem = Problem(loss=loss, K=obj["K"], n=obj["n"], d=obj.get("d", _d_of(obj["W"])),
                      lambda_W=obj["lambda_W"], lambda_H=obj["lambda_H"],
                      lambda_b=obj["lambda_b"])
    W, H, b = obj["W"], obj["H"], obj["b"]
    for name, val in (("W", W), ("H", H), ("b", b)):
        if not isinstance(val, list):
            raise UFMInputError(f"{name}: {_show(val)} is not a "
                                + ("list of numbers" if name == "b" else "matrix (a list of rows)"))
        _check_nesting(name, val, 1 if name == "b" else 2)
    problem.check_point(W, H, b)
    digits = [significant_digits(x) for x in _entries(W) + _entries(H) + _entries(b)]
    inexact = [t for t in digits if t is not None]
    return PointFile(problem=problem, W=W, H=H, b=b,
                     input_digits=max(inexact) if inexact else None, source=source)


def _d_of(W: Any) -> int | None:
    """``d`` read from ``W``'s rows when POINT.json omits it (``None``, then ``d = K``,
    when ``W`` has no row to read it from; shapes are checked afterwards).

    >>> _d_of([["1", "0", "0", "0"], ["0", "1", "0", "0"]]), _d_of([])
    (4, None)
    """
    if isinstance(W, list) and W and isinstance(W[0], list) and W[0]:
        return len(W[0])
    return None


def _check_nesting(name: str, val: list[Any], depth: int) -> None:
    """Entries must be numbers or strings at the right depth (b may be K x 1)."""
    for i, row in enumerate(val):
        if depth == 2 or (name == "b" and isinstance(row, list)):
            if not isinstance(row, list):
                raise UFMInputError(f"{name}[{i}]: {_show(row)} is not a row (a list)")
            for j, x in enumerate(row):
                if not _is_scalar(x):
                    raise UFMInputError(f"{name}[{i}, {j}]: {_show(x)} is not a number")
        elif not _is_scalar(row):
            raise UFMInputError(f"{name}[{i}]: {_show(row)} is not a number")


def _is_scalar(x: Any) -> bool:
    return isinstance(x, (int, str)) and not isinstance(x, bool)


def _json_type(x: Any) -> str:
    if isinstance(x, list):
        return "an array"
    if isinstance(x, str):
        return "a string" if not isinstance(x, JsonNumber) else "a number"
    if isinstance(x, bool):
        return "a boolean"
    if x is None:
        return "null"
    return "a number"


def _show(x: Any) -> str:
    if isinstance(x, JsonNumber):
        return str(x)
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def load_point(path: str | os.PathLike[str]) -> PointFile:
    """Read a POINT.json from ``path`` (``"-"``: standard input).

    >>> load_point("/nonexistent/p.json")
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: /nonexistent/p.json: no such file
    """
    name = os.fspath(path)
    if name == "-":
        import sys

        return parse_point(sys.stdin.buffer.read(), source="<stdin>")
    try:
        with open(name, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UFMInputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UFMInputError(f"{name}: is a directory, not a POINT.json file") from None
    except OSError as exc:
        raise UFMInputError(f"{name}: cannot read ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise UFMInputError(f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
    return parse_point(data, source=name)


def _decimal(x: Any, digits: int) -> str:
    return "0" if x == 0 else mpmath.nstr(x, digits)


def point_to_json(problem: Problem, point: Sequence[Any], digits: int = 50) -> dict[str, Any]:
    """A POINT.json object for ``problem`` and ``point`` (entries as decimal strings
    with ``digits`` significant digits; exact zeros as ``"0"``).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
    >>> x = to_mp_point(p, [["1/3", 0], [0, 1]], [[1, 0], [0, 1]], [0, 0], dps=30)
    >>> point_to_json(p, x, digits=20)["W"][0]
    ['0.33333333333333333333', '0']
    """
    W, H, b = point
    with mpmath.workdps(digits + 5):
        d = problem.to_dict()
        out: dict[str, Any] = {"loss": d["loss"], "K": d["K"], "n": d["n"], "d": d["d"]}
        for key in ("lambda_W", "lambda_H", "lambda_b"):
            out[key] = d[key]
        out["W"] = [[_decimal(W[i, j], digits) for j in range(W.cols)] for i in range(W.rows)]
        out["H"] = [[_decimal(H[i, j], digits) for j in range(H.cols)] for i in range(H.rows)]
        out["b"] = [_decimal(b[i, 0], digits) for i in range(b.rows)]
    return out
