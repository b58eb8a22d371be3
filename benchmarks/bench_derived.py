"""Cost of the derived forms (the evidence) against the typed fast paths, per call.

    python benchmarks/bench_derived.py [--dps 50] [--sizes 3x2,5x2] [--repeat 3]

For each size ``K = d`` x ``n`` and each loss, at a random point and random directions:

* high precision (mpmath at ``--dps``): the gradient, the quadratic form (3.9)/(4.18),
  the bilinear form, the Hessian-vector product and the ``P x P`` Hessian, derived
  (:mod:`ufm_sym.highprec.derived`) against typed (:mod:`ufm_sym.highprec.evaluate`),
  plus the precise finite-difference agreement of the Hessian form
  (:func:`ufm_sym.highprec.finite_diff.fd_hessian_form_agreement`);
* float64 (NumPy): gradient, Hessian form and HVP, derived
  (:mod:`ufm_sym.numeric.derived`) against the kernels, and the independent derivatives
  of :mod:`ufm_sym.numeric.autodiff` (torch when installed, central differences).

The derived side is timed after a first call (the one-off SymPy derivation and
lambdify, reported separately as "setup").  Prints a table of seconds and the ratio
derived / typed measured in the same process; exits 0.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np

from ufm_sym import Problem
from ufm_sym.highprec import derived as hd
from ufm_sym.highprec import evaluate as he
from ufm_sym.highprec.finite_diff import fd_hessian_form_agreement
from ufm_sym.numeric import autodiff, kernels
from ufm_sym.numeric import derived as nd


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _rows(p: Problem, dps: int, repeat: int) -> list[tuple[str, str, float, float | None]]:
    """Timings for one problem: (problem, what, derived seconds, typed seconds)."""
    K = p.K
    rng = np.random.default_rng(0)
    f64 = [(rng.normal(size=(K, p.d)), rng.normal(size=(p.d, p.N)), rng.normal(size=K))
           for _ in range(3)]
    x, D, E = (he.to_mp_point(p, *t) for t in f64)
    t = time.perf_counter()
    hd.DerivedAt(p, x, dps)
    setup = time.perf_counter() - t
    at = hd.DerivedAt(p, x, dps)
    nat = nd.DerivedAt(p, f64[0])
    x0, D0 = f64[0], f64[1]
    tag = f"{p.loss} K={K} n={p.n} P={he.num_params(p)}"
    cases = [
        ("hp point setup (G, column Hessians)", lambda: hd.DerivedAt(p, x, dps), None),
        ("hp gradient", at.gradient, lambda: he.gradient(p, x, dps=dps)),
        ("hp Hessian form Q(D)", lambda: at.hessian_form(D),
         lambda: he.hessian_form(p, x, D, dps=dps)),
        ("hp bilinear form B(D, E)", lambda: at.hessian_form(D, E),
         lambda: he.hessian_form(p, x, D, E, dps=dps)),
        ("hp Hessian-vector product", lambda: at.hessian_vector_product(D),
         lambda: he.hessian_vector_product(p, x, D, dps=dps)),
        ("hp Hessian matrix", at.hessian_matrix, lambda: he.hessian_matrix(p, x, dps=dps)),
        ("hp FD agreement of Q(D)", lambda: fd_hessian_form_agreement(p, x, D, dps=dps), None),
        ("f64 point setup", lambda: nd.DerivedAt(p, x0), None),
        ("f64 gradient", nat.gradient, lambda: kernels.full_gradient(p, x0)),
        ("f64 Hessian form Q(D)", lambda: nat.hessian_form(D0),
         lambda: kernels.hessian_bilinear(p, x0, D0)),
        ("f64 Hessian-vector product", lambda: nat.hessian_vector_product(D0),
         lambda: kernels.hessian_vector_product(p, x0, D0)),
        ("f64 independent (autodiff, auto)",
         lambda: autodiff.independent_derivatives(p, x0, D0), None),
        ("f64 independent (central differences)",
         lambda: autodiff.independent_derivatives(p, x0, D0, "central-differences"), None),
    ]
    out: list[tuple[str, str, float, float | None]] = []
    with mpmath.workdps(dps):
        for name, fn, base in cases:
            out.append((tag, name, _best(fn, repeat),
                        _best(base, repeat) if base is not None else None))
    out.append((tag, "one-off derivation + lambdify (first call)", setup, None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dps", type=int, default=50)
    ap.add_argument("--sizes", default="3x2,5x2")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for size in args.sizes.split(","):
        K, n = (int(t) for t in size.split("x"))
        for loss in ("ce", "mse"):
            p = Problem(loss, K=K, n=n, lambda_W="0.01", lambda_H="0.02", lambda_b="0.03")
            rows.extend(_rows(p, args.dps, args.repeat))
    print(f"dps {args.dps}; best of {args.repeat}; seconds per call")
    print(f"{'problem':<24} {'what':<42} {'derived':>9} {'typed':>9} {'ratio':>7}")
    for tag, name, sd, sb in rows:
        ratio = f"{sd / sb:7.1f}" if sb else "       "
        typed = f"{sb:9.4f}" if sb is not None else "        -"
        print(f"{tag:<24} {name:<42} {sd:9.4f} {typed} {ratio}")


if __name__ == "__main__":
    main()
