"""TMF622 productOrder / TMF641 serviceOrder state machines and cancellation on the reference platform."""

from __future__ import annotations

import pytest
import requests

MP = {"Content-Type": "application/merge-patch+json"}
PO = "/tmf-api/productOrderingManagement/v4"
SO = "/tmf-api/serviceOrdering/v4"
ORDERS = [
    (PO, "productOrder", {"productOrderItem": [{"id": "1", "action": "add"}]}),
    (SO, "serviceOrder", {"serviceOrderItem": [{"id": "1", "action": "add", "service": {"name": "s"}}]}),
]


def _new(base: str, http: requests.Session, api: str, res: str, body: dict) -> dict:
    resp = http.post(f"{base}{api}/{res}", json={**body, "state": "completed"})
    assert resp.status_code == 201, resp.text
    return resp.json()


def _state(http: requests.Session, url: str, state: str) -> requests.Response:
    return http.patch(url, json={"state": state}, headers=MP)


@pytest.mark.parametrize("api,res,body", ORDERS, ids=["TMF622", "TMF641"])
def test_initial_state_and_transitions(
    base: str, http: requests.Session, api: str, res: str, body: dict
) -> None:
    order = _new(base, http, api, res, body)
    assert order["state"] == "acknowledged"  # the client's state is not taken
    assert order["orderDate"].endswith("Z")
    url = order["href"]
    resp = _state(http, url, "completed")
    assert resp.status_code == 409 and resp.json()["status"] == "409"
    resp = _state(http, url, "bogus")
    assert resp.status_code == 400
    for state in ("inProgress", "held", "inProgress", "completed"):
        resp = _state(http, url, state)
        assert resp.status_code == 200, resp.text
        assert resp.json()["state"] == state
    assert resp.json()["completionDate"].endswith("Z")
    assert _state(http, url, "inProgress").status_code == 409
    assert http.patch(url, json={"state": None}, headers=MP).status_code == 400
    assert http.patch(url, json={"orderDate": "2000-01-01T00:00:00Z"}, headers=MP).status_code == 400
    # a PATCH without a state change is no transition
    assert http.patch(url, json={"description": "done"}, headers=MP).status_code == 200
    listed = http.get(f"{base}{api}/{res}", params={"state": "completed", "id": order["id"]}).json()
    assert [o["id"] for o in listed] == [order["id"]]


@pytest.mark.parametrize("api,res,body", ORDERS, ids=["TMF622", "TMF641"])
def test_rejected_and_cancellation_path(
    base: str, http: requests.Session, api: str, res: str, body: dict
) -> None:
    rejected = _new(base, http, api, res, body)
    assert _state(http, rejected["href"], "rejected").status_code == 200
    assert _state(http, rejected["href"], "inProgress").status_code == 409
    order = _new(base, http, api, res, body)
    for state in ("inProgress", "assessingCancellation", "pendingCancellation", "cancelled"):
        resp = _state(http, order["href"], state)
        assert resp.status_code == 200, resp.text
    assert resp.json()["cancellationDate"].endswith("Z")


@pytest.mark.parametrize("api,res,body", ORDERS, ids=["TMF622", "TMF641"])
def test_cancel_order_task(base: str, http: requests.Session, api: str, res: str, body: dict) -> None:
    cancel = "cancel" + res[0].upper() + res[1:]
    order = _new(base, http, api, res, body)
    resp = http.post(
        f"{base}{api}/{cancel}", json={res: {"id": order["id"]}, "cancellationReason": "changed mind"}
    )
    assert resp.status_code == 201, resp.text
    task = resp.json()
    assert task["state"] == "done" and task["href"] == f"{base}{api}/{cancel}/{task['id']}"
    assert task["@type"] == "C" + cancel[1:]
    got = http.get(order["href"]).json()
    assert got["state"] == "cancelled" and got["cancellationReason"] == "changed mind"
    assert http.get(task["href"]).json() == task
    assert [t["id"] for t in http.get(f"{base}{api}/{cancel}", params={"id": task["id"]}).json()] == [
        task["id"]
    ]
    # an order in a final state cannot be cancelled: the task ends in terminatedWithError
    again = http.post(f"{base}{api}/{cancel}", json={res: {"id": order["id"]}}).json()
    assert again["state"] == "terminatedWithError"
    assert http.post(f"{base}{api}/{cancel}", json={}).status_code == 400
    assert http.post(f"{base}{api}/{cancel}", json={res: {"id": "missing"}}).status_code == 400
    assert http.delete(task["href"]).status_code == 405
    assert http.patch(task["href"], json={}, headers=MP).status_code == 405
