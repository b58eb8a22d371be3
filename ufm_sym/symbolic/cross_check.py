"""Cross-check the index-free derivation against the explicit route, exactly.

For a loss and concrete sizes, the index-free results of :func:`~.index_free.derive_index_free`
are evaluated on the explicit matrices of :func:`~.explicit.explicit_model` (``W``, ``H``,
``b`` of entry symbols, ``G`` the explicit ``nabla g(R)`` obtained by differentiating
``g`` in the entries of ``R``, ``HessianG`` the explicit second derivative of ``g``)
and compared with ``sympy.diff`` / ``sympy.hessian`` of the explicit objective.  A
check passes only if every difference is *exactly* zero.

How differences are decided to be zero (:class:`ZeroTester`): MSE expressions are
polynomials.  CE expressions contain ``exp(c * r_lj)``; every such factor is rewritten
as ``(s_j p_lj)^c`` with ``s_j > 0`` and ``p_Kj = 1 - sum_{l<K} p_lj``
(``exp(r_.j) = s_j p_.j`` is a bijective reparametrisation of the positive column), so
the denominators ``sum_l exp(r_lj)`` become the monomials ``s_j`` and every expression
is a Laurent polynomial.  Its normal form, computed in SymPy's sparse polynomial rings
over QQ, is zero exactly when the expression is; no ``simplify`` is needed (the whole
grid, both losses, K in {2, 3}, n in {1, 2}, takes about 10 s).

A deliberately wrong derivation can be passed as ``derivation=``; the checks must then
fail:

>>> [(c.name, c.passed, c.residual) for c in cross_check("mse", K=2, n=1)][:2]
[('grad_W', True, 'exact'), ('grad_H', True, 'exact')]
>>> import dataclasses
>>> D = derive_index_free()
>>> bad = dataclasses.replace(D, grad_W=-D.grad_W)
>>> [(c.name, c.passed) for c in cross_check("mse", K=2, n=1, derivation=bad)][:2]
[('grad_W', False), ('grad_H', True)]
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from .evaluate import evaluate_matrix_expr
from .explicit import ExplicitModel, explicit_loss, explicit_model, vec
from .index_free import IndexFreeDerivation, derive_index_free

__all__ = ["CheckResult", "NotLaurentError", "ZeroTester", "cross_check", "cross_check_all"]

ROUTE_DIFF = "index-free vs explicit sympy.diff"
ROUTE_HESS = "index-free vs explicit sympy.hessian (bilinear form)"
ROUTE_LOSS = "explicit: sympy.diff of g in the entries of R vs closed form"


@dataclass
class CheckResult:
    """One comparison: ``residual`` is ``"exact"`` when the difference is exactly zero,
    otherwise the largest absolute difference at a sample point, as text."""

    name: str
    route: str
    passed: bool
    residual: str
    seconds: float
    detail: str = ""


class NotLaurentError(ValueError):
    """An expression is not a Laurent polynomial after the ``exp`` rewriting."""


class ZeroTester:
    """Decide ``expr == 0`` exactly for expressions of one explicit problem.

    ``R`` is the explicit matrix whose entries appear inside ``exp`` (entry symbols
    ``r_lj`` or the polynomials ``(W H + b 1^T)_lj``).  After ``exp(r_lj) -> s_j p_lj``
    (``p_Kj = 1 - sum_{l<K} p_lj``) every expression of the UFM is a Laurent
    polynomial (the only denominators are powers of ``sum_l exp(r_lj) = s_j``); it is
    brought to its unique normal form with SymPy's sparse polynomial rings, which is
    much faster than ``expand``.  Should a non-monomial denominator appear, the test
    falls back to ``sympy.cancel``.

    >>> r = sp.ImmutableMatrix(2, 1, sp.symbols("r1 r2", real=True))
    >>> z = ZeroTester(r)
    >>> e1, e2 = sp.exp(r[0]), sp.exp(r[1])
    >>> z.is_zero(e1/(e1 + e2) + e2/(e1 + e2) - 1)
    True
    >>> z.is_zero(e1**2/(e1 + e2)**2 - e1/(e1 + e2))
    False
    >>> z.normal_form(e1**2/(e1 + e2)**2 - e1/(e1 + e2))
    p_1_1**2 - p_1_1
    """

    def __init__(self, R: sp.MatrixBase) -> None:
        self.K, self.N = R.shape
        self.entries = [[sp.expand(R[i, j]) for j in range(self.N)] for i in range(self.K)]
        self.keys = self._distinctive_monomials()
        self.s = [sp.Symbol(f"s_{j + 1}", positive=True) for j in range(self.N)]
        self.p = [[sp.Symbol(f"p_{i + 1}_{j + 1}", positive=True) for j in range(self.N)]
                  for i in range(self.K)]
        self._exp_cache: dict[sp.Basic, sp.Expr] = {}

    def _distinctive_monomials(self) -> list[list[tuple[sp.Expr, sp.Expr]]]:
        """For every entry, a term ``(coefficient, monomial)`` whose monomial occurs in
        no other entry (to read off the multiple of that entry in an ``exp``)."""
        monos: dict[sp.Expr, int] = {}
        for row in self.entries:
            for e in row:
                for term in sp.Add.make_args(e):
                    m = term.as_coeff_Mul()[1]
                    monos[m] = monos.get(m, 0) + 1
        keys = []
        for row in self.entries:
            krow = []
            for e in row:
                unique = [t.as_coeff_Mul() for t in sp.Add.make_args(e)
                          if monos[t.as_coeff_Mul()[1]] == 1]
                if not unique:
                    raise ValueError(f"entry {e} has no distinctive monomial")
                krow.append(unique[0])
            keys.append(krow)
        return keys

    def _p(self, i: int, j: int) -> sp.Expr:
        if i < self.K - 1:
            return self.p[i][j]
        return 1 - sp.Add(*[self.p[m][j] for m in range(self.K - 1)])

    def _rewrite_exp(self, e: sp.exp) -> sp.Expr:
        if e in self._exp_cache:
            return self._exp_cache[e]
        arg = sp.expand(e.args[0])
        out, rest = sp.S.One, arg
        for i in range(self.K):
            for j in range(self.N):
                c0, mono = self.keys[i][j]
                c = arg.coeff(mono) / c0
                if c != 0:
                    out *= (self.s[j] * self._p(i, j)) ** c
                    rest -= c * self.entries[i][j]
        if sp.expand(rest) != 0:
            raise ValueError(f"exp argument {arg} is not a combination of entries of R")
        self._exp_cache[e] = out
        return out

    def rewrite(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with every ``exp(c r_lj)`` replaced by ``(s_j p_lj)^c`` (unexpanded)."""
        expr = sp.sympify(expr)
        exps = expr.atoms(sp.exp)
        return expr.xreplace({e: self._rewrite_exp(e) for e in exps}) if exps else expr

    # -- Laurent normal form ------------------------------------------------------
    def laurent(self, expr: sp.Expr) -> tuple[tuple[sp.Symbol, ...], dict[tuple, Any]]:
        """The Laurent normal form: ``(generators, {exponents: rational coefficient})``,
        exponents possibly negative, zero coefficients dropped."""
        e = self.rewrite(expr)
        gens = tuple(sorted(e.free_symbols, key=str))
        return gens, _Laurent(gens).convert(e)

    def normal_form(self, expr: sp.Expr) -> sp.Expr:
        """The canonical form of ``expr`` as a SymPy expression (a Laurent polynomial
        in the entry symbols and ``p``, ``s``); ``0`` exactly when ``expr`` is zero."""
        try:
            gens, terms = self.laurent(expr)
        except NotLaurentError:
            return sp.cancel(sp.together(self.rewrite(expr)))
        return sp.Add(*[sp.Rational(int(c.numerator), int(c.denominator))
                        * sp.Mul(*[g**k for g, k in zip(gens, mono, strict=True) if k])
                        for mono, c in terms.items()])

    def is_zero(self, expr: sp.Expr) -> bool:
        try:
            return not self.laurent(expr)[1]
        except NotLaurentError:
            return sp.cancel(sp.together(self.rewrite(expr))) == 0

    def sample_point(self, seed: int = 20240715) -> dict[sp.Symbol, sp.Rational]:
        """An exact rational point for reporting residuals (``p`` in the simplex)."""
        rng = random.Random(seed)
        point: dict[sp.Symbol, sp.Rational] = {}
        for j in range(self.N):
            point[self.s[j]] = sp.Rational(rng.randint(50, 200), 100)
            for i in range(self.K - 1):
                point[self.p[i][j]] = sp.Rational(rng.randint(1, 90), 100 * self.K)
        return point


class _Laurent:
    """Convert a SymPy expression to a Laurent polynomial over QQ in ``gens``, using a
    sparse polynomial ring with one extra generator per inverse; the inverse pairs are
    cancelled at the end."""

    def __init__(self, gens: tuple[sp.Symbol, ...]) -> None:
        self.n = len(gens)
        inv = [sp.Dummy(f"inv_{g}") for g in gens]
        self.ring, *ring_gens = sp.ring(list(gens) + inv, sp.QQ) if gens else (
            sp.ring([sp.Dummy()], sp.QQ))
        self.gen = dict(zip(gens, ring_gens[: self.n], strict=True))
        self.memo: dict[sp.Basic, Any] = {}

    def convert(self, e: sp.Expr) -> dict[tuple, Any]:
        poly = self._conv(e)
        out: dict[tuple, Any] = {}
        for mono, c in poly.terms():
            key = tuple(mono[i] - mono[i + self.n] for i in range(self.n))
            out[key] = out.get(key, 0) + c
        return {k: c for k, c in out.items() if c != 0}

    def _invert(self, b: Any) -> Any:
        terms = b.terms()
        if len(terms) != 1:
            raise NotLaurentError("non-monomial denominator")
        mono, c = terms[0]
        n = self.n
        swapped = tuple(mono[i + n] for i in range(n)) + tuple(mono[i] for i in range(n))
        return self.ring({swapped: 1 / c})

    def _conv(self, e: sp.Basic) -> Any:
        hit = self.memo.get(e)
        if hit is not None:
            return hit
        R = self.ring
        if e.is_Symbol:
            out = self.gen[e]
        elif e.is_Rational:
            out = R(sp.QQ(int(e.p), int(e.q)))
        elif e.is_Add:
            out = R.zero
            for a in e.args:
                out += self._conv(a)
        elif e.is_Mul:
            out = R.one
            for a in e.args:
                out *= self._conv(a)
        elif e.is_Pow and e.exp.is_Integer:
            base = self._conv(e.base)
            k = int(e.exp)
            out = base**k if k >= 0 else self._invert(base) ** (-k)
        else:
            raise NotLaurentError(f"cannot convert {type(e).__name__}: {e}")
        self.memo[e] = out
        return out


def _residual(tester: ZeroTester, diffs: Iterable[sp.Expr]) -> str:
    """The largest ``|difference|`` at an exact sample point (every free symbol set;
    ``p`` in the simplex, ``s`` and the lambdas positive)."""
    rng = random.Random(7)
    point = tester.sample_point()
    worst = sp.S.Zero
    for e in diffs:
        try:
            gens, terms = tester.laurent(e)
        except NotLaurentError:
            gens, terms = (), {}
            nf = sp.cancel(sp.together(tester.rewrite(e)))
        else:
            nf = None
        for g in sorted(set(gens) | (nf.free_symbols if nf is not None else set()), key=str):
            if g not in point:
                x = sp.Rational(rng.randint(-100, 100), 50)
                point[g] = abs(x) + sp.Rational(1, 10) if g.is_nonnegative else x
        if nf is not None:
            value = nf.xreplace(point)
        else:
            value = sp.Add(*[sp.Rational(int(c.numerator), int(c.denominator))
                             * sp.Mul(*[point[g] ** k for g, k in zip(gens, mono, strict=True)])
                             for mono, c in terms.items()])
        worst = max(worst, abs(value))
    return f"{float(worst):.3e}"


def _compare_entries(name: str, route: str, tester: ZeroTester,
                     got: sp.MatrixBase, want: sp.MatrixBase, what: str) -> CheckResult:
    t0 = time.perf_counter()
    if got.shape != want.shape:
        return CheckResult(name, route, False, "nan", time.perf_counter() - t0,
                           f"shape {got.shape} differs from {want.shape}")
    bad = [(i, j) for i in range(got.rows) for j in range(got.cols)
           if not tester.is_zero(got[i, j] - want[i, j])]
    if not bad:
        return CheckResult(name, route, True, "exact", time.perf_counter() - t0,
                           f"{got.rows * got.cols} entries of {what} agree exactly")
    residual = _residual(tester, [got[i, j] - want[i, j] for i, j in bad])
    i, j = bad[0]
    return CheckResult(name, route, False, residual, time.perf_counter() - t0,
                       f"{len(bad)} of {got.rows * got.cols} entries of {what} differ, "
                       f"first at ({i}, {j})")


def _guarded(name: str, route: str, fn: Callable[[], CheckResult]) -> CheckResult:
    """Run one check, timing all of it; an exception makes a failed result."""
    t0 = time.perf_counter()
    try:
        result = fn()
        result.seconds = time.perf_counter() - t0
        return result
    except Exception as exc:  # a broken derivation must fail its check, not crash
        return CheckResult(name, route, False, "nan", time.perf_counter() - t0,
                           f"error: {type(exc).__name__}: {exc}")


def _index_free_env(m: ExplicitModel, D: IndexFreeDerivation) -> dict[str, sp.Basic]:
    env = {"W": m.W, "H": m.H, "b": m.b, "ones_N": m.ones_N, "Y": m.Y,
           "G": m.at_R(m.data_term.grad)}
    for lam in D.lambdas:
        env[lam.name] = lam
    return env


def _hessian_check(m: ExplicitModel, D: IndexFreeDerivation, tester: ZeroTester
                   ) -> CheckResult:
    t0 = time.perf_counter()
    dW, dH, db = m.directions()
    env = _index_free_env(m, D) | {"D_W": dW, "D_H": dH, "D_b": db}
    ell = m.data_term

    def hess_g(A: sp.MatrixBase, B: sp.MatrixBase) -> sp.Expr:
        return m.at_R(ell.hessian_form(A, B))

    q_index_free = evaluate_matrix_expr(D.hessian_form, env, "sympy", hess_g=hess_g)
    v = vec(dW) + vec(dH) + vec(db)
    Hs = m.hessian
    # the explicit bilinear form Delta^T (sympy.hessian) Delta (symmetric: i <= j)
    q_explicit = sp.Add(*[(1 if i == j else 2) * Hs[i, j] * v[i] * v[j]
                          for i in range(len(v)) for j in range(i, len(v)) if Hs[i, j] != 0])
    diff = q_index_free - q_explicit
    if tester.is_zero(diff):
        return CheckResult("hessian form", ROUTE_HESS, True, "exact", time.perf_counter() - t0,
                           f"Delta^T (sympy.hessian) Delta, {len(v)} direction symbols, "
                           "agrees exactly with the derived (3.9)")
    return CheckResult("hessian form", ROUTE_HESS, False, _residual(tester, [diff]),
                       time.perf_counter() - t0,
                       "the derived form (3.9) differs from Delta^T (sympy.hessian) Delta")


def _loss_checks(loss: str, K: int, n: int) -> list[CheckResult]:
    """Checks of the data term alone, on independent entry symbols ``r``."""
    ell = explicit_loss(loss, K, n)
    tester = ZeroTester(ell.r)
    out: list[CheckResult] = []
    closed = "softmax form (softmax(R) - Y)/N" if loss == "ce" else "(R - Y)/N"
    out.append(_guarded(f"grad g = {closed}", ROUTE_LOSS, lambda: _compare_entries(
        f"grad g = {closed}", ROUTE_LOSS, tester, ell.grad, ell.closed_form_grad,
        "nabla g(R)")))
    if loss == "ce":
        name = "1_K^T grad g = 0 (3.6)"

        def ones_check() -> CheckResult:
            col_sums = sp.ImmutableMatrix(1, ell.N, lambda i, j: sp.Add(
                *[ell.grad[l, j] for l in range(K)]))
            res = _compare_entries(name, "explicit: sympy.diff of g, column sums", tester,
                                   col_sums, sp.zeros(1, ell.N), "1_K^T nabla g(R)")
            if res.passed:  # the same identity, also by plain simplification
                if any(sp.simplify(c) != 0 for c in col_sums):
                    res.passed, res.detail = False, "simplify() does not reduce to 0"
            return res

        out.append(_guarded(name, "explicit: sympy.diff of g, column sums", ones_check))
    hname = ("hess g = (1/N) sum_cols (d^T diag(p) d - (p^T d)^2)" if loss == "ce"
             else "hess g = ||D||_F^2 / N")

    def hess_loss_check() -> CheckResult:
        t0 = time.perf_counter()
        Dm = sp.ImmutableMatrix(K, ell.N, lambda i, j: sp.Symbol(f"e_{i + 1}_{j + 1}",
                                                                    real=True))
        diff = ell.hessian_form(Dm) - ell.closed_form_hessian_form(Dm)
        ok = tester.is_zero(diff)
        return CheckResult(hname, "explicit: sympy.hessian of g vs closed form", ok,
                           "exact" if ok else _residual(tester, [diff]),
                           time.perf_counter() - t0,
                           "vec(D)^T (sympy.hessian g) vec(D) with symbolic D")

    out.append(_guarded(hname, "explicit: sympy.hessian of g vs closed form", hess_loss_check))
    return out


def cross_check(loss: str, K: int, n: int, d: int | None = None,
                derivation: IndexFreeDerivation | None = None) -> list[CheckResult]:
    """Compare the index-free derivation with the explicit one for one loss and size.

    Returns, in order: ``grad_W``, ``grad_H``, ``grad_b`` (index-free (3.2)-(3.3) vs
    ``sympy.diff``), ``hessian form`` ((3.9) vs ``sympy.hessian``), then the checks of
    the data term: ``grad g`` against its closed form, for CE ``1_K^T grad g = 0`` (3.6),
    and ``hess g`` against its closed form.
    """
    D = derivation if derivation is not None else derive_index_free()
    m = explicit_model(loss, K, n, d)
    tester = ZeroTester(m.R)
    results: list[CheckResult] = []
    for name, explicit_grad in (("grad_W", lambda: m.grad_W), ("grad_H", lambda: m.grad_H),
                                ("grad_b", lambda: m.grad_b)):
        expr = getattr(D, name)

        def grad_check(name: str = name, expr: sp.Basic = expr,
                       explicit_grad: Callable[[], sp.MatrixBase] = explicit_grad
                       ) -> CheckResult:
            got = evaluate_matrix_expr(expr, _index_free_env(m, D), "sympy")
            return _compare_entries(name, ROUTE_DIFF, tester, got, explicit_grad(),
                                    f"df/d{name[-1]}")

        results.append(_guarded(name, ROUTE_DIFF, grad_check))
    results.append(_guarded("hessian form", ROUTE_HESS, lambda: _hessian_check(m, D, tester)))
    results.extend(_loss_checks(m.loss, m.K, m.n))
    return results


def cross_check_all(losses: Iterable[str] = ("ce", "mse"), Ks: Iterable[int] = (2, 3),
                    ns: Iterable[int] = (1, 2), derivation: IndexFreeDerivation | None = None,
                    ) -> dict[tuple[str, int, int], list[CheckResult]]:
    """:func:`cross_check` over a grid of sizes (``d = K``)."""
    return {(loss, K, n): cross_check(loss, K, n, derivation=derivation)
            for loss in losses for K in Ks for n in ns}
