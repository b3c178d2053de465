"""Reader for ClinConnect trial pages (clinconnect.io) copied as text.

The page opens with "Search / Trial NCT…", the title and "Launched by <sponsor> ·
<date>", then headed sections ("Trial Information", "Keywords", "ClinConnect
Summary", "Gender", "Eligibility criteria", "About <sponsor>", "Timeline"...).
Sections are found by their headings, so they may come in any order or be missing.

The page has no interventions section: drugs named only in the title, keywords
or summary are left to downstream normalisation, never guessed here.

Example:
    >>> page = "Search / Trial NCT01234567\\nA trial\\nLaunched by Acme · May 7, 2025"
    >>> rec = parse_clinconnect(page)
    >>> rec.registry_ids[0].value, rec.title, rec.sponsor, rec.dates[0].value
    ('NCT01234567', 'A trial', 'Acme', '2025-05-07')
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from kg.model import Eligibility, Identifier, SourceError, Span, StudyDate, StudyRecord
from kg.sources._common import (
    Line, Sections, part_span, section_values, classify_identifier, clean_text, id_scheme, is_country,
    normalize_status, phases_in, sort_phases, span_of, split_lines, title_acronym,
)

log = logging.getLogger(__name__)

# Section headings of the ClinConnect trial page, lower-cased ("About <sponsor>" is matched apart).
HEADINGS = (
    "trial information", "keywords", "clinconnect summary", "gender", "eligibility criteria",
    "locations", "patients applied", "timeline", "description",
)
# Summary sections: the current layout's "ClinConnect Summary", else the older layout's
# "Description" (which the page printed where the summary now stands).
SUMMARY_HEADINGS = ("clinconnect summary", "description")
# "Timeline" labels -> (StudyDate kind, estimated); "First submit" is the registry submission.
TIMELINE_KINDS = {
    "first submit": ("registration", None), "trial launched": ("launched", None),
    "trial updated": ("last_update", None), "estimated completion": ("completion", True),
    "actual completion": ("completion", False),
}
# "Gender" wording (ClinConnect prints ClinicalTrials.gov's ALL/FEMALE/MALE) -> kg.model sex codes.
SEX_WORDS = {"all": "ALL", "female": "FEMALE", "male": "MALE"}
# Placeholders the page prints where a value is missing.
NO_VALUE = ("not reported", "n/a", "-")
# Date layouts the page uses ("May 7, 2025", "July 01, 2025") and their ISO 8601 precision.
DATE_FORMATS = (("%B %d, %Y", "%Y-%m-%d"), ("%b %d, %Y", "%Y-%m-%d"), ("%B %Y", "%Y-%m"),
                ("%Y-%m-%d", "%Y-%m-%d"))

_TRIAL_RE = re.compile(r"^search\s*/\s*trial\s+(\S+)$", re.I)
# "Launched by <sponsor> · <date>". The sponsor ends before the blanks ahead of "·" (the shortest
# sponsor does), so a long blank run is crossed once, not once per sponsor length (quadratic).
_LAUNCH_RE = re.compile(r"^launched by\s+(?P<who>.+?)(?:(?<!\s)\s*+·\s*+(?P<when>.+))?$", re.I)
_CURRENT_RE = re.compile(r"^current as of\s+(.+)$", re.I)
_CRITERIA_RE = re.compile(r"^(inclusion|exclusion) criteria\s*:?$", re.I)
_BULLET_RE = re.compile(r"^[•*\-–]\s*")
_NUMBER_RE = re.compile(r"^\d{1,2}[.)]\s+")

Spans = dict[str, Span]


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _heading(line: Line) -> str | None:
    key = _key(line.text)
    if key in HEADINGS:
        return key
    # "About <sponsor>": a short label, unlike a summary paragraph that starts with "About".
    if key.startswith("about ") and len(key.split()) <= 12 and not key.endswith("."):
        return "about"
    return None


def _sections(lines: list[Line]) -> tuple[list[Line], Sections]:
    """The lines before the first heading, and each heading's lines (first occurrence wins)."""
    head: list[Line] = []
    sections: Sections = {}
    current = head
    for line in lines:
        name = _heading(line)
        if name is None:
            current.append(line)
        else:
            current = []
            sections.setdefault(name, current)
    return head, sections


def _iso(text: str) -> str:
    """A page date in ISO 8601, or the text as written when its layout is unknown."""
    for layout, iso in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), layout).strftime(iso)
        except ValueError:
            continue
    return text.strip()


def _head(head: list[Line], spans: Spans) -> dict[str, Any]:
    """Identifier, title, sponsor and launch date from the lines above the first heading."""
    out: dict[str, Any] = {"registry_ids": (), "dates": []}
    seen_trial = False
    for line in (ln for ln in head if ln.stripped):
        trial, launch = _TRIAL_RE.match(line.stripped), _LAUNCH_RE.match(line.stripped)
        if trial:
            value = trial.group(1)
            out["registry_ids"] = (Identifier(id_scheme(classify_identifier(value), value), value),)
            spans["registry_ids[0]"], seen_trial = part_span(line, value, last=True), True
        elif launch:
            out["sponsor"] = launch.group("who")
            spans["sponsor"] = part_span(line, launch.group("who"))
            if launch.group("when"):
                spans["dates[0]"] = part_span(line, launch.group("when"), last=True)
                out["dates"].append(StudyDate("launched", _iso(launch.group("when"))))
        elif "title" not in out and (seen_trial or not _key(line.text).startswith("clinconnect")):
            out["title"], spans["title"] = line.stripped, line.span()
            if where := title_acronym(line.stripped):
                out["acronym"] = line.stripped[where[1]:where[2]]
                spans["acronym"] = part_span(line, out["acronym"], last=True)
    return out


def _trial_information(sections: Sections, dates: list[StudyDate], spans: Spans) -> dict[str, Any]:
    """"Current as of <date>", the status line and any phase lines."""
    out: dict[str, Any] = {}
    where: dict[str, Span] = {}
    for line in section_values(sections, "trial information"):
        current = _CURRENT_RE.match(line.stripped)
        if current:
            spans[f"dates[{len(dates)}]"] = part_span(line, current.group(1), last=True)
            dates.append(StudyDate("current_as_of", _iso(current.group(1))))
        elif phases_in(line.stripped):
            for code in phases_in(line.stripped):
                where.setdefault(code, line.span())
        elif "status_text" not in out:
            out["status_text"], out["status"] = line.stripped, normalize_status(line.stripped)
            spans["status"] = spans["status_text"] = line.span()
    out["phases"] = sort_phases(list(where))
    spans.update({f"phases[{i}]": where[code] for i, code in enumerate(out["phases"])})
    return out


def _timeline(sections: Sections, dates: list[StudyDate], spans: Spans) -> None:
    """Dates printed under the "Timeline" labels; a label with no date adds nothing."""
    kind = None
    for line in section_values(sections, "timeline"):
        key = _key(line.text)
        if key in TIMELINE_KINDS:
            kind = TIMELINE_KINDS[key]
        elif kind and key not in NO_VALUE:
            date = StudyDate(kind[0], _iso(line.stripped), kind[1])
            if all((d.kind, d.value) != (date.kind, date.value) for d in dates):
                spans[f"dates[{len(dates)}]"] = line.span()
                dates.append(date)
            kind = None


def _countries(sections: Sections, spans: Spans) -> tuple[str, ...]:
    """Countries of the "Locations" lines ("Basel, Switzerland"): the part after the last comma,
    or the whole line, when it is a known country name; anything else (a site, a city) is not read.
    """
    out: list[str] = []
    for line in section_values(sections, "locations"):
        name = line.stripped.rsplit(",", 1)[-1].strip()
        if name and name not in out and is_country(name):
            spans[f"countries[{len(out)}]"] = part_span(line, name, last=True)
            out.append(name)
    return tuple(out)


def _text(sections: Sections, name: str, spans: Spans, key: str) -> str | None:
    """A section's paragraphs, one per line on the page, separated by a blank line."""
    lines = section_values(sections, name)
    if not lines:
        return None
    spans[key] = span_of(lines)
    return "\n\n".join(line.stripped for line in lines)


def _criteria(sections: Sections, spans: Spans) -> dict[str, tuple[str, ...]]:
    """Bulleted items split at the "Inclusion Criteria:" / "Exclusion Criteria:" items.

    A line without a bullet continues the item above it; after a blank line it ends the list.
    """
    items: dict[str, list[tuple[str, Span]]] = {"inclusion": [], "exclusion": []}
    mode, open_item = "inclusion", False
    for line in sections.get("eligibility criteria", []):
        bullet = _BULLET_RE.match(line.stripped)
        if bullet:
            text = _NUMBER_RE.sub("", line.stripped[bullet.end():])
            switch = _CRITERIA_RE.match(text)
            mode = switch.group(1).lower() if switch else mode
            open_item = bool(text) and not switch
            if open_item:
                items[mode].append((text, part_span(line, text, last=True)))
        elif line.stripped and open_item:
            text, span = items[mode].pop()
            longer = Span(span.line_start, line.number, span.start, line.start + len(line.text))
            items[mode].append((f"{text} {line.stripped}", longer))
        elif line.stripped:
            break
        else:
            open_item = False
    for name, found in items.items():
        spans.update({f"eligibility.{name}[{i}]": span for i, (_, span) in enumerate(found)})
    return {name: tuple(text for text, _ in found) for name, found in items.items()}


def _eligibility(sections: Sections, spans: Spans) -> Eligibility:
    gender = section_values(sections, "gender")[:1]
    sex = SEX_WORDS.get(_key(gender[0].text)) if gender else None
    if sex:
        spans["eligibility.sex"] = gender[0].span()
    criteria = _criteria(sections, spans)
    return Eligibility(sex=sex, inclusion=criteria["inclusion"], exclusion=criteria["exclusion"])


def parse_clinconnect(text: str) -> StudyRecord:
    """One study from a ClinConnect page's text.

    Args:
        text: the page as copied (it is cleaned first; spans point into the cleaned text).

    Returns:
        The study record, with a span for every value read. Interventions stay empty.
    """
    head, sections = _sections(split_lines(clean_text(text)))
    spans: Spans = {}
    fields = _head(head, spans)
    dates: list[StudyDate] = fields.pop("dates")
    fields.update(_trial_information(sections, dates, spans))
    _timeline(sections, dates, spans)
    keywords = section_values(sections, "keywords")
    spans.update({f"keywords[{i}]": line.span() for i, line in enumerate(keywords)})
    summary = next((s for name in SUMMARY_HEADINGS if (s := _text(sections, name, spans, "summary"))), None)
    if not fields.get("title") and not keywords and not summary and not fields.get("sponsor"):
        raise SourceError("ClinConnect page with no title and no field values")
    warnings = () if fields["registry_ids"] else ("page has no registry identifier",)
    if warnings:
        log.warning("ClinConnect page %r has no registry identifier", fields.get("title"))
    return StudyRecord(warnings=warnings,
        format="clinconnect", keywords=tuple(line.stripped for line in keywords), summary=summary,
        countries=_countries(sections, spans),
        eligibility=_eligibility(sections, spans), dates=tuple(dates), language="en",
        spans=spans, **fields,
    )


def parse_document(text: str) -> list[StudyRecord]:
    """The page's one study, as a list (the readers' common interface)."""
    return [parse_clinconnect(text)]


def detect(text: str) -> bool:
    """A ClinConnect page: two or more of its banner, trial line, summary heading, launch line."""
    lines = [_key(line) for line in clean_text(text).split("\n")]
    marks = (
        any(line.startswith("clinconnect") and "logo" in line for line in lines),
        any(_TRIAL_RE.match(line) for line in lines),
        "clinconnect summary" in lines or "description" in lines,
        any(line.startswith("launched by ") and "·" in line for line in lines),
    )
    return sum(marks) >= 2
