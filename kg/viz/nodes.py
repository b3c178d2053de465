"""Reading the store for a view: vocabulary, the drawable edges, and each node's label, kind and tooltip."""

from __future__ import annotations

import re
from itertools import islice
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import networkx as nx
import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg import iri
from kg.namespace import TKG
from kg.query import run_sparql
from kg.viz.style import LABEL_LENGTH, TOOLTIP_LENGTH, STYLES, KIND_CLASSES, HIDDEN_PREDICATES, EXTRA_PREDICATE_LABELS, LABEL_PREDICATES, IDENTIFIER_PREDICATES, UNSHOWN_TYPES, RECORD_GRAPHS


@dataclass(frozen=True)
class Vocabulary:
    """What the store's ontology graph says, and which document each graph came from."""

    terms: frozenset[str]
    labels: dict[str, str]
    kinds: dict[str, str]
    files: dict[str, str]

    def predicate_label(self, predicate: str) -> str:
        return self.labels.get(predicate) or EXTRA_PREDICATE_LABELS.get(predicate) or _local_name(predicate)


def vocabulary(store: ox.Store) -> Vocabulary:
    """Ontology terms, their English labels, class -> kind, and graph -> document file name."""
    onto = ox.NamedNode(str(iri.ONTOLOGY_GRAPH))
    terms = frozenset(q.subject.value for q in store.quads_for_pattern(None, None, None, onto)
                      if isinstance(q.subject, ox.NamedNode))
    labels = _english({(q.subject.value, q.object) for q in store.quads_for_pattern(
        None, ox.NamedNode(str(RDFS.label)), None, onto)
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal)})
    files = {q.graph_name.value: q.object.value
             for q in store.quads_for_pattern(None, ox.NamedNode(str(TKG.fileName)), None, None)
             if isinstance(q.graph_name, ox.NamedNode) and isinstance(q.object, ox.Literal)}
    return Vocabulary(terms, labels, _kinds(store), files)


def _kinds(store: ox.Store) -> dict[str, str]:
    """Class IRI -> kind, through rdfs:subClassOf* (MONDO classes fall under tkg:Condition)."""
    kinds: dict[str, str] = {}
    query = "SELECT DISTINCT ?t ?k WHERE { ?t <%s>* ?k }" % RDFS.subClassOf
    for kind in reversed(list(KIND_CLASSES)):  # higher priority kinds written last win
        for cls in KIND_CLASSES[kind]:
            rows = run_sparql(store, query, {"k": ox.NamedNode(str(cls))}).rows
            kinds.update({t.value: kind for t, _ in rows if isinstance(t, ox.NamedNode)})
    return kinds


def _english(pairs: Iterable[tuple[str, ox.Literal]]) -> dict[str, str]:
    """Subject -> its English (or untagged) label; the alphabetically first one when several."""
    out: dict[str, str] = {}
    for subject, lit in sorted(pairs, key=lambda p: (p[0], p[1].language not in ("en", None), p[1].value)):
        out.setdefault(subject, lit.value)
    return out


def _local_name(value: str) -> str:
    local = re.split(r"[/#]", value.rstrip("/#"))[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).lower()


def _key(term) -> str:
    return "_:" + term.value if isinstance(term, ox.BlankNode) else term.value


def _term(key: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(key[2:]) if key.startswith("_:") else ox.NamedNode(key)


@dataclass
class Scan:
    """The drawable edges of the store, sorted by where they come from.

    ``corpus`` holds every node that occurs in a document graph; ``facts`` the
    links to ontology terms (phase, status, arm role, registry) that are shown
    in the tooltip instead of as nodes.
    """

    document: set[tuple[str, str, str]] = field(default_factory=set)
    reference: set[tuple[str, str, str]] = field(default_factory=set)
    corpus: set[str] = field(default_factory=set)
    facts: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


def scan(store: ox.Store, vocab: Vocabulary) -> Scan:
    """One pass over the document and reference graphs."""
    out = Scan()
    for q in store.quads_for_pattern(None, None, None, None):
        graph = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        is_doc = graph.startswith(RECORD_GRAPHS)
        if not is_doc and graph != str(iri.REFERENCE_GRAPH):
            continue
        s, p, o = _key(q.subject), q.predicate.value, q.object
        if is_doc:
            out.corpus.update((s,) if isinstance(o, ox.Literal) else (s, _key(o)))
        if isinstance(o, ox.Literal) or p in HIDDEN_PREDICATES or s in vocab.terms:
            continue
        if _key(o) in vocab.terms:
            out.facts.setdefault(s, set()).add((p, _key(o)))
            continue
        (out.document if is_doc else out.reference).add((s, p, _key(o)))
    return out


def _bare(edges: Iterable[tuple[str, str, str]]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for s, p, o in sorted(edges):
        graph.add_edge(s, o, key=p, predicate=p)
    return graph


# ---------------------------------------------------------------- node and edge attributes


MAX_INCOMING = 2000


def describe(store: ox.Store, vocab: Vocabulary, key: str, facts: Iterable[tuple[str, str]] = ()) -> dict:
    """The attributes of one node: label, kind, types, identifiers, documents, sources, tooltip."""
    term = _term(key)
    found: dict[str, list] = {}
    graphs: set[str] = set()
    for q in store.quads_for_pattern(term, None, None, None):
        found.setdefault(q.predicate.value, []).append(q.object)
        graphs.add(_key(q.graph_name) if not isinstance(q.graph_name, ox.DefaultGraph) else "")
    # The documents that refer to a node, from its first MAX_INCOMING incoming statements: a drug
    # tested in thousands of studies would otherwise cost seconds for a tooltip that lists them all.
    graphs |= {_key(q.graph_name) for q in islice(store.quads_for_pattern(None, None, term, None), MAX_INCOMING)
               if not isinstance(q.graph_name, ox.DefaultGraph)}
    types = sorted(o.value for o in found.get(str(RDF.type), []) if isinstance(o, ox.NamedNode))
    named = _label(found, key)
    info: dict[str, Any] = {
        "iri": key, "named": named, "label": named or _fallback_label(key), "kind": _kind(vocab, key, types),
        "types": sorted({vocab.labels.get(t, _local_name(t)) for t in types if t not in UNSHOWN_TYPES}),
        "identifiers": _identifiers(store, found, key),
        "documents": sorted({vocab.files[g] for g in graphs if g in vocab.files}),
        "reference": str(iri.REFERENCE_GRAPH) in graphs,
        "sources": sorted({o.value.rstrip("/").rsplit("/", 1)[-1] for o in found.get(str(DCTERMS.source), [])}),
        "facts": sorted(f"{vocab.predicate_label(p)}: {vocab.labels.get(o, _local_name(o))}" for p, o in facts),
        "acronym": next((o.value for o in found.get(str(TKG.acronym), [])), ""),
    }
    info["display"] = _display_name(info)
    info["label"] = named or info["display"]
    info["short"] = _short(info["display"])
    info["tooltip"] = tooltip(info)
    return info


def _label(found: dict[str, list], key: str) -> str:
    for pred in LABEL_PREDICATES:
        lits = [o for o in found.get(pred, []) if isinstance(o, ox.Literal)]
        if lits:
            return _english((key, lit) for lit in lits)[key]
    return ""


def _fallback_label(key: str) -> str:
    return unquote(key.rstrip("/").rsplit("/", 1)[-1]) if not key.startswith("_:") else key


def _kind(vocab: Vocabulary, key: str, types: list[str]) -> str:
    kinds = {vocab.kinds[t] for t in types if t in vocab.kinds}
    if key in vocab.kinds and key not in vocab.terms:
        kinds.add(vocab.kinds[key])  # a class drawn as a node: a MONDO disease
    return next((k for k in STYLES if k in kinds), "Other")


def _identifiers(store: ox.Store, found: dict[str, list], key: str) -> list[str]:
    out = []
    for ident in found.get(str(TKG.hasIdentifier), []):
        out += [q.object.value for q in store.quads_for_pattern(ident, ox.NamedNode(str(TKG.identifierValue)), None)
                if isinstance(q.object, ox.Literal)]
    out += [o.value for p in IDENTIFIER_PREDICATES for o in found.get(p, [])]
    out += [f"{prefix}:{key[len(base):]}" for prefix, base in iri.CURIE_BASES.items() if key.startswith(base)]
    return sorted(set(out), key=lambda v: (not v.startswith("NCT"), v))


def _display_name(info: dict) -> str:
    """The node's on-canvas name: studies by acronym or registry id, records by their document."""
    document = next(iter(info["documents"]), "")
    if info["kind"] == "Study":
        return info["acronym"] or next(iter(info["identifiers"]), "") or info["named"] or f"study in {document}"
    if info["kind"] == "RegistryRecord" and document:
        return f"record: {document}"
    return info["label"]


def _short(text: str, length: int = LABEL_LENGTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "\u2026"


def tooltip(info: dict) -> str:
    """Plain text (vis-network shows string titles as text, never as HTML)."""
    lines = [_short(info["label"], TOOLTIP_LENGTH)]
    kind = STYLES[info["kind"]].legend
    subtypes = [t for t in info["types"] if t not in kind]
    lines.append(f"type: {kind}" + (f" ({', '.join(subtypes)})" if subtypes else ""))
    if info["identifiers"]:
        lines.append("identifiers: " + ", ".join(info["identifiers"]))
    lines += info["facts"]
    if info["documents"]:
        lines.append("source document: " + ", ".join(info["documents"]))
    if info["reference"]:
        lines.append("reference data" + (f" (sources: {', '.join(info['sources'])})" if info["sources"] else ""))
    lines.append(info["iri"])
    return "\n".join(lines)


def annotate(store: ox.Store, vocab: Vocabulary, graph: nx.MultiDiGraph,
             facts: dict[str, set[tuple[str, str]]] | None = None) -> nx.MultiDiGraph:
    """Give every node its description and every edge its predicate's label (in place)."""
    for key in graph.nodes:
        graph.nodes[key].update(describe(store, vocab, key, (facts or {}).get(key, ())))
    for _, _, data in graph.edges(data=True):
        data["label"] = vocab.predicate_label(data["predicate"])
    return graph
