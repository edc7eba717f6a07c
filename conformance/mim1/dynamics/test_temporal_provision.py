"""MIM1 temporal provision errors (ETSI GS CIM 009 V1.8.1 clauses 5.6.11, 5.6.12, HTTP binding 6.18.3.1,
6.20.3.1): Add Attributes to the temporal representation of an unknown entity is 404 (the OpenAPI lists
404 for it), and invalid temporal payloads (no type, an id that is not a URI, a simplified pair whose time
is not a DateTime, an instance of an unknown attribute type) are 400."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.temporal_support import ATTR, CAP, at, unique_type
from conformance.ngsild.subscriptions import Dynamics
from conformance.requirements import requirement
from conformance.run_ids import RunIds


@requirement(
    "MIM1-TEMP-033",
    clause="5.6.12",
    level="MUST",
    capability=CAP,
    title="Add Attributes to the temporal representation of an entity that has none answers 404 "
    "ResourceNotFound",
)
@pytest.mark.parametrize("form", ["normalized", "simplified"])
def test_append_unknown_entity(dyn: Dynamics, run_ids: RunIds, form: str) -> None:
    missing = f"urn:ngsi-ld:{unique_type(run_ids)}:{run_ids.next()}"
    fragment: dict[str, Any]
    if form == "normalized":
        fragment = {ATTR: [{"type": "Property", "value": 1.0, "observedAt": at(0)}]}
    else:
        fragment = {ATTR: {"type": "Property", "values": [[1.0, at(0)]]}}
    checks.ngsild_problem(dyn.append_temporal(missing, fragment), 404, "ResourceNotFound")


def _invalid(ids: RunIds, case: str) -> dict[str, Any]:
    entity_type = unique_type(ids)
    good = {"type": "Property", "value": 1.0, "observedAt": at(0)}
    body: dict[str, Any] = {
        "id": f"urn:ngsi-ld:{entity_type}:{ids.next()}",
        "type": entity_type,
        ATTR: [good],
    }
    if case == "no-type":
        del body["type"]
    elif case == "id-not-uri":
        body["id"] = "not a uri"
    elif case == "pair-time-not-datetime":
        body[ATTR] = {"type": "Property", "values": [[1.0, "yesterday"]]}
    elif case == "unknown-attribute-type":
        body[ATTR] = [{**good, "type": "MimcheckProperty"}]
    return body


@requirement(
    "MIM1-TEMP-034",
    clause="5.6.11",
    level="MUST",
    capability=CAP,
    title="Create Temporal Representation with an invalid payload (no type, id not a URI, simplified pair "
    "without a DateTime, unknown attribute type) answers 400",
)
@pytest.mark.parametrize(
    "case", ["no-type", "id-not-uri", "pair-time-not-datetime", "unknown-attribute-type"]
)
def test_create_temporal_invalid(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, case: str
) -> None:
    body = _invalid(run_ids, case)
    kind = checks.ngsild_problem_one_of(dyn.create_temporal(body), 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"answered 400 {kind}")
