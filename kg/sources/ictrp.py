"""Reader for WHO ICTRP trial records (the trialsearch.who.int record page as text).

The portal prints the record of every primary register (EUCTR, ClinicalTrials.gov,
ChiCTR, ISRCTN, CTRI, ...) in one layout: "Label: value" lines at the top, then
headed multi-line sections ("Key inclusion & exclusion criteria", "Intervention(s)",
...). Registers fill the layout differently: EUCTR writes yes/no design flags and
product blocks, others write free text. Contacts and ethics-review blocks are never
read, so no person name, e-mail or phone number reaches the record.

Criteria: one item per number or bullet ("1-", "2.", "-"); lettered sub-items
("a)", "b)") stay attached to their parent item, markers kept, since a parent such
as "Presence of:" means nothing alone. Unnumbered lines wrap onto the previous
item unless a blank line separates them. EUCTR population lines ("F.1.2 Adults
...") are not criteria and are skipped; EUCTR's often identical inclusion and
exclusion blocks are kept as printed. Numbered end points become one Outcome each,
sharing the section's time point.

Example:
    >>> rec = parse_ictrp("Register: ISRCTN\\nMain ID: ISRCTN12345678\\nPublic title: A trial")
    >>> rec.registry_ids[0].scheme, rec.title
    ('WHO_ICTRP', 'A trial')
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from kg.model import (Condition, Eligibility, Enrollment, Identifier, Intervention, MeddraTerm,
                      Outcome, SourceError, Span, StudyDate, StudyRecord)
from kg.sources._common import (classify_identifier, clean_text, id_scheme, normalize_status,
                                phases_in, sort_phases, split_countries, title_acronym)
from kg.sources._ictrp_page import (ABSENT, Frag, items, iso_date, join, label_of, read_page, split_on,
                                    value)
from kg.sources.letter import guess_language

log = logging.getLogger(__name__)

# Top labels and headings of the ICTRP record page: three of them at line starts mark a record.
DETECT_MARKS = ("main id:", "public title:", "scientific title:", "date of registration:",
                "recruitment status:", "primary sponsor:", "target sample size:",
                "health condition(s) or problem(s) studied", "key inclusion & exclusion criteria")
# Date labels of the page (top block and Results section) -> StudyDate kinds.
DATE_LABELS = {
    "date of registration": "registration", "date of first enrolment": "first_enrolment",
    "date of first enrollment": "first_enrolment", "last refreshed on": "last_update",
    "date completed": "completion", "date posted": "results_posted",
}
# ICTRP "Study type" wording -> ClinicalTrials.gov v2 StudyType codes.
STUDY_TYPE_WORDS = (("expanded access", "EXPANDED_ACCESS"), ("observational", "OBSERVATIONAL"),
                    ("interventional", "INTERVENTIONAL"))
# EUCTR design flags (EudraCT protocol form E.8) -> v2 DesignMasking / InterventionModel codes.
MASKING_FLAGS = (("double blind", "DOUBLE"), ("single blind", "SINGLE"), ("open", "NONE"))
MODEL_FLAGS = (("parallel group", "PARALLEL"), ("cross over", "CROSSOVER"))
# Design wording of other registers (ClinicalTrials.gov labels, ChiCTR/ISRCTN free text)
# -> v2 design codes; checked in order, first match per field wins.
DESIGN_WORDS = (
    ("allocation", r"non[- ]?randomi[sz]ed", "NON_RANDOMIZED"),
    ("allocation", r"randomi[sz]ed", "RANDOMIZED"),
    ("masking", r"quadruple", "QUADRUPLE"), ("masking", r"triple", "TRIPLE"),
    ("masking", r"double", "DOUBLE"), ("masking", r"single[- ]blind|masking: single", "SINGLE"),
    ("masking", r"open[- ]label|masking: none", "NONE"),
    ("intervention_model", r"single group", "SINGLE_GROUP"),
    ("intervention_model", r"parallel", "PARALLEL"),
    ("intervention_model", r"cross[- ]?over", "CROSSOVER"),
    ("intervention_model", r"factorial", "FACTORIAL"),
    ("intervention_model", r"sequential", "SEQUENTIAL"),
)
# Gender wording of the page -> v2 Sex codes.
SEX_WORDS = {"all": "ALL", "both": "ALL", "female": "FEMALE", "male": "MALE"}
# v2 InterventionType display names, as "Type: name" intervention lines write them.
INTERVENTION_TYPES = ("drug", "biological", "device", "procedure", "radiation", "behavioral",
                      "genetic", "dietary supplement", "combination product",
                      "diagnostic test", "other")
# EUCTR product-block labels (EudraCT protocol form D.2/D.3); "0" stands for "not given".
PRODUCT_LABELS = ("trade name", "product name", "product code", "pharmaceutical form",
                  "inn or proposed inn", "cas number", "current sponsor code",
                  "other descriptive name")
# Outcome-section labels (EUCTR E.2 / E.5) -> role in an Outcome.
OUTCOME_LABELS = {"main objective": "objective", "secondary objective": "objective",
                  "primary end point(s)": "measure", "secondary end point(s)": "measure",
                  "timepoint(s) of evaluation of this end point": "time"}
# First words of the ordinal labels of free-text interventions ("Group 1:", "Control Intervention1:").
# ChiCTR writes "Experimental group:X;Control group:Y".
ARM_LABEL_WORDS = ("group", "arm", "cohort", "intervention", "control", "experimental")
# CTRI condition lines: "Health Condition 1: L400- Psoriasis vulgaris" (an ICD-10 code, or "null",
# then "- " and the name).
CONDITION_LABEL_RE = re.compile(r"^(?:health\s+)?condition\s*\d{1,2}$")
ICD_PREFIX_RE = re.compile(r"^(?:[A-Z]\d{2}[0-9A-Z]{0,4}(?:\.[0-9A-Z]{1,4})?|null)\s?-\s*+(?=\S)")
# "Name: description" after an ordinal label (CTRI "Intervention1: Tofacitinib: 5 mg ..."): a
# short name without digits before the first colon.
NAMED_RE = re.compile(r"^([^:\d]{2,60}?):\s+(\S.*)$")

# A MedDRA line: "MedDRA version: 21.0 Level: PT Classification code 10025135 Term: Lupus ...
# System Organ Class: 10028395 - Musculoskeletal ...". Read in two steps (see meddra_fields): as one
# pattern, a lazy term before "\s*System Organ Class" rescanned whitespace runs (quadratic).
MEDDRA_HEAD_RE = re.compile(
    r"MedDRA version:\s*(?P<version>[\d.]+)\s*Level:\s*(?P<level>\w+)\s*Classification code:?"
    r"\s*(?P<code>\d+)\s*Term:(?P<pad>\s*+)", re.I)
MEDDRA_SOC_RE = re.compile(r"System Organ Class:\s*(?P<soc_code>\d+)?\s*-?\s*(?P<soc_name>.*)$", re.I)
EUCTR_PHASE_RE = re.compile(r"\((phase\s+[iv]+)\):\s*(yes|no)", re.I)
PHASE_RANGE_RE = re.compile(r"\b(phase\s*)([1-4]|iv|i{1,3})\s*[/-]\s*([1-4]|iv|i{1,3})\b", re.I)
EUDRACT_RE = re.compile(r"\d{4}-\d{6}-\d{2}")
# "... [Time Frame: 12 weeks]" or "...; Time point: 12 weeks" at the end of an outcome. The match
# starts only where a whitespace run starts (the leftmost match always does) and no quantifier
# gives anything back, so a long whitespace run is crossed once, not once per character.
# Group values keep their leading blanks (callers strip them).
TIME_FRAME_RE = re.compile(r"(?<!\s)\s*+(?:\[time ?frame:([^\]]+)\]|;\s*+time ?(?:frame|point):(.+))$", re.I)


def detect(text: str) -> bool:
    """True for a WHO ICTRP record page: three of its labels at line starts."""
    starts = [ln.strip().lower() for ln in text.splitlines()]
    return sum(any(s.startswith(m) for s in starts) for m in DETECT_MARKS) >= 3


class Builder:
    """Collects record fields and the span of each, keyed by JSON path."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.spans: dict[str, Span] = {}
        self.lists: dict[str, list[Any]] = {}
        # Values of each list, for the duplicate check: looking through the list for each new
        # value was quadratic on a page listing thousands (the values are frozen dataclasses).
        self.seen: dict[str, set[Any]] = {}
        self.id_values: set[str] = set()

    def set(self, key: str, val: Any, f: Frag | None) -> None:
        self.fields[key] = val
        if f is not None and val is not None:
            self.spans[key] = f.span

    def add(self, key: str, val: Any, f: Frag, dedupe: bool = True) -> None:
        seq, seen = self.lists.setdefault(key, []), self.seen.setdefault(key, set())
        if dedupe and val in seen:
            return
        self.spans[f"{key}[{len(seq)}]"] = f.span
        seq.append(val)
        seen.add(val)


def acronym(title: Frag) -> Frag | None:
    """The acronym a title names, in one of its written forms (see ``title_acronym``)."""
    where = title_acronym(title.text)
    return title.cut(where[1], where[2]) if where else None


def enrollment(f: Frag) -> Enrollment:
    """Sample size: an integer (thousands separators allowed), else only the raw text."""
    t = f.text
    if t.isdigit():
        return Enrollment(int(t))
    if re.fullmatch(r"\d{1,3}(?:[, .']\d{3})+", t):
        return Enrollment(int(re.sub(r"\D", "", t)), raw=t)
    return Enrollment(None, raw=t)


def read_top(b: Builder, top: dict[str, Frag]) -> None:
    """Scalar fields of the top block."""
    for label, key in (("register", "register"), ("primary sponsor", "sponsor"),
                       ("public title", "title"), ("scientific title", "scientific_title"),
                       ("url", "source_url")):
        if f := value(top, label):
            b.set(key, f.text, f)
    for f in filter(None, (value(top, "public title"), value(top, "scientific title"))):
        if "acronym" not in b.fields and (acr := acronym(f)):
            b.set("acronym", acr.text, acr)
    if f := value(top, "target sample size"):
        b.set("enrollment", enrollment(f), f)
    if f := value(top, "recruitment status"):
        b.set("status", normalize_status(f.text), f)
        b.set("status_text", f.text, f)
    if f := value(top, "study type"):
        low = f.text.lower()
        b.set("study_type", next((c for w, c in STUDY_TYPE_WORDS if w in low), None), f)
    for label, kind in DATE_LABELS.items():
        if f := value(top, label):
            b.add("dates", StudyDate(kind, iso_date(f.text)), f)


def read_design(b: Builder, top: dict[str, Frag]) -> None:
    """Allocation, masking and model from EUCTR yes/no flags, else from design wording."""
    def yes(label: str) -> bool:
        return bool((f := top.get(label)) and f.text.lower().startswith("yes"))
    if "randomised" in top:
        b.set("allocation", "RANDOMIZED" if yes("randomised") else "NON_RANDOMIZED",
              top["randomised"])
        for flags, key in ((MASKING_FLAGS, "masking"), (MODEL_FLAGS, "intervention_model")):
            hit = next((label for label, _ in flags if yes(label)), None)
            if hit:
                b.set(key, dict(flags)[hit], top[hit])
    elif f := value(top, "study design"):
        for key, pattern, code in DESIGN_WORDS:
            if key not in b.fields and (m := re.search(pattern, f.text, re.I)):
                b.set(key, code, f.cut(m.start(), m.end()))
        if m := re.search(r"primary purpose:\s*([\w ]+)", f.text, re.I):
            b.set("primary_purpose", m[1].strip().upper().replace(" ", "_"), f.cut(m.start(1), m.end(1)))


def read_phases(b: Builder, top: dict[str, Frag]) -> None:
    """EUCTR "(Phase I): yes" flags, else phases named in free text ("Phase II/III", "N/A")."""
    f = top.get("phase")
    if not f:
        return
    flags = list(EUCTR_PHASE_RE.finditer(f.text))
    found: dict[str, Frag] = {}
    for m in flags:
        if m[2].lower() == "yes":
            found.update({code: f.cut(m.start(), m.end()) for code in phases_in(m[1])})
    if not flags:
        found = {code: f for code in phases_in(PHASE_RANGE_RE.sub(r"\1\2/Phase \3", f.text))}
        if re.search(r"\b(n/a|not applicable)\b", f.text, re.I):
            found["NA"] = f
    for code in sort_phases(list(found)):
        b.add("phases", code, found[code])


def add_id(b: Builder, ident: Identifier, f: Frag) -> None:
    """An identifier, unless one with the same value is already there (OTHER when absurdly long)."""
    ident = replace(ident, scheme=id_scheme(ident.scheme, ident.value))
    if ident.value not in b.id_values:
        b.id_values.add(ident.value)
        b.add("registry_ids", ident, f)


def read_main_id(b: Builder, top: dict[str, Frag]) -> None:
    """Main ID (WHO_ICTRP unless its shape names a scheme), and EudraCT numbers in it and the URL."""
    main, url = value(top, "main id"), value(top, "url")
    if main:
        scheme = classify_identifier(main.text)
        add_id(b, Identifier("WHO_ICTRP" if scheme == "OTHER" else scheme, main.text, "Main ID"), main)
    for f, label in ((main, "Main ID"), (url, "URL")):
        if f and (label == "URL" or f.text.upper().startswith("EUCTR")):
            if m := EUDRACT_RE.search(f.text):
                add_id(b, Identifier("EUDRACT", m[0], label), f.cut(m.start(), m.end()))


def read_secondary_ids(b: Builder, frags: list[Frag | None]) -> None:
    """Secondary IDs, by shape (NCT, EudraCT, ...) else OTHER."""
    for f in filter(None, frags):
        for piece in split_on(f):
            if piece.text.lower() in ABSENT:
                continue
            scheme = classify_identifier(piece.text, "Secondary ID")
            add_id(b, Identifier(scheme, piece.text, "Secondary ID(s)"), piece)


def meddra_term(line: str) -> MeddraTerm | None:
    """The first MedDRA entry of one line, as the single pattern
    "<head> Term:\\s*(?P<term>.+?)\\s*System Organ Class:..." reads it, in linear time.

    The term runs from the head to the first "System Organ Class:" after its first character;
    a line with none has no entry (later heads would find none either).
    """
    for head in MEDDRA_HEAD_RE.finditer(line):
        start = head.end()
        soc = MEDDRA_SOC_RE.search(line, start + 1)
        if soc is None and head["pad"]:  # a blank term: "Term: System Organ Class: ..."
            start -= 1
            soc = MEDDRA_SOC_RE.match(line, start + 1)
        if soc is None:
            return None
        return MeddraTerm(head["code"], head["level"], head["version"], line[start:soc.start()].strip(),
                          soc["soc_code"], soc["soc_name"].strip() or None)
    return None


def read_conditions(b: Builder, frags: list[Frag | None]) -> None:
    """Condition lines, MedDRA lines (-> MeddraTerm) and the therapeutic area (-> keyword)."""
    for f in filter(None, frags):
        m = meddra_term(f.text)
        lv = label_of(f)
        if m:
            b.add("meddra", m, f)
        elif lv and lv[0] == "therapeutic area":
            b.add("keywords", lv[1].text, lv[1])
        else:
            if lv and CONDITION_LABEL_RE.match(lv[0]):
                f = lv[1]
            for piece in split_on(f):
                if code := ICD_PREFIX_RE.match(piece.text):
                    piece = piece.cut(code.end(), len(piece.text))
                if piece.text.lower() not in ABSENT:
                    b.add("conditions", Condition(piece.text), piece)


def read_criteria(b: Builder, frags: list[Frag | None]) -> None:
    """Inclusion/exclusion items, ages and gender, in whatever order the blocks come."""
    blocks: dict[str, list[Frag | None]] = {}
    current = None
    for f in frags:
        lv = label_of(f)
        key = lv[0].replace(" criteria", "") if lv else None
        if key in ("inclusion", "exclusion", "age minimum", "age maximum", "gender", "female", "male"):
            current = key
            blocks[current] = [lv[1]] if lv and lv[1].text else []
        elif current in ("inclusion", "exclusion"):
            blocks[current].append(f)
    for kind in ("inclusion", "exclusion"):
        for item in items(blocks.get(kind, [])):
            b.add(f"eligibility.{kind}", item.text, item, dedupe=False)
    for label, key in (("age minimum", "min_age"), ("age maximum", "max_age")):
        f = next(iter(blocks.get(label, [])), None)
        if f and f.text.lower() not in ABSENT:
            b.set(f"eligibility.{key}", f.text, f)
    read_sex(b, blocks)


def read_sex(b: Builder, blocks: dict[str, list[Frag | None]]) -> None:
    """"Gender: Both" wording, or EUCTR "Female: yes" / "Male: yes" flags."""
    said = {k: f for k in ("female", "male") for f in blocks.get(k, []) if f and f.text.lower() == "yes"}
    gender = next(iter(blocks.get("gender", [])), None)
    if len(said) == 2:
        b.set("eligibility.sex", "ALL", join([said["female"], said["male"]]))
    elif said:
        key = next(iter(said))
        b.set("eligibility.sex", key.upper(), said[key])
    elif gender and (code := SEX_WORDS.get(gender.text.lower().split(",")[0].strip())):
        b.set("eligibility.sex", code, gender)


def product_blocks(frags: list[Frag | None]) -> list[dict[str, Frag]]:
    """EUCTR product blocks: a blank line or a repeated label starts the next one."""
    blocks: list[dict[str, Frag]] = [{}]
    for f in frags:
        lv = label_of(f)
        if f is None or (lv and (lv[0] in blocks[-1] or (lv[0] == "trade name" and blocks[-1]))):
            blocks.append({})
        if lv and lv[0] in PRODUCT_LABELS:
            blocks[-1][lv[0]] = lv[1]
    return [blk for blk in blocks if blk]


def read_products(b: Builder, frags: list[Frag | None]) -> None:
    """EUCTR product blocks -> interventions; their sponsor codes -> SPONSOR identifiers."""
    for blk in product_blocks(frags):
        names = [f for k in ("product name", "trade name", "inn or proposed inn", "other descriptive name")
                 if (f := value(blk, k))]
        if not names:
            continue
        others = tuple(dict.fromkeys(f.text for f in names[1:] if f.text != names[0].text))
        codes = tuple(f.text for k in ("product code", "cas number", "current sponsor code")
                      if (f := value(blk, k)))
        form = value(blk, "pharmaceutical form")
        i = len(b.lists.get("interventions", []))
        b.add("interventions", Intervention("Product", names[0].text, form.text if form else None,
                                            others, codes), join(list(blk.values())), dedupe=False)
        b.spans[f"interventions[{i}].name"] = names[0].span
        if code := value(blk, "current sponsor code"):
            add_id(b, Identifier(classify_identifier(code.text, "Current Sponsor code"), code.text,
                                 "Current Sponsor code"), code)


def read_free_interventions(b: Builder, frags: list[Frag | None]) -> None:
    """Free-text lines: "Drug: X" gives a type; "Intervention 1: X" / "Group 2: X" a label to drop."""
    for f in filter(None, frags):
        for piece in split_on(f):
            lv = label_of(piece)
            kind, description, whole = None, None, piece
            if lv and lv[0] in INTERVENTION_TYPES and lv[1].text:
                kind, piece = piece.text[: piece.text.index(":")].strip(), lv[1]
            elif lv and len(lv[0].split()) <= 4 and (
                    re.search(r"\d", lv[0]) or set(lv[0].split()) & set(ARM_LABEL_WORDS)):
                piece = lv[1]
                if named := NAMED_RE.match(piece.text):
                    description = piece.text[named.start(2):]
                    piece = piece.cut(0, named.end(1))
            if piece.text.lower() in ABSENT:
                continue
            i = len(b.lists.get("interventions", []))
            b.add("interventions", Intervention(kind, piece.text, description), whole if description else piece,
                  dedupe=False)
            b.spans[f"interventions[{i}].name"] = piece.span


def read_outcomes(b: Builder, frags: list[Frag | None], kind: str) -> None:
    """End points (numbered ones split) with the section's time point; free lines one each."""
    groups: list[tuple[str, list[Frag | None]]] = []
    for f in frags:
        lv = label_of(f)
        role = OUTCOME_LABELS.get(lv[0]) if lv else None
        if lv and role:
            groups.append((role, [lv[1]] if lv[1].text else []))
        elif groups and groups[-1][0] != "free":
            groups[-1][1].append(f)
        elif f:
            groups.append(("free", [f]))
    times = [join([x for x in g if x]) for r, g in groups if r == "time" and any(g)]
    time = times[0].text if times else None
    for role, group in groups:
        for item in (items(group) if role == "measure" else group if role == "free" else []):
            if item is None:
                continue
            m = TIME_FRAME_RE.search(item.text)
            measure = item.cut(0, m.start()) if m else item
            frame = (m[1] or m[2]).strip() if m else time
            b.add("outcomes", Outcome(kind, measure.text.rstrip(";"), frame), measure, dedupe=False)


def read_lists(b: Builder, sections: dict[str, list[Frag | None]]) -> None:
    """One value per line (or per ";"-separated piece) for the plain list sections."""
    for section, key in (("countries", "countries"), ("funders", "funders"),
                         ("collaborators", "collaborators")):
        for f in filter(None, sections.get(section, [])):
            for piece in split_on(f):
                if piece.text.lower() in ABSENT:
                    continue
                # A copied page may run the country lines together: one value per country.
                cuts = split_countries(piece.text) if key == "countries" else [(0, len(piece.text))]
                for a, z in cuts:
                    country = piece.cut(a, z)
                    b.add(key, country.text, country)
    for f in filter(None, sections.get("results", [])):
        lv = label_of(f)
        if lv and lv[0] in DATE_LABELS and lv[1].text:
            b.add("dates", StudyDate(DATE_LABELS[lv[0]], iso_date(lv[1].text)), lv[1])


def record_language(b: Builder) -> str:
    """"en" unless the record's own free text is clearly in another language."""
    texts = [str(v) for k in ("title", "scientific_title") if (v := b.fields.get(k))]
    for key in ("eligibility.inclusion", "eligibility.exclusion", "conditions"):
        texts += [str(getattr(v, "name", v)) for v in b.lists.get(key, [])]
    return guess_language(" ".join(texts)) or "en"


def parse_ictrp(text: str) -> StudyRecord:
    """One WHO ICTRP record page -> its StudyRecord.

    Raises:
        SourceError: the text has neither a Main ID nor a public title.
    """
    text = clean_text(text)
    top, sections = read_page(text)
    if not (value(top, "main id") or value(top, "public title")):
        raise SourceError("WHO ICTRP record without Main ID or public title")
    b = Builder()
    read_top(b, top)
    read_design(b, top)
    read_phases(b, top)
    read_main_id(b, top)
    intervention_lines = sections.get("interventions", [])
    if any((lv := label_of(f)) and lv[0] in PRODUCT_LABELS for f in intervention_lines):
        read_products(b, intervention_lines)
    else:
        read_free_interventions(b, intervention_lines)
    read_secondary_ids(b, sections.get("secondary_ids", []))
    read_conditions(b, sections.get("conditions", []))
    read_criteria(b, sections.get("criteria", []))
    for section, kind in (("primary", "PRIMARY"), ("secondary", "SECONDARY")):
        read_outcomes(b, sections.get(section, []), kind)
    read_lists(b, sections)
    if not b.lists.get("registry_ids"):
        log.warning("WHO ICTRP record %r has no registry identifier", b.fields.get("title"))
        b.fields["warnings"] = ("record has no registry identifier",)
    return build(b)


def build(b: Builder) -> StudyRecord:
    """The record from the collected fields; "eligibility.x" keys fill the Eligibility."""
    elig = {k.split(".")[1]: v for k, v in b.fields.items() if k.startswith("eligibility.")}
    elig.update({k.split(".")[1]: tuple(v) for k, v in b.lists.items() if k.startswith("eligibility.")})
    plain: dict[str, Any] = {k: v for k, v in b.fields.items() if not k.startswith("eligibility.")}
    lists: dict[str, Any] = {k: tuple(v) for k, v in b.lists.items() if not k.startswith("eligibility.")}
    return StudyRecord(format="ictrp", eligibility=Eligibility(**elig), language=record_language(b),
                       spans=b.spans, **plain, **lists)


def parse_document(text: str) -> list[StudyRecord]:
    """The page's single record, as a list for the dispatcher."""
    return [parse_ictrp(text)]
