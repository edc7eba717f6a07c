"""MIM1 attributes sent in the concise representation: a VocabProperty, JsonProperty, ListProperty or
ListRelationship given without its type, by its value member alone (ETSI GS CIM 009 V1.8.1 clauses
4.5.20, 4.5.24, 5.2.35 - 5.2.38; the OpenAPI gives each of these types its type as a default).

MIM1-ATTR-022..025 cover the same attributes sent normalized, MIM1-ATTR-034 a concise
LanguageProperty; Stellio's issue 1313 is a broker refusing a concise VocabProperty."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.api import JSON, JSONLD, NgsiLdOps, as_sent, made
from conformance.ngsild.payloads import probe
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# the attribute names are used by this scenario only: a fault keyed on them touches nothing else
CONCISE: dict[str, tuple[str, str, str]] = {  # kind: (attribute name, type it must get, value member)
    "vocab": ("ccCategory", "VocabProperty", "vocab"),
    "json": ("ccDocument", "JsonProperty", "json"),
    "valueList": ("ccReadings", "ListProperty", "valueList"),
    "objectList": ("ccRoute", "ListRelationship", "objectList"),
}


def _value(kind: str, run_ids: RunIds) -> Any:
    if kind == "vocab":
        return "mimcheckRunning"
    if kind == "json":
        return {"type": "raw", "speed": 3, "nested": {"a": [1, 2]}}  # a "type" inside stays JSON
    if kind == "valueList":
        return [3, 1, 2]
    return [run_ids.entity_id("MimcheckSite"), run_ids.entity_id("MimcheckStop")]  # concise: bare URIs


def _check_value(kind: str, name: str, got: Any, sent: Any) -> None:
    if kind == "vocab":
        if got != sent and got != [sent]:  # 5.2.35: vocab is a string or an array of strings
            checks.fail(f"{name}.vocab: expected {sent!r}, got {got!r}")
        return
    if kind == "objectList":
        if not isinstance(got, list):
            checks.fail(f"{name}.objectList: expected an array, got {got!r}")
        # 5.2.37: normalized items are {"object": URI}; bare URIs (the concise items) are accepted
        targets = [item.get("object") if isinstance(item, dict) else item for item in got]
        checks.equal(f"{name}.objectList targets", targets, sent)
        return
    checks.equal(f"{name}.{CONCISE[kind][2]}", got, sent)


@requirement(
    "MIM1-ATTR-042",
    clause="4.5.20, 4.5.24, 5.2.35-5.2.38",
    level="MUST",
    title="An attribute sent concise, without type, by vocab, json, valueList or objectList alone is stored "
    "as a VocabProperty, JsonProperty, ListProperty or ListRelationship holding what was sent",
)
@pytest.mark.parametrize("content_type", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
@pytest.mark.parametrize("operation", ["create", "append"])
@pytest.mark.parametrize("kind", list(CONCISE))
def test_concise_typed_attribute(
    ngsild: NgsiLdOps, run_ids: RunIds, kind: str, operation: str, content_type: str
) -> None:
    name, expected_type, member = CONCISE[kind]
    sent = _value(kind, run_ids)
    concise = {member: sent}
    if operation == "create":
        entity = {**probe(run_ids), name: concise}
        resp = ngsild.create(as_sent(entity, content_type), content_type=content_type)
        checks.status_is(resp, 201)
    else:
        entity = made(ngsild, probe(run_ids))
        resp = ngsild.append_attrs(
            entity["id"], as_sent({name: concise}, content_type), content_type=content_type
        )
        checks.status_is(resp, 204)
    resp = ngsild.retrieve(entity["id"])
    checks.status_is(resp, 200)
    got = checks.member("entity", checks.json_object(resp), name, kind=dict)
    checks.equal(f"{name}.type", got.get("type"), expected_type)
    _check_value(kind, name, got.get(member), sent)
