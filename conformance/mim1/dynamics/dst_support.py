"""Shared helpers of the distributed write scenarios by mode, operation and batch (test_distributed_modes.py,
test_distributed_ops.py, test_distributed_batch.py): what the suite's context source got, and what the target
holds itself (read with local=true)."""

from __future__ import annotations

import json
from typing import Any

import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import JSON, NgsiLd
from conformance.ngsild.context_source import Source, SourceRequest
from conformance.ngsild.query import batch

API = "/ngsi-ld/v1"


def requests_to(source: Source, method: str, path: str) -> list[SourceRequest]:
    """The requests of this method the source got at this path below /ngsi-ld/v1 (a trailing / ignored)."""
    want = (API + path).rstrip("/")
    return [r for r in source.received() if r.method == method and r.path.rstrip("/") == want]


def writes(source: Source) -> list[str]:
    """Every write request (not a query) the source got, as 'METHOD path' for the evidence and checks."""
    return [
        f"{r.method} {r.path}"
        for r in source.received()
        if r.method in ("POST", "PUT", "PATCH", "DELETE") and not r.path.endswith("/entityOperations/query")
    ]


def body_of(got: SourceRequest) -> Any:
    try:
        return json.loads(got.body or b"null")
    except ValueError:
        return None


def expect_request(source: Source, method: str, path: str) -> SourceRequest:
    """The (first) request of this method and path the source got; FAIL if it got none."""
    got = requests_to(source, method, path)
    if not got:
        checks.fail(f"the context source got no {method} {API}{path}; it got {writes(source)!r}")
    return got[0]


def expect_members(what: str, body: Any, present: list[str], absent: list[str] | None = None) -> None:
    """The forwarded entity or fragment holds these members (and, if given, not those)."""
    if not isinstance(body, dict):
        checks.fail(f"{what}: expected a JSON object, got {body!r}")
    for name in present:
        checks.equal(f"'{name}' in {what}", name in body, True)
    for name in absent or []:
        checks.equal(f"'{name}' in {what}", name in body, False)


def held_locally(ngsild: NgsiLd, eid: str) -> dict[str, Any] | None:
    """The entity as the target holds it itself (local=true): None when it holds none (404)."""
    resp = ngsild.get_entity(eid, params={"local": "true"})
    if resp.status_code == 404:
        checks.ngsild_problem(resp, 404, "ResourceNotFound")
        return None
    checks.status_is(resp, 200)
    return checks.json_object(resp)


def send(ngsild: NgsiLd, method: str, path: str, body: Any = None, **params: str) -> requests.Response:
    headers = {"Content-Type": JSON} if body is not None else None
    return ngsild.request(method, API + path, headers=headers, params=params or None, json_body=body)


def entity_write(ngsild: NgsiLd, op: str, eid: str, kind: str, body: dict[str, Any]) -> requests.Response:
    """One write of ``body`` to the entity by operation: create, append, update (PATCH attrs), merge,
    delete, delete-attr (temperature), batch-update, batch-upsert."""
    if op == "batch-update":
        return batch(ngsild, "update", [{"id": eid, **body}])
    if op == "batch-upsert":
        return batch(ngsild, "upsert", [{"id": eid, "type": kind, **body}])
    if op == "create":
        return ngsild.create_entity({"id": eid, "type": kind, **body})
    if op == "delete":
        return send(ngsild, "DELETE", f"/entities/{eid}")
    if op == "delete-attr":
        return send(ngsild, "DELETE", f"/entities/{eid}/attrs/temperature")
    method, suffix = {"append": ("POST", "/attrs"), "update": ("PATCH", "/attrs"), "merge": ("PATCH", "")}[op]
    return send(ngsild, method, f"/entities/{eid}{suffix}", body)


def _names_attribute(name: Any, short: str) -> bool:
    """An attribute name as an UpdateResult gives it: the short name or its Fully Qualified Name (6.3.6)."""
    return isinstance(name, str) and (name == short or name.endswith(("/" + short, "#" + short)))


def partial_failure(
    resp: requests.Response, eid: str, attrs: list[str], case_evidence: CaseEvidence
) -> dict[str, Any] | None:
    """A 207 answer to a write part of which a context source failed, in either form the V1.8.1 OpenAPI gives: a
    BatchOperationResult whose ``errors`` name the entity (MultiStatus.BatchOperationResult; returns that
    BatchEntityError), or, for the attribute writes whose 207 is MultiStatus.UpdateResult (appendAttrs,
    updateEntity, updateAttrs, replaceAttrs, deleteAttrs; ``attrs`` the attributes written), an UpdateResult whose
    ``notUpdated`` names one of them (returns None). FAIL otherwise."""
    checks.status_is(resp, 207)
    result = checks.json_object(resp)
    if attrs and "errors" not in result and "notUpdated" in result:
        not_updated = checks.member("UpdateResult", result, "notUpdated", kind=list)
        named = [n.get("attributeName") for n in not_updated if isinstance(n, dict)]
        if not any(_names_attribute(n, a) for n in named for a in attrs):
            checks.fail(f"the UpdateResult's notUpdated names none of {attrs!r}: {not_updated!r}")
        case_evidence.note(f"the target answered an UpdateResult whose notUpdated names {named!r}")
        return None
    checks.member("BatchOperationResult", result, "success", kind=list)
    errors = checks.member("BatchOperationResult", result, "errors", kind=list)
    mine = [e for e in errors if isinstance(e, dict) and e.get("entityId") == eid]
    if not mine:
        checks.fail(f"the BatchOperationResult's errors name no error of {eid}: {errors!r}")
    case_evidence.note("the target answered a BatchOperationResult naming the entity in its errors")
    return mine[0]
