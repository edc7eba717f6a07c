"""TMF633, 634, 652, 670, 676 v4 on the reference platform (reference/tmf/specs_more.py)."""

from __future__ import annotations

import pytest
import requests

MP = {"Content-Type": "application/merge-patch+json"}
PAY = {"account": {"id": "a-1"}, "paymentMethod": {"id": "pm-1"}, "totalAmount": {"unit": "EUR", "value": 1}}

# path, @type of the created resource, a valid body, bodies that miss or break a mandatory attribute
CASES = [
    ("/tmf-api/serviceCatalogManagement/v4/serviceCatalog", "ServiceCatalog", {"name": "c"}, [{}]),
    ("/tmf-api/serviceCatalogManagement/v4/serviceCategory", "ServiceCategory", {"name": "c"}, [{}]),
    (
        "/tmf-api/serviceCatalogManagement/v4/serviceCandidate",
        "ServiceCandidate",
        {"name": "c", "serviceSpecification": {"id": "ss-1"}},
        [{"name": "c"}, {"serviceSpecification": {"id": "ss-1"}}, {"name": "c", "serviceSpecification": "x"}],
    ),
    (
        "/tmf-api/serviceCatalogManagement/v4/serviceSpecification",
        "ServiceSpecification",
        {"name": "s"},
        [{}],
    ),
    ("/tmf-api/resourceCatalog/v4/resourceCatalog", "ResourceCatalog", {"name": "c"}, [{}]),
    ("/tmf-api/resourceCatalog/v4/resourceCategory", "ResourceCategory", {"name": "c"}, [{}]),
    ("/tmf-api/resourceCatalog/v4/resourceCandidate", "ResourceCandidate", {"name": "c"}, [{"version": "1"}]),
    ("/tmf-api/resourceCatalog/v4/resourceSpecification", "ResourceSpecification", {"name": "s"}, [{}]),
    (
        "/tmf-api/resourceOrderingManagement/v4/resourceOrder",
        "ResourceOrder",
        {"description": "d", "orderItem": [{"id": "1", "action": "add"}]},
        [{"orderItem": {"id": "1"}}],
    ),
    (
        "/tmf-api/paymentMethod/v4/paymentMethod",
        "Cash",
        {"@type": "Cash", "name": "m"},
        [{"name": "m"}, {"@type": "Cash"}, {"@type": "Cash", "name": 1}],
    ),
]


def _error(resp: requests.Response, status: int) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert {"code", "reason"} <= set(body)
    assert body["code"] == str(status)


@pytest.mark.parametrize("path,type_,good,bad", CASES, ids=[c[0].split("/")[-1] for c in CASES])
def test_crud(
    base: str, http: requests.Session, uid: str, path: str, type_: str, good: dict, bad: list
) -> None:
    url = base + path
    for body in bad:
        _error(http.post(url, json=body), 400)
    resp = http.post(url, json={**good, "externalId": uid})
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["href"] == f"{url}/{created['id']}" and created["@type"] == type_
    assert http.get(f"{url}/{created['id']}").json() == created
    listed = http.get(url, params={"externalId": uid, "fields": "externalId"})
    assert [set(r) for r in listed.json()] == [{"id", "href", "@type", "externalId"}]
    patched = http.patch(
        f"{url}/{created['id']}", json={"description": "new", "externalId": None}, headers=MP
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "new" and "externalId" not in patched.json()
    _error(http.patch(f"{url}/{created['id']}", json={"id": "x"}, headers=MP), 400)
    assert http.delete(f"{url}/{created['id']}").status_code == 204
    _error(http.get(f"{url}/{created['id']}"), 404)


def test_payment_method_type_is_not_defaulted(base: str, http: requests.Session) -> None:
    """TMF670: PaymentMethod_Create requires @type (both v4.0.0 files); the reference used to default it."""
    url = base + "/tmf-api/paymentMethod/v4/paymentMethod"
    _error(http.post(url, json={"name": "no type"}), 400)
    made = http.post(url, json={"@type": "BankCard", "name": "card"}).json()
    _error(http.patch(f"{url}/{made['id']}", json={"@type": None}, headers=MP), 400)


def test_resource_order_state_machine(base: str, http: requests.Session) -> None:
    url = base + "/tmf-api/resourceOrderingManagement/v4/resourceOrder"
    made = http.post(url, json={"state": "completed"}).json()
    assert made["state"] == "acknowledged" and made["orderDate"].endswith("Z")
    item = f"{url}/{made['id']}"
    _error(http.patch(item, json={"state": "shipped"}, headers=MP), 400)
    _error(http.patch(item, json={"state": "completed"}, headers=MP), 409)
    for state in ("inProgress", "held", "inProgress", "completed"):
        resp = http.patch(item, json={"state": state}, headers=MP)
        assert resp.status_code == 200 and resp.json()["state"] == state
    assert "completionDate" in http.get(item).json()
    _error(http.patch(item, json={"state": "inProgress"}, headers=MP), 409)
    _error(http.patch(item, json={"orderDate": "2000-01-01T00:00:00Z"}, headers=MP), 400)


def test_catalog_lifecycle_status(base: str, http: requests.Session) -> None:
    url = base + "/tmf-api/resourceCatalog/v4/resourceSpecification"
    made = http.post(url, json={"name": "s", "lifecycleStatus": "In study"}).json()
    for status in ("In design", "In test", "Active", "Retired"):
        resp = http.patch(f"{url}/{made['id']}", json={"lifecycleStatus": status}, headers=MP)
        assert resp.status_code == 200 and resp.json()["lifecycleStatus"] == status
    assert http.get(f"{url}/{made['id']}").json()["lifecycleStatus"] == "Retired"


@pytest.mark.parametrize("root", ["/tmf-api/payment/v4", "/payment/v4"])
@pytest.mark.parametrize("name,type_", [("payment", "Payment"), ("refund", "Refund")])
def test_payments_are_create_and_read_only(
    base: str, http: requests.Session, uid: str, root: str, name: str, type_: str
) -> None:
    url = f"{base}{root}/{name}"
    for missing in PAY:
        _error(http.post(url, json={k: v for k, v in PAY.items() if k != missing}), 400)
    made = http.post(url, json={**PAY, "correlatorId": uid})
    assert made.status_code == 201, made.text
    created = made.json()
    assert created["@type"] == type_ and created["href"] == f"{url}/{created['id']}"
    assert http.get(f"{url}/{created['id']}").json() == created
    assert [r["id"] for r in http.get(url, params={"correlatorId": uid}).json()] == [created["id"]]
    _error(http.get(f"{url}/unknown-{uid}"), 404)
    _error(http.patch(f"{url}/{created['id']}", json={"description": "x"}, headers=MP), 405)
    _error(http.delete(f"{url}/{created['id']}"), 405)
