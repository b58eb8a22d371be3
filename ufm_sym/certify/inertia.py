"""The Hessian's inertia with ball arithmetic.

- :func:`inertia_at_critical_point`: the certificate.  After the Krawczyk test of
  :mod:`.existence` succeeded, the inertia of the bordered Jacobian ``J(x)`` is known
  for every ``x`` of the box (the signs of the float64 eigenvalues of its midpoint);
  with ``t`` the orbit's dimension, the Hessian at the true critical point ``x*``
  has exactly ``n_-(J) - t`` negative, ``t`` zero (the orbit, no more) and
  ``n_+(J) - t`` positive eigenvalues, and the Hessian restricted to the slice has
  ``n_-(J) - t`` negative and no zero eigenvalue at *every* point of the box
  (Haynsworth's inertia formula for bordered matrices; docs/certified.md).  For a
  strict saddle a Rayleigh quotient ``v^T hess f(x) v / v^T v`` evaluated in balls over
  the whole box bounds ``lambda_min(hess f(x)) <= -c < 0`` everywhere on it.
- :func:`count_below`: the number of eigenvalues of a small symmetric ball matrix
  below given thresholds (Sylvester's law of inertia and Gershgorin discs of
  ``X^T (A - mu I) X``), valid for every matrix in the ball (used for the ranks and
  the dual feasibility in :mod:`.critical`).
- :func:`hessian_spectrum`: the spectrum summary that
  :func:`ufm_sym.landscape.classify` reports: eigenvalues of the Hessian *matrix
  computed in mpmath* (refined to ``dps`` digits), with their counts at a margin
  *checked* by :func:`certify_inertia` up to a stated rounding allowance for that
  matrix's assembly.  That check is about the computed matrix, not a certificate
  about the UFM; classify replaces its flag by :func:`inertia_at_critical_point`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath

from ufm_sym.certify.flint_util import (
    arb_lower_mpf,
    arb_to_mpf,
    arb_upper_mpf,
    bits_for,
    flint_module,
    mpf_str,
)
from ufm_sym.highprec.eig import refined_symmetric_eig
from ufm_sym.highprec.evaluate import working_precision
from ufm_sym.model import UFMInputError

__all__ = ["EIG_METHODS", "InertiaCertificate", "Spectrum", "certified_spectrum",
           "certify_inertia", "count_below", "hessian_spectrum", "inertia_at_critical_point",
           "rayleigh_upper"]

EIG_METHODS: tuple[str, ...] = ("refined", "mpmath")


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues of the Hessian matrix and their signs at the margin.

    ``negative``: eigenvalues ``< -margin``; ``near_zero``: in ``[-margin, margin]``;
    ``positive``: ``> margin``.  From :func:`hessian_spectrum`, ``certified`` says that
    the counts passed :func:`certify_inertia` *for the computed matrix* (with its
    rounding allowance); :func:`ufm_sym.landscape.classify` sets it to whether the
    certificate of :func:`~ufm_sym.certify.critical.certify_critical_point` (a true
    critical point within the margin, and the Hessian's inertia there, proved end to
    end in ball arithmetic) holds and agrees with these counts, and ``certificate`` to
    its sentence.  ``error_bound`` bounds the distance from each reported eigenvalue
    to the spectrum of the computed matrix (largest Gershgorin radius; ``None`` when the
    check was skipped, ``check=False`` in :func:`hessian_spectrum`).
    """

    size: int
    eigenvalues: tuple[Any, ...] = field(repr=False)
    smallest: Any
    negative: int
    near_zero: int
    positive: int
    margin: Any
    certified: bool
    certificate: str
    error_bound: Any
    method: str
    seconds: float


def certify_inertia(S: Any, G: Any, mus: Sequence[Any], allowance: Any, dps: int
                    ) -> tuple[list[int] | None, Any, str]:
    """Count the eigenvalues of ``A`` below each ``mu`` from ball products
    ``S = X^T A X`` and ``G = X^T X`` (``X`` approximate eigenvectors); ``mus`` may be
    numbers or ``arb`` balls.

    ``X^T (A - mu I) X = S - mu G`` has the inertia of ``A - mu I`` when ``X`` is
    nonsingular (Sylvester's law; proved by ``||I - G||_F < 1``).  Its Gershgorin
    intervals (radius: off-diagonal row sum, plus ``allowance`` for the rounding of
    ``A`` itself) that lie left of 0 are then exactly its negative eigenvalues,
    provided no interval contains 0.  Returns ``(counts or None, largest radius,
    explanation)``.

    >>> import flint
    >>> S = flint.arb_mat([[-1, 0], [0, 2]]); G = flint.arb_mat([[1, 0], [0, 1]])
    >>> certify_inertia(S, G, [mpmath.mpf(0), mpmath.mpf(3)], 0, dps=30)[0]
    [1, 2]
    """
    flint = flint_module()
    P = S.nrows()
    with flint.ctx.workprec(bits_for(dps)):
        Sl, Gl = S.tolist(), G.tolist()
        allow = flint.arb(allowance)
        allow_mp = arb_to_mpf(allow.upper()) if allowance else 0
        off_G = flint.arb(0)
        for i in range(P):
            for j in range(P):
                d = Gl[i][j] - (1 if i == j else 0)
                off_G += d * d
        if not off_G.upper() < 1:
            return None, None, "not certified: the eigenvector matrix is not provably " \
                               "nonsingular"
        rS = []
        rG = []
        for i in range(P):
            rs = flint.arb(0)
            rg = flint.arb(0)
            for j in range(P):
                if i != j:
                    rs += Sl[i][j].abs_upper()
                    rg += Gl[i][j].abs_upper()
            rS.append(rs)
            rG.append(rg)
        counts: list[int] = []
        worst = flint.arb(0)
        for mu in mus:
            m = flint.arb(mu)
            below = 0
            for i in range(P):
                c = Sl[i][i] - m * Gl[i][i]
                r = (rS[i] + abs(m) * rG[i] + allow).upper()
                if (r > worst.upper()) is True:
                    worst = flint.arb(r)
                lo, hi = (c - r).lower(), (c + r).upper()
                if hi < 0:
                    below += 1
                elif not lo > 0:
                    return None, arb_to_mpf(worst), (
                        f"not certified: a Gershgorin interval of X^T (A - mu I) X "
                        f"contains 0 at mu = {m.str(3, radius=False)}")
            counts.append(below)
        with working_precision(dps):
            rad = arb_to_mpf(worst)
        return counts, rad, ("counts checked: Sylvester inertia of X^T (A - mu I) X with "
                             "Gershgorin discs (python-flint ball arithmetic) at the "
                             f"thresholds, rounding allowance {mpmath.nstr(allow_mp, 3)}")


def hessian_spectrum(A: Any, margin: Any, dps: int, method: str = "refined",
                     check: bool = True) -> Spectrum:
    """Eigenvalues of the symmetric Hessian matrix ``A`` and their signs at ``margin``.

    ``method``: ``"refined"`` (default; :func:`refined_symmetric_eig`) or ``"mpmath"``
    (``mpmath.eigsy``, the slow dense baseline).  Both counts are checked by
    :func:`certify_inertia` with an allowance of ``P * 10^-(dps - 3) * max |A_ij|`` for
    the rounding of ``A``'s entries (an estimate, not a proof: ``A`` was assembled in
    mpmath floating point), so ``certified`` here means "checked for the computed
    matrix"; the certificate about the UFM is :func:`inertia_at_critical_point`.

    ``check=False`` skips that check (the last round of refinement that it needs, and
    the Gershgorin discs): the eigenvalues are then Rayleigh quotients accurate to
    about ``10^-(dps + 2)`` (:func:`refined_symmetric_eig` with ``vectors=False``), the
    counts are read from them at ``margin``, ``certified`` is ``False`` and
    ``error_bound`` is ``None``.  :func:`ufm_sym.landscape.classify` does this when it
    runs the ball certificate, whose proved counts replace the check
    (:func:`certified_spectrum`).

    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     s = hessian_spectrum(mpmath.matrix([[-1, 0, 0], [0, 0, 0], [0, 0, 2]]),
    ...                          mpmath.mpf(10) ** -20, dps=30)
    >>> s.negative, s.near_zero, s.positive, s.certified, mpmath.nstr(s.smallest, 5)
    (1, 1, 1, True, '-1.0')
    """
    if method not in EIG_METHODS:
        raise UFMInputError(f"eig_method: unknown method {method!r} "
                            f"(expected one of: {', '.join(EIG_METHODS)})")
    flint = flint_module()
    t0 = time.perf_counter()
    with working_precision(dps):
        A = A if isinstance(A, mpmath.matrix) else mpmath.matrix(A)
        P = A.rows
        margin = mpmath.mpf(margin)
        rows = A.tolist()
        max_entry = max((abs(v) for row in rows for v in row), default=mpmath.mpf(0))
        allowance = P * mpmath.mpf(10) ** (-(dps - 3)) * max(max_entry, 1)
        if method == "refined":
            eigs, _, info = refined_symmetric_eig(A, dps, vectors=check)
            S, G = info["S"], info["G"]
            label = (f"refined (float64 eigh + {info['iterations']} Ogita-Aishima steps, "
                     f"python-flint)")
            if not info["converged"]:
                label += ", not fully converged"
        else:
            E, Q = mpmath.eigsy(A)
            eigs = [E[i] for i in range(P)]
            with flint.ctx.workprec(bits_for(dps)):
                X = flint.arb_mat([[Q[i, k] for k in range(P)] for i in range(P)])
                Am = flint.arb_mat(rows)
                Xt = X.transpose()
                S, G = Xt * (Am * X), Xt * X
            label = "mpmath.eigsy (dense Jacobi/QL)"
        if check:
            counts, radius, cert = certify_inertia(S, G, [-margin, margin], allowance, dps)
        else:
            counts, radius = None, None
            cert = ("not checked for the computed matrix (check=False: the ball "
                    "certificate decides)")
        if counts is not None:
            neg, below_plus = counts
            zero = below_plus - neg
        else:
            neg = sum(1 for e in eigs if e < -margin)
            zero = sum(1 for e in eigs if -margin <= e <= margin)
            if check:
                radius = radius if radius is not None else mpmath.mpf("nan")
        return Spectrum(size=P, eigenvalues=tuple(eigs), smallest=eigs[0] if eigs else None,
                        negative=neg, near_zero=zero, positive=P - neg - zero,
                        margin=margin, certified=counts is not None, certificate=cert,
                        error_bound=radius, method=label,
                        seconds=time.perf_counter() - t0)


# ------------------------------------------------------------ the certificate
@dataclass(frozen=True)
class InertiaCertificate:
    """The Hessian's inertia at the true critical point ``x*`` of an existence
    certificate, and over the whole box around the point.

    ``negative``, ``zero``, ``positive``: the eigenvalue counts of ``hess f(x*)``
    (``zero`` is the orbit's dimension: every zero eigenvalue comes from the
    symmetry); ``slice_positive_definite``: the Hessian restricted to the slice is
    positive definite at every point of the box (a local minimum transversally to the
    orbit); ``lambda_min_upper``: for a saddle, ``lambda_min(hess f(x)) <= it < 0`` at
    every point of the box (a Rayleigh quotient in balls), else ``None``;
    ``box_radius``: the box is ``|x_i - x~_i| <= box_radius``.
    """

    certified: bool
    reason: str
    negative: int | None = None
    zero: int | None = None
    positive: int | None = None
    slice_positive_definite: bool | None = None
    lambda_min_upper: Any = None
    box_radius: Any = None

    @property
    def kind(self) -> str | None:
        """``"minimum"`` (positive definite on the slice), ``"strict_saddle"`` (a
        negative eigenvalue, ``lambda_min`` bounded below 0 on the box) or ``None``."""
        if not self.certified:
            return None
        if self.negative == 0:
            return "minimum"
        if self.lambda_min_upper is not None and self.lambda_min_upper < 0:
            return "strict_saddle"
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        def s(x: Any, up: bool) -> str | None:
            return None if x is None else mpf_str(x, 6, up=up)
        return {"certified": self.certified, "kind": self.kind, "negative": self.negative,
                "zero": self.zero, "positive": self.positive,
                "slice_positive_definite": self.slice_positive_definite,
                "lambda_min_upper": s(self.lambda_min_upper, True),
                "box_radius": s(self.box_radius, False), "reason": self.reason}


def rayleigh_upper(J: Any, v: Any, P: int, prec: int) -> Any:
    """An upper bound (exact ``arb``) of ``v^T A v / v^T v`` for every matrix ``A`` in
    the top-left ``P x P`` block of the ball matrix ``J`` (``v``: ``P`` exact floats)."""
    flint = flint_module()
    n = J.nrows()
    with flint.ctx.workprec(prec):
        col = flint.arb_mat(n, 1, [float(x) for x in v] + [0] * (n - P))
        Av = J * col
        num = sum((Av[i, 0] * float(v[i]) for i in range(P)), flint.arb(0))
        den = sum((flint.arb(float(x)) ** 2 for x in v), flint.arb(0))
        return (num / den).upper()


def inertia_at_critical_point(existence: Any, bordered: Any) -> InertiaCertificate:
    """The inertia certificate (module docstring) from a successful
    :func:`~ufm_sym.certify.existence.prove_existence` and its bordered system.

    >>> from ufm_sym import Problem
    >>> from ufm_sym.certify.balls import ball_point
    >>> from ufm_sym.certify.existence import prove_existence
    >>> p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.02", lambda_b="0.01")
    >>> ex, bs = prove_existence(p, ball_point(p, ([[0] * 3] * 3, [[0] * 3] * 3, [0] * 3),
    ...                                        prec=400), max_radius="1e-40")
    >>> c = inertia_at_critical_point(ex, bs)
    >>> c.kind, c.negative, c.zero, c.lambda_min_upper < -0.01
    ('strict_saddle', 6, 0, True)
    """
    import numpy as np

    if not existence.certified or bordered is None:
        return InertiaCertificate(False, "not certified: no critical point was proved to "
                                         "exist near the point")
    t, P = bordered.slice.dimension, bordered.P
    lam = bordered.lam
    neg_J, pos_J = int(np.sum(lam < 0)), int(np.sum(lam > 0))
    neg, pos = neg_J - t, pos_J - t
    if neg < 0 or pos < 0:
        return InertiaCertificate(False, f"not certified: the bordered Jacobian has "
                                         f"{neg_J} negative and {pos_J} positive eigenvalues, "
                                         f"fewer than the orbit's dimension {t}")
    with mpmath.workdps(30):
        box = arb_lower_mpf(bordered.box_radius)
    where = f"at every x with |x_i - x~_i| <= {mpf_str(box, 3, up=False)}"
    if neg == 0:
        return InertiaCertificate(
            True, f"certified: hess f(x*) has {t} zero eigenvalue(s) (the orbit) and {pos} "
                  f"positive; hess f restricted to the slice is positive definite {where}",
            negative=0, zero=t, positive=pos, slice_positive_definite=True, box_radius=box)
    H = bordered.Jf[:P, :P]
    w, U = np.linalg.eigh((H + H.T) / 2)
    q = rayleigh_upper(bordered.J, U[:, 0], P, bordered.box.prec)
    with mpmath.workdps(30):
        qm = arb_upper_mpf(q)
    if not qm < 0:
        return InertiaCertificate(
            True, f"certified: hess f(x*) has {neg} negative, {t} zero (the orbit) and {pos} "
                  f"positive eigenvalues; the Rayleigh bound on lambda_min over the box is "
                  f"not negative ({mpf_str(qm, 3)})",
            negative=neg, zero=t, positive=pos, slice_positive_definite=False,
            lambda_min_upper=None, box_radius=box)
    return InertiaCertificate(
        True, f"certified: hess f(x*) has {neg} negative, {t} zero (the orbit) and {pos} "
              f"positive eigenvalues; lambda_min(hess f(x)) <= {mpf_str(qm, 6)} {where}",
        negative=neg, zero=t, positive=pos, slice_positive_definite=False,
        lambda_min_upper=qm, box_radius=box)


def count_below(M: Any, mus: Sequence[Any], prec: int) -> tuple[list[int] | None, str]:
    """How many eigenvalues of every symmetric matrix in the ball matrix ``M`` lie
    below each threshold in ``mus`` (numbers or ``arb``): float64 eigenvectors ``X`` of
    the midpoint, then :func:`certify_inertia` on ``X^T M X`` and ``X^T X`` with no
    allowance (``M``'s balls already contain every rounding).  ``None`` when a
    Gershgorin interval touches a threshold.

    >>> import flint
    >>> M = flint.arb_mat([[2, 1], [1, 2]])
    >>> count_below(M, [0.5, 2, 4], prec=64)[0]
    [0, 1, 2]
    """
    import numpy as np

    flint = flint_module()
    n = M.nrows()
    with flint.ctx.workprec(prec):
        Mf = np.array([[float(x) for x in row] for row in M.mid().tolist()])
        _, X = np.linalg.eigh((Mf + Mf.T) / 2)
        Xa = flint.arb_mat(X.tolist())
        Xt = Xa.transpose()
        S, G = Xt * M * Xa, Xt * Xa
    counts, _, why = certify_inertia(S, G, list(mus), 0, dps=max(20, int(prec * 0.3)))
    return counts, why if n else "empty matrix"


def certified_spectrum(spec: Spectrum, certificate: Any) -> Spectrum:
    """``spec`` with ``certified`` / ``certificate`` taken from a
    :class:`~ufm_sym.certify.critical.CriticalPointCertificate` (or ``None``): certified
    exactly when existence and inertia are proved and the proved counts (negative;
    zero = the orbit) equal the counts of ``spec`` at its margin.

    >>> s = Spectrum(3, (), -1, 1, 1, 1, 1e-9, True, "checked", 0, "refined", 0.0)
    >>> certified_spectrum(s, None).certified
    False
    """
    import dataclasses

    if certificate is None:
        return dataclasses.replace(spec, certified=False,
                                   certificate="not certified: no certificate was attempted")
    ins = certificate.inertia
    if not certificate.certified:
        why = certificate.existence.reason if not certificate.existence.certified \
            else ins.reason
        return dataclasses.replace(spec, certified=False, certificate=why)
    if (ins.negative, ins.zero) != (spec.negative, spec.near_zero):
        return dataclasses.replace(spec, certified=False, certificate=(
            f"not certified: the proved inertia at the critical point ({ins.negative} "
            f"negative, {ins.zero} zero) differs from the counts at the margin "
            f"({spec.negative} negative, {spec.near_zero} near zero)"))
    return dataclasses.replace(spec, certified=True, certificate=ins.reason)
