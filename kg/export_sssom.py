"""The linking decisions as an SSSOM mapping set (https://mapping-commons.github.io/sssom/).

Each evidence node of a statement that came from a linked mention keeps the
mention as written (``tkg:mentionText``) and how it was linked
(``tkg:linkMethod``). :func:`mappings` reads them with SPARQL and turns each
distinct (mention, entity, method) into one mapping row: subject the mention,
object the drug / MONDO condition / organisation it was linked to. Unlinked
mentions and placebos are no mappings and are left out.
docs/decisions/0012-sssom-and-kgx.md says why the subject is the mention node.

Example:
    >>> from kg.store import open_store; from kg.build import build
    >>> store = open_store(None); _ = build(None, store, progress=False)
    >>> text = sssom_text(store)          # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg import __version__, iri

TKG = "https://w3id.org/trialkg/ontology/"
SEMAPV = "https://w3id.org/semapv/vocab/"
# Prefix -> IRI base for every CURIE the TrialKG exports write. OBO and MONDO bases as the
# OBO Foundry writes them, the rest from iri.CURIE_BASES; semapv, biolink and infores as their
# registries (semapv.owl, biolink-model.yaml, the Biolink information resource registry) expand them.
CURIE_MAP = {
    **{p: base for p, base in iri.CURIE_BASES.items()},
    "trialkg": iri.ID,
    "tkg": TKG,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "semapv": SEMAPV,
    "biolink": "https://w3id.org/biolink/vocab/",
    "infores": "https://w3id.org/biolink/infores/",
    "obo": "http://purl.obolibrary.org/obo/",
}

# Link method (kg.normalize.link_name and friends) -> (predicate, justification, confidence).
# Predicate: exactMatch where the mention, normalised, is a name of the entity; closeMatch where
# the linker read past words it left out (dosage forms, parentheses, context words) or went
# through an identifier the registry assigned. Justification: semapv terms (semapv-terms.tsv,
# mapping-commons/semantic-mapping-vocabulary); "identifier" chains the registry's MeSH code
# with MONDO's or the reference tables' MeSH cross-reference. Confidence: ordinal priors, lower
# the more the method reads into the text; benchmarks/linking.md hand-checked 100 linked pairs
# (exact, without-dosage-form, outside-parentheses, contained-name, combination-part, identifier)
# and found none wrong, so the values rank methods rather than measure their precision.
LINK_METHODS: dict[str, tuple[str, str, float]] = {
    "exact": ("skos:exactMatch", "semapv:LexicalMatching", 0.95),
    "inverted": ("skos:exactMatch", "semapv:LexicalMatching", 0.9),
    "scan": ("skos:exactMatch", "semapv:LexicalMatching", 0.8),
    "without-dosage-form": ("skos:closeMatch", "semapv:LexicalMatching", 0.9),
    "outside-parentheses": ("skos:closeMatch", "semapv:LexicalMatching", 0.85),
    "inside-parentheses": ("skos:closeMatch", "semapv:LexicalMatching", 0.8),
    "combination-part": ("skos:closeMatch", "semapv:LexicalMatching", 0.8),
    "contained-name": ("skos:closeMatch", "semapv:LexicalMatching", 0.75),
    "identifier": ("skos:closeMatch", "semapv:MappingChaining", 0.85),
    # kg.mentions: an abbreviation the document defines next to a linked name, or one of the reference
    # tables' abbreviations resolved by the document's words
    "abbreviation-defined": ("skos:exactMatch", "semapv:LexicalMatching", 0.8),
    "abbreviation": ("skos:exactMatch", "semapv:LexicalMatching", 0.75),
}
# Statements whose linked entity is the evidence's rdf:subject (a MedDRA term a registry gave a condition).
ENTITY_IS_SUBJECT = frozenset({TKG + "hasMedDRATerm"})
# The kind of mention each linking statement stands for (the kinds kg.iri.mention mints nodes for).
PREDICATE_KIND = {
    **{TKG + p: "condition" for p in ("studiesCondition", "mentionsCondition", "reportsCondition", "hasMedDRATerm",
                                        "textMentionsCondition")},
    **{TKG + p: "organization" for p in ("sponsor", "collaborator", "funder", "responsibleInstitution")},
}
COLUMNS = ("subject_id", "subject_label", "subject_category", "predicate_id", "object_id", "object_label",
           "mapping_justification", "confidence", "mapping_tool", "mapping_tool_version", "comment")
MAPPING_TOOL = "TrialKG linker (kg.normalize)"

_DECISIONS = """
PREFIX tkg: <https://w3id.org/trialkg/ontology/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?p ?s ?o ?text ?method ?record WHERE {
  GRAPH ?g { ?e tkg:linkMethod ?method ; tkg:mentionText ?text ; rdf:predicate ?p ; rdf:subject ?s ;
                rdf:object ?o ; tkg:evidenceFor ?record . }
  FILTER(?method != "unlinked" && ?method != "placebo")
}"""
_LABELS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX tkg: <https://w3id.org/trialkg/ontology/>
SELECT ?x (MIN(STR(?label)) AS ?l) (MAX(IF(EXISTS { GRAPH ?h { ?x a tkg:DrugClass } }, 1, 0)) AS ?cls) WHERE {
  VALUES ?x { %s }
  OPTIONAL { GRAPH ?g { ?x rdfs:label ?label FILTER(LANG(?label) IN ("", "en")) } }
} GROUP BY ?x"""
_DATASET = """
SELECT ?version ?licence ?activity WHERE { GRAPH <https://w3id.org/trialkg/graph/metadata> {
  <https://w3id.org/trialkg/id/dataset/trialkg> <http://purl.org/dc/terms/hasVersion> ?version ;
      <http://purl.org/dc/terms/license> ?licence .
  OPTIONAL { ?activity a <http://www.w3.org/ns/prov#Activity> }
} } ORDER BY ?activity LIMIT 1"""


def select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The solutions of a SELECT query (the exports ask no other kind)."""
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    return result


def to_curie(value: str) -> str:
    """An IRI as a CURIE of :data:`CURIE_MAP` (the longest base that matches), else the IRI itself."""
    best = max((b for b in CURIE_MAP.values() if value.startswith(b)), key=len, default="")
    if not best:
        return value
    prefix = next(p for p, b in CURIE_MAP.items() if b == best)
    return f"{prefix}:{value[len(best):]}"


@dataclass(frozen=True)
class Mapping:
    subject_id: str
    subject_label: str
    subject_category: str
    predicate_id: str
    object_id: str
    object_label: str
    mapping_justification: str
    confidence: float
    comment: str

    def row(self) -> tuple[str, ...]:
        return (self.subject_id, self.subject_label, self.subject_category, self.predicate_id, self.object_id,
                self.object_label, self.mapping_justification, f"{self.confidence:g}", MAPPING_TOOL,
                __version__, self.comment)


def mappings(store: ox.Store) -> list[Mapping]:
    """Every linking decision of the store as one mapping, sorted by subject, object and predicate."""
    seen: dict[tuple[str, str, str], tuple[Counter[str], set[str]]] = {}  # (kind, entity, method)
    for r in select(store, _DECISIONS):
        p, method = r["p"].value, r["method"].value
        if method not in LINK_METHODS:
            raise ValueError(f"link method {method!r} has no SSSOM mapping: add it to LINK_METHODS")
        entity = (r["s"] if p in ENTITY_IS_SUBJECT else r["o"]).value
        texts, records = seen.setdefault((PREDICATE_KIND.get(p, "drug"), entity, method), (Counter(), set()))
        texts[r["text"].value] += 1
        records.add(r["record"].value)
    labels, classes = _labels(store, {e for _, e, _ in seen})
    merged: dict[tuple[str, str, str, str], tuple[Counter[str], set[str], set[str], float]] = {}
    for (kind, entity, method), (texts, records) in seen.items():
        kind = "drug_class" if kind == "drug" and entity in classes else kind
        for text, n in texts.items():  # wordings that differ only in case or accents share a mention node
            predicate, justification, confidence = LINK_METHODS[method]
            key = (str(iri.mention(kind, text)), to_curie(entity), predicate, justification)
            t, rec, methods, conf = merged.setdefault(key, (Counter(), set(), set(), 0.0))
            t[text] += n
            rec |= records
            methods.add(method)
            merged[key] = (t, rec, methods, max(conf, confidence))
    out = []
    for (subject, obj, predicate, justification), (texts, records, methods, conf) in merged.items():
        kind = subject[len(iri.ID + "mention/"):].split("/")[0]
        label = min(texts, key=lambda t: (-texts[t], t))  # the most frequent wording, then the first
        out.append(Mapping(to_curie(subject), label, f"tkg:{_KIND_CLASS[kind]}", predicate, obj,
                           labels.get(expand_curie(obj), ""), justification, conf,
                           f"link method {', '.join(sorted(methods))}; {len(records)} registry record(s)"))
    return sorted(out, key=lambda m: (m.subject_id, m.object_id, m.predicate_id, m.mapping_justification))


_KIND_CLASS = {"drug": "Drug", "drug_class": "DrugClass", "condition": "Condition", "organization": "Organization"}


def expand_curie(curie: str) -> str:
    """A CURIE of :data:`CURIE_MAP` as its IRI (anything else unchanged)."""
    prefix, _, local = curie.partition(":")
    return CURIE_MAP[prefix] + local if prefix in CURIE_MAP else curie


def _labels(store: ox.Store, entities: Iterable[str]) -> tuple[dict[str, str], set[str]]:
    """Labels of entities (English or plain, the first in code-point order) and which are drug classes."""
    todo = sorted(entities)
    labels: dict[str, str] = {}
    classes: set[str] = set()
    for i in range(0, len(todo), 500):  # VALUES in chunks: a corpus links a few thousand entities
        values = " ".join(f"<{e}>" for e in todo[i:i + 500])
        for r in select(store, _LABELS % values):
            if r["l"] is not None:
                labels[r["x"].value] = r["l"].value
            if r["cls"] is not None and r["cls"].value == "1":
                classes.add(r["x"].value)
    return labels, classes


def metadata(store: ox.Store, used: Iterable[str] = ()) -> dict[str, object]:
    """The mapping set's metadata block: version and licence from the build's dataset description."""
    version, licence, ref = __version__, "https://creativecommons.org/licenses/by/4.0/", ""
    for r in select(store, _DATASET):
        version, licence = r["version"].value, r["licence"].value
        ref = r["activity"].value.rsplit("-", 1)[-1] if r["activity"] is not None else ""
    prefixes = {c.split(":", 1)[0] for c in used} | {"skos", "semapv", "trialkg", "tkg"}
    return {
        "curie_map": {p: CURIE_MAP[p] for p in sorted(prefixes) if p in CURIE_MAP},
        "mapping_set_id": "https://w3id.org/trialkg/mappings/trialkg-linking.sssom.tsv",
        "mapping_set_version": f"{version}+reference.{ref}" if ref else version,
        "mapping_set_title": "TrialKG linking decisions: registry mentions to drugs, MONDO conditions, organisations",
        "mapping_set_description": ("Mentions in trial-registry records and letters (subject, a TrialKG mention node "
                                    "named by kind and normalised wording) linked to reference entities by TrialKG's "
                                    "linker; unlinked mentions excluded."),
        "license": licence,
        "creator_label": ["TrialKG"],
        "mapping_provider": "https://w3id.org/trialkg",
        "subject_source": "trialkg:mention",
    }


def _yaml(meta: dict[str, object]) -> list[str]:
    """The metadata block as SSSOM writes it: YAML lines behind '# ' (plain scalars, lists, one mapping)."""
    lines = []
    for key, value in meta.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {v}" for k, v in value.items()]
        elif isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"  - {_scalar(v)}" for v in value]
        else:
            lines.append(f"{key}: {_scalar(str(value))}")
    return ["# " + line for line in lines]


def _scalar(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if ":" in value or "#" in value else value


def sssom_text(store: ox.Store, rows: list[Mapping] | None = None) -> str:
    """The SSSOM TSV (metadata block, header, sorted rows) of the store's linking decisions."""
    rows = mappings(store) if rows is None else rows
    buf = io.StringIO()
    buf.write("\n".join(_yaml(metadata(store, [m.object_id for m in rows] + [m.subject_id for m in rows]))) + "\n")
    w = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(COLUMNS)
    w.writerows(m.row() for m in rows)
    return buf.getvalue()


def write_sssom(store: ox.Store, output: str | Path) -> int:
    """Write the mapping set to ``output`` (written aside, then renamed); returns the number of mappings."""
    rows = mappings(store)
    path = Path(output)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(sssom_text(store, rows), encoding="utf-8")
    tmp.replace(path)
    return len(rows)
