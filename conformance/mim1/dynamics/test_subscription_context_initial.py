"""MIM1 subscriptions: the jsonldContext of a subscription created without one (ETSI GS CIM 009 V1.8.1
clauses 5.8.1 and 5.2.12).

Source (notes/mim1.md, "V1.8.1 drift review"): the Create Subscription behaviour of 5.8.1, as the Stellio
maintainers quote it (stellio-context-broker pull request 1230): "If not present, the jsonldContext field
shall be initialized with the @context applicable for the Subscription (if @context is also not present in
the Subscription, see clause 5.5.5)", i.e. the core @context. The ETSI NGSI-LD test 051_06 reads the
jsonldContext of Retrieve Subscription too. The @context is the one the subscription was created with: its
Link header (application/json) or its @context member (application/ld+json, one URL)."""

from __future__ import annotations

import re

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import Notifications, created, subscription, subscription_id
from conformance.ngsild.api import JSON, JSONLD, NgsiLdOps, link_header
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.subscriptions import Dynamics, subscription_path
from conformance.requirements import requirement
from conformance.run_ids import RunIds

USER = "mimcheck-v1.jsonld"
SUBS = "/ngsi-ld/v1/subscriptions"
# the core @context under any of its names (versioned or not)
CORE_URL = re.compile(r"^https?://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context(-v[0-9.]+)?\.jsonld$")


@requirement(
    "MIM1-ERR-022",
    clause="5.8.1, 5.2.12",
    level="MUST",
    title="A subscription created without jsonldContext shows as jsonldContext the @context it was created "
    "with: the URL of its Link header or @context member (or a URL serving it), or the core @context when it "
    "had none",
)
@pytest.mark.parametrize("how", ["link", "body", "none"])
def test_jsonld_context_initialised(
    ngsild: NgsiLdOps,
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    how: str,
) -> None:
    user = contexts.url(USER)
    sub_id = subscription_id(run_ids)
    body = subscription(sub_id, notifications.endpoint("initial-ctx"), entities=[{"type": "MimcheckProbe"}])
    ngsild.undo_later(
        f"delete subscription {sub_id}", lambda: ngsild.request("DELETE", subscription_path(sub_id))
    )
    if how == "link":
        headers = {"Content-Type": JSON, "Link": link_header(user)}
        resp = ngsild.request("POST", SUBS, headers=headers, json_body=body)
    elif how == "body":
        resp = ngsild.request(
            "POST", SUBS, headers={"Content-Type": JSONLD}, json_body={**body, "@context": user}
        )
    else:
        resp = ngsild.request("POST", SUBS, headers={"Content-Type": JSON}, json_body=body)
    created(resp, "creating the subscription")
    got = dyn.get_subscription(sub_id, accept=JSON)
    checks.status_is(got, 200)
    shown = checks.member("subscription", checks.json_object(got), "jsonldContext")
    case_evidence.note(f"created with the @context {how}: jsonldContext {shown!r}")
    if how == "none":
        if not isinstance(shown, str) or not CORE_URL.match(shown):
            checks.fail(f"jsonldContext should be the core @context, got {shown!r}")
    elif shown != user:
        _serves_user_context(ngsild, contexts, shown)
        case_evidence.note(f"{shown!r} is another URL serving the @context {user}")


def _serves_user_context(ngsild: NgsiLdOps, contexts: ContextServer, shown: object) -> None:
    """A jsonldContext other than the URL given: accepted when it serves that @context (a copy of it, as a
    broker caching the @context may name), i.e. an @context naming the URL or holding its terms."""
    user = contexts.url(USER)
    if not isinstance(shown, str) or not shown.startswith(("http://", "https://")):
        checks.fail(f"jsonldContext should be {user} (or a URL serving it), got {shown!r}")
        return
    served = ngsild.http.request("GET", shown, headers={"Accept": f"{JSONLD}, {JSON}"})
    checks.status_is(served, 200)
    got = checks.json_object(served).get("@context")
    items = got if isinstance(got, list) else [got]
    if user not in items and contexts.document(USER)["@context"] not in items:
        checks.fail(f"jsonldContext {shown} serves {got!r}, not the @context {user}"[:600])
