"""Numbered reference lists ("[1] Author A, ... Journal 2020;12:34. doi:...") -> Reference records with spans."""

from __future__ import annotations

import re

from kg.model import Reference
from kg.sources._common import EMAIL_RE, Line

# Contact lines of a letter's footer (never references, never kept).
CONTACT_RE = re.compile(r"^(?:contacts?|t[ée]l[ée]phone|t[ée]l\b|phone|fax|e-?mail|courriel|mailto)", re.I)
REF_START_RE = re.compile(r"^(?:\[(\d{1,3})\]|(\d{1,3})[.)])\s+")
# Vancouver date before volume: "[day] [month] YYYY [month [day]]", months in any language.
REF_DATE_RE = re.compile(r"[.?!]\s+(?:\d{1,2}\s+)?(?:[^\W\d_]{3,9}\s+)?(?:\d{1,2}\s+)?"
                         r"(?P<year>(?:19|20)\d{2})(?:\s+[^\W\d_]{3,9}(?:\s+\d{1,2})?)?\s*(?=[;.]|$)")
REF_TAIL_RE = re.compile(r"^[;.]?\s*(?P<vol>[^\s(:;.]+)?\s*(?:\((?P<issue>[^)]*)\))?"
                         r"\s*(?::\s*(?P<pages>[^\s.;]+))?")
DOI_RE = re.compile(r"(?:doi:?\s*|https?://(?:dx\.)?doi\.org/)(10\.\d{4,9}/\S+?)(?=[.;,]?(?:\s|$))", re.I)
PMID_RE = re.compile(r"PMID:?\s*(\d+)", re.I)
AUTHOR_RE = re.compile(r"^[^.]*?\b[\w'’-]+\s+[A-Z]{1,3}(?:-[A-Z])?(?:,|$)")


def join_text(a: str, b: str) -> str:
    """Join wrapped lines: a line ending in a hyphen keeps it and runs on; others get a space."""
    if not a:
        return b
    return a + b if re.search(r"\w-$", a) else f"{a} {b}"


def tidy(text: str) -> str:
    """The text without surrounding blanks and trailing punctuation."""
    return text.strip().rstrip(" ;:,.").strip()


def reference_entries(lines: list[Line]) -> list[tuple[int, str, list[Line]]]:
    """(number, joined text, lines) of each numbered entry; e-mail and contact lines are skipped."""
    out: list[tuple[int, str, list[Line]]] = []
    for ln in lines:
        s = ln.stripped
        if EMAIL_RE.search(s) or CONTACT_RE.match(s):
            continue
        if m := REF_START_RE.match(s):
            out.append((int(m[1] or m[2]), s[m.end():], [ln]))
        elif out:
            num, text, group = out[-1]
            out[-1] = (num, join_text(text, s), group + [ln])
    return out


def reference(number: int, raw: str) -> Reference:
    """Vancouver entry: "Authors. Title. Journal. [day] [month] YYYY;vol(issue):pages." plus DOI/PMID."""
    doi, pmid = DOI_RE.search(raw), PMID_RE.search(raw)
    cut = min([m.start() for m in (doi, pmid) if m] + [len(raw)])
    core = raw[:cut].rstrip(" .;,")
    authors: tuple[str, ...] = ()
    rest = core
    head, sep, tail = core.partition(". ")
    if sep and AUTHOR_RE.match(head):
        names = [a.strip() for a in head.split(",")]
        authors, rest = tuple(a for a in names if a and a.rstrip(".") != "et al"), tail
    doi_v, pmid_v = (doi[1] if doi else None), (pmid[1] if pmid else None)
    dates = list(REF_DATE_RE.finditer(rest))
    if not dates:
        return Reference(number, raw, authors, tidy(rest) or None, doi=doi_v, pmid=pmid_v)
    date = dates[-1]
    before = rest[:date.start()]
    split = max(before.rfind(". "), before.rfind("? "), before.rfind("! "))
    title = before[:split + 1].rstrip(".").strip() if split >= 0 else None
    journal = before[split + 2:].strip() if split >= 0 else before.strip()
    nums = REF_TAIL_RE.match(rest[date.end():])
    vol, issue, pages = (nums["vol"], nums["issue"], nums["pages"]) if nums else (None, None, None)
    return Reference(number, raw, authors, title, journal or None, int(date["year"]), vol, issue,
                     pages, doi_v, pmid_v)
