"""Shared helpers of the MIM1 dynamics scenarios: notification endpoints with evidence, waiting
for notifications against the profile's window, and subscription payload builders."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.payloads import VALUE_MEMBER
from conformance.ngsild.receiver import Endpoint, NotificationReceiver, Received
from conformance.outcomes import precondition
from conformance.run_ids import RunIds


class Notifications:
    """The endpoints one test case opened on the session's receiver."""

    def __init__(self, get_receiver: Callable[[], NotificationReceiver], ids: RunIds, window: float) -> None:
        self._get_receiver = get_receiver
        self.ids = ids
        self.window = window
        self.endpoints: list[Endpoint] = []
        self.triggers: dict[str, float] = {}

    def endpoint(self, label: str = "sub") -> Endpoint:
        endpoint = self._get_receiver().endpoint(f"{self.ids.next()}-{label}")
        self.endpoints.append(endpoint)
        return endpoint

    def trigger(self, endpoint: Endpoint) -> float:
        """Note the moment just before a request that should cause a notification."""
        moment = time.monotonic()
        self.triggers[endpoint.path] = moment
        return moment

    def describe(self, endpoint: Endpoint) -> str:
        got = endpoint.received()
        if not got:
            return f"nothing was received at {endpoint.url}"
        since = self.triggers.get(endpoint.path)
        dropped = endpoint.dropped()
        more = (
            f" ({dropped} more dropped: the receiver keeps {endpoint.receiver.max_per_endpoint})"
            if dropped
            else ""
        )
        return f"{len(got)} request(s) received at {endpoint.url}{more}:\n" + "\n\n".join(
            r.as_text(since, max_body=1500) for r in got
        )

    def expect(
        self,
        endpoint: Endpoint,
        what: str,
        *,
        count: int = 1,
        where: Callable[[Received], bool] | None = None,
        timeout: float | None = None,
    ) -> list[Received]:
        """Wait for ``count`` notifications (matching ``where``); none within the window is a FAIL."""
        window = self.window if timeout is None else timeout
        got = endpoint.wait(count=count, timeout=window, where=where)
        if len(got) < count:
            checks.fail(
                f"expected {count} notification(s) {what} within {window:g} s; got {len(got)} matching. "
                + self.describe(endpoint)
            )
        return got

    def latency_ms(self, endpoint: Endpoint, received: Received) -> float | None:
        since = self.triggers.get(endpoint.path)
        return None if since is None else round((received.monotonic - since) * 1000, 1)

    def to_evidence(self, case: CaseEvidence) -> None:
        """Put what the endpoints received into the case's evidence and the Allure report."""
        texts = []
        for endpoint in self.endpoints:
            got = endpoint.received()
            since = self.triggers.get(endpoint.path)
            dropped = endpoint.dropped()
            texts.append(
                f"notification endpoint {endpoint.url}: {len(got)} request(s) received"
                + (
                    f", {dropped} more dropped (the receiver keeps at most {endpoint.receiver.max_per_endpoint})"
                    if dropped
                    else ""
                )
                + "".join("\n\n" + r.as_text(since) for r in got)
            )
        if texts:
            case.attach("Notifications received", "\n\n----\n\n".join(texts))


def notification_body(received: Received) -> dict[str, Any]:
    body = received.json
    if not isinstance(body, dict):
        checks.fail(f"notification at {received.path}: expected a JSON object, got {received.body[:200]!r}")
    return body


def entity_in(received: Received, entity_id: str) -> dict[str, Any] | None:
    """The entity of this id in a notification's data, if any."""
    body = received.json
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return None
    for entity in body["data"]:
        if isinstance(entity, dict) and entity.get("id") == entity_id:
            return entity
    return None


def mentions(entity_id: str) -> Callable[[Received], bool]:
    return lambda r: entity_in(r, entity_id) is not None


def value_of(attribute: Any) -> Any:
    """The value of a normalized, concise or keyValues attribute."""
    if isinstance(attribute, dict):
        typed = VALUE_MEMBER.get(attribute.get("type", ""))
        if typed in attribute:
            return attribute[typed]
        for key in dict.fromkeys(VALUE_MEMBER.values()):  # concise: no type, one value member
            if key in attribute:
                return attribute[key]
    return attribute


def carries(entity_id: str, attr: str, value: Any) -> Callable[[Received], bool]:
    """A notification whose data has the entity with this attribute value."""

    def test(r: Received) -> bool:
        entity = entity_in(r, entity_id)
        return entity is not None and attr in entity and value_of(entity[attr]) == value

    return test


def subscription(
    sub_id: str,
    endpoint: Endpoint | str,
    *,
    entities: list[dict[str, Any]] | None = None,
    accept: str | None = None,
    **members: Any,
) -> dict[str, Any]:
    """A Subscription payload (clause 5.2.12) notifying ``endpoint``."""
    uri = endpoint if isinstance(endpoint, str) else endpoint.url
    target: dict[str, Any] = {"uri": uri}
    if accept:
        target["accept"] = accept
    notification = {"endpoint": target, **members.pop("notification", {})}
    body: dict[str, Any] = {"id": sub_id, "type": "Subscription"}
    if entities is not None:
        body["entities"] = entities
    body.update(members)
    body["notification"] = notification
    return body


def subscription_id(ids: RunIds) -> str:
    return f"urn:ngsi-ld:Subscription:{ids.next()}"


def created(resp: requests.Response, what: str) -> None:
    precondition(
        resp.status_code in (200, 201, 204), f"{what} answered {resp.status_code}: {resp.text[:200]}"
    )


def poll(
    fetch: Callable[[], requests.Response],
    ready: Callable[[dict[str, Any]], bool],
    timeout: float,
    interval: float = 0.25,
) -> tuple[requests.Response, dict[str, Any]]:
    """Fetch a resource until ``ready`` holds on its JSON body or the deadline; returns the last one."""
    deadline = time.monotonic() + timeout
    while True:
        resp = fetch()
        try:
            body = resp.json() if resp.status_code == 200 else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if (resp.status_code == 200 and ready(body)) or time.monotonic() >= deadline:
            return resp, body
        time.sleep(interval)
