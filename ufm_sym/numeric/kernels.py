"""Float64 kernels of the UFM, written once against the Python array API.

Objective (1.3)/(1.4), gradient, Hessian-vector product and the Hessian bilinear form
(3.9)/(4.18), in closed form, for both losses.  Every function takes arrays of one
backend (NumPy, PyTorch or CuPy, see :mod:`ufm_sym.numeric.backend`) and broadcasts over
leading batch dimensions: ``W`` of shape ``(..., K, d)``, ``H`` ``(..., d, N)``, ``b``
``(..., K)``.  A batch of problems of the same shape is a :class:`Spec` whose lambdas are
arrays of shape ``(B,)``.

Conventions (``DESIGN.md``): ``R = W H + b 1_N^T``; CE ``g(R) = (1/N) sum_cols
-log softmax(R)_true``; MSE ``g(R) = 1/(2N) ||R - Y||_F^2``; ``lambda/2`` on every
squared norm.  ``grad g`` is ``(softmax(R) - Y)/N`` (CE) or ``(R - Y)/N`` (MSE).  The
Hessian-vector product is

    D  = dW H + W dH + db 1^T,      M = hess_g(R)[D]
    HW = M H^T + G dH^T + lambda_W dW
    HH = W^T M + dW^T G + lambda_H dH
    Hb = M 1_N + lambda_b db

with ``hess_g[D] = (P o D - P o (1 1^T (P o D)))/N`` for CE (``P = softmax(R)``) and
``D/N`` for MSE.  It is checked against the bilinear form (3.9)/(4.18), which is coded
separately, against finite differences and against PyTorch's double backward.

>>> import numpy as np
>>> from ufm_sym import Problem
>>> p = Problem("mse", K=2, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b=0)
>>> W, H, b = np.eye(2), np.eye(2), np.zeros(2)
>>> spec = Spec.from_problem(p)
>>> float(objective(spec, W, H, b))    # R = Y, so only the penalties: 0.1 + 0.1
0.2
>>> [float(np.abs(x).max()) for x in gradient(spec, W, H, b)]
[0.1, 0.1, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

from ufm_sym.model import Problem, UFMInputError
from ufm_sym.numeric.backend import Backend, backend_of, get_backend

Array = Any
Point = tuple[Array, Array, Array]


# --------------------------------------------------------------------- problem specs
@dataclass(frozen=True)
class Spec:
    """The numbers the kernels need: loss, sizes and float64 lambdas.

    The lambdas are Python floats for one problem, or backend arrays of shape ``(B,)``
    for a batch of ``B`` problems of the same loss and shape (:meth:`from_problems`).
    """

    loss: str
    K: int
    n: int
    d: int
    lambda_W: Any
    lambda_H: Any
    lambda_b: Any
    batch: int | None = None

    @property
    def N(self) -> int:
        return self.n * self.K

    @property
    def size(self) -> int:
        """Number of parameters ``K d + d N + K``."""
        return self.K * self.d + self.d * self.N + self.K

    @classmethod
    def from_problem(cls, problem: Problem) -> Spec:
        lw, lh, lb = problem.float_lambdas()
        return cls(problem.loss, problem.K, problem.n, problem.d, lw, lh, lb)

    @classmethod
    def from_problems(cls, problems: Sequence[Problem], backend: Backend | None = None) -> Spec:
        """A batch of problems that share loss, ``K``, ``n`` and ``d``."""
        problems = list(problems)
        if not problems:
            raise UFMInputError("problems: an empty batch")
        p0 = problems[0]
        for p in problems[1:]:
            if (p.loss, p.K, p.n, p.d) != (p0.loss, p0.K, p0.n, p0.d):
                raise UFMInputError(
                    f"problems: a batch needs one loss and one shape; got {p0.describe()} "
                    f"and {p.describe()}"
                )
        be = get_backend(backend)
        lam = np.array([p.float_lambdas() for p in problems], dtype=np.float64)
        return cls(p0.loss, p0.K, p0.n, p0.d, be.asarray(lam[:, 0]), be.asarray(lam[:, 1]),
                   be.asarray(lam[:, 2]), batch=len(problems))

    def on(self, backend: Backend) -> Spec:
        """The same spec with batched lambdas moved to ``backend``."""
        if self.batch is None:
            return self
        return Spec(self.loss, self.K, self.n, self.d, backend.asarray(self.lambda_W),
                    backend.asarray(self.lambda_H), backend.asarray(self.lambda_b), self.batch)


def as_spec(problem: Problem | Sequence[Problem] | Spec, backend: Backend | None = None) -> Spec:
    """A :class:`Spec` from a problem, a sequence of problems (a batch) or a spec."""
    if isinstance(problem, Spec):
        return problem.on(backend) if backend is not None else problem
    if isinstance(problem, Problem):
        return Spec.from_problem(problem)
    if isinstance(problem, Sequence) and not isinstance(problem, str):
        return Spec.from_problems(problem, backend)
    raise UFMInputError(f"problem: {problem!r} is not a Problem")


def _lam(value: Any, extra: int) -> Any:
    """A lambda broadcast against arrays with ``extra`` trailing core dimensions."""
    if isinstance(value, float | int):
        return float(value)
    return value.reshape(tuple(value.shape) + (1,) * extra) if extra else value


# ------------------------------------------------------------------------ points
def as_point(spec: Spec, point: Sequence[Any], backend: Backend | None = None,
             name: str = "point") -> Point:
    """``(W, H, b)`` as float64 arrays of ``backend`` (inferred from the arrays if
    ``None``), shapes checked against ``spec`` (leading batch dimensions allowed; ``b``
    may be a ``K x 1`` column).  Raises :class:`UFMInputError` naming the bad part."""
    try:
        W, H, b = point
    except (TypeError, ValueError):
        raise UFMInputError(f"{name}: expected a triple (W, H, b)") from None
    be = backend if backend is not None else backend_of(W, H, b)
    W, H, b = (_convert(be, x, f"{name}: {part}") for part, x in zip("WHb", (W, H, b),
                                                                      strict=True))
    K, d, N = spec.K, spec.d, spec.N
    if b.ndim >= 2 and b.shape[-1] == 1 and b.shape[-2] == K:
        b = be.xp.reshape(b, tuple(b.shape[:-1]))
    want = {"W": (K, d), "H": (d, N), "b": (K,)}
    for part, arr in (("W", W), ("H", H), ("b", b)):
        core = want[part]
        if arr.ndim < len(core) or tuple(arr.shape[arr.ndim - len(core):]) != core:
            raise UFMInputError(
                f"{name}: {part} has shape {tuple(arr.shape)}, expected (..., "
                + ", ".join(str(c) for c in core) + ")"
            )
        if not bool(be.xp.all(be.xp.isfinite(arr))):
            raise UFMInputError(f"{name}: {part} has non-finite entries")
    return W, H, b


def _convert(be: Backend, x: Any, where: str) -> Array:
    """``x`` as a float64 array of ``be``: arrays, nested lists, decimal strings, mpmath
    and SymPy matrices; anything else is bad input."""
    if isinstance(getattr(x, "rows", None), int) and hasattr(x, "tolist"):  # mpmath matrix
        x = x.tolist()
    try:
        return be.asarray(x)
    except (TypeError, ValueError):
        pass
    try:
        if hasattr(x, "tolist"):
            return be.asarray(np.array(x.tolist(), dtype=np.float64))
        return be.asarray(np.array([[float(e) for e in row] for row in x], dtype=np.float64))
    except (TypeError, ValueError):
        raise UFMInputError(f"{where} is not a real float64 array") from None


def _ns(x: Array) -> Any:
    return array_api_compat.array_namespace(x)


def _eye_like(x: Array, K: int) -> Array:
    xp = _ns(x)
    return xp.eye(K, dtype=x.dtype, device=array_api_compat.device(x))


def _minus_labels(X: Array, K: int, n: int) -> Array:
    """``X - Y`` for ``X`` of shape ``(..., K, N)``, ``Y = I_K kron 1_n^T`` (never formed)."""
    xp = _ns(X)
    shape = tuple(X.shape)
    X3 = xp.reshape(X, shape[:-1] + (K, n))
    return xp.reshape(X3 - _eye_like(X, K)[:, :, None], shape)


def _true_entries(R: Array, K: int, n: int) -> Array:
    """``R[y_j, j]`` for every column ``j``: shape ``(..., N)``."""
    xp = _ns(R)
    shape = tuple(R.shape)
    R3 = xp.reshape(R, shape[:-1] + (K, n))
    return xp.reshape(xp.sum(R3 * _eye_like(R, K)[:, :, None], axis=-3), shape[:-2] + (K * n,))


def label_matrix(spec: Spec, backend: Backend | None = None) -> Array:
    """``Y = I_K kron 1_n^T`` as a float64 array (K x N)."""
    be = get_backend(backend)
    return be.asarray(np.kron(np.eye(spec.K), np.ones((1, spec.n))))


def _iadd(x: Array, y: Array) -> Array:
    """``x + y``, written into ``x`` (a temporary) when the sum has ``x``'s shape: the
    same numbers without a new array (``K x N`` temporaries cost as much as a product)."""
    if tuple(np.broadcast_shapes(tuple(x.shape), tuple(y.shape))) == tuple(x.shape):
        x += y
        return x
    return x + y


def logits(W: Array, H: Array, b: Array) -> Array:
    """``R = W H + b 1_N^T``."""
    xp = _ns(W)
    return _iadd(xp.matmul(W, H), b[..., :, None])


def softmax(R: Array) -> Array:
    """Column-wise softmax (over the class axis ``-2``), stabilised."""
    xp = _ns(R)
    E = xp.exp(R - xp.max(R, axis=-2, keepdims=True))
    E /= xp.sum(E, axis=-2, keepdims=True)
    return E


def loss_g(spec: Spec, R: Array) -> Array:
    """``g(R)``: the data term (1/N CE, 1/(2N) MSE)."""
    xp = _ns(R)
    if spec.loss == "ce":
        m = xp.max(R, axis=-2, keepdims=True)
        lse = xp.log(xp.sum(xp.exp(R - m), axis=-2)) + m[..., 0, :]
        return xp.mean(lse - _true_entries(R, spec.K, spec.n), axis=-1)
    E = _minus_labels(R, spec.K, spec.n)
    return xp.sum(E * E, axis=(-2, -1)) / (2.0 * spec.N)


def grad_g(spec: Spec, R: Array) -> Array:
    """``grad g(R)``: ``(softmax(R) - Y)/N`` (CE) or ``(R - Y)/N`` (MSE)."""
    base = softmax(R) if spec.loss == "ce" else R
    G = _minus_labels(base, spec.K, spec.n)
    G /= float(spec.N)
    return G


def penalty(spec: Spec, W: Array, H: Array, b: Array) -> Array:
    xp = _ns(W)
    return 0.5 * (_lam(spec.lambda_W, 0) * xp.sum(W * W, axis=(-2, -1))
                  + _lam(spec.lambda_H, 0) * xp.sum(H * H, axis=(-2, -1))
                  + _lam(spec.lambda_b, 0) * xp.sum(b * b, axis=-1))


def objective(spec: Spec, W: Array, H: Array, b: Array) -> Array:
    """``f(W, H, b) = g(W H + b 1^T) + penalties`` (a 0-d array, or one per batch entry)."""
    return loss_g(spec, logits(W, H, b)) + penalty(spec, W, H, b)


def gradient(spec: Spec, W: Array, H: Array, b: Array) -> Point:
    """``(df/dW, df/dH, df/db) = (G H^T + l_W W, W^T G + l_H H, G 1 + l_b b)``."""
    xp = _ns(W)
    G = grad_g(spec, logits(W, H, b))
    mT = xp.matrix_transpose
    return (xp.matmul(G, mT(H)) + _lam(spec.lambda_W, 2) * W,
            xp.matmul(mT(W), G) + _lam(spec.lambda_H, 2) * H,
            xp.sum(G, axis=-1) + _lam(spec.lambda_b, 1) * b)


def norm_of(parts: Sequence[Array]) -> Array:
    """Euclidean norm of a tuple of arrays over their core axes (batched)."""
    xp = _ns(parts[0])
    total = 0.0
    for x, core in zip(parts, (2, 2, 1), strict=True):
        total = total + xp.sum(x * x, axis=tuple(range(-core, 0)))
    return xp.sqrt(total)


def inner(a: Sequence[Array], c: Sequence[Array]) -> Array:
    """``<a, c>`` for two directions (tuples of arrays), batched."""
    xp = _ns(a[0])
    total = 0.0
    for x, y, core in zip(a, c, (2, 2, 1), strict=True):
        total = total + xp.sum(x * y, axis=tuple(range(-core, 0)))
    return total


# ------------------------------------------------------------------- second order
@dataclass
class PointState:
    """Quantities at a point that every Hessian-vector product reuses."""

    spec: Spec
    W: Array
    H: Array
    b: Array
    G: Array          # grad g(R), (..., K, N)
    P: Array | None   # softmax(R) for CE, None for MSE
    Wn: Array | None = None  # W / N, so that the 1/N of hess g costs no pass over K x N

    def __post_init__(self) -> None:
        if self.Wn is None:
            self.Wn = self.W / float(self.spec.N)


def point_state(spec: Spec, W: Array, H: Array, b: Array) -> PointState:
    R = logits(W, H, b)
    if spec.loss == "ce":
        P = softmax(R)
        G = _minus_labels(P, spec.K, spec.n)
        G /= float(spec.N)
        return PointState(spec, W, H, b, G, P)
    G = _minus_labels(R, spec.K, spec.n)
    G /= float(spec.N)
    return PointState(spec, W, H, b, G, None)


def _hess_g_unscaled(loss: str, P: Array | None, D: Array) -> Array:
    """``N hess g(R)[D]``: CE ``P o (D - 1 (P^T D)_cols)``, MSE ``D`` (no copy)."""
    if loss == "mse":
        return D
    xp = _ns(D)
    s = xp.vecdot(P, D, axis=-2)
    return P * (D - s[..., None, :])


def _hess_g_unscaled_inplace(loss: str, P: Array | None, D: Array) -> Array:
    """:func:`_hess_g_unscaled` overwriting ``D`` (a temporary): the same numbers, no
    new ``K x N`` arrays."""
    if loss == "mse":
        return D
    if tuple(np.broadcast_shapes(tuple(P.shape), tuple(D.shape))) != tuple(D.shape):
        return _hess_g_unscaled(loss, P, D)
    xp = _ns(D)
    s = xp.vecdot(P, D, axis=-2)
    D -= s[..., None, :]
    D *= P
    return D


def _direction_logits(W: Array, H: Array, dW: Array, dH: Array, db: Array) -> Array:
    """``D = dW H + W dH + db 1^T`` (first-order change of ``R``), built in place."""
    xp = _ns(W)
    return _iadd(_iadd(xp.matmul(dW, H), xp.matmul(W, dH)), db[..., :, None])


def hess_g_apply(state: PointState, D: Array, P: Array | None = None) -> Array:
    """``hess g(R)[D]`` as a matrix: CE ``(P o D - P o 1 1^T (P o D))/N``, MSE ``D/N``."""
    P = state.P if P is None else P
    return _hess_g_unscaled(state.spec.loss, P, D) / float(state.spec.N)


def hvp_state(state: PointState, dW: Array, dH: Array, db: Array) -> Point:
    """Closed-form Hessian-vector product at a prepared :class:`PointState`."""
    spec, W, H, G = state.spec, state.W, state.H, state.G
    xp = _ns(W)
    mT = xp.matrix_transpose
    D = _direction_logits(W, H, dW, dH, db)
    M = _hess_g_unscaled_inplace(spec.loss, state.P, D)  # N hess_g[D]; 1/N on small arrays
    inv = 1.0 / float(spec.N)
    HH = _iadd(_iadd(xp.matmul(mT(state.Wn), M), xp.matmul(mT(dW), G)),
               _lam(spec.lambda_H, 2) * dH)
    return (inv * xp.matmul(M, mT(H)) + xp.matmul(G, mT(dH)) + _lam(spec.lambda_W, 2) * dW,
            HH, inv * xp.sum(M, axis=-1) + _lam(spec.lambda_b, 1) * db)


def bilinear_state(state: PointState, dW: Array, dH: Array, db: Array) -> Array:
    """The Hessian bilinear form (3.9)/(4.18) along ``(dW, dH, db)``:

    ``hess_g[D, D] + 2 <G, dW dH> + l_W ||dW||^2 + l_H ||dH||^2 + l_b ||db||^2``,
    ``D = dW H + W dH + db 1^T``; coded apart from :func:`hvp_state`.
    """
    spec, W, H, G = state.spec, state.W, state.H, state.G
    xp = _ns(W)
    D = xp.matmul(dW, H) + xp.matmul(W, dH) + db[..., :, None]
    if spec.loss == "ce":
        P = state.P
        s = xp.sum(P * D, axis=-2)
        quad = (xp.sum(P * D * D, axis=(-2, -1)) - xp.sum(s * s, axis=-1)) / float(spec.N)
    else:
        quad = xp.sum(D * D, axis=(-2, -1)) / float(spec.N)
    cross = 2.0 * xp.sum(G * xp.matmul(dW, dH), axis=(-2, -1))
    reg = (_lam(spec.lambda_W, 0) * xp.sum(dW * dW, axis=(-2, -1))
           + _lam(spec.lambda_H, 0) * xp.sum(dH * dH, axis=(-2, -1))
           + _lam(spec.lambda_b, 0) * xp.sum(db * db, axis=-1))
    return quad + cross + reg


# ------------------------------------------------------------------ public wrappers
def _prepare(problem: Any, point: Sequence[Any], backend: Backend | str | None):
    be = get_backend(backend) if backend is not None else backend_of(*point)
    spec = as_spec(problem, be)
    return spec, be, as_point(spec, point, be)


def hessian_vector_product(problem: Problem | Sequence[Problem], point: Sequence[Any],
                           direction: Sequence[Any], *,
                           backend: Backend | str | None = None) -> Point:
    """The Hessian of ``f`` at ``point = (W, H, b)`` applied to ``direction``, in closed form.

    Arrays may be NumPy, PyTorch or CuPy (the result is on the point's backend unless
    ``backend`` is given) and may carry leading batch dimensions; ``problem`` may be a
    sequence of problems of one shape (a batch).  The result ``(HW, HH, Hb)`` has the
    shapes of ``direction``.

    >>> import numpy as np
    >>> from ufm_sym import Problem
    >>> p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
    >>> rng = np.random.default_rng(0)
    >>> x = (rng.normal(size=(3, 3)), rng.normal(size=(3, 6)), rng.normal(size=3))
    >>> v = (rng.normal(size=(3, 3)), rng.normal(size=(3, 6)), rng.normal(size=3))
    >>> hv = hessian_vector_product(p, x, v)
    >>> [a.shape for a in hv]
    [(3, 3), (3, 6), (3,)]
    >>> lhs = sum(float(np.sum(a * c)) for a, c in zip(hv, v))   # <v, Hess v>
    >>> abs(lhs - float(hessian_bilinear(p, x, v))) < 1e-12
    True
    """
    spec, be, (W, H, b) = _prepare(problem, point, backend)
    dW, dH, db = as_point(spec, direction, be, name="direction")
    return hvp_state(point_state(spec, W, H, b), dW, dH, db)


def hessian_bilinear(problem: Problem | Sequence[Problem], point: Sequence[Any],
                     direction: Sequence[Any], *, backend: Backend | str | None = None) -> Array:
    """The bilinear form (3.9)/(4.18) ``Hess f[Delta, Delta]`` at ``point``."""
    spec, be, (W, H, b) = _prepare(problem, point, backend)
    dW, dH, db = as_point(spec, direction, be, name="direction")
    return bilinear_state(point_state(spec, W, H, b), dW, dH, db)


def objective_value(problem: Problem | Sequence[Problem], point: Sequence[Any], *,
                    backend: Backend | str | None = None) -> Array:
    """``f`` at ``point`` (any backend; batched problems allowed)."""
    spec, _, (W, H, b) = _prepare(problem, point, backend)
    return objective(spec, W, H, b)


def full_gradient(problem: Problem | Sequence[Problem], point: Sequence[Any], *,
                  backend: Backend | str | None = None) -> Point:
    """``(df/dW, df/dH, df/db)`` at ``point``."""
    spec, _, (W, H, b) = _prepare(problem, point, backend)
    return gradient(spec, W, H, b)


# ---------------------------------------------------------- flat operator (Lanczos)
class HessianOperator:
    """The Hessian at a point as a linear operator on flat vectors.

    A flat vector stacks ``vec(W)`` (K d, row-major), ``vec(H)`` (d N) and ``b`` (K).
    :meth:`matvec_into` is memory-lean: it streams over column blocks of ``H`` of
    ``chunk`` columns and writes ``A v - beta * out`` into ``out`` in place, so Lanczos
    needs only two vectors of the full size; for large ``K x N`` (above 8e6 entries, or
    ``store_gradient=False``) ``grad g`` is not stored but recomputed per block (one more
    ``K x d x chunk`` product per block).  :meth:`dense` assembles the full matrix
    from batched products with unit vectors (small sizes only).

    >>> import numpy as np
    >>> from ufm_sym import Problem
    >>> p = Problem("mse", K=2, n=2, lambda_W="0.1", lambda_H="0.2", lambda_b="0.3")
    >>> rng = np.random.default_rng(1)
    >>> op = HessianOperator(p, (rng.normal(size=(2, 2)), rng.normal(size=(2, 4)),
    ...                          rng.normal(size=2)))
    >>> A = op.dense()
    >>> A.shape, bool(np.allclose(A, A.T, atol=1e-14))
    ((14, 14), True)
    >>> v = rng.normal(size=14)
    >>> bool(np.allclose(op.matvec(v), A @ v, atol=1e-13))
    True
    """

    def __init__(self, problem: Problem | Spec, point: Sequence[Any], *,
                 backend: Backend | str | None = None, chunk: int | None = None,
                 store_gradient: bool | None = None) -> None:
        spec, be, (W, H, b) = _prepare(problem, point, backend)
        if spec.batch is not None or W.ndim != 2:
            raise UFMInputError("HessianOperator: one problem and one point (no batch)")
        self.spec, self.backend, self.xp = spec, be, be.xp
        K, d, N = spec.K, spec.d, spec.N
        self.shapes = ((K, d), (d, N), (K,))
        self.offsets = (0, K * d, K * d + d * N, K * d + d * N + K)
        self.size = self.offsets[-1]
        if chunk is None:
            # stream when K x N is large (keeps temporaries near K x chunk)
            chunk = N if K * N <= 4_000_000 else max(256, 500_000 // K)
        self.chunk = int(min(max(1, chunk), N))
        if store_gradient is None:
            store_gradient = self.chunk == N or K * N <= 8_000_000
        self.store_gradient = bool(store_gradient) or self.chunk == N
        if self.chunk == N:
            self.state = point_state(spec, W, H, b)
        elif self.store_gradient:
            # only G is kept (P is rebuilt per block as N G + Y); built block by block
            G = be.zeros((K, N))
            self.state = PointState(spec, W, H, b, None, None)
            for j0 in range(0, N, self.chunk):
                j1 = min(N, j0 + self.chunk)
                G[:, j0:j1] = self._block_G(j0, j1)[0]
            self.state.G = G
        else:
            # memory-lean: G and P are recomputed per block (one more K x d x chunk product)
            self.state = PointState(spec, W, H, b, None, None)

    def _block_G(self, j0: int, j1: int) -> tuple[Array, Array | None]:
        """``(G[:, j0:j1], P[:, j0:j1])`` (``P`` only for CE), from storage or recomputed."""
        st, spec = self.state, self.spec
        N = spec.N
        if st.G is not None:
            Gc = st.G[:, j0:j1]
            if spec.loss != "ce":
                return Gc, None
            Pc = st.P[:, j0:j1] if st.P is not None else Gc * float(N) + \
                self._labels_block(j0, j1)
            return Gc, Pc
        Rc = self.xp.matmul(st.W, st.H[:, j0:j1]) + st.b[:, None]
        if spec.loss == "ce":
            Pc = softmax(Rc)
            return (Pc - self._labels_block(j0, j1)) / float(N), Pc
        return (Rc - self._labels_block(j0, j1)) / float(N), None

    # -------------------------------------------------------------- layout
    def split(self, v: Array) -> Point:
        """Views ``(dW, dH, db)`` into a flat vector (or a batch of them, ``(m, size)``)."""
        xp, o = self.xp, self.offsets
        lead = tuple(v.shape[:-1])
        return tuple(xp.reshape(v[..., o[i]:o[i + 1]], lead + s)
                     for i, s in enumerate(self.shapes))  # type: ignore[return-value]

    def join(self, parts: Sequence[Array]) -> Array:
        xp = self.xp
        lead = tuple(parts[2].shape[:-1])
        return xp.concat([xp.reshape(p, lead + (-1,)) for p in parts], axis=-1)

    def gradient(self) -> Array:
        """The gradient of ``f`` at the point, as a flat vector."""
        s = self.state
        return self.join(gradient(self.spec, s.W, s.H, s.b))

    def gradient_norm(self) -> float:
        """``||grad f||``, streamed over column blocks (no full-size temporary)."""
        xp, spec, st = self.xp, self.spec, self.state
        mT = xp.matrix_transpose
        gW = spec.lambda_W * st.W
        gb = spec.lambda_b * st.b
        sq = 0.0
        for j0 in range(0, spec.N, self.chunk):
            j1 = min(spec.N, j0 + self.chunk)
            Gc = self._block_G(j0, j1)[0]
            gW = gW + xp.matmul(Gc, mT(st.H[:, j0:j1]))
            gb = gb + xp.sum(Gc, axis=-1)
            gH = xp.matmul(mT(st.W), Gc) + spec.lambda_H * st.H[:, j0:j1]
            sq += float(xp.sum(gH * gH))
        sq += float(xp.sum(gW * gW)) + float(xp.sum(gb * gb))
        return sq ** 0.5

    # ------------------------------------------------------------ products
    def matvec(self, v: Array) -> Array:
        """``A v`` for one flat vector or a batch ``(m, size)``."""
        if v.ndim == 1 and self.chunk < self.spec.N:
            out = self.backend.zeros((self.size,))
            self.matvec_into(v, out, 0.0)
            return out
        return self.join(hvp_state(self.state, *self.split(v)))

    def bilinear(self, v: Array) -> float:
        return float(bilinear_state(self.state, *self.split(v)))

    def _labels_block(self, j0: int, j1: int) -> Array:
        xp, K, n = self.xp, self.spec.K, self.spec.n
        dev = array_api_compat.device(self.state.W)
        cls = xp.arange(j0, j1, device=dev) // n
        rows = xp.arange(K, device=dev)
        return xp.astype(rows[:, None] == cls[None, :], xp.float64)

    def matvec_into(self, v: Array, out: Array, beta: float = 0.0) -> Array:
        """``out <- A v - beta * out`` for flat vectors, streaming over blocks of columns."""
        xp, spec, st = self.xp, self.spec, self.state
        mT = xp.matrix_transpose
        W, H = st.W, st.H
        dW, dH, db = self.split(v)
        oW, oH, ob = self.split(out)
        N, c = spec.N, self.chunk
        accW = spec.lambda_W * dW
        accMH = None
        accb = spec.lambda_b * db
        sumM = None
        WnT, dWT = mT(st.Wn), mT(dW)
        for j0 in range(0, N, c):
            j1 = min(N, j0 + c)
            Hc, dHc = H[:, j0:j1], dH[:, j0:j1]
            Gc, Pc = self._block_G(j0, j1)
            D = _direction_logits(W, Hc, dW, dHc, db)
            M = _hess_g_unscaled_inplace(spec.loss, Pc, D)
            mh = xp.matmul(M, mT(Hc))
            accMH = mh if accMH is None else accMH + mh
            accW = accW + xp.matmul(Gc, mT(dHc))
            sm = xp.sum(M, axis=-1)
            sumM = sm if sumM is None else sumM + sm
            blk = _iadd(_iadd(xp.matmul(WnT, M), xp.matmul(dWT, Gc)), spec.lambda_H * dHc)
            if beta:
                blk = blk - beta * oH[:, j0:j1]
            oH[:, j0:j1] = blk
        accW = accW + accMH / float(N)
        accb = accb + sumM / float(N)
        if beta:
            accW = accW - beta * oW
            accb = accb - beta * ob
        oW[...] = accW
        ob[...] = accb
        return out

    def dense(self, block: int | None = None) -> Array:
        """The full ``size x size`` Hessian, symmetrised, from batched unit-vector products."""
        xp, P = self.xp, self.size
        if P > 20_000:
            raise UFMInputError(f"dense Hessian: {P} parameters is too many (limit 20000)")
        if block is None:
            block = max(1, min(P, 2_000_000 // max(1, self.spec.K * self.spec.N)))
        dev = array_api_compat.device(self.state.W)
        rows = []
        for s in range(0, P, block):
            m = min(block, P - s)
            E = xp.eye(m, P, k=s, dtype=xp.float64, device=dev)
            rows.append(self.join(hvp_state(self.state, *self.split(E))))
        A = xp.concat(rows, axis=0)
        return 0.5 * (A + xp.matrix_transpose(A))


def dense_hessians(problem: Problem | Sequence[Problem] | Spec, point: Sequence[Any], *,
                   backend: Backend | str | None = None, block: int = 64) -> Array:
    """Full Hessians for a batch of points/problems of one shape: ``(B, size, size)``.

    ``point`` arrays carry a leading batch axis ``B`` (or none, giving ``(size, size)``);
    each unit-vector block is broadcast against the whole batch.
    """
    spec, be, (W, H, b) = _prepare(problem, point, backend)
    xp = be.xp
    st = point_state(spec, W, H, b)
    K, d, N = spec.K, spec.d, spec.N
    o = (0, K * d, K * d + d * N, spec.size)
    P = spec.size
    lead = tuple(W.shape[:-2])
    dev = array_api_compat.device(W)
    cols = []
    for s in range(0, P, block):
        m = min(block, P - s)
        E = xp.eye(m, P, k=s, dtype=xp.float64, device=dev)
        E = xp.reshape(E, (m,) + (1,) * len(lead) + (P,))
        parts = [xp.reshape(E[..., o[i]:o[i + 1]], (m,) + (1,) * len(lead) + shp)
                 for i, shp in enumerate(((K, d), (d, N), (K,)))]
        hv = hvp_state(st, *parts)
        flat = xp.concat([xp.reshape(x, tuple(x.shape[:1 + len(lead)]) + (-1,)) for x in hv],
                         axis=-1)  # (m, *lead, P)
        cols.append(flat)
    A = xp.concat(cols, axis=0)  # (P, *lead, P)
    if lead:
        A = xp.permute_dims(A, tuple(range(1, 1 + len(lead))) + (0, 1 + len(lead)))
    return 0.5 * (A + xp.matrix_transpose(A))
