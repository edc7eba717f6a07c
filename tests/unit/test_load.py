"""`mimcheck load`: threshold and statistics logic as pure functions, and end-to-end runs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from conformance.cli import main
from conformance.load import (
    EXIT_OK,
    EXIT_THRESHOLD,
    EXIT_UNAVAILABLE,
    LoadSettings,
    Thresholds,
    available_profiles,
    build_report,
    entry_as_json,
    evaluate_thresholds,
    exit_code_for,
    load_profiles_dir,
    parse_duration,
    print_summary,
    progress_line,
    resolve_load_profile,
    stats_as_json,
)
from conformance.profiles import ProfileError

REPO = Path(__file__).resolve().parents[2]


@dataclass
class FakeEntry:
    """Stands in for locust.stats.StatsEntry: a list of response times in ms."""

    name: str
    method: str | None = "GET"
    times: list[float] = field(default_factory=list)
    num_failures: int = 0
    seconds: float = 10.0

    @property
    def num_requests(self) -> int:
        return len(self.times)

    @property
    def max_response_time(self) -> float:
        return max(self.times, default=0.0)

    @property
    def fail_ratio(self) -> float:
        return self.num_failures / self.num_requests if self.num_requests else 0.0

    @property
    def median_response_time(self) -> float:
        return self.get_response_time_percentile(0.5)

    @property
    def total_rps(self) -> float:
        return self.num_requests / self.seconds

    def get_response_time_percentile(self, percent: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(percent * len(ordered)))] if ordered else 0.0


@dataclass
class FakeError:
    name: str
    error: str
    occurrences: int
    method: str | None = "POST"


@dataclass
class FakeStats:
    entries: dict[tuple[str, str], FakeEntry]
    errors: dict[str, FakeError] = field(default_factory=dict)

    @property
    def total(self) -> FakeEntry:
        merged = FakeEntry("Aggregated", None)
        for entry in self.entries.values():
            merged.times += entry.times
            merged.num_failures += entry.num_failures
        return merged


def _stats(post_failures: int = 0) -> FakeStats:
    post = FakeEntry("POST /entities", "POST", [float(t) for t in range(1, 101)], post_failures)
    get = FakeEntry("GET /entities/{id}", "GET", [2.0] * 100)
    return FakeStats({(post.name, "POST"): post, (get.name, "GET"): get})


def _total(requests: int = 100, failure_ratio: float = 0.0, p95: float = 10.0) -> dict[str, Any]:
    return {"requests": requests, "failure_ratio": failure_ratio, "p95_ms": p95}


# ---------------------------------------------------------------------------------------- pure


@pytest.mark.parametrize(
    ("text", "seconds"), [("20", 20), ("20s", 20), ("3m", 180), ("1h", 3600), ("2m10s", 130), (" 5S ", 5)]
)
def test_parse_duration_accepts_locust_timespans(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "0s", "abc", "5x", "-5", "1.5s", "2h"])
def test_parse_duration_rejects_empty_zero_malformed_and_too_long(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_within_thresholds_is_no_breach_and_exit_0() -> None:
    total = _total(failure_ratio=0.01, p95=500.0)  # equal to the limits is still within
    breaches = evaluate_thresholds(total, Thresholds(0.01, 500.0))
    assert breaches == []
    assert exit_code_for(total, breaches) == EXIT_OK


def test_failure_ratio_above_limit_is_named_with_its_value() -> None:
    total = _total(failure_ratio=0.25)
    breaches = evaluate_thresholds(total, Thresholds(0.01, 500.0))
    assert [b.metric for b in breaches] == ["failure ratio"]
    assert "0.25" in breaches[0].message() and "--max-failure-ratio 0.01" in breaches[0].message()
    assert exit_code_for(total, breaches) == EXIT_THRESHOLD


def test_p95_above_limit_is_named_with_its_value() -> None:
    total = _total(p95=12.0)
    breaches = evaluate_thresholds(total, Thresholds(0.01, 0.001))
    assert [b.option for b in breaches] == ["--max-p95-ms"]
    assert breaches[0].measured == 12.0
    assert "12" in breaches[0].message()


def test_both_thresholds_can_break_at_once() -> None:
    assert len(evaluate_thresholds(_total(failure_ratio=1.0, p95=900.0), Thresholds(0.0, 500.0))) == 2


def test_no_request_at_all_is_no_measurement_not_a_pass() -> None:
    total = _total(requests=0, p95=0.0)
    assert exit_code_for(total, evaluate_thresholds(total, Thresholds())) == EXIT_UNAVAILABLE


def test_entry_as_json_has_every_figure() -> None:
    entry = FakeEntry("POST /entities", "POST", [float(t) for t in range(1, 101)], 5)
    figures = entry_as_json(entry)
    assert figures == {
        "requests": 100,
        "failures": 5,
        "failure_ratio": 0.05,
        "median_ms": 51.0,
        "p95_ms": 96.0,
        "p99_ms": 100.0,
        "max_ms": 100.0,
        "requests_per_second": 10.0,
    }


def test_an_empty_entry_reports_zeros() -> None:
    figures = entry_as_json(FakeEntry("GET /entities/{id}"))
    assert figures["requests"] == 0 and figures["p95_ms"] == 0.0 and figures["failure_ratio"] == 0.0


def test_stats_as_json_groups_by_request_name_and_totals() -> None:
    body = stats_as_json(_stats())
    assert list(body["requests"]) == ["GET /entities/{id}", "POST /entities"]
    assert body["total"]["requests"] == 200
    json.dumps(body)  # serialisable as is


def test_one_name_used_by_two_methods_is_told_apart() -> None:
    get = FakeEntry("/entities/{id}", "GET", [1.0])
    delete = FakeEntry("/entities/{id}", "DELETE", [1.0])
    body = stats_as_json(FakeStats({(get.name, "GET"): get, (delete.name, "DELETE"): delete}))
    assert list(body["requests"]) == ["DELETE /entities/{id}", "GET /entities/{id}"]


def test_errors_are_reported_most_frequent_first() -> None:
    stats = _stats(post_failures=3)
    stats.errors = {
        "a": FakeError("POST /entities", "expected HTTP 201, got 500: boom", 1),
        "b": FakeError("POST /entities", "expected HTTP 201, got 409: exists", 2),
    }
    assert [e["occurrences"] for e in build_report(stats, Thresholds(), {})["errors"]] == [2, 1]


def test_build_report_carries_thresholds_breaches_and_exit_code() -> None:
    report = build_report(_stats(post_failures=10), Thresholds(0.01, 500.0), {"profile": "p", "run_id": "r"})
    assert report["profile"] == "p"
    assert report["thresholds"] == {"max_failure_ratio": 0.01, "max_p95_ms": 500.0}
    assert report["total"]["failure_ratio"] == 0.05
    assert [b["metric"] for b in report["breaches"]] == ["failure ratio"]
    assert report["exit_code"] == EXIT_THRESHOLD


def test_summary_names_the_broken_threshold_and_returns_1(capsys: pytest.CaptureFixture[str]) -> None:
    report = build_report(_stats(), Thresholds(0.01, 0.001), {})
    assert print_summary(report, Path("load-stats.json")) == EXIT_THRESHOLD
    out = capsys.readouterr().out
    assert "POST /entities" in out and "Total" in out
    assert "BROKEN p95 response time 91 ms is above --max-p95-ms 0.001" in out


def test_summary_of_a_run_cut_short_withholds_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    report = {**build_report(_stats(), Thresholds(), {}), "cut_short": "interrupted"}
    assert print_summary(report, Path("load-stats.json")) == EXIT_UNAVAILABLE
    assert "WITHHELD" in capsys.readouterr().out


def test_progress_line_is_short() -> None:
    line = progress_line(10.2, _stats().total)
    assert line.strip().startswith("10s") and "200 requests" in line and len(line) < 100


def test_settings_from_environment_carry_headers_and_the_auth_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("T_LOAD_TOKEN", "abc")
    settings = LoadSettings.from_environ(
        {
            "MIMCHECK_LOAD_HEADERS": '{"NGSILD-Tenant": "t1"}',
            "MIMCHECK_LOAD_AUTH": json.dumps({"type": "bearer", "token_env": "T_LOAD_TOKEN"}),
            "MIMCHECK_LOAD_RUN_ID": "run1",
            "MIMCHECK_LOAD_MAX_P95_MS": "250",
        }
    )
    assert settings.headers == {"NGSILD-Tenant": "t1"}
    assert settings.credentials() == {"Authorization": "Bearer abc"}, "the token never travels in the env"
    assert settings.run_id == "run1"
    assert settings.thresholds == Thresholds(0.01, 250.0)
    assert settings.stats_path is None


def test_settings_defaults_for_a_bare_locust_run() -> None:
    settings = LoadSettings.from_environ({})
    assert settings.headers == {} and settings.run_id and settings.thresholds == Thresholds()


def test_load_profiles_resolve_by_name_or_path() -> None:
    by_name = resolve_load_profile("ngsi_ld_entities")
    assert by_name == (load_profiles_dir() / "ngsi_ld_entities.py").resolve()
    assert by_name.parent.name == "loadprofiles" and by_name.parent.parent.name == "conformance"
    assert resolve_load_profile(str(by_name)) == by_name


def test_the_built_in_load_profiles_are_package_data_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a cwd without profiles/: the built-in ones are found all the same
    assert "ngsi_ld_entities" in available_profiles()
    assert resolve_load_profile("ngsi_ld_entities").is_file()


def test_an_unknown_load_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match="ngsi_ld_entities"):
        resolve_load_profile("no_such_profile")


@pytest.mark.parametrize(
    "args",
    [
        ["--users", "0"],
        ["--duration", "soon"],
        ["--spawn-rate", "-1"],
        ["--max-p95-ms", "0"],
        ["--target", "a.toml", "--target-url", "http://127.0.0.1:1"],
    ],
)
def test_bad_usage_exits_2(args: list[str]) -> None:
    assert main(["load", *args]) == 2


def test_unknown_profile_exits_2(tmp_path: Path) -> None:
    assert main(["load", "--profile", "nope", "--out", str(tmp_path)]) == 2


def test_unreachable_target_exits_3(tmp_path: Path) -> None:
    from conformance.embedded import free_port

    url = f"http://127.0.0.1:{free_port()}"
    assert main(["load", "--target-url", url, "--duration", "1s", "--out", str(tmp_path)]) == 3


# ---------------------------------------------------------------------------------- end to end


class StandInBroker(BaseHTTPRequestHandler):
    """The few NGSI-LD entity operations the load profile uses, kept in memory, 2 ms per request."""

    entities: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _answer(self, status: int, body: Any = None) -> None:
        time.sleep(0.002)
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        if data:
            self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

    def _entity_id(self) -> str:
        path = urlsplit(self.path).path
        return unquote(path.split("/entities/", 1)[1].split("/attrs", 1)[0]) if "/entities/" in path else ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        entity_id = self._entity_id()
        with self.lock:
            if not entity_id:
                self._answer(200, list(self.entities.values()) if "/entities" in self.path else [])
                return
            entity = self.entities.get(entity_id)
        if entity is None:
            self._answer(404, {"type": "ResourceNotFound"})
        elif "keyValues" in self.path:
            self._answer(200, {k: v["value"] if isinstance(v, dict) else v for k, v in entity.items()})
        else:
            self._answer(200, entity)

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        with self.lock:
            self.entities[body["id"]] = body
        self._answer(201)

    def do_PATCH(self) -> None:  # noqa: N802
        body, entity_id = self._body(), self._entity_id()
        with self.lock:
            self.entities.get(entity_id, {}).update(body)
        self._answer(204)

    def do_DELETE(self) -> None:  # noqa: N802
        with self.lock:
            found = self.entities.pop(self._entity_id(), None)
        self._answer(204 if found else 404)


@pytest.fixture
def stand_in_broker() -> Iterator[str]:
    StandInBroker.entities = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInBroker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _mimcheck_load(out: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            "load",
            "--duration",
            "5s",
            "--users",
            "2",
            "--out",
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=out.parent,
    )
    stats = out / "load-stats.json"
    report = json.loads(stats.read_text(encoding="utf-8")) if stats.is_file() else {}
    return done.returncode, report, done.stdout + done.stderr


@pytest.mark.slow
def test_load_against_a_stand_in_broker_cleans_up_and_judges_p95(
    tmp_path: Path, stand_in_broker: str
) -> None:
    code, report, output = _mimcheck_load(tmp_path / "ok", "--target-url", stand_in_broker)
    assert code == 0, output
    assert report["total"]["requests"] > 0
    assert "POST /entities" in report["requests"] and "DELETE /entities/{id}" in report["requests"]
    assert StandInBroker.entities == {}, "the users did not delete every entity they created"

    code, report, output = _mimcheck_load(
        tmp_path / "slow", "--target-url", stand_in_broker, "--max-p95-ms", "0.001"
    )
    assert code == 1, output
    assert "--max-p95-ms" in output and report["breaches"][0]["metric"].startswith("p95")


@pytest.mark.slow
@pytest.mark.skipif(
    not (REPO / "reference" / "__main__.py").is_file(),
    reason="the embedded reference platform is not there yet",
)
def test_load_against_the_embedded_reference_platform(tmp_path: Path) -> None:
    code, report, output = _mimcheck_load(tmp_path / "ok")
    assert code == 0, output
    assert report["total"]["requests"] > 0
    assert report["total"]["failures"] == 0, output

    code, report, output = _mimcheck_load(tmp_path / "slow", "--max-p95-ms", "0.001")
    assert code == 1, output
    assert any(b["metric"].startswith("p95") for b in report["breaches"])
