#!/usr/bin/env python
"""Mutation testing of the proofs: is a wrong formula, constant or sign caught?

A small AST mutation tool of our own (no mutmut).  It reads ``proofs/*.py`` (and, with
``--engine``, the symbolic engine files), generates *mutants* -- one small change each
-- in the code that builds SymPy statements and expressions or evaluates residuals,
applies each mutant to a temporary COPY of the working tree, and runs the claim
registry of the copy (``load_registry()`` with ``VerifyContext(numeric_samples=10)``)
until a check fails.  A mutant is

* **killed** when a claim's check fails or raises (or the proofs no longer import or
  register: "broken");
* **killed by the snapshots** when every claim still passes but the derivation
  snapshots (``python -m ufm_sym.snapshots --check``, ``tests/test_snapshots.py``)
  change: a wrong statement that no evidence looks at is caught by the snapshot test;
* a **timeout** when the run exceeds ``--timeout`` seconds (counted as killed,
  reported separately);
* a **survivor** otherwise.  ``docs/mutation-report.md`` lists every survivor with its
  location and, where known, why it is harmless or which check would catch it.

Mutation operators (``--list`` shows each mutant)::

    sign-unary   -x -> x                        sign-binop  a + b <-> a - b
    negate       rhs of Eq/Le/... and of identity/reduction evidence, formula returns -> -(rhs)
    const        2 -> 1, 1 -> 2, 0 -> 1, n -> n + 1; floats x -> 2 x (0.25 -> 0.5)
    rational     Rational(1, 4) -> Rational(1, 2), Rational(1, 2) -> 1, S.Half -> S.One
    div-mul      a / N -> a * N
    swap         A * B -> B * A for matrix-like A, B (names such as W, H, G, D_W, W.T)
    drop         a + b -> a, a + b -> b, a - b -> -b
    drop-part    one named part of a residual ({"W a": ..., "H^T a": ...} given to
                 worst_part, or returned by a *_parts function) is left out

Left alone: docstrings, strings and f-strings (detail text), imports, decorators,
default arguments, subscripts, ``raise``/``assert``, the sizes a check loops over
(``for K in (2, 3, 5)``), the scale of random starts, the arguments of calls that only
format or size things (``round``, ``range``, ``Problem(...)``, ``random_points``,
``format_residual``, ...), tolerances and margins (assignments and functions whose name
contains tol, margin, dps, digits, seed, samples; the tolerance argument of
``Evidence.from_residual`` and ``hp_evidence``), the scale floors ``max(1, ...)`` and the
division of a residual by its scale.

Each worker owns a copy of the tree (``ufm_sym/``, ``proofs/``, ``tests/``,
``pyproject.toml``); the entry points of the installed package resolve ``ufm_sym_proofs.*`` by
module name, so with the copy first on ``PYTHONPATH`` the copy's (mutated) modules win
(the runner asserts it).  The claims whose checks use the mutated function run first, so
most mutants die within seconds; a survivor runs every check that can see the change
(the checks defined in the mutated module and in every proofs module that imports it).

    python tools/mutation.py --list --limit 5
    python tools/mutation.py --files proofs/section3.py proofs/geometry.py --jobs 2
    python tools/mutation.py --sample 60 --seed 0 --jobs 2 --timeout 120 --json run.json
    # survivors again, with the wrong-variant tests of Section 3 as a fallback:
    python tools/mutation.py --ids ID ... --pytest "tests/test_section3.py -k 'wrong or fails'"
    # one report from several runs (a later run's verdict on a mutant wins):
    python tools/mutation.py --from-json run.json rerun.json

With ``--json run.json`` every verdict is also appended to ``run.jsonl`` as it comes.

It is not part of the test suite (``tests/test_snapshots.py`` runs one known mutant).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures as cf
import copy
import json
import os
import queue
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = ("proofs/*.py",)
ENGINE_FILES = ("ufm_sym/symbolic/index_free.py", "ufm_sym/symbolic/normal_form.py",
                "ufm_sym/symbolic/hypotheses.py")
COPY_ITEMS = ("ufm_sym", "proofs", "tests", "pyproject.toml")
REPORT = ROOT / "docs" / "mutation-report.md"
#: the wrong-variant tests run on each survivor (every part of every residual, each kind of
#: evidence fed a wrong claim)
DEFAULT_PYTEST = ("tests/test_wrong_parts.py tests/test_section3.py tests/test_section4.py "
                  "tests/test_proof_chains.py -k 'wrong or fails or coverage'")

# ------------------------------------------------------------------ what is skipped
SKIP_CALLS = {
    "range", "round", "print", "format_residual", "_fmt_mp", "nstr", "default_rng",
    "random_points", "Problem", "enumerate", "len", "Symbol", "symbols", "MatrixSymbol",
    "sstr", "str", "repr", "isinstance", "zip", "sorted", "set", "join", "append",
    "SeedSequence", "workdps", "memo", "describe", "ValueError", "RuntimeError",
    "TypeError", "AssertionError", "KeyError", "get", "setdefault", "startswith",
    "ZeroMatrix", "OneMatrix", "Identity", "zeros", "ones", "eye",
}
SKIP_KWARGS = {"seed", "dps", "scale", "count", "K", "n", "d", "detail", "samples",
               "min_fixed", "max_fixed", "maxsize", "full_matrices", "strict", "evaluate",
               "gtol", "kinds", "index", "digits", "tolerance", "tol", "margin", "unit",
               "desc", "leave", "file", "positive", "real", "integer", "nonnegative"}
#: positional arguments left alone: call name -> indices (tolerance, samples, detail)
SKIP_ARGS = {"from_residual": {2, 3, 4}, "hp_evidence": {3, 4}, "Evidence": {0, 2, 3, 4, 5},
             "exact": {0, 2, 3}, "reduction_evidence": {3}, "identity_evidence": {2},
             "_hp": {2}, "_hp_rot": {2}, "curvature_evidence": {2}}
SKIP_NAME_RE = re.compile(r"tol|margin|dps|digits|seed|samples|count|settings|sizes|^loss$"
                          r"|^label|^title|^detail|^what$|^where$|^msg|^text$|_fmt|format",
                          re.IGNORECASE)
#: calls whose dict argument is a residual of named parts (``proofs._common.worst_part``)
PARTS_CALLS = {"worst_part"}
RANDOM_CALLS = {"standard_normal", "normal", "uniform", "random", "integers"}
SCALARS = {"mpf", "Integer", "Float", "float", "int"}
RELATIONS = {"Eq", "Le", "Lt", "Ge", "Gt", "GreaterThan", "LessThan", "StrictGreaterThan",
             "StrictLessThan", "Ne"}
EVIDENCE_RHS = {"identity_evidence": 1, "reduction_evidence": 2}
ZERO_CALLS = {"ZeroMatrix", "zeros", "Zero"}
MATRIX_NAMES = {"W", "H", "G", "a", "u", "v", "b", "R", "Y", "D1", "D2", "DW", "DH", "Db",
                "Wm", "Hm", "bm", "Gm", "Dm", "M", "A", "B", "U", "V", "S", "Q", "P", "X",
                "ones_K", "ones_N", "ones", "u_vec", "v_vec", "a_vec", "Pi", "Y_MSE",
                "G_MSE", "G_ROT", "V_r", "Ur", "Vr"}
MATRIX_CALLS = {"ones", "zeros", "eye", "matrix", "Identity", "ZeroMatrix", "OneMatrix",
                "MatrixSymbol", "Transpose", "transpose"}


def _name(node: ast.AST) -> str:
    """The last identifier of a Name / Attribute / Call target ('' otherwise)."""
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _matrixish(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in MATRIX_NAMES
    if isinstance(node, ast.Attribute):
        return (node.attr in MATRIX_NAMES or node.attr.startswith(("D_", "grad_", "ones"))
                or (node.attr == "T" and _matrixish(node.value)))
    if isinstance(node, ast.Subscript):
        sl = node.slice
        return isinstance(sl, ast.Constant) and isinstance(sl.value, str) and (
            sl.value.startswith("D_") or sl.value in MATRIX_NAMES)
    if isinstance(node, ast.Call):
        return _name(node) in MATRIX_CALLS
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.MatMult)):
        return _matrixish(node.left) or _matrixish(node.right)
    if isinstance(node, ast.UnaryOp):
        return _matrixish(node.operand)
    return False


def _stringy(node: ast.AST) -> bool:
    """Text: a string, an f-string, or a sum or conditional with one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _stringy(node.left) or _stringy(node.right)
    if isinstance(node, ast.IfExp):
        return _stringy(node.body) or _stringy(node.orelse)
    return False


def _scale(node: ast.AST) -> bool:
    """A normalising scale: ``max(1, ...)`` or a name containing 'scale'."""
    if isinstance(node, ast.Call) and _name(node) in ("max", "min"):
        return True
    return "scale" in _name(node).lower()


def _is_zero(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == 0 and not isinstance(node.value, bool)
    if isinstance(node, ast.Call) and _name(node) in ZERO_CALLS:
        return True
    return isinstance(node, ast.Attribute) and node.attr in ("Zero", "zero")


def _number(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool))


# ------------------------------------------------------------------ mutants
@dataclass
class Mutant:
    """One small change to one file."""

    file: str                # path relative to the repository root
    line: int
    col: int
    end_line: int
    end_col: int
    op: str
    function: str            # enclosing def (or module-level assignment target)
    original: str
    mutated: str
    index: int = 0           # position among the mutants of this file and place
    source: str = field(default="", repr=False)   # the whole mutated file

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}:{self.col}:{self.op}:{self.index}"

    @property
    def description(self) -> str:
        return f"{_short(self.original)}  ->  {_short(self.mutated)}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "file": self.file, "line": self.line, "op": self.op,
                "function": self.function, "original": self.original,
                "mutated": self.mutated}


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


class _Generator:
    """Walks one module's AST and yields (node, replacement node, operator)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tree = ast.parse(source)
        self.found: list[tuple[ast.AST, ast.AST, str, str]] = []

    # -- traversal --------------------------------------------------------------
    def run(self) -> list[tuple[ast.AST, ast.AST, str, str]]:
        for stmt in self.tree.body:
            self._stmt(stmt, "<module>")
        return self.found

    def _stmt(self, node: ast.stmt, func: str) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Raise, ast.Assert, ast.Pass,
                             ast.Global, ast.Nonlocal, ast.Break, ast.Continue)):
            return
        if isinstance(node, ast.If) and _is_main_guard(node):
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if SKIP_NAME_RE.search(node.name) or node.name in SKIP_CALLS:
                return
            name = node.name if func == "<module>" else f"{func}.{node.name}"
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value,
                                                                     ast.Constant)):
                body = body[1:]  # docstring
            formula = (len(body) == 1 and isinstance(body[0], ast.Return)
                       and isinstance(body[0].value, (ast.BinOp, ast.UnaryOp)))
            for s in body:
                if formula and isinstance(s, ast.Return) and s.value is not None:
                    self._negate(s.value, name)
                self._stmt(s, name)
            return
        if isinstance(node, ast.ClassDef):
            for s in node.body:
                self._stmt(s, f"{node.name}")
            return
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            names += [n.attr for t in targets for n in ast.walk(t)
                      if isinstance(n, ast.Attribute)]
            if any(SKIP_NAME_RE.search(n) for n in names):
                return
            where = func if func != "<module>" else (names[0] if names else func)
            if node.value is not None:
                self._expr(node.value, where)
            return
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant):
                return  # docstring or bare string
            self._expr(node.value, func)
            return
        if isinstance(node, ast.Return):
            if isinstance(node.value, ast.Dict) and func.split(".")[-1].endswith("_parts"):
                self._drop_parts(node.value, func)
            if node.value is not None:
                self._expr(node.value, func)
            return
        # compound statements: their expressions and bodies
        for fname, value in ast.iter_fields(node):
            if (isinstance(node, (ast.For, ast.AsyncFor)) and fname == "iter"
                    and isinstance(value, (ast.Tuple, ast.List))):
                continue  # for K in (2, 3, 5): the sizes a check runs at
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.stmt):
                        self._stmt(item, func)
                    elif isinstance(item, ast.expr):
                        self._expr(item, func)
                    elif isinstance(item, (ast.withitem, ast.excepthandler)):
                        for sub in ast.iter_child_nodes(item):
                            if isinstance(sub, ast.stmt):
                                self._stmt(sub, func)
                            elif isinstance(sub, ast.expr) and fname != "handlers":
                                self._expr(sub, func)
            elif isinstance(value, ast.expr) and fname not in ("target",):
                self._expr(value, func)

    def _expr(self, node: ast.expr, func: str, no_const: bool = False) -> None:
        if isinstance(node, (ast.JoinedStr, ast.FormattedValue)):
            return
        if isinstance(node, ast.Constant):
            if _number(node) and not no_const:
                self._const(node, func)
            return
        if isinstance(node, ast.Lambda):
            self._expr(node.body, func)
            return
        if isinstance(node, ast.Subscript):
            self._expr(node.value, func)
            return
        if isinstance(node, ast.Attribute):
            if node.attr == "Half":
                self._add(node, ast.Attribute(value=node.value, attr="One", ctx=ast.Load()),
                          "rational", func)
            self._expr(node.value, func)
            return
        if isinstance(node, ast.Call):
            self._call(node, func)
            return
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                self._add(node, node.operand, "sign-unary", func)
            self._expr(node.operand, func, no_const=no_const)
            return
        if isinstance(node, ast.BinOp):
            if _stringy(node):
                return  # detail text built with + and f-strings
            self._binop(node, func)
            draw = any(isinstance(x, ast.Call) and _name(x) in RANDOM_CALLS
                       for x in (node.left, node.right))  # 0.3 * rng.standard_normal(...)
            self._expr(node.left, func, no_const=draw)
            self._expr(node.right, func, no_const=draw)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._expr(child, func)
            elif isinstance(child, ast.comprehension):
                self._expr(child.iter, func)
                for cond in child.ifs:
                    self._expr(cond, func)

    def _call(self, node: ast.Call, func: str) -> None:
        name = _name(node)
        if name in SKIP_CALLS:
            return
        self._expr(node.func, func)
        if name == "Rational" and len(node.args) == 2 and all(_number(a) for a in node.args):
            self._rational(node, func)
            return
        if name in RELATIONS and len(node.args) >= 2 and not _is_zero(node.args[1]):
            self._negate(node.args[1], func)
        if name in EVIDENCE_RHS and len(node.args) > EVIDENCE_RHS[name]:
            rhs = node.args[EVIDENCE_RHS[name]]
            if not _is_zero(rhs):
                self._negate(rhs, func)
        if name in PARTS_CALLS:
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    self._drop_parts(arg, func)
        skip = SKIP_ARGS.get(name, set())
        floor = name in ("max", "min")
        for i, arg in enumerate(node.args):
            if i in skip or (floor and isinstance(arg, ast.Call) and _name(arg) in SCALARS):
                continue  # max(mpf(1), ...): a scale floor
            self._expr(arg, func, no_const=floor)
        for kw in node.keywords:
            if kw.arg not in SKIP_KWARGS and not (kw.arg and SKIP_NAME_RE.search(kw.arg)):
                self._expr(kw.value, func)

    # -- operators --------------------------------------------------------------
    def _add(self, node: ast.AST, new: ast.AST, op: str, func: str) -> None:
        self.found.append((node, new, op, func))

    def _negate(self, node: ast.expr, func: str) -> None:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return  # sign-unary covers it
        self._add(node, ast.UnaryOp(op=ast.USub(), operand=copy.deepcopy(node)), "negate",
                  func)

    def _drop_parts(self, node: ast.Dict, func: str) -> None:
        """A residual of named parts (``worst_part({...})``, ``*_parts``) loses one part."""
        if len(node.keys) < 2:
            return
        for i in range(len(node.keys)):
            keys = [k for j, k in enumerate(node.keys) if j != i]
            values = [v for j, v in enumerate(node.values) if j != i]
            self._add(node, ast.Dict(keys=keys, values=values), "drop-part", func)

    def _const(self, node: ast.Constant, func: str) -> None:
        v = node.value
        if isinstance(v, int):
            new: Any = {0: 1, 1: 2, 2: 1}.get(v, v + 1)
        else:
            new = 1.0 if v == 0 else 2 * v
        self._add(node, ast.Constant(new), "const", func)

    def _rational(self, node: ast.Call, func: str) -> None:
        p, q = (a.value for a in node.args)  # type: ignore[attr-defined]
        if (p, q) == (1, 2):
            new: ast.expr = ast.Constant(1)
        elif q % 2 == 0:
            new = copy.deepcopy(node)
            new.args[1] = ast.Constant(q // 2)  # type: ignore[index]
        else:
            new = copy.deepcopy(node)
            new.args[1] = ast.Constant(2 * q)  # type: ignore[index]
        self._add(node, new, "rational", func)

    def _binop(self, node: ast.BinOp, func: str) -> None:
        op = node.op
        if isinstance(op, (ast.Add, ast.Sub)):
            flipped = ast.Sub() if isinstance(op, ast.Add) else ast.Add()
            self._add(node, ast.BinOp(node.left, flipped, node.right), "sign-binop", func)
            self._add(node, node.left, "drop", func)
            right = node.right if isinstance(op, ast.Add) else ast.UnaryOp(ast.USub(),
                                                                          node.right)
            self._add(node, right, "drop", func)
        elif isinstance(op, ast.Div) and not _scale(node.right):
            self._add(node, ast.BinOp(node.left, ast.Mult(), node.right), "div-mul", func)
        elif (isinstance(op, (ast.Mult, ast.MatMult)) and _matrixish(node.left)
              and _matrixish(node.right)):
            self._add(node, ast.BinOp(node.right, op, node.left), "swap", func)


def _is_main_guard(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Compare) and isinstance(t.left, ast.Name)
            and t.left.id == "__name__")


def _offsets(source: str) -> list[int]:
    """Byte offset of the start of each line (1-based line numbers index it)."""
    out = [0, 0]
    for line in source.splitlines(keepends=True):
        out.append(out[-1] + len(line.encode("utf-8")))
    return out


def generate_mutants(path: str | Path, root: Path = ROOT) -> list[Mutant]:
    """Every mutant of one file, in source order (each is compiled before it runs)."""
    path = Path(path)
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    source = path.read_text(encoding="utf-8")
    data = source.encode("utf-8")
    starts = _offsets(source)
    out: list[Mutant] = []
    seen: set[tuple[int, int, str]] = set()
    counter: Counter[tuple[int, int, str]] = Counter()
    for node, new, op, func in _Generator(source).run():
        a = starts[node.lineno] + node.col_offset  # type: ignore[attr-defined]
        b = starts[node.end_lineno] + node.end_col_offset  # type: ignore[attr-defined]
        original = data[a:b].decode("utf-8")
        replacement = ast.unparse(ast.fix_missing_locations(new))
        if ast.dump(new) == ast.dump(node):
            continue
        key = (a, b, replacement)
        if key in seen:
            continue
        seen.add(key)
        text = "(" + replacement + ")" if not isinstance(new, ast.Constant) else replacement
        if isinstance(new, ast.Constant) and isinstance(new.value, (int, float)) and (
                new.value < 0):
            text = "(" + text + ")"
        mutated_source = (data[:a] + text.encode("utf-8") + data[b:]).decode("utf-8")
        place = (node.lineno, node.col_offset, op)  # type: ignore[attr-defined]
        out.append(Mutant(rel, node.lineno, node.col_offset,  # type: ignore[attr-defined]
                          node.end_lineno, node.end_col_offset,  # type: ignore[attr-defined]
                          op, func, original, replacement, counter[place], mutated_source))
        counter[place] += 1
    return out


def resolve_files(patterns: Sequence[str], root: Path = ROOT) -> list[Path]:
    files: list[Path] = []
    for pat in patterns:
        hits = sorted(root.glob(pat)) if any(c in pat for c in "*?[") else [root / pat]
        for p in hits:
            if p.name == "__init__.py" or p.suffix != ".py":
                continue
            if not p.is_file():
                raise SystemExit(f"mutation: no such file {pat!r}")
            if p not in files:
                files.append(p)
    return files


def select(mutants: list[Mutant], sample: int | None, seed: int, limit: int | None
           ) -> list[Mutant]:
    """A fixed-seed random sample (in source order), then the first ``limit``."""
    chosen = mutants
    if sample is not None and sample < len(mutants):
        idx = sorted(random.Random(seed).sample(range(len(mutants)), sample))
        chosen = [mutants[i] for i in idx]
    return chosen[:limit] if limit is not None else chosen


# ------------------------------------------------------------------ running
RUNNER = textwrap.dedent(r'''
    import json, os, sys, time
    cfg = json.loads(sys.argv[1])
    out = {"killed": False, "by": None, "level": None, "why": "", "stage": "claims"}
    def done(**kw):
        out.update(kw)
        print("MUTATION-RESULT " + json.dumps(out), flush=True)
        sys.exit(0)
    t0 = time.perf_counter()
    try:
        import ufm_sym_proofs as proofs
        from ufm_sym.claims import VerifyContext, load_registry
        here = os.path.realpath(cfg["root"])
        if not os.path.realpath(proofs.__file__).startswith(here):
            print("proofs imported from " + proofs.__file__ + ", not the copy", file=sys.stderr)
            sys.exit(3)
        registry = load_registry(plugins=False)
    except SystemExit:
        raise
    except BaseException as exc:
        done(killed=True, stage="broken", why=f"import/registration raised "
             f"{type(exc).__name__}: {exc}"[:300])
    claims = list(registry)
    labels = cfg.get("labels")
    if labels:
        claims = [c for c in claims if c.label in labels]
    levels = cfg.get("levels")
    mutated = cfg.get("file")
    func = (cfg.get("function") or "").split(".")[0]
    module_names = set(cfg.get("names") or ())
    costs = cfg.get("costs") or {}
    def names_in(code, acc):
        acc.update(code.co_names)
        for const in code.co_consts:
            if hasattr(const, "co_names"):
                names_in(const, acc)
        return acc
    def rank(fn):
        code = getattr(fn, "__code__", None)
        if code is None:
            return 2
        names = names_in(code, set())
        if func and func in names:
            return 0
        if mutated and os.path.realpath(code.co_filename).endswith(mutated):
            return 1
        return 1 if names & module_names else 2
    modules = cfg.get("modules")
    checks = [(c, level, fn) for c in claims for level, fn in c.checks
              if (not levels or level in levels)
              and (modules is None or getattr(fn, "__module__", None) in modules
                   or not str(getattr(fn, "__module__", "")).startswith("ufm_sym_proofs"))]
    order = sorted(range(len(checks)), key=lambda i: (
        rank(checks[i][2]), costs.get(checks[i][0].label + "|" + checks[i][1], 1.0), i))
    ctx = VerifyContext(dps=cfg["dps"], seed=cfg["seed"], numeric_samples=cfg["samples"])
    timing = {}
    for i in order:
        claim, level, fn = checks[i]
        t1 = time.perf_counter()
        try:
            ev = fn(claim, ctx)
        except BaseException as exc:
            done(killed=True, by=claim.label, level=level,
                 why=f"raised {type(exc).__name__}: {exc}"[:300])
        timing[claim.label + "|" + level] = round(time.perf_counter() - t1, 3)
        if not ev.passed or ev.level != level:
            done(killed=True, by=claim.label, level=level, why=str(ev.detail)[:300])
    if cfg.get("snapshots"):
        from ufm_sym.snapshots import check_snapshots
        diff = check_snapshots(os.path.join(cfg["root"], "tests", "snapshots"))
        if diff:
            first = [ln for ln in diff.splitlines() if ln.startswith(("-", "+"))
                     and not ln.startswith(("---", "+++"))][:2]
            done(killed=True, stage="snapshots", why=" | ".join(first)[:300])
    done(checks=len(order), costs=timing, seconds=round(time.perf_counter() - t0, 1))
''')


@dataclass
class Result:
    mutant: Mutant | None
    status: str              # killed, snapshots, broken, timeout, survived, error
    by: str | None = None
    level: str | None = None
    why: str = ""
    seconds: float = 0.0
    costs: dict[str, float] = field(default_factory=dict)


def make_copy(root: Path = ROOT, dest: Path | None = None) -> Path:
    """A copy of the parts of the tree the runner needs (no caches)."""
    dest = Path(tempfile.mkdtemp(prefix="ufm-mutation-")) if dest is None else dest
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", "*.egg-info")
    for item in COPY_ITEMS:
        src = root / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / item)
    # the proofs install as ``ufm_sym_proofs`` (mapped from proofs/): the copy answers to
    # that name through a link, so a mutated proofs/x.py is what the runner imports
    (dest / "ufm_sym_proofs").symlink_to("proofs", target_is_directory=True)
    return dest


def run_in_copy(copy_root: Path, cfg: dict[str, Any], timeout: float) -> Result:
    """Run the registry in ``copy_root`` (whatever its files hold now)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy_root) + (os.pathsep + env["PYTHONPATH"]
                                          if env.get("PYTHONPATH") else "")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    cfg = dict(cfg, root=str(copy_root))
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(cfg)], cwd=copy_root,
                              env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Result(None, "timeout", why=f"no verdict within {timeout:g} s",
                      seconds=time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("MUTATION-RESULT ")),
                None)
    if line is None:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        if proc.returncode == 3:
            return Result(None, "error", why=proc.stderr.strip()[:300], seconds=seconds)
        return Result(None, "broken", why=f"exit {proc.returncode}: {tail}"[:300],
                      seconds=seconds)
    data = json.loads(line[len("MUTATION-RESULT "):])
    if not data["killed"]:
        return Result(None, "survived", seconds=seconds, costs=data.get("costs") or {})
    status = {"claims": "killed", "snapshots": "snapshots", "broken": "broken"}[data["stage"]]
    return Result(None, status, data.get("by"), data.get("level"), data.get("why", ""),
                  seconds)


def module_names(path: Path) -> list[str]:
    """The top-level names a module defines (functions, classes, assignments)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return out


def dependent_modules(file: str, root: Path = ROOT) -> list[str] | None:
    """The ``proofs`` modules whose checks can see a change to ``file``: the module itself
    and every proofs module that imports it, directly or not (imports inside functions
    included).  ``None`` (every module) for a file outside ``proofs/``."""
    if not file.startswith("proofs/"):
        return None
    graph: dict[str, set[str]] = {}
    for path in sorted((root / "proofs").glob("*.py")):
        name = "ufm_sym_proofs." + path.stem
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "ufm_sym_proofs":
                    deps.update(f"ufm_sym_proofs.{a.name}" for a in node.names)
                elif node.module.startswith("ufm_sym_proofs."):
                    deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names
                            if a.name.startswith("ufm_sym_proofs."))
        graph[name] = deps
    target = "ufm_sym_proofs." + Path(file).stem
    # the proof chains read every claim's statement through the registry, whatever the
    # modules import: their checks see a change to any proofs module
    out = {target, "ufm_sym_proofs.chains", "ufm_sym_proofs.main_results"}
    changed = True
    while changed:
        changed = False
        for mod, deps in graph.items():
            if mod not in out and deps & out:
                out.add(mod)
                changed = True
    return sorted(out)


def run_pytest(copy_root: Path, args: list[str], timeout: float) -> Result | None:
    """The pytest fallback: a ``tests`` result when a test fails in the mutated copy."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy_root) + (os.pathsep + env["PYTHONPATH"]
                                          if env.get("PYTHONPATH") else "")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p",
                               "no:cacheprovider", *args], cwd=copy_root, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Result(None, "timeout", why=f"pytest: no verdict within {timeout:g} s",
                      seconds=time.perf_counter() - t0)
    if proc.returncode in (0, 5):  # passed, or no test collected
        return None
    failed = [ln for ln in proc.stdout.splitlines() if ln.startswith("FAILED")]
    return Result(None, "tests", by="pytest", why=(failed or ["a test failed"])[0][:300],
                  seconds=time.perf_counter() - t0)


class Workers:
    """``jobs`` private copies of the tree; each mutant is written into a free copy, run,
    and the copy restored."""

    def __init__(self, jobs: int, root: Path = ROOT) -> None:
        self.root = root
        self.copies = [make_copy(root) for _ in range(jobs)]
        self.free: queue.Queue[Path] = queue.Queue()
        for c in self.copies:
            self.free.put(c)
        self.lock = threading.Lock()
        self.stamp = 1_000_000_000

    def close(self) -> None:
        for c in self.copies:
            shutil.rmtree(c, ignore_errors=True)

    def _unique_mtime(self) -> int:
        with self.lock:
            self.stamp += 2
            return self.stamp

    def run(self, mutant: Mutant | None, cfg: dict[str, Any], timeout: float) -> Result:
        copy_root = self.free.get()
        try:
            if mutant is None:
                return run_in_copy(copy_root, cfg, timeout)
            try:
                compile(mutant.source, mutant.file, "exec")
            except SyntaxError as exc:
                return Result(mutant, "invalid", why=f"does not compile: {exc}")
            target = copy_root / mutant.file
            original = target.read_bytes()
            st = target.stat()
            try:
                target.write_text(mutant.source, encoding="utf-8")
                t = self._unique_mtime()  # never reuse a stale .pyc of another mutant
                os.utime(target, (t, t))
                res = run_in_copy(copy_root, dict(cfg, pytest=None, file=mutant.file,
                                                  function=mutant.function,
                                                  names=module_names(self.root / mutant.file),
                                                  modules=dependent_modules(mutant.file,
                                                                            self.root)),
                                  timeout)
                if res.status == "survived" and cfg.get("pytest"):
                    res = run_pytest(copy_root, cfg["pytest"], timeout) or res
            finally:
                target.write_bytes(original)
                os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
            res.mutant = mutant
            return res
        finally:
            self.free.put(copy_root)


# ------------------------------------------------------------------ reasons
_TRACE = ("equivalent: the product sits inside a trace, and tr(A B) = tr(B A) = tr(A^T B^T), "
          "so the swapped product has the same value (the normal form agrees)")
_REPORT = "harmless: the value is only reported (residual/digits column or detail text)"
_SENTINEL = ("equivalent: the start value of a running minimum over values that include 0 "
             "(min(1, values) < 0 exactly when min(0, values) < 0)")

#: (file, function prefix, operator or None, original-substring or None, reason); the first
#: match wins.  Every entry was checked by reading the code at the mutant.
NOTES: list[tuple[str, str, str | None, str | None, str]] = [
    ("proofs/section3_proofs.py", "negative_curvature_step", "sign-binop", None,
     "equivalent: the relation's right side is 0, so lhs - rhs = lhs + rhs"),
    ("proofs/section3_proofs.py", "mse_convexity_step", "swap", None, _TRACE),
    ("proofs/section3_proofs.py", "direction_property_steps", "swap", ".T * dirn", _TRACE),
    ("proofs/main_results.py", "lemma_c4_steps", "swap", "S.T * (W * H)", _TRACE),
    ("proofs/main_results.py", "lemma_c4_steps", "swap", "W.T * D.grad_W", _TRACE),
    ("proofs/chains.py", "identity", "const", None,
     "equivalent: for a scalar step a failed first reduction falls back to the exact zero "
     "test of the reduced difference, which decides the same steps"),
    ("proofs/chains.py", "identity", "negate", None, "equivalent: the zero negated is zero"),
    ("proofs/chains.py", "_is_zero", "negate", None, "equivalent: the zero negated is zero"),
    ("proofs/chains.py", "_premises", "drop", None,
     "a stricter check that still passes: every premise of the registry's implications is "
     "also stated by an earlier step of its chain"),
    ("proofs/chains.py", "add_proof", "const", None,
     "equivalent: the position of the chain's evidence among the claim's checks (every "
     "check runs; the order is that of the evidence rows)"),
    ("proofs/certified.py", "certified_theorem_env", "const", None,
     "equivalent for the statement: at a certified minimum whose kernel is the orbit, "
     "lambda_min = 0 and any value >= 0 decides (f = f* and lambda_min >= 0) the same way"),
    ("proofs/certified.py", "lemma31_certified_evidence", "const", None,
     _REPORT + " (the count of points where the rank is exact)"),
    ("proofs/environments.py", "float_", "const", "1",
     "equivalent: NumPy reads any negative size in reshape(-1, 1) as the unknown one"),
    ("proofs/section4.py", "case1_from_pairs_symbolic", "swap", "G.T * U",
     _REPORT + " (the expression G G^T U printed in the detail; the check reduces step1)"),
    ("proofs/certified.py", "theorem_certified_evidence", "const", None,
     _REPORT + " (the count of certified saddles in the detail text)"),
    ("proofs/section3.py", "_merge", "const", None,
     _REPORT + " (the stand-in digits of exact evidence when the weakest part is chosen for "
     "the residual column; pass/fail is all() over the parts)"),
    ("proofs/", "", "swap", "Trace", _TRACE),
    ("proofs/section3.py", "_register_landscape", "swap", None, _TRACE),
    ("proofs/section4.py", "kernel_symbolic", "swap", None, _TRACE),
    ("proofs/section4.py", "hessian_form_symbolic", "swap", None, _TRACE),
    ("proofs/section3.py", "convexity_high_precision", "const", None, _SENTINEL),
    ("proofs/section3.py", "rank_evidence", "const", None, _REPORT + " (the largest singular "
     "value counted as zero, shown as the residual; the pass/fail test is on the ranks)"),
    ("proofs/section4_points.py", "rank_inequality_evidence", "const", None, _REPORT
     + " (the largest singular value counted as zero)"),
    ("proofs/landscape.py", "theorem_evidence", "const", None, _REPORT + " (the worst "
     "|f - f*| when no point is in C1; every default setting has points in C1)"),
    ("proofs/numeric_evidence.py", "_rank", "const", None,
     "equivalent: the value for an empty matrix inside max(1, ...); no sampled W or H is "
     "empty"),
    ("proofs/numeric_evidence.py", "numeric_theorem_evidence", "const", None,
     _REPORT + " (the count of global minimizers in the detail text)"),
    ("proofs/cited.py", "minimizers_from_random_starts", "const", None,
     "equivalent: another salt of the seeds of the random starts; L-BFGS still reaches the "
     "global minimizers, and the claims hold for every seed (the report records the seed)"),
    ("proofs/section4_points.py", "rotated.make", None, "W.cols - len(S)",
     "equivalent: W is square in every setting (d = K), so the padding of its singular "
     "values is empty"),
    ("proofs/section4_points.py", "residual_414", "const", None,
     "equivalent: the entries with j >= min(K, d) do not exist when d = K"),
    ("proofs/section4_points.py", "residual_416", "const", None,
     "equivalent: the default of an empty max; the check runs only at points with a null "
     "vector (r < d)"),
    ("proofs/section4_points.py", "residual_419", "drop-part", None,
     "equivalent: the dropped part (D_W D_H = alpha beta s u v^T, ||D_W||^2 = alpha^2 s or "
     "||D_H||^2 = beta^2 s) holds by construction for the unit u, v of the SVD and any a, "
     "at every point; the symbolic check proves these identities"),
    ("proofs/section4_points.py", "residual_430", "const", None,
     "equivalent: at r = 1 the Gram matrices are 1 x 1 and equal |u_1|^2 = |v_1|^2 = 1 by "
     "construction (u_1 = -w_1/|w_1|)"),
    ("proofs/section4_points.py", "ref12_minimizers", "const", None,
     "equivalent: another salt of the seeds of the random starts (as for (1.5)-(1.7))"),
    ("proofs/section4_points.py", "case2_split_evidence", "const", "10) ** -20",
     "equivalent on the sampled points: the f - f* gap that separates saddles from "
     "minimizers is 1e-20; the sampled gaps are either about 1e-3 or below 1e-45"),
    ("proofs/section4_points.py", "case2_split_evidence", "const", "n_saddle > 0",
     "harmless: a stricter requirement (two saddles instead of one) that the data meet"),
    ("proofs/section4_points.py", "case2_split_evidence", "const", "n_saddle += 1",
     _REPORT + " (the count of saddles; only 'more than 0' decides)"),
    ("proofs/section4_points.py", "split_evidence", "const", None, _REPORT + " (a count)"),
    ("proofs/section4_points.py", "_float_G", "const", None,
     "equivalent: b.reshape(-1, 1) -> b.reshape(-2, 1); NumPy reads any negative size as "
     "the one to infer (checked: np.zeros(3).reshape(-2, 1).shape == (3, 1))"),
    ("proofs/section4_points.py", "numeric_prop41_evidence", "const", None,
     _REPORT + " (a count)"),
    ("proofs/section4_points.py", "float_rotated.make", "const", None,
     "equivalent on the sampled points: the float64 rank cut 1e-8 sits in a gap of the "
     "singular values (the zero ones are below 1e-12, the others above 1e-3)"),
    ("proofs/section4_points.py", "float_residual", "const", "1e-8",
     "equivalent on the sampled points: the float64 rank cut, as above"),
    ("proofs/section4_points.py", "float_residual", "const", "1e-6",
     "equivalent on the sampled points: the nonzero test of w_i, h^i (their norms are "
     "above 1e-3)"),
    ("proofs/section4_points.py", "prop43_evidence", "const", "n_s",
     _REPORT + " (the counters in the detail text)"),
    ("proofs/section4_points.py", "prop43_evidence", None, None,
     "WEAKENED CHECK, NOT YET FIXED: a sum of residuals that each vanish (criticality of "
     "the rotated point, the normal form (4.26), f~ = f); it should take the worst part "
     "with a wrong-variant test per part, as the other residuals do"),
    ("proofs/section4_points.py", "invariance_evidence", None, None,
     "WEAKENED CHECK, NOT YET FIXED: |f(WQ, Q^T H) - f| + |hess form - q0| summed; should "
     "be the worst of two named parts with a wrong-variant test each"),
    ("proofs/section4_points.py", "float_rotated.make", "drop", None,
     "WEAKENED CHECK, NOT YET FIXED: the float64 Section 4 residuals then run on fewer "
     "samples; a test should require samples of every setting"),
    ("proofs/section4_points.py", "case2_split_evidence", "const", "n_saddle = 0",
     "WEAKENED CHECK, NOT YET FIXED: the requirement 'at least one saddle' is lost (the "
     "counter starts at 1); a test with only global minimizers should fail"),
]


def _source_line(m: Mutant) -> str:
    """The source line of the mutant (from the file as it is now)."""
    try:
        return (ROOT / m.file).read_text(encoding="utf-8").splitlines()[m.line - 1].strip()
    except (OSError, IndexError):
        return ""


def _category(reason: str) -> str:
    head = reason.split(":")[0]
    for key in ("equivalent", "harmless"):
        if head.startswith(key):
            return key
    if head.startswith("WEAKENED CHECK"):
        return "weakened check, not yet fixed"
    return "not classified"


def reason_for(m: Mutant) -> str:
    """Why a survivor is equivalent or harmless (:data:`NOTES`), or that nobody has said."""
    where = m.original + " || " + _source_line(m)
    for file, func, op, text, why in NOTES:
        if (m.file.startswith(file) and m.function.startswith(func)
                and (op is None or op == m.op) and (text is None or text in where)):
            return why
    return "NOT CLASSIFIED: read it; fix the check or add a note to NOTES in tools/mutation.py"


# ------------------------------------------------------------------ report
def write_report(path: Path, results: list[Result], settings: dict[str, Any]) -> None:
    invalid = [r for r in results if r.status == "invalid"]
    results = [r for r in results if r.status != "invalid"]
    counts = Counter(r.status for r in results)
    total = len(results)
    killed = (counts["killed"] + counts["broken"] + counts["snapshots"] + counts["timeout"]
              + counts["tests"])
    rate = 100.0 * killed / total if total else 0.0
    by_claims = counts["killed"] + counts["broken"]
    lines = [
        "# Mutation report",
        "",
        "Generated by `python tools/mutation.py` (see its docstring): each mutant is one "
        "small change to the proof code, applied to a copy of the tree; it is *killed* "
        "when a claim of the registry fails (`VerifyContext(numeric_samples="
        f"{settings['samples']})`), *broken* when the proofs no longer import or "
        "register, caught by the *snapshots* when only `tests/snapshots` changes, by the "
        "*tests* when only the wrong-variant tests fail (`--pytest`, run on the mutants "
        "that pass the first two stages), and a *timeout* past the per-mutant limit "
        "(counted as killed).",
        "",
        "## Settings",
        "",
        f"- files: {', '.join(settings['files'])}",
        (f"- mutants run: {total}" if settings.get("runs") else
         f"- mutants generated: {settings['generated']}; run: {total}"
         + (f" (a fixed-seed sample, seed {settings['seed']})" if settings.get("sampled")
            else "")),
        f"- per-mutant timeout {settings['timeout']:g} s, {settings['jobs']} jobs, "
        f"dps {settings['dps']}, seed {settings['seed_verify']}, numeric_samples "
        f"{settings['samples']}, snapshots {'on' if settings['snapshots'] else 'off'}"
        + (f"\n- pytest fallback for survivors: `pytest {settings['pytest']}`"
           if settings.get("pytest") else ""),
        (f"- runs: {'; '.join(settings['runs'])}; wall time {settings['wall']:.0f} s"
         if settings.get("runs") else
         f"- tree: commit {settings.get('commit', '?')}; wall time {settings['wall']:.0f} s")
        + (f"; {len(invalid)} mutants did not compile and are left out" if invalid else ""),
        "",
        "## Result",
        "",
        f"**kill rate {rate:.1f}%** ({killed} of {total}): {by_claims} killed by a claim "
        f"({counts['broken']} of them broke import/registration), {counts['snapshots']} "
        f"only by the snapshots, "
        + (f"{counts['tests']} only by the wrong-variant tests, " if counts["tests"] else "")
        + f"{counts['timeout']} timeouts; {counts['survived']} "
        f"survived" + (f"; {counts['error']} errors" if counts["error"] else "") + ".",
        "",
    ]
    sampled_files = set(settings.get("sampled_files") or ())
    if sampled_files and any(r.mutant and r.mutant.file not in sampled_files for r in results):
        full = [r for r in results if r.mutant and r.mutant.file not in sampled_files]
        part = [r for r in results if r.mutant and r.mutant.file in sampled_files]

        def _rate(rs: list[Result]) -> str:
            k = sum(r.status not in ("survived", "error") for r in rs)
            return f"{100.0 * k / len(rs):.1f}% ({k} of {len(rs)})"

        lines += [f"Every mutant of the other files: kill rate {_rate(full)}; the sampled "
                  f"files ({', '.join(sorted(sampled_files))}): {_rate(part)}.", ""]
    lines += [
        "| file | mutants | killed by a claim | snapshots | tests | timeout | survived |",
        "|---|---|---|---|---|---|---|",
    ]
    files = sorted({r.mutant.file for r in results if r.mutant})
    for f in files:
        c = Counter(r.status for r in results if r.mutant and r.mutant.file == f)
        lines.append(f"| `{f}` | {sum(c.values())} | {c['killed'] + c['broken']} | "
                     f"{c['snapshots']} | {c['tests']} | {c['timeout']} | {c['survived']} |")
    lines += ["", "| operator | mutants | killed (all kinds) | survived |", "|---|---|---|---|"]
    for op in sorted({r.mutant.op for r in results if r.mutant}):
        c = Counter(r.status for r in results if r.mutant and r.mutant.op == op)
        lines.append(f"| {op} | {sum(c.values())} | {sum(c.values()) - c['survived']} | "
                     f"{c['survived']} |")
    snap = Counter((r.mutant.file, r.mutant.function.split(".")[0]) for r in results
                   if r.status == "snapshots" and r.mutant)
    if snap:
        lines += ["", "## Caught only by the snapshots", "",
                  "These mutants change what a claim states or prints (its statement, "
                  "hypotheses or derivation steps) and no evidence fails: the changed "
                  "statement is still true (a weaker bound such as rank W <= K), or it is "
                  "one no check evaluates (a rank, a text symbol, a hypothesis list, the "
                  "paper's typed form beside the derived one).  Where a statement is an "
                  "equation in the point's values the checks evaluate it, so a false "
                  "statement fails its claim.  `tests/test_snapshots.py` catches the rest.",
                  "",
                  "| file | function | mutants |", "|---|---|---|"]
        lines += [f"| `{f}` | `{fn}` | {n} |" for (f, fn), n in sorted(snap.items())]
    survivors = [r for r in results if r.status == "survived" and r.mutant]
    kinds = Counter(_category(reason_for(r.mutant)) for r in survivors if r.mutant)
    lines += ["", "## Survivors", ""]
    if survivors:
        lines += [
            "Each survivor below was read and is one of: *equivalent* (the same value on "
            "every input: a trace's cyclicity, the start value of a running extremum, "
            "another seed for random starts) or *harmless* (a value that is only reported, "
            "never decides pass or fail).  A *weakened check* (a dropped part, a loosened "
            "bound or margin) is not accepted as a survivor: it gets a wrong-variant test "
            "(`tests/test_wrong_parts.py`).",
            "",
            "| kind | survivors |", "|---|---|",
            *[f"| {k} | {v} |" for k, v in sorted(kinds.items())], ""]
    if not survivors:
        lines.append("None.")
    for r in survivors:
        m = r.mutant
        assert m is not None
        lines += [f"- `{m.file}:{m.line}` in `{m.function}` ({m.op}): "
                  f"`{_short(m.original, 90)}` -> `{_short(m.mutated, 90)}`  ",
                  f"  {reason_for(m)}"]
    others = [r for r in results if r.status in ("timeout", "error") and r.mutant]
    if others:
        lines += ["", "## Timeouts and errors", ""]
        for r in others:
            m = r.mutant
            assert m is not None
            lines.append(f"- `{m.file}:{m.line}` ({m.op}) `{_short(m.original, 60)}` -> "
                         f"`{_short(m.mutated, 60)}`: {r.status}, {r.why}")
    lines += ["", "## Killed mutants", "",
              "| location | operator | change | killed by |", "|---|---|---|---|"]
    for r in results:
        if r.mutant is None or r.status not in ("killed", "broken", "snapshots", "tests"):
            continue
        m = r.mutant
        who = {"killed": f"`{r.by}` ({r.level})", "broken": "import/registration",
               "snapshots": "snapshots", "tests": f"pytest: {_short(r.why, 60)}"}[r.status]
        change = f"`{_short(m.original, 40)}` -> `{_short(m.mutated, 40)}`".replace("|", "\\|")
        lines.append(f"| `{m.file}:{m.line}` | {m.op} | {change} | {who} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if STATEMENT_BEGIN in old and STATEMENT_END in old:  # keep the statement section
        lines += ["", old[old.index(STATEMENT_BEGIN):old.index(STATEMENT_END)
                          + len(STATEMENT_END)]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ CLI
def _commit() -> str:
    """The commit the tree is at, with '+changes' when the mutated files differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                "proofs", "ufm_sym"],
                               cwd=ROOT, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "?"
    return (head or "?") + ("+changes" if dirty.strip() else "")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tools/mutation.py", description=__doc__.split("\n")[0])
    p.add_argument("--files", nargs="+", default=None, metavar="FILE",
                   help="files or globs relative to the repository (default proofs/*.py)")
    p.add_argument("--engine", action="store_true",
                   help="also mutate " + ", ".join(ENGINE_FILES))
    p.add_argument("--list", action="store_true", help="only list the mutants")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="the first N mutants")
    p.add_argument("--sample", type=int, default=None, metavar="N",
                   help="a random sample of N mutants (fixed --seed)")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    p.add_argument("--jobs", type=int, default=1, metavar="J", help="parallel processes")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds per mutant (default 120; a timeout counts as killed)")
    p.add_argument("--samples", type=int, default=10,
                   help="numeric_samples of the VerifyContext (default 10)")
    p.add_argument("--dps", type=int, default=50, help="dps of the VerifyContext (default 50)")
    p.add_argument("--labels", nargs="+", default=None,
                   help="run only the checks of these claims (default: every claim)")
    p.add_argument("--levels", nargs="+", default=None,
                   help="run only these evidence levels (default: all)")
    p.add_argument("--pytest", default=DEFAULT_PYTEST, metavar="ARGS",
                   help="for each survivor, also run pytest with these arguments in the "
                        "mutated copy; a failing test kills it ('' for none; default: the "
                        f"wrong-variant tests, {DEFAULT_PYTEST!r})")
    p.add_argument("--ids", nargs="+", default=None, metavar="ID",
                   help="run only the mutants with these ids (as --list prints them)")
    p.add_argument("--no-snapshots", action="store_true",
                   help="do not compare the derivation snapshots of surviving mutants")
    p.add_argument("--no-baseline", action="store_true",
                   help="skip the run of the unmutated copy")
    p.add_argument("--report", default=str(REPORT),
                   help=f"markdown report (default {REPORT.relative_to(ROOT)}; '-': none)")
    p.add_argument("--json", default=None, metavar="PATH",
                   help="also write the settings and every result as JSON")
    p.add_argument("--statements", action="store_true",
                   help="the statement-perturbation operator instead of the AST mutants: "
                        "perturb every claim's statement at run time (ufm_sym.perturb) and "
                        "write its section of the report")
    p.add_argument("--from-json", nargs="+", default=None, metavar="PATH",
                   help="do not run: rewrite the report from --json files of earlier runs "
                        "(a later file's result for a mutant replaces an earlier one's)")
    return p.parse_args(argv)


def all_mutants(patterns: Sequence[str], root: Path = ROOT) -> list[Mutant]:
    out: list[Mutant] = []
    for f in resolve_files(patterns, root):
        out.extend(generate_mutants(f, root))
    return out


def _record(r: Result) -> dict[str, Any]:
    return dict(r.mutant.to_json() if r.mutant else {}, status=r.status, by=r.by,
                level=r.level, why=r.why, seconds=round(r.seconds, 1))


def run_mutants(mutants: Sequence[Mutant], cfg: dict[str, Any], jobs: int, timeout: float,
                baseline: bool = True, root: Path = ROOT, progress: bool = True,
                stream: Path | None = None) -> tuple[Result | None, list[Result]]:
    """Run the baseline (unless told not to) and every mutant; results in input order."""
    workers = Workers(max(1, jobs), root)
    try:
        base = None
        if baseline:
            base = workers.run(None, cfg, timeout * 3)
            if base.status != "survived":
                return base, []
            cfg = dict(cfg, costs=base.costs)  # cheap checks first
        results: list[Result | None] = [None] * len(mutants)
        with cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futs = {pool.submit(workers.run, m, cfg, timeout): i for i, m in enumerate(mutants)}
            for n, fut in enumerate(cf.as_completed(futs), 1):
                i = futs[fut]
                res = fut.result()
                results[i] = res
                if stream is not None:
                    with open(stream, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(_record(res)) + "\n")
                if progress:
                    m = mutants[i]
                    print(f"[{n}/{len(mutants)}] {res.status:9s} {res.seconds:5.1f}s "
                          f"{m.file}:{m.line} {m.op} {_short(m.description, 60)}"
                          + (f"  <- {res.by} ({res.level})" if res.by else ""), flush=True)
        return base, [r for r in results if r is not None]
    finally:
        workers.close()


STATEMENT_BEGIN = "<!-- statement-perturbations -->"
STATEMENT_END = "<!-- /statement-perturbations -->"


def run_statements(dps: int, seed: int, samples: int, labels: Sequence[str] | None,
                   progress: bool = True) -> tuple[list[Any], float]:
    """The statement-perturbation operator: every perturbation of every claim's statement
    (:func:`ufm_sym.perturb.perturbations`), the claim's checks run on it in process."""
    from ufm_sym.claims import VerifyContext, load_registry
    from ufm_sym.perturb import check_costs, run_statement_mutations

    registry = load_registry(plugins=False)
    ctx = VerifyContext(dps=dps, seed=seed, numeric_samples=samples)
    report = registry.run(ctx, labels=labels)
    if not report.passed:
        raise SystemExit("the unperturbed claims do not all pass: "
                         + ", ".join(r.label for r in report.failures()))
    t0 = time.perf_counter()
    out = run_statement_mutations(registry, ctx, labels, costs=check_costs(report),
                                  progress=(lambda s: print(s, flush=True)) if progress
                                  else None)
    return out, time.perf_counter() - t0


def statement_section(results: Sequence[Any], seconds: float, settings: dict[str, Any]) -> str:
    """The report's section on statement perturbations (markdown)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from statement_survivors import listed

    killed = [r for r in results if r.killed]
    equivalent = [r for r in results if not r.killed and r.equivalent]
    survivors = [r for r in results if not r.killed and not r.equivalent]
    unexplained = [r for r in survivors if not listed(r.label, r.perturbation)]
    lines = [STATEMENT_BEGIN, "## Statement perturbations", "",
             "Each claim's statement object is perturbed at run time (one side of a relation "
             "times 2, one weight decay doubled, an inequality flipped, made strict or loose, "
             "one term of a sum dropped) and that claim's own checks are run on it "
             "(`python tools/mutation.py --statements`; `tests/test_statement_mutation.py` "
             f"runs the same in CI). Settings: dps {settings['dps']}, seed "
             f"{settings['seed']}, {settings['samples']} numeric samples, commit "
             f"{settings['commit']}; {seconds:.0f} s.", "",
             "| outcome | perturbations |", "|---|---|",
             f"| a check of the claim fails | {len(killed)} |",
             f"| equivalent, told from the formulas (`2 x = 0` is `x = 0`; a dropped zero "
             f"term) | {len(equivalent)} |",
             f"| survive, each listed with its reason | {len(survivors) - len(unexplained)} |",
             f"| survive, **not explained** | {len(unexplained)} |",
             f"| total | {len(results)} |", "",
             f"Every non-equivalent perturbation that can be false is killed: "
             f"{len(killed)} of {len(killed) + len(unexplained)} "
             f"({100.0 * len(killed) / max(1, len(killed) + len(unexplained)):.1f}%). Before "
             "this operator existed the checks read a private copy of many statements: 24 of "
             "106 perturbations of the statements of that time failed a check.", ""]
    if not survivors:
        lines += ["No perturbation survives: every claim whose statement once had survivors "
                  "now has a proof chain whose conclusion must be the statement."]
    else:
        lines += ["The survivors (no sound check can fail them):", "",
                  "| claim | perturbation | why |", "|---|---|---|"]
    for r in survivors:
        why = listed(r.label, r.perturbation) or "**NOT EXPLAINED**"
        lines.append(f"| `{r.label}` | `{_short(r.perturbation, 70)}` | {why} |")
    lines += ["", STATEMENT_END]
    return "\n".join(lines)


def write_statement_section(path: Path, section: str) -> None:
    """Put ``section`` into the report, replacing an earlier one."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Mutation report\n"
    if STATEMENT_BEGIN in text and STATEMENT_END in text:
        a = text.index(STATEMENT_BEGIN)
        b = text.index(STATEMENT_END) + len(STATEMENT_END)
        text = text[:a] + section + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.statements:
        results, seconds = run_statements(args.dps, args.seed, args.samples, args.labels)
        settings = {"dps": args.dps, "seed": args.seed, "samples": args.samples,
                    "commit": _commit()}
        section = statement_section(results, seconds, settings)
        if args.report != "-":
            write_statement_section(Path(args.report), section)
        print(section)
        return 0
    if args.from_json:
        runs = [json.loads(Path(f).read_text()) for f in args.from_json]
        merged: dict[str, dict[str, Any]] = {}
        for run in runs:
            if not run["settings"].get("ids"):  # a full run replaces its files' results
                files = set(run["settings"]["files"])
                merged = {k: v for k, v in merged.items() if v["file"] not in files}
            for r in run["results"]:
                if r["id"] in merged and run is not runs[0]:
                    r = dict(r, status=r["status"] if r["status"] != "survived"
                             else merged[r["id"]]["status"])
                merged[r["id"]] = r
        results = [Result(Mutant(r["file"], r["line"], 0, r["line"], 0, r["op"],
                                 r["function"], r["original"], r["mutated"]),
                          r["status"], r["by"], r["level"], r["why"], r["seconds"])
                   for r in merged.values()]
        settings = dict(runs[0]["settings"])
        settings["files"] = sorted({r["file"] for r in merged.values()})
        settings["generated"] = len(merged)
        settings["wall"] = sum(run["settings"]["wall"] for run in runs)
        settings["sampled_files"] = sorted({f for run in runs if run["settings"].get("sampled")
                                            for f in run["settings"]["files"]})
        settings["runs"] = [
            f"commit {run['settings'].get('commit', '?')}: "
            + (f"{len(run['results'])} mutants re-run by id" if run["settings"].get("ids")
               else ", ".join(Path(f).name for f in run["settings"]["files"]))
            + (f", a sample of {len(run['results'])} of {run['settings']['generated']} "
               f"mutants (seed {run['settings']['seed']})" if run["settings"].get("sampled")
               else "")
            + f" ({run['settings']['wall']:.0f} s)" for run in runs]
        extra = [run["settings"].get("pytest") for run in runs[1:]]
        if any(extra):
            settings["pytest"] = "; ".join(e for e in extra if e)
        write_report(Path(args.report), results, settings)
        print(f"wrote {args.report}")
        return 0
    patterns = list(args.files or DEFAULT_FILES) + (list(ENGINE_FILES) if args.engine else [])
    mutants = all_mutants(patterns)
    if args.ids:
        wanted = set(args.ids)
        mutants = [m for m in mutants if m.id in wanted]
    chosen = select(mutants, args.sample, args.seed, args.limit)
    if args.list:
        for m in chosen:
            print(f"{m.id}  [{m.function}]  {m.description}")
        print(f"{len(chosen)} of {len(mutants)} mutants", file=sys.stderr)
        return 0 if chosen else 1
    cfg = {"dps": args.dps, "seed": 0, "samples": args.samples, "labels": args.labels,
           "levels": args.levels, "snapshots": not args.no_snapshots,
           "pytest": shlex.split(args.pytest) if args.pytest else None}
    if cfg["snapshots"] and not (ROOT / "tests" / "snapshots").is_dir():
        print("mutation: tests/snapshots is missing: snapshots off", file=sys.stderr)
        cfg["snapshots"] = False
    t0 = time.perf_counter()
    print(f"{len(chosen)} of {len(mutants)} mutants, {args.jobs} jobs", flush=True)
    stream = Path(args.json + "l") if args.json else None  # results as they come (JSONL)
    if stream is not None and stream.exists():
        stream.unlink()
    base, results = run_mutants(chosen, cfg, args.jobs, args.timeout,
                                baseline=not args.no_baseline, stream=stream)
    if base is not None and base.status != "survived":
        print(f"mutation: the unmutated copy does not pass ({base.status}: {base.by} "
              f"{base.why}); fix that first", file=sys.stderr)
        return 2
    wall = time.perf_counter() - t0
    results = [r for r in results if r.status != "invalid"]
    counts = Counter(r.status for r in results)
    total = len(results)
    killed = total - counts["survived"] - counts["error"]
    print(f"\nkill rate {100.0 * killed / max(1, total):.1f}% ({killed}/{total}): "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f"; {wall:.0f} s")
    for r in results:
        if r.status == "survived" and r.mutant:
            print(f"  survived {r.mutant.file}:{r.mutant.line} [{r.mutant.function}] "
                  f"{r.mutant.op}: {r.mutant.description}")
    settings = {
        "pytest": args.pytest, "ids": bool(args.ids), "commit": _commit(),
        "files": [str(p.relative_to(ROOT)) for p in resolve_files(patterns)],
        "generated": len(mutants), "sampled": args.sample is not None,
        "seed": args.seed, "timeout": args.timeout, "jobs": args.jobs, "dps": args.dps,
        "seed_verify": 0, "samples": args.samples, "snapshots": cfg["snapshots"],
        "wall": wall}
    if args.report != "-":
        write_report(Path(args.report), results, settings)
        print(f"wrote {args.report}")
    if args.json:
        Path(args.json).write_text(json.dumps({"settings": settings, "results": [
            _record(r) for r in results]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
