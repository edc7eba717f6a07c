"""`mimcheck capacity`, the command line: options, the steps as load runs, capacity.json, --into."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from conformance.capacity import (
    CAPACITY_FILE,
    SearchPlan,
    Step,
    StepFailed,
    capacity_statement,
    exit_code,
    search,
    step_from_report,
    write_outputs,
)
from conformance.load_cli import (
    _duration,
    _positive_float,
    _positive_int,
    _profile_options,
    _workers,
    add_common_options,
    resolve_load_profile,
)
from conformance.load_run import RunSpec, measure, profile_mim
from conformance.load_stats import EXIT_USAGE, Thresholds
from conformance.load_target import prepare
from conformance.profiles import ProfileError

DEFAULT_P95_MS = 200.0


def _err(message: str) -> None:
    print(f"mimcheck capacity: {message}", file=sys.stderr, flush=True)


def cmd_capacity(ns: argparse.Namespace) -> int:
    from conformance.capacity_cert import check_run_folder, write_statement
    from conformance.runcontext import check_profile, make_run_folder, resolve_target

    try:
        locustfile = resolve_load_profile(ns.profile)
        options = _profile_options(ns.option, locustfile)
    except (ProfileError, ValueError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    if ns.start_users > ns.max_users:
        _err(f"--start-users {ns.start_users} is above --max-users {ns.max_users}")
        return EXIT_USAGE
    if ns.step_duration + 10 > ns.budget:
        _err(f"--budget {ns.budget} s leaves no room for one step of --step-duration {ns.step_duration} s")
        return EXIT_USAGE
    thresholds = Thresholds(ns.max_failure_ratio, ns.max_p95_ms)
    out = make_run_folder(ns.out, suffix="-capacity", latest="latest-capacity").resolve()
    with resolve_target(target=ns.target, target_url=ns.target_url, folder=out) as target:
        check_profile(target.profile)
        amend = check_run_folder(Path(ns.into), ns.sign_key, target.profile.identity()) if ns.into else None
        prepared = prepare(target.profile, target.label, profile_mim(locustfile))
        if isinstance(prepared, int):
            return prepared
        plan = SearchPlan(
            start_users=ns.start_users,
            max_users=ns.max_users,
            budget_seconds=ns.budget,
            step_seconds=ns.step_duration,
            fast_below_p95_ms=thresholds.max_p95_ms / 4,
        )
        print(
            f"mimcheck capacity: {locustfile.stem} against {target.label} ({prepared.base}): p95 <= "
            f"{thresholds.max_p95_ms:g} ms, failures <= {thresholds.max_failure_ratio:g}, steps of "
            f"{ns.step_duration} s from {ns.start_users} users, budget {ns.budget} s, into {out}",
            flush=True,
        )

        def one_step(users: int) -> Step:
            folder = out / "steps" / f"{len(list((out / 'steps').glob('*'))) + 1:02d}-{users}u"
            spec = RunSpec(
                locustfile,
                users,
                max(ns.spawn_rate, users / 2),
                ns.step_duration,
                thresholds,
                0,
                ns.workers,
                options,
            )
            report, code = measure(prepared, spec, folder)
            if report is None:
                raise StepFailed(f"the step at {users} users gave no statistics", code)
            return step_from_report(users, report, str(folder.relative_to(out)), thresholds)

        (out / "steps").mkdir(exist_ok=True)
        started = time.monotonic()
        try:
            result = search(plan, one_step, say=lambda line: print(line, flush=True))
        except StepFailed as exc:
            _err(f"{exc.reason}; no capacity is stated")
            return exc.exit_code
        statement = capacity_statement(result, thresholds, locustfile.stem)
        document: dict[str, Any] = {
            "profile": locustfile.stem,
            "target": target.profile.identity(),
            "thresholds": thresholds.as_json(),
            "plan": {**plan.__dict__, "workers": ns.workers, "options": options},
            "seconds": round(time.monotonic() - started, 1),
            **result.as_json(),
            "statement": statement,
        }
        write_outputs(out, document, result, thresholds)
        prepared.redactor.scrub_tree(out)
        print(f"  stopped: {result.stopped_because}; {len(result.steps)} steps in {document['seconds']:g} s")
        print(
            f"  capacity: {out / CAPACITY_FILE}"
            + (f", chart: {out / document['chart']}" if "chart" in document else "")
        )
        if result.best is None:
            print("Capacity: NONE (no step held both thresholds)")
            return exit_code(result)
        best = result.best
        print(
            f"Capacity: {best.throughput_rps:g} req/s at {best.users} users (p50 {best.p50_ms:g} ms, "
            f"p95 {best.p95_ms:g} ms, p99 {best.p99_ms:g} ms, failures {100 * best.failure_ratio:.2f}%)"
        )
        if amend is not None and statement is not None:
            write_statement(amend, statement, out)
            signed = "re-signed" if amend.key is not None else "manifest refreshed (unsigned run)"
            print(
                f"  certificate: load statement written into {amend.folder / 'certificate.json'} and "
                f"certificate.html; {signed}"
            )
        return exit_code(result)


def _budget(text: str) -> int:
    return _duration(text)


def add_capacity_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cap = sub.add_parser(
        "capacity",
        help="find the highest throughput a target sustains within a p95 and failure-ratio threshold",
        description="Step the offered load (users) up until a threshold breaks, then bisect; report the "
        "highest throughput that held, with p50/p95/p99, in capacity.json (and, with --into, in a run's "
        "certificate as its load statement). Exit 0 a capacity found, 1 no step held, 2 bad usage, "
        "3 target unreachable or a step gave no measurement.",
    )
    add_common_options(cap)
    cap.add_argument(
        "--max-p95-ms",
        type=_positive_float,
        default=DEFAULT_P95_MS,
        metavar="MS",
        help=f"highest acceptable p95 response time over all requests (default {DEFAULT_P95_MS:g})",
    )
    cap.add_argument(
        "--budget",
        type=_budget,
        default=180,
        metavar="T",
        help="bound on the whole search, e.g. 5m (default 3m)",
    )
    cap.add_argument(
        "--step-duration", type=_duration, default=20, metavar="T", help="length of each step (default 20s)"
    )
    cap.add_argument(
        "--start-users",
        type=_positive_int,
        default=5,
        metavar="N",
        help="users of the first step (default 5)",
    )
    cap.add_argument(
        "--max-users",
        type=_positive_int,
        default=500,
        metavar="N",
        help="never step above this (default 500)",
    )
    cap.add_argument(
        "--workers",
        type=_workers,
        default=0,
        metavar="N",
        help="Locust workers per step (default 0: one process)",
    )
    cap.add_argument("--into", metavar="RUN_DIR", help="write the result into this run's certificate.json")
    cap.add_argument(
        "--sign-key", metavar="PEM", help="with --into on a signed run: the key that signed it, to re-sign"
    )
    cap.add_argument(
        "--out", metavar="DIR", help="folder (default reports/<timestamp>-capacity, reports/latest-capacity)"
    )
    cap.set_defaults(func=cmd_capacity)
