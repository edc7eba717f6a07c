"""MIM1 temporal query (ETSI GS CIM 009 V1.8.1 clauses 4.11, 5.7.3, 5.7.4, 6.3.10, 6.3.11): errors of the
temporal query language on every temporal consumption endpoint, partial content, attrs/datasetId
selection, lastN with timerel in both representations, and sysAttrs on instances."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.dynamics.support import created
from conformance.mim1.dynamics.temporal_support import (
    CAP,
    at,
    attribute_instances,
    by_time,
    retrieve,
    unique_type,
)
from conformance.ngsild.subscriptions import Dynamics, iso, parse_time
from conformance.requirements import requirement
from conformance.run_ids import RunIds


def _series(ids: RunIds, count: int, entity_type: str | None = None, **extra: Any) -> dict[str, Any]:
    entity_type = entity_type or unique_type(ids)
    return {
        "id": f"urn:ngsi-ld:{entity_type}:{ids.next()}",
        "type": entity_type,
        "temperature": [{"type": "Property", "value": float(i), "observedAt": at(i)} for i in range(count)],
        **extra,
    }


def _ask(dyn: Dynamics, endpoint: str, entity: dict[str, Any], temporal: dict[str, Any]) -> requests.Response:
    if endpoint == "retrieve":
        return dyn.get_temporal(entity["id"], temporal)
    if endpoint == "query-get":
        return dyn.query_temporal({"type": entity["type"], **temporal})
    query = {"type": "Query", "entities": [{"type": entity["type"]}], "temporalQ": temporal}
    return dyn.post_temporal_query(query)


BAD: dict[str, dict[str, Any]] = {
    "timerel-without-timeAt": {"timerel": "after"},
    "unknown-timeproperty": {"timerel": "after", "timeAt": at(0), "timeproperty": "happenedAt"},
    "lastN-zero": {"timerel": "after", "timeAt": at(0), "lastN": 0},
    "lastN-not-integer": {"timerel": "after", "timeAt": at(0), "lastN": "some"},
    "between-without-endTimeAt": {"timerel": "between", "timeAt": at(0)},
    "timeAt-not-DateTime": {"timerel": "before", "timeAt": "yesterday"},
}
# retrieve with between-without-endTimeAt and a bad timeAt is MIM1-TEMP-014 already
BAD_CASES = [
    pytest.param(endpoint, name, id=f"{endpoint}-{name}")
    for endpoint in ("retrieve", "query-get", "query-post")
    for name in BAD
    if not (endpoint == "retrieve" and name in ("between-without-endTimeAt", "timeAt-not-DateTime"))
    # the V1.8.1 TemporalQuery object (temporalQ) has no lastN member: a broker may ignore it there
    and not (endpoint == "query-post" and name.startswith("lastN"))
]


@requirement(
    "MIM1-TEMP-027",
    clause="4.11",
    level="MUST",
    capability=CAP,
    title="A temporal query breaking clause 4.11 (timerel without timeAt, between without endTimeAt, bad "
    "timeAt, unknown timeproperty, lastN not an integer >= 1) answers 400 on every temporal endpoint",
)
@pytest.mark.parametrize(("endpoint", "name"), BAD_CASES)
def test_bad_temporal_queries(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, endpoint: str, name: str
) -> None:
    entity = _series(run_ids, 2)
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']}")
    kind = checks.ngsild_problem_one_of(
        _ask(dyn, endpoint, entity, BAD[name]), 400, "BadRequestData", "InvalidRequest"
    )
    case_evidence.note(f"answered 400 {kind}")


MANY = 120


@requirement(
    "MIM1-TEMP-028",
    clause="6.3.10",
    level="MUST",
    capability=CAP,
    title="A temporal retrieval answers 200 with every instance in range, or, when the broker limits "
    "instances, 206 with a Content-Range (date-time) and the oldest (or with lastN the newest) instances",
)
@pytest.mark.parametrize("last_n", [None, MANY], ids=["no-lastN", "lastN"])
def test_temporal_partial_content(
    dyn: Dynamics, run_ids: RunIds, case_evidence: CaseEvidence, last_n: int | None
) -> None:
    entity = _series(run_ids, MANY)
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']} with {MANY} instances")
    params: dict[str, Any] = {"timerel": "after", "timeAt": "2019-01-01T00:00:00Z"}
    if last_n is not None:
        params["lastN"] = last_n
    resp = dyn.get_temporal(entity["id"], params)
    checks.status_is(resp, 200, 206)
    what = f"temperature with {params}"
    items = by_time(what, attribute_instances(what, checks.json_object(resp), "temperature"))
    got = [i.get("value") for i in items]
    sent = [float(i) for i in range(MANY)]
    if resp.status_code == 200:
        checks.equal(f"{what}: values of a complete (200) answer", got, sent)
        case_evidence.note("200 with every instance")
        return
    content_range = checks.header(resp, "Content-Range")
    if not content_range.startswith("date-time "):
        checks.fail(f"{what}: 206 with Content-Range {content_range!r}, expected the date-time unit")
    if not got:
        checks.fail(f"{what}: 206 without any instance")
    expected = sent[-len(got) :] if last_n is not None else sent[: len(got)]
    checks.equal(f"{what}: values of a partial (206) answer", got, expected)
    case_evidence.note(f"206 with {len(got)} instances, Content-Range {content_range}")


DATASET = "urn:ngsi-ld:Dataset:mimcheck-a"
SELECTIONS = [
    pytest.param({"attrs": "temperature"}, {"temperature": [None, None, DATASET]}, id="attrs"),
    pytest.param(
        {"attrs": "temperature,humidity"},
        {"temperature": [None, None, DATASET], "humidity": [None]},
        id="attrs-two",
    ),
    pytest.param({"datasetId": DATASET}, {"temperature": [DATASET]}, id="datasetId"),
    pytest.param(
        {"datasetId": "@none"},
        {"temperature": [None, None], "humidity": [None], "pressure": [None]},
        id="datasetId-none",
    ),
]


@requirement(
    "MIM1-TEMP-029",
    clause="5.7.3",
    level="MUST",
    capability=CAP,
    title="Retrieve Temporal Evolution with attrs or datasetId returns only the instances of those "
    "attributes or datasetIds (@none: the default instances)",
)
@pytest.mark.parametrize(("params", "expected"), SELECTIONS)
def test_temporal_selection(
    dyn: Dynamics, run_ids: RunIds, params: dict[str, str], expected: dict[str, list[str | None]]
) -> None:
    one = [{"type": "Property", "value": 1.0, "observedAt": at(0)}]
    entity = _series(run_ids, 2, humidity=one, pressure=one)
    entity["temperature"].append(
        {"type": "Property", "value": 5.0, "observedAt": at(0), "datasetId": DATASET}
    )
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']}")
    body = retrieve(dyn, entity["id"], params)
    got = {
        name: sorted((i.get("datasetId") for i in attribute_instances(name, body, name)), key=str)
        for name in ("temperature", "humidity", "pressure")
    }
    got = {k: v for k, v in got.items() if v}
    checks.equal(
        f"datasetIds of the instances per attribute with {params}",
        got,
        {k: sorted(v, key=str) for k, v in expected.items()},
    )


LAST_N = [
    pytest.param({"timerel": "before", "timeAt": at(3.5)}, [2, 3], id="before"),
    pytest.param({"timerel": "after", "timeAt": at(0.5)}, [4, 5], id="after"),
    pytest.param({"timerel": "between", "timeAt": at(0.5), "endTimeAt": at(3.5)}, [2, 3], id="between"),
]


def _values(what: str, body: dict[str, Any], representation: str) -> list[tuple[Any, Any]]:
    if representation == "normalized":
        items = by_time(what, attribute_instances(what, body, "temperature"))
        return [(i.get("value"), parse_time(i.get("observedAt"))) for i in items]
    attr = checks.member(what, body, "temperature")
    if isinstance(attr, list) and len(attr) == 1:
        attr = attr[0]
    pairs = checks.member(what, attr, "values", list) if isinstance(attr, dict) else attr
    if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        checks.fail(f"{what}: expected [value, DateTime] pairs, got {pairs!r}")
    return sorted(((p[0], parse_time(p[1])) for p in pairs), key=lambda p: str(p[1]))


@requirement(
    "MIM1-TEMP-030",
    clause="5.7.3",
    level="MUST",
    capability=CAP,
    title="lastN applies within the timerel interval: the last N instances in range, in the normalized "
    "and in the simplified representation",
)
@pytest.mark.parametrize("representation", ["normalized", "temporalValues"])
@pytest.mark.parametrize(("params", "expected"), LAST_N)
def test_last_n_in_range(
    dyn: Dynamics, run_ids: RunIds, params: dict[str, str], expected: list[int], representation: str
) -> None:
    entity = _series(run_ids, 6)
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']}")
    query: dict[str, Any] = {**params, "lastN": 2}
    if representation != "normalized":
        query["format"] = representation
    what = f"temperature with {query}"
    got = _values(what, retrieve(dyn, entity["id"], query), representation)
    want = [(float(i), parse_time(at(i))) for i in expected]
    checks.equal(
        what, [(v, iso(t) if t else None) for v, t in got], [(v, iso(t) if t else None) for v, t in want]
    )


@requirement(
    "MIM1-TEMP-031",
    clause="6.3.11",
    level="MUST",
    capability=CAP,
    title="options=sysAttrs on a temporal retrieval gives every instance its createdAt and modifiedAt "
    "and the temporal entity its createdAt and modifiedAt",
)
@pytest.mark.parametrize("endpoint", ["retrieve", "query-get", "query-post"])
def test_temporal_sys_attrs(dyn: Dynamics, run_ids: RunIds, endpoint: str) -> None:
    entity = _series(run_ids, 2)
    created(dyn.create_temporal(entity), f"creating temporal entity {entity['id']}")
    # the V1.8.1 OpenAPI requires timerel and timeAt for Query Temporal Evolution (GET, and temporalQ by POST)
    since = {"timerel": "after", "timeAt": "2019-01-01T00:00:00Z"}
    if endpoint == "query-post":
        query = {"type": "Query", "entities": [{"type": entity["type"]}], "temporalQ": since}
        resp = dyn.post_temporal_query(query, {"options": "sysAttrs"})
    else:
        resp = _ask(dyn, endpoint, entity, {**since, "options": "sysAttrs"})
    checks.status_is(resp, 200)
    found = checks.json_body(resp)
    if isinstance(found, list):
        found = next((e for e in found if isinstance(e, dict) and e.get("id") == entity["id"]), None)
        if found is None:
            checks.fail(f"{endpoint}: the temporal entity {entity['id']} is not in the answer")
    body = checks.json_object(resp) if not isinstance(found, dict) else found
    for member in ("createdAt", "modifiedAt"):
        checks.is_datetime(
            f"{endpoint}: temporal entity {member}", checks.member("temporal entity", body, member)
        )
    items = attribute_instances("temperature", body, "temperature")
    checks.equal(f"{endpoint}: number of temperature instances", len(items), 2)
    for index, item in enumerate(items):
        for member in ("createdAt", "modifiedAt"):
            checks.is_datetime(
                f"{endpoint}: temperature[{index}].{member}",
                checks.member(f"temperature[{index}]", item, member),
            )
