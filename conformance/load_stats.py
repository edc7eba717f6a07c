"""`mimcheck load`, the statistics side: durations, thresholds, the JSON figures of a run and its
summary. Pure functions, free of Locust (its stats objects are read through small protocols), unit-
tested on stand-ins."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# Same meaning as in conformance.cli (not imported from there: locustfiles import the load modules,
# and the CLI module drags pytest into the Locust process).
EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3
MAX_DURATION_SECONDS = 3600


def parse_duration(text: str) -> int:
    """Seconds in a Locust-style time span: ``20``, ``20s``, ``3m``, ``1h30m``, ``2m10s``."""
    value = text.strip().lower()
    if value.isdigit():
        seconds = int(value)
    else:
        match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", value)
        if not value or not match:
            raise ValueError(f"expected a duration like 20s, 3m or 1h30m, got {text!r}")
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds <= 0:
        raise ValueError(f"the duration must be at least 1 second, got {text!r}")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"the duration is capped at {MAX_DURATION_SECONDS // 60} minutes, got {text!r}")
    return seconds


@dataclass(frozen=True)
class Thresholds:
    max_failure_ratio: float = 0.01
    max_p95_ms: float = 500.0

    def as_json(self) -> dict[str, float]:
        return {"max_failure_ratio": self.max_failure_ratio, "max_p95_ms": self.max_p95_ms}


@dataclass(frozen=True)
class Breach:
    """One threshold the run broke, with the measured value."""

    metric: str
    measured: float
    limit: float
    option: str
    unit: str = ""

    def message(self) -> str:
        return f"{self.metric} {self.measured:g}{self.unit} is above {self.option} {self.limit:g}"

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "measured": self.measured,
            "limit": self.limit,
            "message": self.message(),
        }


def evaluate_thresholds(total: Mapping[str, Any], thresholds: Thresholds) -> list[Breach]:
    """The thresholds the aggregated ("Total") statistics break; empty when the run is within them."""
    breaches = []
    if total["failure_ratio"] > thresholds.max_failure_ratio:
        breaches.append(
            Breach(
                "failure ratio", total["failure_ratio"], thresholds.max_failure_ratio, "--max-failure-ratio"
            )
        )
    if total["p95_ms"] > thresholds.max_p95_ms:
        breaches.append(
            Breach("p95 response time", total["p95_ms"], thresholds.max_p95_ms, "--max-p95-ms", " ms")
        )
    return breaches


def exit_code_for(total: Mapping[str, Any], breaches: list[Breach]) -> int:
    """0 within thresholds, 1 a threshold broken, 3 nothing was measured (no request completed)."""
    if total["requests"] == 0:
        return EXIT_UNAVAILABLE
    return EXIT_THRESHOLD if breaches else EXIT_OK


class StatsEntryLike(Protocol):
    """The part of ``locust.stats.StatsEntry`` the report reads."""

    name: str
    method: str | None
    num_requests: int
    num_failures: int
    max_response_time: float

    @property
    def fail_ratio(self) -> float: ...

    @property
    def median_response_time(self) -> float: ...

    @property
    def total_rps(self) -> float: ...

    def get_response_time_percentile(self, percent: float) -> float: ...


class StatsErrorLike(Protocol):
    """The part of ``locust.stats.StatsError`` the report reads."""

    method: str | None
    name: str
    error: Any  # the failure message or exception
    occurrences: int


class RequestStatsLike(Protocol):
    """The part of ``locust.stats.RequestStats`` the report reads."""

    @property
    def total(self) -> StatsEntryLike: ...

    @property
    def entries(self) -> Mapping[Any, StatsEntryLike]: ...

    @property
    def errors(self) -> Mapping[str, StatsErrorLike]: ...


def _number(value: float) -> float:
    return 0.0 if value is None or math.isnan(value) else round(float(value), 3)


def entry_as_json(entry: StatsEntryLike) -> dict[str, Any]:
    """Requests, failures, failure ratio, median/p95/p99/max (ms) and requests/s of one stats entry."""
    empty = entry.num_requests == 0
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "failure_ratio": _number(entry.fail_ratio),
        "median_ms": 0.0 if empty else _number(entry.median_response_time),
        "p95_ms": 0.0 if empty else _number(entry.get_response_time_percentile(0.95)),
        "p99_ms": 0.0 if empty else _number(entry.get_response_time_percentile(0.99)),
        "max_ms": _number(entry.max_response_time),
        "requests_per_second": _number(entry.total_rps),
    }


def stats_as_json(stats: RequestStatsLike) -> dict[str, Any]:
    """Per request name (sorted; prefixed with the method where one name is used by several) and in total."""
    entries = list(stats.entries.values())
    names = [entry.name for entry in entries]
    requests = {
        (entry.name if names.count(entry.name) == 1 else f"{entry.method} {entry.name}"): entry_as_json(entry)
        for entry in entries
    }
    return {"requests": dict(sorted(requests.items())), "total": entry_as_json(stats.total)}


MAX_ERRORS_REPORTED = 20


def errors_as_json(stats: RequestStatsLike) -> list[dict[str, Any]]:
    """The most frequent failure messages, by request name."""
    ranked = sorted(stats.errors.values(), key=lambda e: e.occurrences, reverse=True)
    return [
        {"request": e.name, "error": str(e.error)[:300], "occurrences": e.occurrences}
        for e in ranked[:MAX_ERRORS_REPORTED]
    ]


def build_report(stats: RequestStatsLike, thresholds: Thresholds, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON document of a load run: statistics, thresholds, breaches and the resulting exit code."""
    body = stats_as_json(stats)
    breaches = evaluate_thresholds(body["total"], thresholds)
    return {
        **meta,
        "thresholds": thresholds.as_json(),
        **body,
        "errors": errors_as_json(stats),
        "breaches": [b.as_json() for b in breaches],
        "exit_code": exit_code_for(body["total"], breaches),
    }


def progress_line(elapsed_seconds: float, total: StatsEntryLike) -> str:
    p95 = total.get_response_time_percentile(0.95) if total.num_requests else 0
    return (
        f"{elapsed_seconds:4.0f}s  {total.num_requests} requests, {total.num_failures} failures, "
        f"{total.total_rps:.1f} req/s, p95 {p95:g} ms"
    )


def print_summary(report: Mapping[str, Any], stats_path: Path) -> int:
    rows = [*report["requests"].items(), ("Total", report["total"])]
    width = max(len(name) for name, _ in rows)
    print(
        f"\n  {'request':<{width}}  {'reqs':>7} {'fails':>6} {'fail%':>6} {'median':>7} "
        f"{'p95':>7} {'p99':>7} {'max':>7} {'req/s':>7}"
    )
    for name, s in rows:
        print(
            f"  {name:<{width}}  {s['requests']:>7} {s['failures']:>6} {100 * s['failure_ratio']:>5.1f}% "
            f"{s['median_ms']:>7g} {s['p95_ms']:>7g} {s['p99_ms']:>7g} {s['max_ms']:>7g} "
            f"{s['requests_per_second']:>7.1f}"
        )
    print("  (times in ms)")
    for error in report.get("errors", [])[:3]:
        print(f"  error x{error['occurrences']}: {error['request']}: {error['error'][:160]}")
    print(f"  stats: {stats_path}")
    for label, key in (("chart", "chart"), ("Locust report", "html_report")):
        if report.get(key):
            print(f"  {label}: {stats_path.parent / report[key]}")
    workers = report.get("workers")
    if workers:
        lost = ", ".join([*workers.get("lost", []), *workers.get("exited_abnormally", [])]) or "none"
        print(f"  workers: {workers['connected']} of {workers['expected']} connected; dropped out: {lost}")
    total, limits = report["total"], report["thresholds"]
    code = int(report["exit_code"])
    if report.get("cut_short"):
        print(f"Verdict: WITHHELD (the run was cut short: {report['cut_short']}; the figures are partial)")
        print(f"Exit code: {EXIT_UNAVAILABLE}")
        return EXIT_UNAVAILABLE
    if code == EXIT_UNAVAILABLE:
        print("Verdict: NO MEASUREMENT (no request completed; see locust.log in the run folder)")
    elif code == EXIT_THRESHOLD:
        for breach in report["breaches"]:
            print(f"  BROKEN {breach['message']}")
        print(f"Verdict: THRESHOLD BROKEN ({len(report['breaches'])} of 2)")
    else:
        print(
            f"Verdict: WITHIN THRESHOLDS (failure ratio {total['failure_ratio']:g} <= "
            f"{limits['max_failure_ratio']:g}, p95 {total['p95_ms']:g} ms <= {limits['max_p95_ms']:g} ms)"
        )
    print(f"Exit code: {code}")
    return code


def history_point(
    elapsed_seconds: float, total: StatsEntryLike, users: int, previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One sample of the run's time series (for the chart): cumulative counts, the rate since the
    ``previous`` sample and the current (last seconds) median and p95 as Locust computes them."""
    before_t, before_n = (previous["t"], previous["requests"]) if previous else (0.0, 0)
    span = elapsed_seconds - float(before_t)
    current: Callable[[float], float | None] | None = getattr(
        total, "get_current_response_time_percentile", None
    )

    def at(percent: float) -> float:
        return (current(percent) or 0.0) if current is not None and total.num_requests else 0.0

    return {
        "t": round(elapsed_seconds, 1),
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": _number((total.num_requests - int(before_n)) / span) if span > 0 else 0.0,
        "p50_ms": _number(at(0.5)),
        "p95_ms": _number(at(0.95)),
        "users": users,
    }


def bucket_percentile(counts: Mapping[int, int], percent: float) -> float:
    """The response time (ms) ``percent`` (0..1) of the requests counted in ``counts`` finished within;
    ``counts`` maps Locust's response-time buckets to request counts (as ``StatsEntry.response_times``,
    or the difference of two of them). Same rule as Locust's own percentile."""
    total = sum(counts.values())
    wanted = int(total * percent)
    processed = 0
    for bucket in sorted(counts, reverse=True):
        processed += counts[bucket]
        if total - processed <= wanted:
            return float(bucket)
    return 0.0


def window_point(
    start: tuple[float, int, int, Mapping[int, int]], end: tuple[float, int, int, Mapping[int, int]]
) -> dict[str, Any]:
    """The figures of the requests finished between two snapshots ``(t, requests, failures,
    response-time buckets)`` of the total statistics: a window of the run."""
    t0, requests0, failures0, buckets0 = start
    t1, requests1, failures1, buckets1 = end
    counts = {b: n - buckets0.get(b, 0) for b, n in buckets1.items() if n > buckets0.get(b, 0)}
    requests, failures = requests1 - requests0, failures1 - failures0
    span = t1 - t0
    return {
        "t0": round(t0, 1),
        "t1": round(t1, 1),
        "requests": requests,
        "failures": failures,
        "rps": _number(requests / span) if span > 0 else 0.0,
        "p50_ms": bucket_percentile(counts, 0.5),
        "p95_ms": bucket_percentile(counts, 0.95),
        "p99_ms": bucket_percentile(counts, 0.99),
    }
