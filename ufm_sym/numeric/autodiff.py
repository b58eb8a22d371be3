"""An independent derivative of the objective in float64: the numeric leg of (1.3)/(1.4).

The derived gradient and Hessian form (:mod:`ufm_sym.numeric.derived`) are checked
against derivatives that share nothing with SymPy's derivation:

``"torch"``
    the objective written directly in PyTorch (float64; cross-entropy by
    ``torch.logsumexp``, MSE as a squared norm), the gradient by ``torch.autograd.grad``
    and the Hessian-vector product by double backward (the gradient of
    ``<grad f, D>``).  Agreement with the derived forms: about ``1e-15`` relative; the
    stated tolerance is :data:`TOLERANCES` ``["torch"] = 1e-12``.
``"central-differences"``
    when PyTorch is not installed: the objective written in NumPy, the gradient by the
    8th-order central difference along each coordinate (step ``h1 = 2^-6``, weights
    from ``sympy.finite_diff_weights``), and the Hessian-vector product by polarisation,
    ``(hess f D)_i = (q(e_i + D^) - q(e_i - D^)) ||D|| / 4`` with ``D^ = D/||D||`` and
    ``q(v) = d^2/dt^2 f(x + t v)`` by the 8th-order central second difference (step
    ``h2 = 2^-5 / ||v||``).  Truncation ``O(h^8)``, rounding ``O(eps / h^k)``: about
    ``1e-11`` relative; the stated tolerance is ``1e-8``.  Cost: ``8 P`` evaluations
    of ``f`` for the gradient and ``16 P + 1`` for the HVP (``P`` parameters).

Both are ``O(P)`` times the cost of the kernels; they are evidence, not a fast path.

>>> import numpy as np
>>> from ufm_sym import Problem
>>> p = Problem("ce", K=3, n=2, lambda_W="0.01", lambda_H="0.02", lambda_b="0.03")
>>> rng = np.random.default_rng(0)
>>> x = (rng.normal(size=(3, 3)), rng.normal(size=(3, 6)), rng.normal(size=3))
>>> D = (rng.normal(size=(3, 3)), rng.normal(size=(3, 6)), rng.normal(size=3))
>>> c = compare_with_derived(p, x, D, backend="central-differences")
>>> c.passed, c.worst < 1e-9, c.method.startswith("central differences")
(True, True, True)
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from ufm_sym.model import Problem, UFMInputError

__all__ = [
    "AUTODIFF_BACKENDS",
    "AutodiffComparison",
    "STEPS",
    "TOLERANCES",
    "compare_with_derived",
    "independent_derivatives",
    "objective_numpy",
]

AUTODIFF_BACKENDS: tuple[str, ...] = ("auto", "torch", "central-differences")
TOLERANCES: dict[str, float] = {"torch": 1e-12, "central-differences": 1e-8}
"""Stated relative tolerances (``max |a - b| / max(1, max |b|)``) per method."""
STEPS: dict[str, float] = {"gradient": 2.0 ** -6, "second": 2.0 ** -5}
"""Central-difference steps (exact in binary) for a unit direction."""
FD_ORDER = 8
"""Accuracy order of the central stencils (``FD_ORDER + 1`` points)."""

Point = tuple[np.ndarray, np.ndarray, np.ndarray]


def _torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _resolve(backend: str) -> str:
    if backend not in AUTODIFF_BACKENDS:
        raise UFMInputError(f"backend: unknown backend {backend!r} (expected one of: "
                            f"{', '.join(AUTODIFF_BACKENDS)})")
    if backend == "auto":
        return "torch" if _torch_available() else "central-differences"
    if backend == "torch" and not _torch_available():
        raise UFMInputError("backend: 'torch' needs the optional package 'torch', which is not "
                            "installed")
    return backend


def _as_numpy_point(problem: Problem, point: Sequence[Any], name: str) -> Point:
    try:
        W, H, b = (np.asarray(_to_numpy(x), dtype=np.float64) for x in point)
    except (TypeError, ValueError):
        raise UFMInputError(f"{name}: expected a triple (W, H, b) of real arrays") from None
    b = b.reshape(-1)
    K, d, N = problem.K, problem.d, problem.N
    for part, arr, shape in (("W", W, (K, d)), ("H", H, (d, N)), ("b", b, (K,))):
        if arr.shape != shape:
            raise UFMInputError(f"{name}: {part} has shape {arr.shape}, expected {shape}")
    return W, H, b


def _to_numpy(x: Any) -> Any:
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    if hasattr(x, "tolist") and not isinstance(x, np.ndarray):
        return np.array(x.tolist(), dtype=np.float64)
    return x


# --------------------------------------------------------------- the objective
def objective_numpy(problem: Problem, W: np.ndarray, H: np.ndarray, b: np.ndarray) -> float:
    """``f`` of (1.3)/(1.4) written in NumPy, for the central differences: CE as
    ``mean_j(logsumexp(r_j) - r_{j, y_j})``, MSE as ``||R - Y||^2 / (2N)``.

    >>> from ufm_sym import Problem
    >>> p = Problem("mse", K=3, n=2, lambda_W=1, lambda_H=1)
    >>> objective_numpy(p, np.zeros((3, 3)), np.zeros((3, 6)), np.zeros(3))
    0.5
    """
    lw, lh, lb = problem.float_lambdas()
    N = problem.N
    R = W @ H + b[:, None]
    labels = np.arange(N) // problem.n
    if problem.loss == "ce":
        m = R.max(axis=0)
        lse = m + np.log(np.exp(R - m).sum(axis=0))
        g = float(np.mean(lse - R[labels, np.arange(N)]))
    else:
        Y = np.zeros_like(R)
        Y[labels, np.arange(N)] = 1.0
        g = float(np.sum((R - Y) ** 2)) / (2 * N)
    return g + 0.5 * (lw * float(np.sum(W * W)) + lh * float(np.sum(H * H))
                      + lb * float(np.sum(b * b)))


def _torch_derivatives(problem: Problem, point: Point, direction: Point) -> tuple[Point, Point]:
    import torch

    lw, lh, lb = problem.float_lambdas()
    N = problem.N
    W, H, b = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in point)
    R = W @ H + b[:, None]
    cols = torch.arange(N)
    labels = cols // problem.n
    if problem.loss == "ce":
        g = torch.mean(torch.logsumexp(R, dim=0) - R[labels, cols])
    else:
        Y = torch.zeros_like(R)
        Y[labels, cols] = 1.0
        g = torch.sum((R - Y) ** 2) / (2 * N)
    f = g + 0.5 * (lw * torch.sum(W * W) + lh * torch.sum(H * H) + lb * torch.sum(b * b))
    grads = torch.autograd.grad(f, (W, H, b), create_graph=True)
    dirs = [torch.tensor(a, dtype=torch.float64) for a in direction]
    inner = sum(torch.sum(gi * di) for gi, di in zip(grads, dirs, strict=True))
    hvp = torch.autograd.grad(inner, (W, H, b))
    return (tuple(gi.detach().numpy() for gi in grads),  # type: ignore[return-value]
            tuple(hi.detach().numpy() for hi in hvp))


@cache
def _weights(derivative: int) -> tuple[tuple[int, float], ...]:
    """Central stencil ``(offset, weight)`` pairs of accuracy order :data:`FD_ORDER` for
    the ``derivative``-th derivative, from ``sympy.finite_diff_weights``."""
    import sympy as sp

    m = FD_ORDER // 2
    offsets = list(range(-m, m + 1))
    w = sp.finite_diff_weights(derivative, offsets, 0)[derivative][-1]
    return tuple((k, float(c)) for k, c in zip(offsets, w, strict=True) if c != 0)


def _flat(point: Point) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in point])


def _unflat(problem: Problem, v: np.ndarray) -> Point:
    K, d, N = problem.K, problem.d, problem.N
    return (v[:K * d].reshape(K, d), v[K * d:K * d + d * N].reshape(d, N), v[K * d + d * N:])


def _fd_derivatives(problem: Problem, point: Point, direction: Point) -> tuple[Point, Point]:
    x = _flat(point)
    P = x.size

    def f(v: np.ndarray) -> float:
        return objective_numpy(problem, *_unflat(problem, v))

    f0 = f(x)
    w1, w2 = _weights(1), _weights(2)

    def second(v: np.ndarray) -> float:
        h = STEPS["second"] / max(1.0, float(np.linalg.norm(v)))
        return sum(c * (f0 if k == 0 else f(x + (k * h) * v)) for k, c in w2) / h ** 2

    grad = np.empty(P)
    h1 = STEPS["gradient"]
    for i in range(P):
        e = np.zeros(P)
        e[i] = h1
        grad[i] = sum(c * f(x + k * e) for k, c in w1) / h1
    dvec = _flat(direction)
    norm = float(np.linalg.norm(dvec))
    hvp = np.zeros(P)
    if norm > 0:
        dhat = dvec / norm
        for i in range(P):
            e = np.zeros(P)
            e[i] = 1.0
            hvp[i] = (second(e + dhat) - second(e - dhat)) * norm / 4
    return _unflat(problem, grad), _unflat(problem, hvp)


def independent_derivatives(problem: Problem, point: Sequence[Any], direction: Sequence[Any],
                            backend: str = "auto") -> tuple[Point, Point, str]:
    """``(gradient, Hessian-vector product along direction, method)`` by PyTorch
    autograd (``"torch"``), or by central differences of the objective
    (``"central-differences"``; ``"auto"``: torch when installed).  Arrays are NumPy
    float64 shaped as ``(W, H, b)`` with ``b`` of shape ``(K,)``; ``method`` says how
    they were computed (and with which steps).

    >>> import numpy as np
    >>> from ufm_sym import Problem
    >>> p = Problem("mse", K=2, n=1, lambda_W="0.5", lambda_H="0.5", lambda_b=0)
    >>> x = (np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(2))
    >>> g, hv, how = independent_derivatives(p, x, x, backend="central-differences")
    >>> [round(float(v), 12) for v in g[2]], how.split(",")[0]
    ([-0.5, -0.5], 'central differences of order 8')
    """
    method = _resolve(backend)
    x = _as_numpy_point(problem, point, "point")
    d = _as_numpy_point(problem, direction, "direction")
    if method == "torch":
        g, hv = _torch_derivatives(problem, x, d)
        return g, hv, ("PyTorch autograd of f written in torch (float64): gradient by "
                       "backward, Hessian-vector product by double backward")
    g, hv = _fd_derivatives(problem, x, d)
    return g, hv, (f"central differences of order {FD_ORDER}, float64: gradient with step "
                   f"{STEPS['gradient']:g} per coordinate, Hessian-vector product by "
                   f"polarisation of second differences with step {STEPS['second']:g}/||v||")


@dataclass(frozen=True)
class AutodiffComparison:
    """The derived forms against an independent derivative at one point.

    Errors are ``max |derived - independent| / max(1, max |independent|)``; ``form``
    compares the derived quadratic form ``hess f[D, D]`` with ``<D, hvp>``.
    """

    method: str
    backend: str
    tolerance: float
    gradient_error: float
    hvp_error: float
    form_error: float

    @property
    def worst(self) -> float:
        return max(self.gradient_error, self.hvp_error, self.form_error)

    @property
    def worst_part(self) -> str:
        parts = {"gradient": self.gradient_error, "Hessian-vector product": self.hvp_error,
                 "Hessian form": self.form_error}
        return max(parts, key=parts.__getitem__)

    @property
    def passed(self) -> bool:
        return bool(self.worst <= self.tolerance)


def compare_with_derived(problem: Problem, point: Sequence[Any], direction: Sequence[Any],
                         backend: str = "auto", derivation: Any = None,
                         tolerance: float | None = None) -> AutodiffComparison:
    """Compare the derived gradient, Hessian-vector product and Hessian form
    (:mod:`ufm_sym.numeric.derived`, NumPy float64, from ``derivation``) with
    :func:`independent_derivatives`; ``tolerance`` defaults to :data:`TOLERANCES`."""
    from ufm_sym.numeric.derived import DerivedAt, relative_difference

    method = _resolve(backend)
    x = _as_numpy_point(problem, point, "point")
    d = _as_numpy_point(problem, direction, "direction")
    g_ind, hv_ind, how = independent_derivatives(problem, x, d, method)
    at = DerivedAt(problem, x, backend="numpy", derivation=derivation)
    form_ind = sum(float(np.sum(a * c)) for a, c in zip(hv_ind, d, strict=True))
    return AutodiffComparison(
        method=how, backend=method,
        tolerance=TOLERANCES[method] if tolerance is None else float(tolerance),
        gradient_error=relative_difference(at.gradient(), g_ind),
        hvp_error=relative_difference(at.hessian_vector_product(d), hv_ind),
        form_error=relative_difference(at.hessian_form(d), form_ind),
    )
