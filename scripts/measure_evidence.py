"""Measure whether a more compact evidence form keeps every span queryable at a lower cost per study.

Builds --zip [/work/shared/samples/ctgov-v2-bulk/ctg-studies-635.zip] (ClinicalTrials.gov API v2 JSON:
jsonPointer spans) and the bundled corpus (page formats: line/char spans) with ``kg.build.build`` into
temporary on-disk stores, dumps their record graphs as N-Quads and rewrites the evidence nodes
(docs/decisions/0001) into alternative forms, all pure quad transforms here (the emitter is untouched):

  A  current: a tkg:Evidence; rdf:subject/predicate/object; evidenceFor; fieldPath; lineStart/lineEnd/
     charStart/charEnd (typed integers) or jsonPointer
  B  the four positions folded into one literal  tkg:span "L12-14 C300-420"  (jsonPointer kept)
  C  what is derivable dropped: no `a tkg:Evidence` (domain of evidenceFor), no lineEnd equal to lineStart
  D  one location node per (record, fieldPath): ?ev tkg:location ?loc . ?loc fieldPath/lines/chars/pointer
  E  RDF 1.2 triple term: ?ev rdf:reifies <<( s p o )>> replaces rdf:subject/predicate/object
  F  B and C together

For each form: quads and N-Quads bytes per study, bulk_load time into a fresh on-disk store (median of
3), store size on disk, the time of (i) the spans behind 50 studies' tkg:studiesCondition statements and
(ii) all evidence of one record (20 records), each written for that form, and whether the form answers
exactly the (record, statement, field, lines, chars, pointer) set form A answers, over every span.
Writes --out [benchmarks/evidence.json] and prints a table. Never run by the test suite.

Run: python scripts/measure_evidence.py
"""
from __future__ import annotations

import argparse, hashlib, json, shutil, statistics, sys, tempfile, time
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from kg.build import build  # noqa: E402

RDF, XSD = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2001/XMLSchema#"
TKG, RECORD_GRAPH = "https://w3id.org/trialkg/ontology/", "https://w3id.org/trialkg/graph/record/"
POS = ("lineStart", "lineEnd", "charStart", "charEnd")
N = ox.NamedNode


def record_quads(paths, root) -> list[ox.Quad]:
    with tempfile.TemporaryDirectory() as d:
        store = ox.Store(d)
        build(paths, store, progress=False, root=root)
        quads = [q for q in store if isinstance(q.graph_name, N) and q.graph_name.value.startswith(RECORD_GRAPH)]
        del store
    return sorted(quads, key=str)


def transform(quads: list[ox.Quad], form: str) -> list[ox.Quad]:
    """The record graphs with their evidence nodes rewritten into ``form``."""
    evs = {q.subject for q in quads if q.predicate.value == RDF + "type" and q.object.value == TKG + "Evidence"}
    props: dict = defaultdict(dict)
    out = []
    for q in quads:
        if q.subject in evs:
            props[q.subject][q.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]] = (q.object, q.graph_name)
        else:
            out.append(q)
    for ev, p in props.items():
        g = p["evidenceFor"][1]
        add = lambda s, name, o, ns=TKG: out.append(ox.Quad(s, N(ns + name), o, g))  # noqa: E731
        num = {k: int(p[k][0].value) for k in POS if k in p}
        if form != "E":
            for k in ("subject", "predicate", "object"):
                add(ev, k, p[k][0], RDF)
        else:
            add(ev, "reifies", ox.Triple(p["subject"][0], p["predicate"][0], p["object"][0]), RDF)
        if form not in "CF":
            add(ev, "type", N(TKG + "Evidence"), RDF)
        add(ev, "evidenceFor", p["evidenceFor"][0])
        loc = ev
        if form == "D":
            key = hashlib.sha1(p["fieldPath"][0].value.encode()).hexdigest()[:16]
            loc = N(f"{p['evidenceFor'][0].value}/location/{key}")
            add(ev, "location", loc)
        add(loc, "fieldPath", p["fieldPath"][0])
        if "jsonPointer" in p:
            add(loc, "jsonPointer", p["jsonPointer"][0])
        if form in "BF" and num:
            parts = [f"{t}{num.get(a, '')}-{num.get(b, '')}" for t, a, b in
                     (("L", "lineStart", "lineEnd"), ("C", "charStart", "charEnd")) if a in num or b in num]
            add(loc, "span", ox.Literal(" ".join(parts)))
        elif form not in "BF":
            for k, v in num.items():
                if not (form == "C" and k == "lineEnd" and v == num.get("lineStart")):
                    add(loc, k, p[k][0])
    return sorted(set(out), key=str)  # D's shared location quads once


OPT = " ".join(f"OPTIONAL {{ ?L tkg:{k} ?{k} }}" for k in POS) + " OPTIONAL { ?L tkg:jsonPointer ?ptr }"
SPAN = r"""OPTIONAL { ?L tkg:span ?span }
  BIND(xsd:integer(REPLACE(?span, "^L(\\d*)-(\\d*).*$", "$1")) AS ?lineStart)
  BIND(xsd:integer(REPLACE(?span, "^L(\\d*)-(\\d*).*$", "$2")) AS ?lineEnd)
  BIND(xsd:integer(REPLACE(?span, "^.*C(\\d*)-(\\d*)$", "$1")) AS ?charStart)
  BIND(xsd:integer(REPLACE(?span, "^.*C(\\d*)-(\\d*)$", "$2")) AS ?charEnd)
  OPTIONAL { ?L tkg:jsonPointer ?ptr }"""
SPO = "?e rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; tkg:evidenceFor ?record ; tkg:fieldPath ?field ."
PATTERNS = {  # ?L: the node carrying the positions
    "A": f"?e a tkg:Evidence . {SPO} BIND(?e AS ?L) {OPT}",
    "B": f"?e a tkg:Evidence . {SPO} BIND(?e AS ?L) {SPAN}",
    "C": f"{SPO} BIND(?e AS ?L) " + OPT.replace("?lineEnd }", "?le0 }") + " BIND(COALESCE(?le0, ?lineStart) AS ?lineEnd)",
    "D": "?e a tkg:Evidence ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; tkg:evidenceFor ?record ;"
         f" tkg:location ?L . ?L tkg:fieldPath ?field . {OPT}",
    "E": f"?e rdf:reifies <<( ?s ?p ?o )>> ; a tkg:Evidence ; tkg:evidenceFor ?record ; tkg:fieldPath ?field ."
         f" BIND(?e AS ?L) {OPT}",
    "F": f"{SPO} BIND(?e AS ?L) {SPAN}",
}
PATTERNS = {k: v if k == "D" else v.replace(" BIND(?e AS ?L)", "").replace("?L ", "?e ")
            for k, v in PATTERNS.items()}
FORMS = {"A": "current (typed lineStart/lineEnd/charStart/charEnd or jsonPointer on the evidence node)",
         "B": "positions folded into one literal tkg:span \"L12-14 C300-420\", jsonPointer kept",
         "C": "no rdf:type tkg:Evidence, no lineEnd equal to lineStart",
         "D": "one location node per (record, fieldPath) carrying fieldPath and positions",
         "E": "RDF 1.2: ?ev rdf:reifies <<( s p o )>> instead of rdf:subject/predicate/object",
         "F": "B and C together"}
COLS = ("record", "s", "p", "o", "field", *POS, "ptr")


def query(form: str, values: str = "") -> str:
    return (f"PREFIX tkg: <{TKG}> PREFIX rdf: <{RDF}> PREFIX xsd: <{XSD}>\n"
            f"SELECT {' '.join('?' + c for c in COLS)} WHERE {{ {values}\n  {PATTERNS[form]} }}")


def rows(store: ox.Store, text: str) -> set[tuple]:
    def py(t):
        if t is None:
            return None
        if isinstance(t, ox.Literal) and t.datatype.value == XSD + "integer":
            return int(t.value)
        return str(t)
    return {tuple(py(r[c]) for c in COLS) for r in store.query(text, use_default_graph_as_union=True)}


def rdflib_parses(nq: bytes) -> bool:
    """Whether rdflib (RDF 1.1 parsers) reads the form: its first 20,000 lines."""
    import logging
    import rdflib
    logging.getLogger("rdflib").setLevel(logging.CRITICAL)  # its warning on a triple term is the refusal itself
    try:
        rdflib.Dataset().parse(data=b"".join(nq.splitlines(True)[:20000]).decode(), format="nquads")
        return True
    except Exception:  # noqa: BLE001 - any refusal counts
        return False


def timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(quads: list[ox.Quad], name: str) -> dict:
    studies = {q.object.value for q in quads if q.predicate.value == TKG + "describesStudy"}
    a_store = ox.Store()
    a_store.extend(quads)
    cond = sorted({r[1] for r in rows(a_store, query("A", f"VALUES ?p {{ <{TKG}studiesCondition> }}"))})[:50]  # "<iri>"
    records = sorted({q.object.value for q in quads if q.predicate.value == TKG + "evidenceFor"})[:20]
    q_cond = f"VALUES ?p {{ <{TKG}studiesCondition> }} VALUES ?s {{ {' '.join(cond)} }}"
    evs = {q.subject for q in quads if q.predicate.value == RDF + "type" and q.object.value == TKG + "Evidence"}
    other = sum(q.subject not in evs for q in quads)  # quads every form keeps as they are
    res = {"studies": len(studies), "evidence_nodes": len(evs), "condition_studies_queried": len(cond), "records_queried": len(records),
           "forms": {}}
    expected = None
    for form in "ABCDEF":
        nq = ox.serialize(transform(quads, form), format=ox.RdfFormat.N_QUADS)
        n = nq.count(b"\n")
        loads, size, store, tmp = [], 0, None, []
        for _ in range(3):
            d = tempfile.mkdtemp(prefix=f"ev-{form}-")
            tmp.append(d)
            store = ox.Store(d)
            t = time.perf_counter()
            store.bulk_load(nq, format=ox.RdfFormat.N_QUADS)
            store.flush()
            loads.append(time.perf_counter() - t)
            size = sum(f.stat().st_size for f in Path(d).rglob("*") if f.is_file())
        spans = rows(store, query(form))
        cond_rows = rows(store, query(form, q_cond))
        t_cond = timed(lambda: rows(store, query(form, q_cond)), 5)
        t_rec = timed(lambda: [rows(store, query(form, f"VALUES ?record {{ <{r}> }}")) for r in records])
        if expected is None:
            expected = (spans, cond_rows)
        res["forms"][form] = {
            "quads": n, "quads_per_study": round(n / len(studies), 1), "nq_bytes": len(nq),
            "evidence_quads_per_study": round((n - other) / len(studies), 1),
            "nq_bytes_per_study": round(len(nq) / len(studies)), "rdflib_parses": rdflib_parses(nq), "bulk_load_s": round(statistics.median(loads), 3),
            "store_bytes": size, "store_bytes_per_study": round(size / len(studies)),
            "q_conditions_ms": round(t_cond * 1000, 2), "q_record_ms": round(t_rec * 1000 / len(records), 2),
            "spans": len(spans), "same_spans_as_A": spans == expected[0],
            "same_condition_rows_as_A": cond_rows == expected[1]}
        del store
        for d in tmp:
            shutil.rmtree(d, ignore_errors=True)
        f = res["forms"][form]
        print(f"{name:8} {form}  {f['quads_per_study']:7.1f} {f['evidence_quads_per_study']:7.1f} {f['nq_bytes_per_study']:8d} {f['bulk_load_s']:7.3f}"
              f" {f['store_bytes_per_study']:8d} {f['q_conditions_ms']:8.2f} {f['q_record_ms']:8.2f}"
              f"  {f['spans']:6d} {f['same_spans_as_A'] and f['same_condition_rows_as_A']!s:5} {f['rdflib_parses']}", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zip", default="/work/shared/samples/ctgov-v2-bulk/ctg-studies-635.zip")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "evidence.json"))
    args = ap.parse_args()
    zp = Path(args.zip).resolve()
    print("corpus   form quads/st  evid/st bytes/st  load_s  store/st  q_cond_ms q_rec_ms  spans  same  rdflib")
    out = {"command": "python scripts/measure_evidence.py", "pyoxigraph": ox.__version__,
           "forms": FORMS,
           "corpora": {}}
    out["corpora"]["ctgov-635"] = measure(record_quads([zp], zp.parent), "ctgov")
    out["corpora"]["bundled"] = measure(record_quads(None, ROOT), "bundled")
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
