"""Bad client input never yields a 5xx answer (except 504 for unreachable @contexts)."""

from __future__ import annotations

import itertools
import json
import random

import requests
from ref_support import JSON, E

ATTR_VALUES: list[object] = [
    None,
    1,
    "x",
    [],
    {},
    [1, 2],
    [{}],
    {"type": None},
    {"type": ["Property"], "value": 1},
    {"type": 5},
    {"type": "Point", "coordinates": "x"},
    {"type": "GeoProperty", "value": {"type": ["Point"]}},
    {"type": "GeoProperty", "value": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}},
    {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [True, 1]}},
    {"type": "Relationship", "object": [1]},
    {"type": "Relationship", "object": {}},
    {"type": "LanguageProperty", "languageMap": {"en": 1}},
    {"type": "LanguageProperty", "languageMap": []},
    {"type": "ListRelationship", "objectList": "x"},
    {"type": "ListRelationship", "objectList": [{"x": 1}]},
    {"type": "VocabProperty", "vocab": 1},
    {"type": "VocabProperty", "vocab": [None]},
    {"type": "Property", "value": 1, "datasetId": 5},
    {"type": "Property", "value": 1, "unitCode": []},
    {"type": "Property", "value": 1, "sub": {"type": "Nope"}},
    {"type": "Property", "value": 1, "objectType": "X"},
    {"value": {"type": "Point", "coordinates": [1]}},
    {"@type": "Property", "value": 1},
]
ENTITY_SHAPES: list[object] = [
    None,
    1,
    "x",
    [None],
    {"id": 1, "type": "T"},
    {"id": "urn:x:1", "type": 1},
    {"id": "urn:x:1", "type": [1]},
    {"id": "urn:x:1", "type": [[]]},
    {"id": "urn:x:1", "type": {}},
    {"id": "urn:x:1", "type": "T", "scope": 1},
    {"id": "urn:x:1", "type": "T", "scope": ["nope"]},
    {"@id": "urn:x:1", "@type": "T"},
]


def _ok(resp: requests.Response) -> None:
    assert resp.status_code < 500 or resp.status_code == 504, (resp.status_code, resp.text)
    if resp.status_code >= 400:
        assert "type" in resp.json()


def test_malformed_entities(base: str, http: requests.Session, uid: str) -> None:
    url = f"{base}{E}/urn:ngsi-ld:R:{uid}"
    assert (
        http.post(
            base + E, json={"id": f"urn:ngsi-ld:R:{uid}", "type": "R", "a": 1}, headers=JSON
        ).status_code
        == 201
    )
    for i, value in enumerate(ATTR_VALUES):
        entity = {"id": f"urn:ngsi-ld:R:{uid}:{i}", "type": "R", "a": value}
        _ok(http.post(base + E, json=entity, headers=JSON))
        _ok(http.post(url + "/attrs", json={"a": value}, headers=JSON))
        _ok(http.patch(url + "/attrs", json={"a": value}, headers=JSON))
        _ok(http.patch(url + "/attrs/a", json=value, headers=JSON))
        _ok(http.put(url + "/attrs/a", json=value, headers=JSON))
        _ok(http.patch(url, json={"a": value}, headers=JSON))
        _ok(http.put(url, json={"a": value}, headers=JSON))
        _ok(http.post(base + "/ngsi-ld/v1/entityOperations/upsert", json=[entity], headers=JSON))
        _ok(http.post(base + "/ngsi-ld/v1/entityOperations/merge", json=[entity], headers=JSON))
    for shape in ENTITY_SHAPES:
        _ok(http.post(base + E, json=shape, headers=JSON))
        _ok(http.post(base + "/ngsi-ld/v1/entityOperations/create", json=[shape], headers=JSON))
        _ok(http.post(base + "/ngsi-ld/v1/entityOperations/update", json=[shape], headers=JSON))
        _ok(http.post(base + "/ngsi-ld/v1/entityOperations/delete", json=[shape], headers=JSON))
        if not isinstance(shape, dict):
            resp = http.post(base + "/ngsi-ld/v1/entityOperations/create", json=[shape], headers=JSON)
            assert resp.status_code == 400
        _ok(http.patch(url, json=shape, headers=JSON))


def test_malformed_queries(base: str, http: requests.Session) -> None:
    rng = random.Random(7)
    alphabet = list('ab.[]()"=!<>~;|,0123456789-:TZ ') + ["==", "..", "urn:x"]
    for _ in range(400):
        q = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        _ok(http.get(base + E, params={"type": "T", "q": q}))
    for georel, geometry, coords in itertools.product(
        ["near;maxDistance==10", "near", "within", "x", "near;minDistance==1;x", ""],
        ["Point", "Polygon", "LineString", "MultiPolygon", "Bad", ""],
        [
            "[1,2]",
            "[[1,2],[3,4]]",
            "[[[0,0],[1,0],[1,1],[0,0]]]",
            "[[[[0,0],[1,0],[1,1],[0,0]]]]",
            "x",
            "[]",
            "",
        ],
    ):
        _ok(
            http.get(
                base + E, params={"type": "T", "georel": georel, "geometry": geometry, "coordinates": coords}
            )
        )
    for params in [
        {"type": "(((("},
        {"type": ",,"},
        {"idPattern": "("},
        {"id": "x y"},
        {"attrs": ""},
        {"type": "T", "limit": "abc"},
        {"type": "T", "offset": "-3"},
        {"type": "T", "count": "maybe"},
        {"type": "T", "options": "bogus"},
        {"type": "T", "format": "bogus"},
        {"type": "T", "lang": ""},
        {"type": "T", "pick": "a", "omit": "b"},
        {"type": "T", "scopeQ": "nope"},
    ]:
        _ok(http.get(base + E, params=params))
    for body in [
        {},
        {"type": "Query", "entities": {}},
        {"type": "Query", "entities": [1]},
        {"type": "Query", "entities": [{"type": 1}]},
        {"type": "Query", "attrs": "x"},
        {"type": "Query", "geoQ": 1},
        {"type": "Query", "geoQ": {"georel": "near"}},
        {"type": "Query", "q": 1},
        {"type": "Query", "pick": [1]},
        {"type": "Query", "datasetId": "x"},
    ]:
        _ok(http.post(base + "/ngsi-ld/v1/entityOperations/query", data=json.dumps(body), headers=JSON))


def test_odd_paths_and_headers(base: str, http: requests.Session) -> None:
    for path in [
        "/entities/%",
        "/entities/%ZZ",
        "/entities/urn:x:1/attrs/",
        "/entities//attrs",
        "/entities/urn%3Ax%3A1",
        "/types/%20",
        "/attributes/a%22b",
    ]:
        _ok(http.get(base + "/ngsi-ld/v1" + path))
    for link in [
        "garbage",
        "<>",
        '<urn:x>; rel="http://www.w3.org/ns/json-ld#context"',
        '<relative.jsonld>; rel="http://www.w3.org/ns/json-ld#context"',
        "<http://x",
    ]:
        _ok(http.get(base + E + "/urn:x:1", headers={"Link": link}))
    _ok(http.post(base + E, data=b"\xff\xfe", headers=JSON))
    _ok(http.post(base + E, data=b"", headers=JSON))
    _ok(
        http.post(
            base + E, data=b'{"id": "urn:x:9", "type": "T"}', headers={"Content-Type": "application/ld+json"}
        )
    )
    _ok(
        http.post(
            base + E,
            data=b'{"id": "urn:x:9", "type": "T", "@context": 5}',
            headers={"Content-Type": "application/ld+json"},
        )
    )
    _ok(
        http.post(
            base + E,
            data=b'{"id": "urn:x:9", "type": "T", "@context": {"a": 5}}',
            headers={"Content-Type": "application/ld+json"},
        )
    )
    _ok(
        http.post(
            base + E,
            data=b'{"id": "urn:x:9", "type": "T", "@context": [{"@vocab": 3}]}',
            headers={"Content-Type": "application/ld+json"},
        )
    )


ANY_VALUES: list[object] = [None, 1, -1, 0.5, True, "x", "", [], [1], [None], {}, {"a": 1}, [{}], "urn:x:1"]


def test_malformed_dynamics_payloads(base: str, http: requests.Session, uid: str) -> None:
    """Subscriptions, registrations and temporal payloads with every member replaced by odd values."""
    h = {**JSON, "NGSILD-Tenant": f"fz{uid}"}
    sub = {
        "type": "Subscription",
        "entities": [{"type": "T", "idPattern": ".*"}],
        "watchedAttributes": ["a"],
        "q": "a>1",
        "geoQ": {"georel": "near;maxDistance==10", "geometry": "Point", "coordinates": [1, 2]},
        "notification": {
            "endpoint": {
                "uri": "http://127.0.0.1:9/x",
                "accept": "application/json",
                "receiverInfo": [{"key": "a", "value": "b"}],
            },
            "attributes": ["a"],
            "format": "keyValues",
        },
        "throttling": 5,
        "expiresAt": "2999-01-01T00:00:00Z",
    }
    reg = {
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "T"}], "propertyNames": ["a"]}],
        "endpoint": "http://127.0.0.1:9/src",
        "mode": "inclusive",
        "observationInterval": {"startAt": "2020-01-01T00:00:00Z"},
        "location": {"type": "Point", "coordinates": [1, 2]},
        "management": {"timeout": 5},
    }
    temporal = {
        "id": f"urn:ngsi-ld:T:{uid}",
        "type": "T",
        "a": [{"type": "Property", "value": 1, "observedAt": "2020-01-01T00:00:00Z"}],
    }
    for value in ANY_VALUES:
        for key in sub:
            _ok(http.post(base + "/ngsi-ld/v1/subscriptions", json={**sub, key: value}, headers=h))
        for key in sub["notification"]:
            bad = {**sub, "notification": {**sub["notification"], key: value}}
            _ok(http.post(base + "/ngsi-ld/v1/subscriptions", json=bad, headers=h))
        for key in reg:
            _ok(http.post(base + "/ngsi-ld/v1/csourceRegistrations", json={**reg, key: value}, headers=h))
        _ok(
            http.post(
                base + "/ngsi-ld/v1/csourceRegistrations",
                json={**reg, "information": [{"entities": [value]}]},
                headers=h,
            )
        )
        for key in temporal:
            _ok(http.post(base + "/ngsi-ld/v1/temporal/entities", json={**temporal, key: value}, headers=h))
        _ok(http.post(base + "/ngsi-ld/v1/temporal/entities", json={**temporal, "a": [value]}, headers=h))
        _ok(
            http.post(
                base + "/ngsi-ld/v1/temporal/entities",
                json={**temporal, "a": {"type": "Property", "values": value}},
                headers=h,
            )
        )
        _ok(
            http.post(
                base + "/ngsi-ld/v1/temporal/entityOperations/query",
                json={"type": "Query", "entities": [{"type": "T"}], "temporalQ": value},
                headers=h,
            )
        )
        _ok(
            http.post(
                base + "/ngsi-ld/v1/temporal/entityOperations/query",
                json={
                    "type": "Query",
                    "entities": [{"type": "T"}],
                    "temporalQ": {"timerel": "after", "timeAt": value, "lastN": value},
                },
                headers=h,
            )
        )
    for params in [
        {"timerel": "x"},
        {"lastN": "-1"},
        {"aggrMethods": "x", "options": "aggregatedValues"},
        {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "P"},
        {"timerel": "between", "timeAt": "2020-01-01T00:00:00Z", "endTimeAt": "2019-01-01T00:00:00Z"},
    ]:
        _ok(http.get(base + "/ngsi-ld/v1/temporal/entities", params={"type": "T", **params}, headers=h))
        _ok(http.get(base + f"/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:T:{uid}", params=params, headers=h))
        _ok(http.get(base + "/ngsi-ld/v1/csourceRegistrations", params=params, headers=h))
    _ok(
        http.patch(
            base + f"/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:T:{uid}/attrs/a/urn:x:1", json=[1], headers=h
        )
    )
    _ok(http.patch(base + "/ngsi-ld/v1/subscriptions/urn:x:none", json={"q": 1}, headers=h))
