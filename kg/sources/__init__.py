"""Source readers: documents in, :class:`kg.model.StudyRecord` out.

Each format has a module with a pure ``parse_<format>(text)``, a
``parse_document(text) -> list[StudyRecord]`` (one record for page formats,
several for a ClinicalTrials.gov page of studies) and a
``detect(text) -> bool`` that recognises its layout from content alone.
This package adds the only file access of the readers (:func:`read_document`)
and the dispatch by detected format.

Example:
    >>> detect_format('{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}')
    'ctgov_v2'
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from kg.model import SourceError, StudyRecord

# Format name -> module. Order matters: specific layouts before the free-text
# fallback. Each module has detect(text) and parse_document(text) -> list.
FORMATS = ("ctgov_v2", "ctgov_xml", "veeva", "clinconnect", "ictrp", "letter")


def _module(fmt: str) -> ModuleType:
    return importlib.import_module(f"kg.sources.{fmt}")


def detect_format(text: str) -> str:
    """The format of a document, decided from its content.

    Raises:
        SourceError: no reader recognises the layout.
    """
    if not text.strip():
        raise SourceError("empty document")
    for name in FORMATS:
        if _module(name).detect(text):
            return name
    raise SourceError("unknown format: no reader recognises this layout")


# Longest run of characters without a blank (or a JSON quote) a document may hold. The longest in
# the 7,420 real ClinicalTrials.gov records of ../shared/samples and the corpus is 264 (a URL); a
# run of 200,000 is no text people write, and every reader's patterns would have to cross it.
MAX_WORD = 10_000


# JSON's quotes and brackets cut runs: minified JSON has no blanks (and deep nesting is refused by
# the JSON reader's depth limit, which names it).
_JSON_CUTS = str.maketrans('"[]{}', "     ")


def longest_word(text: str) -> int:
    """Length of the longest run of characters without whitespace, JSON quotes or brackets."""
    return max(map(len, text.translate(_JSON_CUTS).split()), default=0)


def parse_text(text: str) -> list[StudyRecord]:
    """Every study record in a document's text."""
    if (longest := longest_word(text)) > MAX_WORD:
        raise SourceError(f"a word of {longest:,} characters (more than {MAX_WORD:,}): not a text document")
    fmt = detect_format(text)
    try:
        return list(_module(fmt).parse_document(text))
    except SourceError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
        raise SourceError(f"{fmt} reader failed: {type(exc).__name__}: {exc}") from exc


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else Windows-1252/Latin-1; binary is refused."""
    if not data.strip():
        raise SourceError("empty document")
    if b"\x00" in data[:4096]:
        raise SourceError("binary file (NUL bytes), not a text document")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > 8:
        raise SourceError("binary file (control bytes), not a text document")
    return text


def parse_bytes(data: bytes, key: str) -> list[StudyRecord]:
    """Every study record of a document's bytes.

    Raises:
        SourceError: naming the document (``key``) and the reason.
    """
    try:
        return parse_text(decode(data))
    except SourceError as exc:
        raise SourceError(exc.reason, key) from exc
    except RecursionError as exc:  # a JSON document nested thousands deep
        raise SourceError("nested too deeply to read", key) from exc


def read_document(path: str | Path) -> tuple[bytes, list[StudyRecord]]:
    """Read and parse one file. Returns its bytes (for provenance) and its records.

    Raises:
        SourceError: naming the file and the reason.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror}", str(path)) from exc
    return data, parse_bytes(data, str(path))
