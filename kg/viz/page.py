"""The page: a networkx view written as a self-contained pyvis page (docs/decisions/0005-views.md)."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
from pyvis.network import Network

from kg.viz.style import MAX_NODES, STABILISATION_ITERATIONS, STYLES, SHAPE_GLYPHS, ViewStats, View
from kg.viz.nodes import _local_name
from kg.viz.graphs import view_graph, check_size


VIS_OPTIONS = {
    "nodes": {"font": {"size": 14, "face": "Helvetica, Arial, sans-serif",
                       "strokeWidth": 3, "strokeColor": "#ffffff"},
              "borderWidth": 1},
    "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
              "color": {"color": "#a0a7ae", "highlight": "#202124", "hover": "#202124"},
              "font": {"size": 9, "color": "#5f6368", "strokeWidth": 3, "align": "middle"},
              "smooth": False, "width": 1},
    "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": True},
    "physics": {"solver": "forceAtlas2Based",
                "forceAtlas2Based": {"gravitationalConstant": -90, "centralGravity": 0.012,
                                     "springLength": 100, "springConstant": 0.08, "avoidOverlap": 0.5},
                "maxVelocity": 60, "minVelocity": 1.0, "timestep": 0.5,
                "stabilization": {"enabled": True, "iterations": STABILISATION_ITERATIONS,
                                  "updateInterval": 50, "fit": True}},
}
# Nothing may be fetched: scripts and styles are inline, images only data: URLs.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:; font-src data:; connect-src 'none'")
PAGE_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #202124; overflow: hidden; }
#mynetwork { box-sizing: border-box; }
#trialkg-header { padding: 8px 14px 4px; }
#trialkg-header h1 { font-size: 19px; margin: 0 0 2px; }
#trialkg-header p { font-size: 12px; color: #5f6368; margin: 0 0 4px; }
#trialkg-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; margin: 2px 0; }
#trialkg-legend .glyph { font-size: 16px; margin-right: 3px; -webkit-text-stroke: 0.6px #555; }
#trialkg-legend .mention .glyph { -webkit-text-stroke: 1px #666; }
.vis-tooltip { white-space: pre-wrap !important; max-width: 520px; font-size: 12px !important; }
"""
FREEZE_SCRIPT = """<script>
/* Layout done once: stop the simulation so the page stays still and cheap. */
if (typeof network !== "undefined" && network) {
  var freeze = function () { network.setOptions({physics: {enabled: false}}); };
  /* A small graph has settled already, inside the constructor. */
  if (network.physics && network.physics.ready) { freeze(); } else { network.once("stabilizationIterationsDone", freeze); }
}
</script>"""
_EXTERNAL = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>"
                       r"|<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I | re.S)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>", re.S)


def _vis_node(key: str, data: dict) -> dict:
    style = STYLES[data.get("kind", "Other")]
    node = {"label": data.get("short") or key, "title": data.get("tooltip", key), "shape": style.shape,
            "size": style.size, "color": style.colour, "font": {"size": style.font}}
    if data.get("kind") == "UnlinkedMention":
        node["color"] = {"background": style.colour, "border": "#5f6368"}
        node["shapeProperties"] = {"borderDashes": [4, 3]}
        node["borderWidth"] = 2
    if data.get("focus"):
        node.update(size=style.size * 2, borderWidth=4, font={"size": 30, "color": "#000000"})
        node["color"] = {"background": style.colour, "border": "#000000"}
    return node


def network(graph: nx.MultiDiGraph) -> Network:
    """The pyvis network of a described graph."""
    net = Network(height="max(420px, calc(100vh - 104px))", width="100%", directed=True,
                  cdn_resources="in_line", bgcolor="#ffffff")
    for key, data in graph.nodes(data=True):
        net.add_node(key, **_vis_node(key, data))
    for s, o, data in graph.edges(data=True):
        label = data.get("label") or _local_name(data["predicate"])
        net.add_edge(s, o, label=label, title=f"{label}\n{data['predicate']}")
    net.options = VIS_OPTIONS
    return net


def _render(net: Network) -> str:
    """pyvis's template, rendered with the link-popup mode off.

    ``Network.generate_html`` switches to a popup filled through innerHTML as
    soon as any title contains "href"; rendering the template here keeps
    titles as text whatever they say.
    """
    template = net.templateEnv.get_template(net.path)
    return template.render(height=net.height, width=net.width, nodes=net.nodes, edges=net.edges,
                           heading="", options=json.dumps(net.options), physics_enabled=True,
                           use_DOT=False, dot_lang="", widget=False, bgcolor=net.bgcolor, conf=False,
                           tooltip_link=False, neighborhood_highlight=False, select_menu=False,
                           filter_menu=False, notebook=False, cdn_resources="in_line")


def legend_html(graph: nx.MultiDiGraph) -> str:
    """One entry per kind present, with its count; everything escaped."""
    counts = Counter(data.get("kind", "Other") for _, data in graph.nodes(data=True))
    items = []
    for kind, style in STYLES.items():
        if counts[kind]:
            css = ' class="mention"' if kind == "UnlinkedMention" else ""
            glyph = SHAPE_GLYPHS.get(style.shape, SHAPE_GLYPHS["dot"])
            items.append(f'<span{css}><span class="glyph" style="color:{html.escape(style.colour)}">{glyph}</span>'
                         f'{html.escape(style.legend)} ({counts[kind]})</span>')
    return '<div id="trialkg-legend">' + "".join(items) + "</div>"


def header_html(view: View) -> str:
    g = view.graph
    counts = f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges. "
    return (f'<div id="trialkg-header"><h1>{html.escape(view.title)}</h1>'
            f"<p>{html.escape(counts + view.subtitle)} Hover a node for its type, identifiers and source; "
            f"scroll to zoom in on edge labels.</p>{legend_html(g)}</div>")


def finish_page(page: str, view: View) -> str:
    """Drop external resources, add the heading, legend, CSP and the physics freeze."""
    page = _EXTERNAL.sub("", page)
    page = _EMPTY_HEADING.sub("", page)
    head_end = page.rindex("</head>")
    head = (f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f"<title>{html.escape(view.title)}</title>\n<style>{PAGE_CSS}</style>\n")
    page = page[:head_end] + head + page[head_end:]
    body = page.index("<body>", page.rindex("</head>")) + len("<body>")
    page = page[:body] + "\n" + header_html(view) + page[body:]
    end = page.rindex("</body>")
    return page[:end] + FREEZE_SCRIPT + "\n" + page[end:]


def render_html(view: View) -> str:
    """The self-contained page of a view."""
    return finish_page(_render(network(view.graph)), view)


def write_view(store: ox.Store, output: str | Path, focus: str | None = None, depth: int = 2,
               query: str | None = None, max_nodes: int = MAX_NODES,
               params: dict[str, str] | None = None) -> ViewStats:
    """Write one self-contained HTML page: the corpus, the neighbourhood of ``focus``, or a query's rows.

    Raises:
        ViewTooLarge: more than ``max_nodes`` nodes; the message says how to narrow the view.
        ValueError: unknown entity or query, or both a focus and a query.
    """
    if query is not None and query not in _query_names():
        raise ValueError(f"no query named {query!r}; see trialkg query --list")
    view = view_graph(store, focus, depth, query, params)
    check_size(view, max_nodes, focus, depth)
    return write_graph(view, output)


def write_graph(view: View, output: str | Path) -> ViewStats:
    """Write the page of a view that is already drawn."""
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(view), encoding="utf-8")
    kinds = Counter(data["kind"] for _, data in view.graph.nodes(data=True))
    return ViewStats(path, view.title, view.graph.number_of_nodes(), view.graph.number_of_edges(), dict(kinds))


def _query_names() -> set[str]:
    from kg.query import named_queries

    return set(named_queries())


@dataclass(frozen=True)
class NotebookFrame:
    """A page shown inline by Jupyter: an iframe whose srcdoc is the (escaped) page."""

    page: str
    height: int = 650

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
                f'style="width:100%;height:{int(self.height)}px;border:1px solid #ddd"></iframe>')


def notebook_frame(path: str | Path, height: int = 650) -> NotebookFrame:
    """The page written at ``path``, to show inline in a notebook."""
    return NotebookFrame(Path(path).read_text(encoding="utf-8"), height)
