"""Views of the graph: what each view holds, what it hides, the page it writes, the CLI.

Expectations are computed from the store (SPARQL) or from the networkx graph,
never from today's counts: the corpus and the reference data grow.
"""

from __future__ import annotations

import json
import re

import networkx as nx
import pyoxigraph as ox
import pytest
from viz_cli_helpers import viz_cli
from rdflib.namespace import RDF, RDFS

from kg import iri, viz
from kg.explain import AUTOIMMUNE, hierarchy_path
from kg.namespace import TKG
from kg.query import run_named, run_sparql
from kg.resources import ontology_dir

HEADLINE = "myeloma-drugs-repurposed-for-autoimmunity"
SLE = "http://purl.obolibrary.org/obo/MONDO_0007915"
DARATUMUMAB = str(iri.entity("drug", "daratumumab"))
PFX = f"PREFIX tkg: <{TKG._NS}> PREFIX rdfs: <{RDFS}> PREFIX rdf: <{RDF}> "
IN_DOCUMENT = f'FILTER(STRSTARTS(STR(?g), "{iri.GRAPH}record/"))'
IMG_LABEL = "<img src=x onerror=alert(1)>"
SCRIPT_LABEL = "</script><script>alert(2)</script>"
HREF_LABEL = '<a href="javascript:alert(3)">click</a>'


def values(store: ox.Store, query: str) -> set[str]:
    """The first column of a query's rows."""
    return {row[0].value for row in run_sparql(store, PFX + query).rows if row[0] is not None}


@pytest.fixture(scope="module")
def corpus(corpus_store) -> nx.MultiDiGraph:
    return viz.corpus_graph(corpus_store)


@pytest.fixture(scope="module")
def focus(corpus_store) -> nx.MultiDiGraph:
    return viz.neighbourhood(corpus_store, "daratumumab", 2)


@pytest.fixture(scope="module")
def headline(corpus_store):
    return viz.query_graph(corpus_store, HEADLINE)


@pytest.fixture(scope="module")
def page(corpus_store, tmp_path_factory) -> tuple[viz.ViewStats, str]:
    stats = viz.write_view(corpus_store, tmp_path_factory.mktemp("page") / "corpus.html")
    return stats, stats.path.read_text(encoding="utf-8")


def page_data(text: str, name: str) -> list[dict]:
    found = re.search(rf"{name} = new vis\.DataSet\((\[.*?\])\);\n", text, re.S)
    return json.loads(found.group(1))


# ---------------------------------------------------------------- the corpus graph


def test_corpus_graph_holds_every_study(corpus_store, corpus):
    studies = values(corpus_store, f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?r tkg:describesStudy ?s }} {IN_DOCUMENT} }}")
    assert studies and all(corpus.nodes[s]["kind"] == "Study" for s in studies)


def test_corpus_graph_has_no_ontology_term(corpus_store, corpus):
    terms = values(corpus_store, f"SELECT DISTINCT ?t WHERE {{ GRAPH <{iri.ONTOLOGY_GRAPH}> {{ ?t ?p ?o }} }}")
    assert not terms & set(corpus)


def test_corpus_graph_has_no_evidence_node(corpus_store, corpus):
    evidence = values(corpus_store, "SELECT ?e WHERE { ?e a tkg:Evidence }")
    assert evidence and not evidence & set(corpus)


def test_corpus_graph_has_no_rdf_type_edge(corpus):
    assert all(p != str(RDF.type) for _, _, p in corpus.edges(keys=True))


def test_corpus_graph_has_no_hierarchy_edge(corpus):
    assert not {p for _, _, p in corpus.edges(keys=True)} & viz.HIERARCHY_PREDICATES


def test_corpus_graph_has_no_literal_node(corpus_store, corpus):
    literals = {q.object.value for q in corpus_store.quads_for_pattern(None, None, None, None)
                if isinstance(q.object, ox.Literal)}
    assert all(re.match(r"^https?://", n) for n in corpus) and not literals & set(corpus)


def test_corpus_graph_reference_nodes_are_one_hop_out_of_a_document(corpus_store, corpus):
    in_docs = values(corpus_store, f"SELECT DISTINCT ?x WHERE {{ GRAPH ?g {{ {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }} }} {IN_DOCUMENT} }}")
    outside = set(corpus) - in_docs
    assert all(any(s in in_docs for s in corpus.predecessors(n)) for n in outside)


def test_corpus_graph_hides_ancestors_only_the_hierarchy_reaches(corpus_store, corpus):
    # Set algebra in Python: the same question as one SPARQL query with two FILTER NOT EXISTS over all
    # graphs took minutes on the bulk reference graph.
    in_documents = values(corpus_store, f"SELECT DISTINCT ?n WHERE {{ GRAPH ?g {{ {{ ?n ?p ?o }} UNION {{ ?s ?p ?n }} }} "
                                        f"{IN_DOCUMENT} }}")
    document_subjects = values(corpus_store, f"SELECT DISTINCT ?x WHERE {{ GRAPH ?g {{ ?x ?p ?o }} {IN_DOCUMENT} }}")
    candidates = values(corpus_store, """SELECT DISTINCT ?a WHERE { ?study tkg:studiesCondition ?c .
        ?c rdfs:subClassOf+ ?a . FILTER(isIRI(?a) && ?a != tkg:Condition) }""") - in_documents
    listed = " ".join(f"<{a}>" for a in sorted(candidates))
    rows = run_sparql(corpus_store, PFX + f"""SELECT DISTINCT ?x ?a WHERE {{ VALUES ?a {{ {listed} }}
        ?x ?q ?a . FILTER(?q NOT IN (rdfs:subClassOf, tkg:hasBasisIn)) }}""").rows
    touched = {a.value for x, a in rows if x.value in document_subjects}
    ancestors = candidates - touched
    assert ancestors, "no MONDO ancestor of a studied condition in the reference data"
    assert not ancestors & set(corpus)


def test_corpus_graph_shows_tested_drugs_mechanisms_and_targets(corpus_store, corpus):
    rows = run_sparql(corpus_store, PFX + "SELECT DISTINCT ?m ?t WHERE { ?s tkg:testsDrug ?d . "
                      "?d tkg:hasMechanism ?m . ?d tkg:targets ?t }").rows
    assert rows, "reference data gives no mechanism and target for any tested drug"
    assert all(m.value in corpus and t.value in corpus for m, t in rows)


def test_corpus_graph_gives_unlinked_mentions_their_own_kind(corpus_store, corpus):
    mentions = values(corpus_store, "SELECT ?m WHERE { ?m a tkg:UnlinkedMention }") & set(corpus)
    assert mentions and all(corpus.nodes[m]["kind"] == "UnlinkedMention" for m in mentions)


def test_corpus_graph_gives_a_mondo_disease_the_condition_kind(corpus):
    assert corpus.nodes[SLE]["kind"] == "Condition"


def test_edge_label_is_the_ontology_label_of_the_predicate(corpus_store, corpus):
    labels = {row[0].value: row[1].value for row in run_sparql(corpus_store, PFX + f"""SELECT ?p ?l WHERE {{
        GRAPH <{iri.ONTOLOGY_GRAPH}> {{ ?p rdfs:label ?l FILTER(lang(?l) = "en") }} }}""").rows}
    edges = [(p, d["label"]) for _, _, p, d in corpus.edges(keys=True, data=True)]
    assert edges and all(label == labels[p] for p, label in edges if p in labels)


def test_edge_label_of_tests_drug_is_tests_drug(corpus):
    assert {d["label"] for _, _, p, d in corpus.edges(keys=True, data=True) if p == str(TKG.testsDrug)} == {"tests drug"}


def test_node_tooltip_names_type_identifiers_and_document(corpus_store, corpus):
    row = run_sparql(corpus_store, PFX + f"""SELECT ?s ?id ?file WHERE {{ GRAPH ?g {{
        ?r tkg:describesStudy ?s ; tkg:fileName ?file . ?s tkg:hasIdentifier/tkg:identifierValue ?id }}
        {IN_DOCUMENT} }} ORDER BY ?s ?id LIMIT 1""").rows[0]
    tip = corpus.nodes[row[0].value]["tooltip"]
    assert "type: study" in tip and row[1].value in tip and row[2].value in tip


def test_node_label_is_short_and_tooltip_holds_the_full_text(corpus):
    long = [d for _, d in corpus.nodes(data=True) if len(d["label"]) > viz.LABEL_LENGTH]
    assert long and all(len(d["short"]) <= viz.LABEL_LENGTH for d in long)
    assert all(d["label"][:viz.TOOLTIP_LENGTH - 1] in d["tooltip"] for d in long)


# ---------------------------------------------------------------- the focus view


def test_focus_accepts_a_label(corpus_store):
    assert viz.neighbourhood(corpus_store, "daratumumab", 1).graph["focus"] == DARATUMUMAB


def test_focus_accepts_a_curie(corpus_store):
    assert viz.neighbourhood(corpus_store, "MONDO:0007915", 1).graph["focus"] == SLE


def test_focus_accepts_an_iri(corpus_store):
    assert viz.neighbourhood(corpus_store, DARATUMUMAB, 1).graph["focus"] == DARATUMUMAB


def test_focus_label_naming_a_disease_and_a_meddra_term_picks_the_disease(corpus_store):
    assert viz.resolve_entity(corpus_store, "systemic lupus erythematosus") == SLE


def test_focus_nodes_are_within_depth(focus):
    hops = nx.single_source_shortest_path_length(focus.to_undirected(as_view=True), DARATUMUMAB)
    assert set(hops) == set(focus) and max(hops.values()) <= 2


def test_focus_holds_every_neighbour(corpus_store, focus):
    whole = viz.entity_graph(corpus_store, annotated=False)
    neighbours = set(whole.successors(DARATUMUMAB)) | set(whole.predecessors(DARATUMUMAB))
    assert neighbours and neighbours <= set(focus)


def test_focus_node_is_drawn_as_the_focus(focus):
    assert focus.nodes[DARATUMUMAB].get("focus") is True


def test_focus_on_unknown_label_raises(corpus_store):
    with pytest.raises(ValueError, match="no entity labelled"):
        viz.neighbourhood(corpus_store, "no such drug anywhere", 1)


def test_focus_and_query_together_raise(corpus_store, tmp_path):
    with pytest.raises(ValueError, match="not both"):
        viz.write_view(corpus_store, tmp_path / "x.html", focus="daratumumab", query=HEADLINE)


# ---------------------------------------------------------------- the query view


def test_query_view_holds_every_iri_of_the_rows(headline):
    graph, results = headline
    iris = {t.value for row in results.rows for t in row if isinstance(t, ox.NamedNode)}
    assert iris and iris <= set(graph)


def test_query_view_holds_each_conditions_path_to_autoimmune_disease(corpus_store, headline):
    graph, results = headline
    conditions = {row["condition"] for row in viz.evidence_rows(corpus_store, results)}
    for condition in conditions:
        node = condition
        for kind, parent in hierarchy_path(corpus_store, condition, AUTOIMMUNE):
            predicate = str(RDFS.subClassOf) if kind == "subClassOf" else str(TKG.hasBasisIn)
            assert graph.has_edge(node.value, parent.value, key=predicate)
            node = parent


def test_query_view_edges_link_nodes_of_the_view_only(headline):
    graph, results = headline
    assert all(s in graph and o in graph for s, o in graph.edges())


def test_query_view_of_unknown_query_raises(corpus_store, tmp_path):
    with pytest.raises(ValueError, match="no query named"):
        viz.write_view(corpus_store, tmp_path / "x.html", query="no-such-query")


def test_triples_graph_draws_a_construct_result(corpus_store):
    res = run_sparql(corpus_store, PFX + "CONSTRUCT { ?s tkg:testsDrug ?d } WHERE { ?s tkg:testsDrug ?d }")
    graph = viz.triples_graph(corpus_store, res.rows)
    assert graph.number_of_edges() == len(set(res.rows))
    assert {graph.nodes[s]["kind"] for s, _ in graph.edges()} == {"Study"}


# ---------------------------------------------------------------- the cap


def test_view_above_cap_raises_naming_how_to_narrow(corpus_store, corpus, tmp_path):
    with pytest.raises(viz.ViewTooLarge, match=r"--focus .* --depth 1.*--query NAME"):
        viz.write_view(corpus_store, tmp_path / "x.html", max_nodes=corpus.number_of_nodes() - 1)


def test_view_above_cap_writes_no_page(corpus_store, corpus, tmp_path):
    with pytest.raises(viz.ViewTooLarge):
        viz.write_view(corpus_store, tmp_path / "x.html", max_nodes=corpus.number_of_nodes() - 1)
    assert not (tmp_path / "x.html").exists()


def test_view_at_cap_is_written(corpus_store, corpus, tmp_path):
    stats = viz.write_view(corpus_store, tmp_path / "x.html", max_nodes=corpus.number_of_nodes())
    assert stats.path.exists()


def test_focus_above_cap_suggests_a_smaller_depth(corpus_store, focus, tmp_path):
    with pytest.raises(viz.ViewTooLarge, match="--depth 1"):
        viz.write_view(corpus_store, tmp_path / "x.html", focus="daratumumab", depth=2,
                       max_nodes=focus.number_of_nodes() - 1)


# ---------------------------------------------------------------- the page


def test_write_view_returns_the_counts_of_the_graph(page, corpus):
    stats, _ = page
    assert (stats.nodes, stats.edges) == (corpus.number_of_nodes(), corpus.number_of_edges())


def test_page_has_no_external_src_or_href(page):
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page[1], re.I)


def test_page_inlines_vis_network(page):
    assert "vis.Network" in page[1] and "<script src" not in page[1]


def test_page_forbids_every_fetch(page):
    assert "Content-Security-Policy" in page[1] and "default-src 'none'" in page[1]


def test_page_data_holds_every_node(page, corpus):
    assert {n["id"] for n in page_data(page[1], "nodes")} == set(corpus)


def test_page_data_holds_every_edge(page, corpus):
    assert len(page_data(page[1], "edges")) == corpus.number_of_edges()


def test_page_legend_lists_each_kind_present(page, corpus):
    legend = re.search(r'<div id="trialkg-legend">(.*?)</div>', page[1], re.S).group(1)
    kinds = {d["kind"] for _, d in corpus.nodes(data=True)}
    assert all(f"{viz.STYLES[k].legend} (" in legend for k in kinds)


def test_page_bounds_stabilisation(page):
    options = json.loads(re.search(r"var options = (\{.*?\});\n", page[1], re.S).group(1))
    assert options["physics"]["stabilization"]["iterations"] <= 300


def test_page_never_enables_pyvis_html_tooltips(page):
    assert "popup.innerHTML" not in page[1]


# ---------------------------------------------------------------- markup in the data

EVIL_STUDY = iri.study("NCT", "NCT99999999")
EVIL_MENTION = iri.mention("drug", "evil")


def evil_store(study_label: str = IMG_LABEL) -> ox.Store:
    """The ontology and one document whose study, drug mention and file name are markup."""
    store = ox.Store()
    store.load(path=str(ontology_dir() / "trialkg.ttl"), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode(str(iri.ONTOLOGY_GRAPH)))
    g = ox.NamedNode(str(iri.record_graph("letter", "evil")))
    study, mention = ox.NamedNode(str(EVIL_STUDY)), ox.NamedNode(str(EVIL_MENTION))
    record, node = ox.NamedNode(str(iri.record("letter", "evil"))), lambda t: ox.NamedNode(str(t))
    store.extend(ox.Quad(s, p, o, g) for s, p, o in [
        (study, node(RDF.type), node(TKG.Study)), (study, node(RDFS.label), ox.Literal(study_label)),
        (study, node(TKG.testsDrug), mention), (mention, node(RDF.type), node(TKG.UnlinkedMention)),
        (mention, node(RDFS.label), ox.Literal(SCRIPT_LABEL)), (record, node(TKG.describesStudy), study),
        (record, node(TKG.fileName), ox.Literal("<b>evil</b>.txt"))])
    return store


@pytest.fixture(scope="module")
def evil_page(tmp_path_factory) -> str:
    stats = viz.write_view(evil_store(), tmp_path_factory.mktemp("evil") / "evil.html", focus=str(EVIL_STUDY), depth=1)
    return stats.path.read_text(encoding="utf-8")


@pytest.mark.parametrize("markup", [IMG_LABEL, SCRIPT_LABEL, "<b>evil</b>"])
def test_markup_never_appears_raw_in_the_page(evil_page, markup):
    assert markup not in evil_page


def test_markup_label_reaches_the_page_data_as_text(evil_page):
    labels = {n["id"]: n["title"] for n in page_data(evil_page, "nodes")}
    assert labels[str(EVIL_STUDY)].startswith(IMG_LABEL) and labels[str(EVIL_MENTION)].startswith(SCRIPT_LABEL)


def test_markup_label_in_the_heading_is_escaped(evil_page):
    assert "<h1>Neighbourhood of &lt;img src=x onerror=alert(1)&gt; (depth 1)</h1>" in evil_page


def test_markup_label_in_the_title_is_escaped(evil_page):
    assert "<title>Neighbourhood of &lt;img" in evil_page


def test_href_in_a_title_does_not_switch_to_html_popups(tmp_path):
    stats = viz.write_view(evil_store(HREF_LABEL), tmp_path / "href.html", focus=str(EVIL_STUDY), depth=1)
    text = stats.path.read_text(encoding="utf-8")
    assert "popup.innerHTML" not in text and HREF_LABEL not in text


# ---------------------------------------------------------------- the view command


def test_cli_view_writes_the_page(store_dir, tmp_path, capsys):
    assert viz_cli(["view", "--store", store_dir, "--output", str(tmp_path / "v.html"), "--query", HEADLINE]) == 0
    assert (tmp_path / "v.html").exists() and "nodes" in capsys.readouterr().out


def test_cli_view_above_cap_exits_2_with_the_way_to_narrow(store_dir, tmp_path, capsys):
    assert viz_cli(["view", "--store", store_dir, "--output", str(tmp_path / "v.html"), "--max-nodes", "3"]) == 2
    assert "--focus" in capsys.readouterr().err


def test_cli_view_of_unknown_entity_exits_2(store_dir, tmp_path, capsys):
    assert viz_cli(["view", "--store", store_dir, "--output", str(tmp_path / "v.html"), "--focus", "nothing-like-it"]) == 2
    assert "no entity labelled" in capsys.readouterr().err


def test_cli_view_on_an_empty_store_exits_1(tmp_path, capsys):
    assert viz_cli(["view", "--store", ":memory:", "--output", str(tmp_path / "v.html")]) == 1
    assert "empty" in capsys.readouterr().err


def test_cli_view_rejects_focus_with_query(store_dir, tmp_path):
    with pytest.raises(SystemExit):
        viz_cli(["view", "--store", store_dir, "--output", str(tmp_path / "v.html"), "--focus", "x", "--query", HEADLINE])


def test_headline_query_has_rows(corpus_store):
    assert run_named(corpus_store, HEADLINE).rows, "the headline query returns no row on the corpus"
