"""The windows of a load run (figures of consecutive spans after the warm-up) and how `mimcheck
capacity` judges a step on their medians, so that a burst of other work on the machine moves one
window rather than the step."""

from __future__ import annotations

from conformance.capacity import SearchPlan, Step, search, step_from_report
from conformance.load_stats import Thresholds, bucket_percentile, window_point


def test_bucket_percentiles_follow_locusts_rule() -> None:
    counts = {1: 50, 2: 30, 10: 15, 100: 5}  # locust.stats.calculate_response_time_percentile agrees
    assert [bucket_percentile(counts, p) for p in (0.5, 0.8, 0.95, 0.99)] == [2, 10, 100, 100]
    assert bucket_percentile({}, 0.95) == 0


def test_a_window_is_the_difference_of_two_snapshots() -> None:
    start = (2.0, 100, 1, {1: 90, 5: 10})
    end = (7.0, 600, 3, {1: 500, 5: 60, 300: 40})
    window = window_point(start, end)
    assert window == {
        "t0": 2.0,
        "t1": 7.0,
        "requests": 500,
        "failures": 2,
        "rps": 100.0,
        "p50_ms": 1.0,
        "p95_ms": 300.0,
        "p99_ms": 300.0,
    }


def _report(windows: list[dict], p95_total: float = 50.0, failure_ratio: float = 0.0) -> dict:
    total = {
        "requests": 1000,
        "failure_ratio": failure_ratio,
        "requests_per_second": 40.0,
        "median_ms": 3.0,
        "p95_ms": p95_total,
        "p99_ms": 400.0,
    }
    breaches = [{"message": "p95"}] if p95_total > 200 else []
    return {"total": total, "breaches": breaches, "windows": windows}


def _window(rps: float, p95: float) -> dict:
    return {"requests": 100, "rps": rps, "p50_ms": 2.0, "p95_ms": p95, "p99_ms": p95 * 2}


def test_a_burst_in_one_window_does_not_break_the_step() -> None:
    windows = [_window(50, 40), _window(52, 45), _window(20, 900), _window(51, 42)]
    step = step_from_report(10, _report(windows, p95_total=260.0), "steps/01", Thresholds(0.01, 200.0))
    assert step.holds and step.p95_ms == 43.5 and step.throughput_rps == 50.5
    assert step.basis == "median of 4 windows" and "median of 4 windows" in step.line(1)


def test_failures_are_judged_over_the_whole_step() -> None:
    windows = [_window(50, 40)] * 3
    step = step_from_report(10, _report(windows, failure_ratio=0.05), "s", Thresholds(0.01, 200.0))
    assert not step.holds and "failure ratio" in step.breaches[0]


def test_too_few_windows_judge_the_whole_step() -> None:
    step = step_from_report(10, _report([_window(50, 40)] * 2, p95_total=260.0), "s", Thresholds(0.01, 200.0))
    assert not step.holds and step.basis == "whole step" and step.throughput_rps == 40.0


def test_far_below_the_limit_users_grow_faster() -> None:
    asked: list[int] = []

    def measure(users: int) -> Step:
        asked.append(users)
        p95 = 10.0 if users < 50 else (100.0 if users <= 100 else 400.0)
        return Step(users, p95 <= 200, 10.0 * users, 1.0, p95, p95, 0.0, 100)

    plan = SearchPlan(start_users=5, budget_seconds=10_000, fast_below_p95_ms=50.0)
    result = search(plan, measure, clock=lambda: 0.0, say=lambda _: None)
    assert asked[:4] == [5, 20, 80, 160]  # x4 while p95 < 50 ms, then x2
    assert result.best is not None and result.best.users <= 100


def test_after_an_overshoot_the_bisection_halves_the_gap_geometrically() -> None:
    asked: list[int] = []

    def measure(users: int) -> Step:
        asked.append(users)
        p95 = 10.0 if users <= 80 else (150.0 if users <= 120 else 400.0)
        return Step(users, p95 <= 200, 10.0 * users, 1.0, p95, p95, 0.0, 100)

    plan = SearchPlan(start_users=5, budget_seconds=10_000, fast_below_p95_ms=50.0)
    result = search(plan, measure, clock=lambda: 0.0, say=lambda _: None)
    assert asked[:6] == [5, 20, 80, 320, 160, 120]  # sqrt(80 * 320), then halves as before
    assert result.best is not None and 120 <= result.best.users <= 130
