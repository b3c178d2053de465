"""Compile the reference tables once into a packaged N-Triples artifact.

``python -m kg.reference_compile`` writes ``kg/data/reference.nt.gz`` (sorted
N-Triples of the reference graph), ``kg/data/lexicon.tsv.gz`` (the normaliser's
names, already normalised) and ``kg/data/reference.sha256`` (a digest of the
tables they came from). A build loads the artifact with Oxigraph's parser in
about a second instead of rebuilding the graph from the tables; a test fails
when the artifact is older than the tables.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pyoxigraph as ox

from kg.emit.reference import reference_graph
from kg.refdata import load_reference
from kg.resources import reference_dir
from kg.store import to_ox

DATA = Path(__file__).resolve().parent / "data"
ARTIFACT = DATA / "reference.nt.gz"
LEXICON = DATA / "lexicon.tsv.gz"
DIGEST = DATA / "reference.sha256"


def tables_digest(folder: Path | None = None) -> str:
    """SHA-256 over every reference table (names and bytes), in name order."""
    d = folder or reference_dir()
    h = hashlib.sha256()
    for path in sorted(p for p in d.rglob("*.tsv")):
        h.update(str(path.relative_to(d)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_gz(path: Path, lines: list[str]) -> None:
    # mtime=0: the same tables give the same artifact bytes
    with gzip.GzipFile(path, "wb", mtime=0) as fh:
        fh.write(("\n".join(lines) + "\n").encode("utf-8"))


def compile_reference(out: Path = ARTIFACT, digest_file: Path = DIGEST) -> int:
    """Write the reference graph and the normaliser's lexicon; returns the triple count."""
    from kg.lexicon import build_lexicon, lexicon_rows

    ref = load_reference()
    lines = sorted({f"{to_ox(s)} {to_ox(p)} {to_ox(o)} ." for s, p, o in reference_graph(ref)})
    _write_gz(out, lines)
    _write_gz(LEXICON, ["\t".join(row) for row in lexicon_rows(build_lexicon(ref))])
    digest_file.write_text(tables_digest() + "\n", encoding="utf-8")
    return len(lines)


def lexicon_rows() -> list[list[str]]:
    text = gzip.decompress(LEXICON.read_bytes()).decode("utf-8")
    return [line.split("\t") for line in text.splitlines() if line]


def artifact_is_current() -> bool:
    return all(p.exists() for p in (ARTIFACT, LEXICON, DIGEST)) and DIGEST.read_text().strip() == tables_digest()


def load_artifact(store: ox.Store, graph: ox.NamedNode) -> None:
    """Replace ``graph`` with the compiled reference triples."""
    if store.contains_named_graph(graph):
        store.remove_graph(graph)
    store.bulk_load(gzip.decompress(ARTIFACT.read_bytes()), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)


if __name__ == "__main__":
    print(f"wrote {ARTIFACT.name}: {compile_reference()} triples")
