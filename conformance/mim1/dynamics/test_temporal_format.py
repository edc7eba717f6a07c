"""MIM1 the format parameter of temporal retrievals next to the deprecated options (ETSI GS CIM 009 V1.8.1
clause 6.3.12; the V1.8.1 OpenAPI parameters Query.format.temporal and Query.options.temporal; the ETSI NGSI-LD
test suite's 021_19_02, tagged since_v1.8.1, for Query Temporal Evolution).

V1.8.1 brings ``format`` (temporalValues or aggregatedValues) and makes ``options`` "an alternative mechanism
to include the format parameter. DEPRECATED": when both are present, the value of format shall take
precedence; only one of temporalValues and aggregatedValues can be present in the values of the parameter.
Brokers adding format for V1.8.1 (Stellio's "add support for the format parameter", labelled ngsild-1.8.1)
refuse options naming both with 400. Sources: notes/mim1.md, "V1.8.1 drift review"."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.temporal_support import ATTR, CAP, KINDS, create_kind, retrieve
from conformance.ngsild.subscriptions import Dynamics
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# an aggregation over one day holding both instances of the Property (21.5 and 23.0): max is 23.0
AGGREGATION = {
    "aggrMethods": "max",
    "aggrPeriodDuration": "P1D",
    "timerel": "between",
    "timeAt": "2020-08-01T00:00:00Z",
    "endTimeAt": "2020-08-02T00:00:00Z",
}


def _shape(what: str, body: dict[str, Any]) -> str:
    """Which temporal representation the attribute is in: normalized, temporalValues or aggregatedValues."""
    attr = checks.member(what, body, ATTR)
    if (
        isinstance(attr, list)
        and len(attr) == 1
        and isinstance(attr[0], dict)
        and "instanceId" not in attr[0]
    ):
        attr = attr[0]  # one datasetId group given as an array of one
    if isinstance(attr, list):
        return "normalized"
    if not isinstance(attr, dict):
        checks.fail(f"{what}: expected the temporal attribute as an array or an object, got {attr!r}")
    if "max" in attr:
        return "aggregatedValues"
    if KINDS["Property"][2] in attr:
        return "temporalValues"
    if "instanceId" in attr or "value" in attr:
        return "normalized"  # a single instance given as an object
    checks.fail(f"{what}: the attribute is in no temporal representation: {attr!r}")
    raise AssertionError  # unreachable


@requirement(
    "MIM1-ERR-020",
    clause="6.3.12",
    level="MUST",
    capability=CAP,
    title="A temporal retrieval with both format and options naming a representation gives the one format "
    "names (format takes precedence over the deprecated options)",
)
@pytest.mark.parametrize("operation", ["retrieve", "query"])
@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        pytest.param("temporalValues", "aggregatedValues", id="format-temporalValues"),
        pytest.param("aggregatedValues", "temporalValues", id="format-aggregatedValues"),
    ],
)
def test_format_takes_precedence(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, fmt: str, options: str, operation: str
) -> None:
    entity = create_kind(dyn, run_ids, "Property")
    params = {"format": fmt, "options": options, **AGGREGATION}
    what = f"{operation} with format={fmt}&options={options}"
    if operation == "retrieve":
        body = retrieve(dyn, entity["id"], params)
    else:
        resp = dyn.query_temporal({"type": entity["type"], **params})
        checks.status_is(resp, 200)
        found = [e for e in checks.json_array(resp) if isinstance(e, dict) and e.get("id") == entity["id"]]
        if len(found) != 1:
            checks.fail(f"{what}: expected the entity {entity['id']} once in the answer, got {len(found)}")
        body = found[0]
    shown = _shape(what, body)
    checks.equal(f"{what}: representation", shown, fmt)
    case_evidence.note(f"{what}: answered in {shown}")


@requirement(
    "MIM1-ERR-019",
    clause="6.3.12",
    level="SHOULD",
    capability=CAP,
    title="A temporal retrieval asking both temporalValues and aggregatedValues (options, or format) is "
    "refused with 400",
)
@pytest.mark.parametrize("param", ["options", "format"])
def test_both_temporal_representations(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, param: str
) -> None:
    entity = create_kind(dyn, run_ids, "Property")
    params = {param: "temporalValues,aggregatedValues", **AGGREGATION}
    resp = dyn.get_temporal(entity["id"], params)
    error = checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
    case_evidence.note(f"{param}=temporalValues,aggregatedValues: 400 {error}")
