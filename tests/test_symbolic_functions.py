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


@pytest.mark.parametrize("backend", ["numpy", "mpmath"])
def test_abs_min_max_sum_and_the_null_space_projector(backend):
    from ufm_sym.symbolic.functions import NullSpaceProjector

    m, p = sp.symbols("m p", integer=True, positive=True)
    i = sp.Symbol("i", integer=True, positive=True)
    B = sp.MatrixSymbol("B", m, p)
    with mpmath.workdps(40):
        mk = (lambda x: mpmath.matrix(x)) if backend == "mpmath" else np.array
        env = {"B": mk([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])}
        val = lambda e: evaluate_matrix_expr(e, env, backend)  # noqa: E731
        assert val(sp.Min(Rank(B), 2)) == 1 and val(sp.Max(Rank(B), 2)) == 2
        assert abs(val(sp.Abs(-NuclearNorm(B))) - 5) < 1e-12
        total = val(sp.Sum(SingularValue(B, i) ** 2, (i, 1, sp.Min(m, p))))
        assert abs(total - 25) < 1e-12                   # the squared Frobenius norm
        P = val(NullSpaceProjector(B))                   # onto span (2, -1) / sqrt(5)
        want = np.array([[0.8, -0.4], [-0.4, 0.2]])
        assert np.max(np.abs(np.array(P.tolist(), dtype=float) - want)) < 1e-12
        assert paper_latex(NullSpaceProjector(B)) == r"\mathbf{P}_{\ker \mathbf{B}}"
