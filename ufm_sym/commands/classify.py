"""``ufm-sym classify POINT.json [--dps 50] [--refine] [--point-radius R] [--no-certify]
[--json]``: classify one point.

Is the point critical; its objective; is it a global minimizer (the spectral
criterion of Prop. 4.1 / [13, Lemma C.4] and the closed-form global value); if not,
the paper's escape direction (3.10) / (4.36), its curvature, and the smallest Hessian
eigenvalue with the counts of negative and near-zero eigenvalues
(:func:`ufm_sym.landscape.classify`; the margin rule is in that module's docstring);
at a critical point, the ball-arithmetic certificate
(:func:`ufm_sym.certify.critical.certify_critical_point`): a true critical point
within the printed radius, the Hessian's inertia there, the rank and the dual
feasibility.  The entries are read as written (decimal strings are enclosed
exactly); ``--point-radius R`` widens each by ``+- R``.

Exit 0 after a classification, whatever the verdict (``global_min``,
``strict_saddle``, ``not_critical`` or ``undecided``); 2 on bad input, with one line
on stderr naming the bad value.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ufm_sym.landscape import MAX_DPS, MIN_DPS


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "classify",
        help="classify a point: critical? global minimizer? strict saddle?",
        description=(
            "Classify the point of POINT.json at --dps digits: gradient norm, objective, "
            "the spectral criterion ||grad g(R)||_2 <= sqrt(lambda_W lambda_H), the "
            "closed-form global value, ranks of W and H, the escape direction (3.10)/(4.36) "
            "and its curvature, the Hessian's smallest eigenvalue with the counts of "
            "negative and near-zero eigenvalues, and a ball-arithmetic certificate: a true "
            "critical point within the printed radius and the Hessian's inertia there.  "
            "Exit 0 whatever the verdict, 2 on bad input."
        ),
    )
    p.add_argument("point", metavar="POINT.json", help="the point file ('-': stdin)")
    p.add_argument("--dps", type=int, default=50,
                   help=f"decimal digits ({MIN_DPS}..{MAX_DPS}, default 50)")
    p.add_argument("--refine", action="store_true",
                   help="first polish the point to a nearby critical point (Levenberg-"
                        "Marquardt) and report how far it moved")
    p.add_argument("--point-radius", default="0", metavar="R",
                   help="the entries are known only to +- R (a number >= 0, default 0): "
                        "the certificate then holds for every point of that ball")
    p.add_argument("--no-certify", dest="certify", action="store_false",
                   help="skip the ball-arithmetic certificate (existence of a true critical "
                        "point nearby and the Hessian's inertia there)")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ufm_sym.certify.balls import ball_radius
    from ufm_sym.landscape import classify
    from ufm_sym.pointio import load_point
    from ufm_sym.precision import check_dps

    check_dps(args.dps, "--dps")
    radius = ball_radius(args.point_radius, "--point-radius")
    pf = load_point(args.point)
    # the entries as written (decimal strings): the certificate encloses them exactly
    result = classify(pf.problem, (pf.W, pf.H, pf.b), dps=args.dps, refine=args.refine,
                      input_digits=pf.input_digits, certify=args.certify,
                      point_radius=radius)
    if args.json:
        out = result.to_json()
        out["source"] = pf.source
        sys.stdout.write(_cli_words(json.dumps(out, indent=2)) + "\n")
    else:
        sys.stdout.write(f"{pf.source}: {result.kind}\n")
        sys.stdout.write(_cli_words(result.summary()))
    return 0


def _cli_words(text: str) -> str:
    """The hints of :func:`~ufm_sym.landscape.classify` in the command line's words."""
    from ufm_sym.landscape import REFINE_HINT

    return text.replace(REFINE_HINT.lstrip("; "), "--refine polishes it to a nearby one")
