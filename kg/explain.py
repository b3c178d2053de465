"""Why a repurposing row is there: the approval with its source, and the
hierarchy paths from the approved indication and from the studied condition up
to the classes the query asked for, naming each edge (``rdfs:subClassOf`` or
MONDO's "has basis in feature").
"""

from __future__ import annotations

from collections import deque

import pyoxigraph as ox

from kg.query import Results

SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
BASIS = ox.NamedNode("https://w3id.org/trialkg/ontology/hasBasisIn")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
# Defaults of the headline query: plasma cell myeloma and autoimmune disease (MONDO).
MYELOMA = ox.NamedNode("http://purl.obolibrary.org/obo/MONDO_0009693")
AUTOIMMUNE = ox.NamedNode("http://purl.obolibrary.org/obo/MONDO_0007179")


def label(store: ox.Store, node: ox.NamedNode) -> str:
    labels = [q.object for q in store.quads_for_pattern(node, LABEL, None)]
    english = [lab.value for lab in labels if getattr(lab, "language", None) in ("en", None)]
    return sorted(english or [lab.value for lab in labels] or [node.value])[0]


def _edges(store: ox.Store, node: ox.NamedNode, follow_basis: bool) -> list[tuple[str, ox.NamedNode]]:
    out = [("subClassOf", q.object) for q in store.quads_for_pattern(node, SUBCLASS, None)]
    if follow_basis:
        out += [("has basis in", q.object) for q in store.quads_for_pattern(node, BASIS, None)]
    return sorted({(k, o) for k, o in out if isinstance(o, ox.NamedNode)}, key=lambda e: (e[0], e[1].value))


def hierarchy_path(store: ox.Store, start: ox.NamedNode, goal: ox.NamedNode,
                   follow_basis: bool = True) -> list[tuple[str, ox.NamedNode]] | None:
    """Shortest path of (edge, node) steps from ``start`` to ``goal``; [] when they are equal."""
    seen, queue = {start}, deque([(start, [])])
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


def _col(row: dict, name: str):
    return row.get(name)


def explain_rows(store: ox.Store, results: Results) -> str:
    """One explanation block per distinct (study, drug, approval, condition) row."""
    lines, seen = ["", "Why each row is there:"], set()
    for values in results.rows:
        row = dict(zip(results.variables, values))
        key = tuple(str(_col(row, k)) for k in ("study", "drug", "approval", "condition"))
        if key in seen or _col(row, "approval") is None:
            continue
        seen.add(key)
        approved_goal = _col(row, "approvedClass") or MYELOMA
        studied_goal = _col(row, "studiedClass") or AUTOIMMUNE
        lines.append(f"- {row['study'].value}: {label(store, row['drug'])}")
        lines.append(f"    approval: {label(store, row['approval'])} ({_value(row, 'approvalDate')}); "
                     f"source: {_value(row, 'approvalSource')}")
        lines.append("    indication: " + format_path(store, row["indication"],
                                                       hierarchy_path(store, row["indication"], approved_goal, False)))
        lines.append("    condition:  " + format_path(store, row["condition"],
                                                       hierarchy_path(store, row["condition"], studied_goal)))
        lines.append(f"    document:   {_value(row, 'document')}")
    return "\n".join(lines)


def _value(row: dict, name: str) -> str:
    term = row.get(name)
    return term.value if term is not None else "-"
