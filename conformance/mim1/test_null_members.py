"""MIM1 NGSI-LD Null inside an attribute: sub-attributes of every kind and the observedAt/unitCode
members, removed by Merge Entity, Partial Attribute Update and Update Entity Attributes
(ETSI GS CIM 009 V1.8.1 clauses 5.2.1, 5.5.8, 5.5.12).

Clause 5.2.1: in a partial update or a merge the NGSI-LD Null indicates the removal of its target
member. MIM1-ATTR-008 covers a sub-Property set to the Null by Partial Attribute Update."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.api import NgsiLdOps, made
from conformance.ngsild.payloads import OBSERVED_AT, lang_prop, probe, prop, rel
from conformance.requirements import requirement
from conformance.run_ids import RunIds

NULL = "urn:ngsi-ld:null"
NAME = "nmGauge"
SUBS: dict[str, Any] = {
    "nmAccuracy": prop(0.5),
    "nmSource": rel("urn:ngsi-ld:Device:mimcheck-nm"),
    "nmNote": lang_prop({"en": "calibrated", "nl": "geijkt"}),
}
GAUGE = prop(10, unitCode="CEL", observedAt=OBSERVED_AT, **SUBS)
OPERATIONS = ["merge", "partial-update", "update-attrs"]

# the sub-attribute set to the Null -> its Null
SUB_NULLS = {
    "property-bare": ("nmAccuracy", NULL),
    "relationship-normalized": ("nmSource", {"type": "Relationship", "object": NULL}),
    "relationship-concise": ("nmSource", {"object": NULL}),
    "language-normalized": ("nmNote", {"type": "LanguageProperty", "languageMap": {"@none": NULL}}),
    "language-concise": ("nmNote", {"languageMap": {"@none": NULL}}),
}


def _attrs(name: str, value: Any) -> dict[str, Any]:
    return {name: value}


def _send(ngsild: NgsiLdOps, entity_id: str, operation: str, fragment: dict[str, Any]) -> None:
    """The fragment of NAME by one operation; Update Entity Attributes replaces the whole attribute,
    so it is sent with the value and every member and sub-attribute the others keep."""
    if operation == "merge":
        resp = ngsild.merge(entity_id, {NAME: fragment})
    elif operation == "partial-update":
        resp = ngsild.partial_update(entity_id, NAME, fragment)
    else:
        resp = ngsild.update_attrs(entity_id, {NAME: {**GAUGE, **fragment}})
    checks.status_is(resp, 204)


def _gauge(ngsild: NgsiLdOps, entity_id: str) -> dict[str, Any]:
    resp = ngsild.retrieve(entity_id)
    checks.status_is(resp, 200)
    return checks.member("entity", checks.json_object(resp), NAME, kind=dict)


@requirement(
    "MIM1-ATTR-038",
    clause="5.5.12",
    level="MUST",
    title="A sub-attribute of any kind set to the NGSI-LD Null (merge, partial update, update) is removed; "
    "the attribute's value and other sub-attributes are kept",
)
@pytest.mark.parametrize("sub", list(SUB_NULLS))
@pytest.mark.parametrize("operation", OPERATIONS)
def test_sub_attribute_null(ngsild: NgsiLdOps, run_ids: RunIds, operation: str, sub: str) -> None:
    entity = made(ngsild, probe(run_ids, **_attrs(NAME, GAUGE)))
    removed, null = SUB_NULLS[sub]
    _send(ngsild, entity["id"], operation, {"type": "Property", "value": 11, removed: null})
    got = _gauge(ngsild, entity["id"])
    checks.absent(f"{NAME} after setting {removed} to the NGSI-LD Null", got, removed)
    checks.equal(f"{NAME}.value", got.get("value"), 11)
    for kept in SUBS:
        if kept != removed:
            checks.member(f"{NAME} (other sub-attributes kept)", got, kept)


@requirement(
    "MIM1-ATTR-039",
    clause="5.2.1",
    level="MUST",
    title="observedAt or unitCode set to the NGSI-LD Null (merge, partial update, update) is removed from "
    "the attribute; the value and the other members are kept",
)
@pytest.mark.parametrize("member", ["observedAt", "unitCode"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_member_null(ngsild: NgsiLdOps, run_ids: RunIds, operation: str, member: str) -> None:
    entity = made(ngsild, probe(run_ids, **_attrs(NAME, GAUGE)))
    _send(ngsild, entity["id"], operation, {"type": "Property", "value": 11, member: NULL})
    got = _gauge(ngsild, entity["id"])
    checks.absent(f"{NAME} after setting {member} to the NGSI-LD Null", got, member)
    checks.equal(f"{NAME}.value", got.get("value"), 11)
    other = "unitCode" if member == "observedAt" else "observedAt"
    checks.same_value(f"{NAME}.{other} (kept)", got.get(other), GAUGE[other])
    for kept in SUBS:
        checks.member(f"{NAME} (sub-attributes kept)", got, kept)
