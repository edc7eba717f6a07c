"""TMF622, 629, 632, 637, 638, 639, 641 v4 on the reference platform: generic resource behaviour."""

from __future__ import annotations

import pytest
import requests

MP = {"Content-Type": "application/merge-patch+json"}
ITEM = {"id": "1", "action": "add", "productOffering": {"id": "po-1"}}
SITEM = {"id": "1", "action": "add", "service": {"serviceSpecification": {"id": "ss-1"}}}

# path, @type, a valid body, bodies that miss or break a mandatory attribute
CASES = [
    (
        "/tmf-api/productOrderingManagement/v4/productOrder",
        "ProductOrder",
        {"productOrderItem": [ITEM], "description": "d"},
        [
            {},
            {"productOrderItem": []},
            {"productOrderItem": [{"id": "1"}]},
            {"productOrderItem": [{"action": "add"}]},
        ],
    ),
    (
        "/tmf-api/customerManagement/v4/customer",
        "Customer",
        {"name": "C", "engagedParty": {"id": "p1", "@referredType": "Individual"}},
        [{"name": "C"}, {"engagedParty": {"id": "p1"}}, {"name": "C", "engagedParty": "p1"}],
    ),
    (
        "/tmf-api/party/v4/individual",
        "Individual",
        {"givenName": "Ada", "familyName": "Lovelace", "status": "initialized"},
        [{"givenName": "Ada"}, {"familyName": "L"}, {"givenName": "A", "familyName": "L", "status": "gone"}],
    ),
    (
        "/tmf-api/partyManagement/v4/individual",
        "Individual",
        {"givenName": "Ada", "familyName": "Lovelace"},
        [{"givenName": "Ada"}],
    ),
    (
        "/tmf-api/party/v4/organization",
        "Organization",
        {"tradingName": "ACME", "status": "validated"},
        [{"name": "ACME"}, {"tradingName": "ACME", "status": "open"}],
    ),
    (
        "/tmf-api/productInventory/v4/product",
        "Product",
        {"status": "created", "name": "p"},
        [{"name": "p"}, {"status": "on"}],
    ),
    (
        "/tmf-api/serviceInventory/v4/service",
        "Service",
        {"state": "active", "serviceSpecification": {"id": "ss-1"}},
        [
            {"state": "active"},
            {"serviceSpecification": {"id": "x"}},
            {"state": "up", "serviceSpecification": {"id": "x"}},
        ],
    ),
    (
        "/tmf-api/resourceInventoryManagement/v4/resource",
        "Resource",
        {"name": "r", "resourceStatus": "available", "usageState": "idle"},
        [{"description": "no name"}, {"name": "r", "usageState": "sleepy"}],
    ),
    (
        "/tmf-api/serviceOrdering/v4/serviceOrder",
        "ServiceOrder",
        {"serviceOrderItem": [SITEM]},
        [{}, {"serviceOrderItem": [{"id": "1", "action": "add"}]}],
    ),
]


def _error(resp: requests.Response, status: int) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert {"code", "reason", "message", "status"} <= set(body)
    assert body["status"] == str(status)
    assert resp.headers["Content-Type"] == "application/json;charset=utf-8"


@pytest.mark.parametrize(
    "path,type_,good,bad", CASES, ids=[c[0].split("/")[2] + "/" + c[0].split("/")[-1] for c in CASES]
)
def test_resource_lifecycle(
    base: str, http: requests.Session, uid: str, path: str, type_: str, good: dict, bad: list
) -> None:
    url = base + path
    for body in bad:
        _error(http.post(url, json=body), 400)
    resp = http.post(url, json={**good, "id": "client-id", "externalId": uid})
    assert resp.status_code == 201, resp.text
    assert resp.headers["Content-Type"] == "application/json;charset=utf-8"
    created = resp.json()
    assert created["id"] != "client-id" and created["href"] == f"{url}/{created['id']}"
    assert created["@type"] == type_
    for key, value in good.items():
        assert created[key] == value
    got = http.get(f"{url}/{created['id']}")
    assert got.status_code == 200 and got.json() == created
    _error(http.get(f"{url}/unknown-{uid}"), 404)
    listed = http.get(url, params={"externalId": uid})
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [created["id"]]
    assert listed.headers["X-Total-Count"] == "1" and listed.headers["X-Result-Count"] == "1"
    sel = http.get(url, params={"externalId": uid, "fields": "externalId"}).json()
    assert set(sel[0]) == {"id", "href", "@type", "externalId"}
    patched = http.patch(
        f"{url}/{created['id']}", json={"description": "new", "externalId": None}, headers=MP
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "new" and "externalId" not in patched.json()
    _error(http.patch(f"{url}/{created['id']}", json={"id": "x"}, headers=MP), 400)
    _error(http.patch(f"{url}/{created['id']}", json={"href": "x"}, headers=MP), 400)
    assert http.delete(f"{url}/{created['id']}").status_code == 204
    _error(http.get(f"{url}/{created['id']}"), 404)
    _error(http.delete(f"{url}/{created['id']}"), 404)


def test_mandatory_attributes_cannot_be_patched_away(base: str, http: requests.Session) -> None:
    url = base + "/tmf-api/customerManagement/v4/customer"
    created = http.post(url, json={"name": "C", "engagedParty": {"id": "p"}}).json()
    _error(http.patch(f"{url}/{created['id']}", json={"engagedParty": None}, headers=MP), 400)
    _error(http.patch(f"{url}/{created['id']}", json={"name": None}, headers=MP), 400)
    url = base + "/tmf-api/productInventory/v4/product"
    created = http.post(url, json={"status": "created"}).json()
    _error(http.patch(f"{url}/{created['id']}", json={"status": "nope"}, headers=MP), 400)
    ok = http.patch(f"{url}/{created['id']}", json={"status": "active"}, headers=MP)
    assert ok.status_code == 200 and ok.json()["status"] == "active"


def test_party_alias_and_service_date(base: str, http: requests.Session) -> None:
    made = http.post(base + "/tmf-api/party/v4/organization", json={"tradingName": "T"}).json()
    via_alias = http.get(f"{base}/tmf-api/partyManagement/v4/organization/{made['id']}")
    assert via_alias.status_code == 200
    assert via_alias.json()["href"] == f"{base}/tmf-api/partyManagement/v4/organization/{made['id']}"
    svc_url = base + "/tmf-api/serviceInventory/v4/service"
    svc = http.post(svc_url, json={"state": "designed", "serviceSpecification": {"id": "s"}}).json()
    assert svc["serviceDate"].endswith("Z")
    _error(http.patch(f"{svc_url}/{svc['id']}", json={"serviceDate": "2000-01-01"}, headers=MP), 400)
