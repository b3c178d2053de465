"""Mutated fixtures of every format go through the whole per-document step (read, parse, link,
emit: ``kg.pipeline.process``) giving records or a SourceError refusal, each in bounded time.

The mutations are those of scripts/fuzz_readers.py (which runs them at scale), drawn here by
hypothesis with a fixed budget and a fixed seed. tests/test_sources_robustness.py covers random
text and small random edits of the bundled corpus through ``parse_text``; this file adds every
fixture format, byte-level edits (flips, cut UTF-8, control bytes), duplicated slices, long
hostile runs, deep JSON and type-changed or long JSON values (valid JSON reaching the reader), and goes on past parsing into linking and emitting.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.model import SourceError
from kg.sources import parse_bytes
from kg.sources.inputs import DocumentRef

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("fuzz_readers", ROOT / "scripts" / "fuzz_readers.py")
assert _spec and _spec.loader
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_readers"] = fuzz  # its dataclass looks its module up there
_spec.loader.exec_module(fuzz)

DOCS = [(fmt, path.read_bytes()) for fmt, path in fuzz.fixtures()]
BOUND_S = 2.0
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

fractions = st.floats(0, 1, allow_nan=False)
odd_text = st.text(st.one_of(st.sampled_from(fuzz.ODD_CHARS), st.characters()), min_size=1, max_size=30)
mutations = st.one_of(
    st.builds(fuzz.Mutation, st.just("flip"), fractions, st.integers(1, 64)),
    st.builds(fuzz.Mutation, st.just("truncate"), fractions, st.just(0)),
    st.builds(fuzz.Mutation, st.just("duplicate"), fractions, st.integers(1, 4_000),
              times=st.integers(1, 5)),
    st.builds(fuzz.Mutation, st.just("insert"), fractions, st.just(0), odd_text),
    st.builds(fuzz.Mutation, st.just("run"), fractions, st.sampled_from([500, 50_000]),
              st.sampled_from(fuzz.RUN_UNITS)),
    st.builds(fuzz.Mutation, st.just("nest"), fractions, st.sampled_from([3, 150, 200, 201, 100_000])),
    st.builds(fuzz.Mutation, st.just("field"), fractions, st.integers(1, 2), odd_text),
    st.builds(fuzz.Mutation, st.just("field"), fractions, st.just(50_000), st.sampled_from(fuzz.RUN_UNITS)),
    st.builds(fuzz.Mutation, st.just("retype"), fractions, st.integers(0, 2 * len(fuzz.ODD_VALUES))),
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    fuzz.warm_up([(fmt, path, b"") for fmt, path in fuzz.fixtures()])  # lexicon tables, untimed
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def mutated(index: int, muts: list) -> bytes:
    data = DOCS[index % len(DOCS)][1]
    for m in muts:
        data = fuzz.apply(data, m)
    return data


def test_every_format_has_fixtures_to_mutate() -> None:
    assert {fmt for fmt, _ in DOCS} == set(fuzz.FORMATS)


@settings(FUZZ, max_examples=800)
@given(index=st.integers(0, len(DOCS) - 1), muts=st.lists(mutations, min_size=1, max_size=3))
def test_mutated_documents_give_records_or_a_source_error_in_bounded_time(
        folder: Path, index: int, muts: list) -> None:
    outcome, seconds, trace = fuzz.run_one(mutated(index, muts), folder)
    assert outcome in ("returned", "source_error"), trace
    assert seconds < BOUND_S, f"{seconds:.2f} s"


@settings(FUZZ, max_examples=200)
@given(index=st.integers(0, len(DOCS) - 1), muts=st.lists(mutations, min_size=1, max_size=3))
def test_parse_bytes_alone_raises_nothing_but_source_error(index: int, muts: list) -> None:
    try:
        records = parse_bytes(mutated(index, muts), "fuzzed")
    except SourceError as exc:
        assert exc.reason and exc.path == "fuzzed"
    else:
        assert all(rec.format in fuzz.FORMATS for rec in records)


JSON_DOCS = [i for i, (fmt, _) in enumerate(DOCS) if fmt == "ctgov_v2"]


@settings(FUZZ, max_examples=60)
@given(index=st.sampled_from(JSON_DOCS), levels=st.integers(1, 400), at=fractions)
def test_json_nesting_is_read_up_to_the_limit_and_refused_beyond(
        folder: Path, index: int, levels: int, at: float) -> None:
    data = fuzz.apply(DOCS[index][1], fuzz.Mutation("nest", min(at, 0.49), levels))
    start = time.perf_counter()
    try:
        parse_bytes(data, "deep.json")
    except SourceError as exc:
        refused_for_depth = "levels deep" in exc.reason
    else:
        refused_for_depth = False
    assert time.perf_counter() - start < BOUND_S
    # The nested value is a new member of the top object: its levels plus that object's one
    # (the fixtures themselves nest at most 11 deep).
    assert refused_for_depth == (levels + 1 > 200)
