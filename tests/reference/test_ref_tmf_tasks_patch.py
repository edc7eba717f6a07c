"""Reference: TMF652 cancelResourceOrder (task resource) and RFC 6902 JSON Patch on the v4 APIs."""

from __future__ import annotations

import requests

ROR = "/tmf-api/resourceOrderingManagement/v4"
PO = "/tmf-api/productCatalogManagement/v4/productOffering"
JP = {"Content-Type": "application/json-patch+json"}


def test_cancel_resource_order(base: str, http: requests.Session, uid: str) -> None:
    order = http.post(base + ROR + "/resourceOrder", json={"description": uid})
    assert order.status_code == 201, order.text
    order_id = order.json()["id"]
    task = http.post(base + ROR + "/cancelResourceOrder", json={"resourceOrder": {"id": order_id}})
    assert task.status_code == 201, task.text
    body = task.json()
    assert body["state"] == "done" and body["resourceOrder"]["id"] == order_id
    got = http.get(base + ROR + "/cancelResourceOrder/" + body["id"])
    assert got.status_code == 200 and got.json()["id"] == body["id"]
    listed = http.get(base + ROR + "/cancelResourceOrder", params={"id": body["id"]})
    assert [i["id"] for i in listed.json()] == [body["id"]]
    assert http.get(base + ROR + "/resourceOrder/" + order_id).json()["state"] == "cancelled"
    # a second cancellation cannot apply: the task ends in error, the order stays cancelled
    again = http.post(base + ROR + "/cancelResourceOrder", json={"resourceOrder": {"id": order_id}})
    assert again.status_code == 201 and again.json()["state"] == "terminatedWithError"
    missing = http.post(base + ROR + "/cancelResourceOrder", json={"resourceOrder": {"id": "no-" + uid}})
    assert missing.status_code == 400
    assert http.patch(base + ROR + "/cancelResourceOrder/" + body["id"], json={}).status_code == 405


def test_json_patch_operations(base: str, http: requests.Session, uid: str) -> None:
    created = http.post(base + PO, json={"name": uid, "description": "d", "version": "1.0"}).json()
    url = base + PO + "/" + created["id"]
    ops = [
        {"op": "replace", "path": "/version", "value": "2.0"},
        {"op": "remove", "path": "/description"},
        {"op": "add", "path": "/isBundle", "value": False},
        {"op": "test", "path": "/name", "value": uid},
    ]
    resp = http.patch(url, json=ops, headers=JP)
    assert resp.status_code == 200, resp.text
    body = http.get(url).json()
    assert body["version"] == "2.0" and "description" not in body and body["isBundle"] is False
    # malformed documents and operations that cannot apply: 400, nothing changed
    for bad in ({"op": "replace"}, [{"op": "frobnicate", "path": "/x"}], [{"op": "remove", "path": "/nope"}]):
        assert http.patch(url, json=bad, headers=JP).status_code == 400, bad
    assert (
        http.patch(url, json=[{"op": "replace", "path": "/id", "value": "x"}], headers=JP).status_code == 400
    )
    failed_test = [
        {"op": "replace", "path": "/version", "value": "3"},
        {"op": "test", "path": "/name", "value": "x"},
    ]
    assert http.patch(url, json=failed_test, headers=JP).status_code == 409
    assert http.get(url).json()["version"] == "2.0"
