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
# # 01 · The models (1.3), (1.4) and their derivatives
#
# The unconstrained feature model of Gu and Shen (arXiv 2407.10702), with cross-entropy
# (1.3) or mean squared error (1.4) as the loss $g$ of $\mathbf R = \mathbf W\mathbf H + \mathbf b\mathbf 1_N^\top$.
# This notebook **reads the claims**
# `eq:1.3` and `eq:1.4` of the registry: every formula below is printed from the SymPy
# objects the tests check, and the evidence comes from running the claims. It then makes
# the *four-way cross-check* of the derivatives visible at a problem you choose.
#
# Change the parameters and re-run everything (*Run All*).

# %% tags=["parameters"]
# Parameters: change them and re-run the notebook.
LOSS = "ce"            # "ce" (1.3) or "mse" (1.4)
K = 3                  # classes (= feature dimension d)
n = 2                  # samples per class
lambda_W, lambda_H, lambda_b = "0.01", "0.005", "0.01"
DPS = 50               # mpmath digits of the high-precision evidence
SAMPLES = 20           # float64 points per numeric check (the CLI default is 100)
SEED = 0

# %%
import matplotlib.pyplot as plt
import mpmath
import numpy as np
from IPython.display import Math, display

from ufm_sym import Problem
from ufm_sym.appendix.notebook import (
    paper_registry,
    run_claims,
    show_claim,
    summary_table,
    table,
)
from ufm_sym.highprec.evaluate import flatten, grad_g, gradient, residual_R, to_mp_point
from ufm_sym.highprec.finite_diff import fd_gradient
from ufm_sym.numeric import full_gradient
from ufm_sym.symbolic.cross_check import cross_check
from ufm_sym.symbolic.evaluate import lambdify_gradients
from ufm_sym.symbolic.latex import paper_latex

registry = paper_registry()
problem = Problem(LOSS, K=K, n=n, lambda_W=lambda_W, lambda_H=lambda_H, lambda_b=lambda_b)
print(problem.describe())

# %% [markdown]
# ## The claims and their evidence
#
# Running `eq:1.3` and `eq:1.4` (and nothing else: `Registry.run` with labels) gives
# their evidence at the three levels they have: **symbolic** (the index-free derivation
# equals `sympy.diff` / `sympy.hessian` of the explicit loss), **high-precision** (the
# derived formulas against mpmath finite differences) and **numeric** (float64 against
# 30-digit values).

# %%
report = run_claims(["eq:1.3", "eq:1.4"], dps=DPS, samples=SAMPLES, seed=SEED)
summary_table(report)

# %% [markdown]
# ### (1.3) the cross-entropy UFM
#
# The statement, then each step SymPy derived (first variation, the gradient components,
# the Hessian bilinear form, all from the expansion of $f(X + t\Delta)$ in $t$ with $g$ kept
# abstract), then the evidence.

# %%
# the mechanism, bare: the statement is a SymPy object, printed in the paper's notation
display(Math(paper_latex(registry["eq:1.3"].statement)))

# %%
show_claim(registry["eq:1.3"], report.by_label()["eq:1.3"])

# %% [markdown]
# ### (1.4) the MSE UFM

# %%
show_claim(registry["eq:1.4"], report.by_label()["eq:1.4"])

# %% [markdown]
# ## The four-way cross-check, made visible
#
# **1. Exactly, at an explicit size.** `ufm_sym.symbolic.cross_check` substitutes explicit
# matrices of entry symbols into the index-free results and compares them with
# `sympy.diff` / `sympy.hessian` of the explicit loss; every difference must be *exactly*
# zero.

# %%
rows = [(c.name, c.route, "yes" if c.passed else "NO", c.residual, f"{c.seconds:.2f}")
        for c in cross_check(LOSS, K=2, n=1)]
table(rows, ["component", "route", "passed", "difference", "seconds"])

# %% [markdown]
# **2.–4. Numerically, at your problem.** The same derived gradient, evaluated four
# independent ways at a random point: the SymPy derivation evaluated in mpmath, the
# hand-written mpmath gradient of `ufm_sym.highprec`, mpmath central finite differences of
# the objective, and the float64 kernels of `ufm_sym.numeric`. The table gives the number
# of digits on which each pair agrees.

# %%
rng = np.random.default_rng(SEED)
W0 = 0.5 * rng.standard_normal((K, problem.d))
H0 = 0.5 * rng.standard_normal((problem.d, problem.N))
b0 = 0.5 * rng.standard_normal(K)

with mpmath.workdps(DPS):
    x = to_mp_point(problem, W0.tolist(), H0.tolist(), b0.tolist())
    G = grad_g(problem, residual_R(problem, x))
    derived = lambdify_gradients(backend="mpmath")(*x, G, *problem.mp_lambdas())
    routes = {
        "SymPy derivation (mpmath)": flatten((derived["W"], derived["H"], derived["b"])),
        "hand-written mpmath": flatten(gradient(problem, x)),
        "finite differences (mpmath)": flatten(fd_gradient(problem, x, dps=DPS)[0]),
        "float64 kernels": [mpmath.mpf(float(v)) for v in
                            np.concatenate([np.ravel(a) for a in
                                            full_gradient(problem, (W0, H0, b0))])],
    }

    def digits(a, b):
        err = max(abs(p - q) for p, q in zip(a, b, strict=True))
        return 99.0 if err == 0 else float(-mpmath.log10(err))

names = list(routes)
agreement = np.array([[digits(routes[a], routes[b]) if a != b else np.nan for b in names]
                      for a in names])
table([(a, *(f"{v:.1f}" if np.isfinite(v) else "-" for v in row))
       for a, row in zip(names, agreement, strict=True)], ["digits of agreement"] + names)

# %%
fig, ax = plt.subplots(figsize=(6, 4))
im = ax.imshow(np.nan_to_num(agreement, nan=DPS), vmin=0, vmax=DPS, cmap="viridis")
ax.set_xticks(range(4), names, rotation=30, ha="right")
ax.set_yticks(range(4), names)
for i in range(4):
    for j in range(4):
        if i != j:
            ax.text(j, i, f"{agreement[i, j]:.0f}", ha="center", va="center", color="w")
fig.colorbar(im, label="digits of agreement")
ax.set_title(f"gradient of f at a random point ({LOSS.upper()}, K={K}, n={n})")
plt.tight_layout()
plt.show()

# %% [markdown]
# The float64 route agrees with the others to about 15 digits (the precision of float64);
# the three mpmath routes agree to about the working precision, finite differences a little
# less (their truncation error is controlled by Richardson extrapolation).
