"""Hostile documents are read, or refused with a SourceError, in bounded time.

Deep JSON is refused by an explicit depth limit before it is parsed, and a word longer than
MAX_WORD by the dispatcher; 200 KB runs of one hostile unit (long words, blanks, "A-A-...",
parentheses...) in a title or a field go through reading, linking and emitting in linear time (the
patterns that backtracked on them were made linear); e-mail addresses never reach the emitted
N-Quads, citations included.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kg.model import SourceError
from kg.pipeline import DocResult, _lexicon, process
from kg.sources import MAX_WORD, detect_format, parse_bytes
from kg.sources.ctgov_v2 import MAX_DEPTH, json_depth
from kg.sources.inputs import DocumentRef

FIXTURES = Path(__file__).parent / "fixtures"
BOUND_S = 2.0  # per document; generous: each case takes well under 0.5 s (before: 2 s to hours)
RUN = 200_000  # characters of a hostile run


def words_of(unit: str) -> str:
    """About RUN characters of ``unit`` repeated, cut into words of MAX_WORD (the longest read)."""
    word = unit * (MAX_WORD // len(unit))
    return " ".join([word] * (RUN // len(word)))


# Runs that made a pattern backtrack: long words (the e-mail pattern), blanks (label, time frame,
# combination and MedDRA patterns), hyphenated capitals (abbreviations), quote-joined letters
# (author names), parentheses (parenthesised names), commas (affiliations).
RUNS = {"word": words_of("a"), "blanks": "x" + " " * RUN + "y", "hyphenated": words_of("A-"),
        "quoted": words_of("a'"), "parentheses": words_of("("), "commas": words_of("a,")}
# Where each text format prints its title: (fixture, text the run goes after).
TITLES = {
    "veeva": ("veeva/corpus_nct04244006_dupilumab_placebo.txt", "A Pilot Study of"),
    "clinconnect": ("clinconnect/corpus_nct06965244_no_interventions.txt", "Lenalidomide vs"),
    "ictrp": ("ictrp/euctr_two_products_double_blind_phase3.txt", "Public title:"),
    "letter": ("letter/fr_objet_title_bullets_doi_pmid_refs.txt", "Objet : Appel"),
}
V2 = FIXTURES / "ctgov_v2" / "samples" / "NCT03475563.json"
# v2 string fields a run goes into (each read, linked or scanned by a different path).
V2_FIELDS = (
    ("identificationModule", "briefTitle"),
    ("armsInterventionsModule", "interventions", 0, "name"),
    ("conditionsModule", "conditions", 0),
    ("eligibilityModule", "eligibilityCriteria"),
    ("referencesModule", "references", 0, "citation"),
    ("sponsorCollaboratorsModule", "leadSponsor", "name"),
)
DEEP = {
    "arrays": "[" * 100_000 + "]" * 100_000,
    "objects in a v2 study": '{"protocolSection": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001,
    "cut off": '{"protocolSection": ' + '{"a": [' * 50_000,
    "inside a string's escapes": '{"a": "\\\\\\"", "b": ' + "[" * 100_000,
}


@pytest.fixture(scope="module", autouse=True)
def lexicon_loaded() -> None:
    _lexicon()  # loaded once per process, outside the timed cases


def timed_process(tmp_path: Path, text: str, name: str = "doc.txt") -> tuple[DocResult, float]:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    start = time.perf_counter()
    result = process(DocumentRef(name, str(path)), None, "test")
    return result, time.perf_counter() - start


@pytest.mark.parametrize("name", DEEP)
def test_deep_json_is_refused_by_the_depth_limit_in_bounded_time(name: str, tmp_path: Path) -> None:
    text = DEEP[name]
    start = time.perf_counter()
    with pytest.raises(SourceError, match=r"nested \d+ levels deep, more than 200"):
        parse_bytes(text.encode(), "deep.json")
    assert time.perf_counter() - start < BOUND_S
    result, seconds = timed_process(tmp_path, text, "deep.json")
    assert result.error and "levels deep" in result.error and seconds < BOUND_S


def test_deep_json_is_claimed_by_the_v2_reader_so_the_reason_is_the_depth() -> None:
    assert detect_format("[" * 1000) == "ctgov_v2"


def test_nesting_up_to_the_limit_is_read() -> None:
    study = json.loads(V2.read_text(encoding="utf-8"))
    levels = MAX_DEPTH - 1  # with the study object itself: MAX_DEPTH
    study["unknownField"] = json.loads("[" * (levels - 1) + "[0]" + "]" * (levels - 1))
    text = json.dumps(study)
    assert json_depth(text) == MAX_DEPTH
    assert parse_bytes(text.encode(), "ok.json")[0].title
    study["unknownField"] = [study["unknownField"]]
    with pytest.raises(SourceError, match="201 levels deep"):
        parse_bytes(json.dumps(study).encode(), "deep.json")


@pytest.mark.parametrize("text,depth", [
    ("{}", 1), ('{"a": "[[{{"}', 1), ('{"a": [1, {"b": "x\\"]"}]}', 3), ('{"a\\\\": [[]]}', 3),
    ('"unterminated [[', 0), ("[[[", 3), ('["\\\\", ["\\"]"]]', 2),
])
def test_json_depth_counts_brackets_outside_strings(text: str, depth: int) -> None:
    assert json_depth(text) == depth


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("fmt", TITLES)
def test_a_200kb_run_in_a_title_is_read_linked_and_emitted_in_bounded_time(
        fmt: str, run: str, tmp_path: Path) -> None:
    fixture, anchor = TITLES[fmt]
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    assert anchor in text
    text = text.replace(anchor, f"{anchor} {RUNS[run]} contact: jane.doe@example.org", 1)
    result, seconds = timed_process(tmp_path, text)
    assert result.error is None and result.records, result.error
    assert seconds < BOUND_S, f"{fmt} {run}: {seconds:.2f} s"
    assert b"jane.doe@example.org" not in result.nquads


@pytest.mark.parametrize("run", ["word", "blanks", "hyphenated", "parentheses"])
@pytest.mark.parametrize("field", V2_FIELDS, ids=lambda f: "/".join(map(str, f)))
def test_a_200kb_run_in_a_v2_field_is_read_linked_and_emitted_in_bounded_time(
        field: tuple, run: str, tmp_path: Path) -> None:
    study = json.loads(V2.read_text(encoding="utf-8"))
    node = study["protocolSection"]
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = f"{node[field[-1]]} {RUNS[run]} and more"
    result, seconds = timed_process(tmp_path, json.dumps(study), "study.json")
    assert result.error is None and result.records, result.error
    assert seconds < BOUND_S, f"{field} {run}: {seconds:.2f} s"


def test_an_email_address_in_a_v2_citation_does_not_reach_the_nquads(tmp_path: Path) -> None:
    study = json.loads(V2.read_text(encoding="utf-8"))
    refs = study["protocolSection"]["referencesModule"]["references"]
    refs[0]["citation"] = "Doe J, Roe R. A trial. Lancet. 2020;1:2. Correspondence: jane.doe@example.org"
    result, _ = timed_process(tmp_path, json.dumps(study), "study.json")
    assert result.error is None
    assert b"jane.doe@example.org" not in result.nquads
    assert "Correspondence: [e-mail removed]".encode() in result.nquads


def test_an_email_address_in_a_letter_reference_does_not_reach_the_nquads(tmp_path: Path) -> None:
    text = (FIXTURES / "letter" / "en_call_for_cases_dear_colleagues_doi_refs.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    first_ref = next(i for i, ln in enumerate(lines) if ln.strip().startswith(("[1]", "1.", "1)")))
    lines[first_ref] += " (author: jane.doe@example.org)"
    result, _ = timed_process(tmp_path, "\n".join(lines))
    assert result.error is None
    assert b"jane.doe@example.org" not in result.nquads


@pytest.mark.parametrize("text", [
    "a" * 1_000_000 + " jane.doe@example.org",
    "jane.doe@example.org" + "a@" * 500_000,
    ("a." * 500_000) + "@",
], ids=["word", "at-signs", "dots"])
def test_email_scrubbing_is_linear_on_a_megabyte(text: str) -> None:
    from kg.sources._common import scrub_emails

    start = time.perf_counter()
    out = scrub_emails(text)
    assert time.perf_counter() - start < BOUND_S
    assert "jane.doe@example.org" not in out


def test_a_lone_surrogate_escaped_in_json_is_written_as_a_replacement_character(tmp_path: Path) -> None:
    text = V2.read_text(encoding="utf-8").replace('"briefTitle": "', '"briefTitle": "\\udb49 ', 1)
    assert "\\udb49" in text
    result, _ = timed_process(tmp_path, text, "study.json")
    assert result.error is None and result.records
    assert "\ufffd".encode() in result.nquads


@pytest.mark.parametrize("fmt", ["ictrp", "ctgov_v2"])
def test_an_absurdly_long_identifier_does_not_name_the_study(fmt: str, tmp_path: Path) -> None:
    # A study's identifier is in the IRI of every statement of its record: 200 KB of it made
    # hundreds of megabytes of N-Quads. Kept as an OTHER identifier, it is written a few times.
    long_id = "ChiCTR" + "(" * (MAX_WORD - 100)
    if fmt == "ictrp":
        text = (FIXTURES / "ictrp" / "chictr_observational_group_sizes_two_meddra.txt").read_text(encoding="utf-8")
        text = text.replace("Main ID: ChiCTR", f"Main ID: {long_id}", 1)
        name = "doc.txt"
    else:
        study = json.loads(V2.read_text(encoding="utf-8"))
        study["protocolSection"]["identificationModule"]["nctId"] = long_id
        text, name = json.dumps(study), "study.json"
    result, seconds = timed_process(tmp_path, text, name)
    assert result.error is None and result.records and seconds < BOUND_S
    assert len(result.nquads) < 20 * MAX_WORD * 3  # a handful of copies (percent-encoded in IRIs)
    records = parse_bytes(text.encode(), name)
    assert [i.scheme for i in records[0].registry_ids if len(i.value) >= MAX_WORD - 100] == ["OTHER"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_word_longer_than_the_limit_is_refused_naming_its_length(fmt: str) -> None:
    word = "a" * (MAX_WORD + 1)
    if fmt == "json":
        study = json.loads(V2.read_text(encoding="utf-8"))
        study["protocolSection"]["identificationModule"]["briefTitle"] = word
        data = json.dumps(study, separators=(",", ":")).encode()
    else:
        data = (FIXTURES / TITLES["veeva"][0]).read_text(encoding="utf-8").replace("A Pilot", f"A {word}").encode()
    start = time.perf_counter()
    with pytest.raises(SourceError, match=f"a word of {MAX_WORD + 1:,} characters") as info:
        parse_bytes(data, "long.txt")
    assert info.value.path == "long.txt" and time.perf_counter() - start < BOUND_S


def test_minified_json_is_not_one_long_word() -> None:
    study = json.loads(V2.read_text(encoding="utf-8"))
    assert parse_bytes(json.dumps(study, separators=(",", ":")).encode(), "min.json")[0].title


def test_a_folder_with_two_hostile_documents_builds_the_rest_and_lists_both(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from kg.resources import corpus_files

    folder = tmp_path / "docs"
    folder.mkdir()
    for path in corpus_files():
        shutil.copy(path, folder / path.name)
    (folder / "deep.json").write_text(DEEP["objects in a v2 study"], encoding="utf-8")
    veeva = (FIXTURES / TITLES["veeva"][0]).read_text(encoding="utf-8")
    (folder / "long-word.txt").write_text(veeva.replace("A Pilot", "A " + "a" * RUN), encoding="utf-8")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "kg.cli", "build", str(folder), "--store", str(tmp_path / "store"),
                          "--quiet", "--no-headline", "--view", str(tmp_path / "view.html")],
                         capture_output=True, text=True, timeout=120)
    assert time.perf_counter() - start < 60
    assert run.returncode == 1 and "Traceback" not in run.stdout + run.stderr
    assert "errors:    2" in run.stdout
    assert f"studies:   {len(corpus_files())}" in run.stdout  # one study per bundled document
    errors = [ln.strip() for ln in run.stdout.splitlines() if ln.startswith("  ")]
    assert any("deep.json" in e and "levels deep" in e for e in errors), errors
    assert any("long-word.txt" in e and "a word of 200,0" in e for e in errors), errors
    assert run.stderr.strip() == "2 document(s) refused (the others are built): see errors above"
