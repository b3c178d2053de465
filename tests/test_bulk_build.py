"""Bulk input, document identity, order-independent study identity, parallel build, streamed exports."""

import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg.build
import kg.writer
from kg.build import build
from kg.export import export
from kg.resources import corpus_files
from kg.sources.inputs import DocumentRef, iter_documents, read_bytes
from kg.store import open_store, sorted_nquads, write_sorted_nquads

TKG = "https://w3id.org/trialkg/ontology/"


def v2(nct: str, title: str, secondary: str | None = None) -> str:
    ident = {"nctId": nct, "briefTitle": title}
    if secondary:
        ident["secondaryIdInfos"] = [{"id": secondary, "type": "EUDRACT_NUMBER"}]
    return json.dumps({"protocolSection": {"identificationModule": ident,
                                           "conditionsModule": {"conditions": ["Systemic Lupus Erythematosus"]}}})


def studies(store) -> list[tuple[str, str]]:
    q = f"SELECT ?r ?s WHERE {{ GRAPH ?g {{ ?r <{TKG}describesStudy> ?s }} }} ORDER BY ?r"
    return [(r["r"].value, r["s"].value) for r in store.query(q)]


def test_folders_are_read_recursively_and_zip_members_as_documents(tmp_path):
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "a" / "deep" / "one.json").write_text(v2("NCT00000001", "One"), encoding="utf-8")
    (tmp_path / "a" / ".hidden.json").write_text("{}", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "a" / "dl.zip", "w") as z:
        z.writestr("NCT00000002.json", v2("NCT00000002", "Two"))
        z.writestr("sub/", "")
    refs = iter_documents([tmp_path / "a"], tmp_path)
    assert [r.key for r in refs] == ["a/deep/one.json", "a/dl.zip!/NCT00000002.json"]
    assert json.loads(read_bytes(refs[1]))["protocolSection"]["identificationModule"]["nctId"] == "NCT00000002"


def test_a_store_inside_the_folder_being_built_is_not_read_as_documents(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "one.json").write_text(v2("NCT00000001", "One"), encoding="utf-8")
    store = ox.Store(str(tmp_path / "docs" / "trialkg-store"))  # `trialkg build .` with the default store
    store.add(ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("o")))
    store.flush()
    del store
    (tmp_path / "docs" / "notes").mkdir()
    (tmp_path / "docs" / "notes" / "CURRENT").write_text("not a store: no LOCK or MANIFEST", encoding="utf-8")
    refs = iter_documents([tmp_path / "docs"], tmp_path)
    assert [r.key for r in refs] == ["docs/notes/CURRENT", "docs/one.json"]


def test_a_missing_path_is_an_error_naming_it_and_the_rest_is_read(tmp_path):
    (tmp_path / "x.json").write_text(v2("NCT00000001", "One"), encoding="utf-8")
    errors: list = []
    refs = iter_documents([tmp_path / "x.json", tmp_path / "nope"], tmp_path, errors)
    assert [r.key for r in refs] == ["x.json"]
    assert len(errors) == 1 and "nope" in str(errors[0]) and "no such file" in str(errors[0])


# The builds of a few small documents below take the curated reference only (conftest.curated_ref): their
# point is document and study identity, build order and rebuilds, not linking, and each fresh store then
# loads 11,000 reference triples instead of 400,000 (0.5 s a build instead of 6).


def test_same_named_documents_in_two_folders_are_two_documents(tmp_path, curated_ref):
    for folder, nct in (("a", "NCT00000001"), ("b", "NCT00000002")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "doc.json").write_text(v2(nct, f"Study {nct}"), encoding="utf-8")
    store = open_store(None)
    build([tmp_path / "a" / "doc.json"], store, progress=False, root=tmp_path, ref=curated_ref)
    report = build([tmp_path / "b" / "doc.json"], store, progress=False, root=tmp_path, ref=curated_ref)
    assert report.errors == [] and report.skipped_unchanged == 0
    assert sorted(s.rsplit("/", 1)[-1] for _, s in studies(store)) == ["NCT00000001", "NCT00000002"]


def test_an_api_v2_page_in_a_zip_gives_one_study_per_entry(tmp_path, curated_ref):
    page = {"studies": [json.loads(v2(f"NCT0000000{i}", f"S{i}")) for i in range(1, 4)]}
    with zipfile.ZipFile(tmp_path / "page.zip", "w") as z:
        z.writestr("page-1.json", json.dumps(page))
    store = open_store(None)
    report = build([tmp_path / "page.zip"], store, progress=False, root=tmp_path, ref=curated_ref)
    assert report.documents == 1 and report.records == 3 and len(report.studies) == 3


def _docs(tmp_path: Path) -> dict[str, Path]:
    """Three records; the EudraCT number joins the second to the first's study only through the third."""
    files = {"eu.json": v2("NCT00000009", "Late", "2020-000001-11"),
             "ct.json": v2("NCT00000005", "Early", "2020-000001-11"),
             "other.json": v2("NCT00000007", "Unrelated")}
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / "docs" / name
        out[name].parent.mkdir(exist_ok=True)
        out[name].write_text(text, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def together(tmp_path_factory, curated_ref):
    """The three documents built in one go (the same for every order below: keys are relative to the root)."""
    root = tmp_path_factory.mktemp("together")
    store = open_store(None)
    build(list(_docs(root).values()), store, progress=False, root=root, ref=curated_ref)
    return store


@pytest.mark.parametrize("order", [("eu.json", "ct.json", "other.json"), ("ct.json", "other.json", "eu.json")])
def test_build_order_does_not_change_the_dump(tmp_path, order, together, curated_ref):
    docs = _docs(tmp_path)
    one_by_one = open_store(None)
    for name in order:
        build([docs[name]], one_by_one, progress=False, root=tmp_path, ref=curated_ref)
    assert sorted_nquads(one_by_one) == sorted_nquads(together)
    assert {s.rsplit("/", 1)[-1] for _, s in studies(together)} == {"NCT00000005", "NCT00000007"}


def test_a_record_leaving_a_group_gets_its_own_study_back(tmp_path, curated_ref):
    docs = _docs(tmp_path)
    store = open_store(None)
    build(list(docs.values()), store, progress=False, root=tmp_path, ref=curated_ref)
    docs["ct.json"].write_text(v2("NCT00000005", "Early, no EudraCT number"), encoding="utf-8")
    build(list(docs.values()), store, progress=False, root=tmp_path, ref=curated_ref)
    fresh = open_store(None)
    build(list(docs.values()), fresh, progress=False, root=tmp_path, ref=curated_ref)
    assert sorted_nquads(store) == sorted_nquads(fresh)
    assert {s.rsplit("/", 1)[-1] for _, s in studies(store)} == {"NCT00000005", "NCT00000007", "NCT00000009"}


def test_workers_give_the_same_bytes_as_one_process(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(12):
        (docs / f"s{i:02d}.json").write_text(v2(f"NCT000001{i:02d}", f"Study {i}"), encoding="utf-8")
    for f in corpus_files():
        shutil.copy(f, docs / f.name)
    monkeypatch.setattr(kg.build, "PARALLEL_FROM", 2)
    monkeypatch.setattr(kg.build, "CHUNK", 3)
    # The parallel build also loads a batch per document and compacts while the caller reads.
    monkeypatch.setattr(kg.writer, "BATCH_BYTES", 1)
    monkeypatch.setattr(kg.build, "COMPACT_AFTER_LOADS", 1)
    parallel, serial = open_store(None), open_store(None)
    report = build([docs], parallel, progress=False, workers=2, root=tmp_path, compact="background")
    assert report.compaction is not None
    assert len(list(parallel.quads_for_pattern(None, None, None))) > 0  # readable while it compacts
    report.wait_for_compaction()
    assert "compaction" in report.seconds and report.compaction is None
    build([docs], serial, progress=False, workers=1, root=tmp_path)
    assert report.documents == 17 and report.errors == []
    assert sorted_nquads(parallel) == sorted_nquads(serial)


def test_an_unchanged_rebuild_parses_nothing(tmp_path, monkeypatch, curated_ref):
    docs = _docs(tmp_path)
    store = open_store(None)
    build(list(docs.values()), store, progress=False, root=tmp_path, ref=curated_ref)
    monkeypatch.setattr("kg.pipeline.parse_bytes", lambda *a: pytest.fail("parsed an unchanged document"))
    report = build(list(docs.values()), store, progress=False, root=tmp_path, ref=curated_ref)
    assert report.skipped_unchanged == 3 and report.documents == 3 and len(report.studies) == 2


def test_external_sort_gives_the_in_memory_order(corpus_store):
    buf = io.BytesIO()
    write_sorted_nquads(corpus_store, buf, run_lines=5000)
    lines = buf.getvalue().decode("utf-8").splitlines()
    assert lines == sorted(set(lines)) and len(lines) == len(corpus_store)


def test_export_streams_to_a_file_and_leaves_no_part_file(corpus_store, tmp_path):
    out = tmp_path / "dump.jsonld"
    export(corpus_store, "jsonld", out)
    assert json.loads(out.read_text(encoding="utf-8"))["@context"]["tkg"] == TKG
    assert not (tmp_path / "dump.jsonld.part").exists()


def test_read_bytes_names_the_document_when_a_member_is_missing(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.writestr("x.json", "{}")
    with pytest.raises(Exception, match="a.zip!/y.json"):
        read_bytes(DocumentRef("a.zip!/y.json", str(tmp_path / "a.zip"), "y.json"))


def test_cli_build_exits_non_zero_after_building_the_rest_and_draws_a_large_graph(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for f in corpus_files():
        shutil.copy(f, docs / f.name)
    for i in range(6):
        (docs / f"s{i}.json").write_text(v2(f"NCT0000020{i}", f"Study {i}"), encoding="utf-8")
    (docs / "broken.json").write_text('{"protocolSection": ', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", "docs", "--store", "st", "--workers", "1"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    assert "docs/broken.json" in run.stdout and "documents: 11" in run.stdout
    assert "too large to draw whole" in run.stdout
    assert "vis-network" in (tmp_path / "trialkg-view.html").read_text(encoding="utf-8")
    store = ox.Store(str(tmp_path / "st"))
    assert len(studies(store)) == 11


def test_a_new_reader_version_rebuilds_every_document(tmp_path, monkeypatch, curated_ref):
    docs = _docs(tmp_path)
    store = open_store(None)
    build(list(docs.values()), store, progress=False, root=tmp_path, ref=curated_ref)
    monkeypatch.setattr("kg.emit.metadata.__version__", "99.0")
    report = build(list(docs.values()), store, progress=False, root=tmp_path, ref=curated_ref)
    assert report.skipped_unchanged == 0 and report.records == 3
    acts = {r["a"].value for r in store.query("SELECT DISTINCT ?a WHERE { GRAPH ?g { ?a a <http://www.w3.org/ns/prov#Activity> } }")}
    assert len(acts) == 1 and "-99.0-" in acts.pop(), "the old activity is no longer described"


def test_a_reload_killed_half_way_leaves_the_old_reference_graph(tmp_path, monkeypatch):
    from kg import iri, reference_compile
    from kg.build import load_ontology_and_reference

    store = open_store(None)
    digest = load_ontology_and_reference(store)
    graph = ox.NamedNode(str(iri.REFERENCE_GRAPH))
    before = len(list(store.quads_for_pattern(None, None, None, graph)))

    def killed(target, into):  # half a graph written, then the process dies
        target.add(ox.Quad(ox.NamedNode("https://example.org/x"), ox.NamedNode("https://example.org/p"),
                           ox.Literal("half"), into))
        raise KeyboardInterrupt

    monkeypatch.setattr(kg.build, "reference_digest", lambda ref: "sha256:changed")
    monkeypatch.setattr(reference_compile, "load_artifact", killed)
    with pytest.raises(KeyboardInterrupt):
        load_ontology_and_reference(store)
    assert len(list(store.quads_for_pattern(None, None, None, graph))) == before  # readers saw no change
    assert kg.build._digest_in(store, graph) == digest  # the next build reloads
    monkeypatch.undo()
    load_ontology_and_reference(store)  # the staging graph is dropped, nothing is reloaded
    assert not store.contains_named_graph(ox.NamedNode(str(iri.REFERENCE_GRAPH) + "#staging"))
    assert len(list(store.quads_for_pattern(None, None, None, graph))) == before
    assert kg.build._digest_in(store, graph) == digest


def test_a_changed_reference_is_swapped_in_whole(monkeypatch):
    from kg import iri, reference_compile
    from kg.build import load_ontology_and_reference

    store = open_store(None)
    load_ontology_and_reference(store)
    monkeypatch.setattr(kg.build, "reference_digest", lambda ref: "sha256:changed")
    assert load_ontology_and_reference(store) == "sha256:changed"
    graph = ox.NamedNode(str(iri.REFERENCE_GRAPH))
    assert kg.build._digest_in(store, graph) == "sha256:changed"
    assert not store.contains_named_graph(ox.NamedNode(str(iri.REFERENCE_GRAPH) + "#staging"))
    assert len(list(store.quads_for_pattern(None, None, None, graph))) > 100_000
