"""Multiply real ClinicalTrials.gov API v2 records under new identifiers (synthetic, for scale runs).

Usage:
    python scripts/synthetic.py FACTOR OUT.zip [--zip PATH]

Copy 0 is the real records unchanged; copy k (1 <= k < FACTOR) of the record at position i (records
sorted by NCT number) becomes NCT9{k:02d}{i:05d}. In copy k every NCT number the sample names is
replaced by its copy-k number (the records' own first, then the others they cite, in sorted order: a
record naming another study's NCT number as a secondary id points at that study's copy k), and EudraCT and EU CT numbers get the year 9000 + k, so that copies never share a
registry identifier with other copies (records sharing one are one study). The output is a zip of one JSON per study, the layout of
ClinicalTrials.gov's "download all" archive. The copies are labelled synthetic: they are for timing
and memory measurements only, never for linking or query-quality figures.
"""

from __future__ import annotations

import argparse
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ZIP = ROOT.parent / "shared" / "samples" / "ctgov-v2-bulk" / "ctg-studies-635.zip"
# EudraCT (YYYY-NNNNNN-NN) and EU CT (YYYY-NNNNNN-NN-NN) numbers start with a year.
_EU_NUMBER = re.compile(r"\b(19|20)\d\d(-\d{6}-\d{2})")
MAX_COPIES = 100
MAX_RECORDS = 100_000


def originals(source: Path) -> list[tuple[str, str]]:
    """(NCT number, JSON text) of every record of the zip, sorted by NCT number."""
    with zipfile.ZipFile(source) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".json"))
        return [(Path(n).stem, z.read(n).decode("utf-8")) for n in names]


_NCT = re.compile(r"NCT\d{8}")


def copy_of(nct: str, text: str, k: int, index: dict[str, int]) -> tuple[str, str]:
    """The k-th synthetic copy of a record (k = 0: the record itself); ``index``: NCT number -> position."""
    if k == 0:
        return nct, text
    text = _NCT.sub(lambda m: f"NCT9{k:02d}{index[m.group(0)]:05d}" if m.group(0) in index else m.group(0), text)
    return f"NCT9{k:02d}{index[nct]:05d}", _EU_NUMBER.sub(lambda m: f"{9000 + k}{m.group(2)}", text)


def write(factor: int, out: Path, source: Path = DEFAULT_ZIP) -> int:
    """Write FACTOR copies of the records of ``source`` into the zip ``out``; returns the number of records."""
    records = originals(source)
    if not 1 <= factor <= MAX_COPIES or len(records) > MAX_RECORDS:
        raise ValueError(f"factor must be 1..{MAX_COPIES} and the source at most {MAX_RECORDS} records")
    out.parent.mkdir(parents=True, exist_ok=True)
    own = [nct for nct, _ in records]
    cited = sorted({m for _, text in records for m in _NCT.findall(text)} - set(own))
    index = {nct: i for i, nct in enumerate(own + cited)}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for k in range(factor):
            for nct, text in records:
                name, body = copy_of(nct, text, k, index)
                z.writestr(f"{name}.json", body)
    return factor * len(records)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("factor", type=int)
    p.add_argument("out", type=Path)
    p.add_argument("--zip", type=Path, default=DEFAULT_ZIP)
    args = p.parse_args()
    print(f"{write(args.factor, args.out, args.zip)} records (synthetic copies) -> {args.out}")


if __name__ == "__main__":
    main()
