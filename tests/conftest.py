"""Shared fixtures: one corpus build per test session (in memory)."""

import pytest

from kg.build import build
from kg.store import open_store


@pytest.fixture(scope="session")
def corpus_build():
    store = open_store(None)
    report = build(None, store, progress=False)
    return store, report


@pytest.fixture(scope="session")
def corpus_store(corpus_build):
    return corpus_build[0]


@pytest.fixture(scope="session")
def corpus_report(corpus_build):
    return corpus_build[1]
