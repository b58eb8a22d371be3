"""Critical points found without knowing them in advance (``ufm-sym discover``).

Random starts at several scales (:mod:`~ufm_sym.discover.starts`) feed three float64
methods: L-BFGS for minima (:mod:`~ufm_sym.discover.minima`), Levenberg-Marquardt on
``grad f = 0`` and minimisation of ``||grad f||^2`` for critical points of any index,
both deflated so that a found orbit is not found again
(:mod:`~ufm_sym.discover.saddles`).  The results are clustered by invariants
(:mod:`~ufm_sym.discover.orbits`), refined to high precision
(:mod:`~ufm_sym.discover.refine`), classified into the kinds of
:mod:`~ufm_sym.discover.kinds` and de-duplicated modulo the symmetries
(:mod:`~ufm_sym.discover.symmetry`); :mod:`~ufm_sym.discover.search` runs it all and
:mod:`~ufm_sym.discover.atlas` runs it over a grid.  The method, the tolerances and
the margins are documented in ``docs/discover.md``.

The entry points are imported lazily (``ufm_sym.landscape`` imports
:mod:`~ufm_sym.discover.kinds`, and the search imports the landscape):

>>> import ufm_sym.discover as D
>>> D.KINDS[:3]
('global_min', 'strict_saddle', 'local_min')
"""

from __future__ import annotations

from typing import Any

__all__ = ["KINDS", "DiscoveryResult", "Orbit", "discover", "find_orbits"]


def __getattr__(name: str) -> Any:
    if name == "KINDS":
        from ufm_sym.discover.kinds import KINDS

        return KINDS
    if name in ("DiscoveryResult", "discover", "find_orbits"):
        from ufm_sym.discover import search

        return getattr(search, name)
    if name == "Orbit":
        from ufm_sym.discover.orbits import Orbit

        return Orbit
    raise AttributeError(f"module 'ufm_sym.discover' has no attribute {name!r}")
