"""What a view shows and how: node styles by kind, hidden predicates, limits, the view records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from kg import iri
from kg.namespace import TKG


MAX_NODES = 500
# Enough for 500 nodes to settle in a few seconds; physics is switched off afterwards.
STABILISATION_ITERATIONS = 250
LABEL_LENGTH = 28
TOOLTIP_LENGTH = 600


@dataclass(frozen=True)
class Style:
    """How one kind of node is drawn and named in the legend."""

    colour: str
    shape: str
    legend: str
    size: int = 16
    font: int = 12


# Kind of node -> look. The order is the priority when a node has several types:
# an unlinked mention is also typed by its role, and must read as a mention.
STYLES: dict[str, Style] = {
    "UnlinkedMention": Style("#f1f3f4", "dot", "unlinked mention (not in reference data)", 14, 16),
    "Study": Style("#d62728", "star", "study", 30, 30),
    "Drug": Style("#1f77b4", "dot", "drug", 16, 20),
    "Target": Style("#2ca02c", "triangle", "target", 16, 18),
    "MechanismOfAction": Style("#9acd32", "triangleDown", "mechanism of action", 13, 14),
    "Condition": Style("#ff7f0e", "diamond", "condition", 16, 18),
    "Approval": Style("#e6b800", "square", "regulatory approval", 12, 11),
    "Organization": Style("#9467bd", "hexagon", "organization", 16, 16),
    "Publication": Style("#8c564b", "square", "publication", 13, 15),
    "RegistryRecord": Style("#17becf", "square", "registry record", 13, 14),
    "Arm": Style("#aec7e8", "triangle", "arm", 12),
    "Intervention": Style("#ffbb78", "triangleDown", "intervention", 12),
    "EligibilityCriterion": Style("#e377c2", "dot", "eligibility criterion", 8, 10),
    "Outcome": Style("#98df8a", "dot", "outcome", 8, 10),
    "MedDRATerm": Style("#c5b0d5", "diamond", "MedDRA term", 10, 10),
    "CellType": Style("#ff9896", "triangle", "cell type", 12),
    "Other": Style("#bdbdbd", "dot", "other", 10, 11),
}
# Ontology classes whose instances (or instances of a subclass) take each kind.
KIND_CLASSES: dict[str, tuple] = {
    "UnlinkedMention": (TKG.UnlinkedMention,),
    "Study": (TKG.Study,),
    "Drug": (TKG.Drug, TKG.DrugClass, TKG.Placebo),
    "Target": (TKG.Target,),
    "MechanismOfAction": (TKG.MechanismOfAction,),
    "Condition": (TKG.Condition,),
    "Approval": (TKG.Approval,),
    "Organization": (TKG.Organization,),
    "Publication": (TKG.Publication,),
    "RegistryRecord": (TKG.RegistryRecord,),
    "Arm": (TKG.Arm,),
    "Intervention": (TKG.Intervention,),
    "EligibilityCriterion": (TKG.EligibilityCriterion,),
    "Outcome": (TKG.Outcome,),
    "MedDRATerm": (TKG.MedDRATerm,),
    "CellType": (TKG.CellType,),
}
# Legend glyph of each vis-network shape.
SHAPE_GLYPHS = {"dot": "\u25cf", "star": "\u2605", "triangle": "\u25b2", "triangleDown": "\u25bc",
                "diamond": "\u25c6", "square": "\u25a0", "hexagon": "\u2b22"}

# Edges never drawn: typing, reification and provenance plumbing, links to sources
# and cross-references (identifiers are folded into the tooltip instead).
HIDDEN_PREDICATES = frozenset(str(p) for p in (
    RDF.type, RDF.subject, RDF.predicate, RDF.object, TKG.evidenceFor, PROV.wasDerivedFrom,
    DCTERMS.source, TKG.hasIdentifier, SKOS.closeMatch, SKOS.exactMatch, OWL.sameAs))
# The disease hierarchy: hidden by default, shown on the way up in query views and paths.
HIERARCHY_PREDICATES = frozenset(str(p) for p in (RDFS.subClassOf, TKG.hasBasisIn))
# Predicates the TrialKG ontology does not label itself.
EXTRA_PREDICATE_LABELS = {str(RDFS.subClassOf): "subclass of"}
# Where a node's name comes from, best first.
LABEL_PREDICATES = tuple(str(p) for p in (
    RDFS.label, DCTERMS.title, TKG.criterionText, TKG.citationText, TKG.mentionText, TKG.identifierValue))
# Literal properties shown as identifiers in tooltips.
IDENTIFIER_PREDICATES = tuple(str(p) for p in (TKG.geneSymbol, TKG.doi, TKG.pmid, TKG.meddraCode))
# OWL's own typing, which says nothing to a reader of the graph.
UNSHOWN_TYPES = frozenset(str(t) for t in (OWL.Class, OWL.NamedIndividual))
RECORD_GRAPHS = iri.GRAPH + "record/"
HIDDEN_BY_DEFAULT = ("ontology classes and terms, evidence nodes, rdf:type edges, literals, "
                     "the MONDO hierarchy and reference entities more than one hop from a document")


class ViewTooLarge(ValueError):
    """A view with more nodes than the cap: narrow it rather than draw a hairball."""


@dataclass(frozen=True)
class ViewStats:
    """What :func:`write_view` wrote."""

    path: Path
    title: str
    nodes: int
    edges: int
    kinds: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """A graph ready to draw, with its heading."""

    title: str
    subtitle: str
    graph: nx.MultiDiGraph
