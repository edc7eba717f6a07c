"""The built-in load profiles, each run briefly against the embedded reference platform: it must pass
(no failed request), exercise every operation of its mix, and leave nothing behind."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from conformance.load_cli import available_profiles
from conformance.load_run import profile_mim

REPO = Path(__file__).resolve().parents[2]
PROFILES = {
    "ngsi_ld_queries": (
        # 8 s: the page walk is 1 task in 12, and a loaded machine runs few tasks in 4 s
        ["--option", "seed_entities=40", "--duration", "8s"],
        {
            "GET /entities?q=temperature>=N",
            'GET /entities?q=category=="..."',
            "GET /entities?georel=near;maxDistance",
            "GET /entities?georel=within (Polygon)",
            "GET /entities?q&limit&offset (page walk)",
        },
    ),
    "ngsi_ld_notifications": (
        [],
        {"POST /entities", "PATCH /entities/{id}/attrs", "notification end-to-end", "DELETE /entities/{id}"},
    ),
    "sdm_ingestion": (
        ["--option", "validate_ratio=1", "--option", "batch_size=4"],
        {
            "POST /entityOperations/upsert (new)",
            "GET /entities/{id}?options=keyValues (validate)",
            "POST /entityOperations/delete (cleanup)",
        },
    ),
    "tmf_catalogue_orders": (
        ["--option", "seed_offerings=12"],
        {
            "GET productOffering?offset&limit",
            "GET productOffering?fields=",
            "GET productOffering?name=",
            "POST productOrder",
            "PATCH productOrder/{id} state=completed",
            "DELETE productOrder/{id}",
        },
    ),
}


def test_every_kind_of_work_has_a_built_in_profile() -> None:
    assert {"ngsi_ld_entities", *PROFILES} <= set(available_profiles())


def test_a_profile_names_the_mim_it_loads(tmp_path: Path) -> None:
    from conformance.load_cli import resolve_load_profile

    assert profile_mim(resolve_load_profile("tmf_catalogue_orders")) == "mim3"
    assert profile_mim(resolve_load_profile("sdm_ingestion")) == "mim1"
    plain = tmp_path / "mine.py"
    plain.write_text("# no MIMCHECK_MIM line\n", encoding="utf-8")
    assert profile_mim(plain) == "mim1"


def _load(out: Path, profile: str, *args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "load", "--profile", profile, "--duration", "4s"]
        + ["--users", "2", "--spawn-rate", "2", "--progress-seconds", "0", "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=out.parent,
    )
    stats = out / "load-stats.json"
    report = json.loads(stats.read_text(encoding="utf-8")) if stats.is_file() else {}
    return done.returncode, report, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_profile_passes_the_reference_and_cleans_up(tmp_path: Path, profile: str) -> None:
    args, expected = PROFILES[profile]
    code, report, output = _load(tmp_path / "run", profile, *args)
    assert code == 0, output
    assert report["total"]["failures"] == 0, report["errors"]
    assert expected <= set(report["requests"]), sorted(report["requests"])
    # the profile removed everything itself: the sweep after the run found nothing of this run
    assert report["cleanup"] == {"leftover_entities_removed": 0, "problem": None}
    assert (tmp_path / "run" / "locust-report.html").is_file()
    assert (tmp_path / "run" / "load-chart.svg").is_file()


def test_bad_profile_option_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from conformance.cli import main

    assert main(["load", "--option", "seed_entities", "--out", str(tmp_path)]) == 2
    assert main(["load", "--option", "seed_entities=many", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("mimcheck load: --option") for line in err)


class IgnoresQueries(BaseHTTPRequestHandler):
    """A broker that stores batch-created entities and answers every query with all of them (paged),
    ignoring q and the geo-query: the queries profile must fail it."""

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

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"[]")
        if self.path.endswith("/create"):
            self.entities.update({e["id"]: e for e in body})
            self._answer(201, [e["id"] for e in body])
        else:
            for entity_id in body:
                self.entities.pop(entity_id, None)
            self._answer(204)

    def do_GET(self) -> None:  # noqa: N802
        query = parse_qs(urlsplit(self.path).query)
        offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["20"])[0])
        everything = sorted(self.entities.values(), key=lambda e: e["id"])
        self._answer(200, everything[offset : offset + limit] if "/entities" in self.path else [])


@pytest.mark.slow
def test_the_queries_profile_fails_a_broker_that_ignores_the_query(tmp_path: Path) -> None:
    IgnoresQueries.entities = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), IgnoresQueries)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code, report, output = _load(tmp_path / "run", "ngsi_ld_queries", "--target-url", url)
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1, output
    failed = {name for name, figures in report["requests"].items() if figures["failures"]}
    assert {"GET /entities?q=temperature>=N", "GET /entities?georel=within (Polygon)"} <= failed, failed
    assert any("do not satisfy" in e["error"] for e in report["errors"])
    assert IgnoresQueries.entities == {}, "the seeded data set was not removed"


class BrokenTmf(BaseHTTPRequestHandler):
    """A TM Forum API that ignores ``fields`` and never moves an order out of ``acknowledged``: the
    catalogue and orders profile must fail it, and still leave nothing behind."""

    store: dict[str, dict[str, dict[str, Any]]] = {}
    seen: list[str] = []
    counter = [0]
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

    def _where(self) -> tuple[dict[str, dict[str, Any]], str]:
        self.seen.append(urlsplit(self.path).path)
        parts = urlsplit(self.path).path.split("/")  # /tmf-api/<api>/v4/<resource>[/<id>]
        return self.store.setdefault(parts[4], {}), (parts[5] if len(parts) > 5 else "")

    def _body(self) -> dict[str, Any]:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        items, _ = self._where()
        self.counter[0] += 1
        item = {**self._body(), "id": str(self.counter[0]), "state": "acknowledged"}
        items[item["id"]] = item
        self._answer(201, item)

    def do_GET(self) -> None:  # noqa: N802
        items, rid = self._where()
        if rid:
            self._answer(200, items[rid]) if rid in items else self._answer(404, {})
            return
        query = parse_qs(urlsplit(self.path).query)
        found = [i for i in items.values() if "name" not in query or i.get("name") == query["name"][0]]
        offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["1000"])[0])
        self._answer(200, found[offset : offset + limit])

    def do_PATCH(self) -> None:  # noqa: N802
        items, rid = self._where()
        patch = {k: v for k, v in self._body().items() if k != "state"}
        items[rid].update(patch)
        self._answer(200, items[rid])

    def do_DELETE(self) -> None:  # noqa: N802
        items, rid = self._where()
        self._answer(204) if items.pop(rid, None) else self._answer(404, {})


@pytest.mark.slow
def test_the_tmf_profile_fails_an_api_that_ignores_fields_and_the_order_state(tmp_path: Path) -> None:
    BrokenTmf.store, BrokenTmf.seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), BrokenTmf)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    target = tmp_path / "tmf.toml"
    target.write_text(
        f'[product]\nname = "broken"\nversion = "1"\n[mim3]\nbase_url = "http://127.0.0.1:{port}/tmf-api"\n',
        encoding="utf-8",
    )
    try:
        code, report, output = _load(
            tmp_path / "run", "tmf_catalogue_orders", "--target", str(target), "--option", "seed_offerings=5"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1, output
    failed = {name for name, figures in report["requests"].items() if figures["failures"]}
    assert {"GET productOffering?fields=", "PATCH productOrder/{id} state=inProgress"} <= failed, failed
    assert all(not items for items in BrokenTmf.store.values()), "offerings or orders were left behind"


@pytest.mark.slow
def test_the_tmf_profile_uses_an_api_root_the_target_profile_gives(tmp_path: Path) -> None:
    BrokenTmf.store, BrokenTmf.seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), BrokenTmf)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    target = tmp_path / "tmf.toml"
    target.write_text(
        f'[product]\nname = "rooted"\nversion = "1"\n[mim3]\nbase_url = "{base}/tmf-api"\n'
        f'[mim3.roots]\ntmf620 = "{base}/elsewhere/catalog/v4"\n',
        encoding="utf-8",
    )
    try:
        _load(
            tmp_path / "run", "tmf_catalogue_orders", "--target", str(target), "--option", "seed_offerings=3"
        )
    finally:
        server.shutdown()
        server.server_close()
    offerings = {p for p in BrokenTmf.seen if "productOffering" in p}
    assert offerings and all(p.startswith("/elsewhere/catalog/v4/productOffering") for p in offerings), (
        offerings
    )
    assert any(p.startswith("/tmf-api/productOrderingManagement/v4/productOrder") for p in BrokenTmf.seen)
    assert all(not items for items in BrokenTmf.store.values()), "offerings or orders were left behind"


SDM_EQUIVALENCE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("sdm_profile", sys.argv[1])
profile = importlib.util.module_from_spec(spec)
sys.modules["sdm_profile"] = profile
spec.loader.exec_module(profile)
from conformance import sdm
from conformance.load_locust import PROCESS_TAG, run_entity_prefix

# three batches: every model, and the models' turn starting over
sent = [e for number in range(3) for e in json.loads(profile.Batch(number).body())]
assert len(sent) == 3 * profile.BATCH_SIZE > len(profile.MODELS)
for serial, entity in enumerate(sent):
    model = profile.MODELS[serial % len(profile.MODELS)]

    def filled(kind):
        suffix = f"{PROCESS_TAG}-{serial + 1:07d}" if kind == model else "target"
        return run_entity_prefix(kind, profile.SETTINGS.run_id) + suffix

    assert entity == sdm.load_fixture(model, filled), model
    assert profile.Batch(serial // profile.BATCH_SIZE).ids()[serial % profile.BATCH_SIZE] == entity["id"]
assert len({e["id"] for e in sent}) == len(sent)
first_model = profile.MODELS[0]
instance = sdm.to_key_values(sent[0])
instance["id"] = 5
assert profile.validation_errors(first_model, instance) == sdm.validation_errors(first_model, instance) != []
# a read-back's key sets its own id aside, and nothing else
key = profile.readback_key(b'{"id":"urn:a","type":"T","x":1}', "urn:a")
assert key == profile.readback_key(b'{"id":"urn:b","type":"T","x":1}', "urn:b")
assert key != profile.readback_key(b'{"id":"urn:b","type":"T","x":2}', "urn:b")
assert key != profile.readback_key(b'{"id":"urn:b","type":"T","x":""}', "urn:b")
assert profile.readback_key(b'{"id":"urn:a","see":"urn:a"}', "urn:a") != profile.readback_key(
    b'{"id":"urn:b","see":"urn:a"}', "urn:b"
)
# a worker adopts its master's run id when the test starts, after the profile was imported
profile.SETTINGS.adopt("adopted7")
adopted = profile.Batch(0).ids()[0]
assert adopted.startswith(run_entity_prefix(profile.MODELS[0], "adopted7"))
assert json.loads(profile.Batch(0).body())[0]["id"] == adopted
print("same entities and errors")
"""


def test_sdm_ingestion_builds_the_entities_load_fixture_builds() -> None:
    """The profile fills a per-model template by text (no file read, JSON parse or encoding per
    entity); the entities must be exactly those ``sdm.load_fixture`` makes, and its cached validator
    must report what ``sdm.validation_errors`` reports. In a subprocess: the profile imports Locust."""
    done = subprocess.run(
        [sys.executable, "-c", SDM_EQUIVALENCE, str(REPO / "conformance/loadprofiles/sdm_ingestion.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0 and "same entities and errors" in done.stdout, done.stdout + done.stderr
