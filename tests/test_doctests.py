"""Every docstring example of the engine runs (the docstrings are runnable examples,
in the style of python-flint): one test per module of ``ufm_sym`` and of the proofs."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ufm_sym
import ufm_sym_proofs


def _modules() -> list[str]:
    names = []
    for pkg in (ufm_sym, ufm_sym_proofs):
        names.append(pkg.__name__)
        names += [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")]
    return sorted(names)


@pytest.mark.parametrize("module", _modules())
def test_docstring_examples_run(module: str) -> None:
    res = doctest.testmod(importlib.import_module(module),
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0


def test_the_engine_has_examples() -> None:
    total = sum(doctest.testmod(importlib.import_module(m)).attempted for m in
                ("ufm_sym.claims", "ufm_sym.landscape", "ufm_sym.certify.flint_util"))
    assert total >= 10
