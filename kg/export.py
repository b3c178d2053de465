"""Dumps of the store in the formats other semantic tools load.

Dataset formats (N-Quads, TriG, JSON-LD) keep the named graphs; triple
formats (Turtle, N-Triples, RDF/XML) hold the union of all graphs. The
N-Quads dump is sorted, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg.store import write_sorted_nquads

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


def write(store: ox.Store, fmt: str, out: BinaryIO) -> None:
    """Stream the store to a binary file in one of :data:`FORMATS`; memory does not grow with the store.

    N-Quads are sorted (an external merge sort through temporary files); the
    other formats follow Oxigraph's index order, which depends on the content
    only, so the same store gives the same bytes too. Triple formats hold the
    union of the graphs (a statement in two graphs is written twice).
    """
    if fmt == "nq":
        write_sorted_nquads(store, out)
    elif fmt == "jsonld":
        _jsonld(store, out)
    elif FORMATS[fmt].supports_datasets:
        store.dump(out, FORMATS[fmt], prefixes=PREFIXES)
    else:
        ox.serialize((q.triple for q in store.quads_for_pattern(None, None, None)), out, FORMATS[fmt],
                     prefixes=PREFIXES)


def export_bytes(store: ox.Store, fmt: str) -> bytes:
    """The store serialised in one of :data:`FORMATS` (for small stores and tests)."""
    buf = io.BytesIO()
    write(store, fmt, buf)
    return buf.getvalue()


def _jsonld(store: ox.Store, out: BinaryIO) -> None:
    """JSON-LD with a context of the ontology's prefixes.

    Oxigraph writes the dataset (expanded form, a JSON array, streamed); the
    context is written around it, so tools that compact can use the prefixes.
    Expanded keys are absolute IRIs, which a context does not change.
    """
    out.write(b'{"@context": ' + json.dumps(PREFIXES).encode() + b', "@graph": ')
    before = out.tell() if out.seekable() else None
    store.dump(out, ox.RdfFormat.JSON_LD)
    if before is not None and out.tell() == before:  # an empty store writes nothing
        out.write(b"[]")
    out.write(b"}")


def export(store: ox.Store, fmt: str, output: str | Path | None) -> bytes | None:
    """Write the dump to ``output`` (streamed), or return its bytes when there is none."""
    if output is None:
        return export_bytes(store, fmt)
    path = Path(output)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:  # written aside, then renamed: a failed export leaves no half file
        write(store, fmt, fh)
    tmp.replace(path)
    return None
