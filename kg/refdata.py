"""Reference knowledge as typed rows, read from the TSV tables in ``ontology/reference/``.

The tables are curated (drugs, targets, mechanisms, approvals, conditions,
organisations, cell types, sources) or derived by a committed script
(``mondo_slim.tsv``). Every row names its sources. This module only reads
them; :mod:`kg.emit.reference` turns them into RDF and :mod:`kg.normalize`
builds its lexicon from them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields, replace
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
    kind: str = ""  # one of SOURCE_KINDS


# Kinds of source a reference fact may cite (docs/decisions/0013-reference-sources.md): regulators' documents
# (FDA labels, Drugs@FDA, Orange/Purple Book, EMA EPARs), curated databases (DrugCentral, ChEMBL, UniProt,
# HGNC, NCBI Gene, MeDIC's regulator extracts), ontologies and nomenclatures (MONDO, CL, WHO ATC/INN),
# peer-reviewed papers (DOI, PMID, PMCID), identifier registries (ROR); a public trial-registry record
# only for the organisations and investigational products it names. Never news, blogs, encyclopedias,
# press releases, AI-generated pages, local files or the documents being read.
SOURCE_KINDS = ("regulator", "database", "ontology", "paper", "identifier-registry", "trial-registry")


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
    flags: tuple[str, ...] = ()  # "approved-in-japan" (MeDIC's flag: no date, no indication)


@dataclass(frozen=True)
class Target:
    symbol: str
    label: str
    hgnc: str
    uniprot: str
    ncbigene: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class TargetFamily:
    """A multi-gene DrugCentral target: a family of paralogues or a protein complex, with its member genes."""

    id: str
    label: str
    kind: str  # FAMILY or COMPLEX
    members: tuple[str, ...]
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
    approved_before: str = ""  # the source gives no date, only "before" this one (Orange Book: 1982-01-01)


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
    synonyms: tuple[str, ...] = ()  # labels of exactly matching DOID, NCIT and Orphanet classes


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
class Indication:
    """A labelled indication (DrugCentral, from FDA labels) mapped to MONDO."""

    drug: str
    indication: str
    indication_text: str
    umls: str
    doid: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    """All reference tables, loaded once: curated rows, completed by bulk-derived ones."""

    sources: tuple[Source, ...]
    drugs: tuple[Drug, ...]
    targets: tuple[Target, ...]
    cell_types: tuple[CellType, ...]
    mechanisms: tuple[Mechanism, ...]
    approvals: tuple[Approval, ...]
    conditions: tuple[Condition, ...]
    mondo: tuple[MondoClass, ...]
    organizations: tuple[Organization, ...]
    indications: tuple[Indication, ...] = ()
    target_families: tuple[TargetFamily, ...] = ()
    curated_drug_ids: frozenset[str] = frozenset()


_MULTI = {"flags", "synonyms", "abbreviations", "brand_names", "labels_fr", "xrefs", "source",
          "affected_cells", "parents", "basis_in", "meddra_close", "aliases", "meddra", "members"}
# "source" of an indication row is multi-valued too (listed above).


def _rows(cls: type, path: Path) -> tuple:
    if not path.exists():
        return ()
    names = [f.name for f in fields(cls)]
    out = []
    for row in read_table(path):
        values = {n: _split(row.get(n)) if n in _MULTI else row.get(n, "") for n in names}
        out.append(cls(**values))
    return tuple(out)


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    seen, out = set(), []
    for v in (*a, *b):
        if v.lower() not in seen:
            seen.add(v.lower())
            out.append(v)
    return tuple(out)


def _merge_drugs(curated: tuple[Drug, ...], bulk: tuple[Drug, ...]) -> tuple[Drug, ...]:
    """Curated rows win (label, kind, class); bulk rows add names, identifiers and sources."""
    by_id = {d.id: d for d in bulk}
    merged = []
    for c in curated:
        b = by_id.pop(c.id, None)
        if b is None:
            merged.append(c)
            continue
        merged.append(replace(c, synonyms=_union(c.synonyms, b.synonyms), brand_names=_union(c.brand_names, b.brand_names),
                              xrefs=_union(c.xrefs, b.xrefs), source=_union(c.source, b.source),
                              flags=_union(c.flags, b.flags)))
    return tuple(merged) + tuple(sorted(by_id.values(), key=lambda d: d.id))


def _merge(curated: Reference, bulk: Reference) -> Reference:
    """Curated facts stay and win where they conflict; bulk data fills what they lack."""
    mech_drugs = {m.drug for m in curated.mechanisms}
    approved = {(a.drug, a.agency) for a in curated.approvals}
    symbols = {t.symbol for t in curated.targets}
    mondo = {m.id for m in curated.mondo}
    return replace(
        curated,
        sources=curated.sources + tuple(s for s in bulk.sources if s.key not in {c.key for c in curated.sources}),
        drugs=_merge_drugs(curated.drugs, bulk.drugs),
        targets=curated.targets + tuple(t for t in bulk.targets if t.symbol not in symbols),
        mechanisms=curated.mechanisms + tuple(m for m in bulk.mechanisms if m.drug not in mech_drugs),
        approvals=curated.approvals + tuple(a for a in bulk.approvals if (a.drug, a.agency) not in approved),
        mondo=curated.mondo + tuple(m for m in bulk.mondo if m.id not in mondo),
        indications=bulk.indications,
        target_families=curated.target_families + tuple(
            f for f in bulk.target_families if f.id not in {c.id for c in curated.target_families}),
        curated_drug_ids=frozenset(d.id for d in curated.drugs),
    )


def _load_folder(d: Path) -> Reference:
    return Reference(
        sources=_rows(Source, d / "sources.tsv"),
        drugs=_rows(Drug, d / "drugs.tsv"),
        targets=_rows(Target, d / "targets.tsv"),
        cell_types=_rows(CellType, d / "cell_types.tsv"),
        mechanisms=_rows(Mechanism, d / "mechanisms.tsv"),
        approvals=_rows(Approval, d / "approvals.tsv"),
        conditions=_rows(Condition, d / "conditions.tsv"),
        mondo=_rows(MondoClass, d / "mondo_slim.tsv") + _rows(MondoClass, d / "mondo.tsv"),
        organizations=_rows(Organization, d / "organizations.tsv"),
        indications=_rows(Indication, d / "indications.tsv"),
        target_families=_rows(TargetFamily, d / "families.tsv"),
    )


def load_reference(folder: Path | None = None, bulk: bool = True) -> Reference:
    """Read the reference tables of ``folder`` (default: the packaged one) and of its ``bulk/``."""
    d = folder or reference_dir()
    curated = _load_folder(d)
    if bulk and (d / "bulk").is_dir():
        return _merge(curated, _load_folder(d / "bulk"))
    return replace(curated, curated_drug_ids=frozenset(x.id for x in curated.drugs))


@lru_cache(maxsize=1)
def default_reference() -> Reference:
    return load_reference()
