"""``trialkg serve``: a read-only SPARQL 1.1 Protocol endpoint over a store on disk.

HTTP is parsed by waitress: a tested parser with limits on header and body sizes, a bounded
thread pool, and a timeout for idle or half-sent connections. Queries run in worker processes,
each with the store opened read-only once. A query that outlives its timeout, or whose client
has gone, is stopped by killing its worker, which is then replaced: pyoxigraph cannot interrupt
an evaluation any other way. The pool is written here rather than taken from pebble because the
request thread must cancel on client disconnect as well as on timeout, and each worker must keep
its store open; a socket pair per worker makes both plain. Workers are fresh interpreters that
run this module only (multiprocessing's spawn re-runs the caller's ``__main__``; fork can
deadlock a threaded server).

Refused: SPARQL Update (403); SERVICE to an endpoint the operator has not allow-listed (400),
since pyoxigraph would otherwise send HTTP requests anywhere for the querier. No CORS header
unless an origin is configured. Workers see the store as it was when they opened it.
"""

from __future__ import annotations

import argparse
import bisect
import ctypes
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs

import pyoxigraph as ox
import waitress
from waitress import wasyncore

__all__ = ["add_arguments", "check_service", "cmd_serve", "make_app", "negotiate", "serve", "serve_in_thread"]

MAX_BODY = 1_000_000
POLL = 0.05  # seconds between looks at the deadline and at the client while a query waits or runs
TEXT = "text/plain; charset=utf-8"
ALLOW = "GET, POST, OPTIONS"
READ_ONLY = "this endpoint is read-only: SPARQL Update is refused"
log = logging.getLogger(__name__)

QRF, RF = ox.QueryResultsFormat, ox.RdfFormat
# Offered media types, the default first, with the W3C format name for the service description.
SOLUTION_TYPES = {"application/sparql-results+json": (QRF.JSON, "SPARQL_Results_JSON"),
                  "application/sparql-results+xml": (QRF.XML, "SPARQL_Results_XML"),
                  "text/csv": (QRF.CSV, "SPARQL_Results_CSV"),
                  "text/tab-separated-values": (QRF.TSV, "SPARQL_Results_TSV")}
GRAPH_TYPES = {"text/turtle": (RF.TURTLE, "Turtle"), "application/n-triples": (RF.N_TRIPLES, "N-Triples"),
               "application/rdf+xml": (RF.RDF_XML, "RDF_XML"), "application/ld+json": (RF.JSON_LD, "JSON-LD")}
ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml",
           "text/xml": "application/sparql-results+xml", "application/turtle": "text/turtle"}
# Values of the `format` parameter, which SPARQLWrapper sends besides Accept.
FORMATS = {"json": "application/sparql-results+json, application/ld+json", "csv": "text/csv",
           "xml": "application/sparql-results+xml, application/rdf+xml", "tsv": "text/tab-separated-values",
           "turtle": "text/turtle", "n3": "text/turtle", "nt": "application/n-triples",
           "json-ld": "application/ld+json"}


class Job(NamedTuple):
    query: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    accept: str


class Reply(NamedTuple):
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    retire: bool = False  # the worker's store failed under it: replace the worker


class Refusal(Exception):
    """A request answered with an error status and a one-line text body."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.reply = Reply(status, TEXT, (" ".join(message.split()) + "\n").encode(), headers)


# ---------------------------------------------------------------- SERVICE check

_TOKEN = re.compile(
    r"(?P<skip>\s+|\\.|"  # a backslash outside strings escapes a local-name character: \' starts no string
    r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""|' r"'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''|"
    r'"(?:[^"\\\n\r]|\\.)*"|' r"'(?:[^'\\\n\r]|\\.)*')"
    r"|(?P<var>[?$][A-Za-z0-9_]+)|(?P<iri><[^<>\"{}|^`\x00-\x20]*>)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<other>.)",
    re.S)


def check_service(query: str, allowed: frozenset[str] = frozenset()) -> None:
    """Raise ValueError if ``query`` has a SERVICE whose endpoint is not an IRI in ``allowed``.

    Lexical, past comments, strings and IRIs. Inside parentheses a ``<`` may be an IRI or
    less-than, which changes what follows (``FILTER(?a<'x>')`` holds a string, not an IRI):
    both readings are followed, and either may refuse. Words right after ``:`` are local names.
    """
    _ServiceCheck(query, allowed).run()


class _ServiceCheck:
    def __init__(self, text: str, allowed: frozenset[str]) -> None:
        self.text, self.allowed = text, allowed
        self.eols = [m.start() for m in re.finditer(r"[\n\r]", text)]
        self.budget = 20 * len(text) + 10_000  # tokens over all readings: bounds a hostile query's cost

    def run(self) -> None:
        todo, seen = [(0, 0, False)], set()  # (position, parenthesis depth, SERVICE awaits its endpoint)
        while todo:
            state = todo.pop()
            if state not in seen:
                seen.add(state)
                todo.extend(self._scan(*state))

    def _scan(self, pos: int, depth: int, pending: bool) -> list[tuple[int, int, bool]]:
        """Lex from ``pos`` to the end or to an ambiguous ``<``; the states to go on from."""
        while (m := _TOKEN.match(self.text, pos)) is not None:
            kind, token, pos = m.lastgroup or "", m.group(), m.end()
            self.budget -= 1
            if self.budget < 0:
                raise ValueError("query too intricate to check for SERVICE; simplify it")
            if token == "#":  # a comment: on to the end of the line
                pos = next(iter(self.eols[bisect.bisect_left(self.eols, pos):]), len(self.text))
            elif kind == "iri" and depth > 0:
                return [(pos, depth, self._after(m, "iri", pending)),
                        (m.start() + 1, depth, self._after(m, "other", pending))]
            elif kind != "skip":
                depth = max(0, depth + (token == "(") - (token == ")"))
                pending = self._after(m, kind, pending)
        if pending:
            raise ValueError("SERVICE without an endpoint")
        return []

    def _after(self, m: re.Match[str], kind: str, pending: bool) -> bool:
        """Whether a SERVICE endpoint is expected after token ``m`` read as ``kind``."""
        token = m.group()[0] if kind == "other" else m.group()
        if pending:
            if kind == "word" and token.upper() == "SILENT":
                return True
            if kind == "iri" and token[1:-1] in self.allowed:
                return False
            raise ValueError(f"SERVICE {token if kind == 'iri' else 'to a variable or prefixed name'} refused: "
                             "only allow-listed endpoints may be queried")
        return kind == "word" and token.upper() == "SERVICE" and self.text[m.start() - 1:m.start()] != ":"


# ---------------------------------------------------------------- content negotiation

def negotiate(accept: str, offered: Iterable[str]) -> str | None:
    """The offered media type the Accept header prefers (the first offered on a tie), or None."""
    ranges = list(_ranges(accept))
    best, best_q = None, 0.0
    for media in offered:
        found = [(_specificity(r, media), q) for r, q in ranges if _specificity(r, media) >= 0]
        q = max(found)[1] if found else 0.0  # the most specific matching range decides
        if q > best_q:
            best, best_q = media, q
    return best


def _ranges(accept: str) -> Iterable[tuple[str, float]]:
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for name, _, val in (p.partition("=") for p in params):
            if name.strip().lower() == "q":
                q = float(val) if re.fullmatch(r"\s*[01](\.\d{0,3})?\s*", val) else 0.0
        yield ALIASES.get(media.lower(), media.lower()), min(q, 1.0)


def _specificity(media_range: str, media: str) -> int:
    if media_range == media:
        return 2
    return 1 if media_range == media.split("/")[0] + "/*" else (0 if media_range == "*/*" else -1)


# ---------------------------------------------------------------- worker processes

def _worker_main(store_path: str, fd: int, isolate: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the server stops us
    conn = Connection(fd)
    store = ox.Store.read_only(store_path)
    if isolate:
        _leave_network()
    while True:
        try:
            reply = _evaluate(store, conn.recv())
            conn.send(reply)
        except (EOFError, OSError):  # the server has gone
            return
        if reply.retire:
            return


def _leave_network() -> None:
    """Enter an empty network namespace where Linux allows it, so that a SERVICE that got past
    check_service reaches nothing: a second wall behind the check."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(0x40000000) != 0:  # CLONE_NEWNET, as root
            libc.unshare(0x10000000 | 0x40000000)  # with CLONE_NEWUSER, as anyone
    except (OSError, AttributeError):
        pass


def _evaluate(store: ox.Store, job: Job) -> Reply:
    try:
        result = store.query(job.query, **_dataset(job))
        offered: dict[str, Any] = GRAPH_TYPES if isinstance(result, ox.QueryTriples) else SOLUTION_TYPES
        media = negotiate(job.accept, offered)
        if media is None:
            return Refusal(406, "not acceptable: this result is available as " + ", ".join(offered)).reply
        body = result.serialize(format=offered[media][0])
    except SyntaxError as exc:
        return Refusal(400, f"query syntax error: {exc}").reply
    except OSError as exc:  # e.g. files compacted away by a build: a fresh worker reopens the store
        return Refusal(500, f"query failed: {exc}").reply._replace(retire=True)
    except Exception as exc:  # an evaluation error belongs to the query, not to the worker
        return Refusal(500, f"query failed: {exc}").reply
    return Reply(200, media + ("; charset=utf-8" if media.startswith("text/") else ""), body or b"")


def _dataset(job: Job) -> dict[str, Any]:
    if not job.default_graphs and not job.named_graphs:
        return {"use_default_graph_as_union": True}  # the graphs of all documents as one, as `trialkg query`
    return {"default_graph": [ox.NamedNode(g) for g in job.default_graphs],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs]}


class Stopped(Exception):
    """A query abandoned before its answer; the message is timeout, busy, gone or closed."""


class Pool:
    """Worker processes with the store open; one whose query is abandoned is killed and replaced."""

    def __init__(self, store_path: str, size: int, isolate: bool) -> None:
        self.size, self._args = size, [store_path, "1" if isolate else ""]
        self._idle: queue.Queue[tuple[subprocess.Popen[bytes], Connection]] = queue.Queue()
        self._lock, self._closed, self._procs = threading.Lock(), False, set[subprocess.Popen[bytes]]()
        for _ in range(size):
            self._start()

    def _start(self) -> None:
        code = "import sys; from kg.serve import _worker_main as m; m(sys.argv[1], int(sys.argv[2]), bool(sys.argv[3]))"
        here = str(Path(__file__).resolve().parent.parent)  # where kg is, whatever the caller's sys.path
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
        with self._lock:
            if self._closed:
                return
            ours, theirs = Pipe()  # a socket pair; only the worker inherits its end (close_fds)
            argv = [sys.executable, "-c", code, self._args[0], str(theirs.fileno()), self._args[1]]
            proc = subprocess.Popen(argv, pass_fds=[theirs.fileno()], env=env)
            theirs.close()
            self._procs.add(proc)
        self._idle.put((proc, ours))

    def run(self, job: Job, deadline: float, gone: Callable[[], bool]) -> Reply:
        proc, conn = self._take(deadline, gone)
        try:
            conn.send(job)
            while not conn.poll(POLL):
                self._check(deadline, gone, "timeout")
            reply: Reply = conn.recv()
        except BaseException:
            self._replace(proc, conn)
            raise
        if reply.retire:
            self._replace(proc, conn)
        else:
            self._idle.put((proc, conn))
        return reply

    def _take(self, deadline: float, gone: Callable[[], bool]) -> tuple[subprocess.Popen[bytes], Connection]:
        while True:
            try:
                return self._idle.get(timeout=POLL)
            except queue.Empty:
                self._check(deadline, gone, "busy")

    def _check(self, deadline: float, gone: Callable[[], bool], reason: str) -> None:
        if self._closed:
            raise Stopped("closed")
        if time.monotonic() >= deadline:
            raise Stopped(reason)
        if gone():
            raise Stopped("gone")

    def _replace(self, proc: subprocess.Popen[bytes], conn: Connection) -> None:
        proc.kill()  # SIGKILL: the one way to stop an evaluation inside pyoxigraph
        proc.wait(5)
        conn.close()
        with self._lock:
            self._procs.discard(proc)
        self._start()

    def close(self) -> None:
        with self._lock:
            self._closed, procs = True, list(self._procs)
        for proc in procs:
            proc.kill()
            proc.wait(5)


# ---------------------------------------------------------------- the WSGI application

class Endpoint:
    """The WSGI application: protocol checks here, evaluation in the worker pool."""

    def __init__(self, pool: Pool, timeout: float, allowed: frozenset[str], cors: frozenset[str]) -> None:
        self.pool, self.timeout, self.allowed, self.cors = pool, timeout, allowed, cors

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            reply = self._handle(environ)
        except Refusal as exc:
            reply = exc.reply
        headers = [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body))),
                   ("Vary", "Accept, Origin" if self.cors else "Accept"), *reply.headers, *self._cors(environ)]
        start_response(f"{reply.status} {HTTPStatus(reply.status).phrase}", headers)
        return [reply.body]

    def close(self) -> None:
        self.pool.close()

    def _handle(self, environ: dict[str, Any]) -> Reply:
        if environ.get("PATH_INFO") != "/sparql":
            raise Refusal(404, "not found: the SPARQL endpoint is /sparql")
        method = environ.get("REQUEST_METHOD", "")
        if method == "OPTIONS":
            return Reply(204, TEXT, b"", (("Allow", ALLOW),))
        if method not in ("GET", "POST"):
            raise Refusal(405, f"method {method} not allowed", (("Allow", ALLOW),))
        params = _params(environ)
        if "update" in params:
            raise Refusal(403, READ_ONLY)
        fmt = params.get("format", [""])[0].lower()
        accept = FORMATS.get(fmt, fmt if "/" in fmt else environ.get("HTTP_ACCEPT") or "*/*")
        if "query" not in params and method == "GET":
            return _description(environ, accept)
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            raise Refusal(400, "missing query: give one query parameter (or an application/sparql-query body)")
        try:
            check_service(queries[0], self.allowed)
        except ValueError as exc:
            raise Refusal(400, f"{exc} (the operator allows one with trialkg serve --allow-service IRI)") from None
        try:
            graphs = [tuple(ox.NamedNode(g).value for g in params.get(p, []))
                      for p in ("default-graph-uri", "named-graph-uri")]
        except ValueError as exc:
            raise Refusal(400, f"bad graph IRI: {exc}") from None
        return self._run(Job(queries[0], graphs[0], graphs[1], accept), environ)

    def _run(self, job: Job, environ: dict[str, Any]) -> Reply:
        gone = environ.get("waitress.client_disconnected") or (lambda: False)
        try:
            return self.pool.run(job, time.monotonic() + self.timeout, gone)
        except Stopped as exc:
            if str(exc) == "timeout":
                log.warning("query stopped after %g s", self.timeout)
                return Refusal(503, f"query stopped: it ran past the {self.timeout:g} s timeout").reply
            if str(exc) == "busy":
                return Refusal(503, f"busy: no query worker was free within {self.timeout:g} s").reply
            return Refusal(503, "query abandoned: the client went away or the server is stopping").reply
        except (EOFError, OSError):
            return Refusal(500, "the query worker failed; it has been replaced").reply

    def _cors(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        origin = environ.get("HTTP_ORIGIN", "")
        if origin not in self.cors:
            return []
        headers = [("Access-Control-Allow-Origin", origin)]
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            headers += [("Access-Control-Allow-Methods", ALLOW), ("Access-Control-Max-Age", "600"),
                        ("Access-Control-Allow-Headers", "Accept, Content-Type")]
        return headers


def _params(environ: dict[str, Any]) -> dict[str, list[str]]:
    """The protocol parameters of the URL and, for POST, of the body."""
    params = _form(environ.get("QUERY_STRING", "").encode("latin-1"))  # WSGI strings carry bytes as latin-1
    if environ.get("REQUEST_METHOD") != "POST":
        return params
    media, _, rest = environ.get("CONTENT_TYPE", "").partition(";")
    media, charset = media.strip().lower(), re.search(r"charset\s*=\s*\"?([\w-]+)", rest, re.I)
    length = str(environ.get("CONTENT_LENGTH") or "0")  # waitress checks it first; this holds under any server
    number = length.isascii() and length.isdigit()
    if not number or int(length) > MAX_BODY:
        raise Refusal(413 if number else 400, f"send a Content-Length of at most {MAX_BODY} bytes")
    body: bytes = environ["wsgi.input"].read(int(length))
    if media == "application/sparql-update":
        raise Refusal(403, READ_ONLY)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        raise Refusal(415, "unsupported charset: send UTF-8")
    if media == "application/x-www-form-urlencoded":
        for key, values in _form(body).items():
            params.setdefault(key, []).extend(values)
    elif media == "application/sparql-query":
        params.setdefault("query", []).append(_utf8(body))
    else:
        raise Refusal(415, "unsupported Content-Type: POST application/sparql-query "
                      "or application/x-www-form-urlencoded")
    return params


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "the request is not UTF-8") from None


def _form(raw: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(_utf8(raw), keep_blank_values=True, errors="strict", max_num_fields=100)
    except UnicodeDecodeError:
        raise Refusal(400, "a parameter is not UTF-8 once percent-decoded") from None
    except ValueError:
        raise Refusal(400, "too many parameters") from None


SD = "http://www.w3.org/ns/sparql-service-description#"
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?")


def _description(environ: dict[str, Any], accept: str) -> Reply:
    """The SPARQL 1.1 Service Description of this endpoint."""
    media = negotiate(accept, GRAPH_TYPES)
    if media is None:
        raise Refusal(406, "not acceptable: the service description is available as " + ", ".join(GRAPH_TYPES))
    host = environ.get("HTTP_HOST", "")
    if not _HOST.fullmatch(host):  # the Host header is the client's: use it only when it is a plain host
        host = f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    svc, sd = ox.BlankNode("service"), lambda name: ox.NamedNode(SD + name)  # noqa: E731
    facts = [(ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), sd("Service")),
             (sd("endpoint"), ox.NamedNode(f"http://{host}/sparql")), (sd("supportedLanguage"), sd("SPARQL11Query")),
             (sd("feature"), sd("UnionDefaultGraph")),
             *((sd("resultFormat"), ox.NamedNode("http://www.w3.org/ns/formats/" + name))
               for _, name in (*SOLUTION_TYPES.values(), *GRAPH_TYPES.values()))]
    triples = [ox.Triple(svc, p, o) for p, o in facts]
    body = ox.serialize(triples, format=GRAPH_TYPES[media][0], prefixes={"sd": SD})
    return Reply(200, media + ("; charset=utf-8" if media.startswith("text/") else ""), body or b"")


# ---------------------------------------------------------------- servers and the CLI

def make_app(store_path: str | Path, *, workers: int = 2, timeout: float = 30.0,
             allow_service: Iterable[str] = (), cors: Iterable[str] = ()) -> Endpoint:
    """The WSGI application over the store at ``store_path``; ``close()`` stops its workers.

    Raises:
        StoreError: no store there, or it cannot be opened (checked here, before any worker starts).
    """
    from kg.store import open_existing

    open_existing(store_path)  # read-only and dropped at once: the workers open their own
    allowed = frozenset(allow_service)
    return Endpoint(Pool(str(store_path), workers, isolate=not allowed), timeout, allowed, frozenset(cors))


def _create(store_path: str | Path, host: str, port: int, channel_timeout: int = 20,
            threads: int | None = None, **options: Any) -> tuple[Endpoint, Any]:
    app = make_app(store_path, **options)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # requests queued for a thread: the bound at work
    try:
        server = waitress.create_server(
            app, host=host, port=port, threads=threads or app.pool.size + 4, connection_limit=100, backlog=64,
            channel_timeout=channel_timeout, cleanup_interval=max(1, channel_timeout // 2),
            max_request_header_size=262_144, max_request_body_size=MAX_BODY,
            channel_request_lookahead=4, ident="TrialKG")  # lookahead: lets a request see its client leave
    except BaseException:
        app.close()
        raise
    return app, server


def serve(store_path: str | Path, host: str = "127.0.0.1", port: int = 7878, **options: Any) -> None:
    """Serve until Ctrl-C or SIGTERM. Options: workers, timeout, allow_service, cors, channel_timeout."""
    app, server = _create(store_path, host, port, **options)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on Ctrl-C: workers are killed
    shown = f"[{host}]" if ":" in host else host
    print(f"SPARQL endpoint: http://{shown}:{getattr(server, 'effective_port', port)}/sparql (Ctrl-C to stop)",
          flush=True)
    try:
        server.run()  # returns on KeyboardInterrupt
    finally:
        app.close()


class Running:
    """An endpoint served from a daemon thread (tests, notebooks); ``close()`` stops it."""

    def __init__(self, app: Endpoint, server: Any) -> None:
        self.app, self.server = app, server
        self.url = f"http://127.0.0.1:{server.effective_port}/sparql"
        self.thread = threading.Thread(target=server.run, name="trialkg-serve", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.app.close()
        # close the sockets in the server's own loop thread, which then ends with nothing left to watch
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(5)
        self.server.task_dispatcher.shutdown()


def serve_in_thread(store_path: str | Path, port: int = 0, **options: Any) -> tuple[Running, str]:
    """Serve on loopback (a free port by default) from a daemon thread: ``(server, url)``."""
    running = Running(*_create(store_path, "127.0.0.1", port, **options))
    return running, running.url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s: this machine)")
    parser.add_argument("--port", type=int, default=7878, help="(default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="query processes (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="stop a query after this long (default: %(default)s)")
    parser.add_argument("--allow-service", action="append", default=[], metavar="IRI",
                        help="an endpoint that SERVICE may query (repeatable; default: none)")
    parser.add_argument("--cors", action="append", default=[], metavar="ORIGIN",
                        help="a web origin allowed to read answers (repeatable; default: none)")


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.store import StoreError

    if args.workers < 1 or not args.timeout > 0:
        print("error: --workers and --timeout must be positive", file=sys.stderr)
        return 2
    try:
        serve(args.store, args.host, args.port, workers=args.workers, timeout=args.timeout,
              allow_service=args.allow_service, cors=args.cors)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the port is taken, or the address is not this machine's
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
