"""Reader for ClinicalTrials.gov API v2 study JSON (one study, or a page ``{"studies": [...]}``).

Field names follow the v2 study data structure
(https://clinicaltrials.gov/data-api/about-api/study-data-structure). Coded
values (status, phases, study type, arm types) already use the vocabularies of
:mod:`kg.model` and pass through. Spans carry RFC 6901 pointers into the
document; line numbers are 0 because the JSON parser does not report them.

Example:
    >>> doc = '{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}'
    >>> rec = parse_ctgov_v2(doc)
    >>> rec.registry_ids[0].scheme, rec.spans["registry_ids[0]"].pointer
    ('NCT', '/protocolSection/identificationModule/nctId')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any

from kg.model import (
    ARM_ROLES, PHASES, STATUSES, STUDY_TYPES, Arm, Condition, Eligibility, Enrollment,
    Identifier, Intervention, Outcome, Reference, SourceError, Span, StudyDate, StudyRecord,
)
from kg.sources._common import classify_identifier, clean_text, id_scheme, scrub_emails, sort_phases

# statusModule date fields -> StudyDate kinds (a "...Struct" carries ESTIMATED/ACTUAL).
DATE_FIELDS = (
    ("studyFirstSubmitDate", "registration"), ("startDateStruct", "start"),
    ("primaryCompletionDateStruct", "primary_completion"), ("completionDateStruct", "completion"),
    ("studyFirstPostDateStruct", "first_posted"), ("lastUpdatePostDateStruct", "last_update"),
)
# v2 InterventionType enumeration: the prefix of an arm's "Drug: X" intervention names.
INTERVENTION_TYPES = (
    "DRUG", "DEVICE", "BIOLOGICAL", "PROCEDURE", "RADIATION", "BEHAVIORAL", "GENETIC",
    "DIETARY_SUPPLEMENT", "COMBINATION_PRODUCT", "DIAGNOSTIC_TEST", "OTHER",
)
OUTCOME_LISTS = (("primaryOutcomes", "PRIMARY"), ("secondaryOutcomes", "SECONDARY"))
SEXES = ("ALL", "FEMALE", "MALE")
DESIGN_FIELDS = (("allocation", "allocation"), ("intervention_model", "interventionModel"),
                 ("primary_purpose", "primaryPurpose"), ("masking", "maskingInfo/masking"))

# Eligibility text (markdown): "Inclusion Criteria:" headings, "*"/"-"/numbered bullets.
_HEADING_RE = re.compile(
    r"^(?:[\w/()-]+\s+){0,4}?(?P<kind>non-inclusion|inclusion|exclusion)\s+criteria\b"
    # The words after "criteria" end before the blanks ahead of ":" (the shortest do), so a long
    # blank run is crossed once rather than once per length tried.
    r"[^:.]{0,40}?(?<!\s)\s*+(?P<colon>:\s*(?P<rest>.*))?\.?$", re.I)
_BULLET_RE = re.compile(r"^(?:\\?[*•\-–]\s*|\d{1,2}[.)]\s+|\(\d{1,2}\)\s+|[a-z][.)]\s+)")
# Deepest nesting of arrays and objects read. A v2 study nests 6 levels; json.loads of a document
# nested 100,000 deep raises RecursionError (or, below the interpreter's limit, hands deep values to
# code that may recurse), so depth is measured first and such documents are refused.
MAX_DEPTH = 200
# A JSON string, escapes included; an unterminated one runs to the end (so the scan stays linear).
_STRING_RE = re.compile(r'"(?:[^"\\]++|\\[\s\S]?)*+(?:"|\Z)')
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]++")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# CommonMark backslash escapes, used by the v2 API in its text fields ("\>= 4").
_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")

Spans = dict[str, Span]


def _str(value: Any) -> str | None:
    """A cleaned, unescaped string value; None for anything else or blank."""
    if not isinstance(value, str):
        return None
    return _ESCAPE_RE.sub(r"\1", clean_text(value)).strip() or None


@dataclass(frozen=True)
class _Node:
    """A JSON value and its pointer; reading a value through it records the value's span."""

    value: Any
    pointer: str
    spans: Spans

    def at(self, path: str) -> _Node:
        """The value at a "/"-separated path below (None where anything is missing)."""
        value = self.value
        for key in filter(None, path.split("/")):
            value = value.get(key) if isinstance(value, dict) else None
        return _Node(value, f"{self.pointer}/{path}" if path else self.pointer, self.spans)

    def items(self, path: str) -> list[_Node]:
        """The elements of the list at ``path`` (none when it is not a list)."""
        node = self.at(path)
        found = node.value if isinstance(node.value, list) else []
        return [_Node(v, f"{node.pointer}/{i}", self.spans) for i, v in enumerate(found)]

    def mark(self, key: str, value: Any) -> Any:
        """Record this node as the span of ``key`` when ``value`` is present; return ``value``."""
        if value not in (None, ()):
            self.spans[key] = Span(0, 0, pointer=self.pointer)
        return value

    def text(self, path: str, key: str = "", allowed: tuple[str, ...] = ()) -> str | None:
        """The string at ``path`` (None unless in ``allowed``, when given), marked as ``key``."""
        node = self.at(path)
        value = _str(node.value)
        value = None if allowed and value not in allowed else value
        return node.mark(key, value) if key else value

    def texts(self, path: str, key: str) -> tuple[str, ...]:
        """The non-blank strings of a list, marked as ``key[0]``, ``key[1]``..."""
        out: list[str] = []
        for node in self.items(path):
            value = _str(node.value)
            if value:
                out.append(node.mark(f"{key}[{len(out)}]", value))
        return tuple(out)


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count).

    Linear, in C loops: strings and then everything but brackets are cut out, and the running
    depth is summed over what is left.
    """
    brackets = _NOT_BRACKET_RE.sub("", _STRING_RE.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets), initial=0))


def _too_deep(text: str) -> SourceError | None:
    depth = json_depth(text)
    if depth > MAX_DEPTH:
        return SourceError(f"JSON nested {depth} levels deep, more than {MAX_DEPTH}")
    return None


@lru_cache(maxsize=1)
def _json(text: str) -> Any:
    # One slot: the dispatcher's detect() and then the reader ask for the same text, parsed once.
    if error := _too_deep(text):
        raise error
    return json.loads(text.lstrip("\ufeff"))


def _load(text: str) -> Any:
    try:
        return _json(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise SourceError(f"truncated JSON: the text ends inside a value ({exc.msg})") from exc
        where = f"line {exc.lineno} column {exc.colno}"
        raise SourceError(f"invalid JSON: {exc.msg} at {where}") from exc


def _identifiers(ident: _Node) -> tuple[Identifier, ...]:
    """nctId, its aliases, the org study id (SPONSOR), then secondary ids by shape/type."""
    found: list[tuple[str, _Node, str | None]] = [("NCT", ident.at("nctId"), None)]
    found += [("NCT", node, "nctIdAlias") for node in ident.items("nctIdAliases")]
    found.append(("SPONSOR", ident.at("orgStudyIdInfo/id"), None))
    for info in ident.items("secondaryIdInfos"):
        label = ": ".join(filter(None, (info.text("type"), info.text("domain")))) or None
        found.append(("", info.at("id"), label))
    out: list[Identifier] = []
    for scheme, node, label in found:
        value = _str(node.value)
        if value and all(value != known.value for known in out):
            node.mark(f"registry_ids[{len(out)}]", value)
            out.append(Identifier(id_scheme(scheme or classify_identifier(value, label), value), value, label))
    return tuple(out)


def _status(status: _Node) -> dict[str, Any]:
    dates: list[StudyDate] = []
    for field, kind in DATE_FIELDS:
        node = status.at(f"{field}/date" if field.endswith("Struct") else field)
        value = _str(node.value)
        if value:
            estimated = {"ESTIMATED": True, "ACTUAL": False}.get(str(status.text(f"{field}/type")))
            dates.append(node.mark(f"dates[{len(dates)}]", StudyDate(kind, value, estimated)))
    return {"status": status.text("overallStatus", "status", STATUSES), "dates": tuple(dates),
            "status_text": status.text("overallStatus", "status_text")}


def _sponsors(module: _Node) -> dict[str, Any]:
    """Lead sponsor (its class is the funder type) and collaborators' names."""
    kind = module.text("leadSponsor/class", "funder_types[0]")
    named = [node for node in module.items("collaborators") if node.text("name")]
    return {"sponsor": module.text("leadSponsor/name", "sponsor"),
            "funder_types": (kind,) if kind else (),
            "collaborators": tuple(node.text("name", f"collaborators[{i}]") or ""
                                   for i, node in enumerate(named))}


def _design(design: _Node) -> dict[str, Any]:
    out: dict[str, Any] = {key: design.text(f"designInfo/{path}", key)
                           for key, path in DESIGN_FIELDS}
    out["study_type"] = design.text("studyType", "study_type", STUDY_TYPES)
    phases = [node for node in design.items("phases") if node.value in PHASES]
    out["phases"] = sort_phases([node.value for node in phases])
    for i, code in enumerate(out["phases"]):
        next(node for node in phases if node.value == code).mark(f"phases[{i}]", code)
    enrol = design.at("enrollmentInfo")
    if isinstance(enrol.value, dict):
        raw = enrol.value.get("count")
        count = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        enrollment = Enrollment(count, enrol.text("type"), None if count is not None else _str(raw))
        out["enrollment"] = enrol.mark("enrollment", enrollment)
    return out


def _meshes(derived: _Node, module: str) -> dict[str, tuple[str, ...]]:
    """MeSH ids by case-folded term, from a derivedSection browse module's ``meshes``."""
    out: dict[str, tuple[str, ...]] = {}
    for mesh in derived.items(f"{module}/meshes"):
        term, mesh_id = mesh.text("term"), mesh.text("id")
        if term and mesh_id:
            out[term.casefold()] = out.get(term.casefold(), ()) + (mesh_id,)
    return out


def _conditions(module: _Node, derived: _Node) -> dict[str, Any]:
    """Conditions with the MeSH ids whose term is the condition's own name.

    The derived ``meshes`` list belongs to the study, not to one condition (it also holds
    broader or related terms), so an id goes to a condition only when its term is that name.
    """
    meshes = _meshes(derived, "conditionBrowseModule")
    names = module.texts("conditions", "conditions")
    return {"conditions": tuple(Condition(n, mesh_ids=meshes.get(n.casefold(), ())) for n in names),
            "keywords": module.texts("keywords", "keywords")}


def _intervention(item: _Node, key: str, meshes: dict[str, tuple[str, ...]]) -> Intervention:
    name = item.text("name", f"{key}.name") or ""
    return Intervention(
        type=item.text("type", f"{key}.type"), name=name,
        description=item.text("description", f"{key}.description"),
        other_names=item.texts("otherNames", f"{key}.other_names"),
        mesh_ids=meshes.get(name.casefold(), ()))


def _arm_intervention(text: str) -> str:
    """"Drug: Repaglinide" -> "Repaglinide": the prefix is the v2 intervention type."""
    kind, sep, name = text.partition(":")
    known = sep and kind.strip().upper().replace(" ", "_") in INTERVENTION_TYPES and name.strip()
    return name.strip() if known else text


def _arm(group: _Node, key: str) -> Arm:
    names = group.texts("interventionNames", f"{key}.interventions")
    return Arm(group.text("label", f"{key}.label") or "",
               group.text("type", f"{key}.role", ARM_ROLES),
               group.text("description", f"{key}.description"),
               tuple(_arm_intervention(name) for name in names))


def _arms(module: _Node, derived: _Node) -> dict[str, Any]:
    """Interventions (named ones) and arm groups (labelled ones), in document order."""
    meshes = _meshes(derived, "interventionBrowseModule")
    items = [node for node in module.items("interventions") if node.text("name")]
    groups = [node for node in module.items("armGroups") if node.text("label")]
    return {"interventions": tuple(_intervention(node, f"interventions[{i}]", meshes)
                                   for i, node in enumerate(items)),
            "arms": tuple(_arm(node, f"arms[{i}]") for i, node in enumerate(groups))}


def _outcomes(module: _Node) -> tuple[Outcome, ...]:
    found = [(kind, node) for field, kind in OUTCOME_LISTS
             for node in module.items(field) if node.text("measure")]
    return tuple(
        Outcome(kind, node.text("measure", f"outcomes[{i}].measure") or "",
                node.text("timeFrame", f"outcomes[{i}].time_frame"),
                node.text("description", f"outcomes[{i}].description"))
        for i, (kind, node) in enumerate(found))


def split_criteria(text: str | None) -> dict[str, list[str]]:
    """Eligibility text -> inclusion and exclusion items.

    Items start at bullets ("*", "-", "1.", "a)") or after a blank line; a line with no
    bullet directly under an item continues it. Text before any heading counts as inclusion.

    Example:
        >>> split_criteria("Inclusion Criteria:\\n* Adults\\nExclusion Criteria:\\n* Pregnancy")
        {'inclusion': ['Adults'], 'exclusion': ['Pregnancy']}
    """
    items: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    mode, open_item = "inclusion", False
    for line in (text or "").split("\n"):
        line = line.strip()
        bullet = _BULLET_RE.match(line)
        body, new = (line[bullet.end():].strip(), True) if bullet else (line, False)
        heading = _HEADING_RE.match(body)
        if heading and (heading.group("colon") or not bullet):
            mode = "inclusion" if heading.group("kind").lower() == "inclusion" else "exclusion"
            body = _BULLET_RE.sub("", (heading.group("rest") or "").strip())
            new, open_item = True, False
        if not re.search(r"\w", body):
            open_item = open_item and bool(line)
        elif open_item and not new:
            items[mode][-1] += " " + body
        else:
            items[mode].append(body)
            open_item = True
    return items


def _eligibility(module: _Node) -> Eligibility:
    criteria = module.at("eligibilityCriteria")
    items = split_criteria(_str(criteria.value))
    for name, found in items.items():
        for i in range(len(found)):
            criteria.mark(f"eligibility.{name}[{i}]", True)
    healthy = module.at("healthyVolunteers")
    return Eligibility(
        min_age=module.text("minimumAge", "eligibility.min_age"),
        max_age=module.text("maximumAge", "eligibility.max_age"),
        sex=module.text("sex", "eligibility.sex", SEXES),
        healthy_volunteers=healthy.mark("eligibility.healthy_volunteers",
                                        healthy.value if isinstance(healthy.value, bool) else None),
        inclusion=tuple(items["inclusion"]), exclusion=tuple(items["exclusion"]))


def _countries(module: _Node) -> tuple[str, ...]:
    """Sorted unique location countries (sites' contacts are never read)."""
    first: dict[str, _Node] = {}
    for site in module.items("locations"):
        first.setdefault(site.text("country") or "", site.at("country"))
    names = tuple(sorted(name for name in first if name))
    for i, name in enumerate(names):
        first[name].mark(f"countries[{i}]", name)
    return names


def _references(module: _Node) -> tuple[Reference, ...]:
    # Citations are published as written, so e-mail addresses in them are marked out here.
    found = [node for node in module.items("references") if node.text("citation")]
    return tuple(Reference(None, scrub_emails(node.text("citation", f"references[{i}]") or ""),
                           pmid=node.text("pmid")) for i, node in enumerate(found))


def _summary(module: _Node) -> str | None:
    """Brief summary then detailed description, separated by a blank line."""
    parts = [module.text(field) for field in ("briefSummary", "detailedDescription")]
    text = "\n\n".join(p for p in parts if p) or None
    node = module if all(parts) else module.at(
        "briefSummary" if parts[0] else "detailedDescription")
    return node.mark("summary", text)


def _record(study: Any, root: str) -> StudyRecord:
    """One study object; ``root`` is its pointer in the document ("" or "/studies/3")."""
    node = _Node(study, root, {})
    protocol, derived = node.at("protocolSection"), node.at("derivedSection")
    if not isinstance(protocol.value, dict):
        where = f"study at {root}" if root else "document"
        raise SourceError(f"{where} has no protocolSection object: not a v2 study")
    ident = protocol.at("identificationModule")
    return StudyRecord(
        format="ctgov_v2", registry_ids=_identifiers(ident),
        title=ident.text("briefTitle", "title"),
        scientific_title=ident.text("officialTitle", "scientific_title"),
        acronym=ident.text("acronym", "acronym"),
        outcomes=_outcomes(protocol.at("outcomesModule")),
        eligibility=_eligibility(protocol.at("eligibilityModule")),
        countries=_countries(protocol.at("contactsLocationsModule")),
        references=_references(protocol.at("referencesModule")),
        summary=_summary(protocol.at("descriptionModule")),
        register="ClinicalTrials.gov", language="en", spans=node.spans,
        **_status(protocol.at("statusModule")),
        **_sponsors(protocol.at("sponsorCollaboratorsModule")),
        **_design(protocol.at("designModule")),
        **_conditions(protocol.at("conditionsModule"), derived),
        **_arms(protocol.at("armsInterventionsModule"), derived),
    )


def _studies(doc: Any) -> list[tuple[Any, str]]:
    """The study objects of a document with their pointers: one study, or a page of them."""
    page = isinstance(doc, dict) and "protocolSection" not in doc
    if page and isinstance(doc.get("studies"), list):
        return [(study, f"/studies/{i}") for i, study in enumerate(doc["studies"])]
    if not isinstance(doc, dict):
        raise SourceError(f"JSON {type(doc).__name__} is not a ClinicalTrials.gov v2 study object")
    return [(doc, "")]


def parse_ctgov_v2(text: str) -> StudyRecord:
    """One study from a ClinicalTrials.gov API v2 study object (or a page holding exactly one).

    Raises:
        SourceError: the JSON is truncated or invalid, or is not a v2 study.
    """
    studies = _studies(_load(text))
    if len(studies) != 1:
        raise SourceError(f"expected one study, found a page of {len(studies)}: use parse_document")
    return _record(*studies[0])


def parse_document(text: str) -> list[StudyRecord]:
    """Every study of a v2 study object or page ``{"studies": [...]}``, in page order."""
    return [_record(study, root) for study, root in _studies(_load(text))]


def detect(text: str) -> bool:
    """JSON whose object has a protocolSection, or a "studies" list of such objects.

    A cut-off document that names "protocolSection" is claimed too, so that the reader
    (not the dispatcher) reports it as truncated.
    """
    body = text.lstrip("\ufeff \t\r\n")
    if not body.startswith(("{", "[")):
        return False
    if _too_deep(text):
        return True  # JSON no other reader takes: this reader refuses it, saying why
    if not body.startswith("{"):
        return False
    try:
        doc = _json(text)
    except ValueError:
        return '"protocolSection"' in body
    if not isinstance(doc, dict):
        return False
    studies = doc.get("studies") if "protocolSection" not in doc else [doc]
    return bool(studies) and isinstance(studies, list) and all(
        isinstance(s, dict) and isinstance(s.get("protocolSection"), dict) for s in studies)
