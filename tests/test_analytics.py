"""Explanation paths and graph statistics; expectations come from the store, never from today's counts."""

from __future__ import annotations

import io

import networkx as nx
import pyoxigraph as ox
import pytest
from viz_cli_helpers import viz_cli

from kg import analytics, iri, viz
from kg.query import run_sparql

SLE_LABEL = "systemic lupus erythematosus"
DARATUMUMAB = str(iri.entity("drug", "daratumumab"))
CD38 = str(iri.entity("target", "CD38"))
# Kinds of node a path "explains" through, besides CD38 itself.
EXPLAINING_KINDS = {"Study", "Publication"}


@pytest.fixture(scope="module")
def sle_paths(corpus_store) -> list[list[analytics.Hop]]:
    return analytics.find_paths(corpus_store, "daratumumab", SLE_LABEL, k=5)


def _kind(store: ox.Store, key: str) -> str:
    return viz.describe(store, viz.vocabulary(store), key)["kind"]


def test_path_daratumumab_to_sle_goes_through_cd38_a_study_or_a_publication(corpus_store, sle_paths):
    inner = {hop.target for path in sle_paths for hop in path[:-1]}
    assert CD38 in inner or {_kind(corpus_store, n) for n in inner} & EXPLAINING_KINDS


def test_path_starts_at_the_first_entity_and_ends_at_the_second(corpus_store, sle_paths):
    goal = viz.resolve_entity(corpus_store, SLE_LABEL)
    assert all(p[0].source == DARATUMUMAB and p[-1].target == goal for p in sle_paths)


def test_paths_come_shortest_first(sle_paths):
    assert [len(p) for p in sle_paths] == sorted(len(p) for p in sle_paths)


def test_paths_are_as_short_as_networkx_says(corpus_store, sle_paths):
    graph = analytics.explanation_graph(corpus_store).to_undirected(as_view=True)
    goal = viz.resolve_entity(corpus_store, SLE_LABEL)
    assert len(sle_paths[0]) == nx.shortest_path_length(graph, DARATUMUMAB, goal)


def test_k_bounds_the_number_of_paths(corpus_store):
    assert len(analytics.find_paths(corpus_store, "daratumumab", SLE_LABEL, k=1)) == 1


def test_each_hop_is_an_edge_of_the_store_in_its_direction(corpus_store, sle_paths):
    for hop in (h for path in sle_paths for h in path):
        s, o = (hop.source, hop.target) if hop.forward else (hop.target, hop.source)
        assert next(corpus_store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(hop.predicate), ox.NamedNode(o)), None)


def test_printed_hops_name_the_predicate_label_and_direction(corpus_store):
    out = io.StringIO()
    paths = analytics.shortest_paths(corpus_store, "daratumumab", SLE_LABEL, k=3, out=out)
    arrows = {f"--{h.label}-->" if h.forward else f"<--{h.label}--" for p in paths for h in p}
    assert all(a in out.getvalue() for a in arrows) and "daratumumab" in out.getvalue()


def test_path_from_unknown_entity_raises(corpus_store):
    with pytest.raises(ValueError, match="no entity labelled"):
        analytics.find_paths(corpus_store, "no such drug anywhere", SLE_LABEL)


def test_path_between_unlinked_entities_is_empty(corpus_store):
    store = ox.Store()
    store.extend(corpus_store)
    island = iri.entity("drug", "island-test-drug")
    other = iri.entity("drug", "other-island-test-drug")
    graph = ox.NamedNode(str(iri.REFERENCE_GRAPH))
    store.add(ox.Quad(ox.NamedNode(str(island)), ox.NamedNode(str(viz.TKG.targets)), ox.NamedNode(str(island) + "-t"), graph))
    store.add(ox.Quad(ox.NamedNode(str(other)), ox.NamedNode(str(viz.TKG.targets)), ox.NamedNode(str(other) + "-t"), graph))
    assert analytics.find_paths(store, str(island), str(other)) == []


# ---------------------------------------------------------------- statistics


@pytest.fixture(scope="module")
def stats(corpus_store) -> analytics.Stats:
    return analytics.stats(corpus_store, top=5, out=io.StringIO())


def test_stats_count_studies_as_sparql_does(corpus_store, stats):
    expected = run_sparql(corpus_store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a "
                          f"<{viz.TKG.InterventionalTrial}> }}").rows[0][0].value
    assert dict(stats.classes)["tkg:InterventionalTrial"] == int(expected)


def test_stats_count_triples_per_predicate_to_the_store_size(corpus_store, stats):
    assert sum(n for _, n in stats.predicates) == len(corpus_store)


def test_stats_name_predicates_by_curie(stats):
    assert "rdf:type" in dict(stats.predicates) and "tkg:testsDrug" in dict(stats.predicates)


def test_stats_most_connected_are_sorted_by_degree(stats):
    degrees = [d for _, _, d in stats.most_connected]
    assert len(degrees) == 5 and degrees == sorted(degrees, reverse=True)


def test_stats_most_connected_has_the_highest_degree(corpus_store, stats):
    graph = analytics.explanation_graph(corpus_store)
    assert stats.most_connected[0][2] == max(d for _, d in graph.degree)


def test_stats_printout_names_each_section(corpus_store):
    out = io.StringIO()
    analytics.stats(corpus_store, out=out)
    assert all(s in out.getvalue() for s in ("instances per class:", "triples per predicate:", "most connected",
                                             "reference entities per kind:", "per kind and source:"))


def test_stats_count_reference_entities_by_kind_as_sparql_does(corpus_store, stats):
    expected = run_sparql(corpus_store, f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ GRAPH <{iri.REFERENCE_GRAPH}> "
                          f"{{ ?d a <{viz.TKG.MonoclonalAntibody}> }} }}").rows[0][0].value
    assert dict(stats.reference_kinds)["tkg:MonoclonalAntibody"] == int(expected) > 100


def test_stats_count_reference_entities_by_source(stats):
    by_source = {(kind, source): n for kind, source, n in stats.reference_sources}
    assert by_source[("tkg:Approval", "fda-orange-book")] > 1000
    assert by_source[("tkg:Approval", "ema-epar")] > 500
    assert by_source[("tkg:MechanismOfAction", "drugcentral2016")] > 1000
    # documents are not reference data: no study is counted
    assert not any(kind.endswith("Trial") or kind.endswith("Study") for kind, _, _ in stats.reference_sources)


def test_results_frame_has_the_query_columns_and_rows(corpus_store):
    res = run_sparql(corpus_store, f"SELECT ?s ?d WHERE {{ ?s <{viz.TKG.testsDrug}> ?d }}")
    frame = analytics.results_frame(res)
    assert list(frame.columns) == ["s", "d"] and len(frame) == len(res.rows)


# ---------------------------------------------------------------- the path and stats commands


def test_cli_path_prints_hops(store_dir, capsys):
    assert viz_cli(["path", "--store", store_dir, "daratumumab", SLE_LABEL, "--k", "2"]) == 0
    assert "path 1" in capsys.readouterr().out


def test_cli_path_with_unknown_entity_exits_2(store_dir, capsys):
    assert viz_cli(["path", "--store", store_dir, "daratumumab", "no such disease anywhere"]) == 2
    assert "no entity labelled" in capsys.readouterr().err


def test_cli_stats_prints_counts(store_dir, capsys):
    assert viz_cli(["stats", "--store", store_dir]) == 0
    out = capsys.readouterr().out
    assert "instances per class:" in out and "tkg:testsDrug" in out


def test_cli_stats_on_an_empty_store_exits_1(capsys):
    assert viz_cli(["stats", "--store", ":memory:"]) == 1
