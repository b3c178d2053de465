"""Why a repurposing row is there: the approval with its source, and the
hierarchy paths from the approved indication and from the studied condition up
to the classes the query asked for, naming each edge (``rdfs:subClassOf`` or
MONDO's "has basis in feature").
"""

from __future__ import annotations

from collections import deque

import pyoxigraph as ox

from kg.query import Results
from kg.store import value

SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
BASIS = ox.NamedNode("https://w3id.org/trialkg/ontology/hasBasisIn")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
# Defaults of the headline query: plasma cell myeloma and autoimmune disease (MONDO).
MYELOMA = ox.NamedNode("http://purl.obolibrary.org/obo/MONDO_0009693")
AUTOIMMUNE = ox.NamedNode("http://purl.obolibrary.org/obo/MONDO_0007179")


def label(store: ox.Store, node: object) -> str:
    """The English (or any) label of a node, else its IRI."""
    if not isinstance(node, ox.NamedNode):
        return value(node)
    labels = [q.object for q in store.quads_for_pattern(node, LABEL, None) if isinstance(q.object, ox.Literal)]
    english = [lab.value for lab in labels if lab.language in ("en", None)]
    return sorted(english or [lab.value for lab in labels] or [node.value])[0]


def _edges(store: ox.Store, node: ox.NamedNode, follow_basis: bool) -> list[tuple[str, ox.NamedNode]]:
    out = [("subClassOf", q.object) for q in store.quads_for_pattern(node, SUBCLASS, None)]
    if follow_basis:
        out += [("has basis in", q.object) for q in store.quads_for_pattern(node, BASIS, None)]
    return sorted({(k, o) for k, o in out if isinstance(o, ox.NamedNode)}, key=lambda e: (e[0], e[1].value))


def hierarchy_path(store: ox.Store, start: ox.NamedNode, goal: ox.NamedNode,
                   follow_basis: bool = True) -> list[tuple[str, ox.NamedNode]] | None:
    """Shortest path of (edge, node) steps from ``start`` to ``goal``; [] when they are equal."""
    seen = {start}
    queue: deque[tuple[ox.NamedNode, list[tuple[str, ox.NamedNode]]]] = deque([(start, [])])
    while queue:
        node, path = queue.popleft()
        if node == goal:
            return path
        for kind, parent in _edges(store, node, follow_basis):
            if parent not in seen:
                seen.add(parent)
                queue.append((parent, path + [(kind, parent)]))
    return None


def format_path(store: ox.Store, start: ox.NamedNode, path: list[tuple[str, ox.NamedNode]] | None) -> str:
    if path is None:
        return f"{label(store, start)}: no path"
    text = label(store, start)
    for kind, node in path:
        text += f" --{kind}--> {label(store, node)}"
    return text


def _node(row: dict, name: str, default: ox.NamedNode | None = None) -> ox.NamedNode:
    term = row.get(name)
    if isinstance(term, ox.NamedNode):
        return term
    if default is None:
        raise ValueError(f"the row has no IRI in ?{name}")
    return default


EVIDENCE_QUERY = "repurposing-evidence"


def evidence_rows(store: ox.Store, results: Results) -> list[dict]:
    """The (study, drug, approval, condition) rows behind ``results``: its own rows when it has them
    (repurposing-evidence.rq), else, for one row per study and drug (the headline, drug-repurposing.rq),
    repurposing-evidence's rows for the same classes and pairs."""
    rows = [dict(zip(results.variables, values)) for values in results.rows]
    if "approval" in results.variables or not rows:
        return rows
    from kg.query import run_named

    out: list[dict] = []
    for classes in sorted({(value(r.get("approvedClass")) or MYELOMA.value, value(r.get("studiedClass")) or AUTOIMMUNE.value)
                           for r in rows}):
        pairs = {(value(r.get("study")), value(r.get("drug"))) for r in rows
                 if (value(r.get("approvedClass")) or MYELOMA.value, value(r.get("studiedClass")) or AUTOIMMUNE.value) == classes}
        found = run_named(store, EVIDENCE_QUERY, {"approvedClass": classes[0], "studiedClass": classes[1]})
        out += [e for e in (dict(zip(found.variables, v)) for v in found.rows)
                if (value(e.get("study")), value(e.get("drug"))) in pairs]
    return out


def explain_rows(store: ox.Store, results: Results) -> str:
    """One block per study and drug: the document lines naming them (when the rows carry them), then
    each (approval, condition) behind the pair with the approval's source and both hierarchy paths."""
    lines, seen = ["", "Why each row is there:"], set()
    stated = {(value(r.get("study")), value(r.get("drug"))): r
              for r in (dict(zip(results.variables, v)) for v in results.rows)}
    current = None
    for row in evidence_rows(store, results):
        pair = (value(row.get("study")), value(row.get("drug")))
        key = (*pair, value(row.get("approval")), value(row.get("condition")))
        if key in seen or row.get("approval") is None:
            continue
        seen.add(key)
        if pair != current:
            current = pair
            lines.append(f"- {pair[0]}: {label(store, row.get('drug'))}")
            for column, what in (("drugEvidence", "drug stated in"), ("conditionEvidence", "conditions stated in")):
                if value(stated.get(pair, {}).get(column)):
                    lines.append(f"    {what}: {value(stated[pair][column])}")
        indication, condition = _node(row, "indication"), _node(row, "condition")
        approved_goal = _node(row, "approvedClass", MYELOMA)
        studied_goal = _node(row, "studiedClass", AUTOIMMUNE)
        lines.append(f"    approval: {label(store, row.get('approval'))} ({value(row.get('approvalDate')) or '-'}); "
                     f"source: {value(row.get('approvalSource')) or '-'}")
        lines.append("    indication: " + format_path(store, indication, hierarchy_path(store, indication, approved_goal, False)))
        lines.append("    condition:  " + format_path(store, condition, hierarchy_path(store, condition, studied_goal)))
        lines.append(f"    document:   {value(row.get('document')) or '-'}")
    return "\n".join(lines)
