"""Statement perturbations (ufm_sym.perturb): what is generated, what is told
equivalent from the formulas alone, and the runner on a small registry."""

import sympy as sp

from ufm_sym.claims import Claim, Evidence, Registry, VerifyContext
from ufm_sym.perturb import equivalence_reason, perturbations, run_statement_mutations
from ufm_sym.symbolic.truth import truth

x, y, lw = sp.symbols("x y lambda_W")
A = sp.MatrixSymbol("A", 2, 2)


def names(stmt):
    return [p.name for p in perturbations(stmt)]


def test_operators():
    assert names(sp.Eq(x, lw * y)) == ["[0] lhs*2", "[0] rhs*2", "lambda_W*2"]
    assert "[0] flip" in names(sp.Le(x, y)) and "[0] strict" in names(sp.Le(x, y))
    assert "[0] loose" in names(sp.Lt(x, y))
    assert "[0] drop x of lhs" in names(sp.Eq(x + y, 0))
    # inside Boolean formulas and lists; a relation against 0 still gets lhs*2
    stmt = [sp.Eq(x, 0), sp.Implies(sp.Gt(x, 0), sp.Eq(y, 1))]
    assert names(stmt) == ["[0] lhs*2", "[1] lhs*2", "[1] flip", "[1] loose", "[2] lhs*2",
                           "[2] rhs*2"]
    # the perturbed object is what it says
    flipped = {p.name: p.statement for p in perturbations(sp.Le(x, y))}["[0] flip"]
    assert flipped == sp.GreaterThan(x, y, evaluate=False)


def test_matrix_and_tuple_sides_are_scaled_componentwise():
    d = sp.Symbol("Delta")
    tup = sp.Eq(d, sp.Tuple(A, 2 * A), evaluate=False)
    scaled = {p.name: p.statement for p in perturbations(tup)}["[0] rhs*2"]
    assert scaled.rhs == sp.Tuple(2 * A, 4 * A)      # not the tuple repeated


def test_equivalence_told_from_the_formulas():
    assert equivalence_reason(sp.Eq(x, 0), sp.Eq(2 * x, 0, evaluate=False))
    assert equivalence_reason(sp.Ge(x, 0), sp.Ge(2 * x, 0, evaluate=False))
    assert equivalence_reason(sp.Eq(A, sp.ZeroMatrix(2, 2)),
                              sp.Eq(2 * A, sp.ZeroMatrix(2, 2), evaluate=False))
    assert equivalence_reason(sp.Le(x, y), sp.Le(2 * x, y, evaluate=False)) is None
    assert equivalence_reason(sp.Eq(x, y), sp.Eq(x, 2 * y, evaluate=False)) is None
    # a negative multiple of a sign condition is not equivalent
    assert equivalence_reason(sp.Ge(x, 0), sp.Ge(-2 * x, 0, evaluate=False)) is None


def test_runner_kills_what_a_reading_check_rejects_and_restores_the_statement():
    reg = Registry()
    c = reg.add(Claim("eq:x", "x <= 2", statement=sp.Le(x, 2)))

    @c.check("numeric")
    def reads(claim, ctx):
        ok = all(truth(claim.statement, {"x": v}, 1e-12).holds for v in (0.0, 1.0, 2.0))
        return Evidence("numeric", ok, None, None, 3, "x in {0, 1, 2}")

    d = reg.add(Claim("eq:y", "y = 1", statement=sp.Eq(y, 1)))
    d.check("numeric")(lambda claim, ctx: Evidence("numeric", True, None, None, 1, "reads nothing"))
    out = {(o.label, o.perturbation): o for o in run_statement_mutations(reg, VerifyContext())}
    assert out[("eq:x", "[0] flip")].killed            # x >= 2 fails at 0 and 1
    assert out[("eq:x", "[0] strict")].killed          # x < 2 fails at 2
    assert not out[("eq:x", "[0] rhs*2")].killed       # x <= 4: weaker, still true
    assert not any(o.killed for k, o in out.items() if k[0] == "eq:y")   # a blind check
    assert reg["eq:x"].statement == sp.Le(x, 2)
