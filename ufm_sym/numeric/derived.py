"""The *derived* gradient, Hessian form and Hessian-vector product of f in float64,
on any array-API backend (NumPy; PyTorch or CuPy when installed, on their device).

The float64 twin of :mod:`ufm_sym.highprec.derived`: the gradient and the quadratic
form (3.9)/(4.18) are ``derive_index_free()``'s own expressions, the bilinear form and
the Hessian-vector product those of
:func:`~ufm_sym.symbolic.second_variation.derive_second_variation`, evaluated by
:func:`~ufm_sym.symbolic.evaluate.evaluate_matrix_expr` with its ``"array"`` backend;
``grad g`` and ``hess g`` come from ``sympy.diff`` of the column loss
(:mod:`ufm_sym.symbolic.column_loss`), lambdified with the backend's ``exp``/``log`` and
applied to all columns at once.  The typed kernels of :mod:`.kernels` and the curvature
of :mod:`.escape` are fast paths checked against these (``tests/test_numeric_derived.py``).

One point at a time (no batch axis): this is evidence, not the fast path.  It is
about 10x slower than the kernels' closed forms.  Logits ``R`` above about 700 overflow
``exp`` in float64 (the derived CE expressions are not shifted); that is reported
as bad input, never returned as ``nan``.

>>> import numpy as np
>>> from ufm_sym import Problem
>>> from ufm_sym.numeric.kernels import hessian_bilinear
>>> p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.02", lambda_b="0.03")
>>> rng = np.random.default_rng(0)
>>> x = (rng.normal(size=(3, 3)), rng.normal(size=(3, 6)), rng.normal(size=3))
>>> D = (rng.normal(size=(3, 3)), rng.normal(size=(3, 6)), rng.normal(size=3))
>>> q = derived_hessian_form(p, x, D)
>>> abs(q - float(hessian_bilinear(p, x, D))) < 1e-13 * max(1.0, abs(q))
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ufm_sym.model import Problem, UFMInputError
from ufm_sym.numeric.backend import Backend, backend_of, get_backend
from ufm_sym.numeric.kernels import as_point, as_spec
from ufm_sym.symbolic.column_loss import column_loss
from ufm_sym.symbolic.evaluate import evaluate_matrix_expr
from ufm_sym.symbolic.index_free import IndexFreeDerivation, derive_index_free
from ufm_sym.symbolic.second_variation import derive_second_variation

__all__ = [
    "FAST_PATHS",
    "DerivedAt",
    "escape_disagreement",
    "fast_path_disagreements",
    "derived_gradient",
    "derived_hessian_form",
    "derived_hessian_vector_product",
    "relative_difference",
]

Array = Any
Point = tuple[Array, Array, Array]


class DerivedAt:
    """The derived derivatives of ``f`` at one float64 point of one backend.

    >>> import numpy as np
    >>> from ufm_sym import Problem
    >>> p = Problem("mse", K=2, n=1, lambda_W="0.25", lambda_H=1, lambda_b=0)
    >>> at = DerivedAt(p, (np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(2)))
    >>> [a.tolist() for a in at.gradient()]
    [[[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]], [-0.5, -0.5]]
    >>> at.hessian_form((np.eye(2), np.zeros((2, 2)), np.zeros(2)))   # lW ||D_W||^2
    0.5
    """

    def __init__(self, problem: Problem, point: Sequence[Any], *,
                 backend: Backend | str | None = None,
                 derivation: IndexFreeDerivation | None = None) -> None:
        be = get_backend(backend) if backend is not None else backend_of(*point)
        spec = as_spec(problem)
        if spec.batch is not None:
            raise UFMInputError("problem: the derived forms take one problem (no batch)")
        self.problem, self.spec, self.backend, self.xp = problem, spec, be, be.xp
        W, H, b = as_point(spec, point, be)
        if W.ndim != 2:
            raise UFMInputError("point: the derived forms take one point (no batch axis)")
        self.derivation = derivation if derivation is not None else derive_index_free()
        self.variation = derive_second_variation(self.derivation)
        xp, K, N = be.xp, problem.K, problem.N
        R = xp.matmul(W, H) + b[:, None]
        Y = _labels(problem, be)
        grad_fn, hess_fn = column_loss(problem.loss, K).array_functions(xp)
        rows = [R[i, :] for i in range(K)] + [Y[i, :] for i in range(K)]
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            self.G = xp.stack([_full(v, R[0, :], xp) for v in grad_fn(*rows)]) / float(N)
            hess = [_full(v, R[0, :], xp) for v in hess_fn(*rows)]
        self.column_hessians = xp.reshape(xp.stack(hess), (K, K, N)) / float(N)
        if not (bool(xp.all(xp.isfinite(self.G)))
                and bool(xp.all(xp.isfinite(self.column_hessians)))):
            raise UFMInputError("point: the derived grad g / hess g overflow float64 here "
                                f"(largest logit {float(xp.max(xp.abs(R))):.3g})")
        lw, lh, lb = problem.float_lambdas()
        self.env: dict[str, Any] = {"W": W, "H": H, "b": b, "G": self.G, "lambda_W": lw,
                                    "lambda_H": lh, "lambda_b": lb}

    # ---------------------------------------------------------------- data term
    def hess_g_apply(self, A: Array) -> Array:
        """``S = hess g(R)[A]``: ``S[:, j] = (1/N) hess ell(r_j) a_j`` (derived)."""
        return self.xp.sum(self.column_hessians * A[None, :, :], axis=1)

    def hess_g_form(self, A: Array, B: Array) -> Array:
        """``hess g(R)[A, B] = <S(A), B>``."""
        return self.xp.sum(self.hess_g_apply(A) * B)

    # ---------------------------------------------------------------- f
    def _direction(self, direction: Sequence[Any], name: str) -> Point:
        return as_point(self.spec, direction, self.backend, name=name)

    def _env(self, direction: Sequence[Any], direction2: Sequence[Any] | None = None
             ) -> dict[str, Any]:
        DW, DH, Db = self._direction(direction, "direction")
        env = dict(self.env, D_W=DW, D_H=DH, D_b=Db)
        if direction2 is not None:
            EW, EH, Eb = self._direction(direction2, "direction2")
            env.update(E_W=EW, E_H=EH, E_b=Eb)
        return env

    def _point(self, parts: Sequence[Array]) -> Point:
        W, H, b = parts
        return W, H, self.xp.reshape(b, (-1,))

    def gradient(self) -> Point:
        """The derived ``(df/dW, df/dH, df/db)`` (``b`` part of shape ``(K,)``)."""
        return self._point([evaluate_matrix_expr(e, self.env, "array")
                            for e in self.derivation.gradients.values()])

    def hessian_form(self, direction: Sequence[Any],
                     direction2: Sequence[Any] | None = None) -> float:
        """``hess f[D, D]`` by the derived quadratic form (3.9)/(4.18), or with
        ``direction2`` the derived bilinear form ``hess f[D, E]``."""
        if direction2 is None:
            val = evaluate_matrix_expr(self.derivation.hessian_form, self._env(direction),
                                       "array", hess_g=self.hess_g_form)
        else:
            val = evaluate_matrix_expr(self.variation.bilinear_form,
                                       self._env(direction, direction2), "array",
                                       hess_g=self.hess_g_form)
        return float(val)

    def hessian_vector_product(self, direction: Sequence[Any]) -> Point:
        """The derived ``hess f[D]`` as ``(V_W, V_H, V_b)`` of the backend."""
        env = self._env(direction)
        for S, A in self.variation.hess_g_arguments:
            env[S.name] = self.hess_g_apply(evaluate_matrix_expr(A, env, "array"))
        return self._point([evaluate_matrix_expr(e, env, "array")
                            for e in self.variation.hvp.values()])


def _labels(problem: Problem, be: Backend) -> Array:
    return be.asarray(np.kron(np.eye(problem.K), np.ones((1, problem.n))))


def _full(value: Any, like: Array, xp: Any) -> Array:
    """A lambdified entry as an array shaped like ``like`` (constants broadcast)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return xp.full(like.shape, float(value), dtype=like.dtype,
                       device=getattr(like, "device", None))
    return value


def derived_gradient(problem: Problem, point: Sequence[Any], *,
                     backend: Backend | str | None = None,
                     derivation: IndexFreeDerivation | None = None) -> Point:
    """The derived gradient at ``point`` (float64, the point's backend)."""
    return DerivedAt(problem, point, backend=backend, derivation=derivation).gradient()


def derived_hessian_form(problem: Problem, point: Sequence[Any], direction: Sequence[Any],
                         direction2: Sequence[Any] | None = None, *,
                         backend: Backend | str | None = None,
                         derivation: IndexFreeDerivation | None = None) -> float:
    """The derived ``hess f[D, D]`` (or ``hess f[D, E]``): the curvature along ``D``."""
    return DerivedAt(problem, point, backend=backend,
                     derivation=derivation).hessian_form(direction, direction2)


def derived_hessian_vector_product(problem: Problem, point: Sequence[Any],
                                   direction: Sequence[Any], *,
                                   backend: Backend | str | None = None,
                                   derivation: IndexFreeDerivation | None = None) -> Point:
    """The derived Hessian-vector product at ``point``."""
    return DerivedAt(problem, point, backend=backend,
                     derivation=derivation).hessian_vector_product(direction)


def relative_difference(a: Sequence[Any], b: Sequence[Any]) -> float:
    """``max |a - b| / max(1, max |b|)`` over the entries of two tuples of arrays (or two
    numbers): the float64 cross-checks' measure, relative for ``|b| >= 1``.

    >>> relative_difference((1.0, [2.0, 4.0 + 2 ** -30]), (1.0, [2.0, 4.0])) == 2 ** -32
    True
    """
    def flat(x: Any) -> Any:
        if isinstance(x, (int, float)):
            return np.array([float(x)])
        parts = x if isinstance(x, (tuple, list)) and not _is_number_list(x) else [x]
        return np.concatenate([np.ravel(_to_numpy(p)) for p in parts])

    fa, fb = flat(a), flat(b)
    if fa.shape != fb.shape:
        raise UFMInputError(f"shapes differ: {fa.shape} and {fb.shape}")
    scale = max(1.0, float(np.max(np.abs(fb))) if fb.size else 1.0)
    diff = float(np.max(np.abs(fa - fb))) if fa.size else 0.0
    return diff / scale if math.isfinite(diff) else math.inf


def _is_number_list(x: Any) -> bool:
    return all(isinstance(v, (int, float)) for v in x)


def _to_numpy(x: Any) -> Any:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


FAST_PATHS: tuple[str, ...] = ("gradient", "hessian_vector_product", "hessian_bilinear",
                               "hvp_inner")
"""The typed kernels of :mod:`.kernels` that :func:`fast_path_disagreements` checks
(``hvp_inner``: ``<kernel HVP(D), E>`` against the derived bilinear form ``B(D, E)``)."""


def fast_path_disagreements(problem: Problem, point: Sequence[Any], direction: Sequence[Any],
                            direction2: Sequence[Any], *, backend: Backend | str | None = None,
                            derivation: IndexFreeDerivation | None = None) -> dict[str, float]:
    """``max |kernel - derived| / max(1, max |derived|)`` for each kernel of
    :data:`FAST_PATHS` at ``point`` (float64, on the point's backend).  Sound kernels
    stay near ``1e-15``; the tests ask for ``1e-12``.

    >>> import numpy as np
    >>> from ufm_sym import Problem
    >>> p = Problem("mse", K=2, n=1, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    >>> rng = np.random.default_rng(0)
    >>> x, D, E = ((rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), rng.normal(size=2))
    ...            for _ in range(3))
    >>> max(fast_path_disagreements(p, x, D, E).values()) < 1e-12
    True
    """
    from ufm_sym.numeric import kernels

    at = DerivedAt(problem, point, backend=backend, derivation=derivation)
    x = (at.env["W"], at.env["H"], at.env["b"])
    D = at._direction(direction, "direction")
    E = at._direction(direction2, "direction2")
    hv = kernels.hessian_vector_product(problem, x, D, backend=at.backend)
    hv_inner = sum(float(at.xp.sum(a * c)) for a, c in zip(hv, E, strict=True))
    return {
        "gradient": relative_difference(kernels.full_gradient(problem, x, backend=at.backend),
                                        at.gradient()),
        "hessian_vector_product": relative_difference(hv, at.hessian_vector_product(D)),
        "hessian_bilinear": relative_difference(
            float(kernels.hessian_bilinear(problem, x, D, backend=at.backend)),
            at.hessian_form(D)),
        "hvp_inner": relative_difference(hv_inner, at.hessian_form(D, E)),
    }


def escape_disagreement(problem: Problem, point: Sequence[Any],
                        derivation: IndexFreeDerivation | None = None) -> dict[str, float]:
    """The curvature that :func:`~ufm_sym.numeric.escape.escape_direction` reports along
    its direction (and, for MSE, at the rotated point of Prop. 4.3) against the derived
    form along the same direction: ``{"curvature": ..., "rotated_curvature": ...}``
    relative differences (NumPy float64).

    >>> import numpy as np
    >>> from ufm_sym import Problem
    >>> p = Problem("mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b=0)
    >>> x = (np.zeros((3, 3)), np.zeros((3, 6)), np.full(3, 1 / 3))
    >>> max(escape_disagreement(p, x).values()) < 1e-12
    True
    """
    from ufm_sym.numeric.escape import escape_direction

    W, H, b = (np.asarray(_to_numpy(a), dtype=np.float64) for a in point)
    e = escape_direction(problem, (W, H, b))
    out = {"curvature": relative_difference(
        e.curvature, derived_hessian_form(problem, (W, H, b), e.direction,
                                          derivation=derivation))}
    if e.rotated_curvature is not None:
        V = np.linalg.svd(W, full_matrices=True)[2].T
        dW, dH, db = e.direction
        out["rotated_curvature"] = relative_difference(
            e.rotated_curvature, derived_hessian_form(problem, (W @ V, V.T @ H, b),
                                                      (dW @ V, V.T @ dH, db),
                                                      derivation=derivation))
    return out
