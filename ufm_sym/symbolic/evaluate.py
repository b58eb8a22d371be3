"""Evaluate index-free matrix expressions at numeric (or explicit symbolic) values.

:func:`evaluate_matrix_expr` walks a SymPy expression built from ``MatrixSymbol``s,
``MatAdd``, ``MatMul``, ``MatPow``, ``Transpose``, ``Trace``, ``Identity``,
``OneMatrix``, ``ZeroMatrix``, scalar ``Add``/``Mul``/``Pow``/``Abs``/``Min``/``Max``,
``Sum`` over one integer index, ``Symbol``s and numbers, the nodes of :mod:`.expressions`
(``HessianG``, ``LossG``, ``FrobeniusNorm``) and those of :mod:`.functions`.
Values come from ``env``, keyed by the *names* of the symbols; the sizes ``K``, ``d``,
``N`` are inferred from the shapes of the given matrices (or given in ``env``).  A
``MatrixSymbol`` whose name starts with ``ones`` (``ones_N``) is the all-ones matrix of
its shape unless ``env`` gives it.  Anything else is refused with
:class:`UnsupportedExpressionError`.

Backends: ``"numpy"`` (float64 arrays; vectors become columns), ``"array"`` (float64
arrays of whatever array-API library the matrices in ``env`` belong to, e.g. PyTorch
tensors on their device; no conversion to NumPy), ``"mpmath"``
(``mpmath.matrix`` / ``mpf``, at the current ``mp.dps``) and ``"sympy"`` (explicit
``ImmutableMatrix``; used by :mod:`.cross_check` to substitute explicit matrices).

>>> import numpy as np
>>> from ufm_sym.symbolic.index_free import derive_index_free
>>> D = derive_index_free()
>>> env = {"W": np.eye(2), "H": np.ones((2, 4)), "b": np.zeros(2),
...        "G": np.full((2, 4), 0.5), "lambda_W": 0.1, "lambda_H": 0.2, "lambda_b": 0.0}
>>> evaluate_matrix_expr(D.grad_W, env)
array([[2.1, 2. ],
       [2. , 2.1]])
>>> evaluate_matrix_expr(D.grad_b, env, backend="mpmath")
matrix(
[['2.0'],
 ['2.0']])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import sympy as sp

from .expressions import FrobeniusNorm, HessianG, LossG
from .functions import (
    LambdaMin,
    MatrixFunctional,
    NuclearNorm,
    NullSpaceProjector,
    Rank,
    SingularValue,
    SpectralNorm,
)

__all__ = ["UnsupportedExpressionError", "EvaluationError", "BACKENDS", "Evaluation",
           "evaluate_matrix_expr", "lambdify_gradients", "lambdify_hessian_form", "mp_svd_r"]

BACKENDS: tuple[str, ...] = ("numpy", "array", "mpmath", "sympy")


class UnsupportedExpressionError(TypeError):
    """The expression contains a node the evaluator does not know."""


class EvaluationError(ValueError):
    """Missing or mis-shaped values, or an unknown backend."""


# ----------------------------------------------------------------------------- backends
class _NumpyOps:
    def __init__(self) -> None:
        import numpy as np

        self.np = np

    def matrix(self, value: Any, rows: int, cols: int) -> Any:
        a = self.np.asarray(value, dtype=float)
        if a.ndim == 1 and cols == 1:
            a = a.reshape(-1, 1)
        return a

    def shape(self, m: Any) -> tuple[int, int]:
        return tuple(m.shape)  # type: ignore[return-value]

    def scalar(self, value: Any) -> Any:
        return float(value)

    def number(self, x: sp.Number) -> Any:
        return float(x)

    def matmul(self, a: Any, b: Any) -> Any:
        return a @ b

    def hadamard(self, a: Any, b: Any) -> Any:
        return a * b

    def transpose(self, m: Any) -> Any:
        return m.T

    def trace(self, m: Any) -> Any:
        return float(self.np.trace(m))

    def eye(self, n: int) -> Any:
        return self.np.eye(n)

    def ones(self, r: int, c: int) -> Any:
        return self.np.ones((r, c))

    def zeros(self, r: int, c: int) -> Any:
        return self.np.zeros((r, c))

    def sqrt(self, x: Any) -> Any:
        return self.np.sqrt(x)

    def frobenius(self, m: Any) -> Any:
        return float(self.np.linalg.norm(m))

    def singular_values(self, m: Any) -> list[Any]:
        return [float(x) for x in self.np.linalg.svd(self.np.asarray(m, dtype=float),
                                                     compute_uv=False)]

    def eigenvalues_symmetric(self, m: Any) -> list[Any]:
        a = self.np.asarray(m, dtype=float)
        return [float(x) for x in self.np.linalg.eigvalsh((a + a.T) / 2)]

    def null_projector(self, m: Any, cut: Any) -> Any:
        _, s, vt = self.np.linalg.svd(self.np.asarray(m, dtype=float))
        rank = int(sum(1 for x in s if x > cut))
        null = vt[rank:].T
        return null @ null.T


class _ArrayOps(_NumpyOps):
    """Array-API arrays (NumPy, PyTorch, CuPy) of the namespace and device of ``like``."""

    def __init__(self, like: Any) -> None:
        import array_api_compat

        self.np = array_api_compat.array_namespace(like)
        self.device = array_api_compat.device(like)
        self.dtype = self.np.float64

    def matrix(self, value: Any, rows: int, cols: int) -> Any:
        a = self.np.asarray(value, dtype=self.dtype, device=self.device)
        if a.ndim == 1 and cols == 1:
            a = self.np.reshape(a, (-1, 1))
        return a

    def scalar(self, value: Any) -> Any:
        return float(value)

    def transpose(self, m: Any) -> Any:
        return self.np.matrix_transpose(m)

    def trace(self, m: Any) -> Any:
        return self.np.sum(self.np.linalg.diagonal(m))

    def eye(self, n: int) -> Any:
        return self.np.eye(n, dtype=self.dtype, device=self.device)

    def ones(self, r: int, c: int) -> Any:
        return self.np.ones((r, c), dtype=self.dtype, device=self.device)

    def zeros(self, r: int, c: int) -> Any:
        return self.np.zeros((r, c), dtype=self.dtype, device=self.device)

    def sqrt(self, x: Any) -> Any:
        return math.sqrt(x) if isinstance(x, (int, float)) else self.np.sqrt(x)

    def frobenius(self, m: Any) -> Any:
        return self.np.sqrt(self.np.sum(m * m))

    def singular_values(self, m: Any) -> list[Any]:
        return [float(x) for x in self.np.linalg.svdvals(m)]

    def eigenvalues_symmetric(self, m: Any) -> list[Any]:
        return [float(x) for x in self.np.linalg.eigvalsh((m + self.transpose(m)) / 2)]


def mp_svd_r(A: Any, **kwargs: Any) -> Any:
    """``mpmath.svd_r(A, **kwargs)`` at the working precision, retried with 10 and then 20
    guard digits where mpmath's QR iteration reports no convergence (it can, rarely, on
    repeated singular values: about one in 400 random ``t Q``, ``Q`` orthogonal 4 x 4, at
    30 digits).  The retried result is as accurate, or more.

    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     mp_svd_r(mpmath.matrix([[0, 2], [1, 0]]), compute_uv=False)
    matrix(
    [['2.0'],
     ['1.0']])
    """
    import mpmath

    try:
        return mpmath.svd_r(A, **kwargs)
    except RuntimeError:
        for extra in (10, 20):
            with mpmath.workdps(mpmath.mp.dps + extra):
                try:
                    return mpmath.svd_r(A, **kwargs)
                except RuntimeError:
                    continue
        raise


class _MpmathOps:
    def __init__(self) -> None:
        import mpmath

        self.mp = mpmath

    def matrix(self, value: Any, rows: int, cols: int) -> Any:
        if isinstance(value, self.mp.matrix):
            return value.copy()
        if hasattr(value, "tolist"):
            value = value.tolist()
        m = self.mp.matrix(value)
        if m.cols != cols and m.rows == cols and m.cols == rows:
            m = m.T
        return m

    def shape(self, m: Any) -> tuple[int, int]:
        return (m.rows, m.cols)

    def scalar(self, value: Any) -> Any:
        if isinstance(value, sp.Rational):
            return self.mp.mpf(int(value.p)) / int(value.q)
        if isinstance(value, sp.Basic):
            return self.mp.mpf(sp.Float(value, self.mp.mp.dps + 5))
        return self.mp.mpf(value) if not isinstance(value, str) else self.mp.mpf(value)

    def number(self, x: sp.Number) -> Any:
        return self.scalar(x)

    def matmul(self, a: Any, b: Any) -> Any:
        return a * b

    def hadamard(self, a: Any, b: Any) -> Any:
        out = self.mp.matrix(a.rows, a.cols)
        for i in range(a.rows):
            for j in range(a.cols):
                out[i, j] = a[i, j] * b[i, j]
        return out

    def transpose(self, m: Any) -> Any:
        return m.T

    def trace(self, m: Any) -> Any:
        return self.mp.fsum(m[i, i] for i in range(m.rows))

    def eye(self, n: int) -> Any:
        return self.mp.eye(n)

    def ones(self, r: int, c: int) -> Any:
        return self.mp.ones(r, c)

    def zeros(self, r: int, c: int) -> Any:
        return self.mp.zeros(r, c)

    def sqrt(self, x: Any) -> Any:
        return self.mp.sqrt(x)

    def frobenius(self, m: Any) -> Any:
        return self.mp.mnorm(m, "f")

    def singular_values(self, m: Any) -> list[Any]:
        if m.rows == 0 or m.cols == 0:
            return []
        S = mp_svd_r(m, compute_uv=False)
        return sorted((S[i] for i in range(len(S))), reverse=True)

    def eigenvalues_symmetric(self, m: Any) -> list[Any]:
        E, _ = self.mp.eigsy((m + m.T) / 2)
        return sorted(E[i] for i in range(E.rows))

    def null_projector(self, m: Any, cut: Any) -> Any:
        q = m.cols
        if m.rows == 0:
            return self.mp.eye(q)
        _, S, Vt = mp_svd_r(m, full_matrices=True, compute_uv=True)
        rank = sum(1 for i in range(len(S)) if S[i] > cut)
        null = self.mp.matrix([[Vt[k, j] for k in range(rank, q)] for j in range(q)]) \
            if rank < q else self.mp.zeros(q, 1)
        return null * null.T


class _SympyOps:
    def matrix(self, value: Any, rows: int, cols: int) -> Any:
        m = sp.ImmutableMatrix(value)
        if m.shape == (1, rows) and cols == 1:
            m = m.T
        return m

    def shape(self, m: Any) -> tuple[int, int]:
        return tuple(m.shape)  # type: ignore[return-value]

    def scalar(self, value: Any) -> Any:
        return sp.sympify(value)

    def number(self, x: sp.Number) -> Any:
        return x

    def matmul(self, a: Any, b: Any) -> Any:
        return sp.ImmutableMatrix(a * b)

    def hadamard(self, a: Any, b: Any) -> Any:
        return sp.ImmutableMatrix(a.multiply_elementwise(b))

    def transpose(self, m: Any) -> Any:
        return m.T

    def trace(self, m: Any) -> Any:
        return m.trace()

    def eye(self, n: int) -> Any:
        return sp.ImmutableMatrix(sp.eye(n))

    def ones(self, r: int, c: int) -> Any:
        return sp.ImmutableMatrix(sp.ones(r, c))

    def zeros(self, r: int, c: int) -> Any:
        return sp.ImmutableMatrix(sp.zeros(r, c))

    def sqrt(self, x: Any) -> Any:
        return sp.sqrt(x)

    def frobenius(self, m: Any) -> Any:
        return sp.sqrt(sp.Add(*[x**2 for x in m]))


def _ops(backend: str, env: Mapping[str, Any] | None = None) -> Any:
    if backend == "numpy":
        return _NumpyOps()
    if backend == "array":
        like = next((v for v in (env or {}).values() if hasattr(v, "__array_namespace__")
                     or type(v).__module__.split(".")[0] in ("numpy", "torch", "cupy")
                     and hasattr(v, "shape")), None)
        if like is None:
            raise EvaluationError("backend: 'array' needs at least one array in env")
        return _ArrayOps(like)
    if backend == "mpmath":
        return _MpmathOps()
    if backend == "sympy":
        return _SympyOps()
    raise EvaluationError(f"backend: unknown backend {backend!r} (expected one of: "
                          f"{', '.join(BACKENDS)})")


# ---------------------------------------------------------------------------- evaluator
def _value_shape(value: Any) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    if shape is not None and not callable(shape):
        return tuple(int(s) for s in shape)
    rows, cols = getattr(value, "rows", None), getattr(value, "cols", None)
    if isinstance(rows, int) and isinstance(cols, int):
        return (rows, cols)
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):
            return (len(value), len(value[0]))
        return (len(value),)
    return None


class _Evaluator:
    def __init__(self, env: Mapping[str, Any], backend: str,
                 hess_g: Callable[[Any, Any], Any] | None,
                 loss_g: Callable[[Any], Any] | None) -> None:
        self.env = dict(env)
        self.ops = _ops(backend, env)
        self.backend = backend
        self.hess_g = hess_g
        self.loss_g = loss_g
        self.sizes: dict[sp.Symbol, int] = {}
        self.cache: dict[sp.Basic, Any] = {}

    # -- sizes
    def bind_sizes(self, expr: sp.Basic) -> None:
        for ms in sorted(expr.atoms(sp.MatrixSymbol), key=str):
            if ms.name not in self.env:
                continue
            shape = _value_shape(self.env[ms.name])
            if shape is None:
                raise EvaluationError(f"{ms.name}: {type(self.env[ms.name]).__name__} is "
                                      "not a matrix")
            if len(shape) == 1:
                shape = (shape[0], 1)
            for dim, got in zip(ms.shape, shape, strict=True):
                self._bind(dim, got, ms.name)

    def _bind(self, dim: sp.Expr, got: int, who: str) -> None:
        if dim.is_Integer:
            if int(dim) != got:
                raise EvaluationError(f"{who}: size {got} where {dim} was expected")
            return
        if dim.is_Symbol:
            given = self.env.get(dim.name)
            want = self.sizes.get(dim, None if given is None else int(given))
            if want is not None and want != got:
                raise EvaluationError(f"{who}: size {got} does not match {dim} = {want}")
            self.sizes[dim] = got
            return
        raise EvaluationError(f"{who}: cannot bind the size expression {dim}")

    def size(self, dim: sp.Expr) -> int:
        dim = sp.sympify(dim)
        if dim.is_Integer:
            return int(dim)
        subs = {s: self.sizes[s] if s in self.sizes else self.env.get(s.name)
                for s in dim.free_symbols}
        missing = [str(s) for s, v in subs.items() if v is None]
        if missing:
            raise EvaluationError(f"size {dim}: no value for {', '.join(missing)} (give a "
                                  "matrix of that size or the size itself in env)")
        return int(dim.xreplace({s: sp.Integer(int(v)) for s, v in subs.items()}))

    # -- nodes
    def ev(self, e: sp.Basic) -> Any:
        if e in self.cache:
            return self.cache[e]
        out = self._ev(e)
        self.cache[e] = out
        return out

    def _functional(self, e: MatrixFunctional) -> Any:
        known = self.env.get(sp.sstr(e))
        if known is not None:  # a value computed elsewhere (e.g. a certified lambda_min)
            return ops_value(self.ops, known)
        index = int(self.ev(e.args[1])) if isinstance(e, SingularValue) else None
        return _functional_value(self.ops, self.backend, e, self.ev(e.args[0]), index)

    def _sum(self, e: sp.Sum) -> Any:
        """``Sum(term, (i, lo, hi))``: the bounds are evaluated to integers."""
        if len(e.limits) != 1:
            raise UnsupportedExpressionError(f"cannot evaluate {e}: one summation index only")
        i, lo, hi = e.limits[0]
        out = self.ops.number(sp.Integer(0))
        for k in range(int(self.ev(lo)), int(self.ev(hi)) + 1):
            out = out + self.ev(e.function.xreplace({i: sp.Integer(k)}))
        return out

    def _ev(self, e: sp.Basic) -> Any:
        ops = self.ops
        if isinstance(e, sp.MatrixSymbol):
            if e.name not in self.env and not e.name.startswith("ones"):
                raise EvaluationError(f"{e.name}: no value given")
            rows, cols = self.size(e.shape[0]), self.size(e.shape[1])
            if e.name in self.env:
                m = ops.matrix(self.env[e.name], rows, cols)
                if ops.shape(m) != (rows, cols):
                    raise EvaluationError(f"{e.name}: shape {ops.shape(m)} where "
                                          f"({rows}, {cols}) was expected")
                return m
            return ops.ones(rows, cols)
        if isinstance(e, sp.Identity):
            return ops.eye(self.size(e.shape[0]))
        if isinstance(e, sp.OneMatrix):
            return ops.ones(self.size(e.shape[0]), self.size(e.shape[1]))
        if isinstance(e, sp.ZeroMatrix):
            return ops.zeros(self.size(e.shape[0]), self.size(e.shape[1]))
        if isinstance(e, sp.Transpose):
            return ops.transpose(self.ev(e.arg))
        if isinstance(e, sp.MatAdd):
            vals = [self.ev(a) for a in e.args]
            out = vals[0]
            for v in vals[1:]:
                out = out + v
            return out
        if isinstance(e, sp.MatMul):
            scalar, mats = None, None
            for a in e.args:
                v = self.ev(a)
                if getattr(a, "is_Matrix", False):
                    mats = v if mats is None else ops.matmul(mats, v)
                else:
                    scalar = v if scalar is None else scalar * v
            if mats is None:
                raise UnsupportedExpressionError(f"MatMul without matrix factors: {e}")
            return mats if scalar is None else mats * scalar
        if isinstance(e, sp.MatPow):
            base, exp = e.args
            if not (exp.is_Integer and exp >= 1):
                raise UnsupportedExpressionError(
                    f"cannot evaluate {type(e).__name__} node {e}: only positive integer "
                    "powers are supported")
            m = self.ev(base)
            out = m
            for _ in range(int(exp) - 1):
                out = ops.matmul(out, m)
            return out
        if isinstance(e, sp.MatrixBase):  # explicit SymPy matrix: entry by entry
            rows, cols = e.shape
            vals = [[self.ev(e[i, j]) for j in range(cols)] for i in range(rows)]
            return ops.matrix(vals, rows, cols)
        if isinstance(e, sp.Trace):
            return ops.trace(self.ev(e.arg))
        if isinstance(e, sp.HadamardProduct):
            vals = [self.ev(a) for a in e.args]
            out = vals[0]
            for v in vals[1:]:
                out = ops.hadamard(out, v)
            return out
        if isinstance(e, HessianG):
            if self.hess_g is None:
                raise EvaluationError("the expression contains HessianG: pass hess_g=")
            A, B = (self.ev(a) for a in e.args)
            return self.hess_g(A, B)
        if isinstance(e, LossG):
            if self.loss_g is None:
                raise EvaluationError("the expression contains LossG: pass loss_g=")
            return self.loss_g(self.ev(e.args[0]))
        if isinstance(e, FrobeniusNorm):
            return ops.frobenius(self.ev(e.args[0]))
        if isinstance(e, MatrixFunctional):
            return self._functional(e)
        if isinstance(e, NullSpaceProjector):
            return _null_projector(ops, self.backend, e, self.ev(e.args[0]))
        if isinstance(e, sp.Abs):
            return abs(self.ev(e.args[0]))
        if isinstance(e, (sp.Min, sp.Max)):
            vals = [self.ev(a) for a in e.args]
            return min(vals) if isinstance(e, sp.Min) else max(vals)
        if isinstance(e, sp.Sum) and self.backend != "sympy":
            return self._sum(e)
        if isinstance(e, sp.Symbol):
            if e in self.sizes:
                return ops.number(sp.Integer(self.sizes[e]))
            if e.name not in self.env:
                if self.backend == "sympy":
                    return e
                raise EvaluationError(f"{e.name}: no value given")
            return ops.scalar(self.env[e.name])
        if isinstance(e, sp.Number):
            return ops.number(e)
        if isinstance(e, sp.Add):
            vals = [self.ev(a) for a in e.args]
            out = vals[0]
            for v in vals[1:]:
                out = out + v
            return out
        if isinstance(e, sp.Mul):
            out = None
            for a in e.args:
                v = self.ev(a)
                out = v if out is None else out * v
            return out
        if isinstance(e, sp.Pow):
            base, exp = self.ev(e.base), e.exp
            if exp == sp.S.Half:
                return ops.sqrt(base)
            return base ** self.ev(exp)
        if self.backend == "sympy" and not e.free_symbols and e.is_number:
            return e
        raise UnsupportedExpressionError(
            f"cannot evaluate {type(e).__name__} node {e} (supported: MatrixSymbol, "
            "MatAdd, MatMul, MatPow, HadamardProduct, Transpose, Trace, Identity, OneMatrix, "
            "ZeroMatrix, "
            "Add, Mul, Pow, Abs, Min, Max, Sum, Symbol, numbers, HessianG, LossG, "
            "FrobeniusNorm, Rank, SpectralNorm, NuclearNorm, SingularValue, LambdaMin, "
            "NullSpaceProjector)")


def _null_projector(ops: Any, backend: str, e: NullSpaceProjector, m: Any) -> Any:
    """The projector onto the null space of ``m`` (singular values at or below the
    :class:`Rank` threshold count as zero)."""
    if backend == "sympy":
        raise UnsupportedExpressionError(f"cannot evaluate {type(e).__name__} node {e} "
                                         "with the sympy backend")
    from .functions import rank_tolerance

    s = ops.singular_values(m)
    return ops.null_projector(m, rank_tolerance(backend) * max(1, s[0] if s else 0))


def ops_value(ops: Any, value: Any) -> Any:
    """A number given in ``env`` as a scalar of the backend."""
    return ops.scalar(value) if not isinstance(value, int) else value


def _functional_value(ops: Any, backend: str, e: MatrixFunctional, m: Any,
                      index: int | None) -> Any:
    """Rank, norms, singular values and lambda_min of an evaluated matrix ``m``."""
    if backend == "sympy":
        raise UnsupportedExpressionError(f"cannot evaluate {type(e).__name__} node {e} "
                                         "with the sympy backend")
    if isinstance(e, LambdaMin):
        return ops.eigenvalues_symmetric(m)[0]
    s = ops.singular_values(m)
    if isinstance(e, SpectralNorm):
        return s[0] if s else ops.number(sp.Integer(0))
    if isinstance(e, NuclearNorm):
        out = ops.number(sp.Integer(0))
        for x in s:
            out = out + x
        return out
    if isinstance(e, SingularValue):
        return s[index - 1] if index is not None and 1 <= index <= len(s) else \
            ops.number(sp.Integer(0))
    if isinstance(e, Rank):
        from .functions import rank_tolerance

        top = s[0] if s else 0
        cut = rank_tolerance("numpy" if backend == "array" else backend) * max(1, top)
        return sum(1 for x in s if x > cut)
    raise UnsupportedExpressionError(f"cannot evaluate {type(e).__name__} node {e}")


class Evaluation:
    """Several expressions evaluated at one ``env`` with a shared cache of
    subexpressions (a statement's relations often share products such as ``W V``).

    >>> import sympy as sp
    >>> A = sp.MatrixSymbol("A", 2, 2)
    >>> e = Evaluation({"A": [[1, 2], [3, 4]]})
    >>> e.value(sp.Trace(A * A)), e.value(sp.Trace(A * A) + 1)
    (29.0, 30.0)
    """

    def __init__(self, env: Mapping[str, Any], backend: str = "numpy", *,
                 hess_g: Callable[[Any, Any], Any] | None = None,
                 loss_g: Callable[[Any], Any] | None = None) -> None:
        self._ev = _Evaluator(env, backend, hess_g, loss_g)

    def value(self, expr: Any) -> Any:
        """The value of ``expr`` (see :func:`evaluate_matrix_expr`)."""
        expr = sp.sympify(expr)
        self._ev.bind_sizes(expr)
        return self._ev.ev(expr)


def evaluate_matrix_expr(expr: sp.Basic, env: Mapping[str, Any], backend: str = "numpy", *,
                         hess_g: Callable[[Any, Any], Any] | None = None,
                         loss_g: Callable[[Any], Any] | None = None) -> Any:
    """Evaluate a matrix (or scalar) expression at the values in ``env``.

    ``env`` maps names of ``MatrixSymbol``s and ``Symbol``s to values: NumPy arrays /
    floats (``"numpy"``), ``mpmath.matrix`` / ``mpf`` (``"mpmath"``) or SymPy matrices /
    expressions (``"sympy"``; there, symbols missing from ``env`` stay symbolic).
    ``hess_g(A, B)`` supplies ``nabla^2 g(R)[A, B]`` for :class:`~.expressions.HessianG`
    and ``loss_g(R)`` the value of :class:`~.expressions.LossG`.

    Returns a matrix of the backend for a matrix expression, a scalar otherwise.

    >>> import sympy as sp
    >>> A = sp.MatrixSymbol("A", sp.Symbol("m"), 2); x = sp.Symbol("x")
    >>> evaluate_matrix_expr(sp.Trace(x * A.T * A), {"A": [[1, 2], [3, 4]], "x": 0.5})
    15.0
    >>> evaluate_matrix_expr(sp.HadamardProduct(A, A), {"A": [[1, 2], [3, 4]]})
    array([[ 1.,  4.],
           [ 9., 16.]])
    >>> evaluate_matrix_expr(sp.KroneckerProduct(A, A), {"A": [[1, 2], [3, 4]]})
    Traceback (most recent call last):
    ...
    ufm_sym.symbolic.evaluate.UnsupportedExpressionError: cannot evaluate KroneckerProduct node ...
    """
    expr = sp.sympify(expr)
    ev = _Evaluator(env, backend, hess_g, loss_g)
    ev.bind_sizes(expr)
    return ev.ev(expr)


def lambdify_gradients(derivation: Any = None, backend: str = "numpy",
                       ) -> Callable[..., dict[str, Any]]:
    """A function ``(W, H, b, G, lambda_W, lambda_H, lambda_b) -> {"W", "H", "b"}``
    evaluating the *derived* gradient components, ``G`` being ``nabla g(R)`` there.

    >>> import numpy as np
    >>> grads = lambdify_gradients()
    >>> out = grads(np.eye(2), np.eye(2), np.ones(2), np.ones((2, 2)), 1.0, 1.0, 0.0)
    >>> out["H"]
    array([[2., 1.],
           [1., 2.]])
    """
    if derivation is None:
        from .index_free import derive_index_free

        derivation = derive_index_free()
    D = derivation

    def gradients(W: Any, H: Any, b: Any, G: Any, lambda_W: Any, lambda_H: Any,
                  lambda_b: Any) -> dict[str, Any]:
        env = {"W": W, "H": H, "b": b, "G": G, "lambda_W": lambda_W, "lambda_H": lambda_H,
               "lambda_b": lambda_b}
        return {k: evaluate_matrix_expr(v, env, backend) for k, v in D.gradients.items()}

    return gradients


def lambdify_hessian_form(derivation: Any = None, backend: str = "numpy",
                          ) -> Callable[..., Any]:
    """A function evaluating the *derived* Hessian bilinear form (3.9),

        ``(W, H, b, G, D_W, D_H, D_b, lambda_W, lambda_H, lambda_b, hess_g) -> value``,

    where ``hess_g(A, B)`` returns ``nabla^2 g(R)[A, B]`` for numeric ``A``, ``B``.

    >>> import numpy as np
    >>> q = lambdify_hessian_form()
    >>> I = np.eye(2)   # MSE with N = 2: hess_g[A, B] = <A, B>/N
    >>> q(I, I, np.zeros(2), np.zeros((2, 2)), I, 0*I, np.zeros(2), 1.0, 1.0, 1.0,
    ...   hess_g=lambda A, B: float(np.sum(A * B)) / 2)
    3.0
    """
    if derivation is None:
        from .index_free import derive_index_free

        derivation = derive_index_free()
    form = derivation.hessian_form

    def hessian_form(W: Any, H: Any, b: Any, G: Any, D_W: Any, D_H: Any, D_b: Any,
                     lambda_W: Any, lambda_H: Any, lambda_b: Any,
                     hess_g: Callable[[Any, Any], Any]) -> Any:
        env = {"W": W, "H": H, "b": b, "G": G, "D_W": D_W, "D_H": D_H, "D_b": D_b,
               "lambda_W": lambda_W, "lambda_H": lambda_H, "lambda_b": lambda_b}
        return evaluate_matrix_expr(form, env, backend, hess_g=hess_g)

    return hessian_form
