"""MIM1 reporting of errors in the HTTP binding (ETSI GS CIM 009 V1.8.1 clause 6.3.3, with 5.5.3 and
6.3.2): an operation that ends in an error answers the status of its error type, labelled
application/json whatever media type the request used or asked for, with a ProblemDetails body
carrying type, title and detail.

Sources (notes/mim1.md, "Clauses 4.2, 5.4 and 6.3.3"): the V1.9.1 text of 6.3.3 and 5.5.3 (5.5.3 says
in so many words that the RFC 7807 media type application/problem+json is not to be used, so that
existing clients keep working) and the V1.8.1 OpenAPI, whose error answers are application/json only
and whose ProblemDetails makes title compulsory when type is given."""

from __future__ import annotations

import pytest
import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import API_ROOT, CORE_CONTEXT, JSON, JSONLD, NgsiLdOps, made
from conformance.ngsild.payloads import probe
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# Each case: an operation that must fail, how the request is sent, and the status its error type maps
# to (clause 6.3.2). The JSON-LD cases send and accept application/ld+json: an error answer is still
# application/json (it has no @context to go with it).
CASES = [
    "retrieve-missing-json",
    "retrieve-missing-jsonld",
    "create-conflict-jsonld",
    "create-bad-id-jsonld",
    "subscription-missing-jsonld",
]


def _error_answer(ngsild: NgsiLdOps, run_ids: RunIds, case: str) -> tuple[requests.Response, int]:
    """Sends the failing request of a case; returns the answer and the status it must have."""
    accept = JSONLD if case.endswith("jsonld") else JSON
    if case.startswith("retrieve-missing"):
        return ngsild.retrieve(run_ids.entity_id("MimcheckProbe"), accept=accept), 404
    if case == "subscription-missing-jsonld":
        missing = run_ids.entity_id("Subscription")
        return ngsild.send("GET", f"{API_ROOT}/subscriptions/{missing}", accept=accept), 404
    if case == "create-conflict-jsonld":
        entity = made(ngsild, probe(run_ids))
        status = 409
    else:
        entity = {**probe(run_ids), "id": "not a uri"}
        status = 400
    resp = ngsild.send(
        "POST",
        f"{API_ROOT}/entities",
        {**entity, "@context": CORE_CONTEXT},
        content_type=JSONLD,
        accept=accept,
    )
    return resp, status


@requirement(
    "MIM1-ERR-016",
    clause="6.3.3",
    level="MUST",
    title="An error answer is labelled Content-Type application/json (not application/problem+json nor "
    "application/ld+json), also when the request was JSON-LD and asked for JSON-LD",
)
@pytest.mark.parametrize("case", CASES)
def test_error_media_type(ngsild: NgsiLdOps, run_ids: RunIds, case: str, case_evidence: CaseEvidence) -> None:
    resp, status = _error_answer(ngsild, run_ids, case)
    checks.status_is(resp, status)
    checks.content_type_is(resp, "application/json")
    case_evidence.note(f"{case}: {status} labelled {resp.headers.get('Content-Type')!r}")


@requirement(
    "MIM1-ERR-017",
    clause="6.3.3, 5.5.3",
    level="MUST",
    title="An error answer's ProblemDetails carries type (the NGSI-LD error type URI), title and detail, "
    "title and detail as strings",
)
@pytest.mark.parametrize("case", CASES)
def test_error_body_members(ngsild: NgsiLdOps, run_ids: RunIds, case: str) -> None:
    resp, status = _error_answer(ngsild, run_ids, case)
    checks.status_is(resp, status)
    body = checks.json_object(resp)
    kind = body.get("type")
    if not isinstance(kind, str) or not kind.startswith(checks.NGSILD_ERROR_PREFIX):
        checks.fail(
            f"{checks.where(resp)}: ProblemDetails 'type' should be an NGSI-LD error type URI, got {kind!r}"
        )
    for member in ("title", "detail"):
        value = checks.member(f"{checks.where(resp)}: ProblemDetails", body, member)
        if not isinstance(value, str) or not value.strip():
            checks.fail(
                f"{checks.where(resp)}: ProblemDetails {member!r} should be a non-empty string, got {value!r}"
            )
    if "status" in body:
        checks.equal(f"{checks.where(resp)}: ProblemDetails 'status'", body["status"], status)
