"""Interactive views of the graph: networkx graphs of the store, written as self-contained pyvis pages.

Three views share one page writer (:func:`write_view`):

* the corpus: everything the documents say, plus the reference entities one hop
  out of a document's entity (a tested drug's mechanism, target and approvals),
  without ontology terms, evidence nodes, ``rdf:type`` edges, literals or the
  MONDO hierarchy;
* the neighbourhood of one entity (``focus``, given as a label, CURIE or IRI);
* the subgraph behind the rows of a named query, with the hierarchy path from
  each studied condition up to the class the query rolls up to.

Pages open from a file with the network off: vis-network is inlined, the
external links pyvis's template adds are removed, a Content-Security-Policy
forbids any fetch, and every text from the data reaches the page either as
JSON (escaped by jinja's ``tojson``, shown by vis-network as text) or through
:func:`html.escape` (docs/decisions/0005-views.md).
"""

from __future__ import annotations

from kg.viz.style import (  # noqa: F401  (the public API of kg.viz)
    EXTRA_PREDICATE_LABELS, KIND_CLASSES, STYLES, HIDDEN_BY_DEFAULT, HIDDEN_PREDICATES, HIERARCHY_PREDICATES, IDENTIFIER_PREDICATES,
    LABEL_LENGTH, LABEL_PREDICATES, MAX_NODES, RECORD_GRAPHS, SHAPE_GLYPHS, STABILISATION_ITERATIONS, Style,
    TOOLTIP_LENGTH, UNSHOWN_TYPES, View, ViewStats, ViewTooLarge,
)
from kg.viz.nodes import (  # noqa: F401  (the public API of kg.viz)
    Scan, Vocabulary, annotate, describe, scan, tooltip, vocabulary,
)
from kg.viz.graphs import (  # noqa: F401  (the public API of kg.viz)
    LABEL_CANDIDATES, NAME_PREDICATES, ROLLUP_COLUMNS, check_size, corpus_graph, entity_graph, neighbourhood,
    query_graph, resolve_entity, rollup_paths, triples_graph, view_graph,
)
from kg.viz.page import (  # noqa: F401  (the public API of kg.viz)
    CSP, FREEZE_SCRIPT, NotebookFrame, PAGE_CSS, VIS_OPTIONS, finish_page, header_html, legend_html, network,
    notebook_frame, render_html, write_graph, write_view,
)
from kg.viz.overview import headline_view, summary_view, write_build_view  # noqa: F401
from kg.explain import evidence_rows  # noqa: F401  (a study-drug row's approvals and conditions)
from kg.namespace import TKG  # noqa: F401  (tests and notebooks reach it as kg.viz.TKG)
