"""The wheel ships every module and data file the package reads, so `pip install .` works as README says.

An editable install (the test command's) reads the source tree and cannot show a module or data file
left out of ``pyproject.toml``; this test builds the wheel from a copy of the tree and compares.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Source folder -> where its files land in the wheel (pyproject's [tool.setuptools.package-dir]).
SHIPPED = {"kg": "kg", "ontology": "kg/ontology", "queries": "kg/queries"}
IGNORED = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache",
                                 ".hypothesis", "trialkg-store", "out", "tests", "notebooks")


def _wanted() -> set[str]:
    return {f"{target}/{path.relative_to(ROOT / folder).as_posix()}"
            for folder, target in SHIPPED.items() for path in (ROOT / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


def test_wheel_holds_every_module_and_data_file(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path / "wheel"), str(source)], check=True, capture_output=True, timeout=300)
    [wheel] = (tmp_path / "wheel").glob("trialkg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not _wanted() - names, "files the wheel leaves out"
    assert any(n.startswith("trialkg-") and n.endswith("/entry_points.txt") for n in names)
