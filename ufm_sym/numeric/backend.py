"""One array backend interface for the float64 kernels (NumPy, PyTorch or CuPy).

The kernels in :mod:`ufm_sym.numeric.kernels` are written once against the Python
array API standard through ``array_api_compat``.  A :class:`Backend` names the array
library and the device, and converts arrays to and from it.  NumPy is the default and
needs nothing else; PyTorch and CuPy are imported only when asked for, with a clear
:class:`~ufm_sym.model.UFMInputError` when they are missing or when ``cuda`` is asked
for without a GPU.

>>> be = get_backend("numpy")
>>> be.name, be.device
('numpy', 'cpu')
>>> x = be.asarray([[1, 2], [3, 4]])
>>> x.dtype.name, be.to_numpy(x).tolist()
('float64', [[1.0, 2.0], [3.0, 4.0]])
>>> get_backend("jax")
Traceback (most recent call last):
...
ufm_sym.model.UFMInputError: backend: unknown backend 'jax' (expected one of: numpy, torch, cupy)
>>> get_backend("numpy", device="cuda")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ufm_sym.model.UFMInputError: device: the numpy backend runs on the CPU only ...
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ufm_sym.model import UFMInputError

BACKENDS: tuple[str, ...] = ("numpy", "torch", "cupy")
DEVICES: tuple[str, ...] = ("cpu", "cuda", "auto")

_INSTALL_HINT = {
    "torch": "pip install torch (CPU wheels: pip install torch --index-url "
             "https://download.pytorch.org/whl/cpu)",
    "cupy": "pip install cupy-cuda12x (needs an NVIDIA GPU and CUDA 12)",
}


def _import_optional(module: str, backend: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UFMInputError(
            f"backend: {backend!r} needs the optional package {backend!r}, which is not "
            f"installed ({_INSTALL_HINT[backend]})"
        ) from None


def _compat_namespace(backend: str) -> Any:
    try:
        return importlib.import_module(f"array_api_compat.{backend}")
    except ImportError:
        raise UFMInputError(
            f"backend: {backend!r} needs the package 'array-api-compat' "
            "(pip install array-api-compat)"
        ) from None


@dataclass(frozen=True)
class Backend:
    """An array library plus a device; the float64 kernels run on it.

    Attributes: ``name`` (``numpy``, ``torch`` or ``cupy``), ``device`` (``cpu`` or
    ``cuda``, resolved), ``xp`` (the array-API namespace from ``array_api_compat``)
    and ``native`` (the library module itself).
    """

    name: str
    device: str
    xp: Any = field(repr=False, compare=False)
    native: Any = field(repr=False, compare=False)

    # ------------------------------------------------------------ devices
    @property
    def device_object(self) -> Any:
        """The device as the library spells it (``None`` for NumPy and CuPy)."""
        if self.name == "torch":
            return self.native.device(self.device)
        return None

    @property
    def dtype(self) -> Any:
        return self.xp.float64

    def describe(self) -> str:
        return f"{self.name} ({self.device})"

    # --------------------------------------------------------- conversion
    def asarray(self, x: Any) -> Any:
        """``x`` as a float64 array of this backend on its device (no copy if it already is)."""
        if self.name == "numpy":
            if _is_foreign_array(x):
                x = _foreign_to_numpy(x)
            return np.asarray(x, dtype=np.float64)
        if self.name == "torch":
            torch = self.native
            if isinstance(x, torch.Tensor):
                return x.to(dtype=torch.float64, device=self.device_object)
            if _is_foreign_array(x):
                x = _foreign_to_numpy(x)
            return torch.as_tensor(np.asarray(x, dtype=np.float64), device=self.device_object)
        cp = self.native
        if isinstance(x, cp.ndarray):
            return x.astype(cp.float64, copy=False)
        if _is_foreign_array(x):
            x = _foreign_to_numpy(x)
        return cp.asarray(np.asarray(x, dtype=np.float64))

    def to_numpy(self, x: Any) -> np.ndarray:
        """``x`` (an array of any supported backend) as a float64 NumPy array."""
        return _foreign_to_numpy(x) if _is_foreign_array(x) else np.asarray(x, dtype=np.float64)

    def zeros(self, shape: tuple[int, ...]) -> Any:
        return self.xp.zeros(shape, dtype=self.xp.float64, device=self.device_object)

    def eye(self, n: int) -> Any:
        return self.xp.eye(n, dtype=self.xp.float64, device=self.device_object)

    def synchronize(self) -> None:
        """Wait for queued GPU work (for timings); a no-op on the CPU."""
        if self.device == "cuda":
            if self.name == "torch":
                self.native.cuda.synchronize()
            else:
                self.native.cuda.Device().synchronize()


def _is_foreign_array(x: Any) -> bool:
    mod = type(x).__module__
    return mod.startswith("torch") or mod.startswith("cupy")


def _foreign_to_numpy(x: Any) -> np.ndarray:
    mod = type(x).__module__
    if mod.startswith("torch"):
        return x.detach().to("cpu").double().numpy()
    if mod.startswith("cupy"):
        return np.asarray(x.get(), dtype=np.float64)
    return np.asarray(x, dtype=np.float64)


_CACHE: dict[tuple[str, str], Backend] = {}


def get_backend(name: str | Backend | None = "numpy", device: str = "cpu") -> Backend:
    """The backend ``name`` on ``device`` (``cpu``, ``cuda`` or ``auto``).

    ``auto`` picks ``cuda`` when the library sees a GPU and ``cpu`` otherwise (CuPy
    is GPU-only).  Raises :class:`~ufm_sym.model.UFMInputError` for an unknown name,
    a missing optional package, or ``cuda`` without a GPU.
    """
    if isinstance(name, Backend):
        return name
    name = "numpy" if name is None else str(name).strip().lower()
    device = str(device).strip().lower()
    if name not in BACKENDS:
        raise UFMInputError(
            f"backend: unknown backend {name!r} (expected one of: {', '.join(BACKENDS)})"
        )
    if device not in DEVICES:
        raise UFMInputError(
            f"device: unknown device {device!r} (expected one of: {', '.join(DEVICES)})"
        )
    key = (name, device)
    if key in _CACHE:
        return _CACHE[key]
    if name == "numpy":
        if device == "cuda":
            raise UFMInputError(
                "device: the numpy backend runs on the CPU only "
                "(use --backend torch or cupy for cuda)"
            )
        be = Backend("numpy", "cpu", _compat_namespace("numpy"), np)
    elif name == "torch":
        torch = _import_optional("torch", "torch")
        has_cuda = bool(torch.cuda.is_available())
        if device == "cuda" and not has_cuda:
            raise UFMInputError(
                "device: cuda was asked for, but PyTorch sees no CUDA GPU "
                "(use --device cpu or --device auto)"
            )
        resolved = "cuda" if (device == "cuda" or (device == "auto" and has_cuda)) else "cpu"
        be = Backend("torch", resolved, _compat_namespace("torch"), torch)
    else:
        if device == "cpu":
            raise UFMInputError(
                "device: the cupy backend runs on a CUDA GPU only (use --device cuda or auto)"
            )
        cp = _import_optional("cupy", "cupy")
        try:
            ok = cp.cuda.runtime.getDeviceCount() > 0
        except Exception:  # noqa: BLE001 - any CUDA failure means no usable GPU
            ok = False
        if not ok:
            raise UFMInputError("device: cuda was asked for, but CuPy sees no CUDA GPU")
        be = Backend("cupy", "cuda", _compat_namespace("cupy"), cp)
    _CACHE[key] = be
    return be


def backend_of(*arrays: Any) -> Backend:
    """The backend an array belongs to (NumPy for lists and other array-likes).

    >>> backend_of([1.0, 2.0]).name
    'numpy'
    """
    for x in arrays:
        mod = type(x).__module__
        if mod.startswith("torch"):
            dev = "cuda" if x.device.type == "cuda" else "cpu"
            return get_backend("torch", dev)
        if mod.startswith("cupy"):
            return get_backend("cupy", "cuda")
    return get_backend("numpy", "cpu")


def available_backends() -> list[tuple[str, str]]:
    """(backend, device) pairs usable on this machine, NumPy first."""
    out = [("numpy", "cpu")]
    for name, dev in (("torch", "cpu"), ("torch", "cuda"), ("cupy", "cuda")):
        try:
            get_backend(name, dev)
        except UFMInputError:
            continue
        out.append((name, dev))
    return out
