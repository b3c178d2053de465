"""The pages in a real browser: headless chromium, network off.

A reporting script is injected into a copy of each page: it records errors
(window.onerror, console.error, CSP violations), overrides ``alert``, hovers
chosen nodes to open their tooltips, and after stabilisation writes a JSON
report (vis node and edge counts, resource-timing URLs, tooltips) into
``<pre id="trialkg-test-report">``, read back with ``--dump-dom``. Screenshots
go to a tmp dir, with a copy in /tmp/trialkg-screens/.

Tests never install system packages: CI installs Debian's chromium before the
suite (.ci/run); without a browser on PATH these tests skip, saying so.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import RDF, RDFS

from kg import iri, viz
from kg.namespace import TKG
from kg.resources import ontology_dir

HEADLINE = "myeloma-drugs-repurposed-for-autoimmunity"
SCREENS = Path("/tmp/trialkg-screens")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
IMG_LABEL = "<img src=x onerror=alert(1)>"
SCRIPT_LABEL = "</script><script>alert(2)</script>"
# Pages opened: view name -> write_view arguments.
VIEWS = {"corpus": {}, "focus-daratumumab": {"focus": "daratumumab", "depth": 2}, "query-headline": {"query": HEADLINE}}

# Runs before the page's own scripts.
EARLY = """<script>
window.__report = {errors: [], xss: false, stabilized: false, tooltips: {}};
window.alert = window.confirm = window.prompt = function () { window.__report.xss = true; };
window.addEventListener("error", function (e) {
  window.__report.errors.push("error: " + (e.message || (e.target && e.target.tagName) || "?"));
}, true);
document.addEventListener("securitypolicyviolation", function (e) {
  window.__report.errors.push("csp: " + e.violatedDirective + " " + e.blockedURI);
});
(function () {
  var original = console.error;
  console.error = function () {
    window.__report.errors.push("console: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
</script>"""
# Runs right after drawGraph(), before the first stabilisation batch.
LATE = """<script>
(function () {
  var report = window.__report, hover = %s, written = false;
  function write() {
    if (written) return;
    written = true;
    report.nodes = network.body.data.nodes.length;
    report.edges = network.body.data.edges.length;
    report.resources = performance.getEntriesByType("resource").map(function (r) { return r.name; });
    report.images = document.images.length;
    var pre = document.createElement("pre");
    pre.id = "trialkg-test-report";
    pre.textContent = JSON.stringify(report);
    document.body.appendChild(pre);
  }
  function hoverNext(i) {
    if (i >= hover.length) { write(); return; }
    var canvas = network.canvas.frame.canvas, rect = canvas.getBoundingClientRect();
    var dom = network.canvasToDOM(network.getPositions([hover[i]])[hover[i]]);
    canvas.dispatchEvent(new MouseEvent("mousemove", {bubbles: true, clientX: rect.left + dom.x, clientY: rect.top + dom.y}));
    setTimeout(function () {
      var tip = document.querySelector("div.vis-tooltip");
      report.tooltips[hover[i]] = tip ? {text: tip.innerText, elements: Array.prototype.filter.call(
                                           tip.querySelectorAll("*"), function (e) { return e.tagName !== "BR"; }).length,
                                         visible: tip.style.visibility !== "hidden"} : null;
      hoverNext(i + 1);
    }, 600);
  }
  if (typeof network === "undefined") { report.errors.push("no network"); return; }
  var started = performance.now();
  function stabilised() {
    report.stabilized = true;
    report.stabilisationMs = performance.now() - started;
    setTimeout(function () { hoverNext(0); }, 200);
  }
  /* A small graph settles within the first batch, inside the constructor. */
  if (network.physics.ready) { stabilised(); } else { network.once("stabilizationIterationsDone", stabilised); }
  setTimeout(write, 20000);
})();
</script>"""


# ---------------------------------------------------------------- chromium


def _find_browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


@pytest.fixture(scope="module")
def browser() -> str:
    path = _find_browser()
    if path is None:
        pytest.skip("no chromium on PATH (CI installs Debian's chromium; locally: apt-get install chromium)")
    return path


def _command(browser: str, profile: Path) -> list[str]:
    """Headless, and offline: every host unresolvable and a proxy on a closed port."""
    return [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions", "--mute-audio", f"--user-data-dir={profile}",
            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=30000", "--window-size=1400,900"]


def _instrumented(page: Path, out: Path, hover: list[str]) -> Path:
    text = page.read_text(encoding="utf-8")
    head = text.index("<head>") + len("<head>")
    text = text[:head] + EARLY + text[head:]
    end = re.search(r"drawGraph\(\);\s*</script>", text).end()
    text = text[:end] + LATE % json.dumps(hover) + text[end:]
    out.write_text(text, encoding="utf-8")
    return out


def report(browser: str, page: Path, work: Path, hover: list[str] = ()) -> dict:
    """Open an instrumented copy of the page and read back the report it writes."""
    copy = _instrumented(page, work / f"report-{page.name}", list(hover))
    done = subprocess.run(_command(browser, work / f"profile-{page.stem}") + ["--dump-dom", copy.as_uri()],
                          capture_output=True, text=True, timeout=60)
    found = re.search(r'<pre id="trialkg-test-report">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no report in the page; chromium said: {done.stderr[-800:]}"
    return json.loads(html.unescape(found.group(1)))


def screenshot(browser: str, page: Path, work: Path) -> Path:
    png = work / f"{page.stem}.png"
    subprocess.run(_command(browser, work / f"profile-shot-{page.stem}") + [f"--screenshot={png}", page.as_uri()],
                   capture_output=True, text=True, timeout=60)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, SCREENS / png.name)
    return png


# ---------------------------------------------------------------- pages


@pytest.fixture(scope="module")
def pages(corpus_store, browser, tmp_path_factory) -> dict:
    """Each view: expected counts (from networkx), the browser's report, a screenshot, the time taken."""
    work = tmp_path_factory.mktemp("browser")
    out = {}
    for name, kwargs in VIEWS.items():
        started = time.monotonic()
        stats = viz.write_view(corpus_store, work / f"{name}.html", **kwargs)
        graph = viz.view_graph(corpus_store, kwargs.get("focus"), kwargs.get("depth", 2), kwargs.get("query")).graph
        out[name] = {"graph": graph, "stats": stats, "report": report(browser, stats.path, work),
                     "png": screenshot(browser, stats.path, work), "seconds": time.monotonic() - started}
    return out


@pytest.mark.parametrize("name", VIEWS)
def test_page_draws_as_many_nodes_as_the_graph_has(pages, name):
    assert pages[name]["report"]["nodes"] == pages[name]["graph"].number_of_nodes()


@pytest.mark.parametrize("name", VIEWS)
def test_page_draws_as_many_edges_as_the_graph_has(pages, name):
    assert pages[name]["report"]["edges"] == pages[name]["graph"].number_of_edges()


@pytest.mark.parametrize("name", VIEWS)
def test_page_logs_no_error(pages, name):
    assert pages[name]["report"]["errors"] == []


@pytest.mark.parametrize("name", VIEWS)
def test_page_requests_nothing_from_the_network(pages, name):
    remote = [u for u in pages[name]["report"]["resources"] if not u.startswith(("file:", "data:", "blob:"))]
    assert remote == []


@pytest.mark.parametrize("name", VIEWS)
def test_page_layout_stabilises(pages, name):
    assert pages[name]["report"]["stabilized"]


@pytest.mark.parametrize("name", VIEWS)
def test_page_screenshot_is_a_png(pages, name):
    png = pages[name]["png"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (SCREENS / png.name).exists()


@pytest.mark.parametrize("name", VIEWS)
def test_page_opens_within_budget(pages, name):
    assert pages[name]["seconds"] < 90  # generous: a budget, not a benchmark (CI machines are shared)


# ---------------------------------------------------------------- markup in the data

STUDY = iri.study("NCT", "NCT99999999")
MENTION = iri.mention("drug", "evil")


def _evil_store() -> ox.Store:
    """The ontology, and one document whose study and drug mention are labelled with markup."""
    store = ox.Store()
    store.load(path=str(ontology_dir() / "trialkg.ttl"), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode(str(iri.ONTOLOGY_GRAPH)))
    g, rdf_type = ox.NamedNode(str(iri.record_graph("letter", "evil"))), ox.NamedNode(str(RDF.type))
    study, mention, record = ox.NamedNode(str(STUDY)), ox.NamedNode(str(MENTION)), ox.NamedNode(str(iri.record("letter", "evil")))
    label = ox.NamedNode(str(RDFS.label))
    store.extend([
        ox.Quad(study, rdf_type, ox.NamedNode(str(TKG.Study)), g), ox.Quad(study, label, ox.Literal(IMG_LABEL), g),
        ox.Quad(study, ox.NamedNode(str(TKG.testsDrug)), mention, g),
        ox.Quad(mention, rdf_type, ox.NamedNode(str(TKG.UnlinkedMention)), g),
        ox.Quad(mention, label, ox.Literal(SCRIPT_LABEL), g),
        ox.Quad(record, ox.NamedNode(str(TKG.describesStudy)), study, g),
        ox.Quad(record, ox.NamedNode(str(TKG.fileName)), ox.Literal("<b>evil</b>.txt"), g),
    ])
    return store


@pytest.fixture(scope="module")
def evil(browser, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("evil")
    stats = viz.write_view(_evil_store(), work / "evil.html", focus=str(STUDY), depth=1)
    return {"report": report(browser, stats.path, work, hover=[str(STUDY), str(MENTION)]),
            "png": screenshot(browser, stats.path, work)}


def test_markup_label_runs_no_script(evil):
    assert evil["report"]["xss"] is False


def test_markup_label_creates_no_element(evil):
    assert evil["report"]["images"] == 0


def test_markup_label_page_logs_no_error(evil):
    assert evil["report"]["errors"] == []


def test_markup_label_tooltip_shows_the_markup_as_text(evil):
    tip = evil["report"]["tooltips"][str(STUDY)]
    assert tip["visible"] and IMG_LABEL in tip["text"] and tip["elements"] == 0


def test_script_label_tooltip_shows_the_markup_as_text(evil):
    tip = evil["report"]["tooltips"][str(MENTION)]
    assert tip["visible"] and SCRIPT_LABEL in tip["text"] and tip["elements"] == 0


# ---------------------------------------------------------------- a graph at the cap


def _graph_at_cap(n: int = viz.MAX_NODES) -> viz.View:
    """A connected graph of ``n`` nodes of every kind, 1.5 edges per node (a tree plus chords)."""
    import networkx as nx

    graph, kinds = nx.MultiDiGraph(), list(viz.STYLES)
    for i in range(n):
        graph.add_node(f"urn:node:{i}", kind=kinds[i % len(kinds)], short=f"node {i}", tooltip=f"node {i}")
    for i in range(1, n):
        graph.add_edge(f"urn:node:{i}", f"urn:node:{(i * 7919) % i}", key="p", predicate="urn:p", label="p")
    for i in range(0, n, 2):
        graph.add_edge(f"urn:node:{i}", f"urn:node:{(i * 31 + 17) % n}", key="q", predicate="urn:q", label="q")
    return viz.View(f"{n} nodes", "", graph)


def test_page_at_the_cap_settles_within_seconds(browser, tmp_path):
    view = _graph_at_cap()
    page = tmp_path / "cap.html"
    page.write_text(viz.render_html(view), encoding="utf-8")
    started = time.monotonic()
    found = report(browser, page, tmp_path)
    assert found["stabilized"] and found["nodes"] == viz.MAX_NODES and time.monotonic() - started < 15
