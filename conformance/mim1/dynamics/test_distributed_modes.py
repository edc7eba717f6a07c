"""MIM1 distributed writes by registration mode (ETSI GS CIM 009 V1.8.1 clauses 4.3.6.2, 4.3.6.3, 5.2.9 ``mode``;
the distributed behaviour of Create Entity, Update/Append Entity Attributes, Merge and Delete Entity): which part
of a write the target keeps and which part it passes on to the suite's context source.

- **exclusive** (or **redirect**) registration of one attribute (``power``) of an entity: the attribute goes to
  the source only, the rest of the write is done locally (as the ETSI distributed tests D001/D003/D008 ``_exc``
  check);
- **redirect** registration of a whole entity the target does not hold: the write goes to the source, the
  target keeps nothing (ETSI D003_01_red: two redirect sources both get the write);
- **auxiliary** registrations are never used for writes, even when their ``operations`` name them (a target
  may also refuse such a registration with 400, as the reference does: accepted and noted).

Every registration names ``redirectionOps`` (clause 4.20), which holds these writes. See notes/mim1.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.dst_support import (
    body_of,
    entity_write,
    expect_members,
    expect_request,
    held_locally,
    partial_failure,
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
# redirectionOps (clause 4.20) holds the single-entity writes; the batch operations are named one by one
OPS = ["redirectionOps", "createBatch", "upsertBatch", "updateBatch", "deleteBatch", "mergeBatch"]


def _forwarded_path(op: str, eid: str) -> tuple[str, str]:
    return {
        "create": ("POST", "/entities"),
        "append": ("POST", f"/entities/{eid}/attrs"),
        "update": ("PATCH", f"/entities/{eid}/attrs"),
        "merge": ("PATCH", f"/entities/{eid}"),
        "delete": ("DELETE", f"/entities/{eid}"),
        "delete-attr": ("DELETE", f"/entities/{eid}/attrs/temperature"),
        "batch-update": ("POST", "/entityOperations/update"),
        "batch-upsert": ("POST", "/entityOperations/upsert"),
    }[op]


def _forwarded_entity(got: Any, eid: str) -> Any:
    """The forwarded fragment or entity; for a batch, its item about this entity."""
    if isinstance(got, list):
        return next((i for i in got if isinstance(i, dict) and i.get("id") == eid), got)
    return got


EXCLUSIVE = [
    pytest.param("create", "exclusive", id="create-entity"),
    pytest.param("append", "exclusive", id="append-attrs"),
    pytest.param("update", "exclusive", id="update-attrs"),
    pytest.param("merge", "exclusive", id="merge-entity"),
    pytest.param("append", "redirect", id="append-attrs-redirect-of-the-attribute"),
    pytest.param("merge", "redirect", id="merge-entity-redirect-of-the-attribute"),
    pytest.param("batch-update", "exclusive", id="batch-update"),
]


@requirement(
    "MIM1-DST-019",
    clause="4.3.6.3",
    level="MUST",
    capability=CAP,
    title="A write of an attribute that an exclusive (or redirect) registration holds goes to the context "
    "source only; the entity's other attributes are written locally",
)
@pytest.mark.parametrize(("op", "mode"), EXCLUSIVE)
def test_exclusive_split(fed: Federation, ngsild: NgsiLd, op: str, mode: str) -> None:
    kind, eid = fed.kind("Exc"), fed.entity_id("Exc")
    src = fed.source("exclusive")
    if op != "create":
        src.hold(entity(eid, kind, power=1))
        fed.local(entity(eid, kind, temperature=1))
    fed.register(src, [{"type": kind, "id": eid}], names=["power"], mode=mode, operations=OPS)
    other = "humidity" if op == "append" else "temperature"
    resp = entity_write(ngsild, op, eid, kind, {"power": prop(7), other: prop(8)})
    checks.status_is(resp, 201 if op == "create" else 204)
    method, path = _forwarded_path(op, eid)
    got = expect_request(src, method, path)
    expect_members("the write the context source got", _forwarded_entity(body_of(got), eid), ["power"])
    mine = held_locally(ngsild, eid)
    if mine is None:
        checks.fail(f"the target holds no {eid} of its own after the write (local=true answered 404)")
    checks.equal("'power' in the target's own entity (local=true)", "power" in mine, False)
    checks.equal(f"{other} in the target's own entity", value_of(mine, other), 8)


REDIRECT = [
    pytest.param("append", 1, id="append-attrs"),
    pytest.param("update", 1, id="update-attrs"),
    pytest.param("merge", 1, id="merge-entity"),
    pytest.param("delete", 1, id="delete-entity"),
    pytest.param("delete-attr", 1, id="delete-attribute"),
    pytest.param("append", 2, id="append-attrs-two-redirect-sources"),
    pytest.param("batch-upsert", 1, id="batch-upsert"),
]


@requirement(
    "MIM1-DST-020",
    clause="4.3.6.3",
    level="MUST",
    capability=CAP,
    title="A write on an entity that redirect registrations hold is passed on to every such context source "
    "and not kept by the target",
)
@pytest.mark.parametrize(("op", "count"), REDIRECT)
def test_redirect_write(fed: Federation, ngsild: NgsiLd, op: str, count: int) -> None:
    kind, eid = fed.kind("Red"), fed.entity_id("Red")
    sources = []
    for n in range(count):
        src = fed.source(f"redirect-{n}").hold(entity(eid, kind, temperature=1))
        fed.register(src, [{"type": kind, "id": eid}], mode="redirect", operations=OPS)
        sources.append(src)
    resp = entity_write(ngsild, op, eid, kind, {"temperature": prop(5)})
    if op == "batch-upsert":  # whether the source created the entity is the source's business
        checks.status_is(resp, 201, 204)
    else:
        checks.status_is(resp, 204)
    method, path = _forwarded_path(op, eid)
    for n, src in enumerate(sources):
        got = expect_request(src, method, path)
        if op not in ("delete", "delete-attr"):
            forwarded = _forwarded_entity(body_of(got), eid)
            expect_members(f"the write context source {n + 1} got", forwarded, ["temperature"])
    checks.equal(
        "the target holds the entity itself (local=true)", held_locally(ngsild, eid) is not None, False
    )


AUXILIARY = [
    pytest.param("update", id="update-attrs"),
    pytest.param("append", id="append-attrs"),
    pytest.param("merge", id="merge-entity"),
    pytest.param("delete", id="delete-entity"),
]


@requirement(
    "MIM1-DST-021",
    clause="4.3.6.2",
    level="MUST",
    capability=CAP,
    title="Auxiliary registrations are never used for writes, even when their operations name the write",
)
@pytest.mark.parametrize("op", AUXILIARY)
def test_auxiliary_not_written(fed: Federation, ngsild: NgsiLd, case_evidence: CaseEvidence, op: str) -> None:
    kind, eid = fed.kind("Axw"), fed.entity_id("Axw")
    fed.local(entity(eid, kind, temperature=1))
    src = fed.source("auxiliary-write").hold(entity(eid, kind, temperature=1))
    reg = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{fed.ids.next()}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": kind, "id": eid}]}],
        "endpoint": src.url,
        "mode": "auxiliary",
        "operations": OPS,
    }
    made = fed.dyn.create_registration(reg)
    if made.status_code == 400:  # the target does not let an auxiliary registration offer writes at all
        checks.ngsild_problem(made, 400, "BadRequestData")
        case_evidence.note("the target refused an auxiliary registration whose operations name writes (400)")
    else:
        checks.status_is(made, 201)
        case_evidence.note("the target accepted an auxiliary registration whose operations name writes")
    body = {"humidity": prop(40)} if op == "append" else {"temperature": prop(5)}
    checks.status_is(entity_write(ngsild, op, eid, kind, body), 204)
    checks.equal("write requests the auxiliary context source received", writes(src), [])
    mine = held_locally(ngsild, eid)
    if op == "delete":
        checks.equal("the target still holds the entity after Delete Entity", mine is not None, False)
        return
    if mine is None:
        checks.fail(f"the target holds no {eid} of its own after the write (local=true answered 404)")
    name, value = ("humidity", 40) if op == "append" else ("temperature", 5)
    checks.equal(f"{name} in the target's own entity", value_of(mine, name), value)


FAILED_PROXY = [
    pytest.param("exclusive", id="exclusive-attribute-source-answers-500"),
    pytest.param("redirect", id="redirect-entity-source-answers-500"),
]


@requirement(
    "MIM1-DST-038",
    clause="4.3.6.3, 6.3.17",
    level="MUST",
    capability=CAP,
    title="A write whose exclusive or redirect context source fails is not answered as a success: 207 with "
    "the entity in the errors or the attribute in notUpdated (or an error when nothing of it was done)",
)
@pytest.mark.parametrize("mode", FAILED_PROXY)
def test_proxied_source_fails(
    fed: Federation, ngsild: NgsiLd, case_evidence: CaseEvidence, mode: str
) -> None:
    kind, eid = fed.kind("Pxf"), fed.entity_id("Pxf" + mode[:3].title())  # MimDstPxfExc, MimDstPxfRed
    src = fed.source(f"failing-{mode}").hold(entity(eid, kind, power=1))
    src.status = 500
    if mode == "exclusive":
        fed.local(entity(eid, kind, temperature=1))
        fed.register(src, [{"type": kind, "id": eid}], names=["power"], mode=mode, operations=OPS)
    else:
        fed.register(src, [{"type": kind, "id": eid}], mode=mode, operations=OPS)
    resp = send(ngsild, "POST", f"/entities/{eid}/attrs", {"power": prop(7), "humidity": prop(8)})
    if mode == "redirect" and resp.status_code >= 400:
        case_evidence.note(f"the target answered {resp.status_code}: the whole write failed at the source")
        return
    partial_failure(resp, eid, ["power"] if mode == "exclusive" else ["power", "humidity"], case_evidence)
    if mode == "exclusive":  # the part that is not registered was still written locally
        mine = held_locally(ngsild, eid)
        if mine is None:
            checks.fail(f"the target holds no {eid} of its own after the write (local=true answered 404)")
        checks.equal("humidity in the target's own entity", value_of(mine, "humidity"), 8)
