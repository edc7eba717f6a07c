"""Small pieces of `mimcheck load`: profile knobs (--option), the time series sample, the MIM a
locustfile loads, the summary of a distributed run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.load_cli import _profile_options
from conformance.load_locust import ENV_PROFILE_OPTIONS, LoadSettings, profile_option
from conformance.load_stats import Thresholds, build_report, history_point, print_summary


class Total:
    num_requests = 30
    num_failures = 1
    current_rps = 9.0

    def get_current_response_time_percentile(self, percent: float) -> float | None:
        return {0.5: 4.0, 0.95: 12.0}[percent]


def test_options_are_numbers_by_name() -> None:
    assert _profile_options(["seed_entities=200", "validate_ratio=0.5"]) == {
        "seed_entities": 200.0,
        "validate_ratio": 0.5,
    }
    assert _profile_options(None) == {}


@pytest.mark.parametrize("pair", ["seed", "=3", "Seed=3", "seed=x", "seed=-1", "seed=inf"])
def test_bad_options_are_refused(pair: str) -> None:
    with pytest.raises(ValueError, match="--option"):
        _profile_options([pair])


def test_a_profile_reads_its_option_or_its_default() -> None:
    environ = {ENV_PROFILE_OPTIONS: json.dumps({"seed_entities": 7})}
    assert profile_option("seed_entities", 100, environ) == 7
    assert profile_option("batch_size", 10, environ) == 10
    assert profile_option("seed_entities", 100, {ENV_PROFILE_OPTIONS: "not json"}) == 100


def test_settings_carry_the_expected_workers_and_the_notification_host() -> None:
    settings = LoadSettings.from_environ(
        {"MIMCHECK_LOAD_EXPECT_WORKERS": "2", "MIMCHECK_LOAD_NOTIFY_HOST": "10.0.0.5"}
    )
    assert settings.expected_workers == 2 and settings.notify_host == "10.0.0.5"
    assert settings.history_seconds == 3.0  # the pace at which workers report to the master
    assert LoadSettings.from_environ({}).notify_host == "127.0.0.1"


def test_a_sample_has_the_rate_since_the_previous_one() -> None:
    first = history_point(1.0, Total(), 4)  # type: ignore[arg-type]
    assert first == {
        "t": 1.0,
        "requests": 30,
        "failures": 1,
        "rps": 30.0,
        "p50_ms": 4.0,
        "p95_ms": 12.0,
        "users": 4,
    }
    later = Total()
    later.num_requests = 50
    assert history_point(3.0, later, 4, first)["rps"] == 10.0  # type: ignore[arg-type]


def test_the_summary_of_a_distributed_run_names_the_worker_that_dropped_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Stats:
        entries: dict = {}
        errors: dict = {}
        total = type(
            "T",
            (),
            {
                "name": "Aggregated",
                "method": None,
                "num_requests": 0,
                "num_failures": 0,
                "max_response_time": 0.0,
                "fail_ratio": 0.0,
                "median_response_time": 0.0,
                "total_rps": 0.0,
                "get_response_time_percentile": lambda self, p: 0.0,
            },
        )()

    report = build_report(Stats(), Thresholds(), {})  # type: ignore[arg-type]
    report["workers"] = {
        "expected": 2,
        "connected": 2,
        "lost": [],
        "exited_abnormally": ["worker 2 (exit -9)"],
    }
    report["cut_short"] = "worker 2 (exit -9) did not end normally"
    assert print_summary(report, Path("load-stats.json")) == 3
    out = capsys.readouterr().out
    assert "dropped out: worker 2 (exit -9)" in out and "WITHHELD" in out


def test_an_option_the_profile_does_not_read_is_refused() -> None:
    from conformance.load_cli import known_options, resolve_load_profile

    queries = resolve_load_profile("ngsi_ld_queries")
    assert known_options(queries) == {"seed_entities"}
    assert known_options(resolve_load_profile("sdm_ingestion")) == {"batch_size", "validate_ratio"}
    assert known_options(resolve_load_profile("ngsi_ld_entities")) == set()
    assert _profile_options(["seed_entities=5"], queries) == {"seed_entities": 5.0}
    with pytest.raises(ValueError, match=r"no such option \(it has: seed_entities\)"):
        _profile_options(["batch_size=5"], queries)
