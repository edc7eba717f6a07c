"""MIM1 temporal attribute instances (ETSI GS CIM 009 V1.8.1 clauses 5.6.13 - 5.6.15, HTTP binding 6.21,
6.22): Partial Update of an attribute instance (PATCH .../attrs/{attrId}/{instanceId}, body an
EntityTemporal fragment with the complete instance), Delete Attribute Instance, and Delete Attribute from the
temporal representation with datasetId / deleteAll (the OpenAPI: without both, the default instances go)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import created
from conformance.mim1.dynamics.temporal_support import (
    ATTR,
    CAP,
    KINDS,
    TIMES,
    at,
    attribute_instances,
    by_time,
    create_kind,
    delete_temporal_attr,
    instance_ids,
    retrieve,
    unique_type,
)
from conformance.ngsild.subscriptions import Dynamics, iso
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# a third value per kind, for the PATCH
NEW_VALUE: dict[str, Any] = {
    "Property": 99.5,
    "Relationship": "urn:ngsi-ld:MimcheckThing:patched",
    "GeoProperty": {"type": "Point", "coordinates": [13.4, 52.5]},
    "LanguageProperty": {"en": "Patched hall", "de": "Geflickte Halle"},
    "JsonProperty": {"mode": "patched", "levels": [9]},
    "VocabProperty": "https://mimcheck.example.org/vocab#Patched",
    "ListProperty": [9, "nine"],
}


@requirement(
    "MIM1-TEMP-023",
    clause="5.6.14, 6.22",
    level="MUST",
    capability=CAP,
    title="Partial Update of an attribute instance answers 204; that instance (same instanceId) has the "
    "new value and the other instance is unchanged",
)
@pytest.mark.parametrize("kind", list(KINDS))
def test_patch_instance(dyn: Dynamics, run_ids: RunIds, kind: str) -> None:
    entity = create_kind(dyn, run_ids, kind)
    first, second = instance_ids(dyn, entity["id"], ATTR)
    member, values, _, _ = KINDS[kind]
    fragment = {ATTR: [{"type": kind, member: NEW_VALUE[kind], "observedAt": iso(TIMES[0])}]}
    checks.status_is(dyn.patch_instance(entity["id"], ATTR, first, fragment), 204)
    what = f"{kind} {ATTR} after patching instance {first}"
    items = {i.get("instanceId"): i for i in attribute_instances(what, retrieve(dyn, entity["id"]))}
    checks.equal(f"{what}: instanceIds", sorted(str(k) for k in items), sorted([first, second]))
    checks.same_value(f"{what}: patched {member}", items[first].get(member), NEW_VALUE[kind])
    checks.same_value(f"{what}: other {member}", items[second].get(member), values[1])


@requirement(
    "MIM1-TEMP-024",
    clause="5.6.14",
    level="MUST",
    capability=CAP,
    title="Partial Update of an attribute instance that changes observedAt moves the instance in time: "
    "temporal queries select it by its new observedAt",
)
@pytest.mark.parametrize("timerel", ["before", "after"])
def test_patch_instance_time(dyn: Dynamics, run_ids: RunIds, timerel: str) -> None:
    entity = create_kind(dyn, run_ids, "Property")
    first, second = instance_ids(dyn, entity["id"], ATTR)
    moved = {ATTR: [{"type": "Property", "value": KINDS["Property"][1][0], "observedAt": at(30)}]}
    checks.status_is(dyn.patch_instance(entity["id"], ATTR, first, moved), 204)
    body = retrieve(dyn, entity["id"], {"timerel": timerel, "timeAt": at(10)})
    got = sorted(str(i.get("instanceId")) for i in attribute_instances(ATTR, body))
    expected = [second] if timerel == "before" else [first]
    checks.equal(f"{ATTR} instances {timerel} {at(10)} after moving {first} to {at(30)}", got, expected)


MISSING = [
    pytest.param("PATCH", "instance", id="patch-unknown-instance"),
    pytest.param("DELETE", "instance", id="delete-unknown-instance"),
    pytest.param("PATCH", "entity", id="patch-unknown-entity"),
    pytest.param("DELETE", "entity", id="delete-unknown-entity"),
    pytest.param("DELETE", "attribute", id="delete-unknown-attribute"),
]


@requirement(
    "MIM1-TEMP-025",
    clause="5.6.15",
    level="MUST",
    capability=CAP,
    title="Instance and attribute operations on a temporal entity answer 404 ResourceNotFound for an "
    "unknown instanceId, attribute or entity",
)
@pytest.mark.parametrize(("method", "unknown"), MISSING)
def test_unknown_targets(dyn: Dynamics, run_ids: RunIds, method: str, unknown: str) -> None:
    entity = create_kind(dyn, run_ids, "Property")
    entity_id, attr = entity["id"], ATTR
    instance_id = f"urn:ngsi-ld:Instance:mimcheck-{run_ids.next()}"
    if unknown != "instance":
        instance_id = instance_ids(dyn, entity_id, ATTR)[0]
    if unknown == "entity":
        entity_id = f"urn:ngsi-ld:MimcheckTmp:{run_ids.next()}"
    if unknown == "attribute":
        resp = delete_temporal_attr(dyn, entity_id, "mimcheckNoSuchAttribute", {})
    else:
        fragment = {attr: [{"type": "Property", "value": 1.0, "observedAt": at(0)}]}
        if method == "PATCH":
            resp = dyn.patch_instance(entity_id, attr, instance_id, fragment)
        else:
            resp = dyn.delete_instance(entity_id, attr, instance_id)
    checks.ngsild_problem(resp, 404, "ResourceNotFound")


DATASET_A = "urn:ngsi-ld:Dataset:mimcheck-a"
DATASET_B = "urn:ngsi-ld:Dataset:mimcheck-b"
DELETIONS = [
    pytest.param({}, [DATASET_A, DATASET_B], id="default-instances"),
    pytest.param({"datasetId": DATASET_A}, [None, None, DATASET_B], id="datasetId"),
    pytest.param({"deleteAll": "true"}, [], id="deleteAll"),
]


@requirement(
    "MIM1-TEMP-026",
    clause="5.6.13",
    level="MUST",
    capability=CAP,
    title="Delete Attribute from a temporal entity removes the default instances, those of the datasetId "
    "given, or with deleteAll=true every instance, and leaves the others",
)
@pytest.mark.parametrize(("params", "left"), DELETIONS)
def test_delete_attribute_datasets(
    dyn: Dynamics,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
    params: dict[str, str],
    left: list[str | None],
) -> None:
    entity_type = unique_type(run_ids)
    instances = [
        {"type": "Property", "value": 1.0, "observedAt": at(0)},
        {"type": "Property", "value": 2.0, "observedAt": at(1)},
        {"type": "Property", "value": 3.0, "observedAt": at(0), "datasetId": DATASET_A},
        {"type": "Property", "value": 4.0, "observedAt": at(1), "datasetId": DATASET_B},
    ]
    entity: dict[str, Any] = {
        "id": f"urn:ngsi-ld:{entity_type}:{run_ids.next()}",
        "type": entity_type,
        ATTR: instances,
        "other": [{"type": "Property", "value": 0.0, "observedAt": at(0)}],
    }
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']}")
    checks.status_is(delete_temporal_attr(dyn, entity["id"], ATTR, params), 204)
    resp = dyn.get_temporal(entity["id"])
    checks.status_is(resp, 200)
    what = f"{ATTR} after Delete Attribute with {params or 'no parameter'}"
    remaining = attribute_instances(what, checks.json_object(resp))
    got = sorted((i.get("datasetId") for i in by_time(what, remaining)), key=str) if remaining else []
    checks.equal(f"{what}: datasetIds of the instances left", got, sorted(left, key=str))
