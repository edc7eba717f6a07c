"""MIM1 subscription management, second part (ETSI GS CIM 009 V1.8.1 clauses 5.2.12, 5.2.14, 5.8.1 -
5.8.3): the default notificationTrigger on retrieval, an update with an expiresAt in the past, and
the validation of notification.pick / notification.omit.

None of these subscriptions notifies: they watch an entity type no entity has and point at a closed
port of the target's own host."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import created, subscription, subscription_id
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

UNUSED_ENDPOINT = "http://127.0.0.1:9/mimcheck-unused"
DEFAULT_TRIGGERS = {"attributeCreated", "attributeUpdated"}
PAST = "2020-08-01T22:07:00Z"


def _sub(ids: RunIds, **members: Any) -> dict[str, Any]:
    entity_type = "MimcheckDyn" + re.sub(r"[^A-Za-z0-9]", "", ids.next())
    return subscription(
        subscription_id(ids),
        UNUSED_ENDPOINT,
        entities=[{"type": entity_type}],
        watchedAttributes=["temperature"],
        **members,
    )


def _created(dyn: Dynamics, body: dict[str, Any]) -> dict[str, Any]:
    created(dyn.create_subscription(body), f"creating subscription {body['id']}")
    return body


def _listed(dyn: Dynamics, sub_id: str) -> dict[str, Any]:
    """The subscription as Query Subscriptions lists it (pages of 50, at most 20 pages)."""
    for page in range(20):
        resp = dyn.list_subscriptions({"limit": 50, "offset": 50 * page})
        precondition(resp.status_code == 200, f"Query Subscriptions answered {resp.status_code}")
        listed = resp.json()
        precondition(isinstance(listed, list), f"Query Subscriptions gave no array: {resp.text[:200]}")
        for item in listed:
            if isinstance(item, dict) and item.get("id") == sub_id:
                return item
        if len(listed) < 50:
            break
    precondition(False, f"subscription {sub_id} is not in the listing (MIM1-SUB-005 checks listings)")
    return {}  # unreachable


@requirement(
    "MIM1-SUB-014",
    clause="5.8.3",
    level="SHOULD",
    title="A subscription created without notificationTrigger is shown with the default "
    "[attributeCreated, attributeUpdated] when retrieved or listed",
)
@pytest.mark.parametrize("read", ["retrieve", "list"])
def test_default_trigger_shown(dyn: Dynamics, run_ids: RunIds, read: str) -> None:
    body = _created(dyn, _sub(run_ids))
    if read == "retrieve":
        resp = dyn.get_subscription(body["id"])
        checks.status_is(resp, 200)
        got = checks.json_object(resp)
    else:
        got = _listed(dyn, body["id"])
    triggers = checks.member("subscription created without notificationTrigger", got, "notificationTrigger")
    if not isinstance(triggers, list) or set(triggers) != DEFAULT_TRIGGERS or len(triggers) != 2:
        checks.fail(f"notificationTrigger: expected the default {sorted(DEFAULT_TRIGGERS)}, got {triggers!r}")


@requirement(
    "MIM1-SUB-015",
    clause="5.8.2",
    level="MUST",
    title="Updating a subscription with an expiresAt in the past is refused (400, unchanged) or "
    "accepted with the subscription expired",
)
def test_past_expiry_update(dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence) -> None:
    body = _created(dyn, _sub(run_ids))
    resp = dyn.patch_subscription(body["id"], {"expiresAt": PAST, "description": "mimcheck past expiry"})
    after = dyn.get_subscription(body["id"])
    checks.status_is(after, 200)
    got = checks.json_object(after)
    if resp.status_code == 204:
        case_evidence.note("a past expiresAt on update was accepted (204); the subscription is expired")
        checks.equal("status after an update to a past expiresAt", got.get("status"), "expired")
    else:
        kind = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
        case_evidence.note(
            f"a past expiresAt on update was refused (400 {kind}); the subscription is unchanged"
        )
        if "expiresAt" in got or got.get("description") == "mimcheck past expiry":
            checks.fail(f"the refused update changed the subscription: {got!r}")
        checks.equal("status after a refused update", got.get("status"), "active")


INVALID = [
    pytest.param({"pick": ["id"], "omit": ["id"]}, id="same-member-pick-omit"),
    pytest.param({"pick": "temperature"}, id="pick-not-array"),
    pytest.param({"omit": []}, id="omit-empty"),
    pytest.param({"pick": [17]}, id="pick-item-not-string"),
]


@requirement(
    "MIM1-SUB-016",
    clause="5.2.14",
    level="MUST",
    title="A subscription whose notification.pick or omit is malformed, or names one member in both, "
    "is refused with 400",
)
@pytest.mark.parametrize("operation", ["create", "update"])
@pytest.mark.parametrize("params", INVALID)
def test_invalid_projection_refused(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, operation: str, params: dict[str, Any]
) -> None:
    if operation == "create":
        body = _sub(run_ids, notification=params)
        resp = dyn.create_subscription(body)
    else:
        body = _created(dyn, _sub(run_ids))
        fragment = {"notification": {"endpoint": {"uri": UNUSED_ENDPOINT}, **params}}
        resp = dyn.patch_subscription(body["id"], fragment)
    kind = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"{operation} with notification {params!r}: 400 {kind}")


@requirement(
    "MIM1-SUB-017",
    clause="5.2.14",
    level="SHOULD",
    title="A subscription combining notification.pick or omit with the deprecated notification.attributes "
    "is refused with 400",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param(
            {"pick": ["id", "temperature"], "attributes": ["temperature"]}, id="pick-and-attributes"
        ),
        pytest.param({"omit": ["condition"], "attributes": ["temperature"]}, id="omit-and-attributes"),
    ],
)
def test_projection_with_attributes_refused(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, params: dict[str, Any]
) -> None:
    resp = dyn.create_subscription(_sub(run_ids, notification=params))
    kind = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"notification {params!r}: 400 {kind}")


@requirement(
    "MIM1-SUB-018",
    clause="5.2.14",
    level="MUST",
    title="showChanges true with format keyValues is refused with 400, on create and on an update that makes the pair",
)
@pytest.mark.parametrize("operation", ["create", "update-show-changes", "update-format"])
def test_keyvalues_with_show_changes_refused(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, operation: str
) -> None:
    both = {"format": "keyValues", "showChanges": True}
    if operation == "create":
        resp = dyn.create_subscription(_sub(run_ids, notification=both))
    else:
        first = {"format": "keyValues"} if operation == "update-show-changes" else {"showChanges": True}
        body = _created(dyn, _sub(run_ids, notification=first))
        second = {"showChanges": True} if operation == "update-show-changes" else {"format": "keyValues"}
        resp = dyn.patch_subscription(
            body["id"], {"notification": {"endpoint": {"uri": UNUSED_ENDPOINT}, **second}}
        )
    # NotificationParams (OpenAPI): "showChanges cannot be true in case format is keyValues"; no error type named
    kind = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"{operation}: 400 {kind}")


SHOWN = [
    pytest.param({"notification": {"pick": ["id", "temperature"]}}, ("notification", "pick"), id="pick"),
    pytest.param({"notification": {"omit": ["condition"]}}, ("notification", "omit"), id="omit"),
    pytest.param({"datasetId": ["urn:ngsi-ld:Dataset:mimcheck-a"]}, ("datasetId",), id="datasetId"),
]


@requirement(
    "MIM1-SUB-019",
    clause="5.8.3",
    level="MUST",
    title="Retrieve Subscription shows notification.pick, notification.omit and datasetId as created",
)
@pytest.mark.parametrize(("members", "where"), SHOWN)
def test_projection_members_shown(
    dyn: Dynamics, run_ids: RunIds, members: dict[str, Any], where: tuple[str, ...]
) -> None:
    body = _created(dyn, _sub(run_ids, **members))
    resp = dyn.get_subscription(body["id"])
    checks.status_is(resp, 200)
    got: Any = checks.json_object(resp)
    sent: Any = members
    for key in where:
        got = checks.member("retrieved subscription" if key == where[0] else key, got, key)
        sent = sent[key]
    if not isinstance(got, list) or sorted(map(str, got)) != sorted(sent):
        checks.fail(f"{'.'.join(where)}: expected {sent!r} as created, got {got!r}")
