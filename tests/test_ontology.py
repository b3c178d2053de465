"""Ontology v1: generated files in sync, parsers, HermiT, shapes and violation queries."""

import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from kg import ontology_build
from kg.build import load_ontology_and_reference
from kg.namespace import TKG
from kg.resources import ontology_dir
from kg.store import open_store
from kg import validate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tbox():
    return ontology_build.load_tbox(ROOT / "ontology" / "trialkg.ttl")


@pytest.fixture(scope="module")
def reference_store():
    store = open_store(None)
    load_ontology_and_reference(store)
    return store


def test_owl_file_has_the_same_axioms_as_the_turtle_source(tbox):
    owl = rdflib.Graph().parse(ROOT / "ontology" / "trialkg.owl", format="xml")
    assert isomorphic(tbox, owl), "run: python -m kg.ontology_build"


def test_namespace_class_is_in_sync_with_the_ontology(tbox):
    generated = ontology_build.namespace_source(tbox)
    assert (ROOT / "kg" / "namespace.py").read_text(encoding="utf-8") == generated
    assert str(TKG.testsDrug) == "https://w3id.org/trialkg/ontology/testsDrug"
    with pytest.raises(AttributeError):
        TKG.notATerm  # noqa: B018 - the namespace is closed


def test_packaged_ontology_is_the_repository_one():
    assert (ontology_dir() / "trialkg.ttl").read_bytes() == (ROOT / "ontology" / "trialkg.ttl").read_bytes()


def test_ontology_parses_in_rdflib_pyoxigraph_and_matches_owl():
    assert [c.status for c in validate.check_parsers()] == ["ok", "ok", "ok"]


def test_placebo_is_declared_disjoint_with_drug(tbox):
    assert (TKG.Placebo, rdflib.OWL.disjointWith, TKG.Drug) in tbox


@pytest.mark.skipif(shutil.which("java") is None, reason="Java is absent: HermiT cannot run")
def test_hermit_finds_ontology_and_reference_consistent():
    checks = validate.check_reasoner()
    assert all(c.status == "ok" for c in checks), checks


@pytest.mark.skipif(shutil.which("java") is None, reason="Java is absent: HermiT cannot run")
def test_hermit_infers_a_monoclonal_antibody_is_a_drug():
    import owlready2

    world = owlready2.World()
    onto = world.get_ontology((ROOT / "ontology" / "trialkg.owl").as_uri()).load()
    with onto:
        mab = onto.MonoclonalAntibody("example_mab")
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert onto.Drug in mab.is_a or onto.Drug in mab.INDIRECT_is_a


def test_reasoner_check_degrades_without_java(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    [check] = validate.check_reasoner()
    assert check.status == "skip" and "Java" in check.detail


def test_shapes_accept_valid_and_reject_invalid_examples_with_their_message():
    checks = validate.check_examples()
    assert len(checks) >= 8
    assert all(c.status == "ok" for c in checks), [c for c in checks if c.status != "ok"]


def test_an_invalid_example_without_expected_message_is_an_error(tmp_path):
    bad = tmp_path / "x.ttl"
    bad.write_text("@prefix tkg: <https://w3id.org/trialkg/ontology/> .\n")
    with pytest.raises(ValueError):
        validate.expected_message(bad)


def test_every_violation_query_returns_zero_rows(reference_store):
    checks = validate.check_violations(reference_store)
    assert len(checks) >= 4
    assert all(c.status == "ok" for c in checks), [c for c in checks if c.status != "ok"]


def test_violation_queries_catch_what_they_are_for(reference_store):
    """Negative: a term without a definition and an undeclared term are reported."""
    import pyoxigraph as ox

    store = open_store(None)
    load_ontology_and_reference(store)
    g = ox.NamedNode("https://w3id.org/trialkg/graph/ontology")
    bogus = ox.NamedNode("https://w3id.org/trialkg/ontology/Bogus")
    store.add(ox.Quad(bogus, ox.NamedNode(str(rdflib.RDF.type)), ox.NamedNode(str(rdflib.OWL.Class)), g))
    store.add(ox.Quad(ox.NamedNode("https://w3id.org/trialkg/id/x"), ox.NamedNode("https://w3id.org/trialkg/ontology/undeclaredProperty"), ox.Literal("v"), ox.NamedNode("https://w3id.org/trialkg/graph/x")))
    failed = {c.name for c in validate.check_violations(store) if c.status == "fail"}
    assert "term-missing-label-or-definition-violation.rq returns zero rows" in failed
    assert "undeclared-term-violation.rq returns zero rows" in failed


def _ask(store, q):
    pfx = ("PREFIX tkg: <https://w3id.org/trialkg/ontology/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
           "PREFIX obo: <http://purl.obolibrary.org/obo/> ")
    return {tuple(t.value for t in r) for r in store.query(pfx + q, use_default_graph_as_union=True)}


def test_reference_alone_answers_drugs_approved_under_plasma_cell_myeloma(reference_store):
    found = _ask(reference_store, """SELECT DISTINCT ?label WHERE {
        ?drug tkg:hasApproval/tkg:approvedIndication ?c . ?c rdfs:subClassOf* obo:MONDO_0009693 .
        ?drug rdfs:label ?label }""")
    labels = {l for (l,) in found}
    assert {"daratumumab", "lenalidomide"} <= labels
    assert "dupilumab" not in labels


def test_reference_alone_places_corpus_conditions_under_autoimmune_disease(reference_store):
    found = _ask(reference_store, """SELECT DISTINCT ?c WHERE { ?c rdfs:subClassOf* obo:MONDO_0007179 }""")
    under = {c.rsplit("/", 1)[-1] for (c,) in found}
    # SLE, cutaneous lupus, and diseases of the French letter: Sjogren, ITP, warm AIHA, systemic sclerosis
    assert {"MONDO_0007915", "MONDO_0005282", "MONDO_0010030", "MONDO_0008558", "MONDO_0019532"} <= under
    assert "MONDO_0009735" not in under  # Netherton syndrome is not autoimmune


def test_lupus_nephritis_reaches_sle_only_through_has_basis_in(reference_store):
    sub = _ask(reference_store, "SELECT ?x WHERE { obo:MONDO_0005556 rdfs:subClassOf* obo:MONDO_0007915 BIND(1 AS ?x) }")
    basis = _ask(reference_store, "SELECT ?x WHERE { obo:MONDO_0005556 tkg:hasBasisIn obo:MONDO_0007915 BIND(1 AS ?x) }")
    assert not sub and basis


def test_the_source_check_fails_on_news_local_paths_corpus_documents_and_misplaced_registry_records():
    from kg.validate import violation_queries
    from kg.store import select

    store = open_store(None)
    load_ontology_and_reference(store)
    check = next(p for p in violation_queries() if p.name == "reference-fact-with-disallowed-source-violation.rq")
    assert select(store, check.read_text(encoding="utf-8")) == []
    ref, tkg = "https://w3id.org/trialkg/graph/reference", "https://w3id.org/trialkg/ontology/"
    store.update(f"""PREFIX tkg: <{tkg}> PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX schema: <http://schema.org/>
    INSERT DATA {{ GRAPH <{ref}> {{
      <urn:x:approval> dcterms:source <urn:x:news> . <urn:x:news> tkg:sourceKind "news" ; schema:url "https://example.org/n" .
      <urn:x:target> dcterms:source <urn:x:local> . <urn:x:local> tkg:sourceKind "database" ; schema:url "shared/reference/facts.md" .
      <urn:x:cond> dcterms:source <urn:x:doc> . <urn:x:doc> tkg:sourceKind "paper" ; schema:url "https://h/kg/data/corpus/003.txt" .
      <urn:x:mech> dcterms:source <urn:x:reg> . <urn:x:reg> tkg:sourceKind "trial-registry" ; schema:url "https://clinicaltrials.gov/study/NCT1" .
      <urn:x:org> a tkg:Organization ; dcterms:source <urn:x:reg> .
      <urn:x:drug> dcterms:source <urn:x:nokind> . <urn:x:nokind> schema:url "https://example.org/k" .
    }} }}""")
    flagged = {str(row[0].value) for row in select(store, check.read_text(encoding="utf-8"))}
    assert flagged == {"urn:x:approval", "urn:x:target", "urn:x:cond", "urn:x:mech", "urn:x:drug"}
