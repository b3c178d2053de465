"""Build ontology/reference/mondo_slim.tsv, the MONDO classes TrialKG needs, from local MONDO files.

Reads (paths are CLI options; defaults in brackets):
  --mondo-dir [/work/shared/reference/mondo]
      mondo-2026-08_class-stats.tsv   labels of the 2026-08-04 release ("obsolete ..." = obsolete)
      mondo-rare_edges.tsv            2026 rare-subset subclass edges (biolink:subclass_of, rdfs:subClassOf)
      mondo-2023-08-01_edges.tsv      complete 2023-08-01 edge report (x p y)
      mondo_exactmatch_*.sssom.tsv    exact matches (MeSH, Orphanet, UMLS, NCIT, EFO, DOID)
      mondo_closematch_meddra.sssom.tsv, mondo_hasdbxref_meddra.sssom.tsv  MedDRA codes
  --conditions [ontology/reference/conditions.tsv]  seeds: columns mondo and parents
  --approvals [ontology/reference/approvals.tsv]    seeds: column indication
Writes --out [ontology/reference/mondo_slim.tsv]: the seeds plus all their ancestors, or with --all every
non-obsolete MONDO class. Parents come from the 2026 rare subset where a class has rows there, otherwise
from the 2023 rdfs:subClassOf rows; parents obsolete in 2026 are dropped. Output is sorted and
byte-identical on re-run.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REF = REPO / "ontology" / "reference"
HEADER = ["id", "label", "parents", "basis_in", "xrefs", "meddra_close", "synonyms", "source"]
# Mapping sets whose object_label is the label of an equivalent class: kept as exact synonyms.
SYNONYM_PREFIXES = {"DOID", "NCIT", "Orphanet"}
XREF_PREFIX = {"mesh": "MESH", "Orphanet": "ORPHA", "UMLS": "UMLS", "NCIT": "NCIT", "EFO": "EFO", "DOID": "DOID"}
Graph = dict[str, set[str]]


def read_tsv(path: Path) -> list[dict[str, str]]:
    """Rows of a tab-separated file with one header row; '#' comment lines (SSSOM) are skipped."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_labels(mondo_dir: Path) -> dict[str, str]:
    """MONDO CURIE -> 2026 label (quotes removed)."""
    rows = read_tsv(mondo_dir / "mondo-2026-08_class-stats.tsv")
    return {r["cls"]: r["cls_label"].strip('"') for r in rows if r["cls"].startswith("MONDO:")}


def is_live(curie: str, labels: dict[str, str]) -> bool:
    """True for a MONDO class that exists in 2026 and is not obsolete."""
    return curie in labels and not labels[curie].startswith("obsolete")


def load_rare_parents(mondo_dir: Path) -> Graph:
    """Child -> parents from the 2026 rare-subset rdfs:subClassOf edges between MONDO classes."""
    graph: Graph = {}
    for r in read_tsv(mondo_dir / "mondo-rare_edges.tsv"):
        if r["predicate"] == "biolink:subclass_of" and r["relation"] == "rdfs:subClassOf":
            if r["object"].startswith("MONDO:"):
                graph.setdefault(r["subject"], set()).add(r["object"])
    return graph


def load_2023_edges(mondo_dir: Path) -> tuple[Graph, Graph]:
    """(child -> rdfs:subClassOf parents, class -> RO:0004022 basis targets), MONDO to MONDO only."""
    parents: Graph = {}
    basis: Graph = {}
    for r in read_tsv(mondo_dir / "mondo-2023-08-01_edges.tsv"):
        if not (r["x"].startswith("MONDO:") and r["y"].startswith("MONDO:")):
            continue
        if r["p"] == "rdfs:subClassOf":
            parents.setdefault(r["x"], set()).add(r["y"])
        elif r["p"] == "RO:0004022":
            basis.setdefault(r["x"], set()).add(r["y"])
    return parents, basis


def parents_of(curie: str, rare: Graph, old: Graph, labels: dict[str, str]) -> tuple[list[str], str]:
    """Live parents of a class and the source key they come from ('' when it has none)."""
    if curie in rare:
        return sorted(p for p in rare[curie] if is_live(p, labels)), "mondo-2026-08"
    if curie in old:
        return sorted(p for p in old[curie] if is_live(p, labels)), "mondo-2023-08-01"
    return [], ""


def load_seeds(conditions: Path, approvals: Path) -> set[str]:
    """MONDO CURIEs named in conditions.tsv (mondo, parents) and approvals.tsv (indication)."""
    seeds: set[str] = set()
    for path, columns in ((conditions, ("mondo", "parents")), (approvals, ("indication",))):
        for row in read_tsv(path):
            for column in columns:
                seeds.update(v for v in row.get(column, "").split("|") if v.startswith("MONDO:"))
    return seeds


def closure(seeds: set[str], rare: Graph, old: Graph, labels: dict[str, str]) -> set[str]:
    """The seeds plus every ancestor reachable through parents_of."""
    done: set[str] = set()
    todo = sorted(seeds)
    while todo:
        curie = todo.pop()
        if curie not in done:
            done.add(curie)
            todo.extend(parents_of(curie, rare, old, labels)[0])
    return done


def load_mappings(mondo_dir: Path) -> tuple[Graph, Graph, Graph]:
    """(class -> exact-match CURIEs with project prefixes, class -> MedDRA codes, class -> exact synonyms:
    the labels of the DOID, NCIT and Orphanet classes it exactly matches)."""
    xrefs: Graph = {}
    meddra: Graph = {}
    synonyms: Graph = {}
    for path in sorted(mondo_dir.glob("*.sssom.tsv")):
        for r in read_tsv(path):
            prefix, _, local = r["object_id"].partition(":")
            if prefix == "MedDRA":
                meddra.setdefault(r["subject_id"], set()).add(local)
            elif prefix in XREF_PREFIX and r["predicate_id"] == "skos:exactMatch":
                xrefs.setdefault(r["subject_id"], set()).add(f"{XREF_PREFIX[prefix]}:{local}")
                label = " ".join((r.get("object_label") or "").split())
                if prefix in SYNONYM_PREFIXES and label and label.casefold() != r["subject_label"].casefold():
                    synonyms.setdefault(r["subject_id"], set()).add(label)
    return xrefs, meddra, synonyms


def build_row(curie: str, data: dict[str, Graph], labels: dict[str, str]) -> list[str]:
    """One output row for a class."""
    parents, parent_source = parents_of(curie, data["rare"], data["old"], labels)
    basis = sorted(b for b in data["basis"].get(curie, set()) if is_live(b, labels))
    xrefs = sorted(data["xrefs"].get(curie, set()))
    meddra = sorted(data["meddra"].get(curie, set()))
    sources = {"mondo-2026-08", parent_source}
    if basis:
        sources.add("mondo-2023-08-01")
    if xrefs or meddra or data["synonyms"].get(curie):
        sources.add("mondo-sssom-2026-08")
    source = "|".join(sorted(s for s in sources if s))
    synonyms = sorted({s for s in data["synonyms"].get(curie, set()) if s.casefold() != labels[curie].casefold()},
                      key=lambda s: (s.casefold(), s))
    return [curie, labels[curie], "|".join(parents), "|".join(basis), "|".join(xrefs), "|".join(meddra),
            "|".join(synonyms), source]


def write_tsv(path: Path, rows: list[list[str]]) -> None:
    """Write header and rows, tab-separated, LF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        for row in [HEADER, *rows]:
            handle.write("\t".join(row) + "\n")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Build mondo_slim.tsv from local MONDO files.")
    parser.add_argument("--mondo-dir", type=Path, default=Path("/work/shared/reference/mondo"))
    parser.add_argument("--conditions", type=Path, default=REF / "conditions.tsv")
    parser.add_argument("--approvals", type=Path, default=REF / "approvals.tsv")
    parser.add_argument("--out", type=Path, default=REF / "mondo_slim.tsv")
    parser.add_argument("--all", action="store_true", help="write every non-obsolete MONDO class")
    return parser.parse_args()


def main() -> None:
    """Load MONDO, select the classes, write the slim table."""
    args = parse_args()
    labels = load_labels(args.mondo_dir)
    rare = load_rare_parents(args.mondo_dir)
    old, basis = load_2023_edges(args.mondo_dir)
    xrefs, meddra, synonyms = load_mappings(args.mondo_dir)
    if args.all:
        selected = {c for c in labels if is_live(c, labels)}
    else:
        seeds = load_seeds(args.conditions, args.approvals)
        unknown = sorted(s for s in seeds if not is_live(s, labels))
        if unknown:
            raise SystemExit(f"not a live MONDO 2026 class: {' '.join(unknown)}")
        selected = closure(seeds, rare, old, labels)
    data = {"rare": rare, "old": old, "basis": basis, "xrefs": xrefs, "meddra": meddra, "synonyms": synonyms}
    write_tsv(args.out, [build_row(c, data, labels) for c in sorted(selected)])
    print(f"wrote {len(selected)} classes to {args.out}")


if __name__ == "__main__":
    main()
