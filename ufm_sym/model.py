"""The unconstrained feature models (1.3) and (1.4) of Gu and Shen.

A :class:`Problem` fixes the loss (``"ce"`` or ``"mse"``), the number of classes
``K``, the feature dimension ``d`` (``K`` by default: the paper's case), the number
of samples per class ``n`` (so ``N = n K``) and the three weight decays.  The
objective is

    f(W, H, b) = g(W H + b 1_N^T) + lambda_W/2 ||W||_F^2 + lambda_H/2 ||H||_F^2
                 + lambda_b/2 ||b||_2^2

with ``g(R) = (1/N) sum_{k,i} L_CE(r_{k,i}, y_k)`` for cross-entropy (1.3) and
``g(R) = 1/(2N) ||R - Y||_F^2`` for MSE (1.4).  ``H``'s columns are ordered class
by class, so ``Y = I_K (kron) 1_n^T``.

The lambdas are kept exact (SymPy ``Rational``) so that one problem serves SymPy,
mpmath at any precision and float64:

>>> p = Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="5e-3", lambda_b=0)
>>> p.lambda_W, p.lambda_H, p.lambda_b
(1/100, 1/200, 0)
>>> p.d, p.N, p.theorem_applies
(3, 6, True)
>>> Problem(loss="hinge", K=3, n=2, lambda_W=1, lambda_H=1)
Traceback (most recent call last):
...
ufm_sym.model.UFMInputError: loss: unknown loss 'hinge' (expected one of: ce, mse)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import sympy as sp

LOSSES: tuple[str, ...] = ("ce", "mse")
LOSS_NAMES: dict[str, str] = {"ce": "cross-entropy (1.3)", "mse": "mean squared error (1.4)"}


#: numbers beyond 10^+-MAX_DECIMAL_EXPONENT are refused: as exact rationals they would
#: only exhaust time and memory (and no weight decay or entry of a point needs them)
MAX_DECIMAL_EXPONENT = 10000


class UFMInputError(ValueError):
    """Bad input: the message names the offending value (the CLI exits with 2)."""


def exact_number(value: Any, name: str) -> sp.Rational:
    """Convert ``value`` to an exact SymPy ``Rational``, refusing anything non-finite.

    Accepted: ``int``, ``Fraction``, SymPy rationals, decimal strings (``"0.01"``,
    ``"1e-3"``), fraction strings (``"1/100"``) and finite floats (taken through
    their shortest ``repr``, so ``0.01`` becomes ``1/100``).

    >>> exact_number("1e-3", "lambda_W")
    1/1000
    >>> exact_number(0.1, "x")
    1/10
    >>> exact_number("nan", "lambda_H")
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: lambda_H: 'nan' is not a finite number
    """
    if isinstance(value, bool):
        raise UFMInputError(f"{name}: {value!r} is not a number")
    if isinstance(value, sp.Rational):
        return value
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if type(value).__module__.startswith("numpy") and hasattr(value, "item"):
        value = value.item()  # numpy scalars: to the Python int or float they hold
        if isinstance(value, int):
            return sp.Integer(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UFMInputError(f"{name}: {value!r} is not a finite number")
        return _rational_from_text(repr(value), name)
    if isinstance(value, sp.Float):
        return _rational_from_text(str(value), name)
    if isinstance(value, str):
        return _rational_from_text(value.strip(), name)
    if type(value).__module__.startswith("mpmath"):  # an mpf: through its full text
        return _rational_from_text(str(value), name)
    raise UFMInputError(f"{name}: {value!r} is not a number")


def _rational_from_text(text: str, name: str) -> sp.Rational:
    if "/" in text:
        num, _, den = text.partition("/")
        a, b = _rational_from_text(num, name), _rational_from_text(den, name)
        if b == 0:
            raise UFMInputError(f"{name}: {text!r} divides by zero")
        return a / b
    try:
        dec = Decimal(text)
    except (InvalidOperation, ValueError):
        raise UFMInputError(f"{name}: {text!r} is not a number") from None
    if not dec.is_finite():
        raise UFMInputError(f"{name}: {text!r} is not a finite number")
    if dec != 0 and not -MAX_DECIMAL_EXPONENT <= dec.adjusted() <= MAX_DECIMAL_EXPONENT:
        raise UFMInputError(f"{name}: {text!r} is out of range (decimal exponents up to "
                            f"+-{MAX_DECIMAL_EXPONENT})")
    frac = Fraction(dec)
    return sp.Rational(frac.numerator, frac.denominator)


def _positive_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool):
        raise UFMInputError(f"{name}: {value!r} is not an integer")
    try:
        if isinstance(value, str):
            ivalue = int(value.strip())
        elif hasattr(value, "__index__"):
            ivalue = value.__index__()
        else:
            raise TypeError
    except (TypeError, ValueError):
        raise UFMInputError(f"{name}: {value!r} is not an integer") from None
    if ivalue < minimum:
        raise UFMInputError(f"{name}: {ivalue} is too small (need {name} >= {minimum})")
    return ivalue


@dataclass(frozen=True)
class Problem:
    """One instance of the UFM: loss, sizes and exact weight decays.

    ``lambda_W`` and ``lambda_H`` must be positive and ``lambda_b`` non-negative.
    ``d`` defaults to ``K``; a problem with ``d != K`` is allowed for exploration,
    but the paper's theorems do not apply to it (:attr:`theorem_applies`).
    """

    loss: str
    K: int
    n: int
    lambda_W: Any
    lambda_H: Any
    lambda_b: Any = 0
    d: int | None = None

    def __post_init__(self) -> None:
        loss = self.loss.strip().lower() if isinstance(self.loss, str) else self.loss
        if loss not in LOSSES:
            raise UFMInputError(
                f"loss: unknown loss {self.loss!r} (expected one of: {', '.join(LOSSES)})"
            )
        K = _positive_int(self.K, "K", 2)
        n = _positive_int(self.n, "n", 1)
        d = K if self.d is None else _positive_int(self.d, "d", 1)
        lw = exact_number(self.lambda_W, "lambda_W")
        lh = exact_number(self.lambda_H, "lambda_H")
        lb = exact_number(self.lambda_b, "lambda_b")
        if lw <= 0:
            raise UFMInputError(f"lambda_W: {lw} must be > 0")
        if lh <= 0:
            raise UFMInputError(f"lambda_H: {lh} must be > 0")
        if lb < 0:
            raise UFMInputError(f"lambda_b: {lb} must be >= 0")
        for key, val in (("loss", loss), ("K", K), ("n", n), ("d", d), ("lambda_W", lw),
                         ("lambda_H", lh), ("lambda_b", lb)):
            object.__setattr__(self, key, val)

    # ----------------------------------------------------------------- sizes
    @property
    def N(self) -> int:
        """Number of samples, ``N = n K``."""
        return self.n * self.K

    @property
    def theorem_applies(self) -> bool:
        """Theorems 1.1 / 1.2 need ``d = K``."""
        return self.d == self.K

    @property
    def theorem_label(self) -> str:
        return "thm:1.1" if self.loss == "ce" else "thm:1.2"

    def theorem_note(self) -> str:
        """A sentence saying whether the paper's theorem covers this problem."""
        thm = "Theorem 1.1" if self.loss == "ce" else "Theorem 1.2"
        if self.theorem_applies:
            return f"{thm} applies (d = K = {self.K})."
        return f"{thm} does not apply: it needs d = K, here d = {self.d}, K = {self.K}."

    @property
    def sqrt_lwlh(self) -> sp.Expr:
        """The threshold ``sqrt(lambda_W lambda_H)`` of [13, Lemma C.4] / (4.1), exact."""
        return sp.sqrt(self.lambda_W * self.lambda_H)

    # ------------------------------------------------------- label matrices
    def labels(self) -> sp.Matrix:
        """``Y = I_K (kron) 1_n^T`` as an exact SymPy matrix (K x N)."""
        return sp.Matrix(self.K, self.N, lambda i, j: 1 if j // self.n == i else 0)

    def label_of_column(self, j: int) -> int:
        """The class (0-based) of column ``j`` of ``H``."""
        return j // self.n

    # ----------------------------------------------------- other precisions
    def mp_lambdas(self) -> tuple[Any, Any, Any]:
        """The lambdas as mpmath numbers at the current ``mpmath.mp.dps``."""
        import mpmath

        return tuple(mpmath.mpf(int(x.p)) / int(x.q) for x in
                     (self.lambda_W, self.lambda_H, self.lambda_b))  # type: ignore[return-value]

    def float_lambdas(self) -> tuple[float, float, float]:
        """The lambdas as float64."""
        return (float(self.lambda_W), float(self.lambda_H), float(self.lambda_b))

    # ----------------------------------------------------------- points
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Expected shapes: W is K x d, H is d x N, b has K entries."""
        return {"W": (self.K, self.d), "H": (self.d, self.N), "b": (self.K,)}

    def check_point(self, W: Any, H: Any, b: Any) -> None:
        """Refuse a point whose shapes do not match the problem or that has non-finite
        entries, with a message that names the bad part.

        Accepts nested lists, NumPy arrays, mpmath or SymPy matrices.
        """
        for name, value in (("W", W), ("H", H), ("b", b)):
            want = self.shapes()[name]
            got = _shape_of(value, name)
            if name == "b" and len(got) == 2 and got[1] == 1:
                got = (got[0],)
            if got != want:
                raise UFMInputError(
                    f"{name}: shape {_fmt_shape(got)} does not match the problem "
                    f"(expected {_fmt_shape(want)}: "
                    + {"W": "K x d", "H": "d x N", "b": "K entries"}[name] + ")"
                )
            for idx, entry in _entries(value):
                _check_finite(entry, f"{name}{list(idx)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (lambdas as exact strings)."""
        return {
            "loss": self.loss, "K": self.K, "n": self.n, "d": self.d,
            "lambda_W": str(self.lambda_W), "lambda_H": str(self.lambda_H),
            "lambda_b": str(self.lambda_b),
        }

    def describe(self) -> str:
        return (f"{self.loss.upper()} UFM, K={self.K}, d={self.d}, n={self.n}, "
                f"lambda_W={self.lambda_W}, lambda_H={self.lambda_H}, lambda_b={self.lambda_b}")


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return " x ".join(str(s) for s in shape) if shape else "scalar"


def _shape_of(value: Any, name: str) -> tuple[int, ...]:
    shape = getattr(value, "shape", None)
    if shape is not None and not callable(shape):
        return tuple(int(s) for s in shape)
    rows = getattr(value, "rows", None)
    cols = getattr(value, "cols", None)
    if isinstance(rows, int) and isinstance(cols, int):  # mpmath matrix
        return (rows, cols)
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) == 0:
            return (0,)
        first = value[0]
        if isinstance(first, Sequence) and not isinstance(first, str):
            lengths = {len(row) if isinstance(row, Sequence) and not isinstance(row, str)
                       else -1 for row in value}
            if len(lengths) != 1 or -1 in lengths:
                raise UFMInputError(f"{name}: rows of unequal length (a ragged matrix)")
            return (len(value), len(first))
        return (len(value),)
    raise UFMInputError(f"{name}: {type(value).__name__} is not a matrix or vector")


def _entries(value: Any):
    rows = getattr(value, "rows", None)
    cols = getattr(value, "cols", None)
    if isinstance(rows, int) and isinstance(cols, int):
        for i in range(rows):
            for j in range(cols):
                yield (i, j), value[i, j]
        return
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, Sequence) and not isinstance(value, str):
        for i, row in enumerate(value):
            if isinstance(row, Sequence) and not isinstance(row, str):
                for j, x in enumerate(row):
                    yield (i, j), x
            else:
                yield (i,), row
        return
    yield (), value


def _check_finite(entry: Any, where: str) -> None:
    if isinstance(entry, bool):
        raise UFMInputError(f"{where}: {entry!r} is not a number")
    if isinstance(entry, str):
        exact_number(entry, where)
        return
    try:
        x = complex(entry)
    except (TypeError, ValueError):
        raise UFMInputError(f"{where}: {entry!r} is not a number") from None
    if x.imag != 0:
        raise UFMInputError(f"{where}: {entry!r} is not real")
    if not math.isfinite(x.real):
        raise UFMInputError(f"{where}: {entry!r} is not a finite number")
