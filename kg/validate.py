"""``trialkg validate``: every check of the ontology, the reference data and a built graph.

Checks: the ontology parses in rdflib, pyoxigraph and owlready2; the OWL file
matches the Turtle source; HermiT finds the TBox with the curated reference
data consistent (skipped, with the reason, when Java is absent); the SHACL
shapes accept ``ontology/examples/valid`` and reject each file of
``ontology/examples/invalid`` with the message its ``# expect:`` line names;
every ``ontology/checks/*-violation.rq`` returns zero rows; a built graph
conforms to the shapes.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

from kg.emit.reference import reference_graph
from kg.iri import GRAPH, MENTIONS_GRAPH, REFERENCE_GRAPH
from kg.ontology_build import load_tbox
from kg.refdata import Reference, load_reference
from kg.resources import ontology_dir
from kg.store import select, value


RECORD_GRAPHS = GRAPH + "record/"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "fail" or "skip"
    detail: str = ""


def check_parsers() -> list[Check]:
    d = ontology_dir()
    out = []
    try:
        rdflib.Graph().parse(d / "trialkg.ttl", format="turtle")
        out.append(Check("ontology parses in rdflib", "ok"))
    except Exception as exc:  # any parser error is a failed check
        out.append(Check("ontology parses in rdflib", "fail", str(exc)))
    try:
        n = len(list(ox.parse(path=str(d / "trialkg.ttl"), format=ox.RdfFormat.TURTLE)))
        out.append(Check("ontology parses in pyoxigraph", "ok", f"{n} triples"))
    except (SyntaxError, ValueError, OSError) as exc:
        out.append(Check("ontology parses in pyoxigraph", "fail", str(exc)))
    same = isomorphic(load_tbox(d / "trialkg.ttl"), rdflib.Graph().parse(d / "trialkg.owl", format="xml"))
    out.append(Check("trialkg.owl matches trialkg.ttl", "ok" if same else "fail",
                     "" if same else "run: python -m kg.ontology_build"))
    return out


def owl_file_with_reference(ref: Reference, folder: Path) -> Path:
    """TBox plus curated reference data as one RDF/XML file for owlready2."""
    g = load_tbox(ontology_dir() / "trialkg.ttl")
    for t in reference_graph(ref):
        g.add(t)
    path = folder / "trialkg-with-reference.owl"
    g.serialize(path, format="xml")
    return path


def check_reasoner(ref: Reference | None = None) -> list[Check]:
    import owlready2

    if shutil.which("java") is None:
        return [Check("HermiT: ontology and reference data consistent", "skip",
                      "Java is not installed; install a JRE (e.g. apt-get install default-jre-headless)")]
    with tempfile.TemporaryDirectory() as tmp:
        # HermiT checks the TBox with the curated facts; bulk-derived data is checked with
        # SHACL and the violation queries (HermiT would take far too long on 30,000 classes).
        path = owl_file_with_reference(ref or load_reference(bulk=False), Path(tmp))
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load()
        out = [Check("ontology loads in owlready2", "ok", f"{len(list(onto.classes()))} classes")]
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            return out + [Check("HermiT: ontology and reference data consistent", "fail", str(exc))]
        bad = [str(c) for c in world.inconsistent_classes()]
        out.append(Check("HermiT: ontology and reference data consistent", "fail" if bad else "ok", ", ".join(bad)))
    return out


def _shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(ontology_dir() / "shapes.ttl", format="turtle")


def shacl(data: rdflib.Graph, shapes: rdflib.Graph | None = None) -> tuple[bool, str]:
    """Validate ``data`` (with the TBox added, so sh:class follows rdfs:subClassOf)."""
    from pyshacl import validate

    tbox = load_tbox(ontology_dir() / "trialkg.ttl")
    conforms, _, text = validate(data + tbox, shacl_graph=shapes or _shapes(), inference="none",
                                 advanced=True, allow_warnings=True)
    return bool(conforms), str(text)


def expected_message(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect:"):
            return line.split(":", 1)[1].strip()
    raise ValueError(f"{path}: no '# expect:' line")


def check_examples() -> list[Check]:
    shapes, out = _shapes(), []
    for path in sorted((ontology_dir() / "examples" / "valid").glob("*.ttl")):
        ok, text = shacl(rdflib.Graph().parse(path), shapes)
        out.append(Check(f"shapes accept examples/valid/{path.name}", "ok" if ok else "fail", "" if ok else text))
    for path in sorted((ontology_dir() / "examples" / "invalid").glob("*.ttl")):
        ok, text = shacl(rdflib.Graph().parse(path), shapes)
        want = expected_message(path)
        good = not ok and want in text
        out.append(Check(f"shapes reject examples/invalid/{path.name}", "ok" if good else "fail",
                         "" if good else f"expected message {want!r}; got: {text[:500]}"))
    return out


def violation_queries() -> list[Path]:
    return sorted((ontology_dir() / "checks").glob("*-violation.rq"))


def check_violations(store: ox.Store) -> list[Check]:
    out = []
    for path in violation_queries():
        rows = select(store, path.read_text(encoding="utf-8"))
        detail = "; ".join(" ".join(value(t) for t in row) for row in rows[:5])
        out.append(Check(f"{path.name} returns zero rows", "fail" if rows else "ok",
                         f"{len(rows)} rows: {detail}" if rows else ""))
    return out


def store_graph(store: ox.Store) -> rdflib.Graph:
    """The document graphs of a store, plus the reference triples about the entities they mention.

    The whole reference graph is not included: its bulk part has hundreds of
    thousands of triples.
    """
    docs = [g for g in store.named_graphs() if g.value.startswith(RECORD_GRAPHS)]
    text = b"".join(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g) or b"" for g in docs)
    nodes = {t for g in docs for q in store.quads_for_pattern(None, None, None, g)
             for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)}
    # What the reference and the shared mentions graph (unlinked mentions, typed by their role) say of them.
    shared = [ox.NamedNode(str(REFERENCE_GRAPH)), ox.NamedNode(str(MENTIONS_GRAPH))]
    lines = [f"{q.subject} {q.predicate} {q.object} .\n" for n in sorted(nodes, key=str) for g in shared
             for q in store.quads_for_pattern(n, None, None, g)]
    return rdflib.Graph().parse(data=text.decode("utf-8") + "".join(lines), format="nt")


def check_store_shapes(store: ox.Store) -> list[Check]:
    if not any(True for _ in store.named_graphs()):
        return [Check("built graph conforms to shapes", "skip", "the store is empty: run trialkg build")]
    ok, text = shacl(store_graph(store))
    return [Check("built graph conforms to shapes", "ok" if ok else "fail", "" if ok else text[:2000])]


def validate_all(store: ox.Store, reasoner: bool = True) -> list[Check]:
    checks = check_parsers()
    if reasoner:
        checks += check_reasoner()
    checks += check_examples() + check_violations(store) + check_store_shapes(store)
    return checks
