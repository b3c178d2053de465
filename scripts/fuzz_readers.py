"""Fuzz the readers at scale: mutated fixture documents through the whole per-document build step.

Each document is a fixture of tests/fixtures/ (every format) with one to three mutations: byte
flips, truncation, duplication of a slice, insertion of random Unicode and control characters,
a long run of one hostile unit (a word of letters, blanks, "A-A-...", parentheses...), deep
nesting (JSON), and for JSON documents edits that keep them valid, so that they reach the v2
reader: text or a run inserted into a string value, a value replaced by one of another type; XML
documents get the same two edits on an element's text, kept well-formed so that they reach the
legacy XML reader. It goes through ``kg.pipeline.process`` (read, parse, link, emit), which must
return records or the SourceError reason of a refusal; anything else is counted as an exception
with its traceback. Counts are kept per format of the fixture the document came from, with the
slowest document's time and mutations. The issue's bar: no exception other than SourceError and
no document over 2 s.

tests/test_fuzz_readers.py draws the same mutations (``Mutation``, ``apply``) with hypothesis.

Run: python scripts/fuzz_readers.py [--n 10000] [--seed 0] [--out benchmarks/fuzz-readers.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from kg.pipeline import process  # noqa: E402
from kg.sources.inputs import DocumentRef  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
FORMATS = ("ctgov_v2", "ctgov_xml", "veeva", "clinconnect", "ictrp", "letter")
KINDS = ("flip", "truncate", "duplicate", "insert", "run", "nest", "field", "retype")
# Units of long runs: a word, blanks, hyphenated capitals, quote-joined letters, parentheses,
# commas, dotted letters, digits, "@"-words, brackets: what made patterns backtrack.
RUN_UNITS = ("a", " ", "A-", "a'", "(", ",", "a.", "1", "a@", "[", "\t", "é")
# Characters inserted at random: controls, format and private-use characters, line and
# paragraph separators, non-BMP. NUL is drawn apart and rarely: a document with one in its first
# 4 KB is refused as binary at once, and would hide everything else.
ODD_CHARS = "\x01\x07\x08\x0b\x0c\x1b\x7f\x85\xa0\u00ad\u200b\u200e\u2028\u2029\ufeff\ufffd\ue000\U0001f600"
# Values a "retype" mutation puts where the v2 reader expects something else.
ODD_VALUES: tuple[Any, ...] = (None, 0, -1, 1e308, True, "", "x", [], {}, [None], {"a": None}, [[[]]])
# Formats whose documents get mostly the edits that keep them well-formed (JSON, XML).
STRUCTURED = ("ctgov_v2", "ctgov_xml")
# An element's text in an XML document (at least one non-blank character between tags).
XML_TEXT = re.compile(rb">([^<>]*[^\s<>][^<>]*)<")
# Characters XML 1.0 does not allow (most controls, surrogates, U+FFFE/U+FFFF).
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
LIMIT_S = 2.0  # the bound per document
ABORT_S = 60.0  # a document still running after this is stopped and counted as over the bound


@dataclass(frozen=True)
class Mutation:
    """One edit of a document's bytes. ``at`` is a fraction of the length, so it fits any document."""

    kind: str  # one of KINDS
    at: float  # 0 <= at <= 1
    size: int  # bytes flipped or duplicated, length of a run, levels of nesting, which odd value
    text: str = ""  # characters inserted; the unit of a run
    times: int = 1  # copies of a duplicated slice


def _pos(data: bytes, at: float) -> int:
    return min(len(data), max(0, int(at * len(data))))


def _flip(data: bytes, m: Mutation) -> bytes:
    out = bytearray(data)
    start = _pos(data, m.at)
    for i in range(min(m.size, len(out))):
        out[(start + i * 7919) % len(out)] ^= 1 << (i % 8)  # spread over the document
    return bytes(out)


def _duplicate(data: bytes, m: Mutation) -> bytes:
    a = _pos(data, m.at)
    piece = data[a:a + m.size]
    return data[:a + len(piece)] + piece * max(1, m.times) + data[a + len(piece):]


def _nest(data: bytes, m: Mutation) -> bytes:
    """A value nested ``size`` deep: as a new first member of a JSON object, else at ``at``."""
    deep = b"[" * m.size + b"0" + b"]" * m.size
    brace = data.find(b"{")
    if brace >= 0 and m.at < 0.5:
        return data[:brace + 1] + b'"deep": ' + deep + b", " + data[brace + 1:]
    a = _pos(data, m.at)
    return data[:a] + deep + data[a:]


def _json_slots(doc: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every value below the top of a JSON document, in document order."""
    slots: list[tuple[Any, Any]] = []
    todo = [doc]
    while todo:  # iterative: a mutated document may nest deeply
        node = todo.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
        for key in keys:
            slots.append((node, key))
            todo.append(node[key])
    return slots


def _json_edit(data: bytes, m: Mutation) -> bytes:
    """A valid JSON document stays valid: text goes into a string, or a value changes type.

    Anything that is not a JSON object (a page format, a document broken by an earlier
    mutation) gets the text inserted instead.
    """
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        doc = None
    if doc is None and data.lstrip().startswith(b"<"):
        return _xml_edit(data, m)
    slots = _json_slots(doc) if isinstance(doc, dict) else []
    strings = [(c, k) for c, k in slots if isinstance(c[k], str)] if m.kind == "field" else slots
    if not strings:
        return apply(data, Mutation("insert", m.at, m.size, m.text or "x"))
    container, key = strings[min(len(strings) - 1, int(m.at * len(strings)))]
    if m.kind == "retype":
        container[key] = ODD_VALUES[m.size % len(ODD_VALUES)]
    else:
        value, text = container[key], m.text * max(1, m.size // max(1, len(m.text)))
        container[key] = value[:len(value) // 2] + text + value[len(value) // 2:]
    return json.dumps(doc, ensure_ascii=m.size % 2 == 0).encode("utf-8", "surrogatepass")


def _xml_edit(data: bytes, m: Mutation) -> bytes:
    """An XML document stays well-formed: escaped text goes into an element's text, or the text
    is replaced by an odd value written out ("None", "[]", "" ...)."""
    found = list(XML_TEXT.finditer(data))
    if not found:
        return apply(data, Mutation("insert", m.at, m.size, m.text or "x"))
    node = found[min(len(found) - 1, int(m.at * len(found)))]
    value = node.group(1).decode("utf-8", "replace")
    if m.kind == "retype":
        odd = ODD_VALUES[m.size % len(ODD_VALUES)]
        value = "" if odd is None else json.dumps(odd)
    else:
        text = m.text * max(1, m.size // max(1, len(m.text)))
        value = value[:len(value) // 2] + text + value[len(value) // 2:]
    value = escape(XML_INVALID.sub("", value))
    return data[:node.start(1)] + value.encode("utf-8") + data[node.end(1):]


def apply(data: bytes, m: Mutation) -> bytes:
    """The document with one mutation."""
    if not data and m.kind != "insert":
        return data
    a = _pos(data, m.at)
    if m.kind == "flip":
        return _flip(data, m)
    if m.kind == "truncate":
        return data[:a]
    if m.kind == "duplicate":
        return _duplicate(data, m)
    if m.kind == "insert":
        return data[:a] + m.text.encode("utf-8", "surrogatepass") + data[a:]
    if m.kind == "run":
        unit = (m.text or "a").encode("utf-8", "surrogatepass")
        return data[:a] + unit * max(1, m.size // len(unit)) + data[a:]
    if m.kind == "nest":
        return _nest(data, m)
    if m.kind in ("field", "retype"):
        return _json_edit(data, m)
    raise ValueError(f"unknown mutation kind {m.kind!r}")


def fixtures() -> list[tuple[str, Path]]:
    """(format, path) of every reader fixture document."""
    found = [("ctgov_v2", p) for p in sorted((FIXTURES / "ctgov_v2").rglob("*.json"))
             if not p.name.endswith(".expected.json")]
    # The documents the XML reader reads (its refused ones are kept apart, in bad/).
    found += [("ctgov_xml", p) for p in sorted((FIXTURES / "ctgov_xml").glob("*.xml"))]
    for fmt in (f for f in FORMATS if f not in STRUCTURED):
        found += [(fmt, p) for p in sorted((FIXTURES / fmt).glob("*.txt"))]
    return found


def _odd_text(rng: random.Random) -> str:
    chars = [rng.choice(ODD_CHARS) if rng.random() < 0.5 else chr(rng.randrange(0x20, 0x3000))
             for _ in range(rng.randint(1, 40))]
    if rng.random() < 0.03:
        chars.insert(0, "\x00")
    if rng.random() < 0.03:
        chars.append(chr(rng.randrange(0xD800, 0xE000)))  # a lone surrogate: invalid UTF-8 bytes
    return "".join(chars)


def random_mutation(rng: random.Random, json_doc: bool = False) -> Mutation:
    """A mutation drawn at random; JSON documents get mostly edits that keep them valid JSON
    (any other edit makes most of them invalid JSON, refused before the v2 reader sees them)."""
    weights = (2, 1, 1, 2, 1, 2, 8, 6) if json_doc else (5, 3, 3, 5, 1, 2, 4, 3)
    kind = rng.choices(KINDS, weights=weights)[0]
    at = rng.random()
    if kind == "field":
        if rng.random() < 0.2:
            return Mutation(kind, at, rng.choice((1_000, 200_000)), rng.choice(RUN_UNITS))
        return Mutation(kind, at, rng.randint(1, 2), _odd_text(rng))
    if kind == "retype":
        return Mutation(kind, at, rng.randrange(len(ODD_VALUES) * 2))
    if kind == "insert":
        text = _odd_text(rng)
        return Mutation(kind, at, len(text), text)
    if kind == "run":
        return Mutation(kind, at, rng.choice((1_000, 20_000, 200_000)), rng.choice(RUN_UNITS))
    if kind == "nest":
        return Mutation(kind, at, rng.choice((5, 150, 199, 200, 201, 1_000, 100_000)))
    if kind == "duplicate":
        return Mutation(kind, at, rng.randint(1, 4_000), times=rng.randint(1, 5))
    return Mutation(kind, at, rng.randint(1, 64))


def mutate(data: bytes, rng: random.Random, json_doc: bool = False) -> tuple[bytes, list[Mutation]]:
    muts = [random_mutation(rng, json_doc) for _ in range(rng.randint(1, 3))]
    for m in muts:
        data = apply(data, m)
    return data, muts


class _Abort(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Abort


def run_one(data: bytes, folder: Path) -> tuple[str, float, str | None]:
    """("returned"/"source_error"/"exception"/"aborted", seconds, detail) of one document; the
    detail is the refusal's reason or the exception's traceback.

    A document still running after ABORT_S is stopped (a SIGALRM raised in the reader), so one
    runaway case cannot stall a run of thousands.
    """
    path = folder / "doc"
    path.write_bytes(data)
    previous = signal.signal(signal.SIGALRM, _alarm)
    start = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, ABORT_S)
    try:
        result = process(DocumentRef("doc", str(path)), None, "fuzz")
        outcome, trace = ("source_error" if result.error is not None else "returned"), result.error
    except _Abort:
        outcome, trace = "aborted", None
    except Exception:  # what the fuzzing is for: anything but a SourceError refusal
        outcome, trace = "exception", traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return outcome, time.perf_counter() - start, trace


def warm_up(docs: list[tuple[str, Path, bytes]]) -> None:
    """Process one document of each format, untimed: the lexicon and its scan tables are built
    on first use, once per process (a build's workers pay that once, not per document)."""
    for fmt in FORMATS:
        path = next(p for f, p, _ in docs if f == fmt)
        process(DocumentRef("warm", str(path)), None, "fuzz")


def _new_stats() -> dict[str, Any]:
    return {"documents": 0, "returned": 0, "source_error": 0, "exception": 0, "aborted": 0,
            "over_2s": 0, "slowest_s": 0.0, "slowest": None}


def fuzz(n: int, seed: int, log_every: int = 500) -> dict[str, Any]:
    rng = random.Random(seed)
    docs = [(fmt, path, path.read_bytes()) for fmt, path in fixtures()]
    stats = {fmt: _new_stats() for fmt in FORMATS}
    kinds: Counter[str] = Counter()
    traces: list[dict[str, Any]] = []
    reasons: dict[str, Counter[str]] = {fmt: Counter() for fmt in FORMATS}
    warm_up(docs)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            fmt, path, original = docs[i % len(docs)]
            data, muts = mutate(original, rng, fmt in STRUCTURED)
            kinds.update(m.kind for m in muts)
            outcome, seconds, trace = run_one(data, Path(tmp))
            s = stats[fmt]
            if outcome == "source_error":
                reasons[fmt][_reason(trace or "")] += 1
                trace = None
            s["documents"] += 1
            s[outcome] += 1
            s["over_2s"] += seconds > LIMIT_S
            if seconds > s["slowest_s"]:
                s["slowest_s"] = round(seconds, 3)
                s["slowest"] = {"fixture": path.relative_to(ROOT).as_posix(), "bytes": len(data),
                                "mutations": [_short(m) for m in muts]}
            if trace and len(traces) < 5:
                traces.append({"fixture": path.relative_to(ROOT).as_posix(),
                               "mutations": [_short(m) for m in muts], "traceback": trace})
            if log_every and (i + 1) % log_every == 0:
                print(f"{i + 1}/{n} documents, {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return {"documents": n, "seed": seed, "limit_s": LIMIT_S, "elapsed_s": round(time.perf_counter() - began, 1),
            "python": platform.python_version(), "mutation_kinds": dict(sorted(kinds.items())),
            "per_format": stats, "totals": _totals(stats), "tracebacks": traces,
            "refusal_reasons": {fmt: dict(c.most_common(12)) for fmt, c in reasons.items()}}


def _reason(text: str) -> str:
    """A refusal's reason without its particulars (numbers, quoted names, positions)."""
    text = re.sub(r"\d+", "N", text.split(" at line ")[0])
    return re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)[:80]


def _short(m: Mutation) -> dict[str, Any]:
    out = asdict(m)
    out["at"] = round(m.at, 4)
    out["text"] = m.text[:40]
    return out


def _totals(stats: dict[str, dict[str, Any]]) -> dict[str, Any]:
    keys = ("documents", "returned", "source_error", "exception", "aborted", "over_2s")
    out: dict[str, Any] = {k: sum(s[k] for s in stats.values()) for k in keys}
    out["slowest_s"] = max(s["slowest_s"] for s in stats.values())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="documents to try (default 10,000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "fuzz-readers.json")
    args = ap.parse_args(argv)
    report = fuzz(args.n, args.seed)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")  # escaped: texts hold lone surrogates
    print(f"{'format':12} {'docs':>6} {'returned':>8} {'SourceError':>12} {'other':>6} {'>2s':>4} {'slowest s':>10}")
    for fmt, s in report["per_format"].items():
        print(f"{fmt:12} {s['documents']:6} {s['returned']:8} {s['source_error']:12} "
              f"{s['exception'] + s['aborted']:6} {s['over_2s']:4} {s['slowest_s']:10.3f}")
    t = report["totals"]
    print(f"{'all':12} {t['documents']:6} {t['returned']:8} {t['source_error']:12} "
          f"{t['exception'] + t['aborted']:6} {t['over_2s']:4} {t['slowest_s']:10.3f}")
    for tr in report["tracebacks"]:
        print(f"\n{tr['fixture']} {tr['mutations']}\n{tr['traceback']}", file=sys.stderr)
    return 1 if t["exception"] or t["aborted"] or t["over_2s"] else 0


if __name__ == "__main__":
    sys.exit(main())
