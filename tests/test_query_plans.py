"""The query library's shape for Oxigraph's planner: parameters bound in every WHERE (sub-selects
included), and label parameters resolved by index lookups as the full scan resolved them."""

import pyoxigraph as ox

from kg.query import _labelled, bind_values, named_queries, resolve_param, select, values_clause

SCAN = """SELECT DISTINCT ?x ?wanted WHERE {
  ?x <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#altLabel>|
     <https://w3id.org/trialkg/ontology/abbreviation>|<https://w3id.org/trialkg/ontology/geneSymbol> ?l .
  FILTER(LCASE(STR(?l)) = LCASE(STR(?wanted))) } ORDER BY ?x"""


def test_parameters_are_bound_inside_sub_selects():
    term = ox.NamedNode("http://purl.obolibrary.org/obo/MONDO_0009693")
    text = named_queries()["drug-repurposing"].text
    bound = bind_values(text, {"approvedClass": term})
    assert bound.count(values_clause({"approvedClass": term})) == text.count("WHERE {") == 3


def test_label_lookup_finds_what_the_scan_finds(corpus_store):
    for value in ("rituximab", "Rituximab", "CD38", "cd38", "AP-HP", "plasma cell myeloma", "Plasma Cell Myeloma"):
        scanned = [r["x"] for r in select(corpus_store, SCAN, {ox.Variable("wanted"): ox.Literal(value)}, union=True)]
        assert scanned, value
        assert resolve_param(corpus_store, value) == scanned[0], value
        assert _labelled(corpus_store, value), value
