"""Graph analytics with networkx: explanation paths between two entities, and graph statistics.

Paths are searched in the whole entity graph (documents, reference data and the
disease hierarchy), ignoring edge direction, so that "daratumumab" reaches
"systemic lupus erythematosus" through its target, a study, a publication or
the hierarchy; each hop is printed with the predicate's label and direction.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TextIO

import networkx as nx
import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, NamespaceManager

from kg.iri import REFERENCE_GRAPH
from kg.namespace import TKG
from kg.query import CURIE_PREFIXES, Results, run_sparql
from kg.viz import Vocabulary, describe, entity_graph, resolve_entity, vocabulary

# Paths tried before giving up on finding k of them (Yen's algorithm can be slow on hubs).
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Hop:
    """One edge of a path, walked either along (forward) or against its direction."""

    source: str
    predicate: str
    label: str
    forward: bool
    target: str


@dataclass(frozen=True)
class Stats:
    """Counts per class and per predicate (SPARQL), and the most connected entities (networkx)."""

    classes: list[tuple[str, int]]
    predicates: list[tuple[str, int]]
    most_connected: list[tuple[str, str, int]]
    reference_kinds: list[tuple[str, int]] = field(default_factory=list)
    reference_sources: list[tuple[str, str, int]] = field(default_factory=list)


def explanation_graph(store: ox.Store) -> nx.MultiDiGraph:
    """Documents, reference data and hierarchy edges; nodes not yet described (cheap)."""
    return entity_graph(store, hierarchy=True, reference=True, annotated=False)


def _undirected(graph: nx.MultiDiGraph) -> nx.Graph:
    """One undirected edge per linked pair, remembering each (source, predicate, target)."""
    flat = nx.Graph()
    for s, o, p in graph.edges(keys=True):
        if flat.has_edge(s, o):
            flat[s][o]["triples"].append((s, p, o))
        else:
            flat.add_edge(s, o, triples=[(s, p, o)])
    return flat


def _hops(flat: nx.Graph, nodes: list[str], vocab: Vocabulary) -> list[Hop]:
    hops = []
    for a, b in zip(nodes, nodes[1:]):
        s, p, o = sorted(flat[a][b]["triples"])[0]
        hops.append(Hop(a, p, vocab.predicate_label(p), s == a, b))
    return hops


def find_paths(store: ox.Store, a: str, b: str, k: int = 3) -> list[list[Hop]]:
    """Up to ``k`` shortest simple paths between two entities (labels, CURIEs or IRIs), shortest first.

    Raises:
        ValueError: an entity is unknown or has no edge.
    """
    start, goal = resolve_entity(store, a), resolve_entity(store, b)
    flat = _undirected(explanation_graph(store))
    for value, key in ((a, start), (b, goal)):
        if key not in flat:
            raise ValueError(f"{value!r} ({key}) has no edge in the graph")
    vocab = vocabulary(store)
    return [_hops(flat, nodes, vocab) for nodes in islice(_simple_paths(flat, start, goal), k)]


def _simple_paths(flat: nx.Graph, start: str, goal: str) -> Iterator[list[str]]:
    try:
        yield from islice(nx.shortest_simple_paths(flat, start, goal), MAX_CANDIDATES)
    except nx.NetworkXNoPath:
        return


def _name(store: ox.Store, vocab: Vocabulary, key: str, cache: dict[str, str]) -> str:
    if key not in cache:
        info = describe(store, vocab, key)
        cache[key] = f"{info['display']} [{info['kind']}]"
    return cache[key]


def format_paths(store: ox.Store, paths: list[list[Hop]]) -> str:
    """One block per path: the start, then one line per hop ("--label-->" or "<--label--")."""
    if not paths:
        return "no path"
    vocab, lines = vocabulary(store), []
    names: dict[str, str] = {}
    for i, path in enumerate(paths, start=1):
        lines.append(f"path {i} ({len(path)} hops): {_name(store, vocab, path[0].source, names)}")
        for hop in path:
            arrow = f"--{hop.label}-->" if hop.forward else f"<--{hop.label}--"
            lines.append(f"    {arrow} {_name(store, vocab, hop.target, names)}")
    return "\n".join(lines)


def shortest_paths(store: ox.Store, a: str, b: str, k: int = 3, out: TextIO | None = None) -> list[list[Hop]]:
    """Print (and return) up to ``k`` shortest explanation paths between two entities."""
    paths = find_paths(store, a, b, k)
    (out or sys.stdout).write(format_paths(store, paths) + "\n")
    return paths


# ---------------------------------------------------------------- statistics

CLASS_COUNTS = "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class"
PREDICATE_COUNTS = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) ?p"
# Reference entities (drugs, targets, mechanisms, approvals, MONDO classes...) of the reference graph by
# kind, and by kind and source key (the local name of the dcterms:source node, as in sources.tsv).
REFERENCE_KINDS = f"""SELECT ?kind (COUNT(DISTINCT ?e) AS ?n)
WHERE {{ GRAPH <{REFERENCE_GRAPH}> {{ ?e a ?kind }} }} GROUP BY ?kind ORDER BY DESC(?n) ?kind"""
REFERENCE_SOURCES = f"""SELECT ?kind ?source (COUNT(DISTINCT ?e) AS ?n)
WHERE {{ GRAPH <{REFERENCE_GRAPH}> {{ ?e a ?kind ; <{DCTERMS.source}> ?s }}
        BIND(REPLACE(STR(?s), "^.*/", "") AS ?source) }}
GROUP BY ?kind ?source ORDER BY ?kind DESC(?n) ?source"""


def _namespaces() -> NamespaceManager:
    manager = NamespaceManager(Graph())  # rdflib's defaults: rdf, rdfs, owl, skos, dcterms, prov...
    manager.bind("tkg", URIRef(str(TKG._NS)), replace=True)
    for prefix, base in CURIE_PREFIXES.items():
        manager.bind(prefix, URIRef(base), override=False)
    return manager


def compact(value: str, manager: NamespaceManager | None = None) -> str:
    """An IRI as a CURIE when a prefix is known (tkg:Study, rdf:type), else the IRI."""
    try:
        return (manager or _namespaces()).normalizeUri(URIRef(value)).strip("<>")
    except ValueError:
        return value


def _counts(res: Results) -> list[tuple[str, int]]:
    manager = _namespaces()
    return [(compact(name.value, manager), int(n.value)) for name, n in res.rows if name is not None and n is not None]


def most_connected(store: ox.Store, top: int = 10) -> list[tuple[str, str, int]]:
    """(IRI, label, degree) of the ``top`` nodes of highest degree in the explanation graph."""
    graph = explanation_graph(store)
    vocab = vocabulary(store)
    ranked = sorted(graph.degree, key=lambda nd: (-nd[1], nd[0]))[:top]
    return [(key, describe(store, vocab, key)["display"], degree) for key, degree in ranked]


def reference_sources(store: ox.Store) -> list[tuple[str, str, int]]:
    """(kind, source key, entities) over the reference graph."""
    manager = _namespaces()
    return [(compact(kind.value, manager), source.value, int(n.value))
            for kind, source, n in run_sparql(store, REFERENCE_SOURCES).rows
            if kind is not None and source is not None and n is not None]


def compute_stats(store: ox.Store, top: int = 10) -> Stats:
    return Stats(_counts(run_sparql(store, CLASS_COUNTS)), _counts(run_sparql(store, PREDICATE_COUNTS)),
                 most_connected(store, top), _counts(run_sparql(store, REFERENCE_KINDS)), reference_sources(store))


def format_stats(stats: Stats) -> str:
    lines = ["instances per class:"]
    lines += [f"  {n:>7}  {name}" for name, n in stats.classes]
    lines.append("triples per predicate:")
    lines += [f"  {n:>7}  {name}" for name, n in stats.predicates]
    lines.append("most connected entities (degree):")
    lines += [f"  {d:>7}  {label}  <{key}>" for key, label, d in stats.most_connected]
    lines.append("reference entities per kind:")
    lines += [f"  {n:>7}  {name}" for name, n in stats.reference_kinds]
    lines.append("reference entities per kind and source:")
    lines += [f"  {n:>7}  {kind}  {source}" for kind, source, n in stats.reference_sources]
    return "\n".join(lines)


def stats(store: ox.Store, top: int = 10, out: TextIO | None = None) -> Stats:
    """Print (and return) counts per class and per predicate and the most connected entities."""
    result = compute_stats(store, top)
    (out or sys.stdout).write(format_stats(result) + "\n")
    return result


def results_frame(results: Results):
    """A query's results as a pandas DataFrame of plain strings (None for unbound)."""
    import pandas as pd

    rows = [[None if t is None else t.value for t in row] for row in results.rows]
    return pd.DataFrame(rows, columns=list(results.variables))
