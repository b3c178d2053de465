"""The CLI under hostile input: every error is one line on stderr and a non-zero exit, never a traceback,
never a store created by a mistyped ``--store``, never invalid JSON; read commands run while another
process holds the store; a closed pipe ends the command quietly.

Most cases run ``kg.cli.main`` in-process (fast); the pipe and lock cases need real processes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg.serve
from kg.cli import main
from kg.resources import corpus_files

LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
GRAPH = ox.NamedNode("https://w3id.org/trialkg/graph/test")
DRUGS = 20_000  # enough N-Triples (about 2 MB) to fill a pipe many times over


def _fill(path: Path) -> ox.Store:
    store = ox.Store(str(path))
    store.bulk_extend(ox.Quad(ox.NamedNode(f"https://w3id.org/trialkg/id/drug/d{i}"), LABEL,
                              ox.Literal(f"drug number {i}"), GRAPH) for i in range(DRUGS))
    store.flush()
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    """A small on-disk store, closed: the commands open it themselves."""
    path = tmp_path_factory.mktemp("cli") / "store"
    _fill(path)  # not kept: dropping the store closes it
    return str(path)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, *words: str) -> str:
    """The single ``error: ...`` line on stderr, which names each of ``words``."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") or ": error: " in lines[0], lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# ---------------------------------------------------------------- bad SPARQL and query input

@pytest.mark.parametrize("query,words", [
    ("SELEC ?x WHERE { ?x ?p ?o }", ("bad SPARQL", "'SELEC'", "SELECT")),
    ("SELECT ?x WHERE { ?x foo:bar ?y }", ("bad SPARQL", "line 1", "undeclared prefix foo:", "foo:bar")),
    ("SELECT ?x WHERE { ?x <http://a> ?y ", ("bad SPARQL", "line 1, column 36")),
    ("INSERT DATA { <http://a> <http://b> <http://c> }", ("updates are not allowed here", "read-only")),
    ("PREFIX x: <http://x#> # a comment\nDELETE WHERE { ?s ?p ?o }", ("updates are not allowed here",)),
])
def test_bad_sparql_is_one_line_saying_what_is_wrong(store, capsys, query, words):
    code, out, err = run(["sparql", "--store", store, query], capsys)
    assert code == 2 and out == ""
    one_error_line(err, *words)


def test_a_bad_query_file_is_named(store, tmp_path, capsys):
    rq = tmp_path / "q.rq"
    rq.write_text("SELECT ?x WHERE { ?x foo:bar ?y }", encoding="utf-8")
    code, _, err = run(["sparql", "--store", store, "--file", str(rq)], capsys)
    assert code == 2
    one_error_line(err, str(rq), "undeclared prefix foo:")


def test_a_missing_query_file_is_one_line(store, tmp_path, capsys):
    code, _, err = run(["sparql", "--store", store, "--file", str(tmp_path / "missing.rq")], capsys)
    assert code == 2
    one_error_line(err, "missing.rq", "No such file")


def test_no_query_at_all_is_a_usage_error(store, capsys):
    code, _, err = run(["sparql", "--store", store], capsys)
    assert code == 2
    one_error_line(err, "--file")


def test_a_query_pyoxigraph_cannot_evaluate_is_one_line(store, capsys):
    code, _, err = run(["sparql", "--store", store, "SELECT * WHERE { ?s ?p ?o FILTER(<http://a>(?o)) }"], capsys)
    assert code == 1
    one_error_line(err, "the query failed", "<http://a>")


def test_unknown_query_and_bad_param_are_one_line(store, capsys):
    code, _, err = run(["query", "--store", store, "no-such-query"], capsys)
    assert code == 2
    one_error_line(err, "'no-such-query'", "--list")
    code, _, err = run(["query", "--store", store, "studies-by-sponsor", "--param", "sponsor"], capsys)
    assert code == 2
    one_error_line(err, "KEY=VALUE", "'sponsor'")


def test_a_usage_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sparql", "--no-such-option"])
    assert exit_.value.code == 2
    one_error_line(capsys.readouterr().err, "--no-such-option", "--help")


def test_memory_store_still_answers(capsys):
    code, out, err = run(["sparql", "--store", ":memory:", "ASK { }"], capsys)
    assert (code, out.strip(), err) == (0, "true", "")


# ---------------------------------------------------------------- SERVICE

def test_service_is_refused_through_the_endpoints_check(store, capsys, monkeypatch):
    calls = []

    def refuse(query: str, allowed) -> None:  # stands for kg.serve.check_service: raises its refusal
        calls.append(set(allowed))
        raise ValueError("SERVICE <http://example.org/sparql> is not allowed")

    monkeypatch.setattr(kg.serve, "check_service", refuse)
    query = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    code, out, err = run(["sparql", "--store", store, "--allow-service", "http://a.example/sparql",
                          "--allow-service", "http://b.example/sparql", query], capsys)
    assert code == 2 and out == ""
    one_error_line(err, "SERVICE <http://example.org/sparql> is not allowed", "--allow-service")
    assert calls == [{"http://a.example/sparql", "http://b.example/sparql"}]


def test_service_refused_by_the_real_check(store, capsys):
    query = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    code, out, err = run(["sparql", "--store", store, query], capsys)
    assert code != 0 and out == ""
    one_error_line(err, "SERVICE")


# ---------------------------------------------------------------- stores that are not there

@pytest.mark.parametrize("argv", [
    ["sparql", "SELECT * WHERE { ?s ?p ?o }"],
    ["query", "drugs-by-target"],
    ["export", "--output", "OUT"],
    ["validate", "--no-reasoner"],
    ["view", "--output", "OUT"],
    ["stats"],
    ["path", "daratumumab", "lupus"],
])
def test_a_missing_store_is_one_line_and_is_not_created(tmp_path, capsys, argv):
    missing = tmp_path / "no-store"
    output = tmp_path / "out"
    argv = [str(output) if a == "OUT" else a for a in argv]
    code, out, err = run([argv[0], "--store", str(missing), *argv[1:]], capsys)
    assert code != 0 and out == ""
    one_error_line(err, str(missing), "no TrialKG store here")
    assert not missing.exists()
    assert not output.exists() and not list(tmp_path.glob("out*"))


def test_validate_refuses_a_store_without_ontology(store, capsys):
    code, _, err = run(["validate", "--store", store, "--no-reasoner"], capsys)
    assert code == 1
    one_error_line(err, store, "no ontology graph")


# ---------------------------------------------------------------- documented forms

def test_explain_with_json_is_one_json_document(store, capsys):
    code, out, err = run(["query", "--store", store, "myeloma-drugs-repurposed-for-autoimmunity", "--explain",
                          "--format", "json"], capsys)
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["results"]["bindings"] == [] and doc["explanation"] == []


def test_view_as_readme_shows_it_writes_the_default_page(store, tmp_path, capsys, monkeypatch):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "`trialkg view [" in readme
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["view", "--store", store], capsys)
    assert code == 0 and err == ""
    assert (tmp_path / "trialkg-view.html").is_file() and "trialkg-view.html" in out


def test_extract_reads_folders_and_zips(tmp_path, capsys, monkeypatch):
    doc = corpus_files()[0]
    (tmp_path / "folder" / "sub").mkdir(parents=True)
    shutil.copy(doc, tmp_path / "folder" / "sub" / doc.name)
    with zipfile.ZipFile(tmp_path / "docs.zip", "w") as z:
        z.write(doc, f"in/{doc.name}")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["extract", "folder", "docs.zip"], capsys)
    assert code == 0 and err == ""
    files = sorted(json.loads(line)["file"] for line in out.splitlines())
    assert files == sorted([doc.name, f"docs.zip!/in/{doc.name}"])


def test_extract_of_a_missing_path_is_one_line(tmp_path, capsys):
    code, out, err = run(["extract", str(tmp_path / "nothere")], capsys)
    assert code == 1 and out == ""
    one_error_line(err, "nothere", "no such file or folder")


# ---------------------------------------------------------------- real processes: pipes and locks

def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "kg.cli", *args]


def test_a_closed_pipe_ends_quietly(store):
    """``| head -1`` through a shell: one line out, nothing on stderr; the exit is 0 or 141 (SIGPIPE's)."""
    command = " ".join(_cli("export", "--store", store, "--format", "nt")) + " | head -1"
    shell = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120)
    assert len(shell.stdout.splitlines()) == 1 and shell.stderr == ""
    proc = subprocess.Popen(_cli("export", "--store", store, "--format", "nt"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader leaves with 2 MB still to come
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 141) and err == ""


@pytest.fixture
def held_store(tmp_path):
    """A store this test process holds read-write, as ``serve`` or a build would."""
    path = tmp_path / "held"
    holder = _fill(path)
    yield str(path)
    del holder


def test_a_second_build_is_told_the_store_is_busy(held_store):
    run_ = subprocess.run(_cli("build", "--store", held_store, "--quiet"), capture_output=True, text=True,
                          timeout=120)
    assert run_.returncode == 1 and run_.stdout == ""
    one_error_line(run_.stderr, held_store, "busy")


def test_query_runs_while_another_process_holds_the_store(held_store):
    run_ = subprocess.run(_cli("sparql", "--store", held_store, "--format", "csv",
                               "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
                          capture_output=True, text=True, timeout=120)
    assert (run_.returncode, run_.stderr) == (0, "")
    assert run_.stdout.split() == ["n", str(DRUGS)]
    named = subprocess.run(_cli("query", "--store", held_store, "drugs-by-target", "--format", "json"),
                           capture_output=True, text=True, timeout=120)
    assert (named.returncode, named.stderr) == (0, "")
    assert json.loads(named.stdout)["results"]["bindings"] == []
