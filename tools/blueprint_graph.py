"""Draw the dependency graph of a rendered blueprint as an image (for the README).

    python tools/blueprint_graph.py BLUEPRINT/web/dep_graph_document.html docs/blueprint-graph.png

plasTeX's leanblueprint page draws its graph in the browser from a Graphviz ``dot``
source embedded in the page; this takes that source and lays it out with pygraphviz
(installed with leanblueprint), left to right so that it fits a page.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def dot_source(html: str) -> str:
    """The ``dot`` source that the dependency-graph page renders."""
    m = re.search(r"renderDot\(`(.*?)`\)", html, re.S)
    if not m:
        raise ValueError("no renderDot(`...`) graph in the page")
    return m.group(1)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    import pygraphviz

    graph = pygraphviz.AGraph(dot_source(Path(argv[0]).read_text(encoding="utf-8")))
    graph.graph_attr.update(rankdir="LR", bgcolor="white", dpi="90", ranksep="0.35",
                            nodesep="0.12")
    graph.node_attr.update(fontname="DejaVu Sans Mono", fontsize="11", penwidth="1.2")
    graph.layout("dot")
    graph.draw(argv[1], format=Path(argv[1]).suffix.lstrip("."))
    print(f"wrote {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
