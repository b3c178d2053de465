"""Measure how TrialKG links interventions and conditions of real ClinicalTrials.gov records.

Reads the 635 API v2 study records of --zip [/work/shared/samples/ctgov-v2-bulk/ctg-studies-635.zip]
directly from the zip, parses them with ``kg.sources.parse_text``, links them with
``kg.normalize.build_lexicon``/``link_record`` over ``kg.refdata.load_reference()`` (curated tables plus
``ontology/reference/bulk/``), and measures:

(a) the share of non-placebo Drug/Biological interventions linked to a reference drug (placebos as the
    normaliser recognises them: "placebo", or "sham"/"vehicle" with no product named);
(b) the share of condition mentions (role "condition") linked to a MONDO class;
and two baselines over the same interventions, with the FDA UNII names of --unii-names
[/work/shared/reference/drugs/fda_unii_names_subset.tsv]: an exact-name lookup (case-insensitive full
name equality) and a naive split-and-strip lookup (split on "," "/" "+" " and " and parentheses, drop
dosage words, numbers and doses, any part found; a strict variant splits on , / + and only).

Writes --out-json [benchmarks/linking.json], --out-md [benchmarks/linking.md] and --sample
[benchmarks/linking-sample.tsv]: a seeded random sample of 50 distinct linked (mention -> entity) pairs of
interventions and 50 of conditions, with a `correct` column for hand-checking. Judgements already in the
sample file are kept for the same rows on re-run, and the precision they give is reported.
With --legacy-zip [/work/shared/samples/ctgov-legacy-xml/ctg-legacy-xml-6785.zip] it reads the
ClinicalTrials.gov legacy XML records of that zip instead (the same measures, no sample file), counts
the records the readers refuse with their reasons, and writes --out-json/--out-md defaulting to
benchmarks/linking-legacy.json and .md; --limit N measures a seeded random sample of N records.
Never run by the test suite.

Run: python scripts/measure_linking.py [--legacy-zip [ZIP]] [--limit N]
"""
from __future__ import annotations

import argparse
import hashlib
import csv
import json
import random
import re
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.model import SourceError, StudyRecord  # noqa: E402
from kg.normalize import DOSAGE_WORDS, Lexicon, Link, build_lexicon, link_record, norm  # noqa: E402
from kg.refdata import load_reference  # noqa: E402
from kg.sources import parse_bytes, parse_text  # noqa: E402

SHARED = Path("/work/shared")
LEGACY_ZIP = SHARED / "samples" / "ctgov-legacy-xml" / "ctg-legacy-xml-6785.zip"
MONDO_IRI = "http://purl.obolibrary.org/obo/MONDO_"
DRUG_TYPES = {"drug", "biological"}
SEED = 20240924  # the records' snapshot date; fixed so the sample is the same on every run
SAMPLE_SIZE = 50
# Files whose version the results depend on (their SHA-256 prefixes are recorded in linking.json).
CODE_FILES = ["kg/normalize.py", "kg/lexicon.py", "kg/refdata.py", "ontology/reference/drugs.tsv", "ontology/reference/conditions.tsv",
              "ontology/reference/bulk/drugs.tsv", "ontology/reference/bulk/mondo.tsv"]
SAMPLE_COLUMNS = ["kind", "nct_id", "occurrences", "mention", "entity_label", "entity", "method", "other_names",
                  "correct", "reason"]
# Baseline 2 splits a name on these separators and drops dosage words (kg.normalize.DOSAGE_WORDS), bare
# numbers and dose amounts ("100mg", "0.5%"); the strict variant splits on , / + and only, drops only
# dosage words and bare numbers.
SPLIT = re.compile(r",|/|\+|\band\b|\(|\)", re.I)
SPLIT_STRICT = re.compile(r",|/|\+|\band\b", re.I)
DOSE = re.compile(r"^\d+([.,]\d+)?(mg|g|mcg|ug|µg|ml|iu|units?|%)?$")
REGISTRY_TAG = re.compile(r"\s*\[[^\]]*\]\s*$")


@dataclass(frozen=True)
class Mention:
    kind: str  # "intervention" or "condition"
    nct_id: str
    text: str
    entity: str  # IRI, "" when unlinked
    label: str
    method: str
    other_names: str = ""  # the intervention's other names as the record gives them


def load_records(zip_path: Path) -> list[StudyRecord]:
    """Every study record of the zip, in file-name order."""
    records = []
    with zipfile.ZipFile(zip_path) as archive:
        for name in sorted(archive.namelist()):
            if name.endswith(".json"):
                records += parse_text(archive.read(name).decode("utf-8"))
    return records


def load_legacy(zip_path: Path, limit: int | None) -> tuple[list[StudyRecord], dict[str, Any]]:
    """The records of a zip of legacy XML files (a seeded sample of ``limit`` files when given),
    read through the format dispatch as a build reads them, and the refusals with their reasons."""
    records: list[StudyRecord] = []
    reasons: Counter[str] = Counter()
    with zipfile.ZipFile(zip_path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".xml"))
        if limit is not None and limit < len(names):
            names = sorted(random.Random(SEED).sample(names, limit))
        for name in names:
            try:
                records += parse_bytes(archive.read(name), name)
            except SourceError as exc:
                reasons[exc.reason] += 1
    formats = Counter(rec.format for rec in records)
    return records, {"files": len(names), "refused": sum(reasons.values()),
                     "refusal_reasons": dict(reasons.most_common()), "formats": dict(formats)}


def nct_of(rec: StudyRecord) -> str:
    """The record's NCT number (first identifier that looks like one)."""
    return next((i.value for i in rec.registry_ids if i.value.startswith("NCT")), "")


def entity_labels(lex: Lexicon) -> dict[str, str]:
    """Entity IRI -> label, over every lexicon entry."""
    out: dict[str, str] = {}
    for entries in (*lex.names.values(), *lex.abbreviations.values()):
        for e in entries:
            out.setdefault(str(e.iri), e.label)
    return out


def record_mentions(lex: Lexicon, rec: StudyRecord, labels: dict[str, str]) -> list[Mention]:
    """Drug/Biological non-placebo interventions and condition mentions of one record, with their links."""
    links = link_record(lex, rec)
    by_path: dict[str, list[Link]] = {}
    for lk in links:
        if lk.role == "intervention":
            by_path.setdefault(lk.path, []).append(lk)
    nct, out = nct_of(rec), []
    for i, iv in enumerate(rec.interventions):
        # Placebos as the normaliser tells them ("Alprostadil in Vehicle" is alprostadil, not a placebo).
        found = by_path.get(f"interventions[{i}].name", [])
        if (iv.type or "").strip().lower() in DRUG_TYPES and not any(lk.kind == "placebo" for lk in found):
            found = [lk for lk in found if lk.entity]
            # A combination links each product it names: the mention counts once, with all its entities.
            iris = [str(lk.entity) for lk in found]
            out.append(Mention("intervention", nct, iv.name, " ".join(iris), " + ".join(labels.get(x, "") for x in iris),
                               found[0].method if found else "unlinked", "; ".join(iv.other_names)))
    for lk in links:
        if lk.role == "condition":
            iri = str(lk.entity) if lk.entity else ""
            out.append(Mention("condition", nct, lk.text, iri, labels.get(iri, ""), lk.method))
    return out


def unii_names(path: Path) -> dict[str, set[str]]:
    """Case-folded names of the FDA UNII names list: "raw" as written (Name column), "names" also without
    trailing registry tags ("TACROLIMUS [INN]" -> "tacrolimus"), "normed" those after kg.normalize.norm."""
    with path.open(encoding="utf-8", newline="") as handle:
        raw = {r["Name"].casefold() for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)}
    names = raw | {REGISTRY_TAG.sub("", n) for n in raw}
    return {"raw": raw, "names": names, "normed": {norm(n) for n in names}}


def exact_baseline(name: str, names: set[str]) -> bool:
    """Baseline 1: the whole intervention name equals a UNII name (case-insensitive)."""
    return name.strip().casefold() in names


def split_baseline(name: str, names: set[str], strict: bool = False) -> bool:
    """Baseline 2: some part of the split name, without dosage words and doses, is a UNII name."""
    for part in (SPLIT_STRICT if strict else SPLIT).split(name):
        words = [w for w in norm(part).split()
                 if w not in DOSAGE_WORDS and not w.isdigit() and (strict or not DOSE.match(w))]
        if words and " ".join(words) in names:
            return True
    return False


def share(hits: int, total: int) -> dict[str, Any]:
    """{"linked": n, "total": m, "share": n/m} rounded to four places."""
    return {"linked": hits, "total": total, "share": round(hits / total, 4) if total else None}


def read_judgements(path: Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(kind, mention, entity) -> (correct, reason) from an existing sample file."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return {(r["kind"], r["mention"], r["entity"]): (r["correct"], r["reason"]) for r in rows}


def sample(mentions: list[Mention], kind: str) -> list[tuple[Mention, int]]:
    """A seeded random sample of distinct linked (mention text, entity) pairs of one kind, each with the
    first record that has it and its number of occurrences."""
    groups: dict[tuple[str, str], list[Mention]] = {}
    for m in sorted(mentions, key=lambda m: (m.nct_id, m.text, m.entity)):
        if m.kind == kind and m.entity:
            groups.setdefault((m.text.casefold(), m.entity), []).append(m)
    pool = [(found[0], len(found)) for _, found in sorted(groups.items())]
    return random.Random(f"{SEED}-{kind}").sample(pool, min(SAMPLE_SIZE, len(pool)))


def write_sample(path: Path, picked: list[tuple[Mention, int]]) -> list[list[str]]:
    """Write the sample (keeping existing judgements); returns its rows."""
    known = read_judgements(path)
    rows = []
    for m, count in picked:
        correct, reason = known.get((m.kind, m.text, m.entity), ("", ""))
        rows.append([m.kind, m.nct_id, str(count), m.text, m.label, m.entity, m.method, m.other_names,
                     correct, reason])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        for row in [SAMPLE_COLUMNS, *rows]:
            handle.write("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row) + "\n")
    return rows


def precision(rows: list[list[str]], kind: str) -> dict[str, Any]:
    """Precision of the hand-checked sample rows of one kind: over distinct pairs, weighted by how often each
    pair occurs in the records, and lenient (a "no" whose reason starts "too general" counted correct)."""
    judged = [r for r in rows if r[0] == kind and r[8] in ("yes", "no")]
    wrong = [r for r in judged if r[8] == "no"]
    strictly_wrong = [r for r in wrong if not r[9].startswith("too general")]
    weight = sum(int(r[2]) for r in judged)

    def ratio(bad: int, total: int) -> float | None:
        return round((total - bad) / total, 4) if total else None

    return {"sampled": sum(1 for r in rows if r[0] == kind), "checked": len(judged),
            "precision": ratio(len(wrong), len(judged)),
            "precision_weighted_by_occurrences": ratio(sum(int(r[2]) for r in wrong), weight),
            "precision_lenient": ratio(len(strictly_wrong), len(judged)),
            "wrong": [{"mention": r[3], "entity": r[4], "occurrences": int(r[2]), "reason": r[9]} for r in wrong]}


def measure(records: list[StudyRecord], lex: Lexicon, names: dict[str, set[str]]
            ) -> tuple[dict[str, Any], list[Mention]]:
    """All shares and baselines, and the mentions they were computed over."""
    labels = entity_labels(lex)
    mentions = [m for rec in records for m in record_mentions(lex, rec, labels)]
    ivs = [m for m in mentions if m.kind == "intervention"]
    conds = [m for m in mentions if m.kind == "condition"]
    return {
        "records": len(records),
        "interventions_linked_to_drug": share(sum(1 for m in ivs if m.entity), len(ivs)),
        "conditions_linked_to_mondo": share(sum(1 for m in conds if m.entity.startswith(MONDO_IRI)), len(conds)),
        "conditions_linked_to_any_condition": share(sum(1 for m in conds if m.entity), len(conds)),
        "baseline_exact_unii_name": share(sum(exact_baseline(m.text, names["names"]) for m in ivs), len(ivs)),
        "baseline_exact_unii_name_as_written": share(sum(exact_baseline(m.text, names["raw"]) for m in ivs), len(ivs)),
        "baseline_split_and_strip": share(sum(split_baseline(m.text, names["normed"]) for m in ivs), len(ivs)),
        "baseline_split_and_strip_strict": share(sum(split_baseline(m.text, names["normed"], True) for m in ivs),
                                                 len(ivs)),
        "intervention_link_methods": dict(sorted(Counter(m.method for m in ivs).items())),
        "condition_link_methods": dict(sorted(Counter(m.method for m in conds).items())),
    }, mentions


def pct(block: dict[str, Any]) -> str:
    """'212 / 534 (39.7%)'."""
    value = block["share"]
    return f"{block['linked']} / {block['total']} ({100 * value:.1f}%)" if value is not None else "n/a"


TABLE_ROWS = [
    ("non-placebo Drug/Biological interventions linked to a reference drug", "interventions_linked_to_drug"),
    ("baseline: exact UNII name, case-insensitive (registry tags stripped)", "baseline_exact_unii_name"),
    ("baseline: exact UNII name, case-insensitive (names as written)", "baseline_exact_unii_name_as_written"),
    ("baseline: split on , / + and ( ), strip dosage words and doses, any part a UNII name",
     "baseline_split_and_strip"),
    ("baseline, strict: split on , / + and only, strip dosage words and numbers", "baseline_split_and_strip_strict"),
    ("condition mentions linked to MONDO", "conditions_linked_to_mondo"),
    ("condition mentions linked to any condition (MONDO or curated local)", "conditions_linked_to_any_condition"),
]


def precision_lines(kind: str, p: dict[str, Any]) -> list[str]:
    """The hand-checked precision of one kind, with the wrong links, as Markdown lines."""
    shown = f"{100 * p['precision']:.0f}%" if p["precision"] is not None else "not checked yet"
    weighted, lenient = p["precision_weighted_by_occurrences"], p["precision_lenient"]
    if weighted is not None:
        shown += f" ({100 * weighted:.0f}% weighted by occurrences; {100 * lenient:.0f}% counting links to a " \
                 "broader class as correct)"
    lines = [f"Hand-checked sample of {p['sampled']} distinct linked {kind} pairs (mention -> entity; "
             f"{p['checked']} checked): precision {shown}."]
    lines += [f"- wrong: \"{w['mention']}\" -> {w['entity']} ({w['occurrences']}x): {w['reason']}" for w in p["wrong"]]
    return lines + [""]


def write_markdown(path: Path, result: dict[str, Any]) -> None:
    """A readable summary of linking.json (or linking-legacy.json)."""
    legacy = result.get("legacy")
    kind = "legacy XML " if legacy else ""
    command = "python scripts/measure_linking.py" + (" --legacy-zip" if legacy else "")
    lines = [f"# Linking on {result['records']} real ClinicalTrials.gov {kind}records", "",
             f"Generated by `{command}` from {result['zip']} "
             f"({result['records']} records), reference: {result['reference']}.",
             "Versions (SHA-256 prefixes): " + ", ".join(f"{k} {v}" for k, v in result["code"].items()) + ".", "",
             "| measure | result |", "|---|---|"]
    lines += [f"| {title} | {pct(result[key])} |" for title, key in TABLE_ROWS] + [""]
    if legacy:
        lines += [f"Files read: {legacy['files']}; refused: {legacy['refused']}"
                  + (f" ({json.dumps(legacy['refusal_reasons'], ensure_ascii=False)})" if legacy["refused"] else "")
                  + f"; records by format: {json.dumps(legacy['formats'])}.", ""]
    for kind in ("intervention", "condition") if "sample_precision" in result else ():
        lines += precision_lines(kind, result["sample_precision"][kind])
    lines += ["Link methods (interventions): " + json.dumps(result["intervention_link_methods"]),
              "", "Link methods (conditions): " + json.dumps(result["condition_link_methods"]), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Measure intervention and condition linking.")
    parser.add_argument("--zip", type=Path, default=SHARED / "samples" / "ctgov-v2-bulk" / "ctg-studies-635.zip")
    parser.add_argument("--unii-names", type=Path, default=SHARED / "reference" / "drugs" / "fda_unii_names_subset.tsv")
    parser.add_argument("--legacy-zip", type=Path, nargs="?", const=LEGACY_ZIP, default=None,
                        help=f"read legacy XML records from this zip instead (default {LEGACY_ZIP})")
    parser.add_argument("--limit", type=int, default=None, help="legacy zip: a seeded sample of this many files")
    parser.add_argument("--out-json", type=Path, default=None, help="default benchmarks/linking[-legacy].json")
    parser.add_argument("--out-md", type=Path, default=None, help="default benchmarks/linking[-legacy].md")
    parser.add_argument("--sample", type=Path, default=ROOT / "benchmarks" / "linking-sample.tsv")
    return parser.parse_args()


def main() -> None:
    """Link the records, write the results and (for the v2 zip) the sample."""
    args = parse_args()
    stem = "linking-legacy" if args.legacy_zip else "linking"
    args.out_json = args.out_json or ROOT / "benchmarks" / f"{stem}.json"
    args.out_md = args.out_md or ROOT / "benchmarks" / f"{stem}.md"
    ref = load_reference()
    if args.legacy_zip:
        records, legacy = load_legacy(args.legacy_zip, args.limit)
    else:
        records, legacy = load_records(args.zip), None
    result, mentions = measure(records, build_lexicon(ref), unii_names(args.unii_names))
    result = {"zip": (args.legacy_zip or args.zip).name, "reference": f"load_reference(): {len(ref.drugs)} drugs, "
              f"{len(ref.mondo)} MONDO classes, {len(ref.conditions)} curated conditions",
              "code": {p: hashlib.sha256((ROOT / p).read_bytes()).hexdigest()[:16] for p in CODE_FILES}, **result}
    if legacy:
        result["legacy"] = {**legacy, "sample_of": args.limit}
    else:  # the hand-checked sample belongs to the v2 records
        rows = write_sample(args.sample, sample(mentions, "intervention") + sample(mentions, "condition"))
        result["sample_precision"] = {k: precision(rows, k) for k in ("intervention", "condition")}
    args.out_json.parent.mkdir(parents=True, exist_ok=True)
    args.out_json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_markdown(args.out_md, result)
    print(json.dumps({k: v for k, v in result.items() if "methods" not in k}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
