"""Create / retrieve / delete entity, ProblemDetails, @context handling and tenants (priority 1)."""

from __future__ import annotations

import json

import requests
from ref_support import CORE, link

E = "/ngsi-ld/v1/entities"
JSON = {"Content-Type": "application/json"}
LDJSON = {"Content-Type": "application/ld+json"}


def _entity(uid: str, **attrs: object) -> dict:
    body = {
        "id": f"urn:ngsi-ld:Building:{uid}",
        "type": "Building",
        "name": {"type": "Property", "value": "Tower"},
    }
    body.update(attrs)
    return body


def _problem(resp: requests.Response, status: int, name: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["type"] == f"https://uri.etsi.org/ngsi-ld/errors/{name}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_create_returns_201_location_empty_body(base: str, http: requests.Session, uid: str) -> None:
    resp = http.post(base + E, json=_entity(uid), headers=JSON)
    assert resp.status_code == 201
    assert resp.headers["Location"] == f"{E}/urn:ngsi-ld:Building:{uid}"
    assert resp.content == b""


def test_create_twice_409(base: str, http: requests.Session, uid: str) -> None:
    assert http.post(base + E, json=_entity(uid), headers=JSON).status_code == 201
    _problem(http.post(base + E, json=_entity(uid), headers=JSON), 409, "AlreadyExists")


def test_location_encodes_special_characters(base: str, http: requests.Session, uid: str) -> None:
    entity = _entity(uid, id=f"urn:ngsi-ld:Odd:{uid}/a?b")
    resp = http.post(base + E, json=entity, headers=JSON)
    assert resp.status_code == 201
    assert resp.headers["Location"] == f"{E}/urn:ngsi-ld:Odd:{uid}%2Fa%3Fb"
    got = http.get(base + resp.headers["Location"])
    assert got.status_code == 200 and got.json()["id"] == entity["id"]


def test_bad_creates_400(base: str, http: requests.Session, uid: str) -> None:
    cases = [
        {"id": "not a uri", "type": "T"},
        {"id": "nouri", "type": "T"},
        {"type": "T"},
        {"id": f"urn:x:{uid}"},
        {"id": f"urn:x:{uid}", "type": "T", "a": {"type": "Property"}},
        {"id": f"urn:x:{uid}", "type": "T", "a": {"type": "Bogus", "value": 1}},
        {"id": f"urn:x:{uid}", "type": "T", "a": {"type": "Relationship", "object": "not a uri"}},
        {"id": f"urn:x:{uid}", "type": "T", "a": {"type": "Property", "value": None}},
        {"id": f"urn:x:{uid}", "type": "T", "location": {"type": "GeoProperty", "value": {"type": "Point"}}},
        {"id": f"urn:x:{uid}", "type": "T", "a": {"type": "Property", "value": 1, "observedAt": "yesterday"}},
        {"id": f"urn:x:{uid}", "type": ""},
        {"id": f"urn:x:{uid}", "type": "T", "bad name": 1},
        [],
    ]
    for case in cases:
        _problem(http.post(base + E, json=case, headers=JSON), 400, "BadRequestData")


def test_invalid_json_is_invalid_request(base: str, http: requests.Session) -> None:
    _problem(http.post(base + E, data=b"{nope", headers=JSON), 400, "InvalidRequest")


def test_unsupported_content_type_415(base: str, http: requests.Session, uid: str) -> None:
    resp = http.post(base + E, data=json.dumps(_entity(uid)), headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415
    resp = http.post(base + E, data=json.dumps(_entity(uid)))
    assert resp.status_code == 415


def test_retrieve_normalized_keyvalues_sysattrs_attrs(base: str, http: requests.Session, uid: str) -> None:
    entity = _entity(
        uid,
        height={
            "type": "Property",
            "value": 42,
            "unitCode": "MTR",
            "observedAt": "2024-01-01T00:00:00Z",
            "accuracy": {"type": "Property", "value": 0.5},
        },
        owner={"type": "Relationship", "object": "urn:ngsi-ld:Person:1"},
        location={"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.35, 48.85]}},
    )
    assert http.post(base + E, json=entity, headers=JSON).status_code == 201
    url = f"{base}{E}/{entity['id']}"
    resp = http.get(url)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    assert f"<{CORE}>" in resp.headers["Link"]
    body = resp.json()
    assert "@context" not in body
    assert body["id"] == entity["id"] and body["type"] == "Building"
    assert body["height"] == entity["height"]
    assert body["owner"] == entity["owner"]
    assert body["location"] == entity["location"]
    assert "createdAt" not in body

    kv = http.get(url, params={"options": "keyValues"}).json()
    assert kv == {
        "id": entity["id"],
        "type": "Building",
        "name": "Tower",
        "height": 42,
        "owner": "urn:ngsi-ld:Person:1",
        "location": {"type": "Point", "coordinates": [2.35, 48.85]},
    }
    assert http.get(url, params={"format": "keyValues"}).json() == kv
    assert http.get(url, params={"format": "simplified"}).json() == kv

    sysattrs = http.get(url, params={"options": "sysAttrs"}).json()
    assert sysattrs["createdAt"].endswith("Z") and sysattrs["modifiedAt"]
    assert "createdAt" in sysattrs["height"] and "modifiedAt" in sysattrs["owner"]
    assert "createdAt" in sysattrs["height"]["accuracy"]

    picked = http.get(url, params={"attrs": "height,owner"}).json()
    assert set(picked) == {"id", "type", "height", "owner"}
    _problem(http.get(url, params={"attrs": "nothere"}), 404, "ResourceNotFound")


def test_retrieve_unknown_404(base: str, http: requests.Session, uid: str) -> None:
    _problem(http.get(f"{base}{E}/urn:ngsi-ld:Nothing:{uid}"), 404, "ResourceNotFound")


def test_retrieve_invalid_id_400(base: str, http: requests.Session) -> None:
    _problem(http.get(f"{base}{E}/not-a-uri"), 400, "BadRequestData")


def test_delete(base: str, http: requests.Session, uid: str) -> None:
    entity = _entity(uid)
    http.post(base + E, json=entity, headers=JSON)
    url = f"{base}{E}/{entity['id']}"
    resp = http.delete(url)
    assert resp.status_code == 204 and resp.content == b""
    _problem(http.get(url), 404, "ResourceNotFound")
    _problem(http.delete(url), 404, "ResourceNotFound")


def test_accept_negotiation(base: str, http: requests.Session, uid: str) -> None:
    entity = _entity(uid)
    http.post(base + E, json=entity, headers=JSON)
    url = f"{base}{E}/{entity['id']}"
    resp = http.get(url, headers={"Accept": "application/ld+json"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/ld+json")
    assert resp.json()["@context"] == CORE
    assert "Link" not in resp.headers
    assert http.get(url, headers={"Accept": "*/*"}).headers["Content-Type"].startswith("application/json")
    assert http.get(url, headers={"Accept": "application/*"}).status_code == 200
    resp = http.get(url, headers={"Accept": "text/html"})
    assert resp.status_code == 406
    ld = http.get(url, headers={"Accept": "application/json;q=0.5, application/ld+json"})
    assert ld.headers["Content-Type"].startswith("application/ld+json")


def test_user_context_expansion_and_compaction(
    base: str, http: requests.Session, httpserver, uid: str
) -> None:
    httpserver.expect_request("/ctx.jsonld").respond_with_json(
        {"@context": {"schema": "https://schema.org/", "Shop": "schema:Store", "shopName": "schema:name"}}
    )
    ctx_url = httpserver.url_for("/ctx.jsonld")
    entity = {
        "id": f"urn:ngsi-ld:Shop:{uid}",
        "type": "Shop",
        "shopName": {"type": "Property", "value": "X"},
        "other": {"type": "Property", "value": 1},
    }
    resp = http.post(base + E, json=entity, headers={**JSON, "Link": link(ctx_url)})
    assert resp.status_code == 201, resp.text
    url = f"{base}{E}/{entity['id']}"
    # without the user context: full IRIs for the user terms, default vocabulary terms stay short
    plain = http.get(url).json()
    assert plain["type"] == "https://schema.org/Store"
    assert plain["https://schema.org/name"]["value"] == "X"
    assert plain["other"]["value"] == 1
    # with the user context: short names again, Link header echoes the user context
    resp = http.get(url, headers={"Link": link(ctx_url)})
    body = resp.json()
    assert body["type"] == "Shop" and body["shopName"]["value"] == "X"
    assert f"<{ctx_url}>" in resp.headers["Link"]
    # ld+json with the @context in the body
    entity2 = {**entity, "id": entity["id"] + "b", "@context": [ctx_url, CORE]}
    assert http.post(base + E, json=entity2, headers=LDJSON).status_code == 201
    assert http.get(f"{base}{E}/{entity2['id']}", headers={"Link": link(ctx_url)}).json()["type"] == "Shop"
    # the same IRI reached through the inline definition
    entity3 = {"id": entity["id"] + "c", "type": "Shop", "@context": {"Shop": "https://schema.org/Store"}}
    assert http.post(base + E, json=entity3, headers=LDJSON).status_code == 201
    got = http.get(
        f"{base}{E}/{entity3['id']}", headers={"Accept": "application/ld+json", "Link": link(ctx_url)}
    )
    assert got.json()["type"] == "Shop"
    assert got.json()["@context"][0] == ctx_url


def test_context_errors(base: str, http: requests.Session, httpserver, uid: str) -> None:
    entity = _entity(uid)
    # @context in the body with application/json
    _problem(http.post(base + E, json={**entity, "@context": CORE}, headers=JSON), 400, "BadRequestData")
    # application/ld+json without @context
    _problem(http.post(base + E, json=entity, headers=LDJSON), 400, "BadRequestData")
    # both Link and body @context
    resp = http.post(base + E, json={**entity, "@context": CORE}, headers={**LDJSON, "Link": link(CORE)})
    _problem(resp, 400, "BadRequestData")
    # unreachable context
    dead = "http://127.0.0.1:9/nothing.jsonld"
    _problem(
        http.post(base + E, json=entity, headers={**JSON, "Link": link(dead)}), 504, "LdContextNotAvailable"
    )
    _problem(
        http.get(f"{base}{E}/{entity['id']}", headers={"Link": link(dead)}), 504, "LdContextNotAvailable"
    )
    # reachable but not JSON
    httpserver.expect_request("/notjson").respond_with_data("hello", content_type="text/plain")
    resp = http.post(base + E, json=entity, headers={**JSON, "Link": link(httpserver.url_for("/notjson"))})
    _problem(resp, 504, "LdContextNotAvailable")
    # reachable JSON without @context
    httpserver.expect_request("/noctx").respond_with_json({"a": 1})
    resp = http.post(base + E, json=entity, headers={**JSON, "Link": link(httpserver.url_for("/noctx"))})
    _problem(resp, 400, "BadRequestData")
    # core alias URL works and is not fetched
    alias = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
    assert http.post(base + E, json=entity, headers={**JSON, "Link": link(alias)}).status_code == 201


def test_core_terms_cannot_be_overridden(base: str, http: requests.Session, uid: str) -> None:
    entity = {
        "id": f"urn:ngsi-ld:X:{uid}",
        "type": "X",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}},
        "@context": {"location": "http://example.org/location", "Property": "http://example.org/P"},
    }
    assert http.post(base + E, json=entity, headers=LDJSON).status_code == 201
    body = http.get(f"{base}{E}/{entity['id']}").json()
    assert body["location"]["type"] == "GeoProperty"


def test_link_header_variants(base: str, http: requests.Session, httpserver, uid: str) -> None:
    httpserver.expect_request("/c2.jsonld").respond_with_json(
        {"@context": {"Thing": "http://example.org/Thing"}}
    )
    url = httpserver.url_for("/c2.jsonld")
    entity = {"id": f"urn:ngsi-ld:Thing:{uid}", "type": "Thing"}
    header = (
        f'<http://example.org/other>; rel="next", <{url}>; rel={LD_REL_UNQUOTED}; type="application/ld+json"'
    )
    assert http.post(base + E, json=entity, headers={**JSON, "Link": header}).status_code == 201
    body = http.get(f"{base}{E}/{entity['id']}").json()
    assert body["type"] == "http://example.org/Thing"
    two = f"{link(url)}, {link(CORE)}"
    _problem(http.get(f"{base}{E}/{entity['id']}", headers={"Link": two}), 400, "BadRequestData")


LD_REL_UNQUOTED = "http://www.w3.org/ns/json-ld#context"


def test_tenants(base: str, http: requests.Session, uid: str) -> None:
    tenant = f"t{uid}"
    entity = _entity(uid)
    url = f"{base}{E}/{entity['id']}"
    _problem(http.get(url, headers={"NGSILD-Tenant": tenant}), 404, "NonexistentTenant")
    _problem(http.delete(url, headers={"NGSILD-Tenant": tenant}), 404, "NonexistentTenant")
    resp = http.post(base + E, json=entity, headers={**JSON, "NGSILD-Tenant": tenant})
    assert resp.status_code == 201
    assert http.get(url, headers={"NGSILD-Tenant": tenant}).status_code == 200
    _problem(http.get(url), 404, "ResourceNotFound")
    assert http.delete(url, headers={"NGSILD-Tenant": tenant}).status_code == 204
    _problem(http.get(url, headers={"NGSILD-Tenant": tenant}), 404, "ResourceNotFound")


def test_unknown_path_and_method(base: str, http: requests.Session) -> None:
    _problem(http.get(base + "/ngsi-ld/v1/nothing"), 404, "ResourceNotFound")
    assert http.put(base + E).status_code == 405
