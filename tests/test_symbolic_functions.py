"""Matrix functionals of statements (rank, spectral and nuclear norms, singular values,
lambda_min): printed in the paper's notation and evaluated in float64 and mpmath."""

import mpmath
import numpy as np
import pytest
import sympy as sp

from ufm_sym.symbolic.evaluate import UnsupportedExpressionError, evaluate_matrix_expr
from ufm_sym.symbolic.functions import LambdaMin, NuclearNorm, Rank, SingularValue, SpectralNorm
from ufm_sym.symbolic.latex import paper_latex

A = sp.MatrixSymbol("A", 3, 2)
M = [[3.0, 0.0], [0.0, 4.0], [0.0, 0.0]]


@pytest.mark.parametrize("backend", ["numpy", "mpmath"])
def test_values(backend):
    with mpmath.workdps(40):
        env = {"A": mpmath.matrix(M) if backend == "mpmath" else np.array(M)}
        val = lambda e: evaluate_matrix_expr(e, env, backend)  # noqa: E731
        assert val(Rank(A)) == 2
        assert abs(val(SpectralNorm(A)) - 4) < 1e-12
        assert abs(val(NuclearNorm(A)) - 7) < 1e-12
        assert abs(val(SingularValue(A, 2)) - 3) < 1e-12
        assert abs(val(LambdaMin(A.T * A)) - 9) < 1e-12
        assert abs(val(SpectralNorm(A) ** 2 - NuclearNorm(A))) - 9 < 1e-12


def test_rank_counts_only_singular_values_above_the_threshold():
    with mpmath.workdps(50):
        tiny = mpmath.matrix([[1, 0], [0, mpmath.mpf("1e-40")], [0, 0]])
        assert evaluate_matrix_expr(Rank(A), {"A": tiny}, "mpmath") == 1
        small = mpmath.matrix([[1, 0], [0, mpmath.mpf("1e-20")], [0, 0]])
        assert evaluate_matrix_expr(Rank(A), {"A": small}, "mpmath") == 2


def test_latex_and_refusal():
    assert paper_latex(LambdaMin(A.T * A)) == (
        r"\lambda_{\min}\left(\mathbf{A}^\top \mathbf{A}\right)")
    assert paper_latex(SingularValue(A, 1)) == r"\sigma_{1}\left(\mathbf{A}\right)"
    with pytest.raises(UnsupportedExpressionError):
        evaluate_matrix_expr(Rank(A), {"A": sp.ImmutableMatrix(M)}, "sympy")
    with pytest.raises(TypeError, match="expected a matrix"):
        Rank(sp.Symbol("x"))
