"""Symbolic derivations with SymPy: index-free (``MatrixSymbol``, any size) and explicit
(entry symbols, small sizes), cross-checked exactly against each other.

* :mod:`.index_free` -- :func:`derive_index_free`: gradient (3.2)-(3.3) and Hessian
  form (3.9) of ``f = g(W H + b 1^T) + penalties`` with ``g`` abstract;
* :mod:`.explicit` -- :func:`explicit_model`, :func:`explicit_loss`: the real CE / MSE
  losses, ``sympy.diff`` and ``sympy.hessian``;
* :mod:`.cross_check` -- :func:`cross_check`: the two routes agree exactly;
* :mod:`.evaluate` -- :func:`evaluate_matrix_expr`: the derived expressions at numeric
  points (NumPy, mpmath) or explicit SymPy matrices;
* :mod:`.latex` -- :func:`paper_latex`: LaTeX in the paper's notation;
* :mod:`.normal_form`, :mod:`.expressions`, :mod:`.symbols` -- the machinery.

>>> from ufm_sym.symbolic import derive_index_free, paper_latex
>>> print(paper_latex(derive_index_free().grad_H))
\\lambda_H \\mathbf{H} + \\mathbf{W}^\\top \\nabla g(\\mathbf{R})
"""

from .cross_check import CheckResult, ZeroTester, cross_check, cross_check_all
from .evaluate import (
    BACKENDS,
    EvaluationError,
    UnsupportedExpressionError,
    evaluate_matrix_expr,
    lambdify_gradients,
    lambdify_hessian_form,
)
from .explicit import ExplicitLoss, ExplicitModel, explicit_loss, explicit_model
from .expressions import FrobeniusNorm, HessianG, LossG, frobenius_norm, inner
from .index_free import (
    PAPER_PENALTY_WEIGHTS,
    IndexFreeDerivation,
    derive_index_free,
    index_free_symbols,
)
from .latex import PaperLatexPrinter, paper_latex
from .normal_form import (
    canonical_trace_word,
    gradient_from_trace_terms,
    matrix_equal,
    matrix_terms,
    trace_equal,
    trace_terms,
)

__all__ = [
    "BACKENDS",
    "CheckResult",
    "EvaluationError",
    "ExplicitLoss",
    "ExplicitModel",
    "FrobeniusNorm",
    "HessianG",
    "IndexFreeDerivation",
    "LossG",
    "PAPER_PENALTY_WEIGHTS",
    "PaperLatexPrinter",
    "UnsupportedExpressionError",
    "ZeroTester",
    "canonical_trace_word",
    "cross_check",
    "cross_check_all",
    "derive_index_free",
    "evaluate_matrix_expr",
    "explicit_loss",
    "explicit_model",
    "frobenius_norm",
    "gradient_from_trace_terms",
    "index_free_symbols",
    "inner",
    "lambdify_gradients",
    "lambdify_hessian_form",
    "matrix_equal",
    "matrix_terms",
    "paper_latex",
    "trace_equal",
    "trace_terms",
]
