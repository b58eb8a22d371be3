"""ufm_sym.highprec.finite_diff: the finite-difference machinery itself."""

from __future__ import annotations

import mpmath
import pytest

from ufm_sym.highprec.finite_diff import default_step, derivative, digits_of_agreement, richardson


@pytest.mark.parametrize("levels", [0, 1, 2, 3])
def test_richardson_reaches_more_digits_per_level(levels):
    val, _ = derivative(lambda t: mpmath.exp(3 * t), order=1, levels=levels, dps=50)
    digits = digits_of_agreement(val, 3)
    # truncation O(h^(2L+2)) with h = eps^(1/(2L+3)): about 50 (2L+2)/(2L+3) digits
    assert digits > 50 * (2 * levels + 2) / (2 * levels + 3) - 4


def test_second_derivative_30_digits_at_50_dps():
    val, err = derivative(lambda t: mpmath.cos(t) * mpmath.exp(t), order=2, dps=50)
    # d^2/dt^2 (cos t e^t) at 0 = 0
    assert abs(val) < mpmath.mpf(10) ** -35
    assert err < mpmath.mpf(10) ** -20


def test_richardson_exact_on_polynomials():
    hs = [mpmath.mpf(1) / 2 ** k for k in range(3)]
    est, err = richardson([7 + 3 * h ** 2 - 5 * h ** 4 for h in hs])
    assert est == 7


def test_default_step_and_order_validation():
    assert abs(float(default_step(2, 2, 80)) - 1e-10) < 1e-24
    with pytest.raises(ValueError):
        derivative(mpmath.sin, order=3)
