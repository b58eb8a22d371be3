r"""The proof chains of the steps of Section 4 (squared loss): the split (4.1), the
critical-point equations (4.4)-(4.5) and (4.11)-(4.13), Proposition 4.2's pieces
(4.2), (4.3), (4.7)-(4.10), Proposition 4.3's pieces (4.14)-(4.25), Assumption 4.4, the
covered singular pairs (4.27)-(4.29), and the escape direction (4.35)-(4.38) with the
final curvature.

Built like :mod:`ufm_sym_proofs.section3_proofs` (whose shared steps it reuses): identities
derived by SymPy (the MSE gradient ``(W H + b 1^T - Y)/N`` substituted where the paper
uses it), named facts, claims in ``uses``; relations that only the words of the last step
derive (a definition, a case, the order of the singular values) are listed there as
``established``, and the step says so.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ufm_sym.claims import ProofStep, Registry
from ufm_sym_proofs import _common as C
from ufm_sym_proofs import geometry as Geo
from ufm_sym_proofs import section4 as S4
from ufm_sym_proofs.chains import add_proof, conclusion, derived, fact, identity, prior
from ufm_sym_proofs.section3_proofs import (
    COMBINED,
    DEF,
    IDENTICAL,
    T,
    final_steps,
    kernel_identity,
    reduction_steps,
    split_steps,
)

D = C.derivation()
W, H, b, G, Y, ones_N = D.W, D.H, D.b, D.G, D.Y, D.ones_N
lw, lh, lb = D.lambda_W, D.lambda_H, D.lambda_b
K, d, N = D.K, D.d, D.N
TAU = sp.sqrt(lw * lh)
V = S4.V
Wt, Ht = W * V, V.T * H
E_ = W * H + b * ones_N.T - Y
REDUCED = "reduced by SymPy under the hypotheses"
CRITICAL = "the definition of a critical point: the derived gradient vanishes there"


def register(registry: Registry) -> None:
    """Attach the chains of Section 4."""
    chains = {
        "eq:4.1": lambda: split_steps(registry, "eq:4.1"),
        "eq:4.4": lambda: gradient_steps(registry, "eq:4.4"),
        "eq:4.5": lambda: gradient_steps(registry, "eq:4.5"),
        "eq:4.2": lambda: eq42_steps(registry),
        "eq:4.7": lambda: solved_steps(registry, "eq:4.7"),
        "eq:4.8": lambda: solved_steps(registry, "eq:4.8"),
        "eq:4.9": lambda: rank_bound_steps(registry, "eq:4.9"),
        "eq:4.10": lambda: rank_bound_steps(registry, "eq:4.10"),
        "eq:4.3": lambda: eq43_steps(registry),
        "eq:4.11": lambda: gradient_steps(registry, "eq:4.11"),
        "eq:4.12": lambda: gradient_steps(registry, "eq:4.12"),
        "eq:4.13": lambda: gradient_steps(registry, "eq:4.13"),
        "eq:4.14": lambda: eq414_steps(registry),
        "eq:4.15": lambda: eq415_steps(registry),
        "step:4.3.crit": lambda: rotated_critical_steps(registry),
        "eq:4.16": lambda: eq416_steps(registry),
        "eq:4.17": lambda: eq417_steps(registry),
        "eq:4.18": lambda: eq418_steps(registry),
        "eq:4.19": lambda: test_direction_steps(registry, "eq:4.19"),
        "eq:4.22": lambda: test_direction_steps(registry, "eq:4.22"),
        "eq:4.25": lambda: eq425_steps(registry),
        "step:4.3.inv": lambda: invariance_steps(registry),
        "asm:4.4": lambda: normal_form_steps(registry),
        "eq:4.27": lambda: eq427_steps(registry),
        "eq:4.28": lambda: singular_pair_steps(registry, "eq:4.28"),
        "eq:4.29": lambda: singular_pair_steps(registry, "eq:4.29"),
        "eq:4.35": lambda: eq435_steps(registry),
        "eq:4.36": lambda: eq436_steps(registry),
        "eq:4.37": lambda: direction_steps(registry, "eq:4.37"),
        "eq:4.38": lambda: direction_steps(registry, "eq:4.38"),
        "step:4.final": lambda: final_steps(registry, "step:4.final"),
    }
    for label, steps in chains.items():
        add_proof(registry, label, steps)


# ---------------------------------------------------- the critical-point equations
#: label: (what the statement's left side is, as a multiple of the derived MSE gradient)
_GRADIENT = {
    "eq:4.4": (r"$\partial f/\partial\mathbf W$ (derived, with $\nabla g=(\mathbf W\mathbf H+"
               r"\mathbf b\mathbf 1^\top-\mathbf Y)/N$) is $\frac1N(\mathbf W\mathbf H+\mathbf b"
               r"\mathbf 1^\top-\mathbf Y)\mathbf H^\top+\lambda_W\mathbf W$.",
               S4.GRAD_W, E_ * H.T / N + lw * W),
    "eq:4.5": (r"$\partial f/\partial\mathbf H$ (derived, with $\nabla g=(\mathbf W\mathbf H+"
               r"\mathbf b\mathbf 1^\top-\mathbf Y)/N$) is $\frac1N\mathbf W^\top(\mathbf W"
               r"\mathbf H+\mathbf b\mathbf 1^\top-\mathbf Y)+\lambda_H\mathbf H$.",
               S4.GRAD_H, W.T * E_ / N + lh * H),
    "eq:4.11": (r"The left side of (4.11) is $N\,\partial f/\partial\mathbf W$ (derived, MSE).",
                None, N * S4.GRAD_W),
    "eq:4.12": (r"The left side of (4.12) is $N\,\partial f/\partial\mathbf H$ (derived, MSE).",
                None, N * S4.GRAD_H),
    "eq:4.13": (r"The left side of (4.13) is $N\,\partial f/\partial\mathbf b$ (derived, MSE).",
                None, N * S4.GRAD_b),
}


def gradient_steps(registry: Registry, label: str) -> list[ProofStep]:
    """(4.4), (4.5), (4.11)-(4.13): the derived gradient written out, then the definition
    of a critical point."""
    text, lhs, rhs = _GRADIENT[label]
    statement = registry[label].statement
    lhs = statement.lhs if lhs is None else lhs
    return [identity(text, sp.Eq(lhs, rhs, evaluate=False), by=IDENTICAL),
            conclusion("At a critical point the gradient vanishes; by step 1 this is the "
                       "equation.", statement, CRITICAL, established=[statement])]


def eq42_steps(registry: Registry) -> list[ProofStep]:
    return [prior(r"The balance (4.6), derived from (4.4) and (4.5).", registry, "eq:4.6"),
            conclusion("Its first equation.", registry["eq:4.2"].statement, "step 1")]


def solved_steps(registry: Registry, label: str) -> list[ProofStep]:
    """(4.7)/(4.8): the factor solved from its critical-point equation."""
    statement = registry[label].statement
    if label == "eq:4.7":
        text = (r"$\mathbf W$ minus the right side is $\frac1{\lambda_W}\partial f/\partial"
                r"\mathbf W$ (derived, MSE), which vanishes at a critical point.")
        return [prior("The critical-point equation in $\\mathbf W$.", registry, "eq:4.4"),
                identity(text, statement, combination=S4.GRAD_W / lw, by=COMBINED),
                conclusion("Step 2.", statement, "step 2")]
    text = (r"$\mathbf H$ minus the right side is $\frac1{\lambda_H}\partial f/\partial"
            r"\mathbf H$ (derived, MSE), which vanishes at a critical point.")
    return [prior("The critical-point equation in $\\mathbf H$.", registry, "eq:4.5"),
            identity(text, statement, combination=S4.GRAD_H / lh, by=COMBINED),
            conclusion("Step 2.", statement, "step 2")]


def rank_bound_steps(registry: Registry, label: str) -> list[ProofStep]:
    """(4.9)/(4.10): a factor is a product with the other's transpose."""
    statement = registry[label].statement
    if label == "eq:4.9":
        A = -G / lw                      # = (Y - b 1^T - W H)/(N lambda_W) for the MSE
        return [
            prior(r"$\mathbf W=\mathbf A\mathbf H^\top$ with $\mathbf A=(\mathbf Y-\mathbf b"
                  r"\mathbf 1^\top-\mathbf W\mathbf H)/(N\lambda_W)$.", registry, "eq:4.7"),
            fact(r"The rank of a product is at most the rank of each factor, with $\mathbf A="
                 r"-\nabla g(\mathbf R)/\lambda_W$: $\mathbf A\mathbf H^\top-\mathbf W=-\frac1"
                 r"{\lambda_W}\frac{\partial f}{\partial\mathbf W}$, so $\mathbf A\mathbf "
                 r"H^\top=\mathbf W$ at a critical point.", "rank-product",
                 {"A": A, "B": H.T}, link=(A * H.T, W, -D.grad_W / lw)),
            conclusion(r"$\operatorname{rank}\mathbf W=\operatorname{rank}(\mathbf A\mathbf "
                       r"H^\top)\le\operatorname{rank}\mathbf H^\top=\operatorname{rank}"
                       r"\mathbf H$.", statement, "steps 1 and 2 (rank H^T = rank H)",
                       established=[statement]),
        ]
    B = -G / lh                          # = (Y - b 1^T - W H)/(N lambda_H) for the MSE
    return [
        prior(r"$\mathbf H=\mathbf W^\top\mathbf B$ with $\mathbf B=(\mathbf Y-\mathbf b"
              r"\mathbf 1^\top-\mathbf W\mathbf H)/(N\lambda_H)$.", registry, "eq:4.8"),
        fact(r"The rank of a product is at most the rank of each factor, with $\mathbf B="
             r"-\nabla g(\mathbf R)/\lambda_H$: $\mathbf W^\top\mathbf B-\mathbf H=-\frac1"
             r"{\lambda_H}\frac{\partial f}{\partial\mathbf H}$, so $\mathbf W^\top\mathbf "
             r"B=\mathbf H$ at a critical point.", "rank-product",
             {"A": W.T, "B": B}, link=(W.T * B, H, -D.grad_H / lh)),
        conclusion(r"$\operatorname{rank}\mathbf H=\operatorname{rank}(\mathbf W^\top\mathbf "
                   r"B)\le\operatorname{rank}\mathbf W^\top=\operatorname{rank}\mathbf W$.",
                   statement, "steps 1 and 2 (rank W^T = rank W)", established=[statement]),
    ]


def eq43_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["eq:4.3"].statement
    return [prior(r"$\operatorname{rank}\mathbf W\le\operatorname{rank}\mathbf H$.", registry,
                  "eq:4.9"),
            prior(r"$\operatorname{rank}\mathbf H\le\operatorname{rank}\mathbf W$.", registry,
                  "eq:4.10"),
            conclusion("Steps 1 and 2.", statement, "steps 1 and 2 (antisymmetry of <=)",
                       established=[statement])]


# ------------------------------------------------------------ Proposition 4.3
def eq414_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["eq:4.14"].statement
    U, Sig = statement.rhs.args
    return [fact(r"The singular value decomposition of $\mathbf W$, right-multiplied by "
                 r"$\mathbf V$; the singular values in decreasing order, so the columns of "
                 r"$\mathbf U\boldsymbol\Sigma$ after $r=\operatorname{rank}\mathbf W$ are "
                 "zero.", "singular-value-decomposition",
                 {"W": W, "U": U, r"\Sigma": Sig, "V": V}),
            conclusion("Step 1.", statement, "step 1")]


def eq415_steps(registry: Registry) -> list[ProofStep]:
    claim = registry["eq:4.15"]
    return [prior(r"$\mathbf V$ is the orthogonal factor of the SVD of $\mathbf W$.",
                  registry, "eq:4.14"),
            identity(r"$\mathbf W\mathbf V\mathbf V^\top\mathbf H$ reduces to $\mathbf W"
                     r"\mathbf H$ under $\mathbf V\mathbf V^\top=\mathbf I$.", claim.statement,
                     hypotheses=S4.ORTH_V, by=REDUCED),
            conclusion("Step 2.", claim.statement, "step 2")]


def rotated_critical_steps(registry: Registry) -> list[ProofStep]:
    claim = registry["step:4.3.crit"]
    texts = [r"$\partial f/\partial\mathbf W$ at $(\mathbf W\mathbf V,\mathbf V^\top\mathbf H,"
             r"\mathbf b)$ is $\partial f/\partial\mathbf W$ at $(\mathbf W,\mathbf H,\mathbf b)"
             r"$ times $\mathbf V$ ...",
             r"... $\partial f/\partial\mathbf H$ is $\mathbf V^\top$ times the old one ...",
             r"... and $\partial f/\partial\mathbf b$ is unchanged."]
    return [
        prior(r"The product, hence $\mathbf R$ and $\nabla g(\mathbf R)$, is the same at both "
              "points.", registry, "eq:4.15"),
        *reduction_steps(claim.statement, S4.ORTH_V, texts),
        conclusion(r"Steps 2-4 (with $\mathbf V^\top\mathbf V=\mathbf I$): the gradient at "
                   r"$(\mathbf W\mathbf V,\mathbf V^\top\mathbf H,\mathbf b)$ vanishes exactly "
                   "where the one at the critical point (4.11)-(4.13) does.", claim.statement,
                   "steps 2-4"),
    ]


def eq416_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["eq:4.16"].statement
    return [
        prior("The balance at a critical point.", registry, "eq:4.6"),
        identity(r"For every $\mathbf a$: $\lambda_W\|\mathbf W\mathbf a\|^2-\lambda_H\|\mathbf "
                 r"H^\top\mathbf a\|^2=\mathbf a^\top(\mathbf W^\top\partial_{\mathbf W}f-"
                 r"\partial_{\mathbf H}f\,\mathbf H^\top)\mathbf a$, which vanishes at a "
                 "critical point.", kernel_identity(), by=IDENTICAL),
        conclusion(r"By step 2, $\lambda_W\|\mathbf W\mathbf a\|^2=\lambda_H\|\mathbf H^\top"
                   r"\mathbf a\|^2$ with $\lambda_W,\lambda_H>0$: one side vanishes exactly "
                   "when the other does.", statement, "step 2",
                   established=list(statement.args)),
    ]


def eq417_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["eq:4.17"].statement
    dirn = C.direction_of(registry["eq:4.17"])
    return [
        prior(r"$\mathbf W\mathbf a=\mathbf 0$ iff $\mathbf H^\top\mathbf a=\mathbf 0$.",
              registry, "eq:4.16"),
        identity(r"For any scalings $\alpha,\beta$ the first-order change $\mathbf D_W\mathbf H+"
                 r"\mathbf W\mathbf D_H+\mathbf D_b\mathbf 1^\top$ vanishes along it.",
                 sp.Eq(Geo.along(D.first_order_change, dirn), sp.ZeroMatrix(K, N),
                       evaluate=False), hypotheses=Geo.null_hypotheses(unit_a=False),
                 by=REDUCED),
        conclusion(r"The test direction is built from a null vector $\mathbf a$ of step 1 and "
                   r"unit $\mathbf u$, $\mathbf v$, so that step 2 holds.", statement, DEF,
                   established=[statement]),
    ]


def eq418_steps(registry: Registry) -> list[ProofStep]:
    from ufm_sym_proofs.section3_proofs import mse_convexity_step, r_of_t_step

    statement = registry["eq:4.18"].statement
    return [
        prior(r"The objective; SymPy derives its second variation $\frac{d^2}{dt^2}f(\mathbf X+"
              r"t\boldsymbol\Delta)$ at $t=0$, the form (3.9).", registry, "eq:1.4"),
        r_of_t_step(),
        mse_convexity_step(),
        conclusion(r"The form (3.9) of step 1 (from step 2) with step 3 at $\mathbf D=\mathbf "
                   r"D_1$: $\nabla^2 g[\mathbf D_1,\mathbf D_1]=\frac1N\|\mathbf D_1\|^2$.",
                   statement, DEF + "; SymPy derived its right side (step 1) and substituted "
                   "step 3", established=[statement]),
    ]


def test_direction_steps(registry: Registry, label: str) -> list[ProofStep]:
    """(4.19)-(4.21) at (W, H, b) and (4.22)-(4.24) at (W V, V^T H, b)."""
    claim = registry[label]
    texts = [r"The first-order change vanishes (as $\mathbf W\mathbf a=\mathbf 0$, $\mathbf "
             r"H^\top\mathbf a=\mathbf 0$).",
             r"$\mathbf D_W\mathbf D_H=\alpha\beta|\mathbf a|^2\mathbf u\mathbf v^\top$.",
             r"$\|\mathbf D_W\|^2=\alpha^2|\mathbf a|^2$ (as $|\mathbf u|=1$).",
             r"$\|\mathbf D_H\|^2=\beta^2|\mathbf a|^2$ (as $|\mathbf v|=1$)."]
    priors = [prior("The test direction.", registry, "eq:4.17")]
    if label == "eq:4.22":
        texts = [t[:-1] + r", with $\tilde{\mathbf a}=\mathbf V^\top\mathbf a$ and $\mathbf V"
                 r"\mathbf V^\top=\mathbf I$." for t in texts]
        priors.append(prior(r"$\mathbf V$ is orthogonal.", registry, "eq:4.14"))
    steps = reduction_steps(claim.statement, C.hypotheses_of(claim), texts)
    return [*priors, *steps,
            conclusion(f"Steps {len(priors) + 1}-{len(priors) + 4}.", claim.statement,
                       f"steps {len(priors) + 1}-{len(priors) + 4}")]


def eq425_steps(registry: Registry) -> list[ProofStep]:
    claim = registry["eq:4.25"]
    texts = [r"At $(\mathbf W,\mathbf H,\mathbf b)$ the form along (4.17) reduces to "
             r"$2\alpha\beta|\mathbf a|^2\sigma+(\lambda_W\alpha^2+\lambda_H\beta^2)|\mathbf a|^2"
             r"$ (with $\mathbf u^\top\nabla g\,\mathbf v=\sigma$) ...",
             r"... and so does the form at $(\mathbf W\mathbf V,\mathbf V^\top\mathbf H,"
             r"\mathbf b)$ along the rotated direction."]
    return [
        prior("The MSE Hessian form.", registry, "eq:4.18"),
        prior("The products along the test direction ...", registry, "eq:4.19"),
        prior("... and along the rotated one.", registry, "eq:4.22"),
        *reduction_steps(claim.statement, C.hypotheses_of(claim), texts),
        conclusion("Steps 4 and 5.", claim.statement, "steps 4 and 5"),
    ]


def invariance_steps(registry: Registry) -> list[ProofStep]:
    claim = registry["step:4.3.inv"]
    texts = [r"$f(\mathbf W\mathbf Q,\mathbf Q^\top\mathbf H,\mathbf b)$ reduces to $f(\mathbf "
             r"W,\mathbf H,\mathbf b)$ under $\mathbf Q\mathbf Q^\top=\mathbf Q^\top\mathbf Q="
             r"\mathbf I$: $\mathbf R$ is unchanged and the penalties are traces.",
             r"The derived Hessian form at $(\mathbf W\mathbf Q,\mathbf Q^\top\mathbf H,\mathbf "
             r"b)$ along $(\mathbf D_W\mathbf Q,\mathbf Q^\top\mathbf D_H,\mathbf D_b)$ reduces to"
             " the one at the point along the original direction."]
    return [*reduction_steps(claim.statement, S4.ORTH_Q, texts),
            conclusion(r"Steps 1 and 2: the Hessians are similar through the orthogonal map "
                       r"that sends $(\mathbf D_W,\mathbf D_H,\mathbf D_b)$ to $(\mathbf D_W"
                       r"\mathbf Q,\mathbf Q^\top\mathbf D_H,\mathbf D_b)$.", claim.statement,
                       "steps 1 and 2")]


# --------------------------------------------------------------- Assumption 4.4
def normal_form_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["asm:4.4"].statement
    off_W, off_H, zero_W, zero_H, rank_r, balance = statement
    U, Sig = registry["eq:4.14"].statement.rhs.args
    gram = sp.Eq(Wt.T * Wt, Sig.T * Sig, evaluate=False)
    gram_by = ((Wt - U * Sig).T * Wt + Sig.T * U.T * (Wt - U * Sig)
               + Sig.T * (U.T * U - sp.Identity(K)) * Sig)
    grad_balance = V.T * (W.T * D.grad_W - D.grad_H * H.T) * V
    return [
        prior(r"By Proposition 4.3 the point $(\mathbf W\mathbf V,\mathbf V^\top\mathbf H,"
              r"\mathbf b)$ is critical with the same Hessian information, for any orthogonal "
              r"$\mathbf V$ ...", registry, "prop:4.3"),
        prior(r"... so take $\mathbf V$ from the SVD: $\mathbf W\mathbf V=\mathbf U\boldsymbol"
              r"\Sigma$ with $\mathbf U^\top\mathbf U=\mathbf I$ and $\boldsymbol\Sigma^\top"
              r"\boldsymbol\Sigma$ diagonal.", registry, "eq:4.14"),
        identity(r"$\tilde{\mathbf W}^\top\tilde{\mathbf W}-\boldsymbol\Sigma^\top\boldsymbol"
                 r"\Sigma$ is a combination of $\mathbf W\mathbf V-\mathbf U\boldsymbol\Sigma$ "
                 r"and $\mathbf U^\top\mathbf U-\mathbf I$, both zero by step 2: the columns of "
                 r"$\tilde{\mathbf W}$ are orthogonal.", gram, combination=gram_by, by=COMBINED),
        identity(r"$\lambda_W\tilde{\mathbf W}^\top\tilde{\mathbf W}-\lambda_H\tilde{\mathbf H}"
                 r"\tilde{\mathbf H}^\top=\mathbf V^\top(\mathbf W^\top\partial_{\mathbf W}f-"
                 r"\partial_{\mathbf H}f\,\mathbf H^\top)\mathbf V$ vanishes at a critical "
                 r"point, so $\tilde{\mathbf H}\tilde{\mathbf H}^\top=(\lambda_W/\lambda_H)"
                 r"\boldsymbol\Sigma^\top\boldsymbol\Sigma$ is diagonal too.",
                 sp.Eq(lw * Wt.T * Wt, lh * Ht * Ht.T, evaluate=False),
                 combination=grad_balance, by=COMBINED),
        derived(r"In particular the diagonal balance $\lambda_W\|\mathbf w_i\|^2=\lambda_H\|"
                r"\mathbf h^i\|^2$.", balance, lambda rel: _hadamard_of_combination(
                    rel, grad_balance), "the first factor of the Hadamard product minus "
                "V^T (W^T df/dW - df/dH H^T) V is zero (normal form), the second is I",
                by="the step before, entrywise on the diagonal"),
        prior(r"$\operatorname{rank}\mathbf W=\operatorname{rank}\mathbf H$ (Proposition 4.2).",
              registry, "prop:4.2"),
        conclusion(r"With the singular values in decreasing order, the first $r=\operatorname"
                   r"{rank}\mathbf W$ columns of $\tilde{\mathbf W}=\mathbf U\boldsymbol\Sigma$ "
                   r"are nonzero and orthogonal (rank $r$) and the others zero (step 3); by "
                   r"step 4 the rows of $\tilde{\mathbf H}$ are orthogonal, with $\|\mathbf h^i"
                   r"\|^2=(\lambda_W/\lambda_H)\|\mathbf w_i\|^2$: nonzero for $i\le r$, zero "
                   r"after, as $\operatorname{rank}\mathbf H=r$ (step 6) says.", statement,
                   "steps 3-6 and the order of the singular values",
                   established=[off_W, off_H, zero_W, zero_H, rank_r]),
    ]


def _hadamard_of_combination(relation: Any, combination: Any) -> bool:
    """``HadamardProduct(A, I) = 0`` with ``A`` minus ``combination`` identically zero
    (``A`` vanishes where the gradient does, and so does its diagonal)."""
    from ufm_sym.symbolic.normal_form import matrix_equal

    had = relation.lhs
    if not isinstance(had, sp.HadamardProduct) or not isinstance(relation.rhs, sp.ZeroMatrix):
        return False
    parts = [x for x in had.args if not isinstance(x, sp.Identity)]
    return (len(had.args) == 2 and len(parts) == 1
            and matrix_equal(parts[0], combination))


# ------------------------------------------------------------ (4.27)-(4.29)
def eq427_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["eq:4.27"].statement
    e_i = S4.e_i
    return [
        prior(r"The normal form: $\mathbf w_i=\mathbf W\mathbf e_i$, $\mathbf h^i=\mathbf "
              r"e_i^\top\mathbf H$.", registry, "asm:4.4"),
        identity(r"Column $i$ of (4.11) over $N$: $\nabla g\,(\mathbf h^i)^\top+\lambda_W\mathbf "
                 r"w_i=(\partial f/\partial\mathbf W)\mathbf e_i$ ...", statement[0],
                 combination=D.grad_W * e_i, by=COMBINED),
        identity(r"... and row $i$ of (4.12) over $N$: $\mathbf w_i^\top\nabla g+\lambda_H"
                 r"\mathbf h^i=\mathbf e_i^\top\partial f/\partial\mathbf H$.", statement[1],
                 combination=e_i.T * D.grad_H, by=COMBINED),
        conclusion("Steps 2 and 3 at a critical point.", statement, "steps 2 and 3"),
    ]


def singular_pair_steps(registry: Registry, label: str) -> list[ProofStep]:
    """(4.28)/(4.29): ``(u_i, v_i)`` is a singular pair of ``grad g`` with value
    ``sqrt(lW lH)``."""
    pairs = registry["eq:4.29"].statement
    e_i = S4.e_i
    rw, rh = sp.Symbol(r"\|w_i\|", positive=True), S4.rho_h   # the statement's norms
    wi, hi = W * e_i, e_i.T * H
    col = sp.Eq(lw * (wi.T * wi), lh * (hi * hi.T), evaluate=False)
    steps = [
        prior(r"Column $i$ and row $i$ of the critical-point equations.", registry, "eq:4.27"),
        prior("The balance.", registry, "eq:4.6"),
        identity(r"Its diagonal: $\lambda_W\|\mathbf w_i\|^2-\lambda_H\|\mathbf h^i\|^2=\mathbf "
                 r"e_i^\top(\mathbf W^\top\partial_{\mathbf W}f-\partial_{\mathbf H}f\,\mathbf "
                 r"H^\top)\mathbf e_i$, zero at a critical point: $\|\mathbf w_i\|=\sqrt{"
                 r"\lambda_H/\lambda_W}\,\|\mathbf h^i\|$.", col,
                 combination=e_i.T * (W.T * D.grad_W - D.grad_H * H.T) * e_i, by=COMBINED),
        identity(r"Put $\mathbf u_i=-\mathbf w_i/\|\mathbf w_i\|$, $\mathbf v_i=(\mathbf h^i)"
                 r"^\top/\|\mathbf h^i\|$ and $t=" + T + r"$. Then $\nabla g\,\mathbf v_i-t"
                 r"\,\mathbf u_i$ is $(\partial f/\partial\mathbf W)\mathbf e_i/\|\mathbf h^i"
                 r"\|$ plus $c\,\mathbf w_i$ with $c=t/\|\mathbf w_i\|-\lambda_W/\|\mathbf "
                 r"h^i\|$, zero by step 3 ...", pairs[0],
                 combination=D.grad_W * e_i / rh + (TAU / rw - lw / rh) * wi, by=COMBINED),
        identity(r"... and $\nabla g^\top\mathbf u_i-t\,\mathbf v_i$ is $-(\partial f/"
                 r"\partial\mathbf H)^\top\mathbf e_i/\|\mathbf w_i\|$ plus $c'\,(\mathbf "
                 r"h^i)^\top$ with $c'=\lambda_H/\|\mathbf w_i\|-t/\|\mathbf h^i\|$, zero by "
                 "step 3.", pairs[1],
                 combination=-D.grad_H.T * e_i / rw + (lh / rw - TAU / rh) * hi.T, by=COMBINED),
    ]
    statement = registry[label].statement
    if label == "eq:4.29":
        return [*steps, conclusion("Steps 4 and 5 at a critical point.", statement,
                                   "steps 4 and 5")]
    return [*steps, conclusion(r"By steps 4 and 5 the unit vectors $\mathbf u_i$, $\mathbf "
                               r"v_i$ satisfy $\nabla g\,\mathbf v_i=" + T + r"\,\mathbf u_i$, "
                               r"$\nabla g^\top\mathbf u_i=" + T + r"\,\mathbf v_i$: $" + T
                               + "$ is a singular value of $\\nabla g(\\mathbf R)$.", statement,
                               "steps 4 and 5 (the definition of a singular pair)",
                               established=[statement])]


# ------------------------------------------------------------ (4.35)-(4.38)
def eq435_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["eq:4.35"].statement
    rank_lt, _, _, unit = statement
    return [
        prior(r"The normal form, with $r=\operatorname{rank}\mathbf W$; in Case 2, $r<K$ ...",
              registry, "asm:4.4"),
        prior(r"... and $K=d$, so $\operatorname{rank}\mathbf W<d$.", registry, "hyp:dimension"),
        fact(r"A $K\times d$ matrix of rank $<d$ has a unit $\mathbf a$ with $\mathbf W\mathbf "
             r"a=\mathbf 0$ (e.g. $\mathbf a=\mathbf e_{r+1}$ in the normal form).",
             "null-vector-of-rank-deficient", {"W": W}),
        prior(r"$\mathbf W\mathbf a=\mathbf 0$ iff $\mathbf H^\top\mathbf a=\mathbf 0$.",
              registry, "eq:4.16"),
        conclusion(r"Steps 1-2 give $\operatorname{rank}\mathbf W=r<K=d$; step 3 a unit "
                   r"$\mathbf a$ ($\mathbf a^\top\mathbf a=1$) with $\mathbf W\mathbf a=\mathbf 0$;"
                   r" step 4 $\mathbf H^\top\mathbf a=\mathbf 0$.", statement,
                   "steps 1-4 (Case 2: r < K)", established=[rank_lt, unit]),
    ]


def eq436_steps(registry: Registry) -> list[ProofStep]:
    statement = registry["eq:4.36"].statement
    return [
        prior(r"A unit $\mathbf a$ with $\mathbf W\mathbf a=\mathbf 0=\mathbf H^\top\mathbf a$.",
              registry, "eq:4.35"),
        prior(r"An uncovered singular pair $(\mathbf u,\mathbf v,\sigma)$ of $\nabla g(\mathbf "
              r"R)$.", registry, "eq:4.33"),
        conclusion(r"The direction (4.17) with these $\mathbf a$, $\mathbf u$, $\mathbf v$ and "
                   r"$\alpha=(\lambda_H/\lambda_W)^{1/4}$, $\beta=-(\lambda_W/\lambda_H)^{1/4}$;"
                   " its properties are (4.37) and (4.38).", statement, DEF,
                   established=[statement]),
    ]


def direction_steps(registry: Registry, label: str) -> list[ProofStep]:
    """(4.37)/(4.38): the direction (4.36) reduced under its hypotheses."""
    claim = registry[label]
    if label == "eq:4.37":
        texts = [r"The first-order change vanishes (as $\mathbf W\mathbf a=\mathbf 0$, "
                 r"$\mathbf H^\top\mathbf a=\mathbf 0$).",
                 r"$\lambda_W\|\mathbf D_W\|^2=\lambda_W(\lambda_H/\lambda_W)^{1/2}=" + T
                 + "$ (as $|\\mathbf u|=|\\mathbf a|=1$).",
                 r"$\lambda_H\|\mathbf D_H\|^2=\lambda_H(\lambda_W/\lambda_H)^{1/2}=" + T
                 + "$ (as $|\\mathbf v|=|\\mathbf a|=1$)."]
    else:
        texts = [r"$\mathbf D_W\mathbf D_H=-(\lambda_H/\lambda_W)^{1/4}(\lambda_W/\lambda_H)"
                 r"^{1/4}\,\mathbf u\,\mathbf a^\top\mathbf a\,\mathbf v^\top=-\mathbf u\mathbf "
                 r"v^\top$ (as $|\mathbf a|=1$)."]
    steps = reduction_steps(claim.statement, C.hypotheses_of(claim), texts)
    return [prior("The direction (4.36).", registry, "eq:4.36"), *steps,
            conclusion(f"Steps 2-{len(steps) + 1}." if len(steps) > 1 else "Step 2.",
                       claim.statement, f"steps 2-{len(steps) + 1}")]

