"""Documents of our own, naming myeloma drugs other than the corpus's, come out of the headline query.

tests/fixtures/repurposing/ holds a ClinicalTrials.gov API v2 record (bortezomib in lupus nephritis) and a
ClinicalTrials.Veeva page (isatuximab in generalized myasthenia gravis). Built with the bundled corpus,
both must be rows of the headline query with their approval, its source and the hierarchy path, while
the corpus's dupilumab and stromal-cell studies must still not be.
"""

import re
from pathlib import Path

import pytest

from kg.build import build
from kg.explain import explain_rows
from kg.query import run_named
from kg.resources import corpus_files
from kg.store import open_store

FIXTURES = Path(__file__).parent / "fixtures" / "repurposing"
HEADLINE = "myeloma-drugs-repurposed-for-autoimmunity"
BORTEZOMIB_STUDY = "NCT09990021"
ISATUXIMAB_STUDY = "NCT09990022"


@pytest.fixture(scope="module")
def store():
    store = open_store(None)
    report = build([*corpus_files(), *sorted(FIXTURES.iterdir())], store, progress=False)
    assert not report.errors
    return store


@pytest.fixture(scope="module")
def headline(store):
    return run_named(store, HEADLINE)


def rows_of(results, identifier: str) -> list[dict[str, str]]:
    rows = [{k: getattr(v, "value", "") for k, v in zip(results.variables, values)} for values in results.rows]
    return [r for r in rows if identifier in r["identifiers"].split()]


@pytest.mark.parametrize("study, drug, condition, document", [
    (BORTEZOMIB_STUDY, "bortezomib", "lupus nephritis", "ctgov_bortezomib_lupus_nephritis.json"),
    (ISATUXIMAB_STUDY, "isatuximab", "generalized myasthenia gravis", "isatuximab_myasthenia_veeva.txt"),
])
def test_own_document_is_a_headline_row_with_its_approvals_and_sources(headline, study, drug, condition, document):
    rows = rows_of(headline, study)
    assert len(rows) == 1, f"{study}: {len(rows)} rows, one per study and drug expected"
    row = rows[0]
    assert (row["drugName"], row["conditions"], row["documents"]) == (drug, condition, document)
    approvals = row["approvals"].split("; ")
    assert all(a.endswith(": plasma cell myeloma") for a in approvals)
    dated = {m[1] for a in approvals if (m := re.match(r"(.*) \d{4}(-\d\d-\d\d)?: ", a))}
    assert dated == {"U.S. Food and Drug Administration", "European Medicines Agency"}
    assert row["approvalSources"] and row["drugEvidence"].startswith(document)


def test_lupus_nephritis_path_reaches_autoimmune_disease_in_the_explanation(store, headline):
    text = explain_rows(store, headline)
    blocks = [b for b in text.split("\n- ") if b.startswith(f"https://w3id.org/trialkg/id/study/nct/{BORTEZOMIB_STUDY}")]
    assert blocks, text
    for block in blocks:
        condition = next(line.strip() for line in block.splitlines() if line.strip().startswith("condition:"))
        assert condition == ("condition:  lupus nephritis --has basis in--> systemic lupus erythematosus "
                             "--subClassOf--> lupus erythematosus --subClassOf--> autoimmune disease")
        assert "approval: " in block and "source: https://" in block


def test_dupilumab_and_stromal_cell_studies_are_still_not_headline_rows(headline):
    drugs = {getattr(dict(zip(headline.variables, v))["drugName"], "value", "") for v in headline.rows}
    assert "dupilumab" not in drugs
    assert not any("mesenchymal" in d for d in drugs)
    assert not rows_of(headline, "NCT04244006")
    assert not rows_of(headline, "EUCTR2017-001400-29")


# Free text read with the lexicon and role rules (kg.mentions): a French call for case reports that says
# "ayant reçu du bortezomib" / "au moins une injection de bortezomib" (no "traités par"), and a ClinConnect
# page whose title says "SSc" and whose keywords run "Systemic Sclerosis ... Bortezomib Mycophenolate Mofetil".
def test_free_text_letter_without_the_usual_phrasing_reaches_the_headline(headline):
    rows = [r for r in rows_of_document(headline, "fr_letter_bortezomib_cytopenias.txt")]
    assert [r["drugName"] for r in rows] == ["bortezomib"]
    assert rows[0]["studyKind"] == "retrospective case collection"
    assert set(rows[0]["conditions"].split("; ")) == {
        "autoimmune thrombocytopenic purpura", "autoimmune hemolytic anemia", "Evans syndrome"}
    assert rows[0]["drugEvidence"] == "fr_letter_bortezomib_cytopenias.txt lines 3-17 (summary)"


def test_abbreviated_condition_in_a_clinconnect_title_reaches_the_headline(store, headline):
    rows = rows_of(headline, "NCT09990023")
    assert [r["drugName"] for r in rows] == ["bortezomib"]
    assert "systemic sclerosis" in rows[0]["conditions"].split("; ")
    def drugs(prop: str) -> set[str]:
        return {r["d"].value.rsplit("/", 1)[-1] for r in store.query(
            f"SELECT ?d WHERE {{ ?s <https://w3id.org/trialkg/ontology/{prop}> ?d "
            "FILTER(STRENDS(STR(?s), 'NCT09990023')) }", use_default_graph_as_union=True)}
    assert drugs("testsDrug") == {"bortezomib"}
    # the title's "Added to Mycophenolate": what bortezomib is added to, a mention, not a tested drug
    assert {"mycophenolic-acid", "mycophenolate-mofetil"} <= drugs("textMentionsDrug")


def test_background_drugs_of_free_text_are_mentions_not_tested_drugs(store):
    def objects(prop: str) -> set[str]:
        return {r["d"].value.rsplit("/", 1)[-1] for r in store.query(
            "SELECT ?d WHERE { ?r <https://w3id.org/trialkg/ontology/fileName> 'fr_letter_bortezomib_cytopenias.txt' ; "
            f"<https://w3id.org/trialkg/ontology/describesStudy> ?s . ?s <https://w3id.org/trialkg/ontology/{prop}> ?d }}",
            use_default_graph_as_union=True)}
    assert objects("testsDrug") == {"bortezomib"}
    # "le plus souvent prescrit avec la dexaméthasone"; "après échec ... dont le rituximab" (a prior treatment
    # in free text is a mention: "people previously treated with X can join" would not require X)
    assert objects("textMentionsDrug") == {"dexamethasone", "rituximab"}
    assert objects("requiresPriorTreatment") == set()


def rows_of_document(results, document: str) -> list[dict[str, str]]:
    rows = [{k: getattr(v, "value", "") for k, v in zip(results.variables, values)} for values in results.rows]
    return [r for r in rows if r["documents"] == document]
