"""python-flint, imported lazily, and the conversions the ball-arithmetic code shares.

>>> import mpmath
>>> bits_for(30)
164
>>> flint = flint_module()
>>> with mpmath.workdps(20):
...     arb_to_mpf(flint.arb(1) / 4)
mpf('0.25')
>>> max_upper([flint.arb(1, 0.5), flint.arb(2)]).is_exact()
True
>>> arb_to_str(flint.arb(1) / 3)
'0.334'
>>> x = flint.arb(1).union(2)            # [1, 2], widened by the radius's rounding
>>> with mpmath.workdps(10):
...     arb_lower_mpf(x) <= 1, arb_upper_mpf(x) >= 2, arb_upper_mpf(x) < 2.000001
(True, True, True)
"""

from __future__ import annotations

import math
from typing import Any

import mpmath

__all__ = ["arb_lower_mpf", "arb_to_mpf", "arb_to_str", "arb_upper_mpf", "bits_for",
           "flint_module", "max_upper", "mpf_str"]


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


def arb_upper_mpf(x: Any) -> Any:
    """An ``mpf`` (at the current mpmath precision) ``>=`` every point of the ball
    ``x``: its upper endpoint rounded *up* (for printing and comparing upper bounds)."""
    from mpmath.libmp import from_man_exp

    man, exp = (int(t) for t in x.upper().man_exp())
    return mpmath.mpf(from_man_exp(man, exp, mpmath.mp.prec, "c"))


def arb_lower_mpf(x: Any) -> Any:
    """An ``mpf`` ``<=`` every point of the ball ``x`` (lower endpoint rounded down)."""
    from mpmath.libmp import from_man_exp

    man, exp = (int(t) for t in x.lower().man_exp())
    return mpmath.mpf(from_man_exp(man, exp, mpmath.mp.prec, "f"))


def bits_for(dps: int) -> int:
    """Binary precision for ``dps`` decimal digits, with 64 guard bits."""
    return int(math.ceil(dps * math.log2(10))) + 64


def max_upper(values: Any) -> Any:
    """An exact ``arb`` upper bound of every ball in ``values`` (0 for none)."""
    flint = flint_module()
    out = flint.arb(0)
    for v in values:
        u = v.upper()
        if u > out:
            out = u
    return out


def _fraction(x: Any) -> Any:
    from fractions import Fraction

    sign, man, exp, _ = mpmath.mpf(x)._mpf_
    return (-1 if sign else 1) * Fraction(int(man)) * (Fraction(2) ** int(exp))


def mpf_str(x: Any, digits: int = 3, up: bool = True) -> str:
    """``x`` (an ``mpf``) as a decimal string with ``digits`` significant digits,
    rounded *up* (``up=True``: for upper bounds) or *down*: a printed bound is never
    weaker than the proved one.

    >>> mpf_str(mpmath.mpf(1) / 3), mpf_str(mpmath.mpf(1) / 3, up=False)
    ('0.334', '0.333')
    >>> mpf_str(mpmath.mpf(-2) / 3), mpf_str(mpmath.mpf("4.78192845e-54"))
    ('-0.666', '4.79e-54')
    """
    from fractions import Fraction

    x = mpmath.mpf(x)
    if x == 0 or not mpmath.isfinite(x):
        return mpmath.nstr(x, digits)
    exact = _fraction(x)
    with mpmath.workdps(max(30, digits + 10)):
        s = mpmath.nstr(x, digits, min_fixed=-4, max_fixed=6)
        off = Fraction(s) - exact
        if (up and off < 0) or (not up and off > 0):
            e = int(mpmath.floor(mpmath.log10(abs(x))))
            step = mpmath.mpf(10) ** (e - digits + 1)
            s = mpmath.nstr(mpmath.mpf(s) + (step if up else -step), digits,
                            min_fixed=-4, max_fixed=6)
            if (up and Fraction(s) < exact) or (not up and Fraction(s) > exact):
                s = mpmath.nstr(mpmath.mpf(s) + (step if up else -step), digits,
                                min_fixed=-4, max_fixed=6)
        return s


def arb_to_str(x: Any, digits: int = 3) -> str:
    """A decimal upper bound of the ball ``x`` with ``digits`` significant digits
    (for printing bounds: rounded *up*, never down)."""
    return mpf_str(arb_upper_mpf(x), digits, up=True)
