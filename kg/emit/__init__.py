"""Records -> RDF, following ``ontology/trialkg.ttl``. The only code that knows the ontology.

:func:`emit_record` turns one :class:`~kg.model.StudyRecord` and its links into
the triples of its document's named graph. Each statement extracted from the
text gets an evidence node (``tkg:Evidence``, a reified ``rdf:Statement``)
naming the record and the lines and characters it came from
(docs/decisions/0001-provenance-evidence-nodes.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from kg import __version__, iri
from kg.emit.reference import SCHEMA
from kg.model import Span, StudyRecord
from kg.namespace import TKG
from kg.normalize import Link, norm

Triple = tuple[URIRef | BNode, URIRef, URIRef | Literal | BNode]

SCHEME_CLASS = {
    "NCT": TKG.NCTNumber, "EU_CT": TKG.EUCTNumber, "EUDRACT": TKG.EudraCTNumber,
    "WHO_ICTRP": TKG.WHOTrialId, "SPONSOR": TKG.SponsorProtocolCode, "OTHER": TKG.OtherIdentifier,
}
# Which identifier names a study or a record, best first.
SCHEME_PREFERENCE = ("NCT", "EU_CT", "EUDRACT", "WHO_ICTRP")
STUDY_TYPE_CLASS = {
    "INTERVENTIONAL": TKG.InterventionalTrial, "OBSERVATIONAL": TKG.ObservationalStudy,
    "EXPANDED_ACCESS": TKG.ExpandedAccessProgram, "CASE_COLLECTION": TKG.RetrospectiveCaseCollection,
}
PHASE = {"EARLY_PHASE1": TKG.EarlyPhase1, "PHASE1": TKG.Phase1, "PHASE2": TKG.Phase2,
         "PHASE3": TKG.Phase3, "PHASE4": TKG.Phase4, "NA": TKG.PhaseNotApplicable}
ARM_ROLE = {"EXPERIMENTAL": TKG.ExperimentalArm, "ACTIVE_COMPARATOR": TKG.ActiveComparatorArm,
            "PLACEBO_COMPARATOR": TKG.PlaceboComparatorArm, "SHAM_COMPARATOR": TKG.ShamComparatorArm,
            "NO_INTERVENTION": TKG.NoInterventionArm, "OTHER": TKG.OtherArm}
REGISTRY = {"veeva": TKG.RegistryVeeva, "clinconnect": TKG.RegistryClinConnect,
            "ctgov_v2": TKG.RegistryClinicalTrialsGov, "ictrp": TKG.RegistryWHOICTRP,
            "letter": TKG.RegistryLetter}
MENTION_CLASS = {"drug": TKG.Drug, "drug_class": TKG.DrugClass, "condition": TKG.Condition,
                 "organization": TKG.Organization, "placebo": TKG.Placebo}
MEDDRA_LEVEL = {"SOC": TKG.MedDRA_SOC, "HLGT": TKG.MedDRA_HLGT, "HLT": TKG.MedDRA_HLT,
                "PT": TKG.MedDRA_PT, "LLT": TKG.MedDRA_LLT}
DATE_PROPERTY = {"registration": TKG.registrationDate, "start": TKG.startDate,
                 "first_enrolment": TKG.startDate, "completion": TKG.completionDate}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class Document:
    """Where a record came from."""

    file_name: str
    sha256: str
    fmt: str
    index: int = 0  # the record's position in a multi-study document


def record_key(rec: StudyRecord, doc: Document) -> str:
    """The key of a record's IRI and graph: its best registry id, else the document hash."""
    for scheme in SCHEME_PREFERENCE:
        for ident in rec.registry_ids:
            if ident.scheme == scheme:
                return ident.value
    return doc.sha256[:16] + (f"-{doc.index}" if doc.index else "")


def study_key(rec: StudyRecord) -> tuple[str, str] | None:
    for scheme in SCHEME_PREFERENCE:
        for ident in rec.registry_ids:
            if ident.scheme == scheme:
                return scheme, ident.value
    return None


def record_graph(rec: StudyRecord, doc: Document) -> URIRef:
    return iri.record_graph(doc.fmt, record_key(rec, doc))


@dataclass
class _Out:
    rec: StudyRecord
    rec_iri: URIRef
    lang: str | None
    triples: list[Triple] = field(default_factory=list)

    def add(self, s, p, o, path: str | None = None) -> None:
        self.triples.append((s, p, o))
        if path is not None:
            self._evidence(s, p, o, path)

    def text(self, value: str) -> Literal:
        return Literal(_EMAIL.sub("[e-mail removed]", value), lang=self.lang)

    def _evidence(self, s, p, o, path: str) -> None:
        span = _span(self.rec.spans, path)
        ev = iri.part(self.rec_iri, "evidence", iri.digest(s, p, o, path))
        self.triples += [(ev, RDF.type, TKG.Evidence), (ev, RDF.subject, s), (ev, RDF.predicate, p),
                         (ev, RDF.object, o), (ev, TKG.evidenceFor, self.rec_iri),
                         (ev, TKG.fieldPath, Literal(path))]
        if span is None:
            return
        for prop, value in ((TKG.lineStart, span.line_start), (TKG.lineEnd, span.line_end),
                            (TKG.charStart, span.start), (TKG.charEnd, span.end)):
            if value:
                self.triples.append((ev, prop, Literal(value, datatype=XSD.integer)))
        if span.pointer:
            self.triples.append((ev, TKG.jsonPointer, Literal(span.pointer)))


def _span(spans: dict[str, Span], path: str) -> Span | None:
    """The span of a path, or of the nearest enclosing path that has one."""
    while path:
        if path in spans:
            return spans[path]
        path = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path) if re.search(r"(\.[^.\[]+|\[\d+\])$", path) else ""
    return None


def _entity(out: _Out, link: Link) -> URIRef:
    """The linked entity, or a new unlinked-mention node typed by its role."""
    if link.entity is not None:
        return link.entity
    node = iri.mention(link.kind, link.text)
    out.add(node, RDF.type, MENTION_CLASS.get(link.kind, TKG.Drug))
    if link.kind != "placebo":
        out.add(node, RDF.type, TKG.UnlinkedMention)
    out.add(node, RDFS.label, out.text(link.text))
    out.add(node, TKG.mentionText, Literal(link.text))
    return node


def _record(out: _Out, doc: Document, study: URIRef, graph: URIRef) -> None:
    r, rec = out.rec_iri, out.rec
    out.add(graph, PROV.wasDerivedFrom, r)
    out.add(r, RDF.type, TKG.RegistryRecord)
    out.add(r, TKG.describesStudy, study)
    out.add(r, TKG.fileName, Literal(doc.file_name))
    out.add(r, TKG.sha256, Literal(doc.sha256))
    out.add(r, TKG.sourceFormat, Literal(doc.fmt))
    out.add(r, TKG.readerVersion, Literal(__version__))
    out.add(r, TKG.publishedBy, REGISTRY[doc.fmt])
    if rec.language:
        out.add(r, DCTERMS.language, Literal(rec.language))
    if rec.source_url:
        out.add(r, SCHEMA.url, Literal(rec.source_url, datatype=XSD.anyURI), "source_url")
    if rec.document_kind:
        out.add(r, TKG.documentKind, Literal(rec.document_kind))


def _study(out: _Out, study: URIRef) -> None:
    rec = out.rec
    out.add(study, RDF.type, STUDY_TYPE_CLASS.get(rec.study_type or "", TKG.Study))
    if rec.title:
        out.add(study, RDFS.label, out.text(rec.title), "title")
    if rec.scientific_title:
        out.add(study, TKG.scientificTitle, out.text(rec.scientific_title), "scientific_title")
    if rec.acronym:
        out.add(study, TKG.acronym, Literal(rec.acronym), "acronym")
    if rec.summary:
        out.add(study, DCTERMS.description, out.text(rec.summary))
    for i, ident in enumerate(rec.registry_ids):
        node = iri.identifier(ident.scheme, ident.value)
        out.add(study, TKG.hasIdentifier, node, f"registry_ids[{i}]")
        out.add(node, RDF.type, SCHEME_CLASS.get(ident.scheme, TKG.OtherIdentifier))
        out.add(node, TKG.identifierValue, Literal(ident.value))
        out.add(node, RDFS.label, Literal(ident.value))
    for i, phase in enumerate(rec.phases):
        out.add(study, TKG.hasPhase, PHASE[phase], f"phases[{i}]")
    if rec.status:
        out.add(study, TKG.hasStatus, _status_iri(rec.status), "status")
    for i, kw in enumerate(rec.keywords):
        out.add(study, TKG.keyword, out.text(kw), f"keywords[{i}]")
    for i, country in enumerate(rec.countries):
        out.add(study, TKG.country, Literal(country), f"countries[{i}]")
    for d in rec.dates:
        if d.kind in DATE_PROPERTY:
            out.add(study, DATE_PROPERTY[d.kind], Literal(d.value))
    _design(out, study)


def _status_iri(status: str) -> URIRef:
    return TKG["Status" + "".join(w.capitalize() for w in status.split("_"))]


def _design(out: _Out, study: URIRef) -> None:
    rec, e = out.rec, out.rec.eligibility
    for prop, value, path in ((TKG.allocation, rec.allocation, "allocation"),
                              (TKG.masking, rec.masking, "masking"),
                              (TKG.interventionModel, rec.intervention_model, "intervention_model"),
                              (TKG.primaryPurpose, rec.primary_purpose, "primary_purpose"),
                              (TKG.minimumAge, e.min_age, "eligibility.min_age"),
                              (TKG.maximumAge, e.max_age, "eligibility.max_age"),
                              (TKG.sex, e.sex, "eligibility.sex")):
        if value:
            out.add(study, prop, Literal(value), path)
    if e.healthy_volunteers is not None:
        out.add(study, TKG.healthyVolunteers, Literal(e.healthy_volunteers))
    for ft in rec.funder_types:
        out.add(study, TKG.funderType, Literal(ft), "funder_types")
    if rec.enrollment:
        if rec.enrollment.count is not None:
            out.add(study, TKG.enrollment, Literal(rec.enrollment.count, datatype=XSD.integer), "enrollment")
        if rec.enrollment.kind:
            out.add(study, TKG.enrollmentType, Literal(rec.enrollment.kind))
        if rec.enrollment.raw and rec.enrollment.count is None:
            out.add(study, TKG.enrollmentText, Literal(rec.enrollment.raw), "enrollment")


def _interventions(out: _Out, study: URIRef, links: list[Link]) -> dict[str, set[URIRef]]:
    """Intervention nodes; returns intervention name (normalised) -> the entities it administers."""
    by_path: dict[str, list[Link]] = {}
    for lk in links:
        if lk.role == "intervention":
            by_path.setdefault(lk.path, []).append(lk)
    administered: dict[str, set[URIRef]] = {}
    for i, iv in enumerate(out.rec.interventions):
        node = iri.part(out.rec_iri, "intervention", i + 1)
        path = f"interventions[{i}].name"
        out.add(study, TKG.hasIntervention, node, path)
        out.add(node, RDF.type, TKG.Intervention)
        out.add(node, RDFS.label, out.text(iv.name))
        out.add(node, TKG.position, Literal(i + 1, datatype=XSD.integer))
        if iv.type:
            out.add(node, TKG.interventionType, Literal(iv.type))
        for link in by_path.get(path, []):
            if link.kind in ("drug", "placebo", "drug_class") and _is_product(iv.type, link):
                agent = _entity(out, link)
                out.add(node, TKG.administers, agent, path)
                administered.setdefault(norm(iv.name), set()).add(agent)
                if link.kind == "placebo":
                    out.add(study, TKG.usesPlacebo, agent, path)
    return administered


# Intervention types that administer a product (ClinicalTrials.gov InterventionType
# values and the wording of page sites); others (procedures, behaviour) do not.
PRODUCT_TYPES = {"drug", "biological", "genetic", "combination product", "dietary supplement",
                 "radiation", "product", "other"}


def _is_product(itype: str | None, link: Link) -> bool:
    if link.entity is not None or link.kind == "placebo":
        return True
    return (itype or "drug").strip().lower() in PRODUCT_TYPES - {"other"}


def _arms(out: _Out, study: URIRef, administered: dict[str, set[URIRef]]) -> tuple[set, set]:
    """Arm nodes; returns (drugs of experimental arms, drugs of active-comparator arms)."""
    tested, comparators = set(), set()
    for i, arm in enumerate(out.rec.arms):
        node = iri.part(out.rec_iri, "arm", i + 1)
        out.add(study, TKG.hasArm, node, f"arms[{i}].label")
        out.add(node, RDF.type, TKG.Arm)
        out.add(node, RDFS.label, out.text(arm.label))
        out.add(node, TKG.position, Literal(i + 1, datatype=XSD.integer))
        out.add(node, TKG.armRole, ARM_ROLE.get(arm.role or "OTHER", TKG.OtherArm), f"arms[{i}].role")
        if arm.description:
            out.add(node, DCTERMS.description, out.text(arm.description))
        for name in arm.interventions:
            key = norm(re.sub(r"^[\w ]+:\s*", "", name))
            for j, iv in enumerate(out.rec.interventions):
                if norm(iv.name) in (key, norm(name)):
                    out.add(node, TKG.armIntervention, iri.part(out.rec_iri, "intervention", j + 1))
                    agents = administered.get(norm(iv.name), set())
                    if arm.role == "EXPERIMENTAL":
                        tested |= agents
                    elif arm.role == "ACTIVE_COMPARATOR":
                        comparators |= agents
    return tested, comparators


def _drug_roles(out: _Out, study: URIRef, links: list[Link], administered: dict[str, set[URIRef]]) -> set:
    tested, comparators = _arms(out, study, administered)
    drugs = {lk.entity or iri.mention(lk.kind, lk.text): lk for lk in links
             if lk.role == "intervention" and lk.kind in ("drug", "drug_class")}
    if not tested:  # no arm says which drugs are experimental: all but comparators are
        tested = {d for agents in administered.values() for d in agents if d in drugs} - comparators
    for lk in links:
        if lk.role == "title_drug":
            tested.add(_entity(out, lk))
        elif lk.role == "title_comparator":
            comparators.add(_entity(out, lk))
    for d in sorted(tested):
        out.add(study, TKG.testsDrug, d, drugs[d].path if d in drugs else "title")
    for d in sorted(comparators - tested):
        out.add(study, TKG.comparatorDrug, d, drugs[d].path if d in drugs else "title")
    return tested


def _conditions(out: _Out, study: URIRef, links: list[Link], tested: set) -> None:
    conditions = []
    for lk in links:
        if lk.role in ("condition", "title_condition"):
            node = _entity(out, lk)
            out.add(study, TKG.studiesCondition, node, lk.path)
            conditions.append(node)
    for drug in sorted(tested):
        for cond in conditions:
            out.add(drug, TKG.investigatedFor, cond)
    for i, m in enumerate(out.rec.meddra):
        term = iri.meddra(m.code)
        out.add(study, TKG.hasMedDRATerm, term, f"meddra[{i}]")
        out.add(term, RDF.type, TKG.MedDRATerm)
        out.add(term, TKG.meddraCode, Literal(m.code))
        if m.term:
            out.add(term, RDFS.label, Literal(m.term, lang=out.lang), f"meddra[{i}]")
        if m.version:
            out.add(term, TKG.meddraVersion, Literal(m.version), f"meddra[{i}]")
        if m.level in MEDDRA_LEVEL:
            out.add(term, TKG.meddraLevel, MEDDRA_LEVEL[m.level], f"meddra[{i}]")
        if m.soc_code:
            soc = iri.meddra(m.soc_code)
            out.add(term, TKG.systemOrganClass, soc, f"meddra[{i}]")
            out.add(soc, RDF.type, TKG.MedDRATerm)
            out.add(soc, TKG.meddraCode, Literal(m.soc_code))
            out.add(soc, TKG.meddraLevel, TKG.MedDRA_SOC)
            if m.soc_name:
                out.add(soc, RDFS.label, Literal(m.soc_name, lang=out.lang))
    for lk in links:
        if lk.role == "meddra_condition" and lk.entity is not None:
            i = int(lk.path[len("meddra["):-1])
            out.add(lk.entity, TKG.hasMedDRATerm, iri.meddra(out.rec.meddra[i].code), lk.path)


CRITERION_ROLE = {"prior_treatment_excluded": TKG.excludesPriorTreatment,
                  "prior_treatment_required": TKG.requiresPriorTreatment}


def _criteria(out: _Out, study: URIRef, links: list[Link]) -> None:
    by_path: dict[str, list[Link]] = {}
    for lk in links:
        if lk.path.startswith("eligibility."):
            by_path.setdefault(lk.path, []).append(lk)
    for kind, cls in (("inclusion", TKG.InclusionCriterion), ("exclusion", TKG.ExclusionCriterion)):
        for i, text in enumerate(getattr(out.rec.eligibility, kind)):
            path = f"eligibility.{kind}[{i}]"
            node = iri.part(out.rec_iri, "criterion", kind, i + 1)
            out.add(study, TKG.hasEligibilityCriterion, node, path)
            out.add(node, RDF.type, cls)
            out.add(node, TKG.criterionText, out.text(text))
            out.add(node, TKG.position, Literal(i + 1, datatype=XSD.integer))
            for lk in by_path.get(path, []):
                assert lk.entity is not None
                prop = TKG.mentionsCondition if lk.kind == "condition" else TKG.mentionsDrug
                out.add(node, prop, lk.entity, path)
                if lk.role in CRITERION_ROLE:
                    out.add(study, CRITERION_ROLE[lk.role], lk.entity, path)


def _outcomes(out: _Out, study: URIRef) -> None:
    for i, o in enumerate(out.rec.outcomes):
        node = iri.part(out.rec_iri, "outcome", i + 1)
        out.add(study, TKG.hasOutcome, node, f"outcomes[{i}]")
        out.add(node, RDF.type, TKG.PrimaryOutcome if o.kind == "PRIMARY" else TKG.SecondaryOutcome)
        out.add(node, RDFS.label, out.text(o.measure))
        out.add(node, TKG.position, Literal(i + 1, datatype=XSD.integer))
        if o.time_frame:
            out.add(node, TKG.timeFrame, out.text(o.time_frame))
        if o.description:
            out.add(node, DCTERMS.description, out.text(o.description))


ORG_ROLE = {"sponsor": TKG.sponsor, "collaborator": TKG.collaborator,
            "funder": TKG.funder, "responsible": TKG.responsibleInstitution}


def _organizations(out: _Out, study: URIRef, links: list[Link]) -> None:
    for lk in links:
        if lk.kind == "organization" and lk.role in ORG_ROLE:
            out.add(study, ORG_ROLE[lk.role], _entity(out, lk), lk.path)
    for org in out.rec.organizations:
        if org.department and org.role == "RESPONSIBLE":
            out.add(study, DCTERMS.contributor, out.text(org.department))


def publication_iri(out: _Out, i: int) -> URIRef:
    ref = out.rec.references[i]
    if ref.doi:
        return iri.entity("publication", "doi/" + ref.doi.lower())
    if ref.pmid:
        return iri.entity("publication", "pmid/" + ref.pmid)
    return iri.part(out.rec_iri, "reference", ref.number or i + 1)


def _publications(out: _Out, study: URIRef, links: list[Link]) -> None:
    for i, ref in enumerate(out.rec.references):
        node, path = publication_iri(out, i), f"references[{i}]"
        out.add(study, TKG.citesPublication, node, path)
        out.add(node, RDF.type, TKG.Publication)
        out.add(node, TKG.citationText, Literal(ref.raw))
        out.add(node, TKG.position, Literal(ref.number or i + 1, datatype=XSD.integer))
        if ref.title:
            out.add(node, DCTERMS.title, Literal(ref.title, lang="en" if ref.title.isascii() else None))
        for prop, value in ((TKG.authors, "; ".join(ref.authors)), (TKG.journal, ref.journal),
                            (TKG.volume, ref.volume), (TKG.issue, ref.issue), (TKG.pages, ref.pages),
                            (TKG.doi, ref.doi), (TKG.pmid, ref.pmid)):
            if value:
                out.add(node, prop, Literal(value))
        if ref.year:
            out.add(node, TKG.publicationYear, Literal(ref.year, datatype=XSD.integer))
        mine = [lk for lk in links if lk.path == path and lk.entity is not None]
        drugs = [lk.entity for lk in mine if lk.role == "reference_drug" and lk.kind == "drug"]
        conds = [lk.entity for lk in mine if lk.role == "reference_condition"]
        for d in drugs:
            out.add(node, TKG.reportsDrug, d, path)
        for c in conds:
            out.add(node, TKG.reportsCondition, c, path)
            for d in drugs:
                out.add(d, TKG.reportedUseFor, c, path)


def emit_record(rec: StudyRecord, links: tuple[Link, ...], doc: Document,
                study: URIRef | None = None) -> tuple[URIRef, list[Triple]]:
    """The named graph IRI and the triples of one record.

    ``study`` is the study IRI the build chose (records sharing an identifier
    share it); by default it is minted from the record's best identifier.
    """
    key = study_key(rec)
    study = study or (iri.study(*key) if key else iri.study_from_hash(doc.sha256))
    graph = record_graph(rec, doc)
    out = _Out(rec, iri.record(doc.fmt, record_key(rec, doc)), rec.language)
    lk = list(links)
    _record(out, doc, study, graph)
    _study(out, study)
    administered = _interventions(out, study, lk)
    tested = _drug_roles(out, study, lk, administered)
    _conditions(out, study, lk, tested)
    _criteria(out, study, lk)
    _outcomes(out, study)
    _organizations(out, study, lk)
    _publications(out, study, lk)
    return graph, sorted(set(out.triples))
