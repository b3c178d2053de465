"""Probe `trialkg serve` from outside, as a hostile or busy client would, and write what it saw.

    python scripts/probe_endpoint.py --store /tmp/probe-store [--output benchmarks/endpoint-probes.json]

Starts `trialkg serve --store S` on a free loopback port with its default options (2 workers,
30 s timeout, no SERVICE, no CORS) and measures: SERVICE refused with a loopback listener that
must see no connection; no Access-Control-Allow-Origin; a runaway query stopped (seconds to the
503, and the CPU of the server's process tree during and after); malformed requests and their
status codes; 50 concurrent clients for 20 s (errors, p50/p95 latency); content negotiation for
each format through SPARQLWrapper; and `trialkg query` on the same store while it is served.
All traffic goes to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import rdflib
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

TKG = "https://w3id.org/trialkg/ontology/"
SMALL = f"SELECT ?t WHERE {{ ?t a <{TKG}InterventionalTrial> }} LIMIT 10"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, query: str | None = None, headers: dict[str, str] | None = None,
        method: str = "GET", timeout: float = 120) -> tuple[int, dict[str, str], bytes]:
    target = url + ("?" + urllib.parse.urlencode({"query": query}) if query else "")
    req = urllib.request.Request(target, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def raw_status(port: int, data: bytes, wait: float = 60) -> int | str:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return int(out.split(b" ", 2)[1]) if out else "closed without an answer"


def tree_cpu(root: psutil.Process, seconds: float) -> float:
    """CPU percent (100 = one core) of a process and its descendants over ``seconds``."""
    procs = [root, *root.children(recursive=True)]
    for p in procs:
        p.cpu_percent(None)
    time.sleep(seconds)
    total = 0.0
    for p in procs:
        try:
            total += p.cpu_percent(None)
        except psutil.NoSuchProcess:
            pass
    return round(total, 1)


def probe_service(url: str) -> dict[str, Any]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(2.0)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        statuses = [get(url, q)[0] for q in (
            f"SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ ?a ?b ?c FILTER(?a<'x>') SERVICE <{target}> {{ ?s ?p ?o }} FILTER(?c != 'y') }}",
            f"PREFIX ex: <http://e/> SELECT * {{ ?s ex:p\\' ?o . SERVICE <{target}> {{ ?a ?b ?c }} ?x ex:q\\' ?y }}",
            f"PREFIX e: <{target}> SELECT * {{ SERVICE:x {{ ?s ?p ?o }} }}")]
        connections = 0
        try:
            while True:
                conn, _ = listener.accept()
                conn.close()
                connections += 1
        except socket.timeout:
            pass
    return {"statuses": statuses, "listener_connections": connections}


def probe_cors(url: str) -> dict[str, Any]:
    origin = {"Origin": "https://evil.example"}
    got = get(url, SMALL, origin)[1], get(url, None, {**origin, "Access-Control-Request-Method": "POST"}, "OPTIONS")[1]
    return {"allow_origin_on_get": got[0].get("Access-Control-Allow-Origin"),
            "allow_origin_on_preflight": got[1].get("Access-Control-Allow-Origin")}


def probe_runaway(url: str, server: psutil.Process) -> dict[str, Any]:
    result: dict[str, Any] = {}

    def run() -> None:
        start = time.monotonic()
        status, _, body = get(url, RUNAWAY)
        result.update(status=status, body=body.decode().strip(), seconds_to_answer=round(time.monotonic() - start, 2))

    workers_before = sorted(p.pid for p in server.children(recursive=True))
    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(3)
    result["tree_cpu_percent_while_running"] = tree_cpu(server, 2)
    thread.join(120)
    result["tree_cpu_percent_after"] = tree_cpu(server, 3)
    workers_after = sorted(p.pid for p in server.children(recursive=True))
    result["workers_replaced"] = len(set(workers_before) - set(workers_after))
    result["next_small_query_status"] = get(url, SMALL)[0]
    return result


def probe_malformed(port: int) -> dict[str, Any]:
    def post(headers: dict[str, str], body: bytes, path: str = "/sparql") -> bytes:
        head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "x", "Connection": "close", **headers}.items())
        return f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + body

    q = {"Content-Type": "application/sparql-query"}
    cases = {
        "content_length_-1": post({**q, "Content-Length": "-1"}, b"ASK{}"),
        "content_length_abc": post({**q, "Content-Length": "abc"}, b"ASK{}"),
        "body_2MB_declared": post({**q, "Content-Length": "2000000"}, b"ASK{}"),
        "body_2MB_chunked": post({**q, "Transfer-Encoding": "chunked"}, (b"f4240\r\n" + b"#" * 1_000_000 + b"\r\n") * 2
                                 + b"0\r\n\r\n"),
        "body_not_utf8": post({**q, "Content-Length": "17"}, b'ASK { ?s ?p "\xe9" }'),
        "parameter_not_utf8": b"GET /sparql?query=ASK%7B%3Fs%20%3Fp%20%22%FF%22%7D HTTP/1.1\r\n"
                              b"Host: x\r\nConnection: close\r\n\r\n",
        "missing_query": post({"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "0"}, b""),
        "update_body": post({"Content-Type": "application/sparql-update", "Content-Length": "5"}, b"CLEAR"),
        "update_form": post({"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "16"},
                            b"update=CLEAR+ALL"),
        "unsupported_content_type": post({"Content-Type": "text/plain", "Content-Length": "5"}, b"ASK{}"),
        "unknown_path": post({**q, "Content-Length": "5"}, b"ASK{}", "/admin"),
        "method_PUT": b"PUT /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        "start_line_garbage": b"\x00\x01 GARBAGE\r\n\r\n",
        "bad_query": b"GET /sparql?query=SELEKT HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    }
    out: dict[str, Any] = {name: raw_status(port, data) for name, data in cases.items()}
    start = time.monotonic()
    out["half_sent_request"] = raw_status(port, post({**q, "Content-Length": "100"}, b"ASK"))
    out["half_sent_request_dropped_after_s"] = round(time.monotonic() - start, 1)
    return out


def probe_load(url: str, clients: int = 50, seconds: float = 20) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < stop:
            start = time.monotonic()
            try:
                status = get(url, SMALL, {"Accept": "application/sparql-results+json"}, timeout=60)[0]
                problem = None if status == 200 else f"HTTP {status}"
            except OSError as exc:
                problem = type(exc).__name__
            with lock:
                if problem is None:
                    latencies.append(time.monotonic() - start)
                else:
                    errors.append(problem)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    ms = sorted(x * 1000 for x in latencies)
    return {"clients": clients, "seconds": seconds, "answered": len(ms), "errors": len(errors),
            "error_kinds": sorted(set(errors)), "requests_per_s": round(len(ms) / seconds, 1),
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 1) if ms else None, "max_ms": round(ms[-1], 1) if ms else None}


def probe_formats(url: str) -> dict[str, Any]:
    select = f"SELECT ?t ?id WHERE {{ ?t a <{TKG}InterventionalTrial> ; <{TKG}hasIdentifier> ?id }} LIMIT 20"
    construct = f"CONSTRUCT {{ ?t ?p ?o }} WHERE {{ ?t a <{TKG}InterventionalTrial> ; ?p ?o }}"
    out: dict[str, Any] = {}
    for name, fmt, query in [("select_json", JSON, select), ("select_xml", XML, select), ("select_csv", CSV, select),
                             ("select_tsv", TSV, select), ("construct_turtle", TURTLE, construct),
                             ("construct_n3", N3, construct), ("construct_rdfxml", RDFXML, construct),
                             ("construct_jsonld", JSONLD, construct)]:
        sw = SPARQLWrapper(url)
        sw.setQuery(query)
        sw.setReturnFormat(fmt)
        sw.setTimeout(60)
        response = sw.query()
        out[name] = {"content_type": response.info().get("content-type"), "size": _size(name, response.convert())}
    status, headers, body = get(url, construct, {"Accept": "application/n-triples"})
    out["construct_ntriples"] = {"content_type": headers.get("Content-Type"),
                                 "size": len(rdflib.Graph().parse(data=body, format="nt"))}
    out["describe_content_type"] = get(url, f"DESCRIBE <{TKG}InterventionalTrial>")[1].get("Content-Type")
    out["not_acceptable_status"] = get(url, select, {"Accept": "image/png"})[0]
    return out


def _size(name: str, converted: Any) -> int:
    """Rows of a result or triples of a graph, as the client parsed them."""
    if name == "select_json":
        return len(converted["results"]["bindings"])
    if name == "select_xml":
        return len(converted.getElementsByTagName("result"))
    if name in ("select_csv", "select_tsv"):
        return len(converted.decode().strip().splitlines()) - 1
    if isinstance(converted, rdflib.Graph):
        return len(converted)
    return len(rdflib.Graph().parse(data=converted, format="turtle"))


def probe_cli_query(store: str) -> dict[str, Any]:
    cmd = ["trialkg", "query", "myeloma-drugs-repurposed-for-autoimmunity", "--store", store]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return {"command": " ".join(cmd[:3]) + " --store S", "exit_code": done.returncode,
            "stdout_last_line": (done.stdout.strip().splitlines() or [""])[-1],
            "stderr": done.stderr.strip()[:500]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--output", default="benchmarks/endpoint-probes.json")
    args = ap.parse_args()
    port = free_port()
    log = tempfile.TemporaryFile("w+")  # a file, not a pipe: a full pipe would stall the server's writes
    proc = subprocess.Popen(["trialkg", "serve", "--store", args.store, "--port", str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        for _ in range(100):  # until it listens and a worker answers
            try:
                if get(url, SMALL, timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        server = psutil.Process(proc.pid)
        report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_average_1_5_15": os.getloadavg()},
                                  "options": "trialkg serve defaults: 2 workers, 30 s timeout, no SERVICE, no CORS"}
        probes = [("service", lambda: probe_service(url)), ("cors", lambda: probe_cors(url)),
                  ("runaway", lambda: probe_runaway(url, server)), ("malformed", lambda: probe_malformed(port)),
                  ("load", lambda: probe_load(url)), ("formats", lambda: probe_formats(url)),
                  ("cli_query_while_served", lambda: probe_cli_query(args.store))]
        for name, probe in probes:
            print(f"probing {name}", file=sys.stderr, flush=True)
            report[name] = probe()
        report["server_alive_at_end"] = proc.poll() is None and get(url, SMALL)[0] == 200
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.seek(0)
    report["server_output"] = log.read().strip().splitlines()[-5:]
    report["server_exit_code"] = proc.returncode
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
