"""Building the bundled corpus: linking, provenance, determinism, replacement, dumps."""

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from kg.build import build
from kg.export import export_bytes
from kg.resources import corpus_files
from kg.store import open_store, sorted_nquads
from kg.validate import check_store_shapes

TKG = "https://w3id.org/trialkg/ontology/"
PFX = f"PREFIX tkg: <{TKG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " \
      "PREFIX obo: <http://purl.obolibrary.org/obo/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "


def rows(store, q):
    return [tuple(t.value if t is not None else None for t in r) for r in store.query(PFX + q, use_default_graph_as_union=True)]


def test_build_reports_documents_studies_and_no_errors(corpus_report):
    assert corpus_report.documents == 5
    assert len(corpus_report.studies) == 5
    assert corpus_report.errors == []
    assert corpus_report.links["drug"]["linked"] >= 4


def test_one_daratumumab_node_is_shared_by_the_ten_trial_and_the_case_collection(corpus_store):
    found = rows(corpus_store, """SELECT DISTINCT ?study WHERE {
        ?study tkg:testsDrug ?d . ?d rdfs:label "daratumumab"@en }""")
    studies = sorted(s for (s,) in found)
    assert len(studies) == 2
    assert any(s.endswith("/study/nct/NCT07110662") for s in studies)
    assert any("/study/doc/" in s for s in studies)


def test_ap_hp_is_one_organisation_with_two_studies(corpus_store):
    found = rows(corpus_store, """SELECT ?org (COUNT(DISTINCT ?s) AS ?n) WHERE {
        ?s tkg:sponsor ?org . ?org tkg:abbreviation|skos:altLabel|rdfs:label ?l FILTER(CONTAINS(STR(?l), "AP-HP")) }
        GROUP BY ?org""")
    assert len(found) == 1 and found[0][1] == "2"


def test_every_tested_drug_reaches_a_mechanism_and_a_target_where_it_has_one(corpus_store):
    tested = rows(corpus_store, "SELECT DISTINCT ?d WHERE { ?s tkg:testsDrug ?d }")
    assert len(tested) >= 4
    for (drug,) in tested:
        mech = rows(corpus_store, f"SELECT ?m ?t WHERE {{ <{drug}> tkg:hasMechanism ?m OPTIONAL {{ ?m tkg:hasTarget ?t }} }}")
        assert mech, f"{drug} has no mechanism"
    msc = rows(corpus_store, """SELECT ?t WHERE { ?s tkg:testsDrug ?d . ?d a tkg:CellTherapy ; tkg:hasMechanism ?m
                                OPTIONAL { ?m tkg:hasTarget ?t } }""")
    assert msc and all(t is None for (t,) in msc), "the stromal-cell therapy acts without a single target"
    dara = rows(corpus_store, """SELECT ?sym WHERE { ?d rdfs:label "daratumumab"@en ; tkg:hasMechanism/tkg:hasTarget/tkg:geneSymbol ?sym }""")
    assert ("CD38",) in dara


def test_sle_carries_its_mondo_cross_references_and_meddra_pt(corpus_store):
    found = rows(corpus_store, """SELECT ?x ?level WHERE {
        ?s tkg:studiesCondition obo:MONDO_0007915 .
        obo:MONDO_0007915 <http://www.geneontology.org/formats/oboInOwl#hasDbXref> ?x ;
            tkg:hasMedDRATerm ?t . ?t tkg:meddraCode "10042945" ; tkg:meddraLevel/skos:notation ?level }""")
    xrefs = {x for x, _ in found}
    assert "MESH:D008180" in xrefs
    assert {level for _, level in found} == {"PT"}


def test_no_email_address_appears_in_any_dump(curated_corpus_store):
    for fmt in ("nq", "ttl", "jsonld"):
        text = export_bytes(curated_corpus_store, fmt).decode("utf-8")
        assert not re.search(r"[\w.+-]+@[\w-]+\.(fr|com|org|net)\b", text), fmt


def test_two_builds_from_scratch_give_byte_identical_sorted_nquads(tmp_path, corpus_store):
    # The session's in-memory corpus build is the first build from scratch; this one is on disk.
    a = open_store(tmp_path / "a")
    build(None, a, progress=False)
    assert sorted_nquads(a) == sorted_nquads(corpus_store)


def test_rebuilding_an_edited_document_drops_its_old_statements_only(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for f in corpus_files():
        shutil.copy(f, docs / f.name)
    store = open_store(tmp_path / "store")
    build([docs], store, progress=False)
    netherton = next(p for p in docs.iterdir() if "Netherton" in p.read_text(encoding="utf-8"))
    # Shared, derived graphs (metadata, the hierarchy closure of the conditions used, unlinked mentions)
    # follow the edit; every other document's graph stays byte-equal.
    derived = ("NCT04244006", "metadata", "closure", "mentions")
    others_before = {g.value: store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g)
                     for g in store.named_graphs() if not any(d in g.value for d in derived)}
    netherton.write_text(netherton.read_text(encoding="utf-8").replace("Netherton Syndrome\n\nTreatments", "Ichthyosis\n\nTreatments"), encoding="utf-8")
    report = build([docs], store, progress=False)
    assert report.skipped_unchanged == 4
    conds = rows(store, """SELECT ?l WHERE { ?s tkg:hasIdentifier/tkg:identifierValue "NCT04244006" ;
                           tkg:studiesCondition ?c . ?c rdfs:label ?l }""")
    labels = {l.lower() for (l,) in conds if l}
    assert not any("netherton" in l for l in labels)
    assert "ichthyosis" in labels
    others_after = {g.value: store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g)
                    for g in store.named_graphs() if not any(d in g.value for d in derived)}
    assert others_after == others_before


def test_a_bad_document_is_reported_and_the_build_goes_on(tmp_path, curated_ref):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(corpus_files()[0], docs / corpus_files()[0].name)
    (docs / "broken.json").write_text('{"protocolSection": {"identificationModule": ', encoding="utf-8")
    (docs / "empty.txt").write_bytes(b"")
    store = open_store(None)
    # The curated reference only (conftest.curated_ref): the point is the errors, not the linking.
    report = build([docs], store, progress=False, ref=curated_ref)
    assert report.documents == 1
    assert sorted(Path(e.path).name for e in report.errors) == ["broken.json", "empty.txt"]


def test_dumps_parse_in_pyoxigraph(corpus_store):
    for fmt, ox_fmt in (("nq", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG), ("ttl", ox.RdfFormat.TURTLE),
                        ("nt", ox.RdfFormat.N_TRIPLES), ("rdfxml", ox.RdfFormat.RDF_XML), ("jsonld", ox.RdfFormat.JSON_LD)):
        data = export_bytes(corpus_store, fmt)
        assert sum(1 for _ in ox.parse(io.BytesIO(data), format=ox_fmt)) > 1000, fmt


@pytest.mark.parametrize("fmt,rdflib_fmt", [("nq", "nquads"), ("ttl", "turtle"), ("rdfxml", "xml")])
def test_dumps_parse_in_rdflib(curated_corpus_store, fmt, rdflib_fmt):
    g = rdflib.Dataset() if fmt == "nq" else rdflib.Graph()
    g.parse(data=export_bytes(curated_corpus_store, fmt).decode("utf-8"), format=rdflib_fmt)
    assert sum(1 for _ in (g.quads() if fmt == "nq" else g)) > 1000


def test_jsonld_uses_a_context_with_the_ontology_prefixes(corpus_store):
    import json

    doc = json.loads(export_bytes(corpus_store, "jsonld"))
    assert doc["@context"]["tkg"] == TKG


def test_dump_includes_a_void_description(corpus_store):
    found = rows(corpus_store, """SELECT ?n WHERE { <https://w3id.org/trialkg/id/dataset/trialkg>
        <http://rdfs.org/ns/void#triples> ?n }""")
    assert found and int(found[0][0]) > 1000


def test_built_graph_conforms_to_the_shapes(corpus_store):
    [check] = check_store_shapes(corpus_store)
    assert check.status == "ok", check.detail


def test_french_letter_literals_carry_the_french_language_tag(corpus_store):
    found = rows(corpus_store, """SELECT ?t WHERE { ?r tkg:sourceFormat "letter" ; tkg:describesStudy ?s .
        ?s tkg:hasEligibilityCriterion/tkg:criterionText ?t }""")
    assert found
    langs = {l for (l,) in rows(corpus_store, """SELECT (LANG(?t) AS ?l) WHERE { ?r tkg:sourceFormat "letter" ;
        tkg:describesStudy ?s . ?s tkg:hasEligibilityCriterion/tkg:criterionText ?t }""")}
    assert langs == {"fr"}


def test_unlinked_mentions_are_kept_typed_by_role_and_flagged(corpus_store):
    found = rows(corpus_store, """SELECT ?text WHERE { ?m a tkg:UnlinkedMention, tkg:Condition ; tkg:mentionText ?text }""")
    assert ("Immunotherapy",) in found


def test_records_sharing_any_registry_identifier_are_one_study(tmp_path, curated_ref):
    docs = tmp_path / "docs"
    docs.mkdir()
    veeva = next(p for p in corpus_files() if "NCT07110662" in p.read_text(encoding="utf-8"))
    shutil.copy(veeva, docs / "veeva-page.txt")
    # a registry export naming only the EU CT number that the Veeva page also lists
    (docs / "ctgov.json").write_text(
        '{"protocolSection": {"identificationModule": {"nctId": "NCT99999999", "briefTitle": "Same trial elsewhere",'
        ' "secondaryIdInfos": [{"id": "2024-512164-63-00", "type": "CTIS"}]}}}', encoding="utf-8")
    store = open_store(None)
    # The curated reference only (conftest.curated_ref): study identity does not depend on linking.
    report = build([docs], store, progress=False, ref=curated_ref)
    assert report.records == 2 and len(report.studies) == 1
    found = rows(store, "SELECT DISTINCT ?r ?s WHERE { ?r tkg:describesStudy ?s }")
    assert len(found) == 2 and len({s for _, s in found}) == 1


def test_cli_build_is_the_quick_start_main_job(tmp_path):
    """`trialkg build` with no argument builds the bundled corpus, answers the headline and writes the view."""
    out = subprocess.run([sys.executable, "-m", "kg.cli", "build"], cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout
    assert "Which trials repurpose myeloma drugs for autoimmunity?" in out
    assert "NCT06965244" in out and "lenalidomide" in out and "dupilumab" not in out.split("Which trials")[1]
    assert "errors:    0" in out
    page = tmp_path / "trialkg-view.html"
    assert page.exists() and "vis-network" in page.read_text(encoding="utf-8")
    assert (tmp_path / "trialkg-store").is_dir()
