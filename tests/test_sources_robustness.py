"""Any input gives records or a SourceError naming the reason; the CLI reports and goes on."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.model import SourceError, to_json
from kg.resources import corpus_files
from kg.sources import decode, detect_format, parse_text, read_document

CORPUS = [p.read_text(encoding="utf-8") for p in corpus_files()]
SCHEMA = json.loads((Path(__file__).parent.parent / "kg" / "schema" / "record.schema.json").read_text())
CTGOV = sorted((Path(__file__).parent / "fixtures" / "ctgov_v2" / "samples").glob("NCT*.json"))


def _parse_or_source_error(text: str) -> None:
    try:
        for rec in parse_text(text):
            jsonschema.validate(to_json(rec), SCHEMA)
    except SourceError as exc:
        assert str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_random_text_gives_records_or_a_source_error(text):
    _parse_or_source_error(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CORPUS), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 400), st.text(max_size=30)), max_size=6))
def test_mutated_corpus_documents_give_records_or_a_source_error(doc, edits):
    for pos, cut, insert in edits:
        pos %= max(len(doc), 1)
        doc = doc[:pos] + insert + doc[pos + cut:]
    _parse_or_source_error(doc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CTGOV), st.integers(1, 5000))
def test_truncated_ctgov_json_gives_records_or_a_source_error(path, cut):
    _parse_or_source_error(path.read_text(encoding="utf-8")[:-cut])


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_decode_and_parse_or_give_a_source_error(data):
    try:
        _parse_or_source_error(decode(data))
    except SourceError:
        pass


def test_latin1_input_is_decoded(tmp_path):
    text = CORPUS[[detect_format(t) for t in CORPUS].index("ictrp")]
    path = tmp_path / "latin1.txt"
    path.write_bytes(text.replace("’", "'").encode("latin-1", errors="replace"))
    _, records = read_document(path)
    assert records[0].registry_ids


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty document"),
    ("binary.bin", b"\x00\x01\x02PNG\x00\x00" * 50, "binary file"),
    ("truncated.json", b'{"protocolSection": {"identificationModule": {"nctId": "NCT0', "JSON"),
    ("unknown.txt", b"Minutes of the garden club meeting.\nWe planted roses.\n", "unknown format"),
])
def test_bad_input_is_one_line_naming_the_file_and_exit_1(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    run = subprocess.run([sys.executable, "-m", "kg.cli", "extract", str(path)], capture_output=True, text=True)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and reason.lower() in lines[0].lower()


def test_a_batch_goes_on_past_bad_files_and_lists_failures(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    good = corpus_files()[0]
    run = subprocess.run([sys.executable, "-m", "kg.cli", "extract", str(bad), str(good)], capture_output=True, text=True)
    assert run.returncode == 1
    assert json.loads(run.stdout.splitlines()[0])["registry_ids"]
    assert "1 of 2 files failed" in run.stderr and "bad.txt" in run.stderr


def test_every_extracted_corpus_record_follows_the_json_schema():
    run = subprocess.run([sys.executable, "-m", "kg.cli", "extract", "--json", *map(str, corpus_files())],
                         capture_output=True, text=True, check=True)
    objects = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(objects) == 5
    for obj in objects:
        jsonschema.validate(obj, SCHEMA)
