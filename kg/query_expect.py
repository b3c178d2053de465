"""Expected results of the query library, checked by the test suite.

``queries/expected/NAME.json`` holds the parameters a query runs with, the
columns compared, and the distinct rows of those columns expected on the
bundled corpus (IRIs shortened to CURIEs, so the files read well).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox

from kg.query import Results, run_named
from kg.resources import queries_dir

SHORT = (("https://w3id.org/trialkg/id/", "trialkg:"), ("https://w3id.org/trialkg/ontology/", "tkg:"),
         ("http://purl.obolibrary.org/obo/MONDO_", "MONDO:"), ("http://identifiers.org/meddra/", "MEDDRA:"))


def short(term) -> str | None:
    if term is None:
        return None
    value = term.value
    if isinstance(term, ox.NamedNode):
        for long, prefix in SHORT:
            if value.startswith(long):
                return prefix + value[len(long):]
    return value


def projected(res: Results, columns: list[str]) -> list[list[str | None]]:
    idx = [res.variables.index(c) for c in columns]
    rows = {tuple(short(row[i]) for i in idx) for row in res.rows}
    return [list(r) for r in sorted(rows, key=lambda r: tuple(x or "" for x in r))]


def expected_path(name: str) -> Path:
    return queries_dir() / "expected" / f"{name}.json"


def load_expected(name: str) -> dict:
    return json.loads(expected_path(name).read_text(encoding="utf-8"))


def actual(store: ox.Store, name: str, spec: dict) -> list[list[str | None]]:
    return projected(run_named(store, name, spec.get("params", {})), spec["columns"])
