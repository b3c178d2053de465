"""Helpers shared by the text readers: clean text, lines with offsets, spans,
and the mapping of registry wording onto the controlled vocabularies of
:mod:`kg.model`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from kg.model import Span

_ID_PATTERNS = (
    # ClinicalTrials.gov identifier format
    ("NCT", re.compile(r"^NCT\d{8}$")),
    # EU CTIS trial number: year-sequence-checksum-suffix (EU CTR 536/2014)
    ("EU_CT", re.compile(r"^\d{4}-5\d{5}-\d{2}-\d{2}$")),
    # EudraCT number: year-sequence-checksum
    ("EUDRACT", re.compile(r"^\d{4}-\d{6}-\d{2}$")),
    # WHO ICTRP "Main ID" prefixes of primary registers (trialsearch.who.int)
    ("WHO_ICTRP", re.compile(
        r"^(EUCTR\d{4}-\d{6}-\d{2}(-[A-Z]{2,3})?|ChiCTR[-\w]+|ISRCTN\d+|ACTRN\d+|"
        r"CTRI/[\d/]+|DRKS\d+|IRCT\w+|JPRN-\w+|KCT\d+|NTR\d+|NL-OMON\d+|PACTR\d+|"
        r"RBR-\w+|RPCEC\d+|SLCTR/[\d/]+|TCTR\d+|LBCTR\d+|ITMCTR\d+|CTIS\d+|EU\d+)$")),
)

# Wording of recruitment status on registry pages -> ClinicalTrials.gov v2 codes.
# Sources: ClinicalTrials.Veeva and ClinConnect pages (their own labels), WHO
# ICTRP "Recruitment status" values, and the v2 OverallStatus enumeration.
STATUS_WORDS = {
    "not yet enrolling": "NOT_YET_RECRUITING",
    "not yet recruiting": "NOT_YET_RECRUITING",
    "not recruiting": "ACTIVE_NOT_RECRUITING",
    "enrolling": "RECRUITING",
    "recruiting": "RECRUITING",
    "enrolling by invitation": "ENROLLING_BY_INVITATION",
    "active, not recruiting": "ACTIVE_NOT_RECRUITING",
    "active not recruiting": "ACTIVE_NOT_RECRUITING",
    "suspended": "SUSPENDED",
    "terminated": "TERMINATED",
    "completed": "COMPLETED",
    "withdrawn": "WITHDRAWN",
    "unknown": "UNKNOWN",
    "unknown status": "UNKNOWN",
    "authorised-recruitment may be ongoing or finished": "AUTHORISED",
    "authorised": "AUTHORISED",
    "pending": "NOT_YET_RECRUITING",
    "available": "AVAILABLE",
    "no longer available": "NO_LONGER_AVAILABLE",
}

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_PHASE_RE = re.compile(r"\b(early\s+)?phase\s*([1-4]|iv|iii|ii|i)\b", re.I)

# Arm-group wording (ClinicalTrials.gov labels as the page sites print them)
ARM_ROLE_WORDS = {
    "experimental": "EXPERIMENTAL",
    "active comparator": "ACTIVE_COMPARATOR",
    "placebo comparator": "PLACEBO_COMPARATOR",
    "sham comparator": "SHAM_COMPARATOR",
    "no intervention": "NO_INTERVENTION",
    "other": "OTHER",
}


# A UTF-16 surrogate standing alone, as a JSON escape ("\udb49") can write one: no UTF-8 encoder
# takes it, so it would fail the build where the record is written out.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Normalise what copy-pasting and exports vary: line endings, NBSP, entities, Unicode form.

    Lone surrogates become U+FFFD (one character for one: offsets stay).
    """
    text = _SURROGATE_RE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = html.unescape(text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\ufeff", "")
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    start: int  # offset of the first character
    text: str  # without the newline, right-stripped

    @property
    def stripped(self) -> str:
        return self.text.strip()

    def span(self) -> Span:
        lead = len(self.text) - len(self.text.lstrip())
        return Span(self.number, self.number, self.start + lead, self.start + len(self.text))


# A page's sections: heading (lower-cased) -> the lines under it.
Sections = dict[str, list[Line]]


def section_values(sections: Sections, name: str) -> list[Line]:
    """The non-blank lines of one section (none when the page lacks it)."""
    return [line for line in sections.get(name, []) if line.stripped]


def part_span(line: Line, text: str, last: bool = False) -> Span:
    """The span of ``text`` inside one line (its last occurrence if ``last``)."""
    start = line.start + (line.text.rindex(text) if last else line.text.index(text))
    return Span(line.number, line.number, start, start + len(text))


def split_lines(text: str) -> list[Line]:
    """Lines of ``text`` with their offsets (offsets count in ``text`` itself)."""
    out, pos = [], 0
    for i, raw in enumerate(text.split("\n"), start=1):
        out.append(Line(i, pos, raw.rstrip()))
        pos += len(raw) + 1
    return out


def span_of(lines: list[Line]) -> Span:
    """One span covering consecutive lines."""
    first, last = lines[0], lines[-1]
    return Span(first.number, last.number, first.span().start, last.start + len(last.text))


# Longest value taken as a registry identifier (real ones are under 40 characters). A study's
# identifier is written into the IRI of every statement of its record: one of 200,000 characters
# made a single document's N-Quads hundreds of megabytes. A longer value is kept, as OTHER.
MAX_ID_CHARS = 200


def id_scheme(scheme: str, value: str) -> str:
    """``scheme``, or "OTHER" for a value too long to be a registry identifier."""
    return scheme if len(value) <= MAX_ID_CHARS else "OTHER"


def classify_identifier(value: str, label: str | None = None) -> str:
    """The scheme of a registry identifier, from its shape first, then its label."""
    value = value.strip()
    for scheme, pattern in _ID_PATTERNS:
        if pattern.match(value):
            return scheme
    low = (label or "").lower()
    if "eudract" in low:
        return "EUDRACT"
    if "sponsor" in low or "protocol" in low or "org study" in low:
        return "SPONSOR"
    return "OTHER"


def normalize_status(text: str | None) -> str | None:
    if not text:
        return None
    key = re.sub(r"\s+", " ", text.strip().lower()).rstrip(".")
    return STATUS_WORDS.get(key)


def phases_in(text: str) -> list[str]:
    """Phase codes named in a text: "Phase 2" -> PHASE2, "Phase II" -> PHASE2, "Early Phase 1"."""
    found = []
    for m in _PHASE_RE.finditer(text):
        num = _ROMAN.get(m.group(2).lower(), m.group(2))
        code = ("EARLY_PHASE" if m.group(1) else "PHASE") + num
        if code not in found:
            found.append(code)
    return found


def sort_phases(phases: list[str]) -> tuple[str, ...]:
    order = ("EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA")
    return tuple(sorted(set(phases), key=order.index))


# A trailing " group", tried only where a blank run starts (from every blank of a long run it was
# quadratic).
_GROUP_RE = re.compile(r"(?<!\s)\s++group$")


def arm_role(text: str | None) -> str | None:
    if not text:
        return None
    key = _GROUP_RE.sub("", text.strip().lower())
    return ARM_ROLE_WORDS.get(key)


# An e-mail address, or several written back to back. Linear on any text: "[\w.+-]+@..." alone
# retried the local part from every character of a run that has no "@" after it (a 100 KB word
# took 34 s). Here a local part starts only where a run of its characters starts, or right
# after the address before it (the repeated group), and no quantifier gives anything back.
# It finds the same addresses as that pattern: any later start in a run has the same tail.
EMAIL_RE = re.compile(r"(?<![\w.+-])(?:[\w.+-]++@[\w-]++(?:\.[\w-]++)++)++")
PHONE_RE = re.compile(r"(\+?\d[\d .()/-]{7,}\d)")
# What stands for a removed address (the emitter marks addresses in text literals the same way).
EMAIL_MARK = "[e-mail removed]"


def strip_contacts(text: str) -> str:
    """Remove e-mail addresses (and "mailto:") from a value: contacts are never kept."""
    return EMAIL_RE.sub("", text.replace("mailto:", "")).strip()


def scrub_emails(text: str) -> str:
    """The text with each e-mail address replaced by :data:`EMAIL_MARK`."""
    return EMAIL_RE.sub(EMAIL_MARK, text) if "@" in text else text
