"""Speed of the certified ``ufm-sym classify`` against today's (uncertified) classify.

    python benchmarks/bench_certify.py [--dps 50] [--sizes 8x4,16x2] [--loss ce]
                                       [--points global,origin]

For each size ``K = d``, ``n`` and each point (the closed-form global minimizer, a
strict saddle: the origin), in the same process:

- *today*: :func:`ufm_sym.landscape.classify` with ``certify=False`` (gradient,
  criterion, global value, ranks, escape direction, the mpmath Hessian and its
  eigenvalues refined to ``dps`` digits, their counts checked for the computed matrix);
- *certified*: ``classify`` with the certificate
  (:func:`ufm_sym.certify.critical.certify_critical_point`: existence of a true
  critical point by Krawczyk on the slice, inertia over the box, rank and dual
  feasibility, all in python-flint ball arithmetic);
- *old s*: the certified classify as it was before the spectrum check was skipped
  (``hessian_spectrum(check=True)``: the last Ogita-Aishima round and the Gershgorin
  check of the counts for the computed matrix, both discarded once the certificate
  decides), in the same process; *new/old*: the ratio;
- *certificate*: the certificate alone;
- *gap s* / *gap*: the part of it that is the global gap
  (:mod:`ufm_sym.certify.global_gap`: ``f`` and its gradient over the existence box,
  ``grad g`` at the centre, the exact dual point and ``g*``) and the proved bound on
  ``f(x*) - min f``.

Targets (issue 15): certified classify at ``K = d = 8, n = 4`` in at most 10 s and at
``K = d = 16, n = 2`` in at most 60 s on 2 cores.  The load average and the core count
are printed: on a shared machine the times scale with the load.  Not a test: it prints
a table and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import ufm_sym.landscape as landscape
from ufm_sym import Problem
from ufm_sym.certify.critical import certify_critical_point
from ufm_sym.closed_form import global_minimizer
from ufm_sym.highprec.evaluate import num_params
from ufm_sym.landscape import classify

TARGETS = {(8, 4): 10.0, (16, 2): 60.0}


def problem(loss: str, K: int, n: int) -> Problem:
    return Problem(loss=loss, K=K, n=n, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")


@contextlib.contextmanager
def spectrum_checked():
    """classify's spectrum as before: checked for the computed matrix."""
    real = landscape.hessian_spectrum
    landscape.hessian_spectrum = lambda *a, **kw: real(*a, **{**kw, "check": True})
    try:
        yield
    finally:
        landscape.hessian_spectrum = real


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dps", type=int, default=50)
    ap.add_argument("--sizes", default="8x4,16x2", help="KxN list (K = d), default 8x4,16x2")
    ap.add_argument("--loss", default="ce", choices=("ce", "mse"))
    ap.add_argument("--points", default="global,origin", help="global,origin (default both)")
    args = ap.parse_args()
    sizes = [tuple(int(t) for t in s.split("x")) for s in args.sizes.split(",")]
    print(f"dps {args.dps}; {os.cpu_count()} cores; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'size':>11} {'P':>4} {'point':>7} {'kind':>14} {'today s':>8} {'cert. s':>8} "
          f"{'ratio':>6} {'old s':>7} {'new/old':>7} {'cert only':>9} {'gap s':>6} {'gap':>8} "
          f"{'radius':>9} "
          f"{'inertia':>12} {'target':>10}")
    for K, n in sizes:
        p = problem(args.loss, K, n)
        points = {"global": global_minimizer(p, dps=args.dps + 10),
                  "origin": ([[0] * K] * K, [[0] * (K * n)] * K, [0] * K)}
        for name, x in points.items():
            if name not in args.points.split(","):
                continue
            today, t_today = timed(classify, p, x, dps=args.dps, certify=False)
            with spectrum_checked():
                old_c, t_old = timed(classify, p, x, dps=args.dps)
            cert_c, t_cert = timed(classify, p, x, dps=args.dps)
            assert (old_c.kind, old_c.spectrum.negative, old_c.spectrum.near_zero) == (
                cert_c.kind, cert_c.spectrum.negative, cert_c.spectrum.near_zero)
            cert, t_only = timed(certify_critical_point, p, today.point, dps=args.dps,
                                 max_radius=today.precision.margin)
            ex = cert.existence
            ins = cert.inertia
            inertia = (f"{ins.negative}/{ins.zero}/{ins.positive}" if ins.certified
                       else "refused")
            gap = cert.gap
            gap_s = f"{gap.seconds:6.3f}" if gap is not None else f"{'-':>6}"
            gap_v = gap.to_dict()["gap"] if gap is not None else "-"
            target = TARGETS.get((K, n))
            ok = "" if target is None else ("ok" if t_cert <= target else "MISSED")
            print(f"{f'K=d={K},n={n}':>11} {num_params(p):>4} {name:>7} {cert_c.kind:>14} "
                  f"{t_today:8.2f} {t_cert:8.2f} {t_cert / t_today:5.2f}x {t_old:7.2f} "
                  f"{t_cert / t_old:6.2f}x {t_only:9.2f} "
                  f"{gap_s} {gap_v:>8} "
                  f"{(str(ex.to_dict()['radius']) if ex.certified else '-'):>9} "
                  f"{inertia:>12} {(f'<={target:g}s ' + ok) if target else '':>10}",
                  flush=True)
    print("inertia: negative/zero (the orbit)/positive eigenvalues of hess f at the "
          "certified critical point")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
