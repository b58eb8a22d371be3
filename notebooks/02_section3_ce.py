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
# # 02 · Section 3: Lemma 3.1 and Theorem 1.1 (cross-entropy)
#
# The proof that the CE UFM with $d = K$ has no spurious local minimum and is a strict
# saddle function, step by step. Each step is a **claim** of the registry: its statement
# and derivation are printed from the SymPy objects the tests check, and its evidence
# comes from running it. The notebook ends with an escape from a saddle along the
# direction (3.10), followed by gradient descent to the global value.

# %% tags=["parameters"]
# Parameters: change them and re-run the notebook.
K = 3                  # classes (= feature dimension d)
n = 2                  # samples per class
lambda_W, lambda_H, lambda_b = "0.005", "0.01", "0.01"
DPS = 50               # mpmath digits of the high-precision evidence
SAMPLES = 20           # float64 points per numeric check (the CLI default is 100)
SEED = 0
STEP = 0.05            # how far to step along the escape direction
GD_ITERATIONS = 3000

# %%
import matplotlib.pyplot as plt
import numpy as np

from ufm_sym import Problem
from ufm_sym.appendix.notebook import (
    claims_with_prefix,
    paper_registry,
    run_claims,
    show_claim,
    show_claims,
    summary_table,
    table,
)
from ufm_sym.claims import VerifyContext
from ufm_sym.highprec.families import critical_points
from ufm_sym.numeric import closed_form_global_value, escape_direction, objective_value
from ufm_sym.numeric.optimize import gradient_descent
from ufm_sym_proofs.landscape import direction_for_record

registry = paper_registry()
SECTION3 = ["eq:3.", "lem:3.1", "step:3.", "thm:1.1"]
labels = [c.label for c in claims_with_prefix(registry, SECTION3)]
report = run_claims(labels, dps=DPS, samples=SAMPLES, seed=SEED)
results = report.by_label()
summary_table(report)

# %% [markdown]
# ## Lemma 3.1: rank W = rank H ≤ K − 1 at every critical point
#
# The critical-point equations (3.2)–(3.3), derived by SymPy; the balance (3.4), proved as
# an identity whose right side combines the *derived* gradient; ranks (3.5); the column
# sums of $\nabla g$ (3.6) and $\mathbf 1_K^\top \mathbf W = 0$ (3.7); the rank bound (3.8).

# %%
lemma_steps = ["eq:3.1", "eq:3.2", "eq:3.3", "eq:3.4", "eq:3.5", "eq:3.6", "eq:3.7", "eq:3.8",
               "lem:3.1"]
show_claims([registry[lbl] for lbl in lemma_steps if lbl in registry], report)

# %% [markdown]
# ## The split C = C1 ∪ C2 and the negative curvature
#
# By [13, Lemma C.4] a critical point with $\|\nabla g(\mathbf R)\| \le \sqrt{\lambda_W\lambda_H}$
# is a global minimizer (C1). At the others (C2) the direction (3.10) built from a unit
# $\mathbf a$ with $\mathbf W\mathbf a = 0$ and the top singular pair of $\nabla g$ has
# curvature $-2\sigma + 2\sqrt{\lambda_W\lambda_H} < 0$.

# %%
curvature_steps = [c.label for c in claims_with_prefix(registry, ["step:3.", "eq:3.9", "eq:3.1"])
                   if c.label not in lemma_steps]
show_claims([registry[lbl] for lbl in curvature_steps], report)

# %% [markdown]
# ## Theorem 1.1

# %%
show_claim(registry["thm:1.1"], results["thm:1.1"])

# %% [markdown]
# ## Escaping a saddle along (3.10)
#
# A saddle of the CE problem, from the high-precision families of `ufm_sym.highprec`
# (refined to a gradient norm below $10^{-45}$), its escape direction exactly as the
# proof builds it (`proofs.landscape.direction_for_record`), the objective along the
# direction against the predicted curvature, and gradient descent from a small step
# along it. Descent keeps invariant subspaces, so it may stall at a further saddle (of
# smaller value); that one is then escaped the same way (`numeric.escape_direction`),
# until the global value is reached.

# %%
problem = Problem("ce", K=K, n=n, lambda_W=lambda_W, lambda_H=lambda_H, lambda_b=lambda_b)
points = critical_points(problem, kinds=("saddle", "origin"), dps=max(DPS + 20, 60))
saddles = [r for r in points if not r.is_global_min]
saddles.sort(key=lambda r: r.kind == "origin")   # a saddle with W != 0 first
assert saddles, ("no saddle for these parameters (K sqrt(n lambda_W lambda_H) >= 1: every "
                 "critical point is a global minimizer); lower the lambdas")
rec = saddles[0]
direction = direction_for_record(rec, VerifyContext(dps=DPS))


def to_float(point):
    W, H, b = (np.array(M.tolist(), dtype=float) for M in point)
    return W, H, b.ravel()


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


x, D = to_float(rec.point), to_float(direction.D)
f_star = closed_form_global_value(problem)
curvature = float(-2 * direction.sigma + 2 * rec.threshold)
table([("family", rec.family), ("f at the saddle", f"{float(rec.value):.10f}"),
       ("global value f*", f"{f_star:.10f}"),
       ("||grad g(R)|| = sigma", f"{float(rec.grad_g_norm):.6g}"),
       ("sqrt(lambda_W lambda_H)", f"{float(rec.threshold):.6g}"),
       ("predicted curvature -2 sigma + 2 sqrt(lW lH)", f"{curvature:.6g}"),
       ("max(||W a||, ||H^T a||)", f"{float(direction.null_residual):.2e}")], ["", "value"])

# %%
ts = np.linspace(-4 * STEP, 4 * STEP, 81)
f0 = objective_value(problem, x)
along = [objective_value(problem, tuple(a + t * d for a, d in zip(x, D, strict=True))) - f0
         for t in ts]

start = tuple(a + STEP * d for a, d in zip(x, D, strict=True))
iterations, values, escapes, final = descend(problem, start, f_star)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.plot(ts, along, label="f(x + t Δ) − f(x)")
ax1.plot(ts, 0.5 * curvature * ts**2, "--", label="½ t² (−2σ + 2√(λ_W λ_H))")
ax1.set_xlabel("t")
ax1.set_title("the objective along the escape direction (3.10)")
ax1.legend()
ax2.semilogy(iterations, values - f_star + 1e-16)
for k in escapes:
    ax2.axvline(k, color="r", ls=":", lw=1)
ax2.set_xlabel("gradient-descent iteration")
ax2.set_ylabel("f − f*")
ax2.set_title("descent from x + STEP·Δ (dotted: escaping a further saddle)")
plt.tight_layout()
plt.show()
print(f"final value {values[-1]:.12f}, global value {f_star:.12f}, "
      f"{len(escapes)} further saddle(s) escaped on the way")
