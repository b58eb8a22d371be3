"""The values of the paper's symbols at sampled points: what a claim's statement is
evaluated at.

A check reads its claim's statement and evaluates it with
:func:`ufm_sym.symbolic.truth.truth` in an *environment*: a dict from the names of the
statement's symbols to numbers at one point.  The builders here compute those values
from the point alone (never from the statement being checked):

* :func:`point_env`: ``W``, ``H``, ``b``, ``G = grad g(R)``, ``Y``, the lambdas and the
  sizes at a critical point (mpmath);
* :func:`landscape_env`: adds ``f``, ``f^star`` (the global value of [13] / [12]),
  ``grad f`` and ``lambda_min(hess f)`` (certified counts, memoised);
* :func:`direction_env`: adds the pieces of the escape direction (3.10)/(4.36): a unit
  ``a`` with ``W a = 0`` (from the SVD of ``W``), the top singular pair ``u, v, sigma``
  of ``G``, and ``alpha``, ``beta``, ``s_a``;
* :func:`random_direction_env`: a random direction ``(D_W, D_H, D_b)`` and the finite
  difference value of ``d^2/dt^2 f(x + t Delta)``, for the Hessian forms (3.9)/(4.18).

``options(rec)`` gives the ``hess_g``/``loss_g`` callables that abstract nodes of the
statements (``HessianG``, ``LossG``) need.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from ufm_sym.claims import VerifyContext
from ufm_sym.symbolic.expressions import FrobeniusNorm
from ufm_sym.symbolic.functions import LambdaMin
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import geometry as Geo

#: the symbols of the theorems' statements
F = sp.Symbol("f")
FSTAR = sp.Symbol(r"f^{\star}")
P_SIZE = sp.Symbol("P", positive=True, integer=True)
GRAD_F = sp.MatrixSymbol(r"\nabla f", P_SIZE, 1)
HESS_F = sp.MatrixSymbol(r"\nabla^2 f", P_SIZE, P_SIZE)


def point_env(rec: Any) -> dict[str, Any]:
    """``W, H, b, G, Y``, the lambdas and ``K, d, N, n`` at a critical point."""
    env = C.point_values(rec)
    env["n"] = rec.problem.n
    return env


def derived_at(rec: Any) -> Any:
    """The derived derivatives at a record's point (:class:`ufm_sym.highprec.derived.
    DerivedAt`: grad g and the column Hessians from the sympy-derived column loss),
    at the current precision."""
    from ufm_sym.highprec.derived import DerivedAt

    return DerivedAt(rec.problem, rec.point, mpmath.mp.dps)


def options(rec: Any) -> dict[str, Any]:
    """``hess_g`` (the *derived* second derivative of the column loss) and ``loss_g`` at
    the point's ``R`` (mpmath)."""
    p = rec.problem
    at = derived_at(rec)

    def hess_g(A: Any, B: Any) -> Any:
        return at.hess_g_form(A, B)

    def loss_g(Rm: Any) -> Any:
        from ufm_sym.highprec.evaluate import _g_value, _matrix_rows

        return _g_value(p, _matrix_rows(Rm))

    return {"hess_g": hess_g, "loss_g": loss_g}


def landscape_env(rec: Any, ctx: VerifyContext) -> dict[str, Any]:
    """:func:`point_env` and ``f``, ``f^star``, ``grad f`` (flattened) and
    ``lambda_min(hess f)`` (:func:`ufm_sym_proofs.landscape.hessian_spectrum_summary`)."""
    from ufm_sym.closed_form import global_value
    from ufm_sym.highprec.evaluate import flatten, gradient
    from ufm_sym_proofs.landscape import hessian_spectrum_summary

    env = point_env(rec)
    lam_min = hessian_spectrum_summary(rec, ctx)[0]
    grad = flatten(gradient(rec.problem, rec.point))
    env.update({
        F.name: rec.value,
        FSTAR.name: ctx.memo(("global-value", rec.problem, ctx.dps),
                             lambda: global_value(rec.problem, dps=ctx.dps)),
        GRAD_F.name: mpmath.matrix(grad),
        sp.sstr(LAMBDA_MIN): lam_min,
        P_SIZE.name: len(grad),
    })
    return env


def direction_env(rec: Any, ctx: VerifyContext) -> dict[str, Any]:
    """:func:`point_env` and the escape direction's pieces at the point: ``a`` (a unit
    vector minimising ``||W a||``), ``u, v, sigma`` (the top singular pair of ``G``),
    and the direction ``D_W, D_H, D_b`` built from them.  The statements that read this
    environment write the paper's scalings ``alpha, beta`` out in the lambdas and use
    ``|a| = 1``, so those symbols are not given (a statement that used them would fail
    to evaluate, not pass)."""
    from ufm_sym_proofs.landscape import direction_for_record

    dirn = direction_for_record(rec, ctx)
    env = point_env(rec)
    DW, DH, Db = dirn.D
    env.update({
        Geo.a.name: dirn.a, Geo.u.name: dirn.u, Geo.v.name: dirn.v,
        Geo.sigma.name: dirn.sigma, "D_W": DW, "D_H": DH, "D_b": Db,
    })
    return env


def random_direction(rec: Any, seed: int) -> tuple[Any, Any, Any]:
    """A seeded Gaussian direction ``(D_W, D_H, D_b)`` with ``D1 != 0`` in general."""
    p = rec.problem
    (DW, DH, Db), = C.random_points(p, 1, seed)
    return C.float_to_mp_point(p, (DW, DH, Db))


def random_direction_env(rec: Any, ctx: VerifyContext, seed: int, form_symbol: Any
                         ) -> dict[str, Any]:
    """:func:`point_env`, a random direction, and the value of ``form_symbol`` (the left
    side of (3.9)/(4.18), ``hess f[Delta, Delta]``) by finite differences of ``f``
    along it (:func:`ufm_sym.highprec.finite_diff.fd_directional_precise`: objective
    values at raised precision and Richardson extrapolation, about dps + 10 digits): an
    independent value, not the derived form."""
    from ufm_sym.highprec.finite_diff import fd_directional_precise

    D = random_direction(rec, seed)

    def make() -> Any:
        return +fd_directional_precise(rec.problem, rec.point, D, order=2, dps=ctx.dps).value

    env = point_env(rec)
    env.update({"D_W": D[0], "D_H": D[1], "D_b": D[2],
                form_symbol.name: ctx.memo(("fd-form", id(rec), seed, ctx.dps), make)})
    return env


# ------------------------------------------------------------------ float64
def float_point_env(sample: Any) -> dict[str, Any]:
    """``W, H, b, G, Y``, the lambdas and the sizes at a float64 sample (NumPy)."""
    import numpy as np

    from ufm_sym.numeric.kernels import as_spec, grad_g, logits

    p = sample.problem
    W, H, b = (np.asarray(x, dtype=float) for x in sample.point)
    lw, lh, lb = p.float_lambdas()
    G = np.asarray(grad_g(as_spec(p), logits(W, H, b)))
    Y = np.kron(np.eye(p.K), np.ones((1, p.n)))
    return {"W": W, "H": H, "b": b.reshape(-1, 1), "G": G, "Y": Y, "lambda_W": lw,
            "lambda_H": lh, "lambda_b": lb, "K": p.K, "d": p.d, "N": p.N, "n": p.n}


def float_options(sample: Any) -> dict[str, Any]:
    """``hess_g`` at a float64 sample: the derived column Hessians
    (:class:`ufm_sym.numeric.derived.DerivedAt`), not the typed kernels."""
    import numpy as np

    from ufm_sym.numeric.derived import DerivedAt

    at = DerivedAt(sample.problem, tuple(np.asarray(x, dtype=float) for x in sample.point))

    def hess_g(A: Any, B: Any) -> float:
        return float(at.hess_g_form(np.asarray(A, dtype=float), np.asarray(B, dtype=float)))

    return {"hess_g": hess_g}


def float_direction_env(sample: Any) -> dict[str, Any]:
    """:func:`float_point_env` and the escape direction's pieces
    (:func:`ufm_sym.numeric.escape.escape_direction`)."""
    from ufm_sym.numeric.escape import escape_direction

    p = sample.problem
    e = escape_direction(p, sample.point)
    env = float_point_env(sample)
    DW, DH, Db = e.direction
    env.update({Geo.a.name: e.a.reshape(-1, 1), Geo.u.name: e.u.reshape(-1, 1),
                Geo.v.name: e.v.reshape(-1, 1), Geo.sigma.name: e.sigma,
                "D_W": DW, "D_H": DH, "D_b": Db.reshape(-1, 1)})
    return env


def sample_envs(samples: Any, build: Any, with_options: bool = False
                ) -> list[tuple[str, Any, Any]]:
    """``(where, build(sample), options)`` for float64 samples."""
    return [(f"{s.problem.describe()} [{s.kind}]", build(s),
             float_options(s) if with_options else None) for s in samples]


# ------------------------------------------------------------------ evidence
#: "x is a critical point": the premise of the theorems' statements
CRITICAL = sp.Eq(FrobeniusNorm(GRAD_F), 0, evaluate=False)


def truth_at_records(ctx: VerifyContext, claim: Any, records: Any, build: Any, detail: str,
                     with_options: bool = False, statement: Any = None) -> Any:
    """High-precision evidence: the claim's statement at each record, in the environment
    ``build(record)``, with the margins of :func:`ufm_sym_proofs._common.hp_margins`."""
    def make() -> Any:
        with mpmath.workdps(ctx.dps):
            return C.record_envs(records, build, with_options)

    envs = ctx.memo(("envs", claim.label, detail, with_options,
                     tuple(id(r) for r in records)), make)
    return C.statement_truth_evidence(ctx, claim, envs, detail, margin=C.hp_margins(ctx),
                                      statement=statement)


def truth_at_samples(ctx: VerifyContext, claim: Any, samples: Any, build: Any, detail: str,
                     with_options: bool = False, statement: Any = None) -> Any:
    """Numeric evidence: the claim's statement at each float64 sample
    (:func:`ufm_sym_proofs._common.float_margin`)."""
    envs = ctx.memo(("float-envs", claim.label, detail, with_options,
                     tuple(id(s) for s in samples)),
                    lambda: sample_envs(samples, build, with_options))
    return C.statement_truth_evidence(ctx, claim, envs, detail, margin=C.float_margin,
                                      level="numeric", statement=statement)


# ------------------------------------------------------------------ theorems
#: lambda_min(hess f), the smallest Hessian eigenvalue
LAMBDA_MIN = LambdaMin(HESS_F)


def theorem_statement() -> Any:
    """Theorems 1.1 / 1.2 as a formula: at every critical point, either f is the global
    value and the Hessian is positive semidefinite, or the Hessian has a negative
    eigenvalue (what the proofs show; "non-degenerate" is not claimed)."""
    return sp.Implies(CRITICAL, sp.Or(
        sp.And(sp.Eq(F, FSTAR, evaluate=False), sp.Ge(LAMBDA_MIN, 0, evaluate=False)),
        sp.Lt(LAMBDA_MIN, 0, evaluate=False)))


_D = C.derivation()
#: the hypotheses of the theorems: d = K and the weight decays' signs
THEOREM_HYPOTHESES: tuple[Any, ...] = (
    sp.Eq(_D.d, _D.K, evaluate=False), sp.Gt(_D.lambda_W, 0, evaluate=False),
    sp.Gt(_D.lambda_H, 0, evaluate=False), sp.Ge(_D.lambda_b, 0, evaluate=False))


def hypotheses_hold(hypotheses: Any, problem: Any) -> bool:
    """Do the scalar hypotheses (relations in d, K, N, n and the lambdas) hold for the
    problem?  Matrix hypotheses (``W a = 0``) are not about the problem and are skipped."""
    from ufm_sym.symbolic.truth import truth

    lw, lh, lb = problem.float_lambdas()
    env = {"d": problem.d, "K": problem.K, "N": problem.N, "n": problem.n,
           "lambda_W": lw, "lambda_H": lh, "lambda_b": lb}
    scalar = [h for h in hypotheses if isinstance(h, sp.Rel)
              and not any(getattr(s, "is_Matrix", False) for s in h.atoms(sp.MatrixSymbol))
              and {s.name for s in h.free_symbols} <= set(env)]
    return all(truth(h, env, 0).holds for h in scalar)


def float_landscape_env(sample: Any) -> dict[str, Any]:
    """:func:`float_point_env` and ``f``, ``f^star``, ``grad f`` and ``lambda_min``
    as the float64 sample measured them (Lanczos/dense eigenvalues)."""
    import numpy as np

    from ufm_sym.numeric.kernels import as_spec, gradient

    env = float_point_env(sample)
    W, H, b = (np.asarray(x, dtype=float) for x in sample.point)
    grads = gradient(as_spec(sample.problem), W, H, b)
    flat = np.concatenate([np.ravel(np.asarray(g)) for g in grads]).reshape(-1, 1)
    env.update({F.name: float(sample.numbers["objective"]),
                FSTAR.name: float(sample.numbers["global_value"]),
                GRAD_F.name: flat, sp.sstr(LAMBDA_MIN): float(sample.numbers["lambda_min"]),
                P_SIZE.name: flat.shape[0]})
    return env
