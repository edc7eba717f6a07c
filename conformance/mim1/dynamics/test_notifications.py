"""MIM1 notifications: triggers and filters (ETSI GS CIM 009 V1.8.1 clauses 5.2.12, 5.8.6).

Each scenario opens its own endpoint on the suite's receiver, subscribes it, changes an entity and
waits for the notification up to the profile's notification window; what arrived goes into the
test case's evidence. Negative checks use a sentinel: a change that must not notify is followed by
one that must, and the first notification to arrive must be the second one's.
Content scenarios are in test_notifications_content.py, delivery and bookkeeping in
test_notifications_delivery.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import checks
from conformance.mim1.dynamics.ntf_support import (
    earliest,
    make_entity,
    subscribe,
    unique_type,
    update_attrs,
)
from conformance.mim1.dynamics.support import (
    Notifications,
    carries,
    created,
    entity_in,
    mentions,
    subscription,
    subscription_id,
    value_of,
)
from conformance.ngsild.api import JSON, NgsiLd, entity_path
from conformance.ngsild.payloads import geo, point, prop, sensor
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

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
    entity = make_entity(ngsild, run_ids)
    _, endpoint = subscribe(dyn, notifications, run_ids, entity, watchedAttributes=["temperature"])
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
    _, endpoint = subscribe(dyn, notifications, run_ids, entity, by="type", notificationTrigger=[trigger])
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
    selected = make_entity(ngsild, run_ids, entity_type)
    other = make_entity(ngsild, run_ids, entity_type if selector != "type" else unique_type(run_ids))
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
    update_attrs(ngsild, other["id"], temperature=prop(31.5))
    update_attrs(ngsild, selected["id"], temperature=prop(32.5))
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
    entity = make_entity(ngsild, run_ids)
    _, endpoint = subscribe(dyn, notifications, run_ids, entity, watchedAttributes=["temperature"])
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], condition=prop("unwatched-change"))
    update_attrs(ngsild, entity["id"], temperature=prop(33.5))
    got = notifications.expect(endpoint, "after the watched change", where=mentions(entity["id"]))
    first = entity_in(earliest(got), entity["id"]) or {}
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
    entity = make_entity(ngsild, run_ids)
    _, endpoint = subscribe(dyn, notifications, run_ids, entity, q=q)
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], **miss)
    update_attrs(ngsild, entity["id"], **hit)
    name, attr = next(iter(hit.items()))
    got = notifications.expect(endpoint, f"matching q={q}", where=mentions(entity["id"]))
    first = entity_in(earliest(got), entity["id"]) or {}
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
    entity = make_entity(ngsild, run_ids, location=geo(OUTSIDE))
    _, endpoint = subscribe(dyn, notifications, run_ids, entity, geoQ=geo_q)
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], temperature=prop(37.5))  # still outside: no notification
    update_attrs(ngsild, entity["id"], location=geo(INSIDE), temperature=prop(38.5))
    got = notifications.expect(endpoint, f"inside geoQ {geo_q['georel']}", where=mentions(entity["id"]))
    first = entity_in(earliest(got), entity["id"]) or {}
    if value_of(first.get("temperature")) != 38.5:
        checks.fail(
            "a notification was sent while the entity was outside the geoQ area. "
            + notifications.describe(endpoint)
        )
