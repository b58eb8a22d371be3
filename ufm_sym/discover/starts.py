"""Random starting points at several scales, and which method each start feeds.

Start ``i`` of a run with seed ``s`` draws from its own generator
(``numpy.random.SeedSequence([s, i])``), so a start does not depend on how many others
there are or on which process runs it.  Its entries are independent normals:

    W ~ N(0, (scale rho)^2),   H ~ N(0, (scale / rho)^2),   b ~ N(0, scale^2),
    rho = (n lambda_H / lambda_W)^(1/4)

(``rho`` makes ``lambda_W ||W||_F^2`` and ``lambda_H ||H||_F^2`` equal in expectation,
as they are at every critical point by (3.4)).  The method cycles through
:data:`METHODS` and, after each round of methods, ``scale`` moves to the next of
:data:`SCALES`.  The methods: ``"lbfgs"`` (local minima, :mod:`ufm_sym.discover.minima`),
``"newton"`` (Levenberg-Marquardt on ``grad f = 0`` with deflation) and
``"gradnorm"`` (minimising ``||grad f||^2 / 2`` with deflation; both in
:mod:`ufm_sym.discover.saddles`).

>>> from ufm_sym import Problem
>>> p = Problem(loss="ce", K=3, n=1, d=2, lambda_W="0.01", lambda_H="0.04")
>>> s = plan_starts(p, 4, seed=0)
>>> [(t.index, t.method, t.scale) for t in s]
[(0, 'lbfgs', 0.1), (1, 'newton', 0.1), (2, 'gradnorm', 0.1), (3, 'lbfgs', 1.0)]
>>> s[1].x.shape, bool((plan_starts(p, 2, seed=0)[1].x == s[1].x).all())
((15,), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ufm_sym.model import Problem

__all__ = ["METHODS", "SCALES", "Start", "plan_starts", "random_start"]

METHODS: tuple[str, ...] = ("lbfgs", "newton", "gradnorm")
"""The search methods, assigned to the starts in turn."""
SCALES: tuple[float, ...] = (0.1, 1.0, 3.0)
"""Standard deviations of the start's entries (before the balance factor ``rho``)."""


@dataclass(frozen=True)
class Start:
    """One start: its index, method, scale and flat point ``x``."""

    index: int
    method: str
    scale: float
    x: np.ndarray


def random_start(problem: Problem, scale: float, rng: np.random.Generator) -> np.ndarray:
    """A flat random point at ``scale`` (module docstring)."""
    lw, lh, _ = problem.float_lambdas()
    rho = (problem.n * lh / lw) ** 0.25
    K, d, N = problem.K, problem.d, problem.N
    W = rng.normal(scale=scale * rho, size=K * d)
    H = rng.normal(scale=scale / rho, size=d * N)
    b = rng.normal(scale=scale, size=K)
    return np.concatenate([W, H, b])


def plan_starts(problem: Problem, starts: int, seed: int, first: int = 0) -> list[Start]:
    """Starts ``first .. first + starts - 1`` of the run with ``seed``."""
    out = []
    for i in range(first, first + starts):
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), i]))
        scale = SCALES[(i // len(METHODS)) % len(SCALES)]
        out.append(Start(i, METHODS[i % len(METHODS)], scale,
                         random_start(problem, scale, rng)))
    return out
