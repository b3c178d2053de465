"""Numbered reference lists ("[1] Author A, ... Journal 2020;12:34. doi:...") -> Reference records with spans."""

from __future__ import annotations

import re

from kg.model import Reference
from kg.sources._common import EMAIL_RE, Line, scrub_emails

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
# "Surname AB," or "Surname AB" at the end: the head of a Vancouver author list. A surname is
# tried only from the start of its run of name characters (a run holding a letter or digit, as
# "\b" asked): from every boundary inside "a-b-c-..." the run was rescanned (quadratic).
AUTHOR_RE = re.compile(r"^[^.]*?(?<![\w'’-])['’-]*+\w[\w'’-]*+\s++[A-Z]{1,3}(?:-[A-Z])?(?:,|$)")


_RUNS_ON_RE = re.compile(r"\w-$")


def join_text(a: str, b: str) -> str:
    """Join wrapped lines: a line ending in a hyphen keeps it and runs on; others get a space."""
    if not a:
        return b
    # Only the end can match: searching all of a growing text for each line was quadratic.
    return a + b if _RUNS_ON_RE.search(a[-3:]) else f"{a} {b}"


class Joined:
    """Wrapped lines joined as :func:`join_text` joins them, in time linear in their length.

    Folding join_text over thousands of lines copies the growing text for each one; here the
    pieces are joined once, and what the callers ask of the text so far (its end, whether a
    parenthesis is open) is kept up to date as lines come.
    """

    def __init__(self, first: str) -> None:
        self.pieces: list[str] = []
        self.end = ""  # the last three characters of the text so far ("" while it is empty)
        self.unclosed = 0  # "(" minus ")" in the text so far
        self.add(first)

    def add(self, line: str) -> None:
        sep = " " if self.end and not _RUNS_ON_RE.search(self.end) else ""
        self.pieces += [sep, line]
        self.end = (self.end + sep + line)[-3:]
        self.unclosed += line.count("(") - line.count(")")

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def tidy(text: str) -> str:
    """The text without surrounding blanks and trailing punctuation."""
    return text.strip().rstrip(" ;:,.").strip()


def reference_entries(lines: list[Line]) -> list[tuple[int, str, list[Line]]]:
    """(number, joined text, lines) of each numbered entry; e-mail and contact lines are skipped."""
    out: list[tuple[int, Joined, list[Line]]] = []
    for ln in lines:
        s = ln.stripped
        if EMAIL_RE.search(s) or CONTACT_RE.match(s):
            continue
        if m := REF_START_RE.match(s):
            out.append((int(m[1] or m[2]), Joined(s[m.end():]), [ln]))
        elif out:
            out[-1][1].add(s)
            out[-1][2].append(ln)
    return [(num, text.text, group) for num, text, group in out]


def reference(number: int, raw: str) -> Reference:
    """Vancouver entry: "Authors. Title. Journal. [day] [month] YYYY;vol(issue):pages." plus DOI/PMID.

    E-mail addresses are replaced by a mark first: the raw text is published as the citation.
    """
    raw = scrub_emails(raw)
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
