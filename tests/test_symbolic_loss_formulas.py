"""The losses written out for a symbolic K (ufm_sym.symbolic.loss_formulas) agree with
the column loss differentiated for concrete K, entry by entry."""

from __future__ import annotations

import pytest
import sympy as sp

from ufm_sym.symbolic.column_loss import column_loss
from ufm_sym.symbolic.loss_formulas import K, k, loss_derivation, loss_formulas, m, p, r, y


def _concrete(expr: sp.Expr, Kv: int, kv: int, mv: int, ell) -> sp.Expr:
    """``expr`` (in r[.], y[.], p[.], K, k, m) at K = Kv, k = kv, m = mv, written in the
    column loss's symbols r_1..r_K, y_1..y_K (p the softmax of r)."""
    total = sp.Add(*[sp.exp(x) for x in ell.r])
    out = expr.subs({K: Kv}).doit()
    subs = {}
    for i in range(1, Kv + 1):
        subs[r[i]] = ell.r[i - 1]
        subs[y[i]] = ell.y[i - 1]
        subs[p[i]] = sp.exp(ell.r[i - 1]) / total
    return out.subs({k: kv, m: mv}).doit().subs(subs)


@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("Kv", [2, 3, 4])
def test_entries_match_the_column_loss(loss, Kv):
    F = loss_formulas(loss)
    ell = column_loss(loss, Kv)
    assert sp.simplify(_concrete(F.ell, Kv, 1, 1, ell) - ell.value) == 0
    for kv in range(1, Kv + 1):
        for expr in (F.gradient_entry, F.raw_gradient_entry):
            assert sp.simplify(_concrete(expr, Kv, kv, 1, ell) - ell.gradient[kv - 1]) == 0
        for mv in range(1, Kv + 1):
            assert sp.simplify(_concrete(F.hessian_entry, Kv, kv, mv, ell)
                               - ell.hessian[kv - 1, mv - 1]) == 0


@pytest.mark.parametrize("wrong", [
    lambda e: -e,                                   # a flipped sign
    lambda e: 2 * e,                                # a wrong constant
    lambda e: e.subs(sp.KroneckerDelta(k, m), 0),   # a dropped term
])
def test_a_wrong_hessian_entry_is_caught(wrong):
    F = loss_formulas("ce")
    ell = column_loss("ce", 3)
    bad = wrong(F.hessian_entry)
    diffs = [sp.simplify(_concrete(bad, 3, kv, mv, ell) - ell.hessian[kv - 1, mv - 1])
             for kv in (1, 2, 3) for mv in (1, 2, 3)]
    assert any(d != 0 for d in diffs)


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_the_derivation_prints_g_grad_g_and_hess_g(loss):
    from ufm_sym.appendix.views import statement_tex

    tex = "\n".join(statement_tex(obj) for _, obj in loss_derivation(loss))
    assert r"g\left(\mathbf{R}\right)" in tex and r"\nabla g(\mathbf{R})" in tex
    assert r"\nabla^2 g(\mathbf{R})[\mathbf{D}, \mathbf{D}]" in tex
    assert ("e^{{r}_{l}}" in tex) == (loss == "ce")   # the softmax only for CE
