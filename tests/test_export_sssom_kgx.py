"""SSSOM and KGX exports of the bundled corpus (issue 15, deliverables 3 and 4).

Validated against the formats' required columns and metadata slots here; the ``sssom`` and ``kgx``
libraries pull in LinkML, Sphinx and SQLAlchemy (390 MB and 740 MB with kgx, 36 s and 95 s more to
install) and kgx fetches the Biolink model from GitHub when imported, so they are not test
dependencies: the tests that use them run only where they are installed
(docs/decisions/0012-sssom-and-kgx.md).
"""

import csv
import io
import re

import pytest

from kg import iri
from kg.cli import main
from kg.export_kgx import EDGE_COLUMNS, NODE_COLUMNS, load_mapping, write_kgx
from kg.export_sssom import CURIE_MAP, LINK_METHODS, mappings, sssom_text
from kg.resources import ontology_dir

# SSSOM 1.0 schema: the slots a mapping and a mapping set must have (sssom_schema.yaml, "required: true").
SSSOM_REQUIRED_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification")
SSSOM_REQUIRED_METADATA = ("curie_map", "license", "mapping_set_id")
# semapv terms a justification may take (semapv-terms.tsv, mapping-commons/semantic-mapping-vocabulary).
SEMAPV_JUSTIFICATIONS = {"semapv:LexicalMatching", "semapv:LogicalReasoning", "semapv:CompositeMatching",
                         "semapv:UnspecifiedMatching", "semapv:SemanticSimilarityThresholdMatching",
                         "semapv:LexicalSimilarityThresholdMatching", "semapv:MappingChaining",
                         "semapv:MappingReview", "semapv:ManualMappingCuration"}
# Biolink 4.4 KnowledgeLevelEnum and AgentTypeEnum (biolink_model.yaml), which KGX edges must use.
KNOWLEDGE_LEVELS = {"knowledge_assertion", "logical_entailment", "prediction", "statistical_association",
                    "text_co_occurrence", "observation", "not_provided"}
AGENT_TYPES = {"manual_agent", "automated_agent", "data_analysis_pipeline", "computational_model",
               "text_mining_agent", "image_processing_agent", "manual_validation_of_automated_agent", "not_provided"}
CURIE = re.compile(r"^[A-Za-z][\w.-]*:\S+$")


def _split(text: str) -> tuple[dict, list[dict]]:
    """The metadata block (top-level keys, nested mappings and lists) and the rows of an SSSOM TSV."""
    meta: dict = {}
    key = None
    lines = text.splitlines()
    for line in (ln[2:] for ln in lines if ln.startswith("#")):
        if not line.startswith(" "):
            key, _, value = line.partition(":")
            meta[key] = value.strip().strip('"') or None
        elif line.strip().startswith("- "):
            meta[key] = (meta[key] or []) + [line.strip()[2:]]
        else:
            k, _, v = line.strip().partition(": ")
            meta[key] = {**(meta[key] or {}), k: v}
    body = "\n".join(ln for ln in lines if not ln.startswith("#"))
    return meta, list(csv.DictReader(io.StringIO(body), delimiter="\t"))


@pytest.fixture(scope="module")
def sssom(corpus_store):
    return sssom_text(corpus_store)


@pytest.fixture(scope="module")
def kgx(corpus_store, tmp_path_factory):
    nodes_path, edges_path, n, m = write_kgx(corpus_store, tmp_path_factory.mktemp("kgx") / "trialkg")
    read = [list(csv.DictReader(open(p, encoding="utf-8", newline=""), delimiter="\t"))
            for p in (nodes_path, edges_path)]
    assert (len(read[0]), len(read[1])) == (n, m)
    return nodes_path, edges_path, read[0], read[1]


def test_sssom_has_the_required_metadata_and_columns(sssom):
    meta, rows = _split(sssom)
    assert all(meta.get(k) for k in SSSOM_REQUIRED_METADATA)
    assert meta["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert meta["mapping_set_version"].startswith("0.") and "+reference." in meta["mapping_set_version"]
    header = sssom.split("\n")[len([ln for ln in sssom.splitlines() if ln.startswith("#")])].split("\t")
    assert set(SSSOM_REQUIRED_COLUMNS) <= set(header)
    assert rows and all(r[c] for r in rows for c in SSSOM_REQUIRED_COLUMNS)


def test_every_curie_has_its_prefix_in_the_curie_map(sssom):
    meta, rows = _split(sssom)
    for r in rows:
        for column in ("subject_id", "predicate_id", "object_id", "mapping_justification", "subject_category"):
            assert CURIE.match(r[column]), (column, r[column])
            assert r[column].split(":")[0] in meta["curie_map"], r[column]
    assert all(CURIE_MAP[p] == base for p, base in meta["curie_map"].items())


def test_justifications_predicates_and_confidence_follow_the_link_method(sssom):
    _, rows = _split(sssom)
    assert {r["mapping_justification"] for r in rows} <= SEMAPV_JUSTIFICATIONS
    assert {r["predicate_id"] for r in rows} <= {"skos:exactMatch", "skos:closeMatch"}
    for r in rows:
        methods = r["comment"].split(";")[0].removeprefix("link method ").split(", ")
        expected = [LINK_METHODS[m] for m in methods]
        assert (r["predicate_id"], r["mapping_justification"]) in {(p, j) for p, j, _ in expected}
        assert 0 < float(r["confidence"]) <= 1


def test_known_decisions_are_mapped(sssom):
    _, rows = _split(sssom)
    found = {(r["subject_id"], r["predicate_id"], r["object_id"]) for r in rows}
    assert ("trialkg:mention/drug/dupilumab-prefilled-syringe", "skos:closeMatch", "trialkg:drug/dupilumab") in found
    assert ("trialkg:mention/condition/netherton-syndrome", "skos:exactMatch", "MONDO:0009735") in found
    assert any(r["object_id"].startswith("trialkg:org/") for r in rows)
    mondo = next(r for r in rows if r["object_id"] == "MONDO:0009735")
    assert mondo["object_label"] == "Netherton syndrome" and mondo["subject_category"] == "tkg:Condition"


def test_unlinked_mentions_and_placebos_are_absent(sssom, corpus_store):
    unlinked = {r["m"].value for r in corpus_store.query(
        "SELECT ?m WHERE { GRAPH ?g { ?m a <https://w3id.org/trialkg/ontology/UnlinkedMention> } }")}
    assert unlinked, "the corpus has unlinked mentions to leave out"
    _, rows = _split(sssom)
    subjects = {r["subject_id"] for r in rows}
    objects = {r["object_id"] for r in rows}
    for m in unlinked:
        curie = "trialkg:" + m[len(iri.ID):]
        assert curie not in subjects and curie not in objects
    assert not any("/placebo/" in s for s in subjects | objects)
    assert not any(o.startswith("trialkg:mention/") for o in objects)


def test_sssom_is_sorted_and_deterministic(sssom, corpus_store):
    rows = mappings(corpus_store)
    keys = [(m.subject_id, m.object_id, m.predicate_id, m.mapping_justification) for m in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert sssom_text(corpus_store) == sssom


def test_sssom_library_reads_and_validates_it(sssom, tmp_path):
    pytest.importorskip("sssom", reason="sssom is not a test dependency (see the module docstring)")
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    path = tmp_path / "trialkg.sssom.tsv"
    path.write_text(sssom, encoding="utf-8")
    msdf = parse_sssom_table(path)
    assert len(msdf.df) == len(_split(sssom)[1])
    validate(msdf, [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness],
             fail_on_error=True)


def test_kgx_columns_and_ends(kgx):
    nodes_path, edges_path, nodes, edges = kgx
    assert open(nodes_path).readline().rstrip("\n").split("\t") == list(NODE_COLUMNS)
    assert open(edges_path).readline().rstrip("\n").split("\t") == list(EDGE_COLUMNS)
    ids = [n["id"] for n in nodes]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(n["category"] for n in nodes)
    assert all(n["name"] for n in nodes if not n["id"].startswith("trialkg:study/"))  # the letter's study has no title
    assert {x for e in edges for x in (e["subject"], e["object"])} == set(ids)  # no dangling end, no lone node
    assert [e["id"] for e in edges] == sorted(e["id"] for e in edges)
    assert len({e["id"] for e in edges}) == len(edges)


def test_every_category_and_predicate_comes_from_the_mapping_table(kgx):
    _, _, nodes, edges = kgx
    table = list(csv.DictReader(open(ontology_dir() / "biolink-mapping.tsv", encoding="utf-8"), delimiter="\t"))
    categories = {r["biolink"] for r in table if r["kind"] == "class" and r["biolink"]}
    rows = {(r["trialkg_term"], r["biolink"], r["knowledge_level"], r["agent_type"])
            for r in table if r["kind"] == "property" and r["biolink"]}
    assert {c for n in nodes for c in n["category"].split("|")} <= categories
    for e in edges:
        assert (e["original_predicate"], e["predicate"], e["knowledge_level"], e["agent_type"]) in rows
    assert all(r["comment"] for r in table if not r["biolink"]), "every exclusion says why"
    assert all(r["knowledge_level"] in KNOWLEDGE_LEVELS and r["agent_type"] in AGENT_TYPES
               for r in table if r["kind"] == "property" and r["biolink"])


def test_knowledge_sources_per_edge(kgx):
    _, _, nodes, edges = kgx
    for e in edges:
        assert e["primary_knowledge_source"].startswith("infores:")
        assert e["aggregator_knowledge_source"] in ("", "infores:trialkg")
        assert e["aggregator_knowledge_source"] != e["primary_knowledge_source"]
        assert e["tkg_sources"] and all(CURIE.match(s) for s in e["tkg_sources"].split("|"))
    trials = [e for e in edges if e["predicate"] == "biolink:in_clinical_trials_for"]
    assert trials and all(e["tkg_sources"].startswith("trialkg:record/") for e in trials)
    assert ("trialkg:drug/dupilumab", "MONDO:0009735") in {(e["subject"], e["object"]) for e in trials}
    assert any(e["primary_knowledge_source"] == "infores:drugcentral" for e in edges)


def test_kgx_leaves_out_unlinked_mentions_and_placebos(kgx):
    _, _, nodes, _ = kgx
    assert not any(n["id"].startswith("trialkg:mention/") for n in nodes)
    studies = {n["id"]: n["category"] for n in nodes if n["id"].startswith("trialkg:study/")}
    assert studies["trialkg:study/nct/NCT07110662"] == "biolink:ClinicalTrial"
    assert load_mapping().categories  # the packaged table loads


def test_kgx_is_deterministic(kgx, corpus_store, tmp_path):
    nodes_path, edges_path, _, _ = kgx
    again = write_kgx(corpus_store, tmp_path / "again")
    assert again[0].read_bytes() == nodes_path.read_bytes() and again[1].read_bytes() == edges_path.read_bytes()


def test_kgx_library_loads_it(kgx):
    pytest.importorskip("kgx", reason="kgx is not a test dependency (see the module docstring)")
    from kgx.transformer import Transformer

    nodes_path, edges_path, nodes, edges = kgx
    t = Transformer()
    t.transform(input_args={"filename": [str(nodes_path), str(edges_path)], "format": "tsv"})
    assert t.store.graph.number_of_nodes() == len(nodes)


def test_cli_writes_both(store_dir, tmp_path, capsys):
    assert main(["export", "--store", store_dir, "--format", "sssom", "--output", str(tmp_path / "m.sssom.tsv")]) == 0
    assert main(["export", "--store", store_dir, "--format", "kgx", "--output", str(tmp_path / "kg")]) == 0
    err = capsys.readouterr().err
    assert "mappings" in err and "nodes" in err and "edges" in err
    assert (tmp_path / "m.sssom.tsv").read_text().startswith("# curie_map:")
    assert (tmp_path / "kg_nodes.tsv").exists() and (tmp_path / "kg_edges.tsv").exists()
    assert main(["export", "--store", store_dir, "--format", "sssom"]) == 0
    assert "subject_id\tsubject_label" in capsys.readouterr().out
