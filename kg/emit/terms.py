"""RDF terms as N-Triples text, for the build's hot path.

Emitting a study builds about 600 statements; rdflib's ``Literal`` and its
``DefinedNamespace`` look-ups cost microseconds each, more than the store takes
to load the statement. Here an IRI is a plain ``str`` and a literal a
:class:`Lit` (a ``str`` holding its N-Triples form), so a statement becomes an
N-Quads line by formatting alone. :func:`as_rdflib` turns them back into rdflib
terms for tests and interop.

Example:
    >>> lit("Say \\"hi\\"\\n", lang="en")
    '"Say \\\\"hi\\\\"\\\\n"@en'
    >>> nquad("https://e/s", "https://e/p", lit(3), "https://e/g")
    '<https://e/s> <https://e/p> "3"^^<http://www.w3.org/2001/XMLSchema#integer> <https://e/g> .'
"""

from __future__ import annotations

import re
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DefinedNamespace

XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
# N-Triples STRING_LITERAL_QUOTE forbids raw '"', '\', LF and CR.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


class Lit(str):
    """A literal in N-Triples syntax (an IRI is a plain ``str``)."""

    __slots__ = ()


def lit(value: object, lang: str | None = None, datatype: str | None = None) -> Lit:
    """The N-Triples form of a literal; ints and bools get their XSD datatype."""
    if isinstance(value, bool):
        value, datatype = ("true" if value else "false"), XSD_BOOLEAN
    elif isinstance(value, int):
        value, datatype = str(value), datatype or XSD_INTEGER
    body = '"' + str(value).translate(_ESCAPES) + '"'
    if lang:
        return Lit(f"{body}@{lang.lower()}")
    return Lit(f"{body}^^<{datatype}>" if datatype else body)


def term(t: str) -> str:
    return t if isinstance(t, Lit) else f"<{t}>"


def nquad(s: str, p: str, o: str, g: str) -> str:
    """One N-Quads line (no newline)."""
    return f"<{s}> <{p}> {term(o)} <{g}> ."


class Plain:
    """The terms of an rdflib ``DefinedNamespace`` as plain strings (attribute access at C speed)."""

    def __init__(self, namespace: type[DefinedNamespace]) -> None:
        for name in namespace.__annotations__:
            if not name.startswith("_"):
                setattr(self, name, str(namespace[name]))

    def __getattr__(self, name: str) -> Any:  # only reached for names the ontology lacks
        raise AttributeError(f"term {name!r} is not in the ontology")


def as_rdflib(t: str) -> URIRef | Literal:
    """An rdflib term for tests and interop (off the hot path)."""
    if not isinstance(t, Lit):
        return URIRef(t)
    body, _, tail = t.rpartition('"')
    value = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), body[1:])
    if tail.startswith("@"):
        return Literal(value, lang=tail[1:])
    if tail.startswith("^^<"):
        return Literal(value, datatype=URIRef(tail[3:-1]))
    return Literal(value)
