"""ufm-sym: a symbolic-numeric proof companion for Gu and Shen,
*Geometric Analysis of Unconstrained Feature Models with d = K* (arXiv 2407.10702).

>>> from ufm_sym import Problem
>>> Problem(loss="mse", K=4, n=2, lambda_W="0.01", lambda_H="0.01", lambda_b="0.01").N
8
"""

from ufm_sym.model import LOSSES, Problem, UFMInputError

__version__ = "0.1.0"

__all__ = ["LOSSES", "Problem", "UFMInputError", "__version__"]
