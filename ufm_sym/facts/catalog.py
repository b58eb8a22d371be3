"""The section "The facts" of ``docs/facts.md``, generated from :data:`ufm_sym.facts.FACTS`
(title, printed statement, reference, how it is tested), so that the page stays in step
with the library and with the LaTeX printer.

``python -m ufm_sym.facts.catalog docs/facts.md`` rewrites that section in place (the
text above the heading ``## The facts`` is kept); ``tests/test_facts.py`` checks that the
page holds exactly :func:`catalog_markdown`.

>>> text = catalog_markdown()
>>> text.startswith(SECTION) and "### `rank-product`" in text
True
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["SECTION", "catalog_markdown", "update_page"]

SECTION = "## The facts\n"
"""The heading the generated section starts with."""


def catalog_markdown() -> str:
    """One entry per fact, in the registry's order."""
    from ufm_sym.facts import FACTS

    out = [SECTION]
    for name, f in FACTS.items():
        out.append(f"\n### `{name}`\n\n{f.title}.\n\n$$\n{f.latex()}\n$$\n\n"
                   f"- **Reference:** {f.reference}.\n- **Tested:** {f.tested}\n")
    return "".join(out)


def update_page(path: str | Path) -> bool:
    """Rewrite the section of the page at ``path``; ``True`` when it changed."""
    path = Path(path)
    text = path.read_text()
    head, found, _ = text.partition(SECTION)
    if not found:
        raise ValueError(f"{path}: no heading {SECTION.strip()!r}")
    new = head + catalog_markdown()
    path.write_text(new)
    return new != text


if __name__ == "__main__":  # pragma: no cover
    for page in sys.argv[1:] or ["docs/facts.md"]:
        print(f"{page}: {'updated' if update_page(page) else 'unchanged'}")
