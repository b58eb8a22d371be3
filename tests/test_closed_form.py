"""ufm_sym.closed_form: the closed-form global minimizers of [13] (CE) and [12] (MSE),
docs/math.md §3 and §4, in every regime: exactly critical (gradient < 1e-45 at 50 dps), the
value equals global_value, the spectral criterion ||grad g|| <= sqrt(lW lH) holds (with
equality at nonzero minimizers), and float64 L-BFGS finds the same value.  A wrong
closed form is caught by the gradient check."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from ufm_sym import Problem, UFMInputError
from ufm_sym.closed_form import (
    ce_point_from_norm,
    ce_row_norm_squared,
    centred_basis,
    global_minimizer,
    global_value,
    mse_gammas,
    mse_point_from_gammas,
    regime,
)
from ufm_sym.highprec.evaluate import (
    grad_g,
    gradient_norm,
    num_params,
    objective,
    residual_R,
)
from ufm_sym.highprec.float_start import minimize
from ufm_sym.highprec.linalg import numerical_rank, spectral_norm

DPS = 50
EXACT = mpmath.mpf(10) ** -45

CASES = [
    ("ce-nonzero", Problem(loss="ce", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3",
                           lambda_b="5e-3")),
    ("ce-nonzero", Problem(loss="ce", K=3, n=2, lambda_W="1e-2", lambda_H="1e-3", lambda_b=0)),
    ("ce-zero", Problem(loss="ce", K=3, n=2, lambda_W="0.3", lambda_H="0.3", lambda_b="0.1")),
    ("A", Problem(loss="mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3")),
    ("zero", Problem(loss="mse", K=4, n=3, lambda_W="0.2", lambda_H="0.2")),
    ("zero", Problem(loss="mse", K=3, n=1, lambda_W="0.6", lambda_H="0.6", lambda_b="0.2")),
    ("B", Problem(loss="mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-2")),
    ("B", Problem(loss="mse", K=3, n=2, lambda_W="0.05", lambda_H="0.06", lambda_b="5e-3")),
    ("C", Problem(loss="mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.1")),
    ("C", Problem(loss="mse", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5")),
]


def _ids(case):
    return f"{case[0]}:{case[1].describe()}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_closed_form_is_exactly_critical_and_global(case):
    name, p = case
    assert regime(p) == name
    x = global_minimizer(p, dps=DPS)
    with mpmath.workdps(DPS):
        assert gradient_norm(p, x) < EXACT
        assert abs(objective(p, x) - global_value(p, dps=DPS)) < EXACT
        G = grad_g(p, residual_R(p, x))
        gnorm = spectral_norm(G)
        lw, lh, _ = p.mp_lambdas()
        thr = mpmath.sqrt(lw * lh)
        if name in ("ce-zero", "zero"):
            assert gnorm < thr  # strictly inside: the zero regime
            assert numerical_rank(x[0], rtol=1e-30) == 0
        else:
            assert abs(gnorm - thr) < EXACT  # Lemma C.4 with equality
            rank = numerical_rank(x[0], rtol=mpmath.mpf(10) ** -30)
            assert rank == (p.K if name == "C" else p.K - 1)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_neural_collapse_structure(case):
    name, p = case
    W, H, b = global_minimizer(p, dps=DPS)
    with mpmath.workdps(DPS):
        lw, lh, lb = p.mp_lambdas()
        c = mpmath.sqrt(lw / (lh * p.n))
        for k in range(p.K):  # (1.6): h_{k,i} = sqrt(lW/(n lH)) w^k
            for i in range(p.n):
                for r in range(p.d):
                    assert abs(H[r, k * p.n + i] - c * W[k, r]) < EXACT
        norms = [mpmath.fsum(W[k, r] ** 2 for r in range(p.d)) for k in range(p.K)]
        assert max(norms) - min(norms) < EXACT  # (1.5): equal row norms
        assert max(abs(b[k] - b[0]) for k in range(p.K)) < EXACT  # b = b* 1
        if name in ("ce-nonzero", "A", "B"):
            WWt = W * W.T  # (1.7): simplex ETF, W^T 1 = 0
            a = norms[0]
            for i in range(p.K):
                for j in range(p.K):
                    target = a * p.K / (p.K - 1) * ((1 if i == j else 0) - mpmath.mpf(1) / p.K)
                    assert abs(WWt[i, j] - target) < EXACT
        if p.loss == "ce":
            assert max(abs(t) for t in b) == 0
        elif name == "C":
            q = mpmath.sqrt(p.n * lw * lh)
            assert abs(b[0] - q / lb) < EXACT
        else:
            assert abs(b[0] - 1 / (p.K * (1 + lb))) < EXACT


def test_ce_norm_and_value_formulas_match_references():
    """Values of the closed form of docs/math.md §3 at K = 4, n = 3 (each also reached by
    L-BFGS from random starts when the table was made)."""
    p = CASES[0][1]
    assert mpmath.nstr(ce_row_norm_squared(p, dps=30), 11) == "6.1349503717"
    assert mpmath.nstr(global_value(p, dps=30), 12) == "0.149023231546"
    q = Problem(loss="mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e3")
    assert mpmath.nstr(global_value(q, dps=30), 11) == "0.034040866151"


def test_regime_thresholds_are_exact():
    # K sqrt(n lW lH) = 1 exactly: the zero side (>= 1)
    assert regime(Problem(loss="ce", K=2, n=1, lambda_W="0.5", lambda_H="0.5")) == "ce-zero"
    assert regime(Problem(loss="mse", K=2, n=1, lambda_W="0.5", lambda_H="0.5")) == "zero"
    assert regime(Problem(loss="ce", K=2, n=1, lambda_W="0.5", lambda_H="0.4999")) == \
        "ce-nonzero"
    # lb/(1+lb) = K q exactly: regime B (<=); K = 2, n = 1, lW lH = 1/36: K q = 1/3 = mu
    p = Problem(loss="mse", K=2, n=1, lambda_W="1/6", lambda_H="1/6", lambda_b="1/2")
    assert regime(p) == "B"
    assert regime(Problem(loss="mse", K=2, n=1, lambda_W="1/6", lambda_H="1/6",
                          lambda_b="0.5001")) == "C"
    # at the threshold both closed forms coincide and are critical
    with mpmath.workdps(DPS):
        assert gradient_norm(p, global_minimizer(p, dps=DPS)) < EXACT
        assert mse_gammas(p)[1] == 0


def test_values_are_continuous_across_thresholds():
    # across mu = K q (B | C) and K q = 1 (nonzero | zero)
    v = [global_value(Problem(loss="mse", K=2, n=1, lambda_W="1/6", lambda_H="1/6",
                              lambda_b=lb), dps=30) for lb in ("0.4999999", "0.5000001")]
    assert regime(Problem(loss="mse", K=2, n=1, lambda_W="1/6", lambda_H="1/6",
                          lambda_b="0.5000001")) == "C"
    assert abs(v[0] - v[1]) < 1e-6 and abs(v[0] - mpmath.mpf(2) / 9) < 1e-6
    v = [global_value(Problem(loss="mse", K=2, n=1, lambda_W=t, lambda_H=t), dps=30)
         for t in ("0.49999", "0.50001")]
    assert abs(v[0] - v[1]) < 1e-6 and v[1] == mpmath.mpf(1) / 4
    v = [global_value(Problem(loss="ce", K=3, n=1, lambda_W=t, lambda_H=t), dps=30)
         for t in ("0.33333", "0.33334")]
    assert abs(v[0] - v[1]) < 1e-6 and abs(v[1] - mpmath.log(3)) < 1e-12


def test_other_feature_dimensions():
    # d = K - 1 (CE and MSE regimes A/B need only d >= K - 1)
    for p in (Problem(loss="ce", K=4, n=2, lambda_W="0.01", lambda_H="0.01", d=3),
              Problem(loss="mse", K=4, n=2, lambda_W="0.01", lambda_H="0.01", d=3),
              Problem(loss="mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.5",
                      d=5)):
        x = global_minimizer(p, dps=DPS)
        with mpmath.workdps(DPS):
            assert gradient_norm(p, x) < EXACT
            assert abs(objective(p, x) - global_value(p, dps=DPS)) < EXACT
    # regime C needs d >= K
    with pytest.raises(UFMInputError, match="d >= 3"):
        global_minimizer(Problem(loss="mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01",
                                 lambda_b="0.5", d=2), dps=DPS)


def test_centred_basis_is_orthogonal_with_mean_column():
    with mpmath.workdps(40):
        Q = centred_basis(5)
        assert mpmath.mnorm(Q.T * Q - mpmath.eye(5), 1) < mpmath.mpf(10) ** -38
        assert all(abs(Q[i, 4] - 1 / mpmath.sqrt(5)) < mpmath.mpf(10) ** -38 for i in range(5))


# ------------------------------------------------------------ wrong closed forms
def test_wrong_mse_threshold_is_detected():
    """gamma_c written with lW lH instead of sqrt(lW lH): not critical."""
    p = CASES[3][1]
    with mpmath.workdps(DPS):
        lw, lh, _ = p.mp_lambdas()
        wrong_gc = 1 - p.K * mpmath.sqrt(p.n) * lw * lh
        x = mse_point_from_gammas(p, wrong_gc, 0, mpmath.mpf(1) / p.K, dps=DPS)
        assert gradient_norm(p, x) > 1e-3
        right = mse_point_from_gammas(p, *mse_gammas(p, dps=DPS), dps=DPS)
        assert gradient_norm(p, right) < EXACT


def test_wrong_ce_norm_is_detected():
    """a* with q = sqrt(n) lW lH (the square root dropped), or without the (K-1)/K factor."""
    p = CASES[0][1]
    with mpmath.workdps(DPS):
        lw, lh, _ = p.mp_lambdas()
        K = p.K
        q_wrong = mpmath.sqrt(p.n) * lw * lh
        a_wrong = (mpmath.mpf(K - 1) / K * mpmath.sqrt(p.n * lh / lw)
                   * mpmath.log((1 - (K - 1) * q_wrong) / q_wrong))
        assert gradient_norm(p, ce_point_from_norm(p, a_wrong, dps=DPS)) > 1e-3
        a_nofactor = ce_row_norm_squared(p, dps=DPS) * K / (K - 1)
        assert gradient_norm(p, ce_point_from_norm(p, a_nofactor, dps=DPS)) > 1e-4


def test_regime_b_formula_in_regime_c_is_a_saddle_not_the_minimizer():
    """Regime C with the regime-B bias 1/(K(1+lb)): with the regime-C W it is not even
    critical; with the regime-B W (the 'centred NC for every lb' misreading) it IS exactly
    critical (the rank K-1 critical point) but it is a saddle: the spectral criterion
    fails by mu/(K sqrt n) - sqrt(lW lH) and its value is above f*."""
    p = CASES[8][1]
    with mpmath.workdps(DPS):
        lw, lh, lb = p.mp_lambdas()
        gc, gm, _ = mse_gammas(p)
        x = mse_point_from_gammas(p, gc, gm, 1 / (p.K * (1 + lb)), dps=DPS)
        assert gradient_norm(p, x) > 1e-3
        x = mse_point_from_gammas(p, gc, 0, 1 / (p.K * (1 + lb)), dps=DPS)
        assert gradient_norm(p, x) < EXACT
        gnorm = spectral_norm(grad_g(p, residual_R(p, x)))
        mu = lb / (1 + lb)
        assert abs(gnorm - mu / (p.K * mpmath.sqrt(p.n))) < EXACT
        assert gnorm > mpmath.sqrt(lw * lh) * mpmath.mpf("1.5")
        assert objective(p, x) > global_value(p, dps=DPS) + mpmath.mpf("1e-3")


# ------------------------------------------------------- float64 cross-check
LBFGS_CASES = [
    Problem(loss="ce", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-2"),
    Problem(loss="ce", K=3, n=2, lambda_W="0.3", lambda_H="0.3", lambda_b="0.1"),
    Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2"),
    Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-2"),
    Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="0.5"),
    Problem(loss="mse", K=3, n=2, lambda_W="0.3", lambda_H="0.3", lambda_b="0.1"),
]


@pytest.mark.parametrize("p", LBFGS_CASES, ids=lambda p: f"{regime(p)}:{p.describe()}")
def test_lbfgs_reaches_the_closed_form_value(p):
    """Float64 L-BFGS (analytic gradient) from 4 random starts: best value = f* to 1e-9
    (and no start ends below f*)."""
    rng = np.random.default_rng(0)
    fstar = float(global_value(p, dps=30))
    vals = [minimize(p, rng.normal(size=num_params(p)), gtol=1e-10).value for _ in range(4)]
    assert abs(min(vals) - fstar) < 1e-9
    assert min(vals) > fstar - 1e-12
