"""The Oxigraph store: open, replace a named graph atomically, query, dump.

Graph replacement is one SPARQL Update request (``DROP`` then ``INSERT
DATA``), which Oxigraph runs as one transaction: a reader never sees a
document's graph half-written, and a failed insert leaves the old one.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import tempfile
from contextlib import ExitStack
from itertools import islice
from typing import BinaryIO
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.graph import Graph
from rdflib.term import Node

DEFAULT_STORE = Path("trialkg-store")


Term = ox.NamedNode | ox.BlankNode | ox.Literal


def select(store: ox.Store, query: str, substitutions: dict[ox.Variable, Term] | None = None,
           union: bool = False) -> list[ox.QuerySolution]:
    """Solutions of a SELECT query (a TypeError for ASK or CONSTRUCT)."""
    result = store.query(query, substitutions=substitutions, use_default_graph_as_union=union)  # type: ignore[arg-type]
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("not a SELECT query")
    return list(result)


def value(term: object) -> str:
    """The lexical value of a term, '' for None."""
    return "" if term is None else str(getattr(term, "value", term))


class StoreError(Exception):
    """A store that cannot be opened as asked; the message names the store and says why."""


def open_store(path: str | Path | None = DEFAULT_STORE) -> ox.Store:
    """An on-disk store at ``path`` (created if missing), or in memory for None.

    Raises:
        StoreError: another process holds the store (a build or a writer).
    """
    if path is None:
        return ox.Store()
    Path(path).mkdir(parents=True, exist_ok=True)
    try:
        return ox.Store(str(path))
    except OSError as exc:
        raise _store_error(path, exc) from exc


def open_existing(path: str | Path, read_only: bool = True) -> ox.Store:
    """A store that must exist already: read-only by default, so that it can be read while
    ``trialkg serve`` or another reader has it open (RocksDB read-only instances take no lock).

    Raises:
        StoreError: no store at ``path``, not a store, or busy (read-write only).
    """
    folder = Path(path)
    if not folder.is_dir() or not (folder / "CURRENT").is_file():
        raise StoreError(f"{path}: no TrialKG store here (build one with `trialkg build --store {path}`)")
    try:
        return ox.Store.read_only(str(folder)) if read_only else ox.Store(str(folder))
    except OSError as exc:
        raise _store_error(path, exc) from exc


def _store_error(path: str | Path, exc: OSError) -> StoreError:
    text = str(exc)
    if "LOCK" in text or "lock" in text:
        return StoreError(f"{path}: the store is busy: another trialkg process (a build, or a command that "
                          "writes) has it open; try again when it has finished")
    return StoreError(f"{path}: cannot open the store: {text}")


def to_ox(term: Node) -> Term:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def add_triples(store: ox.Store, graph: ox.NamedNode, triples: Iterable[tuple[Node, Node, Node]]) -> None:
    """rdflib triples into ``graph``, blank-node labels kept (``bulk_extend``: fast, not a transaction)."""
    store.bulk_extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph) for s, p, o in triples)  # type: ignore[arg-type]


def replace_graph_bulk(store: ox.Store, graph: URIRef, triples: Iterable[tuple[Node, Node, Node]]) -> None:
    """Replace a graph the build itself owns (ontology, reference data) by direct insertion.

    Unlike SPARQL ``INSERT DATA``, which gives blank nodes fresh labels, this
    keeps the labels of :func:`graph_triples`, so dumps stay byte-identical.
    The graph is cleared first, then refilled with ``bulk_extend`` (fast; not one transaction,
    acceptable for graphs the build regenerates from packaged files).
    """
    g = ox.NamedNode(str(graph))
    store.remove_graph(g) if store.contains_named_graph(g) else None
    store.bulk_extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in triples)  # type: ignore[arg-type]


def graph_triples(graph: Graph) -> list[tuple[Node, Node, Node]]:
    """Triples of an rdflib graph with blank nodes relabelled deterministically.

    A blank node's label is a digest of the IRI and predicate that reach it and
    of what it contains, so the same ontology always dumps the same bytes
    (rdflib's canonical labels depend on the process hash seed). Assumes
    tree-shaped blank nodes, as OWL class expressions and lists are.
    """
    incoming = {o: (s, p) for s, p, o in graph if isinstance(o, BNode)}

    def content(b: BNode) -> str:
        return repr(sorted((str(p), content(o) if isinstance(o, BNode) else o.n3())
                           for p, o in graph.predicate_objects(b)))

    def label(b: BNode) -> BNode:
        s, p = incoming.get(b, (None, None))
        head = label(s) if isinstance(s, BNode) else (s.n3() if s is not None else "")
        return BNode("b" + hashlib.sha256(f"{head} {p} {content(b)}".encode()).hexdigest()[:32])

    relabel: dict[Node, Node] = {b: label(b) for b in {*graph.subjects(), *graph.objects()} if isinstance(b, BNode)}
    return [(relabel.get(s, s), p, relabel.get(o, o)) for s, p, o in graph]


def sorted_nquads(store: ox.Store) -> bytes:
    """The whole store as N-Quads, lines sorted: byte-identical for the same content."""
    buf = io.BytesIO()
    write_sorted_nquads(store, buf)
    return buf.getvalue()


SORT_RUN_LINES = 400_000  # lines sorted in memory at a time (about 100 MB)


def write_sorted_nquads(store: ox.Store, out: BinaryIO, run_lines: int = SORT_RUN_LINES) -> None:
    """Stream the store as sorted, distinct N-Quads lines: an external merge sort through temporary files.

    Byte order of UTF-8 lines is code-point order, so this is the order of sorting the decoded lines.
    """
    with tempfile.TemporaryDirectory(prefix="trialkg-sort-") as tmp:
        dump = Path(tmp) / "dump.nq"
        store.dump(str(dump), format=ox.RdfFormat.N_QUADS)
        runs: list[Path] = []
        with open(dump, "rb") as fh:
            while lines := [line if line.endswith(b"\n") else line + b"\n" for line in islice(fh, run_lines)]:
                lines.sort()
                run = Path(tmp) / f"run{len(runs)}"
                run.write_bytes(b"".join(lines))
                runs.append(run)
        dump.unlink()
        with ExitStack() as stack:
            files = [stack.enter_context(open(r, "rb")) for r in runs]
            previous = None
            for line in heapq.merge(*files):
                if line != previous:
                    out.write(line)
                    previous = line
