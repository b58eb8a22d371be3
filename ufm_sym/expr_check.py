"""Former home of the checker of ``ufm-sym check``, now the package :mod:`ufm_sym.check`
(one module per job); every public name is re-exported here for existing imports.

>>> from ufm_sym.expr_check import check_identity
>>> check_identity.__module__
'ufm_sym.check.run'
"""

from ufm_sym.check import *  # noqa: F403
from ufm_sym.check import __all__  # noqa: F401
