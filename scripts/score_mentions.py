"""Score the drugs and conditions the graph reads out of free text, on documents written for the purpose.

Each ``<dir>/<case>.txt`` (a letter calling for case reports, or a ClinConnect page) has a
hand-written ``<case>.expected.json``::

    {"tested": [drug labels], "comparator": [drug labels], "conditions": [condition labels],
     "acceptable": {"conditions": [labels]},   # optional
     "notes": "why"}                            # optional, not scored

All documents of the folder are built together into one in-memory store with
:func:`kg.build.build` (nothing else of ``kg`` is used, so the script runs on older
versions of the code too). Per document, the studies its records describe
(``?record tkg:fileName "<case>.txt" ; tkg:describesStudy ?study``) are asked by SPARQL for
the English ``rdfs:label``s of their ``tkg:testsDrug`` (field *tested*),
``tkg:comparatorDrug`` (*comparator*) and ``tkg:studiesCondition`` (*conditions*) nodes.

Counting, per document and field:
- an expected value is one unit. It is a label, or a list of labels any of which is right
  (for a disease MONDO names at two granularities, e.g. primary membranous nephropathy).
  It is *right* when some node found in that field carries one of its labels (a node may
  carry several English labels), *missed* otherwise;
- a node found in the field is *invented* when none of its labels is one of the expected
  values' labels nor one of the field's ``acceptable`` labels (a subtype or an underlying
  disease a reader could fairly name, but need not). A found node matching an acceptable
  label only is counted as *acceptable* and is neither right nor invented. Two found
  nodes matching the same expected value make one right unit, the second is not counted;
- an empty expected list with nothing found is no unit (nothing to get right or wrong);
- a document no reader accepts, or whose build fails, finds nothing: all its expected
  values are missed.

Precision per field = right / (right + invented); recall = right / (right + missed),
over all documents. Writes ``benchmarks/<out>.json`` and ``benchmarks/<out>.md``.

Usage: python scripts/score_mentions.py [--dir tests/fixtures/mentions/unseen] [--out mentions-unseen]
                                          [--bench-dir benchmarks]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIELDS = {"tested": "testsDrug", "comparator": "comparatorDrug", "conditions": "studiesCondition"}

QUERY = """
PREFIX tkg: <https://w3id.org/trialkg/ontology/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?file ?field ?node ?label WHERE {
  ?record tkg:describesStudy ?study ; tkg:fileName ?file .
  VALUES (?field ?p) { %s }
  ?study ?p ?node .
  OPTIONAL { ?node rdfs:label ?label FILTER(lang(?label) = "" || langMatches(lang(?label), "en")) }
}
""" % " ".join(f'("{f}" tkg:{p})' for f, p in FIELDS.items())


def _fold(label: str) -> str:
    return " ".join(label.split()).casefold()


def found_values(store, names: set[str]) -> dict[str, dict[str, dict[str, list[str]]]]:
    """{file: {field: {node: [labels]}}} for the documents named."""
    out: dict[str, dict[str, dict[str, list[str]]]] = {n: {f: {} for f in FIELDS} for n in names}
    for row in store.query(QUERY, use_default_graph_as_union=True):
        file = Path(row["file"].value).name
        if file not in out:
            continue
        labels = out[file][row["field"].value].setdefault(row["node"].value, [])
        if row["label"] is not None and row["label"].value not in labels:
            labels.append(row["label"].value)
    for fields in out.values():
        for nodes in fields.values():
            for node, labels in nodes.items():
                labels.sort()
                if not labels:  # an unlabelled node is shown by its IRI
                    labels.append(node.rsplit("/", 1)[-1])
    return out


def score_field(expected: list, acceptable: list[str], nodes: dict[str, list[str]]) -> dict:
    items = [[e] if isinstance(e, str) else list(e) for e in expected]
    folded_items = [{_fold(a) for a in item} for item in items]
    all_expected = set().union(*folded_items) if folded_items else set()
    ok_extra = {_fold(a) for a in acceptable}
    right, missed, invented, accepted = [], [], [], []
    for item, folded in zip(items, folded_items):
        hit = next((labels for labels in nodes.values() if folded & {_fold(l) for l in labels}), None)
        (right if hit else missed).append(item[0] if hit is None else
                                          next(l for l in hit if _fold(l) in folded))
    for labels in nodes.values():
        f = {_fold(l) for l in labels}
        if f & all_expected:
            continue
        (accepted if f & ok_extra else invented).append(labels[0])
    return {"right": right, "missed": missed, "invented": sorted(invented), "acceptable": sorted(accepted)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=ROOT / "tests/fixtures/mentions/unseen")
    ap.add_argument("--out", default="mentions-unseen")
    ap.add_argument("--bench-dir", type=Path, default=ROOT / "benchmarks")
    args = ap.parse_args(argv)

    import kg
    from kg.build import build
    from kg.store import open_store

    docs = sorted(p for p in args.dir.glob("*.txt"))
    if not docs:
        ap.error(f"no .txt documents in {args.dir}")
    store = open_store(None)
    report = build(docs, store, progress=False)
    errors = [str(e) for e in report.errors]
    found = found_values(store, {p.name for p in docs})

    code_dir = Path(kg.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(code_dir), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(code_dir), "status", "--porcelain", "--", "kg"],
                                    capture_output=True, text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False

    per_doc = {}
    totals = {f: {"right": 0, "missed": 0, "invented": 0, "acceptable": 0} for f in FIELDS}
    for p in docs:
        exp = json.loads(p.with_name(p.stem + ".expected.json").read_text(encoding="utf-8"))
        acc = exp.get("acceptable", {})
        per_doc[p.name] = {}
        for f in FIELDS:
            s = score_field(exp.get(f, []), acc.get(f, []), found[p.name][f])
            per_doc[p.name][f] = s
            for k in totals[f]:
                totals[f][k] += len(s[k])
    for f, t in totals.items():
        t["precision"] = round(t["right"] / (t["right"] + t["invented"]), 3) if t["right"] + t["invented"] else None
        t["recall"] = round(t["right"] / (t["right"] + t["missed"]), 3) if t["right"] + t["missed"] else None
    all_t = {k: sum(t[k] for t in totals.values()) for k in ("right", "missed", "invented", "acceptable")}
    all_t["precision"] = round(all_t["right"] / (all_t["right"] + all_t["invented"]), 3)
    all_t["recall"] = round(all_t["right"] / (all_t["right"] + all_t["missed"]), 3)

    result = {"code": {"kg": str(Path(kg.__file__).resolve()), "commit": commit, "kg_modified": dirty},
              "documents_dir": str(args.dir.resolve().relative_to(ROOT) if args.dir.resolve().is_relative_to(ROOT)
                                   else args.dir.resolve()),
              "documents": len(docs), "build_errors": errors, "totals": totals, "all_fields": all_t,
              "per_document": per_doc}
    args.bench_dir.mkdir(parents=True, exist_ok=True)
    (args.bench_dir / f"{args.out}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                                     encoding="utf-8")

    md = [f"# Free-text drugs and conditions: {args.out}", "",
          f"Code: `{result['code']['kg']}` at {commit}{' (kg/ modified)' if dirty else ''}; "
          f"{len(docs)} documents from `{result['documents_dir']}`; build errors: {len(errors)}.", "",
          "Counting: see the docstring of scripts/score_mentions.py (one unit per expected value, "
          "one per invented node; acceptable extras are neither right nor invented).", "",
          "| field | right | missed | invented | acceptable | precision | recall |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    for f, t in [*totals.items(), ("all", all_t)]:
        md.append(f"| {f} | {t['right']} | {t['missed']} | {t['invented']} | {t['acceptable']} | "
                  f"{t['precision']} | {t['recall']} |")
    md += ["", "## Per document", ""]
    for name, fields in per_doc.items():
        md.append(f"### {name}")
        for f, s in fields.items():
            bits = [f"right {s['right']}" if s["right"] else "",
                    f"**missed** {s['missed']}" if s["missed"] else "",
                    f"**invented** {s['invented']}" if s["invented"] else "",
                    f"acceptable {s['acceptable']}" if s["acceptable"] else ""]
            md.append(f"- {f}: " + ("; ".join(b for b in bits if b) or "nothing expected, nothing found"))
        md.append("")
    if errors:
        md += ["## Build errors", "", *[f"- {e}" for e in errors], ""]
    (args.bench_dir / f"{args.out}.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md[:md.index("## Per document")]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
