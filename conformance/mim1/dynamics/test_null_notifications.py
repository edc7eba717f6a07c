"""MIM1 attributeDeleted notifications for deletions by the NGSI-LD Null and of datasetId instances
(ETSI GS CIM 009 V1.8.1 clauses 5.2.1, 5.8.6, 5.5.8, 5.5.12).

Clause 5.2.1: in a notification a deleted element is represented by the NGSI-LD Null, the URI
``urn:ngsi-ld:null`` as a Property value or a Relationship object and the languageMap
``{"@none": "urn:ngsi-ld:null"}`` of a LanguageProperty. Each case subscribes a fresh endpoint with
notificationTrigger ["attributeDeleted"], deletes an attribute (or one instance) of its entity and
waits for the notification carrying the deleted attribute."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import checks
from conformance.mim1.dynamics.support import (
    Notifications,
    created,
    entity_in,
    subscription,
    subscription_id,
)
from conformance.ngsild.api import JSON, NgsiLd, entity_path
from conformance.ngsild.payloads import lang_prop, prop, rel, sensor
from conformance.ngsild.receiver import Received
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

NULL = "urn:ngsi-ld:null"
DS_A = "urn:ngsi-ld:Dataset:mimcheck-nd-a"

# kind -> (attribute name, its value, its Null in normalized form, the value member, the Null there)
KINDS: dict[str, tuple[str, dict[str, Any], dict[str, Any], str, Any]] = {
    "property": ("ndReading", prop(17.5), prop(NULL), "value", NULL),
    "relationship": (
        "ndOwner",
        rel("urn:ngsi-ld:Person:mimcheck-nd"),
        {"type": "Relationship", "object": NULL},
        "object",
        NULL,
    ),
    "language": (
        "ndCaption",
        lang_prop({"en": "Main Square", "nl": "Grote Markt"}),
        {"type": "LanguageProperty", "languageMap": {"@none": NULL}},
        "languageMap",
        {"@none": NULL},
    ),
}


def _entity(ngsild: NgsiLd, ids: RunIds, **attrs: Any) -> dict[str, Any]:
    entity = sensor(ids, "MimcheckNull" + re.sub(r"[^A-Za-z0-9]", "", ids.next()), **attrs)
    resp = ngsild.create_entity(entity)
    precondition(resp.status_code in (200, 201, 204), f"creating {entity['id']} answered {resp.status_code}")
    return entity


def _subscribe(
    dyn: Dynamics, notifications: Notifications, ids: RunIds, entity: dict[str, Any], **members: Any
) -> Any:
    endpoint = notifications.endpoint("null")
    sub_id = subscription_id(ids)
    body = subscription(
        sub_id,
        endpoint,
        entities=[{"id": entity["id"], "type": entity["type"]}],
        notificationTrigger=["attributeDeleted"],
        **members,
    )
    created(dyn.create_subscription(body), f"creating subscription {sub_id}")
    return endpoint


def _change(
    ngsild: NgsiLd, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
) -> None:
    if body is None:
        resp = ngsild.request(method, path, params=params)
    else:
        resp = ngsild.request(method, path, headers={"Content-Type": JSON}, json_body=body)
    precondition(resp.status_code in (204, 207), f"the deletion {method} {path} answered {resp.status_code}")


def _carrying(entity_id: str, name: str) -> Any:
    def test(r: Received) -> bool:
        entity = entity_in(r, entity_id)
        return entity is not None and name in entity

    return test


def _deleted_instance(
    got: list[Received], entity_id: str, name: str, dataset_id: str | None
) -> dict[str, Any]:
    entity = entity_in(got[0], entity_id) or {}
    attribute = checks.member(f"notified entity {entity_id}", entity, name)
    for inst in checks.instances(f"notified {name}", attribute):
        if inst.get("datasetId") == dataset_id:
            return inst
    checks.fail(f"notified {name}: no instance with datasetId {dataset_id!r} in {attribute!r}")


OPERATIONS = ["merge", "update-attrs", "partial-update"]


def _delete_by_null(ngsild: NgsiLd, entity_id: str, operation: str, name: str, null: dict[str, Any]) -> None:
    path = entity_path(entity_id)
    if operation == "merge":
        _change(ngsild, "PATCH", path, {name: null})
    elif operation == "update-attrs":
        _change(ngsild, "PATCH", path + "/attrs", {name: null})
    else:
        _change(ngsild, "PATCH", f"{path}/attrs/{name}", null)


@requirement(
    "MIM1-NTF-025",
    clause="5.8.6",
    level="MUST",
    title="Deleting an attribute by the NGSI-LD Null (merge, update, partial update) sends an attributeDeleted "
    "notification carrying the attribute with the Null as its value",
)
@pytest.mark.parametrize("kind", ["property", "relationship"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_null_deletion_notifies(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, operation: str, kind: str
) -> None:
    name, value, null, member, notified_null = KINDS[kind]
    entity = _entity(ngsild, run_ids, **{name: value})
    endpoint = _subscribe(dyn, notifications, run_ids, entity)
    notifications.trigger(endpoint)
    _delete_by_null(ngsild, entity["id"], operation, name, null)
    got = notifications.expect(
        endpoint, f"for {name} deleted by {operation}", where=_carrying(entity["id"], name)
    )
    inst = _deleted_instance(got, entity["id"], name, None)
    checks.equal(f"notified {name}.{member}", inst.get(member), notified_null)


@requirement(
    "MIM1-NTF-026",
    clause="5.2.1",
    level="MUST",
    title="A LanguageProperty deleted (by the NGSI-LD Null or Delete Attribute) is notified with the languageMap "
    '{"@none": "urn:ngsi-ld:null"}',
)
@pytest.mark.parametrize("operation", [*OPERATIONS, "delete-attribute"])
def test_language_deletion_notifies(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, operation: str
) -> None:
    name, value, null, member, notified_null = KINDS["language"]
    entity = _entity(ngsild, run_ids, **{name: value})
    endpoint = _subscribe(dyn, notifications, run_ids, entity)
    notifications.trigger(endpoint)
    if operation == "delete-attribute":
        _change(ngsild, "DELETE", f"{entity_path(entity['id'])}/attrs/{name}")
    else:
        _delete_by_null(ngsild, entity["id"], operation, name, null)
    got = notifications.expect(
        endpoint, f"for {name} deleted by {operation}", where=_carrying(entity["id"], name)
    )
    inst = _deleted_instance(got, entity["id"], name, None)
    checks.equal(f"notified {name}.{member}", inst.get(member), notified_null)


@requirement(
    "MIM1-NTF-027",
    clause="5.8.6",
    level="MUST",
    title="Deleting one datasetId instance (merge or update with the NGSI-LD Null, Delete Attribute with "
    "datasetId) sends an attributeDeleted notification naming that datasetId with the Null",
)
@pytest.mark.parametrize("operation", ["merge", "update-attrs", "delete-attribute"])
def test_dataset_instance_deletion_notifies(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, operation: str
) -> None:
    name = "ndLevel"
    entity = _entity(ngsild, run_ids, **{name: [prop(1), prop(2, datasetId=DS_A)]})
    endpoint = _subscribe(dyn, notifications, run_ids, entity)
    notifications.trigger(endpoint)
    path = entity_path(entity["id"])
    if operation == "delete-attribute":
        _change(ngsild, "DELETE", f"{path}/attrs/{name}", params={"datasetId": DS_A})
    else:
        _delete_by_null(ngsild, entity["id"], operation, name, prop(NULL, datasetId=DS_A))
    got = notifications.expect(
        endpoint,
        f"for the {DS_A} instance of {name} deleted by {operation}",
        where=_carrying(entity["id"], name),
    )
    inst = _deleted_instance(got, entity["id"], name, DS_A)
    checks.equal(f"notified {name} ({DS_A}).value", inst.get("value"), NULL)
