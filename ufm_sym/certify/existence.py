"""Existence of a true critical point near a given point: the Krawczyk test on a
slice transversal to the symmetry orbit (docs/certified.md has the full argument).

**The system.**  A critical point of the UFM is never isolated when ``W != 0``: the
whole orbit ``(W Q, Q^T H)`` (and ``b + c 1_K`` for CE with ``lambda_b = 0``) is
critical, so ``grad f = 0`` has a singular Jacobian there and Newton-type existence
tests cannot apply to it directly.  With the slice ``Y0^T (x - x~) = 0`` of
:mod:`.orbit` (``t`` = the orbit's dimension at ``x~``), solve instead the square
*bordered* system in ``n = P + t`` unknowns ``(x, mu)``::

    F(x, mu) = ( grad f(x) + Y0 mu ,  Y0^T (x - x~) ) = 0,
    F'(x, mu) = J(x) = [[hess f(x), Y0], [Y0^T, 0]].

A zero of ``F`` is a critical point of ``f`` on the slice: by the symmetry,
``grad f(x)`` is orthogonal to every generator ``xi(x)``, so
``0 = C^T B(x)^T grad f(x) = -M(x)^T mu`` and ``mu = 0`` wherever ``M(x)`` is
nonsingular (:func:`~ufm_sym.certify.orbit.transversality`, proved on the ball).

**The Krawczyk test** (Krawczyk 1969; Moore, Kearfott and Cloud 2009, Sec. 8.2;
Rump 2010, Sec. 13).  A float64 ``eigh`` of the midpoint of ``J`` gives ``V`` and
``Lambda``; the preconditioner is the exactly symmetric ``Y = V diag(d) V^T`` with
``d_j = fl(1/lambda_j)`` (exact floating-point numbers; ``Y`` is never rounded, the
products ``V diag(d)`` are exact in ``arb``).  On the box ``X = x~ +- r`` (each of
the ``n`` coordinates, ``mu`` included)::

    K(X) = x~ - Y F(x~) + (I - Y J(X)) (X - x~),

and if ``|z_i| + kappa_i r < r`` for every ``i`` (``z = -Y F(x~)``,
``kappa_i = sum_j |I - Y J(X)|_ij``: ``kappa = max_i kappa_i < 1`` and
``r > max|z| / (1 - kappa)``), ``K(X)`` lies inside ``X`` and ``F`` has exactly one
zero ``(x*, mu*)`` in ``X``: ``x*`` is a critical point of ``f`` with
``|x*_i - x~_i| <= |z_i| + kappa_i r`` (printed as the Euclidean bound).  ``J(X)`` is
enclosed over the larger box ``x~ +- BOX_FACTOR max|z|`` (at most ``max_radius``),
where ``kappa < 1`` also makes the zero unique (every matrix of ``J(X)`` is
nonsingular, and ``F(a) - F(b) = J~ (a - b)`` with ``J~`` in the convex hull).
Only ``F(x~)`` needs high precision (it is about ``10^-dps``); ``J(X)`` and the two
``n x n`` products ``V^T J(X)`` and ``(V diag(d)) (.)`` only have to be accurate to
``kappa < 1``, so they run at ``prec_lo`` bits on ``arb_mat``.

**Inertia for free.**  ``||I - Y J(x)||_inf < 1`` for every ``x`` of the box makes
``J(x)`` and ``Y`` nonsingular and, along ``s -> (1 - s) J(x)^-1 + s Y`` (nonsingular
and symmetric for ``s`` in ``[0, 1]``), gives ``In J(x) = In Y = In diag(d)``: the
signs of the float64 eigenvalues are the inertia of every ``J(x)`` in the box
(:mod:`.inertia` turns it into the Hessian's inertia at ``x*``).

**Refusals.**  Where the midpoint ``J`` has eigenvalues below ``ZERO_TOL * max|lambda|``
(the Hessian restricted to the slice is singular: the critical set is larger than
one orbit) the answer is "not certified: k zero eigenvalues beyond the orbit"; where
the Newton step ``max |z|`` exceeds the allowed radius, or ``kappa >= 1``, or the
slice is not provably transversal, the reason says so.  Nothing is guessed.

>>> from ufm_sym import Problem
>>> from ufm_sym.closed_form import global_minimizer
>>> from ufm_sym.certify.balls import ball_point
>>> p = Problem(loss="ce", K=3, n=1, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> x = ball_point(p, global_minimizer(p, dps=60), prec=420)
>>> cert, _ = prove_existence(p, x, max_radius="1e-40")
>>> cert.certified, cert.orbit_dimension, cert.radius < 1e-55
(True, 3, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from ufm_sym.certify.balls import BallPoint, ball_point_from_flat, flat_gradient, hessian
from ufm_sym.certify.flint_util import (
    arb_lower_mpf,
    arb_to_str,
    arb_upper_mpf,
    flint_module,
    max_upper,
    mpf_str,
)
from ufm_sym.certify.orbit import Slice, choose_slice, transversality
from ufm_sym.model import Problem, UFMInputError, exact_number

__all__ = ["BOX_FACTOR", "PREC_LO", "ZERO_TOL", "BorderedSystem", "ExistenceCertificate",
           "prove_existence"]

PREC_LO = 128
"""Bits for the ball Hessian over the box and the products with ``V``."""
BOX_FACTOR = 16
"""The Hessian is enclosed over ``x~ +- BOX_FACTOR * (Newton step)`` (at most
``max_radius``): large enough for the Krawczyk box, small enough to keep ``J(X)``
tight."""
ZERO_TOL = 1e-9
"""Eigenvalues of the float64 bordered Jacobian below ``ZERO_TOL * max |lambda|``
count as zero (a singular Hessian on the slice)."""


@dataclass(frozen=True)
class ExistenceCertificate:
    """The answer of :func:`prove_existence`.

    ``certified``: a critical point ``x*`` of ``f`` exists with
    ``||x* - x_in||_2 <= radius`` for the given point ``x_in`` (every point of the
    input ball, when the point was given with a radius); ``slice``: the slice it lies
    on; ``orbit_dimension``: ``t``; ``unique_within``: ``x*`` is the only critical
    point on the slice within this distance of the point's centre; ``newton_step``:
    ``max |z|``; ``contraction``: ``kappa``; ``transversality``: the bound on
    ``||I - M||_inf``; ``radius_inf``: ``|x*_i - x~_i| <= radius_inf`` for every
    coordinate (``x~`` the exact centre, kept as ``centre``, a
    :class:`~ufm_sym.certify.balls.BallPoint` of radius 0); ``reason``: one sentence
    (why not, when not certified).  Numbers are ``mpf`` upper bounds (rounded up) or ``None``.
    """

    certified: bool
    radius: Any
    slice: str
    orbit_dimension: int
    reason: str
    max_radius: Any
    newton_step: Any = None
    contraction: Any = None
    transversality: Any = None
    unique_within: Any = None
    zero_eigenvalues_beyond_orbit: int = 0
    radius_inf: Any = None
    seconds: float = 0.0
    centre: BallPoint | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (decimal strings, upper bounds to 3 digits)."""
        def s(x: Any, up: bool = True) -> str | None:
            return None if x is None else mpf_str(x, 3, up=up)
        rmax = None if self.max_radius is None else mpmath.nstr(self.max_radius, 3)
        return {"certified": self.certified, "radius": s(self.radius), "slice": self.slice,
                "orbit_dimension": self.orbit_dimension, "reason": self.reason,
                "max_radius": rmax, "newton_step": s(self.newton_step),
                "contraction": s(self.contraction), "transversality": s(self.transversality),
                "unique_within": s(self.unique_within, up=False),
                "radius_inf": s(self.radius_inf),
                "zero_eigenvalues_beyond_orbit": self.zero_eigenvalues_beyond_orbit,
                "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class BorderedSystem:
    """What the Krawczyk test computed, for :mod:`.inertia` and :mod:`.critical`:
    ``J`` (the bordered Jacobian over the box ``box``, ``arb_mat``), the float64
    eigenpairs ``lam``, ``V`` of its midpoint ``Jf``, the slice, ``P``,
    ``box_radius`` (each coordinate of ``box`` is ``x~_i +- box_radius``) and
    ``kappa`` (``||I - Y J(x)||_inf <= kappa`` on the box, ``Y = V diag(1/lam) V^T``)."""

    J: Any = field(repr=False)
    lam: np.ndarray = field(repr=False)
    V: np.ndarray = field(repr=False)
    slice: Slice
    P: int
    box: BallPoint = field(repr=False)
    box_radius: Any
    Jf: np.ndarray = field(repr=False)
    kappa: Any


def _bordered(J: Any, slc: Slice, P: int) -> Any:
    """Fill the border ``Y0`` / ``Y0^T`` of the ``(P + t)``-square ``J`` (in place)."""
    Y0 = slc.basis
    for i in range(P):
        for k in range(slc.dimension):
            v = float(Y0[i, k])
            J[i, P + k] = v
            J[P + k, i] = v
    return J


def _positive_radius(value: Any, name: str) -> Any:
    q = exact_number(value, name)
    if q <= 0:
        raise UFMInputError(f"{name}: {q} must be > 0")
    return q


def _refuse(slc: Slice, reason: str, max_radius: Any, t0: float, **kw: Any
            ) -> ExistenceCertificate:
    return ExistenceCertificate(certified=False, radius=None, slice=slc.description,
                                orbit_dimension=slc.dimension, reason=reason,
                                max_radius=max_radius, seconds=time.perf_counter() - t0, **kw)


def prove_existence(problem: Problem, point: BallPoint, max_radius: Any,
                    prec_lo: int = PREC_LO) -> tuple[ExistenceCertificate,
                                                     BorderedSystem | None]:
    """Prove that a critical point exists within ``max_radius`` of ``point`` (a
    :class:`~ufm_sym.certify.balls.BallPoint` at the high precision the gradient
    needs, about twice the digits of the point) by the Krawczyk test of the module
    docstring.  Returns the certificate and the :class:`BorderedSystem` (``None``
    when it stopped before the ball products).

    ``max_radius`` (``> 0``) bounds the search: a Newton step longer than that is
    refused, and the Hessian is enclosed over the box ``x~ +- BOX_FACTOR max|z|``
    (each coordinate; at most ``max_radius``).
    """
    flint = flint_module()
    t0 = time.perf_counter()
    rmax_q = _positive_radius(max_radius, "max_radius")
    with mpmath.workdps(30):
        rmax_mp = mpmath.mpf(int(rmax_q.p)) / int(rmax_q.q)
    P = point.W.nrows() * point.W.ncols() + point.H.nrows() * point.H.ncols() + point.b.nrows()
    xc = point.midpoint()
    slc = choose_slice(problem, xc.floats(), abs_tol=float(rmax_mp))
    t = slc.dimension
    n = P + t
    hi = point.prec
    with flint.ctx.workprec(prec_lo):
        rmax = flint.arb(flint.fmpq(int(rmax_q.p), int(rmax_q.q))).upper()
        centre = ball_point_from_flat(problem, [x for x in xc.flat()], prec_lo)
        Jf = np.array([[float(v) for v in row]
                       for row in _bordered(hessian(centre, extra=t), slc, P).mid().tolist()])
    Jf = (Jf + Jf.T) / 2
    lam, V = np.linalg.eigh(Jf)
    scale = float(np.abs(lam).max()) if n else 1.0
    small = int(np.sum(np.abs(lam) <= ZERO_TOL * scale))
    if small:
        return _refuse(slc, f"not certified: {small} zero eigenvalue{'s' if small > 1 else ''} "
                            f"beyond the orbit (eigenvalues of the bordered Hessian with "
                            f"|lambda| <= {ZERO_TOL:g} * {scale:.3g} in float64; the orbit has "
                            f"dimension {t}: the critical set is larger than the orbit here, "
                            f"or the point is degenerate)", rmax_mp, t0,
                       zero_eigenvalues_beyond_orbit=small), None
    # Y = V diag(d) V^T, d_j = fl(1/lambda_j): exactly symmetric, never formed
    d = [float(1.0 / li) for li in lam]
    with flint.ctx.workprec(hi):
        Vm = flint.arb_mat(V.tolist())      # exact floats: valid at any precision
        Vt = Vm.transpose()
        Vd = flint.arb_mat(n, n)
        for i in range(n):
            for j in range(n):
                vij = Vm[i, j]
                if not vij.is_zero():
                    Vd[i, j] = vij * d[j]        # exact: 53 x 53 bits
        # Newton step z = -Y F(x~), F at high precision (F2 = Y0^T (x~ - x~) = 0)
        g = flat_gradient(xc)
        F = flint.arb_mat(n, 1, [g[i, 0] for i in range(P)] + [0] * t)
        zc = Vd * (Vt * F)
        z = [-zc[i, 0] for i in range(n)]
        zmax = max_upper(zi.abs_upper() for zi in z)
        rho_in = point.max_radius()
    if not zmax < rmax:
        return _refuse(slc, f"not certified: the Newton step from this point is "
                            f"{arb_to_str(zmax)}, more than the radius {mpmath.nstr(rmax_mp, 3)} "
                            f"allowed", rmax_mp, t0, newton_step=arb_upper_mpf(zmax)), None
    with flint.ctx.workprec(prec_lo):
        # the box where J is enclosed: BOX_FACTOR Newton steps (at most max_radius)
        rbox = (zmax * BOX_FACTOR + flint.arb(2) ** (-hi)).upper()
        if rbox > rmax:
            rbox = rmax
        box = centre.widened(rbox)
        J = _bordered(hessian(box, extra=t), slc, P)
        C = Vd * (Vt * J)                   # Y J(X); C = I - Y J(X) below
        kap = [sum(((C[i, j] - (1 if i == j else 0)).abs_upper() for j in range(n)),
                   flint.arb(0)).upper() for i in range(n)]
        kappa = max_upper(kap)
    bordered = BorderedSystem(J=J, lam=lam, V=V, slice=slc, P=P, box=box, box_radius=rbox,
                              Jf=Jf, kappa=kappa)
    if not kappa < 1:
        return _refuse(slc, f"not certified: the Krawczyk operator does not contract "
                            f"(||I - Y J||_inf <= {arb_to_str(kappa)}, not < 1)", rmax_mp, t0,
                       newton_step=arb_upper_mpf(zmax), contraction=arb_upper_mpf(kappa)), bordered
    with flint.ctx.workprec(hi):
        r = (zmax / (1 - kappa) * flint.arb("1.001") + flint.arb(2) ** (-hi)).upper()
        # |z_i| + kappa_i r: upper bounds of |K(X)_i - x~_i| (exact, non-negative)
        reach = [(z[i].abs_upper() + kap[i] * r).upper() for i in range(n)]
        inside = all(w < r for w in reach)
        rx = sum((w * w for w in reach[:P]), flint.arb(0)).sqrt().upper()
        r_x = max_upper(reach[:P])
        radius = (rx + flint.arb(P).sqrt() * rho_in).upper()
    if not (inside and r <= rbox):
        return _refuse(slc, f"not certified: the Krawczyk box (r = {arb_to_str(r)}) does not "
                            f"fit in the allowed radius {mpmath.nstr(rmax_mp, 3)}", rmax_mp, t0,
                       newton_step=arb_upper_mpf(zmax), contraction=arb_upper_mpf(kappa)), bordered
    with flint.ctx.workprec(prec_lo):
        tbox = centre.widened(r_x)
    ok, tbound, why = transversality(slc, tbox)
    if not ok:
        return _refuse(slc, f"not certified: {why}", rmax_mp, t0, newton_step=arb_upper_mpf(zmax),
                       contraction=arb_upper_mpf(kappa),
                       transversality=arb_upper_mpf(tbound)), bordered
    with mpmath.workdps(30):
        rad_mp = arb_upper_mpf(radius)
        r_mp = arb_upper_mpf(r_x)
        box_mp = arb_lower_mpf(rbox)
    reason = (f"a critical point exists within radius {mpf_str(rad_mp, 3)} of this point "
              f"(Krawczyk on the bordered system, kappa = {arb_to_str(kappa)}; "
              + ("no orbit to fix" if t == 0 else f"slice transversal to the {t}-dimensional "
                 "orbit") + ")")
    return ExistenceCertificate(
        certified=True, radius=rad_mp, slice=slc.description, orbit_dimension=t,
        reason=reason, max_radius=rmax_mp, newton_step=arb_upper_mpf(zmax),
        contraction=arb_upper_mpf(kappa), transversality=arb_upper_mpf(tbound),
        unique_within=box_mp, radius_inf=r_mp, seconds=time.perf_counter() - t0,
        centre=xc), bordered
