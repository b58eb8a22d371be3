"""The LaTeX appendix and the notebook views: the claims, printed from their SymPy
objects, with the evidence of a verification run.

- :func:`render_appendix` / :func:`render_preamble`: the LaTeX (Jinja2 templates in
  ``ufm_sym/appendix/templates``);
- :func:`write_appendix`: render and write atomically, optionally compile to PDF;
- :mod:`ufm_sym.appendix.notebook`: the same claims shown in Jupyter;
- ``python -m ufm_sym.appendix.strip_notebooks``: strip outputs from notebooks.
"""

from ufm_sym.appendix.escape import latex_escape, latex_label
from ufm_sym.appendix.render import (
    PREAMBLE_NAME,
    object_latex,
    render_appendix,
    render_preamble,
    statement_latex,
)
from ufm_sym.appendix.write import AppendixFiles, write_appendix

__all__ = [
    "PREAMBLE_NAME", "AppendixFiles", "latex_escape", "latex_label", "object_latex",
    "render_appendix", "render_preamble", "statement_latex", "write_appendix",
]
