"""``trialkg serve``: a read-only SPARQL 1.1 Protocol endpoint over the store, on loopback.

``GET /sparql?query=...`` or ``POST /sparql`` (form-encoded ``query=`` or a
body of type ``application/sparql-query``) answers SELECT/ASK with SPARQL
Results JSON and CONSTRUCT/DESCRIBE with N-Triples. Updates are refused.
SPARQLWrapper, YASGUI and other clients can use it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pyoxigraph as ox

from kg.query import results_json, run_sparql

MAX_BODY = 1_000_000


def _handler(store: ox.Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "TrialKG"

        def log_message(self, fmt: str, *args: object) -> None:  # quiet: one line per request is noise
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != "/sparql":
                return self._send(404, "text/plain", b"not found: use /sparql")
            self._answer(parse_qs(url.query).get("query", [""])[0])

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._send(413, "text/plain", b"query too large")
            body = self.rfile.read(length).decode("utf-8")
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if kind == "application/sparql-query":
                return self._answer(body)
            if kind == "application/sparql-update" or "update" in parse_qs(body):
                return self._send(403, "text/plain", b"this endpoint is read-only")
            self._answer(parse_qs(body).get("query", [""])[0])

        def _answer(self, query: str) -> None:
            if not query.strip():
                return self._send(400, "text/plain", b"missing query")
            try:
                res = run_sparql(store, query)
            except (SyntaxError, ValueError, OSError) as exc:
                return self._send(400, "text/plain", f"bad query: {exc}".encode())
            if res.variables == ("subject", "predicate", "object") and res.boolean is None and "CONSTRUCT" in query.upper():
                text = "".join(f"{s} {p} {o} .\n" for s, p, o in res.rows)
                return self._send(200, "application/n-triples", text.encode())
            self._send(200, "application/sparql-results+json", json.dumps(results_json(res)).encode())

        def _send(self, code: int, kind: str, data: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(data)

    return Handler


def make_server(store: ox.Store, host: str = "127.0.0.1", port: int = 7878) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), _handler(store))


def serve_in_thread(store: ox.Store, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start a server on a free loopback port; returns it and its endpoint URL (for tests, notebooks)."""
    server = make_server(store, port=port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/sparql"
