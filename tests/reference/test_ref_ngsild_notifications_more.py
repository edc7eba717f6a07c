"""Notifications and subscriptions, second part: typed attributes (VocabProperty, JsonProperty,
LanguageProperty) in every format and with showChanges, datasetId, pick/omit, the Link of a
subscription with one @context URL, the default notificationTrigger on retrieval and an update
with a past expiresAt (clauses 5.2.12, 5.2.14, 5.8.2, 5.8.3, 5.8.6, 6.3.5)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from ref_support import CORE, JSON, LDJSON, E, link
from test_ref_ngsild_notifications import Inbox

S = "/ngsi-ld/v1/subscriptions"


def _h(tenant: str) -> dict[str, str]:
    return {**JSON, "NGSILD-Tenant": tenant}


def _sub(url: str, **members: Any) -> dict[str, Any]:
    notification = {"endpoint": {"uri": url}, **members.pop("notification", {})}
    return {"type": "Subscription", "entities": [{"type": "Sensor"}], **members, "notification": notification}


TYPED = {
    "category": {"type": "VocabProperty", "vocab": "Medium"},
    "config": {"type": "JsonProperty", "json": {"a": [1, 2], "b": None}},
    "label": {"type": "LanguageProperty", "languageMap": {"en": "hall", "fr": "salle"}},
}
CHANGED = {
    "category": {"type": "VocabProperty", "vocab": "High"},
    "config": {"type": "JsonProperty", "json": {"a": [3]}},
    "label": {"type": "LanguageProperty", "languageMap": {"en": "room"}},
}
EXPECTED = {
    "normalized": {
        "category": {"type": "VocabProperty", "vocab": "High"},
        "config": {"type": "JsonProperty", "json": {"a": [3]}},
        "label": {"type": "LanguageProperty", "languageMap": {"en": "room"}},
    },
    "concise": {
        "category": {"vocab": "High"},
        "config": {"json": {"a": [3]}},
        "label": {"languageMap": {"en": "room"}},
    },
    "keyValues": {
        "category": {"vocab": "High"},
        "config": {"json": {"a": [3]}},
        "label": {"languageMap": {"en": "room"}},
    },
}
PREVIOUS = {"category": ("previousVocab", "Medium"), "config": ("previousJson", {"a": [1, 2], "b": None}),
            "label": ("previousLanguageMap", {"en": "hall", "fr": "salle"})}  # fmt: skip


@pytest.mark.parametrize("fmt", ["normalized", "concise", "keyValues"])
@pytest.mark.parametrize("show", [False, True])
def test_typed_attributes_in_notifications(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str, fmt: str, show: bool
) -> None:
    if show and fmt == "keyValues":
        pytest.skip("showChanges is refused with keyValues")
    h = _h(f"ty{uid}{fmt}{show}")
    inbox = Inbox(httpserver, f"/typed/{uid}/{fmt}/{show}")
    body = _sub(inbox.url, notification={"format": fmt, "showChanges": show})
    assert http.post(base + S, json=body, headers=h).status_code == 201
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    assert http.post(base + E, json={"id": eid, "type": "Sensor", **TYPED}, headers=h).status_code == 201
    assert http.patch(f"{base}{E}/{eid}/attrs", json=CHANGED, headers=h).status_code == 204
    data = inbox.wait(2)[1]["body"]["data"][0]
    for name, expected in EXPECTED[fmt].items():
        got = dict(data[name])
        if show:
            member, previous = PREVIOUS[name]
            assert got.pop(member) == previous, name
        assert got == expected, name


def test_dataset_id_selects_instances(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str
) -> None:
    h = _h(f"ds{uid}")
    inbox = Inbox(httpserver, f"/ds/{uid}")
    body = _sub(inbox.url, datasetId=["urn:ngsi-ld:Dataset:a"])
    assert http.post(base + S, json=body, headers=h).status_code == 201
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    temps = [
        {"type": "Property", "value": 1},
        {"type": "Property", "value": 2, "datasetId": "urn:ngsi-ld:Dataset:a"},
        {"type": "Property", "value": 3, "datasetId": "urn:ngsi-ld:Dataset:b"},
    ]
    assert (
        http.post(base + E, json={"id": eid, "type": "Sensor", "temp": temps}, headers=h).status_code == 201
    )
    data = inbox.wait(1)[0]["body"]["data"][0]
    assert data["temp"] == {"type": "Property", "value": 2, "datasetId": "urn:ngsi-ld:Dataset:a"}


def test_pick_and_omit(base: str, http: requests.Session, httpserver: HTTPServer, uid: str) -> None:
    h = _h(f"po{uid}")
    picked, omitted = Inbox(httpserver, f"/pick/{uid}"), Inbox(httpserver, f"/omit/{uid}")
    for inbox, member in ((picked, "pick"), (omitted, "omit")):
        body = _sub(inbox.url, notification={member: ["id", "temp"] if member == "pick" else ["hum"]})
        assert http.post(base + S, json=body, headers=h).status_code == 201
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    entity = {"id": eid, "type": "Sensor", "temp": {"type": "Property", "value": 1}}
    entity["hum"] = {"type": "Property", "value": 2}
    assert http.post(base + E, json=entity, headers=h).status_code == 201
    assert picked.wait(1)[0]["body"]["data"][0] == {"id": eid, "temp": {"type": "Property", "value": 1}}
    assert omitted.wait(1)[0]["body"]["data"][0] == {"id": eid, "type": "Sensor", "temp": entity["temp"]}


@pytest.mark.parametrize(
    "notification",
    [
        {"pick": ["id"], "omit": ["id"]},
        {"pick": "temp"},
        {"omit": []},
        {"pick": ["temp"], "attributes": ["temp"]},
        {"omit": ["hum"], "attributes": ["temp"]},
    ],
)
def test_invalid_pick_omit(base: str, http: requests.Session, uid: str, notification: dict[str, Any]) -> None:
    body = _sub("http://127.0.0.1:9/x", notification=notification)
    resp = http.post(base + S, json=body, headers=_h(f"ip{uid}"))
    assert resp.status_code == 400 and resp.json()["type"].endswith("BadRequestData"), resp.text


def test_default_trigger_shown(base: str, http: requests.Session, uid: str) -> None:
    h = _h(f"dt{uid}")
    location = http.post(base + S, json=_sub("http://127.0.0.1:9/x"), headers=h).headers["Location"]
    got = http.get(base + location, headers=h).json()
    assert got["notificationTrigger"] == ["attributeCreated", "attributeUpdated"]
    listed = http.get(base + S, headers=h).json()
    assert listed[0]["notificationTrigger"] == ["attributeCreated", "attributeUpdated"]
    given = _sub("http://127.0.0.1:9/x", notificationTrigger=["entityDeleted"])
    location = http.post(base + S, json=given, headers=h).headers["Location"]
    assert http.get(base + location, headers=h).json()["notificationTrigger"] == ["entityDeleted"]
    csub = http.post(base + "/ngsi-ld/v1/csourceSubscriptions", json=_sub("http://127.0.0.1:9/x"), headers=h)
    assert "notificationTrigger" not in http.get(base + csub.headers["Location"], headers=h).json()


def test_past_expires_at_on_update(base: str, http: requests.Session, uid: str) -> None:
    h = _h(f"ex{uid}")
    location = http.post(base + S, json=_sub("http://127.0.0.1:9/x"), headers=h).headers["Location"]
    fragment = {"expiresAt": "2020-08-01T22:07:00Z", "description": "expired"}
    assert http.patch(base + location, json=fragment, headers=h).status_code == 204
    assert http.get(base + location, headers=h).json()["status"] == "expired"


@pytest.mark.parametrize("form", ["link-header", "string", "array", "array-with-core", "two-urls"])
def test_link_names_the_single_context_url(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str, form: str
) -> None:
    ctx_doc = {"@context": {"Sensor": "https://example.org/Sensor", "temp": "https://example.org/temp"}}
    for name in ("one", "two"):
        httpserver.expect_request(f"/ctx/{uid}/{form}/{name}.jsonld").respond_with_json(ctx_doc)
    one = httpserver.url_for(f"/ctx/{uid}/{form}/one.jsonld")
    two = httpserver.url_for(f"/ctx/{uid}/{form}/two.jsonld")
    tenant = f"lk{uid}"
    inbox = Inbox(httpserver, f"/lk/{uid}/{form}")
    body = _sub(inbox.url)
    if form == "link-header":
        resp = http.post(base + S, json=body, headers={**_h(tenant), "Link": link(one)})
    else:
        body["@context"] = {
            "string": one,
            "array": [one],
            "array-with-core": [one, CORE],
            "two-urls": [one, two],
        }[form]
        resp = http.post(base + S, data=json.dumps(body), headers={**LDJSON, "NGSILD-Tenant": tenant})
    assert resp.status_code == 201, resp.text
    entity = {"id": f"urn:ngsi-ld:Sensor:{uid}", "type": "Sensor", "temp": {"type": "Property", "value": 1}}
    http.post(base + E, json=entity, headers={**_h(tenant), "Link": link(one)})
    item = inbox.wait(1)[0]
    assert item["body"]["data"][0]["type"] == "Sensor"
    if form == "two-urls":  # several URLs: an implicitly created @context served by the broker
        assert "/ngsi-ld/v1/jsonldContexts/" in item["headers"]["link"]
    else:
        assert item["headers"]["link"].startswith(f"<{one}>")


def test_dataset_id_change_of_other_instance_not_notified(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str
) -> None:
    h = _h(f"dn{uid}")
    inbox = Inbox(httpserver, f"/dn/{uid}")
    body = _sub(inbox.url, datasetId=["urn:ngsi-ld:Dataset:a"], watchedAttributes=["temp"])
    assert http.post(base + S, json=body, headers=h).status_code == 201
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    temps = [
        {"type": "Property", "value": 1},
        {"type": "Property", "value": 2, "datasetId": "urn:ngsi-ld:Dataset:a"},
    ]
    assert (
        http.post(base + E, json={"id": eid, "type": "Sensor", "temp": temps}, headers=h).status_code == 201
    )
    assert len(inbox.wait(1)) == 1
    # the default instance changes: not selected, no notification
    fragment = {"temp": {"type": "Property", "value": 5}}
    assert http.patch(f"{base}{E}/{eid}/attrs", json=fragment, headers=h).status_code == 204
    assert len(inbox.quiet(0.4)) == 1
    fragment = {"temp": {"type": "Property", "value": 6, "datasetId": "urn:ngsi-ld:Dataset:a"}}
    assert http.patch(f"{base}{E}/{eid}/attrs", json=fragment, headers=h).status_code == 204
    last = inbox.wait(2)[1]["body"]["data"][0]["temp"]
    assert last == {"type": "Property", "value": 6, "datasetId": "urn:ngsi-ld:Dataset:a"}
