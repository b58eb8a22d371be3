"""The certified level at one concrete point: :func:`certify_critical_point`.

This is the API the claims call (``certified`` evidence).  One call proves, in ball
arithmetic end to end (python-flint; docs/certified.md):

1. **existence** (:mod:`.existence`): a true critical point ``x*`` of ``f`` lies within
   the printed radius of the given point, on the slice transversal to the symmetry
   orbit (:mod:`.orbit`), and is the only one on the slice within ``max_radius``;
2. **inertia** (:mod:`.inertia`): the Hessian at ``x*`` has exactly ``negative`` /
   ``zero`` / ``positive`` eigenvalues, the zero ones being the orbit's dimension; for
   a strict saddle ``lambda_min(hess f) <= -c < 0`` on the whole box, for a minimum
   the Hessian restricted to the slice is positive definite on the whole box;
3. **rank** (:mod:`.rank`): ``W_lower <= rank W(x*) <= W_upper`` (lower bound from
   balls, upper bound from the algebra at the exact critical point: ``K - 1`` for CE);
4. **dual feasibility** (:mod:`.dual`): ``||grad g(R(x*))||_2 <= sqrt(lW lH)`` proved,
   disproved, or undecided;
5. **the global gap** (:mod:`.global_gap`): ``0 <= f(x*) - min f <= gap``, a rigorous
   duality gap (``f`` bounded above on the existence box, ``min f`` below by weak
   duality at an exact dual point proved feasible); ``gap.holds`` when it is within
   ``10^-(dps - 10) max(1, |f|)``: ``x*`` is a global minimizer to that tolerance.

Nothing is guessed: every part that cannot be proved says ``certified = False`` (or
``holds = None``) with a one-sentence reason.

>>> from ufm_sym import Problem
>>> from ufm_sym.closed_form import global_minimizer
>>> p = Problem(loss="ce", K=3, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")
>>> c = certify_critical_point(p, global_minimizer(p, dps=60), dps=50)
>>> c.certified, c.kind, c.existence.radius < 1e-55, c.inertia.zero, c.rank.W_exact
(True, 'minimum', True, 3, 2)
>>> c.dual.outcome, c.gap.holds, c.gap.gap < 1e-90
('equality', True, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath

from ufm_sym.certify.balls import ball_point, ball_point_from_flat
from ufm_sym.certify.dual import DualCertificate, dual_feasibility
from ufm_sym.certify.existence import PREC_LO, ExistenceCertificate, prove_existence
from ufm_sym.certify.flint_util import flint_module
from ufm_sym.certify.global_gap import GlobalGapCertificate, gap_on_box
from ufm_sym.certify.inertia import InertiaCertificate, inertia_at_critical_point
from ufm_sym.certify.rank import RankCertificate, rank_bounds
from ufm_sym.model import Problem, UFMInputError

__all__ = ["CriticalPointCertificate", "certify_critical_point", "precision_bits"]


def precision_bits(dps: int) -> int:
    """Bits for the gradient at the point: about twice ``dps`` digits, plus 32.

    >>> precision_bits(50)
    365
    """
    return int(math.ceil(2 * dps * math.log2(10))) + 32


@dataclass(frozen=True)
class CriticalPointCertificate:
    """What :func:`certify_critical_point` proved (module docstring).

    ``existence``, ``inertia``: always present; ``rank``, ``dual`` and ``gap`` (the
    global gap, :class:`~ufm_sym.certify.global_gap.GlobalGapCertificate`): present
    when existence is certified.  ``bits``: ``(high, low)`` precisions (gradient; Hessian
    and products).  ``seconds``: wall time of the whole certificate.
    """

    problem: Problem
    dps: int
    bits: tuple[int, int]
    existence: ExistenceCertificate
    inertia: InertiaCertificate
    rank: RankCertificate | None
    dual: DualCertificate | None
    seconds: float
    gap: GlobalGapCertificate | None = None

    @property
    def certified(self) -> bool:
        """Existence and the Hessian's inertia at ``x*`` are both proved."""
        return self.existence.certified and self.inertia.certified

    @property
    def kind(self) -> str | None:
        """``"minimum"`` (positive definite on the slice: the Hessian at ``x*`` is
        positive semidefinite with kernel exactly the orbit's tangent space),
        ``"strict_saddle"`` (``lambda_min <= -c < 0`` on the ball) or ``None``."""
        return self.inertia.kind if self.certified else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``existence``, ``inertia``, ``rank``, ``dual``, ``global_gap`` as
        dictionaries."""
        return {"certified": self.certified, "kind": self.kind, "dps": self.dps,
                "bits": list(self.bits), "existence": self.existence.to_dict(),
                "inertia": self.inertia.to_dict(),
                "rank": None if self.rank is None else self.rank.to_dict(),
                "dual": None if self.dual is None else self.dual.to_dict(),
                "global_gap": None if self.gap is None else self.gap.to_dict(),
                "seconds": round(self.seconds, 3)}

    def summary(self) -> str:
        """A few lines for a text report."""
        lines = [f"existence:  {self.existence.reason}"]
        if self.existence.certified:
            lines.append(f"inertia:    {self.inertia.reason}")
        if self.rank is not None:
            lines.append(f"rank:       {self.rank.reason}")
        if self.dual is not None:
            lines.append(f"dual:       {self.dual.reason}")
        if self.gap is not None:
            lines.append(f"global gap: {self.gap.reason}")
        return "\n".join(lines) + "\n"


def certify_critical_point(problem: Problem, point: Sequence[Any], dps: int = 50, *,
                           point_radius: Any = 0, max_radius: Any = None,
                           prec_lo: int = PREC_LO) -> CriticalPointCertificate:
    """Certify the critical point near ``point = (W, H, b)`` of ``problem``.

    **Input.**  ``point``: anything :func:`ufm_sym.highprec.evaluate.to_mp_point`
    accepts; decimal and fraction strings (POINT.json's) are enclosed exactly as
    written, ``mpf`` / ``float`` / integers are exact.  ``point_radius`` (``>= 0``):
    every entry is only known to ``+- point_radius`` (the statements then hold for
    every point of that input ball).  ``dps``: the digits the point carries; the
    gradient is evaluated at :func:`precision_bits` ``(dps)`` bits (about ``2 dps``
    digits), the Hessian and the ``n x n`` products at ``prec_lo`` bits.
    ``max_radius`` (default ``10^-(dps // 2)``): how far from the point the critical
    point may be; a longer Newton step is refused.  Bad values raise
    :class:`~ufm_sym.model.UFMInputError` naming them.

    **Output** (:class:`CriticalPointCertificate`; every number an ``mpf`` rounded
    in the safe direction):

    - ``existence.certified``; ``existence.radius``: ``||x* - point||_2 <= radius``
      for a true critical point ``x*``; ``existence.radius_inf``: the same per
      coordinate (around the exact centre); ``existence.slice``,
      ``existence.orbit_dimension`` ``t``; ``existence.unique_within``: ``x*`` is the
      only critical point on the slice with every coordinate within it;
      ``existence.reason`` (for a refusal: "not certified: k zero eigenvalues beyond
      the orbit", "the Newton step ... is more than the radius allowed", ...);
    - ``inertia.negative`` / ``zero`` (``= t``) / ``positive`` at ``x*``;
      ``inertia.slice_positive_definite`` (the Hessian on the slice is positive
      definite on the whole box ``|x_i - x~_i| <= max_radius``);
      ``inertia.lambda_min_upper`` (saddles: ``lambda_min(hess f(x)) <=`` it ``< 0``
      on that box); ``inertia.kind``: ``"minimum"``, ``"strict_saddle"`` or ``None``;
    - ``rank.W_lower`` / ``rank.W_upper`` / ``rank.W_exact`` / ``rank.H_lower``
      (lower bounds from balls, upper bound ``K - 1`` for CE from
      ``1_K^T W(x*) = 0``);
    - ``dual.holds`` (``True`` / ``False`` / ``None``), ``dual.outcome``
      (``"strict"``, ``"equality"``, ``"fails"``, ``"undecided"``),
      ``dual.norm_upper`` / ``dual.norm_lower`` on ``||grad g(R)||_2``;
    - ``gap.upper`` / ``gap.lower`` / ``gap.gap`` / ``gap.holds``:
      ``f <= upper`` on the existence box, ``min f >= lower``, so
      ``0 <= f(x*) - min f <= gap`` (:func:`~ufm_sym.certify.global_gap.gap_on_box`);
    - ``certified`` (existence and inertia), ``kind``, ``seconds``, ``to_dict()``,
      ``summary()``.

    **Cost** (measured on 2 cores shared with other jobs, load average about 5):
    0.01 to 0.06 s per point at ``K = d <= 5``, 0.7 to 0.9 s at ``K = d = 8, n = 4``
    (``P = 328``) and 9.5 to 12 s at ``K = d = 16, n = 2`` (``P = 784``); two ``n x n``
    ``arb_mat`` products dominate, ``n = P + t``; ``benchmarks/bench_certify.py``.

    **Rank** also carries ``rank.ones_W`` (CE): an upper bound of ``||1_K^T W||_2`` on
    the ball, ``None`` if some entry's ball misses 0 (which would refute
    ``1_K^T W(x*) = 0``).
    """
    from ufm_sym.precision import check_dps

    t0 = time.perf_counter()
    dps = check_dps(dps)
    if isinstance(prec_lo, bool) or not isinstance(prec_lo, int) or prec_lo < 53:
        raise UFMInputError(f"prec_lo: {prec_lo!r} must be an integer >= 53")
    if max_radius is None:
        max_radius = f"1e-{dps // 2}"
    hi = precision_bits(dps)
    x = ball_point(problem, point, hi, radius=point_radius)
    ex, bs = prove_existence(problem, x, max_radius, prec_lo=prec_lo)
    inertia = inertia_at_critical_point(ex, bs)
    rank = dual = gap = None
    if ex.certified:
        flint = flint_module()
        with flint.ctx.workprec(prec_lo):
            box = ball_point_from_flat(problem, x.midpoint().flat(), prec_lo).widened(
                flint.arb(mpmath.mpf(ex.radius_inf)))
        rank = rank_bounds(problem, box)
        dual = dual_feasibility(problem, box, rank.W_lower)
        # the global gap over the same box, at the gradient's precision
        xc = x.midpoint()
        gap = gap_on_box(problem, xc.widened(flint.arb(mpmath.mpf(ex.radius_inf))), xc, dps,
                         "critical point", ex.radius_inf)
    return CriticalPointCertificate(problem=problem, dps=dps, bits=(hi, prec_lo),
                                    existence=ex, inertia=inertia, rank=rank, dual=dual,
                                    seconds=time.perf_counter() - t0, gap=gap)
