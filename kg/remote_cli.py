"""The ``push`` command and the ``--endpoint`` options of ``query`` and ``sparql``, over :mod:`kg.remote`.

Added to the ``trialkg`` CLI by :func:`register` and :func:`add_endpoint_options`. A
:class:`kg.remote.RemoteError` is an OSError, which :func:`kg.cli.main` prints as one line (exit status 1):
no CliError here, because ``python -m kg.cli`` runs the CLI as ``__main__``, whose CliError is another class.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from kg.remote import DEFAULT_BATCH_BYTES, PASSWORD_ENV, PROTOCOLS, TOKEN_ENV, USER_ENV, Auth


def add_auth_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--user", help=f"HTTP basic user (default: ${USER_ENV})")
    sp.add_argument("--password-env", metavar="VAR",
                    help=f"the environment variable holding the password (default: {PASSWORD_ENV})")
    sp.add_argument("--token-env", metavar="VAR",
                    help=f"the environment variable holding a bearer token (default: {TOKEN_ENV}, if set)")


def add_endpoint_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--endpoint", metavar="URL",
                    help="run on this SPARQL endpoint instead of the store (its default graph must be the union "
                         "of the named graphs: see README, 'Loading the graph into other triple stores')")
    add_auth_options(sp)


def auth(args: argparse.Namespace) -> Auth:
    from kg.remote import auth_from_env

    return auth_from_env(args.user, args.password_env, args.token_env)


def run_sparql_remote(args: argparse.Namespace, text: str):
    from kg.remote import run_remote

    return run_remote(args.endpoint, text, auth(args))


def run_query_remote(args: argparse.Namespace, params: dict[str, str]):
    from kg.remote import run_named_remote

    if args.explain:
        raise ValueError("--explain reads the local store; it cannot be used with --endpoint")
    return run_named_remote(args.endpoint, args.name, params, auth(args))


def cmd_push(args: argparse.Namespace) -> int:
    from kg.remote import push
    from kg.store import open_existing

    store = open_existing(args.store)
    report = push(store, args.endpoint, args.graph or None, int(args.batch_mb * 1024 * 1024), auth(args),
                  progress=not args.quiet, protocol=args.protocol, query_endpoint=args.query_endpoint)
    print(f"pushed {report.triples} triples in {len(report.counts)} graphs ({report.requests} requests, "
          f"{report.bytes / 1e6:.1f} MB) to {args.endpoint}; the remote counts match", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction,
             with_store: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    p = with_store(sub.add_parser("push", help="load the graph into a remote triple store, then compare counts"))
    p.add_argument("--endpoint", required=True, metavar="URL",
                   help="the Graph Store Protocol address (gsp; Oxigraph: http://HOST:7878/store) or the "
                        "SPARQL Update address (update; Oxigraph: http://HOST:7878/update)")
    p.add_argument("--graph", action="append", metavar="IRI", help="push this named graph only (repeatable)")
    p.add_argument("--protocol", choices=PROTOCOLS, default="gsp",
                   help="gsp: SPARQL 1.1 Graph Store HTTP Protocol; update: SPARQL 1.1 Update INSERT DATA")
    p.add_argument("--query-endpoint", metavar="URL",
                   help="where the counts are checked (default: derived from --endpoint, e.g. /store -> /query)")
    p.add_argument("--batch-mb", type=float, default=DEFAULT_BATCH_BYTES / (1024 * 1024),
                   help="N-Triples per request, in MB (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_auth_options(p)
    p.set_defaults(func=cmd_push)
