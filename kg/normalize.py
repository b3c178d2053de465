"""Mentions -> reference entities.

:func:`link_record` links each mention of a record with a :class:`~kg.lexicon.Lexicon`:
interventions, conditions, sponsors and funders by name; titles, eligibility
criteria and reference titles by scanning for known names. A mention that
matches nothing is kept as an unlinked :class:`Link` (entity ``None``), never
dropped and never forced onto a near miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import URIRef

from kg.lexicon import (  # noqa: F401  (re-exported: the linking API names them)
    SCAN_NEVER, SCAN_TEXT, SCAN_TITLES, Entry, Lexicon, build_lexicon, code_key, default_lexicon,
    lexicon_from_rows, lexicon_rows, norm,
)
from kg.mentions import (
    ADD_ON, NEGATED_BEFORE, QUALIFIES_CONDITION, Context, Mention, cue_role, document_context, find, roles,
)
from kg.model import Intervention, StudyRecord

# Words of dosage forms and routes that trial registries append to product
# names (ClinicalTrials.gov intervention names, EUCTR "Pharmaceutical Form").
DOSAGE_WORDS = frozenset(
    "prefilled pre filled syringe syringes injection injectable infusion tablet tablets "
    "capsule capsules oral solution suspension concentrate powder for iv sc intravenous "
    "subcutaneous topical cream ointment gel mg kg ml dose doses low high vial pen "
    "autoinjector film coated extended release hydrochloride sodium".split())
# Words that may surround a name without changing what it denotes: function
# words and the clinical qualifiers registries add to condition and product
# names ("Treatment of severe refractory X", "allogeneic X cells"). A name
# found inside a longer mention links only if everything else is such words.
CONTEXT_WORDS = frozenset(
    "of the a an in with without and or to for from by on at as due its their his her this that "
    "patient patients subject subjects participant participants people adult adults child children "
    "pediatric paediatric treatment treatments therapy therapies treat treated treating management "
    "refractory resistant relapsed recurrent severe moderate mild active chronic acute early advanced "
    "difficult standard conventional newly diagnosed untreated previously allogeneic autologous derived "
    "human recombinant study trial healthy volunteers primary secondary associated idiopathic "
    "male female men women group arm daily once twice day week weekly dose combination combined various "
    "investigational administration "
    # the same in French, accents folded as norm() folds them
    "de des du la le les l d a au aux et ou avec sans chez pour par traitement traite traites "
    "severe severes refractaire refractaires chronique aigu aigue primaire secondaire associe "
    "associee associes idiopathique adulte adultes enfant enfants patient patients".split())
# Words that open a clause saying what a condition follows or comes from.
CLAUSE_WORDS = frozenset("following after due secondary caused induced related post".split())
# Doses with their unit ("5mg", "0.2mg", "100", "2x"), product forms and the
# counter-ions of salts, as registries append them to drug names.
_DOSE_RE = re.compile(r"^\d+([.,]\d+)?(mg|g|mcg|ug|µg|ml|iu|u|mmol|mg/kg|%|x)?$")
FORM_AND_SALT_WORDS = frozenset(
    "tab tabs caps gm odt sublingual buccal chewable dispersible xr er sr ir lozenge patch spray inhaled "
    "nasal ophthalmic drops citrate hydrochloride hcl sulfate sulphate acetate maleate mesylate "
    "tartrate phosphate besylate fumarate succinate bromide chloride potassium calcium magnesium "
    "monohydrate dihydrate anhydrous units unit milligram milligrams microgram micrograms sustained prn ct "
    "auto injector product vehicle".split())
# Words that mark a placebo intervention (English and French registries).
PLACEBO_WORDS = frozenset({"placebo", "placebos"})
# Words of an inactive control that may also stand beside an active product ("Alprostadil in
# Vehicle 0.5%", "sildenafil plus sham hyperbaric oxygen"): a placebo only when no product is named.
CONTROL_WORDS = frozenset({"sham", "vehicle"})
PLACEBO_PHRASES = ("sugar pill", "dummy pill", "inactive pill")


@dataclass(frozen=True)
class Link:
    """One mention and what it links to (``entity`` None when unlinked)."""

    role: str  # "intervention", "condition", "sponsor", "collaborator", "funder", "responsible",
    # "title_drug", "title_comparator", "title_condition", "criterion_drug",
    # "criterion_condition", "reference_drug", "reference_condition", "meddra_condition"
    text: str
    kind: str
    entity: URIRef | None
    method: str
    path: str  # JSON path of the record value the mention stands in


def _variants(text: str) -> Iterator[tuple[str, str]]:
    """Ways to read one name, most literal first, with the method name."""
    yield text, "exact"
    # Registry inversions: "Diabetes Mellitus, Type 1" and "Cancer of Prostate"
    head, comma, tail = text.partition(",")
    if comma and tail.strip() and "," not in tail:
        yield f"{tail} {head}", "inverted"
    of = re.match(r"^\s*(\w+) of (?:the )?(\w+)\s*$", text, re.I)
    if of:
        yield f"{of.group(2)} {of.group(1)}", "inverted"
    # Only up to the last ")": past it, every "(" would scan to the end in vain (quadratic).
    closed = text.rfind(")") + 1
    outside = re.sub(r"\([^)]*\)", " ", text[:closed]) + text[closed:]
    if outside != text:
        yield outside, "outside-parentheses"
        for inner in re.findall(r"\(([^)]*)\)", text[:closed]):
            yield inner, "inside-parentheses"
    words = [w for w in norm(outside).split() if w not in DOSAGE_WORDS and not w.isdigit()]
    yield " ".join(words), "without-dosage-form"


def scan(lex: Lexicon, text: str, kinds: frozenset[str], level: int = SCAN_TEXT,
         context: Context | None = None) -> list[tuple[Entry, str]]:
    """Entries named anywhere in a text: longest phrase first, no overlaps (see :func:`kg.mentions.find`).

    Abbreviations count only where the text writes them in capitals ("SLE") or mixed case ("SSc").
    ``level`` SCAN_TITLES also admits names safe only in titles.
    """
    return [(m.entry, m.text) for m in _first_of_each(find(lex, text, kinds, level, context))]


def link_name(lex: Lexicon, text: str, kinds: frozenset[str]) -> tuple[Entry | None, str]:
    """Link a whole name (an intervention, a condition, a sponsor)."""
    for variant, method in _variants(text):
        entry = lex.lookup(variant, kinds)
        if entry:
            return entry, method
    for variant, _ in _variants(text):
        contained = scan(lex, variant, kinds)
        if len(contained) == 1 and _only_context_around(variant, contained[0][1]):
            return contained[0][0], "contained-name"
    return None, "unlinked"


def _is_context(word: str) -> bool:
    return (word in CONTEXT_WORDS or word in DOSAGE_WORDS or word in FORM_AND_SALT_WORDS
            or bool(_DOSE_RE.match(word)))


def _only_context_around(text: str, found: str) -> bool:
    """True when the words of ``text`` outside the name ``found`` are context words.

    "Treatment of severe SLE" -> SLE; "Tadalafil 5mg" -> tadalafil; a clause
    after the name that says what it follows or comes from is allowed ("Erectile
    Dysfunction Following Radical Prostatectomy"). "Bladder Cancer" is not
    "cancer", and "Breast Cancer Lymphedema" is not "breast cancer".
    """
    before, sep, after = f" {norm(text)} ".partition(f" {found} ")
    words = after.split()
    cut = next((i for i, w in enumerate(words) if w in CLAUSE_WORDS), len(words))
    return bool(sep) and all(_is_context(w) for w in before.split() + words[:cut])


DRUGS = frozenset({"drug", "drug_class"})
CONDITIONS = frozenset({"condition"})
ORGS = frozenset({"organization"})


def is_placebo(name: str) -> bool:
    """True when a name says placebo, sham or vehicle (see ``_intervention_links`` for "X in vehicle")."""
    return _names_control(name, PLACEBO_WORDS | CONTROL_WORDS)


def _says_placebo(name: str) -> bool:
    return _names_control(name, PLACEBO_WORDS)


def _names_control(name: str, words: frozenset[str]) -> bool:
    text = norm(name)
    return bool(words & set(text.split())) or any(p in text for p in PLACEBO_PHRASES)


# Separators that put a comparator after the tested drug in a title ("X vs Y").
_VERSUS_RE = re.compile(r"\b(?:vs\.?|versus|compared (?:to|with)|instead of|rather than|contre|plut[ôo]t que)\b", re.I)
# Where a title's comparator part stops naming products: the population or the condition ("Y in Adults
# With X Who Failed Z").
_COMPARATOR_END = re.compile(r"\b(?:in|for|among|chez|dans)\b", re.I)
# Cues that an exclusion criterion is about past or current treatment, not an
# allergy or contraindication (English and French registry wording).
_TREATMENT_CUES = re.compile(
    r"\b(treat|treated|treatment|therapy|received|receiving|use of|used|prior|previous|exposed|exposure|"
    r"na[iï]ve|within|weeks?|months?|traitement|trait[ée]|re[çc]u|na[iï]fs?)\b", re.I)
_NOT_TREATMENT_CUES = re.compile(r"\b(hypersensitiv|allerg|contraindicat|intoleran)", re.I)


def _name_links(lex: Lexicon, role: str, items: Iterable[tuple[str, str]], kinds: frozenset[str], kind: str) -> list[Link]:
    out = []
    for path, text in items:
        entry, method = link_name(lex, text, kinds)
        out.append(Link(role, text, entry.kind if entry else kind, entry.iri if entry else None, method, path))
    return out


def _org_links(lex: Lexicon, role: str, path: str, text: str) -> list[Link]:
    found = scan(lex, text, ORGS)
    if len(found) > 1:  # one funding line naming several organisations
        return [Link(role, t, "organization", e.iri, "contained-name", path) for e, t in found]
    entry, method = link_name(lex, text, ORGS)
    if entry:
        return [Link(role, text, "organization", entry.iri, method, path)]
    return [Link(role, text, "organization", None, "unlinked", path)]


def _scan_links(lex: Lexicon, role: str, path: str, text: str, kinds: frozenset[str],
                level: int = SCAN_TEXT, context: Context | None = None) -> list[Link]:
    return [Link(role, m.text, m.entry.kind, m.entry.iri, m.method, path)
            for m in _first_of_each(find(lex, text, kinds, level, context))]


def _first_of_each(mentions: Iterable[Mention]) -> list[Mention]:
    seen: set[URIRef] = set()
    out = []
    for m in mentions:
        if m.entry.iri not in seen:
            seen.add(m.entry.iri)
            out.append(m)
    return out


def _intervention_links(lex: Lexicon, rec: StudyRecord) -> list[Link]:
    out = []
    for i, iv in enumerate(rec.interventions):
        path = f"interventions[{i}].name"
        links = [] if _says_placebo(iv.name) else _product_links(lex, iv, path)
        if is_placebo(iv.name) and not any(lk.entity for lk in links):
            links = [Link("intervention", iv.name, "placebo", None, "placebo", path)]
        out += links
    return out


def _product_links(lex: Lexicon, iv: Intervention, path: str) -> list[Link]:
    """The products one intervention names: by its names, its codes, then as a combination."""
    names = (iv.name, *iv.other_names)
    link = next((lk for lk in _name_links(lex, "intervention", [(path, n) for n in names], DRUGS, "drug")
                 if lk.entity), None)
    by_code = lex.lookup_code([f"MESH:{m}" for m in iv.mesh_ids] + list(iv.codes), DRUGS) if not link else None
    if by_code:
        link = Link("intervention", iv.name, by_code.kind, by_code.iri, "identifier", path)
    parts = [] if link else _combination_links(lex, path, names)
    return [link] if link else parts or [Link("intervention", iv.name, "drug", None, "unlinked", path)]


# Separators between the products of one combination intervention ("Tadalafil +
# Tamsulosin", "Naltrexone HCL/ Yohimbine HCL", "sildenafil & tadalafil").
# Tried only where a blank run starts, and adjacent separators are one cut (empty parts are
# skipped anyway): "\s*(?:...)\s*" alone retried every blank of a long run (cubic on 20,000).
_COMBINATION_RE = re.compile(
    r"(?<!\s)\s*+(?:(?:/|\+|&|,|;|\bplus\b|\band\b|\bwith\b|\bet\b)\s*+)++", re.I)


def _combination_links(lex: Lexicon, path: str, names: Iterable[str]) -> list[Link]:
    """One link per product a combination intervention names, from the first name that has any.

    Each part must link on its own as a whole name would; parts that name no
    product ("questionnaire", "30/50 mg film coated tablet") are left out.
    """
    for name in names:
        found: dict[URIRef, Link] = {}
        for part in _COMBINATION_RE.split(name):
            entry, _ = link_name(lex, part, DRUGS) if part.strip() else (None, "")
            if entry and entry.iri not in found:
                found[entry.iri] = Link("intervention", part.strip(), entry.kind, entry.iri, "combination-part", path)
        if found:
            return list(found.values())
    return []


def _title_drug_links(lex: Lexicon, rec: StudyRecord, ctx: Context) -> list[Link]:
    """Drugs a title names, when the record lists no interventions ("X vs Y in Z")."""
    if rec.interventions or not rec.title:
        return []
    tested, _, comparator = _split_versus(rec.title)
    if (end := _COMPARATOR_END.search(comparator)) is not None:
        comparator, rest = comparator[:end.start()], comparator[end.start():]
        tested = f"{tested} {rest}"  # drugs after the population are read with the tested part's rules
    links, background = [], []
    for role, part in (("title_drug", tested), ("title_comparator", comparator)):
        given, add_on = _split_add_on(part)
        for m in _first_of_each(find(lex, given, DRUGS, context=ctx)):
            # "Colchicine-Resistant X", "Who Failed Adalimumab": part of the population, not a product given
            other = QUALIFIES_CONDITION.match(given, m.end) or cue_role("drug", given[:m.start], "") == "prior"
            links.append(Link("text_background" if other else role, m.text, m.entry.kind, m.entry.iri,
                              m.method, "title"))
        background += _scan_links(lex, "text_background", "title", add_on, DRUGS, context=ctx)
    # a drug every arm is added to ("X on Top of C versus C Plus Placebo") is background in both parts
    shared = {lk.entity for lk in background}
    return [lk for lk in links if lk.entity not in shared] + background


def _split_add_on(part: str) -> tuple[str, str]:
    """A title part before and after "added to" / "as add-on to" (what the tested drug is added to)."""
    m = ADD_ON.search(part)
    return (part[:m.start()], part[m.end():]) if m else (part, "")


def _split_versus(title: str) -> tuple[str, str, str]:
    parts = _VERSUS_RE.split(title, maxsplit=1)
    return (parts[0], "", parts[1]) if len(parts) == 2 else (title, "", "")


def _condition_links(lex: Lexicon, rec: StudyRecord, ctx: Context) -> list[Link]:
    items = []
    for i, c in enumerate(rec.conditions):
        items.append((f"conditions[{i}].name", c.name))
        items += [(f"conditions[{i}].subtypes[{j}]", s) for j, s in enumerate(c.subtypes)]
    links = _name_links(lex, "condition", items, CONDITIONS, "condition")
    for i, c in enumerate(rec.conditions):  # MeSH ids a registry derived for this very condition
        link = links[[lk.path for lk in links].index(f"conditions[{i}].name")]
        entry = lex.lookup_code([f"MESH:{m}" for m in c.mesh_ids], CONDITIONS) if link.entity is None else None
        if entry:
            links[links.index(link)] = Link("condition", c.name, "condition", entry.iri, "identifier", link.path)
    if not rec.conditions and rec.title:  # pages without a conditions section
        links += _scan_links(lex, "title_condition", "title", rec.title, CONDITIONS, SCAN_TITLES, ctx)
    for i, m in enumerate(rec.meddra):
        if m.term:
            entry, method = link_name(lex, m.term, CONDITIONS)
            if entry:
                links.append(Link("meddra_condition", m.term, "condition", entry.iri, method, f"meddra[{i}]"))
    return links


_NEGATED_AFTER = re.compile(r"\s*-?\s*na[iï](?:ve|fs?)\b", re.I)
# Where the words about one drug start: a sentence or clause break, or a contrast ("but", "except").
_CLAUSE_BREAK = re.compile(r"[.;:()]|\b(?:but|except|unless|however|sauf|mais)\b", re.I)


def _criterion_links(lex: Lexicon, rec: StudyRecord, own: set[URIRef], ctx: Context) -> list[Link]:
    out = []
    # Registers sometimes print the exclusion list under both headings: a copied criterion is not a
    # requirement (it would make every drug it names both required and excluded).
    excluded_texts = {norm(t) for t in rec.eligibility.exclusion}
    for kind in ("inclusion", "exclusion"):
        for i, text in enumerate(getattr(rec.eligibility, kind)):
            path = f"eligibility.{kind}[{i}]"
            copied = kind == "inclusion" and norm(text) in excluded_texts
            for link in _scan_links(lex, "criterion_drug", path, text, DRUGS, context=ctx):  # one link per drug
                role = "criterion_drug" if copied else _criterion_drug_role(kind, text, link, link.entity in own)
                if role == "prior_treatment_required" and rec.study_type == "CASE_COLLECTION":
                    role = "text_drug"  # a case collection's required treatment is the exposure it collects
                out.append(Link(role, link.text, link.kind, link.entity, link.method, path))
            out += _scan_links(lex, "criterion_condition", path, text, CONDITIONS, context=ctx)
    return out


def _negations(text: str, mention: str) -> set[bool]:
    """For each place ``mention`` is written in ``text``: whether the words before it in its clause (or
    "-naive" after it) deny the treatment."""
    out = set()
    for m in re.finditer(r"(?<!\w)" + r"\W+".join(map(re.escape, mention.split())) + r"(?!\w)", text, re.I):
        before = text[:m.start()]
        breaks = [b.end() for b in _CLAUSE_BREAK.finditer(before)]
        clause = before[breaks[-1] if breaks else 0:]
        out.add(bool(NEGATED_BEFORE.search(clause) or _NEGATED_AFTER.match(text, m.end())))
    return out or {False}


def _criterion_drug_role(kind: str, text: str, link: Link, is_study_drug: bool) -> str:
    """prior_treatment_excluded / prior_treatment_required, or a plain mention (also when the criterion
    names the drug both as given and as not given)."""
    negations = _negations(text, link.text)
    if is_study_drug or _NOT_TREATMENT_CUES.search(text) or not _TREATMENT_CUES.search(text) or len(negations) > 1:
        return "criterion_drug"
    excludes = (kind == "exclusion") != negations.pop()
    return "prior_treatment_excluded" if excludes else "prior_treatment_required"


def _reference_links(lex: Lexicon, rec: StudyRecord, ctx: Context) -> list[Link]:
    out = []
    for i, ref in enumerate(rec.references):
        text = ref.title or ref.raw
        out += _scan_links(lex, "reference_drug", f"references[{i}]", text, DRUGS, context=ctx)
        out += _scan_links(lex, "reference_condition", f"references[{i}]", text, CONDITIONS, SCAN_TITLES, ctx)
    return out


def _organization_links(lex: Lexicon, rec: StudyRecord) -> list[Link]:
    out = []
    if rec.sponsor:
        out += _org_links(lex, "sponsor", "sponsor", rec.sponsor)
    for role, values in (("collaborator", rec.collaborators), ("funder", rec.funders)):
        for i, name in enumerate(values):
            out += _org_links(lex, role, f"{role}s[{i}]", name)
    for i, org in enumerate(rec.organizations):
        if org.name != rec.sponsor:
            out += _org_links(lex, org.role.lower(), f"organizations[{i}].name", org.name)
    return out


# Roles of free-text mentions (kg.mentions) -> link roles. Drugs and conditions a summary gives a study
# role count only for records without an interventions / conditions section (pages, letters); the others
# are mentions of the text.
TEXT_DRUG_ROLE = {"tested": "text_drug", "comparator": "text_comparator", "prior": "text_prior",
                  "excluded": "text_excluded"}
TEXT_CONDITION_ROLE = {"studied": "text_condition"}
# Several mentions of one entity in one field: the first role here wins ("receive either X or Y" after
# "X compared to Y" leaves Y a comparator).
TEXT_ROLE_ORDER = ("text_comparator", "text_drug", "text_condition", "keyword_condition", "text_excluded",
                   "text_prior", "text_background")


def _context(lex: Lexicon, rec: StudyRecord) -> Context:
    """The abbreviations a record defines and the words it uses, over all of its text."""
    texts = [t for t in (rec.title, rec.scientific_title, rec.summary) if t]
    texts += [*rec.keywords, *(c.name for c in rec.conditions), *(iv.name for iv in rec.interventions),
              *rec.eligibility.inclusion, *rec.eligibility.exclusion]
    return document_context(lex, texts, DRUGS | CONDITIONS)


def _free_text_links(lex: Lexicon, rec: StudyRecord, ctx: Context, title_conditions: bool) -> list[Link]:
    """Drugs and conditions of a summary (with their roles) and of keywords, for records that lack an
    interventions or a conditions section, or that collect cases (a letter's body names its drug).

    Keywords have no context to give a role: their conditions are the study's only when neither the
    title nor the summary names one (a keyword run mixes the condition with related ones)."""
    drugs_open = not rec.interventions or rec.study_type == "CASE_COLLECTION"
    conditions_open = not rec.conditions
    if not (drugs_open or conditions_open):
        return []
    best: dict[tuple[URIRef | None, str], Link] = {}

    def keep(link: Link) -> None:  # one link per entity and field: the strongest role its mentions give
        key = (link.entity, link.path)
        if key not in best or TEXT_ROLE_ORDER.index(link.role) < TEXT_ROLE_ORDER.index(best[key].role):
            best[key] = link

    if rec.summary:
        # one-word disease names ("myocarditis") too: the role rules, not the scan level, keep a summary's
        # passing mentions out of the study's conditions
        for m, role in roles(rec.summary, find(lex, rec.summary, DRUGS | CONDITIONS, SCAN_TITLES, ctx)):
            if m.entry.kind == "condition":
                mapped = TEXT_CONDITION_ROLE.get(role, "text_background") if conditions_open else "text_background"
            else:
                mapped = TEXT_DRUG_ROLE.get(role, "text_background") if drugs_open else "text_background"
            keep(Link(mapped, m.text, m.entry.kind, m.entry.iri, m.method, "summary"))
    studied = title_conditions or any(lk.role == "text_condition" for lk in best.values())
    # a condition the summary names only as background (the drug's approved use) is not the study's
    background = {lk.entity for lk in best.values() if lk.role == "text_background"}
    for i, keyword in enumerate(rec.keywords):
        for m in find(lex, keyword, DRUGS | CONDITIONS, SCAN_TITLES, ctx):
            own = m.entry.kind == "condition" and conditions_open and not studied and m.entry.iri not in background
            role = "keyword_condition" if own else "text_background"
            keep(Link(role, m.text, m.entry.kind, m.entry.iri, m.method, f"keywords[{i}]"))
    return list(best.values())


def _classes_behind_drugs(links: list[Link]) -> list[Link]:
    """A drug class named in a title ("anticorps anti-CD38 et myasthénie") is the study's tested drug only
    when no drug is: beside the drug it is the drug's description."""
    if not any(lk.role in ("title_drug", "text_drug") and lk.kind == "drug" and lk.entity for lk in links):
        return links
    return [Link("text_background", lk.text, lk.kind, lk.entity, lk.method, lk.path)
            if lk.role == "title_drug" and lk.kind == "drug_class" else lk for lk in links]


def link_record(lex: Lexicon, rec: StudyRecord) -> tuple[Link, ...]:
    """Every mention of a record, linked or flagged unlinked."""
    ctx = _context(lex, rec)
    links = _intervention_links(lex, rec) + _title_drug_links(lex, rec, ctx)
    own = {lk.entity for lk in links if lk.entity}
    links += _condition_links(lex, rec, ctx)
    links += _criterion_links(lex, rec, own, ctx)
    links += _free_text_links(lex, rec, ctx, any(lk.role == "title_condition" and lk.entity for lk in links))
    links = _classes_behind_drugs(links)
    links += _reference_links(lex, rec, ctx)
    links += _organization_links(lex, rec)
    return tuple(links)


def link_counts(links: Iterable[Link]) -> dict[str, dict[str, int]]:
    """Linked and unlinked mentions per entity kind."""
    counts: dict[str, dict[str, int]] = {}
    for lk in links:
        c = counts.setdefault(lk.kind, {"linked": 0, "unlinked": 0})
        c["linked" if lk.entity or lk.kind == "placebo" else "unlinked"] += 1
    return counts
