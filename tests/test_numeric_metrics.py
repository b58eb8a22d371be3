"""Neural-collapse metrics NC1-NC3 and the bias residual (docs/math.md §6), both code
variants."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ufm_sym import Problem
from ufm_sym.model import UFMInputError
from ufm_sym.numeric import closed_form_global_minimizer, nc_metrics, nc_metrics_both, origin_point
from ufm_sym.numeric.closed_forms import random_rotation

NC_TOL = 1e-12  # at exact closed-form minimizers (float64 rounding only)


@pytest.mark.parametrize("loss,lb", [("ce", "5e-3"), ("ce", "0"), ("mse", "0"), ("mse", "1e-2")])
@pytest.mark.parametrize("variant", ["ce-code", "mse-code"])
def test_nc1_nc2_nc3_vanish_at_closed_form_minimizers(loss, lb, variant):
    p = Problem(loss, K=4, n=3, d=6, lambda_W="5e-3", lambda_H="5e-3", lambda_b=lb)
    x = closed_form_global_minimizer(p, rotation=random_rotation(6, np.random.default_rng(0)))
    m = nc_metrics(p, x, variant)
    assert m["NC1"] <= NC_TOL and m["NC2"] <= NC_TOL and m["NC3"] <= NC_TOL


def test_bias_residual_values():
    """bias_residual = ||W h_G + b||: 0 for CE with lambda_b > 0, sqrt(K)|b*| for CE with
    lambda_b = 0 (a constant bias shift decides as b does: not NC4 of Papyan et al.),
    sqrt(K)/(K (1 + lambda_b)) for MSE (docs/math.md §6)."""
    p = Problem("ce", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b="5e-3")
    assert nc_metrics(p, closed_form_global_minimizer(p))["bias_residual"] <= NC_TOL
    p0 = Problem("ce", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b=0)
    m = nc_metrics(p0, closed_form_global_minimizer(p0, bias_shift=0.3))
    assert m["bias_residual"] == pytest.approx(2 * 0.3, abs=1e-12)
    for lb in (0.0, 0.01):
        pm = Problem("mse", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b=lb)
        m = nc_metrics(pm, closed_form_global_minimizer(pm))
        assert m["bias_residual"] == pytest.approx(math.sqrt(4) / (4 * (1 + lb)), abs=1e-12)


def test_regime_c_separates_the_two_variants():
    """MSE regime C: the uncentred NC2 (CE code) is 0.353, the centred one (MSE code) 0;
    NC3 is 0 in both (docs/math.md §6)."""
    p = Problem("mse", K=4, n=3, d=6, lambda_W="5e-3", lambda_H="5e-3", lambda_b="0.1")
    m = nc_metrics_both(p, closed_form_global_minimizer(p))
    assert m["NC2"] <= NC_TOL and m["NC3"] <= NC_TOL
    assert m["NC2_alt"] == pytest.approx(0.353, abs=1e-3)
    assert m["NC3_alt"] <= NC_TOL


def test_nc1_detects_within_class_spread_and_zero_w_gives_nan():
    p = Problem("ce", K=3, n=4, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    W, H, b = closed_form_global_minimizer(p)
    H2 = H + 0.1 * np.random.default_rng(1).standard_normal(H.shape)
    assert nc_metrics(p, (W, H2, b))["NC1"] > 1e-3
    m = nc_metrics(p, origin_point(p))
    assert math.isnan(m["NC2"]) and math.isnan(m["NC3"]) and m["NC1"] == 0.0


def test_unknown_variant():
    p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01")
    with pytest.raises(UFMInputError, match="unknown NC variant"):
        nc_metrics(p, origin_point(p), "papyan")
