"""Score the page readers field by field on documents they were not written against.

Each ``tests/fixtures/<format>/unseen/<case>.txt`` has a hand-written
``<case>.expected.json`` giving title, acronym, registry ids, status, phases,
study type, countries, sponsor, conditions, interventions and summary. The
document goes through the dispatcher (:func:`kg.sources.parse_text`), so a
document no reader accepts scores every field as missed.

Counting:
- a single-valued field is one unit: right when equal (whitespace folded);
  an expected null with a value read is an invented value;
- a list field counts one unit per expected value and one per extra value
  read (an extra value is invented); an empty expected list is one unit,
  right when nothing is read. Countries are so counted one per country;
- enums are compared as kg.model codes; the status is also right when the
  status text the reader kept normalises to the expected code; registry ids
  are compared by value, and by scheme unless the expected scheme is
  SPONSOR or OTHER (pages rarely say which of the two a code is).

Writes ``benchmarks/readers-unseen.json`` and ``.md`` (``--out`` to change;
``--set`` picks another fixture subfolder, e.g. ``unseen2``).

Usage: python scripts/score_readers.py [--set unseen] [--out benchmarks/readers-unseen-before]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from kg.model import SourceError, StudyRecord
from kg.sources import parse_text
from kg.sources._common import normalize_status

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ("veeva", "ictrp", "clinconnect")
SCALARS = ("title", "acronym", "status", "study_type", "sponsor", "summary")
LISTS = ("registry_ids", "phases", "countries", "conditions", "interventions")
FIELDS = ("title", "acronym", "registry_ids", "status", "phases", "study_type", "countries",
          "sponsor", "conditions", "interventions", "summary")
LOOSE_SCHEMES = {"SPONSOR", "OTHER"}


def _fold(value: Any) -> Any:
    return re.sub(r"\s+", " ", value).strip() if isinstance(value, str) else value


def read_values(rec: StudyRecord | None) -> dict[str, Any]:
    """The scored fields of a record (all empty when the document was refused)."""
    if rec is None:
        return {f: ([] if f in LISTS else None) for f in FIELDS}
    return {
        "title": rec.title, "acronym": rec.acronym, "status": rec.status,
        "status_text": rec.status_text, "study_type": rec.study_type, "sponsor": rec.sponsor,
        "summary": rec.summary,
        "registry_ids": [{"scheme": i.scheme, "value": i.value} for i in rec.registry_ids],
        "phases": list(rec.phases), "countries": list(rec.countries),
        "conditions": [c.name for c in rec.conditions],
        "interventions": [i.name for i in rec.interventions],
    }


def _same_id(want: dict[str, str], got: dict[str, str]) -> bool:
    if want["value"] != got["value"]:
        return False
    return want["scheme"] in LOOSE_SCHEMES and got["scheme"] in LOOSE_SCHEMES or want["scheme"] == got["scheme"]


def score_list(field: str, want: list[Any], got: list[Any]) -> dict[str, Any]:
    if not want:
        return {"units": 1 + max(len(got) - 1, 0), "right": int(not got), "invented": len(got),
                "missed": 0, "extra": got}
    left = list(got)
    right, missed = 0, []
    for w in want:
        match = next((g for g in left if (_same_id(w, g) if field == "registry_ids"
                                          else _fold(g) == _fold(w))), None)
        if match is None:
            missed.append(w)
        else:
            left.remove(match)
            right += 1
    return {"units": len(want) + len(left), "right": right, "invented": len(left),
            "missed": len(missed), "missing": missed, "extra": left}


def score_scalar(field: str, want: Any, got: dict[str, Any]) -> dict[str, Any]:
    value = got.get(field)
    ok = _fold(value) == _fold(want)
    if field == "status" and not ok and want is not None:
        ok = normalize_status(got.get("status_text")) == want
    out: dict[str, Any] = {"units": 1, "right": int(ok), "invented": int(want is None and value is not None),
           "missed": int(want is not None and value is None)}
    if not ok:
        out.update(expected=want, read=value)
    return out


def score_document(path: Path) -> dict[str, Any]:
    want = json.loads((path.parent / f"{path.stem}.expected.json").read_text(encoding="utf-8"))
    try:
        records = parse_text(path.read_text(encoding="utf-8"))
        rec, refused = (records[0] if records else None), None
    except SourceError as exc:
        rec, refused = None, str(exc)
    got = read_values(rec)
    fields = {f: (score_list(f, want[f], got[f]) if f in LISTS else score_scalar(f, want[f], got))
              for f in FIELDS}
    return {"document": str(path.relative_to(ROOT)), "refused": refused, "fields": fields,
            **_totals(fields.values())}


def _totals(parts: Any) -> dict[str, Any]:
    parts = list(parts)
    units = sum(p["units"] for p in parts)
    right = sum(p["right"] for p in parts)
    return {"units": units, "right": right, "invented": sum(p["invented"] for p in parts),
            "accuracy": round(right / units, 4) if units else None}


def score(fixtures: Path, subset: str = "unseen") -> dict[str, Any]:
    layouts: dict[str, Any] = {}
    for layout in LAYOUTS:
        docs = [score_document(p) for p in sorted((fixtures / layout / subset).glob("*.txt"))]
        per_field = {f: _totals(d["fields"][f] for d in docs) for f in FIELDS}
        layouts[layout] = {"documents": len(docs), "refused": sum(bool(d["refused"]) for d in docs),
                           **_totals(d for d in docs), "per_field": per_field, "per_document": docs}
    all_docs = [d for v in layouts.values() for d in v["per_document"]]
    per_field = {f: _totals(d["fields"][f] for d in all_docs) for f in FIELDS}
    return {"method": __doc__.split("\n\n")[1], "overall": {**_totals(all_docs), "per_field": per_field},
            "layouts": layouts}


def markdown(result: dict[str, Any], subset: str = "unseen") -> str:
    def pct(t: dict[str, Any]) -> str:
        return f"{t['right']}/{t['units']} ({100 * t['accuracy']:.1f}%)" if t["units"] else "-"
    head = "| field | " + " | ".join(LAYOUTS) + " | all |"
    lines = ["# Page readers on unseen documents", "",
             f"Field-by-field scores of `scripts/score_readers.py` on `tests/fixtures/<format>/{subset}/`.", "",
             head, "|" + "---|" * (len(LAYOUTS) + 2)]
    for f in FIELDS:
        cells = [pct(result["layouts"][lay]["per_field"][f]) for lay in LAYOUTS]
        lines.append(f"| {f} | " + " | ".join(cells) + f" | {pct(result['overall']['per_field'][f])} |")
    cells = [pct(result["layouts"][lay]) for lay in LAYOUTS]
    lines.append("| **all fields** | " + " | ".join(cells) + f" | {pct(result['overall'])} |")
    inv = [str(result["layouts"][lay]["invented"]) for lay in LAYOUTS]
    lines.append("| invented values | " + " | ".join(inv) + f" | {result['overall']['invented']} |")
    ref = [f"{result['layouts'][lay]['refused']}/{result['layouts'][lay]['documents']}" for lay in LAYOUTS]
    lines.append("| refused documents | " + " | ".join(ref) + " | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="benchmarks/readers-unseen", help="output path without extension")
    ap.add_argument("--fixtures", default=str(ROOT / "tests" / "fixtures"))
    ap.add_argument("--set", dest="subset", default="unseen",
                    help="fixture subfolder scored under each layout (default: unseen)")
    args = ap.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", args.subset) or args.subset in {".", ".."}:
        ap.error(f"--set must be a plain folder name, got {args.subset!r}")
    result = score(Path(args.fixtures), args.subset)
    out = ROOT / args.out if not Path(args.out).is_absolute() else Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(result, args.subset), encoding="utf-8")
    sys.stdout.write(markdown(result, args.subset))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
