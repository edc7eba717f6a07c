"""MIM1 local scope and Via on the distributed writes of test_distributed_ops.py and test_distributed_batch.py
(ETSI GS CIM 009 V1.8.1 clause 6.3.18; the V1.8.1 OpenAPI lists the ``local`` parameter on Create, Replace and
Merge Entity, Partial Attribute Update, Replace Attribute and the five batch operations: "If local=true then
no Context Source Registrations shall be considered as matching").

- ``local=true``: the write is done locally and not passed on, although the registration's ``operations``
  name it (as MIM1-DST-011 for Delete, Update and Append);
- a passed-on write carries Via: the field values it was received with, then at least one more (as
  MIM1-DST-015 for Delete and Update Entity Attributes).

See notes/mim1.md.
"""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics import test_distributed_batch as bat
from conformance.mim1.dynamics import test_distributed_ops as ops
from conformance.mim1.dynamics.dst_support import requests_to, send, writes
from conformance.mim1.dynamics.test_distributed import Federation
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.query import batch
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CAP = "ngsild-distributed-operations"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed
WRITES = [pytest.param("entity", name, id=name) for name in ops.OPS] + [
    pytest.param("batch", kind_of, id=f"{kind_of}Batch") for kind_of in bat.NAMES
]


def _entity_write(ngsild: NgsiLd, op: ops.Op, eid: str, kind: str, **params: str) -> int:
    body = op.payload(kind)
    if op.name == "createEntity":
        ngsild.forget_later(eid)  # deleted at teardown whatever the answer
        body = {"id": eid, **(body or {}), "type": kind}
    return send(ngsild, op.method, op.path(eid), body, **params).status_code


@requirement(
    "MIM1-DST-039",
    clause="6.3.18",
    level="MUST",
    capability=CAP,
    title="Create, Replace, Merge Entity, attribute (partial update, replace, delete) and batch writes with "
    "local=true are done locally only, although the registration's operations name them",
)
@pytest.mark.parametrize(("family", "name"), WRITES)
def test_local_writes(fed: Federation, ngsild: NgsiLd, family: str, name: str) -> None:
    if family == "entity":
        op = ops.OPS[name]
        kind, eid, src = ops.setup(fed, op, [name])
        status = _entity_write(ngsild, op, eid, kind, local="true")
        checks.equal("status of the write", status, 201 if name == "createEntity" else 204)
        checks.equal("write requests the context source received", writes(src), [])
        ops.check_local(ngsild, op, eid)
        return
    kind, ids, src = bat.setup(fed, name, [bat.NAMES[name]])
    payload = bat.payload_of(name, kind, ids)
    checks.status_is(batch(ngsild, name, payload, params={"local": "true"}), bat.STATUS[name])
    checks.equal("write requests the context source received", writes(src), [])
    bat.check_local(ngsild, name, ids)


VIA = [
    pytest.param("entity", "createEntity", id="createEntity"),
    pytest.param("entity", "mergeEntity", id="mergeEntity"),
    pytest.param("entity", "updateAttrs", id="updateAttrs"),
    pytest.param("batch", "upsert", id="upsertBatch"),
]


@requirement(
    "MIM1-DST-040",
    clause="6.3.18",
    level="MUST",
    capability=CAP,
    title="Create, Merge Entity, attribute and batch writes passed on to a context source carry a Via header: "
    "the received field values plus one of the forwarding broker",
)
@pytest.mark.parametrize(("family", "name"), VIA)
def test_other_writes_via(fed: Federation, ngsild: NgsiLd, run_ids: RunIds, family: str, name: str) -> None:
    client_via = f"1.1 mimcheck-client-{run_ids.next()}"
    headers = {"Via": client_via}
    if family == "entity":
        op = ops.OPS[name]
        kind, eid, src = ops.setup(fed, op, [name], stem="wvia2")
        body = {"id": eid, "type": kind, **(op.body or {})} if name == "createEntity" else op.payload(kind)
        if name == "createEntity":
            ngsild.forget_later(eid)
        resp = ngsild.request(
            op.method,
            "/ngsi-ld/v1" + op.path(eid),
            headers={"Content-Type": "application/json", **headers},
            json_body=body,
        )
        got = requests_to(src, op.method, op.path(eid))
    else:
        kind, ids, src = bat.setup(fed, name, [bat.NAMES[name]], stem="wvia2")
        for eid in ids:
            ngsild.forget_later(eid)
        resp = ngsild.request(
            "POST",
            f"/ngsi-ld/v1/entityOperations/{name}",
            headers={"Content-Type": "application/json", **headers},
            json_body=bat.payload_of(name, kind, ids),
        )
        got = requests_to(src, "POST", f"/entityOperations/{name}")
    precondition(
        bool(got), f"the target did not pass the write on to the registered source ({resp.status_code})"
    )
    values = [v.strip() for v in (got[0].header("Via") or "").split(",") if v.strip()]
    if values[:1] != [client_via] or len(values) < 2:
        checks.fail(
            f"Via of the passed-on write: expected [{client_via!r}, '<the broker>'] (the received field "
            f"value, then the broker's own), got {got[0].header('Via')!r}"
        )
