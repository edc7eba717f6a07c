"""`mimcheck audit` against the embedded reference, seeded with conformant and broken Smart Data Models
entities next to foreign data: it reports exactly the broken ones, in both forms, and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance import sdm_registry
from conformance.cli import main
from conformance.embedded import EmbeddedReference

CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"


def _entities(n: int) -> tuple[list[dict[str, Any]], set[str]]:
    models = sdm_registry.load()
    context = json.loads(models["ParkingSpot"].context_path.read_text(encoding="utf-8"))["@context"]
    out, broken = [], set()
    for i in range(n):
        entity = {k: v for k, v in models["ParkingSpot"].sample().items() if k != "@context"}
        entity["id"] = f"urn:ngsi-ld:ParkingSpot:audit-selftest-{i}"
        if i % 10 == 3:
            entity["status"] = {"type": "Property", "value": "weird"}
            broken.add(entity["id"])
        entity["@context"] = [context, CORE]
        out.append(entity)
    return out, broken


def test_audit_reports_exactly_the_broken_entities(
    reference: EmbeddedReference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(sdm_registry.ENV_MODELS, str(tmp_path / "user-models"))
    entities, broken = _entities(25)
    api = f"{reference.base_url}/ngsi-ld/v1"
    resp = requests.post(
        f"{api}/entityOperations/create",
        data=json.dumps(entities),
        headers={"Content-Type": "application/ld+json"},
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    try:
        before = requests.get(f"{api}/entities", params={"type": "ParkingSpot", "limit": 1000}, timeout=30)
        args = ["audit", "--target-url", reference.base_url, "--model", "ParkingSpot", "--no-progress"]
        assert main([*args, "--page-size", "7", "--out", str(tmp_path / "audit"), "--format", "json"]) == 1
        lines = (tmp_path / "audit" / "audit-invalid.ndjson").read_text(encoding="utf-8").splitlines()
        invalid = [json.loads(line) for line in lines]
        ours = {e["id"] for e in invalid if "audit-selftest" in e["id"]}
        assert ours == broken, "exactly the broken ones"
        assert all(set(e["errors"]) == {"normalized", "keyValues"} for e in invalid if e["id"] in broken)
        after = requests.get(f"{api}/entities", params={"type": "ParkingSpot", "limit": 1000}, timeout=30)
        assert after.json() == before.json(), "the audit changed nothing"
    finally:
        for entity in entities:
            requests.delete(f"{api}/entities/{entity['id']}", timeout=10)
