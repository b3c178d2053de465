"""Cross-registry study linkage: one trial in two registries without a shared identifier is one headline row."""

from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import iri, linkage
from kg.build import build
from kg.query import run_named
from kg.store import open_store

FIX = Path(__file__).parent / "fixtures" / "linkage"
TKG = "https://w3id.org/trialkg/ontology/"
SAME = ox.NamedNode(TKG + "sameStudyAs")
HEADLINE = "myeloma-drugs-repurposed-for-autoimmunity"


def _build(*names: str) -> ox.Store:
    store = open_store(None)
    report = build([FIX / n for n in names], store, progress=False, root=FIX, workers=1)
    assert report.errors == []
    return store


@pytest.fixture(scope="module")
def one_trial():
    return _build("daralup_ctgov.json", "daralup_euctr.txt")


@pytest.fixture(scope="module")
def two_trials():
    return _build("daralup_ctgov.json", "daritp_euctr.txt")


def _rows(store: ox.Store, name: str = HEADLINE) -> list[dict[str, str]]:
    res = run_named(store, name)
    return [{k: v.value for k, v in zip(res.variables, r) if v is not None} for r in res.rows]


def test_one_trial_in_two_registries_is_linked_and_gives_one_headline_row(one_trial):
    links = list(one_trial.quads_for_pattern(None, SAME, None, ox.NamedNode(str(iri.LINKAGE_GRAPH))))
    assert len(links) == 2 and {q.subject for q in links} == {q.object for q in links}  # both directions
    rows = _rows(one_trial)
    assert len(rows) == 1 and rows[0]["drugName"] == "daratumumab"
    assert set(rows[0]["identifiers"].split()) >= {"NCT09000123", "2023-000111-22"}
    res = run_named(one_trial, "drug-repurposing", {"approvedClass": "MONDO:0009693", "studiedClass": "MONDO:0007179"})
    assert len(res.rows) == 1


def test_a_link_carries_its_score_method_and_features(one_trial):
    found = list(one_trial.query(f"""PREFIX tkg: <{TKG}>
        SELECT ?link ?a ?b ?score ?method (COUNT(?f) AS ?n) WHERE {{ GRAPH <{iri.LINKAGE_GRAPH}> {{
          ?link a tkg:StudyLink ; tkg:linksStudy ?a, ?b ; tkg:linkScore ?score ; tkg:studyLinkMethod ?method ;
                tkg:hasLinkFeature ?f . ?f tkg:featureName ?name ; tkg:featureValue ?v FILTER(STR(?a) < STR(?b)) }} }}
        GROUP BY ?link ?a ?b ?score ?method"""))
    assert len(found) == 1
    link, a, b, score, method, n = (t.value for t in found[0])
    assert link == str(iri.study_link(a, b)) == str(iri.study_link(b, a))
    assert float(score) >= linkage.THRESHOLD and method == linkage.METHOD and int(n) >= 6


def test_same_sponsor_and_drug_different_trials_are_not_linked_and_give_two_rows(two_trials):
    assert not two_trials.contains_named_graph(ox.NamedNode(str(iri.LINKAGE_GRAPH)))
    rows = _rows(two_trials)
    assert len(rows) == 2 and len({r["study"] for r in rows}) == 2


def test_an_unchanged_rebuild_writes_nothing_and_relinking_finds_the_same_link(one_trial):
    store = one_trial  # the module's build of these two documents: the rebuild must leave it as it is
    n = len(store)
    build([FIX / "daralup_ctgov.json", FIX / "daralup_euctr.txt"], store, progress=False, root=FIX, workers=1)
    assert len(store) == n  # an unchanged rebuild writes nothing
    assert linkage.link_studies(store) == 1 and len(store) == n


def test_the_corpus_has_no_link(corpus_store):
    assert not corpus_store.contains_named_graph(ox.NamedNode(str(iri.LINKAGE_GRAPH)))


@pytest.mark.parametrize("written", ["DART", "The DART Study", "dart", "The DART Study-", "D.A.R.T."])
def test_an_acronym_in_its_written_forms_is_one_key(written):
    assert linkage.acronym_key(written) == "DART"


def _study(name: str, **kw) -> linkage.Study:
    base = dict(titles=("Daratumumab in refractory systemic lupus erythematosus",), acronyms=frozenset({"DARALUP"}),
                sponsors=frozenset({"org:hcl"}), drugs=frozenset({"drug:dara"}), conditions=frozenset({"mondo:sle"}),
                dates=(date(2023, 9, 4),), enrollment=40, formats=frozenset({"ctgov_v2"}))
    base.update(kw)
    return linkage.Study(name, **base)  # type: ignore[arg-type]


def test_features_and_score_of_a_pair():
    a = _study("a")
    b = _study("b", titles=("Daratumumab in adults with refractory systemic lupus erythematosus - DARALUP",),
               formats=frozenset({"ictrp"}), enrollment=36, dates=(date(2023, 9, 18),))
    f = linkage.features(a, b)
    assert f["acronym"] == f["sponsor"] == f["drugs"] == f["conditions"] == 1.0
    assert 0.8 < f["title"] < 1 and f["enrollment"] == 0.9 and f["dates"] > 0.95
    assert linkage.score(f) >= linkage.THRESHOLD
    assert linkage.candidate_pairs({"a": a, "b": b}) == [("a", "b")]


def test_sister_trials_of_one_sponsor_score_below_the_threshold():
    a = _study("a", codes=frozenset({"HCL2023017"}))
    b = _study("b", titles=("Daratumumab in primary immune thrombocytopenia relapsing after rituximab",),
               acronyms=frozenset({"DARITP"}), conditions=frozenset({"mondo:itp"}), dates=(date(2020, 3, 2),),
               enrollment=15, codes=frozenset({"HCL2019044"}), formats=frozenset({"ictrp"}))
    assert linkage.score(linkage.features(a, b)) < linkage.THRESHOLD


def test_pairs_one_source_lists_or_with_different_numbers_are_not_candidates():
    a, b = _study("a"), _study("b")
    assert not linkage.compatible(a, b)  # both from ClinicalTrials.gov v2: a registry numbers a trial once
    c = _study("c", formats=frozenset({"ictrp"}), ids=frozenset({("NCT", "NCT01")}))
    d = _study("d", ids=frozenset({("NCT", "NCT02")}))
    assert not linkage.compatible(c, d)
    assert linkage.compatible(_study("e", formats=frozenset({"ictrp"}), ids=frozenset({("EUDRACT", "2020-1")})), d)
    assert not linkage.compatible(_study("f", formats=frozenset({"letter"})), d)


def test_without_a_title_nothing_is_linked():
    assert linkage.score({"acronym": 1.0, "sponsor": 1.0, "drugs": 1.0}) == 0.0
