"""Every part of a residual can fail on its own.

A check whose residual has several parts (``proofs._common.worst_part``) takes the worst
part.  For each part, these tests feed the check a point or a direction that violates
just that part and expect it to be caught: a check that dropped the part, flipped its
sign or loosened its bound would let the wrong point through (the mutation tool,
``tools/mutation.py``, runs these tests on the mutants the claims cannot see).
"""

from __future__ import annotations

import dataclasses

import mpmath
import numpy as np
import pytest

import ufm_sym_proofs.landscape as L
from ufm_sym.claims import VerifyContext, load_registry
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import cited as Cited
from ufm_sym_proofs import geometry as Geo
from ufm_sym_proofs import section3 as S3
from ufm_sym_proofs import section4_points as P

#: a part is violated when it exceeds this (the violations below are of order 1e-2 to 1)
VIOLATED = mpmath.mpf("1e-6")
#: a part that the corruption leaves alone stays below this (the points are refined to
#: 1e-45 at dps 50)
UNTOUCHED = mpmath.mpf("1e-30")


@pytest.fixture(scope="module")
def ctx():
    return VerifyContext(dps=50, seed=0, numeric_samples=10)


def _unit(n: int, seed: int) -> mpmath.matrix:
    rng = np.random.default_rng(seed)
    z = mpmath.matrix([[mpmath.mpf(float(x))] for x in rng.standard_normal(n)])
    return z / mpmath.norm(z)


def _c2_record(ctx, loss):
    return L.c2_records(ctx, loss)[0]


def _violated(parts: dict, name: str) -> None:
    """``name`` is violated, and the residual (the worst part) sees it."""
    assert abs(parts[name]) > VIOLATED, (name, parts)
    assert C.worst_part(parts) > VIOLATED


# ------------------------------------------------------------------ the helpers
def test_wrong_part_is_not_hidden_by_a_sum():
    assert C.worst_part({"a": mpmath.mpf(-3), "b": mpmath.mpf(2)}) == 3
    assert C.worst_part({"a": 1e-3, "b": -1e-3}) == pytest.approx(1e-3)  # a sum would be 0
    with pytest.raises(ValueError, match="at least one part"):
        C.worst_part({})


def test_wrong_sign_inside_the_margin_is_not_negative():
    assert L.certainly_negative(mpmath.mpf("-1e-9"))
    assert not L.certainly_negative(mpmath.mpf(0))
    assert not L.certainly_negative(mpmath.mpf("-1e-11"))  # inside the margin: not decided
    assert not L.certainly_negative(mpmath.mpf("1e-3"))


def test_numerical_ranks_wrong_gap_in_W_or_H_is_undecided():
    with mpmath.workdps(50):
        eye = mpmath.eye(2)
        tiny = mpmath.diag([1, mpmath.mpf("1e-25")])   # between 1e-40 and 1e-16
        zero = mpmath.diag([1, mpmath.mpf("1e-45")])   # a zero singular value
        assert C.numerical_ranks(eye, eye, 50) == (2, 2, 0, True)  # no zero: worst zero 0
        assert not C.numerical_ranks(tiny, eye, 50)[3]
        assert not C.numerical_ranks(eye, tiny, 50)[3]
        rw, rh, worst_zero, decided = C.numerical_ranks(zero, eye, 50)
        assert (rw, rh, decided) == (1, 2, True)
        assert worst_zero == pytest.approx(mpmath.mpf("1e-45"), rel=1e-10)
        assert C.numerical_ranks(eye, zero, 50)[:2] == (2, 1)


def test_wrong_ranks_make_rank_evidence_fail(ctx, monkeypatch):
    """rank W = rank H fails at a point whose H has an undecided singular value."""
    recs = C.hp_records(ctx, "ce")
    rec = recs[0]
    W, H, b = rec.point
    with mpmath.workdps(60):
        H2 = H + mpmath.mpf("1e-25") * _unit(H.rows, 1) * _unit(H.cols, 2).T
    bad = dataclasses.replace(rec, point=(W, H2, b))
    monkeypatch.setattr(C, "hp_records", lambda ctx, loss, kinds=None: [bad])
    assert not S3.rank_decided_evidence(ctx, "ce").passed


# ------------------------------------------------- the escape direction (3.10)/(4.36)
@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_wrong_null_vector_fails_each_part(ctx, loss):
    rec = _c2_record(ctx, loss)
    dirn = L.direction_for_record(rec, ctx)
    W, H, b = rec.point
    a = dirn.a
    with mpmath.workdps(60):
        y, z = _unit(W.rows, 3), _unit(H.cols, 4)
        parts = Geo.null_parts(rec.point, a)
        assert C.worst_part(parts) < UNTOUCHED
        bad_W = Geo.null_parts((W + y * a.T, H, b), a)        # W a = y, H^T a = 0
        _violated(bad_W, "W a")
        assert bad_W["H^T a"] < UNTOUCHED
        bad_H = Geo.null_parts((W, H + a * z.T, b), a)        # H^T a = z, W a = 0
        _violated(bad_H, "H^T a")
        assert bad_H["W a"] < UNTOUCHED
        assert Geo.mp_direction(rec.problem, (W, H + a * z.T, b), dirn.u, dirn.v,
                                dirn.sigma, a).null_residual > VIOLATED


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_wrong_direction_fails_each_part(ctx, loss):
    rec = _c2_record(ctx, loss)
    p = rec.problem
    dirn = L.direction_for_record(rec, ctx)
    W, H, b = rec.point
    DW, DH, Db = dirn.D
    a = dirn.a
    with mpmath.workdps(60):
        assert C.worst_part(L.direction_parts(p, rec.point, dirn)) < UNTOUCHED
        y, z = _unit(W.rows, 5), _unit(H.cols, 6)

        def parts(point=rec.point, D=dirn.D):
            return L.direction_parts(p, point, dataclasses.replace(dirn, D=D))

        _violated(parts(point=(W, H + a * z.T, b)), "D_W H")
        _violated(parts(point=(W + y * a.T, H, b)), "W D_H")
        _violated(parts(D=(DW, DH, Db + _unit(p.K, 7))), "D_b")
        flipped = parts(D=(DW, -DH, Db))                      # D_W D_H = +u v^T
        _violated(flipped, "D_W D_H + u v^T")
        assert abs(flipped["lH ||D_H||^2 - sqrt(lW lH)"]) < UNTOUCHED
        _violated(parts(D=(2 * DW, DH / 2, Db)), "lW ||D_W||^2 - sqrt(lW lH)")
        _violated(parts(D=(DW / 2, 2 * DH, Db)), "lH ||D_H||^2 - sqrt(lW lH)")


# ------------------------------------------------------------------ the theorems


# ------------------------------------------------------------------ Section 3
def test_wrong_convexity_value_fails_at_high_precision(ctx, monkeypatch):
    import ufm_sym.highprec.derived as Dv

    claim = load_registry(plugins=False)["eq:3.1"]
    assert S3.convexity_high_precision(claim, ctx).passed
    monkeypatch.setattr(Dv.DerivedAt, "hess_g_form", lambda self, A, B: mpmath.mpf("-1e-3"))
    assert not S3.convexity_high_precision(claim, VerifyContext(dps=50, seed=0)).passed


# ------------------------------------------------------------ cited: (1.5)


def test_wrong_minimizer_evidence_sees_each_part(ctx, monkeypatch):
    assert Cited._minimizer_evidence(ctx, lambda p, x: 0, "nothing").passed
    assert not Cited._minimizer_evidence(ctx, lambda p, x: mpmath.mpf("1e-3"), "x").passed
    real = Cited.minimizers_from_random_starts(ctx)
    with mpmath.workdps(60):
        moved = [(p, (W * mpmath.mpf("1.01"), H, b)) for p, (W, H, b) in real]
    monkeypatch.setattr(Cited, "minimizers_from_random_starts", lambda ctx: moved)
    assert not Cited._minimizer_evidence(ctx, lambda p, x: 0, "f - f* only").passed


# ------------------------------------------------------------------ Section 4
class _Recorder:
    """Wraps ``worst_part`` to keep every dict of parts a check builds."""

    def __init__(self, monkeypatch):
        self.seen: dict[str, list] = {}
        real = C.worst_part

        def record(parts):
            for k, v in parts.items():
                self.seen.setdefault(k, []).append(abs(v))
            return real(parts)

        monkeypatch.setattr(C, "worst_part", record)

    def assert_violated(self, names):
        """Each named part was built and exceeded VIOLATED somewhere."""
        for name in names:
            assert name in self.seen, f"the check has no part {name!r}: {sorted(self.seen)}"
            assert max(self.seen[name]) > VIOLATED, (name, self.seen[name])


def _mp_noise(M, seed, scale="1e-2"):
    rng = np.random.default_rng(seed)
    return M + mpmath.mpf(scale) * mpmath.matrix(rng.standard_normal((M.rows, M.cols)).tolist())


def _saddle_rot(ctx):
    """A rotated MSE saddle with 1 < r < d: covered pairs and null vectors both exist."""
    rec = next(r for r in P.c2_records(ctx) if 1 < P.rotated(r, ctx).r < r.problem.d)
    return P.rotated(rec, ctx)


def _perturbed_rot(rot, seed=0):
    """Every array of the rotated point moved by about 1e-2 (a point far from critical)."""
    W, H, b = rot.rec.point
    Wt, Ht, bt = rot.point
    rec = dataclasses.replace(rot.rec, point=(_mp_noise(W, seed), _mp_noise(H, seed + 1), b))
    return dataclasses.replace(
        rot, rec=rec, point=(_mp_noise(Wt, seed + 2), _mp_noise(Ht, seed + 3), bt),
        U=_mp_noise(rot.U, seed + 4), G=_mp_noise(rot.G, seed + 5),
        sG=[s + mpmath.mpf("1e-2") * (i + 1) for i, s in enumerate(rot.sG)])


#: each residual of the rotated point, and the parts it states (parts that hold by
#: construction for any input, e.g. D_W D_H = alpha beta s u v^T in (4.20), are left out)
ROT_PARTS = [
    (P.residual_414, ["W V - U Sigma", "off-diagonal of W~^T W~", "columns of W~ after r"]),
    (P.residual_426, ["off-diagonal of W~^T W~", "off-diagonal of H~ H~^T",
                      "columns of W~ after r", "rows of H~ after r"]),
    (P.residual_432, ["U_r^T E", "E V_r", "singular values of G"]),
]


@pytest.mark.parametrize("fn, names", ROT_PARTS, ids=lambda x: getattr(x, "__name__", ""))
def test_wrong_rotated_point_fails_each_part(ctx, monkeypatch, fn, names):
    rot = _saddle_rot(ctx)
    with mpmath.workdps(60):
        assert fn(rot) < UNTOUCHED
        bad = _perturbed_rot(rot)
        rec = _Recorder(monkeypatch)
        assert fn(bad) > VIOLATED
    rec.assert_violated(names)


#: a wrong variant of each claim whose high-precision check evaluates its statement:
#: one lambda doubled, or G moved by the labels Y (which 1_K^T G = 0 cannot absorb)
def _wrong_statement(statement):
    D = C.derivation()
    eqs = statement if isinstance(statement, list) else [statement]
    for old, new in ((D.lambda_W, 2 * D.lambda_W), (D.lambda_H, 2 * D.lambda_H),
                     (D.lambda_b, 2 * D.lambda_b), (D.G, D.G + D.Y)):
        wrong = [e.xreplace({old: new}) for e in eqs]
        if wrong != eqs:
            return wrong
    raise AssertionError(f"no wrong variant of {statement}")


#: (3.7), lambda_W 1^T W = -1^T G H^T, is left out: both of its sides vanish at every
#: critical point (1^T W = 0 there, 1^T G = 0 everywhere by (3.6)), so no changed
#: constant can show; its wrong variant is tested below with a point where 1^T W != 0
STATEMENT_LABELS = ["eq:3.2", "eq:3.3", "eq:3.4", "eq:3.6", "eq:4.4", "eq:4.5", "eq:4.6",
                    "eq:4.2", "eq:4.7", "eq:4.8", "eq:4.11", "eq:4.12", "eq:4.13"]


def test_wrong_case1_point_fails_each_part(ctx, monkeypatch):
    import ufm_sym.closed_form as CF

    assert P.case1_evidence(ctx).passed
    real_rot, real_value = P.rotated, CF.global_value
    monkeypatch.setattr(P, "rotated", lambda rec, ctx: dataclasses.replace(
        real_rot(rec, ctx), sG=[s * mpmath.mpf("1.01") for s in real_rot(rec, ctx).sG]))
    monkeypatch.setattr(CF, "global_value", lambda p, dps: real_value(p, dps=dps) + 1)
    rec = _Recorder(monkeypatch)
    assert not P.case1_evidence(ctx).passed
    rec.assert_violated(["sigma_j(grad g) - sqrt(lW lH)", "f - f*"])


def test_wrong_ref12_minimizer_fails_each_part(ctx, monkeypatch):
    p, x, _ = P.ref12_minimizers(ctx)[0]
    W, H, b = x
    with mpmath.workdps(60):
        assert P.ref12_residual(p, x) < UNTOUCHED
        rec = _Recorder(monkeypatch)
        moved = (_mp_noise(W, 1), _mp_noise(H, 2), _mp_noise(b, 3))
        assert P.ref12_residual(p, moved) > VIOLATED
    rec.assert_violated(["W W^T - s (gamma_c P_K + gamma_m 1 1^T)",
                         "W H - (gamma_c Ytilde + gamma_m 1 1_N^T)", "b - beta 1_K",
                         "h_ki - sqrt(lW/(lH n)) w^k", "f - f*"])


#: each float64 residual of Section 4, and its parts
FLOAT_PARTS = [
    ("4.6", ["W^T W - (lH/lW) H H^T", "lW ||W||^2 - lH ||H||^2"]),
    ("prop4.3", ["grad f~", "f~ - f", "W~ H~ - W H"]),
    ("4.26", ["off-diagonal of W~^T W~", "off-diagonal of H~ H~^T", "columns of W~ after r",
              "rows of H~ after r"]),
    ("4.27", ["G h^iT + lW w_i", "w_i^T G + lH h^i"]),
    ("4.29", ["G v_i - sigma u_i", "G^T u_i - sigma v_i"]),
    ("4.30", ["U_r^T U_r - I", "V_r^T V_r - I"]),
    ("4.32", ["U_r^T E", "E V_r", "singular values of G"]),
]


@pytest.mark.parametrize("what, names", FLOAT_PARTS, ids=[w for w, _ in FLOAT_PARTS])
def test_wrong_float_sample_fails_each_part(ctx, monkeypatch, what, names):
    fr = next(f for f in P.float_rotated(ctx) if 1 < f.r < f.sample.problem.d)
    assert P.float_residual(fr, what) < 1e-6
    rng = np.random.default_rng(0)

    def noise(M):
        return M + 1e-2 * rng.standard_normal(M.shape)

    W, H, b = fr.sample.point
    Wt, Ht, bt = fr.point
    if what == "4.6":
        sample = dataclasses.replace(fr.sample, point=(noise(W), noise(H), b))
        bad = dataclasses.replace(fr, sample=sample)
    elif what == "4.30":   # rank W H = r must still hold: move the normal form only
        bad = dataclasses.replace(fr, point=(noise(Wt), noise(Ht), bt))
    else:
        bad = dataclasses.replace(fr, point=(noise(Wt), noise(Ht), bt), G=noise(fr.G),
                                  sG=fr.sG + 1e-2)
    rec = _Recorder(monkeypatch)
    assert P.float_residual(bad, what) > 1e-6
    rec.assert_violated(names)


def test_wrong_balance_ratio_fails_in_float64(ctx):
    """(4.6) with lW/lH for lH/lW passes at samples with lambda_W = lambda_H: the float64
    samples include the settings with lambda_W != lambda_H, where it fails."""
    assert P.float_evidence(ctx, "4.6").passed
    assert not P.float_evidence(ctx, "4.6", ratio=lambda lw, lh: lw / lh).passed


@pytest.mark.parametrize("label, residual", [("eq:1.6", Cited.eq16_residual),
                                              ("eq:1.7", Cited.eq17_residual)])
def test_wrong_cited_statement_fails(ctx, label, residual):
    """(1.6) and (1.7) are checked by evaluating the claim's statement: a wrong constant
    in the statement fails."""
    from functools import partial

    import sympy as sp

    st = load_registry()[label].statement
    right = partial(residual, statement=st)
    wrong = partial(residual, statement=sp.Eq(st.lhs, 2 * st.rhs, evaluate=False))
    assert Cited._minimizer_evidence(ctx, right, label).passed
    assert not Cited._minimizer_evidence(ctx, wrong, label).passed


def test_wrong_features_fail_each_part_of_eq16(ctx, monkeypatch):
    st = load_registry()["eq:1.6"].statement
    p, (W, H, b) = Cited.minimizers_from_random_starts(ctx)[0]
    with mpmath.workdps(60):
        assert Cited.eq16_residual(p, (W, H, b), st) < UNTOUCHED
        shift = _unit(p.d, 11) * mpmath.ones(1, p.N)          # every feature moved alike
        rec = _Recorder(monkeypatch)
        assert Cited.eq16_residual(p, (W, H + shift, b), st) > VIOLATED
    rec.assert_violated(["h_ki - sqrt(lW/(n lH)) w^k", "mean_k h_ki"])


def test_wrong_rotated_point_fails_each_part_of_prop43(ctx, monkeypatch):
    """Prop. 4.3: the rotated point is critical, in normal form (4.26), with f~ = f."""
    assert P.prop43_evidence(ctx).passed
    real = P.rotated
    bad = {}

    def moved(rec, ctx):
        if id(rec) not in bad:
            bad[id(rec)] = _perturbed_rot(real(rec, ctx))
        return bad[id(rec)]

    monkeypatch.setattr(P, "rotated", moved)
    rec = _Recorder(monkeypatch)
    assert not P.prop43_evidence(ctx).passed
    rec.assert_violated(["grad f~", "(4.26)", "f~ - f"])


def test_wrong_ratio_needs_float_samples_with_unequal_lambdas(ctx):
    """The float64 Section 4 samples include settings with lambda_W != lambda_H, where a
    swapped ratio lH/lW -> lW/lH shows (test_wrong_balance_ratio_fails_in_float64)."""
    assert any(fr.sample.problem.lambda_W != fr.sample.problem.lambda_H
               for fr in P.float_rotated(ctx))
    assert any(fr.sample.problem.lambda_W == fr.sample.problem.lambda_H
               for fr in P.float_rotated(ctx))


def test_wrong_case2_split_without_saddles_fails(ctx, monkeypatch):
    """(4.34) needs at least one critical point that is not a global minimizer."""
    assert P.case2_split_evidence(ctx).passed
    globals_only = [r for r in P.records(ctx) if r.is_global_min]
    monkeypatch.setattr(P, "records", lambda ctx: globals_only)
    assert not P.case2_split_evidence(ctx).passed
