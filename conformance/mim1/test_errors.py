"""MIM1 errors: each error answers the HTTP status its type maps to with an RFC 7807 ProblemDetails
body naming the NGSI-LD error type exactly (ETSI GS CIM 009 clauses 5.5.2, 6.3.2)."""

from __future__ import annotations

import json

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import API_ROOT, JSON, JSONLD, NgsiLdOps, attr_path, entity_path, made
from conformance.ngsild.payloads import probe, prop
from conformance.requirements import requirement
from conformance.run_ids import RunIds


@requirement(
    "MIM1-ERR-002",
    clause="6.3.2",
    level="MUST",
    title="An attribute operation on an entity that does not exist answers 404 ProblemDetails ResourceNotFound",
)
@pytest.mark.parametrize(
    "operation", ["append", "update", "partial-update", "replace-attribute", "delete-attribute"]
)
def test_operations_on_missing_entity(ngsild: NgsiLdOps, run_ids: RunIds, operation: str) -> None:
    missing = run_ids.entity_id("MimcheckProbe")
    fragment = {"status": prop("x")}
    if operation == "append":
        resp = ngsild.append_attrs(missing, fragment)
    elif operation == "update":
        resp = ngsild.update_attrs(missing, fragment)
    elif operation == "partial-update":
        resp = ngsild.partial_update(missing, "status", {"value": "x"})
    elif operation == "replace-attribute":
        resp = ngsild.replace_attr(missing, "status", {"type": "Property", "value": "x"})
    else:
        resp = ngsild.delete_attr(missing, "status")
    checks.ngsild_problem(resp, 404, "ResourceNotFound")


@requirement(
    "MIM1-ERR-003",
    clause="5.5.2",
    level="MUST",
    title="A request body that is not valid JSON answers 400 ProblemDetails InvalidRequest",
)
@pytest.mark.parametrize("content_type", [JSON, JSONLD], ids=["json", "jsonld"])
@pytest.mark.parametrize("operation", ["create", "append", "update"])
def test_invalid_json(ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, operation: str) -> None:
    broken = '{"id": "urn:ngsi-ld:MimcheckProbe:broken", "type": '
    if operation == "create":
        resp = ngsild.send("POST", f"{API_ROOT}/entities", raw=broken, content_type=content_type)
    else:
        entity = made(ngsild, probe(run_ids))
        method = "POST" if operation == "append" else "PATCH"
        resp = ngsild.send(method, attr_path(entity["id"]), raw=broken, content_type=content_type)
    checks.ngsild_problem(resp, 400, "InvalidRequest")


@requirement(
    "MIM1-ERR-004",
    clause="6.3.2",
    level="MUST",
    title="Errors are RFC 7807 ProblemDetails whose type is an NGSI-LD error URI and whose status matches",
)
@pytest.mark.parametrize("case", ["conflict", "bad-id", "missing-attribute", "unknown-type", "bad-fragment"])
def test_problem_details_shape(ngsild: NgsiLdOps, run_ids: RunIds, case: str) -> None:
    if case == "conflict":
        entity = made(ngsild, probe(run_ids))
        resp, status = ngsild.create(entity), 409
    elif case == "bad-id":
        resp, status = ngsild.create({**probe(run_ids), "id": "not a uri"}), 400
    elif case == "missing-attribute":
        entity = made(ngsild, probe(run_ids))
        resp, status = ngsild.delete_attr(entity["id"], "missingAttr"), 404
    elif case == "unknown-type":
        resp, status = ngsild.type_info("MimcheckNoSuchType" + run_ids.next().replace("-", "")), 404
    else:
        entity = made(ngsild, probe(run_ids))
        resp, status = (
            ngsild.send("PATCH", attr_path(entity["id"]), raw=json.dumps([1, 2]), content_type=JSON),
            400,
        )
    body = checks.problem_details(resp, status)
    for member in ("title", "detail"):
        if member in body and not isinstance(body[member], str):
            checks.fail(f"ProblemDetails {member!r} should be a string, got {body[member]!r}")


# Clause 5.5.2 / OpenAPI ProblemDetails: a request carrying "options" values the operation does not
# support "should" get InvalidRequest. The format values are an enumeration (6.3.7) with no error
# type named: BadRequestData or InvalidRequest, noted.
UNSUPPORTED_VALUE = "mimcheckNoSuchOption"


@requirement(
    "MIM1-ERR-005",
    clause="5.5.2, 6.3.20",
    level="SHOULD",
    title="An options value the operation does not support answers 400 InvalidRequest; "
    "an undefined format value answers 400 ProblemDetails",
)
@pytest.mark.parametrize(
    "case",
    [
        "retrieve-options",
        "retrieve-format",
        "query-options",
        "query-format",
        "post-query-options",
        "append-options",
        "list-subscriptions-options",
    ],
)
def test_unsupported_options_or_format(
    ngsild: NgsiLdOps, run_ids: RunIds, case: str, case_evidence: CaseEvidence
) -> None:
    operation, parameter = case.rsplit("-", 1)
    params = {parameter: UNSUPPORTED_VALUE}
    entity_type = "MimcheckErr" + run_ids.next().replace("-", "")
    if operation == "retrieve":
        entity = made(ngsild, probe(run_ids))
        resp = ngsild.retrieve(entity["id"], params=params)
    elif operation == "query":
        resp = ngsild.send("GET", f"{API_ROOT}/entities", params={"type": entity_type, **params})
    elif operation == "post-query":
        query = {"type": "Query", "entities": [{"type": entity_type}]}
        resp = ngsild.send("POST", f"{API_ROOT}/entityOperations/query", query, params=params)
    elif operation == "append":
        entity = made(ngsild, probe(run_ids))
        resp = ngsild.send("POST", attr_path(entity["id"]), {"status": prop("x")}, params=params)
    else:
        resp = ngsild.send("GET", f"{API_ROOT}/subscriptions", params=params)
    if parameter == "options":
        checks.ngsild_problem(resp, 400, "InvalidRequest")
    else:
        error = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
        case_evidence.note(f"format={UNSUPPORTED_VALUE} refused with 400 {error} (either accepted)")


@requirement(
    "MIM1-ERR-006",
    clause="6.3.2",
    level="MUST",
    title="An entity or subscription id in a request path that is not a URI answers 400 ProblemDetails",
)
@pytest.mark.parametrize(
    "operation",
    [
        "retrieve-entity",
        "delete-entity",
        "append-attrs",
        "update-attrs",
        "delete-attribute",
        "retrieve-subscription",
        "delete-subscription",
    ],
)
def test_path_id_not_a_uri(
    ngsild: NgsiLdOps, run_ids: RunIds, operation: str, case_evidence: CaseEvidence
) -> None:
    # The OpenAPI declares path ids as strings of format uri (schema Path) and lists 400 BadRequest
    # for these operations; no error type is named: BadRequestData or InvalidRequest, noted.
    not_a_uri = run_ids.next()  # no scheme: not a URI (and it carries the run id)
    fragment = {"status": prop("x")}
    if operation == "retrieve-entity":
        resp = ngsild.retrieve(not_a_uri)
    elif operation == "delete-entity":
        resp = ngsild.send("DELETE", entity_path(not_a_uri))
    elif operation == "append-attrs":
        resp = ngsild.append_attrs(not_a_uri, fragment)
    elif operation == "update-attrs":
        resp = ngsild.update_attrs(not_a_uri, fragment)
    elif operation == "delete-attribute":
        resp = ngsild.delete_attr(not_a_uri, "status")
    else:
        method = "GET" if operation == "retrieve-subscription" else "DELETE"
        resp = ngsild.send(method, f"{API_ROOT}/subscriptions/{not_a_uri}")
    error = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"{operation} with id {not_a_uri!r} refused with 400 {error} (either accepted)")


@requirement(
    "MIM1-ERR-007",
    clause="6.3.2",
    level="SHOULD",
    title="An empty entity id segment in a request path (/entities//attrs) answers 400 ProblemDetails",
)
@pytest.mark.parametrize("operation", ["append-attrs", "update-attrs", "delete-attribute"])
def test_path_id_empty(ngsild: NgsiLdOps, operation: str, case_evidence: CaseEvidence) -> None:
    # An empty entityId is no URI either (schema Path, format uri). SHOULD: a proxy in front of a
    # broker may merge the two slashes before the broker sees them. Nothing is stored: no run id.
    if operation == "append-attrs":
        resp = ngsild.send("POST", f"{API_ROOT}/entities//attrs", {"status": prop("x")})
    elif operation == "update-attrs":
        resp = ngsild.send("PATCH", f"{API_ROOT}/entities//attrs", {"status": prop("x")})
    else:
        resp = ngsild.send("DELETE", f"{API_ROOT}/entities//attrs/status")
    error = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"{operation} with an empty entity id refused with 400 {error} (either accepted)")
