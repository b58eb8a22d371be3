"""Source-level mutants that once left their claims green (issue "Honest evidence"):
each is written into a copy of the tree, and the mutated claim's own checks, run as
``ufm-sym verify`` runs them, must fail.  Not via the snapshots: the evidence itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import mutation  # noqa: E402  (tools/mutation.py: the tree copy it runs mutants in)

RUNNER = r"""
import json, sys
from ufm_sym.claims import VerifyContext, load_registry
label = sys.argv[1]
reg = load_registry(plugins=False)
claim = reg[label]
ctx = VerifyContext(dps=50, seed=0, numeric_samples=10)
out = []
for level, fn in claim.checks:
    try:
        ev = fn(claim, ctx)
        out.append([level, bool(ev.passed), ev.detail[:300]])
    except Exception as exc:
        out.append([level, False, f"raised {type(exc).__name__}: {exc}"[:300]])
print("RESULT " + json.dumps(out))
"""

#: (label, file, text, replacement, what the mutant says)
MUTANTS = [
    ("eq:4.28", "proofs/section4.py",
     'uses=("eq:4.27", "eq:4.6"), section="4", statement=sp.Eq(sig_i, THR, evaluate=False))',
     'uses=("eq:4.27", "eq:4.6"), section="4", statement=sp.Eq(sig_i, 2 * THR, '
     'evaluate=False))', "sigma_i = 2 sqrt(lW lH)"),
    ("eq:4.31", "proofs/section4.py",
     "        statement=sp.Eq(gnorm, THR, evaluate=False),\n        hypotheses=(",
     "        statement=sp.Eq(gnorm, THR / 2, evaluate=False),\n        hypotheses=(",
     "||grad g|| = sqrt(lW lH)/2"),
    ("prop:4.1", "proofs/section4.py",
     "        statement=sp.Implies(sp.And(E.CRITICAL, sp.Le(gnorm, THR, evaluate=False)),",
     "        statement=sp.Implies(sp.And(E.CRITICAL, sp.Le(gnorm, 10 * THR, "
     "evaluate=False)),", "threshold 10 sqrt(lW lH)"),
    ("step:3.C", "proofs/section3.py",
     "            sp.And(sp.Le(gnorm, thr, evaluate=False), sp.Eq(E.F, E.FSTAR, "
     "evaluate=False)),\n            sp.Gt(gnorm, thr, evaluate=False))))",
     "            sp.And(sp.Le(gnorm, 10 * thr, evaluate=False), sp.Eq(E.F, E.FSTAR, "
     "evaluate=False)),\n            sp.Gt(gnorm, 10 * thr, evaluate=False))))",
     "threshold 10 sqrt(lW lH)"),
    ("eq:4.17", "proofs/geometry.py",
     '"D_H": beta_ * a * v.T,', '"D_H": 2 * beta_ * a * v.T,', "D_H doubled"),
]


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory):
    return mutation.make_copy(ROOT, tmp_path_factory.mktemp("tree"))


@pytest.mark.slow
@pytest.mark.parametrize("label, path, text, replacement, what", MUTANTS,
                         ids=[f"{m[0]}: {m[4]}" for m in MUTANTS])
def test_mutant_fails_its_claim(tree_copy, tmp_path, label, path, text, replacement, what):
    source = (ROOT / path).read_text(encoding="utf-8")
    assert source.count(text) == 1, f"the mutant's text is not (once) in {path}"
    copy = tmp_path / "tree"
    shutil.copytree(tree_copy, copy, symlinks=True)
    (copy / path).write_text(source.replace(text, replacement), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(copy), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    run = subprocess.run([sys.executable, "-c", RUNNER, label], cwd=copy, env=env,
                         capture_output=True, text=True, timeout=600)
    line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
    assert line, run.stderr[-2000:]
    checks = json.loads(line[0][len("RESULT "):])
    assert checks and not all(passed for _, passed, _ in checks), checks


def test_the_unmutated_claims_pass(tree_copy):
    """The same runner on the unmutated copy: every check of these claims passes."""
    env = dict(os.environ, PYTHONPATH=str(tree_copy), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    for label in ("eq:4.31", "eq:4.17"):
        run = subprocess.run([sys.executable, "-c", RUNNER, label], cwd=tree_copy, env=env,
                             capture_output=True, text=True, timeout=600)
        line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
        assert line, run.stderr[-2000:]
        assert all(passed for _, passed, _ in json.loads(line[0][len("RESULT "):]))
