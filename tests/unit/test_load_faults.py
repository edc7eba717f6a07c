"""Load profiles against stand-in NGSI-LD brokers that break what the profile checks: each must
fail them. And the sweep of TM Forum leftovers only deletes what carries the run id."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest


class SilentBroker(BaseHTTPRequestHandler):
    """Accepts subscriptions, never notifies; stores upserted entities and reads them back normalized
    even when keyValues is asked for."""

    entities: dict[str, dict[str, Any]] = {}
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _answer(self, status: int, body: Any = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

    def _id(self) -> str:
        return unquote(urlsplit(self.path).path.split("/entities/", 1)[1].split("/attrs", 1)[0])

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body, path = self._body(), urlsplit(self.path).path
        if path.endswith("/upsert"):
            self.entities.update({e["id"]: e for e in body})
            self._answer(201, [e["id"] for e in body])
        elif path.endswith("/entityOperations/delete"):
            for entity_id in body:
                self.entities.pop(entity_id, None)
            self._answer(204)
        elif path.endswith("/entities"):
            self.entities[body["id"]] = body
            self._answer(201)
        else:  # a subscription: accepted, never honoured
            self._answer(201)

    def do_GET(self) -> None:  # noqa: N802
        if "/entities/" in self.path:
            entity = self.entities.get(self._id())
            self._answer(200, entity) if entity else self._answer(404, {})
        else:
            self._answer(200, [])

    def do_PATCH(self) -> None:  # noqa: N802
        self._body()
        self._answer(204)

    def do_DELETE(self) -> None:  # noqa: N802
        if "/entities/" in self.path:
            self.entities.pop(self._id(), None)
        self._answer(204)


@pytest.fixture
def silent_broker() -> Iterator[str]:
    SilentBroker.entities = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), SilentBroker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _load(out: Path, profile: str, url: str, *args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "load", "--profile", profile, "--target-url", url]
        + [
            "--duration",
            "4s",
            "--users",
            "2",
            "--spawn-rate",
            "2",
            "--progress-seconds",
            "0",
            "--out",
            str(out),
        ]
        + list(args),
        capture_output=True,
        text=True,
        timeout=180,
    )
    stats = out / "load-stats.json"
    report = json.loads(stats.read_text(encoding="utf-8")) if stats.is_file() else {}
    return done.returncode, report, done.stdout + done.stderr


@pytest.mark.slow
def test_notifications_that_never_come_are_failures(tmp_path: Path, silent_broker: str) -> None:
    code, report, output = _load(
        tmp_path / "run", "ngsi_ld_notifications", silent_broker, "--option", "notify_timeout=1"
    )
    assert code == 1, output
    assert report["requests"]["notification end-to-end"]["failures"] > 0
    assert any("no notification within 1 s" in e["error"] for e in report["errors"])


@pytest.mark.slow
def test_a_read_back_that_is_not_key_values_breaks_the_model_schema(
    tmp_path: Path, silent_broker: str
) -> None:
    code, report, output = _load(
        tmp_path / "run",
        "sdm_ingestion",
        silent_broker,
        "--option",
        "validate_ratio=1",
        "--option",
        "batch_size=3",
    )
    assert code == 1, output
    assert report["requests"]["GET /entities/{id}?options=keyValues (validate)"]["failures"] > 0
    assert any("breaks its schema" in e["error"] for e in report["errors"])
    assert SilentBroker.entities == {}, "the users did not delete what they upserted"


class StaleBroker(SilentBroker):
    """Reads an entity back as keyValues, but always the first entity stored of the type asked for."""

    def do_GET(self) -> None:  # noqa: N802
        from conformance.sdm import to_key_values

        asked = self.entities.get(self._id()) if "/entities/" in self.path else None
        if asked is None:
            return super().do_GET()
        first = next(e for e in self.entities.values() if e["type"] == asked["type"])
        self._answer(200, to_key_values(first))


@pytest.mark.slow
def test_a_read_back_of_another_entity_is_a_failure_even_when_its_text_was_found_valid(
    tmp_path: Path,
) -> None:
    """The profile validates a text once per model, then only compares; an answer that is the text
    found valid, but for another entity, must still fail."""
    StaleBroker.entities = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), StaleBroker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code, report, output = _load(
            tmp_path / "run",
            "sdm_ingestion",
            f"http://127.0.0.1:{server.server_address[1]}",
            "--option",
            "validate_ratio=1",
            "--option",
            "batch_size=3",
        )
    finally:
        server.shutdown()
        server.server_close()
    validated = report["requests"]["GET /entities/{id}?options=keyValues (validate)"]
    assert code == 1, output
    assert 0 < validated["failures"] < validated["requests"], validated  # the first of each type is right
    assert all("does not describe" in e["error"] for e in report["errors"]), report["errors"]


def test_the_tmf_sweep_only_deletes_what_carries_the_run_id() -> None:
    from conformance.load_sweep import sweep_run_tmf_resources

    class Catalogue(BaseHTTPRequestHandler):
        items = {
            "1": {"id": "1", "name": "mimcheck-load-run7-offering-0001"},
            "2": {"id": "2", "name": "someone else's offering"},
            "3": {"id": "3", "externalId": "mimcheck-load-run7-order-ab-000001"},
            "4": {"id": "4", "name": "mimcheck-load-run8-offering-0001"},
        }
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _answer(self, status: int, body: Any = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(200, list(self.items.values()))

        def do_DELETE(self) -> None:  # noqa: N802
            self.items.pop(self.path.rsplit("/", 1)[1], None)
            self._answer(204)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Catalogue)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/tmf-api"
        removed, problem = sweep_run_tmf_resources(
            base, {}, ["productCatalogManagement/v4/productOffering"], "run7", 5
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (removed, problem) == (2, None)
    assert sorted(Catalogue.items) == ["2", "4"]
