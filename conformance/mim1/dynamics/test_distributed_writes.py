"""MIM1 distributed writes and operation selection (ETSI GS CIM 009 V1.8.1 clauses 4.3.6.2, 4.3.6.4, 4.20,
5.2.9, 6.3.17, 6.3.18): Delete Entity, Update and Append Entity Attributes on an entity that matches an
inclusive registration of the suite's context source, the registration's ``operations`` deciding what
is passed on, ``local=true`` and the target's own Via pseudonym stopping it, and the 207 BatchOperationResult
of a write that a source failed.

Every case creates the entity locally too (as the ETSI distributed tests do for inclusive registrations),
so the local part of the write is always defined. Operation names are those of the OpenAPI operationIds:
PATCH /entities/{id}/attrs is ``updateEntity``, POST is ``appendAttrs``, DELETE /entities/{id} is
``deleteEntity``; groups per clause 4.20 (``redirectionOps`` holds all three, ``updateOps`` only
``updateEntity``, ``federationOps``, the default, and ``retrieveOps`` none). See notes/mim1.md.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.dst_support import partial_failure
from conformance.mim1.dynamics.test_distributed import (
    UNREACHABLE,
    Federation,
    asked,
    entity,
    listed,
    value_of,
)
from conformance.ngsild.api import JSON, NgsiLd
from conformance.ngsild.context_source import Source, SourceRequest
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import query
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CAP = "ngsild-distributed-operations"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed


def write(ngsild: NgsiLd, op: str, eid: str, **params: str) -> requests.Response:
    """Delete Entity, Update Entity Attributes (temperature) or Append Entity Attributes (humidity)."""
    path = f"/ngsi-ld/v1/entities/{eid}"
    if op == "delete":
        return ngsild.request("DELETE", path, params=params or None)
    body = {"temperature": prop(5)} if op == "update" else {"humidity": prop(40)}
    method = "PATCH" if op == "update" else "POST"
    return ngsild.request(
        method, path + "/attrs", headers={"Content-Type": JSON}, params=params or None, json_body=body
    )


def writes_got(source: Source, eid: str) -> list[SourceRequest]:
    """The write requests (DELETE, PATCH, POST other than a query) the source got about this entity."""
    return [
        r
        for r in source.received()
        if r.method in ("DELETE", "PATCH", "POST")
        and "entityOperations/query" not in r.path
        and eid in r.path
    ]


def check_forwarded(source: Source, op: str, eid: str) -> None:
    method = {"delete": "DELETE", "update": "PATCH", "append": "POST"}[op]
    suffix = "" if op == "delete" else "/attrs"
    got = [r for r in writes_got(source, eid) if r.method == method and r.path.endswith(eid + suffix)]
    if not got:
        seen = [f"{r.method} {r.path}" for r in source.received()]
        checks.fail(f"the context source got no {method} .../entities/{eid}{suffix}; it got {seen!r}")
    if op != "delete":
        name = "temperature" if op == "update" else "humidity"
        checks.equal(
            f"'{name}' in the forwarded fragment", name in got[0].body.decode("utf-8", "replace"), True
        )


def check_local_effect(ngsild: NgsiLd, op: str, eid: str) -> None:
    resp = ngsild.get_entity(eid, params={"local": "true"})
    if op == "delete":
        checks.ngsild_problem(resp, 404, "ResourceNotFound")
        return
    checks.status_is(resp, 200)
    got = checks.json_object(resp)
    if op == "update":
        checks.equal("local temperature after the update", value_of(got, "temperature"), 5)
    else:
        checks.equal("local humidity after the append", value_of(got, "humidity"), 40)


def setup_write(
    fed: Federation, stem: str, operations: list[str] | None, **members: Any
) -> tuple[str, Source]:
    kind, eid = fed.kind(stem), fed.entity_id(stem)
    fed.local(entity(eid, kind, temperature=1))
    src = fed.source(stem.lower()).hold(entity(eid, kind, temperature=1))
    if operations is not None:
        members["operations"] = operations
    fed.register(src, [{"type": kind, "id": eid}], **members)
    return eid, src


FORWARDED = [
    pytest.param("delete", ["redirectionOps"], id="delete-redirectionOps"),
    pytest.param("update", ["redirectionOps"], id="update-attrs-redirectionOps"),
    pytest.param("append", ["redirectionOps"], id="append-attrs-redirectionOps"),
    pytest.param("update", ["updateOps"], id="update-attrs-updateOps"),
    pytest.param("delete", ["deleteEntity"], id="delete-named-deleteEntity"),
]


@requirement(
    "MIM1-DST-009",
    clause="4.3.6.2",
    level="MUST",
    capability=CAP,
    title="A write on an entity matching an inclusive registration whose operations name it is done "
    "locally and passed on to the context source",
)
@pytest.mark.parametrize(("op", "operations"), FORWARDED)
def test_write_forwarded(fed: Federation, ngsild: NgsiLd, op: str, operations: list[str]) -> None:
    eid, src = setup_write(fed, "Wr", operations)
    checks.status_is(write(ngsild, op, eid), 204)
    check_forwarded(src, op, eid)
    check_local_effect(ngsild, op, eid)


NOT_LISTED = [
    pytest.param("update", None, id="update-attrs-default-federationOps"),
    pytest.param("update", ["retrieveOps"], id="update-attrs-retrieveOps"),
    pytest.param("delete", ["updateOps"], id="delete-updateOps"),
    pytest.param("query", ["updateOps"], id="query-updateOps"),
]


@requirement(
    "MIM1-DST-010",
    clause="4.20",
    level="MUST",
    capability=CAP,
    title="An operation that the registration's operations (default federationOps) do not name is not "
    "passed on to the context source",
)
@pytest.mark.parametrize(("op", "operations"), NOT_LISTED)
def test_operation_not_listed(fed: Federation, ngsild: NgsiLd, op: str, operations: list[str] | None) -> None:
    if op == "query":
        kind = fed.kind("Nol")
        mine, theirs = fed.entity_id("NolLocal"), fed.entity_id("NolRemote")
        fed.local(entity(mine, kind, temperature=1))
        src = fed.source("nolisted").hold(entity(theirs, kind, temperature=2))
        fed.register(src, [{"type": kind}], operations=operations)
        found = listed(query(ngsild, {"type": kind}))
        checks.equal("ids in the answer", sorted(found), [mine])
        checks.equal(
            "requests the context source received",
            [r.method + " " + r.path for r in asked(src, kind, mine, theirs)],
            [],
        )
        return
    eid, src = setup_write(fed, "Nol", operations)
    checks.status_is(write(ngsild, op, eid), 204)
    checks.equal(
        "write requests the context source received",
        [r.method + " " + r.path for r in writes_got(src, eid)],
        [],
    )
    check_local_effect(ngsild, op, eid)


LOCAL_WRITES = [
    pytest.param("delete", id="delete"),
    pytest.param("update", id="update-attrs"),
    pytest.param("append", id="append-attrs"),
]


@requirement(
    "MIM1-DST-011",
    clause="6.3.18",
    level="MUST",
    capability=CAP,
    title="A write with local=true is done locally only: no registration matches, the context source is "
    "not asked",
)
@pytest.mark.parametrize("op", LOCAL_WRITES)
def test_local_write(fed: Federation, ngsild: NgsiLd, op: str) -> None:
    eid, src = setup_write(fed, "Wloc", ["redirectionOps"])
    checks.status_is(write(ngsild, op, eid, local="true"), 204)
    checks.equal(
        "write requests the context source received",
        [r.method + " " + r.path for r in writes_got(src, eid)],
        [],
    )
    check_local_effect(ngsild, op, eid)


FAILED_WRITES = [
    pytest.param("delete", "error", id="delete-source-answers-500"),
    pytest.param("update", "error", id="update-attrs-source-answers-500"),
    pytest.param("append", "unreachable", id="append-attrs-source-unreachable"),
]


@requirement(
    "MIM1-DST-012",
    clause="6.3.17",
    level="MUST",
    capability=CAP,
    title="A passed-on write that the context source fails answers 207 with a BatchOperationResult whose "
    "errors name the entity (or, for Update and Append Entity Attributes, an UpdateResult whose notUpdated names "
    "the attribute); the local write is done",
)
@pytest.mark.parametrize(("op", "failure"), FAILED_WRITES)
def test_failed_write(
    fed: Federation, ngsild: NgsiLd, case_evidence: CaseEvidence, op: str, failure: str
) -> None:
    members: dict[str, Any] = {"endpoint": UNREACHABLE} if failure == "unreachable" else {}
    eid, src = setup_write(fed, "Werr", ["redirectionOps"], **members)
    if failure == "error":
        src.status = 500
    resp = write(ngsild, op, eid)
    written = {"delete": [], "update": ["temperature"], "append": ["humidity"]}[op]
    mine = partial_failure(resp, eid, written, case_evidence)
    if mine is not None:
        checks.member(f"BatchEntityError of {eid}", mine, "error", kind=dict)
        case_evidence.note(
            "the BatchEntityError carried registrationId"
            if "registrationId" in mine
            else "the BatchEntityError carried no registrationId (optional)"
        )
    check_local_effect(ngsild, op, eid)


def _pseudonyms(header: str | None) -> list[str]:
    """The received-by pseudonyms of a Via header's field values (RFC 7230 5.7.1)."""
    found = []
    for value in (header or "").split(","):
        parts = value.split()
        if len(parts) >= 2:
            found.append(parts[1])
    return found


@requirement(
    "MIM1-DST-013",
    clause="4.3.6.4",
    level="SHOULD",
    capability=CAP,
    title="A request whose Via header already names the target's own pseudonym is not passed on again "
    "(cascading loop)",
)
def test_own_via_not_forwarded(fed: Federation, ngsild: NgsiLd, case_evidence: CaseEvidence) -> None:
    kind = fed.kind("Self")
    mine, theirs = fed.entity_id("SelfLocal"), fed.entity_id("SelfRemote")
    fed.local(entity(mine, kind, temperature=1))
    src = fed.source("self").hold(entity(theirs, kind, temperature=2))
    fed.register(src, [{"type": kind}])
    status = query(ngsild, {"type": kind}).status_code
    precondition(status == 200, f"the distributed Query Entities answered {status}")
    first = asked(src, kind)
    precondition(bool(first), "the target did not pass the query on to the registered context source")
    own = _pseudonyms(first[0].header("Via"))
    precondition(bool(own), f"the forwarded query carried no Via pseudonym: {first[0].header('Via')!r}")
    before = len(first)
    resp = ngsild.request(
        "GET", "/ngsi-ld/v1/entities", headers={"Via": f"1.1 {own[-1]}"}, params={"type": kind}
    )
    if resp.status_code == 508:
        case_evidence.note("the target answered 508 Loop Detected")
    else:
        found = listed(resp)
        checks.contains_ids("the answer", list(found.values()), {mine})
        case_evidence.note(f"the target answered {resp.status_code} with its local entities")
    checks.equal(
        "requests the context source received after the looping query", len(asked(src, kind)) - before, 0
    )


VIA_WRITES = [
    pytest.param("update", False, id="update-attrs-no-via"),
    pytest.param("update", True, id="update-attrs-via-from-client"),
    pytest.param("delete", True, id="delete-via-from-client"),
]


@requirement(
    "MIM1-DST-015",
    clause="6.3.18",
    level="MUST",
    capability=CAP,
    title="A passed-on write carries a Via header: the field values it was received with plus one of the "
    "forwarding broker",
)
@pytest.mark.parametrize(("op", "with_via"), VIA_WRITES)
def test_write_via(fed: Federation, ngsild: NgsiLd, run_ids: RunIds, op: str, with_via: bool) -> None:
    eid, src = setup_write(fed, "Wvia", ["redirectionOps"])
    client_via = f"1.1 mimcheck-client-{run_ids.next()}"
    path = f"/ngsi-ld/v1/entities/{eid}"
    headers = {"Via": client_via} if with_via else {}
    if op == "delete":
        resp = ngsild.request("DELETE", path, headers=headers)
    else:
        resp = ngsild.request(
            "PATCH",
            path + "/attrs",
            headers={"Content-Type": JSON, **headers},
            json_body={"temperature": prop(5)},
        )
    got = writes_got(src, eid)
    precondition(
        bool(got), f"the target did not pass the write on to the registered source ({resp.status_code})"
    )
    values = [v.strip() for v in (got[0].header("Via") or "").split(",") if v.strip()]
    expected_before = [client_via] if with_via else []
    if values[: len(expected_before)] != expected_before or len(values) < len(expected_before) + 1:
        checks.fail(
            f"Via of the passed-on write: expected {expected_before + ['<the broker>']!r} "
            f"(the received field values, then the broker's own), got {got[0].header('Via')!r}"
        )
