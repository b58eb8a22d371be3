"""Check a user's identity or inequality in the paper's symbols, numerically and
symbolically: the engine of ``ufm-sym check``.

One module per job: :mod:`.parse` (the safe parser and the shapes), :mod:`.evaluate`
(mpmath at a point), :mod:`.prove` (the symbolic proof), :mod:`.report` (the outcome)
and :mod:`.run` (settings, points, :func:`check_identity`).


An *expression* is an identity ``lhs == rhs``, an inequality ``lhs <= rhs`` (also
``<``, ``>=``, ``>``; both sides scalars) or a single expression (checked against zero),
written in the paper's symbols:

- matrices ``W`` (K x d), ``H`` (d x N), ``b`` (K x 1), ``Y``, ``R = W H + b 1_N^T``,
  ``G = grad g(R)`` (K x N), ``ones_K`` (K x 1), ``ones_N`` (N x 1); vectors are
  columns, so ``G@ones_N + lambda_b*b`` is K x 1;
- scalars ``lambda_W``, ``lambda_H``, ``lambda_b``, ``N``, ``n``, ``K``, ``d``;
- ``.T``, ``@`` (matrix product), ``*`` (a scalar times anything), ``+``, ``-``,
  ``/`` by a scalar, ``**`` between scalars, numbers, and the functions
  ``trace(M)``, ``norm(M)`` (Frobenius), ``norm(M, 2)`` (spectral), ``sigma_max(M)``,
  ``sigma_min(M)`` (the smallest of the ``min(rows, cols)`` singular values),
  ``eigmin(M)``, ``eigmax(M)`` (of a symmetric matrix), ``sqrt(x)``, ``rank(M)``.

A 1 x 1 matrix counts as a scalar where a scalar is needed; a matrix may be compared
with the literal ``0`` (``ones_K.T@G == 0``).  Shapes are checked before anything
is evaluated, with ``d`` and ``N`` sizes of their own (``W @ W`` is refused even where
``d = K``, ``G @ W`` even where ``N = K``).

The text is parsed with :mod:`ast` and only the node types above are accepted:
attributes other than ``.T``, calls to other names, subscripts, lambdas,
comprehensions, strings, chained or other comparisons than one top-level relation, and every
other construct are refused with :class:`~ufm_sym.model.UFMInputError` naming the
offending piece.  Nothing is ever passed to ``eval``.

**Numerically** (:func:`check_identity`), the expression is evaluated with mpmath at
``dps`` digits at sampled points of the requested kind (critical points of every kind
from :func:`~ufm_sym.highprec.families.critical_points`, global minimizers only,
non-global critical points, or random points) over several settings.  The residual
at a point is ``||lhs - rhs||_F`` (or ``||expr||_F``) divided by the scale
``max(1, largest top-level term)``, where the top-level terms are the summands of
each side (so ``lambda_W*W.T@W - lambda_H*H@H.T == 0`` is relative to its two
terms); the identity holds at the point when that relative residual is at most
``10^-(dps - 10)``; ``rank`` counts singular values above
``10^-(dps/2) * max(1, largest)``.  An inequality ``lhs <= rhs`` is judged by its
excess ``(lhs - rhs) / scale``: it holds when the excess is at most the tolerance; a
strict ``lhs < rhs`` needs the excess below minus the tolerance (the margin on the safe
side).  At the user's own point (``point=``, ``--point``) the tolerance is the margin
:func:`ufm_sym.classify` uses there.

**Symbolically** (:func:`prove_symbolically`), the expression is translated into
SymPy ``MatrixSymbol`` algebra with the symbols of
:func:`~ufm_sym.symbolic.index_free.derive_index_free` (plus ``ones_K``), and
``lhs - rhs`` is tested (normal form of :mod:`~ufm_sym.symbolic.normal_form`) for
being identically zero, or a combination ``sum_k c_k L_k X_k R_k`` of the *derived*
gradient components ``X = grad_W, grad_H, grad_b`` (and their transposes; for CE also
``1_K^T G``, zero by (3.6)), with multipliers ``L_k, R_k`` from
``{I, W, W.T, H, H.T, b, b.T, ones_K, ones_K.T, ones_N, ones_N.T}`` and scalar
coefficients ``c_k`` found by solving a linear system; a scalar (trace) identity is
tested the same way with ``tr(L X R)``.  A combination proves that the identity
holds at every critical point.

>>> e = parse_expression("lambda_W*W.T@W == lambda_H*H@H.T")
>>> e.is_equation, e.lhs_shape, e.rhs_shape
(True, ('d', 'd'), ('d', 'd'))
>>> prove_symbolically(e, "ce").combination
'W.T*grad_W - grad_H*H.T'
>>> parse_expression("W.__class__")
Traceback (most recent call last):
...
ufm_sym.model.UFMInputError: EXPR: attribute '.__class__' in 'W.__class__' is not allowed (only .T)
"""

from ufm_sym.check.evaluate import environment, evaluate_residual, tolerance
from ufm_sym.check.parse import (
    AT_CHOICES,
    FUNCTIONS,
    MATRIX_SHAPES,
    SCALAR_NAMES,
    ParsedExpr,
    parse_expression,
)
from ufm_sym.check.prove import SymbolicProof, prove_symbolically
from ufm_sym.check.report import CheckReport, PointResidual
from ufm_sym.check.run import check_identity, check_settings

__all__ = [
    "AT_CHOICES",
    "FUNCTIONS",
    "MATRIX_SHAPES",
    "SCALAR_NAMES",
    "CheckReport",
    "ParsedExpr",
    "PointResidual",
    "SymbolicProof",
    "check_identity",
    "check_settings",
    "environment",
    "evaluate_residual",
    "parse_expression",
    "prove_symbolically",
    "tolerance",
]
