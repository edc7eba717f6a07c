"""Temporal API (clauses 5.6.11 - 5.6.16, 5.7.3, 5.7.4, 4.5.7 - 4.5.9, 4.5.19, 4.11)."""

from __future__ import annotations

import requests
from ref_support import JSON

T = "/ngsi-ld/v1/temporal/entities"


def _vehicle(eid: str) -> dict:
    return {
        "id": eid,
        "type": "Vehicle",
        "speed": [
            {"type": "Property", "value": 120, "observedAt": "2020-08-01T12:03:00Z"},
            {"type": "Property", "value": 80, "observedAt": "2020-08-01T12:05:00Z"},
            {"type": "Property", "value": 100, "observedAt": "2020-08-01T12:07:00Z"},
        ],
        "fuelLevel": [
            {"type": "Property", "value": 67, "observedAt": "2020-08-01T12:03:00Z"},
            {"type": "Property", "value": 53, "observedAt": "2020-08-01T13:05:00Z"},
            {"type": "Property", "value": 40, "observedAt": "2020-08-01T14:07:00Z"},
        ],
    }


def _create(http: requests.Session, base: str, h: dict, eid: str) -> None:
    resp = http.post(base + T, json=_vehicle(eid), headers=h)
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"] == f"{T}/{eid}"


def test_temporal_create_retrieve_and_representations(base: str, http: requests.Session, uid: str) -> None:
    h = {**JSON, "NGSILD-Tenant": f"tp{uid}"}
    eid = f"urn:ngsi-ld:Vehicle:{uid}"
    _create(http, base, h, eid)
    got = http.get(f"{base}{T}/{eid}", headers=h).json()
    assert [i["value"] for i in got["speed"]] == [120, 80, 100]
    assert all(i["instanceId"].startswith("urn:") for i in got["speed"])
    # appending through POST /temporal/entities answers 204
    more = {
        "id": eid,
        "type": "Vehicle",
        "speed": {"type": "Property", "value": 90, "observedAt": "2020-08-01T12:09:00Z"},
    }
    assert http.post(base + T, json=more, headers=h).status_code == 204
    params = {"timerel": "between", "timeAt": "2020-08-01T12:04:00Z", "endTimeAt": "2020-08-01T12:08:00Z"}
    got = http.get(f"{base}{T}/{eid}", params=params, headers=h).json()
    assert [i["value"] for i in got["speed"]] == [80, 100] and "fuelLevel" not in got
    got = http.get(
        f"{base}{T}/{eid}", params={"timerel": "before", "timeAt": "2020-08-01T12:05:00Z"}, headers=h
    ).json()
    assert [i["value"] for i in got["speed"]] == [120] and [i["value"] for i in got["fuelLevel"]] == [67]
    got = http.get(
        f"{base}{T}/{eid}",
        params={"timerel": "after", "timeAt": "2020-08-01T12:05:00Z", "lastN": 2},
        headers=h,
    ).json()
    assert [i["value"] for i in got["speed"]] == [100, 90]
    got = http.get(
        f"{base}{T}/{eid}", params={"options": "temporalValues", "attrs": "fuelLevel"}, headers=h
    ).json()
    assert got == {
        "id": eid,
        "type": "Vehicle",
        "fuelLevel": {
            "type": "Property",
            "values": [
                [67, "2020-08-01T12:03:00Z"],
                [53, "2020-08-01T13:05:00Z"],
                [40, "2020-08-01T14:07:00Z"],
            ],
        },
    }
    got = http.get(
        f"{base}{T}/{eid}",
        params={"format": "aggregatedValues", "aggrMethods": "avg,max", "aggrPeriodDuration": "PT1H"},
        headers=h,
    ).json()
    assert got["fuelLevel"]["avg"] == [
        [67.0, "2020-08-01T12:03:00Z", "2020-08-01T13:03:00Z"],
        [53.0, "2020-08-01T13:03:00Z", "2020-08-01T14:03:00Z"],
        [40.0, "2020-08-01T14:03:00Z", "2020-08-01T15:03:00Z"],
    ]
    assert got["speed"]["avg"] == [[97.5, "2020-08-01T12:03:00Z", "2020-08-01T13:03:00Z"]]
    assert got["speed"]["max"] == [[120.0, "2020-08-01T12:03:00Z", "2020-08-01T13:03:00Z"]]
    got = http.get(
        f"{base}{T}/{eid}", params={"options": "aggregatedValues", "aggrMethods": "totalCount"}, headers=h
    ).json()
    assert got["speed"]["totalCount"] == [[4, "2020-08-01T12:03:00Z", "2020-08-01T12:09:00Z"]]
    got = http.get(
        f"{base}{T}/{eid}",
        params={
            "options": "sysAttrs",
            "timeproperty": "createdAt",
            "timerel": "after",
            "timeAt": "2000-01-01T00:00:00Z",
        },
        headers=h,
    ).json()
    assert got["createdAt"] and got["speed"][0]["createdAt"] and len(got["speed"]) == 4
    for bad in [
        {"timerel": "during", "timeAt": "2020-08-01T12:00:00Z"},
        {"timerel": "after"},
        {"timerel": "between", "timeAt": "2020-08-01T12:00:00Z"},
        {"timeAt": "2020-08-01T12:00:00Z"},
        {"lastN": 0},
        {"lastN": "1.5"},
        {"timeproperty": "seenAt", "timerel": "after", "timeAt": "2020-08-01T12:00:00Z"},
        {"options": "aggregatedValues"},
        {"options": "aggregatedValues", "aggrMethods": "median"},
        {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "1 hour"},
        {"options": "temporalValues,aggregatedValues"},
    ]:
        resp = http.get(f"{base}{T}/{eid}", params=bad, headers=h)
        assert resp.status_code == 400, (bad, resp.text)
    assert http.get(f"{base}{T}/urn:ngsi-ld:Vehicle:none{uid}", headers=h).status_code == 404


def test_temporal_simplified_input_and_instance_operations(
    base: str, http: requests.Session, uid: str
) -> None:
    h = {**JSON, "NGSILD-Tenant": f"ti{uid}"}
    eid = f"urn:ngsi-ld:Vehicle:{uid}"
    simplified = {
        "id": eid,
        "type": "Vehicle",
        "speed": {"type": "Property", "values": [[10, "2021-01-01T00:00:00Z"], [20, "2021-01-01T00:01:00Z"]]},
    }
    assert http.post(base + T, json=simplified, headers=h).status_code == 201
    fragment = {
        "speed": [{"type": "Property", "value": 30, "observedAt": "2021-01-01T00:02:00Z"}],
        "fuel": {
            "type": "Property",
            "value": 1,
            "observedAt": "2021-01-01T00:02:00Z",
            "datasetId": "urn:d:1",
        },
    }
    assert http.post(f"{base}{T}/{eid}/attrs", json=fragment, headers=h).status_code == 204
    got = http.get(f"{base}{T}/{eid}", headers=h).json()
    assert [i["value"] for i in got["speed"]] == [10, 20, 30]
    first = got["speed"][0]["instanceId"]
    patch = {"type": "Property", "value": 11, "observedAt": "2021-01-01T00:00:00Z"}
    assert http.patch(f"{base}{T}/{eid}/attrs/speed/{first}", json=patch, headers=h).status_code == 204
    assert http.patch(f"{base}{T}/{eid}/attrs/speed/urn:x:nope", json=patch, headers=h).status_code == 404
    got = http.get(f"{base}{T}/{eid}", headers=h).json()
    assert [i["value"] for i in got["speed"]] == [11, 20, 30] and got["speed"][0]["instanceId"] == first
    assert http.delete(f"{base}{T}/{eid}/attrs/speed/{first}", headers=h).status_code == 204
    assert http.delete(f"{base}{T}/{eid}/attrs/speed/{first}", headers=h).status_code == 404
    got = http.get(f"{base}{T}/{eid}", headers=h).json()
    assert [i["value"] for i in got["speed"]] == [20, 30]
    assert http.delete(f"{base}{T}/{eid}/attrs/fuel", headers=h).status_code == 404  # no default instance
    assert (
        http.delete(f"{base}{T}/{eid}/attrs/fuel", params={"datasetId": "urn:d:1"}, headers=h).status_code
        == 204
    )
    assert (
        http.delete(f"{base}{T}/{eid}/attrs/speed", params={"deleteAll": "true"}, headers=h).status_code
        == 204
    )
    got = http.get(f"{base}{T}/{eid}", headers=h).json()
    assert got == {"id": eid, "type": "Vehicle"}
    assert http.delete(f"{base}{T}/{eid}", headers=h).status_code == 204
    assert http.get(f"{base}{T}/{eid}", headers=h).status_code == 404
    for bad in [
        {"type": "Vehicle"},
        {"id": "not a uri", "type": "Vehicle"},
        {"id": eid},
        {"id": eid, "type": "Vehicle", "speed": {"type": "Property", "values": [[1]]}},
        {"id": eid, "type": "Vehicle", "speed": [{"type": "Property"}]},
        {"id": eid, "type": "Vehicle", "speed": {"type": "Property", "value": 1, "observedAt": "yesterday"}},
    ]:
        assert http.post(base + T, json=bad, headers=h).status_code == 400, bad


def test_temporal_query(base: str, http: requests.Session, uid: str) -> None:
    h = {**JSON, "NGSILD-Tenant": f"tq{uid}"}
    ids = [f"urn:ngsi-ld:Vehicle:{uid}:{n}" for n in range(3)]
    for eid in ids:
        _create(http, base, h, eid)
    other = {
        "id": f"urn:ngsi-ld:Bus:{uid}",
        "type": "Bus",
        "speed": {"type": "Property", "value": 1, "observedAt": "2019-01-01T00:00:00Z"},
    }
    assert http.post(base + T, json=other, headers=h).status_code == 201
    resp = http.get(
        base + T,
        params={
            "type": "Vehicle",
            "timerel": "after",
            "timeAt": "2020-08-01T12:00:00Z",
            "count": "true",
            "limit": 2,
        },
        headers=h,
    )
    assert resp.status_code == 200, resp.text
    assert [e["id"] for e in resp.json()] == ids[:2] and resp.headers["NGSILD-Results-Count"] == "3"
    assert 'rel="next"' in resp.headers["Link"]
    resp = http.get(
        base + T, params={"attrs": "speed", "timerel": "before", "timeAt": "2020-01-01T00:00:00Z"}, headers=h
    )
    assert [e["id"] for e in resp.json()] == [other["id"]]
    resp = http.get(base + T, params={"type": "Vehicle,Bus", "q": "speed>110"}, headers=h)
    assert [e["id"] for e in resp.json()] == ids
    assert (
        http.get(
            base + T, params={"timerel": "after", "timeAt": "2020-08-01T12:00:00Z"}, headers=h
        ).status_code
        == 400
    )
    query = {
        "type": "Query",
        "entities": [{"type": "Vehicle"}],
        "temporalQ": {"timerel": "after", "timeAt": "2020-08-01T13:00:00Z", "lastN": 1},
    }
    resp = http.post(f"{base}/ngsi-ld/v1/temporal/entityOperations/query", json=query, headers=h)
    assert resp.status_code == 200, resp.text
    assert [e["id"] for e in resp.json()] == ids
    assert [i["value"] for i in resp.json()[0]["fuelLevel"]] == [40] and "speed" not in resp.json()[0]
    for bad in [
        {**query, "temporalQ": {"timerel": "between", "timeAt": "2020-08-01T13:00:00Z"}},
        {**query, "temporalQ": {"timerel": "whenever", "timeAt": "2020-08-01T13:00:00Z"}},
        {**query, "temporalQ": {"timerel": "after", "timeAt": "2020-08-01T13:00:00Z", "lastN": 0}},
        {**query, "temporalQ": {"timerel": "after", "timeAt": "2020", "timeproperty": "x"}},
        {**query, "type": "Nope"},
    ]:
        resp = http.post(f"{base}/ngsi-ld/v1/temporal/entityOperations/query", json=bad, headers=h)
        assert resp.status_code == 400, bad
    agg = {
        **query,
        "temporalQ": {"timerel": "after", "timeAt": "2020-08-01T12:00:00Z", "aggrMethods": ["avg"]},
    }
    resp = http.post(
        f"{base}/ngsi-ld/v1/temporal/entityOperations/query",
        params={"format": "aggregatedValues"},
        json=agg,
        headers=h,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()[0]["speed"]["avg"] == [[100.0, "2020-08-01T12:03:00Z", "2020-08-01T12:07:00Z"]]


def test_entity_api_changes_are_recorded(base: str, http: requests.Session, uid: str) -> None:
    h = {**JSON, "NGSILD-Tenant": f"th{uid}"}
    eid = f"urn:ngsi-ld:Room:{uid}"
    entity = {
        "id": eid,
        "type": "Room",
        "temp": {"type": "Property", "value": 1, "observedAt": "2022-01-01T00:00:00Z"},
        "name": {"type": "Property", "value": "r"},
    }
    assert http.post(base + "/ngsi-ld/v1/entities", json=entity, headers=h).status_code == 201
    for n in (2, 3):
        patch = {"temp": {"type": "Property", "value": n, "observedAt": f"2022-01-01T00:0{n}:00Z"}}
        assert http.patch(f"{base}/ngsi-ld/v1/entities/{eid}/attrs", json=patch, headers=h).status_code == 204
    got = http.get(f"{base}{T}/{eid}", headers=h).json()
    assert [i["value"] for i in got["temp"]] == [1, 2, 3] and [i["value"] for i in got["name"]] == ["r"]
    recent = http.get(
        f"{base}{T}/{eid}", params={"timerel": "after", "timeAt": "2022-01-01T00:01:00Z"}, headers=h
    ).json()
    assert [i["value"] for i in recent["temp"]] == [2, 3] and "name" not in recent
    by_creation = http.get(
        base + T,
        params={
            "type": "Room",
            "timeproperty": "createdAt",
            "timerel": "after",
            "timeAt": "2000-01-01T00:00:00Z",
        },
        headers=h,
    ).json()
    assert [e["id"] for e in by_creation] == [eid] and len(by_creation[0]["temp"]) == 3
    assert http.delete(f"{base}/ngsi-ld/v1/entities/{eid}", headers=h).status_code == 204
    # the temporal representation outlives the entity: it records the deletion (clause 4.8, deletedAt)
    after = http.get(f"{base}{T}/{eid}", params={"options": "sysAttrs"}, headers=h)
    assert after.status_code == 200 and "deletedAt" in after.json(), after.text
