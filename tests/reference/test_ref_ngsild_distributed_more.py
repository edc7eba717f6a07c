"""Distributed writes (clauses 4.3.6.2, 4.20, 6.3.17, 6.3.18): Delete Entity, Update and Append Entity
Attributes passed on to a registered context source (a second reference broker) per `operations`; and
notification.join / joinLevel applied to notified entities (clause 4.5.23, NotificationParams)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from conftest import RunningServer
from pytest_httpserver import HTTPServer
from ref_support import JSON, E
from test_ref_ngsild_notifications import Inbox

R = "/ngsi-ld/v1/csourceRegistrations"


@pytest.fixture(scope="module")
def source() -> Iterator[RunningServer]:
    running = RunningServer()
    yield running
    running.stop()


def _setup(
    base: str, http: requests.Session, source: RunningServer, uid: str, **reg_members: object
) -> tuple[str, dict[str, str], dict[str, str]]:
    h = {**JSON, "NGSILD-Tenant": f"dw{uid}"}
    src_h = {**JSON, "NGSILD-Tenant": f"dws{uid}"}
    eid = f"urn:ngsi-ld:Pump:{uid}"
    entity = {"id": eid, "type": "Pump", "flow": {"type": "Property", "value": 1}}
    assert http.post(source.url + E, json=entity, headers=src_h).status_code == 201
    assert http.post(base + E, json=entity, headers=h).status_code == 201
    reg = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:w{uid}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "Pump", "id": eid}]}],
        "endpoint": source.url,
        "tenant": f"dws{uid}",
        **reg_members,
    }
    assert http.post(base + R, json=reg, headers=h).status_code == 201
    return eid, h, src_h


def _flow(http: requests.Session, url: str, h: dict[str, str]) -> object:
    return http.get(url, params={"local": "true", "options": "keyValues"}, headers=h).json().get("flow")


def test_writes_passed_on_per_operations(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    eid, h, src_h = _setup(base, http, source, uid, operations=["redirectionOps"])
    patch = {"flow": {"type": "Property", "value": 7}}
    assert http.patch(f"{base}{E}/{eid}/attrs", json=patch, headers=h).status_code == 204
    assert _flow(http, f"{base}{E}/{eid}", h) == 7
    assert _flow(http, f"{source.url}{E}/{eid}", src_h) == 7
    # local=true: only the local entity changes
    patch = {"flow": {"type": "Property", "value": 8}}
    resp = http.patch(f"{base}{E}/{eid}/attrs", json=patch, params={"local": "true"}, headers=h)
    assert resp.status_code == 204
    assert _flow(http, f"{base}{E}/{eid}", h) == 8
    assert _flow(http, f"{source.url}{E}/{eid}", src_h) == 7
    assert http.delete(f"{base}{E}/{eid}", headers=h).status_code == 204
    assert http.get(f"{source.url}{E}/{eid}", headers=src_h).status_code == 404
    assert http.get(f"{base}{E}/{eid}", params={"local": "true"}, headers=h).status_code == 404


@pytest.mark.parametrize("operations", [None, ["retrieveOps"], ["updateOps"]])
def test_delete_not_passed_on_without_the_operation(
    base: str, http: requests.Session, source: RunningServer, uid: str, operations: list[str] | None
) -> None:
    members = {"operations": operations} if operations else {}
    eid, h, src_h = _setup(base, http, source, uid, **members)
    assert http.delete(f"{base}{E}/{eid}", headers=h).status_code == 204
    assert http.get(f"{source.url}{E}/{eid}", headers=src_h).status_code == 200


def test_failed_source_answers_multi_status(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    eid, h, _ = _setup(base, http, source, uid, operations=["redirectionOps"])
    reg_id = f"urn:ngsi-ld:ContextSourceRegistration:w{uid}"
    patch = {"endpoint": "http://127.0.0.1:9/nothing-here"}
    assert http.patch(f"{base}{R}/{reg_id}", json=patch, headers=h).status_code == 204
    resp = http.post(f"{base}{E}/{eid}/attrs", json={"level": {"type": "Property", "value": 3}}, headers=h)
    assert resp.status_code == 207
    body = resp.json()
    assert body["success"] == [eid]
    assert body["errors"][0]["entityId"] == eid and body["errors"][0]["registrationId"] == reg_id
    assert body["errors"][0]["error"]["type"].startswith("https://uri.etsi.org/ngsi-ld/errors/")
    got = http.get(f"{base}{E}/{eid}", params={"local": "true", "options": "keyValues"}, headers=h).json()
    assert got["level"] == 3


@pytest.mark.parametrize(("join", "level"), [("inline", 1), ("inline", 2), ("flat", 1), ("flat", 2)])
def test_notification_join(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str, join: str, level: int
) -> None:
    h = {**JSON, "NGSILD-Tenant": f"nj{uid}{join}{level}"}
    leaf, part, root = (f"urn:ngsi-ld:Node:{uid}:{n}" for n in ("leaf", "part", "root"))
    for eid, target in ((leaf, None), (part, leaf), (root, part)):
        entity: dict = {"id": eid, "type": "Node", "n": {"type": "Property", "value": 1}}
        if target:
            entity["has"] = {"type": "Relationship", "object": target}
        assert http.post(base + E, json=entity, headers=h).status_code == 201
    inbox = Inbox(httpserver, f"/join/{uid}/{join}/{level}")
    sub = {
        "type": "Subscription",
        "entities": [{"id": root, "type": "Node"}],
        "watchedAttributes": ["n"],
        "notification": {"endpoint": {"uri": inbox.url}, "join": join, "joinLevel": level},
    }
    assert http.post(base + "/ngsi-ld/v1/subscriptions", json=sub, headers=h).status_code == 201
    assert (
        http.patch(
            f"{base}{E}/{root}/attrs", json={"n": {"type": "Property", "value": 2}}, headers=h
        ).status_code
        == 204
    )
    data = inbox.wait(1)[-1]["body"]["data"]
    if join == "flat":
        assert [d["id"] for d in data] == [root, part] + ([leaf] if level == 2 else [])
        assert "entity" not in data[0]["has"]
        return
    assert len(data) == 1
    inner = data[0]["has"]["entity"]
    assert inner["id"] == part
    assert ("entity" in inner["has"]) == (level == 2)


def test_csf_selects_registrations(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    h = {**JSON, "NGSILD-Tenant": f"csf{uid}"}
    for group in ("a", "b"):
        src_h = {**JSON, "NGSILD-Tenant": f"csf{uid}{group}"}
        remote = {
            "id": f"urn:ngsi-ld:Tank:{uid}:{group}",
            "type": "Tank",
            "level": {"type": "Property", "value": 1},
        }
        assert http.post(source.url + E, json=remote, headers=src_h).status_code == 201
        reg = {
            "type": "ContextSourceRegistration",
            "information": [{"entities": [{"type": "Tank"}]}],
            "endpoint": source.url,
            "tenant": f"csf{uid}{group}",
            "group": group,
        }
        assert http.post(base + R, json=reg, headers=h).status_code == 201
    both = http.get(base + E, params={"type": "Tank"}, headers=h).json()
    assert sorted(e["id"] for e in both) == [f"urn:ngsi-ld:Tank:{uid}:a", f"urn:ngsi-ld:Tank:{uid}:b"]
    only_b = http.get(base + E, params={"type": "Tank", "csf": 'group=="b"'}, headers=h).json()
    assert [e["id"] for e in only_b] == [f"urn:ngsi-ld:Tank:{uid}:b"]


def test_cooldown_and_local_only(base: str, http: requests.Session, source: RunningServer, uid: str) -> None:
    eid, h, src_h = _setup(
        base,
        http,
        source,
        uid,
        operations=["redirectionOps"],
        management={"localOnly": True, "cooldown": 60000},
    )
    patch = {"flow": {"type": "Property", "value": 3}}
    assert http.patch(f"{base}{E}/{eid}/attrs", json=patch, headers=h).status_code == 204
    assert _flow(http, f"{source.url}{E}/{eid}", src_h) == 3  # passed on (with local=true, accepted)
    reg_id = f"urn:ngsi-ld:ContextSourceRegistration:w{uid}"
    assert (
        http.patch(f"{base}{R}/{reg_id}", json={"endpoint": "http://127.0.0.1:9/x"}, headers=h).status_code
        == 204
    )
    assert http.patch(f"{base}{E}/{eid}/attrs", json=patch, headers=h).status_code == 207
    failed = http.get(f"{base}{R}/{reg_id}", headers=h).json()
    assert failed["status"] == "failed" and failed["timesSent"] == 2
    # within the cooldown: not asked (timesSent unchanged), the error stands for its answer
    assert http.patch(f"{base}{E}/{eid}/attrs", json=patch, headers=h).status_code == 207
    assert http.get(f"{base}{R}/{reg_id}", headers=h).json()["timesSent"] == 2
