"""The library of named elementary facts (ufm_sym.facts): every fact's randomized
high-precision test passes on its statement and fails on a wrong variant of it (a
stronger bound, a flipped inequality, a dropped factor, a changed hypothesis)."""

import mpmath
import pytest
import sympy as sp

from ufm_sym.claims import ProofStep, VerifyContext
from ufm_sym.facts import FACTS, Fact, UnknownFactError, get_fact
from ufm_sym.facts.nodes import Exists, FunctionGradient, FunctionValue, IsConvex
from ufm_sym.symbolic.expressions import FrobeniusNorm
from ufm_sym.symbolic.functions import (
    LambdaMin,
    NuclearNorm,
    NullSpaceProjector,
    Rank,
    SingularValue,
    SpectralNorm,
)
from ufm_sym.symbolic.latex import paper_latex
from ufm_sym.symbolic.symbols import K, N, d, lambda_H, lambda_W

DPS = 40
REQUIRED = {
    "rank-left-null-vector", "rank-product", "rank-equal-kernels",
    "null-vector-of-rank-deficient", "von-neumann-trace", "trace-spectral-nuclear",
    "am-gm-penalty", "nuclear-product-bound", "nuclear-variational-form",
    "nuclear-subdifferential", "convex-stationary-global-min", "rayleigh-quotient-bound",
    "balanced-product-nuclear-norm", "spectral-norm-from-gram", "rank-product-equal-kernels",
    "spectral-norm-orthogonal-sum", "second-order-necessary", "singular-value-decomposition",
}


def _sym(fact: Fact, name: str) -> sp.Basic:
    (out,) = [a for a in fact.statement.atoms(sp.MatrixSymbol, sp.Symbol)
              if getattr(a, "name", str(a)) == name]
    return out


def _parts(fact: Fact):
    """(hypotheses, conclusion) of the fact's (first) implication."""
    st = fact.statement
    return (st.args[0], st.args[1]) if isinstance(st, sp.Implies) else (None, st)


def test_the_library_has_the_facts_the_proofs_cite():
    assert REQUIRED <= set(FACTS)
    for name, fact in FACTS.items():
        assert fact.name == name
        assert fact.title and fact.title_tex and fact.reference and fact.tested
        assert paper_latex(fact.statement) == fact.latex()


@pytest.mark.parametrize("name", list(FACTS))
def test_each_fact_passes_its_own_test(name):
    ev = FACTS[name].test(dps=DPS, seed=3)
    assert ev.passed, ev.detail
    assert ev.level == "high-precision" and ev.samples >= 20
    assert "instances" in ev.detail and f"dps {DPS}" in ev.detail


def test_every_fact_with_an_inequality_has_sharp_instances():
    for name, fact in FACTS.items():
        ev = fact.test(dps=DPS, seed=0)
        sharp = int(ev.detail.split("(")[1].split(" where")[0])
        uses_inequality = bool(fact.statement.atoms(sp.LessThan, sp.GreaterThan))
        if uses_inequality and name not in ("rank-product",):
            assert sharp > 0, name


def test_unknown_names_are_refused_clearly():
    with pytest.raises(UnknownFactError, match="did you mean rank-product"):
        get_fact("rank-prodct")
    with pytest.raises(KeyError):
        FACTS["no-such-fact"]
    with pytest.raises(ValueError, match="duplicate"):
        FACTS.__class__([FACTS["rank-product"], FACTS["rank-product"]])


def test_a_fact_step_names_a_fact_and_evidence_is_memoised():
    step = ProofStep("rank W <= K - 1", FACTS["rank-left-null-vector"].statement, kind="fact",
                     by="rank-left-null-vector")
    ctx = VerifyContext(dps=30)
    ev1 = get_fact(step.by).evidence(ctx)
    assert ev1.passed and get_fact(step.by).evidence(ctx) is ev1


def test_instantiate_replaces_matrices_and_their_sizes():
    W = sp.MatrixSymbol("W", K, d)
    ones = sp.MatrixSymbol("ones_K", K, 1)
    got = FACTS["rank-left-null-vector"].instantiate({"a": ones, "W": W})
    assert got.args[1] == (Rank(W) <= K - 1) and ones in got.atoms(sp.MatrixSymbol)
    H = sp.MatrixSymbol("H", d, N)
    vn = FACTS["von-neumann-trace"].instantiate({"A": W * H, "B": W * H})
    assert sp.Min(K, N) in vn.atoms(sp.Min)
    with pytest.raises(ValueError, match="no symbol named"):
        FACTS["rank-product"].instantiate({"Q": W})


# ------------------------------------------------------------------ wrong variants
def _fails(fact: Fact, statement) -> str:
    ev = fact.with_statement(statement).test(dps=DPS, seed=3)
    assert not ev.passed, f"{fact.name}: the wrong variant passed: {statement}"
    return ev.detail


def test_rank_left_null_vector_wrong_variants():
    f = FACTS["rank-left-null-vector"]
    hyp, _ = _parts(f)
    W = _sym(f, "W")
    assert "violated" in _fails(f, sp.Implies(hyp, Rank(W) <= K - 2))      # too strong
    assert "slack" in _fails(f, sp.Implies(hyp, Rank(W) <= K))             # not sharp
    a = _sym(f, "a")                                                       # wrong hypothesis
    assert "hypotheses reject" in _fails(
        f, sp.Implies(sp.Trace(a.T * a) > 10**6, Rank(W) <= K - 1))
    assert "cannot be evaluated" in _fails(                                 # ill-shaped
        f, sp.Implies(sp.Eq(W * a, sp.ZeroMatrix(K, 1)), Rank(W) <= K - 1))


def test_rank_product_wrong_variants():
    f = FACTS["rank-product"]
    A, B = _sym(f, "A"), _sym(f, "B")
    _fails(f, Rank(A * B) <= sp.Min(Rank(A), Rank(B)) - 1)
    _fails(f, Rank(A * B) >= sp.Max(Rank(A), Rank(B)))


def test_kernel_facts_wrong_variants():
    f = FACTS["kernel-of-gram"]
    A = _sym(f, "A")
    p = A.shape[1]
    _fails(f, sp.Eq(NullSpaceProjector(A.T * A), sp.Identity(p) - NullSpaceProjector(A)))
    g = FACTS["rank-equal-kernels"]
    hyp, _ = _parts(g)
    W, H = _sym(g, "W"), _sym(g, "H")
    _fails(g, sp.Implies(hyp, sp.Eq(Rank(W), Rank(H) + 1)))
    assert "hypotheses reject" in _fails(
        g, sp.Implies(sp.Eq(NullSpaceProjector(W), sp.ZeroMatrix(d, d)), sp.Eq(Rank(W), Rank(H))))


def test_null_vector_wrong_variants():
    f = FACTS["null-vector-of-rank-deficient"]
    hyp, concl = _parts(f)
    W, a = _sym(f, "W"), _sym(f, "a")
    _fails(f, sp.Implies(hyp, Exists(a, sp.And(sp.Eq(W * a, sp.ZeroMatrix(K, 1)),
                                               sp.Eq(sp.Trace(a.T * a), 2)))))
    _fails(f, sp.Implies(hyp, Exists(a, sp.Eq(W * a, W * a + W * a + sp.OneMatrix(K, 1)))))


def test_trace_inequalities_wrong_variants():
    f = FACTS["von-neumann-trace"]
    A, B = _sym(f, "A"), _sym(f, "B")
    (s,) = f.statement.atoms(sp.Sum)
    assert "slack" not in _fails(f, f.statement.func(f.statement.lhs, s / 2))  # dropped half
    i, lo, hi = s.limits[0]
    reversed_sum = sp.Sum(SingularValue(A, i) * SingularValue(B, hi + 1 - i), (i, lo, hi))
    _fails(f, sp.Abs(sp.Trace(A.T * B)) <= reversed_sum)                      # wrong order
    _fails(f, sp.Abs(sp.Trace(A.T * B)) >= s)                                 # flipped
    g = FACTS["trace-spectral-nuclear"]
    A, B = _sym(g, "A"), _sym(g, "B")
    _fails(g, sp.Trace(A.T * B) <= SpectralNorm(A) * FrobeniusNorm(B))
    _fails(g, sp.Trace(A.T * B) <= SpectralNorm(A) * NuclearNorm(B) / 2)


def test_penalty_and_nuclear_norm_wrong_variants():
    f = FACTS["am-gm-penalty"]
    W, H = _sym(f, "W"), _sym(f, "H")
    F = FrobeniusNorm
    lhs = lambda_W / 2 * F(W) ** 2 + lambda_H / 2 * F(H) ** 2
    rhs = sp.sqrt(lambda_W * lambda_H) * F(W) * F(H)
    _fails(f, lhs >= 2 * rhs)                                                 # too strong
    assert "slack" in _fails(f, lambda_W * F(W) ** 2 + lambda_H * F(H) ** 2 >= rhs)  # no 1/2
    _fails(f, lhs <= rhs)                                                     # flipped
    g = FACTS["nuclear-product-bound"]
    W, H = _sym(g, "W"), _sym(g, "H")
    _fails(g, NuclearNorm(W * H) <= F(W) * F(H) / 2)
    assert "slack" in _fails(g, NuclearNorm(W * H) <= 2 * F(W) * F(H))
    h = FACTS["nuclear-variational-form"]
    bound, attained = h.statement.args if isinstance(h.statement.args[0], sp.LessThan) \
        else h.statement.args[::-1]
    hyp, eq = attained.args
    _fails(h, sp.And(bound, sp.Implies(hyp, sp.Eq(eq.lhs, 2 * eq.rhs))))      # dropped 1/2
    W, H = _sym(h, "W"), _sym(h, "H")
    assert "slack" in _fails(h, sp.And(NuclearNorm(W * H) <= F(W) ** 2 + F(H) ** 2, attained))


def test_subdifferential_wrong_variants():
    f = FACTS["nuclear-subdifferential"]
    hyp, concl = _parts(f)
    Y, Z, S = _sym(f, "Y"), _sym(f, "Z"), _sym(f, "S")
    _fails(f, sp.Implies(hyp, NuclearNorm(Y) <= NuclearNorm(Z) + sp.Trace(S.T * (Y - Z))))
    _fails(f, sp.Implies(hyp, NuclearNorm(Y) >= NuclearNorm(Z)))              # dropped term
    _fails(f, sp.Implies(hyp, NuclearNorm(Y) >= NuclearNorm(Z) + 2 * sp.Trace(S.T * (Y - Z))))


def test_convexity_wrong_variants():
    f = FACTS["convex-first-order"]
    X, X0 = _sym(f, "X"), _sym(f, "X_0")
    phi = "varphi"
    tangent = sp.Trace(FunctionGradient(phi, X0).T * (X - X0))
    _fails(f, sp.Implies(IsConvex(phi), FunctionValue(phi, X) <= FunctionValue(phi, X0) + tangent))
    _fails(f, sp.Implies(IsConvex(phi), FunctionValue(phi, X) >= FunctionValue(phi, X0) - tangent))
    g = FACTS["convex-stationary-global-min"]
    hyp, _ = _parts(g)
    X, X0 = _sym(g, "X"), _sym(g, "X_0")
    _fails(g, sp.Implies(hyp, FunctionValue(phi, X) <= FunctionValue(phi, X0)))
    assert "violated" in _fails(g, sp.Implies(hyp, FunctionValue(phi, X) > FunctionValue(phi, X0)))
    assert "hypotheses reject" in _fails(g, sp.Implies(
        sp.Eq(FunctionGradient(phi, X0), FunctionGradient(phi, X)),
        FunctionValue(phi, X) >= FunctionValue(phi, X0)))


def test_rayleigh_wrong_variants():
    f = FACTS["rayleigh-quotient-bound"]
    hyp, concl = _parts(f)
    A = _sym(f, "A")
    _fails(f, sp.Implies(hyp, concl.reversed.func(LambdaMin(A), concl.rhs)))   # flipped
    _fails(f, sp.Implies(hyp, LambdaMin(A) < concl.rhs))                       # strict


def test_a_convexity_hypothesis_is_checked_at_the_points():
    from ufm_sym.facts.logic import ConvexFunction, truth

    with mpmath.workdps(30):
        concave = ConvexFunction(lambda X: -mpmath.mnorm(X, "f") ** 2, lambda X: -2 * X)
        env = {"varphi": concave, "X": mpmath.eye(2), "X_0": mpmath.zeros(2, 2)}
        assert not truth(IsConvex("varphi"), env, tol=mpmath.mpf(10) ** -20).holds


def test_docs_list_every_fact_with_its_reference():
    from pathlib import Path

    from ufm_sym.facts.catalog import SECTION, catalog_markdown

    text = (Path(__file__).resolve().parents[1] / "docs" / "facts.md").read_text()
    for name, fact in FACTS.items():
        assert f"### `{name}`" in text, name
        assert fact.reference in text, name
        assert fact.latex() in text, name
        assert fact.tested in text, name
    assert SECTION + text.partition(SECTION)[2] == catalog_markdown(), (
        "docs/facts.md is out of step: python -m ufm_sym.facts.catalog docs/facts.md")


def test_the_catalog_rewrites_only_its_section(tmp_path):
    from ufm_sym.facts.catalog import SECTION, catalog_markdown, update_page

    page = tmp_path / "facts.md"
    page.write_text("# intro\n\nkept\n\n" + SECTION + "\nstale\n")
    assert update_page(page) and not update_page(page)
    assert page.read_text() == "# intro\n\nkept\n\n" + catalog_markdown()
    (tmp_path / "bad.md").write_text("no section\n")
    with pytest.raises(ValueError, match="no heading"):
        update_page(tmp_path / "bad.md")


def test_fact_step_evidence_checks_the_printed_formula():
    from ufm_sym.facts import fact_step_evidence

    ctx = VerifyContext(dps=30)
    W = sp.MatrixSymbol("W", K, d)
    ones = sp.MatrixSymbol("ones_K", K, 1)
    fact = FACTS["rank-left-null-vector"]
    full = ProofStep("s", fact.instantiate({"a": ones}), kind="fact", by=fact.name)
    assert fact_step_evidence(full, ctx, subs={"a": ones}).passed
    concl = ProofStep("s", Rank(W) <= K - 1, kind="fact", by=fact.name)
    assert fact_step_evidence(concl, ctx).passed
    wrong = ProofStep("s", Rank(W) <= K - 2, kind="fact", by=fact.name)
    assert "neither" in fact_step_evidence(wrong, ctx).detail
    unknown = ProofStep("s", None, kind="fact", by="no-such-fact")
    assert not fact_step_evidence(unknown, ctx).passed
    assert not fact_step_evidence(ProofStep("s", None), ctx).passed


# ------------------------------------------- balanced points, spectral norms, optimality
def _accepts(fact: Fact, statement) -> None:
    """A statement with a dropped hypothesis accepts an instance built to violate it."""
    assert "hypotheses accept it" in _fails(fact, statement)


def test_facts_with_instances_outside_the_hypotheses_report_them():
    for name in ("balanced-product-nuclear-norm", "spectral-norm-from-gram",
                 "rank-product-equal-kernels", "spectral-norm-orthogonal-sum",
                 "second-order-necessary"):
        ev = FACTS[name].test(dps=DPS, seed=3)
        assert ev.passed and "built to violate the hypotheses, rejected" in ev.detail, name
        sharp = int(ev.detail.split("(")[1].split(" where")[0])
        assert sharp > 0, name


def test_balanced_product_nuclear_norm_wrong_variants():
    f = FACTS["balanced-product-nuclear-norm"]
    hyp, concl = _parts(f)
    W, H = _sym(f, "W"), _sym(f, "H")
    F = FrobeniusNorm
    lhs = sp.sqrt(lambda_W * lambda_H) * NuclearNorm(W * H)
    half = lambda_W / 2 * F(W) ** 2 + lambda_H / 2 * F(H) ** 2
    assert concl == sp.Eq(lhs, half)
    assert "violated" in _fails(f, sp.Implies(hyp, sp.Eq(lhs, 2 * half)))           # no 1/2
    _fails(f, sp.Implies(hyp, sp.Eq(lambda_W * lambda_H * NuclearNorm(W * H), half)))  # no sqrt
    _fails(f, sp.Implies(hyp, sp.Eq(lhs, lambda_W / 2 * F(W) + lambda_H / 2 * F(H) ** 2)))
    _fails(f, sp.Implies(hyp, lhs < half))                                           # strict
    assert "hypotheses reject" in _fails(                                            # swapped
        f, sp.Implies(sp.Eq(lambda_H * W.T * W, lambda_W * H * H.T), concl))
    _accepts(f, concl)                                                               # dropped


def test_spectral_norm_from_gram_wrong_variants():
    f = FACTS["spectral-norm-from-gram"]
    hyp, concl = _parts(f)
    G, U, t = _sym(f, "G"), _sym(f, "U"), _sym(f, "t")
    gram, orthogonal = sp.Eq(G * G.T * U, t ** 2 * U), sp.Eq(U * U.T, sp.Identity(K))
    assert set(hyp.args) == {gram, orthogonal} and concl == sp.Eq(SpectralNorm(G), t)
    assert "violated" in _fails(f, sp.Implies(hyp, sp.Eq(SpectralNorm(G), 2 * t)))
    _fails(f, sp.Implies(hyp, sp.Eq(SpectralNorm(G), t ** 2)))                       # power
    _fails(f, sp.Implies(hyp, SpectralNorm(G) < t))                                 # strict
    assert "hypotheses reject" in _fails(
        f, sp.Implies(sp.And(sp.Eq(G * G.T * U, t * U), orthogonal), concl))
    _accepts(f, sp.Implies(gram, concl))                                           # dropped
    _accepts(f, sp.Implies(orthogonal, concl))
    real_t = sp.Symbol("t", real=True)                                # dropped t >= 0
    _accepts(f, f.statement.xreplace({t: real_t}))


def test_rank_product_equal_kernels_wrong_variants():
    f = FACTS["rank-product-equal-kernels"]
    hyp, concl = _parts(f)
    W, H = _sym(f, "W"), _sym(f, "H")
    assert concl == sp.Eq(Rank(W * H), Rank(W))
    assert "violated" in _fails(f, sp.Implies(hyp, sp.Eq(Rank(W * H), Rank(W) - 1)))
    _fails(f, sp.Implies(hyp, Rank(W * H) < Rank(W)))
    _fails(f, sp.Implies(hyp, sp.Eq(Rank(W * H), d)))
    assert "hypotheses reject" in _fails(
        f, sp.Implies(sp.Eq(NullSpaceProjector(W), sp.ZeroMatrix(d, d)), concl))
    _accepts(f, concl)


def test_spectral_norm_orthogonal_sum_wrong_variants():
    f = FACTS["spectral-norm-orthogonal-sum"]
    hyp, concl = _parts(f)
    U, V, E, t = (_sym(f, x) for x in "UVEt")
    r = U.shape[1]
    S = SpectralNorm(t * U * V.T + E)
    assert concl == sp.Eq(S, sp.Max(t, SpectralNorm(E)))
    assert "violated" in _fails(f, sp.Implies(hyp, sp.Eq(S, sp.Max(2 * t, SpectralNorm(E)))))
    _fails(f, sp.Implies(hyp, sp.Eq(S, t + SpectralNorm(E))))                       # sum
    _fails(f, sp.Implies(hyp, sp.Eq(S, sp.Min(t, SpectralNorm(E)))))                # min
    _fails(f, sp.Implies(hyp, S < sp.Max(t, SpectralNorm(E))))                      # strict
    parts = [sp.Eq(U.T * U, sp.Identity(r)), sp.Eq(V.T * V, sp.Identity(r)),
             sp.Eq(U.T * E, sp.ZeroMatrix(r, N)), sp.Eq(E * V, sp.ZeroMatrix(K, r))]
    assert set(hyp.args) == set(parts)
    for dropped in parts:                                                  # each hypothesis
        _accepts(f, sp.Implies(sp.And(*[h for h in parts if h != dropped]), concl))
    _accepts(f, f.statement.xreplace({t: sp.Symbol("t", real=True)}))      # t >= 0
    assert "hypotheses reject" in _fails(
        f, sp.Implies(sp.And(sp.Eq(U.T * U, 2 * sp.Identity(r)), *parts[1:]), concl))


def test_singular_value_decomposition_wrong_variants():
    f = FACTS["singular-value-decomposition"]
    W, U, S, V = (_sym(f, x) for x in ("W", "U", r"\Sigma", "V"))
    parts = list(f.statement.body.body.body.args)
    off = sp.OneMatrix(d, d) - sp.Identity(d)

    def exists(*relations):
        return Exists(V, Exists(U, Exists(S, sp.And(*relations))))

    swap = lambda old, new: exists(*[new if p == old else p for p in parts])  # noqa: E731
    assert "violated" in _fails(f, swap(sp.Eq(W * V, U * S), sp.Eq(W * V, 2 * U * S)))
    _fails(f, swap(sp.Eq(W * V, U * S), sp.Eq(V * W.T, S.T * U)))            # transposed order
    _fails(f, swap(sp.Eq(V.T * V, sp.Identity(d)), sp.Eq(V.T * V, 2 * sp.Identity(d))))
    _fails(f, swap(sp.Eq(sp.HadamardProduct(S.T * S, off), sp.ZeroMatrix(d, d)),   # not diag
                   sp.Eq(sp.HadamardProduct(S.T * S, sp.Identity(d)), sp.ZeroMatrix(d, d))))


def test_second_order_necessary_wrong_variants():
    f = FACTS["second-order-necessary"]
    hyp, concl = _parts(f)
    (Hess,) = f.statement.atoms(sp.MatrixSymbol)
    fv, fstar = _sym(f, "f"), _sym(f, r"f^{\star}")
    assert hyp == sp.Eq(fv, fstar) and concl == (LambdaMin(Hess) >= 0)
    assert "violated" in _fails(f, sp.Implies(hyp, LambdaMin(Hess) >= 1))          # constant
    assert "violated" in _fails(f, sp.Implies(hyp, LambdaMin(Hess) > 0))           # strict
    assert "violated" in _fails(f, sp.Implies(hyp, LambdaMin(Hess) <= 0))          # flipped
    assert "slack" in _fails(f, sp.Implies(hyp, LambdaMin(Hess) >= -1))            # weaker
    _accepts(f, concl)                                                             # dropped
    _accepts(f, sp.Implies(fv >= fstar, concl))                                    # weakened


def test_the_wells_derivatives_match_numerical_differentiation():
    from ufm_sym.facts.optimality import Well

    with mpmath.workdps(30):
        x0, x = mpmath.matrix([0.3, -1.2, 0.5]), mpmath.matrix([0.9, -0.4, 1.1])
        A = mpmath.matrix([[2, 1, 0], [1, 2, 0], [0, 0, 0]])
        w = Well(x0, A, mpmath.mpf("0.7"), mpmath.mpf("1.3"), mpmath.matrix([1, -2, 0.5]),
                 mpmath.mpf("0.25"))
        xs = [x[i] for i in range(3)]

        def phi(*v):
            return w.value(mpmath.matrix(v))

        g, Hm = w.gradient(x), w.hessian(x)
        for i in range(3):
            e = [int(j == i) for j in range(3)]
            assert abs(mpmath.diff(phi, xs, e) - g[i]) < mpmath.mpf(10) ** -20
            for j in range(3):
                e2 = [int(a == i) + int(a == j) for a in range(3)]
                assert abs(mpmath.diff(phi, xs, e2) - Hm[i, j]) < mpmath.mpf(10) ** -20
        assert w.value(x0) == w.f0 and w.value(x) > w.f0


def test_fact_steps_with_the_proofs_substitutions():
    from ufm_sym.facts import fact_step_evidence

    ctx = VerifyContext(dps=30)
    W, H, G = sp.MatrixSymbol("W", K, d), sp.MatrixSymbol("H", d, N), sp.MatrixSymbol("G", K, N)
    r = sp.Symbol("r", integer=True, positive=True)
    U_r, V_r = sp.MatrixSymbol("U_r", K, r), sp.MatrixSymbol("V_r", N, r)
    s = sp.sqrt(lambda_W * lambda_H)
    cases = {
        "balanced-product-nuclear-norm": {"W": W, "H": H},
        "spectral-norm-from-gram": {"G": G, "U": sp.MatrixSymbol("U", K, K), "t": s},
        "rank-product-equal-kernels": {"W": W, "H": H},
        "spectral-norm-orthogonal-sum": {"t": s, "E": G - s * U_r * V_r.T, "U": U_r, "V": V_r},
        "second-order-necessary": {},
    }
    for name, subs in cases.items():
        formula = FACTS[name].instantiate(subs)
        step = ProofStep("s", formula, kind="fact", by=name)
        assert fact_step_evidence(step, ctx, subs=subs).passed, name
        concl = ProofStep("s", formula.args[1], kind="fact", by=name)
        assert fact_step_evidence(concl, ctx, subs=subs).passed, name
    gram = FACTS["spectral-norm-from-gram"].instantiate(cases["spectral-norm-from-gram"])
    assert gram.args[1] == sp.Eq(SpectralNorm(G), s)
    wrong = ProofStep("s", sp.Eq(SpectralNorm(G), lambda_W * lambda_H), kind="fact",
                      by="spectral-norm-from-gram")
    assert not fact_step_evidence(wrong, ctx, subs=cases["spectral-norm-from-gram"]).passed
    kernels = FACTS["rank-product-equal-kernels"].instantiate({"W": W, "H": H})
    assert kernels.args[1] == sp.Eq(Rank(W * H), Rank(W))
    wrong = ProofStep("s", sp.Eq(Rank(W * H), Rank(H)), kind="fact",
                      by="rank-product-equal-kernels")
    assert "neither" in fact_step_evidence(wrong, ctx).detail
    from ufm_sym.facts.optimality import HESS_F
    assert FACTS["second-order-necessary"].statement.args[1] == (LambdaMin(HESS_F) >= 0)
