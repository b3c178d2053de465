"""Minting instance IRIs: deterministic, from source identifiers, never from uuids.

The policy is written in ``ontology/README.md``. In short: terms live in
``https://w3id.org/trialkg/ontology/``; instances in ``https://w3id.org/trialkg/id/``
under a folder per kind; named graphs in ``https://w3id.org/trialkg/graph/``.

Example:
    >>> study("NCT", "NCT07110662")
    rdflib.term.URIRef('https://w3id.org/trialkg/id/study/nct/NCT07110662')
    >>> slug("Lupus érythémateux systémique")
    'lupus-erythemateux-systemique'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote, unquote

from rdflib import URIRef

ID = "https://w3id.org/trialkg/id/"
GRAPH = "https://w3id.org/trialkg/graph/"
ONTOLOGY_GRAPH = URIRef(GRAPH + "ontology")
REFERENCE_GRAPH = URIRef(GRAPH + "reference")
DATASET = URIRef(ID + "dataset/trialkg")
METADATA_GRAPH = URIRef(GRAPH + "metadata")
# Descriptions of nodes many documents share (unlinked mentions), written once.
MENTIONS_GRAPH = URIRef(GRAPH + "mentions")
# The materialised disease-hierarchy ancestor closure (kg.closure): derived, rebuilt after each build.
CLOSURE_GRAPH = URIRef(GRAPH + "closure")
# Studies of different registries judged one trial (kg.linkage): derived, rebuilt after each build.
LINKAGE_GRAPH = URIRef(GRAPH + "linkage")

# Prefixes of the CURIEs the reference data uses -> IRI bases (bioregistry / identifiers.org)
CURIE_BASES = {
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
    "CL": "http://purl.obolibrary.org/obo/CL_",
    "NCIT": "http://purl.obolibrary.org/obo/NCIT_",
    "DOID": "http://purl.obolibrary.org/obo/DOID_",
    "EFO": "http://www.ebi.ac.uk/efo/EFO_",
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "MEDDRA": "http://identifiers.org/meddra/",
}


def slug(text: str) -> str:
    """Lower-case ASCII words joined by '-', accents removed."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def _safe(value: str) -> str:
    return quote(value.strip(), safe="-._~")


def study(scheme: str, value: str) -> URIRef:
    return URIRef(f"{ID}study/{scheme.lower()}/{_safe(value)}")


def study_from_hash(sha256: str) -> URIRef:
    return URIRef(f"{ID}study/doc/{sha256[:16]}")


def study_link(a: str, b: str) -> URIRef:
    """The link between two studies, the same whichever is named first."""
    return URIRef(f"{ID}study-link/{digest(*sorted((a, b)))}")


def record(fmt: str, *keys: str) -> URIRef:
    return URIRef(f"{ID}record/{fmt}/" + "/".join(map(_safe, keys)))


def record_graph(fmt: str, *keys: str) -> URIRef:
    return URIRef(f"{GRAPH}record/{fmt}/" + "/".join(map(_safe, keys)))


def document(key: str) -> URIRef:
    """A source document, by its key (its path under the build root): a dcat:Distribution."""
    return URIRef(f"{ID}document/{digest(key)}")


def identifier(scheme: str, value: str) -> URIRef:
    return URIRef(f"{ID}identifier/{scheme.lower()}/{_safe(value)}")


def parse_identifier(node: str) -> tuple[str, str] | None:
    """(scheme, value) of an :func:`identifier` IRI, None for any other IRI."""
    head = f"{ID}identifier/"
    if not node.startswith(head):
        return None
    scheme, _, value = node[len(head):].partition("/")
    return (scheme.upper(), unquote(value)) if value else None


def entity(kind: str, key: str) -> URIRef:
    """A reference entity: drug, target, cell, org, source, approval, mechanism."""
    return URIRef(f"{ID}{kind}/{_safe(key)}")


def mention(role: str, text: str) -> URIRef:
    """An unlinked mention: one node per role and normalised wording, shared by documents."""
    return URIRef(f"{ID}mention/{role}/{slug(text)}")


def part(parent: str, kind: str, *keys: object) -> URIRef:
    """A node that belongs to one record: arm, intervention, criterion, outcome, evidence."""
    return URIRef(f"{parent}/{kind}/" + "/".join(_safe(str(k)) for k in keys))


def digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


def curie_iri(curie: str) -> URIRef | None:
    """IRI of a CURIE whose prefix has a known base; None otherwise."""
    prefix, _, local = curie.partition(":")
    base = CURIE_BASES.get(prefix.upper())
    return URIRef(base + local) if base and local else None


def meddra(code: str) -> URIRef:
    return URIRef(CURIE_BASES["MEDDRA"] + code)


def drug(drug_id: str) -> URIRef:
    return entity("drug", drug_id)


def condition(curie_or_id: str) -> URIRef:
    """MONDO CURIE -> its OBO IRI; a local condition id -> a TrialKG IRI."""
    return curie_iri(curie_or_id) or entity("condition", curie_or_id)


def org(org_id: str) -> URIRef:
    return entity("org", org_id)
