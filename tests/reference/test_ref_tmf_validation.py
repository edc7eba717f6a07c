"""TMF attribute validation on the reference platform: a malformed value is a 400, never a server error."""

from __future__ import annotations

import pytest
import requests

MP = {"Content-Type": "application/merge-patch+json"}
PO = "/tmf-api/productOrderingManagement/v4"
PRODUCT = "/tmf-api/productInventory/v4/product"


@pytest.mark.parametrize("value", [[], ["inProgress"], {"a": 1}], ids=["empty-array", "array", "object"])
def test_enumerated_state_of_another_json_type_is_bad_request(
    base: str, http: requests.Session, value: object
) -> None:
    order = http.post(f"{base}{PO}/productOrder", json={"productOrderItem": [{"id": "1", "action": "add"}]})
    assert order.status_code == 201, order.text
    resp = http.patch(order.json()["href"], json={"state": value}, headers=MP)
    assert resp.status_code == 400, resp.text
    resp = http.post(f"{base}{PRODUCT}", json={"status": value})
    assert resp.status_code == 400, resp.text


@pytest.mark.parametrize("action", [["add"], {"a": 1}], ids=["array", "object"])
def test_order_item_action_of_another_json_type_is_bad_request(
    base: str, http: requests.Session, action: object
) -> None:
    resp = http.post(f"{base}{PO}/productOrder", json={"productOrderItem": [{"id": "1", "action": action}]})
    assert resp.status_code == 400, resp.text
