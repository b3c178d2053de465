"""Free-text letter reader (call for case reports): whole-record fixtures, spans, detection."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fixture_text import main_text, read_fixture, resolve, squash

from kg.model import to_json
from kg.sources import ictrp, letter
from kg.sources._common import clean_text

FIXTURES = Path(__file__).parent / "fixtures" / "letter"
CORPUS = Path(__file__).parent.parent / "kg" / "data" / "corpus"
CASES = (
    "fr_call_for_cases_numbered_criteria_dash_disease_list",
    "en_call_for_cases_dear_colleagues_doi_refs",
    "fr_objet_title_bullets_doi_pmid_refs",
    "en_two_drugs_multiline_signature_no_refs",
)
# Values derived from the text ("18 ans" -> "18 years"): the span must exist, not hold the value.
DERIVED = re.compile(r"^eligibility\.min_age$")


def read(name: str) -> str:
    return read_fixture(FIXTURES, name)


@pytest.mark.parametrize("case", CASES)
def test_whole_record_matches_expected_json(case: str) -> None:
    got = to_json(letter.parse_letter(read(case)))
    got.pop("spans")
    expected = json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))
    assert got == expected


@pytest.mark.parametrize("case", CASES)
def test_every_span_slice_holds_its_value(case: str) -> None:
    text = clean_text(read(case))
    rec = letter.parse_letter(read(case))
    data = to_json(rec)
    assert rec.spans
    for key, span in rec.spans.items():
        assert span.start is not None and span.end is not None
        assert 0 <= span.start < span.end <= len(text), key
        assert text.count("\n", 0, span.start) + 1 == span.line_start, key
        assert text.count("\n", 0, span.end) + 1 == span.line_end, key
        if DERIVED.match(key):
            assert re.search(r"\d+", text[span.start:span.end]), key
        else:
            assert squash(str(main_text(resolve(data, key), ("name", "raw")))) in squash(text[span.start:span.end]), key


def test_corpus_letter_key_facts() -> None:
    rec = letter.parse_letter(read(CASES[0]))
    assert len(rec.references) == 8
    assert [r.number for r in rec.references] == list(range(1, 9))
    assert len(rec.conditions) == 13
    assert rec.conditions[8].name == "Purpura thrombopénique immunologique"  # the " - " item
    assert len(rec.conditions[6].subtypes) == 3
    assert rec.conditions[12].subtypes == ()
    assert "life-threatening" in rec.references[0].raw
    assert rec.references[2].volume is None and rec.references[6].pages is None
    assert [i.name for i in rec.interventions] == ["daratumumab"]
    for key in ("references[7]", "conditions[6]", "interventions[0].name", "sponsor"):
        assert key in rec.spans


@pytest.mark.parametrize("case", CASES)
def test_signatories_and_contacts_are_never_kept(case: str) -> None:
    dumped = json.dumps(to_json(letter.parse_letter(read(case))), ensure_ascii=False)
    assert "@" not in dumped and "mailto" not in dumped
    for word in ("PETITDEMANGE", "GUFFROY", "KORGANOW", "Helena Marsh", "Julien Aubert",
                 "Claire Dumoulin", "Mathis Leroy", "Ana Ruiz", "FONTAINE", "03.69.55", "+44 114",
                 "04 67 33"):
        assert word not in dumped, word


@pytest.mark.parametrize("case", CASES)
def test_detects_every_letter_fixture(case: str) -> None:
    assert letter.detect(read(case))


@pytest.mark.parametrize("name", ["000_68a7e877c7eabcd1.txt", "001_9e8657f116fdd077.txt",
                                  "002_25381bd40820c99d.txt", "004_81b4df8a86625b55.txt"])
def test_does_not_detect_other_corpus_documents(name: str) -> None:
    assert not letter.detect((CORPUS / name).read_text(encoding="utf-8"))


def test_does_not_detect_the_ictrp_fixtures() -> None:
    for path in (FIXTURES.parent / "ictrp").glob("*.txt"):
        assert not letter.detect(path.read_bytes().decode("utf-8")), path.name


def test_does_not_detect_prose_or_a_newsletter() -> None:
    news = ("Hospital opens new wing. The regional hospital opened a new wing on Monday, treated "
            "with great enthusiasm by the staff. Patients will be collected by shuttle buses.")
    newsletter = ("Dear colleagues,\n\nThe annual meeting of the society will take place in Lyon "
                  "in June. Registration opens next week.\n\nBest regards,\nThe board")
    assert not letter.detect(news)
    assert not letter.detect(newsletter)
    assert not letter.detect("")


def test_letter_is_not_taken_for_an_ictrp_record() -> None:
    for case in CASES:
        assert not ictrp.detect(read(case)), case


def test_language_from_function_words() -> None:
    assert letter.guess_language("Nous avons traité les patients par le médicament dans le service") == "fr"
    assert letter.guess_language("We are collecting the cases of patients treated with the drug") == "en"
    assert letter.guess_language("Daratumumab 16 mg/kg") is None


def test_parse_document_returns_one_record() -> None:
    records = letter.parse_document(read(CASES[1]))
    assert len(records) == 1 and records[0].format == "letter"
