"""Where the packaged files live: ontology, reference tables, queries, bundled corpus.

They resolve through importlib.resources so that an installed ``trialkg``
finds them from any directory (see ``[tool.setuptools.package-dir]``).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def _dir(package: str) -> Path:
    return Path(str(importlib.resources.files(package)))


def ontology_dir() -> Path:
    return _dir("kg.ontology")


def reference_dir() -> Path:
    return ontology_dir() / "reference"


def queries_dir() -> Path:
    return _dir("kg.queries")


def corpus_dir() -> Path:
    return _dir("kg.data.corpus")


def corpus_files() -> list[Path]:
    """The bundled sample corpus, in name order."""
    return sorted(p for p in corpus_dir().iterdir() if p.suffix == ".txt")
