"""ClinicalTrials.Veeva reader: whole records against hand-written JSON, spans, detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_text import assert_unseen_fields, main_text, read_fixture, resolve
from hypothesis import given, settings
from hypothesis import strategies as st

import kg.data.corpus
from kg.model import Identifier, SourceError, to_json
from kg.sources._common import arm_role, clean_text, normalize_status, phases_in
from kg.sources.veeva import detect, parse_document, parse_veeva

FIXTURES = Path(__file__).parent / "fixtures" / "veeva"
CORPUS = Path(kg.data.corpus.__file__).parent
CASES = sorted(path.stem for path in FIXTURES.glob("*.txt"))
# Span keys whose value is mapped from the text (a code, a number), not copied from it.
MAPPED = {"status", "study_type", "register", "enrollment", "summary", "eligibility.sex",
          "eligibility.healthy_volunteers", "eligibility.min_age", "eligibility.max_age"}


def test_cases_have_fixtures() -> None:
    assert len(CASES) >= 5
    assert all((FIXTURES / f"{case}.json").exists() for case in CASES)


@pytest.mark.parametrize("case", CASES)
def test_record_equals_expected_json(case: str) -> None:
    out = to_json(parse_veeva(read_fixture(FIXTURES, case)))
    out.pop("spans")
    assert out == json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES)
def test_span_text_is_the_value(case: str) -> None:
    text = clean_text(read_fixture(FIXTURES, case))
    record = parse_veeva(text)
    out = to_json(record)
    assert {"title", "sponsor", "registry_ids[0]", "status"} <= set(record.spans)
    for key, span in record.spans.items():
        piece = text[span.start:span.end]
        assert text[:span.start].count("\n") + 1 == span.line_start, key
        value = main_text(resolve(out, key), ("value", "name"))
        if key.startswith("phases["):
            assert value in phases_in(piece), key
        elif key.endswith(".role"):
            assert arm_role(piece) == value, key
        elif key == "status":
            assert normalize_status(piece) == value
        elif key not in MAPPED:
            assert piece == value, key


def test_spans_of_summary_and_enrollment_cover_their_lines() -> None:
    text = clean_text(read_fixture(FIXTURES, "corpus_nct04244006_dupilumab_placebo"))
    record = parse_veeva(text)
    summary = record.spans["summary"]
    assert text[summary.start:summary.end].startswith("To date, there are no effective therapy")
    assert text[summary.start:summary.end].endswith("improvement of skin condition.")
    enrollment = record.spans["enrollment"]
    assert text[enrollment.start:enrollment.end] == "24 estimated patients"


def test_nct07110662_identifiers_and_phases() -> None:
    record = parse_veeva(read_fixture(FIXTURES, "corpus_nct07110662_daratumumab_ten"))
    assert record.registry_ids == (
        Identifier("NCT", "NCT07110662"),
        Identifier("EU_CT", "2024-512164-63-00", "EU Trial (CTIS) Number"),
        Identifier("SPONSOR", "69HCL23_1000"),
    )
    assert record.phases == ("PHASE1", "PHASE2")
    assert (record.title, record.acronym) == (
        "New Therapeutic Target for Toxic Epidermal Necrolysis (TEN) Using Anti-CD38+ "
        "Monoclonal Antibodies.", "NET-CD38")
    assert record.sponsor == "Civil Hospices of Lyon"
    assert record.interventions[0].type == "Drug"
    assert record.interventions[0].name == "DARATUMUMAB (DARZALEX®)"


def test_nct04244006_two_arms_with_placebo_comparator() -> None:
    record = parse_veeva(read_fixture(FIXTURES, "corpus_nct04244006_dupilumab_placebo"))
    assert [(arm.label, arm.role, arm.interventions) for arm in record.arms] == [
        ("Dupilumab", "EXPERIMENTAL", ("Dupilumab Prefilled Syringe",)),
        ("Placebo", "PLACEBO_COMPARATOR", ("Placebo Prefilled Syringe",)),
    ]
    assert record.sponsor == "Toulouse University Hospital"  # not the "T" placeholder


def test_thousands_separator_and_non_integer_enrollment() -> None:
    counted = parse_veeva(read_fixture(FIXTURES, "reordered_crlf_nbsp_active_comparator")).enrollment
    assert counted is not None and (counted.count, counted.kind) == (3506, "ACTUAL")
    grouped = parse_veeva(read_fixture(FIXTURES, "observational_no_phase_blank_lines")).enrollment
    assert grouped is not None
    assert (grouped.count, grouped.raw) == (None, "Group 1:14;Group 2:14")


def test_trailing_abbreviation_is_not_an_acronym() -> None:
    record = parse_veeva(read_fixture(FIXTURES, "observational_no_phase_blank_lines"))
    assert record.acronym is None
    assert record.title is not None and record.title.endswith("Pulmonary Disease (COPD)")


def test_labels_without_values_are_none() -> None:
    record = parse_veeva(read_fixture(FIXTURES, "empty_labels_healthy_volunteers"))
    assert record.conditions == () and record.enrollment is None
    assert record.primary_purpose is None and record.masking is None
    assert record.eligibility.exclusion == ()


def test_contacts_are_not_kept() -> None:
    for case in CASES:
        dumped = json.dumps(to_json(parse_veeva(read_fixture(FIXTURES, case))), ensure_ascii=False)
        for name in ("Annie IUNG", "Benoit BENSAID", "Helene TEXIER", "María López"):
            assert name not in dumped


def test_parse_document_gives_one_record() -> None:
    records = parse_document(read_fixture(FIXTURES, "corpus_nct04244006_dupilumab_placebo"))
    assert len(records) == 1 and records[0].format == "veeva"


@pytest.mark.parametrize("case", CASES)
def test_detect_own_layout(case: str) -> None:
    assert detect(read_fixture(FIXTURES, case))


@pytest.mark.parametrize("name", ["002_25381bd40820c99d.txt", "003_de5121debf90b29f.txt",
                                  "004_81b4df8a86625b55.txt"])
def test_detect_rejects_other_corpus_documents(name: str) -> None:
    assert not detect((CORPUS / name).read_bytes().decode("utf-8"))


@pytest.mark.parametrize("text", [
    "Patients with conditions such as lupus were enrolled. The study type was interventional.",
    '{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}',
    "",
])
def test_detect_rejects_prose_and_json(text: str) -> None:
    assert not detect(text)


# Page lines mixed with arbitrary text: the reader must never fail nor point outside the text.
_WORDS = ["Status and phase", "Identifiers", "Enrollment", "Ages", "Treatments", "Drug: X",
          "3 participants in 2 patient groups", "Description:", "Treatment:", "Experimental group",
          "X (Y)", "  • item", "Phase 2", "1+ years old", ""]
_LINES = st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=20)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(_LINES)
def test_any_text_parses_with_spans_inside_it(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        record = parse_veeva(text)
    except SourceError as exc:  # a page with no title and no values
        assert "no title" in str(exc)
        return
    size = len(clean_text(text))
    assert all(0 <= (s.start or 0) <= (s.end or 0) <= size for s in record.spans.values())


_PAGE = "ClinicalTrials.Veeva\nMenu\n{title}\nAcme Pharma\n{status}\n{value}\nStudy type\n{kind}\n" \
        "Identifiers\nNCT01234567\nTrial design\nFunder types\nIndustry\n"


def _page(title: str = "A Trial of Drug X", status: str = "Status and phase", value: str = "Enrolling",
          kind: str = "Interventional") -> str:
    return _PAGE.format(title=title, status=status, value=value, kind=kind)


@pytest.mark.parametrize("title,expected", [
    ("Drug X in Pemphigus (The PALMA Study-)", ("Drug X in Pemphigus", "PALMA")),
    ("Drug X in Pemphigus (Ritux 3)", ("Drug X in Pemphigus", "Ritux 3")),
    ("Drug X in Pregnancy: a European Registry SABRE", ("Drug X in Pregnancy: a European Registry SABRE", "SABRE")),
    ("Drug X in Adults (Part 2)", ("Drug X in Adults (Part 2)", None)),  # a part number
    ("Drug X in Adults With HIV", ("Drug X in Adults With HIV", None)),  # a title word
    ("Drug X in Immune Thrombocytopenia (ITP)", ("Drug X in Immune Thrombocytopenia (ITP)", None)),
])
def test_acronym_written_forms(title: str, expected: tuple[str, str | None]) -> None:
    record = parse_veeva(_page(title=title))
    assert (record.title, record.acronym) == expected


@pytest.mark.parametrize("title,expected", [
    ("Drug X in Children With Eosinophilic Esophagitis (EoE KIDS)",
     ("Drug X in Children With Eosinophilic Esophagitis", "EoE KIDS")),  # two words, each 2+ capitals
    ("Drug X in Alopecia Areata (Open Label)", ("Drug X in Alopecia Areata (Open Label)", None)),
    ("Drug X in Alopecia Areata (AA)", ("Drug X in Alopecia Areata (AA)", None)),  # abbreviates the disease
    ("Drug X in Psoriasis (Anti IL-17A)", ("Drug X in Psoriasis (Anti IL-17A)", None)),  # "Anti": one capital
    ("Drug X in Adults (Cohort A B C D)", ("Drug X in Adults (Cohort A B C D)", None)),
])
def test_acronym_of_several_capitalised_words(title: str, expected: tuple[str, str | None]) -> None:
    record = parse_veeva(_page(title=title))
    assert (record.title, record.acronym) == expected


def test_observational_bare_status_heading() -> None:
    record = parse_veeva(_page(status="Status", value="Completed", kind="Observational"))
    assert (record.status, record.phases, record.study_type) == ("COMPLETED", (), "OBSERVATIONAL")
    assert record.sponsor == "Acme Pharma"
    assert detect(_page(status="Status", value="Completed", kind="Observational"))


def test_labels_without_values_keep_the_title_and_warn(caplog: pytest.LogCaptureFixture) -> None:
    text = ("ClinicalTrials.Veeva\nMenu\nAbatacept After Haploidentical Transplantation\nStatus and phase\n"
            "Conditions\nTreatments\nStudy type\nFunder types\nIdentifiers\nDetails and patient eligibility\n"
            "About\nTrial design\nTrial contacts and locations\n")
    record = parse_veeva(text)
    assert record.title == "Abatacept After Haploidentical Transplantation"
    assert (record.sponsor, record.registry_ids, record.status, record.conditions) == (None, (), None, ())
    assert "no field values" in caplog.text
    assert record.warnings == ("page has labels but no field values: only its title is read",)
    assert to_json(record)["warnings"] == list(record.warnings)


def test_a_degraded_page_is_linked_from_its_title_and_its_warning_is_in_the_graph() -> None:
    from kg.emit import Document, emit_record
    from kg.namespace import TKG
    from kg.normalize import default_lexicon, link_record

    text = ("ClinicalTrials.Veeva\nMenu\nAbatacept for Graft-versus-Host Disease After Haploidentical "
            "Transplantation\nStatus and phase\nConditions\nTreatments\nStudy type\nIdentifiers\n")
    record = parse_veeva(text)
    links = link_record(default_lexicon(), record)
    assert {(lk.role, lk.text) for lk in links} >= {("title_drug", "abatacept"),
                                                   ("title_condition", "graft versus host disease")}
    emitted = emit_record(record, links, Document("p.txt", "0" * 64, "veeva", 0))
    assert [o for _, p, o in emitted.triples if p == str(TKG.readerWarning)] == [
        '"page has labels but no field values: only its title is read"']
    complete = parse_veeva(_page())
    assert complete.warnings == () and "warnings" not in to_json(complete)


def test_no_identifier_is_not_invented(caplog: pytest.LogCaptureFixture) -> None:
    record = parse_veeva(_page().replace("Identifiers\nNCT01234567\n", ""))
    assert record.registry_ids == () and record.status == "RECRUITING"
    assert "no registry identifier" in caplog.text


def test_no_title_and_no_values_is_refused() -> None:
    with pytest.raises(SourceError, match="no title"):
        parse_veeva("ClinicalTrials.Veeva\nMenu\nStatus and phase\nConditions\nTreatments\nIdentifiers\n")


UNSEEN = sorted(FIXTURES.glob("unseen*/*.txt"))  # both sets of scripts/score_readers.py


@pytest.mark.parametrize("path", UNSEEN, ids=lambda p: p.stem)
def test_unseen_documents_match_their_expected_fields(path: Path) -> None:
    assert_unseen_fields(to_json(parse_veeva(path.read_text(encoding="utf-8"))), path)
