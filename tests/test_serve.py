"""The local SPARQL endpoint: protocol, content negotiation, and holding under hostile input."""

import csv
import io
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper

from kg.cli import main
from kg.serve import check_service, negotiate, serve_in_thread

TKG = "https://w3id.org/trialkg/ontology/"
GRAPH = "https://w3id.org/trialkg/graph/"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TRIALS = (f"CONSTRUCT {{ ?t ?p ?o . ?o ?q ?r }} WHERE {{ ?t a <{TKG}InterventionalTrial> ; ?p ?o "
          "OPTIONAL { ?o ?q ?r } }")


@pytest.fixture(scope="module")
def served(store_dir):
    server, url = serve_in_thread(store_dir, channel_timeout=1)
    yield server, url
    server.close()


@pytest.fixture(scope="module")
def endpoint(served):
    return served[1]


def get(url, query=None, accept=None, **params):
    """(status, headers, body) of a GET; query parameters as keywords, lists repeat."""
    if query is not None:
        params["query"] = query
    target = url + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    return request(urllib.request.Request(target, headers={"Accept": accept} if accept else {}))


def request(req):
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def raw(port, data, wait=10.0):
    """The bytes a raw request gets back before the server closes (b'' when dropped unanswered)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
        return out


def status_of(response):
    return int(response.split(b" ", 2)[1]) if response else None


def select(endpoint, fmt, query):
    sw = SPARQLWrapper(endpoint)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    return sw.query().convert()


def test_select_in_json_xml_csv_tsv_agree(endpoint):
    query = f"SELECT ?s ?id WHERE {{ ?s <{TKG}hasIdentifier> ?id }} LIMIT 40"
    rows = {"json": len(select(endpoint, JSON, query)["results"]["bindings"]),
            "xml": len(select(endpoint, XML, query).getElementsByTagName("result")),
            "csv": len(list(csv.reader(io.StringIO(select(endpoint, CSV, query).decode())))) - 1,
            "tsv": len(select(endpoint, TSV, query).decode().strip().splitlines()) - 1}
    assert rows["json"] > 0 and set(rows.values()) == {rows["json"]}, rows


@pytest.mark.parametrize("media,parser", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                          ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")])
def test_construct_in_each_graph_format_parses_alike(endpoint, media, parser):
    status, headers, body = get(endpoint, TRIALS, media)
    assert status == 200 and headers["Content-Type"].startswith(media)
    graph = rdflib.Graph().parse(data=body, format=parser)
    _, _, nt = get(endpoint, TRIALS, "application/n-triples")
    assert len(graph) == len(rdflib.Graph().parse(data=nt, format="nt")) > 100


def test_describe_returns_a_graph(endpoint):
    trial = select(endpoint, JSON, f"SELECT ?t WHERE {{ ?t a <{TKG}InterventionalTrial> }} LIMIT 1")
    iri = trial["results"]["bindings"][0]["t"]["value"]
    status, headers, body = get(endpoint, f"DESCRIBE <{iri}>")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert len(rdflib.Graph().parse(data=body, format="turtle")) > 5


def test_ask(endpoint):
    assert select(endpoint, JSON, f"ASK {{ ?s a <{TKG}InterventionalTrial> }}")["boolean"] is True
    assert select(endpoint, JSON, "ASK { <http://example.org/none> ?p ?o }")["boolean"] is False


def test_default_and_named_graph_parameters_change_the_answer(endpoint):
    def count(query, **params):
        _, _, body = get(endpoint, query, **params)
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

    triples = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert count(triples, **{"default-graph-uri": GRAPH + "metadata"}) < count(triples) // 100
    graphs = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(graphs) > 2
    assert count(graphs, **{"named-graph-uri": [GRAPH + "metadata", GRAPH + "mentions"]}) == 2


def test_service_description_parses(endpoint):
    status, _, body = get(endpoint)
    assert status == 200
    graph = rdflib.Graph().parse(data=body, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = graph.value(predicate=rdflib.RDF.type, object=sd.Service)
    assert graph.value(service, sd.endpoint) == rdflib.URIRef(endpoint)
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert (service, sd.feature, sd.UnionDefaultGraph) in graph
    assert len(list(graph.objects(service, sd.resultFormat))) == 8
    status, headers, body = get(endpoint, accept="application/ld+json")
    assert headers["Content-Type"] == "application/ld+json"
    assert len(rdflib.Graph().parse(data=body, format="json-ld")) > 10


def test_updates_are_refused(endpoint):
    update = b"INSERT DATA { <http://a> <http://b> <http://c> }"
    body = request(urllib.request.Request(endpoint, data=update, headers={"Content-Type": "application/sparql-update"}))
    form = request(urllib.request.Request(endpoint, data=b"update=" + urllib.parse.quote_from_bytes(update).encode()))
    assert body[0] == form[0] == 403


def test_a_bad_query_is_a_400(endpoint):
    assert get(endpoint, "SELEKT")[0] == 400


def test_406_when_nothing_acceptable(endpoint):
    assert get(endpoint, "SELECT * { ?s ?p ?o } LIMIT 1", "image/png")[0] == 406
    assert negotiate("text/csv;q=0, */*;q=0.5", ["text/csv", "text/turtle"]) == "text/turtle"


def test_service_is_refused_and_nothing_is_contacted(endpoint):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(1.0)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        queries = [f"SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
                   f"SELECT * {{ ?a ?b ?c FILTER(?a<'x>') SERVICE <{target}> {{ ?s ?p ?o }} FILTER(?c != 'y') }}",
                   f"PREFIX ex: <http://e/> SELECT * {{ ?s ex:p\\' ?o . SERVICE <{target}> {{ }} ?x ex:q\\' ?y }}"]
        for query in queries:
            status, _, body = get(endpoint, query)
            assert status == 400 and b"SERVICE" in body
        with pytest.raises(socket.timeout):
            listener.accept()


def test_check_service_allows_listed_endpoints_only():
    allowed = frozenset({"http://ok.example/sparql"})
    check_service("SELECT * { SERVICE <http://ok.example/sparql> { ?s ?p ?o } }", allowed)
    check_service("SELECT * { SERVICE SILENT <http://ok.example/sparql> { ?s ?p ?o } }", allowed)
    harmless = ['SELECT * { ?s ?p "SERVICE <http://x/> {}" }', "SELECT * { ?s ?p ?o } # SERVICE <http://x/>",
                "SELECT ?service { ?service <http://x/SERVICE> ?o }",
                "PREFIX sd: <http://x#> SELECT * { ?s a sd:Service }",
                "SELECT * { ?s ?p ?o FILTER(?o < 3 && datatype(?o) = <http://www.w3.org/2001/XMLSchema#int>) }"]
    for query in harmless:
        check_service(query)
    refused = ["SELECT * { SERVICE <http://other/> { ?s ?p ?o } }", "SELECT * { service ?x { ?s ?p ?o } }",
               "PREFIX : <http://other/> SELECT * { SERVICE:x { ?s ?p ?o } }",
               "SELECT * { ?a ?b ?c FILTER(?a<?b)SERVICE<http://other/>#>\n{ ?s ?p ?o } }",
               "SELECT * { ?s <http://a\\u0041#> ?o SERVICE <http://other/> { } }",
               "SELECT * { SERVICE <http://ok.example/sparql> { SERVICE <http://other/> { } } }"]
    for query in refused:
        with pytest.raises(ValueError):
            check_service(query, allowed)


def test_no_cors_header_unless_configured(served, store_dir):
    _, url = served
    assert "Access-Control-Allow-Origin" not in get(url)[1]
    preflight = urllib.request.Request(url, method="OPTIONS", headers={"Origin": "https://any.example"})
    assert "Access-Control-Allow-Origin" not in request(preflight)[1]
    server, url = serve_in_thread(store_dir, workers=1, cors=["https://ok.example"])
    try:
        ok = request(urllib.request.Request(url, method="OPTIONS", headers={"Origin": "https://ok.example"}))
        assert ok[0] == 204 and ok[1]["Access-Control-Allow-Origin"] == "https://ok.example"
        assert "POST" in ok[1]["Access-Control-Allow-Methods"]
        other = request(urllib.request.Request(url, headers={"Origin": "https://evil.example"}))
        assert "Access-Control-Allow-Origin" not in other[1]
    finally:
        server.close()


def test_a_runaway_query_is_stopped_and_the_server_goes_on(store_dir):
    server, url = serve_in_thread(store_dir, workers=1, timeout=1)
    try:
        for _ in range(20):  # the worker's first answer waits for it to start
            if get(url, "ASK { ?s ?p ?o }")[0] == 200:
                break
        start = time.monotonic()
        status, _, body = get(url, RUNAWAY)
        assert status == 503 and b"timeout" in body and time.monotonic() - start < 5
        assert [get(url, "ASK { ?s ?p ?o }")[0] for _ in range(3)][-1] == 200
    finally:
        server.close()


def test_a_client_that_leaves_frees_its_worker(store_dir):
    server, url = serve_in_thread(store_dir, workers=1, timeout=60)
    try:
        assert get(url, "ASK { ?s ?p ?o }")[0] == 200
        port = server.server.effective_port
        with socket.create_connection(("127.0.0.1", port)) as sock:
            target = "/sparql?" + urllib.parse.urlencode({"query": RUNAWAY})
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            time.sleep(0.5)
        start = time.monotonic()
        assert get(url, "ASK { ?s ?p ?o }")[0] == 200 and time.monotonic() - start < 10
    finally:
        server.close()


def post(path, headers, body):
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "x", "Connection": "close", **headers}.items())
    return f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + body


def query_post(length, body=b"ASK{}", path="/sparql", kind="application/sparql-query"):
    return post(path, {"Content-Type": kind, "Content-Length": length}, body)


MALFORMED = [
    ("negative length", query_post("-1"), 400),
    ("length not a number", query_post("abc"), 400),
    ("body over 1 MB", query_post("2000000"), 413),
    ("body not UTF-8", query_post("17", b'ASK { ?s ?p "\xe9" }'), 400),
    ("parameter not UTF-8", b"GET /sparql?query=ASK%7B%FF%7D HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400),
    ("missing query", query_post("0", b"", kind="application/x-www-form-urlencoded"), 400),
    ("unsupported type", query_post("5", kind="text/plain"), 415),
    ("unknown path", query_post("5", path="/other"), 404),
    ("method", b"PUT /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405),
]


@pytest.mark.parametrize("name,data,status", MALFORMED, ids=[case[0] for case in MALFORMED])
def test_malformed_requests_get_a_4xx(served, name, data, status):
    assert status_of(raw(served[0].server.effective_port, data)) == status, name


def test_a_half_sent_request_is_dropped(served):
    start = time.monotonic()
    assert raw(served[0].server.effective_port, query_post("100", b"ASK")) == b""  # closed unanswered
    assert time.monotonic() - start < 8  # channel_timeout 1 s, checked every second
    assert get(served[1], "ASK { ?s ?p ?o }")[0] == 200


def test_cli_errors_are_one_line_and_exit_2(tmp_path, store_dir, capsys):
    assert main(["serve", "--store", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no TrialKG store" in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["serve", "--store", store_dir, "--port", str(taken.getsockname()[1])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot listen" in err
