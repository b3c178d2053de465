"""The local SPARQL endpoint answers SPARQLWrapper on loopback and refuses updates."""

import urllib.error
import urllib.request

import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from kg.serve import serve_in_thread


@pytest.fixture(scope="module")
def endpoint(corpus_store):
    server, url = serve_in_thread(corpus_store)
    yield url
    server.shutdown()


def test_sparqlwrapper_select_against_the_endpoint(endpoint):
    sw = SPARQLWrapper(endpoint)
    sw.setQuery('SELECT ?s WHERE { ?s <https://w3id.org/trialkg/ontology/hasIdentifier> ?i } LIMIT 5')
    sw.setReturnFormat(JSON)
    sw.setMethod("POST")
    rows = sw.query().convert()["results"]["bindings"]
    assert rows and rows[0]["s"]["type"] == "uri"


def test_ask_over_get(endpoint):
    sw = SPARQLWrapper(endpoint)
    sw.setQuery("ASK { ?s a <https://w3id.org/trialkg/ontology/InterventionalTrial> }")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True


def test_updates_are_refused(endpoint):
    req = urllib.request.Request(endpoint, data=b"INSERT DATA { <http://a> <http://b> <http://c> }",
                                 headers={"Content-Type": "application/sparql-update"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 403


def test_a_bad_query_is_a_400(endpoint):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(endpoint + "?query=SELEKT", timeout=5)
    assert err.value.code == 400
