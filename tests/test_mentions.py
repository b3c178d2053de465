"""Free-text mentions (kg.mentions): lexicon names, abbreviations and the roles the words around them give."""

from __future__ import annotations

import pytest

from kg.lexicon import default_lexicon
from kg.mentions import document_context, find, roles
from kg.model import Condition, Eligibility, Intervention, StudyRecord
from kg.normalize import CONDITIONS, DRUGS, link_record

LEX = default_lexicon()
BOTH = DRUGS | CONDITIONS


def labelled_roles(text: str) -> list[tuple[str, str]]:
    ctx = document_context(LEX, [text], BOTH)
    return [(m.entry.label, role) for m, role in roles(text, find(LEX, text, BOTH, context=ctx))]


@pytest.mark.parametrize("text, label, role", [
    ("nous recherchons les patients ayant reçu du bortezomib pour un PTI", "bortezomib", "tested"),
    ("tout patient ayant reçu au moins une injection de bortezomib", "bortezomib", "tested"),
    ("recenser les cas de patients traités par daratumumab", "daratumumab", "tested"),
    ("This study tests whether adding bortezomib helps", "bortezomib", "tested"),
    ("the effectiveness of lenalidomide compared to methotrexate", "methotrexate", "comparator"),
    ("Patients who already take mycophenolate mofetil will continue it", "mycophenolate mofetil", "prior"),
    ("après échec d'au moins deux lignes thérapeutiques dont le rituximab", "rituximab", "prior"),
    ("patients not previously treated with rituximab", "rituximab", "negated"),
    ("Le bortezomib est un inhibiteur du protéasome", "bortezomib", "background"),
    ("it is often prescribed with dexamethasone", "dexamethasone", "background"),
    ("Les patients traités par rituximab ne seront pas inclus.", "rituximab", "excluded"),
    ("People treated with tocilizumab in the previous six months cannot join.", "tocilizumab", "excluded"),
    ("it has been combined with ruxolitinib in the most severe forms [1].", "ruxolitinib", "background"),
    ("des réponses ont été rapportées sous tofacitinib", "tofacitinib", "background"),
    ("children with Evans syndrome initiated on sirolimus since 2015", "sirolimus", "tested"),
    ("patients in whom efgartigimod was started for myositis", "efgartigimod alfa", "tested"),
    ("treated with at least one dose of anifrolumab", "anifrolumab", "tested"),
    ("Rituximab alone or combined with bendamustine induces responses", "bendamustine", "background"),
    ("patients treated with rituximab combined with bendamustine", "bendamustine", "tested"),
    ("the effect of adalimumab often fades", "adalimumab", "background"),
    ("to evaluate the efficacy and safety of adalimumab", "adalimumab", "tested"),
    ("All participants will first receive prednisone, tapered over 8 weeks", "prednisone", "background"),
])
def test_drug_role_from_the_words_around_it(text, label, role):
    assert (label, role) in labelled_roles(text)


@pytest.mark.parametrize("text, label, role", [
    ("adults with systemic sclerosis whose lungs are affected", "systemic sclerosis", "studied"),
    ("patients atteints de lupus érythémateux systémique", "systemic lupus erythematosus", "studied"),
    ("ayant reçu du bortezomib pour un purpura thrombopénique immunologique", "autoimmune thrombocytopenic purpura",
     "studied"),
    ("a medicine used to treat multiple myeloma", "plasma cell myeloma", "background"),
    ("indiqué dans le myélome multiple", "plasma cell myeloma", "background"),
    ("is licensed for adults with chronic immune thrombocytopenia", "autoimmune thrombocytopenic purpura",
     "background"),
    ("a drug approved for myeloma, helps people with systemic sclerosis", "systemic sclerosis", "studied"),
    ("most frequently in patients treated for non-small cell lung cancer", "lung cancer",
     "background"),
    ("Nintedanib is approved both for lupus nephritis and for systemic sclerosis", "systemic sclerosis",
     "background"),
])
def test_condition_role_from_the_words_around_it(text, label, role):
    assert (label, role) in labelled_roles(text)


def test_a_coordinated_list_takes_the_role_of_its_first_member():
    got = labelled_roles("pour un purpura thrombopénique immunologique (PTI), une anémie hémolytique auto-immune "
                         "(AHAI) ou un syndrome d'Evans.")
    assert {label for label, role in got if role == "studied"} == {
        "autoimmune thrombocytopenic purpura", "autoimmune hemolytic anemia", "Evans syndrome"}


def test_a_class_in_apposition_is_not_a_second_tested_drug():
    got = labelled_roles("l'emploi du daratumumab, un anticorps monoclonal anti-CD38, efficace")
    assert ("daratumumab", "tested") in got
    assert all(role != "tested" for label, role in got if label != "daratumumab")


def test_mixed_case_abbreviation_is_found_and_capitalised_words_are_not_abbreviations():
    assert [m.entry.label for m in find(LEX, "Bortezomib in SSc-associated lung disease", CONDITIONS)] == [
        "systemic sclerosis"]
    assert find(LEX, "Les patients", CONDITIONS) == []  # "LES" (lupus, French) only in capitals
    assert [m.entry.label for m in find(LEX, "LES réfractaire", CONDITIONS)] == ["systemic lupus erythematosus"]


def test_a_document_defined_abbreviation_means_what_the_document_says():
    text = "anémie hémolytique auto-immune (AHAI). Les AHAI réfractaires"
    ctx = document_context(LEX, [text], BOTH)
    assert ctx.defined["AHAI"].label == "autoimmune hemolytic anemia"
    assert [m.method for m in find(LEX, "AHAI", CONDITIONS, context=ctx)] == ["abbreviation-defined"]
    # a parenthesis after a name whose words do not start with its first letter is no definition
    assert "XYZ" not in document_context(LEX, ["systemic sclerosis (XYZ)"], BOTH).defined


def test_two_letter_abbreviation_needs_a_word_of_its_meaning_in_the_document():
    alone = "Biopsy of one LN"
    assert find(LEX, alone, CONDITIONS, context=document_context(LEX, [alone], BOTH)) == []
    with_context = "Class III or IV LN in patients with lupus"
    found = find(LEX, with_context, CONDITIONS, context=document_context(LEX, [with_context], BOTH))
    assert [m.entry.label for m in found] == ["lupus nephritis"]
    assert [m.entry.label for m in find(LEX, "primary pSS", CONDITIONS)] == ["Sjogren syndrome"]


def test_an_ic_acid_drug_is_also_named_by_its_anion():
    assert [m.entry.label for m in find(LEX, "Mycophenolate and Valproate", DRUGS)][:1] == ["mycophenolic acid"]
    assert [m.entry.label for m in find(LEX, "mycophenolate mofetil", DRUGS)] == ["mycophenolate mofetil"]


def test_summary_drugs_give_roles_only_when_the_record_has_no_interventions():
    summary = "Participants will receive bortezomib injections. Aspirin reduces the risk of clots."
    page = StudyRecord(format="clinconnect", title="A study", summary=summary)
    got = {(lk.role, lk.text) for lk in link_record(LEX, page)}
    assert ("text_drug", "bortezomib") in got and ("text_background", "aspirin") in got
    listed = StudyRecord(format="ctgov_v2", title="A study", summary=summary,
                         interventions=(Intervention("Drug", "Placebo"),), conditions=(Condition("Pain"),))
    assert not [lk for lk in link_record(LEX, listed) if lk.path == "summary"]


def test_keyword_conditions_count_only_when_title_and_summary_name_none():
    page = StudyRecord(format="clinconnect", title="Bortezomib in SSc", keywords=("Systemic Sclerosis Raynaud",))
    roles_of = {lk.text: lk.role for lk in link_record(LEX, page) if lk.path.startswith("keywords")}
    assert roles_of["systemic sclerosis"] == "text_background"
    bare = StudyRecord(format="clinconnect", title="A pilot study", keywords=("Systemic Sclerosis Bortezomib",))
    roles_of = {lk.text: lk.role for lk in link_record(LEX, bare) if lk.path.startswith("keywords")}
    assert roles_of == {"systemic sclerosis": "keyword_condition", "bortezomib": "text_background"}


def test_a_case_collection_requiring_a_treatment_collects_that_drug():
    call = StudyRecord(format="letter", study_type="CASE_COLLECTION",
                       eligibility=Eligibility(
                           inclusion=("Patients ayant reçu au moins une injection de bortezomib",)))
    assert [(lk.role, lk.text) for lk in link_record(LEX, call) if lk.kind == "drug"] == [("text_drug", "bortezomib")]
    trial = StudyRecord(format="ctgov_v2", eligibility=call.eligibility)
    assert [lk.role for lk in link_record(LEX, trial) if lk.kind == "drug"] == ["prior_treatment_required"]


@pytest.mark.parametrize("title, tested, comparators, mentioned", [
    ("Voclosporin vs Tacrolimus as Add-on to Mycophenolate in Active LN", {"voclosporin"}, {"tacrolimus"},
     {"mycophenolic acid"}),
    ("Canakinumab on Top of Colchicine Versus Colchicine Plus Placebo in FMF", {"canakinumab"}, set(), {"colchicine"}),
    ("Bimekizumab Compared to Secukinumab in Adults With Hidradenitis Who Failed Adalimumab", {"bimekizumab"},
     {"secukinumab"}, {"adalimumab"}),
    ("Anakinra Compared With Rilonacept in Colchicine-Resistant Recurrent Pericarditis", {"anakinra"},
     {"rilonacept"}, {"colchicine"}),
])
def test_title_roles(title, tested, comparators, mentioned):
    links = link_record(LEX, StudyRecord(format="clinconnect", title=title))
    by_role = {role: {lk.text for lk in links if lk.role == role and lk.kind == "drug"}
               for role in ("title_drug", "title_comparator", "text_background")}
    labels = {lk.text: LEX.names[lk.text] for lk in links if lk.kind == "drug"}
    named = {role: {next(iter(labels[t])).label for t in texts} for role, texts in by_role.items()}
    assert (named["title_drug"], named["title_comparator"], named["text_background"]) == (
        tested, comparators, mentioned)


def test_counter_ions_are_no_drug_names_and_british_spellings_fold():
    assert find(LEX, "sildenafil citrate 50 mg", DRUGS)[0].entry.label == "sildenafil"
    assert not [m for m in find(LEX, "aspartate aminotransferase above normal", DRUGS)]
    assert [m.entry.label for m in find(LEX, "warm autoimmune haemolytic anaemia", CONDITIONS)] == [
        "autoimmune hemolytic anemia, warm type"]
    assert [m.entry.label for m in find(LEX, "Avatrombopag in ITP", DRUGS)] == ["avatrombopag maleate"]
