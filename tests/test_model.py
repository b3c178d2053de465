"""The shared record model and its JSON form."""

from kg.model import Condition, Identifier, Span, StudyRecord, to_json
from kg.sources._common import classify_identifier, normalize_status, phases_in


def test_to_json_flattens_record_and_drops_empty_span_fields():
    rec = StudyRecord(
        format="veeva",
        registry_ids=(Identifier("NCT", "NCT00000001"),),
        conditions=(Condition("Lupus"),),
        spans={"title": Span(3, 3, 10, 20)},
    )
    out = to_json(rec)
    assert out["registry_ids"] == [{"scheme": "NCT", "value": "NCT00000001", "label": None}]
    assert out["eligibility"]["inclusion"] == []
    assert out["spans"] == {"title": {"line_start": 3, "line_end": 3, "start": 10, "end": 20}}


def test_identifier_schemes_come_from_shape():
    assert classify_identifier("NCT07110662") == "NCT"
    assert classify_identifier("2024-512164-63-00") == "EU_CT"
    assert classify_identifier("2017-001400-29") == "EUDRACT"
    assert classify_identifier("EUCTR2017-001400-29-FR") == "WHO_ICTRP"
    assert classify_identifier("69HCL23_1000") == "OTHER"
    assert classify_identifier("P150302", "Current Sponsor code") == "SPONSOR"


def test_phases_and_status_words():
    assert phases_in("Phase 2 / Phase I") == ["PHASE2", "PHASE1"]
    assert phases_in("Early Phase 1") == ["EARLY_PHASE1"]
    assert phases_in("no phase here") == []
    assert normalize_status("Not yet enrolling") == "NOT_YET_RECRUITING"
    assert normalize_status("something else") is None
