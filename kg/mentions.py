"""Mentions in free text: the lexicon's names found in a text, with the role the words around them give.

:func:`find` scans a text for every name of the :class:`~kg.lexicon.Lexicon` (longest match first, no
overlaps) and for abbreviations; :func:`roles` then gives each mention a role from its clause, in
English and French:

- drugs: ``tested`` ("treated with X", "ayant reçu du X", "au moins une injection de X", "adding X"),
  ``comparator`` ("compared to X", "versus X"), ``prior`` ("after failure of X", "despite X", "stable
  dose of X", "après échec ... dont le X"), ``excluded`` (a sentence saying such patients are not
  included) or ``background`` (anything else: a known use, a mechanism, a co-medication);
- conditions: ``studied`` ("patients with X", "for the treatment of X", "atteints de X", "pour un X"),
  ``excluded``, or ``background`` ("indicated in X", "used to treat X", anything else).

A tested cue must stand right before the name (up to three determiners or quantifiers between); the
other cues count anywhere earlier in the clause, the nearest one deciding. A name coordinated with the
previous one of its kind ("X, Y or Z", "X (XA)") takes its role. The rules are written from registry
and letter usage; they are cues, not a grammar, so a role is a reading of the text, never a fact.

Abbreviations: capitals ("SLE") or mixed case ("SSc", "pSS") of the reference tables. One that is
defined in the document ("systemic sclerosis (SSc)") means what it is defined as there. One with two
meanings, or of two letters ("LN"), is resolved only when the document writes a word of exactly one
meaning's label elsewhere ("lupus"); otherwise it is left unlinked.

Example:
    >>> cue_role("drug", "nous souhaitons recenser les patients ayant reçu du ", "")
    'tested'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from kg.lexicon import SCAN_TEXT, Entry, Lexicon, american, norm

# A token as norm() splits text: letters and digits (accents folded by norm()).
_WORD = re.compile(r"[^\W_]+")
# Abbreviations as written: capitals with digits and hyphens ("SLE", "PDE5-I", plural "AMs"), or
# mixed case with a capital after the first letter ("SSc", "pSS"). Capitalised words ("Les") are not.
_CAPS = re.compile(r"\b([A-Z][A-Z0-9]*(?:-[A-Z0-9]+){0,8}[A-Z0-9])s?\b")
_MIXED = re.compile(r"\b([A-Za-z][a-z]*[A-Z][A-Za-z]*)\b")  # a capital after the first letter; see is_mixed_case()
# "long form (SF)": a parenthesis holding only a short form (Schwartz & Hearst 2003, PSB 8:451).
_DEFINITION = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9-]{1,9})\s*[),;]")  # "(GEPA, formerly ...)" too
# Label words too general to tell one meaning of an abbreviation from another.
_GENERIC = frozenset("disease diseases disorder disorders syndrome syndromes chronic acute primary secondary "
                     "type with without associated related deficiency infection human".split())

# How far back a cue is looked for (characters), and what ends a clause. Bounded, so that a long
# text costs linear time.
WINDOW = 160
LONGEST = 200  # characters a long form before "(SF)" may take: longer than any name of the lexicon
MAX_ROLES = 1000
_CLAUSE_BREAK = re.compile(r"[.;:!?()\[\]]|\b(?:but|except|unless|however|whereas|sauf|mais|alors que)\b", re.I)
# Sentence ends, and list markers of text whose lines were joined ("... criteria: - Age 16 or over - ...").
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n|\s[-–•*▪]\s")
_DET = (r"(?:le|la|les|l|du|de|des|d|un|une|au|aux|the|a|an|one|two|deux|at|least|moins|any|all|tout|tous"
        # qualifiers that may stand between a cue and the name ("patients with difficult-to-treat X")
        r"|severe|moderate|mild|active|refractory|relapsed|recurrent|chronic|acute|early|advanced|newly|diagnosed"
        r"|confirmed|difficult|to|treat|established|low|high|dose|doses|of|oral|intravenous|subcutaneous|weekly|off|label"
        r"|s[ée]v[èe]res?|actifs?|actives?|chroniques?|faible|dose)")
# Cues, English then French (accents as written and folded). Tested cues must be adjacent.
_TESTED = re.compile(
    r"\b(?:(?:treated|treating|treatment|therapy|managed) with|receiv(?:e|ed|es|ing)|given|administ\w+"
    r"|exposed to|exposure to|(?:injections?|infusions?|courses?|cycles?|days?|weeks?|months?) of|adding"
    r"|addition of|add-on"
    r"|(?:trial|study|studies) of"
    r"|evaluat\w+|assess\w+|test(?:s|ing)?|investigat\w+|plus|(?:initiated|started|commenced|switched) (?:on|to)"
    r"|trait[ée]e?s? (?:par|avec)|traitement (?:par|avec)|re[çc]us?|recevant|recevront|recevoir"
    r"|(?:injections?|perfusions?|cures?|administrations?) (?:de|du|d)|expos[ée]e?s? (?:à|a|au|aux)"
    r"|exposition (?:à|a|au)|sous|mis(?:es?)? sous|(?:instauration|initiation|introduction) (?:de|du|d)"
    r"|b[ée]n[ée]fici[ée]e?s? (?:de|du|d)|d[ée]but[ée]e?s?|commenc[ée]e?s?|initi[ée]e?s?|(?:utilisation|emploi|ajout|int[ée]r[êe]t)"
    r" (?:de|du|d))"
    r"(?:\W+" + _DET + r"){0,5}\W*$", re.I)
# "the efficacy of X" is the study's only after a study verb in its clause ("to evaluate the efficacy and
# safety of X"; not "the effect of X often fades").
_TESTED_NOUN = re.compile(
    r"\b(?:evaluat|assess|compar|test|stud|determin|investigat|examin|measur|[ée]valu|[ée]tudi)\w*\b.*"
    r"\b(?:efficacy|effectiveness|effects?|safety|tolerability|benefits?|efficacit[ée]|tol[ée]rance)"
    r"(?: and (?:safety|tolerability|efficacy)| et (?:la )?(?:tol[ée]rance|s[ée]curit[ée]))? (?:of|de|du|d)"
    r"(?:\W+" + _DET + r"){0,3}\W*$", re.I)
_COMPARATOR = re.compile(
    r"\b(?:versus|vs|compared (?:to|with)|comparisons? (?:with|to)|rather than|instead of|than|contre"
    r"|par rapport (?:à|a|au|aux)|compar[ée]e?s? (?:à|a|au|aux|avec)|plut[ôo]t que)\b", re.I)
# Prior or background treatment: right before the name, or a list after such words ("after failure of
# two lines including X", "après échec d'au moins deux lignes dont le X").
_PRIOR_WORDS = (r"(?:failure (?:of|to|on)|failed|failing|refractory to|resistant to|inadequate response to"
                r"|intoleran\w+ (?:to|of)|despite|prior|previous(?:ly)?(?: treated with| received)?|history of"
                r"|already (?:take|takes|taking|received|receiving|on|treated with)|stable doses? of|background"
                r"|concomitant|ongoing|[ée]checs? (?:de|du|des|d|au|aux)|r[ée]fractaires? (?:à|a|au|aux)"
                r"|r[ée]sistan\w+ (?:à|a|au|aux)|malgr[ée]|ant[ée]rieur\w*(?: par)?|d[ée]j[àa] trait[ée]e?s? par)")
_PRIOR = re.compile(
    r"\b(?:" + _PRIOR_WORDS + r"|" + _PRIOR_WORDS + r"[^.;:]{0,60}?\b(?:including|such as|dont|notamment|comme"
    r"|incluant|y compris))(?:\W+" + _DET + r"){0,4}\W*$", re.I)
# Words before a drug's name saying the treatment was NOT given ("No prior treatment with X", "not
# previously treated with X", "naive to X", "sans traitement antérieur par X", "n'ayant jamais reçu de
# X"), or "-naive" right after it (used by kg.normalize for eligibility criteria too).
NEGATED_BEFORE = re.compile(
    r"\b(?:no|without|absence\s+of)\s+(?:[\w-]+\s+){0,2}?(?:prior|previous|earlier|former)\b"
    r"|\bno\s+(?:[\w-]+\s+)?(?:treatment|therapy|exposure|use)\b"
    r"|\b(?:not|never)\s+(?:[\w-]+\s+){0,2}?(?:treated|received|exposed|taken|used)\b"
    r"|\bna[iï]ve\s+(?:to|of)\b"
    r"|\bsans\s+(?:[\w-]+\s+){0,2}?(?:traitement|exposition)\b"
    r"|\b(?:jamais|pas)\s+(?:[\w-]+\s+){0,2}?(?:trait[ée]e?s?|re[çc]us?)\b|\bn['’]ayant\s+(?:jamais|pas)\b"
    r"|\baucun\s+traitement\b|\bna[iï]fs?\s+(?:de|du|des|d['’]|au|à)|\bnon\s+trait[ée]", re.I)
_EXCLUDED_SENTENCE = re.compile(
    r"\b(?:ne (?:seront|sont|pourront|peuvent) pas (?:[êe]tre )?(?:inclus|[ée]ligibles|retenus|participer|concern[ée]s)"
    r"|non (?:inclus|concern[ée]s)|(?:are|is|will) not (?:be )?concerned|do(?:es)? not qualify"
    r"|exclu\w*|(?:will|shall|are|is) not (?:be )?(?:included|eligible)|not eligible|ineligible"
    r"|(?:cannot|can ?not|may not|must not|will not) (?:join|take part|participate|enrol\w*|be enrolled))\b", re.I)
# A sentence that reports published cases or results ("has been combined with X in severe forms [1]",
# "des réponses ont été rapportées sous X"): the drugs and conditions it names are the background of
# the study, never what it tests or studies.
_LITERATURE_SENTENCE = re.compile(
    r"\[\d{1,3}(?:\s*[-–,]\s*\d{1,3})*\]|\b(?:reported|described|published|case reports?|case series"
    r"|rapport[ée]e?s?|d[ée]crit\w*|publi[ée]e?s?|observ[ée]e?s? chez)\b", re.I)
# Studied conditions. Strong cues: people "with" the disease (up to three words between: "patients with ICI
# myocarditis"), "atteints de", "for the treatment of". A weak cue ("for X", "pour un X") loses to any
# background cue earlier in its clause ("approved both for X and for Y", "complication ... treated for X").
_STUDIED = re.compile(
    r"\b(?:(?:patients?|people|persons?|adults?|children|adolescents?|participants?|subjects?|individuals?"
    r"|women|men|those|cases?|sujets?|malades?|enfants?|adultes?)\b[^.;:()]{0,40}?"
    r"\b(?:with|having|suffering from|affected by|diagnosed with|atteints?|atteintes?|souffrant|pr[ée]sentant)"
    r"(?:\W+(?!(?:history|risk|who|whose|and|or|but)\b)[\w'’-]+){0,3}?"
    r"|(?:for|pour)(?: the| le| la| les)? (?:treatment|management|traitement|prise en charge) (?:of|de|du|des|d))"
    r"(?:\W+" + _DET + r"){0,4}\W*$", re.I)
_STUDIED_WEAK = re.compile(r"\b(?:for|pour)(?:\W+" + _DET + r"){0,4}\W*$", re.I)
_BACKGROUND = re.compile(
    r"\b(?:used (?:to treat|for|in)|(?:approved|indicated|licensed|authori[sz]ed|marketed)(?: \w+){0,2} (?:for|in)"
    r"|treated for|risk of|history of|reduce|prevent\w*|caus\w+|induced|side effects?|complications?|transform\w*"
    r"|standard of care|all (?:participants|patients|subjects)(?: will)?(?: \w+)? (?:receive|take|get)"
    r"|tous les (?:patients|participants) (?:recevront|re[çc]oivent)"
    r"|added to|add-on to|as add-on|on top of|in addition to|on a background of|background therapy"
    r"|indiqu[ée]e?s? (?:dans|pour)|utilis[ée]e?s? (?:dans|pour)|efficaces? dans|prescrit\w*|risque"
    r"|autoris[ée]e?s? (?:dans|pour)|trait[ée]e?s? pour|a transform[ée]|ajout[ée]e?s? (?:à|a|au|aux)|en association (?:à|a|avec))\b", re.I)
# Between two coordinated names: commas, parentheses, conjunctions and determiners only.
_COORDINATED = re.compile(r"^[\s,()/+&-]*(?:(?:alone\W+)?(?:or\W+|and\W+)?(?:combined|in combination|associ[ée]e?s?)\W+"
                          r"(?:with|avec|à|a)\W+|(?:and|or|and/or|et|ou|et/ou|either|nor|ni|plus)\W+)?"
                          r"(?:(?:for|in|of|with|pour|dans|de|du|des|avec)\W+)?(?:" + _DET + r"\W+){0,2}$", re.I)
# In a title, what follows one of these is a treatment the tested one is added to ("Leflunomide Added to
# Hydroxychloroquine in pSS", "X vs Y as Add-on to Mycophenolate"), not a tested or comparator drug.
ADD_ON = re.compile(r"\b(?:added to|add-on to|as add-on(?: therapy)?(?: to)?|on top of|in addition to|both (?:with|plus|on)"
                    r"|on (?:a )?background (?:of|therapy)|plus (?:standard|background)|ajout[ée]e?s? (?:à|a|au|aux)"
                    r"|en association (?:à|a|avec))\b", re.I)
# "licensed for adults with X", "first approved to raise platelets in people with X": a people cue in the
# same comma-free stretch as an approval or use cue describes the drug's approved use, not the study's
# population ("a drug approved for Y, helps people with X" keeps X).
_GOVERNED = re.compile(r"\b(?:approved|indicated|licensed|authori[sz]ed|marketed|used|indiqu[ée]e?s?|autoris[ée]e?s?"
                       r"|utilis[ée]e?s?)\b[^,;]{0,80}$", re.I)
# A drug naming what a condition resists or comes from ("Colchicine-Resistant Pericarditis", "MTX-naive"):
# part of the condition's name, not a drug the study gives.
QUALIFIES_CONDITION = re.compile(r"\s*-?\s*(?:resistant|refractory|induced|associated|related|naive|naïve|"
                                 r"dependent|intolerant|exposed|experienced|pretreated|r[ée]fractaire|induite?)\b", re.I)
# What may stand between a cue and the name it is about.
_ADJACENT = re.compile(r"(?:\W+" + _DET + r"){0,4}\W*$", re.I)
# A tested cue after the name: "in whom efgartigimod was started", "le X a été introduit".
_TESTED_AFTER = re.compile(r"\s+(?:was|were|has been|had been) (?:started|initiated|introduced|given|administered|"
                           r"commenced)\b|\s+(?:a|ont|avait) (?:été )?(?:introduit|d[ée]but[ée]|instaur[ée]|initi[ée]|"
                           r"administr[ée])e?s?\b", re.I)
# Drug cues: tested and prior ones count only right before the name (their patterns end at it).
_DRUG_CUES = (("tested", _TESTED), ("tested", _TESTED_NOUN), ("comparator", _COMPARATOR), ("prior", _PRIOR),
              ("background", _BACKGROUND))
# When two cues end at the same place, the more specific reading wins (precision first).
_PRIORITY = ("excluded", "negated", "background", "prior", "comparator", "tested", "studied")


@dataclass(frozen=True)
class Mention:
    entry: Entry
    text: str  # the name as normalised ("systemic sclerosis"), or the abbreviation as written
    start: int  # character offsets into the scanned text
    end: int
    method: str  # "scan", "abbreviation", "abbreviation-defined"


@dataclass(frozen=True)
class Context:
    """What a whole document says, for resolving its abbreviations."""

    defined: dict[str, Entry] = field(default_factory=dict)  # short form as written -> entry
    words: frozenset[str] = frozenset()  # normalised words of the document


@lru_cache(maxsize=256)
def _words(text: str) -> tuple[str, ...]:
    """norm()'s tokens of a text (one pass in C for ASCII text, whose lower() keeps every character)."""
    if text.isascii():
        return tuple(_WORD.findall(american(text.lower())))
    return tuple(w for _, w in _non_ascii_tokens(text))


@lru_cache(maxsize=256)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    """Where each of :func:`_words` stands; computed only for texts where a name was found."""
    if text.isascii():
        return tuple(m.span() for m in _WORD.finditer(text))
    return tuple(span for span, _ in _non_ascii_tokens(text))


def _non_ascii_tokens(text: str) -> list[tuple[tuple[int, int], str]]:
    # norm() may fold one written word into several tokens, or into none
    return [(m.span(), part) for m in _WORD.finditer(text) for part in norm(m.group(0)).split()]


def find(lex: Lexicon, text: str, kinds: frozenset[str], level: int = SCAN_TEXT,
         context: Context | None = None) -> list[Mention]:
    """Every name and abbreviation of these kinds in a text, in text order, without overlaps."""
    phrases, starts = lex.phrases(kinds, level), lex.starts(kinds, level)
    words = _words(text)
    found: list[Mention] = []
    i = 0
    while i < len(words):
        for n in range(min(starts.get(words[i], 0), len(words) - i), 0, -1):
            entry = phrases.get(words[i:i + n])
            if entry:
                spans = _spans(text)
                found.append(Mention(entry, " ".join(words[i:i + n]), spans[i][0], spans[i + n - 1][1], "scan"))
                i += n
                break
        else:
            i += 1
    taken = [(m.start, m.end) for m in found]
    for m in abbreviations(lex, text, kinds, context):
        if not any(a < m.end and m.start < b for a, b in taken):
            found.append(m)
    return sorted(found, key=lambda m: m.start)


def abbreviations(lex: Lexicon, text: str, kinds: frozenset[str], context: Context | None) -> list[Mention]:
    out = []
    seen: set[tuple[int, int]] = set()
    for pattern in (_CAPS, _MIXED):
        for m in pattern.finditer(text):
            written = m.group(1)
            if (m.start(), m.end()) in seen or (pattern is _MIXED and not (len(written) <= 8 and is_mixed_case(written))):
                continue
            seen.add((m.start(), m.end()))
            entry, method = resolve(lex, written, kinds, context)
            if entry:
                out.append(Mention(entry, m.group(0), m.start(), m.end(), method))
    return out


def is_mixed_case(word: str) -> bool:
    """"SSc", "pSS": a capital after the first letter and a small letter; not "Les", not "SLE"."""
    return any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)


def resolve(lex: Lexicon, written: str, kinds: frozenset[str],
            context: Context | None) -> tuple[Entry | None, str]:
    """The one meaning of an abbreviation here: as the document defines it, else by the rules above."""
    if context and written in context.defined:
        entry = context.defined[written]
        return (entry, "abbreviation-defined") if entry.kind in kinds else (None, "")
    candidates = {e for e in lex.abbreviations.get(norm(written), ()) if e.kind in kinds}
    if len(candidates) > 1 or len(written) <= 2:
        words = context.words if context else frozenset()
        candidates = {e for e in candidates if _label_words(e.label) & words}
    return (next(iter(candidates)), "abbreviation") if len(candidates) == 1 else (None, "")


def _label_words(label: str) -> frozenset[str]:
    return frozenset(w for w in norm(label).split() if len(w) >= 4 and w not in _GENERIC)


def document_context(lex: Lexicon, texts: Iterable[str], kinds: frozenset[str]) -> Context:
    """Abbreviations the texts define ("long form (SF)": a linked name right before the parenthesis whose
    first letter starts a word of the name) and the words they use."""
    defined: dict[str, Entry] = {}
    words: set[str] = set()
    for text in texts:
        words.update(_words(text))
        for d in _DEFINITION.finditer(text):
            short = d.group(1)
            # the names ending right before the parenthesis (no name is longer than LONGEST characters)
            lo = max(0, d.start() - LONGEST)
            ends = {lo + m.end: m for m in find(lex, text[lo:d.start()], kinds) if m.method == "scan"}
            before = text[max(0, d.start() - 3):d.start()]
            name = ends.get(d.start() - (len(before) - len(before.rstrip())))
            if name and any(c.isupper() for c in short) and \
                    short[0].lower() in {w[0] for w in name.text.split()}:
                defined.setdefault(short, name.entry)
    return Context(defined, frozenset(words))


def cue_role(kind: str, before: str, sentence: str) -> str:
    """The role the words before a mention (in its clause) and its sentence give it."""
    if _EXCLUDED_SENTENCE.search(sentence):
        return "excluded"
    if _LITERATURE_SENTENCE.search(sentence):
        return "background"
    if kind == "condition":
        strong = _STUDIED.search(before)
        if strong and not _GOVERNED.search(before, 0, strong.start()):
            return "studied"
        weak, background = _STUDIED_WEAK.search(before), _BACKGROUND.search(before)
        return "studied" if weak and not background else "background"
    ends: dict[str, int] = {}
    for role, pattern in _DRUG_CUES:
        last = None
        for last in pattern.finditer(before):
            pass
        if last is not None:
            adjacent = role in ("tested", "prior") or _ADJACENT.match(before, last.end())
            ends[role] = max(ends.get(role, 0), len(before) if adjacent else last.end())
    if not ends:
        return "background"
    role = max(ends, key=lambda r: (ends[r], -_PRIORITY.index(r)))
    # "no prior X", "not treated with X", "sans traitement antérieur par X": the denial covers the cue
    return "negated" if role in ("prior", "tested") and NEGATED_BEFORE.search(before) else role


def roles(text: str, mentions: list[Mention]) -> list[tuple[Mention, str]]:
    """Each mention with its role (see the module notes); mentions must be in text order."""
    out: list[tuple[Mention, str]] = []
    previous: dict[str, tuple[Mention, str]] = {}
    for k, m in enumerate(mentions):
        if k >= MAX_ROLES:  # no real text names so many; a hostile one must not cost time per mention
            out.append((m, "background"))
            continue
        kind = "condition" if m.entry.kind == "condition" else "drug"
        lo = max(0, m.start - WINDOW)
        window = text[lo:m.start]
        breaks = [b.end() for b in _CLAUSE_BREAK.finditer(window)]
        before = window[breaks[-1] if breaks else 0:]
        ends = [e.end() for e in _SENTENCE_END.finditer(text, lo, m.start)]
        stop = _SENTENCE_END.search(text, m.end, min(len(text), m.end + WINDOW * 2))
        sentence = text[ends[-1] if ends else lo:stop.start() if stop else min(len(text), m.end + WINDOW * 2)]
        role = cue_role(kind, before, sentence)
        if kind == "drug" and role == "background" and _TESTED_AFTER.match(text, m.end) \
                and not _LITERATURE_SENTENCE.search(sentence):
            role = "tested"
        prev = previous.get(kind)
        gap = text[prev[0].end:m.start] if prev else ""
        # a class after a drug is its apposition ("daratumumab, an anti-CD38 antibody"), not a second drug
        # "X, Y or Z", "approved for X and for Y", "X (XA)": the list shares the role of its first name
        if prev and len(gap) < 40 and _COORDINATED.match(gap) and m.entry.kind != "drug_class" \
                and role not in ("excluded", "negated"):
            role = prev[1]
        previous[kind] = (m, role)
        out.append((m, role))
    return out
