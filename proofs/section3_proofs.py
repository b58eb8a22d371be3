r"""The proof chains of the steps of Section 3 (cross-entropy): (3.6), the split
$\mathcal C=\mathcal C_1\cup\mathcal C_2$, the Hessian form (3.9), the null vector
$\mathbf a$, the direction (3.10), (3.11) and the final curvature.

Each chain (:mod:`ufm_sym_proofs.chains`) ends in the claim's statement; its identities are
derived by SymPy (reductions under the statement's hypotheses, or combinations of the
derived gradient), its facts are named facts of :mod:`ufm_sym.facts`, its priors are claims
in ``uses``.  A relation that only the words of the last step derive (a case split, a
definition) is listed there as ``established``, and the step says so.  Attached by
:func:`ufm_sym_proofs.main_results.register` after every section has registered.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ufm_sym.claims import ProofStep, Registry
from ufm_sym.symbolic.expressions import HessianG
from ufm_sym.symbolic.functions import SpectralNorm
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import geometry as Geo
from ufm_sym_proofs.chains import add_proof, conclusion, derived, fact, identity, prior

D = C.derivation()
W, H, G = D.W, D.H, D.G
lw, lh, lb = D.lambda_W, D.lambda_H, D.lambda_b
K, d, N = D.K, D.d, D.N
TAU = sp.sqrt(lw * lh)
A_NULL = Geo.a

#: the threshold in the step texts (LaTeX, inside ``$...$``)
T = r"\sqrt{\lambda_W\lambda_H}"
DEF = "the definition (the claim names what it defines)"
#: how an identity step was checked (the appendix prints it after "derived by SymPy")
IDENTICAL = "the two sides agree identically"
COMBINED = "the two sides differ by the stated combination, identically"


def register(registry: Registry) -> None:
    """Attach the chains of Section 3."""
    add_proof(registry, "eq:3.6", lambda: eq36_steps(registry))
    add_proof(registry, "step:3.C", lambda: split_steps(registry, "step:3.C"))
    add_proof(registry, "eq:3.9", lambda: eq39_steps(registry))
    add_proof(registry, "step:3.a", lambda: null_vector_steps(registry))
    add_proof(registry, "eq:3.10", lambda: eq310_steps(registry))
    add_proof(registry, "eq:3.11", lambda: eq311_steps(registry))
    add_proof(registry, "step:3.final", lambda: final_steps(registry, "step:3.final"))


# --------------------------------------------------------------------- shared
def kernel_identity() -> sp.Eq:
    """$\\lambda_W\\|\\mathbf W\\mathbf a\\|^2-\\lambda_H\\|\\mathbf H^\\top\\mathbf a\\|^2
    = \\mathbf a^\\top(\\mathbf W^\\top\\partial_W f-\\partial_H f\\,\\mathbf H^\\top)
    \\mathbf a$ (with the derived gradient): the kernels of $\\mathbf W$ and
    $\\mathbf H^\\top$ agree at a critical point."""
    a = A_NULL
    return sp.Eq(lw * (a.T * W.T * W * a) - lh * (a.T * H * H.T * a),
                 a.T * (W.T * D.grad_W - D.grad_H * H.T) * a, evaluate=False)


def reduction_steps(statement: Any, hypotheses: Any, texts: list[str]) -> list[ProofStep]:
    """One identity step per relation of ``statement``: it reduces to an identity under
    ``hypotheses`` (the printed relation is the statement's own)."""
    rels = statement if isinstance(statement, (list, tuple)) else [statement]
    return [identity(text, rel, hypotheses=hypotheses, by="reduced by SymPy under the "
                     "hypotheses") for text, rel in zip(texts, rels, strict=True)]


def negative_curvature_step(relation: Any) -> ProofStep:
    """$-2\\sigma+2\\sqrt{\\lambda_W\\lambda_H}<0$ for $\\sigma>\\sqrt{\\lambda_W\\lambda_H}$:
    the printed relation at $\\sigma=\\sqrt{\\lambda_W\\lambda_H}+\\varepsilon$,
    $\\varepsilon>0$, decided by SymPy's assumptions."""
    return derived(r"With $\sigma=" + T + r"+\varepsilon$, $\varepsilon>0$, the "
                   r"curvature is $-2\varepsilon<0$.", relation,
                   lambda rel: bool(Geo.negative_past_threshold(rel.lhs - rel.rhs))
                   and isinstance(rel, sp.StrictLessThan),
                   "the bound at sigma = sqrt(lW lH) + epsilon is negative for epsilon > 0",
                   by="SymPy's sign of the bound at sigma = sqrt(lW lH) + epsilon")


def split_steps(registry: Registry, label: str) -> list[ProofStep]:
    """$\\mathcal C=\\mathcal C_1\\cup\\mathcal C_2$ (CE) and (4.1) (MSE): the cases
    $\\|\\nabla g\\|\\le t$ and $\\|\\nabla g\\|>t$, the first by [13, Lemma C.4]."""
    ce = label == "step:3.C"
    convex = (prior(r"$g$ is convex (the softmax cross-entropy), the hypothesis of [13, "
                    "Lemma C.4].", registry, "eq:3.1") if ce else
              mse_convexity_step())
    return [
        convex,
        prior(r"[13, Lemma C.4]: a critical point with $\|\nabla g(\mathbf R)\|\le" + T
              + r"$ is a global minimizer, $f=f^\star$.", registry, "lem:C.4"),
        conclusion(r"Either $\|\nabla g(\mathbf R)\|\le" + T + r"$ (the point is in "
                   r"$\mathcal C_1$ and a global minimizer by step 2) or $\|\nabla g(\mathbf "
                   r"R)\|>" + T + r"$ (it is in $\mathcal C_2$).",
                   registry[label].statement,
                   "step 2 and the trichotomy of the real numbers",
                   established=[sp.Gt(SpectralNorm(G), TAU, evaluate=False)]),
    ]


def mse_convexity_step() -> ProofStep:
    """$\\nabla^2 g[\\mathbf D,\\mathbf D]=\\|\\mathbf D\\|_F^2/N$ for MSE: the printed
    right side against ``sympy.hessian`` of the explicit MSE loss at small sizes."""
    Dm = sp.MatrixSymbol("D", K, N)
    formula = sp.Eq(HessianG(Dm), sp.Trace(Dm.T * Dm) / N, evaluate=False)
    return derived(r"For MSE, $\nabla^2 g[\mathbf D,\mathbf D]=\|\mathbf D\|_F^2/N\ge0$: $g$ "
                   "is convex.", formula, mse_hessian_matches,
                   "the printed hess g[D, D] against sympy.hessian of the explicit MSE loss, "
                   "(K, n) in (2, 1), (2, 2), (3, 1)",
                   by="sympy.hessian of the explicit MSE loss")


def mse_hessian_matches(formula: Any, sizes: tuple[tuple[int, int], ...] = ((2, 1), (2, 2),
                                                                            (3, 1))) -> bool:
    """The right side of ``hess g[D, D] = ...`` with ``D`` and ``N`` given explicit values
    equals the Hessian form of the explicit MSE loss (``sympy.hessian``)."""
    from ufm_sym.symbolic.explicit import explicit_loss

    (Dm,) = formula.lhs.directions[:1]
    for Kc, n in sizes:
        L = explicit_loss("mse", Kc, n)
        Dx = sp.Matrix(Kc, L.N, lambda i, j: sp.Symbol(f"delta_{i}{j}", real=True))
        rhs = formula.rhs.xreplace({Dm: sp.ImmutableMatrix(Dx)}).xreplace({N: L.N}).doit()
        if sp.expand(L.hessian_form(Dx) - sp.sympify(rhs)) != 0:
            return False
    return True


# ---------------------------------------------------------------------- (3.6)
def eq36_steps(registry: Registry) -> list[ProofStep]:
    from ufm_sym.symbolic.loss_formulas import K as Ks
    from ufm_sym.symbolic.loss_formulas import k, loss_formulas, y

    F = loss_formulas("ce")
    summed = sp.Eq(sp.Sum(F.raw_gradient_entry, (k, 1, Ks)), 1 - sp.Sum(y[k], (k, 1, Ks)),
                   evaluate=False)
    return [
        derived(r"The gradient of the column loss $\ell(\mathbf r,\mathbf y)=\log\sum_l "
                r"e^{r_l}-\mathbf y^\top\mathbf r$ (\texttt{sympy.diff}), summed over the "
                r"classes: the softmax sums to 1.", summed, sum_identity,
                "the derived gradient entries of the CE column loss, summed over k = 1..K "
                "(Sum.doit, simplify): 1 - sum_k y_k", by="sympy.diff of the CE column loss"),
        conclusion(r"Each column of $\nabla g(\mathbf R)$ is the gradient of its column loss "
                   r"over $N$; its label is one-hot, $\sum_k y_k=1$, so by step 1 every "
                   r"column sums to 0.", registry["eq:3.6"].statement,
                   "step 1 with one-hot labels",
                   established=[registry["eq:3.6"].statement]),
    ]


def sum_identity(formula: Any) -> bool:
    """``lhs == rhs`` for sums over a symbolic range: ``Sum.doit`` and ``simplify``, then
    the bound index of the remaining (unnested) sums renamed to one name."""
    from ufm_sym.symbolic.loss_formulas import k, l

    diff = sp.simplify((formula.lhs - formula.rhs).doit())
    if any(s.has(sp.Sum) for x in diff.atoms(sp.Sum) for s in x.args[:1]):
        return False  # a nested sum: renaming its index would not be sound
    return sp.simplify(diff.xreplace({l: k})) == 0


# ---------------------------------------------------------------------- (3.9)
def eq39_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["eq:3.9"].statement
    return [
        prior(r"The objective; SymPy derives its second variation $\frac{d^2}{dt^2}f(\mathbf "
              r"X+t\boldsymbol\Delta)$ at $t=0$ (cross-checked against \texttt{sympy.hessian} "
              "at explicit sizes).", registry, "eq:1.3"),
        r_of_t_step(),
        conclusion(r"By step 2, $\frac{d^2}{dt^2}g(\mathbf R(t))$ at $t=0$ is $\nabla^2 g$ "
                   r"along $\mathbf D_1$ plus $2\langle\nabla g,\mathbf D_W\mathbf D_H\rangle$"
                   r"; each penalty $\frac{\lambda}{2}\|\cdot\|^2$ adds $\lambda\|\mathbf D\|^2$"
                   ". That is the second variation of step 1, the Hessian bilinear form.",
                   statement, DEF + "; SymPy derived its right side (step 1)",
                   established=[statement]),
    ]


def r_of_t_step() -> ProofStep:
    """``R(t) = R + t D1 + t^2 D_W D_H`` along ``(W + t D_W, H + t D_H, b + t D_b)``."""
    t = D.t
    moved = (W + t * D.D_W) * (H + t * D.D_H) + (D.b + t * D.D_b) * D.ones_N.T
    return identity(r"Along the line, $\mathbf R(t)=\mathbf R+t\,\mathbf D_1+t^2\,\mathbf D_W"
                    r"\mathbf D_H$ with $\mathbf D_1=\mathbf D_W\mathbf H+\mathbf W\mathbf D_H+"
                    r"\mathbf D_b\mathbf 1^\top$.", sp.Eq(
                        moved, D.R + t * D.first_order_change + t ** 2 * D.second_order_change,
                        evaluate=False), by=IDENTICAL)


# ------------------------------------------------------------- the null vector
def null_vector_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["step:3.a"].statement
    rank_lt, _, h_null, unit = statement
    return [
        prior(r"At a critical point $\operatorname{rank}\mathbf W\le K-1$ (Lemma 3.1) ...",
              registry, "lem:3.1"),
        prior(r"... and $K=d$ (the hypothesis of the theorem), so $\operatorname{rank}"
              r"\mathbf W<d$.", registry, "hyp:dimension"),
        fact(r"A $K\times d$ matrix of rank $<d$ has a unit $\mathbf a$ with $\mathbf W"
             r"\mathbf a=\mathbf 0$.", "null-vector-of-rank-deficient", {"W": W}),
        prior(r"The balance $\lambda_W\mathbf W^\top\mathbf W=\lambda_H\mathbf H\mathbf "
              r"H^\top$ at a critical point ...", registry, "eq:3.4"),
        identity(r"... in the form $\lambda_W\|\mathbf W\mathbf a\|^2-\lambda_H\|\mathbf H^\top"
                 r"\mathbf a\|^2=\mathbf a^\top(\mathbf W^\top\partial_{\mathbf W}f-"
                 r"\partial_{\mathbf H}f\,\mathbf H^\top)\mathbf a$: at a critical point "
                 r"$\mathbf W\mathbf a=\mathbf 0$ gives $\mathbf H^\top\mathbf a=\mathbf 0$.",
                 kernel_identity(), by=IDENTICAL),
        conclusion(r"Steps 1-2 give $\operatorname{rank}\mathbf W\le K-1<K=d$; step 3 the unit "
                   r"$\mathbf a$ ($\mathbf a^\top\mathbf a=\operatorname{tr}(\mathbf a^\top"
                   r"\mathbf a)=1$) with $\mathbf W\mathbf a=\mathbf 0$; step 5 "
                   r"$\|\mathbf H^\top\mathbf a\|^2=(\lambda_W/\lambda_H)\|\mathbf W\mathbf "
                   r"a\|^2=0$.", statement, "steps 1-3 and 5",
                   established=[rank_lt, h_null, unit]),
    ]


# -------------------------------------------------------------- the direction
def direction_property_steps(label: str, registry: Registry) -> list[ProofStep]:
    """What the direction (3.10)/(4.36) is built for, reduced under its hypotheses."""
    dirn = C.direction_of(registry[label])
    hyps = Geo.null_hypotheses()
    by = "reduced by SymPy under the hypotheses"
    return [
        identity(r"The first-order change vanishes: $\mathbf D_W\mathbf H+\mathbf W\mathbf "
                 r"D_H+\mathbf D_b\mathbf 1^\top=\mathbf 0$ (as $\mathbf W\mathbf a=\mathbf 0$,"
                 r" $\mathbf H^\top\mathbf a=\mathbf 0$).",
                 sp.Eq(Geo.along(D.first_order_change, dirn), sp.ZeroMatrix(K, N),
                       evaluate=False), hypotheses=hyps, by=by),
        identity(r"$\mathbf D_W\mathbf D_H=-\mathbf u\mathbf v^\top$ (as $|\mathbf a|=1$).",
                 sp.Eq(dirn["D_W"] * dirn["D_H"], -Geo.u * Geo.v.T, evaluate=False),
                 hypotheses=hyps, by=by),
        identity(r"$\lambda_W\|\mathbf D_W\|^2=" + T + "$.", sp.Eq(
            lw * sp.Trace(dirn["D_W"].T * dirn["D_W"]), TAU, evaluate=False),
            hypotheses=hyps, by=by),
        identity(r"$\lambda_H\|\mathbf D_H\|^2=" + T + "$.", sp.Eq(
            lh * sp.Trace(dirn["D_H"].T * dirn["D_H"]), TAU, evaluate=False),
            hypotheses=hyps, by=by),
    ]


def eq310_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["eq:3.10"].statement
    return [
        prior(r"A unit $\mathbf a$ with $\mathbf W\mathbf a=\mathbf 0$ and $\mathbf H^\top"
              r"\mathbf a=\mathbf 0$; $(\mathbf u,\mathbf v,\sigma)$ is the top singular "
              r"triple of $\nabla g(\mathbf R)$.", registry, "step:3.a"),
        *direction_property_steps("eq:3.10", registry),
        conclusion(r"The direction is built from $\mathbf a$, $\mathbf u$, $\mathbf v$ with "
                   r"the scalings $(\lambda_H/\lambda_W)^{1/4}$ and $-(\lambda_W/"
                   r"\lambda_H)^{1/4}$ so that steps 2-5 hold.", statement, DEF,
                   established=[statement]),
    ]


def eq311_steps(registry: Registry) -> list[ProofStep]:
    claim = registry["eq:3.11"]
    return [
        prior(r"The direction (3.10), with $\mathbf W\mathbf a=\mathbf 0$, $\mathbf H^\top"
              r"\mathbf a=\mathbf 0$.", registry, "eq:3.10"),
        prior(r"The Hessian form, whose $g$-term is $\nabla^2 g[\mathbf D_1,\mathbf D_1]$.",
              registry, "eq:3.9"),
        identity(r"Along (3.10) $\mathbf D_1$ reduces to $\mathbf 0$, and $\nabla^2 g$ is "
                 "bilinear.", claim.statement, hypotheses=C.hypotheses_of(claim),
                 by="reduced by SymPy under the hypotheses"),
        conclusion("Step 3.", claim.statement, "step 3"),
    ]


# -------------------------------------------------------------- the final step
def final_steps(registry: Registry, label: str) -> list[ProofStep]:
    """step:3.final and step:4.final: the form along the direction, reduced, and its
    sign in $\\mathcal C_2$."""
    claim = registry[label]
    form_eq, negative = claim.statement
    if label == "step:3.final":
        priors = [
            prior("The Hessian form.", registry, "eq:3.9"),
            prior("The direction.", registry, "eq:3.10"),
            prior(r"Its $g$-term vanishes.", registry, "eq:3.11"),
        ]
        c2 = prior(r"In $\mathcal C_2$, $\sigma=\|\nabla g(\mathbf R)\|>" + T + "$.",
                   registry, "step:3.C")
    else:
        priors = [
            prior(r"The MSE Hessian form (3.9) with $\nabla^2 g=\frac1N\mathbf I$.",
                  registry, "eq:4.18"),
            prior(r"Along (4.36) the first-order change vanishes and the penalties are "
                  + "$" + T + "$ each ...", registry, "eq:4.37"),
            prior(r"... and $\mathbf D_W\mathbf D_H=-\mathbf u\mathbf v^\top$.", registry,
                  "eq:4.38"),
        ]
        c2 = prior(r"At a critical point that is not a global minimizer, an uncovered "
                   r"$\sigma_j>" + T + "$.", registry, "eq:4.34")
    return [
        *priors,
        identity(r"Along the direction the form reduces to $-2\langle\nabla g,\mathbf u"
                 r"\mathbf v^\top\rangle+2\sqrt{\lambda_W\lambda_H}=-2\sigma+2\sqrt{\lambda_W"
                 r"\lambda_H}$ (as $\mathbf u^\top\nabla g\,\mathbf v=\sigma$).", form_eq,
                 hypotheses=C.hypotheses_of(claim), by="reduced by SymPy under the hypotheses"),
        c2,
        negative_curvature_step(negative),
        conclusion(f"Steps {len(priors) + 1} and {len(priors) + 3}.", claim.statement,
                   f"steps {len(priors) + 1} and {len(priors) + 3}"),
    ]

