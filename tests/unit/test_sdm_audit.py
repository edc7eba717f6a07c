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


def _platform(httpserver: HTTPServer, stored: int, *, ignore_offset: bool = False) -> None:
    def handler(request: Request) -> Response:
        limit, offset = int(request.args["limit"]), int(request.args["offset"])
        assert request.args["type"] == f"{TYPE_IRI},ParkingSpot"
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


def test_audit_pages_validates_and_sends_only_get(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _platform(httpserver, 7)
    code, report = _audit(httpserver, capsys, "--page-size", "3", "--no-progress")
    assert code == 1, "entity 3 is invalid"
    assert report["summary"] == {"entities": 7, "valid": 6, "invalid": 1, "skipped": 0}
    bad = [r for r in report["results"] if not r["valid"]]
    assert bad[0]["id"] == "urn:ngsi-ld:ParkingSpot:3"
    assert bad[0]["errors"] == ["status: 'weird' is not one of ['closed', 'free', 'occupied', 'unknown']"]
    assert report["results"][0]["type"] == "ParkingSpot", "compacted with the model's own @context"
    requests = [request for request, _ in httpserver.log]
    assert [r.method for r in requests] == ["GET", "GET", "GET"], "three pages, nothing but GET"
    assert [r.args["offset"] for r in requests] == ["0", "3", "6"]
    assert "count" in requests[0].args and "count" not in requests[1].args


def test_audit_limit_and_a_platform_that_ignores_offset(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    _platform(httpserver, 5, ignore_offset=True)
    code, report = _audit(httpserver, capsys, "--page-size", "2")
    assert code == 0 and report["summary"]["entities"] == 2, "the repeated page ends the listing"
    httpserver.clear_log()
    code, report = _audit(httpserver, capsys, "--page-size", "2", "--limit", "1")
    assert report["summary"]["entities"] == 1 and len(httpserver.log) == 1


def test_audit_errors(httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]) -> None:
    httpserver.expect_request("/ngsi-ld/v1/entities").respond_with_json({"type": "x"}, status=500)
    assert main(["audit", "--target-url", httpserver.url_for("/"), "--model", "ParkingSpot"]) == 3
    assert "500" in capsys.readouterr().err
    assert main(["audit", "--target-url", httpserver.url_for("/"), "--model", "Nope"]) == 2
    assert main(["audit", "--target-url", httpserver.url_for("/")]) == 2, "no model declared or named"
    assert all(request.method == "GET" for request, _ in httpserver.log)


def test_the_audit_client_can_only_get() -> None:
    client = ReadOnly(object())  # type: ignore[arg-type]
    assert not any(hasattr(client, verb) for verb in ("post", "put", "patch", "delete", "request"))
