"""The precision range every high-precision command accepts.

Below ``MIN_DPS`` decimal digits the 50-digit tolerances of the checks (10^-(dps-5)
at refined critical points, 10^-(0.6 dps) for finite differences) no longer separate
a true identity from a false one at the sampled points.
"""

MIN_DPS: int = 30
MAX_DPS: int = 1000


def check_dps(dps: object, name: str = "dps") -> int:
    """``dps`` if it is an integer in ``MIN_DPS..MAX_DPS``; otherwise a
    :class:`~ufm_sym.model.UFMInputError` naming ``name`` (e.g. ``--dps``).

    >>> check_dps(50)
    50
    >>> check_dps(5, "--dps")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ufm_sym.model.UFMInputError: --dps: 5 is too low (need --dps >= 30 ...)
    """
    from ufm_sym.model import UFMInputError

    if isinstance(dps, bool) or not isinstance(dps, int):
        raise UFMInputError(f"{name}: {dps!r} is not an integer")
    if dps < MIN_DPS:
        raise UFMInputError(f"{name}: {dps} is too low (need {name} >= {MIN_DPS} to decide the "
                            "high-precision checks)")
    if dps > MAX_DPS:
        raise UFMInputError(f"{name}: {dps} is too high (at most {MAX_DPS})")
    return dps
