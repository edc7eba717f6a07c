"""Temporal API: deletions recorded with deletedAt (clause 4.8, 4.5.6 - 4.5.8) and the simplified
representation of LanguageProperty, JsonProperty and VocabProperty (clause 4.5.9)."""

from __future__ import annotations

import requests

T = "/ngsi-ld/v1/temporal/entities"
E = "/ngsi-ld/v1/entities"


def _entity(eid: str) -> dict:
    return {
        "id": eid,
        "type": "Room",
        "temp": {"type": "Property", "value": 20, "observedAt": "2020-08-01T12:00:00Z"},
        "name": {"type": "LanguageProperty", "languageMap": {"en": "Hall", "fr": "Salle"}},
    }


def test_attribute_deletion_is_recorded_with_deleted_at(base: str, http: requests.Session, uid: str) -> None:
    h = {"NGSILD-Tenant": f"th{uid}"}
    eid = f"urn:ngsi-ld:Room:{uid}"
    assert http.post(base + E, json=_entity(eid), headers=h).status_code == 201
    assert http.delete(f"{base}{E}/{eid}/attrs/temp", headers=h).status_code == 204
    body = http.get(f"{base}{T}/{eid}", params={"options": "sysAttrs"}, headers=h).json()
    last = body["temp"][-1]
    assert last["value"] == "urn:ngsi-ld:null" and "deletedAt" in last and "instanceId" in last, body
    assert "deletedAt" not in body  # the entity itself is still there
    # timeproperty=deletedAt keeps only the deletion instances
    since = {"timeproperty": "deletedAt", "timerel": "before", "timeAt": "2100-01-01T00:00:00Z"}
    deleted = http.get(f"{base}{T}/{eid}", params=since, headers=h).json()
    assert [i["value"] for i in deleted["temp"]] == ["urn:ngsi-ld:null"] and "name" not in deleted
    simplified = http.get(f"{base}{T}/{eid}", params={**since, "options": "temporalValues"}, headers=h).json()
    assert simplified["temp"]["values"] == [["urn:ngsi-ld:null", last["deletedAt"]]]
    # aggregations leave the deletion instance out
    aggr = {"options": "aggregatedValues", "aggrMethods": "totalCount", "aggrPeriodDuration": "P1Y"}
    counted = http.get(f"{base}{T}/{eid}", params=aggr, headers=h).json()
    assert [b[0] for b in counted["temp"]["totalCount"]] == [1], counted


def test_entity_deletion_keeps_the_temporal_representation(
    base: str, http: requests.Session, uid: str
) -> None:
    h = {"NGSILD-Tenant": f"th{uid}"}
    eid = f"urn:ngsi-ld:Room:{uid}"
    assert http.post(base + E, json=_entity(eid), headers=h).status_code == 201
    assert http.delete(f"{base}{E}/{eid}", headers=h).status_code == 204
    body = http.get(f"{base}{T}/{eid}", params={"options": "sysAttrs"}, headers=h).json()
    assert "deletedAt" in body
    for attr in ("temp", "name"):
        assert body[attr][-1]["deletedAt"] == body["deletedAt"], body
    # created again: no longer deleted, the history kept
    assert http.post(base + E, json=_entity(eid), headers=h).status_code == 201
    again = http.get(f"{base}{T}/{eid}", params={"options": "sysAttrs"}, headers=h).json()
    assert "deletedAt" not in again and len(again["temp"]) == 3
    assert http.delete(f"{base}{T}/{eid}", headers=h).status_code == 204
    assert http.get(f"{base}{T}/{eid}", headers=h).status_code == 404


def test_simplified_values_wrap_language_json_and_vocab(base: str, http: requests.Session, uid: str) -> None:
    h = {"NGSILD-Tenant": f"th{uid}"}
    eid = f"urn:ngsi-ld:Room:{uid}"
    at = "2020-08-01T12:00:00Z"
    entity = {
        "id": eid,
        "type": "Room",
        "name": [{"type": "LanguageProperty", "languageMap": {"en": "Hall"}, "observedAt": at}],
        "config": [{"type": "JsonProperty", "json": {"a": [1, 2]}, "observedAt": at}],
        "category": [{"type": "VocabProperty", "vocab": "kitchen", "observedAt": at}],
        "tags": [{"type": "ListProperty", "valueList": [1, "x"], "observedAt": at}],
        "owner": [{"type": "Relationship", "object": "urn:ngsi-ld:P:1", "observedAt": at}],
    }
    assert http.post(base + T, json=entity, headers=h).status_code == 201
    body = http.get(f"{base}{T}/{eid}", params={"options": "temporalValues"}, headers=h).json()
    assert body["name"] == {
        "type": "LanguageProperty",
        "languageMaps": [[{"languageMap": {"en": "Hall"}}, at]],
    }
    assert body["config"] == {"type": "JsonProperty", "jsons": [[{"json": {"a": [1, 2]}}, at]]}
    assert body["category"] == {"type": "VocabProperty", "vocabs": [[{"vocab": "kitchen"}, at]]}
    assert body["tags"] == {"type": "ListProperty", "valueLists": [[[1, "x"], at]]}
    assert body["owner"] == {"type": "Relationship", "objects": [["urn:ngsi-ld:P:1", at]]}
    # the simplified form read back in (wrapped, and bare values still accepted) gives the same instances
    eid2 = eid + "x"
    again = {"id": eid2, "type": "Room", **{k: v for k, v in body.items() if k not in ("id", "type")}}
    again["category"] = {"type": "VocabProperty", "vocabs": [["kitchen", at]]}
    assert http.post(base + T, json=again, headers=h).status_code == 201, again
    normalized = http.get(f"{base}{T}/{eid2}", headers=h).json()
    assert normalized["name"][0]["languageMap"] == {"en": "Hall"}
    assert normalized["config"][0]["json"] == {"a": [1, 2]}
    assert normalized["category"][0]["vocab"] == "kitchen"
