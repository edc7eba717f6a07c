"""MIM1 pick/omit on the temporal API (ETSI GS CIM 009 V1.8.1 clauses 4.21, 5.7.3, 5.7.4): the V1.8.1
OpenAPI lists Query.pick and Query.omit for GET /temporal/entities/{entityId} and GET
/temporal/entities, and its Query schema (the body of POST /temporal/entityOperations/query) holds
pick and omit as arrays of Entity members. An empty or malformed projection is refused as on the
entity operations (MIM1-ERR-008, MIM1-ERR-009)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import created
from conformance.ngsild.subscriptions import Dynamics, iso
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CAP = "ngsild-temporal"
T0 = datetime(2020, 8, 1, 12, 0, tzinfo=UTC)
ERRORS = ("BadRequestData", "InvalidRequest")


def _temporal_entity(dyn: Dynamics, run_ids: RunIds) -> dict[str, Any]:
    kind = "MimPrjTmp" + re.sub(r"[^A-Za-z0-9]", "", run_ids.next())
    entity = {
        "id": f"urn:ngsi-ld:{kind}:{run_ids.next()}",
        "type": kind,
        "speed": [{"type": "Property", "value": 10, "observedAt": iso(T0)}],
        "status": [{"type": "Property", "value": "on", "observedAt": iso(T0)}],
    }
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']}")
    return entity


@requirement(
    "MIM1-ERR-012",
    clause="4.21",
    level="SHOULD",
    title="Temporal retrieve and query answer 400 to a pick or omit that is empty or holds a malformed member",
    capability=CAP,
)
@pytest.mark.parametrize(
    ("param", "value"),
    [
        pytest.param("pick", "", id="pick-empty"),
        pytest.param("pick", "speed,,status", id="pick-empty-member"),
        pytest.param("omit", "sp eed", id="omit-space"),
        pytest.param("pick", "speed{status", id="pick-open-brace"),
    ],
)
@pytest.mark.parametrize("operation", ["retrieve", "get", "post"])
def test_temporal_malformed_projection(
    dyn: Dynamics, run_ids: RunIds, operation: str, param: str, value: str, case_evidence: CaseEvidence
) -> None:
    entity = _temporal_entity(dyn, run_ids)
    window = {"timerel": "after", "timeAt": iso(datetime(2020, 1, 1, tzinfo=UTC))}
    if operation == "retrieve":
        resp = dyn.get_temporal(entity["id"], {param: value})
    elif operation == "get":
        resp = dyn.query_temporal({"type": entity["type"], **window, param: value})
    else:
        query = {
            "type": "Query",
            "entities": [{"type": entity["type"]}],
            "temporalQ": window,
            param: value.split(",") if value else [],
        }
        resp = dyn.post_temporal_query(query)
    error = checks.ngsild_problem_one_of(resp, 400, *ERRORS)
    case_evidence.note(f"{param}={value!r}: 400 {error} (BadRequestData or InvalidRequest accepted)")
