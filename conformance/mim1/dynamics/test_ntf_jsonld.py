"""MIM1 notifications as JSON-LD (ETSI GS CIM 009 V1.8.1 clauses 5.3.1, 6.3.5): an
application/ld+json notification of a subscription made with a user @context carries an @context
(at the top of the notification or in each entity: both are valid JSON-LD) under which the notified
names expand to the IRIs the subscription's @context gives them.

The suite's JSON-LD oracle expands the notified entity; an @context URL it does not hold (e.g. an
@context the broker created and serves itself) is fetched once from where it points."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
from pyld.jsonld import JsonLdError

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.ntf_support import probe_notified_under
from conformance.mim1.dynamics.support import Notifications, entity_in
from conformance.ngsild.api import JSONLD, NgsiLd
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.jsonld import Oracle
from conformance.outcomes import Inconclusive
from conformance.requirements import requirement
from conformance.run_ids import RunIds

USER_CONTEXT = "mimcheck-v1.jsonld"


def _urls(context: Any) -> list[str]:
    items = context if isinstance(context, list) else [context]
    return [i for i in items if isinstance(i, str)]


def _expanded(oracle: Oracle, entity: dict[str, Any], context: Any) -> dict[str, Any]:
    """The entity expanded under the notification's @context; unknown context URLs are fetched."""
    for url in _urls(context):
        if url not in oracle.documents:
            try:
                resp = requests.get(url, headers={"Accept": "application/ld+json"}, timeout=10)
                oracle.add(url, resp.json())
            except (requests.RequestException, ValueError) as exc:
                raise Inconclusive(f"the notification's @context {url} could not be fetched: {exc}") from exc
    document = {k: v for k, v in copy.deepcopy(entity).items() if k != "@context"}
    document["@context"] = context
    try:
        expanded = oracle.expand(document)
    except JsonLdError as exc:
        checks.fail(f"the notified entity is not valid JSON-LD under the notification's @context: {exc}")
    if not expanded or not isinstance(expanded[0], dict):
        checks.fail(f"the notified entity expands to nothing under {context!r}")
    return dict(expanded[0])


@requirement(
    "MIM1-NTF-035",
    clause="5.3.1",
    level="MUST",
    title="An application/ld+json notification carries an @context (top level or per entity) under which "
    "the notified names expand as the subscription's @context defines them",
)
@pytest.mark.parametrize("form", ["link-header", "body-array"])
def test_jsonld_notification_context(
    ngsild: NgsiLd,
    notifications: Notifications,
    contexts: ContextServer,
    oracle: Oracle,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
    form: str,
) -> None:
    user = contexts.url(USER_CONTEXT)
    entity, received = probe_notified_under(
        ngsild,
        notifications,
        run_ids,
        user,
        accept=JSONLD,
        label="jsonldbody",
        body_context=[user] if form == "body-array" else None,
    )
    checks.equal("notification Content-Type", received.media_type, JSONLD)
    document = received.json if isinstance(received.json, dict) else {}
    notified = entity_in(received, entity["id"]) or {}
    if "@context" in notified:
        context, place = notified["@context"], "in the entity"
    elif "@context" in document:
        context, place = document["@context"], "at the top of the notification"
    else:
        checks.fail(
            "application/ld+json notification without an @context (neither at its top nor in the entity)"
        )
    case_evidence.note(f"@context {place}: {context!r}")
    expanded = _expanded(oracle, notified, context)
    want_type = oracle.expand_type("MimcheckProbe", user)
    want_speed = oracle.expand_term("speed", user)
    if want_type not in (expanded.get("@type") or []):
        checks.fail(
            f"under the notification's @context the entity type expands to {expanded.get('@type')!r}, "
            f"not to {want_type} as under the subscription's @context {user}"
        )
    if want_speed not in expanded:
        checks.fail(
            f"under the notification's @context no attribute expands to {want_speed} (speed under {user}); "
            f"expanded attributes: {sorted(k for k in expanded if not k.startswith('@'))}"
        )
