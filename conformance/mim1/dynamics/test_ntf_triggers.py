"""MIM1 notification triggers, second part (ETSI GS CIM 009 V1.8.1 clauses 5.2.12, 5.8.2, 5.8.6): what
entityUpdated stands for and what the default triggers leave out. The OpenAPI (Subscription
notificationTrigger): "If not present, the default is the combination attributeCreated and
attributeUpdated. entityUpdated is equivalent to the combination attributeCreated, attributeUpdated
and attributeDeleted." Also: an update of the notification parameters applies to the next notification.

Each case subscribes one endpoint to one entity and makes one change (NTF-038: a change that must
not notify, then a sentinel change that must)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim1.dynamics.ntf_support import earliest, make_entity, subscribe, update_attrs
from conformance.mim1.dynamics.support import (
    Notifications,
    created,
    entity_in,
    mentions,
    subscription,
    subscription_id,
    value_of,
)
from conformance.ngsild.api import JSON, NgsiLd, entity_path
from conformance.ngsild.payloads import prop
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds


@requirement(
    "MIM1-NTF-037",
    clause="5.8.6",
    level="MUST",
    title="notificationTrigger entityUpdated notifies an attribute appended, updated or deleted",
)
@pytest.mark.parametrize("change", ["append", "update", "delete"])
def test_entity_updated_covers_attributes(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, change: str
) -> None:
    entity = make_entity(ngsild, run_ids)
    # the endpoint's path ends with -entupd-<change> (a fault can single out some changes)
    endpoint = notifications.endpoint(f"entupd-{change}")
    body = subscription(
        subscription_id(run_ids),
        endpoint,
        entities=[{"id": entity["id"], "type": entity["type"]}],
        notificationTrigger=["entityUpdated"],
    )
    created(dyn.create_subscription(body), f"creating subscription {body['id']}")
    notifications.trigger(endpoint)
    path = entity_path(entity["id"])
    if change == "append":
        resp = ngsild.request(
            "POST", f"{path}/attrs", headers={"Content-Type": JSON}, json_body={"humidity": prop(55)}
        )
    elif change == "update":
        resp = ngsild.request(
            "PATCH", f"{path}/attrs", headers={"Content-Type": JSON}, json_body={"temperature": prop(30.5)}
        )
    else:
        resp = ngsild.request("DELETE", f"{path}/attrs/condition")
    precondition(resp.status_code in (200, 201, 204, 207), f"the {change} change answered {resp.status_code}")
    notifications.expect(
        endpoint, f"for entityUpdated after an attribute {change}", where=mentions(entity["id"])
    )


@requirement(
    "MIM1-NTF-038",
    clause="5.8.6",
    level="MUST",
    title="A subscription without notificationTrigger (default attributeCreated, attributeUpdated) is not "
    "notified of an attribute deletion",
)
def test_default_triggers_skip_deletion(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    entity = make_entity(ngsild, run_ids)
    _, endpoint = subscribe(dyn, notifications, run_ids, entity)
    notifications.trigger(endpoint)
    resp = ngsild.request("DELETE", f"{entity_path(entity['id'])}/attrs/condition")
    precondition(resp.status_code in (200, 204), f"deleting condition answered {resp.status_code}")
    update_attrs(ngsild, entity["id"], temperature=prop(33.5))  # the sentinel: an attributeUpdated
    got = notifications.expect(endpoint, "after the sentinel update", where=mentions(entity["id"]))
    first = entity_in(earliest(got), entity["id"]) or {}
    if value_of(first.get("temperature")) != 33.5:
        checks.fail(
            "the first notification was sent for the deletion of 'condition', which the default "
            "notificationTrigger (attributeCreated, attributeUpdated) does not cover. "
            + notifications.describe(endpoint)
        )


@requirement(
    "MIM1-SUB-020",
    clause="5.8.2",
    level="MUST",
    title="An Update Subscription of the notification parameters (format, pick) applies to the next notification",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"format": "keyValues"}, id="format"),
        pytest.param({"pick": ["id", "temperature"]}, id="pick"),
    ],
)
def test_updated_parameters_applied(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, params: dict[str, Any]
) -> None:
    entity = make_entity(ngsild, run_ids)
    sub_id, endpoint = subscribe(dyn, notifications, run_ids, entity, watchedAttributes=["temperature"])
    fragment = {"notification": {"endpoint": {"uri": endpoint.url}, **params}}
    resp = dyn.patch_subscription(sub_id, fragment)
    precondition(resp.status_code in (200, 204), f"updating {sub_id} answered {resp.status_code}")
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], temperature=prop(30.5, unitCode="CEL"))
    received = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))[0]
    data = entity_in(received, entity["id"]) or {}
    if "format" in params:
        checks.equal("temperature in keyValues after the update of the format", data.get("temperature"), 30.5)
    else:
        extra = sorted(set(data) - {"id", "temperature"})
        if extra or "temperature" not in data:
            checks.fail(f"after the update to pick {params['pick']}, the notified entity is {data!r}")
