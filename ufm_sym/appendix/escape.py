r"""Escaping text for LaTeX.

:func:`latex_escape` makes any text safe in LaTeX's text mode (titles, evidence
details, messages): the ten special characters, brackets (a ``[`` after ``\\`` would
be read as an optional argument), and the non-ASCII symbols that ``pdflatex`` does
not know (Greek letters, relations, norms) become commands.

>>> print(latex_escape(r"||W a|| <= 1e-45 & 50% of {x_1}"))
\textbar{}\textbar{}W a\textbar{}\textbar{} \textless{}= 1e-45 \& 50\% of \{x\_1\}
>>> print(latex_escape(r"^ ~ \ # $ [13]"))
\textasciicircum{} \textasciitilde{} \textbackslash{} \# \$ {[}13{]}
>>> print(latex_escape("λ_W ≤ σ"))
\ensuremath{\lambda}\_W \ensuremath{\leq} \ensuremath{\sigma}
>>> print(latex_label("eq:3.4"), latex_label("odd label{#}"))
eq:3.4 odd-label---
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["latex_escape", "latex_label", "texttt"]

_SPECIAL: dict[str, str] = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "[": "{[}",
    "]": "{]}",
    "\n": " ",
    "\r": " ",
    "\t": " ",
}

_MATH: dict[str, str] = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "Δ": r"\Delta",
    "ε": r"\varepsilon", "λ": r"\lambda", "μ": r"\mu", "π": r"\pi", "Π": r"\Pi",
    "σ": r"\sigma", "Σ": r"\Sigma", "τ": r"\tau", "φ": r"\varphi", "ω": r"\omega",
    "∇": r"\nabla", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≈": r"\approx",
    "±": r"\pm", "×": r"\times", "·": r"\cdot", "→": r"\to", "⇒": r"\Rightarrow",
    "∈": r"\in", "∞": r"\infty", "√": r"\surd", "‖": r"\|", "⊤": r"\top", "ᵀ": r"^\top",
    "²": r"^2", "³": r"^3", "⁻": r"^-", "¹": r"^1", "∑": r"\sum", "∂": r"\partial",
    "⊗": r"\otimes", "⊥": r"\perp", "∘": r"\circ", "⋆": r"\star", "★": r"\star",
    "∪": r"\cup", "∩": r"\cap", "∅": r"\emptyset", "∀": r"\forall", "∃": r"\exists",
}

_TEXT: dict[str, str] = {
    "−": "-", "–": "--", "—": "---", "…": r"\dots{}", "“": "``", "”": "''", "‘": "`",
    "’": "'", "\u00a0": "~", "✓": "yes", "✗": "no",
}


def _char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ord(ch) < 128:
        return ch
    if ch in _MATH:
        return r"\ensuremath{" + _MATH[ch] + "}"
    if ch in _TEXT:
        return _TEXT[ch]
    if unicodedata.category(ch).startswith("L") and ord(ch) < 0x250:
        return ch  # Latin letters with accents: pdflatex's utf8 input knows them
    return rf"\texttt{{[U+{ord(ch):04X}]}}"


def latex_escape(text: object) -> str:
    """``text`` (any object, through ``str``) made safe for LaTeX's text mode."""
    if text is None:
        return ""
    return "".join(_char(ch) for ch in str(text))


def texttt(text: object) -> str:
    r"""``\texttt{...}`` of escaped ``text``.

    >>> texttt("step:3.final")
    '\\texttt{step:3.final}'
    """
    return r"\texttt{" + latex_escape(text) + "}"


def latex_label(text: object) -> str:
    """A string usable in ``\\label`` / ``\\ref``: characters other than letters,
    digits and ``: . - _ +`` become ``-``."""
    return re.sub(r"[^A-Za-z0-9:.\-_+]", "-", str(text))
