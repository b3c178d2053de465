"""Measure cross-registry study linkage (kg.linkage) on labelled pairs, identifiers hidden.

Labelled set:
- positives, real: the trials present both in the ClinicalTrials.gov API v2 records of --bulk-zip and in
  the legacy XML records of --legacy-zip (two renderings of one registration, written by the registry);
- positives, rendered: the v2 records whose secondary identifiers list a EudraCT number, each rendered as
  a WHO ICTRP record of the EU register (Register: EUCTR), the way ICTRP shows EUCTR records: official
  title as public title, sponsor with the legal form, EudraCT registration date, target sample size of
  the EU part, conditions and products as the EU register lists them. No EU register document of these
  trials is in the samples, so the pair stands in for it; recall on them is optimistic;
- negatives: every pair of different trials with the same sponsor and a drug in common (the v2 bulk is
  mostly erectile-dysfunction trials: Bayer's vardenafil studies alone give hundreds).
Every record is read by the readers, its registry identifiers removed, linked and emitted into one
in-memory store; the features come from that store as kg.linkage reads any build (SPARQL).

The threshold is chosen precision first: midway between the highest negative and the lowest positive
above it (precision 1.0 on the labelled set with the highest recall that allows). Writes benchmarks/linkage.json and benchmarks/linkage.md.
Never run by the test suite; about 30 seconds.

Run: python scripts/measure_linkage.py [--bulk-zip ZIP] [--legacy-zip ZIP]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
import zipfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg import linkage  # noqa: E402
from kg.emit import LINKING_SCHEMES, Document, emit_record  # noqa: E402
from kg.lexicon import default_lexicon  # noqa: E402
from kg.normalize import link_record  # noqa: E402
from kg.sources import parse_bytes  # noqa: E402

SAMPLES = Path("/work/shared/samples")
BULK = SAMPLES / "ctgov-v2-bulk" / "ctg-studies-635.zip"
LEGACY = SAMPLES / "ctgov-legacy-xml" / "ctg-legacy-xml-6785.zip"
LEGAL_FORM = {"Bayer": "Bayer AG", "Novartis Pharmaceuticals": "Novartis Pharma AG"}


def euctr_text(study: dict, eudract: str) -> str:
    """A WHO ICTRP record of the EU register for a v2 study, as ICTRP lays EUCTR records out."""
    ps = study["protocolSection"]
    ident, status = ps["identificationModule"], ps["statusModule"]
    title = ident.get("officialTitle") or ident["briefTitle"]
    acronym = ident.get("acronym")
    sponsor = ps["sponsorCollaboratorsModule"]["leadSponsor"]["name"]
    enrol = (ps.get("designModule", {}).get("enrollmentInfo") or {}).get("count")
    reg = status.get("studyFirstSubmitDate", "")
    start = (status.get("startDateStruct") or {}).get("date", "")
    code = (ident.get("orgStudyIdInfo") or {}).get("id", "")

    def dmy(iso: str) -> str:
        parts = iso.split("-") + ["15"]
        return f"{parts[2]}/{parts[1]}/{parts[0]}" if len(parts) >= 3 and parts[0] else ""

    lines = ["World Health Organization site", "Main", "Register: EUCTR",
             f"Main ID:  EUCTR{eudract}-DE", f"Date of registration: {dmy(reg)}",
             f"Primary sponsor: {LEGAL_FORM.get(sponsor, sponsor)}",
             f"Public title: {title}" + (f" - {acronym}" if acronym else ""),
             f"Scientific title: {title}" + (f" - {acronym}" if acronym else ""),
             f"Date of first enrolment: {dmy(start)}",
             # The EU part of a multinational trial: smaller than the worldwide enrolment.
             f"Target sample size: {max(1, round((enrol or 0) * 0.6))}" if enrol else "Target sample size:",
             "Recruitment status: Authorised-recruitment may be ongoing or finished",
             "Study type:  Interventional clinical trial of medicinal product",
             "Health Condition(s) or Problem(s) studied", *ps.get("conditionsModule", {}).get("conditions", []),
             "Intervention(s)", ""]
    for iv in ps.get("armsInterventionsModule", {}).get("interventions", []):
        if iv.get("type") in ("DRUG", "BIOLOGICAL") and "placebo" not in iv["name"].lower():
            lines += [f"Product Name: {iv['name']}", "Pharmaceutical Form: Tablet", ""]
    lines += ["Primary Outcome(s)", "Not stated", "Secondary ID(s)", code or "NIL", "Source(s) of Monetary Support",
              sponsor, ""]
    return "\n".join(lines)


def records(bulk: Path, legacy: Path) -> tuple[list[tuple[str, str, bytes]], dict]:
    """(trial id, document key, bytes) of every document of the labelled set, and what it holds."""
    docs: list[tuple[str, str, bytes]] = []
    eudract: dict[str, str] = {}
    with zipfile.ZipFile(bulk) as z:
        for name in sorted(z.namelist()):
            data = z.read(name)
            study = json.loads(data)
            nct = study["protocolSection"]["identificationModule"]["nctId"]
            docs.append((nct, f"bulk/{name}", data))
            for sec in study["protocolSection"]["identificationModule"].get("secondaryIdInfos", []):
                if sec.get("type") == "EUDRACT_NUMBER" and re.fullmatch(r"\d{4}-\d{6}-\d{2}", sec["id"]):
                    eudract[nct] = sec["id"]
                    docs.append((nct, f"euctr/{sec['id']}.txt", euctr_text(study, sec["id"]).encode()))
    ncts = {d[0] for d in docs}
    real = []
    with zipfile.ZipFile(legacy) as z:
        for name in sorted(z.namelist()):
            nct = name.rsplit("/", 1)[-1].removesuffix(".xml")
            if nct in ncts:
                docs.append((nct, f"legacy/{name}", z.read(name)))
                real.append(nct)
    return docs, {"eudract_listed": sorted(eudract), "legacy_and_v2": sorted(real)}


def load(docs: list[tuple[str, str, bytes]]) -> tuple[ox.Store, dict[str, str], dict[str, str]]:
    """One store of every document, registry identifiers removed; study -> trial id and -> format."""
    lex, store = default_lexicon(), ox.Store()
    trial_of, fmt_of, lines = {}, {}, []
    for trial, key, data in docs:
        sha = hashlib.sha256(data).hexdigest()
        for i, rec in enumerate(parse_bytes(data, key)):
            hidden = replace(rec, registry_ids=tuple(i for i in rec.registry_ids if i.scheme not in LINKING_SCHEMES))
            em = emit_record(hidden, link_record(lex, hidden), Document(key, sha, rec.format, i))
            own, shared = em.lines()
            lines += own | shared
            trial_of[em.study], fmt_of[em.study] = trial, rec.format
    store.bulk_load(("\n".join(sorted(set(lines))) + "\n").encode(), format=ox.RdfFormat.N_QUADS)
    return store, trial_of, fmt_of


def same_sponsor_and_drug(a: linkage.Study, b: linkage.Study) -> bool:
    return bool((a.sponsors & b.sponsors or a.sponsor_names & b.sponsor_names) and a.drugs & b.drugs)


def labelled_pairs(studies: dict[str, linkage.Study], trial_of: dict[str, str]) -> tuple[list, list]:
    by_trial, by_sponsor = defaultdict(list), defaultdict(set)
    for s in sorted(studies):
        by_trial[trial_of[s]].append(s)
        for key in studies[s].sponsors | studies[s].sponsor_names:
            by_sponsor[key].add(s)
    positives = [(a, b) for group in by_trial.values() for i, a in enumerate(group) for b in group[i + 1:]]
    negatives = sorted({(a, b) for group in by_sponsor.values() for a in group for b in group
                        if a < b and trial_of[a] != trial_of[b] and same_sponsor_and_drug(studies[a], studies[b])})
    return positives, negatives


def choose(pos: list[float], neg: list[float]) -> dict:
    """Precision first: every positive above the highest negative is kept, with the threshold midway
    between that negative and the lowest such positive (a margin both ways)."""
    top = max(neg, default=0.0)
    lowest = min((p for p in pos if p > top), default=1.0)
    return {"threshold": round((top + lowest) / 2, 2), "highest_negative_score": top, "lowest_positive_above": lowest}


def at(threshold: float, pos: list[float], neg: list[float]) -> dict:
    tp, fp = sum(p >= threshold for p in pos), sum(n >= threshold for n in neg)
    return {"threshold": threshold, "true_links": tp, "false_links": fp, "missed": len(pos) - tp,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None, "recall": round(tp / len(pos), 4) if pos else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bulk-zip", type=Path, default=BULK)
    parser.add_argument("--legacy-zip", type=Path, default=LEGACY)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "linkage")
    args = parser.parse_args()
    t0 = time.perf_counter()
    docs, sources = records(args.bulk_zip, args.legacy_zip)
    store, trial_of, fmt_of = load(docs)
    studies = linkage.read_studies(store)
    positives, negatives = labelled_pairs(studies, trial_of)
    scored = {p: linkage.score(linkage.features(studies[p[0]], studies[p[1]])) for p in positives + negatives}
    pos, neg = [scored[p] for p in positives], [scored[p] for p in negatives]
    chosen = choose(pos, neg)
    candidates = set(linkage.candidate_pairs(studies))
    proposed_links = [p for p in candidates if scored.get(p, None) is None
                      and linkage.score(linkage.features(studies[p[0]], studies[p[1]])) >= linkage.THRESHOLD]
    result = {
        "documents": len(docs), "studies": len(studies), "sources": sources,
        "labelled_pairs": {"positives": len(positives), "negatives": len(negatives),
                           "positives_real_two_renderings": len(sources["legacy_and_v2"]),
                           "positives_rendered_euctr": len(sources["eudract_listed"])},
        "chosen": chosen, "kg_linkage_threshold": linkage.THRESHOLD,
        "at_kg_linkage_threshold": at(linkage.THRESHOLD, pos, neg),
        "curve": [at(t, pos, neg) for t in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)],
        "blocking_recall": round(sum(p in candidates for p in positives) / len(positives), 4) if positives else None,
        "candidate_pairs_in_store": len(candidates),
        "unlabelled_candidates_linked": len(proposed_links),
        "positive_scores": {f"{trial_of[a]} {fmt_of[a]}~{fmt_of[b]}": scored[(a, b)] for a, b in positives},
        "top_negatives": sorted(({"pair": f"{trial_of[a]}~{trial_of[b]}", "score": scored[(a, b)],
                                  "features": linkage.features(studies[a], studies[b])} for a, b in negatives),
                                key=lambda r: -r["score"])[:5],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("labelled_pairs", "chosen", "at_kg_linkage_threshold", "blocking_recall",
                                             "unlabelled_candidates_linked", "seconds")}, indent=2))


def markdown(r: dict) -> str:
    k = r["at_kg_linkage_threshold"]
    lp = r["labelled_pairs"]
    rows = "\n".join(f"| {c['threshold']} | {c['true_links']} | {c['false_links']} | {c['precision']} | {c['recall']} |"
                     for c in r["curve"])
    return f"""# Cross-registry study linkage (kg.linkage)

`python scripts/measure_linkage.py` on {r['documents']} documents ({r['studies']} studies), registry
identifiers removed before the build; features read from the store as a build reads them.

Labelled pairs: **{lp['positives'] + lp['negatives']}** — {lp['positives']} positives
({lp['positives_real_two_renderings']} trials in both the v2 and the legacy XML samples, {lp['positives_rendered_euctr']}
v2 records listing a EudraCT number rendered as an ICTRP EUCTR record) and {lp['negatives']} negatives (different
trials, same sponsor, a drug in common).

At the threshold of `kg.linkage` (**{r['kg_linkage_threshold']}**): precision **{k['precision']}**, recall
**{k['recall']}** ({k['true_links']} of {lp['positives']} positives linked, {k['false_links']} negatives linked).
Highest negative score {r['chosen']['highest_negative_score']}, lowest positive above it
{r['chosen']['lowest_positive_above']}: threshold {r['chosen']['threshold']} midway. Blocking proposes {r['blocking_recall']} of the positives;
{r['unlabelled_candidates_linked']} other candidate pairs of the store (different trials in different formats)
score above the threshold.

| threshold | true links | false links | precision | recall |
|---|---|---|---|---|
{rows}

The rendered EUCTR positives copy the v2 title, so their title similarity is optimistic; the real
positives are two renderings of one registration. Negatives are scored whatever their formats (the build
would not even propose two ClinicalTrials.gov records as a pair).
"""


if __name__ == "__main__":
    main()
