"""Where documents come from: files, folders (recursively) and zip archives, as users download them.

A document is named by its *key*: its path under the build root (``/``-separated,
so keys are the same on every system), and for a member of a zip archive the
archive's key, ``!/`` and the member's name (the ``jar:`` URL convention). Two
documents with the same file name in different folders have different keys.
A path outside the root is keyed by its absolute path.

Zip members are read one at a time, as streams, never unpacked to disk
(ClinicalTrials.gov's "download all" archive holds one JSON file per study).

Example:
    >>> DocumentRef("a/doc.txt", "/data/a/doc.txt").key
    'a/doc.txt'
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.model import SourceError

ZIP_SUFFIXES = (".zip",)
# A document larger than this is refused before it is read (a study record is kilobytes; an API
# v2 page of 1,000 studies about 30 MB).
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, order=True)
class DocumentRef:
    """One document: its key, the file that holds it, and the zip member when it is in an archive."""

    key: str
    path: str
    member: str | None = None


def _key(path: Path, root: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("__MACOSX")


def _zip_members(path: Path, key: str) -> Iterator[DocumentRef]:
    try:
        with zipfile.ZipFile(path) as z:
            names = [i.filename for i in z.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"cannot read zip archive: {exc}", str(path)) from exc
    for name in sorted(names):
        if not any(_hidden(part) for part in name.split("/")):
            yield DocumentRef(f"{key}!/{name}", str(path), name)


def _walk(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        if _is_store(filenames):  # the default ./trialkg-store inside a folder being built: not documents
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        for name in sorted(filenames):
            if not _hidden(name):
                yield Path(dirpath) / name


def _is_store(filenames: list[str]) -> bool:
    """An Oxigraph store folder (RocksDB's CURRENT, LOCK and MANIFEST-* files)."""
    names = set(filenames)
    return {"CURRENT", "LOCK"} <= names and any(n.startswith("MANIFEST-") for n in names)


def iter_documents(paths: Iterable[str | Path], root: str | Path,
                   errors: list[SourceError] | None = None) -> list[DocumentRef]:
    """Every document under these paths, sorted by key, each once.

    Paths that do not exist and unreadable archives are appended to ``errors``
    (or raised when ``errors`` is None); the others go on.
    """
    refs: set[DocumentRef] = set()
    root = Path(root)
    for p in map(Path, paths):
        try:
            if not p.exists():
                raise SourceError("no such file or folder", str(p))
            files = _walk(p) if p.is_dir() else [p]
            for f in files:
                key = _key(f, root)
                if f.suffix.lower() in ZIP_SUFFIXES:
                    refs.update(_zip_members(f, key))
                else:
                    refs.add(DocumentRef(key, str(f)))
        except SourceError as exc:
            if errors is None:
                raise
            errors.append(exc)
    return sorted(refs)


@lru_cache(maxsize=4)
def _open_zip(path: str) -> zipfile.ZipFile:
    # One open archive per process, kept: reading 500,000 members must not reopen it each time.
    return zipfile.ZipFile(path)


def read_bytes(ref: DocumentRef) -> bytes:
    """The bytes of one document.

    Raises:
        SourceError: naming the document's key and the reason.
    """
    try:
        if ref.member is None:
            if os.path.getsize(ref.path) > MAX_DOCUMENT_BYTES:
                raise SourceError(f"larger than {MAX_DOCUMENT_BYTES // 2**20} MiB", ref.key)
            return Path(ref.path).read_bytes()
        info = _open_zip(ref.path).getinfo(ref.member)
        if info.file_size > MAX_DOCUMENT_BYTES:
            raise SourceError(f"larger than {MAX_DOCUMENT_BYTES // 2**20} MiB", ref.key)
        with _open_zip(ref.path).open(info) as stream:
            return stream.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", ref.key) from exc
    except (zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise SourceError(f"cannot read zip member: {exc}", ref.key) from exc
