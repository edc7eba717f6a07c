"""`mimcheck capacity`: the highest sustained throughput a target holds within the thresholds.

The search steps the offered load (concurrent users) up geometrically until a step breaks a threshold
(failure ratio or p95), then bisects between the last step that held and the first that broke. Each
step is a whole ``mimcheck load`` run of the same profile (its own folder under ``steps/``, cleaned up
like any load run). The result is the step that held with the highest measured throughput, with its
p50/p95/p99. The whole search is bounded by ``--budget``: a step is only started when it can end
within it. The search itself (``search``) is pure, driven by a ``measure`` callable, and unit-tested.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from conformance.load_stats import (
    EXIT_OK,
    EXIT_THRESHOLD,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    Thresholds,
    evaluate_thresholds,
)
from conformance.records import LoadStatement

CAPACITY_FILE = "capacity.json"
CAPACITY_CHART = "capacity-chart.svg"
STATEMENT_METHOD = (
    "mimcheck capacity: highest throughput of a step within both thresholds; a step's throughput and "
    "percentiles are the medians over its 5-second windows after the warm-up, its failure ratio that "
    "of the whole step"
)
STEP_OVERHEAD_SECONDS = 10.0
MIN_WINDOWS = 3  # fewer windows after the warm-up: the step is judged on its whole figures  # start-up and clean-up of one step, until one has been timed


@dataclass
class Step:
    """One measured load level."""

    users: int
    holds: bool
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failure_ratio: float
    requests: int
    breaches: list[str] = field(default_factory=list)
    folder: str = ""
    seconds: float = 0.0
    basis: str = "whole step"  # or "median of N windows" (after the warm-up)

    def line(self, number: int) -> str:
        verdict = "holds" if self.holds else "BREAKS " + "; ".join(self.breaches)
        basis = "" if self.basis == "whole step" else f" ({self.basis})"
        return (
            f"  step {number}: {self.users} users: {self.throughput_rps:g} req/s, p50 {self.p50_ms:g} ms, "
            f"p95 {self.p95_ms:g} ms, p99 {self.p99_ms:g} ms{basis}, failures {100 * self.failure_ratio:.2f}%: "
            f"{verdict}"
        )


class StepFailed(Exception):
    """A step gave no usable measurement (target down, Locust failed, a worker dropped out)."""

    def __init__(self, reason: str, exit_code: int = EXIT_UNAVAILABLE) -> None:
        super().__init__(reason)
        self.reason, self.exit_code = reason, exit_code


@dataclass(frozen=True)
class SearchPlan:
    start_users: int = 5
    max_users: int = 500
    growth: float = 2.0  # users multiply by this while every step holds
    resolution: float = 0.1  # bisection stops when the gap is at most this share of the users held
    budget_seconds: float = 180.0
    step_seconds: int = 20
    # while a step's p95 is below this (and nothing failed), users grow by growth squared: far below
    # the knee, the small steps only cost time the bisection needs (0: always by growth)
    fast_below_p95_ms: float = 0.0


@dataclass
class SearchResult:
    steps: list[Step]
    best: Step | None
    stopped_because: str

    def as_json(self) -> dict[str, Any]:
        return {
            "steps": [asdict(s) for s in self.steps],
            "result": asdict(self.best) if self.best else None,
            "stopped_because": self.stopped_because,
        }


def best_step(steps: list[Step]) -> Step | None:
    """The step that held with the highest throughput (fewer users on a tie)."""
    held = [s for s in steps if s.holds]
    return max(held, key=lambda s: (s.throughput_rps, -s.users)) if held else None


def search(
    plan: SearchPlan,
    measure: Callable[[int], Step],
    clock: Callable[[], float] = time.monotonic,
    say: Callable[[str], None] = print,
) -> SearchResult:
    """Step up, then bisect, within the budget. ``measure(users)`` runs one step (may raise StepFailed)."""
    started = clock()
    steps: list[Step] = []
    cost = [plan.step_seconds + STEP_OVERHEAD_SECONDS]  # the longest step so far, in wall time

    def affordable() -> bool:
        return clock() - started + max(cost) <= plan.budget_seconds

    def run(users: int) -> Step:
        before = clock()
        step = measure(users)
        step.seconds = round(clock() - before, 1)
        cost.append(step.seconds)
        steps.append(step)
        say(step.line(len(steps)))
        return step

    held, broke = 0, 0
    users = plan.start_users
    while True:
        if not affordable():
            return SearchResult(steps, best_step(steps), "the time budget ran out while stepping up")
        step = run(users)
        if not step.holds:
            broke = users
            break
        held = users
        if users >= plan.max_users:
            return SearchResult(steps, best_step(steps), f"held up to --max-users {plan.max_users}")
        fast = step.p95_ms < plan.fast_below_p95_ms and step.failure_ratio == 0
        factor = plan.growth**2 if fast else plan.growth
        users = min(plan.max_users, max(users + 1, round(users * factor)))
    if held == 0:
        return SearchResult(steps, None, f"the first step ({broke} users) already broke a threshold")
    while broke - held > max(1, plan.resolution * held):
        if not affordable():
            return SearchResult(steps, best_step(steps), "the time budget ran out while bisecting")
        # after a quadrupling step the gap spans more than a doubling: its geometric middle first
        middle = round(math.sqrt(held * broke)) if broke > 2 * held else (held + broke) // 2
        if run(middle).holds:
            held = middle
        else:
            broke = middle
    return SearchResult(
        steps, best_step(steps), f"bisected between {held} users (held) and {broke} users (broke)"
    )


def step_from_report(
    users: int, report: dict[str, Any], folder: str, thresholds: Thresholds | None = None
) -> Step:
    """A Step from the load-stats.json of one step; StepFailed when the figures are not a verdict.

    With ``thresholds`` and at least MIN_WINDOWS windows after the warm-up, the step's throughput and
    percentiles are the medians over its windows (a burst of other work on the machine moves one
    window, not the step), and it holds when the median p95 and the failure ratio over the whole step
    are within the thresholds. Otherwise the figures are those of the whole step."""
    if report.get("cut_short"):
        raise StepFailed(f"the step at {users} users was cut short: {report['cut_short']}")
    total = report["total"]
    if total["requests"] == 0:
        raise StepFailed(f"no request completed at {users} users (see {folder}/locust.log)")
    windows = [w for w in report.get("windows") or [] if w.get("requests")]
    if thresholds is not None and len(windows) >= MIN_WINDOWS:
        p95 = median(w["p95_ms"] for w in windows)
        measured = {
            "throughput_rps": round(median(w["rps"] for w in windows), 3),
            "p50_ms": median(w["p50_ms"] for w in windows),
            "p95_ms": p95,
            "p99_ms": median(w["p99_ms"] for w in windows),
        }
        breaches = [b.message() for b in evaluate_thresholds({**total, "p95_ms": p95}, thresholds)]
        basis = f"median of {len(windows)} windows"
    else:
        measured = {
            "throughput_rps": total["requests_per_second"],
            "p50_ms": total["median_ms"],
            "p95_ms": total["p95_ms"],
            "p99_ms": total["p99_ms"],
        }
        breaches = [b["message"] for b in report["breaches"]]
        basis = "whole step"
    return Step(
        users=users,
        holds=not breaches,
        failure_ratio=total["failure_ratio"],
        requests=total["requests"],
        breaches=breaches,
        folder=folder,
        basis=basis,
        **measured,
    )


def capacity_statement(result: SearchResult, thresholds: Thresholds, profile: str) -> dict[str, Any] | None:
    """The certificate's ``load`` member (what `mimcheck tender` reads: throughput_rps and p95_ms)."""
    best = result.best
    if best is None:
        return None
    return LoadStatement(
        throughput_rps=best.throughput_rps,
        p95_ms=best.p95_ms,
        p50_ms=best.p50_ms,
        p99_ms=best.p99_ms,
        failure_ratio=best.failure_ratio,
        users=best.users,
        profile=profile,
        thresholds=thresholds.as_json(),
        method=STATEMENT_METHOD,
        measured=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    ).to_json()


def exit_code(result: SearchResult) -> int:
    return EXIT_OK if result.best is not None else EXIT_THRESHOLD


def write_outputs(out: Path, document: dict[str, Any], result: SearchResult, thresholds: Thresholds) -> None:
    from conformance.load_svg import capacity_chart

    svg = capacity_chart(
        [asdict(s) for s in result.steps], asdict(result.best) if result.best else None, thresholds.max_p95_ms
    )
    if svg is not None:
        (out / CAPACITY_CHART).write_text(svg, encoding="utf-8")
        document["chart"] = CAPACITY_CHART
    (out / CAPACITY_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


__all__ = [
    "CAPACITY_FILE",
    "EXIT_USAGE",
    "SearchPlan",
    "SearchResult",
    "Step",
    "StepFailed",
    "best_step",
    "capacity_statement",
    "exit_code",
    "search",
    "step_from_report",
    "write_outputs",
]
