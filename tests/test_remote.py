"""The graph in a remote store: push to a real Oxigraph server, run the library through --endpoint.

The server is the ``oxigraph`` executable of the PyPI package of that name (the ``test`` extra), started
once for the module with ``--union-default-graph`` (the library reads the union of the named graphs).
Skipped when it cannot start; in CI it is installed, so it runs.
"""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.cli import main
from kg.query import format_results, named_queries, results_json, run_named, run_sparql
from kg.query_expect import load_expected
from kg.remote import (Auth, RemoteError, auth_from_env, check_counts, comparable_rows, push, query_endpoint_for,
                       remote_counts, run_remote)

QUERIES = sorted(named_queries())
ONTOLOGY = "https://w3id.org/trialkg/graph/ontology"
MENTIONS = "https://w3id.org/trialkg/graph/mentions"
METADATA = "https://w3id.org/trialkg/graph/metadata"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _oxigraph() -> str | None:
    beside = Path(sys.executable).with_name("oxigraph")  # the venv's, when its bin is not on PATH
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.skip(f"oxigraph serve exited: {process.stderr.read().decode(errors='replace')[:200]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.skip("oxigraph serve did not start listening")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The base URL of a fresh Oxigraph server (``/store``, ``/query``, ``/update``)."""
    binary = _oxigraph()
    if binary is None:
        pytest.skip("no oxigraph executable (pip install oxigraph)")
    port = _free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    try:
        process = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                                    "--union-default-graph"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as exc:
        pytest.skip(f"oxigraph serve cannot start: {exc}")
    _wait_for(port, process)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def pushed(server, corpus_store):
    """The whole corpus pushed to the server; the server's query URL."""
    push(corpus_store, f"{server}/store", progress=False)
    return f"{server}/query"


@pytest.fixture(scope="module")
def small_store_dir(corpus_store, tmp_path_factory) -> str:
    """An on-disk store with two small graphs of the corpus, for the command line (a copy of the whole
    corpus takes 5 to 30 s on a shared machine)."""
    path = tmp_path_factory.mktemp("small") / "store"
    disk = ox.Store(str(path))
    for graph in (MENTIONS, METADATA):
        disk.extend(corpus_store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    disk.flush()
    del disk
    return str(path)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _param_args(name: str) -> list[str]:
    return [a for k, v in load_expected(name).get("params", {}).items() for a in ("--param", f"{k}={v}")]


# ---------------------------------------------------------------- push


def test_push_loads_exactly_the_local_quad_count(pushed, corpus_store):
    total = run_remote(pushed, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0]
    assert int(total.value) == len(corpus_store) > 400_000
    graphs = sorted(corpus_store.named_graphs(), key=lambda g: g.value)
    remote = remote_counts(pushed, graphs)
    assert remote == {g.value: sum(1 for _ in corpus_store.quads_for_pattern(None, None, None, g)) for g in graphs}


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_small_batches_keep_blank_nodes_whole_and_replace_the_graph(pushed, server, corpus_store, protocol):
    endpoint = f"{server}/store" if protocol == "gsp" else f"{server}/update"
    for _ in range(2):  # twice: each push replaces the graph, never adds a second copy
        report = push(corpus_store, endpoint, [ONTOLOGY], batch_bytes=2_000, progress=False, protocol=protocol)
        assert report.requests > 10
    local_n = report.counts[ONTOLOGY][0]
    assert report.counts[ONTOLOGY] == (local_n, local_n)
    blanks = ("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { GRAPH <%s> { { ?b ?p ?o } UNION { ?s ?p ?b } "
              "FILTER(isBlank(?b)) } }" % ONTOLOGY)
    local = next(iter(corpus_store.query(blanks)))["n"].value
    assert run_remote(pushed, blanks).rows[0][0].value == local != "0"


def test_a_count_mismatch_is_an_error_naming_the_graph_and_both_counts(pushed, server, corpus_store, monkeypatch):
    import kg.remote

    line = kg.remote._line
    dropped: list[str] = []

    def lossy(quad):
        if dropped:
            return line(quad)
        dropped.append(line(quad))
        return ""

    n = sum(1 for _ in corpus_store.quads_for_pattern(None, None, None, ox.NamedNode(MENTIONS)))
    monkeypatch.setattr(kg.remote, "_line", lossy)
    try:
        with pytest.raises(RemoteError) as err:
            push(corpus_store, f"{server}/store", [MENTIONS], progress=False)
        assert str(err.value) == (f"{pushed}: count check failed for graph <{MENTIONS}>: "
                                  f"{n} triples here, {n - 1} on the remote store")
    finally:
        monkeypatch.setattr(kg.remote, "_line", line)
        push(corpus_store, f"{server}/store", [MENTIONS], progress=False)
    assert check_counts(corpus_store, pushed, [ox.NamedNode(MENTIONS)])[MENTIONS] == (n, n)


def test_cli_push_of_chosen_graphs(pushed, server, small_store_dir, capsys):
    code, out, err = _cli(capsys, "push", "--store", small_store_dir, "--endpoint", f"{server}/update",
                          "--protocol", "update", "--graph", MENTIONS, "--graph", METADATA)
    assert code == 0, err
    n = len(ox.Store.read_only(small_store_dir))
    assert f"pushed {n} triples in 2 graphs (2 requests" in err and "the remote counts match" in err
    assert "push: 100%" in err  # the progress bar, on stderr


def test_an_unknown_graph_is_refused(server, corpus_store):
    with pytest.raises(RemoteError, match="no graph <https://example.org/nope> in the local store"):
        push(corpus_store, f"{server}/store", ["https://example.org/nope"], progress=False)


# ---------------------------------------------------------------- the library through --endpoint


@pytest.mark.parametrize("name", QUERIES)
def test_library_query_gives_the_same_rows_through_the_endpoint(pushed, corpus_store, capsys, name):
    params = load_expected(name).get("params", {})
    local = results_json(run_named(corpus_store, name, params))
    code, out, err = _cli(capsys, "query", name, "--endpoint", pushed, "--format", "json", *_param_args(name))
    assert code == 0, err
    text = named_queries()[name].text
    assert comparable_rows(json.loads(out), text) == comparable_rows(local, text)
    assert local["results"]["bindings"] or name == "unlinked-mentions"


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_output_formats_are_the_local_ones(pushed, corpus_store, capsys, fmt):
    here = format_results(run_named(corpus_store, "studies-by-sponsor", {"sponsor": "AP-HP"}), fmt) + "\n"
    code, there, err = _cli(capsys, "query", "studies-by-sponsor", "--param", "sponsor=AP-HP", "--format", fmt,
                            "--endpoint", pushed)
    assert code == 0, err
    assert there == here and "assistance-publique-hopitaux-de-paris" in there


def test_sparql_through_the_endpoint(pushed, corpus_store, capsys):
    ask = "ASK { ?s a <https://w3id.org/trialkg/ontology/Drug> }"
    assert _cli(capsys, "sparql", ask, "--endpoint", pushed)[:2] == (0, "true\n")
    construct = ("CONSTRUCT { ?d <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE { "
                 "<https://w3id.org/trialkg/id/drug/rituximab> <http://www.w3.org/2000/01/rdf-schema#label> ?l "
                 "BIND(<https://w3id.org/trialkg/id/drug/rituximab> AS ?d) }")
    here = format_results(run_sparql(corpus_store, construct), "csv") + "\n"
    code, there, err = _cli(capsys, "sparql", construct, "--format", "csv", "--endpoint", pushed)
    assert code == 0, err
    assert there == here and here.count("\n") > 1


def test_updates_are_refused_before_they_are_sent(pushed, capsys):
    code, out, err = _cli(capsys, "sparql", "DROP ALL", "--endpoint", pushed)
    assert code == 1 and out == "" and err == "error: updates are not allowed here: trialkg runs read-only queries\n"


def test_a_hostile_label_stays_one_term_remotely(pushed):
    from kg.remote import run_named_remote

    hostile = 'x" } UNION { ?s ?p ?o } #'
    assert run_named_remote(pushed, "studies-excluding-prior-treatment", {"drug": hostile}).rows == ()


# ---------------------------------------------------------------- errors: one line naming the endpoint


def test_unreachable_endpoint_is_one_line_and_a_failure():
    endpoint = f"http://127.0.0.1:{_free_port()}/query"
    for argv in (["query", "placebo-controlled-studies", "--endpoint", endpoint],
                 ["push", "--store", "/nonexistent-store", "--endpoint", endpoint]):
        done = subprocess.run([sys.executable, "-m", "kg.cli", *argv], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"error: {endpoint}: connection refused" in subprocess.run(
        [sys.executable, "-m", "kg.cli", "query", "placebo-controlled-studies", "--endpoint", endpoint],
        capture_output=True, text=True, timeout=60).stderr


def test_push_to_an_unreachable_endpoint_is_one_line(small_store_dir, capsys):
    endpoint = f"http://127.0.0.1:{_free_port()}/store"
    code, out, err = _cli(capsys, "push", "--store", small_store_dir, "--endpoint", endpoint, "--quiet")
    assert code == 1 and err == f"error: {endpoint}: connection refused (is the server running?)\n"


class _Refusing(http.server.BaseHTTPRequestHandler):
    """Answers 401 to everything, and remembers the Authorization header it was sent."""

    seen: list[str | None] = []

    def _refuse(self) -> None:
        _Refusing.seen.append(self.headers.get("Authorization"))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"credentials\nplease")

    do_GET = do_POST = do_PUT = _refuse

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def refusing():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Refusing.seen.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_401_is_one_line_with_a_hint_and_credentials_come_from_the_environment(refusing, small_store_dir, capsys,
                                                                                   monkeypatch):
    monkeypatch.setenv("MY_SECRET", "s3cret")
    code, _, err = _cli(capsys, "push", "--store", small_store_dir, "--endpoint", f"{refusing}/store", "--quiet",
                        "--user", "alice", "--password-env", "MY_SECRET")
    assert code == 1 and err == (f"error: {refusing}/store: HTTP 401 Unauthorized (give --user with --password-env, "
                                 "or --token-env): credentials please\n")
    assert _Refusing.seen[-1] == "Basic YWxpY2U6czNjcmV0"  # alice:s3cret
    monkeypatch.setenv("MY_TOKEN", "t0ken")
    code, _, err = _cli(capsys, "query", "placebo-controlled-studies", "--endpoint", f"{refusing}/query",
                        "--token-env", "MY_TOKEN")
    assert code == 1 and err == (f"error: {refusing}/query: HTTP 401 Unauthorized (give --user with --password-env, "
                                 "or --token-env): credentials please\n")
    assert _Refusing.seen[-1] == "Bearer t0ken"


def test_a_query_the_server_refuses_is_one_line_with_its_reason(pushed, capsys):
    code, out, err = _cli(capsys, "sparql", "SELECT ?x WHERE { ?x ?y }", "--endpoint", pushed)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith(f"error: {pushed}: HTTP 400 Bad Request: ") and "1:26" in err


def test_credentials_from_options_and_environment():
    assert auth_from_env(environ={}) == Auth()
    assert auth_from_env(environ={"TRIALKG_TOKEN": "t"}).header() == {"Authorization": "Bearer t"}
    assert auth_from_env("u", environ={"TRIALKG_PASSWORD": "p"}) == Auth(user="u", password="p")
    assert auth_from_env(environ={"TRIALKG_USER": "u", "PW": "p"}, password_env="PW") == Auth(user="u", password="p")
    with pytest.raises(RemoteError, match="the environment variable PW is not set"):
        auth_from_env("u", password_env="PW", environ={})
    with pytest.raises(RemoteError, match="not both"):
        auth_from_env("u", token_env="T", environ={"T": "t"})
    assert "p" not in repr(Auth(user="u", password="p"))


@pytest.mark.parametrize("endpoint, query", [
    ("http://h:7878/store", "http://h:7878/query"),
    ("http://h:7878/update", "http://h:7878/query"),
    ("http://h:3030/trialkg/data", "http://h:3030/trialkg/query"),
    ("http://h:7200/repositories/tkg/statements", "http://h:7200/repositories/tkg"),
    ("http://h:7200/repositories/tkg/rdf-graphs/service", "http://h:7200/repositories/tkg"),
    ("http://h:8890/sparql-graph-crud-auth", "http://h:8890/sparql"),
    ("http://h:8890/sparql", "http://h:8890/sparql"),
])
def test_the_query_endpoint_is_derived_from_the_push_endpoint(endpoint, query):
    assert query_endpoint_for(endpoint) == query


def test_comparable_rows_set_aside_group_concat_order_and_lenient_engine_differences():
    text = 'SELECT ?s (GROUP_CONCAT(DISTINCT ?l; separator="; ") AS ?labels) WHERE { ?s ?p ?l } GROUP BY ?s'
    oxigraph = {"head": {"vars": ["s", "labels"]}, "results": {"bindings": [
        {"s": {"type": "bnode", "value": "b1"}, "labels": {"type": "literal", "value": "b; a", "xml:lang": "en"}},
        {"s": {"type": "uri", "value": "http://x/2"}}]}}
    virtuoso = {"head": {"vars": ["s", "labels"]}, "results": {"bindings": [
        {"s": {"type": "uri", "value": "http://x/2"}, "labels": {"type": "literal", "value": ""}},
        {"s": {"type": "bnode", "value": "nodeID://9"}, "labels": {"type": "literal", "value": "a; b"}}]}}
    assert comparable_rows(oxigraph, text, lenient=True) == comparable_rows(virtuoso, text, lenient=True)
    # strict: the language tag and "" for no value are differences
    assert comparable_rows(oxigraph, text) != comparable_rows(virtuoso, text)
    reordered = {"head": oxigraph["head"], "results": {"bindings": [
        {"s": {"type": "uri", "value": "http://x/2"}},
        {"s": {"type": "bnode", "value": "z"}, "labels": {"type": "literal", "value": "a; b", "xml:lang": "en"}}]}}
    assert comparable_rows(oxigraph, text) == comparable_rows(reordered, text)
