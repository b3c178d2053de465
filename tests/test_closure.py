"""The materialised ancestor closure (kg.closure): exact quads on a tiny hierarchy, and the corpus
queries that join on it answer what the property paths answered."""

import pyoxigraph as ox
import rdflib

from kg import closure, ontology_build
from kg.query import run_named, run_sparql
from kg.resources import ontology_dir

OBO = "http://purl.obolibrary.org/obo/"
TKG = "https://w3id.org/trialkg/ontology/"
SUB = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
REF = ox.NamedNode("https://w3id.org/trialkg/graph/reference")
DOC = ox.NamedNode("https://w3id.org/trialkg/graph/record/test/1")


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(OBO + local)


def tiny_store() -> ox.Store:
    """A diamond (D under B and C, both under A), E with a basis in D, and F used by nothing."""
    store = ox.Store()
    store.extend([
        ox.Quad(n("B"), SUB, n("A"), REF), ox.Quad(n("C"), SUB, n("A"), REF),
        ox.Quad(n("D"), SUB, n("B"), REF), ox.Quad(n("D"), SUB, n("C"), REF),
        ox.Quad(n("E"), closure.BASIS, n("D"), REF), ox.Quad(n("F"), SUB, n("A"), REF),
        ox.Quad(ox.NamedNode("https://w3id.org/trialkg/id/study/x"), ox.NamedNode(TKG + "studiesCondition"), n("D"), DOC),
        ox.Quad(ox.NamedNode("https://w3id.org/trialkg/id/study/x"), ox.NamedNode(TKG + "studiesCondition"), n("E"), DOC),
    ])
    return store


def closure_rows(store: ox.Store) -> set[tuple[str, str, str]]:
    return {(q.subject.value.removeprefix(OBO), q.predicate.value.removeprefix(TKG), q.object.value.removeprefix(OBO))
            for q in store.quads_for_pattern(None, None, None, closure.GRAPH) if q.subject != closure.GRAPH}


def test_tiny_hierarchy_gives_exactly_the_expected_closure():
    store = tiny_store()
    count = closure.materialise_closure(store)
    assert closure_rows(store) == {
        ("D", "hasAncestor", "D"), ("D", "hasAncestor", "B"), ("D", "hasAncestor", "C"), ("D", "hasAncestor", "A"),
        ("E", "hasAncestor", "E"),
        ("D", "hasAncestorOrBasis", "D"), ("D", "hasAncestorOrBasis", "B"), ("D", "hasAncestorOrBasis", "C"),
        ("D", "hasAncestorOrBasis", "A"),
        ("E", "hasAncestorOrBasis", "E"), ("E", "hasAncestorOrBasis", "D"), ("E", "hasAncestorOrBasis", "B"),
        ("E", "hasAncestorOrBasis", "C"), ("E", "hasAncestorOrBasis", "A"),
    }
    assert count == len(closure_rows(store)) + len(closure.description())


def test_unused_classes_get_no_rows_and_no_edge_goes_down():
    store = tiny_store()
    closure.materialise_closure(store)
    rows = closure_rows(store)
    assert {s for s, _, _ in rows} == {"D", "E"}  # F, A, B, C are used by nothing
    assert ("D", "hasAncestor", "E") not in rows and ("B", "hasAncestor", "D") not in rows
    assert not any(s == "A" and o != "A" for s, _, o in rows)


def test_closure_describes_its_source_and_is_the_same_when_run_again():
    store = tiny_store()
    closure.materialise_closure(store)
    first = set(store.quads_for_pattern(None, None, None, closure.GRAPH))
    derived = {q.object for q in store.quads_for_pattern(closure.GRAPH, ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom"), None, closure.GRAPH)}
    assert REF in derived
    closure.materialise_closure(store)
    assert set(store.quads_for_pattern(None, None, None, closure.GRAPH)) == first


def test_closure_follows_edits_of_the_hierarchy():
    store = tiny_store()
    closure.materialise_closure(store)
    store.remove(ox.Quad(n("D"), SUB, n("C"), REF))
    closure.materialise_closure(store)
    rows = closure_rows(store)
    assert ("D", "hasAncestor", "C") not in rows and ("D", "hasAncestor", "A") in rows


def test_a_cycle_through_has_basis_in_ends():
    store = tiny_store()
    store.add(ox.Quad(n("D"), closure.BASIS, n("E"), REF))
    closure.materialise_closure(store)
    rows = closure_rows(store)
    assert ("D", "hasAncestorOrBasis", "E") in rows and ("E", "hasAncestorOrBasis", "A") in rows


def test_condition_properties_are_the_ontology_properties_whose_range_is_condition():
    tbox = ontology_build.load_tbox(ontology_dir() / "trialkg.ttl")
    ranged = {str(p) for p in tbox.subjects(rdflib.RDFS.range, rdflib.URIRef(TKG + "Condition"))}
    derived = {TKG + "hasBasisIn", TKG + "hasAncestor", TKG + "hasAncestorOrBasis"}
    assert ranged - derived == {p.value for p in closure.CONDITION_PROPERTIES}


PATHS = """PREFIX tkg: <https://w3id.org/trialkg/ontology/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?c ?a WHERE { ?s tkg:studiesCondition ?c . ?c %s ?a }"""


def test_corpus_closure_equals_the_property_paths(corpus_store):
    for path, prop in (("rdfs:subClassOf*", "tkg:hasAncestor"), ("(rdfs:subClassOf|tkg:hasBasisIn)*", "tkg:hasAncestorOrBasis")):
        walked = set(run_sparql(corpus_store, PATHS % path).rows)
        joined = set(run_sparql(corpus_store, PATHS % prop).rows)
        assert walked == joined and walked


# The headline's rows on the corpus before the rewrite onto the closure (study, drug, approval, condition).
HEADLINE_BEFORE = """PREFIX tkg: <https://w3id.org/trialkg/ontology/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX obo: <http://purl.obolibrary.org/obo/>
SELECT DISTINCT ?study ?drug ?approval ?indication ?condition WHERE {
  ?study tkg:testsDrug ?drug . ?drug tkg:hasApproval ?approval .
  ?approval tkg:approvedIndication ?indication ; tkg:approvingAgency ?agencyNode .
  ?indication rdfs:subClassOf* obo:MONDO_0009693 .
  ?study tkg:studiesCondition ?condition .
  ?condition (rdfs:subClassOf|tkg:hasBasisIn)* obo:MONDO_0007179 .
  FILTER NOT EXISTS { ?condition rdfs:subClassOf* obo:MONDO_0009693 }
  ?approval <http://purl.org/dc/terms/source> ?src .
  ?record tkg:describesStudy ?study ; tkg:fileName ?document .
}"""


def test_headline_returns_the_rows_the_property_paths_returned(corpus_store):
    res = run_named(corpus_store, "repurposing-evidence", {"approvedClass": "MONDO:0009693", "studiedClass": "MONDO:0007179"})
    cols = [res.variables.index(v) for v in ("study", "drug", "approval", "indication", "condition")]
    now = {tuple(r[i] for i in cols) for r in res.rows}
    before = set(run_sparql(corpus_store, HEADLINE_BEFORE).rows)
    assert now == before and len({r[0] for r in now}) == 2
