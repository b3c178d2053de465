"""The graph as KGX TSV (https://github.com/biolink/kgx/blob/master/specification/kgx-format.md).

Categories and predicates come from ``ontology/biolink-mapping.tsv`` (TrialKG
class or property -> Biolink 4.4 category or predicate, with the knowledge level
and agent type of each predicate); ontology/README.md documents it. Only the
statements of mapped properties between nodes of mapped classes are exported.
Each edge names its primary knowledge source from the graph's provenance: the
registry that published the record a trial statement came from, or the
reference table source of a reference statement.

Example:
    >>> nodes, edges = kgx_tables(store)                      # doctest: +SKIP
    >>> write_kgx(store, "trialkg")   # trialkg_nodes.tsv, trialkg_edges.tsv  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg import iri
from kg.export_sssom import TKG, expand_curie, select, to_curie
from kg.resources import ontology_dir

MAPPING_FILE = "biolink-mapping.tsv"
PREFIXES = {"tkg": TKG, "owl": "http://www.w3.org/2002/07/owl#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
TRIALKG_INFORES = "infores:trialkg"  # the aggregator; not (yet) in the Biolink information resource registry
# Registry individuals (tkg:publishedBy) and reference sources (dcterms:source keys) -> their ids in the
# Biolink information resource registry (biolink.github.io/information-resource-registry). A source
# without a registered id falls back to TrialKG, which read it, and is named in tkg_sources.
REGISTRY_INFORES = {TKG + "RegistryClinicalTrialsGov": "infores:clinicaltrials"}
SOURCE_INFORES = {iri.ID + "source/drugcentral2016": "infores:drugcentral"}
# Where a reference statement's source is written: the node that carries dcterms:source for it.
REFERENCE_SOURCES = {
    TKG + "approvedFor": "?s tkg:hasApproval ?a . ?a tkg:approvedIndication ?o ; dcterms:source ?src .",
    TKG + "targets": "?s tkg:hasMechanism ?m . ?m tkg:hasTarget ?o ; dcterms:source ?src .",
    TKG + "memberOfClass": "?o dcterms:source ?src .",
}
NODE_COLUMNS = ("id", "category", "name", "provided_by")
EDGE_COLUMNS = ("id", "subject", "predicate", "object", "original_predicate", "primary_knowledge_source",
                "aggregator_knowledge_source", "knowledge_level", "agent_type", "tkg_sources")


@dataclass(frozen=True)
class BiolinkMapping:
    categories: dict[str, str]  # TrialKG class IRI -> Biolink category CURIE
    predicates: dict[str, tuple[str, str, str]]  # property IRI -> (predicate, knowledge level, agent type)


def _term_iri(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return PREFIXES[prefix] + local


def load_mapping(path: Path | None = None) -> BiolinkMapping:
    """The mapping table; rows with an empty ``biolink`` column are documented exclusions."""
    categories: dict[str, str] = {}
    predicates: dict[str, tuple[str, str, str]] = {}
    with open(path or ontology_dir() / MAPPING_FILE, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if not row["biolink"]:
                continue
            if row["kind"] == "class":
                categories[_term_iri(row["trialkg_term"])] = row["biolink"]
            else:
                predicates[_term_iri(row["trialkg_term"])] = (row["biolink"], row["knowledge_level"], row["agent_type"])
    return BiolinkMapping(categories, predicates)


_TYPES = """SELECT DISTINCT ?x ?t WHERE { VALUES ?x { %s } GRAPH ?g { ?x a ?t } }"""
# A node's name: its label, else its title, else its citation text (publications have no label).
_LABELS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX tkg: <https://w3id.org/trialkg/ontology/>
SELECT ?x (MIN(CONCAT(?rank, STR(?l))) AS ?label) WHERE { VALUES ?x { %s }
  VALUES (?p ?rank) { (rdfs:label "1") (<http://purl.org/dc/terms/title> "2") (tkg:citationText "3") }
  GRAPH ?g { ?x ?p ?l FILTER(LANG(?l) IN ("", "en")) } } GROUP BY ?x"""
# The registry of each record graph: the record it was derived from, and who published that record.
_RECORD_SOURCES = """PREFIX tkg: <https://w3id.org/trialkg/ontology/>
SELECT ?g ?record ?registry WHERE { GRAPH ?g { ?g <http://www.w3.org/ns/prov#wasDerivedFrom> ?record .
  ?record tkg:publishedBy ?registry } }"""
_REFERENCE = """PREFIX tkg: <https://w3id.org/trialkg/ontology/> PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?s ?o ?src WHERE { GRAPH <%s> { ?s <%s> ?o . %s } }"""


def _chunks(items: list[str], n: int = 500) -> list[str]:
    return [" ".join(f"<{x}>" for x in items[i:i + n]) for i in range(0, len(items), n)]


Rows = list[tuple[str, ...]]


def kgx_tables(store: ox.Store, mapping: BiolinkMapping | None = None) -> tuple[Rows, Rows]:
    """Node and edge rows (without header), sorted by id, for the store."""
    m = mapping or load_mapping()
    records: dict[str, tuple[str, str]] = {r["g"].value: (r["record"].value, r["registry"].value)
                                           for r in select(store, _RECORD_SOURCES)}
    statements: dict[tuple[str, str, str], set[tuple[str, str]]] = defaultdict(set)  # -> {(infores, source)}
    for prop in sorted(m.predicates):
        reference = _reference_sources(store, prop)
        for q in store.quads_for_pattern(None, ox.NamedNode(prop), None):
            if not isinstance(q.subject, ox.NamedNode) or not isinstance(q.object, ox.NamedNode):
                continue
            s, o, g = q.subject.value, q.object.value, q.graph_name
            key = (s, prop, o)
            if isinstance(g, ox.NamedNode) and g.value in records:
                record, registry = records[g.value]
                statements[key].add((REGISTRY_INFORES.get(registry, TRIALKG_INFORES), record))
            else:
                found = reference.get((s, o)) or {str(iri.REFERENCE_GRAPH)}
                statements[key] |= {(SOURCE_INFORES.get(src, TRIALKG_INFORES), src) for src in found}
    categories = _categories(store, m, sorted({x for s, _, o in statements for x in (s, o)}))
    edges = []
    for (s, prop, o), sources in statements.items():
        if s not in categories or o not in categories:
            continue  # an end the mapping does not export (an unlinked mention, a placebo)
        predicate, level, agent = m.predicates[prop]
        by_primary: dict[str, set[str]] = defaultdict(set)
        for infores, src in sources:
            by_primary[infores].add(to_curie(src))
        for primary, srcs in by_primary.items():  # one edge per primary source, as KGX asks
            aggregator = "" if primary == TRIALKG_INFORES else TRIALKG_INFORES
            sc, oc = to_curie(s), to_curie(o)
            edges.append((f"trialkg:edge/{iri.digest(sc, predicate, oc, to_curie(prop), primary)}", sc, predicate,
                          oc, to_curie(prop), primary, aggregator, level, agent, "|".join(sorted(srcs))))
    used = sorted({x for e in edges for x in (e[1], e[3])})
    labels = _labels(store, [expand_curie(c) for c in used])
    nodes: Rows = [(c, "|".join(categories[expand_curie(c)]), labels.get(expand_curie(c), ""), TRIALKG_INFORES)
                   for c in used]
    return nodes, sorted(edges)


def _reference_sources(store: ox.Store, prop: str) -> dict[tuple[str, str], set[str]]:
    pattern = REFERENCE_SOURCES.get(prop)
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    if pattern:
        for r in select(store, _REFERENCE % (iri.REFERENCE_GRAPH, prop, pattern)):
            out[(r["s"].value, r["o"].value)].add(r["src"].value)
    return out


def _categories(store: ox.Store, m: BiolinkMapping, nodes: list[str]) -> dict[str, list[str]]:
    """Node -> its Biolink categories (sorted), for nodes with at least one mapped type.

    A node typed as an unlinked mention has none, whatever its other types: it is no reference entity.
    """
    found: dict[str, set[str]] = defaultdict(set)
    excluded = set()
    for chunk in _chunks(nodes):
        for r in select(store, _TYPES % chunk):
            x, t = r["x"].value, r["t"].value
            if t == TKG + "UnlinkedMention":
                excluded.add(x)
            elif t in m.categories:
                found[x].add(m.categories[t])
    return {x: sorted(c) for x, c in found.items() if x not in excluded}


def _labels(store: ox.Store, nodes: list[str]) -> dict[str, str]:
    out = {}
    for chunk in _chunks(nodes):
        for r in select(store, _LABELS % chunk):
            out[r["x"].value] = r["label"].value[1:]  # without its rank
    return out


def _tsv(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_kgx(store: ox.Store, prefix: str | Path) -> tuple[Path, Path, int, int]:
    """Write ``PREFIX_nodes.tsv`` and ``PREFIX_edges.tsv``; returns their paths and row counts."""
    nodes, edges = kgx_tables(store)
    base = Path(prefix)
    paths = (base.with_name(base.name + "_nodes.tsv"), base.with_name(base.name + "_edges.tsv"))
    for path, text in zip(paths, (_tsv(NODE_COLUMNS, nodes), _tsv(EDGE_COLUMNS, edges))):
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return paths[0], paths[1], len(nodes), len(edges)
