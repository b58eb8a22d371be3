"""Parse a user's expression safely (a whitelist of :mod:`ast` nodes) and check its shapes.

See :mod:`ufm_sym.check` for the language.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ufm_sym.model import UFMInputError

MATRIX_SHAPES: dict[str, tuple[str, str]] = {
    "W": ("K", "d"), "H": ("d", "N"), "b": ("K", "1"), "Y": ("K", "N"), "R": ("K", "N"),
    "G": ("K", "N"), "ones_K": ("K", "1"), "ones_N": ("N", "1"),
}
"""Static shapes in the size names ``K``, ``d``, ``N`` and ``1`` (``d`` is a size of its
own even where the settings have ``d = K``)."""
SCALAR_NAMES: tuple[str, ...] = ("lambda_W", "lambda_H", "lambda_b", "N", "n", "K", "d")
FUNCTIONS: tuple[str, ...] = ("trace", "norm", "sqrt", "rank", "sigma_max", "sigma_min",
                               "eigmin", "eigmax")
#: ``norm(X)`` is Frobenius, ``norm(X, 2)`` spectral; every other function takes one argument
RELATIONS: dict[type, str] = {ast.Eq: "==", ast.LtE: "<=", ast.Lt: "<", ast.GtE: ">=",
                              ast.Gt: ">"}
AT_CHOICES: tuple[str, ...] = ("critical", "global", "saddle", "random")
MAX_LENGTH = 2000
MAX_DEPTH = 100
RANDOM_POINTS = 3

Shape = tuple[str, str] | None
"""``None`` for a scalar, else ``(rows, cols)`` in the size names ``K``, ``N``, ``1``."""


def _err(msg: str) -> UFMInputError:
    return UFMInputError(f"EXPR: {msg}")


# ------------------------------------------------------------------ parsing
_NODE_NAMES: dict[type, str] = {
    ast.ListComp: "list comprehension", ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression",
    ast.Lambda: "lambda", ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict",
    ast.Set: "set", ast.Subscript: "subscript", ast.Slice: "slice",
    ast.BoolOp: "boolean operator", ast.IfExp: "conditional expression",
    ast.NamedExpr: "assignment expression", ast.Starred: "starred expression",
    ast.JoinedStr: "f-string", ast.FormattedValue: "f-string", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.Compare: "comparison",
}
_BINOPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
                            ast.Pow: "**", ast.MatMult: "@"}
_OP_TEXT: dict[type, str] = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<",
                             ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
                             ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~"}


@dataclass(frozen=True)
class ParsedExpr:
    """A validated expression: ``lhs`` (and ``rhs`` for ``lhs == rhs``) as :mod:`ast`
    nodes whose every node is on the whitelist, with their static shapes."""

    text: str
    lhs: ast.expr = field(repr=False)
    rhs: ast.expr | None = field(repr=False)
    lhs_shape: Shape
    rhs_shape: Shape
    relation: str | None = None   # "==", "<=", "<", ">=", ">"; None: compared with 0

    @property
    def is_equation(self) -> bool:
        return self.rhs is not None

    @property
    def is_inequality(self) -> bool:
        return self.relation in ("<=", "<", ">=", ">")

    def segment(self, node: ast.AST) -> str:
        return _segment(self.text, node)


def _segment(text: str, node: ast.AST) -> str:
    seg = ast.get_source_segment(text, node)
    if seg is None:  # pragma: no cover - every node of ours has positions
        seg = ast.dump(node)
    seg = " ".join(seg.split())
    return seg if len(seg) <= 60 else seg[:57] + "..."


def parse_expression(text: str) -> ParsedExpr:
    """Parse and validate ``text`` (module docstring); shapes are checked too.

    >>> parse_expression("__import__('os')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: EXPR: call to '__import__' is not allowed (functions: ...)
    >>> parse_expression("W.T @ G @ W")
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: EXPR: shape mismatch in 'W.T @ G @ W': d x N @ K x d
    """
    if not isinstance(text, str):
        raise _err(f"{text!r} is not a string")
    if not text.strip():
        raise _err("empty expression")
    if len(text) > MAX_LENGTH:
        raise _err(f"longer than {MAX_LENGTH} characters")
    if "\n" in text or "\r" in text:
        raise _err("must be one line")
    src = text.strip()
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        why = "" if exc.msg == "invalid syntax" else f": {exc.msg}"
        raise _err(f"invalid syntax{col} in '{src}'{why}") from None
    except (RecursionError, MemoryError, ValueError):
        raise _err("nested too deeply or too large") from None
    body = tree.body
    lhs: ast.expr
    rhs: ast.expr | None = None
    relation = None
    if isinstance(body, ast.Compare):
        if len(body.ops) != 1 or type(body.ops[0]) not in RELATIONS:
            raise _err(f"one relation (==, <=, <, >=, >) is allowed: '{_segment(src, body)}'")
        lhs, rhs = body.left, body.comparators[0]
        relation = RELATIONS[type(body.ops[0])]
    else:
        lhs = body
    for side in (lhs, rhs):
        if side is not None:
            _validate(src, side, 0)
    lshape = _shape(src, lhs)
    rshape = _shape(src, rhs) if rhs is not None else None
    if relation not in (None, "==") and not (_scalarish(lshape) and _scalarish(rshape)):
        raise _err(f"'{relation}' compares scalars, got {_fmt(lshape)} {relation} "
                   f"{_fmt(rshape)} (use norm, trace, sigma_max, eigmin, ... of a matrix)")
    if rhs is not None and lshape != rshape:
        one_by_one = {None, ("1", "1")}
        if not ({lshape, rshape} <= one_by_one or (_is_zero_literal(rhs) and rshape is None)
                or (_is_zero_literal(lhs) and lshape is None)):
            raise _err(f"the two sides have different shapes: {_fmt(lshape)} and "
                       f"{_fmt(rshape)} (a matrix may only be compared with the literal 0)")
    return ParsedExpr(text=src, lhs=lhs, rhs=rhs, lhs_shape=lshape, rhs_shape=rshape,
                      relation=relation)


def _validate(text: str, node: ast.AST, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _err("nested too deeply")
    seg = _segment(text, node)
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            op = _OP_TEXT.get(type(node.op), type(node.op).__name__)
            raise _err(f"operator '{op}' in '{seg}' is not allowed (allowed: + - * / ** @)")
        _validate(text, node.left, depth + 1)
        _validate(text, node.right, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            op = _OP_TEXT.get(type(node.op), type(node.op).__name__)
            raise _err(f"operator '{op}' in '{seg}' is not allowed")
        _validate(text, node.operand, depth + 1)
    elif isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise _err(f"dunder name '{node.id}' is not allowed")
        if node.id in FUNCTIONS:
            raise _err(f"'{node.id}' is a function: write {node.id}(...)")
        if node.id not in MATRIX_SHAPES and node.id not in SCALAR_NAMES:
            raise _err(f"unknown name '{node.id}' (known: "
                       f"{', '.join(list(MATRIX_SHAPES) + list(SCALAR_NAMES))})")
    elif isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            kind = "string" if isinstance(v, (str, bytes)) else type(v).__name__
            raise _err(f"{kind} constant {seg} is not allowed (numbers only)")
    elif isinstance(node, ast.Attribute):
        if node.attr != "T":
            raise _err(f"attribute '.{node.attr}' in '{seg}' is not allowed (only .T)")
        _validate(text, node.value, depth + 1)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _err(f"call '{seg}' is not allowed (functions: {', '.join(FUNCTIONS)})")
        if node.func.id not in FUNCTIONS:
            raise _err(f"call to '{node.func.id}' is not allowed (functions: "
                       f"{', '.join(FUNCTIONS)})")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _err(f"{node.func.id}: no keywords or * arguments: '{seg}'")
        if node.func.id == "norm" and len(node.args) not in (1, 2):
            raise _err(f"norm takes one or two arguments (norm(X), norm(X, 2)): '{seg}'")
        if node.func.id == "norm" and len(node.args) == 2:
            order = node.args[1]
            if not (isinstance(order, ast.Constant) and order.value == 2
                    and not isinstance(order.value, bool)):
                raise _err(f"norm(X, p) takes p = 2 (spectral); norm(X) is Frobenius: '{seg}'")
        elif len(node.args) != 1:
            raise _err(f"{node.func.id} takes exactly one argument: '{seg}'")
        _validate(text, node.args[0], depth + 1)
    else:
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        raise _err(f"{what} '{seg}' is not allowed")


def _fmt(shape: Shape) -> str:
    return "scalar" if shape is None else f"{shape[0]} x {shape[1]}"


def _is_zero_literal(node: ast.AST | None) -> bool:
    if isinstance(node, ast.UnaryOp):
        return _is_zero_literal(node.operand)
    return isinstance(node, ast.Constant) and node.value == 0


def _scalarish(shape: Shape) -> bool:
    return shape is None or shape == ("1", "1")


def _shape(text: str, node: ast.AST) -> Shape:
    seg = _segment(text, node)
    if isinstance(node, ast.Constant):
        return None
    if isinstance(node, ast.Name):
        return MATRIX_SHAPES.get(node.id)
    if isinstance(node, ast.UnaryOp):
        return _shape(text, node.operand)
    if isinstance(node, ast.Attribute):
        s = _shape(text, node.value)
        return None if s is None else (s[1], s[0])
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        s = _shape(text, node.args[0])
        if name == "trace":
            if s is None or s[0] != s[1]:
                raise _err(f"trace needs a square matrix, got {_fmt(s)} in '{seg}'")
        elif name == "sqrt":
            if not _scalarish(s):
                raise _err(f"sqrt needs a scalar, got {_fmt(s)} in '{seg}'")
        elif name in ("rank", "sigma_max", "sigma_min"):
            if s is None:
                raise _err(f"{name} needs a matrix, got a scalar in '{seg}'")
        elif name in ("eigmin", "eigmax"):
            if s is None or s[0] != s[1]:
                raise _err(f"{name} needs a square (symmetric) matrix, got {_fmt(s)} in '{seg}'")
        return None
    assert isinstance(node, ast.BinOp)
    a, b = _shape(text, node.left), _shape(text, node.right)
    op = node.op
    if isinstance(op, (ast.Add, ast.Sub)):
        if a == b or (_scalarish(a) and _scalarish(b)):
            return a if a == b else None
        raise _err(f"cannot add {_fmt(a)} and {_fmt(b)} in '{seg}'")
    if isinstance(op, ast.Mult):
        if _scalarish(a) and _scalarish(b):
            return a if a is not None else b
        if _scalarish(a):
            return b
        if _scalarish(b):
            return a
        raise _err(f"'*' multiplies by scalars only, got {_fmt(a)} * {_fmt(b)} in '{seg}' "
                   "(use @ for matrix products)")
    if isinstance(op, ast.MatMult):
        if a is None or b is None:
            raise _err(f"'@' needs two matrices, got {_fmt(a)} @ {_fmt(b)} in '{seg}'")
        if a[1] != b[0]:
            raise _err(f"shape mismatch in '{seg}': {_fmt(a)} @ {_fmt(b)}")
        return (a[0], b[1])
    if isinstance(op, ast.Div):
        if not _scalarish(b):
            raise _err(f"'/' divides by scalars only, got {_fmt(b)} in '{seg}'")
        return a
    if isinstance(op, ast.Pow):
        if not (_scalarish(a) and _scalarish(b)):
            raise _err(f"'**' needs scalars, got {_fmt(a)} ** {_fmt(b)} in '{seg}' "
                       "(use @ for matrix products)")
        exponent = _literal_value(node.right)
        if exponent is None:
            raise _err(f"the exponent in '{seg}' must be a number (such as 2, -1 or 1/2)")
        if abs(exponent) > MAX_EXPONENT:
            raise _err(f"the power in '{seg}' is too large (exponents up to {MAX_EXPONENT})")
        return None
    raise _err(f"'{seg}' is not allowed")  # pragma: no cover - validated before


#: the largest |exponent| of ``**``: bigger ones only exhaust time or memory
MAX_EXPONENT = 64


def _literal_value(node: ast.AST) -> float | None:
    """The value of a number written with literals, signs and ``/`` (e.g. ``-1/2``),
    or None when the node is not such a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not \
            isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _literal_value(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        num, den = _literal_value(node.left), _literal_value(node.right)
        if num is None or den is None or den == 0:
            return None
        return num / den
    return None
