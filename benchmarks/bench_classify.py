"""Speed of ``ufm-sym classify`` at 50 digits against the naive dense route.

    python benchmarks/bench_classify.py [--dps 50] [--cap 120] [--full-naive] [--sizes 4x2,8x4]

*Fast route*: :func:`ufm_sym.landscape.classify` in full (gradient, criterion, global
value, ranks, escape direction, the Hessian assembled from its block structure, its
eigenvalues by float64 ``eigh`` + Ogita-Aishima refinement with python-flint, and the
ball-arithmetic certificate of the eigenvalue counts).

*Naive route*: the same Hessian built column by column from ``P`` Hessian-vector
products in plain mpmath (``hessian_vector_product`` on the unit vectors), then
``mpmath.eigsy(A, eigvals_only=True)`` (eigenvalues only, no certificate: a lower
bound on what the naive route would cost).  ``eigsy`` is ``O(P^3)``; when its
predicted time exceeds ``--cap`` seconds it is not run but extrapolated as
``c * P^3``, with ``c`` measured by timing ``eigsy`` on the Hessian of the
``K = d = 5, n = 2`` problem (``P = 80``) at the same ``dps`` (stated in the output);
``--full-naive`` runs it regardless.

Targets (issue 5): ``K = d = 4, n = 2`` under 2 s; ``K = d = 8, n = 4`` under 30 s and at
least 10x faster than the naive route.  Points: the closed-form global minimizer
(critical, 28 zero eigenvalues at ``K = 8``) and the origin (a strict saddle) of the
CE problem with ``lambda_W = lambda_H = lambda_b = 0.01``.  Not a test: it prints a
table and exits 0.
"""

from __future__ import annotations

import argparse
import time

import mpmath

from ufm_sym import Problem
from ufm_sym.closed_form import global_minimizer
from ufm_sym.highprec.evaluate import hessian_matrix, hessian_vector_product, num_params, unflatten
from ufm_sym.landscape import classify

TARGETS = {(4, 2): 2.0, (8, 4): 30.0}


def problem(K: int, n: int) -> Problem:
    return Problem(loss="ce", K=K, n=n, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01")


def naive_hessian(p: Problem, x, dps: int) -> mpmath.matrix:
    P = num_params(p)
    A = mpmath.matrix(P, P)
    with mpmath.workdps(dps):
        for k in range(P):
            e = [0] * P
            e[k] = 1
            col = hessian_vector_product(p, x, unflatten(p, e))
            flat = [col[0][i, j] for i in range(col[0].rows) for j in range(col[0].cols)]
            flat += [col[1][i, j] for i in range(col[1].rows) for j in range(col[1].cols)]
            flat += [col[2][i, 0] for i in range(col[2].rows)]
            for i, v in enumerate(flat):
                A[i, k] = v
    return A


def eigsy_constant(dps: int) -> float:
    """Seconds per P^3 of ``mpmath.eigsy`` (eigenvalues only) at ``dps``, measured on
    the ``K = d = 5, n = 2`` Hessian (``P = 80``)."""
    p = problem(5, 2)
    A = hessian_matrix(p, global_minimizer(p, dps=dps), dps=dps)
    with mpmath.workdps(dps):
        t = time.perf_counter()
        mpmath.eigsy(A, eigvals_only=True)
        dt = time.perf_counter() - t
    return dt / A.rows ** 3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dps", type=int, default=50)
    ap.add_argument("--cap", type=float, default=120.0,
                    help="run eigsy only when predicted under CAP seconds (default 120)")
    ap.add_argument("--full-naive", action="store_true", help="always run eigsy")
    ap.add_argument("--sizes", default="4x2,8x4", help="KxN list (K = d), default 4x2,8x4")
    args = ap.parse_args()
    sizes = [tuple(int(t) for t in s.split("x")) for s in args.sizes.split(",")]
    c = eigsy_constant(args.dps)
    print(f"dps {args.dps}; eigsy calibration: {c:.3e} s per P^3 (K = d = 5, n = 2, P = 80)")
    print(f"{'size':>10} {'P':>4} {'point':>10} {'kind':>14} {'fast s':>8} {'naive hess s':>12} "
          f"{'eigsy s':>12} {'naive s':>9} {'ratio':>7} {'target':>8}")
    for K, n in sizes:
        p = problem(K, n)
        P = num_params(p)
        points = {"global": global_minimizer(p, dps=args.dps + 10),
                  "origin": ([[0] * K] * K, [[0] * (K * n)] * K, [0] * K)}
        for name, x in points.items():
            t = time.perf_counter()
            res = classify(p, x, dps=args.dps)
            fast = time.perf_counter() - t
            xm = res.point
            t = time.perf_counter()
            A = naive_hessian(p, xm, args.dps)
            t_hess = time.perf_counter() - t
            predicted = c * P ** 3
            if args.full_naive or predicted <= args.cap:
                with mpmath.workdps(args.dps):
                    t = time.perf_counter()
                    mpmath.eigsy(A, eigvals_only=True)
                    t_eig = time.perf_counter() - t
                how = "measured"
            else:
                t_eig = predicted
                how = "extrapolated"
            naive = t_hess + t_eig
            target = TARGETS.get((K, n))
            ok = "" if target is None else ("ok" if fast < target else "MISSED")
            if (K, n) == (8, 4) and naive / fast < 10:
                ok += " ratio<10x"
            print(f"{f'K=d={K},n={n}':>10} {P:>4} {name:>10} {res.kind:>14} {fast:8.2f} "
                  f"{t_hess:12.2f} {t_eig:9.1f} {how[0]} {naive:9.1f} {naive / fast:6.1f}x "
                  f"{(f'<{target:g}s ' + ok) if target else '':>8}")
    print("eigsy column: m = measured, e = extrapolated as c * P^3")


if __name__ == "__main__":
    main()
