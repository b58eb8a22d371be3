"""Local minima from random starts: L-BFGS (SciPy's L-BFGS-B without bounds) in float64.

From a random start, a descent method converges to a local minimum for almost every
start (a strict saddle attracts only a set of measure zero); so this finds the minima,
global or spurious, and the other methods of :mod:`ufm_sym.discover.saddles` find the
saddles.  Every result is polished afterwards (:func:`~ufm_sym.discover.saddles.polish`)
and must pass the float64 gradient test of :mod:`ufm_sym.discover.search`.

>>> from ufm_sym import Problem
>>> from ufm_sym.discover.objective import SearchObjective
>>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.1")
>>> obj = SearchObjective(p)
>>> x, its = lbfgs_minimum(obj, np.full(10, 0.3))
>>> bool(np.linalg.norm(obj.grad(x)) < 1e-8), its > 0
(True, True)
"""

from __future__ import annotations

import numpy as np
import scipy.optimize

from ufm_sym.discover.objective import SearchObjective

__all__ = ["LBFGS_GTOL", "LBFGS_MAXITER", "lbfgs_minimum"]

LBFGS_GTOL = 1e-11
"""L-BFGS-B stops when the largest gradient entry is below this."""
LBFGS_MAXITER = 5000


def lbfgs_minimum(obj: SearchObjective, x0: np.ndarray, *, gtol: float = LBFGS_GTOL,
                  maxiter: int = LBFGS_MAXITER) -> tuple[np.ndarray, int]:
    """``(x, iterations)``: L-BFGS from ``x0`` on ``obj``."""
    res = scipy.optimize.minimize(obj.value_grad, np.asarray(x0, dtype=np.float64), jac=True,
                                  method="L-BFGS-B",
                                  options={"maxiter": maxiter, "maxfun": 2 * maxiter,
                                           "gtol": gtol, "ftol": 1e-16, "maxcor": 20})
    return np.asarray(res.x), int(res.nit)
