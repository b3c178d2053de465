"""Dumps of the store in the formats other semantic tools load.

Dataset formats (N-Quads, TriG, JSON-LD) keep the named graphs; triple
formats (Turtle, N-Triples, RDF/XML) hold the union of all graphs. The
N-Quads dump is sorted, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyoxigraph as ox

from kg.store import sorted_nquads

PREFIXES = {
    "tkg": "https://w3id.org/trialkg/ontology/",
    "trialkg": "https://w3id.org/trialkg/id/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "http://schema.org/",
    "biolink": "https://w3id.org/biolink/vocab/",
    "obo": "http://purl.obolibrary.org/obo/",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
}
FORMATS = {
    "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD,
    "ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML,
}


def export_bytes(store: ox.Store, fmt: str) -> bytes:
    """The store serialised in one of :data:`FORMATS`."""
    if fmt == "nq":
        return sorted_nquads(store)
    if fmt == "jsonld":
        return _jsonld(store)
    rdf_format = FORMATS[fmt]
    quads = sorted(store.quads_for_pattern(None, None, None), key=str)
    buf = io.BytesIO()
    if rdf_format.supports_datasets:
        ox.serialize(quads, buf, rdf_format, prefixes=PREFIXES)
    else:
        triples = sorted({q.triple for q in quads}, key=str)
        ox.serialize(triples, buf, rdf_format, prefixes=PREFIXES)
    return buf.getvalue()


def _jsonld(store: ox.Store) -> bytes:
    """JSON-LD with a context of the ontology's prefixes.

    Oxigraph writes the dataset (expanded form, fast at any size); the context
    is added around it, so tools that compact can use the prefixes. Expanded
    keys are absolute IRIs, which a context does not change.
    """
    buf = io.BytesIO()
    quads = sorted(store.quads_for_pattern(None, None, None), key=str)
    ox.serialize(quads, buf, ox.RdfFormat.JSON_LD)
    graphs = json.loads(buf.getvalue() or b"[]")
    return json.dumps({"@context": PREFIXES, "@graph": graphs}, ensure_ascii=False).encode("utf-8")


def export(store: ox.Store, fmt: str, output: str | Path | None) -> bytes | None:
    data = export_bytes(store, fmt)
    if output is None:
        return data
    Path(output).write_bytes(data)
    return None
