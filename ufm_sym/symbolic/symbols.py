"""The scalar symbols shared by the index-free and the explicit derivations.

Sizes are positive integers; the weight decays follow the paper's conventions
(``lambda_W, lambda_H > 0``, ``lambda_b >= 0``); ``t`` is the step along a direction
in the Taylor expansion ``f(X + t Delta)``.

>>> lambda_W.is_positive, lambda_b.is_nonnegative, lambda_b.is_positive
(True, True, None)
>>> K.is_integer and d.is_positive and N.is_positive
True
"""

from __future__ import annotations

import sympy as sp

__all__ = ["K", "d", "N", "lambda_W", "lambda_H", "lambda_b", "t", "LAMBDAS"]

K: sp.Symbol = sp.Symbol("K", integer=True, positive=True)
d: sp.Symbol = sp.Symbol("d", integer=True, positive=True)
N: sp.Symbol = sp.Symbol("N", integer=True, positive=True)

lambda_W: sp.Symbol = sp.Symbol("lambda_W", positive=True)
lambda_H: sp.Symbol = sp.Symbol("lambda_H", positive=True)
lambda_b: sp.Symbol = sp.Symbol("lambda_b", nonnegative=True)

t: sp.Symbol = sp.Symbol("t", real=True)

LAMBDAS: tuple[sp.Symbol, sp.Symbol, sp.Symbol] = (lambda_W, lambda_H, lambda_b)
