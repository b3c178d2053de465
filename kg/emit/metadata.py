"""The VoID/DCAT description of the dataset, part of every dump.

Each document is a ``dcat:Distribution`` keyed by its path under the build root,
with its checksum and the extraction activity (reader version and reference
data) that produced its graphs; each named graph a ``void:Dataset`` subset with
its triple count. A document's description is written after its graphs: it is
the mark the next build reads to skip the document when its bytes and the
activity are unchanged.

Deterministic: counts and versions only, no build timestamp, so that two
builds of the same input dump byte-identical N-Quads.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib.namespace import DCAT as _DCAT, DCTERMS as _DCTERMS, PROV as _PROV, RDF as _RDF, RDFS as _RDFS

from kg import __version__, iri
from kg.emit.terms import Lit, Plain, lit, nquad
from kg.store import select, value

DCAT, DCTERMS, PROV, RDF, RDFS = Plain(_DCAT), Plain(_DCTERMS), Plain(_PROV), Plain(_RDF), Plain(_RDFS)
VOID = "http://rdfs.org/ns/void#"
VOID_DATASET, VOID_SUBSET, VOID_TRIPLES, VOID_VOCABULARY = (VOID + t for t in ("Dataset", "subset", "triples", "vocabulary"))
SPDX_CHECKSUM = "http://spdx.org/rdf/terms#checksumValue"
# Licences of what the dataset holds: TrialKG's own output, and the reference
# sources whose terms require attribution (see DATA-LICENSES.md).
LICENCES = ("https://creativecommons.org/licenses/by/4.0/",)
Triple = tuple[str, str, str]


def activity(reference_digest: str) -> str:
    """The extraction activity: this reader version over this reference data."""
    digest = reference_digest.partition(":")[2][:16]
    return str(iri.entity("activity", f"extract-{__version__}-{digest}"))


def document_description(key: str, sha256: str, act: str, graphs: list[tuple[str, int]]) -> list[str]:
    """N-Quads lines (metadata graph) describing one document and the graphs built from it."""
    ds, doc, meta = str(iri.DATASET), str(iri.document(key)), str(iri.METADATA_GRAPH)
    out: list[Triple] = [(doc, RDF.type, DCAT.Distribution), (doc, DCTERMS.identifier, lit(key)),
                         (doc, DCTERMS.title, lit(key.rsplit("/", 1)[-1])), (doc, SPDX_CHECKSUM, lit(sha256)),
                         (doc, PROV.wasGeneratedBy, act), (ds, DCTERMS.source, doc)]
    for graph, n in graphs:
        out += [(graph, DCTERMS.source, doc), *subset(graph, n)]
    return sorted(nquad(s, p, o, meta) for s, p, o in set(out))


def subset(graph: str, n: int) -> list[Triple]:
    return [(str(iri.DATASET), VOID_SUBSET, graph), (graph, RDF.type, VOID_DATASET), (graph, VOID_TRIPLES, lit(n))]


def activity_description(act: str, reference_digest: str) -> list[Triple]:
    return [(act, RDF.type, PROV.Activity),
            (act, RDFS.label, lit(f"TrialKG {__version__} readers and linking over reference data {reference_digest}", "en"))]


def dataset_head(total: int) -> list[Triple]:
    """The dataset's own description, with its triple count."""
    ds = str(iri.DATASET)
    return [(ds, RDF.type, VOID_DATASET), (ds, RDF.type, DCAT.Dataset),
            (ds, DCTERMS.title, lit("TrialKG", "en")),
            (ds, RDFS.comment, lit("Clinical trials, drugs, targets, mechanisms, conditions, sponsors and MedDRA "
                                   "terms, with the provenance of every extracted fact.", "en")),
            (ds, DCTERMS.hasVersion, lit(__version__)), (ds, VOID_TRIPLES, lit(total)),
            (ds, VOID_VOCABULARY, "https://w3id.org/trialkg/ontology/"),
            *((ds, DCTERMS.license, lic) for lic in LICENCES)]


def stored_documents(store: ox.Store) -> dict[str, tuple[str, str, list[str]]]:
    """Document key -> (checksum, activity, graphs), from one read of the metadata graph."""
    meta = ox.NamedNode(str(iri.METADATA_GRAPH))

    def objects(pred: str) -> dict[str, str]:
        return {value(q.subject): value(q.object) for q in store.quads_for_pattern(None, ox.NamedNode(pred), None, meta)}

    keys, sums, acts = objects(DCTERMS.identifier), objects(SPDX_CHECKSUM), objects(PROV.wasGeneratedBy)
    graphs: dict[str, list[str]] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(DCTERMS.source), None, meta):
        if value(q.subject) != str(iri.DATASET):
            graphs.setdefault(value(q.object), []).append(value(q.subject))
    return {key: (sums.get(doc, ""), acts.get(doc, ""), sorted(graphs.get(doc, []))) for doc, key in keys.items()}


def graph_counts(store: ox.Store) -> dict[str, int]:
    """Triple counts of the named graphs the metadata graph describes."""
    q = f"SELECT ?g ?n WHERE {{ GRAPH <{iri.METADATA_GRAPH}> {{ ?g <{VOID_TRIPLES}> ?n }} }}"
    return {value(r["g"]): int(value(r["n"])) for r in select(store, q) if value(r["g"]) != str(iri.DATASET)}


__all__ = ["Lit", "activity", "activity_description", "dataset_head", "document_description", "graph_counts",
           "stored_documents", "subset"]
