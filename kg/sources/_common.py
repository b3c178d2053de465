"""Helpers shared by the text readers: clean text, lines with offsets, spans,
and the mapping of registry wording onto the controlled vocabularies of
:mod:`kg.model`.
"""

from __future__ import annotations

import functools
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
    # Primary registers' own wording as ICTRP prints it: JPRN (UMIN/jRCT), ANZCTR, DRKS.
    "complete": "COMPLETED",
    "complete: follow-up complete": "COMPLETED",
    "complete: follow-up continuing": "ACTIVE_NOT_RECRUITING",
    "closed: follow-up complete": "COMPLETED",
    "closed: follow-up continuing": "ACTIVE_NOT_RECRUITING",
    "main results already published": "COMPLETED",
    "no longer recruiting": "ACTIVE_NOT_RECRUITING",
    "open public recruiting": "RECRUITING",
    "preinitiation": "NOT_YET_RECRUITING",
    "stopped early": "TERMINATED",
    "recruiting planned": "NOT_YET_RECRUITING",
    "recruiting ongoing": "RECRUITING",
    "recruiting complete, study complete": "COMPLETED",
    "recruiting complete, follow-up continuing": "ACTIVE_NOT_RECRUITING",
    "recruiting complete, follow-up complete": "COMPLETED",
    "recruiting stopped after recruiting started": "TERMINATED",
    "recruiting withdrawn before recruiting started": "WITHDRAWN",
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


# Country names (ISO 3166-1 short, common and official names) with the source in the file's header.
COUNTRY_NAMES_FILE = "countries.txt"
_COUNTRY_TOKEN_RE = re.compile(r"[^\s,;]+")


@functools.lru_cache(maxsize=1)
def _country_names() -> dict[tuple[str, ...], None]:
    """Every country name of the reference file as a tuple of lower-cased tokens."""
    from kg.resources import reference_dir

    names: dict[tuple[str, ...], None] = {}
    rows = (reference_dir() / COUNTRY_NAMES_FILE).read_text(encoding="utf-8").splitlines()
    for row in rows[1:]:
        if row.startswith("#") or row.startswith("alpha_2\t"):
            continue
        for name in row.split("\t")[1:]:
            if name:
                names[tuple(t.lower() for t in _COUNTRY_TOKEN_RE.findall(name))] = None
    return names


def is_country(text: str) -> bool:
    """Whether ``text`` is exactly one name of the reference country list (case and commas aside)."""
    tokens = tuple(t.lower() for t in _COUNTRY_TOKEN_RE.findall(text))
    return bool(tokens) and tokens in _country_names()


def split_countries(text: str) -> list[tuple[int, int]]:
    """(start, end) of each country a value names: one pair unless it is a run of several names.

    A run such as "Argentina Austria Belgium" or "Belgium Korea, Republic of Spain" is cut at the
    names of the reference list, longest name first at each position; words between two known
    names stay one value. A value naming fewer than two known countries is kept whole.
    """
    tokens = [(m.start(), m.end(), m.group().lower()) for m in _COUNTRY_TOKEN_RE.finditer(text)]
    names = _country_names()
    longest = max(map(len, names), default=0)
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            if tuple(t[2] for t in tokens[i:i + n]) in names:
                found.append((i, i + n))
                i += n
                break
        else:
            i += 1
    if len(found) < 2:
        return [(0, len(text))] if text.strip() else []
    pieces: list[tuple[int, int]] = []
    pos = 0
    for a, b in found:
        if a > pos:  # words no known name covers: one value of their own
            pieces.append((pos, a))
        pieces.append((a, b))
        pos = b
    if pos < len(tokens):
        pieces.append((pos, len(tokens)))
    return [(tokens[a][0], tokens[b - 1][1]) for a, b in pieces]


# Words that name the study itself: "... Registry SABLE", "(The DART Study-)".
STUDY_WORDS = ("study", "trial", "registry", "cohort", "program", "programme", "project", "survey")
# Words that with a number name a part of the study or of the disease, not the study:
# "(Part 2)", "(Phase 3)", "(Type 1)".
PART_WORDS = ("part", "phase", "type", "stage", "grade", "cohort", "arm", "group", "step", "period",
              "study", "trial", "version", "wave", "year", "week", "day", "class", "level")
_ROMAN_RE = re.compile(r"^[IVX]+$")
_STUDY_WORD_RE = "|".join(STUDY_WORDS)
# "(X)" or " - X" closing a title; the group is what the title adds.
_TRAILING_RE = re.compile(r"(?:\s\(([^()]{2,40})\)|\s[-–]\s+((?:(?!\s[-–]\s)[^()]){2,40}?))\s*$")
_THE_STUDY_RE = re.compile(rf"^(?:the\s+)?(\S+)\s+(?:{_STUDY_WORD_RE})\s*[-–:]?$", re.I)
_WORD_NUMBER_RE = re.compile(r"^([A-Z][\w-]{1,20})\s+(\d{1,2}|[IVX]{1,4})$")
_APPENDED_RE = re.compile(rf"\b(?:{_STUDY_WORD_RE})\s+([A-Z][A-Z0-9-]{{2,19}})\s*$", re.I)
# "The ICARUS trial: ..." opening a title (anchored: one try, each part read once).
_LEADING_RE = re.compile(rf"^(?:the\s++)?(\S++)\s++(?:{_STUDY_WORD_RE})\s*+:\s", re.I)


def _capitals(word: str) -> int:
    return sum(c.isupper() for c in word)


def _abbreviates(short: str, before: str) -> bool:
    """Whether ``short`` abbreviates the words right before it ("COPD", "ITP" after their terms).

    Each word, last first, gives a run of the letters: its first letter, then letters inside it in
    order (so "thrombocytopenia" gives "tp"); "of", "and", "the" may give nothing.
    """
    letters = re.sub(r"[^a-z0-9]", "", short.lower())
    words = [w.lower() for w in re.split(r"[\s\-/]+", before) if w]
    skippable = {"of", "and", "the", "in", "with", "for", "to", "a", "an", "&"}

    def subsequence(part: str, word: str) -> bool:
        it = iter(word)
        return all(c in it for c in part)

    @functools.lru_cache(maxsize=None)
    def fits(end: int, wi: int) -> bool:  # letters[:end] from words[:wi]
        if end == 0:
            return True
        if wi == 0:
            return False
        word = re.sub(r"[^a-z0-9]", "", words[wi - 1])
        if not word:
            return fits(end, wi - 1)
        for start in range(end - 1, -1, -1):
            part = letters[start:end]
            if part[0] == word[0] and subsequence(part[1:], word[1:]) and fits(start, wi - 1):
                return True
        return words[wi - 1] in skippable and fits(end, wi - 1)

    return bool(letters) and len(words) < 200 and fits(len(letters), len(words))


def title_acronym(title: str) -> tuple[int, int, int] | None:
    """Where a title's acronym is: (start of the part naming it, acronym start, acronym end).

    Written forms: "... (NET-CD38)", "... (The DART Study-)", "... (Ritux 3)", "... (EoE KIDS)",
    "... - ACRONYM", one appended after a word naming the study ("... Registry SABLE"), and one
    named with a study word beside a colon ("The ICARUS trial: ...", "...: the NEMO-PN study"),
    which like the appended one stays part of the title. Not taken: a
    parenthesis that abbreviates the words before it ("... Pulmonary Disease (COPD)"), a part
    number ("(Part 2)"), a word with fewer than two capitals.
    """
    m = _TRAILING_RE.search(title)
    if m:
        group = 1 if m.group(1) is not None else 2
        inner, at = m.group(group), m.start(group)
        inner_stripped = inner.rstrip()
        if (s := _THE_STUDY_RE.match(inner_stripped)) and _capitals(s.group(1)) >= 2:
            return m.start(), at + s.start(1), at + s.end(1)
        if (w := _WORD_NUMBER_RE.match(inner_stripped)) and w.group(1).lower() not in PART_WORDS:
            return m.start(), at, at + len(inner_stripped)
        if (" " not in inner_stripped and _capitals(inner_stripped) >= 2
                and not _ROMAN_RE.match(inner_stripped)
                and not _abbreviates(inner_stripped, title[:m.start()])):
            return m.start(), at, at + len(inner_stripped)
        if _acronym_words(inner_stripped) and not _abbreviates(inner_stripped, title[:m.start()]):
            return m.start(), at, at + len(inner_stripped)
    a = _APPENDED_RE.search(title)
    if a and a.group(1).isupper() and not _ROMAN_RE.match(a.group(1)):
        return len(title.rstrip()), a.start(1), a.end(1)
    return _named_with_colon(title)


def _acronym_words(text: str) -> bool:
    """Two or three words each with two capitals or more ("EoE KIDS"), none a Roman numeral."""
    words = text.split()
    return 2 <= len(words) <= 3 and all(_capitals(w) >= 2 and not _ROMAN_RE.match(w) for w in words)


def _named_with_colon(title: str) -> tuple[int, int, int] | None:
    """An acronym named with a study word on one side of the title's colon; it stays in the title.

    "The ICARUS trial: iron in heart failure" and "Drug X in prurigo: the NEMO-PN study".
    """
    cut = title.rfind(": ")
    forms = [(_LEADING_RE.match(title), 0)]
    if cut >= 0:
        forms.append((_THE_STUDY_RE.match(title[cut + 2:].rstrip()), cut + 2))
    for m, offset in forms:
        if m and _capitals(m.group(1)) >= 2 and not _ROMAN_RE.match(m.group(1)):
            return len(title.rstrip()), offset + m.start(1), offset + m.end(1)
    return None
