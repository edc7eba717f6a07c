"""Errors for request parameters: unsupported options values (InvalidRequest), undefined format
values, entity ids in a path that are not URIs (MIM1-ERR-005, MIM1-ERR-006)."""

from __future__ import annotations

import pytest
import requests
from ref_support import JSON, E

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def _make(base: str, http: requests.Session, uid: str) -> str:
    entity = {"id": f"urn:ngsi-ld:Car:{uid}", "type": "Car", "speed": {"type": "Property", "value": 1}}
    resp = http.post(base + E, json=entity, headers=JSON)
    assert resp.status_code == 201, resp.text
    return f"{base}{E}/{entity['id']}"


def _error(resp: requests.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    kind = resp.json()["type"]
    assert kind.startswith(ERRORS), kind
    return str(kind[len(ERRORS) :])


@pytest.mark.parametrize(
    "where", ["retrieve", "query", "post-query", "append", "subscriptions", "registrations"]
)
def test_unsupported_options_value_is_invalid_request(
    base: str, http: requests.Session, uid: str, where: str
) -> None:
    params = {"options": "noSuchOption"}
    if where == "retrieve":
        resp = http.get(_make(base, http, uid), params=params)
    elif where == "query":
        resp = http.get(base + E, params={"type": "Car", **params})
    elif where == "post-query":
        query = {"type": "Query", "entities": [{"type": "Car"}]}
        resp = http.post(base + "/ngsi-ld/v1/entityOperations/query", json=query, params=params, headers=JSON)
    elif where == "append":
        fragment = {"color": {"type": "Property", "value": "red"}}
        resp = http.post(_make(base, http, uid) + "/attrs", json=fragment, params=params, headers=JSON)
    else:
        resp = http.get(
            f"{base}/ngsi-ld/v1/{'subscriptions' if where == 'subscriptions' else 'csourceRegistrations'}",
            params=params,
        )
    assert _error(resp, 400) == "InvalidRequest"


def test_undefined_format_value_is_refused(base: str, http: requests.Session, uid: str) -> None:
    assert _error(http.get(_make(base, http, uid), params={"format": "noSuchFormat"}), 400) in (
        "BadRequestData",
        "InvalidRequest",
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", E + "/not-a-uri"),
        ("DELETE", E + "/not-a-uri"),
        ("POST", E + "/not-a-uri/attrs"),
        ("PATCH", E + "/not-a-uri/attrs"),
        ("DELETE", E + "/not-a-uri/attrs/speed"),
        ("GET", "/ngsi-ld/v1/subscriptions/not-a-uri"),
        ("DELETE", "/ngsi-ld/v1/subscriptions/not-a-uri"),
    ],
)
def test_path_id_not_a_uri_is_refused(base: str, http: requests.Session, method: str, path: str) -> None:
    body = {"speed": {"type": "Property", "value": 2}} if method in ("POST", "PATCH") else None
    resp = http.request(method, base + path, json=body, headers=JSON if body else {})
    assert _error(resp, 400) in ("BadRequestData", "InvalidRequest")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", E + "//attrs"), ("PATCH", E + "//attrs"), ("DELETE", E + "//attrs/speed"), ("GET", E + "//")],
)
def test_empty_path_id_is_refused(base: str, http: requests.Session, method: str, path: str) -> None:
    body = {"speed": {"type": "Property", "value": 2}} if method in ("POST", "PATCH") else None
    resp = http.request(method, base + path, json=body, headers=JSON if body else {})
    assert _error(resp, 400) == "BadRequestData"
