"""MIM1 subscriptions: a jsonldContext that can be retrieved but is not a JSON-LD @context (ETSI GS CIM 009
V1.8.1 clauses 5.8.1 and 5.2.12).

Source (notes/mim1.md, "V1.8.1 drift review"): the Create Subscription behaviour of 5.8.1, as the Stellio
maintainers quote it when adding jsonldContext (stellio-context-broker pull request 1230): the jsonldContext
is initialised with the subscription's @context when absent, an unavailable one raises
LdContextNotAvailable (MIM1-SUB-025) and an invalid one raises BadRequestData. The suite's context server
serves, at ``ContextServer.invalid_url``, a JSON object without an @context member: reachable, not a
JSON-LD @context (JSON-LD 1.1 API, "invalid remote context")."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import Notifications, subscription, subscription_id
from conformance.ngsild.api import JSON, JSONLD
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.subscriptions import Dynamics
from conformance.requirements import requirement
from conformance.run_ids import RunIds


@requirement(
    "MIM1-ERR-018",
    clause="5.8.1, 5.2.12",
    level="MUST",
    title="Create Subscription with a jsonldContext whose document is not a JSON-LD @context (no @context "
    "member) answers 400 BadRequestData and creates nothing",
)
@pytest.mark.parametrize("content_type", [JSON, JSONLD], ids=["json", "jsonld"])
def test_jsonld_context_not_a_context(
    dyn: Dynamics,
    notifications: Notifications,
    run_ids: RunIds,
    contexts: ContextServer,
    case_evidence: CaseEvidence,
    content_type: str,
) -> None:
    sub_id = subscription_id(run_ids)
    body: dict[str, Any] = subscription(
        sub_id,
        notifications.endpoint("invalid-ctx"),
        entities=[{"type": "MimcheckProbe"}],
        jsonldContext=contexts.invalid_url,
    )
    resp = dyn.create_subscription(body, content_type=content_type)  # deleted at teardown if made
    checks.ngsild_problem(resp, 400, "BadRequestData")
    case_evidence.note(f"{content_type}: 400 BadRequestData for a jsonldContext without @context member")
    checks.status_is(dyn.get_subscription(sub_id), 404)
