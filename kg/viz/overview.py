"""The view ``trialkg build`` writes, whatever the size of the graph.

A few documents: the corpus graph. More: the rows of the headline question
(studies, tested drugs, their approvals and indications, studied conditions).
When the headline has no rows or too many: a summary of the most-tested drugs
and the conditions they are investigated for. Neither of the large-graph views
scans the store: they start from one query each, so they cost the same at any
size.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from kg.explain import evidence_rows
from kg.namespace import TKG
from kg.query import run_named, run_sparql
from kg.viz.graphs import triples_graph
from kg.viz.page import write_graph, write_view
from kg.viz.style import MAX_NODES, View, ViewStats, ViewTooLarge

HEADLINE = "myeloma-drugs-repurposed-for-autoimmunity"
# Up to this many studies the whole corpus graph is drawn (five documents give about 470 nodes).
CORPUS_VIEW_STUDIES = 8
SUMMARY_DRUGS = 25
SUMMARY = f"""PREFIX tkg: <{TKG}>
SELECT ?drug ?condition (COUNT(DISTINCT ?study) AS ?n) WHERE {{
  {{ SELECT ?drug (COUNT(DISTINCT ?s) AS ?studies) WHERE {{ ?s tkg:testsDrug ?drug }}
     GROUP BY ?drug ORDER BY DESC(?studies) ?drug LIMIT {SUMMARY_DRUGS} }}
  ?study tkg:testsDrug ?drug ; tkg:studiesCondition ?condition .
}} GROUP BY ?drug ?condition ORDER BY DESC(?n) ?drug ?condition LIMIT 120"""
_ROW_EDGES = (("study", TKG.testsDrug, "drug"), ("study", TKG.studiesCondition, "condition"),
              ("drug", TKG.hasApproval, "approval"), ("approval", TKG.approvedIndication, "indication"))


def headline_view(store: ox.Store, max_nodes: int = MAX_NODES) -> View:
    """The headline's rows as a graph, as many rows as fit under ``max_nodes``."""
    res = run_named(store, HEADLINE)
    if not res.rows:  # the caller draws the summary instead: describing no nodes still reads the vocabulary
        return View("Headline question: 0 rows", "", nx.MultiDiGraph())
    edges: list[tuple] = []
    nodes: set[str] = set()
    for r in evidence_rows(store, res):  # the approvals and conditions behind each study-drug row
        mine = [(r[s], ox.NamedNode(str(p)), r[o]) for s, p, o in _ROW_EDGES
                if isinstance(r.get(s), ox.NamedNode) and isinstance(r.get(o), ox.NamedNode)]
        new = {str(t) for s, _, o in mine for t in (s, o)} - nodes
        if len(nodes) + len(new) > max_nodes:
            break
        nodes |= new
        edges += mine
    return View(f"Headline question: {len(res.rows)} rows", "Which trials repurpose myeloma drugs for "
                "autoimmunity? Studies, tested drugs, their approvals and indications, studied conditions.",
                triples_graph(store, edges))


def summary_view(store: ox.Store) -> View:
    """The most-tested drugs and the conditions their studies study."""
    rows = run_sparql(store, SUMMARY).rows
    edges = [(d, ox.NamedNode(str(TKG.investigatedFor)), c) for d, c, _ in rows
             if isinstance(d, ox.NamedNode) and isinstance(c, ox.NamedNode)]
    return View(f"Summary: the {SUMMARY_DRUGS} most-tested drugs",
                "Each drug with the conditions its studies study (the graph is too large to draw whole).",
                triples_graph(store, edges))


def write_build_view(store: ox.Store, output: str | Path, studies: int) -> tuple[ViewStats, str]:
    """Write the view that fits the graph; returns its figures and which view it is."""
    if studies <= CORPUS_VIEW_STUDIES:
        try:
            return write_view(store, output), "corpus"
        except ViewTooLarge:
            pass
    view = headline_view(store)
    kind = "headline"
    if view.graph.number_of_nodes() == 0:
        view, kind = summary_view(store), "summary"
    return write_graph(view, output), kind


__all__ = ["CORPUS_VIEW_STUDIES", "headline_view", "nx", "summary_view", "write_build_view"]
