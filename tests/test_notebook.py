"""notebooks/01-explore.ipynb runs top to bottom (nbclient, kernel "python3") and only calls into kg."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import kg

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01-explore.ipynb"
# The kernel imports the same kg as the tests, wherever the package is installed from.
SOURCE_ROOT = str(Path(kg.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    work = tmp_path_factory.mktemp("notebook")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (SOURCE_ROOT, os.environ.get("PYTHONPATH")) if p))
        NotebookClient(nb, kernel_name="python3", timeout=300,
                       resources={"metadata": {"path": str(work)}}).execute()
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def _code(nb_path: Path = NOTEBOOK) -> list[str]:
    nb = nbformat.read(nb_path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def test_notebook_runs_without_error(executed):
    assert not [out for out in _outputs(executed) if out.output_type == "error"]


def test_notebook_shows_the_headline_query_as_a_dataframe(executed):
    tables = [out.data["text/html"] for out in _outputs(executed)
              if out.output_type == "execute_result" and "text/html" in out.get("data", {})]
    assert any("<table" in t and "daratumumab" in t for t in tables)


def test_notebook_shows_the_focused_view_inline(executed):
    frames = [out.data["text/html"] for out in _outputs(executed) if "text/html" in out.get("data", {})]
    assert any("<iframe srcdoc=" in f and "vis.Network" in f for f in frames)


def test_notebook_prints_explanation_paths(executed):
    printed = "".join(out.get("text", "") for out in _outputs(executed) if out.output_type == "stream")
    assert "path 1" in printed


def test_notebook_imports_only_from_kg():
    modules = {node.module.split(".")[0] for src in _code() for node in ast.walk(ast.parse(src))
               if isinstance(node, ast.ImportFrom)}
    plain = [node for src in _code() for node in ast.walk(ast.parse(src)) if isinstance(node, ast.Import)]
    assert modules == {"kg"} and not plain


def test_notebook_defines_no_logic_of_its_own():
    kinds = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.Lambda, ast.ListComp, ast.DictComp)
    assert not [node for src in _code() for node in ast.walk(ast.parse(src)) if isinstance(node, kinds)]


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
