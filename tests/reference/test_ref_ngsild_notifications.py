"""Subscriptions and notifications in depth (clauses 5.8, 5.11, 5.2.12 - 5.2.15)."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from ref_support import CORE, JSON, LDJSON, E

S = "/ngsi-ld/v1/subscriptions"
CTX = "https://example.org/ctx-not-used.jsonld"


class Inbox:
    """Notifications received by the local HTTP server on one path."""

    def __init__(self, httpserver: HTTPServer, path: str, status: int = 200) -> None:
        self.items: list[dict[str, Any]] = []

        def handler(request):  # type: ignore[no-untyped-def]
            from werkzeug import Response

            self.items.append(
                {
                    "body": json.loads(request.data),
                    "headers": {k.lower(): v for k, v in request.headers.items()},
                    "at": time.time(),
                }
            )
            return Response("", status=status)

        httpserver.expect_request(path, method="POST").respond_with_handler(handler)
        self.url = httpserver.url_for(path)

    def wait(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.time() + timeout
        while len(self.items) < count and time.time() < deadline:
            time.sleep(0.02)
        return self.items

    def quiet(self, seconds: float = 0.4) -> list[dict[str, Any]]:
        time.sleep(seconds)
        return self.items


def _headers(tenant: str) -> dict[str, str]:
    return {**JSON, "NGSILD-Tenant": tenant}


def _subscribe(http: requests.Session, base: str, h: dict[str, str], body: dict[str, Any]) -> str:
    payload = {"type": "Subscription", **body}
    resp = http.post(base + S, json=payload, headers=h)
    assert resp.status_code == 201, resp.text
    return resp.headers["Location"]


def _entity(entity_id: str, **attrs: Any) -> dict[str, Any]:
    return {
        "id": entity_id,
        "type": "Sensor",
        **{k: {"type": "Property", "value": v} for k, v in attrs.items()},
    }


def _future(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_subscription_validation(base: str, http: requests.Session, uid: str) -> None:
    h = _headers(f"v{uid}")
    good = {
        "type": "Subscription",
        "entities": [{"type": "Sensor"}],
        "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x"}},
    }
    bad_payloads = [
        {"type": "Subscription", "notification": good["notification"]},  # neither entities nor watched
        {**good, "q": "temp>"},
        {**good, "q": ""},
        {**good, "geoQ": {"georel": "near;maxDistance==10", "geometry": "Point"}},
        {**good, "geoQ": {"georel": "nearby", "geometry": "Point", "coordinates": [1, 2]}},
        {**good, "geoQ": {"georel": "within", "geometry": "Polygon", "coordinates": [[1, 2]]}},
        {**good, "expiresAt": "2001-01-01T00:00:00Z"},
        {**good, "expiresAt": "tomorrow"},
        {**good, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x"}, "format": "weird"}},
        {**good, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x", "accept": "text/plain"}}},
        {
            **good,
            "notification": {
                "endpoint": {"uri": "http://127.0.0.1:9/x"},
                "format": "keyValues",
                "showChanges": True,
            },
        },
        {**good, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x"}, "attributes": []}},
        {**good, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x", "receiverInfo": [{"k": 1}]}}},
        {**good, "notification": {}},
        {**good, "notificationTrigger": ["somethingHappened"]},
        {**good, "watchedAttributes": []},
        {**good, "watchedAttributes": ["temp"], "timeInterval": 5},
        {**good, "throttling": 5, "timeInterval": 5},
        {**good, "throttling": 0},
        {**good, "timeInterval": "5"},
        {**good, "entities": [{"id": "urn:x:1"}]},
        {**good, "entities": [{"type": "Sensor", "idPattern": "(("}]},
        {**good, "isActive": "yes"},
        {**good, "scopeQ": "nope"},
        {**good, "csf": "(("},
        {k: v for k, v in good.items() if k != "entities"} | {"timeInterval": 5},
    ]
    for bad in bad_payloads:
        resp = http.post(base + S, json=bad, headers=h)
        assert resp.status_code == 400, bad
        assert resp.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData", bad
    assert http.post(base + S, json=good, headers=h).status_code == 201
    only_watched = {
        "type": "Subscription",
        "watchedAttributes": ["temp"],
        "notification": good["notification"],
    }
    assert http.post(base + S, json=only_watched, headers=h).status_code == 201


def test_triggers_and_deletions(base: str, http: requests.Session, httpserver: HTTPServer, uid: str) -> None:
    tenant = f"t{uid}"
    h = _headers(tenant)
    created = Inbox(httpserver, f"/created/{uid}")
    deleted = Inbox(httpserver, f"/deleted/{uid}")
    attr_deleted = Inbox(httpserver, f"/attrdel/{uid}")
    updated = Inbox(httpserver, f"/updated/{uid}")
    sel = [{"type": "Sensor"}]
    _subscribe(
        http,
        base,
        h,
        {
            "entities": sel,
            "notificationTrigger": ["entityCreated"],
            "notification": {"endpoint": {"uri": created.url}},
        },
    )
    _subscribe(
        http,
        base,
        h,
        {
            "entities": sel,
            "notificationTrigger": ["entityDeleted"],
            "notification": {"endpoint": {"uri": deleted.url}, "sysAttrs": True},
        },
    )
    _subscribe(
        http,
        base,
        h,
        {
            "entities": sel,
            "notificationTrigger": ["attributeDeleted"],
            "notification": {"endpoint": {"uri": attr_deleted.url}},
        },
    )
    _subscribe(
        http,
        base,
        h,
        {
            "entities": sel,
            "notificationTrigger": ["entityUpdated"],
            "notification": {"endpoint": {"uri": updated.url}, "format": "keyValues"},
        },
    )
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    started = time.time()
    assert http.post(base + E, json=_entity(eid, temp=1, hum=2), headers=h).status_code == 201
    got = created.wait(1)
    assert len(got) == 1 and got[0]["at"] - started < 1.0
    assert got[0]["body"]["data"][0]["temp"] == {"type": "Property", "value": 1}
    assert updated.quiet(0.2) == []  # creation is not an entityUpdated
    assert http.delete(f"{base}{E}/{eid}/attrs/hum", headers=h).status_code == 204
    note = attr_deleted.wait(1)[0]["body"]
    assert note["data"][0]["hum"] == {"type": "Property", "value": "urn:ngsi-ld:null"}
    assert note["data"][0]["temp"]["value"] == 1
    assert updated.wait(1)[0]["body"]["data"][0] == {
        "id": eid,
        "type": "Sensor",
        "temp": 1,
        "hum": "urn:ngsi-ld:null",
    }
    assert http.delete(f"{base}{E}/{eid}", headers=h).status_code == 204
    gone = deleted.wait(1)[0]["body"]["data"]
    assert gone[0]["id"] == eid and gone[0]["type"] == "Sensor" and gone[0]["deletedAt"]
    assert gone[0]["createdAt"] and gone[0]["modifiedAt"]  # sysAttrs
    assert gone[0]["temp"]["value"] == "urn:ngsi-ld:null" and gone[0]["temp"]["deletedAt"]
    # deleting the entity deletes its attributes: attributeDeleted (and entityUpdated) fire as well
    last = attr_deleted.wait(2)[1]["body"]["data"][0]
    assert last["temp"] == {"type": "Property", "value": "urn:ngsi-ld:null"} and last["deletedAt"]
    assert updated.wait(2)[1]["body"]["data"][0]["temp"] == "urn:ngsi-ld:null"
    assert len(created.quiet(0.2)) == 1 and len(attr_deleted.items) == 2 and len(updated.items) == 2


def test_show_changes_on_deletion(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str
) -> None:
    tenant = f"sc{uid}"
    h = _headers(tenant)
    inbox = Inbox(httpserver, f"/sc/{uid}")
    _subscribe(
        http,
        base,
        h,
        {
            "entities": [{"type": "Sensor"}],
            "notificationTrigger": ["attributeDeleted", "attributeUpdated"],
            "notification": {"endpoint": {"uri": inbox.url}, "showChanges": True},
        },
    )
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    entity = {
        "id": eid,
        "type": "Sensor",
        "owner": {"type": "Relationship", "object": "urn:x:a"},
        "name": {"type": "LanguageProperty", "languageMap": {"en": "a"}},
    }
    http.post(base + E, json=entity, headers=h)
    http.patch(
        f"{base}{E}/{eid}/attrs",
        json={"name": {"type": "LanguageProperty", "languageMap": {"fr": "b"}}},
        headers=h,
    )
    http.delete(f"{base}{E}/{eid}/attrs/owner", headers=h)
    items = inbox.wait(2)
    first, second = items[0]["body"]["data"][0], items[1]["body"]["data"][0]
    assert first["name"] == {
        "type": "LanguageProperty",
        "languageMap": {"fr": "b"},
        "previousLanguageMap": {"en": "a"},
    }
    assert "previousObject" not in first["owner"]
    assert second["owner"] == {
        "type": "Relationship",
        "object": "urn:ngsi-ld:null",
        "previousObject": "urn:x:a",
    }


def test_default_triggers_watched_q_and_content(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str
) -> None:
    tenant = f"c{uid}"
    h = _headers(tenant)
    inbox = Inbox(httpserver, f"/content/{uid}")
    _subscribe(
        http,
        base,
        h,
        {
            "entities": [{"type": "Sensor", "idPattern": f".*:{uid}$"}],
            "watchedAttributes": ["temp"],
            "q": "temp>10",
            "notification": {
                "endpoint": {"uri": inbox.url, "receiverInfo": [{"key": "X-Token", "value": "abc"}]},
                "attributes": ["temp"],
                "sysAttrs": True,
                "showChanges": True,
                "format": "normalized",
            },
        },
    )
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    other = f"urn:ngsi-ld:Sensor:{uid}x"
    http.post(base + E, json=_entity(eid, temp=5, hum=1), headers=h)  # q fails
    http.post(base + E, json=_entity(other, temp=50), headers=h)  # idPattern fails
    http.patch(
        f"{base}{E}/{eid}/attrs", json={"hum": {"type": "Property", "value": 3}}, headers=h
    )  # not watched
    http.patch(f"{base}{E}/{eid}/attrs", json={"temp": {"type": "Property", "value": 20}}, headers=h)
    items = inbox.wait(1)
    assert len(inbox.quiet(0.3)) == 1
    note = items[0]["body"]
    assert (
        note["type"] == "Notification" and note["id"].startswith("urn:") and note["notifiedAt"].endswith("Z")
    )
    assert note["subscriptionId"].startswith("urn:ngsi-ld:Subscription:")
    entity = note["data"][0]
    assert set(entity) == {"id", "type", "temp", "createdAt", "modifiedAt"}
    assert entity["temp"]["value"] == 20 and entity["temp"]["previousValue"] == 5
    assert entity["temp"]["createdAt"] and entity["temp"]["modifiedAt"]
    headers = items[0]["headers"]
    assert headers["content-type"].startswith("application/json")
    assert headers["x-token"] == "abc" and headers["ngsild-tenant"] == tenant
    assert f"<{CORE}>" in headers["link"]


def test_ld_json_and_concise(base: str, http: requests.Session, httpserver: HTTPServer, uid: str) -> None:
    tenant = f"l{uid}"
    inbox = Inbox(httpserver, f"/ld/{uid}")
    body = {
        "type": "Subscription",
        "entities": [{"type": "Sensor"}],
        "notification": {
            "endpoint": {"uri": inbox.url, "accept": "application/ld+json"},
            "format": "concise",
        },
        "@context": [{"Sensor": "https://example.org/Sensor", "temp": "https://example.org/temp"}],
    }
    resp = http.post(base + S, data=json.dumps(body), headers={**LDJSON, "NGSILD-Tenant": tenant})
    assert resp.status_code == 201, resp.text
    entity = {**_entity(f"urn:ngsi-ld:Sensor:{uid}", temp=3), "@context": body["@context"]}
    http.post(base + E, data=json.dumps(entity), headers={**LDJSON, "NGSILD-Tenant": tenant})
    item = inbox.wait(1)[0]
    assert item["headers"]["content-type"].startswith("application/ld+json")
    note = item["body"]
    assert CORE in json.dumps(note["@context"])
    assert note["data"] == [{"id": f"urn:ngsi-ld:Sensor:{uid}", "type": "Sensor", "temp": 3}]
    # with the core context only, the expanded names are not compacted to the short terms
    assert "link" not in item["headers"]


def test_throttling_pause_and_expiry(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str
) -> None:
    tenant = f"th{uid}"
    h = _headers(tenant)
    inbox = Inbox(httpserver, f"/th/{uid}")
    paused = Inbox(httpserver, f"/paused/{uid}")
    expiring = Inbox(httpserver, f"/exp/{uid}")
    sel = [{"type": "Sensor"}]
    _subscribe(
        http, base, h, {"entities": sel, "throttling": 5, "notification": {"endpoint": {"uri": inbox.url}}}
    )
    loc = _subscribe(
        http, base, h, {"entities": sel, "isActive": False, "notification": {"endpoint": {"uri": paused.url}}}
    )
    exp = _subscribe(
        http,
        base,
        h,
        {"entities": sel, "expiresAt": _future(0.5), "notification": {"endpoint": {"uri": expiring.url}}},
    )
    assert http.get(base + loc, headers=h).json()["status"] == "paused"
    assert http.get(base + exp, headers=h).json()["status"] == "active"
    time.sleep(0.6)
    assert http.get(base + exp, headers=h).json()["status"] == "expired"
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    http.post(base + E, json=_entity(eid, temp=1), headers=h)
    for value in (2, 3):
        http.patch(f"{base}{E}/{eid}/attrs", json={"temp": {"type": "Property", "value": value}}, headers=h)
    assert len(inbox.wait(1)) == 1
    assert len(inbox.quiet(0.4)) == 1
    assert paused.items == [] and expiring.items == []
    assert http.patch(base + loc, json={"isActive": True}, headers=h).status_code == 204
    assert http.get(base + loc, headers=h).json()["status"] == "active"
    http.patch(f"{base}{E}/{eid}/attrs", json={"temp": {"type": "Property", "value": 4}}, headers=h)
    assert len(paused.wait(1)) == 1


def test_periodic_notifications(base: str, http: requests.Session, httpserver: HTTPServer, uid: str) -> None:
    tenant = f"p{uid}"
    h = _headers(tenant)
    inbox = Inbox(httpserver, f"/periodic/{uid}")
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    http.post(base + E, json=_entity(eid, temp=1), headers=h)
    _subscribe(
        http,
        base,
        h,
        {
            "entities": [{"type": "Sensor"}],
            "timeInterval": 1,
            "notification": {"endpoint": {"uri": inbox.url}, "format": "keyValues"},
        },
    )
    items = inbox.wait(2, timeout=4)
    assert len(items) >= 2
    assert items[0]["body"]["data"] == [{"id": eid, "type": "Sensor", "temp": 1}]
    assert 0.7 < items[1]["at"] - items[0]["at"] < 1.6


def test_unreachable_endpoint_is_recorded(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str
) -> None:
    tenant = f"u{uid}"
    h = _headers(tenant)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    loc = _subscribe(
        http,
        base,
        h,
        {
            "entities": [{"type": "Sensor"}],
            "notification": {"endpoint": {"uri": f"http://127.0.0.1:{port}/none"}},
        },
    )
    failing = Inbox(httpserver, f"/fail/{uid}", status=500)
    loc2 = _subscribe(
        http, base, h, {"entities": [{"type": "Sensor"}], "notification": {"endpoint": {"uri": failing.url}}}
    )
    got = http.get(base + loc, headers=h).json()["notification"]
    assert "lastFailure" not in got and "timesSent" not in got
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    assert http.post(base + E, json=_entity(eid, temp=1), headers=h).status_code == 201
    failing.wait(1)
    deadline = time.time() + 3
    while time.time() < deadline:
        n1 = http.get(base + loc, headers=h).json()["notification"]
        n2 = http.get(base + loc2, headers=h).json()["notification"]
        if n1.get("lastFailure") and n2.get("lastFailure"):
            break
        time.sleep(0.05)
    for n in (n1, n2):
        assert n["status"] == "failed" and n["timesFailed"] == 1 and n["timesSent"] == 1
        assert n["lastFailure"] and n["lastNotification"] and "lastSuccess" not in n
    assert http.get(f"{base}{E}/{eid}", headers=h).status_code == 200


def test_subscription_list_pagination(base: str, http: requests.Session, uid: str) -> None:
    h = _headers(f"pg{uid}")
    ids = []
    for n in range(5):
        ids.append(f"urn:ngsi-ld:Subscription:{uid}:{n}")
        _subscribe(
            http,
            base,
            h,
            {
                "id": ids[-1],
                "entities": [{"type": "Sensor"}],
                "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x"}},
            },
        )
    resp = http.get(base + S, params={"limit": 2, "offset": 2, "count": "true"}, headers=h)
    assert [s["id"] for s in resp.json()] == ids[2:4]
    assert resp.headers["NGSILD-Results-Count"] == "5"
    links = resp.headers["Link"]
    assert 'rel="next"' in links and 'rel="prev"' in links
    assert http.get(base + S, params={"limit": 2000}, headers=h).status_code == 403
    assert http.get(base + S, params={"limit": "x"}, headers=h).status_code == 400


@pytest.mark.parametrize("fmt", ["normalized", "concise", "keyValues"])
def test_formats(base: str, http: requests.Session, httpserver: HTTPServer, uid: str, fmt: str) -> None:
    tenant = f"f{fmt[:3]}{uid}"
    h = _headers(tenant)
    inbox = Inbox(httpserver, f"/fmt/{fmt}/{uid}")
    _subscribe(
        http,
        base,
        h,
        {"entities": [{"type": "Sensor"}], "notification": {"endpoint": {"uri": inbox.url}, "format": fmt}},
    )
    eid = f"urn:ngsi-ld:Sensor:{uid}"
    http.post(base + E, json=_entity(eid, temp=7), headers=h)
    data = inbox.wait(1)[0]["body"]["data"][0]
    expected = {"normalized": {"type": "Property", "value": 7}, "concise": 7, "keyValues": 7}[fmt]
    assert data["temp"] == expected


def test_csource_registration_subscriptions(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str
) -> None:
    tenant = f"cs{uid}"
    h = _headers(tenant)
    inbox = Inbox(httpserver, f"/csr/{uid}")
    regs = "/ngsi-ld/v1/csourceRegistrations"
    first = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}:1",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "Vehicle"}], "propertyNames": ["speed"]}],
        "endpoint": "http://127.0.0.1:9/src",
    }
    assert http.post(base + regs, json=first, headers=h).status_code == 201
    body = {
        "type": "Subscription",
        "entities": [{"type": "Vehicle"}],
        "watchedAttributes": ["speed"],
        "notification": {"endpoint": {"uri": inbox.url}},
    }
    resp = http.post(base + "/ngsi-ld/v1/csourceSubscriptions", json=body, headers=h)
    assert resp.status_code == 201, resp.text
    loc = resp.headers["Location"]
    assert loc.startswith("/ngsi-ld/v1/csourceSubscriptions/")
    assert http.get(base + loc, headers=h).json()["watchedAttributes"] == ["speed"]
    initial = inbox.wait(1)[0]["body"]
    assert initial["type"] == "ContextSourceNotification" and initial["triggerReason"] == "newlyMatching"
    assert [r["id"] for r in initial["data"]] == [first["id"]]
    other = {
        **first,
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}:2",
        "information": [{"entities": [{"type": "Building"}]}],
    }
    assert http.post(base + regs, json=other, headers=h).status_code == 201
    assert (
        http.patch(
            f"{base}{regs}/{first['id']}", json={"endpoint": "http://127.0.0.1:9/b"}, headers=h
        ).status_code
        == 204
    )
    assert http.delete(f"{base}{regs}/{first['id']}", headers=h).status_code == 204
    items = inbox.wait(3)
    assert [i["body"]["triggerReason"] for i in items] == ["newlyMatching", "updated", "noLongerMatching"]
    assert items[1]["body"]["data"][0]["endpoint"] == "http://127.0.0.1:9/b"
    assert len(inbox.quiet(0.3)) == 3
    assert [s["id"] for s in http.get(base + "/ngsi-ld/v1/csourceSubscriptions", headers=h).json()] == [
        loc.rsplit("/", 1)[1]
    ]
    assert http.get(base + S, headers=h).json() == []
    assert http.delete(base + loc, headers=h).status_code == 204
    assert http.get(base + loc, headers=h).status_code == 404


def test_subscription_terms_are_expanded(base: str, http: requests.Session, uid: str) -> None:
    tenant = f"ex{uid}"
    ctx = [{"Vehicle": "https://example.org/Vehicle", "speed": "https://example.org/speed"}]
    body = {
        "type": "Subscription",
        "entities": [{"type": "Vehicle"}],
        "watchedAttributes": ["speed"],
        "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x"}, "attributes": ["speed"]},
        "@context": ctx,
    }
    resp = http.post(base + S, data=json.dumps(body), headers={**LDJSON, "NGSILD-Tenant": tenant})
    assert resp.status_code == 201, resp.text
    loc = resp.headers["Location"]
    plain = http.get(base + loc, headers={"NGSILD-Tenant": tenant}).json()
    assert plain["entities"] == [{"type": "https://example.org/Vehicle"}]
    assert plain["watchedAttributes"] == ["https://example.org/speed"]
    assert plain["notification"]["attributes"] == ["https://example.org/speed"]
    compact = http.get(base + loc, headers={"NGSILD-Tenant": tenant, "Accept": "application/ld+json"}).json()
    assert compact["entities"] == [{"type": "https://example.org/Vehicle"}]


def test_geojson_notification(base: str, http: requests.Session, httpserver: HTTPServer, uid: str) -> None:
    tenant = f"gj{uid}"
    h = _headers(tenant)
    inbox = Inbox(httpserver, f"/geo/{uid}")
    _subscribe(
        http,
        base,
        h,
        {
            "entities": [{"type": "Sensor"}],
            "geoQ": {"georel": "near;maxDistance==2000", "geometry": "Point", "coordinates": [2, 48]},
            "notification": {"endpoint": {"uri": inbox.url, "accept": "application/geo+json"}},
        },
    )
    far = {
        "id": f"urn:ngsi-ld:Sensor:{uid}:far",
        "type": "Sensor",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [3, 48]}},
    }
    near = {
        "id": f"urn:ngsi-ld:Sensor:{uid}:near",
        "type": "Sensor",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.001, 48]}},
    }
    http.post(base + E, json=far, headers=h)
    http.post(base + E, json=near, headers=h)
    items = inbox.wait(1)
    assert len(inbox.quiet(0.3)) == 1
    assert items[0]["headers"]["content-type"].startswith("application/geo+json")
    data = items[0]["body"]["data"]
    assert data["type"] == "FeatureCollection" and "@context" in data
    assert data["features"][0]["id"] == near["id"]
    assert data["features"][0]["geometry"] == {"type": "Point", "coordinates": [2.001, 48]}


def test_subscription_update_fragments(base: str, http: requests.Session, uid: str) -> None:
    h = _headers(f"up{uid}")
    loc = _subscribe(
        http,
        base,
        h,
        {
            "entities": [{"type": "Sensor"}],
            "q": "temp>1",
            "throttling": 5,
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x"}},
        },
    )
    url = base + loc
    assert http.patch(url, json={"q": None, "throttling": "urn:ngsi-ld:null"}, headers=h).status_code == 204
    got = http.get(url, headers=h).json()
    assert "q" not in got and "throttling" not in got
    assert http.patch(url, json={"notification": {"format": "keyValues"}}, headers=h).status_code == 204
    got = http.get(url, headers=h).json()
    assert got["notification"]["format"] == "keyValues" and got["notification"]["endpoint"]["uri"].endswith(
        "/x"
    )
    assert http.patch(url, json={"entities": None}, headers=h).status_code == 400  # nothing left to watch
    assert http.patch(url, json={"id": "urn:x:other"}, headers=h).status_code == 400
    assert http.patch(url, json={"q": "(("}, headers=h).status_code == 400
    assert http.patch(url, json={}, headers=h).status_code == 400
    assert http.patch(base + S + "/urn:x:none", json={"q": "a>1"}, headers=h).status_code == 404
