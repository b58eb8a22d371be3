"""Regenerate the example POINT.json files of this folder (not a test).

    python tests/data/generate.py

Each point comes from :func:`ufm_sym.highprec.families.critical_points` at 60 digits
and is written with 50 significant digits as decimal strings.
"""

from __future__ import annotations

import json
from pathlib import Path

from ufm_sym import Problem
from ufm_sym.highprec.families import critical_points
from ufm_sym.pointio import point_to_json

HERE = Path(__file__).resolve().parent

CE = Problem(loss="ce", K=3, n=2, lambda_W="5e-3", lambda_H="1e-2", lambda_b=0)
MSE = Problem(loss="mse", K=3, n=2, lambda_W="1e-2", lambda_H="1e-2", lambda_b=0)

FILES = {
    "ce_global_min.json": (CE, "closed-form[ce-nonzero]"),
    "ce_saddle.json": (CE, "class-merged[01|2]"),
    "mse_saddle.json": (MSE, "subspace-s1"),
}


def main() -> None:
    for name, (problem, family) in FILES.items():
        rec = next(r for r in critical_points(problem, dps=60) if r.family == family)
        obj = point_to_json(problem, rec.point, digits=50)
        (HERE / name).write_text(json.dumps(obj, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: {problem.describe()}, {family}")


if __name__ == "__main__":
    main()
