"""The disease hierarchy's ancestor closure, materialised in its own named graph.

Queries that asked ``?c rdfs:subClassOf* ?x`` or ``?c (rdfs:subClassOf|tkg:hasBasisIn)* ?x`` walked
the 23,000-class MONDO hierarchy at query time, once per solution; at 10,000 studies that is what made
the library slow. The classes the graph *uses* (objects of the condition-valued properties) are a few
thousand, each with a few dozen ancestors, so the whole answer fits in some 10^5 triples:

    ?c tkg:hasAncestor ?x          # ?c rdfs:subClassOf* ?x
    ?c tkg:hasAncestorOrBasis ?x   # ?c (rdfs:subClassOf|tkg:hasBasisIn)* ?x

Both are reflexive, as the ``*`` paths are, so a query joining on them returns what the path returned,
for every subject that is a used condition. The graph is derived: it is replaced whole, after a build
that changed something (``materialise_closure``), and compares equal for the same input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyoxigraph as ox

from kg import iri
from kg.namespace import TKG as _TKG

TKG = str(_TKG)  # the namespace, generated from the ontology
SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
BASIS = ox.NamedNode(TKG + "hasBasisIn")
HAS_ANCESTOR = ox.NamedNode(TKG + "hasAncestor")
HAS_ANCESTOR_OR_BASIS = ox.NamedNode(TKG + "hasAncestorOrBasis")
GRAPH = ox.NamedNode(str(iri.CLOSURE_GRAPH))
# Every property of the ontology whose range is tkg:Condition (tests/test_closure.py checks the list
# against ontology/trialkg.ttl): their objects are the classes queries start a hierarchy walk from.
# tkg:hasBasisIn is left out: its objects are ancestors already, never a starting point.
CONDITION_PROPERTIES = tuple(ox.NamedNode(TKG + p) for p in (
    "approvedFor", "approvedIndication", "investigatedFor", "mentionsCondition",
    "reportedUseFor", "reportsCondition", "studiesCondition", "textMentionsCondition"))

_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_DESCRIPTION = ox.NamedNode("http://purl.org/dc/terms/description")
_SOURCE = ox.NamedNode("http://purl.org/dc/terms/source")
_DERIVED = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
_VOID_DATASET = ox.NamedNode("http://rdfs.org/ns/void#Dataset")

# Classes are handled as IRI strings until the quads are written: hashing and comparing str is
# several times faster than pyoxigraph terms, and a walk touches each edge many times.
Parents = Callable[[str], Iterable[str]]


def ancestors(node: str, parents: Parents, memo: dict[str, frozenset[str]]) -> frozenset[str]:
    """``node`` and everything above it: a depth-first walk, remembered per start node.

    A walk per start node rather than a recursion over the parents' memoised sets: MONDO's
    subClassOf is acyclic, but subClassOf together with "has basis in" need not be, and a
    memoised recursion would return a cycle's partial set. The used classes are a few thousand
    with a few dozen ancestors each, so the walks cost milliseconds.
    """
    if node in memo:
        return memo[node]
    seen, todo = {node}, [node]
    while todo:
        for parent in parents(todo.pop()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    memo[node] = frozenset(seen)
    return memo[node]


def parent_lookup(store: ox.Store, predicate: ox.NamedNode) -> Parents:
    """Node -> its parents over ``predicate`` in every graph but the closure's own, looked up once.

    Looked up per node as the walks reach it, not read whole: the walks reach the ancestors of the
    used classes only (under 2,000 of MONDO's 23,000 classes for the corpus), and reading all 44,000
    edges costs more than the lookups. Every graph, because the queries read the union: MONDO's
    edges are in the reference graph, but tkg:Condition's own superclasses are in the ontology's.
    """
    cache: dict[str, tuple[str, ...]] = {}

    def parents(node: str) -> tuple[str, ...]:
        found = cache.get(node)
        if found is None:
            quads = store.quads_for_pattern(ox.NamedNode(node), predicate, None, None)
            found = cache[node] = tuple(sorted({q.object.value for q in quads
                                                if type(q.object) is ox.NamedNode and q.graph_name != GRAPH}))
        return found

    return parents


def used_conditions(store: ox.Store) -> set[str]:
    """IRIs in object position of a condition-valued property, in any graph.

    Unlinked condition nodes are included: ``?c rdfs:subClassOf* ?c`` holds for them too. One
    SELECT DISTINCT rather than reading the quads: at 10,000 studies the properties have 80,000
    statements but 1,100 distinct objects, and only those cross into Python (0.3 s against 1.9 s).
    """
    properties = " ".join(str(p) for p in CONDITION_PROPERTIES)
    query = f"SELECT DISTINCT ?c WHERE {{ VALUES ?p {{ {properties} }} GRAPH ?g {{ ?s ?p ?c }} FILTER(isIRI(?c)) }}"
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return {row[0].value for row in solutions}


def closure_triples(used: Iterable[str], subclass: Parents, basis: Parents) -> set[tuple[str, str, str]]:
    """(class, property, ancestor) IRIs of the ``used`` classes: the closure without its description."""
    def either(node: str) -> Iterable[str]:
        return (*subclass(node), *basis(node))

    memo_sub: dict[str, frozenset[str]] = {}
    memo_either: dict[str, frozenset[str]] = {}
    sub, or_basis = HAS_ANCESTOR.value, HAS_ANCESTOR_OR_BASIS.value
    triples = {(c, sub, a) for c in used for a in ancestors(c, subclass, memo_sub)}
    triples |= {(c, or_basis, a) for c in used for a in ancestors(c, either, memo_either)}
    return triples


def closure_quads(triples: Iterable[tuple[str, str, str]]) -> list[ox.Quad]:
    """The closure graph: ``triples`` and the graph's description, one NamedNode object per IRI."""
    nodes: dict[str, ox.NamedNode] = {}

    def node(value: str) -> ox.NamedNode:
        found = nodes.get(value)
        if found is None:
            found = nodes[value] = ox.NamedNode(value)
        return found

    quads = [ox.Quad(node(s), node(p), node(o), GRAPH) for s, p, o in triples]
    return quads + [ox.Quad(s, p, o, GRAPH) for s, p, o in description()]


def description() -> list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]]:
    """What the graph is and what it is derived from; no timestamp or count, so equal input is equal output."""
    ref, onto = ox.NamedNode(str(iri.REFERENCE_GRAPH)), ox.NamedNode(str(iri.ONTOLOGY_GRAPH))
    return [
        (GRAPH, _RDF_TYPE, _VOID_DATASET),
        (GRAPH, _LABEL, ox.Literal("disease-hierarchy ancestor closure", language="en")),
        (GRAPH, _DESCRIPTION, ox.Literal(
            "Derived, not stated by any source: for every condition the graph uses, each of its ancestors "
            "over rdfs:subClassOf (tkg:hasAncestor) and over rdfs:subClassOf or tkg:hasBasisIn "
            "(tkg:hasAncestorOrBasis), itself included. Computed by kg.closure from the hierarchy of the "
            "reference and ontology graphs; replaced whole after every build.", language="en")),
        (GRAPH, _SOURCE, ref),
        (GRAPH, _DERIVED, ref),
        (GRAPH, _DERIVED, onto),
    ]


def materialise_closure(store: ox.Store) -> int:
    """Replace the closure graph with the closure of the store's current content; returns its quad count.

    Unchanged content is left alone (a rebuild of the same input writes nothing). Otherwise the graph is
    dropped and bulk-loaded: not one transaction, so a reader may briefly see a partial closure, but the
    graph is derived, a failed load is repaired by running this again, and the bulk loader halves the
    write time (0.5 s against 1.0 s for 28,000 quads at 10,000 studies).
    """
    triples = closure_triples(used_conditions(store), parent_lookup(store, SUBCLASS), parent_lookup(store, BASIS))
    quads = closure_quads(triples)
    if set(store.quads_for_pattern(None, None, None, GRAPH)) == set(quads):
        return len(quads)
    store.remove_graph(GRAPH)
    store.bulk_extend(quads)
    return len(quads)
