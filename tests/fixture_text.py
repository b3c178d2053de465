"""Helpers the reader tests share: fixture text as stored, and the record value a span key names."""

from __future__ import annotations

import json
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


UNSEEN_FIELDS = ("title", "acronym", "status", "phases", "study_type", "countries", "sponsor", "summary")


def assert_unseen_fields(got: dict[str, Any], path: Path, schemes: bool = True) -> None:
    """A record (``to_json``) against the hand-written ``<case>.expected.json`` beside an unseen document:
    registry ids (with their schemes unless ``schemes`` is False: ICTRP pages rarely say whether a code
    is the sponsor's or another registry's), condition and intervention names, and the scalar fields."""
    want = json.loads(path.with_name(f"{path.stem}.expected.json").read_text(encoding="utf-8"))
    ids = [{"scheme": i["scheme"], "value": i["value"]} if schemes else i["value"] for i in got["registry_ids"]]
    assert ids == [i if schemes else i["value"] for i in want["registry_ids"]]
    assert [c["name"] for c in got["conditions"]] == want["conditions"]
    assert [i["name"] for i in got["interventions"]] == want["interventions"]
    for key in UNSEEN_FIELDS:
        assert got[key] == want[key], key
