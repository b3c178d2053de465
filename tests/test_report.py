"""kg.report on the bundled corpus: the landscape's numbers, its PNG figures, and notebooks/02-landscape.ipynb."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import kg
from kg import report

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02-landscape.ipynb"
PNG = b"\x89PNG\r\n\x1a\n"


def test_drug_classes_by_disease_area_count_studies_once_per_cell(corpus_store):
    counts = report.class_area_counts(corpus_store)
    # Daratumumab (L01FC) in the Strasbourg call and in NCT07110662 (toxic epidermal necrolysis, a skin
    # disorder); lenalidomide (L04AX) in cutaneous lupus; dupilumab (D11AH) in Netherton syndrome.
    assert counts[("antineoplastic agents", "integumentary system disorder")] == 2
    assert counts[("immunosuppressants", "immune system disorder")] == 1
    assert counts[("dermatologicals", "integumentary system disorder")] == 1
    assert all(n > 0 for n in counts.values())
    assert not any(area == "infectious disease" for _, area in counts)  # no study of an infection


def test_every_study_is_counted_by_start_year_and_phase(corpus_store):
    counts = report.phase_year_counts(corpus_store)
    assert counts[("2018", "phase 1")] == counts[("2018", "phase 2")] == 1  # the phase 1/2 EUCTR trial
    assert ("not stated", "not stated") in counts  # the call for case reports has neither


def test_repurposed_mechanisms_are_those_of_drugs_tested_outside_their_approvals(corpus_store):
    top = dict(report.repurposed_mechanisms(corpus_store))
    assert top["CELL_DEPLETION CD38"] == 2  # daratumumab, approved for myeloma, in TEN and in autoimmunity
    assert "MODULATOR CRBN" in top  # lenalidomide in cutaneous lupus
    assert "ANTAGONIST IL4R" in top  # dupilumab (atopic dermatitis) in Netherton syndrome


def test_write_report_gives_three_identical_pngs_twice(corpus_store, tmp_path):
    first = report.write_report(corpus_store, tmp_path / "a")
    second = report.write_report(corpus_store, tmp_path / "b")
    assert [p.name for p in first] == ["class-by-area.png", "phase-by-year.png", "repurposed-mechanisms.png"]
    for a, b in zip(first, second):
        assert a.read_bytes().startswith(PNG) and a.read_bytes() == b.read_bytes()


def test_reference_groups_are_data_files_with_sources():
    assert {g.code for g in report.atc_groups()} >= {"L01", "L04", "D", "N"}
    assert all(a.code.startswith("MONDO:") for a in report.disease_areas())


def test_landscape_notebook_runs_and_only_calls_into_kg(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "def " not in cell.source and "class " not in cell.source  # no logic of its own
    root = str(Path(kg.__file__).resolve().parents[1])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
        mp.delenv("TRIALKG_STORE", raising=False)
        NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["class-by-area.png", "phase-by-year.png",
                                                               "repurposed-mechanisms.png"]


def test_trialkg_report_writes_the_figures_of_a_store(store_dir, tmp_path):
    import subprocess
    import sys

    # The session's on-disk corpus store (conftest.store_dir): `trialkg report` opens it read-only.
    run = subprocess.run([sys.executable, "-m", "kg.cli", "report", "--store", store_dir,
                          "--output", str(tmp_path / "figures")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert [Path(line).name for line in run.stdout.split()] == ["class-by-area.png", "phase-by-year.png",
                                                                "repurposed-mechanisms.png"]
    missing = subprocess.run([sys.executable, "-m", "kg.cli", "report", "--store", str(tmp_path / "nope")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
