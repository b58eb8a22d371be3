"""The column loss and its sympy-derived derivatives are exactly the explicit data term
of ufm_sym.symbolic.explicit and its derivatives."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from ufm_sym.model import UFMInputError
from ufm_sym.symbolic.column_loss import column_loss
from ufm_sym.symbolic.cross_check import ZeroTester
from ufm_sym.symbolic.explicit import explicit_loss


def _columns(loss: str, K: int, n: int):
    """(explicit loss, per column: the substitution r_l -> r_lj, y_l -> Y_lj)."""
    ex = explicit_loss(loss, K, n)
    ell = column_loss(loss, K)
    subs = []
    for j in range(ex.N):
        s = {ell.r[i]: ex.r[i, j] for i in range(K)}
        s.update({ell.y[i]: ex.Y[i, j] for i in range(K)})
        subs.append(s)
    return ex, ell, subs


@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("K,n", [(2, 1), (2, 2), (3, 1), (3, 2)])
def test_the_column_loss_sums_to_the_explicit_loss(loss, K, n):
    ex, ell, subs = _columns(loss, K, n)
    zero = ZeroTester(ex.r)
    g = sp.Add(*[ell.value.xreplace(s) for s in subs]) / ex.N
    assert zero.is_zero(g - ex.g)
    for i in range(K):
        for j in range(ex.N):
            assert zero.is_zero(ell.gradient[i].xreplace(subs[j]) / ex.N - ex.grad[i, j])


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_the_column_hessian_is_the_explicit_hessian(loss):
    """hess g = blockdiag_j (1/N) hess ell(r_j): every entry of sympy.hessian of the
    explicit loss, K = 3, n = 1 (the off-diagonal blocks are zero)."""
    K, n = 3, 1
    ex, ell, subs = _columns(loss, K, n)
    zero = ZeroTester(ex.r)
    N = ex.N
    for a in range(K * N):
        for c in range(K * N):
            (i, j), (k, m) = divmod(a, N), divmod(c, N)
            want = ell.hessian[i, k].xreplace(subs[j]) / N if j == m else 0
            assert zero.is_zero(ex.hessian[a, c] - want), (a, c)


def test_lambdified_functions_agree_with_the_expressions():
    ell = column_loss("ce", 3)
    r, y = [0.3, -1.2, 2.0], [0, 1, 0]
    point = dict(zip(ell.r + ell.y, [sp.Float(v, 30) for v in r + y], strict=True))
    with mpmath.workdps(30):
        g, h = ell.mpmath_functions()
        got = g(*[mpmath.mpf(v) for v in r], *y)
        want = [sp.N(e.xreplace(point), 30) for e in ell.gradient]
        assert max(abs(float(a - b)) for a, b in zip(got, want, strict=True)) < 1e-25
        hm = h(*[mpmath.mpf(v) for v in r], *y)
        assert len(hm) == 9 and abs(hm[1] - hm[3]) < mpmath.mpf(10) ** -28
    gn, hn = ell.array_functions(np)
    rows = [np.array([v, v]) for v in r] + [np.array([v, v]) for v in y]
    assert np.allclose(gn(*rows)[0], float(got[0]), atol=1e-15)
    assert isinstance(column_loss("mse", 2).array_functions(np)[1](*rows[:2], *rows[:2])[0],
                      int)  # constants come back as numbers, broadcast by the callers


def test_bad_input():
    with pytest.raises(UFMInputError, match="K: 1 must be an integer >= 2"):
        column_loss("ce", 1)
