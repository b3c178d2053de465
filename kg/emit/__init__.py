"""Records -> RDF, following ``ontology/trialkg.ttl``. The only code that knows the ontology.

:func:`emit_record` turns one :class:`~kg.model.StudyRecord` and its links into
the triples of its document's named graph. Each statement extracted from the
text gets an evidence node (``tkg:Evidence``, a reified ``rdf:Statement``)
naming the record and the lines and characters it came from
(docs/decisions/0001-provenance-evidence-nodes.md).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from rdflib.namespace import DCTERMS as _DCTERMS, PROV as _PROV, RDF as _RDF, RDFS as _RDFS

from kg import __version__, iri
from kg.emit.terms import Lit, Plain, lit, nquad
from kg.model import Span, StudyRecord
from kg.namespace import TKG as _TKG
from kg.normalize import Link, norm

# The vocabularies as plain strings: emitting is the build's hot path (kg.emit.terms says why).
TKG, RDF, RDFS, DCTERMS, PROV = Plain(_TKG), Plain(_RDF), Plain(_RDFS), Plain(_DCTERMS), Plain(_PROV)
SCHEMA_URL = "http://schema.org/url"
XSD_ANYURI = "http://www.w3.org/2001/XMLSchema#anyURI"
Triple = tuple[str, str, str]  # subject and predicate IRIs; object an IRI or a Lit

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
            "ctgov_v2": TKG.RegistryClinicalTrialsGov, "ctgov_xml": TKG.RegistryClinicalTrialsGov,
            "ictrp": TKG.RegistryWHOICTRP,
            "letter": TKG.RegistryLetter}
MENTION_CLASS = {"drug": TKG.Drug, "drug_class": TKG.DrugClass, "condition": TKG.Condition,
                 "organization": TKG.Organization, "placebo": TKG.Placebo}
MEDDRA_LEVEL = {"SOC": TKG.MedDRA_SOC, "HLGT": TKG.MedDRA_HLGT, "HLT": TKG.MedDRA_HLT,
                "PT": TKG.MedDRA_PT, "LLT": TKG.MedDRA_LLT}
DATE_PROPERTY = {"registration": TKG.registrationDate, "start": TKG.startDate,
                 "first_enrolment": TKG.startDate, "completion": TKG.completionDate}
_EMAIL = re.compile(r"(?<![\w.+-])(?:[\w.+-]++@[\w-]++(?:\.[\w-]++)++)++")  # linear: see kg.sources._common


@dataclass(frozen=True)
class Document:
    """Where a record came from: the document's key (its path under the build root), bytes and format."""

    key: str
    sha256: str
    fmt: str
    index: int = 0  # the record's position in a multi-study document

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def key_digest(self) -> str:
        """Short digest of the key: records of two documents never share a graph (or IRI)."""
        return iri.digest(self.key)[:12]


def record_key(rec: StudyRecord, doc: Document) -> tuple[str, str]:
    """The keys of a record's IRI and graph: its best registry id (else the document's hash), and the document."""
    best = study_key(rec)
    head = best[1] if best else doc.sha256[:16] + (f"-{doc.index}" if doc.index else "")
    return head, doc.key_digest


# Schemes that identify one study across registries; sponsor codes may collide between sponsors.
LINKING_SCHEMES = SCHEME_PREFERENCE


def linking_ids(rec: StudyRecord) -> tuple[tuple[str, str], ...]:
    """The record's identifiers that name a study in any registry, best first."""
    found = {(i.scheme, i.value) for i in rec.registry_ids if i.scheme in LINKING_SCHEMES}
    return tuple(sorted(found, key=id_rank))


def id_rank(ident: tuple[str, str]) -> tuple[int, str]:
    return (LINKING_SCHEMES.index(ident[0]), ident[1])


def study_key(rec: StudyRecord) -> tuple[str, str] | None:
    """The best identifier of a record's study (the one the build keeps for a group of records)."""
    ids = linking_ids(rec)
    return ids[0] if ids else None


def default_study(rec: StudyRecord, doc: Document) -> str:
    """The study IRI a record names by itself (the build may join it to another record's)."""
    key = study_key(rec)
    return str(iri.study(*key) if key else iri.study_from_hash(doc.sha256))


def record_graph(rec: StudyRecord, doc: Document) -> str:
    return str(iri.record_graph(doc.fmt, *record_key(rec, doc)))


@dataclass
class _Out:
    rec: StudyRecord
    rec_iri: str
    lang: str | None
    study: str
    triples: list[Triple] = field(default_factory=list)
    shared: list[Triple] = field(default_factory=list)  # descriptions of nodes many documents share

    def add(self, s: str, p: str, o: str, path: str | None = None, link: Link | None = None) -> None:
        """A statement; with ``path``, its evidence node; with ``link``, the linking decision behind it."""
        self.triples.append((s, p, o))
        if path is not None:
            self._evidence(s, p, o, path, link)

    def text(self, value: str) -> Lit:
        return lit(_EMAIL.sub("[e-mail removed]", value) if "@" in value else value, lang=self.lang)

    def _evidence(self, s: str, p: str, o: str, path: str, link: Link | None) -> None:
        span = _span(self.rec.spans, path)
        # The study IRI is left out of the digest: when the build joins this record to another
        # record's study, only the study IRI changes, not the evidence nodes.
        key = iri.digest("study" if s == self.study else s, p, "study" if o == self.study else o, path)
        ev = f"{self.rec_iri}/evidence/{key}"
        self.triples += [(ev, RDF.type, TKG.Evidence), (ev, RDF.subject, s), (ev, RDF.predicate, p),
                         (ev, RDF.object, o), (ev, TKG.evidenceFor, self.rec_iri),
                         (ev, TKG.fieldPath, lit(path))]
        if link is not None:  # the mention as written and how it was linked (the SSSOM export reads them)
            self.triples += [(ev, TKG.mentionText, lit(link.text)), (ev, TKG.linkMethod, lit(link.method))]
        if span is None:
            return
        for prop, value in ((TKG.lineStart, span.line_start), (TKG.lineEnd, span.line_end),
                            (TKG.charStart, span.start), (TKG.charEnd, span.end)):
            if value:
                self.triples.append((ev, prop, lit(value)))
        if span.pointer:
            self.triples.append((ev, TKG.jsonPointer, lit(span.pointer)))


def _span(spans: dict[str, Span], path: str) -> Span | None:
    """The span of a path, or of the nearest enclosing path that has one."""
    while path:
        if path in spans:
            return spans[path]
        path = _parent(path)
    return None


_LAST_STEP = re.compile(r"(\.[^.\[]+|\[\d+\])$")


@functools.lru_cache(maxsize=4096)
def _parent(path: str) -> str:
    """``a.b[2]`` -> ``a.b`` -> ``a`` -> ``''``."""
    return _LAST_STEP.sub("", path) if _LAST_STEP.search(path) else ""


def _entity(out: _Out, link: Link) -> str:
    """The linked entity, or a new unlinked-mention node typed by its role."""
    if link.entity is not None:
        return link.entity
    node = str(iri.mention(link.kind, link.text))
    # Written once into the shared mentions graph, not into every document's graph.
    out.shared += [(node, RDF.type, MENTION_CLASS.get(link.kind, TKG.Drug)),
                   (node, RDFS.label, out.text(link.text)), (node, TKG.mentionText, lit(link.text))]
    if link.kind != "placebo":
        out.shared.append((node, RDF.type, TKG.UnlinkedMention))
    return node


def _record(out: _Out, doc: Document, study: str, graph: str) -> None:
    r, rec = out.rec_iri, out.rec
    out.add(graph, PROV.wasDerivedFrom, r)
    out.add(r, RDF.type, TKG.RegistryRecord)
    out.add(r, TKG.describesStudy, study)
    out.add(r, TKG.fileName, lit(doc.file_name))
    out.add(r, TKG.sha256, lit(doc.sha256))
    out.add(r, TKG.sourceFormat, lit(doc.fmt))
    out.add(r, TKG.readerVersion, lit(__version__))
    out.add(r, TKG.publishedBy, REGISTRY[doc.fmt])
    if rec.language:
        out.add(r, DCTERMS.language, lit(rec.language))
    if rec.source_url:
        out.add(r, SCHEMA_URL, lit(rec.source_url, datatype=XSD_ANYURI), "source_url")
    if rec.document_kind:
        out.add(r, TKG.documentKind, lit(rec.document_kind))
    for warning in rec.warnings:
        out.add(r, TKG.readerWarning, lit(warning))


def _study(out: _Out, study: str) -> None:
    rec = out.rec
    out.add(study, RDF.type, STUDY_TYPE_CLASS.get(rec.study_type or "", TKG.Study))
    if rec.title:
        out.add(study, RDFS.label, out.text(rec.title), "title")
    if rec.scientific_title:
        out.add(study, TKG.scientificTitle, out.text(rec.scientific_title), "scientific_title")
    if rec.acronym:
        out.add(study, TKG.acronym, lit(rec.acronym), "acronym")
    if rec.summary:
        out.add(study, DCTERMS.description, out.text(rec.summary))
    for i, ident in enumerate(rec.registry_ids):
        node = iri.identifier(ident.scheme, ident.value)
        out.add(study, TKG.hasIdentifier, node, f"registry_ids[{i}]")
        out.add(node, RDF.type, SCHEME_CLASS.get(ident.scheme, TKG.OtherIdentifier))
        out.add(node, TKG.identifierValue, lit(ident.value))
        out.add(node, RDFS.label, lit(ident.value))
    for i, phase in enumerate(rec.phases):
        out.add(study, TKG.hasPhase, PHASE[phase], f"phases[{i}]")
    if rec.status:
        out.add(study, TKG.hasStatus, _status_iri(rec.status), "status")
    for i, kw in enumerate(rec.keywords):
        out.add(study, TKG.keyword, out.text(kw), f"keywords[{i}]")
    for i, country in enumerate(rec.countries):
        out.add(study, TKG.country, lit(country), f"countries[{i}]")
    for d in rec.dates:
        if d.kind in DATE_PROPERTY:
            out.add(study, DATE_PROPERTY[d.kind], lit(d.value))
    _design(out, study)


def _status_iri(status: str) -> str:
    return getattr(TKG, "Status" + "".join(w.capitalize() for w in status.split("_")))


def _design(out: _Out, study: str) -> None:
    rec, e = out.rec, out.rec.eligibility
    for prop, value, path in ((TKG.allocation, rec.allocation, "allocation"),
                              (TKG.masking, rec.masking, "masking"),
                              (TKG.interventionModel, rec.intervention_model, "intervention_model"),
                              (TKG.primaryPurpose, rec.primary_purpose, "primary_purpose"),
                              (TKG.minimumAge, e.min_age, "eligibility.min_age"),
                              (TKG.maximumAge, e.max_age, "eligibility.max_age"),
                              (TKG.sex, e.sex, "eligibility.sex")):
        if value:
            out.add(study, prop, lit(value), path)
    if e.healthy_volunteers is not None:
        out.add(study, TKG.healthyVolunteers, lit(e.healthy_volunteers))
    for ft in rec.funder_types:
        out.add(study, TKG.funderType, lit(ft), "funder_types")
    if rec.enrollment:
        if rec.enrollment.count is not None:
            out.add(study, TKG.enrollment, lit(rec.enrollment.count), "enrollment")
        if rec.enrollment.kind:
            out.add(study, TKG.enrollmentType, lit(rec.enrollment.kind))
        if rec.enrollment.raw and rec.enrollment.count is None:
            out.add(study, TKG.enrollmentText, lit(rec.enrollment.raw), "enrollment")


def _interventions(out: _Out, study: str, links: list[Link]) -> dict[str, set[str]]:
    """Intervention nodes; returns intervention name (normalised) -> the entities it administers."""
    by_path: dict[str, list[Link]] = {}
    for lk in links:
        if lk.role == "intervention":
            by_path.setdefault(lk.path, []).append(lk)
    administered: dict[str, set[str]] = {}
    for i, iv in enumerate(out.rec.interventions):
        node = iri.part(out.rec_iri, "intervention", i + 1)
        path = f"interventions[{i}].name"
        out.add(study, TKG.hasIntervention, node, path)
        out.add(node, RDF.type, TKG.Intervention)
        out.add(node, RDFS.label, out.text(iv.name))
        out.add(node, TKG.position, lit(i + 1))
        if iv.type:
            out.add(node, TKG.interventionType, lit(iv.type))
        for link in by_path.get(path, []):
            if link.kind in ("drug", "placebo", "drug_class") and _is_product(iv.type, link):
                agent = _entity(out, link)
                out.add(node, TKG.administers, agent, path, link)
                administered.setdefault(norm(iv.name), set()).add(agent)
                if link.kind == "placebo":
                    out.add(study, TKG.usesPlacebo, agent, path, link)
    return administered


# Intervention types that administer a product (ClinicalTrials.gov InterventionType
# values and the wording of page sites); others (procedures, behaviour) do not.
PRODUCT_TYPES = {"drug", "biological", "genetic", "combination product", "dietary supplement",
                 "radiation", "product", "other"}


def _is_product(itype: str | None, link: Link) -> bool:
    if link.entity is not None or link.kind == "placebo":
        return True
    return (itype or "drug").strip().lower() in PRODUCT_TYPES - {"other"}


def _arms(out: _Out, study: str, administered: dict[str, set[str]]) -> tuple[set, set]:
    """Arm nodes; returns (drugs of experimental arms, drugs of active-comparator arms)."""
    tested, comparators = set(), set()
    for i, arm in enumerate(out.rec.arms):
        node = iri.part(out.rec_iri, "arm", i + 1)
        out.add(study, TKG.hasArm, node, f"arms[{i}].label")
        out.add(node, RDF.type, TKG.Arm)
        out.add(node, RDFS.label, out.text(arm.label))
        out.add(node, TKG.position, lit(i + 1))
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


def _drug_roles(out: _Out, study: str, links: list[Link], administered: dict[str, set[str]]) -> set:
    tested, comparators = _arms(out, study, administered)
    drugs: dict[str, Link] = {lk.entity or iri.mention(lk.kind, lk.text): lk for lk in links
             if lk.role == "intervention" and lk.kind in ("drug", "drug_class")}
    if not tested:  # no arm says which drugs are experimental: all but comparators are
        tested = {d for agents in administered.values() for d in agents if d in drugs} - comparators
    for lk in links:
        if lk.role in ("title_drug", "title_comparator"):
            d = _entity(out, lk)
            drugs.setdefault(d, lk)
            (tested if lk.role == "title_drug" else comparators).add(d)
    for lk in links:  # free text (kg.mentions) adds to what the title and arms say, never against it
        if lk.role in ("text_drug", "text_comparator") and lk.entity is not None:
            d = lk.entity
            if d not in tested and d not in comparators:
                drugs.setdefault(d, lk)
                (tested if lk.role == "text_drug" else comparators).add(d)
    for d in sorted(tested):
        out.add(study, TKG.testsDrug, d, drugs[d].path if d in drugs else "title", drugs.get(d))
    for d in sorted(comparators - tested):
        out.add(study, TKG.comparatorDrug, d, drugs[d].path if d in drugs else "title", drugs.get(d))
    _text_drugs(out, study, links, tested | comparators)
    return tested


# Free text saying a drug was taken before ("after failure of X", "despite X") is too loose to state that
# the study requires it ("people previously treated with X can join" allows it): a mention, like the rest.
TEXT_DRUG_PROPERTY = {"text_prior": TKG.textMentionsDrug, "text_excluded": TKG.excludesPriorTreatment,
                      "text_background": TKG.textMentionsDrug}


def _text_drugs(out: _Out, study: str, links: list[Link], given: set) -> None:
    """Drugs free text names in other roles than tested or comparator (kg.mentions)."""
    for lk in links:
        if lk.role in TEXT_DRUG_PROPERTY and lk.kind != "condition" and lk.entity is not None \
                and lk.entity not in given:
            out.add(study, TEXT_DRUG_PROPERTY[lk.role], lk.entity, lk.path, lk)


def _conditions(out: _Out, study: str, links: list[Link], tested: set) -> None:
    conditions = []
    for lk in links:
        if lk.role in ("condition", "title_condition", "text_condition", "keyword_condition"):
            node = _entity(out, lk)
            out.add(study, TKG.studiesCondition, node, lk.path, lk)
            conditions.append(node)
    studied = set(conditions)
    for lk in links:
        if lk.role == "text_background" and lk.kind == "condition" and lk.entity and lk.entity not in studied:
            out.add(study, TKG.textMentionsCondition, lk.entity, lk.path, lk)
    for drug in sorted(tested):
        for cond in sorted(studied):
            out.add(drug, TKG.investigatedFor, cond)
    for i, m in enumerate(out.rec.meddra):
        term = iri.meddra(m.code)
        out.add(study, TKG.hasMedDRATerm, term, f"meddra[{i}]")
        out.add(term, RDF.type, TKG.MedDRATerm)
        out.add(term, TKG.meddraCode, lit(m.code))
        if m.term:
            out.add(term, RDFS.label, lit(m.term, lang=out.lang), f"meddra[{i}]")
        if m.version:
            out.add(term, TKG.meddraVersion, lit(m.version), f"meddra[{i}]")
        if m.level in MEDDRA_LEVEL:
            out.add(term, TKG.meddraLevel, MEDDRA_LEVEL[m.level], f"meddra[{i}]")
        if m.soc_code:
            soc = iri.meddra(m.soc_code)
            out.add(term, TKG.systemOrganClass, soc, f"meddra[{i}]")
            out.add(soc, RDF.type, TKG.MedDRATerm)
            out.add(soc, TKG.meddraCode, lit(m.soc_code))
            out.add(soc, TKG.meddraLevel, TKG.MedDRA_SOC)
            if m.soc_name:
                out.add(soc, RDFS.label, lit(m.soc_name, lang=out.lang))
    for lk in links:
        if lk.role == "meddra_condition" and lk.entity is not None:
            i = int(lk.path[len("meddra["):-1])
            out.add(lk.entity, TKG.hasMedDRATerm, iri.meddra(out.rec.meddra[i].code), lk.path, lk)


CRITERION_ROLE = {"prior_treatment_excluded": TKG.excludesPriorTreatment,
                  "prior_treatment_required": TKG.requiresPriorTreatment}


def _criteria(out: _Out, study: str, links: list[Link]) -> None:
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
            out.add(node, TKG.position, lit(i + 1))
            for lk in by_path.get(path, []):
                assert lk.entity is not None
                prop = TKG.mentionsCondition if lk.kind == "condition" else TKG.mentionsDrug
                out.add(node, prop, lk.entity, path, lk)
                if lk.role in CRITERION_ROLE:
                    out.add(study, CRITERION_ROLE[lk.role], lk.entity, path, lk)


def _outcomes(out: _Out, study: str) -> None:
    for i, o in enumerate(out.rec.outcomes):
        node = iri.part(out.rec_iri, "outcome", i + 1)
        out.add(study, TKG.hasOutcome, node, f"outcomes[{i}]")
        out.add(node, RDF.type, TKG.PrimaryOutcome if o.kind == "PRIMARY" else TKG.SecondaryOutcome)
        out.add(node, RDFS.label, out.text(o.measure))
        out.add(node, TKG.position, lit(i + 1))
        if o.time_frame:
            out.add(node, TKG.timeFrame, out.text(o.time_frame))
        if o.description:
            out.add(node, DCTERMS.description, out.text(o.description))


ORG_ROLE = {"sponsor": TKG.sponsor, "collaborator": TKG.collaborator,
            "funder": TKG.funder, "responsible": TKG.responsibleInstitution}


def _organizations(out: _Out, study: str, links: list[Link]) -> None:
    for lk in links:
        if lk.kind == "organization" and lk.role in ORG_ROLE:
            out.add(study, ORG_ROLE[lk.role], _entity(out, lk), lk.path, lk)
    for org in out.rec.organizations:
        if org.department and org.role == "RESPONSIBLE":
            out.add(study, DCTERMS.contributor, out.text(org.department))


def publication_iri(out: _Out, i: int) -> str:
    ref = out.rec.references[i]
    if ref.doi:
        return iri.entity("publication", "doi/" + ref.doi.lower())
    if ref.pmid:
        return iri.entity("publication", "pmid/" + ref.pmid)
    return iri.part(out.rec_iri, "reference", ref.number or i + 1)


def _publications(out: _Out, study: str, links: list[Link]) -> None:
    for i, ref in enumerate(out.rec.references):
        node, path = publication_iri(out, i), f"references[{i}]"
        out.add(study, TKG.citesPublication, node, path)
        out.add(node, RDF.type, TKG.Publication)
        out.add(node, TKG.citationText, lit(ref.raw))
        out.add(node, TKG.position, lit(ref.number or i + 1))
        if ref.title:
            out.add(node, DCTERMS.title, lit(ref.title, lang="en" if ref.title.isascii() else None))
        for prop, value in ((TKG.authors, "; ".join(ref.authors)), (TKG.journal, ref.journal),
                            (TKG.volume, ref.volume), (TKG.issue, ref.issue), (TKG.pages, ref.pages),
                            (TKG.doi, ref.doi), (TKG.pmid, ref.pmid)):
            if value:
                out.add(node, prop, lit(value))
        if ref.year:
            out.add(node, TKG.publicationYear, lit(ref.year))
        mine = [lk for lk in links if lk.path == path and lk.entity is not None]
        drugs = [lk for lk in mine if lk.role == "reference_drug" and lk.kind == "drug"]
        conds = [lk for lk in mine if lk.role == "reference_condition"]
        for d in drugs:
            out.add(node, TKG.reportsDrug, str(d.entity), path, d)
        for c in conds:
            out.add(node, TKG.reportsCondition, str(c.entity), path, c)
            for d in drugs:  # two mentions side by side, not one linking decision: no link on the evidence
                out.add(str(d.entity), TKG.reportedUseFor, str(c.entity), path)


@dataclass(frozen=True)
class Emitted:
    """One record's statements: its own named graph, and descriptions of shared nodes."""

    graph: str
    study: str
    triples: tuple[Triple, ...]
    shared: tuple[Triple, ...]

    def lines(self) -> tuple[set[str], set[str]]:
        """Distinct N-Quads lines (no newline) of the record graph, and of the shared mentions graph."""
        mentions = str(iri.MENTIONS_GRAPH)
        return ({nquad(s, p, o, self.graph) for s, p, o in self.triples},
                {nquad(s, p, o, mentions) for s, p, o in self.shared})

    def nquads(self) -> list[str]:
        """Sorted, distinct N-Quads lines (no newline) of the record graph and the shared mentions graph."""
        own, shared = self.lines()
        return sorted(own | shared)


def emit_record(rec: StudyRecord, links: tuple[Link, ...], doc: Document, study: str | None = None) -> Emitted:
    """The statements of one record, in its named graph.

    ``study`` is the study IRI the build chose (records sharing an identifier
    share it); by default it is minted from the record's best identifier.
    """
    study = study or default_study(rec, doc)
    graph = record_graph(rec, doc)
    out = _Out(rec, str(iri.record(doc.fmt, *record_key(rec, doc))), rec.language, study)
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
    # Deduplicated and sorted as N-Quads text (rdflib's term comparisons would cost more than the rest).
    return Emitted(graph, study, tuple(out.triples), tuple(out.shared))
