"""Writing the appendix files: ``appendix.tex`` (and ``ufm-sym-preamble.tex`` with
``body_only``), atomically, and optionally ``appendix.pdf``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ufm_sym.appendix.render import PREAMBLE_NAME, render_appendix, render_preamble
from ufm_sym.atomic_write import atomic_write_text, ensure_writable_dir
from ufm_sym.claims import Registry, Report

__all__ = ["TEX_NAME", "AppendixFiles", "write_appendix"]

TEX_NAME = "appendix.tex"


@dataclass
class AppendixFiles:
    """What was written: the ``.tex``, the preamble file (body-only) and the PDF."""

    tex: Path
    preamble: Path | None = None
    pdf: Path | None = None


def write_appendix(out_dir: str | os.PathLike[str], registry: Registry,
                   report: Report | None = None, labels: Sequence[str] | None = None, *,
                   body_only: bool = False, pdf: bool = False,
                   label_prefix: str = "ufm:") -> AppendixFiles:
    """Render the appendix and write it into ``out_dir`` (created if needed).

    Everything is rendered in memory first; each file is then replaced atomically, so
    a failed run leaves the previous files (or none), never a half-written one.  With
    ``pdf`` the written ``.tex`` is compiled (:func:`~ufm_sym.appendix.pdf.compile_pdf`;
    it raises :class:`~ufm_sym.appendix.pdf.LatexmkMissing` *after* the ``.tex`` is
    written).
    """
    out = ensure_writable_dir(out_dir)
    tex_text = render_appendix(registry, report, labels, body_only=body_only,
                               label_prefix=label_prefix)
    preamble_text = render_preamble() if body_only else None
    files = AppendixFiles(tex=out / TEX_NAME)
    if preamble_text is not None:
        files.preamble = atomic_write_text(out / PREAMBLE_NAME, preamble_text)
    atomic_write_text(files.tex, tex_text)
    if pdf:
        from ufm_sym.appendix.pdf import compile_pdf

        files.pdf = compile_pdf(files.tex, out / "appendix.pdf", preamble=files.preamble)
    return files
