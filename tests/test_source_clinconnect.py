"""ClinConnect reader: whole records against hand-written JSON, spans, detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_text import assert_unseen_fields, read_fixture, resolve
from hypothesis import given, settings
from hypothesis import strategies as st

import kg.data.corpus
from kg.model import Identifier, SourceError, StudyDate, to_json
from kg.sources._common import clean_text, normalize_status, phases_in
from kg.sources.clinconnect import detect, parse_clinconnect, parse_document

FIXTURES = Path(__file__).parent / "fixtures" / "clinconnect"
CORPUS = Path(kg.data.corpus.__file__).parent
CASES = sorted(path.stem for path in FIXTURES.glob("*.txt"))
CORPUS_CASE = "corpus_nct06965244_no_interventions"


def test_cases_have_fixtures() -> None:
    assert len(CASES) >= 4
    assert all((FIXTURES / f"{case}.json").exists() for case in CASES)


@pytest.mark.parametrize("case", CASES)
def test_record_equals_expected_json(case: str) -> None:
    out = to_json(parse_clinconnect(read_fixture(FIXTURES, case)))
    out.pop("spans")
    assert out == json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES)
def test_span_text_is_the_value(case: str) -> None:
    text = clean_text(read_fixture(FIXTURES, case))
    record = parse_clinconnect(text)
    out = to_json(record)
    assert {"title", "registry_ids[0]", "status"} <= set(record.spans)
    for key, span in record.spans.items():
        piece = text[span.start:span.end]
        assert text[:span.start].count("\n") + 1 == span.line_start, key
        value = resolve(out, key)
        if key.startswith("phases["):
            assert value in phases_in(piece), key
        elif key == "status":
            assert normalize_status(piece) == value
        elif key.startswith("dates["):
            assert piece[-4:] == value["value"][:4], key  # the year, as written and as ISO
        elif key == "registry_ids[0]":
            assert piece == value["value"]
        elif key not in ("summary", "eligibility.sex"):
            assert " ".join(piece.split()) == value, key  # an item may run over two lines


def test_nct06965244_has_no_interventions_and_its_page_fields() -> None:
    record = parse_clinconnect(read_fixture(FIXTURES, CORPUS_CASE))
    assert record.interventions == () and record.arms == ()
    assert record.registry_ids == (Identifier("NCT", "NCT06965244"),)
    assert record.sponsor == "ASSISTANCE PUBLIQUE - HÔPITAUX DE PARIS"
    assert record.dates == (StudyDate("launched", "2025-05-07"),
                            StudyDate("current_as_of", "2025-07-01"))
    assert record.phases == () and record.status == "NOT_YET_RECRUITING"
    assert len(record.keywords) == 1  # one line of words on the page: kept as written


def test_criteria_split_at_heading_items_and_sub_bullets_stay_items() -> None:
    eligibility = parse_clinconnect(read_fixture(FIXTURES, CORPUS_CASE)).eligibility
    assert eligibility.inclusion[0] == "Patients of at least 18 years of age"
    assert "stable dose of GCs ≤15mg/day and/or" in eligibility.inclusion
    assert eligibility.exclusion[0].startswith("Kidney function")
    items = eligibility.inclusion + eligibility.exclusion
    assert not any(item.lower().endswith("criteria:") for item in items)
    assert not any("AP-HP" in item for item in items)  # "About <sponsor>" is not an item


def test_keywords_on_separate_lines_are_separate() -> None:
    record = parse_clinconnect(read_fixture(FIXTURES, "blank_lines_keyword_lines_sub_bullets"))
    assert record.keywords == (
        "Sjögren Syndrome", "Salivary Gland Ultrasound", "Observational Cohort")


def test_missing_gender_value_and_launch_date() -> None:
    record = parse_clinconnect(read_fixture(FIXTURES, "missing_sections_no_launch_date"))
    assert record.eligibility.sex is None and record.dates == () and record.keywords == ()
    assert record.eligibility.inclusion[1] == "Able to walk 10 metres with or without a walking aid"


def test_parse_document_gives_one_record() -> None:
    records = parse_document(read_fixture(FIXTURES, CORPUS_CASE))
    assert len(records) == 1 and records[0].format == "clinconnect"


@pytest.mark.parametrize("case", CASES)
def test_detect_own_layout(case: str) -> None:
    assert detect(read_fixture(FIXTURES, case))


@pytest.mark.parametrize("name", ["000_68a7e877c7eabcd1.txt", "001_9e8657f116fdd077.txt",
                                  "002_25381bd40820c99d.txt", "003_de5121debf90b29f.txt"])
def test_detect_rejects_other_corpus_documents(name: str) -> None:
    assert not detect((CORPUS / name).read_bytes().decode("utf-8"))


@pytest.mark.parametrize("text", [
    "The trial was launched by a hospital in May. Its summary is available online.",
    '{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}',
    "",
])
def test_detect_rejects_prose_and_json(text: str) -> None:
    assert not detect(text)


# Page lines mixed with arbitrary text: the reader must never fail nor point outside the text.
_WORDS = ["Search / Trial NCT01234567", "Launched by X · May 7, 2025", "Trial Information",
          "Timeline", "First submit", "Eligibility criteria", "  • Inclusion Criteria:",
          "  • item",
          "Current as of May 1, 2025", "About X", "Phase 2", "Keywords", "Gender", ""]
_LINES = st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=20)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(_LINES)
def test_any_text_parses_with_spans_inside_it(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        record = parse_clinconnect(text)
    except SourceError as exc:  # a page with no title and no values
        assert "no title" in str(exc)
        return
    size = len(clean_text(text))
    assert all(0 <= (s.start or 0) <= (s.end or 0) <= size for s in record.spans.values())


def _cc(title: str = "Drug X for Disease Y", trial: str = "Search / Trial NCT01234567\n", body: str = "") -> str:
    return (f"ClinConnect ClinConnect Logo\n{trial}{title}\nLaunched by Acme · May 7, 2025\n"
            f"Trial Information\nRecruiting\nPhase 2\n{body}Gender\nALL\n")


def test_older_layout_description_is_the_summary_not_keywords() -> None:
    record = parse_clinconnect(_cc(body="Keywords\nSystemic Sclerosis Lung Fibrosis\nDescription\n"
                                        "First paragraph.\n\nSecond paragraph.\n"))
    assert record.keywords == ("Systemic Sclerosis Lung Fibrosis",)
    assert record.summary == "First paragraph.\n\nSecond paragraph."
    assert detect("ClinConnect ClinConnect Logo\nA title\nDescription\nText.\n")


@pytest.mark.parametrize("title,acronym", [
    ("Drug X in Membranous Nephropathy (The MONET Study-)", "MONET"),
    ("Drug X in Adolescents Living With HIV", None),  # a title word, not an acronym
])
def test_title_acronym(title: str, acronym: str | None) -> None:
    record = parse_clinconnect(_cc(title=title))
    assert (record.title, record.acronym) == (title, acronym)


def test_location_lines_give_their_countries_and_nothing_else() -> None:
    page = _cc(body="Locations\nBasel, Switzerland\nParis, France\nLyon, France\n"
                    "Boston, Massachusetts, United States\nHôpital Saint-Louis\nNew Jersey, Springfield\n"
                    "Patients applied\n0 patients applied\n")
    record = parse_clinconnect(page)
    assert record.countries == ("Switzerland", "France", "United States")
    text = clean_text(page)
    for i, name in enumerate(record.countries):
        span = record.spans[f"countries[{i}]"]
        assert text[span.start:span.end] == name
    assert parse_clinconnect(_cc(body="Locations\nPatients applied\n0 patients applied\n")).countries == ()
    assert parse_clinconnect(_cc()).countries == ()


def test_page_without_identifier_is_read_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    record = parse_clinconnect(_cc(trial=""))
    assert record.registry_ids == () and record.title == "Drug X for Disease Y"
    assert record.sponsor == "Acme" and record.status == "RECRUITING"
    assert "no registry identifier" in caplog.text


def test_no_title_and_no_values_is_refused() -> None:
    with pytest.raises(SourceError, match="no title"):
        parse_clinconnect("ClinConnect ClinConnect Logo\nTrial Information\nGender\n")


UNSEEN = sorted(FIXTURES.glob("unseen*/*.txt"))  # both sets of scripts/score_readers.py


@pytest.mark.parametrize("path", UNSEEN, ids=lambda p: p.stem)
def test_unseen_documents_match_their_expected_fields(path: Path) -> None:
    assert_unseen_fields(to_json(parse_clinconnect(path.read_text(encoding="utf-8"))), path)
