"""Constants and helpers shared by the reference platform's tests."""

from __future__ import annotations

CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
LD_REL = "http://www.w3.org/ns/json-ld#context"
E = "/ngsi-ld/v1/entities"
JSON = {"Content-Type": "application/json"}
LDJSON = {"Content-Type": "application/ld+json"}


def link(url: str) -> str:
    return f'<{url}>; rel="{LD_REL}"; type="application/ld+json"'
