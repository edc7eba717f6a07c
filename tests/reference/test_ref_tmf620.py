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


MP = {"Content-Type": "application/merge-patch+json"}
CATALOG = "/tmf-api/productCatalogManagement/v4"


def test_all_catalog_resources(base: str, http: requests.Session, uid: str) -> None:
    for path, type_ in [
        ("catalog", "Catalog"),
        ("category", "Category"),
        ("productSpecification", "ProductSpecification"),
        ("productOfferingPrice", "ProductOfferingPrice"),
    ]:
        url = f"{base}{CATALOG}/{path}"
        resp = http.post(url, json={"name": f"n{uid}", "lifecycleStatus": "In design"})
        assert resp.status_code == 201, resp.text
        created = resp.json()
        assert created["@type"] == type_ and created["href"] == f"{url}/{created['id']}"
        assert resp.headers["Location"] == created["href"]
        _error(http.post(url, json={"lifecycleStatus": "Active"}), 400)
        got = http.get(f"{url}/{created['id']}")
        assert got.status_code == 200 and got.json() == created
        assert http.delete(f"{url}/{created['id']}").status_code == 204
    _error(http.get(f"{base}{CATALOG}/nothing"), 404)


def test_partial_content_and_operators(base: str, http: requests.Session, uid: str) -> None:
    for i in range(4):
        _create(
            base, http, name=f"S{i}", version=uid, rank=i, validFor={"startDateTime": f"2024-0{i + 1}-01"}
        )
    whole = http.get(base + PO, params={"version": uid, "limit": 10})
    assert whole.status_code == 200 and whole.headers["X-Result-Count"] == "4"
    part = http.get(base + PO, params={"version": uid, "limit": 3})
    assert part.status_code == 206
    assert part.headers["X-Total-Count"] == "4" and part.headers["X-Result-Count"] == "3"
    gt = http.get(base + PO, params={"version": uid, "rank.gt": "1"}).json()
    assert sorted(r["name"] for r in gt) == ["S2", "S3"]
    lte = http.get(base + PO, params={"version": uid, "validFor.startDateTime.lte": "2024-02-01"}).json()
    assert sorted(r["name"] for r in lte) == ["S0", "S1"]
    ne = http.get(base + PO, params={"version": uid, "name.ne": "S0,S1"}).json()
    assert sorted(r["name"] for r in ne) == ["S2", "S3"]
    alt = http.get(base + PO, params={"version": uid, "name": "S0,S3"}).json()
    assert sorted(r["name"] for r in alt) == ["S0", "S3"]
    desc = http.get(base + PO, params={"version": uid, "sort": "-rank"}).json()
    assert [r["name"] for r in desc] == ["S3", "S2", "S1", "S0"]
    nested = http.get(base + PO, params={"version": uid, "fields": "validFor.startDateTime"}).json()
    assert nested[0]["validFor"] == {"startDateTime": "2024-01-01"}
    assert set(nested[0]) == {"id", "href", "@type", "validFor"}
    empty = http.get(base + PO, params={"version": uid, "name": "none-such"})
    assert empty.status_code == 200 and empty.json() == [] and empty.headers["X-Total-Count"] == "0"


def test_patch_rules(base: str, http: requests.Session) -> None:
    created = _create(base, http, name="P", lifecycleStatus="In study", description="x")
    url = f"{base}{PO}/{created['id']}"
    _error(http.patch(url, json={"href": "http://elsewhere/1"}, headers=MP), 400)
    _error(http.patch(url, json={"lastUpdate": "2020-01-01T00:00:00Z"}, headers=MP), 400)
    _error(http.patch(url, json={"name": None}, headers=MP), 400)
    _error(http.patch(url, json={"lifecycleStatus": 3}, headers=MP), 400)
    # id/href unchanged are tolerated; null removes; plain application/json is read as a merge patch
    resp = http.patch(url, json={"id": created["id"], "description": None, "lifecycleStatus": "Launched"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert "description" not in body and body["lifecycleStatus"] == "Launched"
    assert body["lastUpdate"] >= created["lastUpdate"]
    # JSON Patch (RFC 6902): an empty document changes nothing; an object is malformed (400)
    resp = http.patch(url, json=[], headers={"Content-Type": "application/json-patch+json"})
    assert resp.status_code == 200, resp.text
    _error(http.patch(url, json={}, headers={"Content-Type": "application/json-patch+json"}), 400)
    resp = http.patch(url, json={}, headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415
    resp = http.put(url, json={"name": "x"})
    _error(resp, 405)
