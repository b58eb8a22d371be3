r"""Jinja2 environments for the LaTeX templates and the HTML page.

The LaTeX templates (``ufm_sym/appendix/templates/*.tex.j2``) use delimiters that do
not collide with TeX's braces and percent signs:

==========================  ==========================
``\VAR{expr}``              a value
``\BLOCK{for x in xs}``     a statement
``\#{ ... }``               a comment
``%% for x in xs``          a line statement
``%# ...``                  a line comment
==========================  ==========================

Nothing is escaped automatically: text goes through the ``tex`` filter
(:func:`~ufm_sym.appendix.escape.latex_escape`), LaTeX printed from SymPy is inserted
as is.

>>> env = latex_environment()
>>> env.from_string(r"\textbf{\VAR{title|tex}}").render(title="50% of W_1")
'\\textbf{50\\% of W\\_1}'
"""

from __future__ import annotations

import functools

import jinja2

from ufm_sym.appendix.escape import latex_escape, latex_label, texttt

__all__ = ["html_environment", "latex_environment"]

_LOADER = jinja2.PackageLoader("ufm_sym.appendix", "templates")


@functools.lru_cache(maxsize=1)
def latex_environment() -> jinja2.Environment:
    """The environment of the LaTeX templates (LaTeX-safe delimiters, strict)."""
    env = jinja2.Environment(
        loader=_LOADER,
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_statement_prefix="%%", line_comment_prefix="%#",
        trim_blocks=True, lstrip_blocks=True, autoescape=False,
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["tex"] = latex_escape
    env.filters["texttt"] = texttt
    env.filters["texlabel"] = latex_label
    return env


@functools.lru_cache(maxsize=1)
def html_environment() -> jinja2.Environment:
    """The environment of the HTML templates (HTML autoescaping)."""
    return jinja2.Environment(loader=_LOADER, autoescape=True, trim_blocks=True,
                              lstrip_blocks=True, undefined=jinja2.StrictUndefined)
