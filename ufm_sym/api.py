"""The Python API's entry points that are not a class of their own (``docs/api.md``).

:func:`run_claims` runs the paper's claims as ``ufm-sym verify`` does and returns the
:class:`~ufm_sym.claims.Report`; the other entry points live with their feature and are
re-exported by :mod:`ufm_sym` (:func:`ufm_sym.classify`, :func:`ufm_sym.check_identity`,
:func:`ufm_sym.sample`).

>>> report = run_claims(["eq:3.4"], samples=2)
>>> report.passed, [r.label for r in report.results][-1]
(True, 'eq:3.4')
"""

from __future__ import annotations

from collections.abc import Sequence

from ufm_sym.claims import Report, VerifyContext, load_registry
from ufm_sym.model import UFMInputError
from ufm_sym.precision import check_dps

__all__ = ["run_claims"]


def run_claims(labels: Sequence[str] | None = None, *, dps: int = 50, seed: int = 0,
               samples: int = 100, backend: str = "numpy") -> Report:
    """Run every claim (or ``labels`` and the claims they use), as ``ufm-sym verify``.

    ``dps``: digits of the high-precision checks; ``seed``: the seed of every sampled
    point; ``samples``: numeric samples per check; ``backend``: of the float64 checks.
    An unknown label raises :class:`~ufm_sym.model.UFMInputError` naming it.
    """
    check_dps(dps)
    if samples < 1:
        raise UFMInputError(f"samples: {samples} must be >= 1")
    if seed < 0:
        raise UFMInputError(f"seed: {seed} must be >= 0")
    registry = load_registry()
    if isinstance(labels, str):
        labels = [labels]
    for label in labels or ():
        if label not in registry:
            raise UFMInputError(f"unknown claim label {label!r}")
    ctx = VerifyContext(dps=dps, seed=seed, numeric_samples=samples, backend=backend)
    return registry.run(ctx, list(labels) if labels else None)
