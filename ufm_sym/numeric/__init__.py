"""The float64 path of ufm-sym: one implementation on the Python array API.

NumPy is the default; PyTorch (CPU or CUDA) and CuPy are used when installed and asked
for (:func:`get_backend`).  The public names (``DESIGN.md``):

>>> import numpy as np
>>> from ufm_sym import Problem
>>> from ufm_sym.numeric import hessian_vector_product, smallest_hessian_eigenvalue
>>> p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> x = closed_form_global_minimizer(p)
>>> lam = smallest_hessian_eigenvalue(p, x)
>>> lam.is_negative, lam.n_negative, lam.margin
(False, 0, 1e-10)
>>> hv = hessian_vector_product(p, x, x)      # arrays of the point's backend
>>> [a.shape for a in hv]
[(3, 3), (3, 6), (3,)]
"""

from ufm_sym.numeric.backend import Backend, available_backends, backend_of, get_backend
from ufm_sym.numeric.closed_forms import (
    closed_form_global_minimizer,
    closed_form_global_value,
    mse_critical_point,
    origin_point,
)
from ufm_sym.numeric.eigen import (
    EigenResult,
    hessian_spectrum,
    smallest_eigenvalues_batched,
    smallest_hessian_eigenvalue,
)
from ufm_sym.numeric.escape import EscapeDirection, escape_direction
from ufm_sym.numeric.kernels import (
    HessianOperator,
    Spec,
    dense_hessians,
    full_gradient,
    hessian_bilinear,
    hessian_vector_product,
    objective_value,
)
from ufm_sym.numeric.metrics import nc_metrics, nc_metrics_both
from ufm_sym.numeric.sampling import SampleRecord, Tolerances, sample, validate

__all__ = [
    "Backend", "EigenResult", "EscapeDirection", "HessianOperator", "SampleRecord", "Spec",
    "Tolerances", "available_backends", "backend_of", "closed_form_global_minimizer",
    "closed_form_global_value", "dense_hessians", "escape_direction", "full_gradient",
    "get_backend", "hessian_bilinear", "hessian_spectrum", "hessian_vector_product",
    "mse_critical_point", "nc_metrics", "nc_metrics_both", "objective_value", "origin_point",
    "sample", "smallest_eigenvalues_batched", "smallest_hessian_eigenvalue", "validate",
]
