"""The views as networkx graphs: the corpus, an entity's neighbourhood, a named query's rows."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import pyoxigraph as ox
from rdflib.namespace import RDFS, SKOS

from kg.explain import AUTOIMMUNE, MYELOMA, evidence_rows, hierarchy_path
from kg.namespace import TKG
from kg.query import Results, resolve_param, run_named, run_sparql
from kg.viz.style import STYLES, HIERARCHY_PREDICATES, HIDDEN_BY_DEFAULT, ViewTooLarge, View
from kg.viz.nodes import vocabulary, _key, scan, _bare, describe, _short, annotate


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
    # tkg:approvedFor repeats hasApproval/approvedIndication in one hop: followed from every drug of the
    # documents it would draw every disease an EPAR names.
    flat = {e for e in found.reference if e[1] not in HIERARCHY_PREDICATES and e[1] != str(TKG.approvedFor)}
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


def rollup_paths(store: ox.Store, rows: list[dict]) -> set[tuple[str, str, str]]:
    """Edges of the hierarchy paths from each row's condition (and indication) up to its goal class."""
    edges: set[tuple[str, str, str]] = set()
    for row in rows:
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
    rows = evidence_rows(store, results)  # a study-drug row stands for its approvals and conditions
    path_edges = rollup_paths(store, rows)
    nodes = {t.value for row in rows for t in row.values() if isinstance(t, ox.NamedNode)}
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
