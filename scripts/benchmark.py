"""Measure build and query speed and memory on real ClinicalTrials.gov records.

Usage:
    python scripts/benchmark.py [--zip PATH] [--out benchmarks/build.json] [--runs 3]
    python scripts/benchmark.py --scale [--factors 1,4,16,64] [--out benchmarks/scale.json]
        [--plot benchmarks/scale.png] [--extract] [--keep DIR] [--timeout SECONDS] [--tmp DIR]

Extracts the records of the zip (default: ../shared/samples/ctgov-v2-bulk/ctg-studies-635.zip) into a
temporary folder, then for each run builds them into a fresh on-disk store in a child process and
records wall time, CPU time and peak resident memory (``resource.getrusage`` of the child), triples,
and the time of the headline query and of an N-Quads export. It then does the same for the bundled
corpus twice: with the packaged reference (curated and bulk tables, the compiled artifact) and with
the curated tables only, to show what the bulk reference data costs a corpus build. Medians are
written to the output file. Never run by the test suite.

``--scale`` instead builds SYNTHETIC copies of the records (1, 4, 16 and 64 times, made by
scripts/synthetic.py) with the real CLI in child processes and writes benchmarks/scale.json and
benchmarks/scale.png; see scripts/bench_scale.py. The plot needs matplotlib.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ZIP = ROOT.parent / "shared" / "samples" / "ctgov-v2-bulk" / "ctg-studies-635.zip"

CHILD = """
import json, resource, sys, time
from kg.build import build
from kg.export import export_bytes
from kg.query import run_named
from kg.refdata import load_reference
from kg.store import open_store
store = open_store(sys.argv[2])
ref = load_reference(bulk=False) if sys.argv[3] == "curated" else None
docs = [sys.argv[1]] if sys.argv[1] else None  # "": the bundled corpus
t0 = time.perf_counter(); report = build(docs, store, progress=False, ref=ref); t1 = time.perf_counter()
rows = run_named(store, "myeloma-drugs-repurposed-for-autoimmunity").rows; t2 = time.perf_counter()
dump = export_bytes(store, "nq"); t3 = time.perf_counter()
print(json.dumps({"build_s": t1 - t0, "headline_query_s": t2 - t1, "export_nq_s": t3 - t2,
                  "documents": report.documents, "errors": len(report.errors), "triples": report.triples,
                  "headline_rows": len(rows), "links": report.links, "nq_bytes": len(dump),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def one_run(docs: Path | None, reference: str = "packaged") -> dict:
    with tempfile.TemporaryDirectory() as store:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(docs or ""), store, reference], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout.splitlines()[-1])
    # Peak memory comes from the child itself: RUSAGE_CHILDREN's maximum spans all runs so far.
    result.update(process_wall_s=wall, cpu_s=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
    return result


def figures(runs: list[dict]) -> dict[str, dict[str, float]]:
    """Median, minimum and maximum of every numeric figure of the runs."""
    numeric = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    return {"median": {k: round(statistics.median(r[k] for r in runs), 3) for k in numeric},
            "min": {k: round(min(r[k] for r in runs), 3) for k in numeric},
            "max": {k: round(max(r[k] for r in runs), 3) for k in numeric}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--zip", type=Path, default=DEFAULT_ZIP)
    p.add_argument("--out", type=Path, help="default: benchmarks/build.json (benchmarks/scale.json with --scale)")
    p.add_argument("--runs", type=int, default=3)
    s = p.add_argument_group("scale mode (synthetic copies)")
    s.add_argument("--scale", action="store_true", help="measure synthetic copies of the records at several sizes")
    s.add_argument("--factors", default="1,4,16,64", help="copies of the records to build (default: %(default)s)")
    s.add_argument("--plot", type=Path, default=ROOT / "benchmarks" / "scale.png", help="default: %(default)s")
    s.add_argument("--extract", action="store_true",
                   help="build a folder of the extracted records instead of the zip (automatic if the build cannot read zips)")
    s.add_argument("--keep", type=Path, metavar="DIR", help="keep each factor's store and view in DIR/xFACTOR")
    s.add_argument("--timeout", type=float, default=6 * 3600, help="seconds per step (default: %(default)s)")
    s.add_argument("--tmp", type=Path, help="where the temporary folders go (default: the system's)")
    s.add_argument("--build-args", default="", metavar="ARGS",
                   help="extra arguments for `trialkg build`, e.g. --build-args=\"--view ''\" (default: none, the default build)")
    args = p.parse_args()
    if args.scale:
        if args.zip != DEFAULT_ZIP:
            p.error("--scale copies the 635 records of the default zip (scripts/synthetic.py)")
        from bench_scale import run

        run([int(f) for f in args.factors.split(",")], args.out or ROOT / "benchmarks" / "scale.json", args.plot,
            extract=args.extract, keep=args.keep, timeout=args.timeout, tmp_root=args.tmp,
            build_args=shlex.split(args.build_args))
        return
    args.out = args.out or ROOT / "benchmarks" / "build.json"
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(args.zip) as z:
            z.extractall(tmp)
        runs = [one_run(Path(tmp)) for _ in range(args.runs)]
    summary = {"input": args.zip.name, "runs": args.runs, "python": platform.python_version(),
               "machine": platform.machine(), **figures(runs), "links": runs[-1]["links"],
               "corpus": {ref: figures([one_run(None, ref) for _ in range(args.runs)])
                          for ref in ("packaged", "curated")}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"bulk": summary["median"], "corpus": {k: v["median"] for k, v in summary["corpus"].items()}},
                     indent=2))


if __name__ == "__main__":
    main()
