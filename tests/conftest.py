"""Shared fixtures: one corpus build per test session (in memory)."""

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.store import open_store


@pytest.fixture(scope="session")
def corpus_build():
    store = open_store(None)
    report = build(None, store, progress=False)
    return store, report


@pytest.fixture(scope="session")
def curated_corpus_store():
    """The corpus over the curated reference tables only (11,000 triples): for checks of dump syntax
    in other parsers, which need every kind of statement but not the 390,000 bulk reference triples."""
    from kg.refdata import load_reference

    store = open_store(None)
    build(None, store, progress=False, ref=load_reference(bulk=False))
    return store


@pytest.fixture(scope="session")
def curated_ref():
    """The curated reference tables only, for builds of a few small documents whose point is identity,
    order or provenance rather than linking: such a build takes 0.5 s instead of 6 s (no 390,000 bulk
    reference triples to load into each fresh store)."""
    from kg.refdata import load_reference

    return load_reference(bulk=False)


@pytest.fixture(scope="session")
def corpus_store(corpus_build):
    return corpus_build[0]


@pytest.fixture(scope="session")
def corpus_report(corpus_build):
    return corpus_build[1]


@pytest.fixture(scope="session")
def store_dir(corpus_store, tmp_path_factory) -> str:
    """The corpus in an on-disk store a command can open (closed here first)."""
    path = tmp_path_factory.mktemp("store") / "store"
    disk = ox.Store(str(path))
    disk.bulk_extend(corpus_store)  # the same quads as extend(), without a transaction: 7 s instead of 30
    disk.flush()
    del disk
    return str(path)
