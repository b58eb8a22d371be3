"""Refine a float64-accurate critical point to the full working precision.

The Hessian of ``f`` is singular at every critical point with ``W != 0``: ``f`` is
invariant under ``(W, H) -> (W Q, Q^T H)`` for orthogonal ``Q`` (and, for CE with
``lambda_b = 0``, under ``b -> b + c 1_K``), and MSE saddles come in continua.  Plain
Newton is therefore ill-posed; this module uses Levenberg-Marquardt steps on
``grad f = 0`` (``A`` the Hessian, ``g`` the gradient)::

    (A^2 + mu I) s = -A g,        mu = ||g||          (Fan-Yuan, delta = 1)

which converge quadratically to a non-isolated zero under the local error bound,
and which leave the null directions (the orbit) alone.  The linear system is solved at
twice the working precision (python-flint when installed, otherwise mpmath LU), so the
growing condition number ``~ ||A||^2 / mu`` costs nothing.  A step that does not
reduce ``||g||`` is retried with ``mu`` multiplied by 100.

A *restricted* refinement works in an invariant subspace: ``mask`` (which coordinates
are free) or ``basis`` (the point moves in ``start + span(basis)``).  The gradient is
projected on the subspace; the result is checked against the **full** gradient, which
is what :attr:`RefineResult.gradient_norm` reports.

>>> from ufm_sym import Problem
>>> from ufm_sym.closed_form import global_minimizer
>>> p = Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.02", lambda_b="0.01")
>>> W, H, b = global_minimizer(p, dps=60)
>>> rough = tuple(M.apply(lambda t: mpmath.mpf(float(t))) for M in (W, H, b))
>>> res = refine_critical_point(p, rough, dps=60)
>>> res.converged, res.gradient_norm < mpmath.mpf(10) ** -45, res.iterations <= 6
(True, True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath

from ufm_sym.highprec.evaluate import (
    Point,
    _flatten_rows,
    _gradient_rows,
    _hessian_rows,
    _hvp_rows,
    _norm_flat,
    _point_to_rows,
    _rows_to_point,
    _unflatten_rows,
    num_params,
    working_precision,
)
from ufm_sym.model import Problem, UFMInputError

__all__ = ["RefineResult", "rank_mask", "refine_critical_point"]


@dataclass(frozen=True)
class RefineResult:
    """The outcome of :func:`refine_critical_point`.

    - ``point``: the refined ``(W, H, b)`` (``mpmath`` matrices at ``dps``);
    - ``gradient_norm``: the norm of the **full** gradient at ``point``;
    - ``iterations``: LM steps taken;
    - ``moved``: Euclidean distance from the start (all ``P`` coordinates);
    - ``digits``: ``-log10(gradient_norm)`` (``dps`` when it is exactly zero);
    - ``converged``: ``gradient_norm < tol``;
    - ``history``: the (restricted, when restricted) gradient norm before each step and
      at the end; ``restricted_gradient_norm``: the last entry when restricted;
    - ``dps``, ``tol``: the precision and the target.
    """

    point: Point
    gradient_norm: Any
    iterations: int
    moved: Any
    digits: float
    converged: bool = True
    history: tuple[Any, ...] = field(default=(), repr=False)
    dps: int = 60
    tol: Any = None
    restricted_gradient_norm: Any = None


def rank_mask(problem: Problem, r: int, free_b: bool = True) -> list[bool]:
    """Flat mask (``True`` = free) of the invariant subspace "only the first ``r``
    columns of ``W`` and rows of ``H`` nonzero" (Assumption 4.4 form), ``b`` free.

    >>> from ufm_sym import Problem
    >>> m = rank_mask(Problem(loss="ce", K=2, n=1, lambda_W=1, lambda_H=1), 1)
    >>> m
    [True, False, True, False, True, True, False, False, True, True]
    """
    K, d, N = problem.K, problem.d, problem.N
    if not 0 <= r <= d:
        raise UFMInputError(f"r: {r} must be between 0 and d = {d}")
    mW = [c < r for _ in range(K) for c in range(d)]
    mH = [c < r for c in range(d) for _ in range(N)]
    return mW + mH + [free_b] * K


def _flat_mask(problem: Problem, mask: Any) -> list[bool]:
    P = num_params(problem)
    if isinstance(mask, tuple) and len(mask) == 3:
        parts = []
        for m in mask:
            rows = m.tolist() if hasattr(m, "tolist") else m
            for row in rows:
                if isinstance(row, (list, tuple)):
                    parts.extend(bool(x) for x in row)
                else:
                    parts.append(bool(row))
        flat = parts
    else:
        flat = [bool(x) for x in (mask.tolist() if hasattr(mask, "tolist") else mask)]
    if len(flat) != P:
        raise UFMInputError(f"mask: {len(flat)} entries, expected P = {P}")
    return flat


def _flat_dir(problem: Problem, v: Any) -> list[Any]:
    if isinstance(v, tuple) and len(v) == 3:
        return _flatten_rows(_point_to_rows(v))
    out = [mpmath.mpf(x) for x in v]
    if len(out) != num_params(problem):
        raise UFMInputError(f"basis: a vector has {len(out)} entries, expected "
                            f"P = {num_params(problem)}")
    return out


def _lm_solve(A: list[list[Any]], g: list[Any], mu: Any, dps: int) -> list[Any]:
    """Solve ``(A^2 + mu I) s = -A g`` at about ``2 dps + 20`` digits."""
    n = len(g)
    try:
        import flint
    except ImportError:  # pragma: no cover - exercised only without python-flint
        flint = None
    if flint is not None:
        bits = int((2 * dps + 20) * 3.33) + 16
        with flint.ctx.workprec(bits):
            Am = flint.arb_mat([[flint.arb(x) for x in row] for row in A])
            gm = flint.arb_mat([[flint.arb(x)] for x in g])
            M = Am * Am
            mua = flint.arb(mu)
            for i in range(n):
                M[i, i] += mua
            s = M.solve(-(Am * gm), algorithm="approx")
            return [mpmath.mpf(tuple(int(t) for t in s[i, 0].mid().man_exp()))
                    for i in range(n)]
    with mpmath.workdps(2 * dps + 20):
        Am = mpmath.matrix(A)
        M = Am * Am
        for i in range(n):
            M[i, i] += mu
        s = mpmath.lu_solve(M, -(Am * mpmath.matrix(g)))
        return [s[i] for i in range(n)]


def refine_critical_point(
    problem: Problem,
    point: Point,
    dps: int = 60,
    tol: Any = None,
    max_iter: int = 25,
    mask: Any = None,
    basis: Sequence[Any] | None = None,
    perturbation: Any = None,
) -> RefineResult:
    """Levenberg-Marquardt refinement of a critical point (module docstring).

    ``tol`` defaults to ``10^-(dps - 10)``.  ``mask`` (flat list of ``P`` booleans, or a
    ``(mask_W, mask_H, mask_b)`` tuple, ``True`` = free) or ``basis`` (directions,
    as points or flat vectors) restrict the steps to an invariant subspace; the
    start must lie in it (e.g. exact zeros outside the mask).  ``perturbation`` (a test
    hook, e.g. :class:`ufm_sym.discover.perturbation.OrbitBump`) adds its
    ``gradient(x)`` and ``hessian(x)`` (flat lists of ``mpf``) to those of ``f``.

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5")
    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> x0 = to_mp_point(p, [[0, 0], [0, 0]], [[0, 0], [0, 0]], ["0.33", "0.34"])
    >>> res = refine_critical_point(p, x0, dps=40)
    >>> mpmath.nstr(res.point[2][0], 12), res.converged, res.digits >= 30
    ('0.333333333333', True, True)
    """
    if mask is not None and basis is not None:
        raise UFMInputError("refine_critical_point: give mask or basis, not both")
    if perturbation is not None and (mask is not None or basis is not None):
        raise UFMInputError("refine_critical_point: a perturbation needs the full space")
    with working_precision(dps):
        tol_ = mpmath.mpf(10) ** (-(dps - 10)) if tol is None else mpmath.mpf(tol)
        x0 = _flatten_rows(_point_to_rows(point))
        P = len(x0)
        if P != num_params(problem):
            raise UFMInputError(f"point: {P} coordinates, expected P = {num_params(problem)}")
        free: list[int] | None = None
        B: list[list[Any]] | None = None
        if mask is not None:
            fm = _flat_mask(problem, mask)
            free = [i for i in range(P) if fm[i]]
        elif basis is not None:
            B = [_flat_dir(problem, v) for v in basis]
            if not B:
                raise UFMInputError("basis: empty")

        def full_grad(x: list[Any]) -> list[Any]:
            g = _flatten_rows(_gradient_rows(problem, _unflatten_rows(problem, x)))
            if perturbation is not None:
                g = [a + b for a, b in zip(g, perturbation.gradient(x), strict=True)]
            return g

        def reduce(g: list[Any]) -> list[Any]:
            if free is not None:
                return [g[i] for i in free]
            if B is not None:
                return [mpmath.fdot(v, g) for v in B]
            return g

        def expand(s: list[Any]) -> list[Any]:
            if free is not None:
                out = [mpmath.mpf(0)] * P
                for k, i in enumerate(free):
                    out[i] = s[k]
                return out
            if B is not None:
                return [mpmath.fdot(s, col) for col in zip(*B, strict=True)]
            return s

        def reduced_hessian(x: list[Any]) -> list[list[Any]]:
            rp = _unflatten_rows(problem, x)
            if B is not None:
                cols = [_flatten_rows(_hvp_rows(problem, rp, _unflatten_rows(problem, v)))
                        for v in B]
                m = len(B)
                Ar = [[mpmath.fdot(B[i], cols[k]) for k in range(m)] for i in range(m)]
                return [[(Ar[i][k] + Ar[k][i]) / 2 for k in range(m)] for i in range(m)]
            A = _hessian_rows(problem, rp)
            if perturbation is not None:
                A = [[a + b for a, b in zip(ra, rb, strict=True)]
                     for ra, rb in zip(A, perturbation.hessian(x), strict=True)]
            if free is not None:
                return [[A[i][k] for k in free] for i in free]
            return A

        x = list(x0)
        g = full_grad(x)
        gr = reduce(g)
        gn = _norm_flat(gr)
        history = [gn]
        it = 0
        while gn >= tol_ and it < max_iter:
            A = reduced_hessian(x)
            mu = gn
            accepted = False
            for _ in range(8):
                s = expand(_lm_solve(A, gr, mu, dps))
                x_new = [xi + si for xi, si in zip(x, s, strict=True)]
                g_new = full_grad(x_new)
                gr_new = reduce(g_new)
                gn_new = _norm_flat(gr_new)
                if gn_new < gn:
                    accepted = True
                    break
                mu *= 100
            it += 1
            if not accepted:
                break
            x, g, gr, gn = x_new, g_new, gr_new, gn_new
            history.append(gn)
        full = _norm_flat(g)
        moved = _norm_flat([a - b for a, b in zip(x, x0, strict=True)])
        digits = float(dps) if full == 0 else float(min(dps, -mpmath.log10(full)))
        return RefineResult(
            point=_rows_to_point(_unflatten_rows(problem, x)),
            gradient_norm=full,
            iterations=it,
            moved=moved,
            digits=digits,
            converged=bool(full < tol_),
            history=tuple(history),
            dps=dps,
            tol=tol_,
            restricted_gradient_norm=gn if (free is not None or B is not None) else None,
        )
