"""Ball arithmetic (python-flint): rigorous statements about the UFM at concrete
instances.  :mod:`~ufm_sym.certify.inertia` counts Hessian eigenvalues below a
threshold from ball products; :mod:`~ufm_sym.certify.flint_util` holds the lazy
import and conversions the ball code shares.
"""

from ufm_sym.certify.inertia import EIG_METHODS, Spectrum, certify_inertia, hessian_spectrum

__all__ = ["EIG_METHODS", "Spectrum", "certify_inertia", "hessian_spectrum"]
