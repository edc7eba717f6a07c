"""MIM1 subscription management: create, retrieve, query, update, delete, validation and status
(ETSI GS CIM 009 V1.8.1 clauses 5.2.12, 5.8.1-5.8.5, 5.5.9)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import checks
from conformance.mim1.dynamics.support import created, poll, subscription, subscription_id
from conformance.ngsild.api import JSON, JSONLD
from conformance.ngsild.subscriptions import Dynamics, now_plus
from conformance.outcomes import Inconclusive, precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# Management scenarios never expect a notification: their subscriptions watch an entity type that
# no entity has, and point at a closed port of the target's own host.
UNUSED_ENDPOINT = "http://127.0.0.1:9/mimcheck-unused"


def unique_type(ids: RunIds) -> str:
    return "MimcheckDyn" + re.sub(r"[^A-Za-z0-9]", "", ids.next())


def _sub(ids: RunIds, **members: Any) -> dict[str, Any]:
    return subscription(
        subscription_id(ids),
        UNUSED_ENDPOINT,
        entities=[{"type": unique_type(ids)}],
        watchedAttributes=["temperature"],
        **members,
    )


def _created_sub(dyn: Dynamics, body: dict[str, Any]) -> dict[str, Any]:
    created(dyn.create_subscription(body), f"creating subscription {body['id']}")
    return body


def _retrieved(dyn: Dynamics, sub_id: str) -> dict[str, Any]:
    resp = dyn.get_subscription(sub_id)
    checks.status_is(resp, 200)
    return checks.json_object(resp)


@requirement(
    "MIM1-SUB-001",
    clause="5.8.1, 6.10",
    level="MUST",
    title="Create Subscription answers 201 Created with a Location header naming the subscription",
)
@pytest.mark.parametrize("content_type", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
def test_create_subscription(dyn: Dynamics, run_ids: RunIds, content_type: str) -> None:
    body = _sub(run_ids)
    resp = dyn.create_subscription(body, content_type=content_type)
    checks.status_is(resp, 201)
    checks.location_names(resp, body["id"])


@requirement(
    "MIM1-SUB-002",
    clause="5.8.1",
    level="MUST",
    title="Creating a subscription whose id already exists answers 409 AlreadyExists",
)
def test_create_existing_subscription(dyn: Dynamics, run_ids: RunIds) -> None:
    body = _created_sub(dyn, _sub(run_ids))
    resp = dyn.create_subscription(body)
    checks.ngsild_problem(resp, 409, "AlreadyExists")


@requirement(
    "MIM1-SUB-003",
    clause="5.8.3, 6.11",
    level="MUST",
    title="Retrieve Subscription returns the subscription as created",
)
@pytest.mark.parametrize("accept", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
def test_retrieve_subscription(dyn: Dynamics, run_ids: RunIds, accept: str) -> None:
    body = _created_sub(
        dyn,
        _sub(run_ids, q="temperature>40", subscriptionName="mimcheck", notification={"format": "keyValues"}),
    )
    resp = dyn.get_subscription(body["id"], accept=accept)
    checks.status_is(resp, 200)
    checks.content_type_is(resp, accept)
    got = checks.json_object(resp)
    checks.equal("id", got.get("id"), body["id"])
    checks.equal("type", got.get("type"), "Subscription")
    entities = checks.member("subscription", got, "entities")
    if not isinstance(entities, list) or [e.get("type") for e in entities if isinstance(e, dict)] != [
        body["entities"][0]["type"]
    ]:
        checks.fail(f"entities: expected {body['entities']!r}, got {entities!r}")
    checks.equal("watchedAttributes", got.get("watchedAttributes"), ["temperature"])
    checks.equal("q", str(got.get("q", "")).replace(" ", ""), "temperature>40")
    checks.equal("subscriptionName", got.get("subscriptionName"), "mimcheck")
    notification = checks.member("subscription", got, "notification", kind=dict)
    checks.equal("notification.format", notification.get("format"), "keyValues")
    endpoint = checks.member("notification", notification, "endpoint", kind=dict)
    checks.equal("notification.endpoint.uri", endpoint.get("uri"), UNUSED_ENDPOINT)
    if accept == JSONLD:
        checks.member("application/ld+json response", got, "@context")
    else:
        checks.absent("application/json response", got, "@context")


@requirement(
    "MIM1-SUB-004",
    clause="5.8.3",
    level="MUST",
    title="Retrieving, updating or deleting a subscription that does not exist answers 404 ResourceNotFound",
)
@pytest.mark.parametrize("operation", ["retrieve", "update", "delete"])
def test_missing_subscription(dyn: Dynamics, run_ids: RunIds, operation: str) -> None:
    missing = subscription_id(run_ids)
    if operation == "retrieve":
        resp = dyn.get_subscription(missing)
    elif operation == "update":
        resp = dyn.patch_subscription(missing, {"subscriptionName": "x"})
    else:
        resp = dyn.delete_subscription(missing)
    checks.ngsild_problem(resp, 404, "ResourceNotFound")


@requirement(
    "MIM1-SUB-005",
    clause="5.8.4, 6.10",
    level="MUST",
    title="Query Subscriptions returns every subscription, page by page with limit and offset",
)
@pytest.mark.parametrize("page", [1, 2, 50])
def test_query_subscriptions_paginated(dyn: Dynamics, run_ids: RunIds, page: int) -> None:
    ours = {_created_sub(dyn, _sub(run_ids))["id"] for _ in range(3)}
    seen: set[str] = set()
    # Offset paging over a collection that others change meanwhile (other scenarios, other clients)
    # may skip an entry when one before it goes away: up to three walks, every subscription seen once.
    for _walk in range(3):
        offset = 0
        for _ in range(200):
            resp = dyn.list_subscriptions({"limit": page, "offset": offset})
            checks.status_is(resp, 200)
            items = checks.json_array(resp)
            if len(items) > page:
                checks.fail(
                    f"limit={page} offset={offset}: expected at most {page} subscriptions, got {len(items)}"
                )
            seen |= {str(item.get("id")) for item in items if isinstance(item, dict)}
            if ours <= seen or not items:
                break
            offset += page
        else:
            raise Inconclusive("more than 200 pages of subscriptions: cannot page through them all")
        if ours <= seen:
            break
    checks.contains_ids(f"subscriptions listed in pages of {page}", [{"id": i} for i in seen], ours)


@requirement(
    "MIM1-SUB-006",
    clause="5.8.2, 6.11",
    level="MUST",
    title="Update Subscription answers 204 and the changed members are visible on retrieval",
)
@pytest.mark.parametrize(
    ("fragment", "member", "expected"),
    [
        pytest.param({"q": "temperature>40"}, "q", "temperature>40", id="q"),
        pytest.param({"watchedAttributes": ["condition"]}, "watchedAttributes", ["condition"], id="watched"),
        pytest.param({"subscriptionName": "renamed"}, "subscriptionName", "renamed", id="name"),
        pytest.param({"throttling": 7}, "throttling", 7, id="throttling"),
    ],
)
def test_update_subscription(
    dyn: Dynamics, run_ids: RunIds, fragment: dict[str, Any], member: str, expected: Any
) -> None:
    body = _created_sub(dyn, _sub(run_ids))
    resp = dyn.patch_subscription(body["id"], fragment)
    checks.status_is(resp, 204)
    got = _retrieved(dyn, body["id"])
    value = got.get(member)
    if member == "q" and isinstance(value, str):
        value = value.replace(" ", "")
    checks.equal(f"{member} after the update", value, expected)
    checks.equal(
        "notification.endpoint.uri kept",
        got.get("notification", {}).get("endpoint", {}).get("uri"),
        UNUSED_ENDPOINT,
    )


@requirement(
    "MIM1-SUB-007",
    clause="5.8.5, 6.11",
    level="MUST",
    title="Delete Subscription answers 204 and the subscription is gone afterwards",
)
def test_delete_subscription(dyn: Dynamics, run_ids: RunIds) -> None:
    body = _created_sub(dyn, _sub(run_ids))
    resp = dyn.delete_subscription(body["id"])
    checks.status_is(resp, 204)
    checks.status_is(dyn.get_subscription(body["id"]), 404)


def _invalid(ids: RunIds, case: str) -> dict[str, Any]:
    base = _sub(ids)
    if case == "no-entities-no-watched":
        base.pop("entities")
        base.pop("watchedAttributes")
    elif case == "bad-q":
        base["q"] = "temperature>>(("
    elif case == "bad-geoq":
        base["geoQ"] = {"geometry": "Point", "coordinates": [2.17, 41.38], "georel": "nearby"}
    elif case == "expires-in-past":
        base["expiresAt"] = "2001-01-01T00:00:00Z"
    elif case == "unknown-format":
        base["notification"]["format"] = "mimcheckFormat"
    elif case == "interval-and-watched":
        base["timeInterval"] = 10
    elif case == "interval-and-throttling":
        base.pop("watchedAttributes")
        base["timeInterval"] = 10
        base["throttling"] = 5
    elif case == "empty-entities":
        base["entities"] = []
    elif case == "unknown-trigger":
        base["notificationTrigger"] = ["entityExploded"]
    elif case == "wrong-type":
        base["type"] = "Registration"
    return base


@requirement(
    "MIM1-SUB-008",
    clause="5.8.1",
    level="MUST",
    title="Create Subscription refuses an invalid subscription with 400 BadRequestData",
)
@pytest.mark.parametrize(
    "case",
    [
        "no-entities-no-watched",
        "bad-q",
        "bad-geoq",
        "expires-in-past",
        "unknown-format",
        "interval-and-watched",
        "interval-and-throttling",
        "empty-entities",
        "unknown-trigger",
        "wrong-type",
    ],
)
def test_invalid_subscription_refused(dyn: Dynamics, run_ids: RunIds, case: str) -> None:
    resp = dyn.create_subscription(_invalid(run_ids, case))
    checks.ngsild_problem(resp, 400, "BadRequestData")


@requirement(
    "MIM1-SUB-009",
    clause="5.2.12",
    level="MUST",
    title="A retrieved subscription shows status active, or paused when created with isActive false",
)
@pytest.mark.parametrize(("is_active", "status"), [(None, "active"), (True, "active"), (False, "paused")])
def test_subscription_status(dyn: Dynamics, run_ids: RunIds, is_active: bool | None, status: str) -> None:
    extra = {} if is_active is None else {"isActive": is_active}
    body = _created_sub(dyn, _sub(run_ids, **extra))
    got = _retrieved(dyn, body["id"])
    checks.equal("status", got.get("status"), status)
    if "isActive" in got:
        checks.equal("isActive", got["isActive"], status == "active")


@requirement(
    "MIM1-SUB-010",
    clause="5.8.2",
    level="MUST",
    title="Updating isActive pauses (status paused) and resumes (status active) a subscription",
)
def test_pause_and_resume(dyn: Dynamics, run_ids: RunIds) -> None:
    body = _created_sub(dyn, _sub(run_ids))
    checks.status_is(dyn.patch_subscription(body["id"], {"isActive": False}), 204)
    checks.equal("status after isActive false", _retrieved(dyn, body["id"]).get("status"), "paused")
    checks.status_is(dyn.patch_subscription(body["id"], {"isActive": True}), 204)
    checks.equal("status after isActive true", _retrieved(dyn, body["id"]).get("status"), "active")


@requirement(
    "MIM1-SUB-011",
    clause="5.2.12",
    level="MUST",
    title="A subscription whose expiresAt has passed shows status expired",
)
def test_subscription_expires(dyn: Dynamics, run_ids: RunIds, window: float) -> None:
    body = _created_sub(dyn, _sub(run_ids, expiresAt=now_plus(2)))
    first = _retrieved(dyn, body["id"])
    precondition(first.get("status") == "active", f"fresh subscription not active: {first.get('status')!r}")
    resp, got = poll(
        lambda: dyn.get_subscription(body["id"]), lambda b: b.get("status") == "expired", 2 + window
    )
    checks.status_is(resp, 200)
    checks.equal(f"status {2 + window:g} s after a 2 s expiresAt", got.get("status"), "expired")


@requirement(
    "MIM1-SUB-012",
    clause="5.5.9",
    level="MUST",
    title="Query Subscriptions with count=true answers the total in the NGSILD-Results-Count header",
)
def test_query_subscriptions_count(dyn: Dynamics, run_ids: RunIds) -> None:
    for _ in range(2):
        _created_sub(dyn, _sub(run_ids))
    resp = dyn.list_subscriptions({"count": "true", "limit": 1})
    checks.status_is(resp, 200)
    value = checks.header(resp, "NGSILD-Results-Count")
    if not value.strip().isdigit() or int(value) < 2:
        checks.fail(
            f"NGSILD-Results-Count: expected an integer >= 2 (two subscriptions exist), got {value!r}"
        )


@requirement(
    "MIM1-SUB-013",
    clause="5.8.1",
    level="MUST",
    title="Create Subscription without an id generates one: the Location names a retrievable subscription",
)
def test_create_generates_id(dyn: Dynamics, run_ids: RunIds) -> None:
    body = _sub(run_ids)
    body.pop("id")
    resp = dyn.create_subscription(body)
    checks.status_is(resp, 201)
    location = checks.header(resp, "Location")
    sub_id = location.rstrip("/").rsplit("/", 1)[-1]
    from urllib.parse import unquote

    sub_id = unquote(sub_id)
    checks.is_uri("generated subscription id", sub_id)
    got = _retrieved(dyn, sub_id)
    checks.equal("id of the subscription at the Location", got.get("id"), sub_id)
