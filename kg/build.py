"""Documents in, graph out. The only writer besides the store.

Documents are read, parsed, linked and emitted as N-Quads by worker processes
(:mod:`kg.pipeline`), a bounded number of batches ahead; one writer (this
process) bulk-loads their quads into Oxigraph in large batches, each document's
description after its graphs. Nothing per document is kept beyond its key and
its records' graphs and identifiers, so memory does not grow with the corpus.

Then the build makes study identity independent of build order: records that
share a registry identifier, stored earlier or now, name one study (the best
identifier of the group); a stored graph whose study changed is rewritten in
one transaction. An edited document replaces its graphs in one transaction; an
unchanged one (same bytes, reader version and reference data) is skipped before
it is parsed, against one read of the stored checksums. Studies of different
registries without a shared identifier are linked where they are judged one
trial (:mod:`kg.linkage`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, islice
from multiprocessing import get_context
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCTERMS

from kg import iri, reference_compile
from kg.emit import id_rank
from kg.emit.metadata import activity, activity_description, stored_documents
from kg.emit.reference import reference_graph
from kg.lexicon import build_lexicon
from kg.linkage import link_studies
from kg.model import SourceError
from kg.ontology_build import load_tbox
from kg.pipeline import DocResult, add_counts, lower_priority, process, process_many
from kg.refdata import Reference, default_reference
from kg.resources import corpus_dir, ontology_dir
from kg.sources.inputs import DocumentRef, iter_documents, read_bytes
from kg.store import add_triples, graph_triples
from kg.writer import COMPACT_AFTER_LOADS, Writer, finish_metadata, reconcile_studies

log = logging.getLogger(__name__)

CHUNK = 16  # documents per worker task
AHEAD = 24  # tasks per worker in flight (~400 documents, ~50 MB of N-Quads): bounds memory
PARALLEL_FROM = 48  # fewer documents are built in this process (starting workers costs seconds)


@dataclass
class BuildReport:
    documents: int = 0
    skipped_unchanged: int = 0
    records: int = 0
    studies: set[str] = field(default_factory=set)
    links: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[SourceError] = field(default_factory=list)
    triples: int = 0
    changed: bool = False
    seconds: dict[str, float] = field(default_factory=dict)  # wall time by stage (the benchmark reports it)
    compaction: Compaction | None = field(default=None, repr=False)  # running when built with compact="background"

    def lap(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - since, 3)
        return now

    def add_links(self, counts: dict[str, dict[str, int]]) -> None:
        add_counts(self.links, counts)

    def wait_for_compaction(self) -> None:
        """Return once the store is compacted (at once when no compaction runs)."""
        if self.compaction is not None:
            self.seconds["compaction"] = round(self.compaction.wait(), 3)
            self.compaction = None


class Compaction(threading.Thread):
    """``Store.optimize()`` on its own thread: Oxigraph lets go of the GIL while RocksDB compacts,
    so the headline answer and the view are computed meanwhile, on the other core."""

    def __init__(self, store: ox.Store) -> None:
        super().__init__(name="trialkg-compaction")
        self.store = store
        self.error: BaseException | None = None
        self.seconds = 0.0

    def run(self) -> None:
        t = time.perf_counter()
        try:
            self.store.optimize()
        except BaseException as exc:  # raised again in the thread that waits
            self.error = exc
        self.seconds = time.perf_counter() - t

    def wait(self) -> float:
        """Seconds the compaction took."""
        self.join()
        if self.error is not None:
            raise self.error
        return self.seconds


def _digest_in(store: ox.Store, graph: ox.NamedNode) -> str | None:
    quads = list(store.quads_for_pattern(graph, ox.NamedNode(str(DCTERMS.identifier)), None, graph))
    return quads[0].object.value if quads else None  # type: ignore[union-attr]


def _swap_in(store: ox.Store, graph_iri: str, digest: str, fill: Callable[[ox.NamedNode], None]) -> None:
    """Replace a graph the build owns (ontology, reference) so that no reader ever sees it missing or half
    loaded: filled under a staging name, then moved over the old one in one SPARQL Update transaction
    (``MOVE`` keeps blank-node labels, so dumps stay byte-identical). The digest goes in with the content,
    so a build killed half-way leaves the old graph and its old digest, and the next build reloads."""
    graph = ox.NamedNode(graph_iri)
    mark = ox.Quad(graph, ox.NamedNode(str(DCTERMS.identifier)), ox.Literal(digest))
    if not store.contains_named_graph(graph):  # a new store: nothing a reader could lose
        fill(graph)
        store.add(ox.Quad(mark.subject, mark.predicate, mark.object, graph))
        return
    staging = ox.NamedNode(graph_iri + "#staging")
    fill(staging)
    store.add(ox.Quad(mark.subject, mark.predicate, mark.object, staging))
    store.update(f"MOVE SILENT GRAPH <{staging.value}> TO GRAPH <{graph.value}>")


def load_ontology_and_reference(store: ox.Store, ref: Reference | None = None) -> str:
    """(Re)load the ontology and the reference graph where they changed; returns the reference digest.

    The reference graph comes from the compiled artifact when it matches the
    tables (fast), else it is rebuilt from the tables. Each is swapped in
    atomically (:func:`_swap_in`).
    """
    for owned in (iri.ONTOLOGY_GRAPH, iri.REFERENCE_GRAPH):  # staging left by a build killed mid-reload
        if store.contains_named_graph(staging := ox.NamedNode(f"{owned}#staging")):
            store.remove_graph(staging)
    ttl = ontology_dir() / "trialkg.ttl"
    ont_digest = "sha256:" + reference_compile.file_digest(ttl)
    if _digest_in(store, ox.NamedNode(str(iri.ONTOLOGY_GRAPH))) != ont_digest:
        tbox = graph_triples(load_tbox(ttl))
        _swap_in(store, str(iri.ONTOLOGY_GRAPH), ont_digest, lambda g: add_triples(store, g, tbox))
    digest = reference_digest(ref)  # of the caller's reference (tests, benchmarks) or the packaged tables
    if _digest_in(store, ox.NamedNode(str(iri.REFERENCE_GRAPH))) != digest:
        if ref is None and reference_compile.artifact_is_current():
            _swap_in(store, str(iri.REFERENCE_GRAPH), digest, lambda g: reference_compile.load_artifact(store, g))
        else:
            if ref is None:  # a minute or two instead of two seconds, on every fresh store: say why
                log.warning("kg/data/reference.nt.gz is older than the tables in ontology/reference/: building the "
                            "reference graph from the tables (run `python -m kg.reference_compile` to refresh it)")
            triples = list(reference_graph(ref or default_reference()))
            _swap_in(store, str(iri.REFERENCE_GRAPH), digest, lambda g: add_triples(store, g, triples))
    return digest


def reference_digest(ref: Reference | None) -> str:
    """What the linking depends on: the packaged tables, or the caller's reference."""
    if ref is None:
        return "sha256:" + reference_compile.tables_digest()
    lines = sorted(" ".join(t.n3() for t in triple) for triple in reference_graph(ref))
    return "custom:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class _Feed:
    """Results in input order, from worker processes started before the reference is loaded.

    At most ``AHEAD`` tasks per worker are in flight: enough to keep the
    workers busy while the writer loads a batch, few enough to bound memory.
    """

    def __init__(self, items: list[tuple[DocumentRef, str | None]], act: str, workers: int,
                 ref: Reference | None) -> None:
        self.items, self.act, self.ref = items, act, ref
        self.pool: ProcessPoolExecutor | None = None
        self.pending: deque[Future] = deque()
        if ref is None and workers > 1 and len(items) >= PARALLEL_FROM:
            # spawn, not fork: the writer holds the store (RocksDB threads) open.
            self.pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=lower_priority)
            self.chunks = _chunks(items, CHUNK)
            self.pending.extend(self.pool.submit(process_many, c, act) for c in islice(self.chunks, workers * AHEAD))

    def __iter__(self) -> Iterator[DocResult]:
        if self.pool is None:
            lex = build_lexicon(self.ref) if self.ref is not None else None
            for doc, sha in self.items:
                yield process(doc, sha, self.act, lex)
            return
        while self.pending:
            done = self.pending.popleft().result()
            nxt = next(self.chunks, None)
            if nxt is not None:
                self.pending.append(self.pool.submit(process_many, nxt, self.act))
            yield from done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    # A bar with documents per second and time left on a terminal; nothing when output is piped.
    return tqdm(total=total, unit="doc", desc="building", disable=not (enabled and sys.stderr.isatty()),
                dynamic_ncols=True, mininterval=0.5)


def _refs(paths: Iterable[str | Path] | None, root: str | Path | None, errors: list[SourceError]) -> list[DocumentRef]:
    if not paths:  # the bundled corpus, keyed corpus/<name> whatever the install location
        return iter_documents(sorted(p for p in corpus_dir().iterdir() if p.suffix == ".txt"), corpus_dir().parent, errors)
    return iter_documents(paths, root or Path.cwd(), errors)


def build(paths: Iterable[str | Path] | None, store: ox.Store, progress: bool = True,
          ref: Reference | None = None, workers: int | None = None, root: str | Path | None = None,
          compact: str = "wait") -> BuildReport:
    """Build the graph of these documents, folders and zip archives (default: the bundled corpus) into ``store``.

    ``root``: document keys are paths under it (default: the current directory).
    ``workers``: processes that parse, link and emit (default: all cores).
    ``compact``: after a large build the store is compacted; "wait" returns once
    it is, "background" at once (the store answers queries meanwhile; call
    ``report.wait_for_compaction()`` before the process ends).
    """
    if compact not in ("wait", "background"):
        raise ValueError(f"compact: 'wait' or 'background', not {compact!r}")
    report = BuildReport()
    t = time.perf_counter()
    refs = _refs(paths, root, report.errors)
    act = activity(reference_digest(ref))
    stored = stored_documents(store)
    items = [(r, stored[r.key][0] if r.key in stored and stored[r.key][1] == act else None) for r in refs]
    unchanged, items = _unchanged(items)
    t = report.lap("list documents and stored checksums", t)
    feed = _Feed(items, act, workers or default_workers(), ref)
    try:
        digest = load_ontology_and_reference(store, ref)  # while the workers start
        t = report.lap("ontology and reference", t)
        writer = Writer(store, stored)
        mine: list[str] = []
        with _progress(len(items), progress) as bar:
            for result in chain(unchanged, _wait(feed, report)):
                _account(report, result, stored, mine)
                t0 = time.perf_counter()
                writer.add(result, report.errors)
                report.lap("write", t0)
                bar.update(1)
        t0 = time.perf_counter()
        writer.close(report.errors)
        t = report.lap("write", t0)
    finally:
        feed.close()
    report.changed = writer.changed
    if writer.loads >= COMPACT_AFTER_LOADS:
        # Started now, it overlaps the small writes below (RocksDB compacts what the loads left and
        # takes later writes beside it) and, in the background, the caller's first queries.
        report.compaction = Compaction(store)
        report.compaction.start()
    try:
        study_of = reconcile_studies(store)
        report.studies = {study_of[g] for g in mine if g in study_of}
        t = report.lap("study identity", t)
        if writer.changed:
            link_studies(store)
            t = report.lap("cross-registry linkage", t)
        report.triples = finish_metadata(store, writer.changed, activity_description(act, digest), writer.replaced)
        t = report.lap("closure and dataset description", t)
    finally:
        if compact == "wait" or sys.exc_info()[0] is not None:
            report.wait_for_compaction()
    return report


def _unchanged(items: list[tuple[DocumentRef, str | None]]) -> tuple[list[DocResult], list[tuple[DocumentRef, str | None]]]:
    """Documents whose bytes still hash to their stored checksum, checked here: an unchanged
    rebuild starts no worker (reading and hashing costs far less than starting one)."""
    unchanged: list[DocResult] = []
    rest: list[tuple[DocumentRef, str | None]] = []
    for ref, sha in items:
        try:
            same = sha is not None and hashlib.sha256(read_bytes(ref)).hexdigest() == sha
        except SourceError:  # the worker reports it
            same = False
        if same:
            unchanged.append(DocResult(ref.key, sha or "", unchanged=True))
        else:
            rest.append((ref, None))  # known to be new or changed: the worker need not compare again
    return unchanged, rest


def _wait(feed: _Feed, report: BuildReport) -> Iterator[DocResult]:
    """The feed's results, timing how long the writer waits for the workers."""
    it = iter(feed)
    while True:
        t = time.perf_counter()
        result = next(it, None)
        report.lap("wait for workers", t)
        if result is None:
            return
        yield result


def _account(report: BuildReport, result: DocResult, stored: dict, mine: list[str]) -> None:
    if result.error is not None:
        return
    report.documents += 1
    if result.unchanged:
        report.skipped_unchanged += 1
        mine += stored[result.key][2]
        return
    report.records += len(result.records)
    report.add_links(result.links)
    mine += [r.graph for r in result.records]


__all__ = ["BuildReport", "build", "default_workers", "id_rank", "load_ontology_and_reference"]
