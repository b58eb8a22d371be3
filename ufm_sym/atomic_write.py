"""Atomic file writing: a file is either the old one or the complete new one.

The text is written to a temporary file in the same directory, flushed to disk and
moved over the target with :func:`os.replace` (atomic on POSIX and Windows); if
anything fails the temporary file is removed and the target is untouched.

The new file gets the permissions an ordinary ``open(path, "w")`` would give it: those
of the file it replaces, or ``0o666`` less the process umask for a new file (0644 under
the usual umask 022), not the 0600 of :func:`tempfile.mkstemp`.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = atomic_write_text(d / "a.tex", "hello")
>>> (d / "a.tex").read_text(), sorted(p.name for p in d.iterdir())
('hello', ['a.tex'])
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from ufm_sym.model import UFMInputError

__all__ = ["atomic_write_bytes", "atomic_write_text", "ensure_writable_dir", "new_file_mode"]


def current_umask() -> int:
    """The process umask (read from ``/proc`` where there is one, so that it is never
    changed, even for an instant; else set and restored)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(target: str | os.PathLike[str]) -> int:
    """The permission bits a rewrite of ``target`` gets: those of the existing file,
    else ``0o666 & ~umask``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> oct(new_file_mode(d / "new.tex")) == oct(0o666 & ~current_umask())
    True
    >>> (d / "old.tex").write_text("x"); (d / "old.tex").chmod(0o640)
    1
    >>> oct(new_file_mode(d / "old.tex"))
    '0o640'
    """
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same directory, then
    :func:`os.replace`), with the permissions of :func:`new_file_mode`.  Returns the
    path."""
    target = Path(path)
    mode = new_file_mode(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.",
                               suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def ensure_writable_dir(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """Create the directory ``path`` if needed and check that a file can be created in
    it; otherwise raise :class:`UFMInputError` naming ``option`` and the path."""
    d = Path(path)
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".ufm-sym-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UFMInputError(f"{option}: cannot write to {str(path)!r} ({reason})") from None
    return d
