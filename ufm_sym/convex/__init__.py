"""The convex relaxation of the UFM: the per-point global certificate (a duality gap)
and an independent global value from a conic solver.

- :mod:`ufm_sym.convex.relaxation`: ``F(Z, b) = g(Z + b 1^T) + sqrt(lW lH) ||Z||_* +
  lb/2 ||b||^2`` and the Fenchel conjugate ``g*`` (mpmath, at a stated ``dps``);
- :mod:`ufm_sym.convex.certificate`: dual feasibility, alignment and the duality gap
  ``f(x) - L`` at a point (``L`` a valid lower bound on ``min f``);
- :mod:`ufm_sym.convex.solver`: ``min F`` by cvxpy (Clarabel), bracketed in mpmath by
  ``[L(Lambda), F(Z, b)]`` at the solver's solution, cross-checked against the closed
  forms and against L-BFGS from random starts (needs the ``convex`` extra).

The mathematics: ``docs/global-certificate.md``.

>>> from ufm_sym import Problem
>>> from ufm_sym.convex import global_certificate
>>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
>>> global_certificate(p, ([[0, 0], [0, 0]], [[0, 0], [0, 0]], ["0.5", "0.5"]), dps=30).violated
('dual feasibility', 'duality gap')
"""

from .certificate import (
    DualPoint,
    GlobalCertificate,
    dual_lower_bound,
    feasible_dual,
    global_certificate,
)
from .relaxation import conjugate, data_term, nuclear_norm, relaxed_objective, threshold

__all__ = [
    "DualPoint",
    "GlobalCertificate",
    "conjugate",
    "data_term",
    "dual_lower_bound",
    "feasible_dual",
    "global_certificate",
    "nuclear_norm",
    "relaxed_objective",
    "threshold",
]
