"""The build's writer: bulk loads, edited documents, study identity and the dataset description.

New documents go to Oxigraph's bulk loader in batches of about
:data:`BATCH_BYTES` of N-Quads, each with the descriptions of the batch before
(a description is the mark that a document is stored, so it follows its graphs). An edited document replaces
its old graphs and description in one SPARQL Update transaction. A batch the
loader refuses is retried document by document, so one bad document costs
only itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pyoxigraph as ox

from kg import iri
from kg.closure import materialise_closure
from kg.emit import LINKING_SCHEMES, id_rank
from kg.emit.metadata import DCTERMS, PROV, RDF, VOID_SUBSET, VOID_TRIPLES, dataset_head, graph_counts, subset
from kg.emit.terms import nquad
from kg.model import SourceError
from kg.namespace import TKG
from kg.pipeline import DocResult
from kg.store import select, value

# Measured on the 16x synthetic build's 1.6 GB of N-Quads (one process, lenient): loads of 8-16 MB took
# 32-38 s and 140-230 MiB, of 64 MB 44-48 s and 450 MiB, of 256 MB 55 s and 1.6 GiB, one load of it all
# 35 s and 1.9 GiB. Small batches keep the loader fast and its memory flat.
BATCH_BYTES = 16 * 2**20
# After this many bulk loads the store is compacted (Store.optimize): queries then read a few large
# files per index instead of one per load. Smaller builds leave it to RocksDB's own compaction.
COMPACT_AFTER_LOADS = 8
_INSERT_CHUNK = 5000
_LOAD_ERRORS = (SyntaxError, ValueError, OSError)
META = ox.NamedNode(str(iri.METADATA_GRAPH))


class Writer:
    """Takes the workers' results in order and stores them."""

    def __init__(self, store: ox.Store, stored: dict[str, tuple[str, str, list[str]]]) -> None:
        self.store, self.stored = store, stored
        self.batch: list[DocResult] = []
        self.size = 0
        self.changed = False  # anything written
        self.replaced = False  # an earlier version of a document was dropped
        self.loads = 0  # bulk loads of new documents: each leaves new files in every index
        self.described: list[DocResult] = []  # the last batch loaded: its descriptions go with the next

    def add(self, result: DocResult, errors: list[SourceError]) -> None:
        error = result.source_error()
        if error is not None:
            errors.append(error)
        elif not result.unchanged:
            self.changed = True
            if result.key in self.stored:
                self._replace(result, errors)
            else:
                self.batch.append(result)
                self.size += len(result.nquads)
                if self.size >= BATCH_BYTES:
                    self.flush(errors)

    def close(self, errors: list[SourceError]) -> None:
        self.flush(errors)
        self._load_meta(self.described, errors)
        self.described = []

    def flush(self, errors: list[SourceError]) -> None:
        """Load the batch's graphs together with the previous batch's descriptions.

        A description is loaded after its document's graphs (it marks the
        document stored), yet never in a load of its own: each load leaves new
        files in every index, and one load per batch keeps the store's reads short.
        """
        if not self.batch:
            return
        try:
            self._load(b"".join([*(r.meta for r in self.described), *(r.nquads for r in self.batch)]))
        except _LOAD_ERRORS:
            self._load_meta(self.described, errors)
            self.batch = [r for r in self.batch if self._load_one(r, errors)]
        # Only the descriptions wait for the next load, not the graphs' bytes.
        self.described, self.batch, self.size = [replace(r, nquads=b"") for r in self.batch], [], 0
        self.loads += 1

    def _load_meta(self, results: list[DocResult], errors: list[SourceError]) -> None:
        try:
            self._load(b"".join(r.meta for r in results))
        except _LOAD_ERRORS:
            for r in results:
                self._load_one(r, errors, graphs=False)

    def _load(self, data: bytes) -> None:
        # Lenient: no IRI validation, the slowest part of parsing and done in this one process. The
        # emitter mints every IRI from percent-encoded parts (kg.iri); tests parse its output strictly.
        if data:
            self.store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)

    def _load_one(self, r: DocResult, errors: list[SourceError], graphs: bool = True) -> bool:
        """One document's graphs (or its description); on failure none of its graphs stay."""
        try:
            self._load(r.nquads if graphs else r.meta)
            return True
        except _LOAD_ERRORS as exc:
            for rec in r.records:
                self.store.remove_graph(ox.NamedNode(rec.graph))
            doc = iri.document(r.key)  # a description half loaded would mark the document stored
            self.store.update(f"DELETE WHERE {{ GRAPH <{META.value}> {{ <{doc}> ?p ?o }} }}")
            errors.append(SourceError(f"its statements could not be stored: {exc}", r.key))
            return False

    def _replace(self, r: DocResult, errors: list[SourceError]) -> None:
        """Drop an edited document's old graphs and description and store the new ones, in one transaction."""
        _, _, old = self.stored[r.key]
        doc, ds = str(iri.document(r.key)), str(iri.DATASET)
        parts = [f"DROP SILENT GRAPH <{g}>" for g in sorted(set(old) | {rec.graph for rec in r.records})]
        parts.append(f"DELETE WHERE {{ GRAPH <{META.value}> {{ <{doc}> ?p ?o }} }}")
        for g in old:
            parts.append(f"DELETE WHERE {{ GRAPH <{META.value}> {{ <{g}> ?p ?o }} }}")
            parts.append(f"DELETE DATA {{ GRAPH <{META.value}> {{ <{ds}> <{VOID_SUBSET}> <{g}> }} }}")
        parts.append(f"DELETE DATA {{ GRAPH <{META.value}> {{ <{ds}> <{DCTERMS.source}> <{doc}> }} }}")
        try:
            parts += insert_data(r.nquads + r.meta)
            self.store.update(" ;\n".join(parts))
        except _LOAD_ERRORS as exc:
            errors.append(SourceError(f"its statements could not be stored (the earlier version is kept): {exc}", r.key))
            return
        self.replaced = True


def insert_data(nquads: bytes) -> list[str]:
    """SPARQL ``INSERT DATA`` operations for N-Quads (blank-node free, as the emitter writes them)."""
    by_graph: dict[str, list[str]] = {}
    for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
        by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
    ops = []
    for g, lines in sorted(by_graph.items()):
        for i in range(0, len(lines), _INSERT_CHUNK):
            ops.append(f"INSERT DATA {{ GRAPH {g} {{\n" + "\n".join(lines[i:i + _INSERT_CHUNK]) + "\n} }")
    return ops


class UnionFind:
    """Groups of identifiers; a group's root is its best identifier, whatever the order of unions."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(self, x: tuple[str, str]) -> tuple[str, str]:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, items: list[tuple[str, str]]) -> None:
        for other in items[1:]:
            a, b = sorted((self.find(items[0]), self.find(other)), key=id_rank)
            self.parent[b] = a


def reconcile_studies(store: ox.Store) -> dict[str, str]:
    """Give every record the study of its identifier group; returns record graph -> study IRI.

    One pass over the stored records' identifiers. A graph whose study changed
    (a record arriving later joined its group) is rewritten in one transaction,
    exactly as a build from scratch would have written it.
    """
    study_of = {q.graph_name.value: q.object.value  # type: ignore[union-attr]
                for q in store.quads_for_pattern(None, ox.NamedNode(str(TKG.describesStudy)), None, None)}
    ids: dict[str, list[tuple[str, str]]] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(str(TKG.hasIdentifier)), None, None):
        ident = iri.parse_identifier(q.object.value)  # type: ignore[union-attr]
        if ident and ident[0] in LINKING_SCHEMES:
            ids.setdefault(q.graph_name.value, []).append(ident)  # type: ignore[union-attr]
    records = [(g, study_of[g], tuple(group)) for g, group in sorted(ids.items()) if g in study_of]
    for g, (old, new) in sorted(study_changes(records).items()):
        _rewrite_study(store, g, old, new)
        study_of[g] = new
    return study_of


def study_changes(records: Iterable[tuple[str, str, tuple[tuple[str, str], ...]]]) -> dict[str, tuple[str, str]]:
    """Record graph -> (its study, the study of its identifier group) where the two differ.

    ``records``: (graph, study, linking identifiers) of every record; a group's study is
    the IRI of its best identifier.
    """
    records = list(records)
    uf = UnionFind()
    for _, _, ids in records:
        uf.union(sorted(ids, key=id_rank))
    changes = {}
    for graph, study, ids in records:
        new = str(iri.study(*uf.find(min(ids, key=id_rank)))) if ids else study
        if new != study:
            changes[graph] = (study, new)
    return changes


def _rewrite_study(store: ox.Store, graph: str, old: str, new: str) -> None:
    o, n = ox.NamedNode(old), ox.NamedNode(new)
    lines = []
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
        s = n if q.subject == o else q.subject
        obj = n if q.object == o else q.object
        lines.append(f"{s} {q.predicate} {obj} .")
    store.update(f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n" + "\n".join(lines) + "\n} }")


def _count(store: ox.Store, graph: str) -> int:
    rows = select(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(value(rows[0]["n"])) if rows else 0


def collect_mentions(store: ox.Store) -> None:
    """Drop shared mention nodes no document graph refers to any more (after an edited document)."""
    graph = ox.NamedNode(str(iri.MENTIONS_GRAPH))
    nodes = {q.subject for q in store.quads_for_pattern(None, None, None, graph)}
    for node in sorted(nodes, key=str):
        if not any(q.graph_name != graph for q in store.quads_for_pattern(None, None, node, None)):
            for q in list(store.quads_for_pattern(node, None, None, graph)):
                store.remove(q)


def finish_metadata(store: ox.Store, changed: bool, activity: list[tuple[str, str, str]], replaced: bool = False) -> int:
    """After a build that wrote anything: shared graphs, the closure and the dataset's counts; returns its triples."""
    ds = ox.NamedNode(str(iri.DATASET))
    if changed:
        if replaced:
            collect_mentions(store)
        materialise_closure(store)
        shared = [str(g) for g in (iri.ONTOLOGY_GRAPH, iri.REFERENCE_GRAPH, iri.MENTIONS_GRAPH, iri.CLOSURE_GRAPH)]
        # The linkage graph exists only when some studies are linked; a build that unlinks them drops its description.
        linkage = ox.NamedNode(str(iri.LINKAGE_GRAPH))
        if store.contains_named_graph(linkage):
            shared.append(linkage.value)
        else:
            for q in list(store.quads_for_pattern(None, None, linkage, META)) + list(
                    store.quads_for_pattern(linkage, None, None, META)):
                store.remove(q)
        lines = [nquad(s, p, o, META.value) for g in shared for s, p, o in subset(g, _count(store, g))]
        lines += [nquad(s, p, o, META.value) for s, p, o in activity]
        _drop_unused_activities(store)
        for g in shared:
            for q in list(store.quads_for_pattern(ox.NamedNode(g), ox.NamedNode(VOID_TRIPLES), None, META)):
                store.remove(q)
        store.load(("\n".join(lines) + "\n").encode(), format=ox.RdfFormat.N_QUADS)
        total = sum(graph_counts(store).values())
        head = {p for p in (ox.NamedNode(VOID_SUBSET), ox.NamedNode(str(DCTERMS.source)))}
        for q in list(store.quads_for_pattern(ds, None, None, META)):
            if q.predicate not in head:
                store.remove(q)
        store.load(("\n".join(nquad(s, p, o, META.value) for s, p, o in dataset_head(total)) + "\n").encode(),
                   format=ox.RdfFormat.N_QUADS)
    found = list(store.quads_for_pattern(ds, ox.NamedNode(VOID_TRIPLES), None, META))
    return int(value(found[0].object)) if found else 0


def _drop_unused_activities(store: ox.Store) -> None:
    """Descriptions of extraction activities no stored document was generated by any more."""
    generated_by, activity = ox.NamedNode(str(PROV.wasGeneratedBy)), ox.NamedNode(str(PROV.Activity))
    used = {q.object for q in store.quads_for_pattern(None, generated_by, None, META)}
    for q in list(store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), activity, META)):
        if q.subject not in used:
            for old in list(store.quads_for_pattern(q.subject, None, None, META)):
                store.remove(old)
