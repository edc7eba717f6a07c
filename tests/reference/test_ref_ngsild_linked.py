"""Linked entity retrieval (clause 4.5.23): join=inline|flat|@none, joinLevel, and their errors."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from ref_support import JSON, E


def _rel(target: str, **extra: Any) -> dict[str, Any]:
    return {"type": "Relationship", "object": target, **extra}


def _seed(base: str, http: requests.Session, uid: str) -> tuple[dict[str, str], dict[str, str]]:
    """R -hasPart-> P -hasPart-> C; X -next-> Y -next-> X; D -pointsTo-> (missing)."""
    tenant = {"NGSILD-Tenant": f"lnk{uid}"}
    ids = {k: f"urn:ngsi-ld:Lnk:{uid}-{k}" for k in ("R", "P", "C", "X", "Y", "D", "M")}
    entities = [
        {"id": ids["R"], "type": "Root", "hasPart": _rel(ids["P"], objectType="Part")},
        {
            "id": ids["P"],
            "type": "Part",
            "label": {"type": "Property", "value": "p"},
            "hasPart": _rel(ids["C"]),
        },
        {"id": ids["C"], "type": "Part", "label": {"type": "Property", "value": "c"}},
        {"id": ids["X"], "type": "Ring", "next": _rel(ids["Y"])},
        {"id": ids["Y"], "type": "Ring", "next": _rel(ids["X"])},
        {"id": ids["D"], "type": "Dangling", "pointsTo": _rel(ids["M"])},
    ]
    for entity in entities:
        assert http.post(base + E, json=entity, headers={**JSON, **tenant}).status_code == 201
    return tenant, ids


def _get(base: str, http: requests.Session, tenant: dict[str, str], path: str, **params: str) -> Any:
    resp = http.get(base + path, params=params, headers=tenant)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_inline_retrieve_and_query(base: str, http: requests.Session, uid: str) -> None:
    tenant, ids = _seed(base, http, uid)
    root = _get(base, http, tenant, f"{E}/{ids['R']}", join="inline")
    part = root["hasPart"]["entity"]
    assert root["hasPart"]["object"] == ids["P"]
    assert part["id"] == ids["P"] and part["label"]["value"] == "p"
    assert "entity" not in part["hasPart"]  # joinLevel defaults to 1
    deep = _get(base, http, tenant, f"{E}/{ids['R']}", join="inline", joinLevel="2")
    assert deep["hasPart"]["entity"]["hasPart"]["entity"]["id"] == ids["C"]
    [queried] = _get(base, http, tenant, E, type="Root", join="inline")
    assert queried["hasPart"]["entity"]["id"] == ids["P"]
    simplified = _get(base, http, tenant, f"{E}/{ids['R']}", join="inline", format="keyValues")
    assert simplified["hasPart"]["id"] == ids["P"] and simplified["hasPart"]["label"] == "p"


def test_flat_retrieve_and_query(base: str, http: requests.Session, uid: str) -> None:
    tenant, ids = _seed(base, http, uid)
    flat = _get(base, http, tenant, f"{E}/{ids['R']}", join="flat")
    assert [e["id"] for e in flat] == [ids["R"], ids["P"]]
    assert "entity" not in flat[0]["hasPart"]
    two = _get(base, http, tenant, E, type="Root", join="flat", joinLevel="2")
    assert [e["id"] for e in two] == [ids["R"], ids["P"], ids["C"]]


def test_none_missing_target_and_cycles(base: str, http: requests.Session, uid: str) -> None:
    tenant, ids = _seed(base, http, uid)
    plain = _get(base, http, tenant, f"{E}/{ids['R']}", join="@none")
    assert "entity" not in plain["hasPart"]
    dangling = _get(base, http, tenant, f"{E}/{ids['D']}", join="inline")
    assert dangling["pointsTo"] == {"type": "Relationship", "object": ids["M"]}
    assert [e["id"] for e in _get(base, http, tenant, f"{E}/{ids['D']}", join="flat")] == [ids["D"]]
    ring = _get(base, http, tenant, f"{E}/{ids['X']}", join="inline", joinLevel="5")
    back = ring["next"]["entity"]["next"]["entity"]
    assert back["id"] == ids["X"] and "entity" not in back["next"]  # already encountered: not expanded
    flat = _get(base, http, tenant, f"{E}/{ids['X']}", join="flat", joinLevel="5")
    assert [e["id"] for e in flat] == [ids["X"], ids["Y"]]


@pytest.mark.parametrize(
    "params",
    [
        {"join": "deep"},
        {"join": "inline", "joinLevel": "0"},
        {"join": "inline", "joinLevel": "-1"},
        {"join": "flat", "joinLevel": "abc"},
        {"joinLevel": "2"},
        {"containedBy": "urn:a"},
    ],
)
def test_bad_parameters(base: str, http: requests.Session, uid: str, params: dict[str, str]) -> None:
    tenant, ids = _seed(base, http, uid)
    for path, extra in ((f"{E}/{ids['R']}", {}), (E, {"type": "Root"})):
        resp = http.get(base + path, params={**params, **extra}, headers=tenant)
        assert resp.status_code == 400, resp.text
        assert resp.json()["type"].endswith("/BadRequestData")
