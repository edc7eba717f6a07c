"""The JSON-LD oracle: pyld expands and compacts with the exact contexts a scenario used, so that the
suite never hard-codes what a term expands to.

pyld gets a document loader that serves the NGSI-LD core @context from the suite's own copy
(conformance/data/contexts) and the suite's test contexts from their files; it refuses every other
URL, so the oracle never touches the network.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pyld import jsonld
from pyld.jsonld import JsonLdError

from conformance import package_data

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
# ETSI's unversioned alias of the core @context (the current version). Brokers name the core context
# by it (Orion-LD answers with it: FIWARE/context.Orion-LD issues #267, #914), and the reference
# platform takes it as the core context. The V1.8 copy stands for it: from V1.8 to V1.9 the terms
# of entities and attributes expand alike (only attributeDetails, attributeCount, entityMap changed,
# geometryProperty and objectsLists went).
CORE_CONTEXT_ALIAS = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
CORE_CONTEXT_FILE = package_data.path("data", "contexts", "ngsi-ld-core-context-v1.8.jsonld")
NGSILD_NS = "https://uri.etsi.org/ngsi-ld/"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"


class OracleRefused(RuntimeError):
    """The oracle was asked for a document it does not hold; it never fetches from the network."""


def core_context() -> dict[str, Any]:
    return json.loads(CORE_CONTEXT_FILE.read_text(encoding="utf-8"))


class Oracle:
    """pyld with a closed document loader. ``documents`` maps URL -> JSON document."""

    def __init__(self, documents: Mapping[str, Any] | None = None) -> None:
        self.documents: dict[str, Any] = {
            CORE_CONTEXT_URL: core_context(),
            CORE_CONTEXT_ALIAS: core_context(),
        }
        self.documents.update(documents or {})

    def add(self, url: str, document: Any) -> None:
        self.documents[url] = document

    def loader(self) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
        def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
            if url not in self.documents:
                raise JsonLdError(
                    f"the suite's JSON-LD oracle holds no document at {url}; it never fetches one",
                    "jsonld.LoadDocumentError",
                    {"url": url},
                    code="loading document failed",
                )
            return {"contextUrl": None, "documentUrl": url, "document": self.documents[url]}

        return load

    def _options(self) -> dict[str, Any]:
        return {"documentLoader": self.loader()}

    @staticmethod
    def with_core(context: Any) -> list[Any]:
        """The effective context of a request: the caller's context, then the core context (which wins)."""
        if context is None:
            return [CORE_CONTEXT_URL]
        items = context if isinstance(context, list) else [context]
        items = [c for c in items if c not in (CORE_CONTEXT_URL, CORE_CONTEXT_ALIAS)]
        return [*items, CORE_CONTEXT_URL]

    def expand(self, document: dict[str, Any], context: Any = None) -> list[Any]:
        doc = dict(document)
        if "@context" not in doc:
            doc["@context"] = self.with_core(context)
        return jsonld.expand(doc, self._options())

    def expand_term(self, term: str, context: Any = None) -> str:
        """The IRI an attribute name expands to under a context (core last)."""
        ctx = self.with_core(context)
        expanded = jsonld.expand({"@context": ctx, "@id": "urn:x", term: "x"}, self._options())
        keys = [k for k in (expanded[0] if expanded else {}) if not k.startswith("@")]
        if not keys:
            raise OracleRefused(f"the term {term!r} does not expand under {ctx}")
        return keys[0]

    def expand_type(self, type_name: str, context: Any = None) -> str:
        ctx = self.with_core(context)
        expanded = jsonld.expand({"@context": ctx, "@id": "urn:x", "@type": type_name}, self._options())
        return expanded[0]["@type"][0]

    def compact_iri(self, iri: str, context: Any = None) -> str:
        """The short name an attribute IRI takes when compacted with a context (core last)."""
        ctx = self.with_core(context)
        compacted = jsonld.compact({iri: "x"}, ctx, self._options())
        keys = [k for k in compacted if k != "@context"]
        return keys[0] if keys else iri

    def compact_type(self, iri: str, context: Any = None) -> str:
        ctx = self.with_core(context)
        compacted = jsonld.compact({"@id": "urn:x", "@type": iri}, ctx, self._options())
        return str(compacted.get("type", compacted.get("@type")))

    def attribute_iris(self, expanded: list[Any]) -> set[str]:
        """The attribute IRIs of an expanded entity (members other than JSON-LD keywords)."""
        if not expanded:
            return set()
        return {k for k in expanded[0] if not k.startswith("@")}
