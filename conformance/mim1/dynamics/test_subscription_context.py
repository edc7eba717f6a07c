"""MIM1 subscriptions: the member jsonldContext (ETSI GS CIM 009 V1.8.1 clause 5.2.12; the V1.8.1
OpenAPI Subscription schema), the @context notifications are compacted with and announce (clause 5.8.1,
Link header for application/json, @context member for application/ld+json), and the @context a
JSON notification links when the subscription was created with an inline @context (clause 5.13.1,
ImplicitlyCreated)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import (
    Notifications,
    created,
    entity_in,
    mentions,
    notification_body,
    subscription,
    subscription_id,
)
from conformance.ngsild.api import API_ROOT, CORE_CONTEXT, JSON, JSONLD, NgsiLdOps, link_header, made
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.payloads import probe, prop
from conformance.ngsild.receiver import Endpoint, Received
from conformance.ngsild.subscriptions import Dynamics, subscription_path
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

USER = "mimcheck-v1.jsonld"  # the @context the entity and the subscription are written with
ALT = "mimcheck-alt.jsonld"  # other names for the same IRIs: speed is velocity, MimcheckProbe is Probe
SUBS = f"{API_ROOT}/subscriptions"

# the core @context under any of its names (versioned or not): never what an inline @context becomes
CORE_URL = re.compile(r"^https?://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context(-v[0-9.]+)?\.jsonld$")


def _subscribe(
    ngsild: NgsiLdOps, body: dict[str, Any], *, context: str | None = None, inline: Any = None
) -> Any:
    """POST /subscriptions with the caller's @context in a Link header (context) or in the body
    (inline, sent as application/ld+json); the subscription is deleted at teardown."""
    ngsild.undo_later(
        f"delete subscription {body['id']}",
        lambda: ngsild.request("DELETE", subscription_path(body["id"])),
    )
    if inline is not None:
        return ngsild.request(
            "POST", SUBS, headers={"Content-Type": JSONLD}, json_body={**body, "@context": inline}
        )
    headers = {"Content-Type": JSON, **({"Link": link_header(context)} if context else {})}
    return ngsild.request("POST", SUBS, headers=headers, json_body=body)


def _probe_subscription(
    ngsild: NgsiLdOps,
    notifications: Notifications,
    run_ids: RunIds,
    contexts: ContextServer,
    accept: str,
    **members: Any,
) -> tuple[dict[str, Any], Endpoint]:
    """An entity written with the user @context and a subscription to its speed (user @context)."""
    user = contexts.url(USER)
    entity = made(ngsild, probe(run_ids), context=user)
    endpoint = notifications.endpoint("ctx")
    body = subscription(
        subscription_id(run_ids),
        endpoint,
        entities=[{"id": entity["id"], "type": "MimcheckProbe"}],
        accept=accept,
        watchedAttributes=["speed"],
        **members,
    )
    created(_subscribe(ngsild, body, context=user), "creating the subscription")
    return entity, endpoint


def _update_speed(ngsild: NgsiLdOps, contexts: ContextServer, entity_id: str) -> None:
    resp = ngsild.update_attrs(entity_id, {"speed": prop(77.5)}, context=contexts.url(USER))
    precondition(resp.status_code in (204, 207), f"updating speed answered {resp.status_code}")


def _context_of(received: Received) -> list[Any]:
    """The @context a notification announces: its Link header (application/json) or its @context
    member (application/ld+json, at the top or in each entity), as a list."""
    if received.media_type == JSONLD:
        body = notification_body(received)
        value = body.get("@context")
        if value is None:
            data = [e for e in body.get("data", []) if isinstance(e, dict)]
            value = data[0].get("@context") if data else None
        if value is None:
            checks.fail("application/ld+json notification without @context")
        return value if isinstance(value, list) else [value]
    link = received.header("Link") or ""
    urls = [p.split(">", 1)[0].strip().lstrip("<") for p in link.split(",") if "json-ld#context" in p]
    if not urls:
        checks.fail(f"application/json notification without a JSON-LD Link header (Link: {link!r})")
    return urls


@requirement(
    "MIM1-SUB-023",
    clause="5.2.12",
    level="MUST",
    title="A subscription keeps its jsonldContext: Retrieve Subscription shows the URL as given",
)
@pytest.mark.parametrize("content_type", [JSON, JSONLD], ids=["json", "jsonld"])
def test_jsonld_context_kept(
    ngsild: NgsiLdOps,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    contexts: ContextServer,
    content_type: str,
) -> None:
    alt = contexts.url(ALT)
    sub_id = subscription_id(run_ids)
    body = subscription(
        sub_id, notifications.endpoint("keep"), entities=[{"type": "MimcheckProbe"}], jsonldContext=alt
    )
    created(dyn.create_subscription(body, content_type=content_type), "creating the subscription")
    resp = dyn.get_subscription(sub_id, accept=JSON)
    checks.status_is(resp, 200)
    checks.equal("jsonldContext", checks.json_object(resp).get("jsonldContext"), alt)


@requirement(
    "MIM1-SUB-024",
    clause="5.8.1",
    level="MUST",
    title="Notifications of a subscription with jsonldContext use that @context: names compacted with it, "
    "and it is named in the Link header (application/json) or the @context member (application/ld+json)",
)
@pytest.mark.parametrize("accept", [JSON, JSONLD], ids=["json", "jsonld"])
def test_notifications_use_jsonld_context(
    ngsild: NgsiLdOps,
    notifications: Notifications,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    accept: str,
) -> None:
    alt = contexts.url(ALT)
    entity, endpoint = _probe_subscription(
        ngsild, notifications, run_ids, contexts, accept, jsonldContext=alt
    )
    notifications.trigger(endpoint)
    _update_speed(ngsild, contexts, entity["id"])
    received = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))[-1]
    announced = _context_of(received)
    if alt not in announced:
        checks.fail(f"the notification announces the @context {announced!r}, not the jsonldContext {alt}")
    case_evidence.note(f"{received.media_type} notification announces {announced!r}")
    data = entity_in(received, entity["id"]) or {}
    checks.equal("entity type compacted with the jsonldContext", data.get("type"), "Probe")
    if "velocity" not in data or "speed" in data:
        checks.fail(f"speed should be named velocity, as the jsonldContext says; members: {sorted(data)!r}")


@requirement(
    "MIM1-SUB-025",
    clause="5.8.1, 5.8.2, 6.3.5",
    level="MUST",
    title="Create Subscription with a jsonldContext that cannot be retrieved answers LdContextNotAvailable "
    "(504 or 503); Update Subscription answers so too, or accepts it",
)
@pytest.mark.parametrize("operation", ["create", "update"])
def test_jsonld_context_unavailable(
    ngsild: NgsiLdOps,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    operation: str,
) -> None:
    # V1.8.1 5.8.1 (Create Subscription behaviour, as the Stellio maintainers quote it): an unavailable
    # remote jsonldContext raises LdContextNotAvailable. Update (5.8.2) is not quoted: either way.
    sub_id = subscription_id(run_ids)
    body = subscription(sub_id, notifications.endpoint("gone"), entities=[{"type": "MimcheckProbe"}])
    if operation == "create":
        resp = dyn.create_subscription({**body, "jsonldContext": contexts.unreachable_url})
    else:
        created(dyn.create_subscription(body), "creating the subscription")
        resp = dyn.patch_subscription(sub_id, {"jsonldContext": contexts.unreachable_url})
    if operation == "update" and resp.status_code == 204:
        case_evidence.note("update: the unreachable jsonldContext was accepted (204)")
        return
    status = checks.ld_context_not_available(resp)
    case_evidence.note(f"{operation}: {status} LdContextNotAvailable")


@requirement(
    "MIM1-SUB-026",
    clause="5.2.12",
    level="MUST",
    title="A jsonldContext that is not a URI string is rejected (400 BadRequestData)",
)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("not a uri", id="not-uri"),
        pytest.param(42, id="number"),
        pytest.param({"@context": {}}, id="object"),
        pytest.param(["http://example.org/ctx.jsonld"], id="array"),
    ],
)
def test_jsonld_context_invalid(
    dyn: Dynamics, notifications: Notifications, run_ids: RunIds, case_evidence: CaseEvidence, value: Any
) -> None:
    body = subscription(
        subscription_id(run_ids),
        notifications.endpoint("bad"),
        entities=[{"type": "MimcheckProbe"}],
        jsonldContext=value,
    )
    error = checks.ngsild_problem_one_of(
        dyn.create_subscription(body), 400, "BadRequestData", "InvalidRequest"
    )
    case_evidence.note(f"jsonldContext {value!r}: 400 {error}")


@requirement(
    "MIM1-CTX-025",
    clause="5.13.1, 5.8.1",
    level="MUST",
    title="A JSON notification of a subscription created with an inline @context links a URL that serves "
    "that @context",
)
@pytest.mark.parametrize("form", ["object", "array-with-core"])
def test_notification_links_inline_context(
    ngsild: NgsiLdOps,
    notifications: Notifications,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    form: str,
) -> None:
    terms = contexts.document(USER)["@context"]
    inline: Any = terms if form == "object" else [terms, CORE_CONTEXT]
    entity = made(ngsild, probe(run_ids), context=contexts.url(USER))
    endpoint = notifications.endpoint("inline")
    body = subscription(
        subscription_id(run_ids),
        endpoint,
        entities=[{"id": entity["id"], "type": "MimcheckProbe"}],
        accept=JSON,
        watchedAttributes=["speed"],
    )
    created(_subscribe(ngsild, body, inline=inline), "creating the subscription")
    retrieved = ngsild.request("GET", subscription_path(body["id"]), headers={"Accept": JSON})
    try:
        shown = retrieved.json().get("jsonldContext") if retrieved.status_code == 200 else None
    except (ValueError, AttributeError):
        shown = None
    case_evidence.note(f"Retrieve Subscription shows jsonldContext {shown!r} (optional)")
    notifications.trigger(endpoint)
    _update_speed(ngsild, contexts, entity["id"])
    received = notifications.expect(endpoint, "after the update", where=mentions(entity["id"]))[-1]
    urls = _context_of(received)
    url = urls[0]
    if url == CORE_CONTEXT or CORE_URL.match(url):
        checks.fail("the notification links the core @context, not the subscription's inline @context")
    served = ngsild.http.request("GET", url, headers={"Accept": f"{JSONLD}, {JSON}"})
    checks.status_is(served, 200)
    got = checks.json_object(served).get("@context")
    items = got if isinstance(got, list) else [got]
    if terms not in items:
        checks.fail(f"the @context at {url} is {got!r}, not the subscription's inline @context"[:600])
    data = entity_in(received, entity["id"]) or {}
    if "speed" not in data:
        checks.fail(f"the notification should name speed as the inline @context does: {sorted(data)!r}")
    case_evidence.note(f"the notification links {url}")
