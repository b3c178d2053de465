"""Draw the repurposing landscape of real records: build them into a store, write kg.report's figures.

Default input: the 6,785 ClinicalTrials.gov legacy XML records of
/work/shared/samples/ctgov-legacy-xml/ (read from the zip); --input takes any documents, folders or zips
`trialkg build` takes. Writes the PNGs to --output [docs/landscape] and the numbers behind them to
OUTPUT/landscape.json, which README shows. Never run by the test suite.

Run: python scripts/landscape.py [--input PATH ...] [--store DIR] [--output DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from kg import report  # noqa: E402
from kg.build import build  # noqa: E402
from kg.store import open_store  # noqa: E402

LEGACY = sorted(Path("/work/shared/samples/ctgov-legacy-xml").glob("*.zip"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", nargs="*", default=[str(z) for z in LEGACY])
    p.add_argument("--store", help="build here (default: a temporary folder)")
    p.add_argument("--output", type=Path, default=REPO / "docs" / "landscape")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.store or str(Path(tmp) / "store"))
        start = time.perf_counter()
        built = build(args.input, store, progress=False, compact="wait")
        seconds = time.perf_counter() - start
        paths = report.write_report(store, args.output)
        numbers = {
            "input": [Path(i).name for i in args.input], "documents": built.documents,
            "studies": len(built.studies), "errors": len(built.errors), "build_seconds": round(seconds, 1),
            "class_by_area": [[c, a, n] for (c, a), n in report.class_area_counts(store).items()],
            "phase_by_year": [[y, ph, n] for (y, ph), n in report.phase_year_counts(store).items()],
            "repurposed_mechanisms": report.repurposed_mechanisms(store),
        }
        (args.output / "landscape.json").write_text(json.dumps(numbers, indent=1) + "\n", encoding="utf-8")
        del store
    print(f"{built.documents} documents, {len(built.studies)} studies, {len(built.errors)} errors, {seconds:.0f} s")
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
