"""Shared helpers of the context source registration subscription scenarios
(test_csource_subscriptions.py, test_csource_notifications.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from conformance.mim1.dynamics.support import created, subscription
from conformance.ngsild.csource_subscriptions import CsourceSubscriptions
from conformance.ngsild.receiver import Endpoint, Received
from conformance.run_ids import RunIds

CAP = "ngsild-csource-registrations"
# never contacted: the registrations only exist to be matched against registration subscriptions
SOURCE = "http://127.0.0.1:9/mimcheck-source"
# management scenarios never expect a notification: a closed port of the target's own host
UNUSED_ENDPOINT = "http://127.0.0.1:9/mimcheck-unused"
TRIGGER_REASONS = ("newlyMatching", "updated", "noLongerMatching")


def unique_type(ids: RunIds) -> str:
    return "MimcheckCsub" + re.sub(r"[^A-Za-z0-9]", "", ids.next())


def unique_attr(ids: RunIds) -> str:
    return "mimcheckAttr" + re.sub(r"[^A-Za-z0-9]", "", ids.next())


def csource_subscription_id(ids: RunIds) -> str:
    return f"urn:ngsi-ld:Subscription:{ids.next()}"


def registration(
    ids: RunIds, entity_type: str, names: list[str], *, entity_id: str | None = None, **members: Any
) -> dict[str, Any]:
    """A ContextSourceRegistration (clause 5.2.9) for one entity type (or one entity) and these
    property names."""
    entity: dict[str, Any] = {"type": entity_type}
    if entity_id is not None:
        entity["id"] = entity_id
    body: dict[str, Any] = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{ids.next()}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [entity], "propertyNames": names}],
        "endpoint": SOURCE,
    }
    body.update(members)
    return body


def registration_subscription(
    sub_id: str, endpoint: Endpoint | str, entities: list[dict[str, Any]], **members: Any
) -> dict[str, Any]:
    """A Subscription (clause 5.2.12) as a Context Source Registration Subscription body."""
    return subscription(sub_id, endpoint, entities=entities, **members)


def subscribed(csubs: CsourceSubscriptions, body: dict[str, Any]) -> dict[str, Any]:
    created(csubs.create(body), f"creating registration subscription {body['id']}")
    return body


def registrations_in(received: Received) -> list[dict[str, Any]]:
    body = received.json
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return []
    return [r for r in body["data"] if isinstance(r, dict)]


def about(reg_id: str, after: float | None = None) -> Callable[[Received], bool]:
    """A notification (received after ``after``, a monotonic moment) naming this registration."""

    def test(r: Received) -> bool:
        if after is not None and r.monotonic < after:
            return False
        return any(item.get("id") == reg_id for item in registrations_in(r))

    return test
