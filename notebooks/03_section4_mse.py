# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Section 4: Propositions 4.1–4.3, Assumption 4.4 and Theorem 1.2 (MSE)
#
# The MSE proof, step by step, read from the registry: the notebook iterates over
# whatever Section-4 claims exist (labels `eq:4.*`, `prop:4.*`, `asm:4.*`, `step:4.*`,
# `thm:1.2`, and claims of Section 4), in paper order, grouped by the proposition,
# assumption or theorem they lead to. It ends with both cases of Theorem 1.2 at a
# problem you choose.

# %% tags=["parameters"]
# Parameters: change them and re-run the notebook.
K = 4                  # classes (= feature dimension d)
n = 2                  # samples per class
lambda_W, lambda_H, lambda_b = "0.01", "0.01", "0.01"
DPS = 50               # mpmath digits of the high-precision evidence
SAMPLES = 20           # float64 points per numeric check (the CLI default is 100)
SEED = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML, Markdown, display

from ufm_sym import Problem
from ufm_sym.appendix.notebook import (
    paper_registry,
    run_claims,
    show_claim,
    summary_table,
    table,
)
from ufm_sym.closed_form import regime
from ufm_sym.highprec.families import critical_points
from ufm_sym.numeric import escape_direction, hessian_spectrum, smallest_hessian_eigenvalue

registry = paper_registry()
SECTION4 = ["eq:4.", "prop:4.", "asm:4.", "step:4.", "thm:1.2"]
section4 = [c for c in registry
            if c.label.startswith(tuple(SECTION4)) or c.section == "4"]
order = registry.topological_order()
section4.sort(key=lambda c: order.index(c.label))
if section4:
    report = run_claims([c.label for c in section4], dps=DPS, samples=SAMPLES, seed=SEED)
    display(summary_table(report))
else:
    report = None
    display(Markdown("*No Section-4 claims are registered yet.*"))

# %% [markdown]
# ## The steps, grouped by the result they lead to
#
# Each group ends with a proposition, an assumption or a theorem; the claims before it are
# the steps of its proof.

# %%
MILESTONES = ("proposition", "assumption", "theorem")
groups, current = [], []
for claim in section4:
    current.append(claim)
    if claim.kind in MILESTONES:
        groups.append(current)
        current = []
if current:
    groups.append(current)
print([(g[-1].label, len(g)) for g in groups])

# %%
results = report.by_label() if report is not None else {}
for group in groups:
    display(HTML(f"<h3>{group[-1].title}</h3>"))
    for claim in group:
        show_claim(claim, results.get(claim.label))

# %% [markdown]
# ## Both cases of Theorem 1.2 at your problem
#
# With $r = \operatorname{rank} \mathbf W$ and Assumption 4.4's normal form: **Case 1**
# ($r = K$, or more generally $\|\nabla g(\mathbf R)\| \le \sqrt{\lambda_W\lambda_H}$) the
# critical point is a global minimizer (Proposition 4.1); **Case 2** ($r < K$ and an
# uncovered singular value $\sigma_j > \sqrt{\lambda_W\lambda_H}$) the direction (4.36) has
# curvature $-2\sigma_j + 2\sqrt{\lambda_W\lambda_H} < 0$. The critical points below are the
# high-precision families of `ufm_sym.highprec` (global minimizer, origin, rank-restricted
# or subspace saddles); the smallest Hessian eigenvalue is computed in float64.

# %%
problem = Problem("mse", K=K, n=n, lambda_W=lambda_W, lambda_H=lambda_H, lambda_b=lambda_b)
print(problem.describe(), "| regime", regime(problem))


def to_float(point):
    W, H, b = (np.array(M.tolist(), dtype=float) for M in point)
    return W, H, b.ravel()


rows, spectra = [], {}
for rec in critical_points(problem, dps=max(DPS + 20, 60)):
    x = to_float(rec.point)
    r = int(np.linalg.matrix_rank(x[0], tol=1e-8))
    lam = smallest_hessian_eigenvalue(problem, x)
    case = "1 (global)" if rec.is_global_min else "2 (saddle)"
    predicted = "-"
    if not rec.is_global_min:
        esc = escape_direction(problem, x)
        predicted = f"{esc.predicted:.6g} (measured {esc.curvature:.6g})"
    rows.append((rec.family, r, f"{float(rec.grad_g_norm):.6g}", f"{float(rec.threshold):.6g}",
                 case, f"{float(rec.value):.8f}", f"{lam.value:.3e}", predicted))
    spectra[rec.family] = hessian_spectrum(problem, x)
table(rows, ["critical point", "rank W", "||grad g||", "sqrt(lW lH)", "case",
             "f", "smallest Hessian eigenvalue", "curvature along (4.36)"])

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for family, ev in spectra.items():
    ax.plot(np.arange(len(ev)), ev, ".-", label=family)
ax.axhline(0, color="k", lw=0.5)
ax.set_yscale("symlog", linthresh=1e-4)
ax.set_xlabel("index")
ax.set_ylabel("Hessian eigenvalue")
ax.set_title("Hessian spectra: no negative eigenvalue only at the global minimizer")
ax.legend()
plt.tight_layout()
plt.show()
