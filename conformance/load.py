"""`mimcheck load`: run a Locust load profile against a target and judge it against thresholds.

Two halves live here, both free of any Locust import at module level:

* the CLI side (``add_load_parser``, ``cmd_load``): resolves the target exactly like ``mimcheck run``
  (embedded reference platform, ``--target`` profile or ``--target-url``), starts Locust headless in
  a child process with a bounded duration, echoes a short progress line and prints a summary;
* the Locust side (``attach_reporting``), called by every locustfile (the built-in ones are in
  conformance/loadprofiles/, installed with the suite): it gathers
  ``environment.stats`` when the test stops, writes them as JSON to the path in ``MIMCHECK_LOAD_STATS``
  and sets Locust's process exit code from the thresholds.

The statistics and threshold logic in between are pure functions, unit-tested without Locust.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote

from conformance import package_data
from conformance.profiles import ProfileError, TargetProfile
from conformance.run_ids import new_run_id

# Same meaning as in conformance.cli (not imported from there: locustfiles import this module, and the
# CLI module drags pytest into the Locust process).
EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3

ENV_STATS = "MIMCHECK_LOAD_STATS"
ENV_RUN_ID = "MIMCHECK_LOAD_RUN_ID"
ENV_HEADERS = "MIMCHECK_LOAD_HEADERS"
ENV_AUTH = "MIMCHECK_LOAD_AUTH"  # the profile's [auth] as JSON: names of variables, never a secret
ENV_MAX_FAILURE_RATIO = "MIMCHECK_LOAD_MAX_FAILURE_RATIO"
ENV_MAX_P95_MS = "MIMCHECK_LOAD_MAX_P95_MS"
ENV_PROGRESS_SECONDS = "MIMCHECK_LOAD_PROGRESS_SECONDS"

PROGRESS_PREFIX = "mimcheck-load: "
STATS_FILE = "load-stats.json"
LOCUST_LOG = "locust.log"
MAX_DURATION_SECONDS = 3600
STOP_TIMEOUT_SECONDS = 15
STARTUP_GRACE_SECONDS = 60
LOAD_PROFILES_PACKAGE = "conformance.loadprofiles"  # the built-in locustfiles, shipped as package data


# ------------------------------------------------------------------------------------ pure logic


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


# ---------------------------------------------------------------------------------- Locust side


@dataclass(frozen=True)
class LoadSettings:
    """What the CLI hands a locustfile through the environment; sane defaults for a bare `locust -f`."""

    run_id: str
    stats_path: Path | None
    headers: dict[str, str]
    thresholds: Thresholds
    progress_seconds: float
    authorizer: Callable[[], dict[str, str]] | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> LoadSettings:
        headers = json.loads(environ.get(ENV_HEADERS) or "{}")
        stats = environ.get(ENV_STATS)
        authorizer = None
        if environ.get(ENV_AUTH):
            from conformance.auth import make_authorizer
            from conformance.profiles import Auth
            from conformance.redaction import Redactor

            authorizer = make_authorizer(Auth(**json.loads(environ[ENV_AUTH])), Redactor())
        return cls(
            run_id=environ.get(ENV_RUN_ID) or new_run_id(),
            stats_path=Path(stats) if stats else None,
            headers={str(k): str(v) for k, v in headers.items()},
            thresholds=Thresholds(
                max_failure_ratio=float(environ.get(ENV_MAX_FAILURE_RATIO, Thresholds.max_failure_ratio)),
                max_p95_ms=float(environ.get(ENV_MAX_P95_MS, Thresholds.max_p95_ms)),
            ),
            progress_seconds=float(environ.get(ENV_PROGRESS_SECONDS, "5")),
            authorizer=authorizer,
        )

    def credentials(self) -> dict[str, str]:
        """The Authorization header for one request: an OAuth2 token is refreshed before it expires,
        however long the load run lasts."""
        return self.authorizer() if self.authorizer is not None else {}


def attach_reporting(
    events: Any, settings: LoadSettings, profile_name: str, entity_types: tuple[str, ...] = ()
) -> None:
    """Register the listeners that print progress, write the stats JSON and set the exit code.

    ``events`` is ``locust.events``; call this at import time of the locustfile. ``entity_types`` are
    the types of the entities the profile creates (ids ``urn:ngsi-ld:<type>:<run-id>-...``): the CLI
    sweeps what the users left behind after the run.
    """
    state: dict[str, Any] = {"report": None, "started": time.monotonic(), "printer": None}

    def on_test_start(environment: Any, **_: Any) -> None:
        import gevent  # only ever imported inside the Locust process

        state["started"] = time.monotonic()

        def print_progress() -> None:
            while True:
                gevent.sleep(settings.progress_seconds)
                line = progress_line(time.monotonic() - state["started"], environment.stats.total)
                print(PROGRESS_PREFIX + line, flush=True)

        if settings.progress_seconds > 0:
            state["printer"] = gevent.spawn(print_progress)

    def on_test_stop(environment: Any, **_: Any) -> None:
        if state["printer"] is not None:
            state["printer"].kill(block=False)
        meta = {
            "profile": profile_name,
            "run_id": settings.run_id,
            "entity_types": list(entity_types),
            "host": environment.host,
            "duration_seconds": round(time.monotonic() - state["started"], 1),
        }
        report = build_report(environment.stats, settings.thresholds, meta)
        state["report"] = report
        environment.process_exit_code = report["exit_code"]
        if settings.stats_path is not None:
            settings.stats_path.parent.mkdir(parents=True, exist_ok=True)
            settings.stats_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    def on_quitting(environment: Any, **_: Any) -> None:
        if state["report"] is None:  # quit before any test ran (e.g. a signal during start-up)
            on_test_stop(environment)
        environment.process_exit_code = state["report"]["exit_code"]

    events.test_start.add_listener(on_test_start)
    events.test_stop.add_listener(on_test_stop)
    events.quitting.add_listener(on_quitting)


# ------------------------------------------------------------------------------------- CLI side


def _err(message: str) -> None:
    print(f"mimcheck load: {message}", file=sys.stderr, flush=True)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 1000, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0 or math.isnan(value):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a number > 0, got 0")
    return value


def _duration(text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def load_profiles_dir() -> Path:
    """The folder of the built-in load profiles (conformance/loadprofiles), wherever the suite is installed."""
    return package_data.path(package=LOAD_PROFILES_PACKAGE)


def available_profiles() -> list[str]:
    folder = load_profiles_dir()
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def resolve_load_profile(name: str) -> Path:
    """A locustfile path: ``name`` itself if it is a file, else the built-in profile ``<name>``."""
    direct = Path(name)
    if direct.suffix == ".py" and direct.is_file():
        return direct.resolve()
    if name in available_profiles():
        return (load_profiles_dir() / f"{name}.py").resolve()
    known = ", ".join(available_profiles()) or "none found"
    raise ProfileError(
        "--profile",
        name,
        f"no such load profile; pass a locustfile path or one of the built-in ones: {known}",
    )


@dataclass(frozen=True)
class LocustJob:
    locustfile: Path
    host: str
    users: int
    spawn_rate: float
    duration_seconds: int
    out: Path

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(self.locustfile),
            "--headless",
            "--only-summary",
            "--host",
            self.host,
            "-u",
            str(self.users),
            "-r",
            f"{self.spawn_rate:g}",
            "-t",
            f"{self.duration_seconds}s",
            "--stop-timeout",
            str(STOP_TIMEOUT_SECONDS),
            "--loglevel",
            "INFO",
        ]

    def deadline_seconds(self) -> int:
        """When the child is terminated whatever it is doing."""
        return self.duration_seconds + STOP_TIMEOUT_SECONDS + STARTUP_GRACE_SECONDS


def auth_headers(profile: TargetProfile) -> dict[str, str]:
    """The Authorization header for the profile's auth (empty for none). Raises AuthError."""
    from conformance.auth import make_authorizer
    from conformance.redaction import Redactor

    return make_authorizer(profile.auth, Redactor(), timeout=profile.timeout_seconds)()


def plain_headers(profile: TargetProfile) -> dict[str, str]:
    """Headers that are not credentials: the profile's extra headers and the NGSI-LD tenant."""
    headers = dict(profile.headers)
    if profile.tenant:
        headers["NGSILD-Tenant"] = profile.tenant
    return headers


def preflight(url: str, headers: Mapping[str, str], timeout: float) -> str | None:
    """One line naming why the target is unreachable, or None. Any HTTP answer counts as reachable."""
    import requests

    try:
        requests.get(url, headers=dict(headers), timeout=min(timeout, 10), allow_redirects=False)
    except requests.RequestException as exc:
        return (
            f"target unreachable: {url} ({type(exc).__name__}); check the URL and that the broker is running"
        )
    return None


def run_entity_prefix(entity_type: str, run_id: str) -> str:
    """The id prefix of every entity of this type a run creates."""
    return f"urn:ngsi-ld:{entity_type}:{run_id}-"


SWEEP_MAX_ROUNDS = 20
SWEEP_PAGE = 100


def sweep_run_entities(
    base: str, headers: Mapping[str, str], entity_types: Iterable[str], run_id: str, timeout: float
) -> tuple[int, str | None]:
    """Delete the entities of this run the users left behind (normally none).

    Only ids carrying this run's prefix are deleted, whatever the broker answers to ``idPattern``.
    Returns how many were deleted and a problem that stopped the sweep, if any.
    """
    import requests

    if not re.fullmatch(r"[A-Za-z0-9]+", run_id):
        return 0, f"run id {run_id!r} is not alphanumeric; sweep skipped"
    removed = 0
    with requests.Session() as http:
        http.headers.update({"Accept": "application/json", **headers})
        for entity_type in entity_types:
            prefix = run_entity_prefix(entity_type, run_id)
            for _ in range(SWEEP_MAX_ROUNDS):
                try:
                    found = http.get(
                        f"{base}/ngsi-ld/v1/entities",
                        params={"type": entity_type, "idPattern": f"^{prefix}.*", "limit": str(SWEEP_PAGE)},
                        timeout=timeout,
                        allow_redirects=False,
                    )
                    if found.status_code != 200:
                        return removed, f"query for leftovers answered HTTP {found.status_code}"
                    ours = [e["id"] for e in found.json() if str(e.get("id", "")).startswith(prefix)]
                    for entity_id in ours:
                        gone = http.delete(
                            f"{base}/ngsi-ld/v1/entities/{quote(entity_id, safe=':')}",
                            timeout=timeout,
                            allow_redirects=False,
                        )
                        removed += gone.status_code in (204, 404)
                except (requests.RequestException, ValueError, TypeError, KeyError) as exc:
                    return removed, f"sweep failed: {type(exc).__name__}"
                if not ours:
                    break
    return removed, None


def _pump(stream: IO[str], log: IO[str], scrub: Callable[[str], str], echo: Callable[[str], None]) -> None:
    for raw in stream:
        line = scrub(raw)
        log.write(line)
        log.flush()
        if line.startswith(PROGRESS_PREFIX):
            echo("  " + line[len(PROGRESS_PREFIX) :].rstrip())


@dataclass(frozen=True)
class LocustOutcome:
    exit_code: int | None  # None: it had to be killed
    cut_short: str | None = None  # why the run did not last its full duration, if it did not


def run_locust(job: LocustJob, env: Mapping[str, str], scrub: Callable[[str], str]) -> LocustOutcome:
    """Run Locust to completion, bounded in time; Ctrl-C or SIGTERM stop it cleanly.

    Its output goes to locust.log through ``scrub`` (which masks secrets); progress lines are echoed.
    """
    with open(job.out / LOCUST_LOG, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            job.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            cwd=job.out,
        )
        assert proc.stdout is not None
        pump = threading.Thread(
            target=_pump, args=(proc.stdout, log, scrub, lambda s: print(s, flush=True)), daemon=True
        )
        pump.start()
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
        try:
            outcome = LocustOutcome(proc.wait(timeout=job.deadline_seconds()))
        except subprocess.TimeoutExpired:
            _err(f"locust did not stop within {job.deadline_seconds()} s; stopping it")
            outcome = LocustOutcome(_stop(proc), "locust overran its duration")
        except KeyboardInterrupt:
            _err("interrupted; waiting for the users to delete the entities they created")
            outcome = LocustOutcome(_stop(proc), "interrupted")
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, previous)
        pump.join(timeout=5)
    return outcome


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM while Locust runs: handled like Ctrl-C, so the users still clean up."""
    raise KeyboardInterrupt


def _stop(proc: subprocess.Popen[str]) -> int | None:
    """Ask Locust to shut down (its users then clean up), kill it if it does not."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_SECONDS + 10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
    return proc.returncode


def _tail(path: Path, lines: int = 15) -> str:
    try:
        content = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in content[-lines:])


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
    total, limits = report["total"], report["thresholds"]
    code = int(report["exit_code"])
    if report.get("cut_short"):
        print(f"Verdict: WITHHELD (the run was cut short: {report['cut_short']}; the figures are partial)")
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
    return code


def load_target(profile: TargetProfile, ns: argparse.Namespace, out: Path, label: str) -> int:
    """Preflight, run Locust, read its stats and print the summary. Returns the exit code."""
    from conformance.auth import AuthError
    from conformance.outcomes import Inconclusive
    from conformance.redaction import SECRET_HEADERS, Redactor

    base = profile.base_url("mim1")
    if base is None:
        _err(
            f"{profile.source}: the profile has no [mim1] base_url; the load profiles exercise NGSI-LD (MIM1)"
        )
        return EXIT_USAGE
    try:
        credentials = auth_headers(profile)
    except AuthError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except Inconclusive as exc:  # the oauth2 token endpoint: unreachable or refusing
        _err(f"could not obtain a token: {exc.reason}")
        return EXIT_UNAVAILABLE
    headers = plain_headers(profile)
    # as in `mimcheck run`: extra header values of 8 characters or more often carry API keys
    redactor = Redactor(
        [
            *credentials.values(),
            *profile.auth.secrets(),
            *(v for k, v in headers.items() if k.lower() in SECRET_HEADERS or len(v) >= 8),
        ]
    )
    problem = preflight(base + "/ngsi-ld/v1/types", {**headers, **credentials}, profile.timeout_seconds)
    if problem:
        _err(problem)
        return EXIT_UNAVAILABLE

    job = LocustJob(ns.locustfile, base, ns.users, ns.spawn_rate, ns.duration, out)
    stats_path = (out / STATS_FILE).resolve()
    stats_path.unlink(missing_ok=True)
    thresholds = Thresholds(ns.max_failure_ratio, ns.max_p95_ms)
    env = {
        ENV_STATS: str(stats_path),
        ENV_RUN_ID: new_run_id(),
        ENV_HEADERS: json.dumps(headers),
        ENV_MAX_FAILURE_RATIO: repr(thresholds.max_failure_ratio),
        ENV_MAX_P95_MS: repr(thresholds.max_p95_ms),
        ENV_PROGRESS_SECONDS: str(ns.progress_seconds),
    }
    if profile.auth.type != "none":
        env[ENV_AUTH] = json.dumps(dataclasses.asdict(profile.auth))
    print(
        f"mimcheck load: {ns.locustfile.stem} against {label} ({base}): {ns.users} users, "
        f"spawn {ns.spawn_rate:g}/s, {ns.duration} s, into {out}",
        flush=True,
    )
    outcome = run_locust(job, env, redactor.text)
    if not stats_path.is_file():
        _err(
            f"locust ended without statistics (exit {outcome.exit_code}); the last lines of "
            f"{out / LOCUST_LOG}:\n" + _tail(out / LOCUST_LOG)
        )
        return EXIT_UNAVAILABLE
    report = json.loads(stats_path.read_text(encoding="utf-8"))
    removed, problem = 0, None
    if report["total"]["failures"] < report["total"]["requests"]:  # something may have been created
        removed, problem = sweep_run_entities(
            base,
            {**headers, **credentials},
            report.get("entity_types", []),
            env[ENV_RUN_ID],
            profile.timeout_seconds,
        )
    report["cleanup"] = {"leftover_entities_removed": removed, "problem": problem}
    if removed:
        print(f"  cleanup: the users left {removed} of this run's entities behind; deleted them")
    if problem:
        _err(
            f"cleanup: {problem}; entities with ids starting urn:ngsi-ld:<type>:{env[ENV_RUN_ID]}- may remain"
        )
    report["target"] = profile.identity()
    report["settings"] = {"users": ns.users, "spawn_rate": ns.spawn_rate, "duration_seconds": ns.duration}
    report["locust_exit_code"] = outcome.exit_code
    report["cut_short"] = outcome.cut_short
    stats_path.write_text(redactor.text(json.dumps(report, indent=2)) + "\n", encoding="utf-8")
    redactor.scrub_tree(out)  # last line of defence: Locust's own files and the copied profile
    return print_summary(report, stats_path)


def cmd_load(ns: argparse.Namespace) -> int:
    """Resolve the target exactly like `mimcheck run` (the shared run context), then load it."""
    from conformance.runcontext import check_profile, make_run_folder, resolve_target

    try:
        ns.locustfile = resolve_load_profile(ns.profile)
    except ProfileError as exc:
        _err(str(exc))
        return EXIT_USAGE
    out = make_run_folder(ns.out, suffix="-load", latest="latest-load").resolve()
    with resolve_target(target=ns.target, target_url=ns.target_url, folder=out) as target:
        check_profile(target.profile)
        return load_target(target.profile, ns, out, target.label)


def add_load_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    load = sub.add_parser(
        "load",
        help="run a Locust load profile against a target (default: the embedded reference platform)",
        description="Run a bounded Locust load profile headless and judge the failure ratio and p95 "
        "response time. Exit 0 within thresholds, 1 a threshold broken, 2 bad usage, 3 target "
        "unreachable or Locust could not run.",
    )
    target = load.add_mutually_exclusive_group()
    target.add_argument("--target", metavar="PROFILE", help="target profile TOML (see profiles/targets/)")
    target.add_argument("--target-url", metavar="URL", help="NGSI-LD base URL of the target, with defaults")
    load.add_argument(
        "--profile",
        default="ngsi_ld_entities",
        metavar="NAME",
        help="load profile: a built-in one (conformance/loadprofiles) or a locustfile path (default ngsi_ld_entities)",
    )
    load.add_argument(
        "--users", type=_positive_int, default=10, metavar="N", help="concurrent users (default 10)"
    )
    load.add_argument(
        "--spawn-rate",
        type=_positive_float,
        default=5.0,
        metavar="R",
        help="users started per second (default 5)",
    )
    load.add_argument(
        "--duration",
        type=_duration,
        default=20,
        metavar="T",
        help=f"run time, e.g. 20s, 2m (default 20s, at most {MAX_DURATION_SECONDS // 60}m)",
    )
    load.add_argument(
        "--max-failure-ratio",
        type=_non_negative_float,
        default=Thresholds.max_failure_ratio,
        metavar="X",
        help="highest acceptable share of failed requests, 0..1 (default 0.01)",
    )
    load.add_argument(
        "--max-p95-ms",
        type=_positive_float,
        default=Thresholds.max_p95_ms,
        metavar="MS",
        help="highest acceptable 95th percentile response time over all requests (default 500)",
    )
    load.add_argument(
        "--out", metavar="DIR", help="run folder (default reports/<timestamp>-load, reports/latest-load)"
    )
    load.add_argument(
        "--progress-seconds",
        type=_non_negative_float,
        default=5.0,
        metavar="S",
        help="seconds between progress lines, 0 for none (default 5)",
    )
    load.set_defaults(func=cmd_load)
