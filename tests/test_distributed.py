"""The build on a Dask cluster: shards that load into the same graph as a one-process build."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("dask.distributed")

from dask.distributed import Client, LocalCluster  # noqa: E402

from kg.build import build  # noqa: E402
from kg.distributed import build_shards, load_shards  # noqa: E402
from kg.resources import corpus_files  # noqa: E402
from kg.store import open_store, sorted_nquads  # noqa: E402


def _ctgov(nct: str, eudract: str) -> str:
    return ('{"protocolSection": {"identificationModule": {"nctId": "%s", "briefTitle": "One trial, two records",'
            ' "secondaryIdInfos": [{"id": "%s", "type": "EUDRACT_NUMBER"}]}}}' % (nct, eudract))


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    """The bundled corpus (keyed corpus/<name>, as under its own root), two records of one trial and a broken file.

    The keys sort a-… < corpus/… < m-… < z-…, so that with 3 partitions of 3, 3 and 2 documents the two records
    land in the first and the last shard; the first names NCT99999992 by itself and must be rewritten to
    the group's NCT99999991. The broken document shares the last partition with a good one.
    """
    root = tmp_path_factory.mktemp("docs")
    (root / "corpus").mkdir()
    for f in corpus_files():
        shutil.copy(f, root / "corpus" / f.name)
    (root / "a-ctgov.json").write_text(_ctgov("NCT99999992", "2020-000001-11"), encoding="utf-8")
    (root / "m-broken.json").write_text('{"protocolSection": {"identificationModule": ', encoding="utf-8")
    (root / "z-ctgov.json").write_text(_ctgov("NCT99999991", "2020-000001-11"), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(client, docs, tmp_path_factory):
    """One distributed build for both tests, and the one-process build of the same input to compare with.

    The one-process build runs in a thread of this process meanwhile: the driver only waits on the cluster.
    """
    paths, out = [docs, docs / "missing"], tmp_path_factory.mktemp("shards")
    whole = open_store(None)
    with ThreadPoolExecutor(1) as pool:
        local = pool.submit(build, paths, whole, progress=False, workers=1, root=docs)
        report = build_shards(paths, out, client=client, partitions=3, root=docs)
        return out, report, whole, local.result()


def test_shards_load_into_the_graph_of_a_one_process_build(built):
    out, report, whole, local = built
    assert report.documents == 7 and report.records == 7 and report.rewritten == 1
    assert (report.records, report.studies) == (local.records, len(local.studies))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["shards"] == ["part-00000.nq", "part-00001.nq", "part-00002.nq",
                                  "part-ontology.nq", "part-reference.nq"]
    first = (out / "part-00000.nq").read_bytes()
    assert b"study/nct/NCT99999991>" in first and b"study/nct/NCT99999992>" not in first
    assert first.splitlines() == sorted(set(first.splitlines()))

    loaded = open_store(None)
    assert load_shards(loaded, out) == len(loaded)
    assert sorted_nquads(loaded) == sorted_nquads(whole)  # byte-identical, metadata graph included


def test_a_broken_document_is_reported_and_the_other_shards_written(docs, built):
    out, report, _, local = built
    assert sorted(e.path or "" for e in report.errors) == [str(docs / "missing"), "m-broken.json"]
    assert "JSON" in next(e.reason for e in report.errors if e.path == "m-broken.json")
    assert all(p.stat().st_size > 0 for p in report.shards)
    assert b"NCT99999991" in (out / "part-00002.nq").read_bytes()  # the broken document's partition-mate
    manifest = json.loads((out / "manifest.json").read_text())
    assert {e["key"] for e in manifest["errors"]} == {e.path for e in report.errors} == {e.path for e in local.errors}
