"""Reader for ClinicalTrials.Veeva trial pages (ctv.veeva.com) copied as text.

The page prints the title and the sponsor, then headed sections ("Status and
phase", "Conditions", "Identifiers", ...), each heading alone on its line with
its values on the following lines. Sections are found by their headings, so
they may come in any order or be missing.

Example:
    >>> rec = parse_veeva("A trial (ABC)\\nAcme\\nStatus and phase\\nEnrolling\\nPhase 2")
    >>> rec.title, rec.acronym, rec.sponsor, rec.status, rec.phases
    ('A trial', 'ABC', 'Acme', 'RECRUITING', ('PHASE2',))
"""

from __future__ import annotations

import dataclasses

import logging
import re
from typing import Any

from kg.model import (
    Arm, Condition, Eligibility, Enrollment, Identifier, Intervention, SourceError, Span, StudyRecord,
)
from kg.sources._common import (
    Line, Sections, part_span, section_values, arm_role, classify_identifier, clean_text, id_scheme, normalize_status,
    phases_in, sort_phases, span_of, split_lines, title_acronym,
)

log = logging.getLogger(__name__)

# Section headings of the ClinicalTrials.Veeva trial page, lower-cased.
HEADINGS = (
    "status and phase", "conditions", "treatments", "study type", "funder types",
    "identifiers", "details and patient eligibility", "about", "full description",
    "enrollment", "sex", "ages", "volunteers", "inclusion criteria", "exclusion criteria",
    "trial design", "primary purpose", "allocation", "interventional model", "masking",
    "observational model", "time perspective", "trial contacts and locations",
    "central trial contact", "clinical trials", "status",
)
# Headings read as another: observational pages, which have no phase, head the status "Status".
SAME_AS = {"status": "status and phase"}
# Sections that hold the study's field values; a page with none of them filled was saved without
# its values (the labels only).
VALUE_SECTIONS = ("status and phase", "conditions", "treatments", "study type", "identifiers",
                  "about", "full description", "enrollment", "inclusion criteria", "arms")
# Headings that close the patient-group block, whose group labels are free text.
ARM_END = ("trial contacts and locations", "central trial contact", "clinical trials")
# Site banner lines printed above the title.
BANNER = ("clinicaltrials.veeva", "menu")
# Page wording -> kg.model vocabularies (study type, sex) and the healthy-volunteers flag,
# as ClinicalTrials.Veeva prints ClinicalTrials.gov's fields.
STUDY_TYPE_WORDS = {"interventional": "INTERVENTIONAL", "observational": "OBSERVATIONAL",
                    "expanded access": "EXPANDED_ACCESS"}
SEX_WORDS = {"all": "ALL", "female": "FEMALE", "male": "MALE"}
VOLUNTEER_WORDS = {"no healthy volunteers": False, "accepts healthy volunteers": True}
# "Data sourced from <site>" -> register name as ClinicalTrials.gov calls itself.
REGISTER_NAMES = {"clinicaltrials.gov": "ClinicalTrials.gov"}
# Headings found on this site's trial pages and not on other registries' pages.
OWN_HEADINGS = {"status and phase", "funder types", "details and patient eligibility",
                "trial design", "trial contacts and locations",
                "data sourced from clinicaltrials.gov"}

_ARMS_RE = re.compile(r"^[\d,]+ participants? in \d+ (?:patient )?groups?\b", re.I)
_SOURCE_RE = re.compile(r"^data sourced from (\S.*)$", re.I)
_COUNT_RE = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(?!\S)")
# Age ranges as printed: "18+ years old", "6 months to 17 years old", "Up to 17 years old".
_AGE_FORMS = tuple(re.compile(p + r"(?:\s+old)?$", re.I) for p in (
    r"^(?P<min>\d+)\+\s*(?P<umin>[a-z]+)",
    # The blanks around an optional unit are read once ("\s*(?:unit)?\s+" split a blank run
    # in every way before failing: quadratic on a long one).
    r"^(?P<min>\d+)(?:\s*+(?P<umin>[a-z]++))?\s++to\s+(?P<max>\d+)\s*(?P<umax>[a-z]+)",
    r"^up to\s+(?P<max>\d+)\s*(?P<umax>[a-z]+)",
))
_BULLET_RE = re.compile(r"^(?:[•*\-–]\s*)?(?:\d{1,2}[.)]\s+)?")

Spans = dict[str, Span]


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _is_heading(line: Line, in_arms: bool) -> str | None:
    key = _key(line.text)
    if _SOURCE_RE.match(key):
        return "source"
    if in_arms:
        return key if key in ARM_END else None
    return key if key in HEADINGS else ("arms" if _ARMS_RE.match(key) else None)


def _sections(lines: list[Line]) -> tuple[list[Line], Sections]:
    """The lines before the first heading, and each heading's lines (first occurrence wins)."""
    head: list[Line] = []
    sections: Sections = {}
    current: list[Line] = head
    for line in lines:
        name = _is_heading(line, current is sections.get("arms"))
        if name is None:
            current.append(line)
            continue
        current = [line] if name in ("arms", "source") else []
        sections.setdefault(SAME_AS.get(name, name), current)
    return head, sections


def _listed(sections: Sections, name: str, key: str, spans: Spans) -> tuple[str, ...]:
    values = section_values(sections, name)
    for i, line in enumerate(values):
        spans[f"{key}[{i}]"] = line.span()
    return tuple(line.stripped for line in values)


def _first(sections: Sections, name: str, spans: Spans, key: str) -> str | None:
    values = section_values(sections, name)[:1]
    spans.update({key: line.span() for line in values})
    return values[0].stripped if values else None


def _split_title(title: str) -> tuple[str, str | None]:
    """Split a trailing "(ACRONYM)" off a title; an acronym appended to it stays in the title."""
    where = title_acronym(title)
    if where is None:
        return title, None
    cut, start, end = where
    return title[:cut].rstrip(), title[start:end]


def _head(head: list[Line], spans: Spans) -> dict[str, Any]:
    """Title, acronym and sponsor from the lines above the first heading."""
    rest = [ln for ln in head if ln.stripped and _key(ln.text) not in BANNER]
    if not rest:
        return {}
    title, acronym = _split_title(rest[0].stripped)
    spans["title"] = part_span(rest[0], title)
    out: dict[str, Any] = {"title": title, "acronym": acronym}
    if acronym:
        spans["acronym"] = part_span(rest[0], acronym, last=True)
    # A logo's alt text and a one-letter avatar stand before the sponsor's name.
    names = [ln for ln in rest[1:] if len(ln.stripped) > 1 and not _key(ln.text).endswith(" logo")]
    if names:
        out["sponsor"] = names[0].stripped
        spans["sponsor"] = names[0].span()
    return out


def _status(sections: Sections, spans: Spans) -> dict[str, Any]:
    """The status (first line naming no phase) and the phases, one or more a line."""
    out: dict[str, Any] = {}
    where: dict[str, Span] = {}
    for line in section_values(sections, "status and phase"):
        for code in phases_in(line.stripped):
            where.setdefault(code, line.span())
        if not phases_in(line.stripped) and "status_text" not in out:
            out["status_text"] = line.stripped
            out["status"] = normalize_status(line.stripped)
            spans["status"] = spans["status_text"] = line.span()
    out["phases"] = sort_phases(list(where))
    spans.update({f"phases[{i}]": where[code] for i, code in enumerate(out["phases"])})
    return out


def _split_typed(text: str) -> tuple[str | None, str]:
    """"Drug: X (Y®)" -> ("Drug", "X (Y®)"); a line without a "Type:" prefix has no type."""
    m = re.match(r"^([A-Z][A-Za-z ]{1,30}):\s+(\S.*)$", text)
    return (m.group(1), m.group(2)) if m else (None, text)


def _interventions(sections: Sections, spans: Spans) -> tuple[Intervention, ...]:
    out: list[Intervention] = []
    for line in section_values(sections, "treatments"):
        kind, name = _split_typed(line.stripped)
        i = len(out)
        spans[f"interventions[{i}].name"] = part_span(line, name, last=True)
        if kind:
            spans[f"interventions[{i}].type"] = part_span(line, kind)
        out.append(Intervention(type=kind, name=name))
    return tuple(out)


def _identifier(line: Line) -> tuple[str, str | None]:
    """"VALUE (LABEL)" -> (VALUE, LABEL); the label may itself hold parentheses."""
    m = re.match(r"^(\S+)\s+\((.+)\)$", line.stripped)
    if m and m.group(2).count("(") == m.group(2).count(")"):
        return m.group(1), m.group(2)
    return line.stripped, None


def _identifiers(sections: Sections, spans: Spans) -> tuple[Identifier, ...]:
    out: list[Identifier] = []
    for i, line in enumerate(section_values(sections, "identifiers")):
        value, label = _identifier(line)
        scheme = classify_identifier(value, label)
        if scheme == "OTHER" and label is None:
            scheme = "SPONSOR"  # the page prints the sponsor's protocol code unlabelled
        spans[f"registry_ids[{i}]"] = part_span(line, value)
        if label:
            spans[f"registry_ids[{i}].label"] = part_span(line, label, last=True)
        out.append(Identifier(id_scheme(scheme, value), value, label))
    return tuple(out)


def _summary(sections: Sections, spans: Spans) -> str | None:
    """"About" then "Full description", paragraphs separated by one blank line."""
    parts = [section_values(sections, name) for name in ("about", "full description")]
    lines = [ln for part in parts for ln in part]
    if not lines:
        return None
    spans["summary"] = span_of(lines)
    return "\n\n".join(ln.stripped for ln in lines)


def _enrollment(sections: Sections, spans: Spans) -> Enrollment | None:
    values = section_values(sections, "enrollment")
    if not values:
        return None
    text = values[0].stripped
    spans["enrollment"] = values[0].span()
    low = text.lower()
    kind = "ACTUAL" if "actual" in low else ("ESTIMATED" if "estimated" in low else None)
    m = _COUNT_RE.match(text)
    rest = text[m.end():].strip().lower() if m else ""
    if m and all(w in ("estimated", "actual", "patients", "participants") for w in rest.split()):
        return Enrollment(int(m.group(1).replace(",", "")), kind)
    return Enrollment(None, kind, text)


def _ages(line: Line | None) -> tuple[str | None, str | None]:
    """"18+ years old" -> ("18 years", None); "6 months to 17 years old" -> both ends."""
    for form in _AGE_FORMS:
        m = form.match(line.stripped) if line else None
        if m:
            got = m.groupdict()
            low = f"{got['min']} {got.get('umin') or got['umax']}" if got.get("min") else None
            return low, (f"{got['max']} {got['umax']}" if got.get("max") else None)
    return None, None


def _criteria(sections: Sections, name: str, spans: Spans) -> tuple[str, ...]:
    """The bulleted items of "Inclusion criteria" or "Exclusion criteria" (``name``)."""
    items: list[str] = []
    for line in section_values(sections, f"{name} criteria"):
        item = _BULLET_RE.sub("", line.stripped, count=1)
        if item:
            spans[f"eligibility.{name}[{len(items)}]"] = part_span(line, item, last=True)
            items.append(item)
    return tuple(items)


def _eligibility(sections: Sections, spans: Spans) -> Eligibility:
    out: dict[str, Any] = {name: _criteria(sections, name, spans)
                           for name in ("inclusion", "exclusion")}
    for name, key, words in (("sex", "sex", SEX_WORDS),
                             ("volunteers", "healthy_volunteers", VOLUNTEER_WORDS)):
        text = _first(sections, name, spans, f"eligibility.{key}")
        out[key] = words.get(_key(text)) if text else None
    ages = section_values(sections, "ages")
    out["min_age"], out["max_age"] = _ages(ages[0] if ages else None)
    for key in ("min_age", "max_age"):
        if out[key]:
            spans[f"eligibility.{key}"] = ages[0].span()
    return Eligibility(**out)


def _role(line: Line) -> str | None:
    """The arm role of a "<Role> group" line (the page's wording for the arm type)."""
    return arm_role(line.stripped) if _key(line.text).endswith(" group") else None


def _arm_starts(lines: list[Line], j: int, in_text: bool) -> bool:
    """Whether ``lines[j]`` is a group label: a role line or a "Description:" follows it.

    Within a description, a line before "Treatment:" ends the text rather than starting a group.
    """
    if j + 1 >= len(lines):
        return False
    nxt = _key(lines[j + 1].text)
    if _role(lines[j + 1]) or nxt == "description:":
        return True
    return not in_text and nxt in ("treatment:", "treatments:")


def _arm(lines: list[Line], i: int, index: int, spans: Spans) -> tuple[Arm, int]:
    """The group starting at ``lines[i]``, and the index after it."""
    label, i, role = lines[i], i + 1, None
    desc: list[Line] = []
    names: list[str] = []
    spans[f"arms[{index}].label"] = label.span()
    if i < len(lines) and _role(lines[i]):
        role = _role(lines[i])
        spans[f"arms[{index}].role"], i = lines[i].span(), i + 1
    state = ""
    while i < len(lines) and not _arm_starts(lines, i, state == "desc"):
        key = _key(lines[i].text)
        if key in ("description:", "treatment:", "treatments:"):
            state = "desc" if key == "description:" else "treat"
        elif state == "desc":
            desc.append(lines[i])
        elif state == "treat":
            name = _split_typed(lines[i].stripped)[1]
            spans[f"arms[{index}].interventions[{len(names)}]"] = part_span(lines[i], name, last=True)
            names.append(name)
        i += 1
    if desc:
        spans[f"arms[{index}].description"] = span_of(desc)
    text = "\n".join(ln.stripped for ln in desc) or None
    return Arm(label.stripped, role, text, tuple(names)), i


def _arms(sections: Sections, spans: Spans) -> tuple[Arm, ...]:
    lines = section_values(sections, "arms")[1:]  # after the "N participants in K groups" line
    arms: list[Arm] = []
    i = 0
    while i < len(lines):
        arm, i = _arm(lines, i, len(arms), spans)
        arms.append(arm)
    return tuple(arms)


def _register(sections: Sections, spans: Spans) -> str | None:
    lines = section_values(sections, "source")
    m = _SOURCE_RE.match(lines[0].stripped) if lines else None
    if not m:
        return None
    spans["register"] = part_span(lines[0], m.group(1))
    return REGISTER_NAMES.get(m.group(1).lower(), m.group(1))


def _design(sections: Sections, spans: Spans) -> dict[str, Any]:
    fields = {"primary_purpose": "primary purpose", "allocation": "allocation",
              "intervention_model": "interventional model", "masking": "masking"}
    out = {key: _first(sections, name, spans, key) for key, name in fields.items()}
    text = _first(sections, "study type", spans, "study_type")
    out["study_type"] = next((code for word, code in STUDY_TYPE_WORDS.items()
                              if text and _key(text).startswith(word)), None)
    return out


def parse_veeva(text: str) -> StudyRecord:
    """One study from a ClinicalTrials.Veeva page's text.

    Args:
        text: the page as copied (it is cleaned first; spans point into the cleaned text).

    Returns:
        The study record, with a span for every value read.
    """
    lines = split_lines(clean_text(text))
    head, sections = _sections(lines)
    spans: Spans = {}
    fields: dict[str, Any] = {**_head(head, spans), **_status(sections, spans),
                              **_design(sections, spans)}
    conditions = _listed(sections, "conditions", "conditions", spans)
    record = StudyRecord(
        format="veeva", registry_ids=_identifiers(sections, spans),
        conditions=tuple(Condition(name) for name in conditions),
        funder_types=_listed(sections, "funder types", "funder_types", spans),
        interventions=_interventions(sections, spans), summary=_summary(sections, spans),
        enrollment=_enrollment(sections, spans), eligibility=_eligibility(sections, spans),
        arms=_arms(sections, spans), register=_register(sections, spans), language="en",
        spans=spans, **fields,
    )
    warnings = _check_degraded(record, sections)
    return dataclasses.replace(record, warnings=warnings) if warnings else record


def _check_degraded(record: StudyRecord, sections: Sections) -> tuple[str, ...]:
    """Refuse a page with neither title nor values; warn on one saved without values or identifier.

    A degraded page is kept for what it holds (its title, which the normaliser scans for drugs and
    conditions); nothing is filled in for what it lacks. The warnings go into the record (and the graph).
    """
    filled = any(section_values(sections, name) for name in VALUE_SECTIONS)
    if not record.title and not filled:
        raise SourceError("ClinicalTrials.Veeva page with no title and no field values")
    if not filled:
        warning = "page has labels but no field values: only its title is read"
    elif not record.registry_ids:
        warning = "page has no registry identifier"
    else:
        return ()
    log.warning("ClinicalTrials.Veeva page %r: %s", record.title, warning)
    return (warning,)


def parse_document(text: str) -> list[StudyRecord]:
    """The page's one study, as a list (the readers' common interface)."""
    return [parse_veeva(text)]


def detect(text: str) -> bool:
    """A ClinicalTrials.Veeva page: its banner and "Status and phase", or three of its headings."""
    keys = {_key(line) for line in clean_text(text).split("\n")}
    banner = "clinicaltrials.veeva" in keys and bool({"status and phase", "status"} & keys)
    return banner or len(keys & OWN_HEADINGS) >= 3
