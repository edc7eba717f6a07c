"""MIM1 representation of a Relationship (ETSI GS CIM 009 V1.8.1 clause 4.5.3; the Relationship data
type, clause 5.2.6, with objectType): normalized (type Relationship, object, its metadata and
sub-attributes), keyValues (the target URI) and concise (no type; object and the rest)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.api import NgsiLdOps, made
from conformance.ngsild.payloads import prop, rel
from conformance.ngsild.query import entities_of, query
from conformance.requirements import requirement
from conformance.run_ids import RunIds

OBSERVED = "2024-03-01T08:00:00Z"
SHAPES: dict[str, dict[str, Any]] = {
    "plain": {},
    "observedAt": {"observedAt": OBSERVED},
    "sub-property": {"confidence": prop(0.75)},
    "sub-relationship": {"providedBy": rel("urn:ngsi-ld:MimRelSource:s1")},
    "objectType": {"objectType": "MimRelTarget"},
    "datasetId": {"datasetId": "urn:ngsi-ld:dataset:mimrel"},
}

# The simplified form of an instance with a datasetId is another clause's (4.5.4): not sent here.
CASES = [
    pytest.param(shape, form, id=f"{shape}-{form}")
    for shape in SHAPES
    for form in ("normalized", "keyValues", "concise")
    if (shape, form) != ("datasetId", "keyValues")
]


def _concise_member(what: str, got: Any, sent: Any) -> None:
    """A member of a concise Relationship: metadata as sent; a sub-attribute in concise form."""
    if not isinstance(sent, dict):
        checks.same_value(what, got, sent)
        return
    member = "object" if sent.get("type") == "Relationship" else "value"
    if member == "value" and got == sent["value"]:
        return  # a Property with nothing else may be the bare value
    checks.concise_attribute(what, got, member, sent[member])


@requirement(
    "MIM1-ENT-040",
    clause="4.5.3",
    level="MUST",
    title="A Relationship is rendered normalized (type, object, its members), keyValues (the target "
    "URI) and concise (object without type), retrieved or queried",
)
@pytest.mark.parametrize(("shape", "form"), CASES)
@pytest.mark.parametrize("read", ["retrieve", "query"])
def test_relationship_forms(ngsild: NgsiLdOps, run_ids: RunIds, read: str, shape: str, form: str) -> None:
    target = run_ids.entity_id("MimRelTarget")
    members = SHAPES[shape]
    entity = made(
        ngsild,
        {"id": run_ids.entity_id("MimRel"), "type": "MimRel", "refTarget": rel(target, **members)},
    )
    params = {} if form == "normalized" else {"options": form}
    if read == "retrieve":
        resp = ngsild.retrieve(entity["id"], params=params)
        checks.status_is(resp, 200)
        body = checks.json_object(resp)
    else:
        found = entities_of(query(ngsild, {"id": entity["id"], "type": "MimRel", **params}))
        if len(found) != 1:
            checks.fail(f"querying the entity by id and type: expected it once, got {found!r}")
        body = found[0]
    got = checks.member("entity", body, "refTarget")
    if form == "keyValues":
        checks.equal("refTarget (keyValues)", got, target)
        return
    if not isinstance(got, dict):
        checks.fail(f"refTarget ({form}): expected an object, got {got!r}")
    checks.equal(f"refTarget.object ({form})", got.get("object"), target)
    if form == "normalized":
        checks.equal("refTarget.type", got.get("type"), "Relationship")
        for key, sent in members.items():
            checks.same_value(f"refTarget.{key}", got.get(key), sent)
        return
    checks.absent("refTarget (concise)", got, "type")
    for key, sent in members.items():
        _concise_member(f"refTarget.{key} (concise)", checks.member("refTarget (concise)", got, key), sent)
