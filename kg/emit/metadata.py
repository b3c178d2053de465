"""The VoID/DCAT description of the dataset, part of every dump.

Deterministic: counts and versions only, no build timestamp, so that two
builds of the same input dump byte-identical N-Quads.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, XSD

from kg import __version__, iri
from kg.store import select, value

VOID = Namespace("http://rdfs.org/ns/void#")
# Licences of what the dataset holds: TrialKG's own output, and the reference
# sources whose terms require attribution (see DATA-LICENSES.md).
LICENCES = (
    URIRef("https://creativecommons.org/licenses/by/4.0/"),
)


def _graph_counts(store: ox.Store) -> dict[str, int]:
    rows = select(store, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {value(r["g"]): int(value(r["n"])) for r in rows if value(r["g"]) != str(iri.METADATA_GRAPH)}


def dataset_description(store: ox.Store) -> list[tuple]:
    """Triples describing the dataset and each named graph (triple counts, sources)."""
    ds = iri.DATASET
    counts = _graph_counts(store)
    out: list[tuple] = [
        (ds, RDF.type, VOID.Dataset), (ds, RDF.type, DCAT.Dataset),
        (ds, DCTERMS.title, Literal("TrialKG", lang="en")),
        (ds, RDFS.comment, Literal("Clinical trials, drugs, targets, mechanisms, conditions, sponsors and MedDRA terms, with the provenance of every extracted fact.", lang="en")),
        (ds, DCTERMS.hasVersion, Literal(__version__)),
        (ds, VOID.triples, Literal(sum(counts.values()), datatype=XSD.integer)),
        (ds, VOID.vocabulary, URIRef("https://w3id.org/trialkg/ontology/")),
    ]
    out += [(ds, DCTERMS.license, lic) for lic in LICENCES]
    for g, n in sorted(counts.items()):
        node = URIRef(g)
        out += [(ds, VOID.subset, node), (node, RDF.type, VOID.Dataset),
                (node, VOID.triples, Literal(n, datatype=XSD.integer))]
    out += _sources(store, ds)
    return out


def _sources(store: ox.Store, ds: URIRef) -> list[tuple]:
    q = """PREFIX tkg: <https://w3id.org/trialkg/ontology/>
    SELECT DISTINCT ?g ?name ?sha WHERE { GRAPH ?g { ?r tkg:fileName ?name ; tkg:sha256 ?sha } }"""
    out = []
    for r in select(store, q):
        dist = iri.entity("source-file", value(r["sha"])[:16])
        out += [(ds, DCTERMS.source, dist), (dist, RDF.type, DCAT.Distribution),
                (dist, DCTERMS.title, Literal(value(r["name"]))),
                (dist, URIRef("http://spdx.org/rdf/terms#checksumValue"), Literal(value(r["sha"]))),
                (URIRef(value(r["g"])), DCTERMS.source, dist)]
    return out
