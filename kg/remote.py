"""The graph in a remote triple store: push it there, run the query library against it.

:func:`push` loads named graphs of the local store into a remote store through the
SPARQL 1.1 Graph Store HTTP Protocol (``gsp``) or SPARQL 1.1 Update (``update``), in
batches, then compares each graph's triple count on both sides. :func:`run_remote`
and :func:`run_named_remote` run queries through SPARQLWrapper and give the same
:class:`kg.query.Results` as local queries, so the output formats are shared; named
queries bind their parameters with the local code (:func:`kg.query.bound_query`),
labels being looked up on the remote endpoint.

The library's queries read the union of the named graphs as their default graph;
a remote store must be configured so (docs/decisions/0011-remote-stores.md).
Every failure is a :class:`RemoteError` whose message is one line naming the endpoint.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.query import (LABEL_MATCH_QUERY, LABEL_PROPERTIES, Results, bind_values, bound_query, choose_labelled,
                      iri_param, label_literals, run_sparql)

DEFAULT_BATCH_BYTES = 4 * 1024 * 1024
PROTOCOLS = ("gsp", "update")
TIMEOUT_S = 300.0
# Environment variables read when no option names another one.
USER_ENV, PASSWORD_ENV, TOKEN_ENV = "TRIALKG_USER", "TRIALKG_PASSWORD", "TRIALKG_TOKEN"

Term = ox.NamedNode | ox.BlankNode | ox.Literal


class RemoteError(OSError):
    """A remote endpoint refused or could not be reached; the message is one line naming it.

    An OSError, which ``trialkg`` reports as one line with exit status 1 (kg.cli.error_line).
    """


@dataclass(frozen=True)
class Auth:
    """HTTP credentials: basic (user and password) or a bearer token, or none."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def header(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.user is not None:
            pair = f"{self.user}:{self.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        return {}


def auth_from_env(user: str | None = None, password_env: str | None = None, token_env: str | None = None,
                  environ: dict[str, str] | None = None) -> Auth:
    """Credentials from options and the environment, so that no secret is on the command line.

    A user (``user`` or ``$TRIALKG_USER``) takes its password from ``$password_env`` (default
    ``$TRIALKG_PASSWORD``); a token comes from ``$token_env`` (default ``$TRIALKG_TOKEN``).
    A variable named by an option must be set.
    """
    env = os.environ if environ is None else environ
    for name in (password_env, token_env):
        if name and name not in env:
            raise RemoteError(f"the environment variable {name} is not set")
    if token_env:
        if user:
            raise RemoteError("give a user and password, or a token, not both")
        return Auth(token=env[token_env])
    user = user or env.get(USER_ENV)
    if user:
        return Auth(user=user, password=env.get(password_env or PASSWORD_ENV, ""))
    if password_env:
        raise RemoteError("a password needs a user (--user or $TRIALKG_USER)")
    return Auth(token=env[TOKEN_ENV]) if env.get(TOKEN_ENV) else Auth()


# ---------------------------------------------------------------- HTTP


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _http_problem(endpoint: str, exc: Exception) -> RemoteError:
    """The one line a failed request becomes."""
    if isinstance(exc, urllib.error.HTTPError):
        hint = " (give --user with --password-env, or --token-env)" if exc.code in (401, 403) else ""
        try:
            body = exc.read().decode("utf-8", "replace")
        except OSError:
            body = ""
        detail = f": {_one_line(body)}" if body.strip() else ""
        return RemoteError(f"{endpoint}: HTTP {exc.code} {exc.reason}{hint}{detail}")
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, ConnectionRefusedError):
        return RemoteError(f"{endpoint}: connection refused (is the server running?)")
    return RemoteError(f"{endpoint}: {_one_line(str(reason))}")


def _send(url: str, method: str, body: bytes, content_type: str, auth: Auth, endpoint: str) -> None:
    headers = {"Content-Type": content_type} | auth.header()
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _http_problem(endpoint, exc) from exc


# ---------------------------------------------------------------- push


@dataclass
class PushReport:
    """What :func:`push` sent: per graph IRI, the local and remote triple counts (equal after a push)."""

    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    requests: int = 0
    bytes: int = 0

    @property
    def triples(self) -> int:
        return sum(local for local, _ in self.counts.values())


def _line(quad: ox.Quad) -> str:
    # pyoxigraph's term syntax is N-Triples' (IRIs validated, literals escaped), and SPARQL's too.
    return f"{quad.subject} {quad.predicate} {quad.object} .\n"


def _has_blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def graph_batches(store: ox.Store, graph: ox.NamedNode, batch_bytes: int) -> Iterator[tuple[str, int]]:
    """The graph as N-Triples documents of about ``batch_bytes`` each, with their triple counts.

    Every request is its own document, whose blank-node labels are fresh on the remote store: the
    triples with blank nodes all travel in the last batch (however large), so that each blank node
    stays one node. At least one batch, possibly empty, is yielded: the first one replaces the graph.
    """
    lines: list[str] = []
    blank: list[str] = []
    size = 0
    for quad in store.quads_for_pattern(None, None, None, graph):
        line = _line(quad)
        if _has_blank(quad):
            blank.append(line)
            continue
        lines.append(line)
        size += len(line)
        if size >= batch_bytes:
            yield "".join(lines), len(lines)
            lines, size = [], 0
    yield "".join(lines + blank), len(lines) + len(blank)


def _with_query(url: str, **params: str) -> str:
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + joiner + urllib.parse.urlencode(params)


def _send_batch(endpoint: str, protocol: str, graph: ox.NamedNode, body: str, first: bool, auth: Auth) -> int:
    """One batch into ``graph``; the first replaces the graph (a push run twice leaves one copy)."""
    if protocol == "gsp":
        data = body.encode("utf-8")
        _send(_with_query(endpoint, graph=graph.value), "PUT" if first else "POST", data,
              "application/n-triples", auth, endpoint)
        return len(data)
    drop = f"DROP SILENT GRAPH {graph} ;\n" if first else ""
    data = f"{drop}INSERT DATA {{ GRAPH {graph} {{\n{body}}} }}".encode("utf-8")
    _send(endpoint, "POST", data, "application/sparql-update", auth, endpoint)
    return len(data)


def _count_query(graphs: list[ox.NamedNode]) -> str:
    """The same counting query on both sides: one request for all graphs, whatever their number."""
    values = " ".join(str(g) for g in graphs)
    return f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"


def _counts(res: Results, graphs: list[ox.NamedNode]) -> dict[str, int]:
    found = {row[0].value: int(row[1].value) for row in res.rows if row[0] is not None and row[1] is not None}
    return {g.value: found.get(g.value, 0) for g in graphs}


def local_counts(store: ox.Store, graphs: list[ox.NamedNode]) -> dict[str, int]:
    """Triples per named graph of the local store."""
    return _counts(run_sparql(store, _count_query(graphs)), graphs)


def remote_counts(query_endpoint: str, graphs: list[ox.NamedNode], auth: Auth = Auth()) -> dict[str, int]:
    """Triples per named graph on the remote store (0 for a graph it does not have)."""
    return _counts(run_remote(query_endpoint, _count_query(graphs), auth), graphs)


def check_counts(store: ox.Store, query_endpoint: str, graphs: list[ox.NamedNode] | None = None,
                 auth: Auth = Auth(), expected: dict[str, int] | None = None) -> dict[str, tuple[int, int]]:
    """Per graph (local, remote) triple counts; a RemoteError names the first graph whose counts differ."""
    chosen = graphs if graphs is not None else sorted(store.named_graphs(), key=lambda g: g.value)
    local = expected if expected is not None else local_counts(store, chosen)  # type: ignore[arg-type]
    remote = remote_counts(query_endpoint, chosen, auth)  # type: ignore[arg-type]
    for iri, n in local.items():
        if remote[iri] != n:
            raise RemoteError(f"{query_endpoint}: count check failed for graph <{iri}>: "
                              f"{n} triples here, {remote[iri]} on the remote store")
    return {iri: (n, remote[iri]) for iri, n in local.items()}


# Where a store's query service is, from its GSP or update address (suffix -> replacement).
QUERY_ENDPOINT_OF = (
    ("/store", "/query"),                        # Oxigraph server
    ("/update", "/query"),                       # Oxigraph server, Fuseki
    ("/data", "/query"),                         # Fuseki
    ("/rdf-graphs/service", ""),                 # GraphDB, RDF4J
    ("/statements", ""),                         # GraphDB, RDF4J
    ("/sparql-graph-crud-auth", "/sparql"),      # Virtuoso
    ("/sparql-graph-crud", "/sparql"),           # Virtuoso
)


def query_endpoint_for(endpoint: str) -> str:
    """The query address of the store whose GSP or update address is ``endpoint`` (itself if unknown)."""
    base, sep, query = endpoint.partition("?")
    for suffix, replacement in QUERY_ENDPOINT_OF:
        if base.rstrip("/").endswith(suffix):
            return base.rstrip("/")[: -len(suffix)] + replacement
    return endpoint


def _chosen_graphs(store: ox.Store, graphs: list[str] | None) -> list[ox.NamedNode]:
    present = {g.value: g for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    if graphs is None:
        return [present[k] for k in sorted(present)]
    missing = [g for g in graphs if g not in present]
    if missing:
        raise RemoteError(f"no graph <{missing[0]}> in the local store (see trialkg stats)")
    return [present[g] for g in dict.fromkeys(graphs)]


def push(store: ox.Store, endpoint: str, graphs: list[str] | None = None, batch_bytes: int = DEFAULT_BATCH_BYTES,
         auth: Auth = Auth(), progress: bool = True, protocol: str = "gsp",
         query_endpoint: str | None = None) -> PushReport:
    """Load named graphs (all, or the IRIs in ``graphs``) of ``store`` into a remote store, then check counts.

    ``endpoint`` is the Graph Store Protocol address (``protocol="gsp"``: ``PUT``/``POST`` of N-Triples
    with ``?graph=IRI``) or the SPARQL Update address (``"update"``: ``INSERT DATA`` batches). Each graph
    pushed replaces the remote graph of that name; other remote graphs are left alone. The counts are
    read through ``query_endpoint`` (default: :func:`query_endpoint_for`).
    """
    from tqdm import tqdm

    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    chosen = _chosen_graphs(store, graphs)
    expected = local_counts(store, chosen)
    report = PushReport()
    with tqdm(total=sum(expected.values()), unit="triple", unit_scale=True, disable=not progress,
              file=sys.stderr, desc="push") as bar:
        for graph in chosen:
            for i, (body, n) in enumerate(graph_batches(store, graph, batch_bytes)):
                report.bytes += _send_batch(endpoint, protocol, graph, body, i == 0, auth)
                report.requests += 1
                bar.update(n)
    report.counts = check_counts(store, query_endpoint or query_endpoint_for(endpoint), chosen, auth, expected)
    return report


# ---------------------------------------------------------------- queries


def _json_term(binding: dict[str, str]) -> Term:
    """A term of the W3C SPARQL 1.1 Query Results JSON format as a pyoxigraph term."""
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        # Labels are the server's (Virtuoso's "nodeID://b1" is no valid label): kept distinct, made valid.
        return ox.BlankNode(re.sub(r"[^A-Za-z0-9_]", "_", value) or "b")
    if "xml:lang" in binding:
        return ox.Literal(value, language=binding["xml:lang"])
    if binding.get("datatype"):
        return ox.Literal(value, datatype=ox.NamedNode(binding["datatype"]))
    return ox.Literal(value)


def results_from_json(doc: dict[str, Any]) -> Results:
    if "boolean" in doc:
        return Results((), (), bool(doc["boolean"]))
    names = tuple(doc["head"]["vars"])
    rows = tuple(tuple(_json_term(b[n]) if n in b else None for n in names) for b in doc["results"]["bindings"])
    return Results(names, rows)


def _results_from_turtle(data: bytes) -> Results:
    triples = list(ox.parse(data, format=ox.RdfFormat.TURTLE))
    return Results(("subject", "predicate", "object"), tuple((t.subject, t.predicate, t.object) for t in triples))


# What may precede the query form: white space, comments, PREFIX and BASE declarations.
_PROLOGUE = re.compile(r"(?:\s+|#[^\n]*|PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)*", re.I)
QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")


def query_form(text: str) -> str:
    """The first keyword after the prologue, upper case ('' if there is none).

    SPARQLWrapper's own guess reads the first form keyword anywhere, comments included: a library
    query whose comment says "described" went out as a DESCRIBE.
    """
    keyword = re.match(r"[A-Za-z]+", _PROLOGUE.sub("", text, count=1))
    return keyword.group(0).upper() if keyword else ""


def _wrapper(endpoint: str, text: str, form: str, auth: Auth):
    from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

    sw = SPARQLWrapper(endpoint)
    sw.setQuery(text)
    sw.queryType = form
    sw.setMethod(POST)  # library queries are long; GET would meet URL length limits
    sw.setTimeout(int(TIMEOUT_S))
    sw.setReturnFormat(TURTLE if form in ("CONSTRUCT", "DESCRIBE") else JSON)
    for name, value in auth.header().items():
        sw.addCustomHttpHeader(name, value)
    return sw


# SPARQLWrapper's exceptions stand for these HTTP statuses; its messages are paragraphs.
_WRAPPER_STATUS = {"QueryBadFormed": "HTTP 400 Bad Request", "Unauthorized": "HTTP 401 Unauthorized",
                   "EndPointNotFound": "HTTP 404 Not Found", "URITooLong": "HTTP 414 URI Too Long",
                   "EndPointInternalError": "HTTP 500 Internal Server Error"}


def _wrapper_problem(endpoint: str, exc: Exception) -> RemoteError:
    name = type(exc).__name__
    status = _WRAPPER_STATUS.get(name, name)
    hint = " (give --user with --password-env, or --token-env)" if name == "Unauthorized" else ""
    _, _, shown = str(exc).partition("Response:\n")  # SPARQLWrapper keeps the body only as repr(bytes) there
    try:
        body = ast.literal_eval(shown) if shown else b""
    except (ValueError, SyntaxError):
        body = shown.encode()
    detail = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return RemoteError(f"{endpoint}: {status}{hint}" + (f": {_one_line(detail)}" if detail.strip() else ""))


def run_remote(endpoint: str, text: str, auth: Auth = Auth()) -> Results:
    """Run a SELECT, ASK, CONSTRUCT or DESCRIBE query on a remote SPARQL endpoint."""
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    form = query_form(text)
    if form not in QUERY_FORMS:
        raise RemoteError("updates are not allowed here: trialkg runs read-only queries" if form in UPDATE_FORMS else
                          "bad SPARQL: a query starts with SELECT, CONSTRUCT, ASK or DESCRIBE (after PREFIX and BASE), "
                          f"not {form or text.strip()[:20]!r}")
    sw = _wrapper(endpoint, text, form, auth)
    try:
        response = sw.query().response
        data = response.read()
    except SPARQLWrapperException as exc:
        raise _wrapper_problem(endpoint, exc) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _http_problem(endpoint, exc) from exc
    try:
        if form in ("CONSTRUCT", "DESCRIBE"):
            return _results_from_turtle(data)
        return results_from_json(json.loads(data))
    except (ValueError, KeyError, SyntaxError) as exc:
        raise RemoteError(f"{endpoint}: the answer is not a SPARQL result: {_one_line(str(exc))}") from exc


def _values(variable: str, terms: list[ox.NamedNode] | list[ox.Literal]) -> str:
    return f"VALUES ?{variable} {{ {' '.join(str(t) for t in terms)} }}"


def resolve_remote(endpoint: str, value: str, auth: Auth = Auth()) -> ox.NamedNode | ox.Literal:
    """:func:`kg.query.resolve_param` against a remote endpoint: the same lookups and the same choice.

    The label literals and properties are bound in VALUES blocks serialised by pyoxigraph, never
    spliced from the user's text.
    """
    term = iri_param(value)
    if term is not None:
        return term
    exact = (f"SELECT DISTINCT ?x WHERE {{ {_values('p', list(LABEL_PROPERTIES))} "
             f"{_values('l', label_literals(value))} ?x ?p ?l }}")
    hits = [t for row in run_remote(endpoint, exact, auth).rows for t in row
            if isinstance(t, (ox.NamedNode, ox.BlankNode))]
    if hits:
        return choose_labelled(hits, value)
    rows = run_remote(endpoint, bind_values(LABEL_MATCH_QUERY, {"wanted": ox.Literal(value)}), auth).rows
    found = rows[0][0] if rows else None
    return found if isinstance(found, ox.NamedNode) else ox.Literal(value)


def run_named_remote(endpoint: str, name: str, params: dict[str, str] | None = None,
                     auth: Auth = Auth()) -> Results:
    """A query of the library on a remote endpoint, its parameters bound as :func:`kg.query.run_named` binds them."""
    text = bound_query(name, params or {}, lambda value: resolve_remote(endpoint, value, auth))
    return run_remote(endpoint, text, auth)


# ---------------------------------------------------------------- comparing answers across stores


def concatenated(query_text: str) -> dict[str, str]:
    """Variables a GROUP_CONCAT fills, with its separator: SPARQL leaves the order of the parts open,
    and two stores (even two Oxigraph stores loaded in another order) give them in different orders."""
    out, start = {}, 0
    for m in re.finditer(r"\bAS\s+\?(\w+)", query_text, re.I):
        separators = re.findall(r'separator\s*=\s*"([^"]*)"', query_text[start:m.start()], re.I)
        if separators:
            out[m.group(1)] = separators[-1]
        start = m.end()
    # An aggregate filled in outside its sub-select (BIND(IF(COALESCE(?ids, "") ...) AS ?identifiers)).
    for inner, outer in re.findall(r"BIND\((?:IF\()?COALESCE\(\?(\w+)[^\n]*? AS \?(\w+)\)", query_text):
        if inner in out:
            out[outer] = out[inner]
    return out


def comparable_rows(doc: dict[str, Any], query_text: str, lenient: bool = False) -> tuple[list[str], list[tuple]]:
    """SPARQL results JSON as sorted rows two stores' answers can be compared by: blank-node labels (a
    store's own) and the order of GROUP_CONCAT parts set aside.

    ``lenient`` also sets aside what SPARQL engines legitimately differ in: a language tag on a
    GROUP_CONCAT (Oxigraph keeps one its parts share, Virtuoso drops it), a GROUP_CONCAT over no value
    (unbound in Oxigraph, "" in Virtuoso) and an explicit xsd:string datatype.
    """
    concat = concatenated(query_text)
    rows = []
    for binding in doc["results"]["bindings"]:
        row = []
        for var in doc["head"]["vars"]:
            term = dict(binding.get(var) or {})
            if term.get("type") == "bnode":
                term["value"] = "_"
            elif var in concat and "value" in term:
                if lenient:
                    term.pop("xml:lang", None)
                term = {} if lenient and term["value"] == "" else {
                    **term, "value": tuple(sorted(term["value"].split(concat[var])))}
            if lenient and term.get("datatype", "").endswith("#string"):
                term.pop("datatype")
            row.append(tuple(sorted(term.items(), key=lambda kv: kv[0])))
        rows.append(tuple(row))
    return doc["head"]["vars"], sorted(rows, key=repr)

