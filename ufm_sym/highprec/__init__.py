"""High-precision (mpmath) evaluation, refinement and generation of critical points.

Modules, one job each:

- :mod:`ufm_sym.highprec.evaluate`: objective, gradient, Hessian form, Hessian-vector
  product and the full Hessian matrix of (1.3) / (1.4) at any ``mpmath`` precision;
- :mod:`ufm_sym.highprec.finite_diff`: central finite differences (with Richardson
  extrapolation) that check the derived gradient and Hessian;
- :mod:`ufm_sym.highprec.linalg`: SVD, spectral norm, symmetric eigenvalues, null
  vectors and numerical rank at high precision;
- :mod:`ufm_sym.highprec.refine`: damped Newton (Levenberg-Marquardt) refinement of a
  float64-accurate critical point to the full working precision;
- :mod:`ufm_sym.highprec.float_start`: float64 objective/gradient and L-BFGS, to produce
  the float64-accurate starting points;
- :mod:`ufm_sym.highprec.families`: families of critical points (global minimizers,
  origin, strict saddles) refined to high precision.

Points are tuples ``(W, H, b)`` of ``mpmath.matrix`` (``b`` is ``K x 1``).

>>> from ufm_sym import Problem
>>> from ufm_sym.highprec import gradient_norm, to_mp_point
>>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
>>> x = to_mp_point(p, [[0, 0], [0, 0]], [[0, 0], [0, 0]], ["0.5", "0.5"])
>>> gradient_norm(p, x, dps=30)
mpf('0.0')
"""

from ufm_sym.highprec.evaluate import (
    flatten,
    grad_g,
    gradient,
    gradient_norm,
    hess_g_form,
    hessian_form,
    hessian_matrix,
    hessian_vector_product,
    objective,
    residual_R,
    to_mp_point,
    unflatten,
)
from ufm_sym.highprec.refine import RefineResult, refine_critical_point

__all__ = [
    "RefineResult",
    "flatten",
    "grad_g",
    "gradient",
    "gradient_norm",
    "hess_g_form",
    "hessian_form",
    "hessian_matrix",
    "hessian_vector_product",
    "objective",
    "refine_critical_point",
    "residual_R",
    "to_mp_point",
    "unflatten",
]
