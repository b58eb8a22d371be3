"""The function the search explores, in float64: ``f`` of the problem, plus an optional
perturbation (the test hook of :mod:`ufm_sym.discover.perturbation`).

Points are flat float64 vectors (``W``, ``H`` row-major, then ``b``, as in
:func:`ufm_sym.numeric.optimize.flatten`).  Value and gradient come from the closed-form
kernels of :mod:`ufm_sym.numeric.kernels`, Hessian-vector products from the same
kernels, and the dense Hessian from :class:`~ufm_sym.numeric.kernels.HessianOperator`.

>>> from ufm_sym import Problem
>>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1")
>>> obj = SearchObjective(p)
>>> x = np.concatenate([np.eye(2).ravel(), np.eye(2).ravel(), np.zeros(2)])
>>> f, g = obj.value_grad(x)
>>> round(f, 12), obj.hessian(x).shape
(0.2, (10, 10))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ufm_sym.model import Problem
from ufm_sym.numeric.kernels import (
    HessianOperator,
    Spec,
    gradient,
    hvp_state,
    objective,
    point_state,
)
from ufm_sym.numeric.optimize import flatten, unflatten

__all__ = ["SearchObjective"]


class SearchObjective:
    """``f`` (+ ``perturbation``) on flat float64 vectors."""

    def __init__(self, problem: Problem, perturbation: Any = None) -> None:
        self.problem = problem
        self.perturbation = perturbation
        self.spec = Spec.from_problem(problem)
        self.size = self.spec.size

    def value_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        W, H, b = unflatten(self.problem, x)
        f = float(objective(self.spec, W, H, b))
        g = flatten(gradient(self.spec, W, H, b))
        if self.perturbation is not None:
            f += float(self.perturbation.value(x))
            g = g + self.perturbation.gradient(x)
        return f, g

    def grad(self, x: np.ndarray) -> np.ndarray:
        return self.value_grad(x)[1]

    def hvp(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Hessian-vector product."""
        st = point_state(self.spec, *unflatten(self.problem, x))
        out = flatten(hvp_state(st, *unflatten(self.problem, v)))
        if self.perturbation is not None:
            out = out + self.perturbation.hvp(x, v)
        return out

    def grad_and_hvp(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(g, A g)``: the gradient and the Hessian applied to it (one state)."""
        W, H, b = unflatten(self.problem, x)
        st = point_state(self.spec, W, H, b)
        g = flatten(gradient(self.spec, W, H, b))
        if self.perturbation is None:
            return g, flatten(hvp_state(st, *unflatten(self.problem, g)))
        g = g + self.perturbation.gradient(x)
        Ag = flatten(hvp_state(st, *unflatten(self.problem, g)))
        return g, Ag + self.perturbation.hvp(x, g)

    def hessian(self, x: np.ndarray) -> np.ndarray:
        A = np.asarray(HessianOperator(self.problem, unflatten(self.problem, x)).dense())
        if self.perturbation is not None:
            A = A + self.perturbation.hessian(x)
        return A
