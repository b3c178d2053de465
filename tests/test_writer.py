"""The writer's batches: a document the bulk loader refuses costs only itself."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg import iri, writer
from kg.emit.metadata import document_description, stored_documents
from kg.model import SourceError
from kg.pipeline import DocResult, RecordOut

ACT = "https://w3id.org/trialkg/id/activity/extract-test"


def _result(key: str, good: bool = True) -> DocResult:
    graph = f"https://w3id.org/trialkg/id/record/test/{key}"
    obj = '"a title"' if good else '"an unterminated literal'
    nquads = f'<https://w3id.org/trialkg/id/study/test/{key}> <http://www.w3.org/2000/01/rdf-schema#label> {obj} <{graph}> .\n'
    meta = "\n".join(document_description(key, "0" * 64, ACT, [(graph, 1)])) + "\n"
    record = RecordOut(graph, f"https://w3id.org/trialkg/id/study/test/{key}", (), 1)
    return DocResult(key, "0" * 64, records=(record,), nquads=nquads.encode(), meta=meta.encode())


def _write(results: list[DocResult], batch_bytes: int, monkeypatch: pytest.MonkeyPatch) -> tuple[ox.Store, list[SourceError], int]:
    monkeypatch.setattr(writer, "BATCH_BYTES", batch_bytes)
    store, errors = ox.Store(), []
    w = writer.Writer(store, {})
    for r in results:
        w.add(r, errors)
    w.close(errors)
    return store, errors, w.loads


@pytest.mark.parametrize("batch_bytes", [1, 10**9])  # a load per document; one load for all
def test_a_refused_document_costs_only_itself(batch_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [_result("a"), _result("b", good=False), _result("c")]
    store, errors, _ = _write(docs, batch_bytes, monkeypatch)
    assert [e.path for e in errors] == ["b"]
    assert sorted(stored_documents(store)) == ["a", "c"]  # described: the next build skips them
    graphs = {g.value for g in store.named_graphs()}
    assert {r.records[0].graph for r in docs if r.key != "b"} <= graphs
    assert docs[1].records[0].graph not in graphs
    assert not list(store.quads_for_pattern(iri_node(iri.document("b")), None, None))


def test_descriptions_travel_with_the_next_batch_and_the_last_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [_result(k) for k in "abcd"]
    store, errors, loads = _write(docs, 1, monkeypatch)
    assert errors == [] and loads == 4
    assert sorted(stored_documents(store)) == ["a", "b", "c", "d"]


def iri_node(value: object) -> ox.NamedNode:
    return ox.NamedNode(str(value))
