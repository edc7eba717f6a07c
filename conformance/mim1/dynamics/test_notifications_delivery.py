"""MIM1 notifications: when they are sent and what is recorded (ETSI GS CIM 009 V1.8.1 clause 5.8.6):
throttling, timeInterval, paused and expired subscriptions, and the delivery bookkeeping of the
subscription (timesSent, lastSuccess, lastFailure, status)."""

from __future__ import annotations

import time

import pytest

from conformance import checks
from conformance.mim1.dynamics.ntf_support import (
    make_entity,
    notified_entity,
    subscribe,
    update_attrs,
)
from conformance.mim1.dynamics.support import (
    Notifications,
    created,
    entity_in,
    mentions,
    poll,
    subscription,
    subscription_id,
    value_of,
)
from conformance.ngsild.api import API_ROOT, NgsiLd
from conformance.ngsild.payloads import prop
from conformance.ngsild.subscriptions import Dynamics, now_plus
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds


@requirement(
    "MIM1-NTF-015",
    clause="5.8.6",
    level="MUST",
    title="With throttling, no second notification is sent before the throttling period has elapsed",
)
def test_throttling(ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds) -> None:
    throttling = int(notifications.window) + 5
    entity = make_entity(ngsild, run_ids)
    _, endpoint = subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=["temperature"], throttling=throttling
    )
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], temperature=prop(30.5))
    first = notifications.expect(endpoint, "after the first update", where=mentions(entity["id"]))[0]
    update_attrs(ngsild, entity["id"], temperature=prop(31.5))
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
    entity = make_entity(ngsild, run_ids)
    _, endpoint = subscribe(dyn, notifications, run_ids, entity, timeInterval=interval)
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
    entity = make_entity(ngsild, run_ids)
    sub_id, endpoint = subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=["temperature"], isActive=False
    )
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], temperature=prop(40.5))
    precondition(dyn.patch_subscription(sub_id, {"isActive": True}).status_code == 204, "resuming failed")
    update_attrs(ngsild, entity["id"], temperature=prop(41.5))
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
    entity = make_entity(ngsild, run_ids)
    sub_id, endpoint = subscribe(
        dyn, notifications, run_ids, entity, watchedAttributes=["temperature"], expiresAt=now_plus(1.5)
    )
    start = time.monotonic()
    # Let expiresAt pass (the status shows it early when the target reports it; SUB-011 checks that).
    poll(lambda: dyn.get_subscription(sub_id), lambda b: b.get("status") == "expired", 2.0)
    while time.monotonic() - start < 2.0:
        time.sleep(0.1)
    notifications.trigger(endpoint)
    update_attrs(ngsild, entity["id"], temperature=prop(42.5))
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
    _, _, sub_id, _ = notified_entity(ngsild, dyn, notifications, run_ids)
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
    entity = make_entity(ngsild, run_ids)
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
    update_attrs(ngsild, entity["id"], temperature=prop(30.5))
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
