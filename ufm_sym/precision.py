"""The precision range every high-precision command accepts.

Below ``MIN_DPS`` decimal digits the 50-digit tolerances of the checks (10^-(dps-5)
at refined critical points, 10^-(0.6 dps) for finite differences) no longer separate
a true identity from a false one at the sampled points.
"""

MIN_DPS: int = 30
MAX_DPS: int = 1000
