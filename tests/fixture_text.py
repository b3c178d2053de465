"""Helpers the reader tests share: fixture text as stored, and the record value a span key names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def read_fixture(folder: Path, case: str) -> str:
    """The fixture's bytes decoded without newline translation: CRLF and NBSP reach the reader as written."""
    return (folder / f"{case}.txt").read_bytes().decode("utf-8")


def resolve(data: Any, key: str) -> Any:
    """The value at a span key such as "eligibility.exclusion[6]" or "arms[1].interventions[0]"."""
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        data = data[int(part[1:-1])] if part.startswith("[") else data[part]
    return data


def main_text(value: Any, keys: tuple[str, ...] = ("value", "name", "measure", "code", "raw")) -> Any:
    """A dict value's main text (the first of ``keys`` it has); any other value as it is."""
    if isinstance(value, dict):
        return next((value[k] for k in keys if value.get(k) is not None), None)
    return value


def squash(text: str) -> str:
    """The text without any whitespace (spans may cover re-wrapped lines)."""
    return re.sub(r"\s+", "", text)
