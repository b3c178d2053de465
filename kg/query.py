"""Running SPARQL over the store and printing results.

Parameters are bound as RDF terms through Oxigraph's ``substitutions``
(initial bindings), never spliced into the query text.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Results:
    variables: tuple[str, ...]
    rows: tuple[tuple[ox.NamedNode | ox.Literal | ox.BlankNode | None, ...], ...]
    boolean: bool | None = None


def run_sparql(store: ox.Store, text: str, bindings: dict[str, object] | None = None) -> Results:
    """Run a SELECT or ASK query; ``bindings`` maps variable names to pyoxigraph terms."""
    subs = {ox.Variable(k): v for k, v in (bindings or {}).items()}
    result = store.query(text, substitutions=subs, use_default_graph_as_union=True)
    if isinstance(result, bool):
        return Results((), (), result)
    if isinstance(result, ox.QueryTriples):
        triples = list(result)
        return Results(("subject", "predicate", "object"),
                       tuple((t.subject, t.predicate, t.object) for t in triples))
    names = tuple(v.value for v in result.variables)
    rows = tuple(tuple(sol[n] for n in names) for sol in result)
    return Results(names, rows)


def term_json(term) -> dict[str, str] | None:
    """One RDF term in the W3C SPARQL 1.1 Query Results JSON format."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def results_json(res: Results) -> dict:
    if res.boolean is not None:
        return {"head": {}, "boolean": res.boolean}
    bindings = [{v: term_json(t) for v, t in zip(res.variables, row) if t is not None} for row in res.rows]
    return {"head": {"vars": list(res.variables)}, "results": {"bindings": bindings}}


def _plain(term) -> str:
    return "" if term is None else term.value


def format_results(res: Results, fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps(results_json(res), indent=2, ensure_ascii=False)
    if res.boolean is not None:
        return "true" if res.boolean else "false"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(res.variables)
        writer.writerows([_plain(t) for t in row] for row in res.rows)
        return buf.getvalue()
    return _table(res)


def _table(res: Results, width: int = 60) -> str:
    cells = [[_plain(t)[:width] for t in row] for row in res.rows]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(res.variables)]
    line = lambda vals: " | ".join(v.ljust(w) for v, w in zip(vals, widths))  # noqa: E731
    out = [line(res.variables), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
    return "\n".join(out) + f"\n({len(res.rows)} rows)"


def print_results(res: Results, fmt: str = "table") -> None:
    sys.stdout.write(format_results(res, fmt) + "\n")
