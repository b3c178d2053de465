"""The WHO ICTRP record page as fragments: "Label: value" fields, headed sections, list items.

Every value keeps its span (:class:`Frag`), so the reader in ``kg.sources.ictrp`` can
give each record field the lines it came from. Layout rules are in that module's
docstring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.model import Span
from kg.sources._common import Line, split_lines


# Section headings of the ICTRP record page (trialsearch.who.int, Trial2.aspx layout).
SECTIONS = {
    "countries of recruitment": "countries", "contacts": "contacts",
    "key inclusion & exclusion criteria": "criteria",
    "health condition(s) or problem(s) studied": "conditions",
    "intervention(s)": "interventions", "primary outcome(s)": "primary",
    "secondary outcome(s)": "secondary", "secondary id(s)": "secondary_ids",
    "source(s) of monetary support": "funders", "secondary sponsor(s)": "collaborators",
    "ethics review": "ethics", "results": "results",
}
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# EUCTR population lines (EudraCT form F.1) printed inside the criteria: not criteria.
POPULATION_RE = re.compile(r"^(are the trial subjects under 18|number of subjects for this age|"
                           r"f\.\d+(\.\d+)*\s)", re.I)
# Placeholders registers print for "no value" (EUCTR "0", ChiCTR/CTRI "Nil", ISRCTN "Nil known").
ABSENT = {"", "0", "n/a", "na", "nil", "none", "not applicable", "-", "nil known", "none known"}
# "Label: value". The label ends where a whitespace run before the colon starts (the shortest
# label does) and no blank is given back, so a long blank run is crossed once, not once per
# label length (quadratic before). Labels starting with a blank are refused by label_of anyway.
LABEL_RE = re.compile(r"^\s*+([^:\n]{1,80}?)(?<!\s)\s*+:\s*(.*)$")
ITEM_RE = re.compile(r"^(?:\d{1,2}\s*[-.)]|[-•*·])\s*(?=\S)")
SUB_RE = re.compile(r"^[a-z]\)\s")


@dataclass(frozen=True)
class Frag:
    """A piece of text with its span; ``None`` in fragment lists stands for a blank line."""

    text: str
    span: Span

    def cut(self, a: int, b: int) -> Frag:
        """Sub-fragment of a single-line fragment, stripped, with its own offsets."""
        piece = self.text[a:b]
        lead = len(piece) - len(piece.lstrip())
        s = self.span
        start = (s.start or 0) + a + lead
        return Frag(piece.strip(), Span(s.line_start, s.line_end, start, start + len(piece.strip())))


def join(frags: list[Frag]) -> Frag:
    """Fragments read as one value: texts joined by a space, span from first to last."""
    a, b = frags[0].span, frags[-1].span
    return Frag(" ".join(f.text for f in frags), Span(a.line_start, b.line_end, a.start, b.end))


def frag(line: Line) -> Frag | None:
    """A non-blank line as a fragment; None for a blank one."""
    return Frag(line.stripped, line.span()) if line.stripped else None


def label_of(f: Frag | None) -> tuple[str, Frag] | None:
    """("label", value fragment) of a "Label: value" fragment."""
    m = LABEL_RE.match(f.text) if f else None
    if not f or not m or not m.group(1)[:1].isalpha():
        return None
    return m.group(1).lower(), f.cut(m.start(2), len(f.text))


def split_on(f: Frag, sep: str = ";") -> list[Frag]:
    """The non-empty pieces of a single-line fragment between separators."""
    out, pos = [], 0
    for piece in f.text.split(sep):
        if piece.strip():
            out.append(f.cut(pos, pos + len(piece)))
        pos += len(piece) + len(sep)
    return out


def read_page(text: str) -> tuple[dict[str, Frag], dict[str, list[Frag | None]]]:
    """Top "Label: value" fields (first of each) and the lines of each section."""
    top: dict[str, Frag] = {}
    sections: dict[str, list[Frag | None]] = {}
    current: str | None = None
    for line in split_lines(text):
        key = line.stripped.lower().rstrip(":").strip()
        if key.startswith("disclaimer"):
            break
        if key in SECTIONS:
            current = SECTIONS[key]
            sections.setdefault(current, [])
        elif current is not None:
            sections[current].append(frag(line))
        elif (lv := label_of(frag(line))) and lv[0] not in top:
            top[lv[0]] = lv[1]
    return top, sections


def value(fields: dict[str, Frag], label: str) -> Frag | None:
    """The labelled value, unless the register printed a placeholder for "none"."""
    f = fields.get(label)
    return f if f and f.text.lower() not in ABSENT else None


def iso_date(text: str) -> str:
    """ISO form of the page's dates (day-first numeric or with month names), else as written."""
    t = text.strip()
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", t):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    if m := re.fullmatch(r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})", t):
        if m[2].lower() in MONTHS:
            return f"{m[3]}-{MONTHS[m[2].lower()]:02d}-{int(m[1]):02d}"
    if m := re.fullmatch(r"([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),\s*(\d{4})", t):
        if m[1].lower() in MONTHS:
            return f"{m[3]}-{MONTHS[m[1].lower()]:02d}-{int(m[2]):02d}"
    if m := re.fullmatch(r"([A-Za-z]{3})[a-z]*\.?\s+(\d{4})", t):
        if m[1].lower() in MONTHS:
            return f"{m[2]}-{MONTHS[m[1].lower()]:02d}"
    return t


def split_inline(f: Frag) -> list[Frag]:
    """"1. a; 2. b" on one line -> two fragments, cut where the numbers run on 2, 3, ..."""
    if not re.match(r"1\s*[.)]\s", f.text):
        return [f]
    cuts, n = [0], 2
    for m in re.finditer(r"(?<=\s)(\d{1,2})\s*[.)]\s", f.text):
        if int(m[1]) == n:
            cuts.append(m.start())
            n += 1
    return [f.cut(a, b) for a, b in zip(cuts, cuts[1:] + [len(f.text)])]


def items(frags: list[Frag | None]) -> list[Frag]:
    """Numbered or bulleted items of a block (rules in the module docstring)."""
    flat = [p for f in frags for p in ([None] if f is None else split_inline(f))]
    marked = any(f and ITEM_RE.match(f.text) for f in flat)
    out: list[list[Frag]] = []
    after_blank = True
    for f in flat:
        if f is None or POPULATION_RE.match(f.text):
            after_blank = True
            continue
        m = ITEM_RE.match(f.text)
        if m:
            out.append([f.cut(m.end(), len(f.text))])
        elif marked and out and (SUB_RE.match(f.text) or not after_blank):
            out[-1].append(f)
        elif not (marked and f.text.endswith(":")):
            out.append([f])
        after_blank = False
    return [Frag(j.text.rstrip("; "), j.span) for j in map(join, out)]
