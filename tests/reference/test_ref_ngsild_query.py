"""Query entities: selectors, q language, geo-queries, pagination, POST /entityOperations/query."""

from __future__ import annotations

import requests
from ref_support import JSON, E

Q = "/ngsi-ld/v1/entityOperations/query"


def _seed(base: str, http: requests.Session, uid: str) -> str:
    tenant = f"q{uid}"
    headers = {**JSON, "NGSILD-Tenant": tenant}
    entities = [
        {
            "id": "urn:ngsi-ld:Vehicle:1",
            "type": "Vehicle",
            "speed": {"type": "Property", "value": 50},
            "brand": {"type": "Property", "value": "Fiat"},
            "observed": {"type": "Property", "value": "2024-03-01T10:00:00Z"},
            "address": {"type": "Property", "value": {"city": "Paris", "zip": "75001"}},
            "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Person:a"},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.3522, 48.8566]}},
            "temp": {"type": "Property", "value": 20, "accuracy": {"type": "Property", "value": 0.5}},
        },
        {
            "id": "urn:ngsi-ld:Vehicle:2",
            "type": "Vehicle",
            "speed": {"type": "Property", "value": 80},
            "brand": {"type": "Property", "value": "Seat"},
            "observed": {"type": "Property", "value": "2024-06-01T10:00:00Z"},
            "address": {"type": "Property", "value": {"city": "Lyon", "zip": "69001"}},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [4.8357, 45.7640]}},
        },
        {
            "id": "urn:ngsi-ld:Bike:1",
            "type": ["Bike", "Vehicle2"],
            "speed": {"type": "Property", "value": 15},
            "brand": {"type": "Property", "value": "fiat-bike"},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.3600, 48.8600]}},
        },
        {
            "id": "urn:ngsi-ld:Parking:1",
            "type": "Parking",
            "scope": "/France/Paris",
            "location": {
                "type": "GeoProperty",
                "value": {
                    "type": "Polygon",
                    "coordinates": [
                        [[2.34, 48.85], [2.36, 48.85], [2.36, 48.86], [2.34, 48.86], [2.34, 48.85]]
                    ],
                },
            },
        },
    ]
    for entity in entities:
        assert http.post(base + E, json=entity, headers=headers).status_code == 201
    return tenant


def _ids(resp: requests.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return sorted(e["id"] for e in resp.json())


def test_selectors_and_q(base: str, http: requests.Session, uid: str) -> None:
    tenant = _seed(base, http, uid)
    h = {"NGSILD-Tenant": tenant}

    def get(**params: str) -> list[str]:
        return _ids(http.get(base + E, params=params, headers=h))

    v1, v2, b1, p1 = (
        "urn:ngsi-ld:Vehicle:1",
        "urn:ngsi-ld:Vehicle:2",
        "urn:ngsi-ld:Bike:1",
        "urn:ngsi-ld:Parking:1",
    )
    assert get(type="Vehicle") == [v1, v2]
    assert get(type="Vehicle,Bike") == sorted([b1, v1, v2])
    assert get(type="Vehicle|Parking") == sorted([p1, v1, v2])
    assert get(type="Bike;Vehicle2") == [b1]
    assert get(type="(Bike;Vehicle2)|Parking") == sorted([b1, p1])
    assert get(type="*") == sorted([b1, p1, v1, v2])
    assert get(id=f"{v1},{b1}", type="*") == sorted([b1, v1])  # ids alone are no query (clause 5.7.2)
    assert get(idPattern="^urn:ngsi-ld:Vehicle:.*", type="*") == [v1, v2]
    assert get(type="Vehicle", q="speed>60") == [v2]
    assert get(type="Vehicle", q="speed>=50;speed<=50") == [v1]
    assert get(q="speed==10..60") == sorted([b1, v1])
    assert get(q="speed==15,80") == sorted([b1, v2])
    assert get(q="speed!=50") == sorted([b1, v2])
    assert get(q='brand=="Fiat"') == [v1]
    assert get(q="brand~=(?i)^fiat") == sorted([b1, v1])
    assert get(q="brand!~=(?i)^fiat") == [v2]
    assert get(q="owner") == [v1]
    assert get(q="!owner;speed") == sorted([b1, v2])
    assert get(q="owner==urn:ngsi-ld:Person:a") == [v1]
    assert get(q='address[city]=="Lyon"') == [v2]
    assert get(q="temp.accuracy<1") == [v1]
    assert get(q="observed>2024-04-01T00:00:00Z") == [v2]
    assert get(q="(speed>70|speed<20);brand") == sorted([b1, v2])
    assert get(q='speed>60|brand=="Fiat"') == sorted([v1, v2])
    assert get(attrs="owner") == [v1]
    for bad in ["speed>>1", "(speed>1", "speed==", "speed~=(", "speed>1..3", 'speed=="x', ";"]:
        resp = http.get(base + E, params={"q": bad}, headers=h)
        assert resp.status_code == 400, bad
        assert resp.json()["type"].endswith("BadRequestData")
    assert http.get(base + E, headers=h).status_code == 400
    assert http.get(base + E, params={"type": "(Bike"}, headers=h).status_code == 400


def test_geo_queries(base: str, http: requests.Session, uid: str) -> None:
    tenant = _seed(base, http, uid)
    h = {"NGSILD-Tenant": tenant}

    def geo(georel: str, geometry: str, coordinates: str, **extra: str) -> list[str]:
        params = {"georel": georel, "geometry": geometry, "coordinates": coordinates, **extra}
        return _ids(http.get(base + E, params=params, headers=h))

    paris = "[2.3522,48.8566]"
    assert geo("near;maxDistance==1000", "Point", paris, type="Vehicle,Bike") == sorted(
        ["urn:ngsi-ld:Bike:1", "urn:ngsi-ld:Vehicle:1"]
    )
    assert geo("near;maxDistance==500", "Point", paris, type="Vehicle,Bike") == ["urn:ngsi-ld:Vehicle:1"]
    assert geo("near;minDistance==100000", "Point", paris, type="Vehicle") == ["urn:ngsi-ld:Vehicle:2"]
    box = "[[[2.3,48.8],[2.4,48.8],[2.4,48.9],[2.3,48.9],[2.3,48.8]]]"
    assert geo("within", "Polygon", box, type="Vehicle,Bike") == sorted(
        ["urn:ngsi-ld:Bike:1", "urn:ngsi-ld:Vehicle:1"]
    )
    assert geo("intersects", "Polygon", box) == sorted(
        ["urn:ngsi-ld:Bike:1", "urn:ngsi-ld:Parking:1", "urn:ngsi-ld:Vehicle:1"]
    )
    assert geo("contains", "Point", "[2.35,48.855]") == ["urn:ngsi-ld:Parking:1"]
    assert geo("disjoint", "Polygon", box, type="Vehicle") == ["urn:ngsi-ld:Vehicle:2"]
    assert geo("equals", "Point", "[4.8357,45.7640]") == ["urn:ngsi-ld:Vehicle:2"]
    assert geo("near;maxDistance==2000", "Point", paris, type="Parking") == ["urn:ngsi-ld:Parking:1"]
    for params in [
        {"georel": "near", "geometry": "Point", "coordinates": paris},
        {"georel": "within", "geometry": "Point"},
        {"georel": "within", "geometry": "Circle", "coordinates": paris},
        {"georel": "within", "geometry": "Point", "coordinates": "[oops"},
        {"georel": "around", "geometry": "Point", "coordinates": paris},
        {"georel": "within", "geometry": "Polygon", "coordinates": "[[[0,0],[1,0],[1,1]]]"},
        {"georel": "near;maxDistance==abc", "geometry": "Point", "coordinates": paris},
    ]:
        resp = http.get(base + E, params={"type": "Vehicle", **params}, headers=h)
        assert resp.status_code == 400, params


def test_pagination_and_count(base: str, http: requests.Session, uid: str) -> None:
    tenant = f"p{uid}"
    headers = {**JSON, "NGSILD-Tenant": tenant}
    for i in range(25):
        http.post(base + E, json={"id": f"urn:ngsi-ld:T:{i:02d}", "type": "T"}, headers=headers)
    h = {"NGSILD-Tenant": tenant}
    first = http.get(base + E, params={"type": "T"}, headers=h)
    assert len(first.json()) == 20
    seen: list[str] = []
    for offset in range(0, 25, 7):
        page = http.get(
            base + E, params={"type": "T", "limit": 7, "offset": offset, "count": "true"}, headers=h
        )
        assert page.headers["NGSILD-Results-Count"] == "25"
        seen += [e["id"] for e in page.json()]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 25
    zero = http.get(base + E, params={"type": "T", "limit": 0, "count": "true"}, headers=h)
    assert zero.status_code == 200 and zero.json() == [] and zero.headers["NGSILD-Results-Count"] == "25"
    assert http.get(base + E, params={"type": "T", "limit": 0}, headers=h).status_code == 400
    too_many = http.get(base + E, params={"type": "T", "limit": 1001}, headers=h)
    assert too_many.status_code == 403 and too_many.json()["type"].endswith("TooManyResults")
    assert http.get(base + E, params={"type": "T", "limit": -1}, headers=h).status_code == 400
    assert (
        http.get(base + E, params={"type": "T"}, headers={"NGSILD-Tenant": "nope" + uid}).status_code == 404
    )


def test_query_post(base: str, http: requests.Session, uid: str) -> None:
    tenant = _seed(base, http, uid)
    h = {**JSON, "NGSILD-Tenant": tenant}
    body = {"type": "Query", "entities": [{"type": "Vehicle"}], "q": "speed>60"}
    assert _ids(http.post(base + Q, json=body, headers=h)) == ["urn:ngsi-ld:Vehicle:2"]
    body = {
        "type": "Query",
        "entities": [
            {"idPattern": ".*Bike.*", "type": "Bike"},
            {"id": "urn:ngsi-ld:Parking:1", "type": "Parking"},
        ],
    }
    assert _ids(http.post(base + Q, json=body, headers=h)) == ["urn:ngsi-ld:Bike:1", "urn:ngsi-ld:Parking:1"]
    body = {
        "type": "Query",
        "geoQ": {"georel": "near;maxDistance==1000", "geometry": "Point", "coordinates": [2.3522, 48.8566]},
        "entities": [{"type": "Vehicle"}],
    }
    assert _ids(http.post(base + Q, json=body, headers=h)) == ["urn:ngsi-ld:Vehicle:1"]
    kv = http.post(
        base + Q,
        json={"type": "Query", "entities": [{"type": "Vehicle"}], "attrs": ["speed"]},
        params={"options": "keyValues"},
        headers=h,
    ).json()
    assert all(set(e) == {"id", "type", "speed"} for e in kv)
    assert http.post(base + Q, json={"type": "Nope"}, headers=h).status_code == 400
    assert http.post(base + Q, json={"type": "Query", "q": "((("}, headers=h).status_code == 400
    assert http.post(base + Q, json=[1], headers=h).status_code == 400


def test_scope_query(base: str, http: requests.Session, uid: str) -> None:
    tenant = _seed(base, http, uid)
    h = {"NGSILD-Tenant": tenant}
    assert _ids(http.get(base + E, params={"scopeQ": "/France/#"}, headers=h)) == ["urn:ngsi-ld:Parking:1"]
    assert _ids(http.get(base + E, params={"scopeQ": "/Spain"}, headers=h)) == []


def test_q_on_special_attribute_types(base: str, http: requests.Session, uid: str) -> None:
    tenant = f"s{uid}"
    h = {**JSON, "NGSILD-Tenant": tenant}
    http.post(
        base + E,
        json={
            "id": "urn:x:1",
            "type": "T",
            "cat": {"type": "VocabProperty", "vocab": "commercial"},
            "name": {"type": "LanguageProperty", "languageMap": {"en": "Bridge", "fr": "Pont"}},
            "tags": {"type": "ListProperty", "valueList": ["a", "b"]},
            "when": {"type": "Property", "value": "2024-01-02"},
            "temp": {"type": "Property", "value": 3, "observedAt": "2024-01-01T00:00:00Z"},
        },
        headers=h,
    )

    def ids(q: str) -> list[str]:
        return _ids(http.get(base + E, params={"q": q}, headers={"NGSILD-Tenant": tenant}))

    assert ids('cat=="commercial"') == ["urn:x:1"]
    assert ids("cat==commercial") == ["urn:x:1"]
    assert ids('name=="Pont"') == ["urn:x:1"]
    assert ids('tags=="b"') == ["urn:x:1"]
    assert ids("when>2023-12-31") == ["urn:x:1"]
    assert ids("temp.observedAt<2024-06-01T00:00:00Z") == ["urn:x:1"]
    assert ids("temp.observedAt>2024-06-01T00:00:00Z") == []


def test_pagination_links(base: str, http: requests.Session, uid: str) -> None:
    tenant = f"l{uid}"
    for i in range(5):
        http.post(
            base + E,
            json={"id": f"urn:ngsi-ld:L:{i}", "type": "L"},
            headers={**JSON, "NGSILD-Tenant": tenant},
        )
    h = {"NGSILD-Tenant": tenant}
    seen: list[str] = []
    url: str | None = base + E + "?type=L&limit=2"
    pages = 0
    while url:
        resp = http.get(url, headers=h)
        seen += [e["id"] for e in resp.json()]
        pages += 1
        links = requests.utils.parse_header_links(resp.headers["Link"])
        rels = {link.get("rel"): link["url"] for link in links}
        assert ("prev" in rels) == (pages > 1)
        url = base + rels["next"] if "next" in rels else None
    assert pages == 3 and sorted(seen) == [f"urn:ngsi-ld:L:{i}" for i in range(5)]
