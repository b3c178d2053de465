"""The ``trialkg`` command: a thin layer over functions a notebook can call.

Every command that reads or writes the graph takes ``--store DIR``; the
default is ``./trialkg-store`` (or ``$TRIALKG_STORE``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kg import __version__

DEFAULT_STORE = os.environ.get("TRIALKG_STORE", "trialkg-store")


def _store(args: argparse.Namespace):
    from kg.store import open_store

    return open_store(None if args.store == ":memory:" else args.store)


def cmd_extract(args: argparse.Namespace) -> int:
    from kg.model import SourceError, to_json
    from kg.sources import read_document

    failures = []
    for path in args.files:
        try:
            _, records = read_document(path)
        except SourceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failures.append(str(exc))
            continue
        for rec in records:
            obj = to_json(rec) | {"file": Path(path).name}
            print(json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2 if args.pretty else None))
    if failures and len(args.files) > 1:
        print(f"{len(failures)} of {len(args.files)} files failed:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
    return 1 if failures else 0


def _print_report(report) -> None:
    print(f"documents: {report.documents} ({report.skipped_unchanged} unchanged)")
    print(f"records:   {report.records}")
    print(f"studies:   {len(report.studies)}")
    print(f"triples:   {report.triples}")
    for kind, c in sorted(report.links.items()):
        print(f"mentions:  {kind:<13} linked {c['linked']:>4}  unlinked {c['unlinked']:>4}")
    stages = ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items())
    print(f"seconds:   {sum(report.seconds.values()):.1f} ({stages})")
    print(f"errors:    {len(report.errors)}")
    for err in report.errors:
        print(f"  {err}")


def cmd_build(args: argparse.Namespace) -> int:
    from kg.build import build

    store = _store(args)
    report = build(args.paths or None, store, progress=not args.quiet, workers=args.workers, root=args.root,
                   compact="background")
    _print_report(report)
    compacting = report.compaction is not None
    if not args.no_headline:
        _print_headline(store)
    if args.view:
        _write_view(store, args.view, len(report.studies))
    report.wait_for_compaction()
    if compacting:
        print(f"\nstore compacted in {report.seconds['compaction']:.1f} s (meanwhile the answer and the view)")
    if args.store != ":memory:":
        store.flush()
    if report.errors:
        print(f"\n{len(report.errors)} document(s) refused (the others are built): see errors above", file=sys.stderr)
        return 1
    return 0 if report.documents else 1


HEADLINE = "myeloma-drugs-repurposed-for-autoimmunity"
HEADLINE_KEY = ("identifiers", "drugLabel", "indicationLabel", "status", "document")


def _print_headline(store) -> None:
    """The headline answer, one row per study and drug, approvals and conditions gathered."""
    import pyoxigraph as ox

    from kg.query import Results, format_results, run_named
    from kg.store import value

    res = run_named(store, HEADLINE)
    groups: dict[tuple, tuple[set, set]] = {}
    for row in res.rows:
        r = dict(zip(res.variables, row))
        agencies, conditions = groups.setdefault(tuple(value(r[c]) for c in HEADLINE_KEY), (set(), set()))
        agencies.add(f"{value(r['agency'])} {value(r['approvalDate'])}".strip())
        conditions.add(value(r["conditionLabel"]))
    rows = tuple(tuple(ox.Literal(v) for v in (*key[:3], "; ".join(sorted(a)), "; ".join(sorted(c)), *key[3:]))
                 for key, (a, c) in sorted(groups.items()))
    columns = ("identifiers", "drug", "approved for", "approvals", "studied conditions", "status", "document")
    print(f"\nWhich trials repurpose myeloma drugs for autoimmunity? (trialkg query {HEADLINE} --explain)")
    print(format_results(Results(columns, rows), "table"))


def _write_view(store, output: str, studies: int) -> None:
    from kg.viz import write_build_view

    stats, kind = write_build_view(store, output, studies)
    what = {"corpus": "the corpus graph",
            "headline": "the graph is too large to draw whole: the headline question's rows",
            "summary": "the graph is too large to draw whole: a summary of the most-tested drugs"}[kind]
    print(f"\ninteractive view: {stats.path} ({what}; {len(stats.kinds)} kinds of node, {stats.nodes} nodes, "
          f"{stats.edges} edges; open it in a browser; `trialkg view --help` draws others)")


def cmd_export(args: argparse.Namespace) -> int:
    from kg.export import export, write

    store = _store(args)
    if args.output:
        export(store, args.format, args.output)
    else:
        write(store, args.format, sys.stdout.buffer)
    return 0


def cmd_sparql(args: argparse.Namespace) -> int:
    from kg.query import print_results, run_sparql

    text = Path(args.file).read_text(encoding="utf-8") if args.file else args.query
    if not text:
        print("error: give a query or --file", file=sys.stderr)
        return 2
    print_results(run_sparql(_store(args), text), args.format)
    return 0


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"error: --param takes KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def cmd_query(args: argparse.Namespace) -> int:
    from kg.query import named_queries, print_results, run_named

    queries = named_queries()
    if args.list or not args.name:
        for q in queries.values():
            params = ", ".join(f"{p.name} ({p.kind})" for p in q.params) or "none"
            print(f"{q.name}\n    {q.summary}\n    params: {params}")
        return 0
    if args.name not in queries:
        print(f"error: no query named {args.name!r}; see trialkg query --list", file=sys.stderr)
        return 2
    store = _store(args)
    try:
        results = run_named(store, args.name, _params(args.param))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_results(results, args.format)
    if args.explain:
        from kg.explain import explain_rows

        print(explain_rows(store, results))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from kg.build import load_ontology_and_reference
    from kg.validate import validate_all

    store = _store(args)
    if not store.contains_named_graph(_ontology_graph()):
        load_ontology_and_reference(store)
    checks = validate_all(store, reasoner=not args.no_reasoner)
    for c in checks:
        print(f"[{c.status:>4}] {c.name}" + (f": {c.detail}" if c.detail else ""))
    failed = [c for c in checks if c.status == "fail"]
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.serve import make_server

    server = make_server(_store(args), args.host, args.port)
    print(f"SPARQL endpoint: http://{args.host}:{server.server_address[1]}/sparql (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def _ontology_graph():
    import pyoxigraph as ox

    from kg.iri import ONTOLOGY_GRAPH

    return ox.NamedNode(str(ONTOLOGY_GRAPH))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="trialkg", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"trialkg {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def with_store(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--store", default=DEFAULT_STORE,
                        help="store directory (default: %(default)s; ':memory:' for none)")
        return sp

    b = with_store(sub.add_parser("build", help="build the graph (default: the bundled corpus)"))
    b.add_argument("paths", nargs="*", help="documents, folders (read recursively) and zip archives")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--workers", type=int, default=None,
                   help="processes that read, link and emit documents (default: all cores)")
    b.add_argument("--root", default=None,
                   help="documents are keyed by their path under this folder (default: the current folder)")
    b.add_argument("--no-headline", action="store_true", help="do not print the headline answer")
    b.add_argument("--view", metavar="FILE.html", default="trialkg-view.html",
                   help="write the interactive view of the graph (default: %(default)s; '' for none)")
    b.set_defaults(func=cmd_build)
    e = sub.add_parser("extract", help="print the records read from documents")
    e.add_argument("files", nargs="+")
    e.add_argument("--json", action="store_true", help="JSON, one object per study (the default)")
    e.add_argument("--pretty", action="store_true")
    e.set_defaults(func=cmd_extract)
    x = with_store(sub.add_parser("export", help="dump the graph"))
    x.add_argument("--format", default="nq", choices=["ttl", "nt", "nq", "trig", "jsonld", "rdfxml"])
    x.add_argument("--output")
    x.set_defaults(func=cmd_export)
    s = with_store(sub.add_parser("sparql", help="run any SPARQL query"))
    s.add_argument("query", nargs="?")
    s.add_argument("--file")
    s.add_argument("--format", default="table", choices=["table", "csv", "json"])
    s.set_defaults(func=cmd_sparql)
    q = with_store(sub.add_parser("query", help="run a named query of the query library"))
    q.add_argument("name", nargs="?")
    q.add_argument("--list", action="store_true", help="list the queries with summaries and parameters")
    q.add_argument("--param", action="append", metavar="KEY=VALUE", help="a label, CURIE or IRI")
    q.add_argument("--format", default="table", choices=["table", "csv", "json"])
    q.add_argument("--explain", action="store_true", help="print why each row is there")
    q.set_defaults(func=cmd_query)
    v = with_store(sub.add_parser("validate", help="check ontology, reference data, shapes and the built graph"))
    v.add_argument("--no-reasoner", action="store_true", help="skip HermiT")
    v.set_defaults(func=cmd_validate)
    sv = with_store(sub.add_parser("serve", help="a read-only SPARQL endpoint on this machine"))
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=7878)
    sv.set_defaults(func=cmd_serve)
    from kg.viz_cli import register

    register(sub, with_store)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
