"""A test hook: the objective plus a narrow negative Gaussian bump around an orbit.

``discover`` must be able to fail: given an objective that *does* have a spurious local
minimum it must find it and call it ``spurious_local_min``.  :class:`OrbitBump` plants
one.  It is passed explicitly to the search (``discover(..., perturbation=bump)``)
and to the high-precision refinement and classification; nothing global is patched,
and a run without it never sees it.

The bump is ``-depth * exp(-phi(x) / (2 width^2))`` with

    phi(x) = ||W W^T - W_c W_c^T||_F^2 + ||H^T H - H_c^T H_c||_F^2
             + ||W H - W_c H_c||_F^2 + ||P (b - b_c)||^2

(``P`` centres ``b`` when ``b -> b + c 1_K`` is a symmetry, else ``P = I``).  ``phi``
is invariant under ``(W Q, Q^T H)`` (and the shift) and vanishes on the orbit of the
centre ``c``, so the perturbed objective keeps those symmetries of ``f`` and a minimum
it creates is an orbit of them, with the Hessian kernel the orbit's tangent space,
exactly like a minimum of ``f`` itself.  It does not keep the MSE class and sample
rotations (``W W^T`` and ``H^T H`` are not invariant under them), so
:attr:`OrbitBump.symmetries` names the parts of the group it keeps and
:func:`ufm_sym.discover.kinds.classify_perturbed` counts the orbit of those.  Value,
gradient and Hessian are written once on NumPy arrays and run
in float64 (``float`` arrays) or at high precision (``object`` arrays of ``mpf``); the
test suite checks them against finite differences.

>>> import numpy as np
>>> from ufm_sym import Problem
>>> p = Problem(loss="ce", K=2, n=1, d=2, lambda_W="0.1", lambda_H="0.1")
>>> c = np.arange(10.0) / 10
>>> bump = OrbitBump(p, c, depth=0.5, width=0.1)
>>> bump.value(c), round(bump.value(c + 1.0), 12)
(-0.5, -0.0)
>>> float(np.abs(bump.gradient(c)).max())
0.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import mpmath
import numpy as np

from ufm_sym.discover.symmetry import has_shift
from ufm_sym.model import Problem, UFMInputError

__all__ = ["OrbitBump"]


class OrbitBump:
    """``-depth * exp(-phi / (2 width^2))`` around the orbit of ``center`` (module
    docstring).  ``center`` is a flat vector (``W``, ``H`` row-major, then ``b``);
    ``value``, ``gradient`` and ``hessian`` take a flat float64 array or a sequence of
    ``mpf`` (then they compute at the current ``mpmath`` precision)."""

    symmetries: tuple[str, ...] = ("rotation", "shift")
    """The parts of :data:`ufm_sym.certify.orbit.PARTS` that ``f + bump`` keeps."""

    def __init__(self, problem: Problem, center: Sequence[float], depth: float,
                 width: float) -> None:
        c = np.asarray(center, dtype=np.float64)
        P = problem.K * problem.d + problem.d * problem.N + problem.K
        if c.shape != (P,) or not np.all(np.isfinite(c)):
            raise UFMInputError(f"center: expected {P} finite numbers")
        if not (depth > 0 and width > 0):
            raise UFMInputError("depth and width must be > 0")
        self.problem, self.center = problem, c
        self.depth, self.width = float(depth), float(width)
        K, d, N = problem.K, problem.d, problem.N
        self._cut = (K * d, K * d + d * N)
        Wc, Hc, self._bc = self._split(c)
        self._A, self._B, self._C = Wc @ Wc.T, Hc.T @ Hc, Wc @ Hc
        self._P = np.eye(K) - (np.ones((K, K)) / K if has_shift(problem) else 0.0)

    def describe(self) -> str:
        return (f"OrbitBump(depth={self.depth:g}, width={self.width:g}) around a chosen "
                "orbit (test hook)")

    # ------------------------------------------------------------ plumbing
    def _split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p, (a, c) = self.problem, self._cut
        return x[:a].reshape(p.K, p.d), x[a:c].reshape(p.d, p.N), x[c:]

    def _prepare(self, x: Any) -> tuple[np.ndarray, bool, Any]:
        """``(array, high, const)``: ``const`` converts the float64 constants."""
        if isinstance(x, np.ndarray) and x.dtype != object:
            return np.asarray(x, dtype=np.float64), False, lambda a: a
        arr = np.array([mpmath.mpf(t) for t in x], dtype=object)

        def const(a: Any) -> Any:
            if isinstance(a, np.ndarray):
                return np.vectorize(mpmath.mpf, otypes=[object])(a)
            return mpmath.mpf(a)
        return arr, True, const

    def _parts(self, x: np.ndarray, const: Any) -> dict[str, Any]:
        W, H, b = self._split(x)
        E1 = W @ W.T - const(self._A)
        E2 = H.T @ H - const(self._B)
        E3 = W @ H - const(self._C)
        Pm = const(self._P)
        Eb = Pm @ (b - const(self._bc))
        phi = (np.sum(E1 * E1) + np.sum(E2 * E2) + np.sum(E3 * E3) + np.sum(Eb * Eb))
        return {"W": W, "H": H, "E1": E1, "E2": E2, "E3": E3, "Eb": Eb, "P": Pm, "phi": phi}

    def _scale(self, phi: Any, high: bool) -> tuple[Any, Any]:
        """``(a e, 1 / (2 s^2))`` with ``e = exp(-phi / (2 s^2))``."""
        if high:
            inv = 1 / (2 * mpmath.mpf(self.width) ** 2)
            return mpmath.mpf(self.depth) * mpmath.exp(-phi * inv), inv
        inv = 1.0 / (2.0 * self.width ** 2)
        return self.depth * math.exp(-float(phi) * inv), inv

    def _grad_phi(self, q: dict[str, Any]) -> np.ndarray:
        W, H, E1, E2, E3 = q["W"], q["H"], q["E1"], q["E2"], q["E3"]
        gW = 4 * (E1 @ W) + 2 * (E3 @ H.T)
        gH = 4 * (H @ E2) + 2 * (W.T @ E3)
        gb = 2 * (q["P"] @ q["Eb"])
        return np.concatenate([gW.ravel(), gH.ravel(), gb])

    def _hvp_phi(self, q: dict[str, Any], v: np.ndarray) -> np.ndarray:
        W, H, E1, E2, E3 = q["W"], q["H"], q["E1"], q["E2"], q["E3"]
        dW, dH, db = self._split(v)
        dR = dW @ H + W @ dH
        hW = 4 * ((dW @ W.T + W @ dW.T) @ W + E1 @ dW) + 2 * (dR @ H.T + E3 @ dH.T)
        hH = 4 * (dH @ E2 + H @ (dH.T @ H + H.T @ dH)) + 2 * (dW.T @ E3 + W.T @ dR)
        hb = 2 * (q["P"] @ (q["P"] @ db))
        return np.concatenate([hW.ravel(), hH.ravel(), hb])

    # ------------------------------------------------------------ public
    def value(self, x: Any) -> Any:
        arr, high, const = self._prepare(x)
        ae, _ = self._scale(self._parts(arr, const)["phi"], high)
        return -ae

    def gradient(self, x: Any) -> Any:
        arr, high, const = self._prepare(x)
        q = self._parts(arr, const)
        ae, inv = self._scale(q["phi"], high)
        g = self._grad_phi(q) * (ae * inv)
        return list(g) if high else g

    def hvp(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The Hessian times ``v`` (float64)."""
        arr, high, const = self._prepare(x)
        q = self._parts(arr, const)
        ae, inv = self._scale(q["phi"], high)
        gp = self._grad_phi(q)
        return (self._hvp_phi(q, np.asarray(v)) - gp * (inv * float(gp @ v))) * (ae * inv)

    def hessian(self, x: Any) -> Any:
        arr, high, const = self._prepare(x)
        q = self._parts(arr, const)
        ae, inv = self._scale(q["phi"], high)
        gp = self._grad_phi(q)
        n = len(arr)
        zero, one = (mpmath.mpf(0), mpmath.mpf(1)) if high else (0.0, 1.0)
        cols = []
        for i in range(n):
            e = np.full(n, zero, dtype=object if high else np.float64)
            e[i] = one
            cols.append(self._hvp_phi(q, e))
        Hphi = np.array(cols, dtype=object if high else np.float64).T
        A = (Hphi - np.outer(gp, gp) * inv) * (ae * inv)
        A = (A + A.T) / 2
        return [list(row) for row in A] if high else A
