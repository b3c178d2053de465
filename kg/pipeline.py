"""The per-document step of a build: bytes in, N-Quads out. A pure function, run in worker processes.

:func:`process` reads one document, skips it when its checksum is the one the
store already holds, else parses, links and emits it into N-Quads lines: the
document's record graphs and the shared mentions (``nquads``), then the
description of the document (``meta``), which the writer loads after the
graphs so that a document is marked built only once its graphs are stored.
Only plain strings and bytes cross the process boundary.

Each record's statements name the study its own best identifier names; the
build joins records that share an identifier afterwards (:mod:`kg.build`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.emit import LINKING_SCHEMES, Document, Emitted, emit_record, linking_ids
from kg.emit.metadata import document_description
from kg.lexicon import Lexicon, default_lexicon
from kg.model import SourceError
from kg.normalize import link_counts, link_record
from kg.sources import parse_bytes
from kg.sources.inputs import DocumentRef, read_bytes

__all__ = ["LINKING_SCHEMES", "DocResult", "RecordOut", "lower_priority", "process", "process_many"]


@dataclass(frozen=True)
class RecordOut:
    """What the writer needs to know of one record: where it went and how it identifies its study."""

    graph: str
    study: str
    ids: tuple[tuple[str, str], ...]  # linking identifiers (scheme, value), best first
    triples: int


@dataclass(frozen=True)
class DocResult:
    key: str
    sha256: str = ""
    unchanged: bool = False
    error: str | None = None  # the reason a document was refused (the key names it)
    records: tuple[RecordOut, ...] = ()
    nquads: bytes = b""
    meta: bytes = b""
    links: dict[str, dict[str, int]] = field(default_factory=dict)

    def source_error(self) -> SourceError | None:
        return SourceError(self.error, self.key) if self.error is not None else None


_LEXICON: dict[str, Lexicon] = {}
WORKER_NICENESS = 5


def _lexicon() -> Lexicon:
    # Loaded on first use, once per worker: an unchanged rebuild never pays for it.
    if "default" not in _LEXICON:
        _LEXICON["default"] = default_lexicon()
    return _LEXICON["default"]


def add_counts(total: dict[str, dict[str, int]], counts: dict[str, dict[str, int]]) -> None:
    for kind, c in counts.items():
        mine = total.setdefault(kind, {"linked": 0, "unlinked": 0})
        for k, v in c.items():
            mine[k] += v


def process(ref: DocumentRef, stored_sha: str | None, act: str, lex: Lexicon | None = None) -> DocResult:
    """Read, parse, link and emit one document (or skip it if its bytes are ``stored_sha``'s)."""
    try:
        data = read_bytes(ref)
        sha = hashlib.sha256(data).hexdigest()
        if sha == stored_sha:
            return DocResult(ref.key, sha, unchanged=True)
        records = parse_bytes(data, ref.key)
    except SourceError as exc:
        return DocResult(ref.key, error=exc.reason)
    lex = lex or _lexicon()
    outs, lines, counts = [], [], {}  # type: ignore[var-annotated]
    for index, rec in enumerate(records):
        doc = Document(ref.key, sha, rec.format, index if len(records) > 1 else 0)
        links = link_record(lex, rec)
        em: Emitted = emit_record(rec, links, doc)
        own, shared = em.lines()
        lines += own | shared
        outs.append(RecordOut(em.graph, em.study, linking_ids(rec), len(own)))
        add_counts(counts, link_counts(links))
    meta = document_description(ref.key, sha, act, [(o.graph, o.triples) for o in outs])
    return DocResult(ref.key, sha, records=tuple(outs), nquads=_join(sorted(set(lines))), meta=_join(meta), links=counts)


def _join(lines: Iterable[str]) -> bytes:
    text = "\n".join(lines)
    return (text + "\n").encode("utf-8") if text else b""


def lower_priority() -> None:
    """Worker initialiser: the writer, which alone can hold the build up, goes first for the cores."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not permitted here: run at the same priority
        pass


def process_many(items: list[tuple[DocumentRef, str | None]], act: str) -> list[DocResult]:
    """A batch of documents, in order (one task for a worker process)."""
    return [process(ref, sha, act) for ref, sha in items]
