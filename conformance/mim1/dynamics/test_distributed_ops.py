"""MIM1 distributed writes beyond Delete, Update and Append (ETSI GS CIM 009 V1.8.1 clauses 4.3.6.2, 4.20):
Create Entity (``createEntity``), Replace Entity (``replaceEntity``), Merge Entity (``mergeEntity``), Partial
Attribute Update (``updateAttrs``) and Replace Attribute (``replaceAttrs``) on an entity matching an inclusive
registration of the suite's context source are done locally and passed on when the registration's
``operations`` name them, by name or through ``redirectionOps`` (the group the ETSI distributed tests D001,
D005, D007-D009 register for these writes); a registration naming another operation only does not get them.

Operation names are the OpenAPI operationIds. See notes/mim1.md.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from conformance import checks
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.dst_support import (
    body_of,
    expect_members,
    expect_request,
    held_locally,
    send,
    writes,
)
from conformance.mim1.dynamics.test_distributed import Federation, entity, value_of
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.payloads import prop
from conformance.requirements import requirement

CAP = "ngsild-distributed-operations"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed


class Op:
    """One write: how the suite sends it, where the source gets it, what it leaves locally."""

    def __init__(self, name: str, method: str, suffix: str, body: dict[str, Any] | None, member: str) -> None:
        self.name, self.method, self.suffix, self.body, self.member = name, method, suffix, body, member

    def path(self, eid: str) -> str:
        return "/entities" if self.name == "createEntity" else f"/entities/{eid}{self.suffix}"

    def send(self, ngsild: NgsiLd, eid: str, kind: str) -> requests.Response:
        if self.name == "createEntity":
            return ngsild.create_entity({"id": eid, "type": kind, **(self.body or {})})
        return send(ngsild, self.method, self.path(eid), self.payload(kind))

    def payload(self, kind: str) -> dict[str, Any] | None:
        """The body sent (Replace Entity also names the type; Delete Attribute has none)."""
        if self.body is None:
            return None
        return {"type": kind, **self.body} if self.name == "replaceEntity" else self.body


OPS = {
    "createEntity": Op("createEntity", "POST", "", {"temperature": prop(5)}, "temperature"),
    "replaceEntity": Op("replaceEntity", "PUT", "", {"humidity": prop(3)}, "humidity"),
    "mergeEntity": Op("mergeEntity", "PATCH", "", {"temperature": prop(5)}, "temperature"),
    "updateAttrs": Op("updateAttrs", "PATCH", "/attrs/temperature", {"value": 5}, "value"),
    "replaceAttrs": Op("replaceAttrs", "PUT", "/attrs/temperature", prop(5), "value"),
    "deleteAttrs": Op("deleteAttrs", "DELETE", "/attrs/temperature", None, ""),
}


def setup(fed: Federation, op: Op, operations: list[str], stem: str = "ops") -> tuple[str, str, Any]:
    kind, eid = fed.kind("Ops"), fed.entity_id("Ops")
    src = fed.source(f"{stem}-{op.name.lower()}")
    if op.name != "createEntity":
        fed.local(entity(eid, kind, temperature=1))
        src.hold(entity(eid, kind, temperature=1))
    fed.register(src, [{"type": kind, "id": eid}], operations=operations)
    return kind, eid, src


def check_local(ngsild: NgsiLd, op: Op, eid: str) -> None:
    mine = held_locally(ngsild, eid)
    if mine is None:
        checks.fail(f"the target holds no {eid} of its own after {op.name} (local=true answered 404)")
    if op.name == "deleteAttrs":
        checks.equal("'temperature' left in the target's own entity", "temperature" in mine, False)
    elif op.name == "replaceEntity":
        checks.equal("humidity in the target's own entity", value_of(mine, "humidity"), 3)
        checks.equal("'temperature' left in the target's own replaced entity", "temperature" in mine, False)
    else:
        checks.equal("temperature in the target's own entity", value_of(mine, "temperature"), 5)


def run_forwarded(fed: Federation, ngsild: NgsiLd, name: str, named: bool) -> None:
    op = OPS[name]
    kind, eid, src = setup(fed, op, [name] if named else ["redirectionOps"])
    checks.status_is(op.send(ngsild, eid, kind), 201 if name == "createEntity" else 204)
    got = expect_request(src, op.method, op.path(eid))
    expect_members(f"the {name} the context source got", body_of(got), [op.member])
    check_local(ngsild, op, eid)


HOW = [pytest.param(True, id="named"), pytest.param(False, id="redirectionOps")]


@requirement(
    "MIM1-DST-022",
    clause="4.3.6.2, 4.20",
    level="MUST",
    capability=CAP,
    title="Create Entity of an entity an inclusive registration covers is done locally and passed on when "
    "the registration's operations name createEntity",
)
@pytest.mark.parametrize("named", HOW)
def test_create_forwarded(fed: Federation, ngsild: NgsiLd, named: bool) -> None:
    run_forwarded(fed, ngsild, "createEntity", named)


@requirement(
    "MIM1-DST-023",
    clause="4.3.6.2, 4.20",
    level="MUST",
    capability=CAP,
    title="Replace Entity is done locally and passed on when the inclusive registration's operations name "
    "replaceEntity",
)
@pytest.mark.parametrize("named", HOW)
def test_replace_entity_forwarded(fed: Federation, ngsild: NgsiLd, named: bool) -> None:
    run_forwarded(fed, ngsild, "replaceEntity", named)


@requirement(
    "MIM1-DST-024",
    clause="4.3.6.2, 4.20",
    level="MUST",
    capability=CAP,
    title="Merge Entity is done locally and passed on when the inclusive registration's operations name "
    "mergeEntity",
)
@pytest.mark.parametrize("named", HOW)
def test_merge_forwarded(fed: Federation, ngsild: NgsiLd, named: bool) -> None:
    run_forwarded(fed, ngsild, "mergeEntity", named)


@requirement(
    "MIM1-DST-025",
    clause="4.3.6.2, 4.20",
    level="MUST",
    capability=CAP,
    title="Partial Attribute Update is done locally and passed on when the inclusive registration's "
    "operations name updateAttrs",
)
@pytest.mark.parametrize("named", HOW)
def test_partial_update_forwarded(fed: Federation, ngsild: NgsiLd, named: bool) -> None:
    run_forwarded(fed, ngsild, "updateAttrs", named)


@requirement(
    "MIM1-DST-026",
    clause="4.3.6.2, 4.20",
    level="MUST",
    capability=CAP,
    title="Replace Attribute is done locally and passed on when the inclusive registration's operations "
    "name replaceAttrs",
)
@pytest.mark.parametrize("named", HOW)
def test_replace_attribute_forwarded(fed: Federation, ngsild: NgsiLd, named: bool) -> None:
    run_forwarded(fed, ngsild, "replaceAttrs", named)


@requirement(
    "MIM1-DST-027",
    clause="4.20",
    level="MUST",
    capability=CAP,
    title="Create, Replace and Merge Entity, Partial Attribute Update, Replace and Delete Attribute are not "
    "passed on to a registration whose operations do not name them",
)
@pytest.mark.parametrize("name", list(OPS))
def test_other_writes_not_listed(fed: Federation, ngsild: NgsiLd, name: str) -> None:
    op = OPS[name]
    kind, eid, src = setup(fed, op, ["appendAttrs"])
    checks.status_is(op.send(ngsild, eid, kind), 201 if name == "createEntity" else 204)
    checks.equal("write requests the context source received", writes(src), [])
    check_local(ngsild, op, eid)
