"""Attribute operations, replace/merge entity, attribute types and representations (priority 2.1)."""

from __future__ import annotations

import requests
from ref_support import JSON, LDJSON, E


def _make(base: str, http: requests.Session, uid: str, **attrs: object) -> str:
    entity = {
        "id": f"urn:ngsi-ld:Car:{uid}",
        "type": "Car",
        "speed": {"type": "Property", "value": 10},
        **attrs,
    }
    resp = http.post(base + E, json=entity, headers=JSON)
    assert resp.status_code == 201, resp.text
    return f"{base}{E}/{entity['id']}"


def test_append(base: str, http: requests.Session, uid: str) -> None:
    url = _make(base, http, uid)
    resp = http.post(
        url + "/attrs",
        json={"color": {"type": "Property", "value": "red"}, "speed": {"type": "Property", "value": 20}},
        headers=JSON,
    )
    assert resp.status_code == 204
    body = http.get(url).json()
    assert body["color"]["value"] == "red" and body["speed"]["value"] == 20
    resp = http.post(
        url + "/attrs",
        params={"options": "noOverwrite"},
        json={"speed": {"type": "Property", "value": 99}, "km": {"type": "Property", "value": 1}},
        headers=JSON,
    )
    assert resp.status_code == 207
    result = resp.json()
    assert result["updated"] == ["https://uri.etsi.org/ngsi-ld/default-context/km"], (
        "fully qualified names (clause 6.3.6)"
    )
    assert (
        result["notUpdated"][0]["attributeName"] == "https://uri.etsi.org/ngsi-ld/default-context/speed"
        and result["notUpdated"][0]["reason"]
    )
    assert http.get(url).json()["speed"]["value"] == 20
    missing = http.post(f"{base}{E}/urn:ngsi-ld:Car:none{uid}/attrs", json={"a": 1}, headers=JSON)
    assert missing.status_code == 404
    assert (
        http.post(url + "/attrs", json={"a": {"type": "Nope", "value": 1}}, headers=JSON).status_code == 400
    )


def test_update_attrs(base: str, http: requests.Session, uid: str) -> None:
    url = _make(base, http, uid)
    assert (
        http.patch(url + "/attrs", json={"speed": {"type": "Property", "value": 5}}, headers=JSON).status_code
        == 204
    )
    assert http.get(url).json()["speed"]["value"] == 5
    resp = http.patch(
        url + "/attrs",
        json={"speed": {"type": "Property", "value": 6}, "nothere": {"type": "Property", "value": 1}},
        headers=JSON,
    )
    assert resp.status_code == 207
    assert resp.json()["updated"] == ["https://uri.etsi.org/ngsi-ld/default-context/speed"]
    assert (
        resp.json()["notUpdated"][0]["attributeName"]
        == "https://uri.etsi.org/ngsi-ld/default-context/nothere"
    )
    assert "nothere" not in http.get(url).json()


def test_partial_attribute_update(base: str, http: requests.Session, uid: str) -> None:
    url = _make(
        base,
        http,
        uid,
        temp={
            "type": "Property",
            "value": 1,
            "unitCode": "CEL",
            "accuracy": {"type": "Property", "value": 0.1},
        },
    )
    resp = http.patch(
        url + "/attrs/temp", json={"value": 2, "observedAt": "2024-05-01T10:00:00Z"}, headers=JSON
    )
    assert resp.status_code == 204, resp.text
    temp = http.get(url).json()["temp"]
    assert temp["value"] == 2 and temp["unitCode"] == "CEL" and temp["accuracy"]["value"] == 0.1
    assert temp["observedAt"] == "2024-05-01T10:00:00Z"
    assert http.patch(url + "/attrs/nothere", json={"value": 1}, headers=JSON).status_code == 404


def test_delete_attribute_and_datasets(base: str, http: requests.Session, uid: str) -> None:
    url = _make(
        base,
        http,
        uid,
        temp=[
            {"type": "Property", "value": 1},
            {"type": "Property", "value": 2, "datasetId": "urn:ngsi-ld:Dataset:a"},
            {"type": "Property", "value": 3, "datasetId": "urn:ngsi-ld:Dataset:b"},
        ],
    )
    temp = http.get(url).json()["temp"]
    assert isinstance(temp, list) and len(temp) == 3
    only_a = http.get(url, params={"datasetId": "urn:ngsi-ld:Dataset:a"}).json()["temp"]
    assert only_a["value"] == 2
    simplified = http.get(url, params={"options": "keyValues"}).json()["temp"]
    assert simplified == {"dataset": {"@none": 1, "urn:ngsi-ld:Dataset:a": 2, "urn:ngsi-ld:Dataset:b": 3}}
    assert http.delete(url + "/attrs/temp", params={"datasetId": "urn:ngsi-ld:Dataset:a"}).status_code == 204
    assert len(http.get(url).json()["temp"]) == 2
    assert http.delete(url + "/attrs/temp").status_code == 204  # default instance
    assert http.get(url).json()["temp"]["datasetId"] == "urn:ngsi-ld:Dataset:b"
    assert http.delete(url + "/attrs/temp", params={"datasetId": "urn:ngsi-ld:Dataset:zz"}).status_code == 404
    assert http.delete(url + "/attrs/temp", params={"deleteAll": "true"}).status_code == 204
    assert "temp" not in http.get(url).json()
    assert http.delete(url + "/attrs/temp").status_code == 404


def test_replace_entity(base: str, http: requests.Session, uid: str) -> None:
    url = _make(base, http, uid, color={"type": "Property", "value": "red"})
    created = http.get(url, params={"options": "sysAttrs"}).json()["createdAt"]
    resp = http.put(url, json={"type": "Car", "wheels": {"type": "Property", "value": 4}}, headers=JSON)
    assert resp.status_code == 204, resp.text
    body = http.get(url, params={"options": "sysAttrs"}).json()
    assert "color" not in body and "speed" not in body and body["wheels"]["value"] == 4
    assert body["createdAt"] == created and body["modifiedAt"] >= created
    wrong_id = http.put(url, json={"id": "urn:x:other", "type": "Car"}, headers=JSON)
    assert wrong_id.status_code == 400


def test_merge_entity(base: str, http: requests.Session, uid: str) -> None:
    url = _make(
        base,
        http,
        uid,
        color={"type": "Property", "value": "red", "shade": {"type": "Property", "value": 1}},
        old={"type": "Property", "value": "x"},
    )
    resp = http.patch(
        url,
        json={
            "color": {"type": "Property", "value": "blue"},
            "old": "urn:ngsi-ld:null",
            "new": {"type": "Property", "value": 1},
        },
        headers=JSON,
    )
    assert resp.status_code == 204, resp.text
    body = http.get(url).json()
    assert body["color"]["value"] == "blue" and body["color"]["shade"]["value"] == 1
    assert "old" not in body and body["new"]["value"] == 1 and body["speed"]["value"] == 10
    assert http.patch(f"{base}{E}/urn:x:none{uid}", json={"a": 1}, headers=JSON).status_code == 404
    # the normalized forms of the NGSI-LD Null delete too, a Relationship's object included
    nulls = {"new": {"type": "Property", "value": "urn:ngsi-ld:null"}}
    http.patch(url, json={"owner": {"type": "Relationship", "object": "urn:x:o"}}, headers=JSON)
    nulls["owner"] = {"type": "Relationship", "object": "urn:ngsi-ld:null"}
    assert http.patch(url, json=nulls, headers=JSON).status_code == 204
    body = http.get(url).json()
    assert "new" not in body and "owner" not in body and body["color"]["value"] == "blue"


def test_attribute_types_and_representations(base: str, http: requests.Session, uid: str) -> None:
    url = _make(
        base,
        http,
        uid,
        name={"type": "LanguageProperty", "languageMap": {"en": "car", "fr": "voiture"}},
        tags={"type": "ListProperty", "valueList": [1, 2, 3]},
        parts={"type": "ListRelationship", "objectList": [{"object": "urn:x:p1"}, {"object": "urn:x:p2"}]},
        category={"type": "VocabProperty", "vocab": "commercial"},
        config={"type": "JsonProperty", "json": {"a": {"b": [1]}}},
        owner={"type": "Relationship", "object": "urn:x:o", "objectType": "Person"},
    )
    body = http.get(url).json()
    assert body["name"] == {"type": "LanguageProperty", "languageMap": {"en": "car", "fr": "voiture"}}
    assert body["tags"] == {"type": "ListProperty", "valueList": [1, 2, 3]}
    assert body["parts"] == {
        "type": "ListRelationship",
        "objectList": [{"object": "urn:x:p1"}, {"object": "urn:x:p2"}],
    }
    assert body["category"] == {"type": "VocabProperty", "vocab": "commercial"}
    assert body["config"] == {"type": "JsonProperty", "json": {"a": {"b": [1]}}}
    assert body["owner"]["objectType"] == "Person"
    kv = http.get(url, params={"options": "keyValues"}).json()
    assert kv["name"] == {"languageMap": {"en": "car", "fr": "voiture"}}
    assert kv["tags"] == [1, 2, 3]
    assert kv["parts"] == ["urn:x:p1", "urn:x:p2"]
    assert kv["category"] == {"vocab": "commercial"}
    assert kv["config"] == {"json": {"a": {"b": [1]}}}
    fr = http.get(url, params={"lang": "fr"}).json()["name"]
    assert fr == {"type": "Property", "value": "voiture", "lang": "fr"}
    assert http.get(url, params={"lang": "fr", "options": "keyValues"}).json()["name"] == "voiture"
    assert http.get(url, params={"lang": "de"}).json()["name"]["value"] in ("car", "voiture")
    concise = http.get(url, params={"options": "concise"}).json()
    assert concise["speed"] == 10
    assert concise["owner"] == {"object": "urn:x:o", "objectType": "Person"}
    assert concise["parts"] == {"objectList": ["urn:x:p1", "urn:x:p2"]}
    assert "type" not in concise["name"]


def test_concise_input(base: str, http: requests.Session, uid: str) -> None:
    entity = {
        "id": f"urn:ngsi-ld:C:{uid}",
        "type": "C",
        "speed": 10,
        "label": "x",
        "nested": {"value": {"a": 1}},
        "rel": {"object": "urn:x:1"},
        "location": {"type": "Point", "coordinates": [1, 2]},
        "temp": {"value": 20, "unitCode": "CEL"},
    }
    assert http.post(base + E, json=entity, headers=JSON).status_code == 201
    body = http.get(f"{base}{E}/{entity['id']}").json()
    assert body["speed"] == {"type": "Property", "value": 10}
    assert body["nested"] == {"type": "Property", "value": {"a": 1}}
    assert body["rel"] == {"type": "Relationship", "object": "urn:x:1"}
    assert body["location"] == {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}}
    assert body["temp"] == {"type": "Property", "value": 20, "unitCode": "CEL"}
    ld = {
        **entity,
        "id": entity["id"] + "b",
        "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
    }
    assert http.post(base + E, json=ld, headers=LDJSON).status_code == 201


def test_ngsild_null_in_updates(base: str, http: requests.Session, uid: str) -> None:
    url = _make(
        base,
        http,
        uid,
        temp={
            "type": "Property",
            "value": 1,
            "accuracy": {"type": "Property", "value": 0.1},
            "unit": {"type": "Property", "value": "C"},
        },
        gone={"type": "Property", "value": 1},
    )
    resp = http.patch(url + "/attrs/temp", json={"value": 2, "accuracy": "urn:ngsi-ld:null"}, headers=JSON)
    assert resp.status_code == 204
    temp = http.get(url).json()["temp"]
    assert temp["value"] == 2 and "accuracy" not in temp and temp["unit"]["value"] == "C"
    resp = http.patch(
        url + "/attrs", json={"gone": {"type": "Property", "value": "urn:ngsi-ld:null"}}, headers=JSON
    )
    assert resp.status_code == 204
    assert "gone" not in http.get(url).json()
    assert (
        http.patch(url + "/attrs/temp", json={"value": "urn:ngsi-ld:null"}, headers=JSON).status_code == 204
    )
    assert "temp" not in http.get(url).json()
