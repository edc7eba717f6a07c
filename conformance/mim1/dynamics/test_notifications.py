"""MIM1 notifications: triggers, filters, content, delivery and bookkeeping
(ETSI GS CIM 009 V1.8.1 clauses 5.2.12, 5.2.14, 5.2.15, 5.3.1, 5.8.6).

Each scenario opens its own endpoint on the suite's receiver, subscribes it, changes an entity and
waits for the notification up to the profile's notification window; what arrived goes into the
test case's evidence. Negative checks use a sentinel: a change that must not notify is followed by
one that must, and the first notification to arrive must be the second one's."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import (
    Notifications,
    carries,
    created,
    entity_in,
    mentions,
    notification_body,
    poll,
    subscription,
    subscription_id,
    value_of,
)
from conformance.ngsild.api import API_ROOT, JSON, JSONLD, NgsiLd, entity_path
from conformance.ngsild.payloads import geo, point, prop, sensor
from conformance.ngsild.receiver import Endpoint, Received
from conformance.ngsild.subscriptions import Dynamics, now_plus
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds


def unique_type(ids: RunIds) -> str:
    return "MimcheckDyn" + re.sub(r"[^A-Za-z0-9]", "", ids.next())


def _entity(ngsild: NgsiLd, ids: RunIds, entity_type: str | None = None, **attrs: Any) -> dict[str, Any]:
    entity = sensor(ids, entity_type or unique_type(ids), **attrs)
    resp = ngsild.create_entity(entity)
    precondition(resp.status_code in (200, 201, 204), f"creating {entity['id']} answered {resp.status_code}")
    return entity


def _update(ngsild: NgsiLd, entity_id: str, **attrs: Any) -> None:
    resp = ngsild.request(
        "PATCH", f"{entity_path(entity_id)}/attrs", headers={"Content-Type": JSON}, json_body=attrs
    )
    precondition(resp.status_code in (204, 207), f"updating {entity_id} answered {resp.status_code}")


def _subscribe(
    dyn: Dynamics,
    notifications: Notifications,
    ids: RunIds,
    entity: dict[str, Any] | None,
    *,
    by: str = "id",
    **members: Any,
) -> tuple[str, Endpoint]:
    """Subscribe a fresh endpoint to the entity (by id, or by type with by='type')."""
    endpoint = notifications.endpoint("ntf")
    sub_id = subscription_id(ids)
    entities = None
    if entity is not None:
        entities = (
            [{"id": entity["id"], "type": entity["type"]}] if by == "id" else [{"type": entity["type"]}]
        )
    body = subscription(sub_id, endpoint, entities=entities, **members)
    created(dyn.create_subscription(body), f"creating subscription {sub_id}")
    return sub_id, endpoint


def _first(got: list[Received]) -> Received:
    return min(got, key=lambda r: r.monotonic)


# -- triggers ------------------------------------------------------------------------------------

UPDATES = [
    pytest.param("PATCH", "/attrs", {"temperature": prop(30.5)}, id="update-attrs"),
    pytest.param("PATCH", "/attrs/temperature", {"value": 30.5}, id="partial-attr"),
    pytest.param("POST", "/attrs", {"temperature": prop(30.5)}, id="append-attrs"),
    pytest.param("PUT", "/attrs/temperature", prop(30.5), id="replace-attr"),
]


@requirement(
    "MIM1-NTF-001",
    clause="5.8.6",
    level="MUST",
    title="Updating a watched attribute of a subscribed entity sends a notification with the new value",
)
@pytest.mark.parametrize(("method", "suffix", "fragment"), UPDATES)
def test_update_notifies(
    ngsild: NgsiLd,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    method: str,
    suffix: str,
    fragment: dict[str, Any],
) -> None:
    entity = _entity(ngsild, run_ids)
    _, endpoint = _subscribe(dyn, notifications, run_ids, entity, watchedAttributes=["temperature"])
    notifications.trigger(endpoint)
    resp = ngsild.request(
        method, entity_path(entity["id"]) + suffix, headers={"Content-Type": JSON}, json_body=fragment
    )
    precondition(resp.status_code in (201, 204, 207), f"{method} {suffix} answered {resp.status_code}")
    got = notifications.expect(
        endpoint, f"after {method} {suffix}", where=carries(entity["id"], "temperature", 30.5)
    )
    latency = notifications.latency_ms(endpoint, got[0])
    if latency is not None and latency > notifications.window * 1000:
        checks.fail(
            f"notification arrived {latency} ms after the update, beyond the {notifications.window} s window"
        )


TRIGGERS = [
    pytest.param("entityCreated", id="entityCreated"),
    pytest.param("entityUpdated", id="entityUpdated"),
    pytest.param("entityDeleted", id="entityDeleted"),
    pytest.param("attributeCreated", id="attributeCreated"),
    pytest.param("attributeUpdated", id="attributeUpdated"),
    pytest.param("attributeDeleted", id="attributeDeleted"),
]


@requirement(
    "MIM1-NTF-002",
    clause="5.8.6",
    level="MUST",
    title="Each notificationTrigger value makes its kind of change send a notification naming the entity",
)
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_notification_trigger(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, trigger: str
) -> None:
    entity_type = unique_type(run_ids)
    entity = sensor(run_ids, entity_type)
    if trigger != "entityCreated":
        resp = ngsild.create_entity(entity)
        precondition(resp.status_code == 201, f"creating {entity['id']} answered {resp.status_code}")
    _, endpoint = _subscribe(dyn, notifications, run_ids, entity, by="type", notificationTrigger=[trigger])
    notifications.trigger(endpoint)
    path = entity_path(entity["id"])
    if trigger == "entityCreated":
        resp = ngsild.create_entity(entity)
    elif trigger == "entityDeleted":
        resp = ngsild.request("DELETE", path)
    elif trigger == "attributeCreated":
        resp = ngsild.request(
            "POST", path + "/attrs", headers={"Content-Type": JSON}, json_body={"humidity": prop(55)}
        )
    elif trigger == "attributeDeleted":
        resp = ngsild.request("DELETE", path + "/attrs/condition")
    else:
        resp = ngsild.request(
            "PATCH", path + "/attrs", headers={"Content-Type": JSON}, json_body={"temperature": prop(30.5)}
        )
    precondition(resp.status_code in (201, 204), f"the {trigger} change answered {resp.status_code}")
    notifications.expect(endpoint, f"for notificationTrigger {trigger}", where=mentions(entity["id"]))


@requirement(
    "MIM1-NTF-003",
    clause="5.2.12",
    level="MUST",
    title="Only entities selected by the subscription's entities (type, id, idPattern) are notified",
)
@pytest.mark.parametrize("selector", ["type", "id", "idPattern"])
def test_entity_selection(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, selector: str
) -> None:
    entity_type = unique_type(run_ids)
    selected = _entity(ngsild, run_ids, entity_type)
    other = _entity(ngsild, run_ids, entity_type if selector != "type" else unique_type(run_ids))
    if selector == "type":
        entities = [{"type": entity_type}]
    elif selector == "id":
        entities = [{"id": selected["id"], "type": entity_type}]
    else:
        entities = [{"idPattern": "^" + re.escape(selected["id"]) + "$", "type": entity_type}]
    endpoint = notifications.endpoint("sel")
    sub_id = subscription_id(run_ids)
    created(
        dyn.create_subscription(subscription(sub_id, endpoint, entities=entities)), "creating subscription"
    )
    notifications.trigger(endpoint)
    _update(ngsild, other["id"], temperature=prop(31.5))
    _update(ngsild, selected["id"], temperature=prop(32.5))
    notifications.expect(
        endpoint, "for the selected entity", where=carries(selected["id"], "temperature", 32.5)
    )
    if any(entity_in(r, other["id"]) for r in endpoint.received()):
        checks.fail(
            f"entity {other['id']} is not selected by {entities!r} but was notified. "
            + notifications.describe(endpoint)
        )


@requirement(
    "MIM1-NTF-004",
    clause="5.2.12",
    level="MUST",
    title="A change of an attribute outside watchedAttributes sends no notification",
)
def test_watched_attributes(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    entity = _entity(ngsild, run_ids)
    _, endpoint = _subscribe(dyn, notifications, run_ids, entity, watchedAttributes=["temperature"])
    notifications.trigger(endpoint)
    _update(ngsild, entity["id"], condition=prop("unwatched-change"))
    _update(ngsild, entity["id"], temperature=prop(33.5))
    got = notifications.expect(endpoint, "after the watched change", where=mentions(entity["id"]))
    first = entity_in(_first(got), entity["id"]) or {}
    if value_of(first.get("temperature")) != 33.5:
        checks.fail(
            "the first notification was sent for a change of 'condition', which is not watched. "
            + notifications.describe(endpoint)
        )


Q_CASES = [
    pytest.param("temperature>30", {"temperature": prop(25.0)}, {"temperature": prop(35.0)}, id="gt"),
    pytest.param(
        'condition=="alert"', {"condition": prop("calm")}, {"condition": prop("alert")}, id="eq-text"
    ),
    pytest.param(
        'temperature>=30;condition=="ok"', {"temperature": prop(29.0)}, {"temperature": prop(36.0)}, id="and"
    ),
    pytest.param("temperature==20..30", {"temperature": prop(45.0)}, {"temperature": prop(25.0)}, id="range"),
]


@requirement(
    "MIM1-NTF-005",
    clause="5.8.6",
    level="MUST",
    title="Only changes after which the entity matches the subscription's q are notified",
)
@pytest.mark.parametrize(("q", "miss", "hit"), Q_CASES)
def test_q_filter(
    ngsild: NgsiLd,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    q: str,
    miss: dict[str, Any],
    hit: dict[str, Any],
) -> None:
    entity = _entity(ngsild, run_ids)
    _, endpoint = _subscribe(dyn, notifications, run_ids, entity, q=q)
    notifications.trigger(endpoint)
    _update(ngsild, entity["id"], **miss)
    _update(ngsild, entity["id"], **hit)
    name, attr = next(iter(hit.items()))
    got = notifications.expect(endpoint, f"matching q={q}", where=mentions(entity["id"]))
    first = entity_in(_first(got), entity["id"]) or {}
    if value_of(first.get(name)) != attr["value"]:
        checks.fail(
            f"a notification was sent while the entity did not match q={q}. "
            + notifications.describe(endpoint)
        )


INSIDE = point(2.1734, 41.3851)  # Barcelona
OUTSIDE = point(-3.7038, 40.4168)  # Madrid
GEO_CASES = [
    pytest.param(
        {
            "geometry": "Polygon",
            "coordinates": [[[2.0, 41.2], [2.4, 41.2], [2.4, 41.6], [2.0, 41.6], [2.0, 41.2]]],
            "georel": "within",
        },
        id="within",
    ),
    pytest.param(
        {"geometry": "Point", "coordinates": [2.17, 41.38], "georel": "near;maxDistance==20000"}, id="near"
    ),
]


@requirement(
    "MIM1-NTF-006",
    clause="5.8.6",
    level="MUST",
    title="Only changes after which the entity matches the subscription's geoQ are notified",
)
@pytest.mark.parametrize("geo_q", GEO_CASES)
def test_geoq_filter(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, geo_q: dict[str, Any]
) -> None:
    entity = _entity(ngsild, run_ids, location=geo(OUTSIDE))
    _, endpoint = _subscribe(dyn, notifications, run_ids, entity, geoQ=geo_q)
    notifications.trigger(endpoint)
    _update(ngsild, entity["id"], temperature=prop(37.5))  # still outside: no notification
    _update(ngsild, entity["id"], location=geo(INSIDE), temperature=prop(38.5))
    got = notifications.expect(endpoint, f"inside geoQ {geo_q['georel']}", where=mentions(entity["id"]))
    first = entity_in(_first(got), entity["id"]) or {}
    if value_of(first.get("temperature")) != 38.5:
        checks.fail(
            "a notification was sent while the entity was outside the geoQ area. "
            + notifications.describe(endpoint)
        )


# -- content -------------------------------------------------------------------------------------


def _notified_entity(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, ids: RunIds, **members: Any
) -> tuple[dict[str, Any], Received, str, dict[str, Any]]:
    """Subscribe, update temperature to 30.5, return (entity, notification, subscription id, data entity)."""
    entity = _entity(ngsild, ids)
    sub_id, endpoint = _subscribe(
        dyn, notifications, ids, entity, watchedAttributes=["temperature"], **members
    )
    notifications.trigger(endpoint)
    _update(ngsild, entity["id"], temperature=prop(30.5, unitCode="CEL"))
    got = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))
    received = got[-1]
    return entity, received, sub_id, entity_in(received, entity["id"]) or {}


@requirement(
    "MIM1-NTF-007",
    clause="5.3.1",
    level="MUST",
    title="A notification carries id, type Notification, subscriptionId, notifiedAt and the entities in data",
)
def test_notification_envelope(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    entity, received, sub_id, _ = _notified_entity(ngsild, dyn, notifications, run_ids)
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
    entity, _, _, data = _notified_entity(ngsild, dyn, notifications, run_ids, **params)
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
    entity, _, _, data = _notified_entity(
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
    _, _, _, data = _notified_entity(
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
    _, _, _, data = _notified_entity(
        ngsild, dyn, notifications, run_ids, notification={"sysAttrs": sys_attrs}
    )
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
    entity = _entity(ngsild, run_ids)
    watched = "temperature" if kind == "property" else "isPartOf"
    sub_id, endpoint = _subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=[watched], notification={"showChanges": True}
    )
    notifications.trigger(endpoint)
    new: Any
    old: Any
    if kind == "property":
        _update(ngsild, entity["id"], temperature=prop(30.5))
        new, old, key = 30.5, 21.5, "previousValue"
    else:
        new = run_ids.entity_id("MimcheckSite")
        _update(ngsild, entity["id"], isPartOf={"type": "Relationship", "object": new})
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
    entity = _entity(ngsild, run_ids)
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
    _update(ngsild, entity["id"], temperature=prop(30.5))
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
    entity = _entity(ngsild, run_ids)
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
    _update(ngsild, entity["id"], temperature=prop(30.5))
    received = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))[0]
    checks.equal("notification header X-Mimcheck-Receiver", received.header("X-Mimcheck-Receiver"), token)


@requirement(
    "MIM1-NTF-015",
    clause="5.8.6",
    level="MUST",
    title="With throttling, no second notification is sent before the throttling period has elapsed",
)
def test_throttling(ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds) -> None:
    throttling = int(notifications.window) + 5
    entity = _entity(ngsild, run_ids)
    _, endpoint = _subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=["temperature"], throttling=throttling
    )
    notifications.trigger(endpoint)
    _update(ngsild, entity["id"], temperature=prop(30.5))
    first = notifications.expect(endpoint, "after the first update", where=mentions(entity["id"]))[0]
    _update(ngsild, entity["id"], temperature=prop(31.5))
    later = endpoint.wait(count=2, timeout=notifications.window, where=mentions(entity["id"]))
    early = [r for r in later if r is not first and r.monotonic - first.monotonic < throttling]
    if early:
        checks.fail(
            f"a second notification came {early[0].monotonic - first.monotonic:.2f} s after the first, "
            f"within the {throttling} s throttling. " + notifications.describe(endpoint)
        )


@requirement(
    "MIM1-NTF-016",
    clause="5.8.6",
    level="MUST",
    title="A subscription with timeInterval notifies periodically, without any change",
)
def test_time_interval(ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds) -> None:
    interval = 2
    entity = _entity(ngsild, run_ids)
    _, endpoint = _subscribe(dyn, notifications, run_ids, entity, timeInterval=interval)
    notifications.trigger(endpoint)
    got = notifications.expect(
        endpoint,
        f"every {interval} s",
        count=2,
        where=mentions(entity["id"]),
        timeout=notifications.window + 2 * interval,
    )
    gap = got[1].monotonic - got[0].monotonic
    if gap < interval * 0.5:
        checks.fail(f"two periodic notifications {gap:.2f} s apart with timeInterval {interval} s")


@requirement(
    "MIM1-NTF-017",
    clause="5.8.6",
    level="MUST",
    title="A paused subscription (isActive false) sends no notification; resumed, it notifies again",
)
def test_paused_subscription(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    entity = _entity(ngsild, run_ids)
    sub_id, endpoint = _subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=["temperature"], isActive=False
    )
    notifications.trigger(endpoint)
    _update(ngsild, entity["id"], temperature=prop(40.5))
    precondition(dyn.patch_subscription(sub_id, {"isActive": True}).status_code == 204, "resuming failed")
    _update(ngsild, entity["id"], temperature=prop(41.5))
    got = notifications.expect(endpoint, "after resuming", where=mentions(entity["id"]))
    if any((value_of((entity_in(r, entity["id"]) or {}).get("temperature")) == 40.5) for r in got):
        checks.fail(
            "the change made while the subscription was paused was notified. "
            + notifications.describe(endpoint)
        )


@requirement(
    "MIM1-NTF-018",
    clause="5.8.6",
    level="MUST",
    title="An expired subscription sends no notification",
)
def test_expired_subscription(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    entity = _entity(ngsild, run_ids)
    sub_id, endpoint = _subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=["temperature"], expiresAt=now_plus(1.5)
    )
    start = time.monotonic()
    # Let expiresAt pass (the status shows it early when the target reports it; SUB-011 checks that).
    poll(lambda: dyn.get_subscription(sub_id), lambda b: b.get("status") == "expired", 2.0)
    while time.monotonic() - start < 2.0:
        time.sleep(0.1)
    notifications.trigger(endpoint)
    _update(ngsild, entity["id"], temperature=prop(42.5))
    got = endpoint.wait(count=1, timeout=notifications.window, where=mentions(entity["id"]))
    if got:
        checks.fail(
            "a notification was sent for a subscription whose expiresAt had passed. "
            + notifications.describe(endpoint)
        )


@requirement(
    "MIM1-NTF-019",
    clause="5.8.6",
    level="MUST",
    title="After a successful notification the subscription shows timesSent, lastNotification, lastSuccess, status ok",
)
def test_bookkeeping_success(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    _, _, sub_id, _ = _notified_entity(ngsild, dyn, notifications, run_ids)
    resp, body = poll(
        lambda: dyn.get_subscription(sub_id),
        lambda b: isinstance(b.get("notification"), dict) and "lastSuccess" in b["notification"],
        notifications.window,
    )
    checks.status_is(resp, 200)
    notification = checks.member("subscription", checks.json_object(resp), "notification", kind=dict)
    times_sent = checks.member("notification", notification, "timesSent")
    if isinstance(times_sent, bool) or not isinstance(times_sent, int | float) or times_sent < 1:
        checks.fail(f"notification.timesSent: expected a number >= 1, got {times_sent!r}")
    checks.is_datetime(
        "notification.lastNotification", checks.member("notification", notification, "lastNotification")
    )
    checks.is_datetime("notification.lastSuccess", checks.member("notification", notification, "lastSuccess"))
    checks.equal("notification.status", notification.get("status"), "ok")


@requirement(
    "MIM1-NTF-020",
    clause="5.8.6",
    level="MUST",
    title="A failed notification (error answer or unreachable endpoint) sets lastFailure and status failed; "
    "the target keeps working",
)
@pytest.mark.parametrize("failure", ["http-500", "unreachable"])
def test_bookkeeping_failure(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, failure: str
) -> None:
    entity = _entity(ngsild, run_ids)
    endpoint = notifications.endpoint("fail")
    if failure == "http-500":
        endpoint.answer_with(500)
        uri = endpoint.url
    else:
        uri = "http://127.0.0.1:9/mimcheck-unreachable"
    sub_id = subscription_id(run_ids)
    body = subscription(
        sub_id,
        uri,
        entities=[{"id": entity["id"], "type": entity["type"]}],
        watchedAttributes=["temperature"],
    )
    created(dyn.create_subscription(body), "creating subscription")
    notifications.trigger(endpoint)
    _update(ngsild, entity["id"], temperature=prop(30.5))
    resp, got = poll(
        lambda: dyn.get_subscription(sub_id),
        lambda b: isinstance(b.get("notification"), dict) and "lastFailure" in b["notification"],
        notifications.window * 2,
    )
    checks.status_is(resp, 200)
    notification = checks.member("subscription", got, "notification", kind=dict)
    checks.is_datetime("notification.lastFailure", checks.member("notification", notification, "lastFailure"))
    checks.equal("notification.status", notification.get("status"), "failed")
    after = ngsild.get_entity(entity["id"])
    checks.status_is(after, 200)
    listing = ngsild.request("GET", f"{API_ROOT}/subscriptions", params={"limit": 1})
    checks.status_is(listing, 200)
