"""MIM1 distributed batch operations (ETSI GS CIM 009 V1.8.1 clauses 4.3.6.2, 4.20; 5.6.7 - 5.6.10, 5.6.20):
a batch create, upsert, update, delete or merge of entities that an inclusive registration of the suite's
context source covers (by type) is done locally and passed on, as the same batch operation (POST
/entityOperations/{create,upsert,update,delete,merge}), when the registration's ``operations`` name it
(``createBatch``, ``upsertBatch``, ``updateBatch``, ``deleteBatch``, ``mergeBatch``: no group of clause 4.20
holds them; the ETSI distributed tests D012-D016 register them by name and expect the batch form at the
source); a registration naming none of them gets none of the batch, in any form. See notes/mim1.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.dst_support import body_of, expect_request, held_locally, writes
from conformance.mim1.dynamics.test_distributed import Federation, entity, value_of
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.query import batch
from conformance.requirements import requirement

CAP = "ngsild-distributed-operations"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed
NAMES = {
    "create": "createBatch",
    "upsert": "upsertBatch",
    "update": "updateBatch",
    "delete": "deleteBatch",
    "merge": "mergeBatch",
}
STATUS = {"create": 201, "upsert": 204, "update": 204, "delete": 204, "merge": 204}


def setup(
    fed: Federation, kind_of: str, operations: list[str], stem: str = "batch"
) -> tuple[str, list[str], Any]:
    """Two entities of a type of this run (held locally unless the batch creates them), a source
    registered for the type with these operations."""
    kind = fed.kind("Bat")
    ids = [fed.entity_id("BatA"), fed.entity_id("BatB")]
    src = fed.source(f"{stem}-{kind_of}")
    if kind_of != "create":
        for eid in ids:
            fed.local(entity(eid, kind, temperature=1))
            src.hold(entity(eid, kind, temperature=1))
    fed.register(src, [{"type": kind}], operations=operations)
    return kind, ids, src


def payload_of(kind_of: str, kind: str, ids: list[str]) -> list[Any]:
    """The batch: the ids (delete), fragments (update, merge) or whole entities with temperature 5."""
    if kind_of == "delete":
        return list(ids)
    if kind_of in ("update", "merge"):
        return [{"id": eid, "temperature": entity(eid, kind, temperature=5)["temperature"]} for eid in ids]
    return [entity(eid, kind, temperature=5) for eid in ids]


def run_batch(ngsild: NgsiLd, kind_of: str, kind: str, ids: list[str]) -> Any:
    return batch(ngsild, kind_of, payload_of(kind_of, kind, ids))


def check_local(ngsild: NgsiLd, kind_of: str, ids: list[str]) -> None:
    for eid in ids:
        mine = held_locally(ngsild, eid)
        if kind_of == "delete":
            checks.equal(f"the target still holds {eid} after the batch delete", mine is not None, False)
            continue
        if mine is None:
            checks.fail(f"the target holds no {eid} of its own after the batch {kind_of} (local=true: 404)")
        checks.equal(f"temperature of {eid} in the target's own entity", value_of(mine, "temperature"), 5)


def forwarded_ids(body: Any) -> list[str]:
    if not isinstance(body, list):
        checks.fail(f"the batch the context source got is not a JSON array: {body!r}")
    return sorted(
        str(i) if isinstance(i, str) else str(i.get("id")) for i in body if isinstance(i, (str, dict))
    )


def _forwarded(fed: Federation, ngsild: NgsiLd, kind_of: str) -> None:
    kind, ids, src = setup(fed, kind_of, [NAMES[kind_of]])
    resp = run_batch(ngsild, kind_of, kind, ids)
    checks.status_is(resp, STATUS[kind_of])
    got = expect_request(src, "POST", f"/entityOperations/{kind_of}")
    checks.equal("entity ids of the batch the context source got", forwarded_ids(body_of(got)), sorted(ids))
    check_local(ngsild, kind_of, ids)


@requirement(
    "MIM1-DST-028",
    clause="4.3.6.2, 4.20, 5.6.7",
    level="MUST",
    capability=CAP,
    title="Batch create of entities an inclusive registration naming createBatch covers is done locally and "
    "passed on as a batch create",
)
def test_batch_create_forwarded(fed: Federation, ngsild: NgsiLd) -> None:
    _forwarded(fed, ngsild, "create")


@requirement(
    "MIM1-DST-029",
    clause="4.3.6.2, 4.20, 5.6.8",
    level="MUST",
    capability=CAP,
    title="Batch upsert is done locally and passed on as a batch upsert when the registration names upsertBatch",
)
def test_batch_upsert_forwarded(fed: Federation, ngsild: NgsiLd) -> None:
    _forwarded(fed, ngsild, "upsert")


@requirement(
    "MIM1-DST-030",
    clause="4.3.6.2, 4.20, 5.6.9",
    level="MUST",
    capability=CAP,
    title="Batch update is done locally and passed on as a batch update when the registration names updateBatch",
)
def test_batch_update_forwarded(fed: Federation, ngsild: NgsiLd) -> None:
    _forwarded(fed, ngsild, "update")


@requirement(
    "MIM1-DST-031",
    clause="4.3.6.2, 4.20, 5.6.10",
    level="MUST",
    capability=CAP,
    title="Batch delete is done locally and passed on as a batch delete when the registration names deleteBatch",
)
def test_batch_delete_forwarded(fed: Federation, ngsild: NgsiLd) -> None:
    _forwarded(fed, ngsild, "delete")


@requirement(
    "MIM1-DST-032",
    clause="4.3.6.2, 4.20, 5.6.20",
    level="MUST",
    capability=CAP,
    title="Batch merge is done locally and passed on as a batch merge when the registration names mergeBatch",
)
def test_batch_merge_forwarded(fed: Federation, ngsild: NgsiLd) -> None:
    _forwarded(fed, ngsild, "merge")


@requirement(
    "MIM1-DST-033",
    clause="4.20",
    level="MUST",
    capability=CAP,
    title="A batch operation is not passed on, in any form, to a registration whose operations do not name it",
)
@pytest.mark.parametrize("kind_of", list(NAMES))
def test_batch_not_listed(fed: Federation, ngsild: NgsiLd, kind_of: str) -> None:
    kind, ids, src = setup(fed, kind_of, ["appendAttrs"])
    checks.status_is(run_batch(ngsild, kind_of, kind, ids), STATUS[kind_of])
    checks.equal("write requests the context source received", writes(src), [])
    check_local(ngsild, kind_of, ids)
