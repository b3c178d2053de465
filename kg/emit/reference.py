"""Reference tables -> RDF triples for the reference named graph.

Every entity carries ``dcterms:source`` with the sources of its row. MONDO
classes become OWL classes under ``tkg:Condition`` so that
``rdfs:subClassOf*`` rolls conditions up the disease hierarchy.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD, Namespace

from kg import iri
from kg.namespace import TKG
from kg.refdata import Approval, Condition, Drug, Indication, Mechanism, MondoClass, Reference, TargetFamily

OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")
SCHEMA = Namespace("http://schema.org/")

DRUG_KIND_CLASS = {
    "SMALL_MOLECULE": TKG.SmallMoleculeDrug,
    "MONOCLONAL_ANTIBODY": TKG.MonoclonalAntibody,
    "PROTEIN": TKG.ProteinDrug,
    "CELL_THERAPY": TKG.CellTherapy,
    "DRUG_CLASS": TKG.DrugClass,
    "OTHER": TKG.Drug,
}
# Action-type codes (skos:notation of the tkg:ActionType individuals) -> terms: TrialKG's own (CELL_DEPLETION,
# IMMUNOMODULATOR) and each DrugCentral action type as DrugCentral states it; the ontology groups the narrow
# ones under the broad ones with skos:broader (OPENER -> MODULATOR, INVERSE_AGONIST -> ANTAGONIST).
ACTION_TYPES = {
    "INHIBITOR": TKG.ActionInhibitor, "ANTAGONIST": TKG.ActionAntagonist,
    "AGONIST": TKG.ActionAgonist, "PARTIAL_AGONIST": TKG.ActionPartialAgonist,
    "BLOCKER": TKG.ActionBlocker, "MODULATOR": TKG.ActionModulator,
    "ALLOSTERIC_MODULATOR": TKG.ActionAllostericModulator,
    "ANTIBODY_BINDING": TKG.ActionAntibodyBinding, "CELL_DEPLETION": TKG.ActionCellDepletion,
    "IMMUNOMODULATOR": TKG.ActionImmunomodulator, "OTHER": TKG.ActionOther,
    "GATING_INHIBITOR": TKG.ActionGatingInhibitor, "INVERSE_AGONIST": TKG.ActionInverseAgonist,
    "POSITIVE_MODULATOR": TKG.ActionPositiveModulator, "NEGATIVE_MODULATOR": TKG.ActionNegativeModulator,
    "OPENER": TKG.ActionOpener, "ACTIVATOR": TKG.ActionActivator,
    "POSITIVE_ALLOSTERIC_MODULATOR": TKG.ActionPositiveAllostericModulator,
    "NEGATIVE_ALLOSTERIC_MODULATOR": TKG.ActionNegativeAllostericModulator,
    "ALLOSTERIC_ANTAGONIST": TKG.ActionAllostericAntagonist,
    "RELEASING_AGENT": TKG.ActionReleasingAgent, "SUBSTRATE": TKG.ActionSubstrate,
}
# families.tsv kind -> class; typed tkg:Target as well, so that queries over targets need no reasoner.
FAMILY_CLASS = {"FAMILY": TKG.TargetFamily, "COMPLEX": TKG.ProteinComplex}
MEDDRA_LEVELS = {"SOC": TKG.MedDRA_SOC, "HLGT": TKG.MedDRA_HLGT, "HLT": TKG.MedDRA_HLT,
                 "PT": TKG.MedDRA_PT, "LLT": TKG.MedDRA_LLT}


drug_iri, condition_iri, org_iri = iri.drug, iri.condition, iri.org


def _sources(g: Graph, node: URIRef, keys: tuple[str, ...]) -> None:
    for key in keys:
        g.add((node, DCTERMS.source, iri.entity("source", key)))


def _names(g: Graph, node: URIRef, label: str, synonyms=(), fr=(), abbrevs=(), brands=()) -> None:
    g.add((node, RDFS.label, Literal(label, lang="en")))
    for s in synonyms:
        g.add((node, SKOS.altLabel, Literal(s, lang="en")))
    for s in fr:
        g.add((node, SKOS.altLabel, Literal(s, lang="fr")))
    for s in abbrevs:
        g.add((node, TKG.abbreviation, Literal(s)))
    for s in brands:
        g.add((node, TKG.brandName, Literal(s)))


def _drug(g: Graph, d: Drug) -> None:
    node = drug_iri(d.id)
    g.add((node, RDF.type, DRUG_KIND_CLASS.get(d.kind, TKG.Drug)))
    _names(g, node, d.label, d.synonyms, d.labels_fr, d.abbreviations, d.brand_names)
    for x in d.xrefs:
        g.add((node, OBOINOWL.hasDbXref, Literal(x)))
    if "approved-in-japan" in d.flags:
        g.add((node, TKG.approvedInJapan, Literal(True)))
    if d.parent_class:
        # A drug class inside a broader class is not a member drug: DrugClass and
        # Drug are disjoint (HermiT reports the ontology inconsistent otherwise).
        link = SKOS.broader if d.kind == "DRUG_CLASS" else TKG.memberOfClass
        g.add((node, link, drug_iri(d.parent_class)))
    _sources(g, node, d.source)


def mechanism_iri(m: Mechanism) -> URIRef:
    return iri.entity("mechanism", f"{m.drug}-{m.action_type.lower()}-{m.target or 'none'}")


def _mechanism(g: Graph, m: Mechanism) -> None:
    node, drug = mechanism_iri(m), drug_iri(m.drug)
    g.add((node, RDF.type, TKG.MechanismOfAction))
    g.add((node, RDFS.label, Literal(m.description or m.action_type.lower(), lang="en")))
    g.add((node, TKG.actionType, ACTION_TYPES.get(m.action_type, TKG.ActionOther)))
    g.add((drug, TKG.hasMechanism, node))
    if m.target:
        target = iri.entity("target", m.target)
        g.add((node, TKG.hasTarget, target))
        g.add((drug, TKG.targets, target))
    for cell in m.affected_cells:
        g.add((node, TKG.affectsCellType, iri.entity("cell", cell)))
    _sources(g, node, m.source)


def _target_family(g: Graph, f: TargetFamily) -> None:
    """A family or complex target: one node the mechanism points to, its genes' targets as members."""
    node = iri.entity("target", f.id)
    g.add((node, RDF.type, TKG.Target))
    g.add((node, RDF.type, FAMILY_CLASS.get(f.kind, TKG.TargetFamily)))
    g.add((node, RDFS.label, Literal(f.label, lang="en")))
    for member in f.members:
        g.add((node, TKG.hasMemberTarget, iri.entity("target", member)))
    _sources(g, node, f.source)


def approval_iri(a: Approval) -> URIRef:
    """One node per decision: a dated approval listing several indications (an EPAR naming several
    diseases) is one approval with several tkg:approvedIndication; an undated one is told apart by its
    indication."""
    when = a.date or f"before-{a.approved_before}"
    return iri.entity("approval", f"{a.drug}-{a.agency.lower()}-{when}" if when != "before-" and a.date
                      else f"{a.drug}-{a.agency.lower()}-{a.indication}-{when}")


def _approval(g: Graph, a: Approval) -> None:
    """A regulatory approval; first-approval rows of bulk data name no indication."""
    node, drug = approval_iri(a), drug_iri(a.drug)
    what = f"for {a.indication_text or a.indication}" if a.indication else "(first marketing approval)"
    g.add((node, RDF.type, TKG.Approval))
    g.add((node, RDFS.label, Literal(f"{a.agency} approval of {a.drug} {what}", lang="en")))
    g.add((drug, TKG.hasApproval, node))
    if a.indication:
        cond = condition_iri(a.indication)
        g.add((drug, TKG.approvedFor, cond))
        g.add((node, TKG.approvedIndication, cond))
    g.add((node, TKG.approvingAgency, org_iri(a.agency.lower())))
    if a.date:
        g.add((node, TKG.approvalDate, Literal(a.date)))
        g.add((node, TKG.approvalYear, Literal(int(a.date[:4]), datatype=XSD.integer)))
    elif a.approved_before:
        g.add((node, TKG.approvedBefore, Literal(a.approved_before)))
    if a.indication_text:
        g.add((node, TKG.indicationText, Literal(a.indication_text)))
    _sources(g, node, a.source)


def _indication(g: Graph, i: Indication) -> None:
    """A labelled indication (FDA label, via DrugCentral): an approval for that indication, without a date."""
    node, drug, cond = iri.entity("approval", f"{i.drug}-fda-label-{i.indication}"), drug_iri(i.drug), condition_iri(i.indication)
    g.add((node, RDF.type, TKG.Approval))
    g.add((node, RDF.type, TKG.LabelledIndication))
    g.add((node, RDFS.label, Literal(f"FDA-labelled indication of {i.drug}: {i.indication_text or i.indication}", lang="en")))
    g.add((drug, TKG.hasApproval, node))
    g.add((drug, TKG.approvedFor, cond))
    g.add((node, TKG.approvedIndication, cond))
    g.add((node, TKG.approvingAgency, org_iri("fda")))
    if i.indication_text:
        g.add((node, TKG.indicationText, Literal(i.indication_text)))
    _sources(g, node, i.source)


def _meddra(g: Graph, cond: URIRef, code: str, level: str, source: tuple[str, ...]) -> None:
    term = iri.meddra(code)
    g.add((term, RDF.type, TKG.MedDRATerm))
    g.add((term, TKG.meddraCode, Literal(code)))
    g.add((cond, TKG.hasMedDRATerm, term))
    if level in MEDDRA_LEVELS:
        g.add((term, TKG.meddraLevel, MEDDRA_LEVELS[level]))
    _sources(g, term, source)


def _mondo(g: Graph, c: MondoClass, known: set[str]) -> None:
    node = condition_iri(c.id)
    g.add((node, RDF.type, OWL.Class))
    g.add((node, RDFS.label, Literal(c.label, lang="en")))
    parents = [p for p in c.parents if p in known]
    for p in parents:
        g.add((node, RDFS.subClassOf, condition_iri(p)))
    if not parents:
        g.add((node, RDFS.subClassOf, TKG.Condition))
    for b in c.basis_in:
        g.add((node, TKG.hasBasisIn, condition_iri(b)))
    for x in c.xrefs:
        g.add((node, OBOINOWL.hasDbXref, Literal(x)))
    for code in c.meddra_close:
        g.add((node, SKOS.closeMatch, iri.meddra(code)))
    for name in c.synonyms:
        g.add((node, OBOINOWL.hasExactSynonym, Literal(name, lang="en")))
    _sources(g, node, c.source)


def _condition(g: Graph, c: Condition) -> None:
    node = condition_iri(c.mondo or c.id)
    if not c.mondo:
        g.add((node, RDF.type, OWL.Class))
        g.add((node, RDFS.label, Literal(c.label, lang="en")))
        if not c.parents:
            g.add((node, RDFS.subClassOf, TKG.Condition))
    _names(g, node, c.label, c.synonyms, c.labels_fr, c.abbreviations)
    for p in c.parents:
        g.add((node, RDFS.subClassOf, condition_iri(p)))
    for code in c.meddra:
        _meddra(g, node, code, c.meddra_level if len(c.meddra) == 1 else "", c.source)
    _sources(g, node, c.source)


def _other_entities(g: Graph, ref: Reference) -> None:
    for t in ref.targets:
        node = iri.entity("target", t.symbol)
        g.add((node, RDF.type, TKG.Target))
        g.add((node, RDFS.label, Literal(t.label or t.symbol, lang="en")))
        g.add((node, TKG.geneSymbol, Literal(t.symbol)))
        for x in (t.hgnc, f"UniProtKB:{t.uniprot}" if t.uniprot else "", f"NCBIGene:{t.ncbigene}" if t.ncbigene else ""):
            if x:
                g.add((node, OBOINOWL.hasDbXref, Literal(x)))
        _sources(g, node, t.source)
    for f in ref.target_families:
        _target_family(g, f)
    for c in ref.cell_types:
        node = iri.entity("cell", c.id)
        g.add((node, RDF.type, TKG.CellType))
        g.add((node, RDFS.label, Literal(c.label, lang="en")))
        cl = iri.curie_iri(c.cl) if c.cl else None
        if cl is not None:
            g.add((node, SKOS.exactMatch, cl))
        _sources(g, node, c.source)
    for o in ref.organizations:
        node = org_iri(o.id)
        g.add((node, RDF.type, TKG.Organization))
        _names(g, node, o.label, o.aliases)
        if o.country:
            g.add((node, SCHEMA.addressCountry, Literal(o.country)))
        if o.ror:
            g.add((node, SKOS.exactMatch, URIRef(o.ror if o.ror.startswith("http") else f"https://ror.org/{o.ror}")))
        _sources(g, node, o.source)
    for s in ref.sources:
        node = iri.entity("source", s.key)
        g.add((node, DCTERMS.title, Literal(s.title)))
        if s.url:
            g.add((node, SCHEMA.url, Literal(s.url, datatype=XSD.anyURI)))
        if s.licence:
            g.add((node, DCTERMS.license, Literal(s.licence)))
        if s.version:
            g.add((node, OWL.versionInfo, Literal(s.version)))
        if s.kind:
            g.add((node, TKG.sourceKind, Literal(s.kind)))


def reference_graph(ref: Reference) -> Graph:
    """The reference knowledge as one rdflib graph (triples, no graph name)."""
    g = Graph()
    known = {c.id for c in ref.mondo}
    for d in ref.drugs:
        _drug(g, d)
    for m in ref.mechanisms:
        _mechanism(g, m)
    for a in ref.approvals:
        _approval(g, a)
    for ind in ref.indications:
        _indication(g, ind)
    for mc in ref.mondo:
        _mondo(g, mc, known)
    for c in ref.conditions:
        _condition(g, c)
    _other_entities(g, ref)
    return g
