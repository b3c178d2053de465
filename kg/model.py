"""The typed record every source reader returns.

One :class:`StudyRecord` per study found in a document. Values are kept as the
document writes them, except where a reader maps a registry's own wording onto
the small controlled vocabularies below (phases, statuses, arm roles,
identifier schemes), so that downstream code never sees layout-specific words.

Every value that came from the text has an entry in ``StudyRecord.spans``,
keyed by its JSON path in :func:`to_json` output (``"title"``,
``"conditions[2]"``, ``"interventions[0].name"``, ...).

Example:
    >>> rec = StudyRecord(format="veeva", title="A trial")
    >>> to_json(rec)["title"]
    'A trial'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Controlled vocabularies. Codes follow ClinicalTrials.gov API v2 enumerations
# (https://clinicaltrials.gov/data-api/about-api/study-data-structure) so that
# the v2 reader passes them through and page readers map onto them.
PHASES = ("EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA")
STATUSES = (
    "NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION",
    "ACTIVE_NOT_RECRUITING", "SUSPENDED", "TERMINATED", "COMPLETED",
    "WITHDRAWN", "UNKNOWN", "AUTHORISED", "AVAILABLE", "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE", "APPROVED_FOR_MARKETING", "WITHHELD",
)
ARM_ROLES = (
    "EXPERIMENTAL", "ACTIVE_COMPARATOR", "PLACEBO_COMPARATOR",
    "SHAM_COMPARATOR", "NO_INTERVENTION", "OTHER",
)
# NCT: ClinicalTrials.gov; EU_CT: EU CTIS number (YYYY-NNNNNN-NN-NN);
# EUDRACT: EudraCT number (YYYY-NNNNNN-NN); WHO_ICTRP: an ICTRP "Main ID"
# such as EUCTR2017-001400-29-FR or ChiCTR...; SPONSOR: sponsor protocol code.
ID_SCHEMES = ("NCT", "EU_CT", "EUDRACT", "WHO_ICTRP", "SPONSOR", "OTHER")
STUDY_TYPES = ("INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS", "CASE_COLLECTION")
FORMATS = ("veeva", "ictrp", "clinconnect", "ctgov_v2", "ctgov_xml", "letter")


class SourceError(ValueError):
    """A document could not be read. The message says why; ``path`` says which file."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.reason = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


@dataclass(frozen=True)
class Span:
    """Where a value stands in the source text.

    ``line_start``/``line_end`` are 1-based and inclusive; ``start``/``end``
    are character offsets (end exclusive) into the text given to the reader.
    JSON sources give ``pointer`` (RFC 6901) instead of offsets.
    """

    line_start: int
    line_end: int
    start: int | None = None
    end: int | None = None
    pointer: str | None = None


@dataclass(frozen=True)
class Identifier:
    scheme: str  # one of ID_SCHEMES
    value: str
    label: str | None = None  # the label the document gives, e.g. "EU Trial (CTIS) Number"


@dataclass(frozen=True)
class Condition:
    name: str
    subtypes: tuple[str, ...] = ()  # e.g. the subtypes a list names in parentheses
    mesh_ids: tuple[str, ...] = ()  # MeSH ids the source itself gives (ClinicalTrials.gov derivedSection)


@dataclass(frozen=True)
class Intervention:
    type: str | None  # as written: "Drug", "Biological", "Other", "Product"...
    name: str
    description: str | None = None
    other_names: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # product / sponsor / CAS codes the source states
    mesh_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Arm:
    label: str
    role: str | None  # one of ARM_ROLES
    description: str | None = None
    interventions: tuple[str, ...] = ()  # intervention names as written


@dataclass(frozen=True)
class Eligibility:
    min_age: str | None = None
    max_age: str | None = None
    sex: str | None = None  # "ALL", "FEMALE", "MALE"
    healthy_volunteers: bool | None = None
    inclusion: tuple[str, ...] = ()
    exclusion: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    kind: str  # "PRIMARY" or "SECONDARY"
    measure: str
    time_frame: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class MeddraTerm:
    code: str
    level: str | None = None  # "PT", "LLT", ... only as the source states it
    version: str | None = None
    term: str | None = None
    soc_code: str | None = None
    soc_name: str | None = None


@dataclass(frozen=True)
class Enrollment:
    count: int | None
    kind: str | None = None  # "ESTIMATED" or "ACTUAL"
    raw: str | None = None  # kept when the text is not a plain integer


@dataclass(frozen=True)
class Reference:
    number: int | None
    raw: str
    authors: tuple[str, ...] = ()
    title: str | None = None
    journal: str | None = None
    year: int | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None


@dataclass(frozen=True)
class Organization:
    name: str
    role: str  # "SPONSOR", "COLLABORATOR", "FUNDER", "RESPONSIBLE"
    department: str | None = None
    kind: str | None = None  # funder type as written ("Industry", "Other", ...)


@dataclass(frozen=True)
class StudyDate:
    kind: str  # "registration", "start", "first_enrolment", "completion", "last_update", ...
    value: str  # ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD) when the reader could parse it, else as written
    estimated: bool | None = None


@dataclass(frozen=True)
class StudyRecord:
    """One study as one document describes it."""

    format: str
    registry_ids: tuple[Identifier, ...] = ()
    title: str | None = None
    scientific_title: str | None = None
    acronym: str | None = None
    sponsor: str | None = None
    collaborators: tuple[str, ...] = ()
    funders: tuple[str, ...] = ()
    funder_types: tuple[str, ...] = ()
    organizations: tuple[Organization, ...] = ()  # responsible institution etc. beyond the above
    status: str | None = None  # one of STATUSES
    status_text: str | None = None
    phases: tuple[str, ...] = ()  # each one of PHASES
    study_type: str | None = None  # one of STUDY_TYPES
    document_kind: str | None = None  # e.g. "call_for_case_reports"
    allocation: str | None = None
    intervention_model: str | None = None
    masking: str | None = None
    primary_purpose: str | None = None
    enrollment: Enrollment | None = None
    conditions: tuple[Condition, ...] = ()
    keywords: tuple[str, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    arms: tuple[Arm, ...] = ()
    eligibility: Eligibility = field(default_factory=Eligibility)
    outcomes: tuple[Outcome, ...] = ()
    meddra: tuple[MeddraTerm, ...] = ()
    countries: tuple[str, ...] = ()
    dates: tuple[StudyDate, ...] = ()
    source_url: str | None = None
    language: str | None = None  # BCP 47, e.g. "en", "fr"
    summary: str | None = None
    references: tuple[Reference, ...] = ()
    register: str | None = None  # the primary register a record names, e.g. "EUCTR"
    # What the reader could not read in a document it accepted (a page saved without values, no identifier).
    warnings: tuple[str, ...] = ()
    spans: dict[str, Span] = field(default_factory=dict, compare=False, hash=False)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    return value


def to_json(record: StudyRecord) -> dict[str, Any]:
    """The record as a JSON-ready dict following ``kg/schema/record.schema.json``."""
    out = _plain(record)
    if not out["warnings"]:  # only degraded documents carry the key
        del out["warnings"]
    elig = out.pop("eligibility")
    out["eligibility"] = elig
    out["spans"] = {
        k: {key: val for key, val in span.items() if val is not None}
        for k, span in out["spans"].items()
    }
    return dict(sorted(out.items()))
