"""Reader for ClinicalTrials.gov legacy XML: one ``<clinical_study>`` per document.

The layout is that of the former "AllPublicXML" download (schema
https://clinicaltrials.gov/ct2/html/images/info/public.xsd). The record holds the
fields :mod:`kg.sources.ctgov_v2` extracts, with the registry's wording mapped onto
the same v2 codes, so that one trial downloaded in either format gives the same
values. Spans carry XPath pointers (1-based positions) into the document; line
numbers are 0 because ElementTree does not report them.

The legacy browse lists give MeSH terms without MeSH ids; as in the v2 reader a term
belongs to a condition or intervention only when it is that item's own name, so
:attr:`~kg.model.Condition.mesh_ids` stay empty and :func:`mesh_terms` gives the lists.
Browse terms never become conditions or interventions.

Example:
    >>> rec = parse_document("<clinical_study><id_info><nct_id>NCT00000001</nct_id>"
    ...                      "</id_info><phase>Phase 1/Phase 2</phase></clinical_study>")[0]
    >>> rec.registry_ids[0].value, rec.phases, rec.spans["phases[1]"].pointer
    ('NCT00000001', ('PHASE1', 'PHASE2'), '/clinical_study/phase')
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from kg.model import (
    Arm, Condition, Eligibility, Enrollment, Identifier, Intervention, Outcome, Reference,
    SourceError, Span, StudyDate, StudyRecord,
)
from kg.sources._common import arm_role, classify_identifier, clean_text, id_scheme, scrub_emails
from kg.sources.ctgov_v2 import INTERVENTION_TYPES, split_criteria

ROOT = "clinical_study"
# Enumerations of public.xsd -> the v2 codes of kg.model and the v2 study data structure
# (https://clinicaltrials.gov/data-api/about-api/study-data-structure); keys case-folded.
STATUSES = {
    "not yet recruiting": "NOT_YET_RECRUITING", "recruiting": "RECRUITING",
    "enrolling by invitation": "ENROLLING_BY_INVITATION", "active, not recruiting": "ACTIVE_NOT_RECRUITING",
    "completed": "COMPLETED", "suspended": "SUSPENDED", "terminated": "TERMINATED",
    "withdrawn": "WITHDRAWN", "unknown status": "UNKNOWN", "available": "AVAILABLE",
    "no longer available": "NO_LONGER_AVAILABLE", "temporarily not available": "TEMPORARILY_NOT_AVAILABLE",
    "approved for marketing": "APPROVED_FOR_MARKETING", "withheld": "WITHHELD",
}
PHASES = {
    "n/a": ("NA",), "early phase 1": ("EARLY_PHASE1",), "phase 1": ("PHASE1",),
    "phase 1/phase 2": ("PHASE1", "PHASE2"), "phase 2": ("PHASE2",),
    "phase 2/phase 3": ("PHASE2", "PHASE3"), "phase 3": ("PHASE3",), "phase 4": ("PHASE4",),
}
# A patient registry is an observational study in v2 (designInfo says it is a registry).
STUDY_TYPES = {"interventional": "INTERVENTIONAL", "observational": "OBSERVATIONAL",
               "observational [patient registry]": "OBSERVATIONAL", "expanded access": "EXPANDED_ACCESS"}
AGENCY_CLASSES = {"nih": "NIH", "u.s. fed": "FED", "industry": "INDUSTRY", "other": "OTHER",
                  "individual": "INDIV", "network": "NETWORK", "ambiguous": "AMBIG", "unknown": "UNKNOWN"}
SEXES = {"all": "ALL", "female": "FEMALE", "male": "MALE"}
HEALTHY = {"accepts healthy volunteers": True, "yes": True, "no": False}
# Date and enrollment "type" attributes: "Anticipated" and "Estimate" are v2's ESTIMATED.
ESTIMATED = {"anticipated": True, "estimate": True, "actual": False}
ENROLLMENT_KINDS = {"anticipated": "ESTIMATED", "estimate": "ESTIMATED", "actual": "ACTUAL"}
DESIGN = {
    "allocation": {"randomized": "RANDOMIZED", "non-randomized": "NON_RANDOMIZED", "n/a": "NA"},
    "intervention_model": {
        "single group assignment": "SINGLE_GROUP", "parallel assignment": "PARALLEL",
        "crossover assignment": "CROSSOVER", "factorial assignment": "FACTORIAL",
        "sequential assignment": "SEQUENTIAL"},
    "primary_purpose": {
        "treatment": "TREATMENT", "prevention": "PREVENTION", "diagnostic": "DIAGNOSTIC",
        "supportive care": "SUPPORTIVE_CARE", "screening": "SCREENING",
        "health services research": "HEALTH_SERVICES_RESEARCH", "basic science": "BASIC_SCIENCE",
        "device feasibility": "DEVICE_FEASIBILITY", "educational/counseling/training": "ECT",
        "other": "OTHER"},
    # "Double (Participant, Investigator)": v2 keeps the level; who is masked is not read.
    "masking": {"none (open label)": "NONE", "single": "SINGLE", "double": "DOUBLE",
                "triple": "TRIPLE", "quadruple": "QUADRUPLE"},
}
# Legacy date elements -> StudyDate kinds, as v2's DATE_FIELDS.
DATE_FIELDS = (
    ("study_first_submitted", "registration"), ("start_date", "start"),
    ("primary_completion_date", "primary_completion"), ("completion_date", "completion"),
    ("study_first_posted", "first_posted"), ("last_update_posted", "last_update"),
)
MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                      "august", "september", "october", "november", "december"), 1)}
_DATE_RE = re.compile(r"^(?P<month>[A-Za-z]+)\s+(?:(?P<day>\d{1,2}),\s*)?(?P<year>\d{4})$")
# Entity and document type declarations: an internal subset can expand one entity into gigabytes
# ("billion laughs"); no ClinicalTrials.gov record has one, so a document declaring any is refused.
_DECLARATION_RE = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.I)
# Bullets of the text blocks ("-  item", "1. item"): they start a new line when wrapped text is joined.
_BULLET_RE = re.compile(r"^(?:[-*•]\s|\d{1,2}[.)]\s|\(\d{1,2}\)\s|[a-z][.)]\s)")
_DASH_RE = re.compile(r"^-\s+(?=\S)")

Spans = dict[str, Span]


def unwrap(text: str) -> str:
    """A text block as written once: indent and the download's line wrapping removed.

    Lines of a paragraph are joined by a blank; list items start lines and follow each other
    without blank lines, "-" bullets written "*" (as the v2 API writes the same text);
    paragraphs stay separated by a blank line.
    """
    out: list[str] = []
    blank = False
    for line in (raw.strip() for raw in clean_text(text).split("\n")):
        if not line:
            blank = bool(out)
            continue
        dash = _DASH_RE.match(line)
        line = "* " + line[dash.end():] if dash else line
        if out and (blank or _BULLET_RE.match(line)):
            items = _BULLET_RE.match(line) and _BULLET_RE.match(out[-1].lstrip("\n"))
            out.append(line if items or not blank else "\n" + line)
        elif out:
            out[-1] += " " + line
        else:
            out.append(line)
        blank = False
    return "\n".join(out)


@dataclass(frozen=True)
class _Node:
    """An element (None where absent) and its XPath; reading through it records spans."""

    elem: ET.Element | None
    path: str
    spans: Spans

    def at(self, path: str) -> _Node:
        elem = self.elem
        for tag in path.split("/"):
            elem = None if elem is None else elem.find(tag)
        return _Node(elem, f"{self.path}/{path}", self.spans)

    def items(self, tag: str) -> list[_Node]:
        found = [] if self.elem is None else self.elem.findall(tag)
        return [_Node(e, f"{self.path}/{tag}[{i}]", self.spans) for i, e in enumerate(found, 1)]

    def mark(self, key: str, value: Any) -> Any:
        if value not in (None, ()):
            self.spans[key] = Span(0, 0, pointer=self.path)
        return value

    def value(self) -> str | None:
        if self.elem is None:
            return None
        return unwrap("".join(self.elem.itertext())) or None

    def text(self, path: str, key: str = "", table: dict[str, Any] | None = None) -> Any:
        """The text at ``path``; mapped through ``table`` (None when not in it); marked as ``key``."""
        node = self.at(path)
        value: Any = node.value()
        if table is not None and value is not None:
            value = table.get(value.casefold())
        return node.mark(key, value) if key else value

    def texts(self, tag: str, key: str) -> tuple[str, ...]:
        out: list[str] = []
        for node in self.items(tag):
            if value := node.value():
                out.append(node.mark(f"{key}[{len(out)}]", value))
        return tuple(out)


def iso_date(text: str) -> str:
    """"November 3, 1999" -> "1999-11-03", "June 2007" -> "2007-06"; else as written."""
    m = _DATE_RE.match(text)
    month = MONTHS.get(m.group("month").casefold()) if m else None
    if not m or not month:
        return text
    day = f"-{int(m.group('day')):02d}" if m.group("day") else ""
    return f"{m.group('year')}-{month:02d}{day}"


def _load(text: str) -> ET.Element:
    if _DECLARATION_RE.search(text):
        raise SourceError("XML with a DOCTYPE or ENTITY declaration: refused (entity expansion)")
    try:
        root = ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        message = str(exc)
        if message.startswith(("no element found", "unclosed token")):
            raise SourceError(f"truncated XML: the text ends inside an element ({message})") from exc
        raise SourceError(f"invalid XML: {message}") from exc
    if root.tag != ROOT:
        raise SourceError(f"XML root element <{root.tag[:80]}> is not <{ROOT}>: not a ClinicalTrials.gov study")
    return root


def _identifiers(ident: _Node) -> tuple[Identifier, ...]:
    """nct_id, its aliases, the org study id (SPONSOR), then secondary ids by shape (v2's order)."""
    found: list[tuple[str, _Node, str | None]] = [("NCT", ident.at("nct_id"), None)]
    found += [("NCT", node, "nctIdAlias") for node in ident.items("nct_alias")]
    found.append(("SPONSOR", ident.at("org_study_id"), None))
    found += [("", node, None) for node in ident.items("secondary_id")]
    out: list[Identifier] = []
    for scheme, node, label in found:
        value = node.value()
        if value and all(value != known.value for known in out):
            node.mark(f"registry_ids[{len(out)}]", value)
            out.append(Identifier(id_scheme(scheme or classify_identifier(value), value), value, label))
    return tuple(out)


def _dates(study: _Node) -> tuple[StudyDate, ...]:
    dates: list[StudyDate] = []
    for tag, kind in DATE_FIELDS:
        node = study.at(tag)
        if value := node.value():
            kind_attr = "" if node.elem is None else node.elem.get("type", "")
            date = StudyDate(kind, iso_date(value), ESTIMATED.get(kind_attr.casefold()))
            dates.append(node.mark(f"dates[{len(dates)}]", date))
    return tuple(dates)


def _sponsors(sponsors: _Node) -> dict[str, Any]:
    lead = sponsors.at("lead_sponsor")
    kind = lead.text("agency_class")
    kind = lead.at("agency_class").mark("funder_types[0]", AGENCY_CLASSES.get(kind.casefold(), kind)) if kind else None
    named = [node for node in sponsors.items("collaborator") if node.text("agency")]
    return {"sponsor": lead.text("agency", "sponsor"), "funder_types": (kind,) if kind else (),
            "collaborators": tuple(node.text("agency", f"collaborators[{i}]") for i, node in enumerate(named))}


def _design(study: _Node) -> dict[str, Any]:
    info, out = study.at("study_design_info"), {}
    for key, table in DESIGN.items():
        written = info.text(key)
        code = table.get(written.casefold().split(" (")[0], table.get(written.casefold())) if written else None
        out[key] = info.at(key).mark(key, code or written)
    phase = study.at("phase")
    out["phases"] = study.text("phase", table=PHASES) or ()
    for i, code in enumerate(out["phases"]):
        phase.mark(f"phases[{i}]", code)
    out["study_type"] = study.text("study_type", "study_type", STUDY_TYPES)
    enrol = study.at("enrollment")
    if raw := enrol.value():
        count = int(raw) if raw.isascii() and raw.isdigit() else None
        kind = ENROLLMENT_KINDS.get((enrol.elem.get("type", "") if enrol.elem is not None else "").casefold())
        out["enrollment"] = enrol.mark("enrollment", Enrollment(count, kind, None if count is not None else raw))
    return out


def _intervention(item: _Node, key: str) -> Intervention:
    written = item.text("intervention_type")
    code = written.upper().replace(" ", "_") if written else None
    item.at("intervention_type").mark(f"{key}.type", written)
    return Intervention(
        type=code if code in INTERVENTION_TYPES else written,
        name=item.text("intervention_name", f"{key}.name") or "",
        description=item.text("description", f"{key}.description"),
        other_names=item.texts("other_name", f"{key}.other_names"))


def _arms(study: _Node) -> dict[str, Any]:
    """Interventions (named ones) and arm groups (labelled ones); an arm's interventions are
    those whose arm_group_label names it, in document order."""
    items = [node for node in study.items("intervention") if node.text("intervention_name")]
    groups = [node for node in study.items("arm_group") if node.text("arm_group_label")]
    arms = []
    for i, group in enumerate(groups):
        key, label = f"arms[{i}]", group.text("arm_group_label", f"arms[{i}].label") or ""
        given = [node for node in items if label in {n.value() for n in node.items("arm_group_label")}]
        names = [node.mark(f"{key}.interventions[{j}]", node.text("intervention_name") or "")
                 for j, node in enumerate(given)]
        role = arm_role(group.text("arm_group_type"))
        arms.append(Arm(label, group.at("arm_group_type").mark(f"{key}.role", role),
                        group.text("description", f"{key}.description"), tuple(names)))
    return {"interventions": tuple(_intervention(node, f"interventions[{i}]") for i, node in enumerate(items)),
            "arms": tuple(arms)}


def _outcomes(study: _Node) -> tuple[Outcome, ...]:
    found = [(kind, node) for tag, kind in (("primary_outcome", "PRIMARY"), ("secondary_outcome", "SECONDARY"))
             for node in study.items(tag) if node.text("measure")]
    return tuple(Outcome(kind, node.text("measure", f"outcomes[{i}].measure") or "",
                         node.text("time_frame", f"outcomes[{i}].time_frame"),
                         node.text("description", f"outcomes[{i}].description"))
                 for i, (kind, node) in enumerate(found))


def _age(module: _Node, tag: str, key: str) -> str | None:
    value = module.text(tag)
    return module.at(tag).mark(key, value) if value and value.casefold() != "n/a" else None


def _eligibility(module: _Node) -> Eligibility:
    criteria = module.at("criteria/textblock")
    items = split_criteria(criteria.value())
    for name, found in items.items():
        for i in range(len(found)):
            criteria.mark(f"eligibility.{name}[{i}]", True)
    return Eligibility(
        min_age=_age(module, "minimum_age", "eligibility.min_age"),
        max_age=_age(module, "maximum_age", "eligibility.max_age"),
        sex=module.text("gender", "eligibility.sex", SEXES),
        healthy_volunteers=module.text("healthy_volunteers", "eligibility.healthy_volunteers", HEALTHY),
        inclusion=tuple(items["inclusion"]), exclusion=tuple(items["exclusion"]))


def _countries(study: _Node) -> tuple[str, ...]:
    """Sorted unique site countries; the study's country list when no site names one."""
    first: dict[str, _Node] = {}
    for site in study.items("location"):
        node = site.at("facility/address/country")
        first.setdefault(node.value() or "", node)
    if not any(first):
        first = {}
        for node in study.at("location_countries").items("country"):
            first.setdefault(node.value() or "", node)
    names = tuple(sorted(name for name in first if name))
    for i, name in enumerate(names):
        first[name].mark(f"countries[{i}]", name)
    return names


def _references(study: _Node) -> tuple[Reference, ...]:
    """Background and results references, as v2's references list holds both."""
    found = [node for tag in ("reference", "results_reference") for node in study.items(tag)
             if node.text("citation")]
    return tuple(Reference(None, scrub_emails(node.text("citation", f"references[{i}]") or ""),
                           pmid=node.text("PMID")) for i, node in enumerate(found))


def _summary(study: _Node) -> str | None:
    """Brief summary then detailed description, separated by a blank line."""
    parts = [study.text(f"{tag}/textblock") for tag in ("brief_summary", "detailed_description")]
    text = "\n\n".join(p for p in parts if p) or None
    node = study if all(parts) else study.at("brief_summary" if parts[0] else "detailed_description")
    return node.mark("summary", text)


def _conditions(study: _Node) -> dict[str, Any]:
    names = study.texts("condition", "conditions")
    return {"conditions": tuple(Condition(name) for name in names), "keywords": study.texts("keyword", "keywords")}


def _record(root: ET.Element) -> StudyRecord:
    study = _Node(root, f"/{ROOT}", {})
    return StudyRecord(
        format="ctgov_xml", registry_ids=_identifiers(study.at("id_info")),
        title=study.text("brief_title", "title"), scientific_title=study.text("official_title", "scientific_title"),
        acronym=study.text("acronym", "acronym"),
        status=study.text("overall_status", "status", STATUSES),
        status_text=study.text("overall_status", "status_text"), dates=_dates(study),
        outcomes=_outcomes(study), eligibility=_eligibility(study.at("eligibility")),
        countries=_countries(study), references=_references(study), summary=_summary(study),
        source_url=study.text("required_header/url", "source_url"),
        register="ClinicalTrials.gov", language="en", spans=study.spans,
        **_sponsors(study.at("sponsors")), **_design(study), **_conditions(study), **_arms(study),
    )


def mesh_terms(text: str) -> dict[str, tuple[str, ...]]:
    """The MeSH terms of the ``condition_browse`` and ``intervention_browse`` lists, by list."""
    root = _load(text)
    return {kind: tuple(t for e in root.findall(f"{kind}_browse/mesh_term") if (t := unwrap(e.text or "")))
            for kind in ("condition", "intervention")}


def parse_document(text: str) -> list[StudyRecord]:
    """The one study of a legacy XML document.

    Raises:
        SourceError: declarations (DOCTYPE, ENTITY), XML that does not parse, or a root other
        than ``<clinical_study>``.
    """
    return [_record(_load(text))]


def detect(text: str) -> bool:
    """Markup that names ``<clinical_study>`` near its start, or any document with an XML
    declaration (so that this reader, not the dispatcher, says what is wrong with it)."""
    body = text.lstrip("\ufeff \t\r\n")
    return body.startswith("<?xml") or (body.startswith("<") and f"<{ROOT}" in body[:4096])
