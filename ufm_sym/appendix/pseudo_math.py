r"""Plain text with ASCII pseudo-math, typeset as text with real mathematics.

Titles without ``title_tex``, derivation captions, evidence details and findings are
plain text (they are also printed on a terminal), and write their formulas the ASCII
way: ``lambda_W W^T W``, ``||grad g(R)|| <= sqrt(lW lH)``, ``K=2, d=2``.
:func:`text_to_tex` finds those formulas and sets them as mathematics (``$...$``),
escaping the rest as text; :func:`find_pseudo_math` finds what is left (the appendix's
tests run it over the ``pdftotext`` output of the PDF: it must find nothing).

>>> print(text_to_tex("balance lambda_W W^T W = lambda_H H H^T"))
balance $\lambda_W \mathbf{W}^\top \mathbf{W} = \lambda_H \mathbf{H} \mathbf{H}^\top$
>>> print(text_to_tex("||grad g(R)|| <= sqrt(lW lH) at a critical point"))
$\|\nabla g(\mathbf{R})\| \le \sqrt{\lambda_W \lambda_H}$ at a critical point
>>> print(text_to_tex("worst at CE UFM, K=2, d=2, n=1, lambda_W=1/10 point 0; dps 50"))
worst at CE UFM, $K=2$, $d=2$, $n=1$, $\lambda_W=1/10$ point 0; dps 50
>>> find_pseudo_math("rank W = rank H <= K - 1 and ||W a||^2")
['<=', '||', '||']
>>> find_pseudo_math(text_to_tex("1_K^T grad g(R) = 0"))
[]

The conversion is a heuristic for the patterns this project's texts use; text that
it does not recognise stays text (escaped), never broken LaTeX.
"""

from __future__ import annotations

import re

from ufm_sym.appendix.escape import latex_escape

__all__ = ["PSEUDO_MATH", "find_pseudo_math", "text_to_tex"]

#: ASCII pseudo-math as it shows in plain text (and in ``pdftotext`` output when a
#: formula was set as text): subscripts and superscripts written with ``_`` and ``^``,
#: norm bars, ``sqrt(``, ASCII relations, the spelled-out Greek ``lambda_`` and the
#: abbreviations ``lW``, ``lH``, ``grad g``, ``hess f``, ``d/dt``
PSEUDO_MATH = re.compile(
    r"[A-Za-z0-9)}\]|]\^[A-Za-z0-9({]"            # W^T, 1^T, x^2, (..)^(1/4)
    r"|\b[A-Za-z]+_(?:\{|[A-Za-z0-9])"          # lambda_W, 1_K is below, u_i, h_{k,i}
    r"|\b1_[A-Za-z]\b"                           # 1_K, 1_N
    r"|\|\|"                                     # ||x||
    r"|\bsqrt\("                                 # sqrt(
    r"|<=|>=|!=|=="                              # ASCII relations
    r"|\*\*"                                     # x**2
    r"|\blambda\b|\bsigma\b"                     # Greek spelled out
    r"|\bl[WHb]\b"                               # lW, lH, lb
    r"|\b(?:grad|hess) [fg]\b"                   # grad g, hess f
    r"|\bd\^?2?/dt"                              # d/dt, d^2/dt^2
)


def find_pseudo_math(text: str) -> list[str]:
    """Every piece of ASCII pseudo-math in ``text`` (:data:`PSEUDO_MATH`), in order."""
    return [m.group(0).strip() for m in PSEUDO_MATH.finditer(text)]


# ------------------------------------------------------------------ the words
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "varphi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Sigma", "Phi", "Psi",
    "Omega",
}
_OPERATORS = {"rank": r"\operatorname{rank}", "tr": r"\operatorname{tr}",
              "softmax": r"\operatorname{softmax}", "diag": r"\operatorname{diag}",
              "mean": r"\operatorname{mean}", "log": r"\log", "exp": r"\exp",
              "min": r"\min", "max": r"\max", "sum": r"\sum", "grad": r"\nabla",
              "hess": r"\nabla^2", "sqrt": r"\sqrt", "ker": r"\ker"}
_SHORT = {"lW": r"\lambda_W", "lH": r"\lambda_H", "lb": r"\lambda_b"}
_BOLD = set("WHRYGUVQZPSXDEI")
_MATH_WORDS = {"in": r"\in", "perp": r"\perp", "iff": r"\iff", "cup": r"\cup"}
_FUNCTION_WORDS = {"rank", "tr", "softmax", "diag", "mean", "log", "exp", "sqrt",
                   "grad", "hess", "sum", "ker"}
_SYMBOLS = {"<=": r"\le", ">=": r"\ge", "!=": r"\ne", "==": "=", "->": r"\to",
            "..": r"\dots"}

_ATOM = re.compile(
    r"\s+|\|\||<=|>=|!=|==|->|\.\.|"
    r"(?P<frac>d\^2/dt\^2|d/dt|d[fg]/d[WHbR])\b|"
    r"(?P<num>\d+(?:\.\d+)?(?:e-?\d+)?)|"
    r"(?P<id>[A-Z]\d(?![\d.])|[A-Za-z]+)|"
    r"(?P<ch>.)"
)


def _script(body: str) -> str:
    """The LaTeX of a sub- or superscript body (``T`` is the transpose)."""
    if body == "T":
        return r"\top"
    if body.endswith("T") and len(body) > 1 and body[:-1].isalnum():
        return "{" + _math(body[:-1]) + r"\top}"
    if body in ("min", "max"):
        return "{\\" + body + "}"
    if body.isalnum():
        return body if len(body) == 1 else "{" + body + "}"
    return "{" + _math(body) + "}"


def _take_group(s: str, i: int, open_: str, close: str) -> tuple[str, int]:
    """The text inside the bracket opened at ``s[i]``, and the index after its close."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == open_:
            depth += 1
        elif s[j] == close:
            depth -= 1
            if depth == 0:
                return s[i + 1:j], j + 1
    return s[i + 1:], len(s)


def _identifier(word: str) -> str:
    if word in _SHORT:
        return _SHORT[word]
    if word in _GREEK:
        return "\\" + word
    if word in _OPERATORS:
        return _OPERATORS[word]
    if word in _MATH_WORDS:
        return _MATH_WORDS[word]
    if len(word) == 1:
        return r"\mathbf{" + word + "}" if word in _BOLD else word
    if len(word) <= 3 and set(word) <= _BOLD:          # WV: a product of matrices
        return " ".join(_identifier(ch) for ch in word)
    m = re.fullmatch(r"([A-Z])(\d)", word)     # C1, D1: an index written without _
    if m:
        base = r"\mathcal{C}" if m.group(1) == "C" else _identifier(m.group(1))
        return base + "_" + m.group(2)
    if word in ("or", "and", "for", "all"):
        return r"\text{ " + word + " }"
    return r"\mathrm{" + word + "}"


def _math(s: str) -> str:
    """The LaTeX of one formula written the ASCII way."""
    out: list[str] = []
    i = 0
    while i < len(s):
        m = _ATOM.match(s, i)
        assert m is not None
        tok = m.group(0)
        i = m.end()
        if tok.isspace():
            out.append(" ")
        elif tok == "||":
            out.append(r"\|")
        elif m.group("frac"):
            if tok.endswith("/dt"):
                out.append(r"\frac{d}{dt}")
            elif tok.endswith("dt^2"):
                out.append(r"\frac{d^2}{dt^2}")
            else:
                out.append(r"\frac{\partial " + tok[1] + r"}{\partial "
                           + _identifier(tok[-1]) + "}")
        elif tok in _SYMBOLS:
            out.append(" " + _SYMBOLS[tok] + " ")
        elif m.group("num"):
            num = tok
            e = re.fullmatch(r"(\d+(?:\.\d+)?)e(-?\d+)", num)
            if e:
                mant = "" if e.group(1) in ("1", "1.0") else e.group(1) + r"\cdot "
                num = mant + "10^{" + str(int(e.group(2))) + "}"
            if num == "1" and s[i:i + 2] in ("_K", "_N", "_n", "^T") or \
                    num == "1" and s[i:i + 1] == "^":
                num = r"\mathbf{1}"
            out.append(num)
        elif m.group("id"):
            word = tok
            if word == "sqrt" and s[i:i + 1] == "(":
                inner, i = _take_group(s, i, "(", ")")
                out.append(r"\sqrt{" + _math(inner) + "}")
                continue
            if word == "D" and s[i:i + 1] == "_":   # the directions D_W, D_H, D_b
                out.append(r"\boldsymbol{\Delta}")
                continue
            if word == "lambda" and s[i:i + 4] in ("_min", "_max"):
                out.append(r"\lambda_{" + "\\" + s[i + 1:i + 4] + "}")
                i += 4
                continue
            out.append(_identifier(word))
            if word in _FUNCTION_WORDS and word not in ("grad", "hess") \
                    and s[i:i + 1] == " ":
                out.append(r"\,")
        else:
            ch = tok
            if ch in "_^":
                sign = ""
                if s[i:i + 1] in "-+" and s[i + 1:i + 2] not in ("", " "):
                    sign, i = s[i], i + 1
                if sign and s[i:i + 1] not in "({":
                    b = re.match(r"[A-Za-z0-9]+", s[i:])
                    body = b.group(0) if b else ""
                    i += len(body)
                    out.append(ch + "{" + sign + _math(body) + "}")
                elif sign:
                    body, i = _take_group(s, i, s[i], ")" if s[i] == "(" else "}")
                    out.append(ch + "{" + sign + "(" + _math(body) + ")}")
                elif s[i:i + 1] == "{":
                    body, i = _take_group(s, i, "{", "}")
                    out.append(ch + "{" + _math(body) + "}")
                elif s[i:i + 1] == "(":
                    body, i = _take_group(s, i, "(", ")")
                    out.append(ch + "{" + _math(body) + "}")
                else:
                    b = re.match(r"[A-Za-z0-9]+", s[i:])
                    body = b.group(0) if b else ""
                    i += len(body)
                    out.append(ch + _script(body) if body else "")
            elif ch == "*":
                before = s[i - 2:i - 1]
                if s[i:i + 1] == "*":
                    out.append("^")
                    i += 1
                elif (before.isdigit() or before == ")") and re.match(r"[A-Za-z0-9(]",
                                                                       s[i:i + 1]):
                    out.append(r"\,")        # 2*sigma: a product
                elif s[i:i + 1] == "^":     # W*^T: one superscript
                    b = re.match(r"\^([A-Za-z0-9]+)", s[i:])
                    assert b is not None
                    out.append(r"^{\star" + _script(b.group(1)) + "}")
                    i += b.end()
                else:
                    out.append(r"^\star")
            elif ch == "~":
                prev = out.pop() if out else ""
                out.append(r"\widetilde{" + prev + "}")
            elif ch in "{}":
                out.append("\\" + ch)
            elif ch in "#$%&":
                out.append("\\" + ch)
            elif ch == "\\":
                out.append(r"\backslash ")
            elif ch == "|":
                out.append("|")
            elif ch == "\u27e8":
                out.append(r"\langle ")
            elif ch == "\u27e9":
                out.append(r"\rangle ")
            else:
                out.append(ch)
    return re.sub(r" {2,}", " ", "".join(out)).strip()


# ------------------------------------------------------------------ the runs
_STRONG_CHARS = re.compile(r"[_^|=<>*/~\u27e8\u27e9]|\bsqrt\(|[A-Za-z][(\[]|\)\^")
_WEAK = re.compile(r"(?:[-+]?[A-Za-z]|[-+]?\d+(?:\.\d+)?|[-+]|\d+\.\.\d+|[A-Z]\d|"
                   r"\d+(?:\.\d+)?e-?\d+)")
_EQ_REF = re.compile(r"\(\d+\.\d+\)(?:-\(\d+\.\d+\))?|\[\d+(?:, [^\]]*)?\]")


def _bars(word: str) -> int:
    return len(re.findall(r"\|\||\|", word))


_NOT_TEXT = _GREEK | _FUNCTION_WORDS | {"and", "iff", "perp", "min", "max", "eig"}


def _has_text(core: str) -> bool:
    """Whether ``core`` holds an English word (three letters or more, not a function
    name or a Greek letter)."""
    return any(w not in _NOT_TEXT for w in re.findall(r"(?<![A-Za-z\\])[a-z]{3,}", core))


def _words(text: str) -> list[str]:
    """Words of ``text``, with brackets and norm bars kept whole across spaces (bars
    around words are not a norm: they stay apart)."""
    raw = [w for w in text.split(" ") if w]
    out: list[str] = []
    i = 0
    while i < len(raw):
        w = raw[i]
        i += 1
        j = i
        while j < len(raw) and (w.count("(") > w.count(")") or w.count("{") > w.count("}")
                                or w.count("\u27e8") > w.count("\u27e9")
                                or w.count("[") > w.count("]") or _bars(w) % 2):
            w += " " + raw[j]
            j += 1
        if _bars(raw[i - 1]) % 2 and (_has_text(w) or _bars(w) % 2):
            w = raw[i - 1]    # |the worst of ...|: not a formula
        else:
            i = j
        out.append(w)
    return out


def _split_punct(word: str) -> tuple[str, str, str]:
    """``(lead, core, trail)``: unbalanced brackets and sentence punctuation around a
    word kept apart from it."""
    lead = ""
    while word and word[0] in "([" and word.count(word[0]) > word.count(
            ")" if word[0] == "(" else "]"):
        lead += word[0]
        word = word[1:]
    trail = ""
    while word and (word[-1] in ",;:." and not word.endswith("..")
                    or word[-1] in ")]" and word.count(word[-1]) > word.count(
                        "(" if word[-1] == ")" else "[")
                    or word[-1] == "'" or word.endswith("'s")):
        cut = 2 if word.endswith("'s") else 1
        trail = word[-cut:] + trail
        word = word[:-cut]
    return lead, word, trail


def _kind(core: str, nxt: str) -> str:
    """``S`` (a formula), ``W`` (a formula only next to one) or ``T`` (text)."""
    if not core or _EQ_REF.fullmatch(core):
        return "T"
    if core.startswith("[") or core.startswith("(") and core.endswith(")") \
            and _has_text(core):
        return "T"
    if re.search(r"[A-Za-z]{2,}-[A-Za-z]{2,}", core):
        return "T"   # closed-form, high-precision, L-BFGS
    if re.fullmatch(r"\{[^{}]*\}", core):
        return "S"   # a set {2, 3}
    bare = core.lstrip("-+")
    if bare in _SHORT or bare in _GREEK or bare in ("C1", "C2", "grad", "hess") \
            or re.fullmatch(r"d\^2/dt\^2|d/dt|d[fg]/d[WHbR]", bare):
        return "S"
    if core.startswith("(") and core.endswith(")") and (
            _STRONG_CHARS.search(core[1:-1]) or any(
                w in _GREEK or w in _SHORT for w in re.findall(r"[A-Za-z]+", core))):
        return "S"
    if core in _FUNCTION_WORDS and nxt and (nxt[:1].isupper() or nxt[:1] in "(|"
                                           or nxt in ("g", "f", "g(R)")):
        return "S"
    if _STRONG_CHARS.search(core) and not re.fullmatch(r"\d+/\d+|[a-z]+/[a-z]+", core):
        return "S"
    if re.fullmatch(r"\d+\.\.\d+|[A-Z]", core):
        return "S"
    if _WEAK.fullmatch(core) or core in ("in", "perp", "cup", "or", "iff"):
        return "W"
    return "T"


def text_to_tex(text: object) -> str:
    """``text`` set for LaTeX: its ASCII formulas as ``$...$``, the rest escaped
    (`` | `` between the parts of a detail is kept as a separator)."""
    if text is None:
        return ""
    parts = str(text).replace("\n", " ").split(" | ")
    if len(parts) > 1:
        return r" \textbar{} ".join(text_to_tex(p) for p in parts)
    return _convert(parts[0])


def _convert(text: str) -> str:
    text = re.sub(r"\b(C\d) u (C\d)\b", r"\1 cup \2", text)   # C = C1 u C2
    text = re.sub(r"<([A-Za-z][^<>=]*, [^<>=]*[A-Za-z)])>", "\u27e8\\1\u27e9", text)  # <A, B>
    words = _words(text)
    parts = [_split_punct(w) for w in words]
    kinds = [_kind(core, parts[k + 1][1] if k + 1 < len(parts) else "")
             for k, (_, core, _) in enumerate(parts)]
    # a run starts on a strong word (or on weak words that lead to one) and takes
    # strong words, and weak words after an operator or before a strong word
    out: list[str] = []
    k = 0
    while k < len(parts):
        if kinds[k] == "T" or kinds[k] == "W" and (
                not _joins_forward(kinds, parts, k)
                or parts[k][1] in ("in", "or", "iff", "perp", "cup", "-", "+")):
            out.append(_text_word(parts[k]))
            k += 1
            continue
        j = k
        while j + 1 < len(parts) and kinds[j + 1] != "T" and not parts[j][2] \
                and not parts[j + 1][0] and (
                    kinds[j + 1] == "S" or _joins_forward(kinds, parts, j + 1)
                    or re.search(r"[=<>+\-*/]$", parts[j][1])
                    or parts[j + 1][1] in ("-", "+") and j + 2 < len(parts)
                    and kinds[j + 2] != "T"
                    or parts[j][1].lstrip("-+") in ("grad", "hess")):
            j += 1
        run = parts[k:j + 1]
        if not any(re.search(r"[A-Za-z0-9]|[<>!=]=", p[1]) for p in run):
            out.extend(_text_word(p) for p in run)     # "=" or "/" alone: text
        else:
            formula = " ".join(p[1] for p in run)
            out.append(latex_escape(run[0][0]) + "$" + _math(formula) + "$"
                       + latex_escape(run[-1][2]))
        k = j + 1
    return " ".join(out)


def _text_word(part: tuple[str, str, str]) -> str:
    lead, core, trail = part
    group = core.startswith("(") and core.endswith(")") and _has_text(core)
    body = "(" + _convert(core[1:-1]) + ")" if group else latex_escape(core)
    return latex_escape(lead) + body + latex_escape(trail)


def _joins_forward(kinds: list[str], parts: list[tuple[str, str, str]], k: int) -> bool:
    """A chain of weak words that ends on a strong word (``W a = 0``)."""
    while k < len(kinds) and kinds[k] == "W" and not parts[k][2]:
        k += 1
        if k < len(kinds) and parts[k][0]:
            return False
    return k < len(kinds) and kinds[k] == "S" and not parts[k][0]
