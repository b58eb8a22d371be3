"""Compiling the appendix with ``latexmk -pdf``.

The ``.tex`` files are copied into a temporary directory, compiled there (so the
auxiliary files never clutter the output directory) and the PDF is moved next to the
``.tex`` atomically.  Without ``latexmk`` on ``PATH`` :class:`LatexmkMissing` is raised
(the CLI turns it into exit code 2 with the Debian packages to install).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ufm_sym.appendix.templating import latex_environment
from ufm_sym.atomic_write import atomic_write_bytes

__all__ = ["INSTALL_HINT", "LatexCompileError", "LatexmkMissing", "compile_pdf", "latexmk",
           "overfull_boxes"]

INSTALL_HINT = ("latexmk was not found on PATH; install the Debian packages "
                "`latexmk texlive-latex-extra` (apt-get install latexmk texlive-latex-extra)")
TIMEOUT_S = 600


class LatexmkMissing(RuntimeError):
    """``latexmk`` is not on ``PATH``."""

    def __str__(self) -> str:
        return INSTALL_HINT


class LatexCompileError(RuntimeError):
    """LaTeX failed; the message quotes the first error of the log."""


def latexmk() -> str | None:
    """The path of ``latexmk`` on ``PATH``, or ``None``."""
    return shutil.which("latexmk")


def overfull_boxes(log: str) -> list[tuple[float, str]]:
    r"""The overfull boxes a LaTeX log reports: ``(points too wide or high, the log
    line)``, widest first.

    >>> overfull_boxes("Overfull \\hbox (0.5pt too wide) in paragraph at lines 1--2\n"
    ...                "Overfull \\vbox (12.25pt too high) has occurred")[0][0]
    12.25
    """
    found = [(float(m.group(1)), m.group(0)) for m in re.finditer(
        r"^Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too (?:wide|high)\).*$", log, re.M)]
    return sorted(found, reverse=True)


def _first_error(log: str) -> str:
    for line in log.splitlines():
        if line.startswith("!") or re.match(r"^[^:\s]+\.tex:\d+:", line):
            return line.strip()
    return "see the log"


def compile_pdf(tex: str | os.PathLike[str], pdf: str | os.PathLike[str] | None = None, *,
                preamble: str | os.PathLike[str] | None = None,
                timeout: float = TIMEOUT_S,
                log_to: str | os.PathLike[str] | None = None) -> Path:
    """Compile ``tex`` to ``pdf`` (default: next to it, suffix ``.pdf``).

    With ``preamble`` (a ``--body-only`` appendix) a wrapper document inputs the
    preamble file and the body.  On failure the LaTeX log is copied next to the PDF
    (``.log``) and :class:`LatexCompileError` names the first error.  With ``log_to``
    the log of a successful run is copied there too (the tests read its overfull
    boxes).
    """
    exe = latexmk()
    if exe is None:
        raise LatexmkMissing()
    tex = Path(tex)
    pdf = Path(pdf) if pdf is not None else tex.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="ufm-sym-latex-") as tmp:
        work = Path(tmp)
        shutil.copyfile(tex, work / tex.name)
        main = tex.name
        if preamble is not None:
            preamble = Path(preamble)
            shutil.copyfile(preamble, work / preamble.name)
            wrapper = latex_environment().get_template("pdf-wrapper.tex.j2").render(
                preamble=preamble.stem, body=tex.stem)
            main = "ufm-sym-document.tex"
            (work / main).write_text(wrapper, encoding="utf-8")
        cmd = [exe, "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
               "-quiet", main]
        try:
            proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise LatexCompileError(f"latexmk took longer than {timeout:g} s") from None
        built = work / (Path(main).stem + ".pdf")
        if proc.returncode != 0 or not built.exists():
            log_file = work / (Path(main).stem + ".log")
            log = log_file.read_text(errors="replace") if log_file.exists() else \
                proc.stdout + proc.stderr
            log_out = pdf.with_suffix(".log")
            atomic_write_bytes(log_out, log.encode("utf-8"))
            raise LatexCompileError(f"latexmk failed ({_first_error(log)}); log: {log_out}")
        if log_to is not None:
            log_file = work / (Path(main).stem + ".log")
            atomic_write_bytes(log_to, log_file.read_bytes() if log_file.exists() else b"")
        atomic_write_bytes(pdf, built.read_bytes())
    return pdf
