r"""Matrix functionals the paper's statements use and SymPy lacks as printable,
evaluable nodes: the rank, the spectral and nuclear norms, singular values and the
smallest eigenvalue of a symmetric matrix.

Each is a scalar ``sympy.Expr`` over one matrix expression.  :mod:`.latex` prints them
in the paper's notation and :func:`ufm_sym.symbolic.evaluate.evaluate_matrix_expr`
evaluates them (float64 with NumPy, or mpmath at the working precision), so a claim
whose statement is ``rank(W) <= K - 1`` or ``||G||_2 <= sqrt(lambda_W lambda_H)`` is
checked by evaluating that very object.

>>> import sympy as sp
>>> W = sp.MatrixSymbol("W", 3, 3)
>>> from ufm_sym.symbolic.latex import paper_latex
>>> paper_latex(Rank(W) <= 2)
'\\operatorname{rank}\\left(\\mathbf{W}\\right) \\leq 2'
>>> paper_latex(SpectralNorm(W)), paper_latex(NuclearNorm(W))
('\\left\\|\\mathbf{W}\\right\\|_2', '\\left\\|\\mathbf{W}\\right\\|_*')
>>> from ufm_sym.symbolic.evaluate import evaluate_matrix_expr
>>> evaluate_matrix_expr(Rank(W), {"W": [[1, 0, 0], [0, 2, 0], [0, 0, 0]]})
2
>>> evaluate_matrix_expr(NuclearNorm(W) - 3, {"W": [[1, 0, 0], [0, 2, 0], [0, 0, 0]]})
0.0
"""

from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = [
    "LambdaMin",
    "MatrixFunctional",
    "NuclearNorm",
    "NullSpaceProjector",
    "Rank",
    "SingularValue",
    "SpectralNorm",
    "rank_tolerance",
]


def _matrix_arg(x: Any, who: str) -> sp.Basic:
    x = sp.sympify(x)
    if not getattr(x, "is_Matrix", False):
        raise TypeError(f"{who}: expected a matrix expression, got {x!r}")
    return x


class MatrixFunctional(sp.Expr):
    """A real number computed from one matrix expression (the first argument)."""

    is_commutative = True
    is_real = True
    #: LaTeX around the printed matrix: ``template.format(matrix)``
    template = "{}"

    def __new__(cls, A: Any, *rest: Any) -> MatrixFunctional:
        return sp.Expr.__new__(cls, _matrix_arg(A, cls.__name__), *map(sp.sympify, rest))

    @property
    def argument(self) -> sp.Basic:
        """The matrix the functional is applied to."""
        return self.args[0]

    def _paper_latex(self, printer: Any) -> str:
        return self.template.format(printer._print(self.args[0]))


class Rank(MatrixFunctional):
    r"""``rank A``, numerically: the number of singular values above a stated relative
    threshold (:func:`rank_tolerance`)."""

    is_integer = True
    is_nonnegative = True
    template = r"\operatorname{{rank}}\left({}\right)"


class SpectralNorm(MatrixFunctional):
    r"""``||A||_2``, the largest singular value."""

    is_nonnegative = True
    template = r"\left\|{}\right\|_2"


class NuclearNorm(MatrixFunctional):
    r"""``||A||_*``, the sum of the singular values."""

    is_nonnegative = True
    template = r"\left\|{}\right\|_*"


class LambdaMin(MatrixFunctional):
    r"""``lambda_min(A)``, the smallest eigenvalue of a symmetric matrix."""

    template = r"\lambda_{{\min}}\left({}\right)"


class SingularValue(MatrixFunctional):
    r"""``sigma_i(A)``, the ``i``-th largest singular value (``i = 1, 2, ...``)."""

    is_nonnegative = True

    def __new__(cls, A: Any, i: Any) -> SingularValue:
        return MatrixFunctional.__new__(cls, A, i)

    @property
    def index(self) -> sp.Basic:
        return self.args[1]

    def _paper_latex(self, printer: Any) -> str:
        return (r"\sigma_{" + printer._print(self.args[1]) + r"}\left("
                + printer._print(self.args[0]) + r"\right)")


class NullSpaceProjector(sp.MatrixExpr):
    r"""``P_ker(A)``, the orthogonal projector onto the null space of ``A`` (``q x q`` for
    a ``p x q`` matrix ``A``).  ``ker A = ker B`` is written
    ``Eq(NullSpaceProjector(A), NullSpaceProjector(B))``; numerically the null space is
    spanned by the right singular vectors whose singular values are at or below the
    threshold of :func:`rank_tolerance` (the one :class:`Rank` uses).

    >>> import sympy as sp
    >>> from ufm_sym.symbolic.latex import paper_latex
    >>> W = sp.MatrixSymbol("W", 3, 2)
    >>> NullSpaceProjector(W).shape
    (2, 2)
    >>> paper_latex(NullSpaceProjector(W))
    '\\mathbf{P}_{\\ker \\mathbf{W}}'
    """

    def __new__(cls, A: Any) -> NullSpaceProjector:
        return sp.Basic.__new__(cls, _matrix_arg(A, cls.__name__))

    @property
    def argument(self) -> sp.Basic:
        return self.args[0]

    @property
    def shape(self) -> tuple[Any, Any]:
        q = self.args[0].shape[1]
        return (q, q)

    def _paper_latex(self, printer: Any) -> str:
        return r"\mathbf{P}_{\ker " + printer._print(self.args[0]) + "}"


def rank_tolerance(backend: str, dps: int | None = None) -> float | Any:
    """The relative threshold below which a singular value counts as zero for
    :class:`Rank`: ``1e-8`` in float64, ``10^-(dps/2)`` with mpmath (half the digits:
    the ranks are decided at refined critical points, whose zero singular values sit far
    below it and whose nonzero ones far above).

    >>> rank_tolerance("numpy")
    1e-08
    """
    if backend == "numpy":
        return 1e-8
    import mpmath

    digits = mpmath.mp.dps if dps is None else dps
    return mpmath.mpf(10) ** -(digits // 2)
