"""One trial in several registries without a shared identifier: candidate pairs, scores, links.

Records sharing a registry identifier are one study already (docs/decisions/0004); a trial registered
on ClinicalTrials.gov and in the EU register under unrelated numbers is two. Here the studies of the
stored graph are read back with SPARQL (so any reader's output qualifies), paired by blocking keys
(shared acronym, shared drug and condition, or two shared rare title words), scored from features
and linked above :data:`THRESHOLD` (chosen by ``scripts/measure_linkage.py``, precision first;
docs/decisions/0014-cross-registry-linkage.md).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import combinations

import pyoxigraph as ox

from kg import iri
from kg.emit import LINKING_SCHEMES
from kg.namespace import TKG as _TKG

TKG = str(_TKG)
GRAPH = ox.NamedNode(str(iri.LINKAGE_GRAPH))
METHOD = "kg.linkage weighted features v1"
# Chosen on the labelled pairs of scripts/measure_linkage.py (benchmarks/linkage.md), precision first:
# midway between the highest-scoring negative (0.739) and the lowest positive above it (0.795).
THRESHOLD = 0.77
# Relative weights; a feature one side does not state drops out and the others are renormalised.
# Sponsor, drug and condition are shared by a sponsor's series of trials, so the title, the acronym
# and the dates, which tell sister trials apart, weigh most.
# A sponsor's protocol code tells its sister trials apart where titles are copied from one to the next.
WEIGHTS = {"protocol": 0.30, "title": 0.45, "acronym": 0.15, "sponsor": 0.05, "drugs": 0.10, "conditions": 0.05,
           "dates": 0.15, "enrollment": 0.05}
MAX_BLOCK = 50  # a key shared by more studies than this is too common to propose pairs (series of trials)
DATE_SCALE_DAYS = 365  # registration and first enrolment of one trial differ by months, rarely years
# Words every trial title uses: they say nothing about which trial it is.
STOPWORDS = frozenset("""a an and as at by for from in into of on or the to with without versus vs via its their
    study trial trials clinical phase randomized randomised double single blind blinded open label placebo
    controlled multicenter multicentre multi center centre international parallel group patients participants
    subjects""".split())
LEGAL = frozenset("inc incorporated ltd limited llc gmbh ag sa sas spa bv nv plc co corp corporation company kg".split())


@dataclass(frozen=True)
class Study:
    """What the graph says of one study, as the features need it."""

    iri: str
    titles: tuple[str, ...] = ()
    acronyms: frozenset[str] = frozenset()
    sponsors: frozenset[str] = frozenset()  # organisation IRIs
    sponsor_names: frozenset[str] = frozenset()  # normalised names
    drugs: frozenset[str] = frozenset()
    conditions: frozenset[str] = frozenset()
    dates: tuple[date, ...] = ()
    enrollment: int | None = None
    formats: frozenset[str] = frozenset()
    ids: frozenset[tuple[str, str]] = frozenset()  # registry identifiers (kg.emit.LINKING_SCHEMES)
    codes: frozenset[str] = frozenset()  # sponsor protocol codes and other identifiers, normalised


def words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", ascii_text)


def title_tokens(text: str) -> frozenset[str]:
    return frozenset(w for w in words(text) if w not in STOPWORDS and not (w.isdigit() and len(w) < 2))


def acronym_key(text: str) -> str:
    """An acronym in its written forms ("The DART Study-", "DART", "dart") -> one key ("DART")."""
    ws = [w for w in words(text) if w not in ("the", "study", "trial")]
    return "".join(ws).upper()


def code_key(text: str) -> str:
    return "".join(words(text)).upper()


def org_name(text: str) -> str:
    return " ".join(w for w in words(text) if w not in LEGAL)


def _day(text: str) -> date | None:
    m = re.match(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    try:
        return date(int(m[1]), int(m[2]), int(m[3] or 15)) if m else None
    except ValueError:
        return None


def _rows(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    result = store.query(f"PREFIX tkg: <{TKG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " + query,
                         use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return [tuple(t.value if t is not None else "" for t in row) for row in result]


def read_studies(store: ox.Store) -> dict[str, Study]:
    """Every study that a registry record describes, with the values the features compare."""
    vals: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for s, p, v in _rows(store, """SELECT DISTINCT ?s ?p ?v WHERE { ?r tkg:describesStudy ?s .
            VALUES ?p { rdfs:label tkg:scientificTitle tkg:acronym tkg:testsDrug tkg:studiesCondition
                        tkg:startDate tkg:registrationDate tkg:enrollment tkg:hasIdentifier }
            ?s ?p ?v }"""):
        vals[s][p.rsplit("/", 1)[-1].rsplit("#", 1)[-1]].add(v)
    for s, f in _rows(store, "SELECT DISTINCT ?s ?f WHERE { ?r tkg:describesStudy ?s ; tkg:sourceFormat ?f }"):
        vals[s]["format"].add(f)
    for s, o, label in _rows(store, """SELECT DISTINCT ?s ?o ?l WHERE { ?r tkg:describesStudy ?s .
            ?s tkg:sponsor|tkg:responsibleInstitution ?o OPTIONAL { ?o rdfs:label ?l } }"""):
        vals[s]["sponsor"].add(o)
        if label:
            vals[s]["sponsorName"].add(org_name(label))
    studies = {}
    for s, got in vals.items():
        counts = sorted(int(x) for x in got["enrollment"] if x.isdigit())
        ids = {i for i in (iri.parse_identifier(x) for x in got["hasIdentifier"]) if i}
        studies[s] = Study(
            s, tuple(sorted(got["label"] | got["scientificTitle"])), frozenset(acronym_key(a) for a in got["acronym"]) - {""},
            frozenset(got["sponsor"]), frozenset(got["sponsorName"]) - {""}, frozenset(got["testsDrug"]),
            frozenset(got["studiesCondition"]),
            tuple(sorted(d for d in map(_day, got["startDate"] | got["registrationDate"]) if d)),
            counts[-1] if counts else None, frozenset(got["format"]),
            frozenset(i for i in ids if i[0] in LINKING_SCHEMES),
            frozenset(c for c in (code_key(val) for sch, val in ids if sch not in LINKING_SCHEMES) if len(c) >= 4))
    return studies


def compatible(a: Study, b: Study) -> bool:
    """Could the two be one trial in two registries? Not when one source lists both (a registry gives a
    trial one number), not when both carry different numbers of one scheme, not for a letter."""
    if a.formats & b.formats or "letter" in a.formats | b.formats:
        return False
    schemes_a = {s for s, _ in a.ids}
    return not any(s in schemes_a and (s, v) not in a.ids for s, v in b.ids)


def blocking_keys(st: Study) -> set[str]:
    keys = {f"acronym:{a}" for a in st.acronyms if len(a) >= 3}
    keys |= {f"drug-condition:{d} {c}" for d in st.drugs for c in st.conditions}
    keys |= {f"word:{w}" for t in st.titles for w in title_tokens(t) if len(w) >= 4}
    return keys


def candidate_pairs(studies: Mapping[str, Study], check: bool = True) -> list[tuple[str, str]]:
    """Pairs (smaller IRI first) sharing an acronym, a drug and condition, or two title words; with
    ``check``, only pairs :func:`compatible` allows."""
    blocks: dict[str, list[str]] = defaultdict(list)
    for s in sorted(studies):
        for key in blocking_keys(studies[s]):
            blocks[key].append(s)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for key, members in blocks.items():
        if len(members) <= MAX_BLOCK:
            for pair in combinations(members, 2):
                shared[pair] += 1 if key.startswith("word:") else 2
    return sorted(p for p, n in shared.items()
                  if n >= 2 and (not check or compatible(studies[p[0]], studies[p[1]])))


def _jaccard(a: Iterable[str], b: Iterable[str]) -> float | None:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else None


def _cosine(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def features(a: Study, b: Study) -> dict[str, float]:
    """Feature values in [0, 1]; a feature one side does not state is left out."""
    out: dict[str, float] = {}
    ta, tb = [title_tokens(t) for t in a.titles], [title_tokens(t) for t in b.titles]
    if ta and tb:  # each title against its best match in the other study: one shared title is not enough
        best = [max(_cosine(x, y) for y in tb) for x in ta] + [max(_cosine(x, y) for x in ta) for y in tb]
        out["title"] = sum(best) / len(best)
    if a.acronyms and b.acronyms:
        out["acronym"] = 1.0 if a.acronyms & b.acronyms else 0.0
    elif a.acronyms or b.acronyms:  # an acronym one registry states may be a title word in the other
        acr, other = (a.acronyms, b.titles) if a.acronyms else (b.acronyms, a.titles)
        if any(k.lower() in set(words(t)) for k in acr for t in other):
            out["acronym"] = 1.0
    if (a.sponsors or a.sponsor_names) and (b.sponsors or b.sponsor_names):
        same = a.sponsors & b.sponsors or a.sponsor_names & b.sponsor_names or any(
            (_jaccard(x.split(), y.split()) or 0) >= 0.5 for x in a.sponsor_names for y in b.sponsor_names)
        out["sponsor"] = 1.0 if same else 0.0
    for name, x, y in (("drugs", a.drugs, b.drugs), ("conditions", a.conditions, b.conditions)):
        j = _jaccard(x, y)
        if j is not None:
            out[name] = j
    if a.codes and b.codes:
        out["protocol"] = 1.0 if a.codes & b.codes else 0.0
    if a.dates and b.dates:
        gap = min(abs((d - e).days) for d in a.dates for e in b.dates)
        out["dates"] = max(0.0, 1 - gap / DATE_SCALE_DAYS)
    if a.enrollment and b.enrollment:
        out["enrollment"] = min(a.enrollment, b.enrollment) / max(a.enrollment, b.enrollment)
    return {k: round(v, 4) for k, v in out.items()}


def score(feats: Mapping[str, float]) -> float:
    """Weighted mean of the stated features; 0 without a title to compare (nothing else names a trial)."""
    if "title" not in feats:
        return 0.0
    total = sum(WEIGHTS[k] for k in feats)
    return round(sum(WEIGHTS[k] * v for k, v in feats.items()) / total, 4)


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    score: float
    features: tuple[tuple[str, float], ...]


def find_links(studies: Mapping[str, Study], threshold: float = THRESHOLD) -> list[Link]:
    links = []
    for a, b in candidate_pairs(studies):
        f = features(studies[a], studies[b])
        s = score(f)
        if s >= threshold:
            links.append(Link(a, b, s, tuple(sorted(f.items()))))
    return links


def link_quads(links: Iterable[Link]) -> list[ox.Quad]:
    """The linkage graph: both directions of each tkg:sameStudyAs, a tkg:StudyLink node with the score,
    method and feature values, and the graph's description (no timestamp: equal input, equal output)."""
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    dec = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")

    def t(p: str) -> ox.NamedNode:
        return ox.NamedNode(TKG + p)

    triples: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = []
    for lk in links:
        a, b, node = ox.NamedNode(lk.a), ox.NamedNode(lk.b), ox.NamedNode(str(iri.study_link(lk.a, lk.b)))
        triples += [(a, t("sameStudyAs"), b), (b, t("sameStudyAs"), a), (node, rdf_type, t("StudyLink")),
                    (node, t("linksStudy"), a), (node, t("linksStudy"), b),
                    (node, t("linkScore"), ox.Literal(f"{lk.score:.4f}", datatype=dec)),
                    (node, t("studyLinkMethod"), ox.Literal(METHOD))]
        for name, value in lk.features:
            feat = ox.NamedNode(f"{node.value}/feature/{name}")
            triples += [(node, t("hasLinkFeature"), feat), (feat, rdf_type, t("LinkFeature")),
                        (feat, t("featureName"), ox.Literal(name)),
                        (feat, t("featureValue"), ox.Literal(f"{value:.4f}", datatype=dec))]
    if triples:
        triples += [(GRAPH, rdf_type, ox.NamedNode("http://rdfs.org/ns/void#Dataset")),
                    (GRAPH, label, ox.Literal("cross-registry study links", language="en")),
                    (GRAPH, ox.NamedNode("http://purl.org/dc/terms/description"), ox.Literal(
                        "Derived, not stated by any source: studies of different registries without a shared "
                        f"identifier judged one trial by kg.linkage ({METHOD}, threshold {THRESHOLD}); "
                        "replaced whole after every build.", language="en"))]
    return [ox.Quad(s, p, o, GRAPH) for s, p, o in triples]


def link_studies(store: ox.Store, threshold: float = THRESHOLD) -> int:
    """Replace the linkage graph with the links of the store's current studies; returns the link count.
    Unchanged links are left alone, so a rebuild of the same input writes nothing."""
    links = find_links(read_studies(store), threshold)
    quads = link_quads(links)
    if set(store.quads_for_pattern(None, None, None, GRAPH)) != set(quads):
        if store.contains_named_graph(GRAPH):
            store.remove_graph(GRAPH)
        if quads:
            store.bulk_extend(quads)
    return len(links)
