"""Names -> reference entities: the lexicon the normaliser links mentions with.

A :class:`Lexicon` indexes every name the reference tables give an entity
(labels, synonyms, brand names, French labels, abbreviations, aliases) under a
normalised form (:func:`norm`), and identifiers under :func:`code_key`. The
packaged one is compiled once with the reference graph (``kg.reference_compile``).

Example:
    >>> norm("DARATUMUMAB (DARZALEX®)")
    'daratumumab darzalex'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import URIRef

from kg.iri import condition as condition_iri
from kg.iri import drug as drug_iri
from kg.iri import org as org_iri
from kg.refdata import Reference, default_reference

# Names shorter than this are only matched in free text when written in
# capitals as abbreviations: avoids "pr", "ra", "dm" inside ordinary words.
MIN_SCAN_LEN = 4
# Where a name may be found inside free text: everywhere (criteria too), or
# only in titles (study and publication titles), or never (whole names only).
SCAN_TEXT, SCAN_TITLES, SCAN_NEVER = 2, 1, 0

def norm(text: str) -> str:
    """Lower case, no accents, no ®/™, punctuation as spaces, single spaces, British spellings as American.

    >>> norm("Warm auto-immune haemolytic anaemia, oedema")
    'warm auto immune hemolytic anemia edema'
    """
    if not text.isascii():  # ASCII text has no accents to fold (most registry text: the fast path)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
        text = _MARKS.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", american(text.lower())).split())


def american(lower: str) -> str:
    """A lower-case text with British medical spellings made American (letters for letters: the words stay)."""
    if "ae" in lower or "oe" in lower or "tumour" in lower:
        return _BRITISH.sub(lambda m: _AMERICAN[m.group(0)], lower)
    return lower


_MARKS = re.compile(r"[®™©]")
# British medical spellings (haem-, -aemia, oe-, paed-, -rrhoea, tumour) as MONDO and RxNorm write them:
# EU documents write "haemolytic anaemia", "oedema", "paediatric", "diarrhoea".
_AMERICAN = {"aem": "em", "oed": "ed", "oes": "es", "paed": "ped", "rrhoea": "rrhea", "tumour": "tumor"}
_BRITISH = re.compile(r"(?<=[a-z])aem(?=[a-z])|\boe(?:d|s)(?=[a-z])|paed|rrhoea|tumour")
_NON_WORD = re.compile(r"[^\w]+|_")


_MESH_LOCAL = re.compile(r"^([CD])0*(\d+)$")


def code_key(curie: str) -> str:
    """A CURIE as the lexicon keys it: upper case, MeSH ids without extra zero padding.

    ClinicalTrials.gov API v2 pads MeSH ids to nine digits ("D000006973"), MONDO's
    mappings write them as MeSH does ("D006973"); both become "MESH:D006973".

    >>> code_key("mesh:D000006973"), code_key("MESH:D000069286"), code_key("UNII:4QWG6N8QKH")
    ('MESH:D006973', 'MESH:D069286', 'UNII:4QWG6N8QKH')
    """
    prefix, _, local = curie.upper().partition(":")
    mesh = _MESH_LOCAL.match(local) if prefix == "MESH" else None
    return f"MESH:{mesh.group(1)}{int(mesh.group(2)):06d}" if mesh else f"{prefix}:{local}"


@dataclass(frozen=True)
class Entry:
    kind: str  # "drug", "drug_class", "condition", "organization"
    iri: URIRef
    label: str


@dataclass
class Lexicon:
    """Names -> entries. ``scannable`` keys may also be found inside free text."""

    names: dict[str, set[Entry]] = field(default_factory=dict)
    abbreviations: dict[str, set[Entry]] = field(default_factory=dict)
    scannable: dict[str, int] = field(default_factory=dict)  # key -> SCAN_TEXT or SCAN_TITLES
    codes: dict[str, set[Entry]] = field(default_factory=dict)  # "MESH:D008180" -> entries
    _phrase_cache: dict[tuple, dict[tuple[str, ...], Entry]] = field(default_factory=dict)
    _longest_cache: dict[tuple, int] = field(default_factory=dict)
    _starts_cache: dict[tuple, dict[str, int]] = field(default_factory=dict)

    def add(self, name: str, entry: Entry, abbreviation: bool = False, scan: int = 2) -> None:
        key = norm(name)
        if key:
            target = self.abbreviations if abbreviation else self.names
            target.setdefault(key, set()).add(entry)
            if scan and not abbreviation:
                self.scannable[key] = max(scan, self.scannable.get(key, 0))

    def add_code(self, curie: str, entry: Entry) -> None:
        self.codes.setdefault(code_key(curie), set()).add(entry)

    def lookup_code(self, curies: Iterable[str], kinds: frozenset[str]) -> Entry | None:
        """The one entry of an allowed kind that the given identifiers point to."""
        found = {e for c in curies for e in self.codes.get(code_key(c), ()) if e.kind in kinds}
        return next(iter(found)) if len(found) == 1 else None

    def lookup(self, text: str, kinds: frozenset[str]) -> Entry | None:
        """The one entry of an allowed kind a whole name denotes; None if none or ambiguous."""
        key = norm(text)
        found = {e for e in self.names.get(key, ()) if e.kind in kinds}
        if len(found) > 1:  # the entity this is the label of wins over those that have it as a synonym
            found = {e for e in found if norm(e.label) == key} or found
        if not found and len(key) > 2:  # "AD", "RA", "MS" alone are too ambiguous to link
            found = {e for e in self.abbreviations.get(key, ()) if e.kind in kinds}
        return next(iter(found)) if len(found) == 1 else None

    def longest(self, kinds: frozenset[str], level: int = 2) -> int:
        """Tokens in the longest scannable name of these kinds (cached with the phrases)."""
        key = (kinds, level)
        if key not in self._longest_cache:
            self._longest_cache[key] = max((len(p) for p in self.phrases(kinds, level)), default=0)
        return self._longest_cache[key]

    def starts(self, kinds: frozenset[str], level: int = 2) -> dict[str, int]:
        """First token of a scannable name -> tokens in the longest name it starts (cached).

        A scan tries phrases only at tokens that start one: most words of a text start none.
        """
        key = (kinds, level)
        if key not in self._starts_cache:
            out: dict[str, int] = {}
            for phrase in self.phrases(kinds, level):
                out[phrase[0]] = max(out.get(phrase[0], 0), len(phrase))
            self._starts_cache[key] = out
        return self._starts_cache[key]

    def phrases(self, kinds: frozenset[str], level: int = 2) -> dict[tuple[str, ...], Entry]:
        """Names of these kinds scannable at ``level`` as token tuples (unambiguous ones only), cached."""
        if (kinds, level) not in self._phrase_cache:
            out: dict[tuple[str, ...], Entry] = {}
            for key, key_level in self.scannable.items():
                allowed = {e for e in self.names[key] if e.kind in kinds}
                if key_level >= level and len(allowed) == 1 and len(key) >= MIN_SCAN_LEN:
                    out[tuple(key.split())] = next(iter(allowed))
            self._phrase_cache[(kinds, level)] = out
        return self._phrase_cache[(kinds, level)]


# Endings of one-word disease names (medical terminology: -itis, -osis, -emia...):
# a one-word MONDO label is looked for in titles only when it has one, so that
# "thrombocytopenia" is found and labels such as "disseminated" are not.
DISEASE_SUFFIXES = ("ia", "itis", "osis", "oma", "pathy", "emia", "aemia", "algia", "plasia", "trophy",
                    "ism", "rrhea", "rrhoea", "ectasia", "megaly", "penia", "cytosis", "iasis", "philia")


def _mondo_scan_level(label: str) -> int:
    words = label.split()
    if len(words) > 1:
        return SCAN_TEXT
    return SCAN_TITLES if words and words[0].lower().endswith(DISEASE_SUFFIXES) else SCAN_NEVER


def build_lexicon(ref: Reference) -> Lexicon:
    """Every name of every reference entity.

    Curated names (labels, synonyms, brand and French names) and drug labels
    are found in free text too; MONDO labels only when they have two words or
    more (one-word labels such as "infection" would flood criteria), and bulk
    drug synonyms and MONDO's exact synonyms only as whole names.
    """
    lex = Lexicon()
    curated = ref.curated_drug_ids
    for d in ref.drugs:
        e = Entry("drug_class" if d.kind == "DRUG_CLASS" else "drug", drug_iri(d.id), d.label)
        lex.add(d.label, e)
        for name in (d.id, *d.synonyms, *d.brand_names, *d.labels_fr):
            # bulk brand names include ordinary words ("Success", "Today"): whole names only
            lex.add(name, e, scan=SCAN_TEXT if d.id in curated else SCAN_NEVER)
        for a in d.abbreviations:
            lex.add(a, e, abbreviation=True)
        for x in d.xrefs:
            lex.add_code(x, e)
    _add_derived_names(lex, ref)
    for m in ref.mondo:
        e = Entry("condition", condition_iri(m.id), m.label)
        lex.add(m.label, e, scan=_mondo_scan_level(m.label))
        for name in m.synonyms:  # labels of other vocabularies: in titles and summaries when of two words or more
            lex.add(name, e, scan=SCAN_TITLES if " " in name.strip() else SCAN_NEVER)
        for x in m.xrefs:
            lex.add_code(x, e)
    for c in ref.conditions:
        e = Entry("condition", condition_iri(c.mondo or c.id), c.label)
        for name in (c.label, *c.synonyms, *c.labels_fr):
            lex.add(name, e)
        for a in c.abbreviations:
            lex.add(a, e, abbreviation=True)
    for o in ref.organizations:
        e = Entry("organization", org_iri(o.id), o.label)
        lex.add(o.label, e)
        for name in o.aliases:  # "FRM", "HCL": matched in free text only as capitals
            lex.add(name, e, abbreviation=name.isupper() and len(name) < MIN_SCAN_LEN + 2)
    return lex


# IUPAC nomenclature: the anion of an "-ic acid" is an "-ate" (Nomenclature of Organic Chemistry 2013,
# P-65.6.1); registries name such drugs by the anion or its salts ("mycophenolate", "valproate").
_IC_ACID = re.compile(r"([a-z]{4,})ic acid")


def _add_derived_names(lex: Lexicon, ref: Reference) -> None:
    """Names the drug table implies: "mycophenolic acid" is also "mycophenolate", when that names nothing
    else and is not a counter-ion (an anion that ends the names of two drugs or more, "sildenafil citrate",
    names a salt's other half in trial text, not a drug); a salt-labelled drug is found by its moiety."""
    ending: dict[str, set[str]] = {}
    for d in ref.drugs:
        for name in (d.label, *d.synonyms):
            words = norm(name).split()
            if len(words) > 1:
                ending.setdefault(words[-1], set()).add(d.id)
    for d in ref.drugs:
        m = _IC_ACID.fullmatch(d.label.lower())
        anion = f"{m.group(1)}ate" if m else ""
        if anion and anion not in lex.names and len(ending.get(anion, ())) < 2:
            lex.add(anion, Entry("drug", drug_iri(d.id), d.label))
    starting: dict[str, set[str]] = {}
    for d in ref.drugs:
        starting.setdefault(norm(d.label).split()[0], set()).add(d.id)
    for d in ref.drugs:
        _scan_moiety(lex, d.label, ending, starting)


def _scan_moiety(lex: Lexicon, label: str, ending: dict[str, set[str]], starting: dict[str, set[str]]) -> None:
    """A drug labelled as a salt ("avatrombopag maleate") is found in free text by its active moiety
    ("avatrombopag"): one word, already a whole-name synonym of this drug only, followed in the label by
    words that each end the names of three drugs or more (counter-ions, hydrates), and that starts no other
    drug's label ("dimethyl", "gallium" and "benzyl" start several: a group or an element, not the drug)."""
    words = norm(label).split()
    salt = words[1:]  # every word after the moiety a counter-ion or hydrate word
    if not salt or any(len(ending.get(w, ())) < 3 for w in salt) or len(starting.get(words[0], ())) > 1:
        return
    moiety, entries = words[0], lex.names.get(words[0], set())
    if len(moiety) >= 6 and moiety.isalpha() and not moiety.endswith(("yl", "ic")) and len(entries) == 1 \
            and next(iter(entries)).label == label and not lex.scannable.get(moiety):
        lex.scannable[moiety] = SCAN_TEXT


def lexicon_rows(lex: Lexicon) -> list[tuple[str, str, str, str, str, str]]:
    """The lexicon as sorted rows (table, key, kind, iri, label, scan level), for the compiled artifact."""
    rows = []
    for table, index in (("name", lex.names), ("abbreviation", lex.abbreviations), ("code", lex.codes)):
        for key, entries in index.items():
            level = str(lex.scannable.get(key, 0)) if table == "name" else "0"
            rows += [(table, key, e.kind, str(e.iri), e.label, level) for e in entries]
    return sorted(rows)


def lexicon_from_rows(rows: Iterable[list[str]]) -> Lexicon:
    lex = Lexicon()
    for table, key, kind, iri_text, label, level in rows:
        entry = Entry(kind, URIRef(iri_text), label)
        index = {"name": lex.names, "abbreviation": lex.abbreviations, "code": lex.codes}[table]
        index.setdefault(key, set()).add(entry)
        if table == "name" and int(level):
            lex.scannable[key] = max(int(level), lex.scannable.get(key, 0))
    return lex


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The lexicon of the packaged reference tables: from the compiled artifact when current."""
    from kg import reference_compile

    if reference_compile.artifact_is_current():
        return lexicon_from_rows(reference_compile.lexicon_rows())
    return build_lexicon(default_reference())
