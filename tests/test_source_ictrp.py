"""WHO ICTRP record reader: whole-record fixtures, spans, and layout detection."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fixture_text import assert_unseen_fields, main_text, read_fixture, resolve, squash

from kg.model import SourceError, to_json
from kg.sources import ictrp, letter
from kg.sources._common import clean_text

FIXTURES = Path(__file__).parent / "fixtures" / "ictrp"
CORPUS = Path(__file__).parent.parent / "kg" / "data" / "corpus"
CASES = (
    "euctr_msc_lupus_phase1_2_authorised",
    "euctr_two_products_double_blind_phase3",
    "ctgov_sourced_phase2_3_free_interventions",
    "chictr_observational_group_sizes_two_meddra",
    "ctri_crlf_entities_reordered_empty_labels",
)
# Keys whose value is derived from the text (mapped codes, ISO dates): the span must
# exist and point into the text, but the slice holds the source wording instead.
DERIVED = re.compile(r"^(status|phases\[\d+\]|study_type|allocation|masking|intervention_model|"
                     r"primary_purpose|dates\[\d+\]|eligibility\.sex|enrollment)$")


def read(name: str) -> str:
    return read_fixture(FIXTURES, name)


@pytest.mark.parametrize("case", CASES)
def test_whole_record_matches_expected_json(case: str) -> None:
    got = to_json(ictrp.parse_ictrp(read(case)))
    got.pop("spans")
    expected = json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))
    assert got == expected


@pytest.mark.parametrize("case", CASES)
def test_every_span_slice_holds_its_value(case: str) -> None:
    text = clean_text(read(case))
    rec = ictrp.parse_ictrp(read(case))
    data = to_json(rec)
    assert rec.spans, "a record always has spans"
    for key, span in rec.spans.items():
        assert span.start is not None and span.end is not None
        assert 0 <= span.start < span.end <= len(text), key
        assert text.count("\n", 0, span.start) + 1 == span.line_start, key
        if not DERIVED.match(key):
            assert squash(str(main_text(resolve(data, key)))) in squash(text[span.start:span.end]), key


def test_euctr_corpus_key_facts() -> None:
    rec = ictrp.parse_ictrp(read(CASES[0]))
    text = clean_text(read(CASES[0]))
    assert [(m.code, m.soc_code) for m in rec.meddra] == [("10042945", "10028395")]
    assert [(i.scheme, i.value) for i in rec.registry_ids] == [
        ("WHO_ICTRP", "EUCTR2017-001400-29-FR"), ("EUDRACT", "2017-001400-29"),
        ("SPONSOR", "P150302"), ("OTHER", "P150302J")]
    assert rec.phases == ("PHASE1", "PHASE2")
    span = rec.spans["eligibility.exclusion[6]"]
    assert "belimumab within 2 months" in text[span.start:span.end]
    assert text[rec.spans["registry_ids[1]"].start:rec.spans["registry_ids[1]"].end] == "2017-001400-29"
    assert "(Phase I): yes" in text[rec.spans["phases[0]"].start:rec.spans["phases[0]"].end]


def test_contacts_are_never_kept() -> None:
    for case in CASES:
        dumped = json.dumps(to_json(ictrp.parse_ictrp(read(case))), ensure_ascii=False)
        assert "@" not in dumped, case
        for word in ("Maren Solberg", "Li Wen", "Priya Menon", "seymour", "Studienzentrale",
                     "+45 70", "09845012345", "0049228287000"):
            assert word not in dumped, (case, word)


def test_windows_line_endings_give_the_same_record() -> None:
    crlf = read(CASES[0]).replace("\n", "\r\n")
    assert to_json(ictrp.parse_ictrp(crlf)) == to_json(ictrp.parse_ictrp(read(CASES[0])))


@pytest.mark.parametrize("case", CASES)
def test_detects_every_ictrp_fixture(case: str) -> None:
    assert ictrp.detect(read(case))


@pytest.mark.parametrize("name", ["000_68a7e877c7eabcd1.txt", "001_9e8657f116fdd077.txt",
                                  "003_de5121debf90b29f.txt", "004_81b4df8a86625b55.txt"])
def test_does_not_detect_other_corpus_documents(name: str) -> None:
    assert not ictrp.detect((CORPUS / name).read_text(encoding="utf-8"))


def test_does_not_detect_the_letter_fixtures() -> None:
    for path in (FIXTURES.parent / "letter").glob("*.txt"):
        assert not ictrp.detect(path.read_text(encoding="utf-8")), path.name


def test_does_not_detect_prose() -> None:
    news = ("The city council approved the new budget on Tuesday. The main ID of the project, "
            "its public title and the recruitment status of new staff were discussed.\n"
            "Main ID: none of your business, said the mayor.")
    assert not ictrp.detect(news)
    assert not ictrp.detect("")


def test_ictrp_record_is_not_taken_for_a_letter() -> None:
    assert not letter.detect(read(CASES[2]))


def test_text_without_main_id_or_title_is_an_error() -> None:
    with pytest.raises(SourceError):
        ictrp.parse_ictrp("Register: EUCTR\nRecruitment status: Recruiting\n")


def test_parse_document_returns_one_record() -> None:
    records = ictrp.parse_document(read(CASES[3]))
    assert len(records) == 1 and records[0].format == "ictrp"


def _record(countries: str = "France", title: str = "A trial of drug X", main_id: str = "ISRCTN12345678") -> str:
    return (f"Register: ISRCTN\nMain ID: {main_id}\nPrimary sponsor: Acme\nPublic title: {title}\n"
            f"Recruitment status: Recruiting\nCountries of recruitment\n{countries}\nContacts\n")


@pytest.mark.parametrize("line,countries", [
    ("Argentina Austria Belgium Canada France Germany Israel Italy",
     ("Argentina", "Austria", "Belgium", "Canada", "France", "Germany", "Israel", "Italy")),
    ("Belgium Korea, Republic of United Kingdom United States",
     ("Belgium", "Korea, Republic of", "United Kingdom", "United States")),
    ("France Turkey Spain", ("France", "Turkey", "Spain")),  # a name the list lacks, between two it has
    ("United States", ("United States",)),  # one multi-word country stays one
    ("Korea, Republic of", ("Korea, Republic of",)),
    ("Bosnia and Herzegovina", ("Bosnia and Herzegovina",)),
    ("Germany;Poland", ("Germany", "Poland")),
])
def test_one_country_per_value(line: str, countries: tuple[str, ...]) -> None:
    text = _record(countries=line)
    record = ictrp.parse_ictrp(text)
    assert record.countries == countries
    for i, name in enumerate(countries):
        span = record.spans[f"countries[{i}]"]
        assert text[span.start:span.end] == name


@pytest.mark.parametrize("title,acronym", [
    ("Abatacept in early diffuse cutaneous systemic sclerosis - The ASCENT Study-", "ASCENT"),
    ("Biologic therapies in childhood uveitis: a national outcomes registry CORAL", "CORAL"),
    ("Rituximab in pemphigus (Ritux 3)", "Ritux 3"),
    ("Decitabine in newly diagnosed primary immune thrombocytopenia (ITP)", None),
    ("Cabotegravir in adolescents living with HIV", None),
    ("Iptacopan in C3 glomerulopathy (Part 2)", None),
])
def test_acronym_written_forms(title: str, acronym: str | None) -> None:
    record = ictrp.parse_ictrp(_record(title=title))
    assert (record.title, record.acronym) == (title, acronym)


def test_chictr_group_labels_are_not_intervention_names() -> None:
    text = _record() + "Intervention(s)\nExperimental group:Decitabine;Control group:Dexamethasone;\n"
    assert [i.name for i in ictrp.parse_ictrp(text).interventions] == ["Decitabine", "Dexamethasone"]


@pytest.mark.parametrize("title,acronym", [
    ("The ICARUS-HFpEF trial: intravenous iron in heart failure", "ICARUS-HFpEF"),
    ("PROTECT study: colchicine after cardiac surgery", "PROTECT"),
    ("Nemolizumab for prurigo nodularis: the NEMO-PN study", "NEMO-PN"),
    ("Fecal microbiota transplantation in cholangitis: a Pilot Study", None),  # one capital
    ("COVID-19: a randomised trial of drug X", None),  # no study word next to it
    ("The Phase II trial: drug X in lupus", None),  # a Roman numeral
])
def test_acronym_named_with_a_study_word_beside_the_colon(title: str, acronym: str | None) -> None:
    record = ictrp.parse_ictrp(_record(title=title))
    assert (record.title, record.acronym) == (title, acronym)


def test_chictr_named_group_labels_and_nil_placeholders() -> None:
    text = _record() + "Intervention(s)\nIgAN group:Nil;Healthy control group:Nil;\n"
    assert ictrp.parse_ictrp(text).interventions == ()
    text = _record() + "Intervention(s)\nCase group:Rituximab;Healthy control group:none;\n"
    assert [i.name for i in ictrp.parse_ictrp(text).interventions] == ["Rituximab"]
    text = _record() + "Intervention(s)\nCombination: drug X plus drug Y\n"  # not an arm label
    assert [i.name for i in ictrp.parse_ictrp(text).interventions] == ["Combination: drug X plus drug Y"]


def test_ctri_condition_label_and_icd_code_are_dropped() -> None:
    text = _record() + ("Health Condition(s) or Problem(s) studied\nHealth Condition 1: L400- Psoriasis vulgaris\n"
                        "Health Condition 2: M05.9 - Rheumatoid arthritis, unspecified\n"
                        "COVID-19 - severe disease\nB-cell lymphoma\n")
    record = ictrp.parse_ictrp(text)
    assert [c.name for c in record.conditions] == [
        "Psoriasis vulgaris", "Rheumatoid arthritis, unspecified", "COVID-19 - severe disease", "B-cell lymphoma"]
    assert clean_text(text)[record.spans["conditions[0]"].start:record.spans["conditions[0]"].end] == "Psoriasis vulgaris"


def test_ctri_named_intervention_keeps_the_name_and_the_description() -> None:
    text = _record() + ("Intervention(s)\nIntervention1: Tofacitinib: Tofacitinib 5 mg tablet twice daily\n"
                        "Control Intervention1: Methotrexate: 15 mg once weekly\n"
                        "Intervention 2: Vitamin D3: 60000 IU weekly\n"
                        "Ferric carboxymaltose: one infusion of 750 mg\n")
    record = ictrp.parse_ictrp(text)
    assert [(i.name, i.description) for i in record.interventions] == [
        ("Tofacitinib", "Tofacitinib 5 mg tablet twice daily"), ("Methotrexate", "15 mg once weekly"),
        ("Vitamin D3: 60000 IU weekly", None),  # a name with digits is not split
        ("Ferric carboxymaltose: one infusion of 750 mg", None)]  # no ordinal label: kept whole
    span = record.spans["interventions[0].name"]
    assert clean_text(text)[span.start:span.end] == "Tofacitinib"


def test_nil_known_secondary_id_is_no_identifier() -> None:
    text = _record() + "Secondary ID(s)\nNil known\nIRAS 298765\n"
    assert [i.value for i in ictrp.parse_ictrp(text).registry_ids] == ["ISRCTN12345678", "IRAS 298765"]


@pytest.mark.parametrize("wording,code", [
    ("Complete: follow-up complete", "COMPLETED"),  # JPRN (UMIN)
    ("Complete: follow-up continuing", "ACTIVE_NOT_RECRUITING"),
    ("Closed: follow-up complete", "COMPLETED"),  # ANZCTR
    ("Stopped early", "TERMINATED"),
    ("Recruiting complete, study complete", "COMPLETED"),  # DRKS
    ("Recruiting withdrawn before recruiting started", "WITHDRAWN"),
    ("Open public recruiting", "RECRUITING"),
    ("Complete: results pending", None),  # unknown wording is not guessed
])
def test_primary_register_status_wording(wording: str, code: str | None) -> None:
    record = ictrp.parse_ictrp(_record().replace("Recruitment status: Recruiting", f"Recruitment status: {wording}"))
    assert (record.status, record.status_text) == (code, wording)


def test_record_without_main_id_is_read_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    record = ictrp.parse_ictrp(_record(main_id=""))
    assert record.registry_ids == () and record.title == "A trial of drug X"
    assert "no registry identifier" in caplog.text


UNSEEN = sorted(FIXTURES.glob("unseen*/*.txt"))  # both sets of scripts/score_readers.py


@pytest.mark.parametrize("path", UNSEEN, ids=lambda p: p.stem)
def test_unseen_documents_match_their_expected_fields(path: Path) -> None:
    assert_unseen_fields(to_json(ictrp.parse_ictrp(path.read_text(encoding="utf-8"))), path, schemes=False)
