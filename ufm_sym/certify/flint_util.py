"""python-flint, imported lazily, and the conversions the ball-arithmetic code shares.

>>> import mpmath
>>> bits_for(30)
164
>>> flint = flint_module()
>>> with mpmath.workdps(20):
...     arb_to_mpf(flint.arb(1) / 4)
mpf('0.25')
"""

from __future__ import annotations

import math
from typing import Any

import mpmath

__all__ = ["arb_to_mpf", "bits_for", "flint_module"]


def flint_module() -> Any:
    """The ``flint`` module (python-flint), with a clear message when it is missing."""
    try:
        import flint
    except ImportError as exc:  # pragma: no cover - python-flint is installed here
        raise ImportError("the refined eigenvalue method needs python-flint "
                          "(pip install python-flint)") from exc
    return flint


def arb_to_mpf(x: Any) -> Any:
    """The midpoint of an ``arb`` ball as an exact ``mpf``."""
    return mpmath.mpf(tuple(int(t) for t in x.mid().man_exp()))


def bits_for(dps: int) -> int:
    """Binary precision for ``dps`` decimal digits, with 64 guard bits."""
    return int(math.ceil(dps * math.log2(10))) + 64
