"""Derive TrialKG's bulk reference tables from the open drug and MONDO files (stdlib only).

Reads (paths are CLI options; defaults in brackets; never read at TrialKG run time):
  --drugs-dir [/work/shared/reference/drugs]
      medi_drug_list_stringent.csv        MeDIC approved ingredients: labels, flags, alternate ids, ATC codes
      fda_unii_names_subset.tsv           FDA UNII names: bn brand, of official, cn common name per UNII
      medi_approvals_fda_orange_book.tsv  Orange Book rows (YYYYMMDD; 19820101 = approved before 1982)
      medi_approvals_fda_purple_book.tsv  Purple Book rows (biologics)
      medi_approvals_ema_epar.tsv         EMA EPAR rows: dates and indication texts ("|"-separated; the texts'
                                          MONDO disease names become the approvals' indications)
      drugcentral2016_drug_target.tsv     DrugCentral 2016 drug -> target with action type
      drugcentral2016_drug_indication.tsv DrugCentral 2016 labelled indications (UMLS CUI, DOID)
      drugcentral2016_identifiers.tsv     DrugCentral id -> UNII, ChEMBL id (join fallbacks)
  --mondo-dir [/work/shared/reference/mondo]  MONDO class labels, edges and SSSOM exact matches
  --curated [ontology/reference]              curated drugs.tsv (ids to reuse for the same drug)
Writes into --out [ontology/reference/bulk]: drugs.tsv, approvals.tsv, indications.tsv, targets.tsv,
families.tsv (multi-gene DrugCentral targets: one family or complex each, with member genes), mechanisms.tsv,
mondo.tsv (every non-obsolete MONDO class, logic of build_mondo_slim.py --all),
sources.tsv (source keys not in the curated sources.tsv) and README.md. Output is UTF-8 TSV with a header,
sorted, "|" between values, byte-identical on re-run.

drugs.tsv has one row per MeDIC ingredient (rows with the same label, or labelled with a salt of another
row's label, are merged and say so in their note), plus one row per DrugCentral 2016 drug that has targets
or labelled indications but joins no MeDIC row (left out with --medic-only).

Run: python scripts/derive_reference.py
"""
from __future__ import annotations

import argparse
import csv
import html
import importlib.util
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
SHARED = Path("/work/shared/reference")
Row = dict[str, str]

DRUG_COLUMNS = ["id", "label", "kind", "synonyms", "abbreviations", "brand_names", "labels_fr", "xrefs",
                "parent_class", "source", "note", "flags"]
# Approval flags MeDIC gives without a date or an indication: kept as flags, never as approvals.
JAPAN_FLAG = "approved-in-japan"
APPROVAL_COLUMNS = ["drug", "agency", "date", "indication", "indication_text", "source", "note", "approved_before"]
INDICATION_COLUMNS = ["drug", "indication", "indication_text", "umls", "doid", "source"]
TARGET_COLUMNS = ["symbol", "label", "hgnc", "uniprot", "ncbigene", "source", "note"]
MECHANISM_COLUMNS = ["drug", "target", "action_type", "affected_cells", "description", "source", "note"]
FAMILY_COLUMNS = ["id", "label", "kind", "members", "target_family", "source", "note"]
SOURCE_COLUMNS = ["key", "title", "url", "licence", "version", "kind"]

# MeDIC alternate_ids prefixes -> CURIE prefixes shipped in xrefs (bare identifiers only). RXCUI and UMLS:
# only the first one listed, the ingredient concept (MeDIC then lists product-level RxNorm/UMLS concepts).
XREF_PREFIXES = {"UNII": "UNII", "CHEMBL.COMPOUND": "CHEMBL", "DrugCentral": "DRUGCENTRAL", "GTOPDB": "GTOPDB",
                 "RXCUI": "RXCUI", "MESH": "MESH", "CHEBI": "CHEBI", "UMLS": "UMLS", "DRUGBANK": "DRUGBANK"}
FIRST_ONLY = {"RXCUI", "UMLS"}
# DrugCentral 2016 identifier types -> CURIE prefixes (bare ids), for drugs that are not in the MeDIC list.
DC_XREFS = {"UNII": "UNII", "ChEMBL_ID": "CHEMBL", "IUPHAR_LIGAND_ID": "GTOPDB", "RXNORM": "RXCUI",
            "MESH_DESCRIPTOR_UI": "MESH", "MESH_SUPPLEMENTAL_RECORD_UI": "MESH", "CHEBI": "CHEBI",
            "UMLSCUI": "UMLS", "DRUGBANK_ID": "DRUGBANK"}

# Counter-ions, hydrate words and ester suffixes that turn an ingredient's FDA display name into the display
# name of one of its salts or esters ("MYCOPHENOLATE MOFETIL HYDROCHLORIDE"). Chemical nomenclature, not
# facts about drugs: a salt maps to its parent only when every word after the parent's name is listed here.
SALT_WORDS = frozenset("""
HYDROCHLORIDE DIHYDROCHLORIDE TRIHYDROCHLORIDE MONOHYDROCHLORIDE HCL HYDROBROMIDE HYDRIODIDE
SODIUM DISODIUM TRISODIUM MONOSODIUM POTASSIUM DIPOTASSIUM MONOPOTASSIUM CALCIUM MAGNESIUM ZINC LITHIUM
ALUMINUM AMMONIUM MEGLUMINE TROMETHAMINE LYSINE ARGININE OLAMINE DIOLAMINE ERBUMINE BENZATHINE PROCAINE
SULFATE HEMISULFATE BISULFATE MESYLATE DIMESYLATE BESYLATE TOSYLATE EDISYLATE ESYLATE NAPSYLATE ISETHIONATE
MALEATE DIMALEATE FUMARATE HEMIFUMARATE TARTRATE BITARTRATE HEMITARTRATE CITRATE DIHYDROGEN PHOSPHATE
DIPHOSPHATE TETRAPHOSPHATE SUCCINATE HEMISUCCINATE ACETATE DIACETATE LACTATE GLUCONATE MALATE OXALATE
PAMOATE NITRATE CHLORIDE BROMIDE IODIDE BENZOATE SALICYLATE STEARATE ASCORBATE ASPARTATE GLUTAMATE OROTATE
PIDOLATE XINAFOATE HYCLATE MALONATE PROPIONATE DIPROPIONATE VALERATE BUTYRATE CAPROATE DECANOATE ENANTHATE
UNDECANOATE CYPIONATE PALMITATE HYDRATE MONOHYDRATE DIHYDRATE TRIHYDRATE TETRAHYDRATE PENTAHYDRATE
HEMIHYDRATE SESQUIHYDRATE HEPTAHYDRATE ANHYDROUS CHOLINE METHYLSULFATE MEDOXOMIL ISOPROPYL""".split())

# Cation adjectives that name a salt's metal, not an active moiety ("ferrous fumarate" is not "ferrous").
CATION_WORDS = frozenset("FERRIC FERROUS CUPRIC CUPROUS STANNOUS MERCURIC MERCUROUS AURIC AUROUS".split())

# Registry tags that FDA UNII names append to a name: "DARATUMUMAB [INN]", "ASPIRIN (WHO-IP)".
REGISTRY_TAG = re.compile(r"\s*(\[[^\]]*\]|\((WHO-IP|WHO-IP LATIN)\))\s*$")
# Synonym filter: chemical systematic names (Greek letters as .ALPHA., locants "2,4", "(2-", "-4-",
# trailing hyphens of CAS index names) and names longer than MAX_SYNONYM characters are not names a
# registry writes for an intervention; "X COMPONENT Y" names a combination product, "IMPURITY" a reference
# impurity. Code names (MEDI-546, REGN668) are kept: trial records use them.
CHEMICAL_NAME = re.compile(r"\.[A-Z]+\.|\d,\d|[(\[]\d|\d-\(|-\d+-|[-,]\s*$|^\(|\)-|\bACID,|, [A-Z]+-")
JUNK_NAME = re.compile(r"\bCOMPONENT\b|\bIMPURITY\b|\bMETABOLITE\b")
MAX_SYNONYM = 60
SHORT_ABBREVIATION = re.compile(r"[A-Za-z]{1,5}")
CODE_NAME = re.compile(r"^(?=\S*\d)[A-Z0-9][A-Z0-9.-]*$")  # one token with a digit: RS-61443, IDEC-C2B8

# INN stems, per the WHO INN Programme: "The use of stems in the selection of International Nonproprietary
# Names (INN) for pharmaceutical substances" (WHO/EMP/RHT/TSN/2018.1): -mab monoclonal antibodies; -cept
# receptor molecules; -ase enzymes; -kin interleukin-type substances; -ermin growth factors; -poetin
# erythropoietin-type factors; -grastim/-gramostim colony-stimulating factors; -cog blood coagulation factors.
# Addendum (INN Working Document 18.435, 2018): -cel cell therapy. "New INN monoclonal antibody (mAb)
# nomenclature scheme" (INN Working Document 22.542, May 2022): -tug, -bart, -mig (and -ment, not used here:
# too many English words end in -ment).
MAB_STEM = re.compile(r"[a-z]{3,}(mab|tug|bart|mig)\b")
CELL_STEM = re.compile(r"[a-z]{3,}cel\b")
# Gene therapy INNs (WHO INN scheme for gene therapy substances): a first word in -gene and a second in -vec.
GENE_STEM = re.compile(r"[a-z]{3,}gene [a-z]+vec\b")
PROTEIN_STEM = re.compile(r"\b[a-z]+(cept|ase|kin|ermin|poetin|grastim|gramostim|cog)\b")
NOT_ENZYME = frozenset({"release", "base", "case", "phase", "disease", "increase", "decrease"})
# Words of a label that say the product is made of cells or is not a protein (Purple Book lists such products).
CELL_WORDS = re.compile(r"\b(cells?|chondrocytes?|keratinocytes?|fibroblasts?)\b")
NOT_PROTEIN_WORDS = re.compile(r"\b(tissue|microbiota)\b")

# DrugCentral 2016 action types (the ACTION_TYPE values of drugcentral2016_drug_target.tsv) -> TrialKG's
# controlled vocabulary (kg.emit.reference.ACTION_TYPES, tkg:ActionType individuals of ontology/trialkg.ttl):
# each kept as DrugCentral states it. The grouping (ChEMBL's positive/negative modulator hierarchy, which
# DrugCentral inherits) is skos:broader in the ontology, not a rewrite of the code: OPENER, ACTIVATOR,
# POSITIVE/NEGATIVE MODULATOR -> MODULATOR; INVERSE AGONIST -> ANTAGONIST; GATING INHIBITOR -> INHIBITOR;
# POSITIVE/NEGATIVE ALLOSTERIC MODULATOR, ALLOSTERIC ANTAGONIST -> ALLOSTERIC_MODULATOR; RELEASING AGENT,
# SUBSTRATE -> OTHER. Unknown values -> OTHER (counted).
ACTION_TYPES = {a: a.replace(" ", "_") for a in (
    "INHIBITOR", "GATING INHIBITOR", "ANTAGONIST", "INVERSE AGONIST", "AGONIST", "PARTIAL AGONIST", "BLOCKER",
    "MODULATOR", "POSITIVE MODULATOR", "NEGATIVE MODULATOR", "OPENER", "ACTIVATOR",
    "POSITIVE ALLOSTERIC MODULATOR", "NEGATIVE ALLOSTERIC MODULATOR", "ALLOSTERIC ANTAGONIST",
    "ALLOSTERIC MODULATOR", "ANTIBODY BINDING", "RELEASING AGENT", "SUBSTRATE", "OTHER")}
# A DrugCentral target row listing several human genes ("KCNA1|KCNA10|...", "GABRA1|GABRB2|GABRG2") is one
# target: a protein complex (the gene products assemble into it) or a target family (paralogues, any of which
# the drug acts on). DrugCentral 2016 does not say which; family_kind decides from TARGET_NAME and
# TARGET_FAMILY, first rule that applies:
# 1. the name states a subunit composition: a "/" or ", " outside parentheses ("GABA-A receptor
#    alpha-1/beta-2/gamma-2", "Integrin alpha-4/beta-7", "Sulfonylurea receptor 1, Kir6.2") or the word
#    "complex" -> COMPLEX; but a "/" between bare gene symbols of a Kinase row ("JAK3/JAK1", ChEMBL's
#    selectivity group of two kinases) -> FAMILY;
# 2. a heteromer whose name states no composition (heteromers.tsv) -> COMPLEX;
# 3. TARGET_FAMILY in COMPLEX_TARGET_FAMILIES: every multi-gene row of these in DrugCentral 2016 is a receptor,
#    integrin, CD3 or ATPase of different chains, or a two-chain cytokine -> COMPLEX;
# 4. an "Ion channel" row named a receptor whose genes are different subunit kinds (symbol stems differ:
#    GABRA1/GABRB1, CHRNA1/CHRND, GRIN1/GRIN2A): a ligand-gated channel assembled from them -> COMPLEX;
# 5. otherwise (voltage-gated channel alpha subunits, enzyme isoforms, GPCR subtypes, tubulins) -> FAMILY.
FAMILY_KINDS = {"COMPLEX": "ProteinComplex", "FAMILY": "TargetFamily"}  # families.tsv kind -> tkg class
COMPLEX_TARGET_FAMILIES = frozenset({"Adhesion", "Cytokine", "Membrane receptor", "Surface antigen", "Transporter"})
# Heteromers DrugCentral names without their chains ("GABA-B receptor") are read from
# ontology/reference/heteromers.tsv: one row per target name with the UniProt entry whose SUBUNIT
# statement says so.
# Plain-English phrase for a DrugCentral action, followed by the target name in descriptions.
ACTION_PHRASES = {"ANTIBODY BINDING": "antibody binding", "RELEASING AGENT": "releasing agent acting on",
                  "SUBSTRATE": "substrate of", "OTHER": "acts on"}
EMA_TEXT_MAX = 300  # EMA indication texts are shortened (edited, as the ema-epar source says)
PLACEHOLDER = "19820101"  # Orange Book: approved before 1982
EXTRA_SOURCES = [
    ["who-inn-stems", "WHO INN Programme: The use of stems in the selection of INN for pharmaceutical "
     "substances (WHO/EMP/RHT/TSN/2018.1) with addendum INN Working Document 18.435 (-cel), and the new "
     "mAb nomenclature scheme, INN Working Document 22.542 (-tug, -bart, -mig, -ment); used for drug kind",
     "https://www.who.int/teams/health-product-and-policy-standards/inn", "WHO terms (stems cited only)",
     "2018; 2022-05", "ontology"],
]


# ---------------------------------------------------------------- reading and writing


def read_tsv(path: Path) -> list[Row]:
    """Rows of a tab-separated file (no quoting); '#' lines (SSSOM metadata) are skipped."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [{k: (v or "").strip() for k, v in r.items() if k}
            for r in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)]


def read_csv(path: Path, delimiter: str = ",") -> list[Row]:
    """Rows of a quoted CSV (or quoted TSV) file with a header."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in r.items() if k}
                for r in csv.DictReader(handle, delimiter=delimiter)]


def clean_cell(value: str) -> str:
    """One output cell: no tabs or line breaks, single spaces, trimmed."""
    return re.sub(r"\s+", " ", value).strip()


def write_tsv(path: Path, header: list[str], rows: list[list[str]]) -> int:
    """Write header and rows sorted (first column first), LF line ends; returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = sorted([clean_cell(c) for c in row] for row in rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        for row in [header, *body]:
            handle.write("\t".join(row) + "\n")
    return len(body)


def join(values: list[str] | set[str]) -> str:
    """'|'-joined, de-duplicated case-insensitively, sorted case-insensitively (then exactly)."""
    seen: dict[str, str] = {}
    for v in sorted({clean_cell(x) for x in values if clean_cell(x)}, key=lambda s: (s.lower(), s)):
        seen.setdefault(v.lower(), v)
    return "|".join(seen.values())


# ---------------------------------------------------------------- names, labels, ids


def alternate_ids(cell: str) -> list[str]:
    """MeDIC alternate_ids "['CHEBI:1', 'UNII:X']" -> ['CHEBI:1', 'UNII:X'] in the listed order."""
    return re.findall(r"'([^']+)'", cell)


def inn_word(word: str) -> str:
    """One word as an INN writes it: lower case unless an acronym, a code or a roman numeral (kept)."""
    letters = [c for c in word if c.isalpha()]
    all_caps = bool(letters) and all(c.isupper() for c in letters)
    if all_caps and (len(letters) <= 3 or re.fullmatch(r"[IVX]+", word) or any(c.isdigit() for c in word)):
        return word
    if not all_caps and any(c.isupper() for c in word[1:]):
        return word  # mixed case as the source writes it: "ReFacto", "pH"
    return word.lower()


def inn_label(label: str) -> str:
    """MeDIC label written as an INN: "Nalidixic acid" -> "nalidixic acid", "Factor VIII" -> "factor VIII"."""
    return " ".join(inn_word(w) for w in label.strip().split(" "))


def slug(text: str, limit: int = 60) -> str:
    """Lowercase ASCII slug: accents folded, runs of other characters as one hyphen, at most ``limit``."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(text) > limit:
        text = text[:limit].rsplit("-", 1)[0]
    return text or "drug"


def name_key(name: str, strip_salts: bool = False) -> str:
    """Join key of a drug name: lower case, single spaces; optionally without trailing salt words."""
    words = re.sub(r"\s+", " ", name).strip().upper().split(" ")
    while strip_salts and len(words) > 1 and words[-1] in SALT_WORDS:
        words.pop()
    return " ".join(words).lower()


def active_moiety(label: str) -> str:
    """A salt-form label without its salt words ("nebivolol hydrochloride" -> "nebivolol"), else ''.

    MeDIC sometimes lists the salt as the ingredient; trial records name the active moiety."""
    if "/" in label or "," in label:
        return ""
    moiety = name_key(label, strip_salts=True)
    if moiety == label.lower() or all(w.upper() in SALT_WORDS | CATION_WORDS for w in moiety.split()):
        return ""
    return moiety if len(moiety) >= 4 else ""


def strip_tags(name: str) -> str:
    """Name without trailing registry tags ("ASPIRIN [USP-RS]" -> "ASPIRIN")."""
    previous = None
    while previous != name:
        previous, name = name, REGISTRY_TAG.sub("", name).strip()
    return name


def useful_synonym(name: str) -> bool:
    """False for systematic chemical names, over-long names, combination components, impurities and short
    letter-only abbreviations ("MMF", "HCT", "DEX"): those name other drugs and tests too, and as whole
    names they would win over the curated abbreviations (the curated table owns abbreviations)."""
    return bool(name) and len(name) <= MAX_SYNONYM and not CHEMICAL_NAME.search(name) \
        and not JUNK_NAME.search(name) and not SHORT_ABBREVIATION.fullmatch(name)


def synonym_case(name: str) -> str:
    """FDA names are upper case: lower-case them unless they are code names (one token with a digit)."""
    return name if CODE_NAME.match(name) else name.lower()


# ---------------------------------------------------------------- MeDIC rows and UNII names

# The four-letter suffix the FDA adds to biologic proper names since 2017 ("-xvfs", "-rknd").
BIOLOGIC_SUFFIX = re.compile(r"-[a-z]{4}$")


def purple_book_names(purple: list[Row], by_drug: dict[str, dict[str, set[str]]]) -> None:
    """Add the Purple Book proper names of each biologic (onabotulinumtoxinA under botulinum toxin type A)
    to its MeDIC drug's synonyms, for rows whose MeDIC mapping was checked correct (``id_correct``)."""
    for r in purple:
        name = BIOLOGIC_SUFFIX.sub("", r["source_ingredients"].strip())
        if r["id_correct"] == "True" and ";" not in name and useful_synonym(name):
            by_drug[r["corrected_curie_norm"]].setdefault("purple", set()).add(name)



def merge_row(into: Row, row: Row) -> None:
    """Fold MeDIC ``row`` into ``into``: its CURIE, identifiers, ATC codes and approval flags."""
    into["merged"] = "|".join(filter(None, [into.get("merged", ""), row["curie"], row.get("merged", "")]))
    into["alternate_ids"] += row["alternate_ids"]
    into["atc_codes"] += row["atc_codes"]
    into["source_ingredients"] += "|" + row["source_ingredients"]
    if row.get("brand_label"):
        into["brand_label"] = "|".join(filter(None, [into.get("brand_label", ""), row["brand_label"]]))
    for flag in ("approved_usa", "approved_europe", "approved_japan"):
        into[flag] = into[flag] or row[flag]


def brand_ingredients(names: dict[str, list[tuple[str, str]]], display: dict[str, str]) -> dict[str, str]:
    """BRAND -> the display name of the one ingredient the FDA UNII list gives it, for names that are
    only ever brand names there (never an official or common name, never a display name)."""
    found: dict[str, set[str]] = defaultdict(set)
    other = {d.upper() for d in display.values()}
    for unii, entries in names.items():
        for name, kind in entries:
            if kind == "bn":
                found[strip_tags(name).upper()].add(display[unii])
            else:
                other.add(strip_tags(name).upper())
    return {b: next(iter(d)) for b, d in found.items() if len(d) == 1 and b not in other}


def unbrand(rows: list[Row], brands: dict[str, str]) -> int:
    """Relabel the rows MeDIC names by a brand ("Herceptin") with their active ingredient ("trastuzumab"):
    a drug is its ingredient, the brand one of its brand names. A combination product is named by its
    ingredients (MeDIC's list), not by the one ingredient the brand name is filed under. Edits in place."""
    done = 0
    for r in rows:
        label = r["curie_label"].strip()
        ingredient = brands.get(label.upper())
        if not ingredient:
            continue
        parts = [p.strip() for p in r["combination_therapy_ingredients"].split("|") if p.strip()]
        if r["is_combination_therapy"] == "TRUE":
            ingredient = " / ".join(active_moiety(inn_label(p)) or inn_label(p) for p in parts)
        if ingredient:  # the UNII list's display names are in capitals: written as an INN, numerals kept
            words = (w if re.fullmatch(r"[IVX]+", w) else w.lower() for w in ingredient.split(" "))
            r["brand_label"], r["curie_label"], done = label.upper(), " ".join(words), done + 1
    return done


def load_medic(path: Path, brands: dict[str, str] | None = None) -> list[Row]:
    """MeDIC rows, sorted by CURIE, brand-labelled rows relabelled (see unbrand), rows of the same drug
    merged into one.

    Rows with the same label (case-insensitive), and rows labelled with a salt of another row's label
    ("vardenafil hydrochloride" next to "Vardenafil"), would split one drug in two and make its names
    ambiguous; the folded rows' CURIEs are kept in ``merged`` so approvals still join."""
    rows = sorted(read_csv(path), key=lambda r: r["curie"])
    unbrand(rows, brands or {})
    by_label: dict[str, Row] = {}
    for r in rows:
        key = inn_label(r["curie_label"]).lower()
        if key in by_label:
            merge_row(by_label[key], r)
        else:
            by_label[key] = r
    for key, r in sorted(by_label.items()):
        parent = by_label.get(active_moiety(key))
        if parent is not None and parent is not r and not parent.get("folded"):
            merge_row(parent, r)
            r["folded"] = parent["curie"]
    return [r for r in by_label.values() if not r.get("folded")]


def curies_of(row: Row) -> list[str]:
    """The MeDIC CURIEs a (possibly merged) row stands for."""
    return [row["curie"], *filter(None, row.get("merged", "").split("|"))]


def load_unii_names(path: Path) -> tuple[dict[str, list[tuple[str, str]]], dict[str, str]]:
    """(UNII -> [(name, type)], UNII -> display name) from the FDA UNII names list."""
    names: dict[str, list[tuple[str, str]]] = defaultdict(list)
    display: dict[str, str] = {}
    for r in read_tsv(path):
        names[r["UNII"]].append((r["Name"], r["TYPE"]))
        display[r["UNII"]] = r["Display Name"]
    return names, display


def substance_key(name: str) -> str:
    """A name reduced to its active moiety for comparing UNIIs: no registry tags, no leading or trailing
    salt words, "-ic acid" read as "-ate" ("SODIUM ASCORBATE" and "ascorbic acid" -> "ascorbate")."""
    words = name_key(strip_tags(name)).split(" ")
    while len(words) > 1 and words[0].upper() in SALT_WORDS:
        words.pop(0)
    key = name_key(" ".join(words), strip_salts=True)
    return re.sub(r"ic acid$", "ate", key)


def names_of_unii(unii: str, display: dict[str, str], names: dict[str, list[tuple[str, str]]]) -> set[str]:
    """Every name of a UNII (display, official, common) as a substance key."""
    found = {display.get(unii, "")} | {n for n, kind in names.get(unii, []) if kind != "bn"}
    return {substance_key(n) for n in found if n}


def plausible_uniis(label: str, uniis: list[str], display: dict[str, str],
                    names: dict[str, list[tuple[str, str]]]) -> list[str]:
    """The UNIIs MeDIC lists for a row that name its ingredient or a salt of it.

    MeDIC sometimes lists the UNII of a related but different substance (omeprazole for esomeprazole,
    quinidine for quinine). With several UNIIs, keep those with the label among their names or a display
    name extending the label, then the salts of those; keep all when none qualifies."""
    moiety = substance_key(label)
    kept = [u for u in uniis if moiety in names_of_unii(u, display, names)
            or substance_key(display.get(u, "")).startswith(moiety)]
    stems = {substance_key(display.get(u, "")) for u in kept}
    kept += [u for u in uniis if u not in kept and substance_key(display.get(u, "")) in stems]
    return kept if kept and len(uniis) > 1 else uniis


def own_uniis(medic: list[Row], display: dict[str, str], names: dict[str, list[tuple[str, str]]]
              ) -> tuple[dict[str, str], set[str]]:
    """(UNII -> MeDIC CURIE for the plausible UNIIs MeDIC lists, UNIIs left unassigned). A UNII listed by
    several rows goes to the one single-ingredient row, else to the row labelled with its display name."""
    claims: dict[str, list[Row]] = defaultdict(list)
    for r in medic:
        listed = list(dict.fromkeys(x[5:] for x in alternate_ids(r["alternate_ids"]) if x.startswith("UNII:")))
        for unii in plausible_uniis(r["curie_label"], listed, display, names):
            claims[unii].append(r)
    out, contested = {}, set()
    for unii, rows in claims.items():
        single = [r for r in rows if r["is_combination_therapy"] != "TRUE"] or rows
        named = [r for r in single if r["curie_label"].strip().lower() == display.get(unii, "").lower()]
        chosen = single if len(single) == 1 else named if len(named) == 1 else []
        if chosen:
            out[unii] = chosen[0]["curie"]
        else:
            contested.add(unii)
    return out, contested


def salt_parent(display: str, parents: dict[str, str]) -> str | None:
    """MeDIC CURIE of the longest parent display name that ``display`` extends by salt words only."""
    words = display.split()
    for i in range(len(words) - 1, 0, -1):
        head, tail = " ".join(words[:i]), words[i:]
        if head in parents and all(w in SALT_WORDS for w in tail):
            return parents[head]
    return None


def assign_uniis(medic: list[Row], display: dict[str, str], names: dict[str, list[tuple[str, str]]]
                 ) -> dict[str, str]:
    """UNII -> MeDIC CURIE: MeDIC's own UNIIs; then a UNII whose display name is a MeDIC label goes to that
    row, and a salt form to its parent by display name (UNIIs several rows claim stay unassigned)."""
    own, contested = own_uniis(medic, display, names)
    labels = {r["curie_label"].strip().upper(): r["curie"] for r in medic}
    parents: dict[str, str] = {}
    ambiguous: set[str] = set()
    for unii, curie in own.items():
        name = display.get(unii)
        if name and parents.setdefault(name, curie) != curie:
            ambiguous.add(name)
    parents = {k: v for k, v in parents.items() if k not in ambiguous}
    out = dict(own)
    for unii, name in sorted(display.items()):
        if unii not in out and unii not in contested:
            parent = labels.get(name) or salt_parent(name, parents)
            if parent:
                out[unii] = parent
    return out


def names_by_drug(unii_to_curie: dict[str, str], names: dict[str, list[tuple[str, str]]]
                  ) -> dict[str, dict[str, set[str]]]:
    """MeDIC CURIE -> {"synonyms": {...}, "brands": {...}} from of/cn and bn rows of its UNIIs."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"synonyms": set(), "brands": set()})
    for unii, curie in unii_to_curie.items():
        for raw, kind in names.get(unii, []):
            name = strip_tags(raw)
            if kind == "bn" and name and not JUNK_NAME.search(name):
                out[curie]["brands"].add(name)
            elif kind in ("of", "cn") and useful_synonym(name):
                out[curie]["synonyms"].add(synonym_case(name))
    return out


# ---------------------------------------------------------------- drug rows


def xrefs_of(row: Row) -> list[str]:
    """Bare cross-references as CURIEs, plus ATC codes."""
    out, firsts = [], set()
    for x in alternate_ids(row["alternate_ids"]):
        prefix, _, local = x.partition(":")
        if prefix in XREF_PREFIXES and local:
            if prefix in FIRST_ONLY and prefix in firsts:
                continue
            firsts.add(prefix)
            out.append(f"{XREF_PREFIXES[prefix]}:{local}")
    out += [f"ATC:{a}" for a in alternate_ids(row["atc_codes"])]
    return out


def drug_kind(row: Row, label: str, biologics: set[str]) -> tuple[str, str]:
    """(kind, source key of the fact) from the data: combination flag, INN stem, Purple Book, structure."""
    name, ids = label.lower(), alternate_ids(row["alternate_ids"])
    protein_stem = any(m.group(0) not in NOT_ENZYME for m in PROTEIN_STEM.finditer(name))
    rules = [
        (row["is_combination_therapy"] == "TRUE", "OTHER", "medic"),
        (bool(MAB_STEM.search(name)), "MONOCLONAL_ANTIBODY", "who-inn-stems"),
        (bool(CELL_STEM.search(name)), "CELL_THERAPY", "who-inn-stems"),
        (bool(GENE_STEM.search(name)), "OTHER", "who-inn-stems"),
        (bool(CELL_WORDS.search(name)), "CELL_THERAPY", "medic"),
        (bool(NOT_PROTEIN_WORDS.search(name)), "OTHER", "medic"),
        (any(c in biologics for c in curies_of(row)), "PROTEIN", "fda-purple-book"),
        (protein_stem, "PROTEIN", "who-inn-stems"),
        (any(x.startswith(("INCHIKEY:", "CHEBI:")) for x in ids), "SMALL_MOLECULE", "medic"),
    ]
    return next(((kind, source) for hit, kind, source in rules if hit), ("OTHER", "medic"))


class Curated(NamedTuple):
    """What the curated drugs.tsv says about ids: UNII -> id, all ids, ids of drug classes."""

    by_unii: dict[str, str]
    ids: set[str]
    classes: set[str]
    epc: dict[str, str]  # FDA Established Pharmacologic Class code (NDFRT:N...) -> curated class id


def load_curated(path: Path) -> Curated:
    """Ids of the curated drugs.tsv, by UNII, with the drug-class ids apart."""
    by_unii: dict[str, str] = {}
    ids: set[str] = set()
    classes: set[str] = set()
    epc: dict[str, str] = {}
    for r in read_tsv(path):
        ids.add(r["id"])
        if r.get("kind") == "DRUG_CLASS":
            classes.add(r["id"])
        for x in r.get("xrefs", "").split("|"):
            if x.startswith("UNII:"):
                by_unii.setdefault(x[5:], r["id"])
            elif x.startswith("NDFRT:") and r.get("kind") == "DRUG_CLASS":
                epc[x[6:]] = r["id"]
    return Curated(by_unii, ids, classes, epc)


def assign_ids(medic: list[Row], uniis: dict[str, str], curated: Curated) -> dict[str, str]:
    """MeDIC CURIE -> id: the curated id of the same drug (same UNII, else same slug; a curated drug class
    is never the same drug), else the slug, made unique with the CURIE when taken."""
    unii_of: dict[str, set[str]] = defaultdict(set)
    for unii, curie in uniis.items():
        unii_of[curie].add(unii)
    taken: set[str] = set()
    out: dict[str, str] = {}
    for r in medic:
        hits = sorted({curated.by_unii[u] for u in unii_of[r["curie"]] if u in curated.by_unii} - taken)
        base = slug(inn_label(r["curie_label"]))
        same_slug = base in curated.ids - curated.classes - taken
        new = hits[0] if hits else base if same_slug else None
        if new is None:
            new = base if base not in taken | curated.ids else f"{base}-{slug(r['curie'])}"
        taken.add(new)
        out[r["curie"]] = new
    return out


def drug_note(row: Row) -> str:
    """Flags MeDIC gives that have no column of their own."""
    notes = []
    if row["is_combination_therapy"] == "TRUE":
        notes.append("combination product (MeDIC flag)")
    if row.get("brand_label"):
        notes.append(f"MeDIC labels it {row['brand_label']}, a brand name (FDA UNII list): relabelled with "
                     "its ingredient")
    if row.get("merged"):
        notes.append(f"MeDIC rows {row['curie']} and {row['merged'].replace('|', ', ')} merged (same label, "
                     "or the label of a salt of this ingredient)")
    return "; ".join(notes)


def drug_row(row: Row, ident: str, names: dict[str, set[str]], biologics: set[str], taken: set[str]) -> list[str]:
    """One drugs.tsv row; ``taken``: lower-cased labels and FDA names of all drugs (the active moiety of a
    salt-form label is added as a synonym only when no drug has that name already)."""
    label = inn_label(row["curie_label"])
    kind, kind_source = drug_kind(row, label, biologics)
    moiety = active_moiety(label)
    purple = names.get("purple", set())
    synonyms = {s for s in names["synonyms"] | purple | ({moiety} - taken) if s and s.lower() != label.lower()}
    sources = {"medic", kind_source} | ({"fda-unii"} if names["synonyms"] | names["brands"] else set()) | (
        {"fda-purple-book"} if purple - {label} else set())
    brands = names["brands"] | set(filter(None, row.get("brand_label", "").split("|")))
    return [ident, label, kind, join(synonyms), "", join(brands), "", join(xrefs_of(row)), "",
            "|".join(sorted(sources)), drug_note(row), JAPAN_FLAG if row["approved_japan"] == "1" else ""]


def drop_foreign_labels(rows: list[list[str]], brand_owners: dict[str, str] | None = None) -> int:
    """Remove from each drug row the synonyms and brand names that are another row's label (MeDIC lists
    some salts and their parents as separate ingredients: the row labelled with the name keeps it), and
    the brand names MeDIC used as another row's label (``brand_owners``: brand -> that row's id).
    Edits ``rows`` in place; returns how many names were removed."""
    owner = {**{b.lower(): i for b, i in (brand_owners or {}).items()}, **{r[1].lower(): r[0] for r in rows}}
    removed = 0
    for r in rows:
        for col in (3, 5):
            names = [n for n in r[col].split("|") if n]
            kept = [n for n in names if owner.get(n.lower(), r[0]) == r[0]]
            removed += len(names) - len(kept)
            r[col] = "|".join(kept)
    return removed


# ---------------------------------------------------------------- approvals


def iso_date(yyyymmdd: str) -> str:
    """'19981217' -> '1998-12-17'."""
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:8]}"


def names_to_curies(medic: list[Row], by_drug: dict[str, dict[str, set[str]]]) -> dict[str, str]:
    """Lower-cased label, salt-free label and FDA names of each MeDIC row -> its CURIE (names two rows
    share are left out: they cannot tell which drug an approval row is about)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for r in medic:
        label = inn_label(r["curie_label"]).lower()
        names = by_drug.get(r["curie"], {})
        for name in {label, active_moiety(label), *names.get("synonyms", ()), *names.get("brands", ())}:
            if name:
                seen[name.lower()].add(r["curie"])
    return {name: next(iter(c)) for name, c in seen.items() if len(c) == 1}


def ingredient_keys(names: list[str]) -> frozenset[str]:
    """Ingredient names compared without case, salt words and a biosimilar suffix."""
    return frozenset(name_key(BIOLOGIC_SUFFIX.sub("", n.strip()), strip_salts=True) for n in names if n.strip())


class ApprovalJoin:
    """Which MeDIC drug an approval row is about.

    MeDIC's own check of a row's first mapping (``id_correct``) is False for about one row in six; its
    ``corrected_curie_norm`` is then an automatic correction, right for most combinations
    (ABACAVIR SULFATE; LAMIVUDINE -> the abacavir/lamivudine product) and wrong for others
    (trastuzumab-dkst, a trastuzumab biosimilar -> trastuzumab deruxtecan; C1 inhibitor -> conestat alfa).
    A flagged combination row's CURIE is used only when that product's ingredients are the row's; a
    flagged single-ingredient row is re-resolved by its ingredient name (label, salt-free label or FDA
    name of exactly one drug); the rest are dropped."""

    def __init__(self, medic: list[Row], by_name: dict[str, str]) -> None:
        self.by_name = by_name
        self.known = {c for r in medic for c in curies_of(r)}
        self.counts: Counter[str] = Counter()
        self.ingredients: dict[str, frozenset[str]] = {}
        for r in medic:
            if r["is_combination_therapy"] == "TRUE":
                for curie in curies_of(r):
                    self.ingredients[curie] = ingredient_keys(r["combination_therapy_ingredients"].split("|"))

    def curie(self, r: Row) -> str:
        if r["id_correct"] == "True" and r["corrected_curie_norm"] in self.known:
            self.counts["mapping checked correct by MeDIC"] += 1
            return r["corrected_curie_norm"]
        if r["id_correct"] == "True":  # checked, but to a salt's own id (LEVALBUTEROL HYDROCHLORIDE's UNII)
            found = self.by_name.get(next(iter(ingredient_keys([r["source_ingredients"]])), ""))
            self.counts["checked, salt re-resolved by ingredient name" if found else "checked, no drug"] += 1
            return found or ""
        names = ingredient_keys(re.split(r";", r["source_ingredients"]))
        corrected = r["corrected_curie_norm"]
        if corrected and len(names) > 1 and names == self.ingredients.get(corrected):
            self.counts["flagged combination, correction names the same ingredients"] += 1
            return corrected
        found = self.by_name.get(next(iter(names))) if len(names) == 1 else None
        self.counts["flagged, re-resolved by ingredient name" if found else "flagged, dropped"] += 1
        return found or ""


def first_fda(orange: list[Row], purple: list[Row], join_: ApprovalJoin) -> dict[str, tuple[str, str]]:
    """MeDIC CURIE -> (earliest YYYYMMDD, source key) over Orange Book and Purple Book rows."""
    out: dict[str, tuple[str, str]] = {}
    for rows, key in ((orange, "fda-orange-book"), (purple, "fda-purple-book")):
        for r in rows:
            date, curie = r["approval_date"].split(".")[0], join_.curie(r)
            if re.fullmatch(r"\d{8}", date) and curie and (curie not in out or date < out[curie][0]):
                out[curie] = (date, key)
    return out


def shorten(text: str, limit: int = EMA_TEXT_MAX) -> tuple[str, bool]:
    """(text cut at a word boundary to at most ``limit`` characters with an ellipsis, whether it was cut)."""
    text = clean_cell(text)
    if len(text) <= limit:
        return text, False
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …", True


def first_ema(rows: list[Row], join_: ApprovalJoin) -> dict[str, tuple[str, str, bool]]:
    """MeDIC CURIE -> (earliest EPAR date, its indication text, whether the text is known to be that EPAR's).

    Dates and texts are "|"-separated in the same order; when their counts differ and the dates are not all
    the same, which text goes with the earliest date is unknown and the text is left empty."""
    out: dict[str, tuple[str, str, bool]] = {}
    for r in rows:
        dates = [d.strip().split(".")[0] for d in r["approval_date"].split("|")]
        texts = r["indication"].split("|")
        valid = [(d, i) for i, d in enumerate(dates) if re.fullmatch(r"\d{8}", d)]
        curie = join_.curie(r)
        if not valid or not curie:
            continue
        date, index = min(valid)
        known = len(texts) == len(dates) or len(set(dates)) == 1
        text = (texts[index] if len(texts) == len(dates) else texts[0]) if known else ""
        if curie not in out or date < out[curie][0]:
            out[curie] = (date, html.unescape(text), known)
    return out


def fda_row(ident: str, found: tuple[str, str]) -> list[str]:
    """One FDA first-approval row."""
    date, source = found
    book = "Orange Book" if source == "fda-orange-book" else "Purple Book"
    if date == PLACEHOLDER:  # the Orange Book's "approved before 1 January 1982": the date is unknown
        return [ident, "FDA", "", "", "", source, "approved before 1982 (Orange Book 19820101)", iso_date(date)]
    return [ident, "FDA", iso_date(date), "", "", source, f"first approval date listed ({book})", ""]


def ema_rows(ident: str, found: tuple[str, str, bool], matcher: DiseaseMatcher | None = None) -> list[list[str]]:
    """The EMA earliest-EPAR row: one per MONDO disease its indication text names (whole text, before
    shortening), or one without an indication when it names none."""
    date, text, aligned = found
    short, cut = shorten(text)
    note = "earliest EPAR listed; may be a generic's or biosimilar's"
    if not aligned:
        note += "; no indication text (the source's dates and texts are not aligned)"
    if cut:
        note += "; indication text shortened"
    diseases = matcher.find(text) if matcher and text else []
    if diseases:
        note += "; indication: MONDO name found in the text (derive_reference.DiseaseMatcher)"
    return [[ident, "EMA", iso_date(date), d, short, "ema-epar", note, ""] for d in diseases or [""]]


def approval_rows(medic: list[Row], ids: dict[str, str], fda: dict[str, tuple[str, str]],
                  ema: dict[str, tuple[str, str, bool]], matcher: DiseaseMatcher | None = None) -> list[list[str]]:
    """First FDA and earliest EMA rows per drug (merged MeDIC rows: earliest of their CURIEs)."""
    out = []
    for r in medic:
        ident = ids[r["curie"]]
        fda_found = [fda[c] for c in curies_of(r) if c in fda]
        ema_found = [ema[c] for c in curies_of(r) if c in ema]
        if fda_found:
            out.append(fda_row(ident, min(fda_found)))
        if ema_found:
            out += ema_rows(ident, min(ema_found), matcher)
    return out


# ---------------------------------------------------------------- disease names in EMA indication texts

# MONDO branches that are not diseases a medicine is indicated for: animal diseases, disease characteristics
# (acute, chronic, severe...) and susceptibilities; and the two roots, too general to name an indication.
NOT_DISEASE_ROOTS = ("MONDO:0005583", "MONDO:0021125", "MONDO:0042489")
TOO_GENERAL = frozenset({"MONDO:0000001", "MONDO:0700096"})
# British spellings of the EMA texts -> the American spellings of MONDO labels (anaemia, oesophagitis, tumour).
BRITISH = ((re.compile(r"ae"), "e"), (re.compile(r"oe"), "e"), (re.compile(r"\btumour"), "tumor"))
MIN_NAME = 4  # shorter names are abbreviations or fragments ("MS", "ALL")
# One-word matches too general to state an indication: a text says "cancer" or "syndrome" alone mostly where
# the specific disease is written in a way no MONDO name is ("adenocarcinoma of the pancreas").
GENERIC_WORDS = frozenset({"cancer", "carcinoma", "adenocarcinoma", "neoplasm", "tumor", "lymphoma", "leukemia",
                           "sarcoma", "syndrome", "disease", "disorder", "infection", "arthritis", "hepatitis"})
# Synonyms of mondo.tsv (labels of exactly matching classes of other vocabularies) that name a broader state
# than their MONDO class: never matched.
NOT_NAMES = frozenset({"hypogammaglobulinemia"})  # a synonym of MONDO:0016463 syndromic agammaglobulinemia
# A disease name right after "non" is negated: "non-small cell lung cancer" is not small cell lung cancer.
NEGATION = "non"
ABBREVIATION = re.compile(r"[A-Z0-9][A-Z0-9 -]*")  # a name all in capitals ("CLL", "NSCLC") is an abbreviation


def name_words(text: str) -> tuple[str, ...]:
    """Words compared: ASCII, lower case, American spelling, split on anything but letters and digits, a
    final 's' of words over 4 letters dropped (tumours/tumour, seizures/seizure)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    for pattern, repl in BRITISH:
        text = pattern.sub(repl, text)
    return tuple(w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w
                 for w in re.findall(r"[a-z0-9]+", text))


class DiseaseMatcher:
    """MONDO diseases an indication text names, by whole-word, case-insensitive match of MONDO labels and
    exact synonyms (mondo.tsv's synonyms: labels of exactly matching DOID, NCIT and Orphanet classes).

    Conservative: longest match first and never a match inside a longer one ("non-small cell lung cancer",
    not "lung cancer" in it); a name shared by two MONDO classes, an abbreviation, a name under 4 letters
    and a class under NOT_DISEASE_ROOTS or TOO_GENERAL are never matched."""

    def __init__(self, mondo: list[list[str]]) -> None:
        children: dict[str, set[str]] = defaultdict(set)
        for r in mondo:
            for parent in filter(None, r[2].split("|")):
                children[parent].add(r[0])
        excluded, todo = set(TOO_GENERAL), list(NOT_DISEASE_ROOTS)
        while todo:
            node = todo.pop()
            if node not in excluded:
                excluded.add(node)
                todo += children.get(node, ())
        found: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for r in mondo:
            if r[0] in excluded:
                continue
            for name in {r[1], *filter(None, r[6].split("|"))}:
                if len(name) >= MIN_NAME and not ABBREVIATION.fullmatch(name) and "susceptib" not in name.lower() \
                        and name.lower() not in NOT_NAMES:
                    found[name_words(name)].add(r[0])
        names = {k: next(iter(v)) for k, v in found.items() if k and len(v) == 1}
        # "X carcinoma" is also written "X cancer" ("non-small cell lung cancer"), unless that is another name.
        for key, ident in list(names.items()):
            if len(key) > 1 and key[-1] == "carcinoma" and key[:-1] + ("cancer",) not in found:
                names[key[:-1] + ("cancer",)] = ident
        self.names = {k: v for k, v in names.items() if not (len(k) == 1 and k[0] in GENERIC_WORDS)}
        self.longest = max((len(k) for k in self.names), default=0)

    def find(self, text: str) -> list[str]:
        """MONDO ids named in ``text``, in text order, each once."""
        words = name_words(text)
        hits = [(n, i) for i in range(len(words)) for n in range(1, min(self.longest, len(words) - i) + 1)
                if words[i:i + n] in self.names and (i == 0 or words[i - 1] != NEGATION)]
        taken: set[int] = set()
        kept: list[tuple[int, str]] = []
        for n, i in sorted(hits, key=lambda h: (-h[0], h[1])):
            if not taken & set(range(i, i + n)):
                taken |= set(range(i, i + n))
                kept.append((i, self.names[words[i:i + n]]))
        return list(dict.fromkeys(ident for _, ident in sorted(kept)))


# ---------------------------------------------------------------- DrugCentral joins


def sibling_names(a: str, b: str) -> bool:
    """Two names of different substances of one family: the same first word, different otherwise
    ("trastuzumab emtansine", "trastuzumab deruxtecan"; "insulin lispro", "insulin glargine"). MeDIC lists
    such a sibling's ChEMBL or DrugCentral id for some drugs, which would give them its targets."""
    ka, kb = substance_key(a), substance_key(b)
    wa, wb = re.split(r"[\s-]+", ka), re.split(r"[\s-]+", kb)
    return bool(ka and kb and ka != kb and wa[0] == wb[0] and (len(wa) > 1 or len(wb) > 1) and wa != wb)


def plausible_dc_ids(row: Row, listed: list[str], dc_names: dict[str, str], synonyms: set[str],
                     owners: dict[str, str] | None = None) -> list[str]:
    """The DrugCentral (or ChEMBL) ids MeDIC lists for a row whose DrugCentral drug name is one of the row's
    names (label, FDA names, source names, as substance keys); all of them when none is (MeDIC also lists
    the ids of related substances: omeprazole's for esomeprazole). Never an id whose DrugCentral name is
    another row's label (``owners``: substance key of each label -> CURIE): MeDIC lists trastuzumab's
    DrugCentral id for trastuzumab deruxtecan."""
    owners = owners or {}
    listed = [d for d in listed if owners.get(substance_key(dc_names.get(d, "")), row["curie"]) == row["curie"]
              and not sibling_names(row["curie_label"], dc_names.get(d, ""))]
    if len(listed) < 2:
        return listed
    sources = [n for n in row["source_ingredients"].split("|") if not re.search(r"[;+]", n)]
    keys = {substance_key(n) for n in (row["curie_label"], *synonyms, *sources)}
    named = [d for d in listed if substance_key(dc_names.get(d, "")) in keys]
    return named or listed


class DrugJoin:
    """DrugCentral drug -> bulk drug id, by DrugCentral id, then UNII, then ChEMBL id, then name (also
    without salt words); DrugCentral drugs that join no MeDIC row can get rows of their own (``extra``)."""

    def __init__(self, medic: list[Row], ids: dict[str, str], uniis: dict[str, str],
                 dc_ids: list[Row], names: dict[str, dict[str, set[str]]]) -> None:
        medic = [r for r in medic if r["is_combination_therapy"] != "TRUE"]  # DrugCentral rows are single drugs
        dc_names = {r["DRUG_ID"]: r["DRUG_NAME"] for r in dc_ids}
        chembl_names = {r["IDENTIFIER"]: r["DRUG_NAME"] for r in dc_ids if r["ID_TYPE"] == "ChEMBL_ID"}
        self.by: dict[str, dict[str, str]] = {"drugcentral": {}, "unii": {}, "chembl": {}}
        owners = {substance_key(r["curie_label"]): r["curie"] for r in medic}
        for r in medic:
            synonyms = names.get(r["curie"], {}).get("synonyms", set())
            for scheme, prefix, known in (("drugcentral", "DrugCentral:", dc_names),
                                          ("chembl", "CHEMBL.COMPOUND:", chembl_names)):
                listed = [x.partition(":")[2] for x in alternate_ids(r["alternate_ids"]) if x.startswith(prefix)]
                for key in plausible_dc_ids(r, listed, known, synonyms, owners):
                    self.by[scheme].setdefault(key, ids[r["curie"]])
        singles = {r["curie"] for r in medic}
        self.by["unii"] = {u: ids[c] for u, c in uniis.items() if c in singles}
        self.names = self._names(medic, ids, names)
        self.dc: dict[str, dict[str, str]] = defaultdict(dict)
        for r in dc_ids:
            if r["ID_TYPE"] in ("UNII", "ChEMBL_ID"):
                self.dc[r["DRUG_ID"]].setdefault(r["ID_TYPE"], r["IDENTIFIER"])
        self.extra: dict[str, str] = {}  # DrugCentral id -> id of a DrugCentral-only drug row
        self.counts: Counter[str] = Counter()

    @staticmethod
    def _names(medic: list[Row], ids: dict[str, str], names: dict[str, dict[str, set[str]]]
               ) -> list[dict[str, str]]:
        """Name -> id, in tiers tried in order, each keeping names that point to one drug only: labels;
        labels without salt words; FDA names and MeDIC's single-ingredient source names (also without salt
        words)."""
        tiers: list[dict[str, set[str]]] = [defaultdict(set), defaultdict(set), defaultdict(set)]
        for r in medic:
            ident = ids[r["curie"]]
            tiers[0][name_key(r["curie_label"])].add(ident)
            tiers[1][name_key(r["curie_label"], strip_salts=True)].add(ident)
            sources = [n for n in r["source_ingredients"].split("|") if not re.search(r"[;+]", n)]
            for n in (*names.get(r["curie"], {}).get("synonyms", ()), *sources):
                for key in {name_key(n), name_key(n, strip_salts=True)} - {""}:
                    tiers[2][key].add(ident)
        return [{n: next(iter(v)) for n, v in tier.items() if len(v) == 1} for tier in tiers]

    def by_name(self, name: str) -> str | None:
        """The drug a DrugCentral name denotes: first tier that knows the name (or it without salt words)."""
        for tier in self.names:
            for key in (name_key(name), name_key(name, strip_salts=True)):
                if key in tier:
                    return tier[key]
        return None

    def find(self, dc_id: str, chembl: str, name: str, count: bool = True) -> str | None:
        """Bulk drug id of a DrugCentral drug (MeDIC rows first, then DrugCentral-only rows); counts the join."""
        extra = self.dc.get(dc_id, {})
        for method, key in (("drugcentral", dc_id), ("unii", extra.get("UNII", "")),
                            ("chembl", chembl or extra.get("ChEMBL_ID", ""))):
            if key and key in self.by[method]:
                self.counts[method] += count
                return self.by[method][key]
        found = self.by_name(name)
        if found:
            self.counts["name"] += count
            return found
        found = self.extra.get(dc_id)
        self.counts["drugcentral-only drug" if found else "none"] += count
        return found


# ---------------------------------------------------------------- DrugCentral-only drugs


def dc_drug_names(*tables: list[Row]) -> dict[str, str]:
    """DrugCentral id -> drug name, over the rows of the target and indication files."""
    return {r["DRUG_ID"]: r["DRUG_NAME"] for rows in tables for r in rows}


def dc_only_groups(dc_names: dict[str, str], join_: DrugJoin) -> dict[str, list[str]]:
    """DrugCentral ids that join no MeDIC row, grouped by name without salt words (lowest id first)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for dc_id, name in sorted(dc_names.items(), key=lambda x: int(x[0])):
        if join_.find(dc_id, "", name, count=False) is None:
            groups[name_key(name, strip_salts=True)].append(dc_id)
    return groups


def dc_identifiers(rows: list[Row]) -> dict[str, list[str]]:
    """DrugCentral id -> bare cross-references as CURIEs (DC_XREFS types only, in file order)."""
    out: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        prefix = DC_XREFS.get(r["ID_TYPE"])
        if prefix:
            local = r["IDENTIFIER"].split(":", 1)[-1] if prefix == "CHEBI" else r["IDENTIFIER"]
            out[r["DRUG_ID"]].append(f"{prefix}:{local}")
    return out


def dc_only_row(ident: str, group: list[str], dc_names: dict[str, str], xrefs: dict[str, list[str]],
                names: dict[str, list[tuple[str, str]]]) -> list[str]:
    """One drugs.tsv row for a DrugCentral drug that is not in the MeDIC list (no approval rows)."""
    label = dc_names[group[0]]
    refs = [f"DRUGCENTRAL:{g}" for g in group] + [x for g in group for x in xrefs.get(g, [])]
    uniis = {x[5:]: "" for x in refs if x.startswith("UNII:")}
    found = names_by_drug(dict.fromkeys(uniis, "dc"), names)["dc"]
    synonyms = {dc_names[g] for g in group[1:]} | found["synonyms"]
    synonyms = {s for s in synonyms if s.lower() != label.lower()}
    pseudo = {"alternate_ids": str(refs), "is_combination_therapy": "FALSE", "curie": ""}
    kind, kind_source = drug_kind(pseudo, label, set())
    sources = {"drugcentral2016", kind_source} - {"medic"} | ({"fda-unii"} if found["synonyms"] | found["brands"]
                                                             else set())
    note = "DrugCentral 2016 drug with targets or labelled indications; not in the MeDIC stringent list (no approvals)"
    return [ident, label, kind, join(synonyms), "", join(found["brands"]), "", join(refs), "",
            "|".join(sorted(sources)), note, ""]


def dc_only_rows(join_: DrugJoin, dc_names: dict[str, str], dc_ids: list[Row],
                 names: dict[str, list[tuple[str, str]]], taken: set[str]) -> list[list[str]]:
    """Rows for DrugCentral drugs missing from MeDIC; registers their ids in ``join_.extra``."""
    xrefs = dc_identifiers(dc_ids)
    out = []
    for _, group in sorted(dc_only_groups(dc_names, join_).items(), key=lambda x: int(x[1][0])):
        base = slug(dc_names[group[0]])
        ident = base if base not in taken else f"{base}-drugcentral-{group[0]}"
        taken.add(ident)
        join_.extra.update(dict.fromkeys(group, ident))
        out.append(dc_only_row(ident, group, dc_names, xrefs, names))
    return out


# ---------------------------------------------------------------- indications


def mondo_maps(mondo_dir: Path, labels: dict[str, str]) -> dict[str, dict[str, set[str]]]:
    """{"umls": CUI -> live MONDO CURIEs, "doid": DOID -> live MONDO CURIEs} from SSSOM exact matches."""
    out: dict[str, dict[str, set[str]]] = {"umls": defaultdict(set), "doid": defaultdict(set)}
    for key, name in (("umls", "mondo_exactmatch_umls.sssom.tsv"), ("doid", "mondo_exactmatch_doid.sssom.tsv")):
        for r in read_tsv(mondo_dir / name):
            live = r["subject_id"] in labels and not labels[r["subject_id"]].startswith("obsolete")
            if r["predicate_id"] == "skos:exactMatch" and live:
                out[key][r["object_id"]].add(r["subject_id"])
    return out


def map_indication(umls: str, doid: str, maps: dict[str, dict[str, set[str]]]) -> tuple[str, str]:
    """(MONDO CURIE, how) for a DrugCentral indication: the UMLS CUI's one exact match, else the DOID's."""
    for key, curie in (("umls", f"UMLS:{umls}" if umls else ""), ("doid", doid)):
        found = maps[key].get(curie, set()) if curie else set()
        if len(found) == 1:
            return next(iter(found)), key
    return "", "unmapped"


def indication_rows(rows: list[Row], join_: DrugJoin, maps: dict[str, dict[str, set[str]]],
                    counts: Counter[str]) -> list[list[str]]:
    """One row per (drug, MONDO class); the SNOMED CT column is never read into the output."""
    out: dict[tuple[str, str], list[str]] = {}
    for r in sorted(rows, key=lambda x: (x["DRUG_ID"].zfill(8), x["UMLS_CUI"], x["DOID"])):
        mondo, how = map_indication(r["UMLS_CUI"], r["DOID"], maps)
        counts[how] += 1
        if not mondo:
            continue
        drug = join_.find(r["DRUG_ID"], "", r["DRUG_NAME"])
        if drug:
            umls = f"UMLS:{r['UMLS_CUI']}" if r["UMLS_CUI"] else ""
            out.setdefault((drug, mondo), [drug, mondo, r["INDICATION_FDB"], umls, r["DOID"],
                                           "drugcentral2016|mondo-sssom-2026-08"])
    return list(out.values())


# ---------------------------------------------------------------- targets and mechanisms


def human_parts(r: Row) -> list[tuple[str, str]]:
    """(gene symbol, UniProt) of each human component of a DrugCentral target; [] if any is not human."""
    genes, uniprots, entries = (r[k].split("|") for k in ("GENE", "UNIPROT", "SWISSPROT"))
    if not r["GENE"] or not all(e.endswith("_HUMAN") for e in entries) or len(genes) != len(uniprots):
        return []
    return list(zip(genes, uniprots))


def describe(action: str, target: str) -> str:
    """'INHIBITOR', 'Dihydrofolate reductase' -> 'inhibitor of Dihydrofolate reductase'."""
    phrase = ACTION_PHRASES.get(action, f"{action.lower()} of")
    return f"{phrase} {target}"


def target_rows(rows: list[Row]) -> list[list[str]]:
    """One row per human gene symbol; a gene known only as a member of a family or complex gets the family's
    name with the symbol."""
    single: dict[str, tuple[str, str]] = {}
    member: dict[str, tuple[str, str, str]] = {}
    for r in sorted(rows, key=lambda x: (x["GENE"], x["TARGET_NAME"], x["UNIPROT"])):
        parts = human_parts(r)
        for gene, uniprot in parts:
            if len(parts) == 1:
                single.setdefault(gene, (r["TARGET_NAME"], uniprot))
            else:
                member.setdefault(gene, (r["TARGET_NAME"], uniprot, r["GENE"]))
    out = [[g, name, "", u, "", "drugcentral2016", ""] for g, (name, u) in single.items()]
    for gene, (name, uniprot, genes) in member.items():
        if gene not in single:
            members = genes.replace("|", ", ")
            note = f"label of the DrugCentral target '{name}' ({members}); no single-protein name in the source"
            out.append([gene, f"{name} ({gene})", "", uniprot, "", "drugcentral2016", note])
    return out


def symbol_stem(symbol: str) -> str:
    """A gene symbol without its last designation: GABRA1 -> GABRA, GRIN2A -> GRIN2, CHRND -> CHRN."""
    stripped = re.sub(r"\d+$", "", symbol)
    return stripped if stripped != symbol else symbol[:-1]


def family_kind(name: str, target_family: str, genes: list[str], heteromers: frozenset[str] = frozenset()) -> str:
    """COMPLEX or FAMILY for a multi-gene DrugCentral target (rules at FAMILY_KINDS)."""
    bare = re.sub(r"\([^)]*\)", "", name)
    if re.search(r"/|, ", bare) or re.search(r"\bcomplex\b", name, re.I):
        gene_list = re.fullmatch(r"[A-Z0-9]+(/[A-Z0-9]+)+", name.strip())
        return "FAMILY" if gene_list and target_family == "Kinase" else "COMPLEX"
    if name in heteromers or target_family in COMPLEX_TARGET_FAMILIES:
        return "COMPLEX"
    if target_family == "Ion channel" and re.search(r"\breceptor\b", name, re.I) \
            and len({symbol_stem(g) for g in genes}) > 1:
        return "COMPLEX"
    return "FAMILY"


def family_rows(rows: list[Row], heteromers: frozenset[str] = frozenset()
                ) -> tuple[list[list[str]], dict[tuple[str, str], str]]:
    """(families.tsv rows, (TARGET_NAME, GENE cell) -> family id) for the all-human multi-gene target rows.

    The id is the slug of the DrugCentral target name; names that differ only in punctuation ("GABA A" and
    "GABA-A receptor ...") and list the same genes are one family; the same slug with other genes gets a
    numbered id."""
    out: list[list[str]] = []
    ids: dict[tuple[str, str], str] = {}
    known: dict[tuple[str, str], str] = {}  # (slug, genes) -> family id
    taken: set[str] = set()
    for r in sorted(rows, key=lambda x: (x["TARGET_NAME"], x["GENE"])):
        parts = human_parts(r)
        if len(parts) < 2 or (r["TARGET_NAME"], r["GENE"]) in ids:
            continue
        genes = sorted({g for g, _ in parts})
        base = slug(r["TARGET_NAME"], limit=80)
        ident = known.get((base, "|".join(genes)))
        if ident is None:
            ident = next(i for i in [base, *(f"{base}-{n}" for n in range(2, 100))] if i not in taken)
            taken.add(ident)
            known[(base, "|".join(genes))] = ident
            kind = family_kind(r["TARGET_NAME"], r["TARGET_FAMILY"], genes, heteromers)
            out.append([ident, r["TARGET_NAME"], kind, "|".join(genes), r["TARGET_FAMILY"], "drugcentral2016",
                        f"DrugCentral 2016 target with {len(genes)} human genes; kind from its name and target "
                        "family (derive_reference.family_kind)"])
        ids[(r["TARGET_NAME"], r["GENE"])] = ident
    return out, ids


def non_human_row(drug: str, mapped: str, found: list[tuple[str, str, str]]) -> list[str]:
    """One target-less mechanism row for a drug's non-human targets of one action type (curated dapsone
    pattern): targets.tsv stays human-only, the description names the targets, the note their entries."""
    actions = sorted({a for a, _, _ in found})
    names = list(dict.fromkeys(name for _, name, _ in found))
    entries = ", ".join(dict.fromkeys(e for _, _, e in found))
    plural = "s" if len(names) > 1 else ""
    description = f"{describe(actions[0], '; '.join(names))} (non-human target{plural})"
    note = f"DrugCentral 2016 action {'/'.join(actions)} on non-human target{plural} {entries}; not in targets.tsv"
    note = note.replace("|", "/")
    return [drug, "", mapped, "", description, "drugcentral2016", note]


def mechanism_rows(rows: list[Row], join_: DrugJoin, counts: Counter[str],
                   families: dict[tuple[str, str], str] | None = None) -> list[list[str]]:
    """One row per (drug, human target, action type): the target is the gene of a single-gene row, the family
    id (``families``: (TARGET_NAME, GENE) -> id) of a multi-gene row; plus one target-less row per (drug, action
    type) for non-human targets; rows without an action type or a joined drug are counted and skipped."""
    out: dict[tuple[str, str, str], list[str]] = {}
    foreign: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for r in sorted(rows, key=lambda x: (x["DRUG_ID"].zfill(8), x["GENE"], x["ACTION_TYPE"], x["SWISSPROT"])):
        action = r["ACTION_TYPE"].strip().upper()
        drug = join_.find(r["DRUG_ID"], r["CHEMBL_ID"], r["DRUG_NAME"]) if action else None
        counts["target rows without action type (skipped)"] += not action
        if not drug:
            continue
        mapped = ACTION_TYPES.get(action, "OTHER")
        counts["unknown action type -> OTHER"] += action not in ACTION_TYPES
        parts = human_parts(r)
        if not parts:
            counts["non-human target rows (target-less mechanism)"] += 1
            foreign[(drug, mapped)].append((action, r["TARGET_NAME"], r["SWISSPROT"] or r["UNIPROT"]))
        note = f"DrugCentral 2016 action {action}, from {r['SOURCE'].lower()}" if r["SOURCE"] else ""
        # A multi-gene row acts on its family or complex as a whole, not on each gene.
        family = (families or {}).get((r["TARGET_NAME"], r["GENE"])) if len(parts) > 1 else None
        for target in [family] if family else [g for g, _ in parts]:
            out.setdefault((drug, target, mapped), [drug, target, mapped, "", describe(action, r["TARGET_NAME"]),
                                                    "drugcentral2016", note])
    return list(out.values()) + [non_human_row(d, m, f) for (d, m), f in foreign.items()]


# ---------------------------------------------------------------- MONDO


def mondo_module() -> ModuleType:
    """scripts/build_mondo_slim.py, imported by path (scripts/ is not a package)."""
    path = Path(__file__).resolve().parent / "build_mondo_slim.py"
    spec = importlib.util.spec_from_file_location("build_mondo_slim", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules.setdefault("build_mondo_slim", module)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def mondo_rows(mondo_dir: Path) -> tuple[list[list[str]], dict[str, str]]:
    """(rows of every non-obsolete MONDO class as build_mondo_slim --all builds them, MONDO labels)."""
    ms = mondo_module()
    labels = ms.load_labels(mondo_dir)
    old, basis = ms.load_2023_edges(mondo_dir)
    xrefs, meddra, synonyms = ms.load_mappings(mondo_dir)
    data = {"rare": ms.load_rare_parents(mondo_dir), "old": old, "basis": basis, "xrefs": xrefs, "meddra": meddra,
            "synonyms": synonyms}
    rows = [ms.build_row(c, data, labels) for c in sorted(c for c in labels if ms.is_live(c, labels))]
    return rows, labels


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Derive ontology/reference/bulk/ from open drug and MONDO files.")
    parser.add_argument("--drugs-dir", type=Path, default=SHARED / "drugs")
    parser.add_argument("--mondo-dir", type=Path, default=SHARED / "mondo")
    parser.add_argument("--curated", type=Path, default=REPO / "ontology" / "reference")
    parser.add_argument("--out", type=Path, default=REPO / "ontology" / "reference" / "bulk")
    parser.add_argument("--medic-only", action="store_true",
                        help="no rows for DrugCentral drugs that are not in the MeDIC list")
    return parser.parse_args(argv)


def derive_medic(args: argparse.Namespace, stats: dict[str, object], matcher: DiseaseMatcher | None = None) -> dict:
    """MeDIC drug rows and approval rows (not yet written) with the context the DrugCentral joins need."""
    d = args.drugs_dir
    names, display = load_unii_names(d / "fda_unii_names_subset.tsv")
    medic = load_medic(d / "medi_drug_list_stringent.csv", brand_ingredients(names, display))
    uniis = assign_uniis(medic, display, names)
    curated = load_curated(args.curated / "drugs.tsv")
    ids = assign_ids(medic, uniis, curated)
    by_drug = names_by_drug(uniis, names)
    purple = read_tsv(d / "medi_approvals_fda_purple_book.tsv")
    biologics = {r["corrected_curie_norm"] for r in purple}
    purple_book_names(purple, by_drug)
    join_ = ApprovalJoin(medic, names_to_curies(medic, by_drug))
    fda = first_fda(read_tsv(d / "medi_approvals_fda_orange_book.tsv"), purple, join_)
    ema = first_ema(read_tsv(d / "medi_approvals_ema_epar.tsv"), join_)
    stats["approval rows of the sources (MeDIC mapping check)"] = dict(sorted(join_.counts.items()))
    stats["brand-labelled MeDIC rows relabelled with their ingredient"] = sum(
        bool(r.get("brand_label")) for r in medic)
    known = {inn_label(r["curie_label"]).lower() for r in medic} | {
        s.lower() for v in by_drug.values() for s in v["synonyms"]}
    listed = len(read_csv(d / "medi_drug_list_stringent.csv"))
    stats["MeDIC list rows, and drug rows after merging"] = f"{listed}, {len(medic)}"
    stats["combination rows (kept, kind OTHER)"] = sum(r["is_combination_therapy"] == "TRUE" for r in medic)
    stats["MeDIC rows folded into another row (same label, or salt-form label)"] = sum(
        len(r["merged"].split("|")) for r in medic if r.get("merged"))
    stats["curated ids reused"] = sorted(set(ids.values()) & curated.ids)
    return {"medic": medic, "ids": ids, "uniis": uniis, "names": by_drug, "unii_names": names, "curated": curated,
            "taken": set(ids.values()) | curated.ids,
            "drugs": [drug_row(r, ids[r["curie"]], by_drug[r["curie"]], biologics, known) for r in medic],
            "approvals": approval_rows(medic, ids, fda, ema, matcher)}


def derive_drugcentral(args: argparse.Namespace, ctx: dict, labels: dict[str, str], stats: dict[str, object]
                       ) -> dict[str, list[list[str]]]:
    """Mechanism, target, indication rows from DrugCentral 2016, plus rows for DrugCentral-only drugs."""
    d = args.drugs_dir
    dc_ids = read_csv(d / "drugcentral2016_identifiers.tsv", delimiter="\t")
    targets_in = read_tsv(d / "drugcentral2016_drug_target.tsv")
    indications_in = read_tsv(d / "drugcentral2016_drug_indication.tsv")
    join_ = DrugJoin(ctx["medic"], ctx["ids"], ctx["uniis"], dc_ids, ctx["names"])
    extra = [] if args.medic_only else dc_only_rows(join_, dc_drug_names(targets_in, indications_in), dc_ids,
                                                     ctx["unii_names"], ctx["taken"])
    counts: Counter[str] = Counter()
    heteromers = frozenset(r["target_name"] for r in read_tsv(args.curated / "heteromers.tsv"))
    families, family_ids = family_rows(targets_in, heteromers)
    mech = mechanism_rows(targets_in, join_, counts, family_ids)
    stats["target join (rows)"], join_.counts = dict(sorted(join_.counts.items())), Counter()
    ind = indication_rows(indications_in, join_, mondo_maps(args.mondo_dir, labels), counts)
    stats["indication join (rows)"] = dict(sorted(join_.counts.items()))
    stats["row counts"] = dict(sorted(counts.items()))
    members = class_members(d / "drugcentral2016_pharm_class.tsv", join_, ctx["curated"].epc)
    return {"extra": extra, "mechanisms": mech, "targets": target_rows(targets_in), "families": families,
            "indications": ind, "members": members}


def class_members(path: Path, join_: DrugJoin, epc: dict[str, str]) -> dict[str, str]:
    """Bulk drug id -> curated class id, from the FDA EPC classes DrugCentral gives each drug
    (drugcentral2016_pharm_class.tsv) that a curated class row names by its NDFRT code; a drug in several
    such classes keeps the first by class id."""
    out: dict[str, str] = {}
    rows = [r for r in read_tsv(path) if r["SOURCE"] == "FDA" and r["TYPE"] == "EPC" and r["CLASS_SOURCE_ID"] in epc]
    for r in sorted(rows, key=lambda r: (epc[r["CLASS_SOURCE_ID"]], r["DRUG_ID"].zfill(8))):
        drug = join_.find(r["DRUG_ID"], "", r["DRUG_NAME"], count=False)
        if drug:
            out.setdefault(drug, epc[r["CLASS_SOURCE_ID"]])
    return out


def set_classes(rows: list[list[str]], members: dict[str, str]) -> int:
    """Fill the parent_class of drug rows from ``members`` (adding DrugCentral as a source); returns how many."""
    filled = 0
    for r in rows:
        if r[0] in members and not r[8]:
            r[8] = members[r[0]]
            r[9] = "|".join(sorted(set(r[9].split("|")) | {"drugcentral2016"}))
            filled += 1
    return filled


def drug_stats(drugs: list[list[str]], extra: list[list[str]], approvals: list[list[str]],
               dc: dict[str, list[list[str]]], stats: dict[str, object]) -> None:
    """The counts of the issue's Done-when, for all drugs and for MeDIC drugs only."""
    medic_ids = {r[0] for r in drugs}
    stats["DrugCentral-only drug rows"] = len(extra)
    stats["kinds"] = dict(sorted(Counter(r[2] for r in drugs + extra).items()))
    stats["drugs with an FDA or EMA approval"] = len({r[0] for r in approvals})
    for key, rows, pick in (("a human target and an action type", dc["mechanisms"], lambda r: r[1]),
                            ("a target (human or not) and an action type", dc["mechanisms"], lambda r: True),
                            ("a labelled indication mapped to MONDO", dc["indications"], lambda r: True)):
        with_fact = {r[0] for r in rows if pick(r)}
        stats[f"drugs with {key}"] = f"{len(with_fact)} ({len(with_fact & medic_ids)} of them MeDIC drugs)"


def write_readme(out: Path, stats: dict[str, object]) -> None:
    """bulk/README.md: what each file is, row counts, and the command that regenerates them."""
    lines = ["# Bulk reference tables (derived)", "",
             "Generated by `python scripts/derive_reference.py` (defaults: inputs in /work/shared/reference/drugs",
             "and /work/shared/reference/mondo, curated ids from ontology/reference/drugs.tsv). Do not edit by hand:",
             "curated rows in ontology/reference/ win over these by id. Every row names its sources (keys of",
             "ontology/reference/sources.tsv, or of sources.tsv here).", "",
             "| file | rows | what |", "|---|---|---|"]
    for name, key, what in README_FILES:
        lines.append(f"| {name} | {stats.get(key, '')} | {what} |")
    lines += ["", "## Rules", "", *README_RULES, "", "## Counts", ""]
    lines += [f"- {k}: {v}" for k, v in stats.items() if k not in {r[1] for r in README_FILES}]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


README_RULES = [
    "- Synonyms: FDA UNII `of` and `cn` names of the ingredient's UNIIs and of its salts (a salt maps to its parent "
    "when its display name is the parent's plus counter-ion or hydrate words), registry tags such as [USAN] removed, "
    "de-duplicated case-insensitively; dropped: names over 60 characters, systematic chemical names, 'X COMPONENT Y' "
    "combination names, impurity and metabolite names, letter-only abbreviations of up to 5 letters (MMF, HCT). "
    "Brand names: `bn` rows of the same UNIIs, without combination-product ('COMPONENT') names.",
    "- UNIIs and DrugCentral/ChEMBL ids that MeDIC lists for a related but different substance (omeprazole for "
    "esomeprazole) are not used when the row lists several and others name the ingredient.",
    "- Kind: combination (MeDIC flag) -> OTHER; WHO INN stems (-mab, -tug, -bart, -mig -> MONOCLONAL_ANTIBODY; -cel "
    "-> CELL_THERAPY; -gene/-vec -> OTHER; -cept, -ase, -kin, -ermin, -poetin, -grastim, -cog -> PROTEIN); Purple "
    "Book -> PROTEIN; InChIKey or ChEBI id -> SMALL_MOLECULE; else OTHER.",
    "- Approvals: first FDA date over Orange and Purple Book rows; EMA: earliest EPAR listed (may be a generic's or "
    "biosimilar's), its indication text shortened to 300 characters, none when the source's dates and texts do not "
    "align. Japan: the flag `approved-in-japan` in the drug's `flags` column (tkg:approvedInJapan), never an approval.",
    "- Mechanisms: DrugCentral action types kept as DrugCentral states them (derive_reference.ACTION_TYPES: spaces "
    "as underscores; the ontology groups them with skos:broader, OPENER under MODULATOR, INVERSE_AGONIST under "
    "ANTAGONIST); a target row of several human genes is one target, a family or a protein complex (families.tsv, "
    "kind by derive_reference.family_kind from the target name and family), the mechanism points to it and its "
    "genes are in targets.tsv as its members; non-human targets (bacterial, viral...) give one target-less row per "
    "drug and action type, described, with the UniProt entries in the note; targets.tsv is human only.",
    "- EMA indications: the EPAR indication text (whole, before shortening) is matched against MONDO labels and "
    "exact synonyms of mondo.tsv: whole words, case-insensitive, British spellings read as American, longest "
    "match first and never one inside a longer match, a name right after 'non' skipped; never matched: names "
    "shared by two classes, abbreviations, names under 4 letters, one-word generic names (cancer, carcinoma, "
    "syndrome...), non-human animal diseases, disease characteristics and susceptibilities. One approval row per "
    "disease found, with the same date and text. The issue's MeSH therapeutic areas are not used: the EMA table "
    "in the drugs folder (medi_approvals_ema_epar.tsv) has no therapeutic-area column, only the indication text.",
    "- FDA approvals and labelled indications: the Orange and Purple Book rows give a first approval date but no "
    "indication, and DrugCentral's label indications (indications.tsv) give indications but no date, so which "
    "indication the first approval was for is unknown and never joined: an FDA approval row has an agency and a "
    "date (or approved_before) and no indication; each labelled indication is its own row (tkg:LabelledIndication: "
    "agency FDA, indication, no date). Both belong to the drug; only curated approvals.tsv rows state an FDA date "
    "with its indication, from the cited label or Drugs@FDA letter.",
    "- Indications: UMLS CUI -> MONDO by SSSOM exact match when unique, else DOID -> MONDO; kept only for live "
    "MONDO 2026 classes. The SNOMED CT column of the source is never read into the output.",
    "- DrugCentral 2016 (CC BY 4.0): Ursu O. et al., Nucleic Acids Res 2017;45:D932-D939. EMA content: source "
    "European Medicines Agency, data edited (earliest date taken, text shortened).",
]


README_FILES = [
    ("drugs.tsv", "drugs", "one row per MeDIC ingredient (same-label and salt-form rows merged, see notes), plus "
     "DrugCentral 2016 drugs missing from MeDIC: INN-style label, kind, FDA UNII official/common names (registry "
     "tags stripped, salts mapped to their parent), brand names, bare xrefs"),
    ("approvals.tsv", "approvals", "first FDA approval (Orange Book or Purple Book; the Orange Book's 19820101 is "
     "approved_before 1982-01-01 with no date) and "
     "earliest EMA EPAR listed (may be a generic's or biosimilar's), indication text shortened; one EMA row per MONDO "
     "disease the EPAR text names (none: one row without indication); FDA rows name no indication"),
    ("indications.tsv", "indications", "DrugCentral 2016 labelled indications mapped to live MONDO 2026 classes "
     "through SSSOM exact matches (UMLS CUI first, else DOID)"),
    ("targets.tsv", "targets", "human DrugCentral 2016 targets by gene symbol, with UniProt accession"),
    ("mechanisms.tsv", "mechanisms", "drug -> human target (a gene symbol, or a families.tsv id) with DrugCentral's "
     "action type; non-human targets as target-less rows"),
    ("families.tsv", "families", "DrugCentral 2016 targets of several human genes: one family (paralogues) or "
     "complex (subunits) each, with its member gene symbols"),
    ("mondo.tsv", "mondo", "every non-obsolete MONDO class (build_mondo_slim.py --all logic)"),
    ("sources.tsv", "sources", "source keys used here that the curated sources.tsv lacks"),
]


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Derive every bulk table; print and return the counts."""
    args = parse_args(argv)
    stats: dict[str, object] = {}
    mondo, labels = mondo_rows(args.mondo_dir)
    ctx = derive_medic(args, stats, DiseaseMatcher(mondo))
    dc = derive_drugcentral(args, ctx, labels, stats)
    out = args.out
    brand_owners = {b: ctx["ids"][r["curie"]] for r in ctx["medic"] for b in r.get("brand_label", "").split("|") if b}
    stats["names dropped as another drug's label"] = drop_foreign_labels(ctx["drugs"] + dc["extra"], brand_owners)
    stats["drugs given a curated class (FDA EPC via DrugCentral)"] = set_classes(ctx["drugs"] + dc["extra"],
                                                                                 dc["members"])
    stats["drugs"] = write_tsv(out / "drugs.tsv", DRUG_COLUMNS, ctx["drugs"] + dc["extra"])
    stats["approvals"] = write_tsv(out / "approvals.tsv", APPROVAL_COLUMNS, ctx["approvals"])
    stats["indications"] = write_tsv(out / "indications.tsv", INDICATION_COLUMNS, dc["indications"])
    stats["targets"] = write_tsv(out / "targets.tsv", TARGET_COLUMNS, dc["targets"])
    stats["mechanisms"] = write_tsv(out / "mechanisms.tsv", MECHANISM_COLUMNS, dc["mechanisms"])
    stats["families"] = write_tsv(out / "families.tsv", FAMILY_COLUMNS, dc["families"])
    stats["families by kind"] = dict(sorted(Counter(r[2] for r in dc["families"]).items()))
    stats["mechanisms by action type"] = dict(sorted(Counter(r[2] for r in dc["mechanisms"]).items()))
    stats["mondo"] = write_tsv(out / "mondo.tsv", mondo_module().HEADER, mondo)
    stats["sources"] = write_tsv(out / "sources.tsv", SOURCE_COLUMNS, EXTRA_SOURCES)
    drug_stats(ctx["drugs"], dc["extra"], ctx["approvals"], dc, stats)
    stats["MONDO classes with parents"] = sum(1 for r in mondo if r[2])
    write_readme(out, stats)
    for key, value in stats.items():
        print(f"{key}: {value}")
    return stats


if __name__ == "__main__":
    main()
