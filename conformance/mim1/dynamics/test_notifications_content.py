"""MIM1 notifications: what a notification carries (ETSI GS CIM 009 V1.8.1 clauses 5.2.14, 5.2.15,
5.3.1): the envelope, the representation formats, attribute selection, sysAttrs, showChanges, the
@context (Link header or body) and receiverInfo headers."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.ntf_support import (
    make_entity,
    notified_entity,
    subscribe,
    update_attrs,
)
from conformance.mim1.dynamics.support import (
    Notifications,
    carries,
    created,
    entity_in,
    mentions,
    notification_body,
    subscription,
    subscription_id,
)
from conformance.ngsild.api import JSON, JSONLD, NgsiLd
from conformance.ngsild.payloads import prop
from conformance.ngsild.subscriptions import Dynamics
from conformance.requirements import requirement
from conformance.run_ids import RunIds


@requirement(
    "MIM1-NTF-007",
    clause="5.3.1",
    level="MUST",
    title="A notification carries id, type Notification, subscriptionId, notifiedAt and the entities in data",
)
def test_notification_envelope(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    entity, received, sub_id, _ = notified_entity(ngsild, dyn, notifications, run_ids)
    body = notification_body(received)
    data = checks.notification_envelope(body, sub_id)
    checks.contains_ids("notification data", data, {entity["id"]})
    checks.equal("HTTP method of the notification", received.method, "POST")


@requirement(
    "MIM1-NTF-008",
    clause="5.2.14",
    level="MUST",
    title="Notification format normalized (default) or keyValues gives entities in that representation",
)
@pytest.mark.parametrize("fmt", [None, "normalized", "keyValues"])
def test_notification_format(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, fmt: str | None
) -> None:
    params = {"notification": {"format": fmt}} if fmt else {}
    entity, _, _, data = notified_entity(ngsild, dyn, notifications, run_ids, **params)
    checks.equal("type", data.get("type"), entity["type"])
    if fmt == "keyValues":
        checks.equal("keyValues temperature", data.get("temperature"), 30.5)
        checks.equal("keyValues condition", data.get("condition"), "ok")
        checks.equal("keyValues isPartOf", data.get("isPartOf"), entity["isPartOf"]["object"])
    else:
        temperature = checks.member("normalized entity", data, "temperature", kind=dict)
        checks.equal("temperature.type", temperature.get("type"), "Property")
        checks.equal("temperature.value", temperature.get("value"), 30.5)
        checks.equal("temperature.unitCode", temperature.get("unitCode"), "CEL")
        relation = checks.member("normalized entity", data, "isPartOf", kind=dict)
        checks.equal("isPartOf.type", relation.get("type"), "Relationship")
        checks.equal("isPartOf.object", relation.get("object"), entity["isPartOf"]["object"])


@requirement(
    "MIM1-NTF-009",
    clause="5.2.14",
    level="MUST",
    title="Notification format concise gives entities in the concise representation",
)
def test_notification_concise(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, case_evidence: CaseEvidence
) -> None:
    entity, _, _, data = notified_entity(
        ngsild, dyn, notifications, run_ids, notification={"format": "concise"}
    )
    checks.concise_attribute(
        "concise temperature", data.get("temperature"), "value", 30.5, {"unitCode": "CEL"}
    )
    # A Property without sub-attributes may be the bare value or {"value": ...} (as for MIM1-ENT-013)
    form = checks.concise_attribute("concise condition", data.get("condition"), "value", "ok")
    case_evidence.note(f"concise notification: the Property 'condition' was given as the {form} form")
    checks.concise_attribute("concise isPartOf", data.get("isPartOf"), "object", entity["isPartOf"]["object"])


@requirement(
    "MIM1-NTF-010",
    clause="5.2.14",
    level="MUST",
    title="notification.attributes restricts the notified attributes to those listed",
)
def test_attribute_selection(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    _, _, _, data = notified_entity(
        ngsild, dyn, notifications, run_ids, notification={"attributes": ["temperature"]}
    )
    checks.member("notified entity", data, "temperature")
    for name in ("condition", "isPartOf", "location"):
        checks.absent("notified entity with attributes [temperature]", data, name)


@requirement(
    "MIM1-NTF-011",
    clause="5.2.14",
    level="MUST",
    title="notification.sysAttrs true adds createdAt and modifiedAt; without it they are left out",
)
@pytest.mark.parametrize("sys_attrs", [True, False])
def test_sys_attrs(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, sys_attrs: bool
) -> None:
    _, _, _, data = notified_entity(ngsild, dyn, notifications, run_ids, notification={"sysAttrs": sys_attrs})
    temperature: dict[str, Any] = data["temperature"] if isinstance(data.get("temperature"), dict) else {}
    for name in ("createdAt", "modifiedAt"):
        present = name in data or name in temperature
        if sys_attrs and not present:
            checks.fail(f"sysAttrs true: expected {name} on the entity or its attributes; entity: {data!r}")
        if not sys_attrs and present:
            checks.fail(f"sysAttrs false: expected no {name}; entity: {data!r}")
        if sys_attrs and name in temperature:
            checks.is_datetime(f"temperature.{name}", temperature[name])
        if sys_attrs and name in data:
            checks.is_datetime(f"entity {name}", data[name])


@requirement(
    "MIM1-NTF-012",
    clause="5.2.14",
    level="MUST",
    title="notification.showChanges gives the previous value (previousValue, previousObject) of what changed",
)
@pytest.mark.parametrize("kind", ["property", "relationship"])
def test_show_changes(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, kind: str
) -> None:
    entity = make_entity(ngsild, run_ids)
    watched = "temperature" if kind == "property" else "isPartOf"
    sub_id, endpoint = subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=[watched], notification={"showChanges": True}
    )
    notifications.trigger(endpoint)
    new: Any
    old: Any
    if kind == "property":
        update_attrs(ngsild, entity["id"], temperature=prop(30.5))
        new, old, key = 30.5, 21.5, "previousValue"
    else:
        new = run_ids.entity_id("MimcheckSite")
        update_attrs(ngsild, entity["id"], isPartOf={"type": "Relationship", "object": new})
        old, key = entity["isPartOf"]["object"], "previousObject"
    got = notifications.expect(endpoint, "after the change", where=carries(entity["id"], watched, new))
    attr = (entity_in(got[0], entity["id"]) or {}).get(watched)
    if not isinstance(attr, dict):
        checks.fail(f"{watched}: expected a normalized attribute, got {attr!r}")
    checks.equal(f"{watched}.{key}", attr.get(key), old)


ACCEPTS = [pytest.param(None, id="default"), pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")]


@requirement(
    "MIM1-NTF-013",
    clause="5.2.15",
    level="MUST",
    title="Notifications follow endpoint.accept: application/json with a Link header, or application/ld+json with @context",
)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_endpoint_accept(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, accept: str | None
) -> None:
    entity = make_entity(ngsild, run_ids)
    endpoint = notifications.endpoint("accept")
    sub_id = subscription_id(run_ids)
    body = subscription(
        sub_id,
        endpoint,
        entities=[{"id": entity["id"], "type": entity["type"]}],
        accept=accept,
        watchedAttributes=["temperature"],
    )
    created(dyn.create_subscription(body), "creating subscription")
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], temperature=prop(30.5))
    received = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))[0]
    document = notification_body(received)
    if accept == JSONLD:
        checks.equal("notification Content-Type", received.media_type, JSONLD)
        data = document.get("data") or []
        if "@context" not in document and not all(isinstance(e, dict) and "@context" in e for e in data):
            checks.fail(
                "application/ld+json notification without @context. " + notifications.describe(endpoint)
            )
    else:
        checks.equal("notification Content-Type", received.media_type, JSON)
        if "@context" in document:
            checks.fail("application/json notification with @context in the body")
        link = received.header("Link") or ""
        if "http://www.w3.org/ns/json-ld#context" not in link:
            checks.fail(
                f"application/json notification: expected a Link header to the @context, got {link!r}"
            )


@requirement(
    "MIM1-NTF-014",
    clause="5.2.15",
    level="MUST",
    title="endpoint.receiverInfo key-value pairs are sent as headers of the notification",
)
def test_receiver_info(ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds) -> None:
    token = run_ids.next()
    entity = make_entity(ngsild, run_ids)
    endpoint = notifications.endpoint("rinfo")
    sub_id = subscription_id(run_ids)
    body = subscription(
        sub_id,
        endpoint,
        entities=[{"id": entity["id"], "type": entity["type"]}],
        watchedAttributes=["temperature"],
    )
    body["notification"]["endpoint"]["receiverInfo"] = [{"key": "X-Mimcheck-Receiver", "value": token}]
    created(dyn.create_subscription(body), "creating subscription")
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], temperature=prop(30.5))
    received = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))[0]
    checks.equal("notification header X-Mimcheck-Receiver", received.header("X-Mimcheck-Receiver"), token)
