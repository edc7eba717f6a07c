"""MIM1 context source notifications: what a Context Source Registration Subscription notifies when
registrations are created, updated and deleted (ETSI GS CIM 009 V1.8.1 clauses 5.11.7, 5.3.2, with the
Subscription members entities and watchedAttributes of clause 5.2.12).

Each scenario subscribes its own endpoint on the suite's receiver to an entity type of its own, then
registers, updates or deletes registrations of that type and waits for the notification up to the
profile's notification window. Notifications are told apart by the registration ids in their data,
so that registrations of other scenarios (which may also match) never disturb a verdict. Negative
checks use a sentinel: a registration that must not be notified is followed by one that must, and
once the second one's notification has arrived, none may name the first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.csource_support import (
    CAP,
    SOURCE,
    TRIGGER_REASONS,
    about,
    csource_subscription_id,
    registration,
    registration_subscription,
    registrations_in,
    subscribed,
    unique_attr,
    unique_type,
)
from conformance.mim1.dynamics.support import Notifications, created, notification_body
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.csource_subscriptions import CsourceSubscriptions
from conformance.ngsild.receiver import Endpoint, Received
from conformance.ngsild.subscriptions import Dynamics
from conformance.requirements import requirement
from conformance.run_ids import RunIds


@pytest.fixture
def csubs(ngsild: NgsiLd) -> CsourceSubscriptions:
    return CsourceSubscriptions(ngsild)


@dataclass
class Watch:
    """A registration subscription of one scenario and what its registrations must look like to match."""

    sub_id: str
    endpoint: Endpoint
    entity_type: str
    entity_id: str
    attr: str


def _watch(
    csubs: CsourceSubscriptions,
    notifications: Notifications,
    ids: RunIds,
    *,
    by_id: bool = False,
    watched: bool = False,
) -> Watch:
    entity_type, attr = unique_type(ids), unique_attr(ids)
    entity_id = f"urn:ngsi-ld:{entity_type}:{ids.next()}"
    selector = {"id": entity_id, "type": entity_type} if by_id else {"type": entity_type}
    members: dict[str, Any] = {"watchedAttributes": [attr]} if watched else {}
    endpoint = notifications.endpoint("csr")
    sub_id = csource_subscription_id(ids)
    subscribed(csubs, registration_subscription(sub_id, endpoint, [selector], **members))
    return Watch(sub_id, endpoint, entity_type, entity_id, attr)


def _matching(ids: RunIds, watch: Watch, *, by_id: bool = False) -> dict[str, Any]:
    return registration(ids, watch.entity_type, [watch.attr], entity_id=watch.entity_id if by_id else None)


def _register(dyn: Dynamics, body: dict[str, Any]) -> dict[str, Any]:
    created(dyn.create_registration(body), f"registering {body['id']}")
    return body


def _notified(
    notifications: Notifications, watch: Watch, reg_id: str, what: str, after: float | None = None
) -> Received:
    """The first notification naming this registration (received after ``after``)."""
    got = notifications.expect(watch.endpoint, what, where=about(reg_id, after))
    return min(got, key=lambda r: r.monotonic)


def _reason(received: Received, expected: str, what: str) -> None:
    body = notification_body(received)
    checks.equal(
        f"triggerReason of the notification {what}",
        checks.member("notification", body, "triggerReason"),
        expected,
    )


def _item(received: Received, reg_id: str) -> dict[str, Any]:
    for item in registrations_in(received):
        if item.get("id") == reg_id:
            return item
    checks.fail(f"notification data: expected the registration {reg_id}")


@requirement(
    "MIM1-CSR-020",
    clause="5.3.2",
    level="MUST",
    capability=CAP,
    title="A context source notification carries id, type ContextSourceNotification, subscriptionId, "
    "notifiedAt, the registrations in data and a triggerReason",
)
def test_csource_notification_envelope(
    csubs: CsourceSubscriptions, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    watch = _watch(csubs, notifications, run_ids)
    reg = _matching(run_ids, watch)
    notifications.trigger(watch.endpoint)
    _register(dyn, reg)
    received = _notified(notifications, watch, reg["id"], "after a matching registration was created")
    checks.equal("HTTP method of the notification", received.method, "POST")
    body = notification_body(received)
    checks.is_uri("notification 'id'", checks.member("notification", body, "id"))
    # The core @context defines the term ContextSourceNotification (see notes/mim1.md)
    checks.equal(
        "notification 'type'", checks.member("notification", body, "type"), "ContextSourceNotification"
    )
    checks.equal(
        "notification 'subscriptionId'", checks.member("notification", body, "subscriptionId"), watch.sub_id
    )
    checks.is_datetime("notification 'notifiedAt'", checks.member("notification", body, "notifiedAt"))
    reason = checks.member("notification", body, "triggerReason")
    if reason not in TRIGGER_REASONS:
        checks.fail(f"notification 'triggerReason': expected one of {list(TRIGGER_REASONS)}, got {reason!r}")
    data = checks.member("notification", body, "data", kind=list)
    checks.contains_ids("notification data", data, {reg["id"]})
    item = _item(received, reg["id"])
    checks.equal("data[].type", item.get("type"), "ContextSourceRegistration")
    checks.equal("data[].endpoint", item.get("endpoint"), SOURCE)
    information = checks.member("registration in the notification", item, "information", kind=list)
    if not information or not isinstance(information[0], dict):
        checks.fail(f"data[].information: expected the RegistrationInfo registered, got {information!r}")
    checks.equal("data[].information[0].propertyNames", information[0].get("propertyNames"), [watch.attr])


@requirement(
    "MIM1-CSR-021",
    clause="5.11.7",
    level="MUST",
    capability=CAP,
    title="A registration that comes to match a registration subscription (registered, or updated so that "
    "it matches) is notified with triggerReason newlyMatching",
)
@pytest.mark.parametrize("case", ["created-by-type", "created-by-id", "created-watched", "updated-into"])
def test_newly_matching(
    csubs: CsourceSubscriptions, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, case: str
) -> None:
    by_id, watched = case == "created-by-id", case == "created-watched"
    watch = _watch(csubs, notifications, run_ids, by_id=by_id, watched=watched)
    reg = _matching(run_ids, watch, by_id=by_id)
    if case == "updated-into":
        away = registration(run_ids, unique_type(run_ids), [watch.attr])
        reg = _register(dyn, {**away, "id": reg["id"]})
        moment = notifications.trigger(watch.endpoint)
        resp = dyn.patch_registration(reg["id"], {"information": _matching(run_ids, watch)["information"]})
        created(resp, f"updating {reg['id']} so that it matches")
        what = "after a registration was updated to match"
    else:
        moment = notifications.trigger(watch.endpoint)
        _register(dyn, reg)
        what = "after a matching registration was created"
    _reason(_notified(notifications, watch, reg["id"], what, moment), "newlyMatching", what)


@requirement(
    "MIM1-CSR-022",
    clause="5.11.7",
    level="MUST",
    capability=CAP,
    title="A matching registration that is updated and still matches is notified with triggerReason "
    "updated and its new content",
)
@pytest.mark.parametrize(
    ("member", "value"),
    [
        pytest.param("endpoint", "http://127.0.0.1:9/mimcheck-moved", id="endpoint"),
        pytest.param("registrationName", "mimcheck-renamed", id="registrationName"),
    ],
)
def test_updated(
    csubs: CsourceSubscriptions,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    member: str,
    value: str,
) -> None:
    watch = _watch(csubs, notifications, run_ids)
    reg = _register(dyn, _matching(run_ids, watch))
    _notified(notifications, watch, reg["id"], "after a matching registration was created")
    moment = notifications.trigger(watch.endpoint)
    created(dyn.patch_registration(reg["id"], {member: value}), f"updating {member} of {reg['id']}")
    what = f"after {member} of a matching registration was updated"
    received = _notified(notifications, watch, reg["id"], what, moment)
    _reason(received, "updated", what)
    checks.equal(
        f"{member} of the registration in the notification", _item(received, reg["id"]).get(member), value
    )


@requirement(
    "MIM1-CSR-023",
    clause="5.11.7",
    level="MUST",
    capability=CAP,
    title="A matching registration that is deleted, or updated so that it no longer matches, is notified "
    "with triggerReason noLongerMatching",
)
@pytest.mark.parametrize("case", ["deleted", "updated-away"])
def test_no_longer_matching(
    csubs: CsourceSubscriptions, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, case: str
) -> None:
    watch = _watch(csubs, notifications, run_ids)
    reg = _register(dyn, _matching(run_ids, watch))
    _notified(notifications, watch, reg["id"], "after a matching registration was created")
    moment = notifications.trigger(watch.endpoint)
    if case == "deleted":
        created(dyn.delete_registration(reg["id"]), f"deleting {reg['id']}")
        what = "after a matching registration was deleted"
    else:
        away = registration(run_ids, unique_type(run_ids), [watch.attr])["information"]
        created(dyn.patch_registration(reg["id"], {"information": away}), f"updating {reg['id']} away")
        what = "after a matching registration was updated so that it no longer matches"
    _reason(_notified(notifications, watch, reg["id"], what, moment), "noLongerMatching", what)


@requirement(
    "MIM1-CSR-024",
    clause="5.11.7",
    level="MUST",
    capability=CAP,
    title="A registration outside a registration subscription's entities (type, id) or watchedAttributes "
    "is not notified",
)
@pytest.mark.parametrize("case", ["other-type", "other-id", "other-attributes"])
def test_unmatched_not_notified(
    csubs: CsourceSubscriptions,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    case: str,
    case_evidence: CaseEvidence,
) -> None:
    by_id = case == "other-id"
    watch = _watch(csubs, notifications, run_ids, by_id=by_id, watched=case == "other-attributes")
    if case == "other-type":
        outside = registration(run_ids, unique_type(run_ids), [watch.attr])
    elif case == "other-id":
        other_id = f"urn:ngsi-ld:{watch.entity_type}:{run_ids.next()}"
        outside = registration(run_ids, watch.entity_type, [watch.attr], entity_id=other_id)
    else:
        outside = registration(run_ids, watch.entity_type, [unique_attr(run_ids)])
    _register(dyn, outside)
    sentinel = _register(dyn, _matching(run_ids, watch, by_id=by_id))
    notifications.trigger(watch.endpoint)
    _notified(
        notifications, watch, sentinel["id"], "for the matching registration registered after the other"
    )
    wrong = [r for r in watch.endpoint.received() if about(outside["id"])(r)]
    if wrong:
        checks.fail(
            f"the registration {outside['id']} ({case}) does not match the subscription, yet "
            f"{len(wrong)} notification(s) named it. " + notifications.describe(watch.endpoint)
        )
    case_evidence.note(f"no notification named the {case} registration {outside['id']}")


@requirement(
    "MIM1-CSR-025",
    clause="5.11.7",
    level="MUST",
    capability=CAP,
    title="Creating a registration subscription notifies the registrations that already match it "
    "(first notification, triggerReason newlyMatching)",
)
def test_initial_notification(
    csubs: CsourceSubscriptions, dyn: Dynamics, notifications: Notifications, run_ids: RunIds
) -> None:
    entity_type, attr = unique_type(run_ids), unique_attr(run_ids)
    reg = _register(dyn, registration(run_ids, entity_type, [attr]))
    endpoint = notifications.endpoint("csr")
    sub_id = csource_subscription_id(run_ids)
    notifications.trigger(endpoint)
    subscribed(csubs, registration_subscription(sub_id, endpoint, [{"type": entity_type}]))
    watch = Watch(sub_id, endpoint, entity_type, "", attr)
    what = "after creating a subscription that an existing registration matches"
    received = _notified(notifications, watch, reg["id"], what)
    checks.equal("notification 'subscriptionId'", notification_body(received).get("subscriptionId"), sub_id)
    _reason(received, "newlyMatching", what)
