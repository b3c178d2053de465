"""The build beyond one machine: the per-document step on a Dask cluster, writing sorted N-Quads shards.

:func:`kg.pipeline.process` is a pure function of a document's bytes, so a
partition of documents maps to one shard file (``part-NNNNN.nq``: its
documents' graphs, shared mentions and descriptions, sorted distinct lines) on
any Dask scheduler; no scheduler of our own. The driver only enumerates the
documents and joins study identity: records sharing a linking identifier in
different partitions must name one study, so a union-find over the records'
identifiers (a few strings per record) finds the graphs whose study changes,
and a second Dask pass rewrites those graphs' lines in their shards.

``part-ontology.nq`` (the ontology graph and the extraction activity) and
``part-reference.nq`` (the reference graph) complete them, so the shards alone
are the dataset: Oxigraph, QLever or Virtuoso bulk-load ``part-*.nq``. What the
shards leave out is the dataset-level counts of the metadata graph (the
``void:triples`` of the shared graphs and of the dataset, which need the whole
loaded dataset): :func:`load_shards` writes them as :func:`kg.build.build`
does, after which the store dumps the same sorted N-Quads as a one-process
build, byte for byte. (Another store's loader relabels the ontology's blank
nodes: the same graph, other labels.)

Shard files depend on the number of partitions; their union does not.
Example (a notebook)::

    from dask.distributed import Client
    report = build_shards(["downloads/"], "shards/", client=Client("scheduler:8786"))
    load_shards(pyoxigraph.Store("trialkg-store"), "shards/")
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import iri
from kg.build import load_ontology_and_reference, reference_digest
from kg.emit.metadata import activity, activity_description
from kg.emit.terms import nquad
from kg.model import SourceError
from kg.pipeline import add_counts as _add_links, process
from kg.sources.inputs import DocumentRef, iter_documents
from kg.store import write_sorted_nquads
from kg.writer import finish_metadata, study_changes

__all__ = ["ShardReport", "build_shards", "load_shards"]

MANIFEST = "manifest.json"
ONTOLOGY_SHARD, REFERENCE_SHARD = "part-ontology.nq", "part-reference.nq"
PARTITION_DOCS = 1000  # documents per shard by default: one partition's lines are sorted in a worker's memory


@dataclass
class ShardReport:
    out_dir: Path
    shards: list[Path] = field(default_factory=list)  # document shards, then the ontology and reference ones
    documents: int = 0
    records: int = 0
    studies: int = 0
    rewritten: int = 0  # record graphs whose study changed after joining the partitions
    errors: list[SourceError] = field(default_factory=list)
    links: dict[str, dict[str, int]] = field(default_factory=dict)


def _dask() -> Any:
    try:
        import dask
        import dask.bag  # noqa: F401  (registers dask.bag on the package)
    except ImportError as exc:  # an optional dependency: only this module needs it
        raise ImportError('kg.distributed needs Dask: pip install "trialkg[distributed]" '
                          '(or "dask[distributed]")') from exc
    return dask


# --- worker side: pure functions of their arguments, writing one file each ---

def _write_sorted(path: Path, lines: Iterable[bytes]) -> None:
    # Written beside, then renamed: a shard is either absent, old or complete, never half-written.
    tmp = path.with_suffix(".nq.tmp")
    tmp.write_bytes(b"".join(sorted(set(lines))))
    os.replace(tmp, path)


def _shard(refs: list[DocumentRef], index: int, out_dir: str, act: str) -> dict[str, Any]:
    """Process one partition's documents into ``part-NNNNN.nq``; returns what the driver needs, nothing more."""
    path = Path(out_dir) / f"part-{index:05d}.nq"
    lines: list[bytes] = []
    summary: dict[str, Any] = {"shard": path.name, "documents": 0, "records": [], "errors": [], "links": {}}
    for ref in refs:
        result = process(ref, None, act)
        if result.error is not None:
            summary["errors"].append((result.key, result.error))
            continue
        summary["documents"] += 1
        summary["records"] += [(r.graph, r.study, r.ids) for r in result.records]
        _add_links(summary["links"], result.links)
        lines += (result.nquads + result.meta).splitlines(keepends=True)
    _write_sorted(path, lines)
    return summary


def _graph_of(line: bytes) -> bytes:
    # The graph is the line's last term and an IRI has no space: what follows the last " <".
    return line[line.rfind(b" <", 0, len(line) - 3) + 2:line.rindex(b">")]


def _rewrite(out_dir: str, name: str, studies: dict[str, tuple[str, str]]) -> str:
    """Replace, in the lines of the graphs named in ``studies`` only, the study IRI old by new; re-sort."""
    path = Path(out_dir) / name
    targets = {g.encode(): (ox.NamedNode(old), ox.NamedNode(new)) for g, (old, new) in studies.items()}
    lines = []
    for line in path.read_bytes().splitlines(keepends=True):
        swap = targets.get(_graph_of(line))
        if swap is not None:
            old, new = swap
            q = next(iter(ox.parse(line, format=ox.RdfFormat.N_QUADS)))  # parsed: a literal may hold the text
            s, o = (new if q.subject == old else q.subject), (new if q.object == old else q.object)
            line = f"{s} {q.predicate} {o} {q.graph_name} .\n".encode()
        lines.append(line)
    _write_sorted(path, lines)
    return name


def _reference_shards(out_dir: str, act: str) -> str:
    """The ontology and reference graphs (with their digests) and the activity, as a one-process build stores them.

    Two files: the ontology's blank nodes need a loader that keeps their labels (see :func:`load_shards`),
    the reference graph (blank-node free, most of the bytes) goes to the fast bulk loader.
    """
    store = ox.Store()
    digest = load_ontology_and_reference(store)
    ontology = ox.NamedNode(str(iri.ONTOLOGY_GRAPH))
    lines = [f"{q} .\n".encode() for q in store.quads_for_pattern(None, None, None, ontology)]
    meta = str(iri.METADATA_GRAPH)
    lines += [f"{nquad(s, p, o, meta)}\n".encode() for s, p, o in activity_description(act, digest)]
    _write_sorted(Path(out_dir) / ONTOLOGY_SHARD, lines)
    store.remove_graph(ontology)
    path = Path(out_dir) / REFERENCE_SHARD
    with open(path.with_suffix(".nq.tmp"), "wb") as fh:
        write_sorted_nquads(store, fh)
    os.replace(path.with_suffix(".nq.tmp"), path)
    return digest


# --- driver side ---

def _compute(client: Any, tasks: list[Any]) -> list[Any]:
    if client is not None:
        return list(client.gather(client.compute(tasks)))
    return list(_dask().compute(*tasks))  # the default scheduler (or a Client made current by the caller)


def _partitions(client: Any, documents: int) -> int:
    # At least one partition per worker thread, more when the partitions would be too big to sort in memory.
    threads = sum(client.nthreads().values()) if client is not None else (os.cpu_count() or 1)
    return max(1, min(documents, max(threads, -(-documents // PARTITION_DOCS))))


def _study_changes(summaries: list[dict[str, Any]]) -> dict[str, dict[str, tuple[str, str]]]:
    """Shard -> {record graph: (old study, new study)}, for the records whose group's best identifier is another's."""
    shard_of = {graph: s["shard"] for s in summaries for graph, _, _ in s["records"]}
    by_graph = study_changes((g, study, tuple(map(tuple, ids))) for s in summaries for g, study, ids in s["records"])
    changes: dict[str, dict[str, tuple[str, str]]] = {}
    for graph, change in by_graph.items():
        changes.setdefault(shard_of[graph], {})[graph] = change
    return changes


def _clear(out: Path) -> None:
    # Shards of an earlier run with more partitions would otherwise be loaded with these; its manifest goes
    # first, so that a run that fails half-way leaves no manifest naming missing or stale shards.
    (out / MANIFEST).unlink(missing_ok=True)
    for old in out.glob("part-*.nq"):
        old.unlink()


def build_shards(paths: Iterable[str | Path], out_dir: str | Path, client: Any = None,
                 partitions: int | None = None, root: str | Path | None = None) -> ShardReport:
    """Build the graph of these documents, folders and zip archives as N-Quads shards in ``out_dir``.

    ``client``: a ``dask.distributed.Client`` (default: Dask's current scheduler). ``out_dir`` must be
    a folder every worker can write (a shared file system for a multi-machine cluster).
    ``root``: document keys are paths under it (default: the current directory), as in :func:`kg.build.build`.
    ``partitions``: shards (default: one per worker thread, more for a large corpus). Earlier
    ``part-*.nq`` files in ``out_dir`` are removed. The shards hold everything but the dataset-level
    counts of the metadata graph, which :func:`load_shards` writes.
    """
    dask = _dask()
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    report = ShardReport(out)
    refs = iter_documents(paths, root or Path.cwd(), report.errors)
    act = activity(reference_digest(None))
    n = partitions or _partitions(client, len(refs))
    parts = dask.bag.from_sequence(refs, npartitions=max(1, min(n, len(refs)))).to_delayed() if refs else []
    # Not pure: the tasks write files, so a result Dask still holds from an earlier call must not stand in for one.
    shard, ref_shard = dask.delayed(_shard, pure=False), dask.delayed(_reference_shards, pure=False)
    done = _compute(client, [ref_shard(str(out), act), *(shard(p, i, str(out), act) for i, p in enumerate(parts))])
    digest, summaries = done[0], done[1:]
    if activity(digest) != act:  # a worker with other reference tables than the driver: mixed shards
        raise RuntimeError(f"the workers' reference data ({digest}) is not the driver's ({act})")
    changes = _study_changes(summaries)
    rewrite = dask.delayed(_rewrite, pure=False)
    _compute(client, [rewrite(str(out), name, studies) for name, studies in sorted(changes.items())])
    _account(report, summaries, changes)
    report.shards = [out / s["shard"] for s in summaries] + [out / ONTOLOGY_SHARD, out / REFERENCE_SHARD]
    _write_manifest(report, act, digest)
    return report


def _account(report: ShardReport, summaries: list[dict[str, Any]], changes: dict[str, dict]) -> None:
    studies: set[str] = set()
    moved = {g: new for c in changes.values() for g, (_, new) in c.items()}
    for s in summaries:
        report.documents += s["documents"]
        report.records += len(s["records"])
        report.errors += [SourceError(reason, key) for key, reason in s["errors"]]
        studies.update(moved.get(g, study) for g, study, _ in s["records"])
        _add_links(report.links, s["links"])
    report.studies, report.rewritten = len(studies), len(moved)


def _write_manifest(report: ShardReport, act: str, digest: str) -> None:
    doc = {"activity": act, "reference_digest": digest, "shards": [p.name for p in report.shards],
           "documents": report.documents, "records": report.records, "studies": report.studies,
           "rewritten_graphs": report.rewritten, "links": report.links,
           "errors": [{"key": e.path, "reason": e.reason} for e in report.errors]}
    (report.out_dir / MANIFEST).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_shards(store: ox.Store, out_dir: str | Path) -> int:
    """Bulk-load the shards of ``out_dir`` (as its manifest lists them) into a fresh store; returns its quads.

    Then the dataset-level counts of the metadata graph are written, as a one-process build writes them.
    """
    out = Path(out_dir)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    for name in manifest["shards"]:
        if name == ONTOLOGY_SHARD:
            # The ontology's blank nodes are labelled by their content (kg.store.graph_triples), which keeps
            # dumps byte-identical; Oxigraph's loaders would give them fresh labels, a parser does not.
            store.bulk_extend(ox.parse(path=str(out / name), format=ox.RdfFormat.N_QUADS))
        elif (out / name).stat().st_size:  # an empty shard (every document of it refused) has nothing to load
            store.bulk_load(path=str(out / name), format=ox.RdfFormat.N_QUADS)
    finish_metadata(store, True, activity_description(manifest["activity"], manifest["reference_digest"]))
    return len(store)
