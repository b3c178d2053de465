"""The repurposing landscape: which drug classes are tried in which disease areas, trials by phase and
start year, and the mechanisms of drugs tested outside their approved indications.

Each figure has a data function (SPARQL over the store, returning plain rows a notebook can show) and a
plot function (matplotlib, a PNG); :func:`write_report` writes all three, as ``trialkg report`` does.
Drug classes are ATC groups (``ontology/reference/atc_groups.tsv``: anatomical main groups, L split
into its therapeutic subgroups); disease areas are MONDO classes (``ontology/reference/disease_areas.tsv``)
reached through the materialised ancestor closure, so a condition counts in every area above it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.namespace import TKG
from kg.query import run_sparql
from kg.refdata import read_table
from kg.resources import reference_dir
from kg.store import value

OBO = "http://purl.obolibrary.org/obo/"
PREFIXES = f"""PREFIX tkg: <{TKG}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oboInOwl: <http://www.geneontology.org/formats/oboInOwl#>
"""
# Studies per (ATC code, disease area): a tested drug's ATC codes, a studied condition's areas.
CLASS_AREA = PREFIXES + """SELECT ?atc ?area (COUNT(DISTINCT ?study) AS ?studies) WHERE {
  VALUES ?area { %s }
  ?condition tkg:hasAncestor ?area .
  ?study tkg:studiesCondition ?condition ; tkg:testsDrug ?drug .
  ?drug oboInOwl:hasDbXref ?xref FILTER(STRSTARTS(STR(?xref), "ATC:"))
  BIND(SUBSTR(STR(?xref), 5) AS ?atc)
} GROUP BY ?atc ?area"""
PHASE_YEAR = PREFIXES + """SELECT ?study ?phase ?start WHERE {
  ?study a ?kind . ?kind rdfs:subClassOf* tkg:Study .
  OPTIONAL { ?study tkg:hasPhase ?p . ?p rdfs:label ?phase FILTER(lang(?phase) IN ("en", "")) }
  OPTIONAL { ?study tkg:startDate ?start }
}"""
# A study testing a drug in a condition under none of the drug's approved indications.
REPURPOSED = PREFIXES + """SELECT ?study ?drug ?action ?target WHERE {
  { SELECT DISTINCT ?study ?drug WHERE {
      ?drug tkg:approvedFor ?approved .
      ?study tkg:testsDrug ?drug ; tkg:studiesCondition ?condition .
      FILTER NOT EXISTS { ?drug tkg:approvedFor ?indication . ?condition tkg:hasAncestor ?indication }
  } }
  ?drug tkg:hasMechanism ?mechanism . ?mechanism tkg:actionType ?type .
  ?type skos:notation ?action .
  OPTIONAL { ?mechanism tkg:hasTarget ?t .
             OPTIONAL { ?t tkg:geneSymbol ?gene } OPTIONAL { ?t rdfs:label ?family FILTER(lang(?family) IN ("en", "")) } }
  BIND(COALESCE(?gene, ?family) AS ?target)
}"""


@dataclass(frozen=True)
class Group:
    code: str
    label: str


def atc_groups() -> list[Group]:
    return [Group(r["code"], r["label"]) for r in read_table(reference_dir() / "atc_groups.tsv")]


def disease_areas() -> list[Group]:
    return [Group(r["mondo"], r["label"]) for r in read_table(reference_dir() / "disease_areas.tsv")]


def _group_of(atc: str, groups: list[Group]) -> Group | None:
    """The longest group code an ATC code starts with (L01 before L)."""
    found = [g for g in groups if atc.startswith(g.code)]
    return max(found, key=lambda g: len(g.code)) if found else None


def class_area_counts(store: ox.Store) -> dict[tuple[str, str], int]:
    """(ATC group label, disease area label) -> number of studies testing a drug of that group in a
    condition of that area. A drug with codes in two groups counts in both."""
    groups, areas = atc_groups(), disease_areas()
    label = {OBO + a.code.replace(":", "_"): a.label for a in areas}
    values = " ".join(f"<{iri}>" for iri in label)
    studies: dict[tuple[str, str], set[str]] = defaultdict(set)
    # Counted per study, not summed over codes: re-run per study so a study is counted once per cell.
    query = CLASS_AREA.replace("(COUNT(DISTINCT ?study) AS ?studies)", "?study").replace(
        "} GROUP BY ?atc ?area", "}") % values
    for atc, area, study in run_sparql(store, query).rows:
        group = _group_of(value(atc), groups)
        if group:
            studies[(group.label, label[value(area)])].add(value(study))
    return {cell: len(s) for cell, s in sorted(studies.items())}


def phase_year_counts(store: ox.Store) -> dict[tuple[str, str], int]:
    """(start year or "not stated", phase or "not stated") -> studies. A phase 2/3 study counts once in
    each of its phases."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for study, phase, start in run_sparql(store, PHASE_YEAR).rows:
        year = value(start)[:4] if start is not None else "not stated"
        seen[(year, value(phase) if phase is not None else "not stated")].add(value(study))
    return {cell: len(s) for cell, s in sorted(seen.items())}


def repurposed_mechanisms(store: ox.Store, top: int = 15) -> list[tuple[str, int]]:
    """The ``top`` mechanisms ("ANTIBODY_BINDING CD38") by the number of studies that test a drug acting
    through them in a condition outside the drug's approved indications."""
    studies: dict[str, set[str]] = defaultdict(set)
    for study, _, action, target in run_sparql(store, REPURPOSED).rows:
        name = f"{value(action)} {value(target)}" if target is not None else f"{value(action)} (no human target)"
        studies[name].add(value(study))
    counts = Counter({k: len(v) for k, v in studies.items()})
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


# ---------------------------------------------------------------- figures

def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")  # files, never a window
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height), dpi=100)


def _save(fig, path: Path) -> Path:  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    fig.tight_layout()
    # No software/date metadata: the same graph gives the same bytes.
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path


def plot_class_area(counts: dict[tuple[str, str], int], path: Path) -> Path:
    rows = sorted({r for r, _ in counts}) or ["(no study)"]
    cols = [a.label for a in disease_areas()]
    grid = [[counts.get((r, c), 0) for c in cols] for r in rows]
    fig, ax = _figure(max(8.0, 0.55 * len(cols) + 4), max(3.0, 0.4 * len(rows) + 2.5))
    image = ax.imshow(grid, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for i, row in enumerate(grid):
        for j, n in enumerate(row):
            if n:
                ax.text(j, i, str(n), ha="center", va="center", fontsize=7,
                        color="white" if n > max(map(max, grid)) / 2 else "black")
    fig.colorbar(image, ax=ax, label="studies")
    ax.set_title("Studies by drug class (ATC) and disease area (MONDO)")
    return _save(fig, path)


def plot_phase_year(counts: dict[tuple[str, str], int], path: Path) -> Path:
    years = sorted({y for y, _ in counts}, key=lambda y: (y == "not stated", y))
    phases = sorted({p for _, p in counts}, key=lambda p: (p == "not stated", p))
    fig, ax = _figure(min(16.0, max(6.0, 0.2 * len(years) + 3)), 4.0)
    bottom = [0] * len(years)
    for phase in phases:
        heights = [counts.get((y, phase), 0) for y in years]
        ax.bar(range(len(years)), heights, bottom=bottom, label=phase)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_xticks(range(len(years)), years, rotation=90, fontsize=7)
    ax.set_ylabel("studies")
    ax.set_title("Studies by start year and phase")
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, path)


def plot_mechanisms(top: list[tuple[str, int]], path: Path) -> Path:
    names = [n for n, _ in reversed(top)] or ["(no study)"]
    fig, ax = _figure(9.0, max(2.5, 0.3 * len(names) + 1.5))
    ax.barh(range(len(names)), [n for _, n in reversed(top)] or [0])
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("studies testing the drug outside its approved indications")
    ax.set_title("Top repurposed mechanisms (action type, target)")
    return _save(fig, path)


def write_report(store: ox.Store, folder: str | Path) -> list[Path]:
    """The three figures as PNG files in ``folder``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return [plot_class_area(class_area_counts(store), out / "class-by-area.png"),
            plot_phase_year(phase_year_counts(store), out / "phase-by-year.png"),
            plot_mechanisms(repurposed_mechanisms(store), out / "repurposed-mechanisms.png")]
