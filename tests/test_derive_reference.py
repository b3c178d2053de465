"""scripts/derive_reference.py on small fixture files (tests/fixtures/derive/), never on the shared data.

The fixtures are a few rows of each input, copied from the real files and shortened, plus made-up rows
(the DrugCentral-only drug "examplidine", UMLS CUIs C0001111-C0003333, C9999999) for the cases to check.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "derive"
CURATED_DRUG_COLUMNS = ["id", "label", "kind", "synonyms", "abbreviations", "brand_names", "labels_fr", "xrefs",
                        "parent_class", "source", "note", "flags"]


def _load_script():
    spec = importlib.util.spec_from_file_location("derive_reference", ROOT / "scripts" / "derive_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["derive_reference"] = module
    spec.loader.exec_module(module)
    return module


dr = _load_script()


def _derive(out: Path) -> dict:
    return dr.main(["--drugs-dir", str(FIXTURES / "drugs"), "--mondo-dir", str(FIXTURES / "mondo"),
                    "--curated", str(FIXTURES / "curated"), "--out", str(out)])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def bulk(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bulk")
    _derive(out)
    return out


def _drug(bulk: Path, ident: str) -> dict[str, str]:
    return next(r for r in _rows(bulk / "drugs.tsv") if r["id"] == ident)


def _multi(row: dict[str, str], column: str) -> list[str]:
    return [v for v in row[column].split("|") if v]


# ------------------------------------------------------------------ drugs


def test_drugs_have_exactly_the_curated_columns(bulk):
    with (bulk / "drugs.tsv").open(encoding="utf-8") as fh:
        assert fh.readline().rstrip("\n").split("\t") == CURATED_DRUG_COLUMNS
    curated_header = (ROOT / "ontology" / "reference" / "drugs.tsv").read_text(encoding="utf-8").split("\n")[0]
    assert curated_header.split("\t") == CURATED_DRUG_COLUMNS


def test_salt_brand_name_is_mapped_to_the_parent(bulk):
    mmf = _drug(bulk, "mycophenolate-mofetil")
    assert "CELLCEPT" in _multi(mmf, "brand_names")  # on the hydrochloride's UNII in the FDA list
    assert "MYFENAX" in _multi(mmf, "brand_names")
    assert "mycophenolate mofetil hydrochloride" in _multi(mmf, "synonyms")  # salt name kept as a synonym


def test_impurity_and_combination_names_are_not_taken(bulk):
    mmf = _drug(bulk, "mycophenolate-mofetil")
    assert not any("oxide" in s or "impurity" in s for s in _multi(mmf, "synonyms"))
    assert not any(len(s) > dr.MAX_SYNONYM for s in _multi(mmf, "synonyms"))  # systematic name dropped
    assert "RITUXAN HYCELA" not in _multi(_drug(bulk, "rituximab"), "brand_names")
    assert "MMF" not in _multi(mmf, "synonyms") and "mmf" not in _multi(mmf, "synonyms")  # short abbreviation


def test_registry_suffixes_are_stripped_and_duplicates_removed(bulk):
    assert dr.strip_tags("MYCOPHENOLATE MOFETIL [USAN]") == "MYCOPHENOLATE MOFETIL"
    assert dr.strip_tags("ACETYLSALICYLIC ACID (WHO-IP)") == "ACETYLSALICYLIC ACID"
    rituximab = _drug(bulk, "rituximab")
    assert "TRUXIMA" in _multi(rituximab, "brand_names")  # "TRUXIMA [EMA EPAR]"
    synonyms = [s.lower() for s in _multi(_drug(bulk, "mycophenolate-mofetil"), "synonyms")]
    assert "mycophenolate mofetil" not in synonyms  # the label itself, from "[USAN]" and "[WHO-DD]" rows
    assert len(synonyms) == len(set(synonyms))
    assert "RS-61443" in _multi(_drug(bulk, "mycophenolate-mofetil"), "synonyms")  # code name kept as written


def test_curated_id_is_reused_for_the_same_drug(bulk):
    row = _drug(bulk, "ciclosporin")  # MeDIC "Cyclosporine", same UNII as the curated row
    assert row["label"] == "cyclosporine"
    assert "UNII:83HN0GTJ6D" in _multi(row, "xrefs")
    ids = [r["id"] for r in _rows(bulk / "drugs.tsv")]
    assert "cyclosporine" not in ids
    # the curated "vardenafil" row is a drug class: MeDIC's vardenafil must not take its id
    assert "vardenafil" not in ids and "vardenafil-chebi-46295" in ids
    assert len(ids) == len(set(ids))


def test_salt_form_row_is_folded_into_its_parent(bulk):
    row = _drug(bulk, "vardenafil-chebi-46295")
    assert "LEVITRA" in _multi(row, "brand_names")
    assert "UNII:IF61NL91H3" in row["note"]
    assert not any(r["label"] == "vardenafil hydrochloride" for r in _rows(bulk / "drugs.tsv"))


def test_kinds_xrefs_and_flags(bulk):
    rituximab = _drug(bulk, "rituximab")
    assert rituximab["kind"] == "MONOCLONAL_ANTIBODY" and "who-inn-stems" in _multi(rituximab, "source")
    mmf = _drug(bulk, "mycophenolate-mofetil")
    assert mmf["kind"] == "SMALL_MOLECULE"
    assert _multi(mmf, "flags") == ["approved-in-japan"]  # a flag, never an approval row
    assert not any(r["agency"] not in ("FDA", "EMA") for r in _rows(bulk / "approvals.tsv"))
    xrefs = _multi(mmf, "xrefs")
    assert {"ATC:L04AA06", "CHEMBL:CHEMBL1456", "DRUGCENTRAL:1859", "DRUGBANK:DB00688", "UNII:9242ECW6R0"} <= set(xrefs)
    assert [x for x in xrefs if x.startswith("RXCUI:")] == ["RXCUI:68149"]  # first (ingredient) concept only
    assert not any(x.startswith(("INCHIKEY:", "CAS:")) for x in xrefs)
    combo = _drug(bulk, "co-trimoxazole")
    assert combo["kind"] == "OTHER" and "combination product" in combo["note"]


def test_sources_are_known_keys(bulk):
    curated = {r["key"] for r in _rows(ROOT / "ontology" / "reference" / "sources.tsv")}
    extra = {r["key"] for r in _rows(bulk / "sources.tsv")}
    for name in ("drugs.tsv", "approvals.tsv", "indications.tsv", "mechanisms.tsv", "targets.tsv", "families.tsv",
                 "mondo.tsv"):
        for row in _rows(bulk / name):
            assert set(_multi(row, "source")) <= curated | extra, (name, row)


# ------------------------------------------------------------------ approvals


def _approval(bulk: Path, drug: str, agency: str) -> dict[str, str]:
    return next(r for r in _rows(bulk / "approvals.tsv") if r["drug"] == drug and r["agency"] == agency)


def test_first_fda_approval_is_the_earliest_date(bulk):
    fda = _approval(bulk, "mycophenolate-mofetil", "FDA")
    assert fda["date"] == "1995-05-03"  # not the 1998 hydrochloride row
    assert fda["source"] == "fda-orange-book" and fda["indication"] == ""
    assert _approval(bulk, "rituximab", "FDA")["source"] == "fda-purple-book"
    assert _approval(bulk, "rituximab", "FDA")["date"] == "1997-11-26"
    assert _approval(bulk, "vardenafil-chebi-46295", "FDA")["date"] == "2003-08-19"  # the folded salt row's


def test_orange_book_1982_placeholder_is_approved_before_never_a_date(bulk):
    row = _approval(bulk, "nalidixic-acid", "FDA")
    assert row["date"] == "" and row["approved_before"] == "1982-01-01"
    assert row["note"] == "approved before 1982 (Orange Book 19820101)"
    assert all(r["date"] != "1982-01-01" for r in _rows(bulk / "approvals.tsv"))


def test_a_row_medic_labels_with_a_brand_is_its_active_ingredient(bulk):
    drug = _drug(bulk, "trastuzumab")
    assert drug["label"] == "trastuzumab" and "HERCEPTIN" in _multi(drug, "brand_names")
    assert "labels it HERCEPTIN, a brand name" in drug["note"]
    labels = {r["label"].lower() for r in _rows(bulk / "drugs.tsv")}
    assert "herceptin" not in labels
    brands = {b.lower() for r in _rows(bulk / "drugs.tsv") for b in _multi(r, "brand_names")}
    assert not labels & brands  # no drug is labelled with a brand name


def test_a_sibling_substances_ids_do_not_give_its_targets(bulk):
    mechanisms = _rows(bulk / "mechanisms.tsv")
    assert [(m["drug"], m["action_type"]) for m in mechanisms if m["target"] == "ERBB2"] == [
        ("trastuzumab", "ANTIBODY_BINDING")]  # MeDIC lists trastuzumab's DrugCentral id for deruxtecan


def test_approval_rows_medic_flags_are_re_resolved_by_name_or_dropped(bulk):
    # "trastuzumab" (flagged) is re-resolved to the trastuzumab drug by its name; "trastuzumab-dkst", a
    # biosimilar MeDIC mapped to trastuzumab deruxtecan, is not used for deruxtecan, nor a flagged row
    # whose name no drug has (Alpha-1-Proteinase Inhibitor -> deruxtecan, 1987).
    assert _approval(bulk, "trastuzumab", "FDA")["date"] == "1998-09-25"
    assert _approval(bulk, "trastuzumab-deruxtecan", "FDA")["date"] == "2019-12-20"


def test_ema_earliest_epar_with_note_and_text(bulk):
    ema = _approval(bulk, "mycophenolate-mofetil", "EMA")
    assert ema["date"] == "1996-02-14"
    assert ema["indication_text"].startswith("CellCept is indicated")  # the text of the earliest EPAR
    assert "&nbsp;" not in ema["indication_text"]
    assert ema["note"].startswith("earliest EPAR listed; may be a generic's or biosimilar's")
    assert ema["source"] == "ema-epar"
    assert _approval(bulk, "bortezomib", "EMA")["date"] == "2004-04-26"  # 'nan' date skipped
    unaligned = _approval(bulk, "rituximab", "EMA")
    assert unaligned["date"] == "1998-06-02" and unaligned["indication_text"] == ""
    assert not any(r["agency"] not in ("FDA", "EMA") for r in _rows(bulk / "approvals.tsv"))


def _ema_indications(bulk: Path, drug: str) -> list[str]:
    return [r["indication"] for r in _rows(bulk / "approvals.tsv") if r["drug"] == drug and r["agency"] == "EMA"]


def test_ema_indication_text_is_mapped_to_mondo_by_label(bulk):
    # "prophylaxis of acute transplant rejection": the MONDO label "transplant rejection", whole words
    assert _ema_indications(bulk, "mycophenolate-mofetil") == ["MONDO:1010185"]
    assert "MONDO name found in the text" in _approval(bulk, "mycophenolate-mofetil", "EMA")["note"]


def test_ema_indication_by_exact_synonym_and_never_inside_a_negated_name(bulk):
    # "multiple myeloma" is the DOID label exactly matching plasma cell myeloma (a mondo.tsv synonym);
    # "non-small cell lung cancer" is not "small cell lung carcinoma" (written "cancer" for "carcinoma")
    assert _ema_indications(bulk, "bortezomib") == ["MONDO:0009693"]


def test_ema_text_without_a_disease_name_maps_to_nothing(bulk):
    assert _ema_indications(bulk, "vardenafil-chebi-46295") == [""]
    assert all(r["indication"] == "" for r in _rows(bulk / "approvals.tsv") if r["agency"] == "FDA")


def test_disease_matcher_takes_the_longest_whole_word_match():
    mondo = [["MONDO:1", "lung carcinoma", "", "", "", "", "", ""],
             ["MONDO:2", "small cell lung carcinoma", "", "", "", "", "", ""],
             ["MONDO:3", "anemia", "", "", "", "", "Anaemia", ""],
             ["MONDO:4", "cancer", "", "", "", "", "", ""],  # one-word generic name: never matched
             ["MONDO:5", "Example disease", "MONDO:0005583", "", "", "", "", ""],  # an animal disease
             ["MONDO:0005583", "non-human animal disease", "", "", "", "", "", ""]]
    matcher = dr.DiseaseMatcher(mondo)
    assert matcher.find("Small-cell lung carcinoma with anaemia") == ["MONDO:2", "MONDO:3"]
    assert matcher.find("lung carcinomas") == ["MONDO:1"]
    assert matcher.find("Treatment of cancer; example disease; anemias") == ["MONDO:3"]
    assert matcher.find("lungcarcinoma") == []


# ------------------------------------------------------------------ indications


def test_indication_mapped_via_umls(bulk):
    rows = [r for r in _rows(bulk / "indications.tsv") if r["drug"] == "mycophenolate-mofetil"]
    assert [(r["indication"], r["umls"]) for r in rows] == [("MONDO:1010185", "UMLS:C0001111")]


def test_indication_mapped_via_doid_when_umls_is_unmapped(bulk):
    rows = [r for r in _rows(bulk / "indications.tsv") if r["drug"] == "bortezomib"]
    assert [(r["indication"], r["doid"]) for r in rows] == [("MONDO:0009693", "DOID:9538")]


def test_unmapped_and_obsolete_indications_are_dropped(bulk):
    rows = _rows(bulk / "indications.tsv")
    assert not any(r["indication_text"] == "Nasal Congestion" for r in rows)  # no MONDO exact match
    assert not any(r["drug"] == "rituximab" for r in rows)  # maps only to an obsolete class
    assert list(rows[0]) == ["drug", "indication", "indication_text", "umls", "doid", "source"]  # no SNOMED
    assert "111111111" not in (bulk / "indications.tsv").read_text(encoding="utf-8")


def test_drugcentral_only_drug_gets_a_row(bulk):
    row = _drug(bulk, "examplidine")
    assert row["source"] == "drugcentral2016" and "DRUGCENTRAL:9001" in _multi(row, "xrefs")
    assert any(r["drug"] == "examplidine" for r in _rows(bulk / "indications.tsv"))


# ------------------------------------------------------------------ targets and mechanisms


@pytest.mark.parametrize("drugcentral, expected", [
    ("INHIBITOR", "INHIBITOR"), ("POSITIVE ALLOSTERIC MODULATOR", "POSITIVE_ALLOSTERIC_MODULATOR"),
    ("GATING INHIBITOR", "GATING_INHIBITOR"), ("OPENER", "OPENER"), ("INVERSE AGONIST", "INVERSE_AGONIST"),
    ("ACTIVATOR", "ACTIVATOR"), ("ANTIBODY BINDING", "ANTIBODY_BINDING"), ("PARTIAL AGONIST", "PARTIAL_AGONIST"),
    ("RELEASING AGENT", "RELEASING_AGENT"),
])
def test_action_types_are_kept_as_drugcentral_states_them(drugcentral, expected):
    assert dr.ACTION_TYPES[drugcentral] == expected


def test_every_action_type_is_an_ontology_term_grouped_under_the_broad_one():
    from rdflib import Graph
    from rdflib.namespace import SKOS

    from kg.emit.reference import ACTION_TYPES
    from kg.namespace import TKG

    tbox = Graph().parse(ROOT / "ontology" / "trialkg.ttl")
    assert set(dr.ACTION_TYPES.values()) <= set(ACTION_TYPES)
    for code, term in ACTION_TYPES.items():
        assert str(tbox.value(term, SKOS.notation)) == code
    assert (TKG.ActionOpener, SKOS.broader, TKG.ActionModulator) in tbox
    assert (TKG.ActionInverseAgonist, SKOS.broader, TKG.ActionAntagonist) in tbox
    assert (TKG.ActionPositiveAllostericModulator, SKOS.broader, TKG.ActionAllostericModulator) in tbox


def test_mechanism_rows(bulk):
    mech = {(r["drug"], r["target"]): r for r in _rows(bulk / "mechanisms.tsv")}
    assert mech[("ciclosporin", "GABRA1")]["action_type"] == "POSITIVE_ALLOSTERIC_MODULATOR"
    opener = mech[("ciclosporin", "voltage-gated-l-type-calcium-channel")]  # one family target, not one per gene
    assert opener["action_type"] == "OPENER"
    assert opener["description"] == "opener of Voltage-gated L-type calcium channel"
    assert ("ciclosporin", "CACNA1C") not in mech and ("ciclosporin", "CACNA1D") not in mech
    assert mech[("mycophenolate-mofetil", "IMPDH1")]["description"] == \
        "inhibitor of Inosine-5'-monophosphate dehydrogenase 1"
    assert mech[("examplidine", "HRH1")]["action_type"] == "INVERSE_AGONIST"
    nalidixic = mech[("nalidixic-acid", "")]  # bacterial target: no target node, described
    assert nalidixic["action_type"] == "INHIBITOR" and "non-human" in nalidixic["description"]
    allowed = set(dr.ACTION_TYPES.values()) | {"CELL_DEPLETION", "IMMUNOMODULATOR"}
    assert {r["action_type"] for r in mech.values()} <= allowed


def test_multi_gene_target_is_one_family_or_complex_with_members(bulk):
    families = {r["id"]: r for r in _rows(bulk / "families.tsv")}
    channel = families["voltage-gated-l-type-calcium-channel"]  # paralogous alpha-1 subunits
    assert channel["kind"] == "FAMILY" and channel["members"] == "CACNA1C|CACNA1D"
    assert channel["label"] == "Voltage-gated L-type calcium channel"
    gaba = families["gaba-a-receptor-alpha-1-beta-2-gamma-2"]  # subunit composition in the name
    assert gaba["kind"] == "COMPLEX" and gaba["members"] == "GABRA1|GABRB2|GABRG2"
    mech = [r for r in _rows(bulk / "mechanisms.tsv") if r["drug"] == "examplidine"]
    assert {(r["target"], r["action_type"]) for r in mech} == {
        ("HRH1", "INVERSE_AGONIST"), ("gaba-a-receptor-alpha-1-beta-2-gamma-2", "POSITIVE_ALLOSTERIC_MODULATOR")}
    symbols = {r["symbol"] for r in _rows(bulk / "targets.tsv")}
    for family in families.values():
        assert set(family["members"].split("|")) <= symbols  # every member is a human target row
        assert family["id"] not in symbols


@pytest.mark.parametrize("name, family, genes, kind", [
    ("Voltage-gated potassium channel", "Ion channel", ["KCNA1", "KCNB1"], "FAMILY"),
    ("Phosphodiesterase 4", "Enzyme", ["PDE4A", "PDE4B"], "FAMILY"),
    ("JAK3/JAK1", "Kinase", ["JAK1", "JAK3"], "FAMILY"),
    ("Sulfonylurea receptor 1, Kir6.2", "Ion channel", ["ABCC8", "KCNJ11"], "COMPLEX"),
    ("Muscle-type nicotinic acetylcholine receptor", "Ion channel", ["CHRNA1", "CHRNB1", "CHRND"], "COMPLEX"),
    ("Glutamate receptor ionotropic AMPA", "Ion channel", ["GRIA1", "GRIA2"], "FAMILY"),
    ("Interleukin-6 receptor", "Membrane receptor", ["IL6R", "IL6ST"], "COMPLEX"),
    ("DNA polymerase (alpha/delta/epsilon)", "Enzyme", ["POLA1", "POLD1", "POLE"], "FAMILY"),
])
def test_family_kind(name, family, genes, kind):
    assert dr.family_kind(name, family, genes) == kind


def test_a_heteromer_named_without_its_chains_is_a_complex_only_when_the_table_lists_it():
    rows = dr.read_tsv(Path(__file__).parent.parent / "ontology" / "reference" / "heteromers.tsv")
    heteromers = frozenset(r["target_name"] for r in rows)
    assert all(r["uniprot"] and r["url"].startswith("https://rest.uniprot.org/") for r in rows)
    genes = ["GABBR1", "GABBR2"]
    assert dr.family_kind("GABA-B receptor", "GPCR", genes, heteromers) == "COMPLEX"
    assert dr.family_kind("GABA-B receptor", "GPCR", genes) == "FAMILY"


def test_family_node_is_a_target_with_member_targets():
    from rdflib import Graph, Literal
    from rdflib.namespace import RDF, RDFS

    from kg import iri
    from kg.emit.reference import _target_family
    from kg.namespace import TKG
    from kg.refdata import TargetFamily

    g = Graph()
    _target_family(g, TargetFamily("voltage-gated-l-type-calcium-channel", "Voltage-gated L-type calcium channel",
                                   "FAMILY", ("CACNA1C", "CACNA1D"), ("drugcentral2016",)))
    node = iri.entity("target", "voltage-gated-l-type-calcium-channel")
    assert {TKG.Target, TKG.TargetFamily} <= set(g.objects(node, RDF.type))
    assert set(g.objects(node, TKG.hasMemberTarget)) == {iri.entity("target", "CACNA1C"), iri.entity("target", "CACNA1D")}
    assert g.value(node, RDFS.label) == Literal("Voltage-gated L-type calcium channel", lang="en")


def test_targets_are_human_genes(bulk):
    targets = {r["symbol"]: r for r in _rows(bulk / "targets.tsv")}
    assert "gyrA" not in targets
    assert targets["PSMB5"]["uniprot"] == "P28074"
    assert targets["CACNA1C"]["uniprot"] == "Q13936"
    assert list(next(iter(targets.values()))) == ["symbol", "label", "hgnc", "uniprot", "ncbigene", "source", "note"]


# ------------------------------------------------------------------ MONDO and determinism


def test_mondo_classes_are_live_with_parents(bulk):
    mondo = {r["id"]: r for r in _rows(bulk / "mondo.tsv")}
    assert "MONDO:0005097" not in mondo  # obsolete
    assert mondo["MONDO:0009693"]["parents"] == "MONDO:0000001"
    assert not any(k.startswith("GO:") for k in mondo)


def test_output_is_byte_identical_on_rerun(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    _derive(first)
    _derive(second)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert "README.md" in names
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_tables_are_sorted_trimmed_tsv(bulk):
    for path in bulk.glob("*.tsv"):
        lines = path.read_text(encoding="utf-8").split("\n")[1:-1]
        assert lines == sorted(lines), path.name
        for line in lines:
            assert all(cell == cell.strip() for cell in line.split("\t")), path.name


# ------------------------------------------------------------------ classes and book names


def test_curated_class_gains_members_by_its_fda_epc_code(bulk):
    row = _drug(bulk, "ciclosporin")  # DrugCentral 760 has EPC N0000175457, the curated class's NDFRT xref
    assert row["parent_class"] == "calcineurin-inhibitors"
    assert "drugcentral2016" in _multi(row, "source")


def test_mesh_classes_and_epc_codes_no_curated_class_names_give_no_member(bulk):
    assert not _drug(bulk, "vardenafil-chebi-46295")["parent_class"]  # MeSH PA row only
    assert not any(r["parent_class"] for r in _rows(bulk / "drugs.tsv") if r["label"] == "bortezomib")


def test_purple_book_product_names_are_synonyms_without_the_fda_suffix(bulk):
    row = next(r for r in _rows(bulk / "drugs.tsv") if r["label"].lower() == "rituximab")
    assert "rituxiproductA" in _multi(row, "synonyms")  # a made-up product name, "-wxyz" stripped
    assert "rituximab-pvvr" not in _multi(row, "synonyms")  # the label itself once the suffix is stripped
    assert "fda-purple-book" in _multi(row, "source")
    assert not any("Antitoxin" in s for s in _multi(row, "synonyms"))
