"""Reference knowledge as typed rows, read from the TSV tables in ``ontology/reference/``.

The tables are curated (drugs, targets, mechanisms, approvals, conditions,
organisations, cell types, sources) or derived by a committed script
(``mondo_slim.tsv``). Every row names its sources. This module only reads
them; :mod:`kg.emit.reference` turns them into RDF and :mod:`kg.normalize`
builds its lexicon from them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.resources import reference_dir


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (cell or "").split("|") if v.strip())


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a TSV table with a header; '#' lines are comments."""
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [
        {k: (v or "").strip() for k, v in row.items() if k}
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    ]


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    url: str
    licence: str
    version: str


@dataclass(frozen=True)
class Drug:
    id: str
    label: str
    kind: str
    synonyms: tuple[str, ...]
    abbreviations: tuple[str, ...]
    brand_names: tuple[str, ...]
    labels_fr: tuple[str, ...]
    xrefs: tuple[str, ...]
    parent_class: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    symbol: str
    label: str
    hgnc: str
    uniprot: str
    ncbigene: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class CellType:
    id: str
    label: str
    cl: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class Mechanism:
    drug: str
    target: str
    action_type: str
    affected_cells: tuple[str, ...]
    description: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class Approval:
    drug: str
    agency: str
    date: str
    indication: str
    indication_text: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    """A curated condition: a MONDO class (``mondo``) or a local one (``id``)."""

    id: str
    mondo: str
    label: str
    labels_fr: tuple[str, ...]
    synonyms: tuple[str, ...]
    abbreviations: tuple[str, ...]
    parents: tuple[str, ...]
    meddra: tuple[str, ...]
    meddra_level: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class MondoClass:
    id: str
    label: str
    parents: tuple[str, ...]
    basis_in: tuple[str, ...]
    xrefs: tuple[str, ...]
    meddra_close: tuple[str, ...]
    source: tuple[str, ...]


@dataclass(frozen=True)
class Organization:
    id: str
    label: str
    aliases: tuple[str, ...]
    country: str
    kind: str
    ror: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    """All reference tables, loaded once."""

    sources: tuple[Source, ...]
    drugs: tuple[Drug, ...]
    targets: tuple[Target, ...]
    cell_types: tuple[CellType, ...]
    mechanisms: tuple[Mechanism, ...]
    approvals: tuple[Approval, ...]
    conditions: tuple[Condition, ...]
    mondo: tuple[MondoClass, ...]
    organizations: tuple[Organization, ...]


_MULTI = {"synonyms", "abbreviations", "brand_names", "labels_fr", "xrefs", "source",
          "affected_cells", "parents", "basis_in", "meddra_close", "aliases", "meddra"}


def _rows(cls: type, path: Path) -> tuple:
    if not path.exists():
        return ()
    names = [f for f in cls.__dataclass_fields__]
    out = []
    for row in read_table(path):
        values = {n: _split(row.get(n)) if n in _MULTI else row.get(n, "") for n in names}
        out.append(cls(**values))
    return tuple(out)


def load_reference(folder: Path | None = None) -> Reference:
    """Read every reference table of ``folder`` (default: the packaged one)."""
    d = folder or reference_dir()
    return Reference(
        sources=_rows(Source, d / "sources.tsv"),
        drugs=_rows(Drug, d / "drugs.tsv"),
        targets=_rows(Target, d / "targets.tsv"),
        cell_types=_rows(CellType, d / "cell_types.tsv"),
        mechanisms=_rows(Mechanism, d / "mechanisms.tsv"),
        approvals=_rows(Approval, d / "approvals.tsv"),
        conditions=_rows(Condition, d / "conditions.tsv"),
        mondo=_rows(MondoClass, d / "mondo_slim.tsv"),
        organizations=_rows(Organization, d / "organizations.tsv"),
    )


@lru_cache(maxsize=1)
def default_reference() -> Reference:
    return load_reference()
