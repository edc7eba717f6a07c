"""The reference's TM Forum v5 APIs (reference/tmf/v5_specs.py): @type mandatory on create and kept,
the v5 mandatory attributes, v5 Error bodies, and v4 and v5 of one API kept apart."""

from __future__ import annotations

import requests

CAT5 = "/tmf-api/productCatalogManagement/v5"
PTY5 = "/tmf-api/partyManagement/v5"
CAT4 = "/tmf-api/productCatalogManagement/v4"


def test_create_requires_type(base: str, http: requests.Session, uid: str) -> None:
    resp = http.post(base + CAT5 + "/productCatalog", json={"name": uid})
    assert resp.status_code == 400
    body = resp.json()
    assert body["@type"] == "Error" and "@type" in body["message"]


def test_create_keeps_the_type_sent(base: str, http: requests.Session, uid: str) -> None:
    created = http.post(base + CAT5 + "/productCatalog", json={"name": uid, "@type": "ProductCatalog"})
    assert created.status_code == 201
    doc = created.json()
    try:
        assert doc["@type"] == "ProductCatalog"
        assert doc["href"] == f"{base}{CAT5}/productCatalog/{doc['id']}"
        # removing @type by merge patch is refused: a v5 resource always carries it
        removed = http.patch(
            doc["href"], json={"@type": None}, headers={"Content-Type": "application/merge-patch+json"}
        )
        assert removed.status_code == 400
        # v4 and v5 are separate collections
        assert http.get(f"{base}{CAT4}/productCatalog/{doc['id']}").status_code == 404
        assert http.get(f"{base}{CAT4}/catalog/{doc['id']}").status_code == 404
    finally:
        http.delete(doc["href"])


def test_v5_mandatory_attributes(base: str, http: requests.Session, uid: str) -> None:
    # TMF632 v5 Organization_FVO requires name (v4: tradingName)
    assert (
        http.post(
            base + PTY5 + "/organization", json={"@type": "Organization", "tradingName": uid}
        ).status_code
        == 400
    )
    created = http.post(base + PTY5 + "/organization", json={"@type": "Organization", "name": uid})
    assert created.status_code == 201
    http.delete(created.json()["href"])
