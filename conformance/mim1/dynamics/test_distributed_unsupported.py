"""MIM1 writes on data an exclusive registration holds but whose ``operations`` do not offer the write (ETSI GS CIM
009 V1.8.1 clauses 4.3.6.3, 4.20, 6.3.17): the registered attribute is neither passed on (the registration does not
offer the operation) nor written locally (the broker holds no data about the registered attributes, 4.3.6.3); the
rest of the write is done locally and the answer is a partial success, 207. The V1.8.1 OpenAPI's
MultiStatus.BatchOperationResult: "Errors can occur whenever a distributed operation is unsupported, fails or times
out"; the operation-behaviour text of the later versions (5.6.3, 5.6.9, 5.6.17) names the error type Conflict (noted,
not asserted). The registration names ``retrieveOps`` only (clause 4.20). See notes/mim1.md.
"""

from __future__ import annotations

import pytest
import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics.dst_support import entity_write, held_locally, partial_failure, writes
from conformance.mim1.dynamics.test_distributed import Federation, entity, value_of
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.payloads import prop
from conformance.requirements import requirement

CAP = "ngsild-distributed-operations"
context_sources = dst.context_sources  # the fixtures of test_distributed.py, used by name
fed = dst.fed


def _error_type(resp: requests.Response) -> str | None:
    try:
        body = resp.json()
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict) and isinstance(item.get("error"), dict):
            return str(item["error"].get("type"))
    return None


@requirement(
    "MIM1-DST-050",
    clause="4.3.6.3, 4.20, 6.3.17",
    level="MUST",
    capability=CAP,
    title="A write of an attribute an exclusive registration holds, whose operations do not offer the write, "
    "neither passes it on nor writes it locally: the rest is written locally and the answer is 207",
)
@pytest.mark.parametrize(
    "op",
    [
        pytest.param("append", id="append-attrs"),
        pytest.param("merge", id="merge-entity"),
        pytest.param("batch-update", id="batch-update"),
    ],
)
def test_unsupported_exclusive_write(
    fed: Federation, ngsild: NgsiLd, case_evidence: CaseEvidence, op: str
) -> None:
    kind, eid = fed.kind("Uns"), fed.entity_id("Uns")
    src = fed.source("unsupported-exclusive").hold(entity(eid, kind, power=1))
    fed.local(entity(eid, kind, temperature=1))
    fed.register(
        src, [{"type": kind, "id": eid}], names=["power"], mode="exclusive", operations=["retrieveOps"]
    )
    resp = entity_write(ngsild, op, eid, kind, {"power": prop(7), "humidity": prop(8)})
    partial_failure(resp, eid, ["power"] if op == "append" else [], case_evidence)
    kind_of_error = _error_type(resp)
    if kind_of_error is not None:
        case_evidence.note(f"error type of the registration's part: {kind_of_error}")
    checks.equal("write requests the context source received", writes(src), [])
    mine = held_locally(ngsild, eid)
    if mine is None:
        checks.fail(f"the target holds no {eid} of its own after the write (local=true answered 404)")
    checks.equal("'power' in the target's own entity (local=true)", "power" in mine, False)
    checks.equal("humidity in the target's own entity", value_of(mine, "humidity"), 8)
