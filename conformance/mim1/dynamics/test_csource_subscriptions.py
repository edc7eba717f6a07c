"""MIM1 context source registration subscriptions: create, retrieve, query, update, delete and
validation (ETSI GS CIM 009 V1.8.1 clauses 5.11.2-5.11.6, with the Subscription data type of clause
5.2.12). The notifications they trigger are in test_csource_notifications.py.

These subscriptions select an entity type no registration has and point at a closed port: they
never match, so no notification is expected here."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim1.dynamics.csource_support import (
    CAP,
    UNUSED_ENDPOINT,
    csource_subscription_id,
    registration_subscription,
    subscribed,
    unique_type,
)
from conformance.ngsild.api import JSON, JSONLD, NgsiLd
from conformance.ngsild.csource_subscriptions import CsourceSubscriptions
from conformance.ngsild.subscriptions import parse_time
from conformance.outcomes import Inconclusive
from conformance.requirements import requirement
from conformance.run_ids import RunIds


@pytest.fixture
def csubs(ngsild: NgsiLd) -> CsourceSubscriptions:
    return CsourceSubscriptions(ngsild)


def _sub(ids: RunIds, **members: Any) -> dict[str, Any]:
    return registration_subscription(
        csource_subscription_id(ids),
        UNUSED_ENDPOINT,
        [{"type": unique_type(ids)}],
        watchedAttributes=["temperature"],
        **members,
    )


def _retrieved(csubs: CsourceSubscriptions, sub_id: str) -> dict[str, Any]:
    resp = csubs.get(sub_id)
    checks.status_is(resp, 200)
    return checks.json_object(resp)


@requirement(
    "MIM1-CSR-012",
    clause="5.11.2, 6.12",
    level="MUST",
    capability=CAP,
    title="Create Context Source Registration Subscription answers 201 Created with a Location header "
    "naming the subscription",
)
@pytest.mark.parametrize("content_type", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
def test_create_csource_subscription(csubs: CsourceSubscriptions, run_ids: RunIds, content_type: str) -> None:
    body = _sub(run_ids)
    resp = csubs.create(body, content_type=content_type)
    checks.status_is(resp, 201)
    checks.location_names(resp, body["id"])


@requirement(
    "MIM1-CSR-013",
    clause="5.11.2",
    level="MUST",
    capability=CAP,
    title="Creating a registration subscription whose id already exists answers 409 AlreadyExists",
)
def test_create_existing_csource_subscription(csubs: CsourceSubscriptions, run_ids: RunIds) -> None:
    body = subscribed(csubs, _sub(run_ids))
    checks.ngsild_problem(csubs.create(body), 409, "AlreadyExists")


@requirement(
    "MIM1-CSR-014",
    clause="5.11.4, 6.13",
    level="MUST",
    capability=CAP,
    title="Retrieve Context Source Registration Subscription returns the subscription as created, "
    "with status active",
)
@pytest.mark.parametrize("accept", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
def test_retrieve_csource_subscription(csubs: CsourceSubscriptions, run_ids: RunIds, accept: str) -> None:
    body = subscribed(csubs, _sub(run_ids, subscriptionName="mimcheck"))
    resp = csubs.get(body["id"], accept=accept)
    checks.status_is(resp, 200)
    checks.content_type_is(resp, accept)
    got = checks.json_object(resp)
    checks.equal("id", got.get("id"), body["id"])
    checks.equal("type", got.get("type"), "Subscription")
    entities = checks.member("subscription", got, "entities", kind=list)
    types = [e.get("type") for e in entities if isinstance(e, dict)]
    checks.equal("entities[*].type", types, [body["entities"][0]["type"]])
    checks.equal("watchedAttributes", got.get("watchedAttributes"), ["temperature"])
    checks.equal("subscriptionName", got.get("subscriptionName"), "mimcheck")
    notification = checks.member("subscription", got, "notification", kind=dict)
    endpoint = checks.member("notification", notification, "endpoint", kind=dict)
    checks.equal("notification.endpoint.uri", endpoint.get("uri"), UNUSED_ENDPOINT)
    checks.equal("status", got.get("status"), "active")
    if accept == JSONLD:
        checks.member("application/ld+json response", got, "@context")
    else:
        checks.absent("application/json response", got, "@context")


@requirement(
    "MIM1-CSR-015",
    clause="5.11.4",
    level="MUST",
    capability=CAP,
    title="Retrieving, updating or deleting a registration subscription that does not exist answers 404 "
    "ResourceNotFound",
)
@pytest.mark.parametrize("operation", ["retrieve", "update", "delete"])
def test_missing_csource_subscription(csubs: CsourceSubscriptions, run_ids: RunIds, operation: str) -> None:
    missing = csource_subscription_id(run_ids)
    if operation == "retrieve":
        resp = csubs.get(missing)
    elif operation == "update":
        resp = csubs.patch(missing, {"subscriptionName": "x"})
    else:
        resp = csubs.delete(missing)
    checks.ngsild_problem(resp, 404, "ResourceNotFound")


@requirement(
    "MIM1-CSR-016",
    clause="5.11.5, 6.12",
    level="MUST",
    capability=CAP,
    title="Query Context Source Registration Subscriptions returns every subscription, page by page with "
    "limit and offset",
)
@pytest.mark.parametrize("page", [1, 2, 50])
def test_query_csource_subscriptions_paginated(
    csubs: CsourceSubscriptions, run_ids: RunIds, page: int
) -> None:
    ours = {subscribed(csubs, _sub(run_ids))["id"] for _ in range(3)}
    seen: set[str] = set()
    offset = 0
    repeats = 0  # pages holding nothing new: one may come from a concurrent change, two in a row do not
    for _ in range(200):
        resp = csubs.query({"limit": page, "offset": offset})
        checks.status_is(resp, 200)
        items = checks.json_array(resp)
        if len(items) > page:
            checks.fail(
                f"limit={page} offset={offset}: expected at most {page} subscriptions, got {len(items)}"
            )
        ids = {str(item.get("id")) for item in items if isinstance(item, dict)}
        repeats = repeats + 1 if ids and ids <= seen else 0
        if repeats >= 2:
            checks.fail(
                f"limit={page} offset={offset}: the page repeats subscriptions already listed at smaller "
                f"offsets ({sorted(ids)}): offset is not applied"
            )
        seen |= ids
        if ours <= seen or not items:
            break
        offset += page
    else:
        raise Inconclusive("more than 200 pages of registration subscriptions: cannot page through them all")
    checks.contains_ids(
        f"registration subscriptions listed in pages of {page}", [{"id": i} for i in seen], ours
    )


@requirement(
    "MIM1-CSR-017",
    clause="5.11.3, 6.13",
    level="MUST",
    capability=CAP,
    title="Update Context Source Registration Subscription answers 204 and the change is visible on retrieval",
)
@pytest.mark.parametrize(
    ("fragment", "member", "expected"),
    [
        pytest.param({"subscriptionName": "renamed"}, "subscriptionName", "renamed", id="name"),
        pytest.param({"watchedAttributes": ["condition"]}, "watchedAttributes", ["condition"], id="watched"),
        pytest.param({"isActive": False}, "status", "paused", id="isActive-false"),
        pytest.param(
            {"expiresAt": "2099-01-01T00:00:00.000Z"}, "expiresAt", "2099-01-01T00:00:00.000Z", id="expiresAt"
        ),
    ],
)
def test_update_csource_subscription(
    csubs: CsourceSubscriptions, run_ids: RunIds, fragment: dict[str, Any], member: str, expected: Any
) -> None:
    body = subscribed(csubs, _sub(run_ids))
    checks.status_is(csubs.patch(body["id"], fragment), 204)
    got = _retrieved(csubs, body["id"])
    value = got.get(member)
    if member == "expiresAt":
        checks.equal("expiresAt after the update (as an instant)", parse_time(value), parse_time(expected))
    else:
        checks.equal(f"{member} after the update", value, expected)
    notification = checks.member("subscription", got, "notification", kind=dict)
    endpoint = checks.member("notification", notification, "endpoint", kind=dict)
    checks.equal("notification.endpoint.uri kept", endpoint.get("uri"), UNUSED_ENDPOINT)


@requirement(
    "MIM1-CSR-018",
    clause="5.11.6, 6.13",
    level="MUST",
    capability=CAP,
    title="Delete Context Source Registration Subscription answers 204 and the subscription is gone afterwards",
)
def test_delete_csource_subscription(csubs: CsourceSubscriptions, run_ids: RunIds) -> None:
    body = subscribed(csubs, _sub(run_ids))
    checks.status_is(csubs.delete(body["id"]), 204)
    checks.status_is(csubs.get(body["id"]), 404)


def _invalid(ids: RunIds, case: str) -> dict[str, Any]:
    body = _sub(ids)
    if case == "wrong-type":
        body["type"] = "ContextSourceRegistration"
    elif case == "id-not-uri":
        body["id"] = "mimcheck not a uri"
    elif case == "no-notification":
        body.pop("notification")
    elif case == "no-endpoint":
        body["notification"].pop("endpoint")
    elif case == "endpoint-not-uri":
        body["notification"]["endpoint"]["uri"] = "not a uri"
    elif case == "no-entities-no-watched":
        body.pop("entities")
        body.pop("watchedAttributes")
    elif case == "empty-entities":
        body["entities"] = []
    elif case == "selector-without-type":
        body["entities"] = [{"id": f"urn:ngsi-ld:Thing:{ids.next()}"}]
    elif case == "expires-in-past":
        body["expiresAt"] = "2001-01-01T00:00:00Z"
    elif case == "interval-and-watched":
        body["timeInterval"] = 10
    return body


@requirement(
    "MIM1-CSR-019",
    clause="5.11.2",
    level="MUST",
    capability=CAP,
    title="Create Context Source Registration Subscription refuses an invalid subscription with 400 "
    "BadRequestData",
)
@pytest.mark.parametrize(
    "case",
    [
        "wrong-type",
        "id-not-uri",
        "no-notification",
        "no-endpoint",
        "endpoint-not-uri",
        "no-entities-no-watched",
        "empty-entities",
        "selector-without-type",
        "expires-in-past",
        "interval-and-watched",
    ],
)
def test_invalid_csource_subscription(csubs: CsourceSubscriptions, run_ids: RunIds, case: str) -> None:
    checks.ngsild_problem(csubs.create(_invalid(run_ids, case)), 400, "BadRequestData")
