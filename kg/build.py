"""Documents in, graph out: read, normalise, emit, store. The only writer besides the store.

Documents are processed one at a time (two passes: identifiers first, so that
records sharing a registry identifier become one study; then each document's
graph), so memory does not grow with the corpus. A bad document is reported
and skipped; the others go on.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS

from kg import iri, reference_compile
from kg.emit import Document, emit_record, study_key
from kg.emit.metadata import dataset_description
from kg.emit.reference import reference_graph
from kg.model import SourceError, StudyRecord
from kg.namespace import TKG
from kg.lexicon import Lexicon, build_lexicon, default_lexicon
from kg.normalize import link_counts, link_record
from kg.ontology_build import load_tbox
from kg.refdata import Reference, default_reference
from kg.resources import corpus_files, ontology_dir
from kg.sources import read_document
from kg.store import graph_triples, replace_graph_bulk, replace_graphs, select, value

# Schemes that identify one study across registries; sponsor codes may collide between sponsors.
LINKING_SCHEMES = ("NCT", "EU_CT", "EUDRACT", "WHO_ICTRP")


@dataclass
class BuildReport:
    documents: int = 0
    skipped_unchanged: int = 0
    records: int = 0
    studies: set[str] = field(default_factory=set)
    links: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[SourceError] = field(default_factory=list)
    triples: int = 0

    def add_links(self, counts: dict[str, dict[str, int]]) -> None:
        for kind, c in counts.items():
            mine = self.links.setdefault(kind, {"linked": 0, "unlinked": 0})
            for k, v in c.items():
                mine[k] += v


class _UnionFind:
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
            a, b = sorted((self.find(items[0]), self.find(other)), key=_rank)
            self.parent[b] = a


def _rank(ident: tuple[str, str]) -> tuple[int, str]:
    return (LINKING_SCHEMES.index(ident[0]), ident[1])


def _ids(rec: StudyRecord) -> list[tuple[str, str]]:
    return sorted({(i.scheme, i.value) for i in rec.registry_ids if i.scheme in LINKING_SCHEMES}, key=_rank)


def _read(path: Path, report: BuildReport) -> tuple[bytes, list[StudyRecord]] | None:
    try:
        return read_document(path)
    except SourceError as exc:
        report.errors.append(exc)
        return None


def _study_groups(paths: list[Path]) -> _UnionFind:
    uf = _UnionFind()
    for path in paths:
        try:
            _, records = read_document(path)
        except SourceError:
            continue
        for rec in records:
            ids = _ids(rec)
            if ids:
                uf.union(ids)
    return uf


def _stored_digest(store: ox.Store) -> str | None:
    quads = list(store.quads_for_pattern(ox.NamedNode(str(iri.REFERENCE_GRAPH)), ox.NamedNode(str(DCTERMS.identifier)),
                                         None, ox.NamedNode(str(iri.REFERENCE_GRAPH))))
    return value(quads[0].object) if quads else None


def load_ontology_and_reference(store: ox.Store, ref: Reference | None = None) -> None:
    """(Re)load the ontology, and the reference graph unless the store has it already.

    The reference graph comes from the compiled artifact when it matches the
    tables (fast), else it is rebuilt from the tables.
    """
    tbox = load_tbox(ontology_dir() / "trialkg.ttl")
    replace_graph_bulk(store, iri.ONTOLOGY_GRAPH, graph_triples(tbox))
    digest = "sha256:" + reference_compile.tables_digest()
    if ref is None and _stored_digest(store) == digest:
        return
    graph = ox.NamedNode(str(iri.REFERENCE_GRAPH))
    if ref is None and reference_compile.artifact_is_current():
        reference_compile.load_artifact(store, graph)
    else:
        replace_graph_bulk(store, iri.REFERENCE_GRAPH, list(reference_graph(ref or default_reference())))
    if ref is None:
        store.add(ox.Quad(graph, ox.NamedNode(str(DCTERMS.identifier)), ox.Literal(digest), graph))


def _previous_graphs(store: ox.Store, file_name: str) -> dict[URIRef, str]:
    """Graphs built earlier from a file of this name, with the digest they were built from."""
    q = (f"SELECT ?g ?sha ?v ?name WHERE {{ GRAPH ?g {{ ?r <{TKG.fileName}> ?name ; "
         f"<{TKG.sha256}> ?sha ; <{TKG.readerVersion}> ?v }} }}")
    rows = select(store, q, {ox.Variable("name"): ox.Literal(file_name)})
    return {URIRef(value(r["g"])): f"{value(r['sha'])}/{value(r['v'])}" for r in rows}


def _study_iri(rec: StudyRecord, uf: _UnionFind, sha: str) -> URIRef:
    ids = _ids(rec)
    if ids:
        return iri.study(*uf.find(ids[0]))
    key = study_key(rec)
    return iri.study(*key) if key else iri.study_from_hash(sha)


def build_document(store: ox.Store, path: Path, lex: Lexicon, uf: _UnionFind, report: BuildReport) -> None:
    from kg import __version__

    read = _read(path, report)
    if read is None:
        return
    data, records = read
    sha = hashlib.sha256(data).hexdigest()
    report.documents += 1
    previous = _previous_graphs(store, path.name)
    if previous and set(previous.values()) == {f"{sha}/{__version__}"}:
        report.skipped_unchanged += 1
        report.studies.update(str(_study_iri(r, uf, sha)) for r in records)
        return
    graphs: dict[URIRef, list] = {}
    for index, rec in enumerate(records):
        doc = Document(path.name, sha, _format_of(rec), index if len(records) > 1 else 0)
        links = link_record(lex, rec)
        study = _study_iri(rec, uf, sha)
        graph, triples = emit_record(rec, links, doc, study)
        graphs[graph] = triples
        report.records += 1
        report.studies.add(str(study))
        report.add_links(link_counts(links))
    replace_graphs(store, previous, graphs)


def _format_of(rec: StudyRecord) -> str:
    return rec.format


def build(paths: Iterable[str | Path] | None, store: ox.Store, progress: bool = True,
          ref: Reference | None = None) -> BuildReport:
    """Build the graph of these documents (default: the bundled corpus) into ``store``."""
    files = sorted({Path(p) for p in paths} if paths else set(corpus_files()), key=lambda p: (p.name, str(p)))
    files = [f for p in files for f in (sorted(p.iterdir()) if p.is_dir() else [p])]
    load_ontology_and_reference(store, ref)
    lex = default_lexicon() if ref is None else build_lexicon(ref)
    uf, report = _study_groups(files), BuildReport()
    for i, path in enumerate(files, start=1):
        build_document(store, path, lex, uf, report)
        if progress and len(files) > 5:
            print(f"\r  [{'#' * (30 * i // len(files)):<30}] {i}/{len(files)} documents", end="", file=sys.stderr)
    if progress and len(files) > 5:
        print(file=sys.stderr)
    replace_graphs(store, [], {iri.METADATA_GRAPH: dataset_description(store)})
    report.triples = len(store)
    return report
