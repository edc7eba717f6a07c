"""Shared steps of the MIM1 notification scenarios (test_notifications*.py): a fresh entity of a
type of its own, an attribute update, a subscription of a fresh endpoint to an entity, and the entity
as notified after an update of its temperature."""

from __future__ import annotations

import re
from typing import Any

from conformance.mim1.dynamics.support import (
    Notifications,
    created,
    entity_in,
    mentions,
    subscription,
    subscription_id,
)
from conformance.ngsild.api import API_ROOT, JSON, JSONLD, NgsiLd, entity_path, link_header
from conformance.ngsild.payloads import probe, prop, sensor
from conformance.ngsild.receiver import Endpoint, Received
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.run_ids import RunIds


def unique_type(ids: RunIds) -> str:
    return "MimcheckDyn" + re.sub(r"[^A-Za-z0-9]", "", ids.next())


def make_entity(ngsild: NgsiLd, ids: RunIds, entity_type: str | None = None, **attrs: Any) -> dict[str, Any]:
    entity = sensor(ids, entity_type or unique_type(ids), **attrs)
    resp = ngsild.create_entity(entity)
    precondition(resp.status_code in (200, 201, 204), f"creating {entity['id']} answered {resp.status_code}")
    return entity


def update_attrs(ngsild: NgsiLd, entity_id: str, **attrs: Any) -> None:
    resp = ngsild.request(
        "PATCH", f"{entity_path(entity_id)}/attrs", headers={"Content-Type": JSON}, json_body=attrs
    )
    precondition(resp.status_code in (200, 204, 207), f"updating {entity_id} answered {resp.status_code}")


def subscribe(
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


def earliest(got: list[Received]) -> Received:
    return min(got, key=lambda r: r.monotonic)


def notified_entity(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, ids: RunIds, **members: Any
) -> tuple[dict[str, Any], Received, str, dict[str, Any]]:
    """Subscribe, update temperature to 30.5, return (entity, notification, subscription id, data entity)."""
    entity = make_entity(ngsild, ids)
    sub_id, endpoint = subscribe(
        dyn, notifications, ids, entity, watchedAttributes=["temperature"], **members
    )
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], temperature=prop(30.5, unitCode="CEL"))
    got = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))
    received = got[-1]
    return entity, received, sub_id, entity_in(received, entity["id"]) or {}


def probe_notified_under(
    ngsild: NgsiLd,
    notifications: Notifications,
    ids: RunIds,
    user: str,
    *,
    accept: str,
    label: str,
    body_context: Any = None,
) -> tuple[dict[str, Any], Received]:
    """A probe entity created under the user @context ``user`` (Link header), a subscription to its
    speed notifying in ``accept`` (made with a Link header, or as JSON-LD with ``body_context`` as its
    @context), then an update of speed: returns (entity, the notification about it)."""
    entity = probe(ids)
    resp = ngsild.request(
        "POST",
        f"{API_ROOT}/entities",
        headers={"Content-Type": JSON, "Link": link_header(user)},
        json_body=entity,
    )
    precondition(resp.status_code in (200, 201, 204), f"creating {entity['id']} answered {resp.status_code}")
    if ngsild.cleanup is not None:
        ngsild.cleanup.push(
            f"delete entity {entity['id']}", lambda: ngsild.request("DELETE", entity_path(entity["id"]))
        )
    endpoint = notifications.endpoint(label)
    sub_id = subscription_id(ids)
    body: dict[str, Any] = {
        "id": sub_id,
        "type": "Subscription",
        "entities": [{"id": entity["id"], "type": "MimcheckProbe"}],
        "watchedAttributes": ["speed"],
        "notification": {"endpoint": {"uri": endpoint.url, "accept": accept}},
    }
    headers = {"Content-Type": JSON, "Link": link_header(user)}
    if body_context is not None:
        headers = {"Content-Type": JSONLD}
        body["@context"] = body_context
    if ngsild.cleanup is not None:
        ngsild.cleanup.push(
            f"delete subscription {sub_id}",
            lambda: ngsild.request("DELETE", f"{API_ROOT}/subscriptions/{sub_id}"),
        )
    created(
        ngsild.request("POST", f"{API_ROOT}/subscriptions", headers=headers, json_body=body),
        "creating subscription",
    )
    notifications.trigger(endpoint)
    resp = ngsild.request(
        "PATCH",
        f"{entity_path(entity['id'])}/attrs",
        headers={"Content-Type": JSON, "Link": link_header(user)},
        json_body={"speed": prop(50.5)},
    )
    precondition(resp.status_code in (200, 204, 207), f"updating {entity['id']} answered {resp.status_code}")
    return entity, notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))[0]
