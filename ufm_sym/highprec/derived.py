"""The *derived* gradient, Hessian form, Hessian-vector product and Hessian of f in
mpmath: the evidence that the typed fast paths of :mod:`.evaluate` are checked against.

Nothing here is a hand-written derivative:

- the gradient is ``derive_index_free().gradients`` and the quadratic form (3.9)/(4.18)
  is ``derive_index_free().hessian_form``, evaluated by
  :func:`~ufm_sym.symbolic.evaluate.evaluate_matrix_expr`;
- the bilinear form ``hess f[D, E]`` and the Hessian-vector product come from
  :func:`~ufm_sym.symbolic.second_variation.derive_second_variation` (polarisation of
  the derived form, then the gradient in ``E`` read off as for the first variation);
- the data term's ``G = grad g(R)`` and ``hess g(R)`` come from ``sympy.diff`` of the
  column loss (:mod:`ufm_sym.symbolic.column_loss`: ``log-sum-exp - y^T r`` for CE,
  ``||r - y||^2/2`` for MSE), lambdified for mpmath, not from the typed
  ``grad_g`` / ``hess_g_form`` of :mod:`.evaluate` (those are fast paths, cross-checked
  against these in ``tests/test_highprec_derived.py``);
- the Hessian matrix is the derived Hessian-vector product applied to the ``P`` unit
  vectors (layout of :func:`~.evaluate.flatten`).

Everything runs under ``mpmath.workdps(dps)`` (``dps=None``: the current precision).
Cost per call at dps 50 (``benchmarks/bench_derived.py``, 2 shared cores): the point
setup (``G`` and the column Hessians) 1-3 ms; the gradient, the quadratic or bilinear
form and the HVP 1-8 ms each (1-5x the typed fast path); the Hessian matrix ``P`` HVPs,
0.04-0.07 s at ``K = d = 3, n = 2`` (``P = 30``) and 0.3-0.4 s at ``K = d = 5, n = 2``
(``P = 80``), 20-40x the typed assembly.  The first call per loss and ``K`` also pays
the one-off SymPy derivation and lambdify (0.02-0.3 s).

A deliberately wrong ``derivation=`` (e.g. from ``dataclasses.replace``) gives the
matching wrong values: the mutation tests rely on that.

>>> from ufm_sym import Problem
>>> from ufm_sym.highprec.evaluate import to_mp_point, hessian_form
>>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
>>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [1, -1])
>>> D = to_mp_point(p, [[1, 0], [0, 1]], [[0, 1], [1, 0]], [1, 1])
>>> q = derived_hessian_form(p, x, D, dps=50)
>>> abs(q - hessian_form(p, x, D, dps=50)) < mpmath.mpf(10) ** -45
True
"""

from __future__ import annotations

from typing import Any

import mpmath

from ufm_sym.highprec.evaluate import (
    Point,
    _point_to_rows,
    _rows_to_point,
    _unflatten_rows,
    flatten,
    num_params,
    working_precision,
)
from ufm_sym.model import Problem
from ufm_sym.symbolic.column_loss import column_loss
from ufm_sym.symbolic.evaluate import evaluate_matrix_expr
from ufm_sym.symbolic.index_free import IndexFreeDerivation, derive_index_free
from ufm_sym.symbolic.second_variation import derive_second_variation

__all__ = [
    "FAST_PATHS",
    "DerivedAt",
    "fast_path_disagreements",
    "derived_gradient",
    "derived_hessian_form",
    "derived_hessian_matrix",
    "derived_hessian_vector_product",
]


def _as_point(point: Any) -> Point:
    """``(W, H, b)`` as mpmath matrices, ``b`` a ``K x 1`` column."""
    return _rows_to_point(_point_to_rows(point))


class DerivedAt:
    """The derived derivatives of ``f`` at one point, at ``dps`` digits.

    ``G = grad g(R)`` and the column Hessians ``hess ell(r_j)`` are evaluated once (from
    the sympy-derived column loss); every form and product at the point reuses them.

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> p = Problem(loss="mse", K=2, n=1, lambda_W="0.25", lambda_H=1)
    >>> at = DerivedAt(p, to_mp_point(p, [[0, 0], [0, 0]], [[0, 0], [0, 0]], [0, 0]), dps=30)
    >>> vw, vh, vb = at.hessian_vector_product(to_mp_point(p, [[0] * 2] * 2, [[0] * 2] * 2,
    ...                                                    [1, 0]))
    >>> vb.T.tolist()
    [[mpf('1.0'), mpf('0.0')]]
    >>> at.hessian_matrix().rows
    10
    """

    def __init__(self, problem: Problem, point: Any, dps: int | None = None,
                 derivation: IndexFreeDerivation | None = None) -> None:
        self.problem = problem
        self.dps = dps
        self.derivation = derivation if derivation is not None else derive_index_free()
        self.variation = derive_second_variation(self.derivation)
        with working_precision(dps):
            self.point = _as_point(point)
            W, H, b = self.point
            K, N = problem.K, problem.N
            R = W * H + b * mpmath.ones(1, N)
            ell = column_loss(problem.loss, K)
            grad_fn, hess_fn = ell.mpmath_functions()
            invN = mpmath.mpf(1) / N
            self.G = mpmath.matrix(K, N)
            self.column_hessians: list[list[Any]] = []
            for j in range(N):
                r = [R[i, j] for i in range(K)]
                y = [1 if problem.label_of_column(j) == i else 0 for i in range(K)]
                g = grad_fn(*r, *y)
                for i in range(K):
                    self.G[i, j] = g[i] * invN
                self.column_hessians.append([mpmath.mpf(v) * invN for v in hess_fn(*r, *y)])
            lw, lh, lb = problem.mp_lambdas()
            self.env: dict[str, Any] = {"W": W, "H": H, "b": b, "G": self.G, "lambda_W": lw,
                                        "lambda_H": lh, "lambda_b": lb}

    # ---------------------------------------------------------------- data term
    def hess_g_apply(self, A: mpmath.matrix) -> mpmath.matrix:
        """``S = hess g(R)[A]``, so that ``hess g[A, B] = <S, B>``:
        ``S[:, j] = (1/N) hess ell(r_j) a_j``."""
        K, N = self.problem.K, self.problem.N
        with working_precision(self.dps):
            S = mpmath.matrix(K, N)
            for j, Hc in enumerate(self.column_hessians):
                col = [A[k, j] for k in range(K)]
                for i in range(K):
                    S[i, j] = mpmath.fdot(Hc[i * K:(i + 1) * K], col)
            return S

    def hess_g_form(self, A: mpmath.matrix, B: mpmath.matrix) -> Any:
        """``hess g(R)[A, B]`` from the derived column Hessians."""
        with working_precision(self.dps):
            S = self.hess_g_apply(A)
            return mpmath.fsum(S[i, j] * B[i, j] for i in range(S.rows) for j in range(S.cols))

    # ---------------------------------------------------------------- f
    def _env(self, direction: Any, direction2: Any = None) -> dict[str, Any]:
        DW, DH, Db = _as_point(direction)
        env = dict(self.env, D_W=DW, D_H=DH, D_b=Db)
        if direction2 is not None:
            EW, EH, Eb = _as_point(direction2)
            env.update(E_W=EW, E_H=EH, E_b=Eb)
        return env

    def gradient(self) -> Point:
        """The derived ``(df/dW, df/dH, df/db)`` (``b`` part a ``K x 1`` column)."""
        with working_precision(self.dps):
            return tuple(evaluate_matrix_expr(e, self.env, "mpmath")  # type: ignore[return-value]
                         for e in self.derivation.gradients.values())

    def hessian_form(self, direction: Any, direction2: Any = None) -> Any:
        """``hess f[D, D]``: the derived quadratic form (3.9)/(4.18) itself; with
        ``direction2`` the derived bilinear form ``hess f[D, E]``."""
        with working_precision(self.dps):
            if direction2 is None:
                return evaluate_matrix_expr(self.derivation.hessian_form, self._env(direction),
                                            "mpmath", hess_g=self.hess_g_form)
            return evaluate_matrix_expr(self.variation.bilinear_form,
                                        self._env(direction, direction2), "mpmath",
                                        hess_g=self.hess_g_form)

    def hessian_vector_product(self, direction: Any) -> Point:
        """The derived ``hess f[D]`` as ``(V_W, V_H, V_b)``, ``<hess f[D], E> = hess f[D, E]``."""
        with working_precision(self.dps):
            env = self._env(direction)
            for S, A in self.variation.hess_g_arguments:
                env[S.name] = self.hess_g_apply(evaluate_matrix_expr(A, env, "mpmath"))
            return tuple(evaluate_matrix_expr(e, env, "mpmath")  # type: ignore[return-value]
                         for e in self.variation.hvp.values())

    def hessian_matrix(self, symmetrize: bool = True) -> mpmath.matrix:
        """The ``P x P`` Hessian: column ``i`` is the derived HVP of the ``i``-th unit
        vector (layout of :func:`~.evaluate.flatten`); ``symmetrize`` averages it with
        its transpose (the unsymmetrized matrix is symmetric to rounding: a test checks)."""
        P = num_params(self.problem)
        with working_precision(self.dps):
            A = mpmath.matrix(P, P)
            zero, one = mpmath.mpf(0), mpmath.mpf(1)
            for i in range(P):
                e = [zero] * P
                e[i] = one
                col = flatten(self.hessian_vector_product(_unflatten_rows(self.problem, e)))
                for k, v in enumerate(col):
                    A[k, i] = v
            if symmetrize:
                A = (A + A.T) / 2
            return A


def derived_gradient(problem: Problem, point: Any, dps: int | None = None,
                     derivation: IndexFreeDerivation | None = None) -> Point:
    """The derived gradient at ``point`` (see :class:`DerivedAt`)."""
    return DerivedAt(problem, point, dps, derivation).gradient()


def derived_hessian_form(problem: Problem, point: Any, direction: Any, direction2: Any = None,
                         dps: int | None = None,
                         derivation: IndexFreeDerivation | None = None) -> Any:
    """The derived Hessian form ``hess f[D, D]`` (or ``hess f[D, E]``) at ``point``."""
    return DerivedAt(problem, point, dps, derivation).hessian_form(direction, direction2)


def derived_hessian_vector_product(problem: Problem, point: Any, direction: Any,
                                   dps: int | None = None,
                                   derivation: IndexFreeDerivation | None = None) -> Point:
    """The derived Hessian-vector product at ``point``."""
    return DerivedAt(problem, point, dps, derivation).hessian_vector_product(direction)


def derived_hessian_matrix(problem: Problem, point: Any, dps: int | None = None,
                           derivation: IndexFreeDerivation | None = None,
                           symmetrize: bool = True) -> mpmath.matrix:
    """The derived ``P x P`` Hessian at ``point`` (``P`` derived HVPs)."""
    return DerivedAt(problem, point, dps, derivation).hessian_matrix(symmetrize)


def _relative(a: Any, b: Any) -> Any:
    """``max |a - b| / max(1, max |b|)`` over flat lists (or two numbers) of ``mpf``."""
    fa = a if isinstance(a, list) else [a]
    fb = b if isinstance(b, list) else [b]
    scale = max([mpmath.mpf(1)] + [abs(v) for v in fb])
    return max(abs(u - v) for u, v in zip(fa, fb, strict=True)) / scale


def _matrix_list(M: mpmath.matrix) -> list[Any]:
    return [M[i, j] for i in range(M.rows) for j in range(M.cols)]


FAST_PATHS: tuple[str, ...] = ("grad_g", "hess_g_form", "gradient", "hessian_form",
                               "hessian_bilinear", "hessian_vector_product", "hessian_matrix")
"""The typed fast paths of :mod:`.evaluate` that :func:`fast_path_disagreements` checks."""


def fast_path_disagreements(problem: Problem, point: Any, direction: Any, direction2: Any,
                            dps: int = 50, derivation: IndexFreeDerivation | None = None,
                            with_matrix: bool = True) -> dict[str, Any]:
    """How far each typed fast path of :mod:`.evaluate` is from the derived value at
    ``point`` along ``direction`` (and ``direction2`` for the bilinear form), as
    ``max |typed - derived| / max(1, max |derived|)`` per fast path (:data:`FAST_PATHS`;
    ``hessian_matrix`` only with ``with_matrix``).  Both sides run at ``dps``; a sound
    fast path stays below ``10^-(dps - 5)``.

    >>> from ufm_sym import Problem
    >>> from ufm_sym.highprec.evaluate import to_mp_point
    >>> p = Problem(loss="ce", K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    >>> x = to_mp_point(p, [[1, 2], [3, 4]], [[1, 0], [0, 1]], [1, -1])
    >>> D = to_mp_point(p, [[1, 0], [0, 1]], [[0, 1], [1, 0]], [1, 1])
    >>> E = to_mp_point(p, [[0, 1], [1, 0]], [[1, 1], [0, 1]], [1, 0])
    >>> errs = fast_path_disagreements(p, x, D, E, dps=50)
    >>> sorted(errs) == sorted(FAST_PATHS), max(errs.values()) < mpmath.mpf(10) ** -45
    (True, True)
    """
    from ufm_sym.highprec import evaluate as typed

    at = DerivedAt(problem, point, dps, derivation)
    with working_precision(dps):
        x = at.point
        R = x[0] * x[1] + x[2] * mpmath.ones(1, problem.N)
        D1 = evaluate_matrix_expr(at.derivation.first_order_change, at._env(direction),
                                  "mpmath")
        out = {
            "grad_g": _relative(_matrix_list(typed.grad_g(problem, R)), _matrix_list(at.G)),
            "hess_g_form": _relative(typed.hess_g_form(problem, R, D1), at.hess_g_form(D1, D1)),
            "gradient": _relative(flatten(typed.gradient(problem, x)), flatten(at.gradient())),
            "hessian_form": _relative(typed.hessian_form(problem, x, direction),
                                      at.hessian_form(direction)),
            "hessian_bilinear": _relative(typed.hessian_form(problem, x, direction, direction2),
                                          at.hessian_form(direction, direction2)),
            "hessian_vector_product": _relative(
                flatten(typed.hessian_vector_product(problem, x, direction)),
                flatten(at.hessian_vector_product(direction))),
        }
        if with_matrix:
            out["hessian_matrix"] = _relative(_matrix_list(typed.hessian_matrix(problem, x)),
                                              _matrix_list(at.hessian_matrix(symmetrize=False)))
        return out
