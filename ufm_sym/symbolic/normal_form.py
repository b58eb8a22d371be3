"""A normal form for index-free matrix expressions: non-commutative polynomials.

A matrix expression built from ``MatrixSymbol``s, their transposes, sums, products
and scalar coefficients is expanded into a dictionary ``{word: coefficient}``: a *word*
is a tuple of *atoms* ``(base, transposed)`` (the factors of one product, in order), the
coefficient a commutative SymPy expression.  Transposes are pushed down to the atoms.

Traces of such expressions are brought to a canonical word by the cyclic rule
``tr(AB) = tr(BA)`` and by ``tr(A) = tr(A^T)``, so that equal traces compare equal.
This is what the index-free derivation (:mod:`.index_free`) uses to expand
``f(W + t D_W, ...)`` in ``t`` and to read gradients off the first variation, without
SymPy's matrix derivatives (which have silent-zero bugs on sums of traces).

>>> import sympy as sp
>>> A = sp.MatrixSymbol("A", 3, 3); B = sp.MatrixSymbol("B", 3, 3); x = sp.Symbol("x")
>>> terms = matrix_terms((A + x*B).T * A)
>>> sorted((word_str(w), c) for w, c in terms.items())
[('A.T*A', 1), ('B.T*A', x)]
>>> trace_equal(sp.Trace(A*B.T), sp.Trace(B*A.T))   # tr(A B^T) = tr((A B^T)^T)
True
>>> matrix_equal(((A + B)*(A - B)).T, A.T*A.T + A.T*B.T - B.T*A.T - B.T*B.T)
True
>>> matrix_equal(((A + B)*(A - B)).T, A.T*A.T - A.T*B.T + B.T*A.T - B.T*B.T)
False
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from functools import reduce

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

__all__ = [
    "Atom",
    "Word",
    "Terms",
    "matrix_terms",
    "terms_to_matrix",
    "transpose_word",
    "word_to_matrix",
    "word_str",
    "canonical_trace_word",
    "trace_terms",
    "trace_terms_to_expr",
    "matrix_equal",
    "trace_equal",
    "gradient_from_trace_terms",
    "split_by_degree",
]

Atom = tuple[sp.Basic, bool]
"""One factor of a product: ``(base, transposed)``; base a MatrixSymbol, Identity or
OneMatrix."""
Word = tuple[Atom, ...]
Terms = dict[Word, sp.Expr]

# display priority of names when a trace is rotated into its canonical orientation
_PRIORITY = {"G": 0, "W": 1, "H": 2, "b": 3, "Y": 4, "R": 5, "ones_N": 6, "ones_K": 7,
             "D_W": 8, "D_H": 9, "D_b": 10}


def _atom(base: sp.Basic, transposed: bool) -> Atom:
    if isinstance(base, sp.Identity):
        return (base, False)
    if isinstance(base, sp.OneMatrix) and transposed:
        return (sp.OneMatrix(base.shape[1], base.shape[0]), False)
    return (base, transposed)


def _transpose_atom(a: Atom) -> Atom:
    return _atom(a[0], not a[1])


def transpose_word(word: Word) -> Word:
    """The word of the transposed product: reversed, each atom transposed."""
    return tuple(_transpose_atom(a) for a in reversed(word))


def _clean(word: Word) -> Word:
    """Drop identity factors from products of two or more factors."""
    if len(word) > 1:
        kept = tuple(a for a in word if not isinstance(a[0], sp.Identity))
        return kept if kept else word[:1]
    return word


def _add_into(acc: Terms, word: Word, coeff: sp.Expr) -> None:
    acc[word] = acc.get(word, sp.S.Zero) + coeff


def _prune(terms: Terms) -> Terms:
    out: Terms = {}
    for w, c in terms.items():
        c = sp.expand(c)
        if c != 0:
            out[w] = c
    return out


def matrix_terms(expr: sp.Basic) -> Terms:
    """Expand a matrix expression into ``{word: coefficient}``.

    Supported nodes: ``MatrixSymbol``, ``Identity``, ``OneMatrix``, ``ZeroMatrix``,
    ``Transpose``, ``MatAdd``, ``MatMul`` (with scalar coefficients), ``MatPow`` with
    a positive integer exponent.  Anything else raises ``TypeError``.

    >>> import sympy as sp
    >>> A = sp.MatrixSymbol("A", 2, 2)
    >>> sorted((word_str(w), c) for w, c in matrix_terms(2*(A + A.T).T).items())
    [('A', 2), ('A.T', 2)]
    >>> sorted((word_str(w), c) for w, c in matrix_terms((A + A.T)**2).items())
    [('A*A', 1), ('A*A.T', 1), ('A.T*A', 1), ('A.T*A.T', 1)]
    """
    return _prune(_matrix_terms(sp.sympify(expr)))


def _matrix_terms(expr: sp.Basic) -> Terms:
    if isinstance(expr, sp.ZeroMatrix):
        return {}
    if isinstance(expr, (sp.MatrixSymbol, sp.Identity, sp.OneMatrix)):
        return {(_atom(expr, False),): sp.S.One}
    if isinstance(expr, sp.Transpose):
        return {transpose_word(w): c for w, c in _matrix_terms(expr.arg).items()}
    if isinstance(expr, sp.MatAdd):
        acc: Terms = {}
        for arg in expr.args:
            for w, c in _matrix_terms(arg).items():
                _add_into(acc, w, c)
        return acc
    if isinstance(expr, sp.MatPow):
        base, exp = expr.args
        if not (exp.is_Integer and exp >= 1):
            raise TypeError(f"matrix_terms: unsupported power {expr} (need a positive "
                            "integer exponent)")
        return _matrix_terms(sp.MatMul(*([base] * int(exp))))
    if isinstance(expr, sp.MatMul):
        scalar = sp.S.One
        acc = {(): sp.S.One}
        for arg in expr.args:
            if not getattr(arg, "is_Matrix", False):
                scalar *= arg
                continue
            right = _matrix_terms(arg)
            new: Terms = {}
            for w1, c1 in acc.items():
                for w2, c2 in right.items():
                    _add_into(new, _clean(w1 + w2), c1 * c2)
            acc = new
        return {w: scalar * c for w, c in acc.items()}
    raise TypeError(f"matrix_terms: unsupported matrix node {type(expr).__name__}: {expr}")


def _atom_matrix(a: Atom) -> sp.Basic:
    return a[0].T if a[1] else a[0]


def word_to_matrix(word: Word) -> sp.Basic:
    """The product of a word's factors as a SymPy matrix expression."""
    mats = [_atom_matrix(a) for a in word]
    return mats[0] if len(mats) == 1 else reduce(operator.mul, mats)


def word_str(word: Word) -> str:
    """A word as text, e.g. ``'G.T*D_W*H'``."""
    return "*".join(f"{a[0]}.T" if a[1] else str(a[0]) for a in word)


def terms_to_matrix(terms: Mapping[Word, sp.Expr], shape: tuple) -> sp.Basic:
    """Rebuild a matrix expression (``ZeroMatrix(shape)`` if there are no terms)."""
    parts = [c * word_to_matrix(w) for w, c in terms.items() if c != 0]
    if not parts:
        return sp.ZeroMatrix(*shape)
    return parts[0] if len(parts) == 1 else reduce(operator.add, parts)


def _atom_key(a: Atom) -> tuple:
    name = str(a[0]) if not isinstance(a[0], sp.OneMatrix) else "ones"
    return (_PRIORITY.get(name, 50), name, 0 if a[1] else 1)


def canonical_trace_word(word: Word) -> Word:
    """The representative of ``tr(word)`` under rotations and transposition.

    The orientation is chosen to read like the paper: a transposed factor first
    (``tr(A^T B) = <A, B>``), ``G`` before ``W``, ``H``, ``b`` before directions.

    >>> import sympy as sp
    >>> G, DW, DH = (sp.MatrixSymbol(s, 3, 3) for s in ("G", "D_W", "D_H"))
    >>> word_str(canonical_trace_word(next(iter(matrix_terms(DH.T * DW.T * G)))))
    'G.T*D_W*D_H'
    """
    if not word:
        return word
    candidates = []
    for w in (word, transpose_word(word)):
        for i in range(len(w)):
            candidates.append(w[i:] + w[:i])
    return min(candidates, key=lambda w: (0 if w[0][1] else 1, [_atom_key(a) for a in w]))


def trace_terms(expr: sp.Expr) -> tuple[Terms, sp.Expr]:
    """Split a scalar expression into its trace part, ``{canonical word: coeff}``
    (so ``sum coeff * tr(word)``), and the remaining scalar part (expanded).

    Products of two traces, and nodes such as :class:`~.expressions.HessianG`, stay
    in the remainder.

    >>> import sympy as sp
    >>> A = sp.MatrixSymbol("A", 2, 2); x = sp.Symbol("x")
    >>> tt, rest = trace_terms(x*sp.Trace(A.T*A) + sp.Trace((2*A).T*A) + 1)
    >>> {word_str(w): c for w, c in tt.items()}, rest
    ({'A.T*A': x + 2}, 1)
    """
    acc: Terms = {}
    rest = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(sp.sympify(expr), mul=True, multinomial=False,
                                           power_exp=False, power_base=False, log=False)):
        traces = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Trace)]
        if len(traces) != 1:
            rest += term
            continue
        tr = traces[0]
        scalar = sp.Mul(*[f for f in sp.Mul.make_args(term) if f is not tr])
        for w, c in _matrix_terms(tr.arg).items():
            _add_into(acc, canonical_trace_word(w), scalar * c)
    return _prune(acc), sp.expand(rest)


def trace_terms_to_expr(terms: Mapping[Word, sp.Expr]) -> sp.Expr:
    """``sum coeff * Trace(word)`` as a SymPy expression."""
    return sp.Add(*[c * sp.Trace(word_to_matrix(w)) for w, c in terms.items()])


def matrix_equal(a: sp.Basic, b: sp.Basic) -> bool:
    """Whether two matrix expressions have the same normal form (same shape too)."""
    a, b = sp.sympify(a), sp.sympify(b)
    if a.shape != b.shape:
        return False
    ta, tb = matrix_terms(a), matrix_terms(b)
    return not _prune({w: ta.get(w, 0) - tb.get(w, 0) for w in set(ta) | set(tb)})


def trace_equal(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether two scalar trace expressions agree in normal form (the remainder
    parts, e.g. :class:`~.expressions.HessianG` terms, must agree structurally)."""
    ta, ra = trace_terms(a)
    tb, rb = trace_terms(b)
    diff = _prune({w: ta.get(w, 0) - tb.get(w, 0) for w in set(ta) | set(tb)})
    return not diff and sp.expand(ra - rb) == 0


def _rotate_to_end(word: Word, index: int) -> Word:
    return word[index + 1:] + word[: index + 1]


def gradient_from_trace_terms(terms: Mapping[Word, sp.Expr], direction: sp.MatrixSymbol,
                              ) -> sp.Basic:
    """Read the gradient off a first variation ``sum c tr(word)`` that is linear in
    ``direction``: rotate each word to ``tr(P X)`` or ``tr(P X^T)`` and collect
    ``P^T`` (resp. ``P``), since ``tr(P X) = <P^T, X>`` and ``tr(P X^T) = <P, X>``.
    Words without ``direction`` are skipped; a word with it twice raises.

    >>> import sympy as sp
    >>> A = sp.MatrixSymbol("A", 2, 3); X = sp.MatrixSymbol("X", 3, 2)
    >>> tt, _ = trace_terms(sp.Trace(A*X) + sp.Trace(X.T*A.T))
    >>> gradient_from_trace_terms(tt, X)
    2*A.T
    """
    acc: Terms = {}
    for word, c in terms.items():
        hits = [i for i, a in enumerate(word) if a[0] == direction]
        if not hits:
            continue
        if len(hits) > 1:
            raise ValueError(f"term tr({word_str(word)}) is not linear in {direction}")
        rotated = _rotate_to_end(word, hits[0])
        P, last = rotated[:-1], rotated[-1]
        if not P:
            raise ValueError(f"term tr({direction}) has no matrix coefficient")
        grad_word = P if last[1] else transpose_word(P)
        _add_into(acc, _clean(grad_word), c)
    return terms_to_matrix(_prune(acc), direction.shape)


def split_by_degree(terms: Mapping[Word, sp.Expr], t: sp.Symbol) -> list[Terms]:
    """Split polynomial-in-``t`` coefficients: entry ``k`` of the returned list holds
    the terms multiplying ``t**k``.

    >>> import sympy as sp
    >>> A = sp.MatrixSymbol("A", 2, 2); B = sp.MatrixSymbol("B", 2, 2); t = sp.Symbol("t")
    >>> [terms_to_matrix(c, (2, 2)) for c in split_by_degree(matrix_terms((A + t*B)**2), t)]
    [A**2, A*B + B*A, B**2]
    """
    out: list[Terms] = []
    for w, c in terms.items():
        poly = sp.Poly(sp.expand(c), t)
        for (k,), ck in poly.terms():
            while len(out) <= k:
                out.append({})
            _add_into(out[k], w, ck)
    return [_prune(x) for x in out]


def is_matrix_expr(x: object) -> bool:
    """True for SymPy matrix expressions (symbolic or explicit)."""
    return isinstance(x, MatrixExpr) or getattr(x, "is_Matrix", False)
