"""The explicit route: the real losses on matrices of scalar symbols, for small sizes.

For concrete ``K``, ``n`` (and ``d``, ``K`` by default) the entries of ``W``, ``H`` and
``b`` are real SymPy symbols and the objective is written out entry by entry:

* cross-entropy (1.1)/(1.3): ``g = (1/N) sum_j [log(sum_l exp(r_lj)) - r_{y_j j}]``,
  i.e. ``-log softmax``;
* MSE (1.2)/(1.4): ``g = 1/(2N) ||R - Y||_F^2``;

plus ``lambda/2`` times each squared norm.  Gradients come from ``sympy.diff`` and the
Hessian from ``sympy.hessian``: nothing of the index-free calculus is used, so the two
routes are independent and :mod:`.cross_check` compares them.

:class:`ExplicitLoss` holds the data term alone, as a function of independent entry
symbols ``r_lj`` of ``R``: its derived gradient and Hessian, and the closed forms they
are claimed to equal (``(softmax(R) - Y)/N`` and the ``diag(p) - p p^T`` form for CE,
``(R - Y)/N`` and ``||D||_F^2/N`` for MSE).

>>> m = explicit_model("mse", K=2, n=1)
>>> m.W
Matrix([
[w_11, w_12],
[w_21, w_22]])
>>> m.grad_b.shape, m.hessian.shape, len(m.variables)
((2, 1), (10, 10), 10)
>>> ell = explicit_loss("ce", K=2, n=1)
>>> ell.grad[0, 0]
-1/2 + exp(r_11)/(2*(exp(r_11) + exp(r_21)))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property

import sympy as sp

from ..model import LOSSES, UFMInputError
from . import symbols as S

__all__ = ["ExplicitLoss", "ExplicitModel", "explicit_loss", "explicit_model",
           "symbol_matrix", "vec"]


def _name(stem: str, i: int, j: int | None, wide: bool) -> str:
    if j is None:
        return f"{stem}_{i + 1}"
    return f"{stem}_{i + 1}_{j + 1}" if wide else f"{stem}_{i + 1}{j + 1}"


def symbol_matrix(stem: str, rows: int, cols: int, **assumptions: bool) -> sp.ImmutableMatrix:
    """A ``rows x cols`` matrix of scalar symbols ``stem_ij`` (1-based; a column
    vector ``stem_i`` when ``cols == 1``; ``stem_i_j`` once an index exceeds 9).

    >>> symbol_matrix("h", 2, 3)
    Matrix([
    [h_11, h_12, h_13],
    [h_21, h_22, h_23]])
    >>> symbol_matrix("b", 2, 1).T
    Matrix([[b_1, b_2]])
    """
    assumptions = assumptions or {"real": True}
    wide = max(rows, cols) > 9
    return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Symbol(
        _name(stem, i, None if cols == 1 else j, wide), **assumptions))


def vec(M: sp.MatrixBase) -> list[sp.Expr]:
    """The entries of ``M`` in row-major order (the variable order used throughout)."""
    return list(M)


def _check_sizes(loss: str, K: int, n: int, d: int | None) -> tuple[str, int, int, int]:
    if loss not in LOSSES:
        raise UFMInputError(f"loss: unknown loss {loss!r} (expected one of: {', '.join(LOSSES)})")
    for name, value, least in (("K", K, 2), ("n", n, 1), ("d", K if d is None else d, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise UFMInputError(f"{name}: {value!r} must be an integer >= {least}")
    return loss, K, n, K if d is None else d


def _labels(K: int, n: int) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(K, n * K, lambda i, j: 1 if j // n == i else 0)


def _data_term(loss: str, R: sp.MatrixBase, Y: sp.MatrixBase, n: int) -> sp.Expr:
    """``g(R)``: the mean CE loss (1.1) over the columns, or ``||R - Y||_F^2 / (2N)``."""
    K, N = R.shape
    if loss == "ce":
        total = sp.Add(*[sp.log(sp.Add(*[sp.exp(R[l, j]) for l in range(K)])) - R[j // n, j]
                         for j in range(N)])
        return total / N
    return sp.Add(*[(R[i, j] - Y[i, j]) ** 2 for i in range(K) for j in range(N)]) / (2 * N)


@dataclass(frozen=True, eq=False)
class ExplicitLoss:
    """The data term ``g`` of (3.1) on a ``K x N`` matrix of entry symbols ``r``."""

    loss: str
    K: int
    n: int
    r: sp.ImmutableMatrix = field(repr=False)
    Y: sp.ImmutableMatrix = field(repr=False)
    g: sp.Expr = field(repr=False)

    @property
    def N(self) -> int:
        return self.n * self.K

    @cached_property
    def grad(self) -> sp.ImmutableMatrix:
        """``nabla g(R)`` entry by entry, by ``sympy.diff`` of :attr:`g`."""
        return sp.ImmutableMatrix(self.K, self.N, lambda i, j: sp.diff(self.g, self.r[i, j]))

    @cached_property
    def hessian(self) -> sp.ImmutableMatrix:
        """``nabla^2 g(R)`` by ``sympy.hessian`` w.r.t. ``vec(r)`` (row-major)."""
        return sp.ImmutableMatrix(sp.hessian(self.g, vec(self.r)))

    def hessian_form(self, A: sp.MatrixBase, B: sp.MatrixBase | None = None) -> sp.Expr:
        """``vec(A)^T nabla^2 g vec(B)`` with the derived Hessian (``B = A`` if omitted)."""
        a = vec(A)
        bb = a if B is None else vec(B)
        Hs = self.hessian
        return sp.Add(*[Hs[i, j] * a[i] * bb[j] for i in range(len(a)) for j in range(len(bb))
                        if Hs[i, j] != 0])

    @cached_property
    def softmax(self) -> sp.ImmutableMatrix:
        """Column-wise ``softmax(R)``, ``p_lj = exp(r_lj) / sum_m exp(r_mj)``."""
        return sp.ImmutableMatrix(self.K, self.N, lambda i, j: sp.exp(self.r[i, j]) / sp.Add(
            *[sp.exp(self.r[m, j]) for m in range(self.K)]))

    @cached_property
    def closed_form_grad(self) -> sp.ImmutableMatrix:
        """The claimed gradient: ``(softmax(R) - Y)/N`` (CE) or ``(R - Y)/N`` (MSE)."""
        base = self.softmax if self.loss == "ce" else self.r
        return (base - self.Y) / self.N

    def closed_form_hessian_form(self, D: sp.MatrixBase) -> sp.Expr:
        """The claimed ``nabla^2 g[D, D]``: ``(1/N) sum_cols (d^T diag(p) d - (p^T d)^2)``
        for CE, ``||D||_F^2 / N`` for MSE."""
        if self.loss == "mse":
            return sp.Add(*[x**2 for x in D]) / self.N
        P = self.softmax
        total = sp.S.Zero
        for j in range(self.N):
            col = [D[i, j] for i in range(self.K)]
            p = [P[i, j] for i in range(self.K)]
            total += sp.Add(*[p[i] * col[i] ** 2 for i in range(self.K)])
            total -= sp.Add(*[p[i] * col[i] for i in range(self.K)]) ** 2
        return total / self.N


def explicit_loss(loss: str, K: int, n: int) -> ExplicitLoss:
    """The explicit data term for ``K`` classes, ``n`` samples per class (cached)."""
    return _explicit_loss(*_check_sizes(loss, K, n, None)[:3])


@cache
def _explicit_loss(loss: str, K: int, n: int) -> ExplicitLoss:
    r = symbol_matrix("r", K, n * K)
    Y = _labels(K, n)
    return ExplicitLoss(loss=loss, K=K, n=n, r=r, Y=Y, g=_data_term(loss, r, Y, n))


@dataclass(frozen=True, eq=False)
class ExplicitModel:
    """The objective (1.3)/(1.4) written out in the entries of ``W``, ``H``, ``b``."""

    loss: str
    K: int
    n: int
    d: int
    W: sp.ImmutableMatrix = field(repr=False)
    H: sp.ImmutableMatrix = field(repr=False)
    b: sp.ImmutableMatrix = field(repr=False)
    objective: sp.Expr = field(repr=False)

    @property
    def N(self) -> int:
        return self.n * self.K

    @property
    def lambdas(self) -> tuple[sp.Symbol, sp.Symbol, sp.Symbol]:
        return S.LAMBDAS

    @property
    def Y(self) -> sp.ImmutableMatrix:
        return _labels(self.K, self.n)

    @property
    def ones_N(self) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(sp.ones(self.N, 1))

    @cached_property
    def R(self) -> sp.ImmutableMatrix:
        """``W H + b 1_N^T``, entry by entry."""
        return sp.ImmutableMatrix(self.W * self.H + self.b * self.ones_N.T)

    @property
    def variables(self) -> list[sp.Symbol]:
        """``vec(W) + vec(H) + vec(b)``, each row-major: the order of :attr:`hessian`."""
        return vec(self.W) + vec(self.H) + vec(self.b)

    def _grad(self, M: sp.MatrixBase) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(M.rows, M.cols,
                                  lambda i, j: sp.diff(self.objective, M[i, j]))

    @cached_property
    def grad_W(self) -> sp.ImmutableMatrix:
        """``df/dW`` by ``sympy.diff``."""
        return self._grad(self.W)

    @cached_property
    def grad_H(self) -> sp.ImmutableMatrix:
        """``df/dH`` by ``sympy.diff``."""
        return self._grad(self.H)

    @cached_property
    def grad_b(self) -> sp.ImmutableMatrix:
        """``df/db`` by ``sympy.diff`` (a column)."""
        return self._grad(self.b)

    @cached_property
    def hessian(self) -> sp.ImmutableMatrix:
        """``sympy.hessian`` of the objective w.r.t. :attr:`variables`."""
        return sp.ImmutableMatrix(sp.hessian(self.objective, self.variables))

    @cached_property
    def data_term(self) -> ExplicitLoss:
        """The data term alone, on independent entry symbols ``r``."""
        return explicit_loss(self.loss, self.K, self.n)

    def at_R(self, expr: sp.Basic) -> sp.Basic:
        """Substitute ``r_lj -> R_lj(W, H, b)`` in an expression of :attr:`data_term`."""
        rmap = dict(zip(vec(self.data_term.r), vec(self.R), strict=True))
        return expr.xreplace(rmap)

    def directions(self) -> tuple[sp.ImmutableMatrix, sp.ImmutableMatrix, sp.ImmutableMatrix]:
        """Direction matrices of symbols ``(dW_ij, dH_ij, db_i)``, shaped as ``W, H, b``."""
        return (symbol_matrix("dW", self.K, self.d), symbol_matrix("dH", self.d, self.N),
                symbol_matrix("db", self.K, 1))


def explicit_model(loss: str, K: int, n: int, d: int | None = None) -> ExplicitModel:
    """The explicit objective for the given loss and sizes (cached).

    >>> explicit_model("ce", K=2, n=1).objective.has(sp.log)
    True
    >>> explicit_model("hinge", K=2, n=1)
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: loss: unknown loss 'hinge' (expected one of: ce, mse)
    """
    return _explicit_model(*_check_sizes(loss, K, n, d))


@cache
def _explicit_model(loss: str, K: int, n: int, d: int) -> ExplicitModel:
    N = n * K
    W, H, b = symbol_matrix("w", K, d), symbol_matrix("h", d, N), symbol_matrix("b", K, 1)
    R = W * H + b * sp.ones(1, N)
    lw, lh, lb = S.LAMBDAS
    penalty = (lw / 2 * sp.Add(*[x**2 for x in W]) + lh / 2 * sp.Add(*[x**2 for x in H])
               + lb / 2 * sp.Add(*[x**2 for x in b]))
    objective = _data_term(loss, R, _labels(K, n), n) + penalty
    return ExplicitModel(loss=loss, K=K, n=n, d=d, W=W, H=H, b=b, objective=objective)
