"""The Problem object and its refusal of bad input (issue: foundation, item 2)."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from ufm_sym import Problem, UFMInputError


def make(**kw):
    base = dict(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.02", lambda_b="0.001")
    base.update(kw)
    return Problem(**base)


def test_defaults_and_exact_lambdas():
    p = make()
    assert p.d == 3 and p.N == 6
    assert p.lambda_W == sp.Rational(1, 100)
    assert p.lambda_H == sp.Rational(1, 50)
    assert p.lambda_b == sp.Rational(1, 1000)
    assert p.theorem_applies
    assert p.sqrt_lwlh == sp.sqrt(sp.Rational(1, 5000))


@pytest.mark.parametrize("value,expected", [
    ("0.01", sp.Rational(1, 100)), (0.01, sp.Rational(1, 100)), ("1e-3", sp.Rational(1, 1000)),
    ("1/3", sp.Rational(1, 3)), (Fraction(2, 7), sp.Rational(2, 7)), (2, sp.Integer(2)),
    (sp.Rational(3, 5), sp.Rational(3, 5)), (np.float64(0.25), sp.Rational(1, 4)),
])
def test_lambda_inputs_are_exact(value, expected):
    assert make(lambda_W=value).lambda_W == expected


def test_labels_are_class_major():
    p = make(K=3, n=2)
    Y = p.labels()
    assert Y.shape == (3, 6)
    assert Y == sp.Matrix([[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1]])


def test_precisions_agree():
    import mpmath

    p = make(lambda_W="1/3")
    with mpmath.workdps(50):
        lw, lh, lb = p.mp_lambdas()
        assert abs(lw - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -49
    assert p.float_lambdas()[0] == pytest.approx(1 / 3, rel=1e-15)


def test_d_not_K_is_allowed_but_says_theorem_does_not_apply():
    p = make(d=5)
    assert not p.theorem_applies
    assert "does not apply" in p.theorem_note() and "d = 5" in p.theorem_note()
    assert "applies" in make().theorem_note()


@pytest.mark.parametrize("kw,fragment", [
    ({"loss": "hinge"}, "loss: unknown loss 'hinge'"),
    ({"K": 1}, "K: 1 is too small"),
    ({"K": "three"}, "K: 'three' is not an integer"),
    ({"K": 2.5}, "K: 2.5 is not an integer"),
    ({"K": True}, "K: True is not an integer"),
    ({"n": 0}, "n: 0 is too small"),
    ({"d": 0}, "d: 0 is too small"),
    ({"lambda_W": 0}, "lambda_W: 0 must be > 0"),
    ({"lambda_W": "-0.1"}, "lambda_W: -1/10 must be > 0"),
    ({"lambda_H": 0}, "lambda_H: 0 must be > 0"),
    ({"lambda_b": "-1e-3"}, "lambda_b: -1/1000 must be >= 0"),
    ({"lambda_W": float("nan")}, "lambda_W: nan is not a finite number"),
    ({"lambda_H": "inf"}, "lambda_H: 'inf' is not a finite number"),
    ({"lambda_b": "abc"}, "lambda_b: 'abc' is not a number"),
    ({"lambda_b": None}, "lambda_b: None is not a number"),
])
def test_bad_problem_input_is_refused_with_a_message_naming_it(kw, fragment):
    with pytest.raises(UFMInputError) as info:
        make(**kw)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_point_shapes_are_checked():
    p = make(K=3, n=2, d=3)
    W, H, b = np.zeros((3, 3)), np.zeros((3, 6)), np.zeros(3)
    p.check_point(W, H, b)
    p.check_point(W.tolist(), H.tolist(), [[0], [0], [0]])
    with pytest.raises(UFMInputError, match=r"W: shape 3 x 2 does not match .* 3 x 3"):
        p.check_point(np.zeros((3, 2)), H, b)
    with pytest.raises(UFMInputError, match=r"H: shape 3 x 5 does not match .*d x N"):
        p.check_point(W, np.zeros((3, 5)), b)
    with pytest.raises(UFMInputError, match=r"b: shape 4 does not match .*K entries"):
        p.check_point(W, H, np.zeros(4))
    with pytest.raises(UFMInputError, match="ragged"):
        p.check_point([[0, 0, 0], [0, 0], [0, 0, 0]], H, b)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "nan", "x", True])
def test_point_entries_must_be_finite_numbers(bad):
    p = make()
    W = np.zeros((3, 3)).tolist()
    W[1][2] = bad
    with pytest.raises(UFMInputError, match=r"W\[1, 2\]"):
        p.check_point(W, np.zeros((3, 6)), np.zeros(3))


def test_mpmath_point_is_accepted():
    import mpmath

    p = make()
    p.check_point(mpmath.zeros(3, 3), mpmath.zeros(3, 6), mpmath.zeros(3, 1))


def test_to_dict_round_trips():
    p = make(d=4)
    assert Problem(**p.to_dict()) == p
