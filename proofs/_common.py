"""What the proof modules share: the derivation, the sampled critical points, and the
ways evidence is measured.  The proofs use the engine (``ufm_sym``); nothing in the
engine imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ufm_sym.claims import Evidence, VerifyContext, format_residual  # noqa: F401 (re-export)
from ufm_sym.model import Problem
from ufm_sym.symbolic.hypotheses import Hypothesis, reduce_matrix, reduce_scalar
from ufm_sym.symbolic.index_free import IndexFreeDerivation, derive_index_free
from ufm_sym.symbolic.normal_form import matrix_equal, trace_equal

# ------------------------------------------------------------------ symbolic


def derivation() -> IndexFreeDerivation:
    """The index-free derivation of f's gradient and Hessian form (cached)."""
    return derive_index_free()


def identity_evidence(lhs: Any, rhs: Any, detail: str) -> Evidence:
    """Symbolic evidence that ``lhs == rhs`` exactly, as matrix or trace polynomials
    (expanded and put in a canonical non-commutative normal form)."""
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if getattr(lhs, "is_Matrix", False) or getattr(rhs, "is_Matrix", False):
        same = matrix_equal(lhs, rhs)
    else:
        same = trace_equal(lhs, rhs)
    return Evidence.exact("symbolic", same, detail)


def reduction_evidence(expr: Any, hypotheses: Sequence[Hypothesis], expected: Any,
                       detail: str, matrix: bool = False) -> Evidence:
    """Symbolic evidence that ``expr`` reduces to ``expected`` under the hypotheses."""
    got = reduce_matrix(expr, hypotheses) if matrix else reduce_scalar(expr, hypotheses)
    if matrix:
        ok = got == expected or (hasattr(got, "shape") and matrix_equal(got, expected))
    else:
        ok = sp.simplify(got - expected) == 0
    return Evidence.exact("symbolic", ok, f"{detail}: reduces to {sp.sstr(got)}")


def derivation_evidence(claim: Any, detail: str) -> Evidence:
    """Symbolic evidence that every equation among ``claim.derivation`` (the steps the
    appendix prints) is an identity: the check reads the claim's own objects, so a
    wrong printed step fails the claim, not only the snapshots."""
    eqs = [expr for _, expr in claim.derivation if isinstance(expr, sp.Equality)]
    if not eqs:
        return Evidence.exact("symbolic", False, f"{detail}: no equation among the steps")
    ok = all(identity_evidence(e.lhs, e.rhs, "").passed for e in eqs)
    return Evidence.exact("symbolic", ok, detail)


# ---------------------------------------------------------- high precision


def hp_dps(ctx: VerifyContext) -> int:
    """Critical points are refined 20 digits beyond the working precision (>= 60)."""
    return max(ctx.dps + 20, 60)


def hp_tolerance(ctx: VerifyContext) -> Any:
    """Residuals at refined critical points must be below 10^-(dps - 5) (45 digits at
    dps 50)."""
    return mpmath.mpf(10) ** (-(ctx.dps - 5))


def hp_records(ctx: VerifyContext, loss: str, kinds: Iterable[str] | None = None) -> list[Any]:
    """High-precision critical points of ``loss`` over the default settings
    (refined to gradient norm < 1e-45), memoised for the run."""
    from ufm_sym.highprec.families import KINDS, critical_points, sample_settings

    kinds_t = tuple(kinds) if kinds is not None else KINDS

    def make() -> list[Any]:
        out = []
        for p in sample_settings():
            if p.loss == loss:
                out.extend(critical_points(p, kinds=KINDS, dps=hp_dps(ctx), seed=ctx.seed))
        return out

    records = ctx.memo(("hp-records", loss, ctx.seed, ctx.dps), make)
    return [r for r in records if r.kind in kinds_t]


def hp_evidence(ctx: VerifyContext, records: Sequence[Any],
                residual: Callable[[Any], Any], detail: str,
                tolerance: Any = None) -> Evidence:
    """The largest ``residual(record)`` over the records, at ``ctx.dps`` digits."""
    tol = hp_tolerance(ctx) if tolerance is None else tolerance
    if not records:
        return Evidence("high-precision", False, None, None, 0, f"{detail}: no points")
    with mpmath.workdps(ctx.dps):
        values = [abs(residual(rec)) for rec in records]
        i = max(range(len(records)), key=values.__getitem__)  # the first of the worst
        where = f"{records[i].problem.describe()} [{records[i].family}]"
        return Evidence.from_residual("high-precision", values[i], tol, len(records),
                                      f"{detail}; worst at {where}; dps {ctx.dps}")


def point_values(rec: Any) -> dict[str, Any]:
    """The values of the paper's symbols at a critical point (mpmath): W, H, b, the
    lambdas, the labels Y = I_K (kron) 1_n^T, and G = grad g(R) from the engine."""
    from ufm_sym.highprec.evaluate import grad_g, residual_R

    p = rec.problem
    W, H, b = rec.point
    lw, lh, lb = p.mp_lambdas()
    Y = mpmath.matrix([[1 if j // p.n == k else 0 for j in range(p.N)] for k in range(p.K)])
    return {"W": W, "H": H, "b": b, "G": grad_g(p, residual_R(p, rec.point)), "Y": Y,
            "lambda_W": lw, "lambda_H": lh, "lambda_b": lb, "K": p.K, "d": p.d, "N": p.N}


def equation_residual(statement: Any, env: Mapping[str, Any]) -> Any:
    """The worst ``||lhs - rhs||`` over one ``Eq`` or a list of them, each side evaluated
    by :func:`ufm_sym.symbolic.evaluate.evaluate_matrix_expr` (mpmath) with the values
    in ``env`` (keyed by symbol name)."""
    from ufm_sym.symbolic.evaluate import evaluate_matrix_expr

    eqs = statement if isinstance(statement, (list, tuple)) else [statement]
    parts = {}
    for eq in eqs:
        lhs = evaluate_matrix_expr(eq.lhs, env, backend="mpmath")
        rhs = evaluate_matrix_expr(eq.rhs, env, backend="mpmath")
        parts[sp.sstr(eq)] = mp_norm(lhs - rhs)
    return worst_part(parts)


def worst_part(parts: Mapping[str, Any]) -> Any:
    """The largest ``|part|`` of a residual made of named parts that must each vanish.

    A check takes the worst part, never the sum: in a sum of vanishing terms a dropped
    or sign-flipped term is invisible, and the name of the worst part says what failed.
    The tests feed each part's check a point that violates just that part
    (``tests/test_wrong_parts.py``).

    >>> worst_part({"W a": -3, "H^T a": 2})
    3
    """
    if not parts:
        raise ValueError("a residual needs at least one part")
    return max(abs(v) for v in parts.values())


def numerical_ranks(W: Any, H: Any, dps: int) -> tuple[int, int, Any, bool]:
    """(rank W, rank H, largest singular value counted as zero, decided) with an
    explicit gap: singular values below 10^-(dps-10) are zero, above 10^-(dps/3)
    nonzero; a singular value between them leaves the ranks undecided."""
    from ufm_sym.highprec.linalg import singular_values

    zero_tol = mpmath.mpf(10) ** -(dps - 10)
    big_tol = mpmath.mpf(10) ** -(dps // 3)
    sw, sh = singular_values(W), singular_values(H)
    both = [*sw, *sh]
    decided = all(s <= zero_tol or s >= big_tol for s in both)
    worst_zero = max((s for s in both if s <= zero_tol), default=mpmath.mpf(0))
    rank_W = sum(1 for s in sw if s >= big_tol)
    rank_H = sum(1 for s in sh if s >= big_tol)
    return rank_W, rank_H, worst_zero, decided


def mp_norm(*mats: Any) -> Any:
    """Frobenius norm of one or more mpmath matrices, taken together."""
    return mpmath.sqrt(mpmath.fsum(x ** 2 for M in mats for x in _entries(M)))


def _entries(M: Any) -> list[Any]:
    if isinstance(M, mpmath.matrix):
        return [M[i, j] for i in range(M.rows) for j in range(M.cols)]
    return [M]


# ------------------------------------------------------------------ numeric


def random_points(problem: Problem, count: int, seed: int, scale: float = 1.0
                  ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Deterministic Gaussian points (W, H, b) for checks that hold at every point."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        out.append((scale * rng.standard_normal((problem.K, problem.d)),
                    scale * rng.standard_normal((problem.d, problem.N)),
                    scale * rng.standard_normal(problem.K)))
    return out


def float_to_mp_point(problem: Problem, point: Sequence[np.ndarray]) -> Any:
    """A float64 point as an exact mpmath point (every float is exact in binary)."""
    from ufm_sym.highprec.evaluate import to_mp_point

    W, H, b = (np.asarray(x, dtype=float) for x in point)
    return to_mp_point(problem, W.tolist(), H.tolist(), b.tolist())


def minimizers_from_random_starts(ctx: VerifyContext, settings: Sequence[Problem],
                                  salt: int) -> list[tuple[Problem, Any]]:
    """Global minimizers found without any closed form: float64 L-BFGS from a seeded
    random start (seed ``ctx.seed + salt * i`` for the i-th setting), refined in mpmath
    to a gradient norm below 1e-45 at :func:`hp_dps` digits (memoised for the run)."""
    from ufm_sym.highprec.evaluate import num_params, unflatten
    from ufm_sym.highprec.float_start import minimize
    from ufm_sym.highprec.refine import refine_critical_point

    def make() -> list[tuple[Problem, Any]]:
        out = []
        for i, p in enumerate(settings):
            rng = np.random.default_rng(ctx.seed + salt * i)
            res = minimize(p, 0.3 * rng.standard_normal(num_params(p)))
            with mpmath.workdps(hp_dps(ctx)):
                start = unflatten(p, [mpmath.mpf(float(x)) for x in res.x])
                out.append((p, refine_critical_point(p, start, dps=hp_dps(ctx)).point))
        return out

    return ctx.memo(("minimizers-from-random-starts", tuple(settings), salt, ctx.seed,
                     ctx.dps), make)


# ------------------------------------------------------- the statement's truth
def statement_truth_evidence(ctx: VerifyContext, claim: Any, envs: Sequence[tuple[str, Any, Any]],
                             detail: str, margin: Any = None, level: str = "high-precision",
                             statement: Any = None) -> Evidence:
    """Evidence that the claim's own statement holds at every environment.

    ``envs`` are ``(where, env, options)`` triples (:mod:`ufm_sym_proofs.environments`),
    or a function making them (then memoised for the run);
    the statement (``claim.statement`` unless given) is decided by
    :func:`ufm_sym.symbolic.truth.truth` with ``margin`` (default: the hp tolerance
    10^-(dps-5), or a function of the relation).  The residual is the worst over the
    points.  Evidence over no point fails; so does an implication whose premise held
    nowhere (it was never tested).
    """
    from ufm_sym.symbolic.truth import truth

    stmt = claim.statement if statement is None else statement
    if callable(envs):  # built once per run: environments never depend on the statement
        envs = ctx.memo(("envs", claim.label, level, detail), envs)
    if not envs:
        return Evidence(level, False, None, None, 0, f"{detail}: no points")
    margin = hp_tolerance(ctx) if margin is None else margin
    backend = "mpmath" if level != "numeric" else "numpy"
    results = []
    with mpmath.workdps(ctx.dps):
        for where, env, options in envs:
            results.append((where, truth(stmt, env, margin, backend=backend, **(options or {}))))
        tested = sum(1 for _, t in results if not t.worst.startswith("premise false"))
        failed = [(w, t) for w, t in results if not t.holds]
        pool = failed or results
        where_worst, t_worst = max(pool, key=lambda wt: abs(wt[1].residual))
        worst = abs(t_worst.residual)
        tol = margin if not callable(margin) else None
        text = (f"{detail}; the statement evaluated at {len(envs)} points, worst at "
                f"{where_worst}; dps {ctx.dps}")
        if tol is not None:
            ev = Evidence.from_residual(level, worst, tol, len(envs), text)
        else:
            digits = 99.0 if worst == 0 else round(float(-mpmath.log10(worst)), 1)
            ev = Evidence(level, True, format_residual(worst), digits, len(envs), text)
    if failed:
        ev.passed = False
        ev.detail += "; FAILS at " + "; ".join(f"{w}: {t.worst}" for w, t in failed[:3])
    if tested == 0:
        ev.passed = False
        ev.detail += "; vacuous: the premise held at no point"
    return ev


def record_envs(records: Sequence[Any], build: Callable[[Any], Any],
                with_options: bool = False) -> list[tuple[str, Any, Any]]:
    """``(where, build(rec), options)`` for each record (options: ``hess_g``, ``loss_g``
    at the record's point, when the statement has abstract nodes)."""
    from ufm_sym_proofs.environments import options

    return [(f"{r.problem.describe()} [{r.family}]", build(r),
             options(r) if with_options else None) for r in records]


#: strict inequalities at refined points are decided only beyond this margin
STRICT_MARGIN = mpmath.mpf("1e-10")


def hp_margins(ctx: VerifyContext) -> Callable[[Any], Any]:
    """The margins of statements at refined critical points, by kind of relation:
    equations to 10^-(dps-5) (45 digits at dps 50), non-strict inequalities to
    10^-(dps/2) (a sign at a point known to 45 digits; zero Hessian eigenvalues of the
    symmetry orbit sit far below it), strict ones beyond :data:`STRICT_MARGIN`."""
    eq, loose = hp_tolerance(ctx), mpmath.mpf(10) ** -(ctx.dps // 2)

    def margin(rel: Any) -> Any:
        if isinstance(rel, (sp.Eq, sp.Ne)):
            return eq
        if isinstance(rel, (sp.StrictLessThan, sp.StrictGreaterThan)):
            return STRICT_MARGIN
        return loose

    return margin


#: float64 margins of statements at the sampled critical points (their gradient is
#: below 1e-8): equations and non-strict inequalities to 1e-6, strict ones beyond 1e-7
FLOAT_EQ_MARGIN, FLOAT_STRICT_MARGIN = 1e-6, 1e-7


def float_margin(rel: Any) -> float:
    """:data:`FLOAT_EQ_MARGIN` or :data:`FLOAT_STRICT_MARGIN` by kind of relation."""
    if isinstance(rel, (sp.StrictLessThan, sp.StrictGreaterThan)):
        return FLOAT_STRICT_MARGIN
    return FLOAT_EQ_MARGIN


# --------------------------------------------------- symbolic, from the statement
def equations_of(statement: Any) -> list[Any]:
    """The equations of a statement (one ``Eq`` or a list), in order."""
    items = statement if isinstance(statement, (list, tuple)) else [statement]
    return [e for e in items if isinstance(e, sp.Equality)]


def hypotheses_of(claim: Any) -> list[Hypothesis]:
    """The claim's hypotheses (SymPy equations ``product == value``) as reducer
    hypotheses; relations that are not such equations (``sigma > sqrt(lW lH)``,
    ``d = K``) are left to the numeric checks."""
    out = []
    for h in claim.hypotheses:
        if isinstance(h, sp.Equality) and getattr(h.lhs, "is_Matrix", False):
            try:
                out.append(Hypothesis(h.lhs, h.rhs))
            except ValueError:
                continue
    return out


def combination_evidence(claim: Any, combinations: Sequence[Any], detail: str) -> Evidence:
    """Symbolic evidence that each equation ``lhs == rhs`` of the claim's statement is
    ``lhs - rhs == combination`` identically, where the combination is made of the
    *derived* gradient and the multipliers the paper uses: so the statement holds
    wherever the gradient vanishes.  A wrong side, constant or term fails."""
    eqs = equations_of(claim.statement)
    if len(eqs) != len(combinations):
        return Evidence.exact("symbolic", False, f"{detail}: {len(eqs)} equations for "
                              f"{len(combinations)} combinations")
    ok = all(identity_evidence(e.lhs - e.rhs, comb, "").passed
             for e, comb in zip(eqs, combinations, strict=True))
    return Evidence.exact("symbolic", ok, detail)


def statement_reduction_evidence(claim: Any, detail: str, statement: Any = None,
                                 extra: Sequence[Hypothesis] = ()) -> Evidence:
    """Symbolic evidence that every equation of the statement holds under the claim's
    own hypotheses (:func:`hypotheses_of`, plus ``extra``): ``lhs - rhs`` reduces to 0."""
    hyps = [*hypotheses_of(claim), *extra]
    bad = []
    for eq in equations_of(claim.statement if statement is None else statement):
        diff = eq.lhs - eq.rhs
        matrix = bool(getattr(diff, "is_Matrix", False))
        if isinstance(eq.lhs, sp.Tuple) or isinstance(eq.rhs, sp.Tuple):
            bad.append(f"{sp.sstr(eq)} is a definition")
            continue
        zero = sp.ZeroMatrix(*diff.shape) if matrix else sp.Integer(0)
        ev = reduction_evidence(diff, hyps, zero, sp.sstr(eq)[:60], matrix=matrix)
        if not ev.passed:
            bad.append(ev.detail)
    return Evidence.exact("symbolic", not bad,
                          detail + ("" if not bad else "; FAILED: " + "; ".join(bad[:2])))


def direction_of(claim: Any) -> dict[str, Any]:
    """The direction a definitional statement ``Delta = (D_W, D_H, D_b)`` defines."""
    rhs = claim.statement.rhs
    return dict(zip(("D_W", "D_H", "D_b"), rhs, strict=True))


#: random starts per setting for the orbits that ``ufm-sym discover`` finds (theorem
#: evidence beyond the constructed families)
DISCOVER_STARTS = 20


def discovered_records(ctx: VerifyContext, loss: str) -> list[Any]:
    """High-precision critical points found by :func:`ufm_sym.discover.find_orbits` from
    random starts (L-BFGS, deflated Levenberg-Marquardt, gradient-norm minimisation),
    one per distinct orbit, for every default setting of ``loss`` with K <= 4 (memoised
    for the run, so records keep their identity)."""
    from ufm_sym.discover import find_orbits
    from ufm_sym.highprec.families import sample_settings

    def make() -> list[Any]:
        return [o.record() for p in sample_settings() if p.loss == loss and p.K <= 4
                for o in find_orbits(p, starts=DISCOVER_STARTS, seed=ctx.seed,
                                     dps=hp_dps(ctx))]

    return ctx.memo(("discovered-records", loss, ctx.seed, ctx.dps), make)
