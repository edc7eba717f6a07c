"""The reference's TMF hrefs name the host the client addressed: its own, or the one a reverse proxy in
front names in X-Forwarded-Host / X-Forwarded-Proto (the fault proxy sends X-Forwarded-Host)."""

from __future__ import annotations

import requests

CAT = "/tmf-api/productCatalogManagement/v4"


def test_href_names_the_request_host(base: str, http: requests.Session, uid: str) -> None:
    created = http.post(base + CAT + "/catalog", json={"name": uid}).json()
    try:
        assert created["href"] == f"{base}{CAT}/catalog/{created['id']}"
    finally:
        http.delete(f"{base}{CAT}/catalog/{created['id']}")


def test_href_names_the_forwarded_host(base: str, http: requests.Session, uid: str) -> None:
    headers = {"X-Forwarded-Host": "tmf.example.org:8443", "X-Forwarded-Proto": "https"}
    created = http.post(base + CAT + "/catalog", json={"name": uid}, headers=headers).json()
    try:
        assert created["href"] == f"https://tmf.example.org:8443{CAT}/catalog/{created['id']}"
        got = http.get(f"{base}{CAT}/catalog/{created['id']}", headers={"X-Forwarded-Host": "p.example"})
        assert got.json()["href"] == f"http://p.example{CAT}/catalog/{created['id']}"
    finally:
        http.delete(f"{base}{CAT}/catalog/{created['id']}")
