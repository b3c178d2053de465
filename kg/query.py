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


def run_sparql(store: ox.Store, text: str,
               bindings: dict[str, ox.NamedNode | ox.Literal | ox.BlankNode] | None = None) -> Results:
    """Run a SELECT or ASK query; ``bindings`` maps variable names to pyoxigraph terms."""
    subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        ox.Variable(k): v for k, v in (bindings or {}).items()}
    result = store.query(text, substitutions=subs, use_default_graph_as_union=True)
    if isinstance(result, (bool, ox.QueryBoolean)):
        return Results((), (), bool(result))
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


def _table(res: Results, width: int = 80) -> str:
    cells = [[_plain(t)[:width] for t in row] for row in res.rows]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(res.variables)]
    line = lambda vals: " | ".join(v.ljust(w) for v, w in zip(vals, widths))  # noqa: E731
    out = [line(res.variables), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
    return "\n".join(out) + f"\n({len(res.rows)} rows)"


def print_results(res: Results, fmt: str = "table") -> None:
    sys.stdout.write(format_results(res, fmt) + "\n")


# ---------------------------------------------------------------- named queries

import re  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from kg.resources import queries_dir  # noqa: E402
from kg.store import select  # noqa: E402

_PARAM_RE = re.compile(r"^\s*(\w+)\s*\(([^)]*)\)\s*(.*)$")
# Prefixes a CURIE parameter may use.
CURIE_PREFIXES = {
    "tkg": "https://w3id.org/trialkg/ontology/",
    "trialkg": "https://w3id.org/trialkg/id/",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
    "obo": "http://purl.obolibrary.org/obo/",
    "MEDDRA": "http://identifiers.org/meddra/",
}


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    summary: str
    params: tuple[Param, ...]
    tags: tuple[str, ...]
    text: str


def parse_header(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    header = {m.group(1): m.group(2).strip() for m in re.finditer(r"^#\+\s*(\w+):\s*(.*)$", text, re.M)}
    params = []
    if header.get("params", "none").lower() not in ("none", "") and not header["params"].lower().startswith("none"):
        for chunk in header["params"].split(";"):
            m = _PARAM_RE.match(chunk)
            if not m:
                raise ValueError(f"{path.name}: cannot read parameter {chunk!r}")
            params.append(Param(m.group(1), m.group(2).strip(), m.group(3).strip()))
    tags = tuple(t.strip() for t in header.get("tags", "").split(",") if t.strip())
    return NamedQuery(path.stem, path, header.get("summary", ""), tuple(params), tags, text)


def named_queries(folder: Path | None = None) -> dict[str, NamedQuery]:
    return {p.stem: parse_header(p) for p in sorted((folder or queries_dir()).glob("*.rq"))}


# Properties a label parameter is matched against, and the literal forms their values take in the
# graph (plain strings, English labels, French synonyms).
LABEL_PROPERTIES = tuple(ox.NamedNode(p) for p in (
    "http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#altLabel",
    "https://w3id.org/trialkg/ontology/abbreviation", "https://w3id.org/trialkg/ontology/geneSymbol"))
LABEL_LANGUAGES = (None, "en", "fr")


def _case_variants(value: str) -> list[str]:
    return list(dict.fromkeys((value, value.lower(), value.upper(), value.title(), value.capitalize())))


def _labelled(store: ox.Store, value: str) -> list[ox.NamedNode | ox.BlankNode]:
    """Subjects with a label equal to ``value`` in one of its usual spellings: index lookups of bound
    literals (microseconds), where a case-insensitive comparison reads every label of the store."""
    found: set[ox.NamedNode | ox.BlankNode | ox.Triple] = set()
    for literal in label_literals(value):
        for predicate in LABEL_PROPERTIES:
            found.update(q.subject for q in store.quads_for_pattern(None, predicate, literal))
    return [s for s in found if not isinstance(s, ox.Triple)]


def label_literals(value: str) -> list[ox.Literal]:
    """The literals a label parameter is looked up as: its usual casings, plain and in each label language."""
    return [ox.Literal(text, language=language) if language else ox.Literal(text)
            for text in _case_variants(value) for language in LABEL_LANGUAGES]


def iri_param(value: str) -> ox.NamedNode | None:
    """A parameter given as an IRI or a CURIE of :data:`CURIE_PREFIXES`; None for anything else (a label)."""
    if re.match(r"^https?://\S+$", value):
        return ox.NamedNode(value)
    prefix, sep, local = value.partition(":")
    if sep and prefix in CURIE_PREFIXES and re.match(r"^[\w./%-]+$", local):
        return ox.NamedNode(CURIE_PREFIXES[prefix] + local)
    return None


def choose_labelled(hits: list[ox.NamedNode | ox.BlankNode], value: str) -> ox.NamedNode | ox.Literal:
    """The term a label parameter stands for, of the subjects found with that label."""
    # SPARQL orders blank nodes before IRIs, and the scan below took the first: a blank node's
    # label gave a literal. Kept as it was.
    if any(isinstance(h, ox.BlankNode) for h in hits):
        return ox.Literal(value)
    return min((h for h in hits if isinstance(h, ox.NamedNode)), key=lambda h: h.value)


# A label in a casing none of label_literals has: every label compared, ?wanted bound to the parameter.
LABEL_MATCH_QUERY = """SELECT DISTINCT ?x ?wanted WHERE {
      ?x <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#altLabel>|
         <https://w3id.org/trialkg/ontology/abbreviation>|<https://w3id.org/trialkg/ontology/geneSymbol> ?l .
      FILTER(LCASE(STR(?l)) = LCASE(STR(?wanted))) } ORDER BY ?x"""


def resolve_param(store: ox.Store, value: str) -> ox.NamedNode | ox.Literal:
    """A parameter given as an IRI, a CURIE or a label -> an RDF term.

    Labels are looked up (case-insensitively) among rdfs:label, skos:altLabel,
    abbreviations and gene symbols, with the label itself bound as a literal:
    the user's text never becomes query text. The label as given, in lower case,
    upper case and title case, is looked up first (an index lookup each); only a
    label in some other casing falls back to comparing every label of the store.
    Of several matching entities the first IRI in order is taken.
    """
    term = iri_param(value)
    if term is not None:
        return term
    hits = _labelled(store, value)
    if hits:
        return choose_labelled(hits, value)
    rows = select(store, LABEL_MATCH_QUERY, {ox.Variable("wanted"): ox.Literal(value)}, union=True)
    found = rows[0]["x"] if rows else None
    return found if isinstance(found, ox.NamedNode) else ox.Literal(value)


def values_clause(bindings: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """A one-row VALUES block binding each parameter to an RDF term.

    Terms are serialised by pyoxigraph (IRIs validated, literals escaped), so a
    value with quotes, braces or "} UNION {" stays one term.
    """
    names = sorted(bindings)
    head = " ".join(f"?{n}" for n in names)
    row = " ".join(str(bindings[n]) for n in names)
    return f"VALUES ({head}) {{ ({row}) }}"


def bind_values(text: str, bindings: dict[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with the parameters' VALUES block first in each WHERE clause.

    First, not last: Oxigraph then starts from the bound terms (property paths
    such as ``rdfs:subClassOf*`` from the bound class: 0.6 s on the 30,000-class
    hierarchy, against minutes when the block trails the query). In each WHERE,
    the outer one and a sub-select's: a sub-select is evaluated before it is
    joined, so a parameter it uses must be bound inside it (the library's
    sub-selects project their parameters, so the blocks agree). A VALUES block
    rather than Oxigraph's substitutions, which bind the variable only after the
    query is planned: the plan then starts from the wrong pattern.
    """
    if not bindings:
        return text
    if re.search(r"\bWHERE\s*\{", text, re.I) is None:
        raise ValueError("the query has no WHERE clause to bind parameters in")
    block = values_clause(bindings)
    return re.sub(r"\bWHERE\s*\{", lambda m: f"{m.group(0)}\n  {block}", text, flags=re.I)


def bound_query(name: str, params: dict[str, str],
                resolve: Callable[[str], ox.NamedNode | ox.Literal]) -> str:
    """The text of the named query with its parameters bound, each resolved to a term by ``resolve``
    (against the local store, or a remote endpoint: :mod:`kg.remote`)."""
    query = named_queries()[name]
    unknown = set(params) - {p.name for p in query.params}
    if unknown:
        raise ValueError(f"{name}: unknown parameter(s) {', '.join(sorted(unknown))}")
    return bind_values(query.text, {k: resolve(v) for k, v in params.items()})


def run_named(store: ox.Store, name: str, params: dict[str, str] | None = None) -> Results:
    return run_sparql(store, bound_query(name, params or {}, lambda value: resolve_param(store, value)))
