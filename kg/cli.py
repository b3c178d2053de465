"""The ``trialkg`` command: a thin layer over functions a notebook can call.

Every command that reads or writes the graph takes ``--store DIR``; the
default is ``./trialkg-store`` (or ``$TRIALKG_STORE``). Only ``build`` creates
a store; the other commands open it read-only, so they run while ``serve`` or
a build has it open. Every error is one line on stderr and a non-zero exit
(:func:`main`); ``TRIALKG_DEBUG=1`` shows the traceback of an unexpected one.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from kg import __version__

DEFAULT_STORE = os.environ.get("TRIALKG_STORE", "trialkg-store")
SIGPIPE_EXIT = 128 + 13  # what a shell reports for a process killed by SIGPIPE


class CliError(Exception):
    """A usage or input error a command found: :func:`main` prints the message as one line, exits ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _store(args: argparse.Namespace):
    """The store of ``build`` (and ``serve``): created when missing, read-write."""
    from kg.store import open_store

    return open_store(None if args.store == ":memory:" else args.store)


def _read_store(args: argparse.Namespace):
    """The store of a command that only reads: it must exist (never created by a typo in --store), and is
    opened read-only, which takes no lock, so the command runs while ``serve`` or a build holds the store."""
    from kg.store import open_existing, open_store

    return open_store(None) if args.store == ":memory:" else open_existing(args.store)


def cmd_extract(args: argparse.Namespace) -> int:
    """Files, folders (recursively) and zip archives, read as ``build`` reads them; bad documents are
    reported one line each and the others go on (exit 1 if any failed)."""
    from kg.model import SourceError, to_json
    from kg.sources import parse_bytes
    from kg.sources.inputs import iter_documents, read_bytes

    errors: list[SourceError] = []  # paths that do not exist and unreadable archives, then bad documents
    refs = iter_documents(args.files, Path.cwd(), errors)
    total = len(refs) + len(errors)
    for exc in errors:
        print(f"error: {exc}", file=sys.stderr)
    for ref in refs:
        try:
            records = parse_bytes(read_bytes(ref), ref.key)
        except SourceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            errors.append(exc)
            continue
        name = Path(ref.path).name + (f"!/{ref.member}" if ref.member else "")  # the schema's "file": a name
        for rec in records:
            obj = to_json(rec) | {"file": name}
            print(json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2 if args.pretty else None))
    if errors and total > 1:
        print(f"{len(errors)} of {total} files failed:", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
    return 1 if errors else 0


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


def _print_headline(store) -> None:
    """The headline answer: one row per study and drug, approvals and conditions gathered by the query."""
    from kg.query import Results, format_results, run_named

    res = run_named(store, HEADLINE)
    shown = ("identifiers", "studyKind", "drugName", "approvals", "conditions", "status", "documents")
    rows = tuple(tuple(row[res.variables.index(c)] for c in shown) for row in res.rows)
    columns = ("identifiers", "kind of study", "drug", "approvals", "studied conditions", "status", "document")
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

    store = _read_store(args)
    if args.format == "sssom":
        from kg.export_sssom import sssom_text, write_sssom

        if args.output:
            print(f"{args.output}: {write_sssom(store, args.output)} mappings", file=sys.stderr)
        else:
            sys.stdout.write(sssom_text(store))
        return 0
    if args.format == "kgx":
        from kg.export_kgx import write_kgx

        nodes, edges, n, m = write_kgx(store, args.output or "trialkg")
        print(f"{nodes}: {n} nodes\n{edges}: {m} edges", file=sys.stderr)
        return 0
    if args.output:
        export(store, args.format, args.output)
    else:
        write(store, args.format, sys.stdout.buffer)
    return 0


def cmd_sparql(args: argparse.Namespace) -> int:
    from kg.query import print_results, run_sparql

    text = _query_text(args)
    if args.endpoint:
        from kg.remote_cli import run_sparql_remote

        print_results(run_sparql_remote(args, text), args.format)
        return 0
    store = _read_store(args)
    try:
        _check_service(text, args.allow_service)
        results = run_sparql(store, text)
    except SyntaxError as exc:  # rewritten here, where the text is known: pyoxigraph's own words mislead
        raise CliError((f"{args.file}: " if args.file else "") + sparql_problem(text, exc)) from exc
    except (RuntimeError, OSError) as exc:  # pyoxigraph's evaluation errors: an unsupported function, SERVICE
        raise CliError(f"the query failed: {exc}", 1) from exc
    print_results(results, args.format)
    return 0


def _query_text(args: argparse.Namespace) -> str:
    if args.file:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{args.file}: cannot read the query file: {getattr(exc, 'strerror', None) or exc}") from exc
    else:
        text = args.query or ""
    if not text.strip():
        raise CliError(f"{args.file}: the query file is empty" if args.file else "give a query or --file F.rq")
    return text


def _check_service(text: str, allowed: list[str]) -> None:
    """Refuse SERVICE to endpoints not allowed: a query must not make this machine call arbitrary servers."""
    from kg.serve import check_service

    try:
        check_service(text, frozenset(allowed))
    except ValueError as exc:
        raise CliError(f"{exc} (allow an endpoint with --allow-service IRI)") from exc


QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
# What may precede the query form: white space, comments, PREFIX and BASE declarations.
_PROLOGUE = re.compile(r"(?:\s+|#[^\n]*|PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)*", re.I)
_POSITION = re.compile(r"error at (\d+):(\d+): ?")


def sparql_problem(text: str, exc: SyntaxError) -> str:
    """One line saying what is wrong with a query pyoxigraph refused, and where.

    pyoxigraph reports what its grammar expected at the first token it could not
    use ("expected CONSTRUCT" for ``SELEC``, a page of character classes for an
    undeclared prefix); the common mistakes are named instead.
    """
    form = _query_form(text)
    if form in UPDATE_FORMS:
        return "updates are not allowed here: trialkg sparql runs read-only queries"
    if form not in QUERY_FORMS:
        return ("bad SPARQL: a query starts with SELECT, CONSTRUCT, ASK or DESCRIBE (after PREFIX and BASE), "
                f"not {form or text.strip()[:20]!r}")
    message = str(exc.msg or exc)
    where = _POSITION.match(message)
    if where is None:
        return f"bad SPARQL: {_shorten(message)}"
    line, column = int(where.group(1)), int(where.group(2))
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "Prefix not found" in message:
        return _undeclared_prefix(source, line, column)
    near = source[column - 1:][:30].strip()
    return (f"bad SPARQL at line {line}, column {column} ({f'near {near!r}' if near else 'at the end of the line'}): "
            f"{_shorten(message[where.end():])}")


def _query_form(text: str) -> str:
    """The first keyword after the prologue, upper case ('' if there is none)."""
    keyword = re.match(r"[A-Za-z]+", _PROLOGUE.sub("", text, count=1))
    return keyword.group(0).upper() if keyword else ""


def _undeclared_prefix(source: str, line: int, column: int) -> str:
    # pyoxigraph points just after the prefixed name whose prefix is not declared.
    used = re.search(r"([A-Za-z][\w.-]*)?:[\w.%-]*$", source[:max(column - 1, 0)])
    if used is None:
        return f"bad SPARQL at line {line}, column {column}: undeclared prefix"
    prefix = (used.group(1) or "") + ":"
    return (f"bad SPARQL at line {line}, column {used.start() + 1}: undeclared prefix {prefix} in "
            f"{used.group(0)!r} (declare it: PREFIX {prefix} <IRI>)")


def _shorten(detail: str, limit: int = 120) -> str:
    return detail if len(detail) <= limit else detail[:limit] + "…"


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise CliError(f"--param takes KEY=VALUE, got {pair!r}")
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
        raise CliError(f"no query named {args.name!r}; see trialkg query --list")
    if args.endpoint:
        from kg.remote_cli import run_query_remote

        print_results(run_query_remote(args, _params(args.param)), args.format)
        return 0
    store = _read_store(args)
    results = run_named(store, args.name, _params(args.param))
    if not args.explain:
        print_results(results, args.format)
        return 0
    from kg.explain import explain_rows

    explanation = explain_rows(store, results)
    if args.format == "json":  # one JSON document: the explanation goes inside it, never after it
        from kg.query import results_json

        lines = explanation.splitlines()[2:]  # without the blank line and the heading
        print(json.dumps(results_json(results) | {"explanation": lines}, indent=2, ensure_ascii=False))
    else:
        print_results(results, args.format)
        print(explanation)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from kg.build import load_ontology_and_reference
    from kg.store import StoreError, open_store
    from kg.validate import validate_all

    if args.store == ":memory:":  # the ontology and reference data alone
        store = open_store(None)
        load_ontology_and_reference(store)
    else:
        if not Path(args.store, "CURRENT").is_file():
            raise StoreError(f"{args.store}: no TrialKG store here (build one with `trialkg build --store "
                             f"{args.store}`, or give --store :memory: to check the ontology and reference data alone)")
        store = _read_store(args)
        if not store.contains_named_graph(_ontology_graph()):  # read-only: it cannot be loaded into the store
            raise StoreError(f"{args.store}: the store has no ontology graph (not written by trialkg build); "
                             "rebuild it with trialkg build")
    checks = validate_all(store, reasoner=not args.no_reasoner)
    for c in checks:
        print(f"[{c.status:>4}] {c.name}" + (f": {c.detail}" if c.detail else ""))
    failed = [c for c in checks if c.status == "fail"]
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from kg.report import write_report

    for path in write_report(_read_store(args), args.output):
        print(path)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.serve import cmd_serve as serve

    return serve(args)


def _ontology_graph():
    import pyoxigraph as ox

    from kg.iri import ONTOLOGY_GRAPH

    return ox.NamedNode(str(ONTOLOGY_GRAPH))


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line naming the command, like every other error (argparse prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="trialkg", description=__doc__.splitlines()[0])
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
    e.add_argument("files", nargs="+", metavar="PATH", help="documents, folders (read recursively) and zip archives")
    e.add_argument("--json", action="store_true", help="JSON, one object per study (the default)")
    e.add_argument("--pretty", action="store_true")
    e.set_defaults(func=cmd_extract)
    x = with_store(sub.add_parser("export", help="dump the graph"))
    x.add_argument("--format", default="nq", choices=["ttl", "nt", "nq", "trig", "jsonld", "rdfxml", "sssom", "kgx"],
                   help="an RDF dump; sssom: the linking decisions (SSSOM TSV); kgx: KGX nodes and edges TSVs")
    x.add_argument("--output", help="the file (default: standard output); for kgx the prefix of "
                                     "PREFIX_nodes.tsv and PREFIX_edges.tsv (default: trialkg)")
    x.set_defaults(func=cmd_export)
    s = with_store(sub.add_parser("sparql", help="run any SPARQL query"))
    s.add_argument("query", nargs="?")
    s.add_argument("--file", metavar="F.rq", help="read the query from this file")
    s.add_argument("--format", default="table", choices=["table", "csv", "json"])
    s.add_argument("--allow-service", action="append", default=[], metavar="IRI",
                   help="an endpoint SERVICE may call (repeatable; default: SERVICE is refused)")
    from kg.remote_cli import add_endpoint_options, register as register_remote

    add_endpoint_options(s)
    s.set_defaults(func=cmd_sparql)
    q = with_store(sub.add_parser("query", help="run a named query of the query library"))
    q.add_argument("name", nargs="?")
    q.add_argument("--list", action="store_true", help="list the queries with summaries and parameters")
    q.add_argument("--param", action="append", metavar="KEY=VALUE", help="a label, CURIE or IRI")
    q.add_argument("--format", default="table", choices=["table", "csv", "json"])
    q.add_argument("--explain", action="store_true",
                   help="print why each row is there (with --format json: an \"explanation\" list of lines "
                        "inside the JSON document)")
    add_endpoint_options(q)
    q.set_defaults(func=cmd_query)
    v = with_store(sub.add_parser("validate", help="check ontology, reference data, shapes and the built graph"))
    v.add_argument("--no-reasoner", action="store_true", help="skip HermiT")
    v.set_defaults(func=cmd_validate)
    sv = with_store(sub.add_parser("serve", help="a read-only SPARQL endpoint on this machine"))
    from kg.serve import add_arguments

    add_arguments(sv)
    sv.set_defaults(func=cmd_serve)
    from kg.viz_cli import register

    register(sub, with_store)
    register_remote(sub, with_store)
    r = with_store(sub.add_parser("report", help="the repurposing landscape as PNG figures"))
    r.add_argument("--output", default="trialkg-report", metavar="DIR",
                   help="folder for class-by-area.png, phase-by-year.png, repurposed-mechanisms.png")
    r.set_defaults(func=cmd_report)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Every error it raises becomes one line on stderr and a non-zero exit, here."""
    args = parser().parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe must show here, not in the interpreter's exit flush
        return code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if _is_broken_pipe(exc):
            return _quiet_after_broken_pipe()
        if os.environ.get("TRIALKG_DEBUG"):
            raise
        message, code = error_line(exc)
        print(f"error: {message}", file=sys.stderr)
        return code


def error_line(exc: Exception) -> tuple[str, int]:
    """The one-line message and exit code of an error (2: usage or input; 1: store or unexpected)."""
    from kg.model import SourceError
    from kg.store import StoreError

    if isinstance(exc, CliError):
        message, code = str(exc), exc.code
    elif isinstance(exc, StoreError):
        message, code = str(exc), 1
    elif isinstance(exc, SyntaxError):  # a packaged query, or check_service's parse: no text to point into
        message, code = f"bad SPARQL: {exc.msg or exc}", 2
    elif isinstance(exc, OSError):
        message, code = (f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)), 1
    elif isinstance(exc, (SourceError, ValueError)):
        message, code = str(exc), 2
    elif isinstance(exc, KeyError):
        message, code = f"not found: {exc.args[0] if exc.args else exc}", 2
    else:
        message, code = f"unexpected {type(exc).__name__}: {exc} (TRIALKG_DEBUG=1 shows the traceback)", 1
    return " ".join(message.split()), code  # one line, whatever the exception's text held


def _is_broken_pipe(exc: BaseException) -> bool:
    # Python (and pyoxigraph's writers, measured) raise BrokenPipeError; a plain OSError with EPIPE is the
    # same event from code that does not map errno to the subclass.
    return isinstance(exc, BrokenPipeError) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE)


def _quiet_after_broken_pipe() -> int:
    """The reader of stdout left (``| head``): stop quietly, as a command killed by SIGPIPE would.

    stdout is pointed at /dev/null so that the interpreter's exit flush does not fail again and print
    "Exception ignored"; see the note on SIGPIPE in the documentation of Python's signal module.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real descriptor behind stdout (captured in a test)
        pass
    return SIGPIPE_EXIT


if __name__ == "__main__":
    sys.exit(main())
