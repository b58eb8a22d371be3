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
# # 04 · The numeric landscape (float64, `ufm_sym.numeric`)
#
# What Theorems 1.1 and 1.2 say, seen numerically at a problem you choose: sampled
# critical points of every family, their Hessian spectra, the neural-collapse metrics
# NC1–NC3 and the bias residual, and gradient descent, from a random start and out of a saddle.
# The statements illustrated are the registry's:

# %% tags=["parameters"]
# Parameters: change them and re-run the notebook.
LOSS = "ce"            # "ce" or "mse"
K = 4                  # classes (= feature dimension d)
n = 2                  # samples per class
lambda_W, lambda_H, lambda_b = "0.005", "0.01", "0.01"
COUNT = 2              # samples per critical-point family
SEED = 0
GD_ITERATIONS = 3000   # per descent
STEP = 0.05            # step along an escape direction

# %%
import matplotlib.pyplot as plt
import numpy as np

from ufm_sym import Problem
from ufm_sym.appendix.notebook import (
    paper_registry,
    show_claims,
    table,
)
from ufm_sym.numeric import (
    closed_form_global_value,
    escape_direction,
    hessian_spectrum,
    nc_metrics,
    sample,
    smallest_hessian_eigenvalue,
)
from ufm_sym.numeric.optimize import gradient_descent

registry = paper_registry()
show_claims([registry[lbl] for lbl in ("thm:1.1", "thm:1.2") if lbl in registry])
problem = Problem(LOSS, K=K, n=n, lambda_W=lambda_W, lambda_H=lambda_H, lambda_b=lambda_b)
f_star = closed_form_global_value(problem)
print(problem.describe(), f"| closed-form global value f* = {f_star:.10f}")

# %% [markdown]
# ## Sampled critical points
#
# `ufm_sym.numeric.sampling.sample` draws critical points of each family (the closed-form
# global minimizer on its rotation orbit, the origin, the saddle families of the loss) and
# validates each one: gradient norm, the spectral criterion, the objective against the
# closed-form global value, the escape direction and its curvature, the smallest Hessian
# eigenvalue with its tolerance, and escaping to the global value.

# %%
records = sample(problem, kinds=("global", "origin", "saddle"), count=COUNT, seed=SEED)
rows = []
for r in records:
    m = r.numbers
    rows.append((r.kind, r.expected, "yes" if r.passed else "NO", f"{m['objective']:.8f}",
                 f"{m['grad_g_norm']:.4g}", f"{m['threshold']:.4g}", m["rank_W"],
                 f"{m['lambda_min']:.3e} ± {m['lambda_min_margin']:.0e}", m["n_negative"]))
table(rows, ["family", "expected", "validated", "f", "||grad g||", "sqrt(lW lH)", "rank W",
             "smallest Hessian eigenvalue", "# negative"])

# %% [markdown]
# ## Hessian spectra (`eigen.hessian_spectrum`)

# %%
fig, ax = plt.subplots(figsize=(8, 4))
seen = set()
for r in records:
    if r.kind in seen:
        continue
    seen.add(r.kind)
    ev = hessian_spectrum(problem, r.point)
    ax.plot(np.arange(len(ev)), ev, ".-", label=f"{r.kind} ({r.expected})")
ax.axhline(0, color="k", lw=0.5)
ax.set_yscale("symlog", linthresh=1e-4)
ax.set_xlabel("index")
ax.set_ylabel("eigenvalue")
ax.set_title("every saddle has a negative eigenvalue; the global minimizer none")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Neural collapse (NC1–NC3, bias residual ‖W h_G + b‖) at the critical points
#
# At the global minimizers NC1 = NC2 = NC3 = 0 (neural collapse); saddles are not
# collapsed. (`nan`: the metric is undefined, e.g. W = 0 at the origin.)

# %%
rows = []
for r in records:
    m = nc_metrics(problem, r.point)
    keys = ("NC1", "NC2", "NC3", "bias_residual")
    rows.append((r.kind, r.expected, *(f"{m[k]:.3e}" for k in keys)))
table(rows, ["family", "expected", "NC1", "NC2", "NC3", "bias residual"])

# %% [markdown]
# ## Gradient descent from a random start
#
# No spurious local minimum: descent from a random start reaches the global value, and
# the metrics collapse along the way.

# %%
rng = np.random.default_rng(SEED)
x0 = (0.1 * rng.standard_normal((K, problem.d)), 0.1 * rng.standard_normal((problem.d, problem.N)),
      np.zeros(K))
traj = gradient_descent(problem, x0, iterations=GD_ITERATIONS, record_every=20)
nc = np.array([[nc_metrics(problem, p)[k] for k in ("NC1", "NC2", "NC3")] for p in traj.points])

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.semilogy(traj.iterations, np.array(traj.values) - f_star + 1e-16)
ax1.set_xlabel("iteration")
ax1.set_ylabel("f − f*")
ax1.set_title("gradient descent from a random start")
for j, name in enumerate(("NC1", "NC2", "NC3")):
    ax2.semilogy(traj.iterations, nc[:, j] + 1e-16, label=name)
ax2.set_xlabel("iteration")
ax2.set_title("neural-collapse metrics along the way")
ax2.legend()
plt.tight_layout()
plt.show()
print(f"final f − f* = {traj.values[-1] - f_star:.2e}, "
      f"smallest Hessian eigenvalue {smallest_hessian_eigenvalue(problem, traj.final).value:.2e}")

# %% [markdown]
# ## Escaping a saddle
#
# At a sampled saddle, the paper's escape direction (`numeric.escape_direction`: (3.10)
# for CE, (4.36) for MSE), its curvature against the prediction, and descent from a
# small step along it; where descent stalls at a further saddle, that one is escaped too.

# %%
saddles = [r for r in records if r.expected == "saddle"]
assert saddles, "no saddle for these parameters (every critical point is global); lower the lambdas"
saddle = saddles[-1]
esc = escape_direction(problem, saddle.point)
print(f"{saddle.kind} saddle: curvature along the escape direction {esc.curvature:.6g}, "
      f"predicted {esc.predicted:.6g}")


def descend(problem, start, f_star, rounds=6):
    # gradient descent from start; wherever it stalls at a saddle, step along that
    # saddle's escape direction (numeric.escape_direction) and go on
    its, vals, escapes, x, offset = [], [], [], start, 0
    for _ in range(rounds):
        traj = gradient_descent(problem, x, iterations=GD_ITERATIONS, record_every=10)
        its += [offset + i for i in traj.iterations]
        vals += traj.values
        offset, x = its[-1], traj.final
        if vals[-1] - f_star <= 1e-9 * max(1.0, abs(f_star)):
            break
        esc = escape_direction(problem, x)
        norm = np.sqrt(sum(float(np.sum(d * d)) for d in esc.direction))
        x = tuple(a + STEP / norm * d for a, d in zip(x, esc.direction, strict=True))
        escapes.append(offset)
    return np.array(its), np.array(vals), escapes, x


norm = np.sqrt(sum(float(np.sum(d * d)) for d in esc.direction))
start = tuple(a + STEP / norm * d for a, d in zip(saddle.point, esc.direction, strict=True))
iterations, values, escapes, final = descend(problem, start, f_star)

fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogy(iterations, values - f_star + 1e-16)
for k in escapes:
    ax.axvline(k, color="r", ls=":", lw=1)
ax.set_xlabel("iteration")
ax.set_ylabel("f − f*")
ax.set_title(f"escape from a {saddle.kind} saddle (dotted: a further saddle)")
plt.tight_layout()
plt.show()
print(f"final f − f* = {values[-1] - f_star:.2e} after escaping {len(escapes)} further saddle(s)")
