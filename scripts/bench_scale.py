"""Scale benchmark (``python scripts/benchmark.py --scale``): synthetic copies of the 635 real records.

For each factor, ``synthetic.write`` makes FACTOR copies of the real ClinicalTrials.gov records under new
NCT numbers (SYNTHETIC data: for time, memory and disk only). Each copy set is built by the real CLI in a
child process, as a user would (``python -m kg.cli build INPUT --store S``, headline and view included),
then the same store is counted, queried, exported to N-Quads, the dump bulk-loaded into a fresh
Oxigraph store, and rebuilt unchanged. Every step is a child process with its own timeout; a failed
step is recorded in the JSON and the run goes on. Results are written after every factor.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import bench_scale_report as report
import synthetic
from bench_proc import EPILOGUE, cli, last_json, run_step

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = "myeloma-drugs-repurposed-for-autoimmunity"
MIB = 1024 * 1024
DESCRIPTION = (
    "SYNTHETIC data. Copy 0 is the 635 real ClinicalTrials.gov API v2 records unchanged; copy k of the record at "
    "position i becomes NCT9{k:02d}{i:05d} (every NCT number the sample names replaced by its copy-k number, EudraCT "
    "and EU CT numbers given the year 9000+k, so copies never merge into one study); scripts/synthetic.py. Copies repeat the "
    "real records' drugs, conditions and sponsors: figures are for time, memory and disk, not for linking or query "
    "quality, and the reference graph (~386,000 triples) is a fixed cost in every build.")
DEFINITIONS = {
    "build_wall_s": "wall time of the process `python -m kg.cli build INPUT --store S` (the default build: "
                    "headline answer and interactive view included), fresh store",
    "peak_rss_mib": "the larger of the child's own ru_maxrss (written by a wrapper at exit) and the peak total RSS "
                    "of its process tree sampled from /proc every 0.2 s",
    "store_bytes": "sum of the file sizes under the store folder after the build",
    "studies/documents/quads": "counted in the store: distinct instances of tkg:Study or a subclass, distinct "
                               "tkg:fileName values, len(store)",
    "export_wall_s": "wall time of `python -m kg.cli export --format nq --output F --store S`",
    "bulk_load_wall_s": "wall time of a process running pyoxigraph.Store(fresh).bulk_load(path=F, format=N_QUADS)",
    "build_to_bulk_load_ratio": "build_wall_s / bulk_load_wall_s (target: <= 2)",
    "headline_process_wall_s": "wall time of `python -m kg.cli query myeloma-drugs-repurposed-for-autoimmunity --store S`",
    "queries_s": "in-process kg.query.run_named(store, name, params) per library query, parameters of "
                 "queries/expected/NAME.json, the store opened once",
    "unchanged_rebuild_wall_s": "wall time of the same build command again on the same store",
}

BULK_LOAD = """
import json, sys, time, pyoxigraph as ox
_RSS_FILE = sys.argv[1]
t0 = time.perf_counter()
store = ox.Store(sys.argv[2])
store.bulk_load(path=sys.argv[3], format=ox.RdfFormat.N_QUADS)
t1 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "quads": len(store)}))
""" + EPILOGUE

# Opens the store once, counts, then times every library query with the example parameters of
# queries/expected/NAME.json (the ones the test suite runs them with).
QUERIES = """
import json, sys, time, pyoxigraph as ox
from kg.query import named_queries, run_named, run_sparql
from kg.query_expect import expected_path, load_expected
_RSS_FILE = sys.argv[1]
t0 = time.perf_counter(); store = ox.Store(sys.argv[2]); out = {"open_s": time.perf_counter() - t0}
T = "PREFIX tkg: <https://w3id.org/trialkg/ontology/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
def count(q):
    return int(run_sparql(store, T + q).rows[0][0].value)
t0 = time.perf_counter()
out["quads"] = len(store)
out["studies"] = count("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?c rdfs:subClassOf* tkg:Study . ?s a ?c }")
out["documents"] = count("SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?r tkg:fileName ?f }")
out["count_s"] = time.perf_counter() - t0
out["queries"], out["query_errors"] = {}, {}
for name in sorted(named_queries()):
    params = load_expected(name).get("params", {}) if expected_path(name).exists() else {}
    t0 = time.perf_counter()
    try:
        rows = len(run_named(store, name, params).rows)
    except Exception as exc:
        out["query_errors"][name] = repr(exc)
        continue
    out["queries"][name] = {"s": round(time.perf_counter() - t0, 4), "rows": rows, "params": params}
print(json.dumps(out))
""" + EPILOGUE


PROBE: dict[str, Any] = {}


@cache
def zip_input_supported() -> bool:
    """Does this `trialkg build` read a zip of documents? Probe: build a one-record zip in memory."""
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(synthetic.DEFAULT_ZIP) as src:
        name = sorted(n for n in src.namelist() if n.endswith(".json"))[0]
        with zipfile.ZipFile(Path(tmp) / "probe.zip", "w") as z:
            z.writestr(name, src.read(name))
        step = run_step(cli("build", "probe.zip", "--store", ":memory:", "--quiet", "--no-headline", "--view", ""),
                        Path(tmp), 600, "-m kg.cli (zip input probe)")
    PROBE.update(step)
    PROBE["zip_supported"] = step["ok"] and not re.search(r"^documents:\s*0\b", step["stdout"], re.M)
    PROBE["stdout_tail"] = PROBE.pop("stdout")[-1000:]
    return bool(PROBE["zip_supported"])


def build_input(zip_path: Path, tmp: Path, extract: bool = False) -> Path:
    """What to give `trialkg build`: the zip itself, or (with --extract, or when this build cannot read
    zips) a folder with its records extracted."""
    if not extract and zip_input_supported():
        return zip_path
    folder = tmp / "records"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(folder)
    return folder


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _build_summary(stdout: str) -> dict[str, int]:
    """documents, unchanged, studies and triples from the build's printed summary (if it still prints one)."""
    found = {}
    for key, pattern in (("documents", r"^documents:\s*(\d+)"), ("unchanged", r"^documents:.*\((\d+) unchanged"),
                         ("studies", r"^studies:\s*(\d+)"), ("triples", r"^triples:\s*(\d+)")):
        m = re.search(pattern, stdout, re.M)
        if m:
            found[key] = int(m.group(1))
    return found


def one_factor(res: dict[str, Any], work: Path, extract: bool, timeout: float, build_args: list[str]) -> None:
    """All measurements of one factor in ``work`` (a fresh folder), into ``res`` (kept if a step raises)."""
    factor = res["factor"]
    res["tmp_free_gb"] = round(shutil.disk_usage(work).free / 1e9, 1)
    t0 = time.perf_counter()
    zip_path = work / f"synthetic-x{factor}.zip"
    res["records"] = synthetic.write(factor, zip_path)
    res["synthesis_s"] = round(time.perf_counter() - t0, 2)
    source = build_input(zip_path, work, extract)
    res["input"] = "zip" if source == zip_path else "folder (extracted from the zip)"
    store = work / "store"
    build_cmd = cli("build", source, "--store", store, *build_args)  # default: headline and view included
    res["build"] = build = run_step(build_cmd, work, timeout)
    build.update(_build_summary(build.pop("stdout")))
    view = work / "trialkg-view.html"
    res["view_bytes"] = view.stat().st_size if view.exists() else None
    if not store.is_dir():  # a build that fails late (say, in the view) still leaves a store to measure
        return
    res["store_bytes"] = dir_bytes(store)
    res["counts"] = counts = run_step([QUERIES, str(store)], work, timeout, "-c <count and time the library queries>")
    counts.update(last_json(counts))
    for key in ("studies", "documents", "quads"):
        res[key] = counts.get(key, build.get({"quads": "triples"}.get(key, key)))
    res["queries"] = {name: q["s"] for name, q in counts.pop("queries", {}).items()}
    res["headline_process"] = step = run_step(cli("query", HEADLINE, "--store", store), work, timeout)
    step["rows_printed"] = len(step.pop("stdout").splitlines())
    nq = work / "export.nq"
    res["export"] = step = run_step(cli("export", "--format", "nq", "--output", nq, "--store", store), work, timeout)
    step.pop("stdout")
    if step["ok"] and nq.exists():
        step["nq_bytes"] = nq.stat().st_size
        res["bulk_load"] = step = run_step([BULK_LOAD, str(work / "bulk-store"), str(nq)], work, timeout,
                                                  "-c <Store(DIR).bulk_load(path=NQ, format=N_QUADS)>")
        step.update(last_json(step))
        if step["ok"] and build["ok"]:
            res["build_to_bulk_load_ratio"] = round(build["wall_s"] / step["wall_s"], 2)
    nq.unlink(missing_ok=True)
    shutil.rmtree(work / "bulk-store", ignore_errors=True)
    res["unchanged_rebuild"] = step = run_step(build_cmd, work, timeout)
    step.update(_build_summary(step.pop("stdout")))


def machine() -> dict[str, Any]:
    mem = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()) if Path("/proc/meminfo").exists() else None
    git = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "kg"], cwd=ROOT, capture_output=True, text=True)
    kg = subprocess.run([sys.executable, "-c", "import kg; print(kg.__version__, kg.__file__)"],
                        capture_output=True, text=True, cwd=tempfile.gettempdir())
    import pyoxigraph

    return {"platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "memory_gib": round(int(mem.group(1)) / MIB, 1) if mem else None,
            "python": platform.python_version(), "pyoxigraph": pyoxigraph.__version__,
            "git_commit": git.stdout.strip() or None, "kg_changed_files": len(dirty.stdout.splitlines()),
            "kg_measured": kg.stdout.strip() or kg.stderr[-300:]}


def run(factors: list[int], out: Path, plot: Path, extract: bool = False, keep: Path | None = None,
        timeout: float = 6 * 3600, tmp_root: Path | None = None, build_args: list[str] | None = None) -> dict[str, Any]:
    """Measure every factor, writing ``out`` after each one and ``plot`` at the end."""
    doc: dict[str, Any] = {"synthetic": True, "description": DESCRIPTION, "source": synthetic.DEFAULT_ZIP.name,
                           "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           "machine": machine(), "python": platform.python_version(),
                           "command": "python scripts/benchmark.py --scale --factors " + ",".join(map(str, factors)),
                           "extra_build_args": build_args or [],
                           "definitions": DEFINITIONS, "factors": []}
    out.parent.mkdir(parents=True, exist_ok=True)
    for factor in factors:
        work = Path(tempfile.mkdtemp(prefix=f"trialkg-scale-x{factor}-", dir=tmp_root))
        print(f"x{factor}: {factor * 635} synthetic records in {work}", file=sys.stderr, flush=True)
        res: dict[str, Any] = {"factor": factor}
        try:
            one_factor(res, work, extract, timeout, build_args or [])
        except Exception as exc:  # recorded, and the next factor still runs
            res["error"] = repr(exc)
        finally:
            if keep:
                dest = keep / f"x{factor}"
                shutil.rmtree(dest, ignore_errors=True)
                dest.mkdir(parents=True)
                for name in ("store", "trialkg-view.html"):
                    if (work / name).exists():
                        shutil.move(str(work / name), dest / name)
            shutil.rmtree(work, ignore_errors=True)
        doc["zip_input_probe"] = PROBE or "not run (--extract)"
        doc["factors"].append(report.flatten(res))
        doc["projection"] = report.projection(doc["factors"])
        out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(report.table(doc["factors"]))
    print(json.dumps(doc["projection"], indent=2))
    try:
        report.plot(doc["factors"], plot)
        print(f"wrote {out} and {plot}")
    except Exception as exc:
        print(f"wrote {out}; no plot: {exc}", file=sys.stderr)
    return doc
