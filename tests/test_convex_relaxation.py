"""The convex relaxation F and the Fenchel conjugate g* (ufm_sym.convex.relaxation):
the conjugates are checked against their definition (Fenchel-Young, with equality at
Lambda = grad g(R)), and f >= F(W H, b) with equality at balanced minimizers."""

import mpmath
import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.closed_form import global_minimizer
from ufm_sym.convex.relaxation import (
    conjugate,
    conjugate_domain_violation,
    data_term,
    labels_matrix,
    relaxed_objective,
)
from ufm_sym.highprec.evaluate import grad_g, objective, residual_R, to_mp_point
from ufm_sym.model import UFMInputError

DPS = 40
PROBLEMS = [Problem(loss=lo, K=K, n=n, lambda_W="0.02", lambda_H="0.03", lambda_b=lb)
            for lo in ("ce", "mse") for K, n, lb in ((2, 2, "0"), (3, 1, "0.1"), (4, 2, "0.01"))]


def _inner(A, B):
    return mpmath.fsum(A[i, j] * B[i, j] for i in range(A.rows) for j in range(A.cols))


def _random_dual(p, rng):
    """A random Lambda in the domain of g*: for CE, columns (q_j - e_{y_j})/N with q_j a
    random point of the simplex."""
    if p.loss == "mse":
        return mpmath.matrix(rng.standard_normal((p.K, p.N)).tolist())
    Q = mpmath.matrix(rng.exponential(size=(p.K, p.N)).tolist())
    for j in range(p.N):  # normalised in mpmath: each column sums to 1 at the working dps
        s = mpmath.fsum(Q[i, j] for i in range(p.K))
        for i in range(p.K):
            Q[i, j] /= s
    return (Q - labels_matrix(p)) / p.N


def fenchel_young_residuals(p, conj, rng, count=6):
    """(min of g(R) + g*(L) - <L, R> over random R, L; max of its |value| at L = grad g(R))."""
    worst_ineq, worst_eq = mpmath.inf, mpmath.mpf(0)
    for _ in range(count):
        R = mpmath.matrix((2 * rng.standard_normal((p.K, p.N))).tolist())
        L = _random_dual(p, rng)
        assert mpmath.isfinite(conjugate(p, L))   # inside the domain: not a vacuous check
        worst_ineq = min(worst_ineq, data_term(p, R) + conj(p, L) - _inner(L, R))
        G = grad_g(p, R)
        worst_eq = max(worst_eq, abs(data_term(p, R) + conj(p, G) - _inner(G, R)))
    return worst_ineq, worst_eq


@pytest.mark.parametrize("p", PROBLEMS, ids=lambda p: f"{p.loss}-K{p.K}-n{p.n}")
def test_fenchel_young_with_equality_at_the_gradient(p):
    with mpmath.workdps(DPS):
        ineq, eq = fenchel_young_residuals(p, conjugate, np.random.default_rng(1))
        assert ineq >= -mpmath.mpf(10) ** -(DPS - 5)
        assert eq <= mpmath.mpf(10) ** -(DPS - 5)


def test_a_wrong_conjugate_breaks_fenchel_young():
    """The check above can fail: MSE with N/4 for N/2, CE without the 1/N, and CE with
    p_j = N Lambda_j - e_{y_j}."""
    rng = np.random.default_rng(2)
    mse, ce = PROBLEMS[3], PROBLEMS[0]
    with mpmath.workdps(DPS):
        def mse_wrong(p, L):
            return conjugate(p, L) - p.N / mpmath.mpf(4) * mpmath.fsum(x ** 2 for x in L)

        def ce_no_1_over_N(p, L):
            return conjugate(p, L) * p.N

        def ce_wrong_sign(p, L):
            return conjugate(p, L - 2 * labels_matrix(p) / p.N)
        for p, wrong in ((mse, mse_wrong), (ce, ce_no_1_over_N), (ce, ce_wrong_sign)):
            ineq, eq = fenchel_young_residuals(p, wrong, rng)
            assert ineq < -mpmath.mpf(10) ** -(DPS - 5) or eq > mpmath.mpf(10) ** -(DPS - 5)


def test_the_ce_conjugate_is_the_supremum_and_infinite_off_the_simplex():
    """g* is a supremum: <L, R> - g(R) <= g*(L) at every R, attained at logits with
    softmax(r_j) = p_j; off the simplex the supremum is +inf (it grows without bound)."""
    p = PROBLEMS[1]
    rng = np.random.default_rng(3)
    with mpmath.workdps(DPS):
        L = _random_dual(p, rng)
        P = L * p.N + labels_matrix(p)
        R_star = P.apply(mpmath.log)
        assert abs(_inner(L, R_star) - data_term(p, R_star) - conjugate(p, L)) < 1e-30
        for _ in range(5):
            R = mpmath.matrix(rng.standard_normal((p.K, p.N)).tolist())
            assert _inner(L, R) - data_term(p, R) <= conjugate(p, L) + 1e-30
        bad = L.copy()
        bad[0, 0] += 2 / mpmath.mpf(p.N)      # p_00 > 1 (and the column sums to 2)
        assert conjugate_domain_violation(p, bad) > 0.5 and conjugate(p, bad) == mpmath.inf
        E = mpmath.zeros(p.K, p.N)
        E[0, 0] = 1
        vals = [_inner(bad, E * t) - data_term(p, E * t) for t in (10, 100, 1000)]
        assert vals[0] < vals[1] < vals[2] and vals[2] > 100


@pytest.mark.parametrize("p", PROBLEMS, ids=lambda p: f"{p.loss}-K{p.K}-n{p.n}")
def test_f_is_at_least_the_relaxation_with_equality_at_balanced_minimizers(p):
    rng = np.random.default_rng(4)
    with mpmath.workdps(DPS):
        for _ in range(3):
            W, H, b = (rng.standard_normal(s) for s in ((p.K, p.d), (p.d, p.N), (p.K,)))
            x = to_mp_point(p, W, H, b)
            assert objective(p, x) >= relaxed_objective(p, x[0] * x[1], x[2])
        x = global_minimizer(p, dps=DPS)
        gap = objective(p, x) - relaxed_objective(p, x[0] * x[1], x[2])
        assert abs(gap) < mpmath.mpf(10) ** -(DPS - 5)
        R = residual_R(p, x)
        assert data_term(p, R) <= objective(p, x)


def test_shapes_are_validated():
    p = PROBLEMS[0]
    with pytest.raises(UFMInputError, match="Z: shape 1 x 1"):
        relaxed_objective(p, [[0]], [0, 0])
    with pytest.raises(UFMInputError, match="Lambda: shape"):
        conjugate(p, mpmath.zeros(3, 3))
