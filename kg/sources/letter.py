"""Reader for free-text letters to colleagues, such as a call for case reports.

The free-text fallback: tried after every registry format, and still recognising
only a letter (a salutation to colleagues plus a case-collection request or an
inclusion-criteria heading), so that arbitrary prose stays an unknown format.
Everything is read from the letter's structure: the drug is what patients are
"treated with" / "traités par"; conditions are the sub-list of an inclusion
criterion; the institution comes from the signature's affiliation line; the
references are the numbered Vancouver list. Signatory names, e-mails, phone and
fax numbers are never read.

Lists: a heading ("Critères d'inclusion", "Inclusion criteria:") opens a list of
numbered or bulleted items; items with another marker ("-", "•", "*" under "1)")
nest under the previous item, and the first inclusion item with such a sub-list
gives the conditions. A line continues an item when the item left a parenthesis
open, ends on a comma or hyphen, or the line starts lowercase.

Language: counts of French and English function words; the larger wins when it
has three or more and 1.5 times the other, else None.

Conditions: a trailing parenthesis holding a comma-separated enumeration gives
``Condition.subtypes`` ("X (A, B et C)" -> X; A, B, C); a parenthesis without a
comma is a qualifier ("X (associée ... ou idiopathique)") and stays in the name.

Example:
    >>> guess_language("Nous souhaitons recenser les cas de patients traités par le médicament")
    'fr'
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Any

from kg.model import (Condition, Eligibility, Intervention, Organization, SourceError,
                      Span, StudyRecord)
from kg.sources._common import EMAIL_RE, Line, clean_text, span_of, split_lines
from kg.sources._references import CONTACT_RE, Joined, join_text, reference, reference_entries, tidy

# Closed-class words of each language: their counts tell French from English text.
FUNCTION_WORDS = {
    "fr": frozenset("le la les des du de et est une un pour par dans avec nous vous que qui sur "
                    "au aux ces ce sont pas ou il elle leur cette".split()),
    "en": frozenset("the of and to in is are with for we you that this by on or be as from have "
                    "which an was were".split()),
}
# Salutations to colleagues opening a letter (French and English usage).
SALUTATION_RE = re.compile(r"^(?:chers|chères|cher|chère|dear)\s+(?:coll[eè]gues?|colleagues?|confr[eè]res?|"
                           r"consœurs?|amis|friends|doctors?|all)\b", re.I)
# Requests to report cases / collect cases retrospectively.
CALL_RE = re.compile(r"recenser|signaler|fiche de recueil|recueil (?:de|des) (?:cas|observations)|"
                     r"appel à observations|collect(?:ing)? (?:all )?(?:the )?(?:cases|patients|data|observations|outcomes)|"
                     r"report(?:ing)? (?:any |your |such |these )?(?:cases|patients|observations)|"
                     r"case report form|call for case|data collection (?:sheet|form)|please (?:send|report|contact us)|"
                     r"constituer une (?:cohorte|s[ée]rie)|"
                     r"merci de nous (?:contacter|adresser|transmettre|signaler|faire parvenir)|"
                     r"build(?:ing)? a (?:retrospective )?(?:cohort|case series)|let us know", re.I)
CLOSING_RE = re.compile(r"^(?:bien\s+)?(?:confraternellement|cordialement)|^(?:yours\s+)?sincerely|"
                        r"^(?:with\s+)?(?:best|kind)\s+(?:regards|wishes)|^regards\b", re.I)
REF_HEAD_RE = re.compile(r"^(?:r[ée]f[ée]rences?|bibliograph(?:ie|y))\s*:?$", re.I)
TITLE_RE = re.compile(r"^(?:objet|subject|re|title|titre)\s*:\s*(\S.*)$", re.I)
INCLUSION_RE = re.compile(r"crit[eè]res?\s+d['’]\s*inclusion|inclusion\s+criteria|^(?:eligibility|[ée]ligibilit[ée])"
                          r"(?:\s+criteria|\s+crit[eè]res)?\s*:", re.I)
EXCLUSION_RE = re.compile(r"crit[eè]res?\s+(?:d['’]\s*|de\s+)(?:exclusion|non-inclusion)|"
                          r"exclusion\s+criteria", re.I)
# Hospital-structure words telling a department from an institution in an affiliation.
DEPARTMENT_RE = re.compile(r"\b(?:service|d[ée]partement|department|unit[ée]?|division|p[ôo]le|"
                           r"laboratoire|laboratory)\b", re.I)
INSTITUTION_RE = re.compile(r"\b(?:h[ôo]pita\w*|hospita\w*|chu|chru|universit\w*|institut\w*|"
                            r"clinic|klinik\w*|medical cent\w+|centre hospitalier|hospices?)\b", re.I)
# Other bodies an affiliation may name (reference centres, networks, societies...).
ORGANIZATION_RE = re.compile(r"\b(?:centre|center|r[ée]seau|network|groupe?|soci[ée]t[ée]|society|fili[èe]re|"
                             r"fondation|foundation|association|consortium|registry|registre|inserm|cnrs)\b",
                             re.I)
# Titles opening a signatory's line (never kept).
PERSON_RE = re.compile(r"^(?i:dr|pr|prof|professor|professeur|docteur|mr|mrs|ms|mme|mlle)\.?\s|"
                       r",\s*(?:MD|PhD|MSc|MPH|PharmD|FRCPC?)\b")
# "treated with X" / "traités par X": X up to a preposition or punctuation, at most three words.
TREATED_RE = re.compile(r"\b(?:trait[ée]e?s?|treated)\s+(?:par|with)\s+")
# Used with .match(text, pos), which anchors it at pos (so no "^", which would not match there).
DETERMINER_RE = re.compile(r"(?:le|la|les|l['’]|un|une|des|du|the|a|an)\s+", re.I)
WORD_RE = re.compile(r"\S+")
SENTENCE_END = ". "
# A trailing "(A, B et C)" of a condition. The name ends before the blanks ahead of "(" (the
# shortest name does: its text is stripped); looking behind keeps a long blank run from being
# rescanned at every name length (quadratic before).
TRAILING_LIST_RE = re.compile(r"(.+?)(?<!\s)\s*+\(([^()]*+)\)")
# The "et"/"and"/"ou"/"or" before the last subtype; tried only where a blank run starts.
LAST_AND_RE = re.compile(r"(?<!\s)\s++(?:et|and|ou|or)\s++")
STOP_WORDS = frozenset("pour for dans in chez en à au aux as after après during pendant since depuis "
                       "with avec who qui because car".split())
CONJUNCTIONS = frozenset("ou or et and and/or et/ou".split())
MARKER_RE = re.compile(r"^(?:(?P<num>\(?\d{1,2}[.)])|(?P<alpha>[a-z][.)])|(?P<bullet>[-–•*▪◦]))\s+")
MIN_AGE_RE = re.compile(r"(?:(?:≥|>=|au moins|at least)\s*(\d{1,3})\s*(?:ans|years?))|"
                        r"(?:(\d{1,3})\s*(?:ans|years?)(?:\s+(?:of age|d['’]âge))?\s+"
                        r"(?:ou plus|et plus|or (?:more|older|over|above)|and (?:older|over|above)))", re.I)


def guess_language(text: str) -> str | None:
    """"fr" or "en" from function-word counts; None when neither clearly dominates."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    counts = {lang: sum(w in vocab for w in words) for lang, vocab in FUNCTION_WORDS.items()}
    best = max(counts, key=lambda k: counts[k])
    other = min(counts.values())
    return best if counts[best] >= 3 and counts[best] >= 1.5 * other else None


def detect(text: str) -> bool:
    """True for a letter to colleagues collecting cases or stating inclusion criteria."""
    lines = [ln.strip() for ln in clean_text(text).splitlines() if ln.strip()]
    opening = any(SALUTATION_RE.match(ln) for ln in lines[:15])
    joined = " ".join(lines)  # a request may wrap: "the case\nreport form"
    return opening and bool(CALL_RE.search(joined) or any(INCLUSION_RE.search(ln) for ln in lines))


@dataclass(frozen=True)
class Flat:
    """Non-empty lines joined by single spaces, each character mapped back to its offset."""

    text: str
    offsets: list[int]
    lines: list[Line]

    def index(self, offset: int) -> int:
        """Position in ``text`` of the character at ``offset`` in the source."""
        return bisect.bisect_left(self.offsets, offset)

    @functools.cached_property
    def starts(self) -> list[int]:
        # Once per letter, not per drug mention: a letter may name thousands.
        return [ln.start for ln in self.lines]

    def span(self, a: int, b: int) -> Span:
        start, end = self.offsets[a], self.offsets[b - 1] + 1
        starts = self.starts
        first = self.lines[bisect.bisect_right(starts, start) - 1]
        last = self.lines[bisect.bisect_right(starts, end - 1) - 1]
        return Span(first.number, last.number, start, end)


def flatten(lines: list[Line]) -> Flat:
    parts: list[str] = []
    offsets: list[int] = []
    for ln in lines:
        lead = ln.start + len(ln.text) - len(ln.text.lstrip())
        if parts:
            parts.append(" ")
            offsets.append(lead)
        parts.append(ln.stripped)
        offsets.extend(range(lead, lead + len(ln.stripped)))
    return Flat("".join(parts), offsets, lines)


@dataclass
class Item:
    kind: str
    lines: list[Line]
    text: str
    subs: list[Item]


def continues(prev: Joined, line: str) -> bool:
    """A wrapped line: the item left a parenthesis open, ends on a comma/hyphen, or it starts lowercase."""
    return prev.unclosed > 0 or prev.end.endswith((",", "-", "/")) or line[:1].islower()


def is_stop(line: str) -> bool:
    return bool(CLOSING_RE.match(line) or REF_HEAD_RE.match(line) or CONTACT_RE.match(line)
                or INCLUSION_RE.search(line) or EXCLUSION_RE.search(line))


def list_items(lines: list[Line]) -> list[Item]:
    """Items of the list opening ``lines``; items of another marker kind nest under the previous one."""
    flat: list[Item] = []
    texts: list[Joined] = []  # each item's text, joined once its lines are all read
    for ln in lines:
        s, m = ln.stripped, MARKER_RE.match(ln.stripped)
        if m and not is_stop(s):
            kind = m["bullet"] or ("num" if m["num"] else "alpha")
            flat.append(Item(kind, [ln], "", []))
            texts.append(Joined(s[m.end():]))
        elif flat and not is_stop(s) and continues(texts[-1], s):
            flat[-1].lines.append(ln)
            texts[-1].add(s)
        else:
            break
    for item, text in zip(flat, texts):
        item.text = text.text
    top: list[Item] = []
    for item in flat:
        if top and item.kind != top[0].kind:
            top[-1].subs.append(item)
        else:
            top.append(item)
    return top


def criteria(lines: list[Line], heading: re.Pattern[str]) -> list[Item]:
    """The items listed after the first line matching ``heading``."""
    at = next((i for i, ln in enumerate(lines) if heading.search(ln.stripped)), None)
    return [] if at is None else list_items(lines[at + 1:])


def condition(text: str) -> Condition:
    """A listed disease; a parenthesised comma list gives subtypes (see module notes)."""
    text = tidy(text)
    m = TRAILING_LIST_RE.fullmatch(text)
    if not m or "," not in m[2]:
        return Condition(text)
    parts = [p.strip() for p in m[2].split(",")]
    parts = parts[:-1] + LAST_AND_RE.split(parts[-1])
    return Condition(m[1].strip(), tuple(p for p in parts if p))


def drug_names(text: str, pos: int) -> list[tuple[int, int]]:
    """Offsets of the drug phrase(s) after "treated with" at ``pos``: up to 3 words, "X or Y" splits."""
    # Matched in place (no text[pos:] copy): a letter may say "treated with" thousands of times.
    if m := DETERMINER_RE.match(text, pos):
        pos = m.end()
    out: list[tuple[int, int]] = []
    start, end, count = pos, pos, 0
    for w in WORD_RE.finditer(text, pos):
        word, a = w[0], w.start()
        low = word.lower().rstrip(",.;:")
        if word.startswith("(") or low in STOP_WORDS or count == 3:
            break
        if low in CONJUNCTIONS:
            out.append((start, end))
            start, count = w.end() + 1, 0
            continue
        end, count = a + len(word.rstrip(",.;:")), count + 1
        if word != word.rstrip(",.;:"):
            break
    return [(a, b) for a, b in out + [(start, end)] if b > a]


def drugs(flat: Flat, inclusion: tuple[int, int]) -> list[tuple[str, Span]]:
    """Drugs of interest: "treated with X" in a case-collection sentence or in the inclusion criteria."""
    found: dict[str, tuple[str, Span]] = {}
    calls = Sentences(flat.text)
    for m in re.finditer(TREATED_RE.pattern, flat.text, re.I):
        if not (calls.asks_for_cases(m.start(), m.end()) or inclusion[0] <= m.start() < inclusion[1]):
            continue
        for a, b in drug_names(flat.text, m.end()):
            key = flat.text[a:b].lower()
            if key not in found:
                found[key] = (flat.text[a:b], flat.span(a, b))
    return list(found.values())


class Sentences:
    """Whether the sentence around a phrase asks for cases; each sentence is searched once.

    A sentence runs from after the last ". " before the phrase to the first ". " after it.
    Found by bisection in the list of ". " positions: searching the text again for every
    "treated with" was quadratic in a long letter without full stops.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.stops = [m.start() for m in re.finditer(re.escape(SENTENCE_END), text)]
        self.known: dict[tuple[int, int], bool] = {}

    def asks_for_cases(self, start: int, end: int) -> bool:
        before = bisect.bisect_right(self.stops, start - len(SENTENCE_END)) - 1
        after = bisect.bisect_left(self.stops, end)
        left = self.stops[before] + 1 if before >= 0 else 0
        right = self.stops[after] if after < len(self.stops) else len(self.text)
        if (left, right) not in self.known:
            self.known[left, right] = bool(CALL_RE.search(self.text, left, right))
        return self.known[left, right]


def signature(lines: list[Line]) -> tuple[str, Span] | None:
    """The affiliation after the closing: from the first line with a comma, five words or a
    department/institution word, up to the contact details; person lines are skipped."""
    at = next((i for i, ln in enumerate(lines) if CLOSING_RE.match(ln.stripped)), None)
    block: list[Line] = []
    for ln in lines[at + 1:] if at is not None else []:
        s = ln.stripped
        if CONTACT_RE.match(s) or EMAIL_RE.search(s) or REF_HEAD_RE.match(s):
            break
        starts_body = DEPARTMENT_RE.search(s) or INSTITUTION_RE.search(s)
        if not PERSON_RE.search(s) and (block or starts_body or "," in s or len(s.split()) >= 5):
            block.append(ln)
    if not block:
        return None
    text = ""
    for ln in block:
        s = ln.stripped
        new_part = text and (DEPARTMENT_RE.match(s) or INSTITUTION_RE.match(s)
                             or ("," not in s and len(s.split()) <= 3))
        text = f"{text.rstrip(',')}, {s}" if new_part else join_text(text, s)
    return text, span_of(block)


def split_outside_parentheses(text: str) -> list[str]:
    """The pieces between commas that are not inside parentheses (the next parenthesis after
    the comma does not close), as re.split(r",\\s*(?![^()]*\\))") cuts them, up to blanks.

    One pass from the end: that lookahead rescanned the text up to the next parenthesis for
    every comma (quadratic on a long affiliation without parentheses).
    """
    cuts: list[int] = []
    closing = False  # whether the next parenthesis to the right is ")"
    for m in reversed(list(re.finditer(r"[,()]", text))):
        if m[0] == ",":
            if not closing:
                cuts.append(m.start())
        else:
            closing = m[0] == ")"
    bounds = [-1] + cuts[::-1] + [len(text)]
    return [text[a + 1:b] for a, b in zip(bounds, bounds[1:])]


def organizations(affiliation: str) -> list[Organization]:
    """Institution (with its department) first, then other bodies an organisation word names."""
    parts = [tidy(p) for p in split_outside_parentheses(affiliation) if tidy(p)]
    dept = next((p for p in parts if DEPARTMENT_RE.search(p)), None)
    inst = next((p for p in reversed(parts) if INSTITUTION_RE.search(p) and p != dept), None)
    out = [Organization(inst, "RESPONSIBLE", department=dept)] if inst else []
    rest = [p for p in parts if p not in (dept, inst) and ORGANIZATION_RE.search(p)]
    return out + [Organization(p, "RESPONSIBLE") for p in rest]


def min_age(items: list[Item]) -> tuple[str, Span] | None:
    for item in items:
        if m := MIN_AGE_RE.search(item.text):
            return f"{m[1] or m[2]} years", span_of(item.lines)
    return None


def title_of(lines: list[Line]) -> tuple[str, Span] | None:
    """An explicit "Objet :" / "Subject:" / "Title:" line before the salutation; letters have no other title."""
    for ln in lines:
        if SALUTATION_RE.match(ln.stripped):
            return None
        if m := TITLE_RE.match(ln.stripped):
            lead = len(ln.text) - len(ln.text.lstrip())
            return m[1], Span(ln.number, ln.number, ln.start + lead + m.start(1), ln.start + len(ln.text))
    return None


def body_text(lines: list[Line]) -> tuple[str, Span] | None:
    """The letter's text from the line after the salutation to the line before the closing, lines joined
    by single spaces: the summary, which the normaliser reads for drugs and conditions (kg.mentions)."""
    start = next((i + 1 for i, ln in enumerate(lines) if SALUTATION_RE.match(ln.stripped)), 0)
    end = next((i for i, ln in enumerate(lines) if i >= start and CLOSING_RE.match(ln.stripped)), len(lines))
    block = lines[start:end]
    if not block:
        return None
    flat = flatten(block)
    return flat.text, flat.span(0, len(flat.text))


def parse_letter(text: str) -> StudyRecord:
    """One letter -> its StudyRecord (a case collection when it asks for cases).

    Raises:
        SourceError: the text is empty.
    """
    text = clean_text(text)
    lines = [ln for ln in split_lines(text) if ln.stripped]
    if not lines:
        raise SourceError("empty letter")
    ref_at = next((i for i, ln in enumerate(lines) if REF_HEAD_RE.match(ln.stripped)), len(lines))
    body, flat = lines[:ref_at], flatten(lines[:ref_at])
    spans: dict[str, Span] = {}
    fields: dict[str, Any] = {}
    inclusion = criteria(body, INCLUSION_RE)
    read_criteria(fields, spans, inclusion, criteria(body, EXCLUSION_RE))
    read_drugs(fields, spans, flat, inclusion)
    read_signature(fields, spans, body)
    if found := title_of(body):
        fields["title"], spans["title"] = found
    if found := body_text(body):
        fields["summary"], spans["summary"] = found
    entries = reference_entries(lines[ref_at + 1:])
    fields["references"] = tuple(reference(n, raw) for n, raw, _ in entries)
    spans.update({f"references[{i}]": span_of(group) for i, (_, _, group) in enumerate(entries)})
    call = bool(CALL_RE.search(flat.text))
    return StudyRecord(format="letter", document_kind="call_for_case_reports" if call else None,
                       study_type="CASE_COLLECTION" if call else None,
                       language=guess_language(flat.text), spans=spans, **fields)


def read_criteria(fields: dict[str, Any], spans: dict[str, Span], inclusion: list[Item],
                  exclusion: list[Item]) -> None:
    """Eligibility items, the minimum age, and the conditions listed under an inclusion item."""
    for key, items in (("inclusion", inclusion), ("exclusion", exclusion)):
        for i, item in enumerate(items):
            spans[f"eligibility.{key}[{i}]"] = span_of(item.lines)
    age = min_age(inclusion)
    if age:
        spans["eligibility.min_age"] = age[1]
    fields["eligibility"] = Eligibility(min_age=age[0] if age else None,
                                        inclusion=tuple(tidy(i.text) for i in inclusion),
                                        exclusion=tuple(tidy(i.text) for i in exclusion))
    listed = next((item.subs for item in inclusion if item.subs), [])
    fields["conditions"] = tuple(condition(sub.text) for sub in listed)
    for i, sub in enumerate(listed):
        spans[f"conditions[{i}]"] = span_of(sub.lines)


def read_drugs(fields: dict[str, Any], spans: dict[str, Span], flat: Flat,
               inclusion: list[Item]) -> None:
    """Interventions: the drugs of interest, each with the span of its first mention."""
    lines = [ln for item in inclusion for ln in item.lines + [x for s in item.subs for x in s.lines]]
    where = (flat.index(lines[0].start), flat.index(lines[-1].start + len(lines[-1].text))) if lines else (0, 0)
    found = drugs(flat, where)
    fields["interventions"] = tuple(Intervention("Drug", name) for name, _ in found)
    for i, (_, span) in enumerate(found):
        spans[f"interventions[{i}].name"] = span


def read_signature(fields: dict[str, Any], spans: dict[str, Span], body: list[Line]) -> None:
    """Responsible organisations from the signature; the institution is also the sponsor."""
    sig = signature(body)
    if not sig:
        return
    orgs = organizations(sig[0])
    fields["organizations"] = tuple(orgs)
    for i in range(len(orgs)):
        spans[f"organizations[{i}]"] = sig[1]
    if orgs and INSTITUTION_RE.search(orgs[0].name):
        fields["sponsor"], spans["sponsor"] = orgs[0].name, sig[1]


def parse_document(text: str) -> list[StudyRecord]:
    """The letter's single record, as a list for the dispatcher."""
    return [parse_letter(text)]
