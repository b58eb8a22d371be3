"""The truth of a statement at numbers (ufm_sym.symbolic.truth): relations decided with
the margin on the safe side, Boolean formulas, matrices, and wrong statements rejected."""

import mpmath
import numpy as np
import pytest
import sympy as sp

from ufm_sym.symbolic.functions import LambdaMin, SpectralNorm
from ufm_sym.symbolic.truth import relations, truth

x, y = sp.symbols("x y")
A = sp.MatrixSymbol("A", 2, 2)


@pytest.mark.parametrize("rel, holds", [
    (sp.Eq(x, y), False), (sp.Le(x, y), True), (sp.Lt(x, y), True), (sp.Ge(x, y), False),
    (sp.Gt(x, y), False), (sp.Ne(x, y), True)])
def test_each_relation_at_numbers(rel, holds):
    assert truth(rel, {"x": 1.0, "y": 2.0}, 1e-12).holds is holds


def test_margin_is_on_the_safe_side():
    env = {"x": 1.0, "y": 1.0 + 1e-14}
    assert truth(sp.Eq(x, y), env, 1e-12).holds          # equal within the margin
    assert truth(sp.Le(y, x), env, 1e-12).holds          # y <= x + margin
    assert not truth(sp.Lt(x, y), env, 1e-12).holds      # strict: never within the margin
    assert not truth(sp.Gt(y, x), env, 1e-12).holds
    assert truth(sp.Lt(x, y), {"x": 1.0, "y": 1.1}, 1e-12).holds


def test_margin_may_depend_on_the_relation():
    env = {"x": 1.0, "y": 1.0 + 1e-8}
    margin = lambda rel: 1e-6 if isinstance(rel, sp.Eq) else 1e-12  # noqa: E731
    t = truth([sp.Eq(x, y), sp.Le(y, x)], env, margin)
    assert not t.holds and t.worst == "y <= x"


def test_boolean_formulas():
    env = {"x": -1.0, "y": 3.0}
    assert truth(sp.Implies(sp.Gt(x, 0), sp.Eq(y, 1)), env, 1e-12).holds   # premise false
    t = truth(sp.Implies(sp.Lt(x, 0), sp.Eq(y, 1)), env, 1e-12)
    assert not t.holds and t.residual == pytest.approx(2.0)
    assert truth(sp.Or(sp.Eq(y, 1), sp.Lt(x, 0)), env, 1e-12).holds
    assert not truth(sp.And(sp.Eq(y, 3), sp.Gt(x, 0)), env, 1e-12).holds
    assert truth(sp.Not(sp.Eq(y, 1)), env, 1e-12).holds
    assert truth(sp.Equivalent(sp.Lt(x, 0), sp.Gt(y, 0)), env, 1e-12).holds
    assert not truth(sp.Equivalent(sp.Lt(x, 0), sp.Lt(y, 0)), env, 1e-12).holds


def test_matrices_and_functionals_in_mpmath():
    with mpmath.workdps(40):
        env = {"A": mpmath.matrix([[3, 0], [0, 4]])}
        assert truth(sp.Eq(SpectralNorm(A), 4), env, mpmath.mpf("1e-35"), "mpmath").holds
        assert not truth(sp.Eq(SpectralNorm(A), 3), env, mpmath.mpf("1e-35"), "mpmath").holds
        assert truth(sp.Ge(LambdaMin(A), 3), env, mpmath.mpf("1e-35"), "mpmath").holds
        # a value given for a functional is used as is (a certified lambda_min, say)
        env[sp.sstr(LambdaMin(A))] = mpmath.mpf(-1)
        assert not truth(sp.Ge(LambdaMin(A), 0), env, mpmath.mpf("1e-35"), "mpmath").holds
        t = truth(sp.Eq(A, 2 * A), env, mpmath.mpf("1e-35"), "mpmath")
        assert not t.holds and t.residual == pytest.approx(5.0)
    assert truth(sp.Eq(A * A, A.T * A), {"A": np.diag([1.0, 2.0])}, 1e-12).holds


def test_refuses_what_is_not_a_statement():
    with pytest.raises(TypeError, match="cannot decide"):
        truth(x + y, {"x": 1.0, "y": 1.0}, 1e-12)
    with pytest.raises(ValueError, match="empty statement"):
        truth([], {}, 1e-12)


def test_relations_lists_every_relation():
    stmt = [sp.Eq(x, 1), sp.Implies(sp.Lt(x, 2), sp.Or(sp.Ge(y, 0), sp.Eq(y, x)))]
    assert len(relations(stmt)) == 4
