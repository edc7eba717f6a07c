"""TMF620 v4 productOffering (MIM3) on the reference platform."""

from __future__ import annotations

import requests

PO = "/tmf-api/productCatalogManagement/v4/productOffering"


def _create(base: str, http: requests.Session, **body: object) -> dict:
    resp = http.post(base + PO, json=body)
    assert resp.status_code == 201, resp.text
    assert resp.headers["Content-Type"] == "application/json;charset=utf-8"
    return resp.json()


def _error(resp: requests.Response, status: int) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert {"code", "reason", "message", "status"} <= set(body)
    assert str(body["status"]) == str(status)


def test_create_and_retrieve(base: str, http: requests.Session, uid: str) -> None:
    created = _create(
        base, http, name=f"Offer {uid}", description="d", isBundle=False, lifecycleStatus="Active"
    )
    assert (
        created["name"] == f"Offer {uid}" and created["description"] == "d" and created["isBundle"] is False
    )
    assert created["id"]
    assert created["href"] == f"{base}{PO}/{created['id']}"
    assert created["@type"] == "ProductOffering"
    assert created["lastUpdate"].endswith("Z")
    got = http.get(f"{base}{PO}/{created['id']}")
    assert got.status_code == 200 and got.json() == created
    custom = _create(base, http, name="x", **{"@type": "SpecialOffering"})
    assert custom["@type"] == "SpecialOffering"


def test_create_errors(base: str, http: requests.Session) -> None:
    _error(http.post(base + PO, json={"description": "no name"}), 400)
    _error(http.post(base + PO, data=b"{bad", headers={"Content-Type": "application/json"}), 400)
    _error(http.post(base + PO, json=[1]), 400)


def test_unknown_404(base: str, http: requests.Session) -> None:
    _error(http.get(f"{base}{PO}/does-not-exist"), 404)
    _error(
        http.patch(
            f"{base}{PO}/does-not-exist",
            json={"name": "x"},
            headers={"Content-Type": "application/merge-patch+json"},
        ),
        404,
    )
    _error(http.delete(f"{base}{PO}/does-not-exist"), 404)


def test_list_fields_filter_paging(base: str, http: requests.Session, uid: str) -> None:
    made = [
        _create(
            base,
            http,
            name=f"P{i}",
            lifecycleStatus="Active" if i % 2 else "Retired",
            category=[{"id": f"cat{uid}"}],
            version=uid,
        )
        for i in range(5)
    ]
    resp = http.get(base + PO, params={"version": uid})
    assert resp.status_code == 200
    assert resp.headers["X-Total-Count"] == "5" and resp.headers["X-Result-Count"] == "5"
    assert [r["id"] for r in resp.json()] == [m["id"] for m in made]
    active = http.get(base + PO, params={"version": uid, "lifecycleStatus": "Active"}).json()
    assert {r["name"] for r in active} == {"P1", "P3"}
    by_cat = http.get(base + PO, params={"category.id": f"cat{uid}"}).json()
    assert len(by_cat) == 5
    page = http.get(base + PO, params={"version": uid, "offset": 1, "limit": 2})
    assert [r["id"] for r in page.json()] == [m["id"] for m in made[1:3]]
    assert page.headers["X-Total-Count"] == "5" and page.headers["X-Result-Count"] == "2"
    fields = http.get(base + PO, params={"version": uid, "fields": "name"}).json()
    assert all(set(r) == {"id", "href", "@type", "name"} for r in fields)
    one = http.get(f"{base}{PO}/{made[0]['id']}", params={"fields": "version"}).json()
    assert set(one) == {"id", "href", "@type", "version"}
    _error(http.get(base + PO, params={"limit": "x"}), 400)


def test_patch_and_delete(base: str, http: requests.Session) -> None:
    created = _create(base, http, name="Before", description="keep", extra={"a": 1, "b": 2})
    url = f"{base}{PO}/{created['id']}"
    resp = http.patch(
        url,
        json={"name": "After", "extra": {"b": None, "c": 3}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == "After" and body["description"] == "keep" and body["extra"] == {"a": 1, "c": 3}
    assert http.get(url).json() == body
    _error(
        http.patch(url, json={"id": "other"}, headers={"Content-Type": "application/merge-patch+json"}), 400
    )
    resp = http.patch(url, data="x", headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415
    assert http.delete(url).status_code == 204
    _error(http.get(url), 404)
