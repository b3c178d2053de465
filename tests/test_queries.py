"""The query library: every query parses, runs on the corpus graph and returns its expected rows."""

import json
import re
import subprocess
import sys

import pytest

from kg.explain import explain_rows
from kg.query import bind_values, named_queries, resolve_param, results_json, run_named, run_sparql, values_clause
from kg.query_expect import actual, expected_path, load_expected

QUERIES = sorted(named_queries())


def test_the_library_has_the_queries_the_issue_asks_for():
    assert len(QUERIES) >= 16
    assert {"myeloma-drugs-repurposed-for-autoimmunity", "drug-repurposing", "unlinked-mentions"} <= set(QUERIES)


@pytest.mark.parametrize("name", QUERIES)
def test_query_has_a_header_and_an_expected_result(name):
    q = named_queries()[name]
    assert q.summary and q.tags
    assert "#+ params:" in q.text
    assert expected_path(name).exists(), f"queries/expected/{name}.json is missing"


@pytest.mark.parametrize("name", QUERIES)
def test_query_returns_exactly_its_expected_rows(corpus_store, name):
    spec = load_expected(name)
    assert actual(corpus_store, name, spec) == spec["rows"]


def test_headline_names_exactly_two_studies_with_every_column_filled(corpus_store):
    res = run_named(corpus_store, "myeloma-drugs-repurposed-for-autoimmunity")
    rows = [dict(zip(res.variables, r)) for r in res.rows]
    studies = {r["study"].value.rsplit("/", 2)[-2:][0] + "/" + r["study"].value.rsplit("/", 1)[-1] for r in rows}
    assert len(studies) == 2
    assert any(s.endswith("NCT06965244") for s in studies)
    assert any(s.startswith("doc/") for s in studies)
    wanted = ("study", "identifiers", "studyKind", "drug", "drugName", "approvals", "approvalSources", "conditions",
              "phases", "status", "sponsor", "documents", "drugEvidence", "conditionEvidence")
    for r in rows:
        assert all(r.get(c) is not None and r[c].value for c in wanted), r
    assert {r["drugName"].value for r in rows} == {"daratumumab", "lenalidomide"}


def test_headline_gives_one_row_per_study_and_drug_with_its_approvals_conditions_and_lines(corpus_store):
    res = run_named(corpus_store, "myeloma-drugs-repurposed-for-autoimmunity")
    rows = [{k: v.value for k, v in zip(res.variables, r)} for r in res.rows]
    assert len(rows) == len({(r["study"], r["drug"]) for r in rows}) == 2
    letter = next(r for r in rows if r["drugName"] == "daratumumab")
    assert letter["studyKind"] == "retrospective case collection"  # a call for case reports, not a trial
    assert set(letter["approvals"].split("; ")) == {
        "European Medicines Agency 2016-05-20: plasma cell myeloma",
        "U.S. Food and Drug Administration 2015-11-16: plasma cell myeloma",
        "U.S. Food and Drug Administration labelled indication: plasma cell myeloma"}
    assert len(letter["conditions"].split("; ")) == 9 and "Evans syndrome" in letter["conditions"].split("; ")
    lines = letter["conditionEvidence"].split("; ")
    assert len(lines) == 9 and all(re.fullmatch(r"003_\w+\.txt lines \d+-\d+ \(conditions\[\d+\]\.name\)", x)
                                   for x in lines), lines
    assert re.fullmatch(r"003_\w+\.txt lines 14-14 \(interventions\[0\]\.name\)", letter["drugEvidence"])
    lenalidomide = next(r for r in rows if r["drugName"] == "lenalidomide")
    assert lenalidomide["studyKind"] == "study" and lenalidomide["conditions"] == "cutaneous lupus erythematosus"
    assert lenalidomide["drugEvidence"].endswith("lines 4-4 (title)")


def test_headline_rows_are_the_pairs_of_the_evidence_rows(corpus_store):
    pairs = run_named(corpus_store, "myeloma-drugs-repurposed-for-autoimmunity")
    evidence = run_named(corpus_store, "repurposing-evidence",
                         {"approvedClass": "MONDO:0009693", "studiedClass": "MONDO:0007179"})
    ev = {(r[evidence.variables.index("study")], r[evidence.variables.index("drug")]) for r in evidence.rows}
    assert {(r[pairs.variables.index("study")], r[pairs.variables.index("drug")]) for r in pairs.rows} == ev
    assert len(evidence.rows) > len(pairs.rows)


def test_headline_excludes_the_dupilumab_and_stromal_cell_studies(corpus_store):
    res = run_named(corpus_store, "myeloma-drugs-repurposed-for-autoimmunity")
    ids = " ".join(r[res.variables.index("identifiers")].value for r in res.rows)
    assert "NCT04244006" not in ids and "2017-001400-29" not in ids


@pytest.mark.parametrize("hostile", [
    'x" } UNION { ?s ?p ?o } #',
    "x' } UNION { ?study ?p ?o }",
    "} UNION {",
    "rituximab\"^^<http://x> . ?a ?b ?c",
    "<http://example.org/> } UNION { ?s ?p ?o",
])
def test_hostile_parameter_values_stay_one_term(corpus_store, hostile):
    term = resolve_param(corpus_store, hostile)
    echoed = run_sparql(corpus_store, bind_values("SELECT ?drug WHERE { }", {"drug": term}))
    assert [r[0].value for r in echoed.rows] == [hostile]  # one row, the value unchanged
    assert run_named(corpus_store, "studies-excluding-prior-treatment", {"drug": hostile}).rows == ()
    text = named_queries()["studies-excluding-prior-treatment"].text
    bound = bind_values(text, {"drug": term})
    assert bound.replace("\n  " + values_clause({"drug": term}), "", 1) == text


def test_parameters_may_be_a_label_a_curie_or_an_iri(corpus_store):
    by_label = run_named(corpus_store, "studies-excluding-prior-treatment", {"drug": "Rituximab"})
    by_iri = run_named(corpus_store, "studies-excluding-prior-treatment",
                       {"drug": "https://w3id.org/trialkg/id/drug/rituximab"})
    by_curie = run_named(corpus_store, "studies-excluding-prior-treatment", {"drug": "trialkg:drug/rituximab"})
    assert by_label.rows == by_iri.rows == by_curie.rows and len(by_label.rows) == 2


def test_unknown_parameter_is_an_error(corpus_store):
    with pytest.raises(ValueError):
        run_named(corpus_store, "placebo-controlled-studies", {"nope": "x"})


def test_json_output_is_sparql_results_json(corpus_store):
    res = run_sparql(corpus_store, 'SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 3')
    doc = results_json(res)
    assert doc["head"]["vars"] == ["s", "l"]
    assert {"type", "value"} <= set(doc["results"]["bindings"][0]["s"])


def test_explain_prints_approval_source_and_hierarchy_path(corpus_store):
    res = run_named(corpus_store, "myeloma-drugs-repurposed-for-autoimmunity")
    text = explain_rows(corpus_store, res)
    assert "approval:" in text and "source:" in text
    assert "cutaneous lupus erythematosus --subClassOf--> lupus erythematosus --subClassOf--> autoimmune disease" in text
    assert "plasma cell myeloma" in text


def test_cli_query_list_and_json(store_dir):
    listing = subprocess.run([sys.executable, "-m", "kg.cli", "query", "--list"], capture_output=True, text=True, check=True)
    assert "myeloma-drugs-repurposed-for-autoimmunity" in listing.stdout and "params:" in listing.stdout
    # The session's on-disk corpus store (conftest.store_dir), opened read-only by `trialkg query`; `trialkg build
    # --store ... --quiet` itself runs in test_hostile_input and test_cli_errors.
    out = subprocess.run([sys.executable, "-m", "kg.cli", "query", "studies-by-sponsor", "--param", "sponsor=AP-HP",
                          "--format", "json", "--store", store_dir], capture_output=True, text=True, check=True)
    assert len(json.loads(out.stdout)["results"]["bindings"]) == 2
