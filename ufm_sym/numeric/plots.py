"""PNG figures for ``ufm-sym sample --plots DIR`` (matplotlib, Agg backend, lazy import).

* ``hessian_spectrum.png``: the sorted Hessian eigenvalues at a saddle and at a global
  minimizer (symlog axis; the band ``|lambda| <= margin`` shaded);
* ``escape_profile.png``: ``f(x + t D/||D||)`` along the escape direction with the
  predicted quadratic ``f(x) + t^2/2 (-2 sigma + 2 sqrt(lW lH))/||D||^2``;
* ``escape_descent.png``: gradient descent started a small step along ``D``: the gap to
  the global value, NC1-NC3 and the bias residual over the iterations.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ufm_sym.model import Problem, UFMInputError
from ufm_sym.numeric.closed_forms import closed_form_global_minimizer, closed_form_global_value
from ufm_sym.numeric.eigen import hessian_spectrum, sign_margin
from ufm_sym.numeric.escape import escape_direction
from ufm_sym.numeric.kernels import Spec, objective
from ufm_sym.numeric.metrics import nc_metrics
from ufm_sym.numeric.optimize import grad_norm, gradient_descent

DENSE_PLOT_LIMIT = 3000


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise UFMInputError("plots: --plots needs matplotlib (pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    # fixed metadata: same inputs give the same bytes
    fig.savefig(path, dpi=110, metadata={"Software": None})


def write_plots(problem: Problem, records: list[Any], directory: str | Path, *,
                gd_iterations: int = 3000, seed: int = 0) -> list[Path]:
    """Write the figures for ``records`` (sample records) into ``directory``."""
    plt = _pyplot()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    saddle = next((r for r in records if r.expected == "saddle"), None)
    glob = next((r for r in records if r.expected == "global"), None)
    gpoint = glob.point if glob is not None else None
    if gpoint is None:
        try:
            gpoint = closed_form_global_minimizer(problem)
        except UFMInputError:
            gpoint = None
    size = problem.K * problem.d + problem.d * problem.N + problem.K
    fstar = closed_form_global_value(problem)

    if size <= DENSE_PLOT_LIMIT:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for label, pt, color in (("saddle", saddle.point if saddle else None, "tab:red"),
                                 ("global minimizer", gpoint, "tab:blue")):
            if pt is None:
                continue
            ev = hessian_spectrum(problem, pt)
            m = sign_margin(float(np.max(np.abs(ev))), grad_norm(problem, pt))
            ax.plot(np.arange(ev.size), ev, ".", ms=3, color=color,
                    label=f"{label}: min {ev[0]:.3g}, {int(np.sum(ev < -m))} < -margin, "
                          f"{int(np.sum(np.abs(ev) <= m))} near 0")
        ax.set_yscale("symlog", linthresh=1e-6)
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_xlabel("index (ascending)")
        ax.set_ylabel("Hessian eigenvalue")
        ax.set_title(f"Hessian spectrum, {problem.describe()}", fontsize=8)
        ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(out / "hessian_spectrum.png")
        _save(fig, written[-1])
        plt.close(fig)

    if saddle is not None:
        W, H, b = saddle.point
        esc = escape_direction(problem, saddle.point)
        D = esc.direction
        nD = math.sqrt(sum(float(np.sum(x * x)) for x in D))
        spec = Spec.from_problem(problem)
        f0 = float(objective(spec, W, H, b))
        c = esc.predicted / nD ** 2
        T = min(5.0, max(0.1, math.sqrt(max(f0 - fstar, 1e-12) / max(abs(c), 1e-12))))
        ts = np.linspace(-T, T, 101)
        fs = [float(objective(spec, *[x + t / nD * dx for x, dx in zip(saddle.point, D,
                                                                        strict=True)]))
              for t in ts]
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(ts, fs, label="f(x + t D/|D|)")
        ax.plot(ts, f0 + 0.5 * ts ** 2 * esc.predicted / nD ** 2, "--",
                label=f"f(x) + t^2/2 * predicted/|D|^2 (predicted {esc.predicted:.4g})")
        ax.set_xlabel("t")
        ax.set_ylabel("objective")
        ax.set_title(f"escape direction at the {saddle.kind} saddle (f* = {fstar:.4g})", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(out / "escape_profile.png")
        _save(fig, written[-1])
        plt.close(fig)

        # descent keeps invariant subspaces (a rank-r saddle escapes to rank r + 1 only),
        # so a small seeded random perturbation is added to the step along D
        rng = np.random.default_rng(seed)
        start = tuple(x + 1e-2 / nD * dx + 1e-4 * rng.standard_normal(x.shape)
                      for x, dx in zip(saddle.point, D, strict=True))
        traj = gradient_descent(problem, start, iterations=gd_iterations, record_every=10)
        ncs = [nc_metrics(problem, p) for p in traj.points]
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        gaps = np.maximum(np.array(traj.values) - fstar, 1e-17)
        ax1.semilogy(traj.iterations, gaps)
        ax1.set_xlabel("iteration")
        ax1.set_ylabel("f - f*")
        ax1.set_title(f"gradient descent from the {saddle.kind} saddle + 1e-2 D/|D| "
                      "+ 1e-4 noise", fontsize=9)
        for key in ("NC1", "NC2", "NC3", "bias_residual"):
            vals = np.array([m[key] for m in ncs], dtype=float)
            ax2.semilogy(traj.iterations, np.maximum(vals, 1e-17), label=key)
        ax2.set_xlabel("iteration")
        ax2.set_title("neural-collapse metrics", fontsize=9)
        ax2.legend(fontsize=7)
        fig.tight_layout()
        written.append(out / "escape_descent.png")
        _save(fig, written[-1])
        plt.close(fig)
    return written
