"""Audit the derived reference tables against the raw rows they came from.

Samples approvals and drug-target facts at random from ontology/reference/bulk/ (the seed is printed
and written with the results) and checks each against the raw source files of
/work/shared/reference/drugs, independently of scripts/derive_reference.py's joins:

- an FDA approval (drug, date, or approved_before 1982-01-01) is right when some Orange Book or Purple
  Book row names the drug (its label or one of its FDA names, biosimilar suffix and salt words aside, or
  MeDIC mapped the row to it and checked the mapping), with that date, and no such row is earlier;
- an EMA approval is right when some EPAR row names the drug with that date among its dates and no such
  row lists an earlier one;
- a drug-target fact (drug, gene, action type) is right when a DrugCentral 2016 row of the drug (by its
  DrugCentral id, else its name) lists that gene with an action type that maps to that code.

Writes --out [benchmarks/reference-audit.json] and a markdown table next to it; exits 1 when fewer than
49 of 50 facts of a kind are right. Never run by the test suite (it reads the shared raw data).

Run: python scripts/audit_reference.py [--seed N] [--n 50]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BULK = REPO / "ontology" / "reference" / "bulk"
RAW = Path("/work/shared/reference/drugs")
SALT_OR_FORM = re.compile(
    r"\b(hydrochloride|hcl|sodium|potassium|calcium|magnesium|sulfate|sulphate|mesylate|maleate|tartrate|"
    r"citrate|acetate|phosphate|succinate|fumarate|besylate|bromide|chloride|dihydrate|monohydrate|"
    r"hydrate|disodium|tromethamine|meglumine|hyclate|pamoate|tosylate|lactate|gluconate|nitrate|carbonate)\b")


def rows(path: Path, delimiter: str = "\t") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


ELEMENTS = frozenset("zinc manganese iron ferrous ferric copper cupric magnesium calcium potassium sodium lithium "
                     "silver gold aluminum aluminium selenium chromium cobalt bismuth barium strontium".split())


def key(name: str) -> str:
    """A name compared without case, a biosimilar suffix ("-dkst"), salt words and extra blanks."""
    name = re.sub(r"-[a-z]{4}$", "", name.strip().lower()).replace("-", " ")
    # A name made only of salt words ("potassium chloride"), or a metal's salt ("zinc acetate", not the
    # same product as zinc chloride), is the substance itself: kept whole.
    stripped = " ".join(SALT_OR_FORM.sub(" ", name).split())
    return " ".join(name.split()) if not stripped or stripped in ELEMENTS else stripped


def spelling(text: str) -> str:
    """Text compared as words: lower case, British spellings as American ("leukaemia", "tumour"), a
    carcinoma as a cancer, punctuation as blanks ("Crohn's", "HER2-positive"), a plural "s" dropped."""
    text = re.sub(r"(?<=[a-z])ae|(?<=[a-z])oe|\b(?:ae|oe)(?=[a-z])", "e", text.lower())
    text = re.sub(r"\bcarcinomas?\b", "cancer", text).replace("tumour", "tumor")
    words = re.sub(r"[^a-z0-9]+", " ", re.sub(r"['’]s\b", "", text)).split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def drug_names(drug: dict[str, str]) -> set[str]:
    names = [drug["label"], *drug["synonyms"].split("|")]
    return {key(n) for n in names if n}


def medic_ingredients() -> dict[str, frozenset[str]]:
    """MeDIC CURIE of a combination product -> its ingredients, as keys."""
    return {r["curie"]: frozenset(key(x) for x in r["combination_therapy_ingredients"].split("|") if x.strip())
            for r in rows(RAW / "medi_drug_list_stringent.csv", ",") if r["is_combination_therapy"] == "TRUE"}


def approval_evidence(drugs: dict[str, dict[str, str]]) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """(drug id, agency) -> [(YYYYMMDD, how the raw row names the drug, its indication text)] over every
    raw approval row."""
    by_name: dict[str, set[str]] = defaultdict(set)
    for ident, d in drugs.items():
        for n in drug_names(d):
            by_name[n].add(ident)
    # Which drug id each MeDIC row became: the derivation's identity assignment (not its approval joins).
    import derive_reference as dr

    ctx = dr.derive_medic(dr.parse_args([]), {})
    by_curie: dict[str, set[str]] = defaultdict(set)
    for r in ctx["medic"]:
        for curie in dr.curies_of(r):
            by_curie[curie].add(ctx["ids"][r["curie"]])
    combos = medic_ingredients()
    out: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for agency, files in (("FDA", ["medi_approvals_fda_orange_book.tsv", "medi_approvals_fda_purple_book.tsv"]),
                          ("EMA", ["medi_approvals_ema_epar.tsv"])):
        for f in files:
            for r in rows(RAW / f):
                dates = [d.split(".")[0].strip() for d in r["approval_date"].split("|")]
                named = by_name.get(key(r["source_ingredients"]), set())
                curie = r["corrected_curie_norm"]
                parts = frozenset(key(x) for x in r["source_ingredients"].split(";"))
                # MeDIC's mapping of the row, when MeDIC checked it or it names the product's ingredients
                trusted = r["id_correct"] == "True" or (len(parts) > 1 and combos.get(curie) == parts)
                mapped = by_curie.get(curie, set()) if trusted else set()
                for ident, how in [(i, "name") for i in named] + [(i, "checked MeDIC mapping") for i in mapped]:
                    out[(ident, agency)] += [(d, f"{f}: {r['source_ingredients'][:60]} ({how})", r.get("indication", ""))
                                             for d in dates if re.fullmatch(r"\d{8}", d)]
    return out


def check_approval(a: dict[str, str], evidence: dict, disease_names: dict[str, list[str]]) -> tuple[bool, str]:
    found = sorted(evidence.get((a["drug"], a["agency"]), []))
    date = (a["date"] or a["approved_before"]).replace("-", "")
    if not found:
        return False, "no raw row names this drug"
    if a["agency"] == "EMA":
        listed = {d for d, _, _ in found}
        ok = date in listed and min(listed) >= date
        why = f"EPAR dates {sorted(listed)[:4]}; {found[0][1]}"
        if a["indication"]:  # the MONDO class's label or a synonym is written in an EPAR text of the drug
            texts = f" {spelling(' '.join(t for _, _, t in found))} "
            named = [n for n in disease_names.get(a["indication"], []) if n and f" {spelling(n)} " in texts]
            ok = ok and bool(named)
            why += f"; indication {a['indication']} " + (f"written '{named[0]}'" if named else "not written in the EPAR text")
        return ok, why
    first = found[0]
    ok = first[0] == date and (bool(a["approved_before"]) == (date == "19820101"))
    return ok, f"earliest {first[0]} in {first[1]}"


def check_target(m: dict[str, str], drug: dict[str, str], dc_rows: list[dict[str, str]],
                 action_codes: dict[str, str], families: dict[str, list[str]]) -> tuple[bool, str]:
    dc_ids = {x.split(":", 1)[1] for x in drug["xrefs"].split("|") if x.startswith("DRUGCENTRAL:")}
    names = drug_names(drug)
    chembl = {x.split(":", 1)[1] for x in drug["xrefs"].split("|") if x.startswith("CHEMBL:")}
    mine = [r for r in dc_rows if r["DRUG_ID"] in dc_ids] or [r for r in dc_rows if r["CHEMBL_ID"] in chembl] \
        or [r for r in dc_rows if key(r["DRUG_NAME"]) in names]
    if not mine:
        return False, "no DrugCentral row for this drug"
    members = families.get(m["target"], [m["target"]])  # a family or complex: exactly its member genes
    hits = [r for r in mine if set(members) == set(r["GENE"].split("|")) or
            (len(members) == 1 and members[0] in r["GENE"].split("|"))]
    if not hits:
        return False, f"DrugCentral lists {sorted({r['GENE'] for r in mine})[:4]}"
    actions = {action_codes.get(r["ACTION_TYPE"].strip().upper(), r["ACTION_TYPE"]) for r in hits}
    return m["action_type"] in actions, f"DrugCentral {hits[0]['DRUG_NAME']} -> {hits[0]['GENE'][:40]} {sorted(actions)}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=None, help="default: a random seed, printed")
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "reference-audit.json")
    args = p.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    print(f"seed {seed}")
    rng = random.Random(seed)
    sys.path.insert(0, str(REPO / "scripts"))
    import derive_reference  # the action-code table the derivation used

    drugs = {d["id"]: d for d in rows(BULK / "drugs.tsv")}
    approvals = [a for a in rows(BULK / "approvals.tsv") if a["drug"] in drugs]
    mechanisms = [m for m in rows(BULK / "mechanisms.tsv") if m["target"] and m["drug"] in drugs]
    evidence = approval_evidence(drugs)
    dc_rows = rows(RAW / "drugcentral2016_drug_target.tsv")
    families = {f["id"]: f["members"].split("|") for f in rows(BULK / "families.tsv")} \
        if (BULK / "families.tsv").exists() else {}
    results: dict[str, list[dict]] = {"approvals": [], "drug-target facts": []}
    names = {r["id"]: [r["label"], *r["synonyms"].split("|")] for r in rows(BULK / "mondo.tsv")}
    for a in rng.sample(approvals, args.n):
        ok, why = check_approval(a, evidence, names)
        results["approvals"].append({"fact": f"{a['drug']} {a['agency']} {a['date'] or 'before ' + a['approved_before']}"
                                             + (f" for {a['indication']}" if a["indication"] else ""),
                                     "right": ok, "raw": why})
    for m in rng.sample(mechanisms, args.n):
        ok, why = check_target(m, drugs[m["drug"]], dc_rows, derive_reference.ACTION_TYPES, families)
        results["drug-target facts"].append({"fact": f"{m['drug']} {m['target']} {m['action_type']}",
                                             "right": ok, "raw": why})
    summary = {kind: sum(r["right"] for r in rs) for kind, rs in results.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"seed": seed, "n": args.n, "right": summary, "facts": results},
                                   indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = [f"# Reference audit (seed {seed})", "", "| kind | right |", "|---|---|"]
    lines += [f"| {kind} | {n}/{args.n} |" for kind, n in summary.items()]
    lines += ["", "Wrong or unconfirmed:", ""]
    lines += [f"- {kind}: {r['fact']} ({r['raw']})" for kind, rs in results.items() for r in rs if not r["right"]]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for kind, n in summary.items():
        print(f"{kind}: {n}/{args.n} right")
    for kind, rs in results.items():
        for r in rs:
            if not r["right"]:
                print(f"  wrong? {kind}: {r['fact']}: {r['raw']}")
    return 0 if all(n >= args.n - 1 for n in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
