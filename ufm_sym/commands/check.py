"""``ufm-sym check EXPR --loss ce|mse [--at critical|global|saddle|random] [--K 3 --n 2]
[--d D] [--lambda-W X] [--lambda-H X] [--lambda-b X] [--point POINT.json] [--dps 50]
[--seed 0] [--json]``: does a user's identity or inequality hold?

EXPR is written in the paper's symbols (:mod:`ufm_sym.check` lists them) and
parsed safely (a whitelist of :mod:`ast` nodes; nothing is evaluated as Python).  It is
evaluated at sampled high-precision points of the requested kind and the largest
relative residual is reported with the point where it occurs; a symbolic proof is
attempted (identically equal, or a combination of the derived gradient components:
then it holds at every critical point).

Relations ``==``, ``<=``, ``<``, ``>=``, ``>``: an inequality compares scalars and
holds when the excess of the wrong side is at most the tolerance (``<=``, ``>=``) or
below minus the tolerance (``<``, ``>``: the margin is on the safe side).  With
``--point POINT.json`` the expression is evaluated at that point only, with the margin
:func:`ufm_sym.classify` would use there as the tolerance.

Exit 0 if the relation holds at every sampled point to the tolerance
``10^-(dps - 10)`` (relative), 1 if it fails somewhere (stderr names the worst point),
2 on a malformed expression, a shape error or other bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ufm_sym.check import AT_CHOICES
from ufm_sym.landscape import MAX_DPS, MIN_DPS


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="check a user's identity at sampled (critical) points",
        description=(
            "Evaluate EXPR ('lhs == rhs', 'lhs <= rhs' (also <, >=, >), or one expression, "
            "compared with 0) in the paper's symbols W, H, b, Y, R, G (= grad g(R)), ones_K, "
            "ones_N, lambda_W, lambda_H, lambda_b, N, n, K, d with .T, @, *, +, -, / by "
            "scalars, ** on scalars, numbers, trace(), norm(X) (Frobenius), norm(X, 2) "
            "(spectral), sigma_max(), sigma_min(), eigmin(), eigmax() (symmetric), sqrt(), "
            "rank(), at sampled high-precision points (or at --point); also try a symbolic "
            "proof of an identity.  Exit 0 if it holds everywhere, 1 if it fails (the worst "
            "point is named), 2 on bad input."
        ),
    )
    p.add_argument("expression", metavar="EXPR",
                   help="e.g. 'lambda_W*W.T@W == lambda_H*H@H.T' or "
                        "'norm(G, 2) <= sqrt(lambda_W*lambda_H)'")
    p.add_argument("--loss", default=None, help="ce or mse (needed unless --point)")
    p.add_argument("--at", default=None, choices=AT_CHOICES,
                   help="critical (every kind, default), global (global minimizers), saddle "
                        "(non-global critical points, the origin included), random")
    p.add_argument("--K", type=int, default=None,
                   help="number of classes of the settings (default: the sample settings)")
    p.add_argument("--n", type=int, default=None, help="samples per class of the settings")
    p.add_argument("--d", type=int, default=None,
                   help="feature dimension of every setting (default K)")
    p.add_argument("--lambda-W", dest="lambda_W", default=None,
                   help="fix lambda_W in every setting (e.g. 0.01 or 1/100)")
    p.add_argument("--lambda-H", dest="lambda_H", default=None, help="fix lambda_H")
    p.add_argument("--lambda-b", dest="lambda_b", default=None, help="fix lambda_b (e.g. 0)")
    p.add_argument("--point", default=None, metavar="POINT.json",
                   help="evaluate at this point (the classify format) with the margin of "
                        "classify, instead of at sampled points")
    p.add_argument("--dps", type=int, default=50,
                   help=f"decimal digits ({MIN_DPS}..{MAX_DPS}, default 50)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled points (default 0)")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ufm_sym.check import check_identity, parse_expression
    from ufm_sym.model import UFMInputError
    from ufm_sym.precision import check_dps

    check_dps(args.dps, "--dps")
    if args.seed < 0:
        raise UFMInputError(f"--seed: {args.seed} must be >= 0")
    loss = None if args.loss is None else str(args.loss).strip().lower()
    if loss is not None and loss not in ("ce", "mse"):
        raise UFMInputError(f"--loss: unknown loss {args.loss!r} (expected ce or mse)")
    for name in ("K", "n", "d"):
        val = getattr(args, name)
        low = 2 if name == "K" else 1
        if val is not None and val < low:
            raise UFMInputError(f"--{name}: {val} is too small (need {name} >= {low})")
    fixed = {k: getattr(args, k) for k in ("lambda_W", "lambda_H", "lambda_b")}
    point = None
    if args.point is not None:
        given = [f"--{k.replace('_', '-')}" for k in ("K", "n", "d", "lambda_W", "lambda_H",
                                                      "lambda_b", "at")
                 if getattr(args, k) is not None]
        if given:
            raise UFMInputError(f"--point: the point's file fixes the problem; drop "
                                f"{', '.join(given)}")
        from ufm_sym.pointio import load_point

        parse_expression(args.expression)
        point = load_point(args.point)
    elif loss is None:
        raise UFMInputError("--loss: needed (ce or mse) unless --point gives the problem")
    else:
        from ufm_sym.model import exact_number

        for key, val in fixed.items():
            if val is not None:
                x = exact_number(val, key)
                if x < 0 or (x == 0 and key != "lambda_b"):
                    raise UFMInputError(f"--{key.replace('_', '-')}: {val!r} must be "
                                        + (">= 0" if key == "lambda_b" else "> 0"))
    parse_expression(args.expression)  # bad syntax is reported before any sampling
    report = check_identity(args.expression, loss, at=args.at or "critical", K=args.K,
                            n=args.n, dps=args.dps, seed=args.seed, d=args.d, point=point,
                            **fixed)
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.summary())
    if not report.holds:
        f = report.worst
        what = ("relative excess" if report.is_inequality else "relative residual")
        sys.stderr.write(f"ufm-sym check: fails at {len(report.failures)} of "
                         f"{len(report.points)} points; worst at {f.setting}, {f.family} "
                         f"({what} {_short(f.relative)})\n")
        return 1
    return 0


def _short(x: Any) -> str:
    import mpmath

    return mpmath.nstr(x, 3)
