"""Neural-collapse metrics NC1-NC3 and the bias residual (docs/math.md §6), float64.

With class means ``hbar_k``, global mean ``h_G`` and ``Hbar = [hbar_k - h_G]_k`` (d x K):

* ``NC1 = tr(Sigma_W Sigma_B^+)/K``, ``Sigma_W = (1/N) sum (h - hbar_k)(h - hbar_k)^T``,
  ``Sigma_B = (1/K) sum_k (hbar_k - h_G)(hbar_k - h_G)^T`` (``+``: pseudo-inverse);
* ``NC2 = || W W^T/||W W^T||_F - P_K/sqrt(K-1) ||_F`` (``P_K = I - 1 1^T/K``);
* ``NC3 = || W Hbar/||W Hbar||_F - P_K/sqrt(K-1) ||_F``;
* ``bias_residual = || W h_G + b ||_2``: the fourth metric of both repositories (plotted
  there as "NC4"), which is **not** NC4 of Papyan, Han and Donoho (agreement with the
  nearest class centre); see docs/math.md §6.

Two code variants, as in the authors' repositories:

* ``"ce-code"`` (``tding1/Neural-Collapse/validate_NC.py``, the formulas of Section 5.1):
  ``W`` used as is;
* ``"mse-code"`` (``jinxinzhou/neural-collapse-MSE/validate_NC.py``): NC2 and NC3 first
  centre ``W`` over classes, ``W <- W - 1 1^T W / K``; NC1 and the bias residual are
  unchanged.

A metric whose normaliser vanishes (``W = 0``) is ``nan``.  At the closed-form global
minimizers NC1 = NC2 = NC3 = 0 for CE and for MSE regimes A/B; in MSE regime C only the
``mse-code`` NC2 is 0.

>>> from ufm_sym import Problem
>>> from ufm_sym.numeric.closed_forms import closed_form_global_minimizer
>>> p = Problem("ce", K=4, n=3, lambda_W="5e-3", lambda_H="5e-3", lambda_b="5e-3")
>>> m = nc_metrics(p, closed_form_global_minimizer(p))
>>> all(m[k] < 1e-12 for k in ("NC1", "NC2", "NC3", "bias_residual"))
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.linalg

from ufm_sym.model import Problem, UFMInputError

VARIANTS: tuple[str, ...] = ("ce-code", "mse-code")


def default_variant(problem: Problem) -> str:
    """The variant of the repository that matches the loss."""
    return "ce-code" if problem.loss == "ce" else "mse-code"


def _normalized_distance(X: np.ndarray, target: np.ndarray) -> float:
    nrm = float(np.linalg.norm(X))
    if nrm <= 1e-300:
        return math.nan
    return float(np.linalg.norm(X / nrm - target))


def nc_metrics(problem: Problem, point: Sequence[np.ndarray], variant: str | None = None
               ) -> dict[str, float]:
    """``{"NC1", "NC2", "NC3", "bias_residual"}`` at ``point`` for ``variant`` (default:
    the loss's)."""
    variant = default_variant(problem) if variant is None else variant
    if variant not in VARIANTS:
        raise UFMInputError(f"variant: unknown NC variant {variant!r} (expected one of: "
                            f"{', '.join(VARIANTS)})")
    W, H, b = (np.asarray(x, dtype=np.float64) for x in point)
    K, n, d = problem.K, problem.n, problem.d
    H3 = H.reshape(d, K, n)
    means = H3.mean(axis=2)                      # d x K
    hG = H.mean(axis=1)                          # d
    Hbar = means - hG[:, None]
    dev = H3 - means[:, :, None]
    sigma_w = np.einsum("dki,eki->de", dev, dev) / (K * n)
    sigma_b = Hbar @ Hbar.T / K
    nc1 = float(np.trace(sigma_w @ scipy.linalg.pinv(sigma_b))) / K
    target = (np.eye(K) - np.ones((K, K)) / K) / math.sqrt(K - 1)
    Wc = W - W.mean(axis=0, keepdims=True) if variant == "mse-code" else W
    nc2 = _normalized_distance(Wc @ Wc.T, target)
    nc3 = _normalized_distance(Wc @ Hbar, target)
    bias_residual = float(np.linalg.norm(W @ hG + b))
    return {"NC1": nc1, "NC2": nc2, "NC3": nc3, "bias_residual": bias_residual}


def nc_metrics_both(problem: Problem, point: Sequence[np.ndarray]) -> dict[str, float]:
    """Both variants: the keys of :func:`nc_metrics` (the loss's variant) plus ``NC2_alt``,
    ``NC3_alt``."""
    own = nc_metrics(problem, point)
    other = "mse-code" if default_variant(problem) == "ce-code" else "ce-code"
    alt = nc_metrics(problem, point, other)
    return {**own, "NC2_alt": alt["NC2"], "NC3_alt": alt["NC3"]}
