"""MIM1 temporal API: temporal entities, instances, temporal queries and aggregation
(ETSI GS CIM 009 V1.8.1 clauses 5.6.11, 5.6.12, 5.6.13, 5.6.15, 5.6.16, 5.7.3, 5.7.4, 4.5.19).

Every expected result is computed here from the instances the scenario sends; instant boundaries
fall between instances, so that inclusive and exclusive readings of timerel agree."""

from __future__ import annotations

import re
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conformance import checks
from conformance.mim1.dynamics.support import created
from conformance.ngsild.api import JSON, JSONLD
from conformance.ngsild.subscriptions import Dynamics, iso, parse_time
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

CAP = "ngsild-temporal"
T0 = datetime(2020, 8, 1, 12, 0, tzinfo=UTC)
VALUES = [10.0, 20.0, 30.0, 40.0, 20.0]
TIMES = [T0 + timedelta(minutes=i) for i in range(len(VALUES))]


def unique_type(ids: RunIds) -> str:
    return "MimcheckTmp" + re.sub(r"[^A-Za-z0-9]", "", ids.next())


def _temporal_entity(ids: RunIds, entity_type: str | None = None) -> dict[str, Any]:
    entity_type = entity_type or unique_type(ids)
    return {
        "id": f"urn:ngsi-ld:{entity_type}:{ids.next()}",
        "type": entity_type,
        "temperature": [
            {"type": "Property", "value": v, "observedAt": iso(t)} for v, t in zip(VALUES, TIMES, strict=True)
        ],
    }


def _created(dyn: Dynamics, ids: RunIds, entity_type: str | None = None) -> dict[str, Any]:
    entity = _temporal_entity(ids, entity_type)
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']}")
    return entity


def _instances(body: dict[str, Any], attr: str = "temperature") -> list[dict[str, Any]]:
    """The instances of an attribute in the normalized temporal representation (one or many)."""
    value = body.get(attr)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(i, dict) for i in items):
        checks.fail(f"{attr}: expected attribute instances (objects), got {value!r}")
    return items


def _pairs(instances: list[dict[str, Any]]) -> list[tuple[Any, datetime | None]]:
    return sorted(
        ((i.get("value"), parse_time(i.get("observedAt"))) for i in instances),
        key=lambda p: (p[1] or T0, str(p[0])),
    )


def _expect_instances(what: str, body: dict[str, Any], expected: list[int]) -> None:
    """The attribute has exactly the sent instances of these indexes (value and observedAt)."""
    got = _pairs(_instances(body))
    want = [(VALUES[i], TIMES[i]) for i in expected]
    if got != want:
        checks.fail(
            f"{what}: expected instances {[(v, iso(t)) for v, t in want]}, "
            f"got {[(v, iso(t) if t else None) for v, t in got]}"
        )


def _retrieve(dyn: Dynamics, entity_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = dyn.get_temporal(entity_id, params)
    checks.status_is(resp, 200)
    return checks.json_object(resp)


def _at(minutes: float) -> str:
    return iso(T0 + timedelta(minutes=minutes))


@requirement(
    "MIM1-TEMP-001",
    clause="5.6.11, 6.18",
    level="MUST",
    capability=CAP,
    title="Create Temporal Representation answers 201 for a new entity and 204 when it exists already",
)
@pytest.mark.parametrize("content_type", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
def test_create_temporal(dyn: Dynamics, run_ids: RunIds, content_type: str) -> None:
    entity = _temporal_entity(run_ids)
    checks.status_is(dyn.create_temporal(entity, content_type=content_type), 201)
    more = {**entity, "temperature": [{"type": "Property", "value": 99.0, "observedAt": _at(10)}]}
    checks.status_is(dyn.create_temporal(more, content_type=content_type), 204)


@requirement(
    "MIM1-TEMP-002",
    clause="5.7.3, 6.19.3.1",
    level="MUST",
    capability=CAP,
    title="Retrieve Temporal Evolution returns every instance sent, with its value and observedAt",
)
def test_retrieve_all_instances(dyn: Dynamics, run_ids: RunIds) -> None:
    entity = _created(dyn, run_ids)
    body = _retrieve(dyn, entity["id"])
    checks.equal("id", body.get("id"), entity["id"])
    checks.equal("type", body.get("type"), entity["type"])
    _expect_instances("temperature", body, list(range(len(VALUES))))


TIMERELS = [
    pytest.param({"timerel": "before", "timeAt": _at(2.5)}, [0, 1, 2], id="before"),
    pytest.param({"timerel": "after", "timeAt": _at(2.5)}, [3, 4], id="after"),
    pytest.param({"timerel": "between", "timeAt": _at(0.5), "endTimeAt": _at(3.5)}, [1, 2, 3], id="between"),
]


@requirement(
    "MIM1-TEMP-003",
    clause="5.7.3",
    level="MUST",
    capability=CAP,
    title="Retrieve Temporal Evolution with timerel before, after or between returns exactly the instances in range",
)
@pytest.mark.parametrize(("params", "expected"), TIMERELS)
def test_timerel(dyn: Dynamics, run_ids: RunIds, params: dict[str, str], expected: list[int]) -> None:
    entity = _created(dyn, run_ids)
    _expect_instances(f"temperature with {params}", _retrieve(dyn, entity["id"], params), expected)


@requirement(
    "MIM1-TEMP-004",
    clause="5.7.3",
    level="MUST",
    capability=CAP,
    title="timeproperty createdAt selects instances by their creation time instead of observedAt",
)
@pytest.mark.parametrize("when", ["after-start", "before-2000"])
def test_timeproperty(dyn: Dynamics, run_ids: RunIds, when: str) -> None:
    start = datetime.now(UTC) - timedelta(minutes=10)
    entity = _created(dyn, run_ids)
    if when == "after-start":
        params = {"timeproperty": "createdAt", "timerel": "after", "timeAt": iso(start)}
        expected = len(VALUES)
    else:
        params = {"timeproperty": "createdAt", "timerel": "before", "timeAt": "2000-01-01T00:00:00Z"}
        expected = 0
    resp = dyn.get_temporal(entity["id"], params)
    checks.status_is(resp, 200)
    got = len(_instances(checks.json_object(resp)))
    checks.equal(f"number of temperature instances with {params}", got, expected)


@requirement(
    "MIM1-TEMP-005",
    clause="5.7.3",
    level="MUST",
    capability=CAP,
    title="lastN returns only the N most recent instances",
)
@pytest.mark.parametrize("last", [1, 2])
def test_last_n(dyn: Dynamics, run_ids: RunIds, last: int) -> None:
    entity = _created(dyn, run_ids)
    params = {"timerel": "after", "timeAt": "2019-01-01T00:00:00Z", "lastN": last}
    expected = list(range(len(VALUES)))[-last:]
    _expect_instances(f"temperature with lastN={last}", _retrieve(dyn, entity["id"], params), expected)


@requirement(
    "MIM1-TEMP-006",
    clause="5.7.3, 6.3.12",
    level="MUST",
    capability=CAP,
    title="options=temporalValues returns the simplified representation: values as [value, observedAt] pairs",
)
def test_temporal_values(dyn: Dynamics, run_ids: RunIds) -> None:
    entity = _created(dyn, run_ids)
    body = _retrieve(dyn, entity["id"], {"options": "temporalValues"})
    attr = checks.member("simplified temporal entity", body, "temperature")
    if not isinstance(attr, dict):
        checks.fail(f"temperature: expected an object with 'values', got {attr!r}")
    values = checks.member("temperature", attr, "values")
    if not isinstance(values, list) or not all(isinstance(v, list) and len(v) == 2 for v in values):
        checks.fail(f"temperature.values: expected [value, DateTime] pairs, got {values!r}")
    got = sorted((v[0], parse_time(v[1])) for v in values)
    want = sorted(zip(VALUES, TIMES, strict=True))
    checks.equal(
        "temperature.values", [(v, iso(t) if t else None) for v, t in got], [(v, iso(t)) for v, t in want]
    )


AGGREGATES = {
    "totalCount": len(VALUES),
    "distinctCount": len(set(VALUES)),
    "sum": sum(VALUES),
    "avg": statistics.fmean(VALUES),
    "min": min(VALUES),
    "max": max(VALUES),
    "sumsq": sum(v * v for v in VALUES),
}


@requirement(
    "MIM1-TEMP-007",
    clause="4.5.19, 6.3.12",
    level="MUST",
    capability=CAP,
    title="options=aggregatedValues with aggrMethods gives the aggregate of the instances in the period",
)
@pytest.mark.parametrize("method", list(AGGREGATES))
def test_aggregated_values(dyn: Dynamics, run_ids: RunIds, method: str) -> None:
    entity = _created(dyn, run_ids)
    params = {
        "options": "aggregatedValues",
        "aggrMethods": method,
        "aggrPeriodDuration": "P1D",
        "timerel": "between",
        "timeAt": "2020-08-01T00:00:00Z",
        "endTimeAt": "2020-08-02T00:00:00Z",
    }
    body = _retrieve(dyn, entity["id"], params)
    attr = checks.member("aggregated temporal entity", body, "temperature")
    buckets = checks.member("temperature", attr, method) if isinstance(attr, dict) else None
    if isinstance(buckets, list) and buckets and not isinstance(buckets[0], list):
        buckets = [buckets]
    if not isinstance(buckets, list) or not all(isinstance(b, list) and len(b) == 3 for b in buckets):
        checks.fail(f"temperature.{method}: expected [[value, startAt, endAt], ...], got {buckets!r}")
    filled = [b[0] for b in buckets if b[0] is not None]
    if len(filled) != 1 or abs(float(filled[0]) - AGGREGATES[method]) > 1e-6:
        checks.fail(f"temperature.{method} over one day: expected {AGGREGATES[method]}, got {buckets!r}")


@requirement(
    "MIM1-TEMP-008",
    clause="5.6.12, 6.20",
    level="MUST",
    capability=CAP,
    title="Add Attributes to a temporal entity answers 204 and the new instances are retrievable",
)
def test_append_instances(dyn: Dynamics, run_ids: RunIds) -> None:
    entity = _created(dyn, run_ids)
    later = T0 + timedelta(minutes=30)
    resp = dyn.append_temporal(
        entity["id"], {"temperature": [{"type": "Property", "value": 77.0, "observedAt": iso(later)}]}
    )
    checks.status_is(resp, 204)
    pairs = _pairs(_instances(_retrieve(dyn, entity["id"])))
    checks.equal("number of temperature instances", len(pairs), len(VALUES) + 1)
    checks.equal("the appended instance", pairs[-1], (77.0, later))


@requirement(
    "MIM1-TEMP-009",
    clause="5.6.15, 6.22",
    level="MUST",
    capability=CAP,
    title="Delete Attribute Instance answers 204 and only that instance is gone",
)
def test_delete_instance(dyn: Dynamics, run_ids: RunIds) -> None:
    entity = _created(dyn, run_ids)
    instances = _instances(_retrieve(dyn, entity["id"]))
    victim = next((i for i in instances if parse_time(i.get("observedAt")) == TIMES[0]), {})
    instance_id = victim.get("instanceId")
    precondition(isinstance(instance_id, str), f"no instanceId on the retrieved instances: {instances!r}")
    checks.status_is(dyn.delete_instance(entity["id"], "temperature", str(instance_id)), 204)
    _expect_instances(
        "temperature after deleting the first instance", _retrieve(dyn, entity["id"]), [1, 2, 3, 4]
    )


@requirement(
    "MIM1-TEMP-010",
    clause="5.6.13, 6.21",
    level="MUST",
    capability=CAP,
    title="Delete Attribute from a temporal entity answers 204 and the attribute has no instances left",
)
def test_delete_temporal_attribute(dyn: Dynamics, run_ids: RunIds) -> None:
    entity = _created(dyn, run_ids)
    checks.status_is(dyn.delete_temporal_attribute(entity["id"], "temperature"), 204)
    resp = dyn.get_temporal(entity["id"])
    if resp.status_code == 200:
        checks.equal("temperature instances after deletion", _instances(checks.json_object(resp)), [])
    else:
        checks.status_is(resp, 200, 404)


@requirement(
    "MIM1-TEMP-011",
    clause="5.6.16",
    level="MUST",
    capability=CAP,
    title="Delete Temporal Representation answers 204 and the temporal entity is gone afterwards",
)
def test_delete_temporal_entity(dyn: Dynamics, run_ids: RunIds) -> None:
    entity = _created(dyn, run_ids)
    checks.status_is(dyn.delete_temporal(entity["id"]), 204)
    checks.ngsild_problem(dyn.get_temporal(entity["id"]), 404, "ResourceNotFound")


@requirement(
    "MIM1-TEMP-012",
    clause="5.7.4, 6.18",
    level="MUST",
    capability=CAP,
    title="Query Temporal Evolution (GET) returns the matching entities with the instances in range",
)
@pytest.mark.parametrize(("params", "expected"), TIMERELS)
def test_query_temporal_get(
    dyn: Dynamics, run_ids: RunIds, params: dict[str, str], expected: list[int]
) -> None:
    entity_type = unique_type(run_ids)
    first = _created(dyn, run_ids, entity_type)
    second = _created(dyn, run_ids, entity_type)
    resp = dyn.query_temporal({"type": entity_type, **params})
    checks.status_is(resp, 200)
    items = checks.json_array(resp)
    checks.contains_ids(f"temporal query type={entity_type}", items, {first["id"], second["id"]})
    for item in items:
        _expect_instances(f"{item.get('id')} temperature with {params}", item, expected)


@requirement(
    "MIM1-TEMP-013",
    clause="5.7.4, 6.24",
    level="MUST",
    capability=CAP,
    title="Query Temporal Evolution by POST /temporal/entityOperations/query returns the same as by GET",
)
@pytest.mark.parametrize(("params", "expected"), TIMERELS)
def test_query_temporal_post(
    dyn: Dynamics, run_ids: RunIds, params: dict[str, str], expected: list[int]
) -> None:
    entity_type = unique_type(run_ids)
    entity = _created(dyn, run_ids, entity_type)
    query = {"type": "Query", "entities": [{"type": entity_type}], "temporalQ": dict(params)}
    resp = dyn.post_temporal_query(query)
    checks.status_is(resp, 200)
    items = checks.json_array(resp)
    checks.contains_ids("temporal query by POST", items, {entity["id"]})
    checks.lacks_ids(
        "temporal query by POST", [i for i in items if i.get("type") != entity_type], {entity["id"]}
    )
    for item in items:
        _expect_instances(f"{item.get('id')} temperature with {params}", item, expected)


@requirement(
    "MIM1-TEMP-014",
    clause="5.7.3",
    level="MUST",
    capability=CAP,
    title="A malformed temporal query (between without endTimeAt, unknown timerel, bad timeAt) is 400 BadRequestData",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"timerel": "between", "timeAt": "2020-08-01T12:00:00Z"}, id="between-without-end"),
        pytest.param({"timerel": "whenever", "timeAt": "2020-08-01T12:00:00Z"}, id="unknown-timerel"),
        pytest.param({"timerel": "after", "timeAt": "yesterday"}, id="bad-timeAt"),
    ],
)
def test_bad_temporal_query(dyn: Dynamics, run_ids: RunIds, params: dict[str, str]) -> None:
    entity = _created(dyn, run_ids)
    checks.ngsild_problem(dyn.get_temporal(entity["id"], params), 400, "BadRequestData")


@requirement(
    "MIM1-TEMP-015",
    clause="5.7.3",
    level="MUST",
    capability=CAP,
    title="Retrieving the temporal evolution of an entity that does not exist answers 404 ResourceNotFound",
)
def test_missing_temporal_entity(dyn: Dynamics, run_ids: RunIds) -> None:
    missing = f"urn:ngsi-ld:MimcheckTmp:{run_ids.next()}"
    checks.ngsild_problem(dyn.get_temporal(missing), 404, "ResourceNotFound")
