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


def explain_rows(store: ox.Store, results: Results) -> str:
    """One explanation block per distinct (study, drug, approval, condition) row."""
    lines, seen = ["", "Why each row is there:"], set()
    for values in results.rows:
        row = dict(zip(results.variables, values))
        key = tuple(value(row.get(k)) for k in ("study", "drug", "approval", "condition"))
        if key in seen or row.get("approval") is None:
            continue
        seen.add(key)
        indication, condition = _node(row, "indication"), _node(row, "condition")
        approved_goal = _node(row, "approvedClass", MYELOMA)
        studied_goal = _node(row, "studiedClass", AUTOIMMUNE)
        lines.append(f"- {value(row.get('study'))}: {label(store, row.get('drug'))}")
        lines.append(f"    approval: {label(store, row.get('approval'))} ({value(row.get('approvalDate')) or '-'}); "
                     f"source: {value(row.get('approvalSource')) or '-'}")
        lines.append("    indication: " + format_path(store, indication, hierarchy_path(store, indication, approved_goal, False)))
        lines.append("    condition:  " + format_path(store, condition, hierarchy_path(store, condition, studied_goal)))
        lines.append(f"    document:   {value(row.get('document')) or '-'}")
    return "\n".join(lines)
