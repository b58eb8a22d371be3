"""Ball arithmetic (python-flint): rigorous statements about the UFM at concrete
instances (docs/certified.md).

- :mod:`~ufm_sym.certify.balls`: the point, ``R``, the softmax, the objective, its
  gradient and Hessian as balls;
- :mod:`~ufm_sym.certify.orbit`: the symmetry orbit through a point, the slice
  transversal to it;
- :mod:`~ufm_sym.certify.existence`: a true critical point nearby (Krawczyk);
- :mod:`~ufm_sym.certify.inertia`: the Hessian's inertia there and over the ball (and
  the spectrum summary of :func:`ufm_sym.landscape.classify`);
- :mod:`~ufm_sym.certify.rank`, :mod:`~ufm_sym.certify.dual`: rank bounds and dual
  feasibility at the certified point;
- :mod:`~ufm_sym.certify.critical`: :func:`certify_critical_point`, all of it;
- :mod:`~ufm_sym.certify.flint_util`: the lazy import and conversions they share.

The names below are loaded on first use, so that :mod:`ufm_sym.highprec.eig` can
import :mod:`~ufm_sym.certify.flint_util` without a cycle.

>>> from ufm_sym import certify
>>> certify.certify_critical_point.__name__
'certify_critical_point'
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["EIG_METHODS", "CriticalPointCertificate", "Spectrum", "certify_critical_point",
           "certify_inertia", "hessian_spectrum"]

_WHERE = {"EIG_METHODS": "inertia", "Spectrum": "inertia", "certify_inertia": "inertia",
          "hessian_spectrum": "inertia", "CriticalPointCertificate": "critical",
          "certify_critical_point": "critical"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"ufm_sym.certify.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'ufm_sym.certify' has no attribute {name!r}")
