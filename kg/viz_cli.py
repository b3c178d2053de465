"""The ``view``, ``path`` and ``stats`` commands, added to the ``trialkg`` CLI by :func:`register`.

Each handler is a thin layer over :mod:`kg.viz` and :mod:`kg.analytics`,
which a notebook calls the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import pyoxigraph as ox

from kg.store import open_existing, open_store

DEFAULT_VIEW = "trialkg-view.html"  # the file `trialkg build` writes its view to, too


def _open(args: argparse.Namespace) -> ox.Store | None:
    """The store named by ``--store``; None (with a message) when it holds nothing.

    Opened read-only and never created: these commands only read, so they run while ``serve`` or a
    build holds the store, and a mistyped ``--store`` is a StoreError (one line, from kg.cli.main).
    """
    store = open_store(None) if args.store == ":memory:" else open_existing(args.store)
    if len(store) == 0:
        where = "a built store directory" if args.store == ":memory:" else f"`trialkg build --store {args.store}` first"
        print(f"error: the store {args.store!r} is empty; give {where}", file=sys.stderr)
        return None
    return store


def cmd_view(args: argparse.Namespace) -> int:
    from kg.viz import write_view

    store = _open(args)
    if store is None:
        return 1
    try:
        stats = write_view(store, args.output, focus=args.focus, depth=args.depth, query=args.query,
                           max_nodes=args.max_nodes)
    except ValueError as exc:  # ViewTooLarge included: its message says how to narrow the view
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{stats.path}: {stats.title} ({stats.nodes} nodes, {stats.edges} edges)")
    return 0


def cmd_path(args: argparse.Namespace) -> int:
    from kg.analytics import shortest_paths

    store = _open(args)
    if store is None:
        return 1
    try:
        paths = shortest_paths(store, args.a, args.b, args.k)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0 if paths else 1


def cmd_stats(args: argparse.Namespace) -> int:
    from kg.analytics import stats

    store = _open(args)
    if store is None:
        return 1
    stats(store, args.top)
    return 0


def register(subparsers, with_store: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]) -> None:
    """Add ``view``, ``path`` and ``stats`` to the CLI's subparsers."""
    v = with_store(subparsers.add_parser("view", help="write an interactive HTML view of the graph"))
    v.add_argument("--output", default=DEFAULT_VIEW, metavar="FILE.html",
                   help="the page to write, self-contained (default: %(default)s)")
    which = v.add_mutually_exclusive_group()
    which.add_argument("--focus", metavar="ENTITY", help="neighbourhood of an entity: a label, CURIE or IRI")
    which.add_argument("--query", metavar="NAME", help="the subgraph behind a named query's rows")
    v.add_argument("--depth", type=int, default=2, help="hops around --focus (default: %(default)s)")
    v.add_argument("--max-nodes", type=int, default=500, help="refuse larger views (default: %(default)s)")
    v.set_defaults(func=cmd_view)
    p = with_store(subparsers.add_parser("path", help="shortest explanation paths between two entities"))
    p.add_argument("a", help="a label, CURIE or IRI")
    p.add_argument("b", help="a label, CURIE or IRI")
    p.add_argument("--k", type=int, default=3, help="how many paths (default: %(default)s)")
    p.set_defaults(func=cmd_path)
    s = with_store(subparsers.add_parser("stats", help="counts per class and predicate, most connected entities"))
    s.add_argument("--top", type=int, default=10, help="how many most connected entities (default: %(default)s)")
    s.set_defaults(func=cmd_stats)
