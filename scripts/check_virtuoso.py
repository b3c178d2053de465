"""Check the query library on OpenLink Virtuoso (the Debian package ``virtuoso-opensource``).

Builds the bundled corpus (or takes --store), exports it as N-Quads, starts a private Virtuoso instance
(its own database folder and ports), bulk-loads the dump with ``ld_dir`` + ``rdf_loader_run``, then runs
every library query with its example parameters locally and through ``kg.remote.run_named_remote``
against Virtuoso's /sparql endpoint, and compares the rows (the order of GROUP_CONCAT parts and blank
node labels set aside, as tests/test_remote.py does). Writes --out [benchmarks/virtuoso.json] and a
markdown table next to it. Needs ``apt-get install virtuoso-opensource``; never run by the test suite.

Run: python scripts/check_virtuoso.py [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from kg.build import build  # noqa: E402
from kg.export import export  # noqa: E402
from kg.query import named_queries, results_json, run_named  # noqa: E402
from kg.query_expect import expected_path, load_expected  # noqa: E402
from kg.remote import RemoteError, comparable_rows, local_counts, remote_counts, run_named_remote  # noqa: E402
from kg.store import open_existing, open_store  # noqa: E402

INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
ISQL_PORT, HTTP_PORT = 1119, 8899


def private_ini(folder: Path, dumps: Path) -> Path:
    """The packaged configuration with the database in ``folder``, private ports, the dump folder allowed."""
    text = INI.read_text(encoding="utf-8")
    text = re.sub(r"/var/lib/virtuoso-opensource-7/db/", f"{folder}/", text)
    text = re.sub(r"(?m)^ServerPort\s*=\s*1111", f"ServerPort = {ISQL_PORT}", text)
    text = re.sub(r"(?m)^ServerPort\s*=\s*8890", f"ServerPort = {HTTP_PORT}", text)
    text = re.sub(r"(?m)^DirsAllowed\s*=.*$", f"DirsAllowed = ., {dumps}, /usr/share/virtuoso-opensource-7/vad", text)
    # A query still running after 60 s is stopped (Virtuoso answers an error or a partial result, which
    # the comparison reports as different): a private instance must not grind on for ever.
    text = re.sub(r"(?m)^;?\s*MaxQueryExecutionTime\s*=.*$", "", text)
    text = re.sub(r"(?m)^\[SPARQL\]\s*$", "[SPARQL]\nMaxQueryExecutionTime = 60", text)
    path = folder / "virtuoso.ini"
    path.write_text(text, encoding="utf-8")
    return path


def wait_for(port: int, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on port {port}")


def isql(statements: str) -> str:
    run = subprocess.run(["isql-vt", str(ISQL_PORT), "dba", "dba", f"exec={statements}"],
                         capture_output=True, text=True, timeout=600)
    return run.stdout + run.stderr


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "virtuoso.json")
    args = p.parse_args(argv)
    if not shutil.which("virtuoso-t"):
        print("virtuoso-t not found: apt-get install virtuoso-opensource", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.store:
            store = open_existing(args.store)
        else:
            store = open_store(str(work / "store"))
            build(None, store, progress=False)
        dumps = work / "dumps"
        dumps.mkdir()
        export(store, "nq", str(dumps / "trialkg.nq"))
        db = work / "db"
        db.mkdir()
        server = subprocess.Popen(["virtuoso-t", "+foreground", "+configfile", str(private_ini(db, dumps))],
                                  cwd=db, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(ISQL_PORT)
            wait_for(HTTP_PORT)
            start = time.perf_counter()
            log = isql(f"ld_dir('{dumps}', 'trialkg.nq', 'https://w3id.org/trialkg/graph/default'); "
                       "rdf_loader_run(); checkpoint;")
            load_s = time.perf_counter() - start
            endpoint = f"http://127.0.0.1:{HTTP_PORT}/sparql"
            graphs = sorted(store.named_graphs(), key=lambda g: g.value)
            here, there = local_counts(store, graphs), remote_counts(endpoint, graphs)
            results = {}
            for name, q in sorted(named_queries().items()):
                params = load_expected(name).get("params", {}) if expected_path(name).exists() else {}
                local = run_named(store, name, params)
                entry: dict = {"local_rows": len(local.rows)}
                try:
                    t = time.perf_counter()
                    remote = run_named_remote(endpoint, name, params)
                    mine, theirs = (comparable_rows(results_json(r), q.text, lenient=True)[1] for r in (local, remote))
                    entry.update(remote_rows=len(remote.rows), remote_s=round(time.perf_counter() - t, 2),
                                 same=mine == theirs)
                    if mine != theirs:  # a few rows each side, to say what differs
                        entry["only_local"] = [repr(r)[:400] for r in mine if r not in theirs][:3]
                        entry["only_virtuoso"] = [repr(r)[:400] for r in theirs if r not in mine][:3]
                except RemoteError as exc:
                    entry.update(remote_rows=None, same=False, error=str(exc)[:300])
                results[name] = entry
        finally:
            server.terminate()
            server.wait(timeout=60)
    version = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True).stderr.splitlines()[:2]
    doc = {"virtuoso": " ".join(version).strip(), "load_s": round(load_s, 1), "loader_log": log[-500:],
           "quads_local": sum(here.values()), "quads_virtuoso": sum(there.values()),
           "graphs_differing": {g: [here[g], there.get(g)] for g in here if here[g] != there.get(g)},
           "queries": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    lines = [f"# The query library on Virtuoso ({doc['virtuoso']})", "",
             f"Quads: {doc['quads_local']} local, {doc['quads_virtuoso']} in Virtuoso after `ld_dir` + `rdf_loader_run` "
             f"({doc['load_s']} s).", "", "| query | local rows | Virtuoso rows | same rows |", "|---|---|---|---|"]
    lines += [f"| {n} | {r['local_rows']} | {r['remote_rows']} | {'yes' if r['same'] else 'no: ' + r.get('error', 'rows differ')} |"
              for n, r in results.items()]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
