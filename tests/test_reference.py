"""Reference tables: the compiled artifact is in sync, and merging curated over bulk rows."""


from kg import reference_compile
from kg.refdata import Drug, Reference, _merge, load_reference


def test_compiled_reference_artifact_matches_the_tables():
    assert reference_compile.artifact_is_current(), "run: python -m kg.reference_compile"


def test_every_reference_table_row_names_a_known_source():
    ref = load_reference()
    keys = {s.key for s in ref.sources}
    for table in (ref.drugs, ref.targets, ref.cell_types, ref.mechanisms, ref.approvals, ref.conditions,
                  ref.mondo, ref.organizations, ref.indications):
        for row in table:
            assert row.source, row
            assert set(row.source) <= keys, (row, set(row.source) - keys)


def _drug(id_, label, **kw):
    base = dict(kind="SMALL_MOLECULE", synonyms=(), abbreviations=(), brand_names=(), labels_fr=(), xrefs=(),
                parent_class="", source=("medic",))
    base.update(kw)
    return Drug(id=id_, label=label, **base)


def test_curated_rows_win_and_bulk_rows_fill_what_they_lack():
    empty = Reference(*([()] * 9))
    curated = empty.__class__(**{**empty.__dict__, "drugs": (_drug("x", "Curated X", brand_names=("XBRAND",), source=("cur",)),)})
    bulk = empty.__class__(**{**empty.__dict__, "drugs": (_drug("x", "bulk x", kind="OTHER", brand_names=("OTHERBRAND", "xbrand")),
                                                             _drug("y", "bulk y"))})
    merged = _merge(curated, bulk)
    x = next(d for d in merged.drugs if d.id == "x")
    assert x.label == "Curated X" and x.kind == "SMALL_MOLECULE"
    assert x.brand_names == ("XBRAND", "OTHERBRAND")
    assert x.source == ("cur", "medic")
    assert [d.id for d in merged.drugs] == ["x", "y"]
    assert merged.curated_drug_ids == frozenset({"x"})


def test_japan_flag_is_a_drug_flag_not_an_approval():
    from kg.emit.reference import reference_graph
    from kg.namespace import TKG

    drug = Drug("exampline", "exampline", "SMALL_MOLECULE", (), (), (), (), (), "", ("medic",), ("approved-in-japan",))
    graph = reference_graph(Reference((), (drug,), (), (), (), (), (), (), ()))
    assert (None, TKG.approvedInJapan, None) in graph
    assert not list(graph.subjects(predicate=TKG.approvingAgency))


def test_packaged_reference_flags_drugs_approved_in_japan():
    flagged = [d for d in load_reference().drugs if "approved-in-japan" in d.flags]
    assert len(flagged) > 500
