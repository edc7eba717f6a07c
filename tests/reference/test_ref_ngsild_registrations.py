"""Context source registrations CRUD (priority 2.6)."""

from __future__ import annotations

import requests
from ref_support import JSON

R = "/ngsi-ld/v1/csourceRegistrations"


def test_registration_crud(base: str, http: requests.Session, uid: str) -> None:
    h = {**JSON, "NGSILD-Tenant": f"r{uid}"}
    body = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "Vehicle"}], "propertyNames": ["speed"]}],
        "endpoint": "http://example.org/source",
        "mode": "inclusive",
    }
    resp = http.post(base + R, json=body, headers=h)
    assert resp.status_code == 201, resp.text
    url = base + resp.headers["Location"]
    assert http.post(base + R, json=body, headers=h).status_code == 409
    got = http.get(url, headers=h).json()
    assert got["information"] == [{"entities": [{"type": "Vehicle"}], "propertyNames": ["speed"]}]
    assert got["endpoint"] == "http://example.org/source"
    assert [r["id"] for r in http.get(base + R, params={"type": "Vehicle"}, headers=h).json()] == [body["id"]]
    assert http.get(base + R, params={"type": "Other"}, headers=h).json() == []
    assert http.patch(url, json={"endpoint": "http://example.org/other"}, headers=h).status_code == 204
    assert http.get(url, headers=h).json()["endpoint"] == "http://example.org/other"
    assert http.delete(url, headers=h).status_code == 204
    assert http.get(url, headers=h).status_code == 404
    for bad in [
        {**body, "type": "X"},
        {**body, "information": []},
        {**body, "endpoint": "nope"},
        {k: v for k, v in body.items() if k != "endpoint"},
        {**body, "information": [{}]},
        {**body, "mode": "weird"},
    ]:
        assert http.post(base + R, json=bad, headers=h).status_code == 400, bad


def _reg(uid: str, n: int, **extra: object) -> dict:
    return {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}:{n}",
        "type": "ContextSourceRegistration",
        "endpoint": "http://127.0.0.1:9/source",
        **extra,
    }


def test_registration_modes_and_validation(base: str, http: requests.Session, uid: str) -> None:
    h = {**JSON, "NGSILD-Tenant": f"m{uid}"}
    vehicle = [{"entities": [{"type": "Vehicle", "id": "urn:ngsi-ld:Vehicle:1"}], "propertyNames": ["speed"]}]
    bad = [
        _reg(
            uid, 1, information=[{"entities": [{"type": "Vehicle"}]}], mode="exclusive"
        ),  # no attribute names
        _reg(
            uid,
            1,
            information=[{"entities": [{"type": "Vehicle", "idPattern": ".*"}], "propertyNames": ["speed"]}],
            mode="exclusive",
        ),
        _reg(uid, 1, information=[{"propertyNames": ["speed"]}], mode="exclusive"),  # no entity ids
        _reg(uid, 1, information=vehicle, mode="auxiliary", operations=["updateOps"]),
        _reg(uid, 1, information=vehicle, observationInterval={"endAt": "2020-01-01T00:00:00Z"}),
        _reg(
            uid,
            1,
            information=vehicle,
            managementInterval={"startAt": "2021-01-01T00:00:00Z", "endAt": "2020-01-01T00:00:00Z"},
        ),
        _reg(uid, 1, information=vehicle, location={"type": "Point", "coordinates": [1]}),
        _reg(uid, 1, information=vehicle, expiresAt="2001-01-01T00:00:00Z"),
        _reg(uid, 1, information=vehicle, management={"timeout": 0}),
        _reg(uid, 1, information=vehicle, contextSourceInfo=[{"key": "a"}]),
        _reg(uid, 1, information=[{"entities": [{"type": "Vehicle", "idPattern": "(("}]}]),
        _reg(uid, 1, information=[{"propertyNames": []}]),
        _reg(uid, 1, information=vehicle, operations="retrieveOps"),
    ]
    for payload in bad:
        resp = http.post(base + R, json=payload, headers=h)
        assert resp.status_code == 400, payload
        assert resp.json()["type"].endswith("/BadRequestData")
    assert (
        http.post(base + R, json=_reg(uid, 1, information=vehicle, mode="exclusive"), headers=h).status_code
        == 201
    )
    overlapping = _reg(uid, 2, information=vehicle, mode="exclusive")
    assert http.post(base + R, json=overlapping, headers=h).status_code == 409
    other_attr = _reg(
        uid,
        3,
        mode="exclusive",
        information=[{"entities": vehicle[0]["entities"], "propertyNames": ["fuel"]}],
    )
    assert http.post(base + R, json=other_attr, headers=h).status_code == 201
    aux = _reg(uid, 4, information=vehicle, mode="auxiliary", operations=["retrieveOps"])
    assert http.post(base + R, json=aux, headers=h).status_code == 201
    assert http.post(base + R, json=_reg(uid, 5, information=vehicle), headers=h).status_code == 201


def test_registration_discovery(base: str, http: requests.Session, uid: str) -> None:
    h = {**JSON, "NGSILD-Tenant": f"d{uid}"}
    regs = [
        _reg(
            uid,
            0,
            information=[{"entities": [{"type": "Vehicle"}], "propertyNames": ["speed"]}],
            location={"type": "Point", "coordinates": [10, 10]},
        ),
        _reg(
            uid,
            1,
            information=[
                {
                    "entities": [{"type": "Vehicle", "id": "urn:ngsi-ld:Vehicle:A"}],
                    "relationshipNames": ["owner"],
                }
            ],
            scope="/city/north",
        ),
        _reg(uid, 2, information=[{"entities": [{"type": "Building"}]}], mode="inclusive"),
        _reg(uid, 3, information=[{"propertyNames": ["speed"]}]),
        _reg(
            uid,
            4,
            information=[{"entities": [{"type": "Vehicle"}]}],
            observationInterval={"startAt": "2020-01-01T00:00:00Z", "endAt": "2020-12-31T00:00:00Z"},
        ),
    ]
    for reg in regs:
        assert http.post(base + R, json=reg, headers=h).status_code == 201

    def found(**params: str) -> list[int]:
        resp = http.get(base + R, params=params, headers=h)
        assert resp.status_code == 200, resp.text
        return sorted(int(r["id"].rsplit(":", 1)[1]) for r in resp.json())

    assert http.get(base + R, headers=h).status_code == 400  # 5.10.2: no entity type nor attribute
    assert found(attrs="speed,owner") == [0, 1, 2, 3]  # without temporal query, no interval registrations
    assert found(type="Vehicle") == [0, 1, 3]
    assert found(type="Building") == [2, 3]
    assert found(attrs="speed") == [0, 2, 3]
    assert found(type="Vehicle", attrs="owner") == [1]
    assert found(id="urn:ngsi-ld:Vehicle:B", type="Vehicle") == [0, 3]
    assert found(q="speed>10") == [0, 2, 3]
    assert found(georel="near;maxDistance==1000", geometry="Point", coordinates="[10,10.001]") == [0]
    assert found(georel="near;maxDistance==1000", geometry="Point", coordinates="[20,20]") == []
    assert found(
        type="Vehicle",
        georel="within",
        geometry="Polygon",
        geoproperty="location",
        coordinates="[[[9,9],[11,9],[11,11],[9,11],[9,9]]]",
    ) == [0]
    assert found(scopeQ="/city/#") == [1]
    assert found(scopeQ="/city/south") == []
    assert found(type="Vehicle", timerel="after", timeAt="2020-06-01T00:00:00Z") == [4]
    assert found(type="Vehicle", timerel="after", timeAt="2021-06-01T00:00:00Z") == []
    assert found(csf='mode=="inclusive"') == [2]
    resp = http.get(base + R, params={"limit": 2, "count": "true", "attrs": "speed,owner"}, headers=h)
    assert (
        len(resp.json()) == 2
        and resp.headers["NGSILD-Results-Count"] == "4"
        and 'rel="next"' in resp.headers["Link"]
    )
    for params in (
        {"q": "(("},
        {"timerel": "between", "timeAt": "2020-01-01T00:00:00Z"},
        {"idPattern": "(("},
        {"georel": "near", "geometry": "Point", "coordinates": "[1,1]"},
    ):
        assert http.get(base + R, params=params, headers=h).status_code == 400, params


def test_source_identity(base: str, http: requests.Session, uid: str) -> None:
    resp = http.get(base + "/ngsi-ld/v1/info/sourceIdentity")
    assert resp.status_code == 200
    body = resp.json()
    assert body["type"] == "ContextSourceIdentity" and body["id"].startswith("urn:")
    assert body["contextSourceAlias"] and body["contextSourceUpTime"].startswith("PT")
    assert body["contextSourceTimeAt"].endswith("Z")
    missing = http.get(base + "/ngsi-ld/v1/info/sourceIdentity", headers={"NGSILD-Tenant": f"none{uid}"})
    assert missing.status_code == 404 and missing.json()["type"].endswith("/NonexistentTenant")


def test_registration_conflicts_with_local_entities(base: str, http: requests.Session, uid: str) -> None:
    h = {**JSON, "NGSILD-Tenant": f"x{uid}"}
    eid = f"urn:ngsi-ld:Building:{uid}"
    entity = {"id": eid, "type": "Building", "name": {"type": "Property", "value": "b"}}
    assert http.post(base + "/ngsi-ld/v1/entities", json=entity, headers=h).status_code == 201
    exclusive = _reg(
        uid,
        1,
        mode="exclusive",
        information=[{"entities": [{"type": "Building", "id": eid}], "propertyNames": ["name"]}],
    )
    resp = http.post(base + R, json=exclusive, headers=h)
    assert resp.status_code == 409 and resp.json()["type"].endswith("/Conflict")
    other_attr = {
        **exclusive,
        "information": [{"entities": [{"type": "Building", "id": eid}], "propertyNames": ["height"]}],
    }
    assert http.post(base + R, json=other_attr, headers=h).status_code == 201
    redirect = _reg(uid, 2, mode="redirect", information=[{"entities": [{"type": "Building", "id": eid}]}])
    assert http.post(base + R, json=redirect, headers=h).status_code == 409
    aux = _reg(
        uid,
        3,
        mode="auxiliary",
        operations=["createSubscription"],
        information=[{"entities": [{"type": "Building"}]}],
    )
    assert http.post(base + R, json=aux, headers=h).status_code == 400
    aux["operations"] = ["retrieveEntity", "queryEntity"]
    assert http.post(base + R, json=aux, headers=h).status_code == 201
