"""`mimcheck audit`: the entities already on a platform, listed page by page and validated, with
nothing but GET requests on the wire (a stub platform records every request)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from conformance import sdm, sdm_registry
from conformance.cli import main
from conformance.sdm_audit import ReadOnly

TYPE_IRI = "https://smartdatamodels.org/dataModel.Parking/ParkingSpot"
CATEGORY_IRI = "https://smartdatamodels.org/dataModel.Parking/category"


@pytest.fixture(autouse=True)
def _user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sdm_registry.ENV_MODELS, str(tmp_path / "user-models"))


def _stored(number: int) -> dict[str, Any]:
    """A ParkingSpot as a platform answers with the core @context only: the model's IRIs in full."""
    entity = sdm.load_fixture("ParkingSpot", lambda kind: f"urn:ngsi-ld:{kind}:{number}")
    entity["type"] = TYPE_IRI
    entity[CATEGORY_IRI] = entity.pop("category")  # status is a core term: it stays short
    if number == 3:
        entity["status"]["value"] = "weird"
    return entity


def _key_values(entity: dict[str, Any]) -> dict[str, Any]:
    return {k: v if k in ("id", "type") else v.get("value", v.get("object")) for k, v in entity.items()}


def _platform(httpserver: HTTPServer, stored: int, *, ignore_offset: bool = False) -> None:
    def handler(request: Request) -> Response:
        limit, offset = int(request.args["limit"]), int(request.args["offset"])
        assert request.args["type"] == f"{TYPE_IRI},ParkingSpot"
        if "id" in request.args:  # the keyValues read-back of a page, by id
            assert request.args["options"] == "keyValues"
            wanted = request.args["id"].split(",")
            page = [_key_values(_stored(int(i.rsplit(":", 1)[1]))) for i in wanted][offset : offset + limit]
            return Response(json.dumps(page), 200, content_type="application/json")
        start = 0 if ignore_offset else offset
        page = [_stored(n) for n in range(start, min(start + limit, stored))]
        headers = {"NGSILD-Results-Count": str(stored)} if request.args.get("count") == "true" else {}
        return Response(json.dumps(page), 200, headers, content_type="application/json")

    httpserver.expect_request("/ngsi-ld/v1/entities").respond_with_handler(handler)


def _audit(httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(
        [
            "audit",
            "--target-url",
            httpserver.url_for("/"),
            "--model",
            "ParkingSpot",
            "--format",
            "json",
            *args,
        ]
    )
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_audit_pages_validates_both_forms_and_sends_only_get(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _platform(httpserver, 7)
    code, report = _audit(httpserver, capsys, "--page-size", "3", "--no-progress", "--out", str(tmp_path))
    assert code == 1, "entity 3 is invalid"
    assert report["summary"] == {"entities": 7, "conformant": 6, "invalid": 1, "skipped": 0}
    assert report == json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))
    (model,) = report["models"]
    assert model["model"] == "ParkingSpot" and model["conformantShare"] == round(6 / 7, 4)
    assert model["forms"] == {
        "normalized": {"checked": 7, "conformant": 6},
        "keyValues": {"checked": 7, "conformant": 6},
    }
    assert model["violations"] == [
        {
            "path": "status",
            "rule": "enum",
            "count": 2,
            "message": "'weird' is not one of ['closed', 'free', 'occupied', 'unknown']",
            "examples": ["urn:ngsi-ld:ParkingSpot:3"],
        }
    ]
    invalid = [json.loads(line) for line in (tmp_path / "audit-invalid.ndjson").read_text().splitlines()]
    assert [(e["id"], sorted(e["errors"])) for e in invalid] == [
        ("urn:ngsi-ld:ParkingSpot:3", ["keyValues", "normalized"])
    ], "exactly the broken entity, with its errors in each form"
    page = (tmp_path / "audit.html").read_text(encoding="utf-8")
    assert "ParkingSpot" in page and "urn:ngsi-ld:ParkingSpot:3" in page and "85.7%" in page
    requests = [request for request, _ in httpserver.log]
    assert [r.method for r in requests] == ["GET"] * 6, "three pages, each read again by id: nothing but GET"
    assert [r.args["offset"] for r in requests if "id" not in r.args] == ["0", "3", "6"]
    assert "count" in requests[0].args and "count" not in requests[2].args


def test_audit_text_names_the_invalid_entities_and_the_files(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _platform(httpserver, 4)
    args = [
        "audit",
        "--target-url",
        httpserver.url_for("/"),
        "--model",
        "ParkingSpot",
        "--out",
        str(tmp_path),
    ]
    assert main([*args, "--forms", "keyValues", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "INVALID urn:ngsi-ld:ParkingSpot:3 (ParkingSpot" in out and "keyValues)" in out
    assert "4 entities, 3 conformant (75.0%), 1 invalid" in out and str(tmp_path / "audit.html") in out
    assert main([*args, "--forms", "concise"]) == 2
    assert "--forms" in capsys.readouterr().err


def test_audit_limit_and_a_platform_that_ignores_offset(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _platform(httpserver, 5, ignore_offset=True)
    code, report = _audit(httpserver, capsys, "--page-size", "2", "--out", str(tmp_path))
    assert code == 0 and report["summary"]["entities"] == 2, "the repeated page ends the listing"
    httpserver.clear_log()
    code, report = _audit(httpserver, capsys, "--page-size", "2", "--limit", "1", "--out", str(tmp_path))
    assert report["summary"]["entities"] == 1 and len(httpserver.log) == 2, "one page, read again by id"


def test_audit_errors(
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # the default report folder, reports/audit-<time>, goes here
    httpserver.expect_request("/ngsi-ld/v1/entities").respond_with_json({"type": "x"}, status=500)
    assert main(["audit", "--target-url", httpserver.url_for("/"), "--model", "ParkingSpot"]) == 3
    assert "500" in capsys.readouterr().err
    assert main(["audit", "--target-url", httpserver.url_for("/"), "--model", "Nope"]) == 2
    assert main(["audit", "--target-url", httpserver.url_for("/")]) == 2, "no model declared or named"
    assert all(request.method == "GET" for request, _ in httpserver.log)


def test_the_audit_client_can_only_get() -> None:
    client = ReadOnly(object())  # type: ignore[arg-type]
    assert not any(hasattr(client, verb) for verb in ("post", "put", "patch", "delete", "request"))
