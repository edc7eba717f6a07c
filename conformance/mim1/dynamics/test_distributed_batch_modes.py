"""MIM1 distributed batch operations by registration mode (ETSI GS CIM 009 V1.8.1 clauses 4.3.6.3, 4.20; 5.6.7,
5.6.8, 5.6.9, 5.6.10, 5.6.20): **exclusive** and **redirect** registrations take their part of a batch as they do of
a single-entity write (test_distributed_modes.py), and the part is passed on as the same batch operation.

- Batch delete (POST /entityOperations/delete, ids only): an entity one of whose attributes an exclusive
  registration holds is deleted at the source (batch delete of its id) and locally; an entity a redirect
  registration holds is deleted at the source only, the other ids of the batch locally only.
- A source that fails a passed-on batch delete: 207 with the entity in the BatchOperationResult's ``errors``.
- Batch create, upsert and merge with an exclusive registration of one attribute: that attribute goes to the
  source only; batch create, update and merge of an entity a redirect registration holds: to the source only.
  (Batch update with an exclusive attribute and batch upsert of a redirected entity are cases of MIM1-DST-019
  and MIM1-DST-020.)

Every registration names ``redirectionOps`` and the five batch operations (as the ETSI distributed tests D012 -
D016 do). See notes/mim1.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.dst_support import body_of, expect_members, expect_request, held_locally
from conformance.mim1.dynamics.test_distributed import Federation, entity, value_of
from conformance.mim1.dynamics.test_distributed_batch import forwarded_ids
from conformance.mim1.dynamics.test_distributed_modes import OPS
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import batch
from conformance.requirements import requirement

CAP = "ngsild-distributed-operations"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed
DELETE = "/entityOperations/delete"


def _item_of(body: Any, eid: str) -> Any:
    """The item of the forwarded batch about this entity (FAIL when the batch names it not)."""
    if not isinstance(body, list):
        checks.fail(f"the batch the context source got is not a JSON array: {body!r}")
    for item in body:
        if isinstance(item, dict) and item.get("id") == eid:
            return item
    checks.fail(f"the batch the context source got has no item about {eid}: {body!r}")


def _errors_of(resp: Any) -> list[Any]:
    result = checks.json_object(resp)
    return checks.member("BatchOperationResult", result, "errors", kind=list)


@requirement(
    "MIM1-DST-041",
    clause="4.3.6.3, 5.6.10",
    level="MUST",
    capability=CAP,
    title="Batch delete of an entity one of whose attributes an exclusive registration holds is passed on to "
    "the context source as a batch delete and done locally",
)
def test_batch_delete_exclusive(fed: Federation, ngsild: NgsiLd) -> None:
    kind, eid = fed.kind("Bxd"), fed.entity_id("Bxd")
    src = fed.source("batch-delete-exclusive").hold(entity(eid, kind, power=1))
    fed.local(entity(eid, kind, temperature=1))
    fed.register(src, [{"type": kind, "id": eid}], names=["power"], mode="exclusive", operations=OPS)
    checks.status_is(batch(ngsild, "delete", [eid]), 204)
    got = expect_request(src, "POST", DELETE)
    checks.equal("entity ids of the batch delete the context source got", forwarded_ids(body_of(got)), [eid])
    checks.equal(
        "the target still holds its own entity (local=true)", held_locally(ngsild, eid) is not None, False
    )


REDIRECT_DELETE = [
    pytest.param(False, id="redirected-entity"),
    pytest.param(True, id="redirected-and-local-entity"),
]


@requirement(
    "MIM1-DST-042",
    clause="4.3.6.3, 5.6.10",
    level="MUST",
    capability=CAP,
    title="Batch delete of an entity a redirect registration holds is passed on to the context source only, "
    "as a batch delete of that entity; the batch's other entities are deleted locally",
)
@pytest.mark.parametrize("with_local", REDIRECT_DELETE)
def test_batch_delete_redirect(
    fed: Federation, ngsild: NgsiLd, case_evidence: CaseEvidence, with_local: bool
) -> None:
    kind, red, mine = fed.kind("Bxr"), fed.entity_id("BxrRed"), fed.entity_id("BxrLocal")
    src = fed.source("batch-delete-redirect").hold(entity(red, kind, temperature=1))
    fed.register(src, [{"type": kind, "id": red}], mode="redirect", operations=OPS)
    ids = [red]
    if with_local:
        fed.local(entity(mine, kind, temperature=1))
        ids.append(mine)
    resp = batch(ngsild, "delete", ids)
    checks.status_is(resp, 204, 207)
    if resp.status_code == 207:  # e.g. the redirected entity reported as not held locally
        named = [e.get("entityId") for e in _errors_of(resp) if isinstance(e, dict)]
        case_evidence.note(f"the target answered 207; its errors name {named!r}")
        if with_local and mine in named:
            checks.fail(
                f"the BatchOperationResult reports an error for {mine}, held locally: {resp.text[:300]!r}"
            )
    else:
        case_evidence.note("the target answered 204")
    got = expect_request(src, "POST", DELETE)
    checks.equal("entity ids of the batch delete the context source got", forwarded_ids(body_of(got)), [red])
    for eid in ids:
        checks.equal(
            f"the target holds {eid} itself (local=true)", held_locally(ngsild, eid) is not None, False
        )


@requirement(
    "MIM1-DST-043",
    clause="4.3.6.3, 5.6.10, 6.3.17",
    level="MUST",
    capability=CAP,
    title="A batch delete whose exclusive or redirect context source fails is answered 207 with the entity "
    "in the BatchOperationResult's errors",
)
@pytest.mark.parametrize("mode", ["exclusive", "redirect"])
def test_batch_delete_source_fails(fed: Federation, ngsild: NgsiLd, mode: str) -> None:
    kind, eid = fed.kind("Bxf"), fed.entity_id("Bxf")
    src = fed.source(f"batch-delete-failing-{mode}").hold(entity(eid, kind, power=1))
    src.status = 500
    if mode == "exclusive":
        fed.local(entity(eid, kind, temperature=1))
        fed.register(src, [{"type": kind, "id": eid}], names=["power"], mode=mode, operations=OPS)
    else:
        fed.register(src, [{"type": kind, "id": eid}], mode=mode, operations=OPS)
    resp = batch(ngsild, "delete", [eid])
    checks.status_is(resp, 207)
    errors = _errors_of(resp)
    if not [e for e in errors if isinstance(e, dict) and e.get("entityId") == eid]:
        checks.fail(f"the BatchOperationResult's errors name no error of {eid}: {errors!r}")
    expect_request(src, "POST", DELETE)


EXCLUSIVE = ["create", "upsert", "merge"]


@requirement(
    "MIM1-DST-044",
    clause="4.3.6.3, 5.6.7, 5.6.8, 5.6.20",
    level="MUST",
    capability=CAP,
    title="Batch create, upsert or merge of an attribute an exclusive registration holds passes it on to the "
    "context source only, as the same batch operation; the entity's other attributes are written locally",
)
@pytest.mark.parametrize("kind_of", EXCLUSIVE)
def test_batch_exclusive_split(fed: Federation, ngsild: NgsiLd, kind_of: str) -> None:
    kind, eid = fed.kind("Bxs"), fed.entity_id("Bxs")
    src = fed.source(f"batch-{kind_of}-exclusive")
    if kind_of != "create":
        src.hold(entity(eid, kind, power=1))
        fed.local(entity(eid, kind, temperature=1))
    fed.register(src, [{"type": kind, "id": eid}], names=["power"], mode="exclusive", operations=OPS)
    item: dict[str, Any] = {"id": eid, "power": prop(7), "temperature": prop(8)}
    if kind_of != "merge":
        item["type"] = kind
    checks.status_is(batch(ngsild, kind_of, [item]), 201 if kind_of == "create" else 204)
    got = expect_request(src, "POST", f"/entityOperations/{kind_of}")
    expect_members("the batch item the context source got", _item_of(body_of(got), eid), ["power"])
    mine = held_locally(ngsild, eid)
    if mine is None:
        checks.fail(
            f"the target holds no {eid} of its own after the batch {kind_of} (local=true answered 404)"
        )
    checks.equal("'power' in the target's own entity (local=true)", "power" in mine, False)
    checks.equal("temperature in the target's own entity", value_of(mine, "temperature"), 8)


REDIRECT = ["create", "update", "merge"]


@requirement(
    "MIM1-DST-045",
    clause="4.3.6.3, 5.6.7, 5.6.9, 5.6.20",
    level="MUST",
    capability=CAP,
    title="Batch create, update or merge of an entity a redirect registration holds is passed on to the "
    "context source as the same batch operation and not kept by the target",
)
@pytest.mark.parametrize("kind_of", REDIRECT)
def test_batch_redirect_write(fed: Federation, ngsild: NgsiLd, kind_of: str) -> None:
    kind, eid = fed.kind("Bxw"), fed.entity_id("Bxw")
    src = fed.source(f"batch-{kind_of}-redirect")
    if kind_of != "create":
        src.hold(entity(eid, kind, temperature=1))
    fed.register(src, [{"type": kind, "id": eid}], mode="redirect", operations=OPS)
    item: dict[str, Any] = {"id": eid, "temperature": prop(5)}
    if kind_of == "create":
        item["type"] = kind
    checks.status_is(batch(ngsild, kind_of, [item]), 201 if kind_of == "create" else 204)
    got = expect_request(src, "POST", f"/entityOperations/{kind_of}")
    expect_members("the batch item the context source got", _item_of(body_of(got), eid), ["temperature"])
    checks.equal(
        "the target holds the entity itself (local=true)", held_locally(ngsild, eid) is not None, False
    )
