"""ClinicalTrials.gov API v2 reader: real samples against their JSON, a hand-written study,
the page form, pointers, errors and detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import kg.data.corpus
from kg.model import SourceError, to_json
from kg.sources.ctgov_v2 import detect, parse_ctgov_v2, parse_document, split_criteria

FIXTURES = Path(__file__).parent / "fixtures" / "ctgov_v2"
SAMPLES = sorted(path.name for path in (FIXTURES / "samples").glob("*.json"))
CORPUS = Path(kg.data.corpus.__file__).parent
HANDWRITTEN = "secondary_ids_mesh_contacts"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _pointer(doc: Any, pointer: str) -> Any:
    """Resolve an RFC 6901 pointer (no escaped keys occur in v2 field names)."""
    for part in pointer.split("/")[1:]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def test_eight_samples_present() -> None:
    assert len(SAMPLES) == 8


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_matches_its_json(name: str) -> None:
    text = _text(f"samples/{name}")
    study = json.loads(text)["protocolSection"]
    record = parse_ctgov_v2(text)
    ident, design = study["identificationModule"], study["designModule"]
    arms = study.get("armsInterventionsModule", {})
    assert record.registry_ids[0].value == ident["nctId"] == name[:-5]
    assert record.registry_ids[0].scheme == "NCT"
    assert record.title == ident["briefTitle"]
    assert record.status == study["statusModule"]["overallStatus"]
    assert set(record.phases) == set(design.get("phases", []))
    assert [c.name for c in record.conditions] == study["conditionsModule"]["conditions"]
    assert [i.name for i in record.interventions] == [
        i["name"] for i in arms.get("interventions", [])]
    assert [(a.label, a.role) for a in record.arms] == [
        (a["label"], a.get("type")) for a in arms.get("armGroups", [])]
    assert record.enrollment is not None
    assert record.enrollment.count == design["enrollmentInfo"]["count"]
    assert record.enrollment.kind == design["enrollmentInfo"].get("type")
    assert record.sponsor == study["sponsorCollaboratorsModule"]["leadSponsor"]["name"]
    assert record.study_type == design["studyType"]
    assert record.eligibility.inclusion  # every sample states inclusion criteria


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_pointers_resolve_to_the_values(name: str) -> None:
    text = _text(f"samples/{name}")
    doc, record = json.loads(text), parse_ctgov_v2(text)
    out = to_json(record)
    for key, span in out["spans"].items():
        assert span["line_start"] == 0 and _pointer(doc, span["pointer"]) is not None, key
    for key in ("title", "sponsor", "status_text", "study_type"):
        assert _pointer(doc, out["spans"][key]["pointer"]) == out[key], key


def test_arm_intervention_names_lose_their_type_prefix() -> None:
    record = parse_ctgov_v2(_text("samples/NCT04207047.json"))
    names = {i.name for i in record.interventions}
    assert record.arms[3].interventions == ("Genius", "eC02", "PicoPlus", "LaseMD", "LaseMD Flex")
    assert all(set(arm.interventions) <= names for arm in record.arms)


def test_handwritten_study_equals_expected_json() -> None:
    out = to_json(parse_ctgov_v2(_text(f"{HANDWRITTEN}.json")))
    out.pop("spans")
    assert out == json.loads(_text(f"{HANDWRITTEN}.expected.json"))


def test_mesh_ids_only_for_matching_names() -> None:
    record = parse_ctgov_v2(_text(f"{HANDWRITTEN}.json"))
    assert [(c.name, c.mesh_ids) for c in record.conditions] == [
        ("Plaque Psoriasis", ()), ("Psoriasis", ("D000011565",))]
    assert [i.mesh_ids for i in record.interventions] == [(), ("D000068879",), ()]


def test_contacts_are_not_kept() -> None:
    dumped = json.dumps(to_json(parse_ctgov_v2(_text(f"{HANDWRITTEN}.json"))))
    for contact in ("trials@galexa.example", "555 0100", "Jeanne Martin", "Clinical Trials Desk"):
        assert contact not in dumped


def test_page_form_gives_every_study_with_prefixed_pointers() -> None:
    records = parse_document(_text("page_two_studies.json"))
    assert [r.registry_ids[0].value for r in records] == ["NCT09990011", "NCT09990012"]
    assert [r.study_type for r in records] == ["INTERVENTIONAL", "OBSERVATIONAL"]
    assert records[0].phases == ("NA",) and records[1].phases == ()
    assert records[0].arms[0].interventions == ("Ketone ester drink",)
    title = "/studies/1/protocolSection/identificationModule/briefTitle"
    assert records[1].spans["title"].pointer == title
    assert records[1].eligibility.inclusion == (
        "Adults with HFpEF seen at a participating clinic.",)


def test_single_study_reader_refuses_a_page_of_two() -> None:
    with pytest.raises(SourceError, match="page of 2"):
        parse_ctgov_v2(_text("page_two_studies.json"))


@pytest.mark.parametrize(("name", "reason"), [
    ("truncated_study.json", "truncated JSON"),
    ("invalid_trailing_comma.json", "invalid JSON"),
    ("no_protocol_section.json", "no protocolSection"),
])
def test_unreadable_documents_raise_source_error(name: str, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        parse_document(_text(name))


def test_criteria_headings_bullets_and_continuations() -> None:
    text = ("Main Inclusion Criteria:\n\n1. Age 18 or over\n2. Signed consent,\n   witnessed\n\n"
            "  * sub-item\n\nNon-inclusion criteria:\n\n- Pregnancy\n-Two prior lines")
    assert split_criteria(text) == {
        "inclusion": ["Age 18 or over", "Signed consent, witnessed", "sub-item"],
        "exclusion": ["Pregnancy", "Two prior lines"],
    }
    assert split_criteria("Inclusion Criteria:• Age 20 to 45\nExclusion criteria:\n* Smoker") == {
        "inclusion": ["Age 20 to 45"], "exclusion": ["Smoker"]}
    assert split_criteria(None) == {"inclusion": [], "exclusion": []}


@pytest.mark.parametrize("name", SAMPLES)
def test_detect_samples(name: str) -> None:
    assert detect(_text(f"samples/{name}"))


def test_detect_page_and_cut_off_study() -> None:
    assert detect(_text("page_two_studies.json"))
    assert detect(_text("truncated_study.json"))  # claimed, so the reader says it is truncated


@pytest.mark.parametrize("text", [
    (CORPUS / "000_68a7e877c7eabcd1.txt").read_text(encoding="utf-8"),
    (CORPUS / "001_9e8657f116fdd077.txt").read_text(encoding="utf-8"),
    (CORPUS / "002_25381bd40820c99d.txt").read_text(encoding="utf-8"),
    (CORPUS / "003_de5121debf90b29f.txt").read_text(encoding="utf-8"),
    (CORPUS / "004_81b4df8a86625b55.txt").read_text(encoding="utf-8"),
    "A protocolSection is a part of a registry record.",
    '{"study": {"nctId": "NCT00000001"}}',
    '[{"protocolSection": {}}]',
    '{"studies": []}',
])
def test_detect_rejects_other_documents(text: str) -> None:
    assert not detect(text)
