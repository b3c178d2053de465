"""Interactive views of the graph: networkx graphs of the store, written as self-contained pyvis pages.

Three views share one page writer (:func:`write_view`):

* the corpus: everything the documents say, plus the reference entities one hop
  out of a document's entity (a tested drug's mechanism, target and approvals),
  without ontology terms, evidence nodes, ``rdf:type`` edges, literals or the
  MONDO hierarchy;
* the neighbourhood of one entity (``focus``, given as a label, CURIE or IRI);
* the subgraph behind the rows of a named query, with the hierarchy path from
  each studied condition up to the class the query rolls up to.

Pages open from a file with the network off: vis-network is inlined, the
external links pyvis's template adds are removed, a Content-Security-Policy
forbids any fetch, and every text from the data reaches the page either as
JSON (escaped by jinja's ``tojson``, shown by vis-network as text) or through
:func:`html.escape` (docs/decisions/0003-views.md).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import networkx as nx
import pyoxigraph as ox
from pyvis.network import Network
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from kg import iri
from kg.explain import AUTOIMMUNE, MYELOMA, hierarchy_path
from kg.namespace import TKG
from kg.query import Results, resolve_param, run_named, run_sparql

MAX_NODES = 500
# Enough for 500 nodes to settle in a few seconds; physics is switched off afterwards.
STABILISATION_ITERATIONS = 250
LABEL_LENGTH = 28
TOOLTIP_LENGTH = 600


@dataclass(frozen=True)
class Style:
    """How one kind of node is drawn and named in the legend."""

    colour: str
    shape: str
    legend: str
    size: int = 16
    font: int = 12


# Kind of node -> look. The order is the priority when a node has several types:
# an unlinked mention is also typed by its role, and must read as a mention.
STYLES: dict[str, Style] = {
    "UnlinkedMention": Style("#f1f3f4", "dot", "unlinked mention (not in reference data)", 14, 16),
    "Study": Style("#d62728", "star", "study", 30, 30),
    "Drug": Style("#1f77b4", "dot", "drug", 16, 20),
    "Target": Style("#2ca02c", "triangle", "target", 16, 18),
    "MechanismOfAction": Style("#9acd32", "triangleDown", "mechanism of action", 13, 14),
    "Condition": Style("#ff7f0e", "diamond", "condition", 16, 18),
    "Approval": Style("#e6b800", "square", "regulatory approval", 12, 11),
    "Organization": Style("#9467bd", "hexagon", "organization", 16, 16),
    "Publication": Style("#8c564b", "square", "publication", 13, 15),
    "RegistryRecord": Style("#17becf", "square", "registry record", 13, 14),
    "Arm": Style("#aec7e8", "triangle", "arm", 12),
    "Intervention": Style("#ffbb78", "triangleDown", "intervention", 12),
    "EligibilityCriterion": Style("#e377c2", "dot", "eligibility criterion", 8, 10),
    "Outcome": Style("#98df8a", "dot", "outcome", 8, 10),
    "MedDRATerm": Style("#c5b0d5", "diamond", "MedDRA term", 10, 10),
    "CellType": Style("#ff9896", "triangle", "cell type", 12),
    "Other": Style("#bdbdbd", "dot", "other", 10, 11),
}
# Ontology classes whose instances (or instances of a subclass) take each kind.
KIND_CLASSES: dict[str, tuple] = {
    "UnlinkedMention": (TKG.UnlinkedMention,),
    "Study": (TKG.Study,),
    "Drug": (TKG.Drug, TKG.DrugClass, TKG.Placebo),
    "Target": (TKG.Target,),
    "MechanismOfAction": (TKG.MechanismOfAction,),
    "Condition": (TKG.Condition,),
    "Approval": (TKG.Approval,),
    "Organization": (TKG.Organization,),
    "Publication": (TKG.Publication,),
    "RegistryRecord": (TKG.RegistryRecord,),
    "Arm": (TKG.Arm,),
    "Intervention": (TKG.Intervention,),
    "EligibilityCriterion": (TKG.EligibilityCriterion,),
    "Outcome": (TKG.Outcome,),
    "MedDRATerm": (TKG.MedDRATerm,),
    "CellType": (TKG.CellType,),
}
# Legend glyph of each vis-network shape.
SHAPE_GLYPHS = {"dot": "\u25cf", "star": "\u2605", "triangle": "\u25b2", "triangleDown": "\u25bc",
                "diamond": "\u25c6", "square": "\u25a0", "hexagon": "\u2b22"}

# Edges never drawn: typing, reification and provenance plumbing, links to sources
# and cross-references (identifiers are folded into the tooltip instead).
HIDDEN_PREDICATES = frozenset(str(p) for p in (
    RDF.type, RDF.subject, RDF.predicate, RDF.object, TKG.evidenceFor, PROV.wasDerivedFrom,
    DCTERMS.source, TKG.hasIdentifier, SKOS.closeMatch, SKOS.exactMatch, OWL.sameAs))
# The disease hierarchy: hidden by default, shown on the way up in query views and paths.
HIERARCHY_PREDICATES = frozenset(str(p) for p in (RDFS.subClassOf, TKG.hasBasisIn))
# Predicates the TrialKG ontology does not label itself.
EXTRA_PREDICATE_LABELS = {str(RDFS.subClassOf): "subclass of"}
# Where a node's name comes from, best first.
LABEL_PREDICATES = tuple(str(p) for p in (
    RDFS.label, DCTERMS.title, TKG.criterionText, TKG.citationText, TKG.mentionText, TKG.identifierValue))
# Literal properties shown as identifiers in tooltips.
IDENTIFIER_PREDICATES = tuple(str(p) for p in (TKG.geneSymbol, TKG.doi, TKG.pmid, TKG.meddraCode))
# OWL's own typing, which says nothing to a reader of the graph.
UNSHOWN_TYPES = frozenset(str(t) for t in (OWL.Class, OWL.NamedIndividual))
RECORD_GRAPHS = iri.GRAPH + "record/"
HIDDEN_BY_DEFAULT = ("ontology classes and terms, evidence nodes, rdf:type edges, literals, "
                     "the MONDO hierarchy and reference entities more than one hop from a document")


class ViewTooLarge(ValueError):
    """A view with more nodes than the cap: narrow it rather than draw a hairball."""


@dataclass(frozen=True)
class ViewStats:
    """What :func:`write_view` wrote."""

    path: Path
    title: str
    nodes: int
    edges: int
    kinds: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """A graph ready to draw, with its heading."""

    title: str
    subtitle: str
    graph: nx.MultiDiGraph


# ---------------------------------------------------------------- reading the store


@dataclass(frozen=True)
class Vocabulary:
    """What the store's ontology graph says, and which document each graph came from."""

    terms: frozenset[str]
    labels: dict[str, str]
    kinds: dict[str, str]
    files: dict[str, str]

    def predicate_label(self, predicate: str) -> str:
        return self.labels.get(predicate) or EXTRA_PREDICATE_LABELS.get(predicate) or _local_name(predicate)


def vocabulary(store: ox.Store) -> Vocabulary:
    """Ontology terms, their English labels, class -> kind, and graph -> document file name."""
    onto = ox.NamedNode(str(iri.ONTOLOGY_GRAPH))
    terms = frozenset(q.subject.value for q in store.quads_for_pattern(None, None, None, onto)
                      if isinstance(q.subject, ox.NamedNode))
    labels = _english({(q.subject.value, q.object) for q in store.quads_for_pattern(
        None, ox.NamedNode(str(RDFS.label)), None, onto)
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal)})
    files = {q.graph_name.value: q.object.value
             for q in store.quads_for_pattern(None, ox.NamedNode(str(TKG.fileName)), None, None)
             if isinstance(q.graph_name, ox.NamedNode) and isinstance(q.object, ox.Literal)}
    return Vocabulary(terms, labels, _kinds(store), files)


def _kinds(store: ox.Store) -> dict[str, str]:
    """Class IRI -> kind, through rdfs:subClassOf* (MONDO classes fall under tkg:Condition)."""
    kinds: dict[str, str] = {}
    query = "SELECT DISTINCT ?t ?k WHERE { ?t <%s>* ?k }" % RDFS.subClassOf
    for kind in reversed(list(KIND_CLASSES)):  # higher priority kinds written last win
        for cls in KIND_CLASSES[kind]:
            rows = run_sparql(store, query, {"k": ox.NamedNode(str(cls))}).rows
            kinds.update({t.value: kind for t, _ in rows if isinstance(t, ox.NamedNode)})
    return kinds


def _english(pairs: Iterable[tuple[str, ox.Literal]]) -> dict[str, str]:
    """Subject -> its English (or untagged) label; the alphabetically first one when several."""
    out: dict[str, str] = {}
    for subject, lit in sorted(pairs, key=lambda p: (p[0], p[1].language not in ("en", None), p[1].value)):
        out.setdefault(subject, lit.value)
    return out


def _local_name(value: str) -> str:
    local = re.split(r"[/#]", value.rstrip("/#"))[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).lower()


def _key(term) -> str:
    return "_:" + term.value if isinstance(term, ox.BlankNode) else term.value


def _term(key: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(key[2:]) if key.startswith("_:") else ox.NamedNode(key)


@dataclass
class Scan:
    """The drawable edges of the store, sorted by where they come from.

    ``corpus`` holds every node that occurs in a document graph; ``facts`` the
    links to ontology terms (phase, status, arm role, registry) that are shown
    in the tooltip instead of as nodes.
    """

    document: set[tuple[str, str, str]] = field(default_factory=set)
    reference: set[tuple[str, str, str]] = field(default_factory=set)
    corpus: set[str] = field(default_factory=set)
    facts: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


def scan(store: ox.Store, vocab: Vocabulary) -> Scan:
    """One pass over the document and reference graphs."""
    out = Scan()
    for q in store.quads_for_pattern(None, None, None, None):
        graph = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        is_doc = graph.startswith(RECORD_GRAPHS)
        if not is_doc and graph != str(iri.REFERENCE_GRAPH):
            continue
        s, p, o = _key(q.subject), q.predicate.value, q.object
        if is_doc:
            out.corpus.update((s,) if isinstance(o, ox.Literal) else (s, _key(o)))
        if isinstance(o, ox.Literal) or p in HIDDEN_PREDICATES or s in vocab.terms:
            continue
        if _key(o) in vocab.terms:
            out.facts.setdefault(s, set()).add((p, _key(o)))
            continue
        (out.document if is_doc else out.reference).add((s, p, _key(o)))
    return out


def _bare(edges: Iterable[tuple[str, str, str]]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for s, p, o in sorted(edges):
        graph.add_edge(s, o, key=p, predicate=p)
    return graph


# ---------------------------------------------------------------- node and edge attributes


def describe(store: ox.Store, vocab: Vocabulary, key: str, facts: Iterable[tuple[str, str]] = ()) -> dict:
    """The attributes of one node: label, kind, types, identifiers, documents, sources, tooltip."""
    term = _term(key)
    found: dict[str, list] = {}
    graphs: set[str] = set()
    for q in store.quads_for_pattern(term, None, None, None):
        found.setdefault(q.predicate.value, []).append(q.object)
        graphs.add(_key(q.graph_name) if not isinstance(q.graph_name, ox.DefaultGraph) else "")
    graphs |= {_key(q.graph_name) for q in store.quads_for_pattern(None, None, term, None)
               if not isinstance(q.graph_name, ox.DefaultGraph)}
    types = sorted(o.value for o in found.get(str(RDF.type), []) if isinstance(o, ox.NamedNode))
    named = _label(found, key)
    info: dict[str, Any] = {
        "iri": key, "named": named, "label": named or _fallback_label(key), "kind": _kind(vocab, key, types),
        "types": sorted({vocab.labels.get(t, _local_name(t)) for t in types if t not in UNSHOWN_TYPES}),
        "identifiers": _identifiers(store, found, key),
        "documents": sorted({vocab.files[g] for g in graphs if g in vocab.files}),
        "reference": str(iri.REFERENCE_GRAPH) in graphs,
        "sources": sorted({o.value.rstrip("/").rsplit("/", 1)[-1] for o in found.get(str(DCTERMS.source), [])}),
        "facts": sorted(f"{vocab.predicate_label(p)}: {vocab.labels.get(o, _local_name(o))}" for p, o in facts),
        "acronym": next((o.value for o in found.get(str(TKG.acronym), [])), ""),
    }
    info["display"] = _display_name(info)
    info["label"] = named or info["display"]
    info["short"] = _short(info["display"])
    info["tooltip"] = tooltip(info)
    return info


def _label(found: dict[str, list], key: str) -> str:
    for pred in LABEL_PREDICATES:
        lits = [o for o in found.get(pred, []) if isinstance(o, ox.Literal)]
        if lits:
            return _english((key, lit) for lit in lits)[key]
    return ""


def _fallback_label(key: str) -> str:
    return unquote(key.rstrip("/").rsplit("/", 1)[-1]) if not key.startswith("_:") else key


def _kind(vocab: Vocabulary, key: str, types: list[str]) -> str:
    kinds = {vocab.kinds[t] for t in types if t in vocab.kinds}
    if key in vocab.kinds and key not in vocab.terms:
        kinds.add(vocab.kinds[key])  # a class drawn as a node: a MONDO disease
    return next((k for k in STYLES if k in kinds), "Other")


def _identifiers(store: ox.Store, found: dict[str, list], key: str) -> list[str]:
    out = []
    for ident in found.get(str(TKG.hasIdentifier), []):
        out += [q.object.value for q in store.quads_for_pattern(ident, ox.NamedNode(str(TKG.identifierValue)), None)
                if isinstance(q.object, ox.Literal)]
    out += [o.value for p in IDENTIFIER_PREDICATES for o in found.get(p, [])]
    out += [f"{prefix}:{key[len(base):]}" for prefix, base in iri.CURIE_BASES.items() if key.startswith(base)]
    return sorted(set(out), key=lambda v: (not v.startswith("NCT"), v))


def _display_name(info: dict) -> str:
    """The node's on-canvas name: studies by acronym or registry id, records by their document."""
    document = next(iter(info["documents"]), "")
    if info["kind"] == "Study":
        return info["acronym"] or next(iter(info["identifiers"]), "") or info["named"] or f"study in {document}"
    if info["kind"] == "RegistryRecord" and document:
        return f"record: {document}"
    return info["label"]


def _short(text: str, length: int = LABEL_LENGTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "\u2026"


def tooltip(info: dict) -> str:
    """Plain text (vis-network shows string titles as text, never as HTML)."""
    lines = [_short(info["label"], TOOLTIP_LENGTH)]
    kind = STYLES[info["kind"]].legend
    subtypes = [t for t in info["types"] if t not in kind]
    lines.append(f"type: {kind}" + (f" ({', '.join(subtypes)})" if subtypes else ""))
    if info["identifiers"]:
        lines.append("identifiers: " + ", ".join(info["identifiers"]))
    lines += info["facts"]
    if info["documents"]:
        lines.append("source document: " + ", ".join(info["documents"]))
    if info["reference"]:
        lines.append("reference data" + (f" (sources: {', '.join(info['sources'])})" if info["sources"] else ""))
    lines.append(info["iri"])
    return "\n".join(lines)


def annotate(store: ox.Store, vocab: Vocabulary, graph: nx.MultiDiGraph,
             facts: dict[str, set[tuple[str, str]]] | None = None) -> nx.MultiDiGraph:
    """Give every node its description and every edge its predicate's label (in place)."""
    for key in graph.nodes:
        graph.nodes[key].update(describe(store, vocab, key, (facts or {}).get(key, ())))
    for _, _, data in graph.edges(data=True):
        data["label"] = vocab.predicate_label(data["predicate"])
    return graph


# ---------------------------------------------------------------- graphs


def entity_graph(store: ox.Store, hierarchy: bool = False, reference: bool = True,
                 annotated: bool = True) -> nx.MultiDiGraph:
    """Every drawable edge of the documents (and of the reference data), as a networkx graph.

    Args:
        store: the TrialKG store.
        hierarchy: keep rdfs:subClassOf and "has basis in" edges.
        reference: keep the reference graph's edges.
        annotated: describe nodes and label edges (slower on a large graph).
    """
    vocab = vocabulary(store)
    found = scan(store, vocab)
    edges = found.document | (found.reference if reference else set())
    graph = _bare(e for e in edges if hierarchy or e[1] not in HIERARCHY_PREDICATES)
    return annotate(store, vocab, graph, found.facts) if annotated else graph


def corpus_graph(store: ox.Store) -> nx.MultiDiGraph:
    """What the documents say, with the reference entities one hop out of a document's entity.

    Reference edges are kept when they leave a node that occurs in a document
    (drug -> mechanism, target, approval), then among the nodes so reached
    (mechanism -> target, approval -> indication); the hierarchy is left out.
    """
    vocab = vocabulary(store)
    found = scan(store, vocab)
    flat = {e for e in found.reference if e[1] not in HIERARCHY_PREDICATES}
    doc = {e for e in found.document if e[1] not in HIERARCHY_PREDICATES}
    touching = {e for e in flat if e[0] in found.corpus}
    nodes = {n for s, _, o in doc | touching for n in (s, o)}
    among = {e for e in flat if e[0] in nodes and e[2] in nodes}
    return annotate(store, vocab, _bare(doc | touching | among), found.facts)


# Names a label is looked up in, as kg.query.resolve_param does.
NAME_PREDICATES = (RDFS.label, SKOS.altLabel, TKG.abbreviation, TKG.geneSymbol)
LABEL_CANDIDATES = "SELECT DISTINCT ?x ?wanted WHERE { ?x %s ?l . FILTER(LCASE(STR(?l)) = LCASE(STR(?wanted))) }" % (
    "|".join(f"<{p}>" for p in NAME_PREDICATES))


def resolve_entity(store: ox.Store, value: str) -> str:
    """A label, CURIE or IRI -> the IRI it names; ValueError when nothing is named so.

    When a label names several nodes ("systemic lupus erythematosus" is a MONDO
    disease and a MedDRA term), the one of the highest-priority kind in
    :data:`STYLES` wins, rather than the first IRI in alphabetical order.
    """
    term = resolve_param(store, value)
    if not isinstance(term, ox.NamedNode):
        raise ValueError(f"no entity labelled {value!r}; give a label, a CURIE (MONDO:0007915) or an IRI")
    rows = run_sparql(store, LABEL_CANDIDATES, {"wanted": ox.Literal(value)}).rows
    candidates = sorted({x.value for x, _ in rows if isinstance(x, ox.NamedNode)})
    if len(candidates) < 2:
        return term.value
    vocab, order = vocabulary(store), list(STYLES)
    return min(candidates, key=lambda key: order.index(describe(store, vocab, key)["kind"]))


def neighbourhood(store: ox.Store, entity: str, depth: int = 2) -> nx.MultiDiGraph:
    """Nodes within ``depth`` hops of the entity (either direction), hierarchy left out."""
    key = resolve_entity(store, entity)
    vocab = vocabulary(store)
    found = scan(store, vocab)
    bare = _bare(e for e in found.document | found.reference if e[1] not in HIERARCHY_PREDICATES)
    if key not in bare:
        raise ValueError(f"{entity!r} ({key}) has no edge in the graph to draw")
    graph = nx.MultiDiGraph(nx.ego_graph(bare, key, radius=depth, undirected=True))
    graph.graph["focus"] = key
    annotate(store, vocab, graph, found.facts)
    graph.nodes[key]["focus"] = True
    return graph


# Columns of a query row rolled up the hierarchy: column -> (column naming the goal,
# default goal, follow "has basis in"), the defaults of the headline query (kg.explain).
ROLLUP_COLUMNS = {"condition": ("studiedClass", AUTOIMMUNE, True),
                  "indication": ("approvedClass", MYELOMA, False)}


def rollup_paths(store: ox.Store, results: Results) -> set[tuple[str, str, str]]:
    """Edges of the hierarchy paths from each row's condition (and indication) up to its goal class."""
    edges: set[tuple[str, str, str]] = set()
    for values in results.rows:
        row = dict(zip(results.variables, values))
        for column, (goal_column, default, basis) in ROLLUP_COLUMNS.items():
            start, goal = row.get(column), row.get(goal_column) or default
            if not isinstance(start, ox.NamedNode) or not isinstance(goal, ox.NamedNode):
                continue
            node = start
            for kind, parent in hierarchy_path(store, start, goal, basis) or []:
                pred = RDFS.subClassOf if kind == "subClassOf" else TKG.hasBasisIn
                edges.add((node.value, str(pred), parent.value))
                node = parent
    return edges


def query_graph(store: ox.Store, name: str, params: dict[str, str] | None = None) -> tuple[nx.MultiDiGraph, Results]:
    """The IRIs in a named query's rows, the edges among them, and the hierarchy paths of the rows."""
    results = run_named(store, name, params)
    vocab = vocabulary(store)
    found = scan(store, vocab)
    path_edges = rollup_paths(store, results)
    nodes = {t.value for row in results.rows for t in row if isinstance(t, ox.NamedNode)}
    nodes |= {n for s, _, o in path_edges for n in (s, o)}
    bare = _bare(found.document | found.reference | path_edges)
    graph = nx.MultiDiGraph(bare.subgraph(nodes & set(bare)))
    graph.add_nodes_from(sorted(nodes - set(bare)))
    return annotate(store, vocab, graph, found.facts), results


def triples_graph(store: ox.Store, triples: Iterable[tuple]) -> nx.MultiDiGraph:
    """Any CONSTRUCT result (subject, predicate, object rows) as a graph, nodes described from the store.

    Literal objects are not nodes: they are in each node's description already.
    """
    vocab = vocabulary(store)
    edges = {(_key(s), p.value, _key(o)) for s, p, o in triples if not isinstance(o, ox.Literal)}
    return annotate(store, vocab, _bare(edges))


def view_graph(store: ox.Store, focus: str | None = None, depth: int = 2, query: str | None = None,
               params: dict[str, str] | None = None) -> View:
    """The graph of one view (corpus, focus or query) with its heading."""
    if focus and query:
        raise ValueError("give either a focus or a query, not both")
    if focus:
        graph = neighbourhood(store, focus, depth)
        label = graph.nodes[graph.graph["focus"]]["label"]
        return View(f"Neighbourhood of {_short(label, 80)} (depth {depth})",
                    "Nodes within that many hops, either direction; the MONDO hierarchy is hidden.", graph)
    if query:
        graph, results = query_graph(store, query, params)
        return View(f"Query {query}: {len(results.rows)} rows",
                    "The entities in the rows, the edges among them, and each condition's path up the hierarchy.",
                    graph)
    return View("TrialKG corpus graph", f"Hidden by default: {HIDDEN_BY_DEFAULT}.", corpus_graph(store))


def check_size(view: View, max_nodes: int, focus: str | None = None, depth: int = 2) -> None:
    """ViewTooLarge with the way to narrow the view when it has more than ``max_nodes`` nodes."""
    n = view.graph.number_of_nodes()
    if n <= max_nodes:
        return
    if focus and depth > 1:
        hint = f"--focus {focus!r} --depth {depth - 1}"
    else:
        hint = "--focus ENTITY --depth 1, or --query NAME (see `trialkg query --list`)"
    raise ViewTooLarge(f"the view has {n} nodes, more than the cap of {max_nodes}: "
                       f"narrow it with {hint}, or raise --max-nodes")


# ---------------------------------------------------------------- the page

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
