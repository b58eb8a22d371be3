"""ufm-sym: a symbolic-numeric proof companion for Gu and Shen,
*Geometric Analysis of Unconstrained Feature Models with d = K* (arXiv 2407.10702).

The stable Python API (``docs/api.md``): :class:`Problem`, :func:`classify`,
:func:`check_identity`, :func:`run_claims` and :func:`sample`; the functions are
imported on first use, so ``import ufm_sym`` stays light.

>>> from ufm_sym import Problem
>>> Problem(loss="mse", K=4, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01").N
8
>>> from ufm_sym import classify, check_identity, run_claims, sample
>>> classify.__module__, sample.__module__
('ufm_sym.landscape', 'ufm_sym.numeric.sampling')
"""

from importlib import import_module
from typing import Any

from ufm_sym.model import LOSSES, Problem, UFMInputError

__version__ = "0.1.0"

#: public name -> the module that defines it (imported on first use)
_LAZY: dict[str, str] = {
    "classify": "ufm_sym.landscape",
    "Classification": "ufm_sym.landscape",
    "check_identity": "ufm_sym.check",
    "CheckReport": "ufm_sym.check",
    "run_claims": "ufm_sym.api",
    "sample": "ufm_sym.numeric.sampling",
    "SampleRecord": "ufm_sym.numeric.sampling",
    "load_point": "ufm_sym.pointio",
}

__all__ = ["LOSSES", "Problem", "UFMInputError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ufm_sym' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
