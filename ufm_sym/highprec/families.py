"""Families of critical points, generated and refined at high precision.

Each generator returns a :class:`CriticalPointRecord` whose full gradient norm is
below ``10^-45`` at ``dps >= 60`` (checked; a generator that cannot reach it raises
``RuntimeError``).  Kinds:

- ``"global_min"``: the closed-form global minimizer (:mod:`ufm_sym.closed_form`), in
  every regime (``"ce-nonzero"``, ``"ce-zero"``, MSE ``"zero"``, ``"A"``, ``"B"``, ``"C"``);
- ``"origin"``: CE ``(0, 0, 0)`` (critical: ``G 1_N = 0`` at ``R = 0``); MSE
  ``(0, 0, 1_K/(K(1 + lb)))``.  It is the global minimizer exactly in the zero
  regimes (``is_global_min``), a strict saddle otherwise;
- ``"saddle"``: non-global critical points with ``W != 0``:

  * CE ``"class-merged"``: the fixed-point set of swapping the classes inside each
    group (rows of ``W`` and entries of ``b`` equal within a group, the features of
    merged classes equal, within-class collapse) is invariant under the gradient; the
    minimizer of ``f`` restricted to it (float64 L-BFGS, then LM refinement in the
    subspace) is a critical point of the full problem;
  * CE / MSE (``lb > 0``) ``"rank-r"``: only the first ``r`` columns of ``W`` and rows
    of ``H`` nonzero (Assumption 4.4 form), ``r`` below the optimal rank; started from
    the truncated closed-form minimizer, refined within the subspace;
  * MSE (``lb = 0``) ``"subspace-s"``: ``W H = (1 - K q) Pi_S Ytilde`` for a (seeded,
    random) ``s``-dimensional ``S`` in ``1^perp``, ``s < K - 1``, balanced
    factorization, ``b = 1_K/K`` (docs/math.md §4): exactly critical, no
    refinement.

Everything is deterministic for a given ``seed``; :func:`critical_points` caches its
results in-process (treat the returned points as read-only).

>>> from ufm_sym import Problem
>>> p = Problem(loss="mse", K=3, n=2, lambda_W="0.01", lambda_H="0.01")
>>> recs = critical_points(p, dps=60)
>>> [(r.kind, r.family) for r in recs]
[('global_min', 'closed-form[A]'), ('origin', 'origin'), ('saddle', 'subspace-s1')]
>>> all(r.gradient_norm < mpmath.mpf(10) ** -45 for r in recs)
True
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from ufm_sym.closed_form import centred_basis, global_minimizer, mse_gammas, regime
from ufm_sym.highprec.evaluate import (
    Point,
    _grad_g_rows,
    _point_to_rows,
    _R_rows,
    _rows_to_matrix,
    gradient_norm,
    num_params,
    objective,
    to_mp_point,
    unflatten,
    working_precision,
)
from ufm_sym.highprec.float_start import minimize
from ufm_sym.highprec.linalg import spectral_norm
from ufm_sym.highprec.refine import RefineResult, rank_mask, refine_critical_point
from ufm_sym.model import Problem, UFMInputError

__all__ = [
    "KINDS",
    "CriticalPointRecord",
    "class_merged_saddle",
    "closed_form_global",
    "critical_points",
    "mse_subspace_saddle",
    "origin",
    "rank_restricted_saddle",
    "sample_settings",
]

KINDS: tuple[str, ...] = ("global_min", "origin", "saddle")
_TARGET = mpmath.mpf(10) ** -45


@dataclass(frozen=True)
class CriticalPointRecord:
    """A high-precision critical point.

    ``kind`` (``"global_min"``, ``"origin"``, ``"saddle"``), ``family`` (e.g.
    ``"closed-form[C]"``, ``"class-merged[01|2]"``, ``"rank-1"``, ``"subspace-s1"``),
    ``point``, ``gradient_norm`` (full gradient), ``description``, and: ``value``
    (objective), ``grad_g_norm`` (spectral norm of ``grad g(R)``), ``threshold``
    (``sqrt(lW lH)``), ``is_global_min`` (what theory says: the Lemma C.4 / Prop. 4.1
    criterion ``grad_g_norm <= threshold``), ``dps`` and ``refinement`` (the
    :class:`~ufm_sym.highprec.refine.RefineResult`, or ``None`` for exact formulas).
    """

    kind: str
    family: str
    point: Point
    gradient_norm: Any
    description: str
    problem: Problem
    dps: int
    value: Any
    grad_g_norm: Any
    threshold: Any
    is_global_min: bool
    refinement: RefineResult | None = field(default=None, repr=False)

    @property
    def criterion_margin(self) -> Any:
        """``grad_g_norm - threshold`` (``<= 0`` at global minimizers, ``> 0`` at
        saddles)."""
        return self.grad_g_norm - self.threshold


def sample_settings() -> tuple[Problem, ...]:
    """Default settings, ``K = d`` from 2 to 5, covering every regime and both sides of
    each threshold: CE nonzero / zero (``K sqrt(n lW lH) >= 1``) and just below it (saddles
    whose ``||grad g||`` exceeds ``sqrt(lW lH)`` by less than 20%), ``lb = 0``; MSE A, zero
    (with ``lb = 0`` and ``lb > 0``), B and C with the same ``K, n, lW, lH``.

    >>> from ufm_sym.closed_form import regime
    >>> sorted({regime(p) for p in sample_settings()})
    ['A', 'B', 'C', 'ce-nonzero', 'ce-zero', 'zero']
    """
    P = Problem
    return (
        P(loss="ce", K=2, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-2"),
        P(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b=0),
        P(loss="ce", K=3, n=2, lambda_W="0.3", lambda_H="0.3", lambda_b="0.1"),
        # near the threshold: saddles with ||grad g|| only 17-18% above sqrt(lW lH)
        P(loss="ce", K=3, n=2, lambda_W="0.2", lambda_H="0.2", lambda_b="0.05"),
        P(loss="ce", K=4, n=1, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-3"),
        P(loss="ce", K=5, n=1, lambda_W="2e-2", lambda_H="5e-3", lambda_b="1e-2"),
        P(loss="mse", K=2, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
        P(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
        P(loss="mse", K=3, n=2, lambda_W="0.3", lambda_H="0.3", lambda_b=0),
        P(loss="mse", K=2, n=1, lambda_W="0.6", lambda_H="0.6", lambda_b="0.2"),
        P(loss="mse", K=4, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="1e-2"),
        P(loss="mse", K=4, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b="0.1"),
        P(loss="mse", K=3, n=1, lambda_W="0.1", lambda_H="0.1", lambda_b="0.5"),
        P(loss="mse", K=5, n=1, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0),
    )


# ------------------------------------------------------------------ helpers
def _record(problem: Problem, kind: str, family: str, point: Point, description: str,
            dps: int, is_global: bool, refinement: RefineResult | None = None) -> \
        CriticalPointRecord:
    with working_precision(dps):
        G, _ = _grad_g_rows(problem, _R_rows(_point_to_rows(point)))
        gn = gradient_norm(problem, point)
        lw, lh, _ = problem.mp_lambdas()
        return CriticalPointRecord(
            kind=kind, family=family, point=point, gradient_norm=gn,
            description=description, problem=problem, dps=dps,
            value=objective(problem, point), grad_g_norm=spectral_norm(_rows_to_matrix(G)),
            threshold=mpmath.sqrt(lw * lh), is_global_min=is_global, refinement=refinement)


def _check_dps(dps: int) -> None:
    if not isinstance(dps, int) or dps < 60:
        raise UFMInputError(f"dps: {dps!r} must be an integer >= 60 for the families "
                            "(they are refined to a gradient norm below 1e-45)")


def _require_critical(rec: CriticalPointRecord) -> CriticalPointRecord:
    if not rec.gradient_norm < _TARGET:
        raise RuntimeError(f"{rec.family}: gradient norm {mpmath.nstr(rec.gradient_norm, 5)} "
                           f"did not reach 1e-45 ({rec.problem.describe()})")
    return rec


def _refine_from_float(problem: Problem, x: np.ndarray, dps: int, mask: Any = None,
                       basis: Any = None) -> RefineResult:
    with working_precision(dps):
        pt = unflatten(problem, [mpmath.mpf(float(t)) for t in x])
        if basis is not None:
            basis = [[mpmath.mpf(float(t)) for t in col] for col in np.asarray(basis).T]
        return refine_critical_point(problem, pt, dps=dps, mask=mask, basis=basis)


def _zero_regime(problem: Problem) -> bool:
    return regime(problem) in ("ce-zero", "zero")


# --------------------------------------------------------------- families
def closed_form_global(problem: Problem, dps: int = 60) -> CriticalPointRecord:
    """The closed-form global minimizer as a record (kind ``"global_min"``).

    >>> from ufm_sym import Problem
    >>> r = closed_form_global(Problem(loss="ce", K=3, n=2, lambda_W="0.3", lambda_H="0.3"))
    >>> r.family, mpmath.nstr(r.value, 15), r.is_global_min
    ('closed-form[ce-zero]', '1.09861228866811', True)
    """
    _check_dps(dps)
    reg = regime(problem)
    pt = global_minimizer(problem, dps=dps)
    desc = {
        "ce-nonzero": "CE simplex-ETF minimizer (1.5)-(1.7), norm a* from the log formula",
        "ce-zero": "CE minimizer W = H = 0, b = 0 (K sqrt(n lW lH) >= 1)",
        "zero": "MSE minimizer W = H = 0, b = 1/(K(1+lb)) (K sqrt(n lW lH) >= 1)",
        "A": "MSE regime A (lb = 0): centred simplex ETF, b = 1/K",
        "B": "MSE regime B (lb > 0, lb/(1+lb) <= K q): centred simplex ETF, b = 1/(K(1+lb))",
        "C": "MSE regime C (lb/(1+lb) > K q): W W^T full rank K, b = q/lb",
    }[reg]
    with working_precision(dps):
        rec = _record(problem, "global_min", f"closed-form[{reg}]", pt, desc, dps, True)
    return _require_critical(rec)


def origin(problem: Problem, dps: int = 60) -> CriticalPointRecord:
    """The origin: CE ``(0, 0, 0)``, MSE ``(0, 0, 1_K/(K(1+lb)))`` (kind ``"origin"``).

    >>> from ufm_sym import Problem
    >>> r = origin(Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01"))
    >>> r.is_global_min, r.criterion_margin > 0
    (False, True)
    """
    _check_dps(dps)
    K, d, N = problem.K, problem.d, problem.N
    with working_precision(dps):
        if problem.loss == "ce":
            beta = mpmath.mpf(0)
            desc = "CE origin (0, 0, 0): G 1_N = 0 at R = 0"
        else:
            _, _, lb = problem.mp_lambdas()
            beta = 1 / (K * (1 + lb))
            desc = "MSE origin (0, 0, 1/(K(1+lb)) 1_K)"
        pt = to_mp_point(problem, [[0] * d] * K, [[0] * N] * d, [beta] * K)
        glob = _zero_regime(problem)
        desc += "; the global minimizer (zero regime)" if glob else "; a strict saddle"
        rec = _record(problem, "origin", "origin", pt, desc, dps, glob)
    return _require_critical(rec)


def mse_subspace_saddle(problem: Problem, s: int, dps: int = 60,
                        seed: int = 0) -> CriticalPointRecord:
    """MSE, ``lb = 0``: ``W H = (1 - K q) Pi_S Ytilde`` with ``S`` a seeded random
    ``s``-dimensional subspace of ``1^perp`` (``1 <= s < K - 1``), balanced factors
    ``W = (lH/lW)^(1/4) U Sigma^(1/2)``, ``H = (lW/lH)^(1/4) Sigma^(1/2) V^T``, ``b = 1/K``.

    >>> from ufm_sym import Problem
    >>> r = mse_subspace_saddle(Problem(loss="mse", K=4, n=2, lambda_W="0.01",
    ...                                 lambda_H="0.01"), 2)
    >>> r.refinement is None, r.gradient_norm < mpmath.mpf(10) ** -55
    (True, True)
    """
    _check_dps(dps)
    K, d, n = problem.K, problem.d, problem.n
    if problem.loss != "mse" or problem.lambda_b != 0 or regime(problem) != "A":
        raise UFMInputError("mse_subspace_saddle needs loss='mse', lambda_b=0 and "
                            "K sqrt(n lW lH) < 1")
    if not 1 <= s < K - 1 or s > d:
        raise UFMInputError(f"s: {s} must satisfy 1 <= s < K - 1 = {K - 1} and s <= d")
    rng = np.random.default_rng(seed)
    with working_precision(dps):
        lw, lh, _ = problem.mp_lambdas()
        Q = centred_basis(K)
        # random orthonormal basis of an s-dim subspace of 1^perp (Gram-Schmidt in mp)
        coef = rng.normal(size=(K - 1, s))
        U: list[list[Any]] = []
        for k in range(s):
            v = [mpmath.fsum(Q[i, m] * mpmath.mpf(float(coef[m, k])) for m in range(K - 1))
                 for i in range(K)]
            for u in U:
                c = mpmath.fdot(u, v)
                v = [a - c * b for a, b in zip(v, u, strict=True)]
            nv = mpmath.sqrt(mpmath.fdot(v, v))
            U.append([a / nv for a in v])
        q = mpmath.sqrt(n * lw * lh)
        sigma = (1 - K * q) * mpmath.sqrt(n)   # singular value of (1 - Kq) Pi_S Ytilde
        aw = (lh / lw) ** mpmath.mpf(0.25) * mpmath.sqrt(sigma)
        ah = (lw / lh) ** mpmath.mpf(0.25) * mpmath.sqrt(sigma)
        Wl = [[aw * U[c][a] if c < s else mpmath.mpf(0) for c in range(d)] for a in range(K)]
        Hl = [[ah * U[c][j // n] / mpmath.sqrt(n) if c < s else mpmath.mpf(0)
               for j in range(K * n)] for c in range(d)]
        pt = to_mp_point(problem, Wl, Hl, [mpmath.mpf(1) / K] * K)
        rec = _record(problem, "saddle", f"subspace-s{s}", pt,
                      f"MSE (lb = 0) critical point W H = (1 - Kq) Pi_S Ytilde, dim S = {s} "
                      f"< K - 1 (exact, docs/math.md §4)", dps, False)
    return _require_critical(rec)


def _truncated_start(problem: Problem, r: int) -> np.ndarray:
    """The closed-form minimizer in column-aligned form, truncated to ``r`` columns."""
    K, d, n = problem.K, problem.d, problem.n
    lw, lh, lb = problem.float_lambdas()
    Q = np.array(centred_basis(K, dps=20).tolist(), dtype=float)
    if problem.loss == "ce":
        from ufm_sym.closed_form import ce_row_norm_squared

        a = float(ce_row_norm_squared(problem, dps=20))
        scales = [np.sqrt(a * K / (K - 1))] * (K - 1) + [0.0]
        beta = 0.0
    else:
        gc, gm, beta_mp = (float(t) for t in mse_gammas(problem, dps=20))
        s = np.sqrt(n * lh / lw)
        scales = [np.sqrt(s * gc)] * (K - 1) + [np.sqrt(s * gm * K)]
        beta = beta_mp
    W = np.zeros((K, d))
    order = sorted(range(K), key=lambda k: -scales[k])
    for c in range(min(r, d)):
        W[:, c] = scales[order[c]] * Q[:, order[c]]
    H = np.sqrt(lw / (lh * n)) * np.repeat(W.T, n, axis=1)
    return np.concatenate([W.ravel(), H.ravel(), np.full(K, beta)])


def rank_restricted_saddle(problem: Problem, r: int, dps: int = 60,
                           seed: int = 0) -> CriticalPointRecord:
    """Minimizer of ``f`` restricted to "only the first ``r`` columns of ``W`` / rows of
    ``H`` nonzero" (an invariant subspace), ``1 <= r`` below the optimal rank (CE:
    ``r < K - 1``; MSE regime B: ``r < K - 1``; regime C: ``r < K``); float64 L-BFGS from
    the truncated closed-form minimizer (plus a seeded ``1e-3`` perturbation), then LM
    refinement in the subspace.  For MSE with ``lb = 0`` use :func:`mse_subspace_saddle`.

    >>> from ufm_sym import Problem
    >>> r = rank_restricted_saddle(Problem(loss="ce", K=3, n=2, lambda_W="0.01",
    ...                                    lambda_H="0.01", lambda_b="0.01"), 1)
    >>> r.kind, r.gradient_norm < mpmath.mpf(10) ** -45, r.criterion_margin > 0
    ('saddle', True, True)
    """
    _check_dps(dps)
    K, d = problem.K, problem.d
    reg = regime(problem)
    if reg in ("ce-zero", "zero"):
        raise UFMInputError("rank_restricted_saddle: the zero regime has no such saddles")
    top = K if reg == "C" else K - 1
    if not 1 <= r < min(top, d + 1):
        raise UFMInputError(f"r: {r} must satisfy 1 <= r < {min(top, d + 1)} (optimal rank)")
    mask = np.array(rank_mask(problem, r), dtype=bool)
    rng = np.random.default_rng(seed)
    x0 = _truncated_start(problem, r)
    x0 = np.where(mask, x0 + 1e-3 * rng.normal(size=x0.size), 0.0)
    basis = np.eye(num_params(problem))[:, mask]
    out = minimize(problem, x0, basis=basis)
    if float(np.abs(x0[:K * d]).max()) > 0 and float(np.abs(out.x[:K * d]).max()) < 1e-6:
        raise RuntimeError(f"rank-{r}: the restricted minimization collapsed to W = 0")
    res = _refine_from_float(problem, out.x, dps, mask=mask.tolist())
    desc = (f"{problem.loss.upper()} rank-{r} saddle: minimizer of f restricted to the first "
            f"{r} columns of W / rows of H (float64 L-BFGS, then {res.iterations} LM steps "
            f"in the subspace)")
    rec = _record(problem, "saddle", f"rank-{r}", res.point, desc, dps, False, res)
    return _require_critical(rec)


def _merge_basis(problem: Problem, groups: Sequence[Sequence[int]]) -> np.ndarray:
    K, d, N, n = problem.K, problem.d, problem.N, problem.n
    cols = []
    P = num_params(problem)
    for grp in groups:            # W rows equal within a group
        for c in range(d):
            v = np.zeros(P)
            for k in grp:
                v[k * d + c] = 1.0
            cols.append(v)
    for grp in groups:            # features of all samples of the group's classes equal
        for c in range(d):
            v = np.zeros(P)
            for k in grp:
                for i in range(n):
                    v[K * d + c * N + k * n + i] = 1.0
            cols.append(v)
    for grp in groups:            # b equal within a group
        v = np.zeros(P)
        for k in grp:
            v[K * d + d * N + k] = 1.0
        cols.append(v)
    return np.array(cols).T


def class_merged_saddle(problem: Problem, groups: Sequence[Sequence[int]], dps: int = 60,
                        seed: int = 0) -> CriticalPointRecord:
    """CE: the minimizer of ``f`` on the fixed-point set of the class swaps inside each
    group of ``groups`` (a partition of ``range(K)`` into ``2 <= g < K`` groups), refined
    in that subspace.

    >>> from ufm_sym import Problem
    >>> r = class_merged_saddle(Problem(loss="ce", K=3, n=1, lambda_W="0.01",
    ...                                 lambda_H="0.01"), [[0, 1], [2]])
    >>> r.family, r.gradient_norm < mpmath.mpf(10) ** -45, r.criterion_margin > 0
    ('class-merged[01|2]', True, True)
    """
    _check_dps(dps)
    K = problem.K
    groups = [sorted(int(k) for k in g) for g in groups]
    if sorted(k for g in groups for k in g) != list(range(K)) or not 2 <= len(groups) < K:
        raise UFMInputError(f"groups: {groups} must partition range({K}) into 2..K-1 groups")
    if problem.loss != "ce" or regime(problem) != "ce-nonzero":
        raise UFMInputError("class_merged_saddle needs loss='ce' outside the zero regime")
    B = _merge_basis(problem, groups)
    rng = np.random.default_rng(seed)
    x0 = _truncated_start(problem, problem.d)
    # project the ETF start on the subspace (group means), plus a seeded perturbation
    y0 = np.linalg.lstsq(B, x0, rcond=None)[0]
    y0 = y0 + 0.05 * rng.normal(size=y0.size) * (np.abs(y0).max() + 1.0)
    out = minimize(problem, B @ y0, basis=B)
    if float(np.abs(out.x[:K * problem.d]).max()) < 1e-6:
        raise RuntimeError("class-merged: the restricted minimization collapsed to W = 0")
    res = _refine_from_float(problem, out.x, dps, basis=B)
    name = "|".join("".join(str(k) for k in g) for g in groups)
    desc = (f"CE class-merged saddle, groups {name}: minimizer of f on the fixed points of "
            f"the within-group class swaps ({res.iterations} LM steps in the subspace)")
    rec = _record(problem, "saddle", f"class-merged[{name}]", res.point, desc, dps, False, res)
    return _require_critical(rec)


# ------------------------------------------------------------- the catalogue
def _default_groups(K: int) -> list[list[list[int]]]:
    if K < 3:
        return []
    out = [[[0, 1]] + [[k] for k in range(2, K)]]
    if K >= 4:
        out.append([list(range(K // 2)), list(range(K // 2, K))])
    return out


@functools.lru_cache(maxsize=256)
def _critical_points_cached(problem: Problem, kinds: tuple[str, ...], dps: int,
                            seed: int) -> tuple[CriticalPointRecord, ...]:
    out: list[CriticalPointRecord] = []
    reg = regime(problem)
    K = problem.K
    if "global_min" in kinds:
        out.append(closed_form_global(problem, dps))
    if "origin" in kinds:
        out.append(origin(problem, dps))
    if "saddle" in kinds and reg not in ("ce-zero", "zero"):
        if problem.loss == "ce":
            for groups in _default_groups(K):
                out.append(class_merged_saddle(problem, groups, dps, seed))
            for r in range(1, min(K - 1, problem.d + 1)):
                out.append(rank_restricted_saddle(problem, r, dps, seed))
        elif reg == "A":
            for s in range(1, min(K - 1, problem.d + 1)):
                out.append(mse_subspace_saddle(problem, s, dps, seed))
        else:
            top = K if reg == "C" else K - 1
            for r in range(1, min(top, problem.d + 1)):
                out.append(rank_restricted_saddle(problem, r, dps, seed))
    return tuple(out)


def critical_points(problem: Problem, kinds: Sequence[str] = KINDS, dps: int = 60,
                    seed: int = 0) -> tuple[CriticalPointRecord, ...]:
    """All default families for ``problem`` of the given ``kinds``, refined at ``dps``
    (cached per ``(problem, kinds, dps, seed)``).

    >>> from ufm_sym import Problem
    >>> p = Problem(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2")
    >>> [r.family for r in critical_points(p, kinds=("saddle",))]
    ['class-merged[01|2]', 'rank-1']
    """
    kinds_t = tuple(sorted(set(kinds)))
    bad = [k for k in kinds_t if k not in KINDS]
    if bad:
        raise UFMInputError(f"kinds: unknown kind {bad[0]!r} (expected: {', '.join(KINDS)})")
    _check_dps(dps)
    return _critical_points_cached(problem, kinds_t, dps, int(seed))
