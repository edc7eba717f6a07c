"""`mimcheck load`, the Locust side: what every locustfile calls at import time.

``LoadSettings`` carries what the CLI hands the Locust process through its environment (run id,
headers, auth configuration, thresholds); ``attach_reporting`` registers the listeners that print
progress lines, sample the time series for the chart, write the statistics JSON and set Locust's
exit code. In a distributed run (``--workers``) only the master reports, from the merged statistics,
and it names the workers that dropped out. Small helpers the built-in profiles share are here too.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from conformance.load_stats import Thresholds, build_report, history_point, progress_line, window_point
from conformance.run_ids import new_run_id

ENV_STATS = "MIMCHECK_LOAD_STATS"
ENV_RUN_ID = "MIMCHECK_LOAD_RUN_ID"
ENV_HEADERS = "MIMCHECK_LOAD_HEADERS"
ENV_AUTH = "MIMCHECK_LOAD_AUTH"  # the profile's [auth] as JSON: names of variables, never a secret
ENV_MAX_FAILURE_RATIO = "MIMCHECK_LOAD_MAX_FAILURE_RATIO"
ENV_MAX_P95_MS = "MIMCHECK_LOAD_MAX_P95_MS"
ENV_PROGRESS_SECONDS = "MIMCHECK_LOAD_PROGRESS_SECONDS"
ENV_EXPECT_WORKERS = "MIMCHECK_LOAD_EXPECT_WORKERS"
ENV_NOTIFY_HOST = "MIMCHECK_LOAD_NOTIFY_HOST"  # where a profile's notification receiver listens
ENV_TMF_ROOTS = "MIMCHECK_LOAD_TMF_ROOTS"  # the target profile's [mim3.roots], as JSON
ENV_PROFILE_OPTIONS = "MIMCHECK_LOAD_OPTIONS"  # per-profile knobs as JSON, e.g. {"seed_entities": 200}
ENV_WARMUP_SECONDS = "MIMCHECK_LOAD_WARMUP_SECONDS"  # the first window starts after this (the ramp-up)

PROGRESS_PREFIX = "mimcheck-load: "
HISTORY_SECONDS = 1.0
# In a distributed run the master's figures move when a worker reports (Locust: every 3 s); sampling
# at that pace keeps the throughput curve from alternating between nothing and a burst.
DISTRIBUTED_HISTORY_SECONDS = 3.0
# the run after its warm-up is cut into windows of about this length ("windows" in the statistics);
# `mimcheck capacity` judges a step on the medians over them, robust to a burst of other work
WINDOW_SECONDS = 5.0


@dataclass
class LoadSettings:
    """What the CLI hands a locustfile through the environment; sane defaults for a bare `locust -f`.

    A worker of a distributed run takes the run id (and checks the profile options) from its master,
    as Locust forwards the master's custom arguments with the first spawn message (``adopt``): ids
    built from ``run_id`` are therefore built when the test starts, never at import time."""

    run_id: str
    stats_path: Path | None
    headers: dict[str, str]
    thresholds: Thresholds
    progress_seconds: float
    authorizer: Callable[[], dict[str, str]] | None = None
    expected_workers: int = 0  # distributed run: the workers the master waits for
    history_seconds: float = HISTORY_SECONDS
    notify_host: str = "127.0.0.1"
    tmf_roots: dict[str, str] = field(default_factory=dict)  # TM Forum capability -> API root URL
    warmup_seconds: float = 0.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> LoadSettings:
        headers = json.loads(environ.get(ENV_HEADERS) or "{}")
        stats = environ.get(ENV_STATS)
        workers = int(environ.get(ENV_EXPECT_WORKERS, "0"))
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
            expected_workers=workers,
            history_seconds=DISTRIBUTED_HISTORY_SECONDS if workers else HISTORY_SECONDS,
            notify_host=environ.get(ENV_NOTIFY_HOST) or "127.0.0.1",
            tmf_roots={str(k): str(v) for k, v in json.loads(environ.get(ENV_TMF_ROOTS) or "{}").items()},
            authorizer=authorizer,
            warmup_seconds=float(environ.get(ENV_WARMUP_SECONDS) or 0),
        )

    def adopt(self, run_id: str) -> None:
        """Take the master's run id (a worker, when the test starts)."""
        self.run_id = run_id

    def credentials(self) -> dict[str, str]:
        """The Authorization header for one request: an OAuth2 token is refreshed before it expires,
        however long the load run lasts."""
        return self.authorizer() if self.authorizer is not None else {}


def profile_option(name: str, default: float, environ: Mapping[str, str] = os.environ) -> float:
    """A numeric per-profile knob from ``--option NAME=VALUE`` (``MIMCHECK_LOAD_OPTIONS``), or the default."""
    try:
        value = json.loads(environ.get(ENV_PROFILE_OPTIONS) or "{}").get(name, default)
        return float(value)
    except (ValueError, TypeError, AttributeError):
        return default


def _options_json(environ: Mapping[str, str] = os.environ) -> str:
    """The profile options of this process, as canonical JSON (what a worker compares with its master's)."""
    try:
        options = json.loads(environ.get(ENV_PROFILE_OPTIONS) or "{}")
    except ValueError:
        options = {}
    return json.dumps(options if isinstance(options, dict) else {}, sort_keys=True)


EXIT_WORKER_REFUSED = 2  # a worker whose profile or options differ from its master's

# Tells apart the ids made by the processes of one run (the workers of a distributed run share the run id).
PROCESS_TAG = secrets.token_hex(3)


def run_entity_prefix(entity_type: str, run_id: str) -> str:
    """The id prefix of every entity of this type a run creates."""
    return f"urn:ngsi-ld:{entity_type}:{run_id}-"


def run_subscription_prefix(run_id: str) -> str:
    """The id prefix of every NGSI-LD subscription a run creates (the sweep deletes those it finds)."""
    return f"urn:ngsi-ld:Subscription:mimcheck-load-{run_id}-"


def run_name_prefix(run_id: str) -> str:
    """The prefix of the name (or externalId) of every TM Forum resource a run creates."""
    return f"mimcheck-load-{run_id}-"


def _is_worker(environment: Any) -> bool:
    from locust.runners import WorkerRunner

    return isinstance(environment.runner, WorkerRunner)


def _worker_states(environment: Any) -> dict[str, str]:
    """Worker id -> state as the master sees it (empty outside a distributed run)."""
    clients = getattr(environment.runner, "clients", None)
    if clients is None:
        return {}
    return {str(c.id): str(c.state) for c in clients.all}


def attach_reporting(
    events: Any,
    settings: LoadSettings,
    profile_name: str,
    entity_types: tuple[str, ...] = (),
    tmf_resources: tuple[str, ...] = (),
    subscriptions: bool = False,
) -> None:
    """Register the listeners that print progress, write the stats JSON and set the exit code.

    ``events`` is ``locust.events``; call this at import time of the locustfile. ``entity_types`` are
    the types of the NGSI-LD entities the profile creates (ids ``urn:ngsi-ld:<type>:<run-id>-...``),
    ``tmf_resources`` the TM Forum collections (``productCatalogManagement/v4/productOffering``) whose
    resources it creates, named ``mimcheck-load-<run-id>-...``; ``subscriptions`` says that it creates
    NGSI-LD subscriptions (ids ``run_subscription_prefix(run_id) + ...``): the CLI sweeps what is left.
    """
    state: dict[str, Any] = {
        "report": None,
        "started": time.monotonic(),
        "greenlets": [],
        "history": [],
        "connected": set(),
        "lost": set(),
        "windows": [],
        "snapshot": None,
    }

    def cut_window(environment: Any, elapsed: float) -> None:
        """At the end of the warm-up, then every WINDOW_SECONDS: the figures of the window just ended."""
        total = environment.stats.total
        if elapsed < settings.warmup_seconds:
            return
        previous = state["snapshot"]
        if previous is not None and elapsed - previous[0] < WINDOW_SECONDS - 0.01:
            return
        snapshot = (elapsed, total.num_requests, total.num_failures, dict(total.response_times))
        if previous is not None:
            state["windows"].append(window_point(previous, snapshot))
        state["snapshot"] = snapshot

    def watch_workers(environment: Any) -> None:
        for worker, status in _worker_states(environment).items():
            state["connected"].add(worker)
            if status == "missing":
                state["lost"].add(worker)

    def on_test_start(environment: Any, **_: Any) -> None:
        import gevent  # only ever imported inside the Locust process

        if _is_worker(environment):
            return
        state["started"] = time.monotonic()
        state["history"] = []
        state["windows"], state["snapshot"] = [], None

        def sample() -> None:
            while True:
                gevent.sleep(settings.history_seconds)
                elapsed = time.monotonic() - state["started"]
                previous = state["history"][-1] if state["history"] else None
                total, users = environment.stats.total, environment.runner.user_count
                state["history"].append(history_point(elapsed, total, users, previous))
                cut_window(environment, elapsed)
                watch_workers(environment)

        def print_progress() -> None:
            while True:
                gevent.sleep(settings.progress_seconds)
                line = progress_line(time.monotonic() - state["started"], environment.stats.total)
                print(PROGRESS_PREFIX + line, flush=True)

        state["greenlets"] = [gevent.spawn(sample)]
        if settings.progress_seconds > 0:
            state["greenlets"].append(gevent.spawn(print_progress))

    def on_worker_connect(client_id: str, **_: Any) -> None:
        state["connected"].add(str(client_id))

    def on_test_stop(environment: Any, **_: Any) -> None:
        if _is_worker(environment):
            return
        for greenlet in state["greenlets"]:
            greenlet.kill(block=False)
        meta: dict[str, Any] = {
            "profile": profile_name,
            "run_id": settings.run_id,
            "entity_types": list(entity_types),
            "tmf_resources": list(tmf_resources),
            "subscriptions": subscriptions,
            "host": environment.host,
            "duration_seconds": round(time.monotonic() - state["started"], 1),
            "history": state["history"],
            "windows": state["windows"],
            "warmup_seconds": settings.warmup_seconds,
        }
        if settings.expected_workers:
            watch_workers(environment)
            present = set(_worker_states(environment))
            lost = state["lost"] | (state["connected"] - present)
            meta["workers"] = {
                "expected": settings.expected_workers,
                "connected": len(state["connected"]),
                "lost": sorted(lost),
            }
        report = build_report(environment.stats, settings.thresholds, meta)
        state["report"] = report
        environment.process_exit_code = report["exit_code"]
        if settings.stats_path is not None:
            settings.stats_path.parent.mkdir(parents=True, exist_ok=True)
            settings.stats_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    def on_quitting(environment: Any, **_: Any) -> None:
        if _is_worker(environment):
            # a worker that gets here shut down normally: exit 0, so that a non-zero exit is a crash
            environment.process_exit_code = 0
            return
        if state["report"] is None:  # quit before any test ran (e.g. a signal during start-up)
            on_test_stop(environment)
        elif settings.expected_workers:
            recheck_workers(environment)
        environment.process_exit_code = state["report"]["exit_code"]

    def recheck_workers(environment: Any) -> None:
        """A worker that died just before the end is only marked missing after the test stopped."""
        watch_workers(environment)
        report = state["report"]
        lost = sorted(set(report["workers"]["lost"]) | state["lost"])
        if lost != report["workers"]["lost"]:
            report["workers"]["lost"] = lost
            if settings.stats_path is not None:
                settings.stats_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    def add_arguments(parser: Any, **_: Any) -> None:
        """What the master forwards to its workers (Locust sends custom arguments with each spawn)."""
        group = parser.add_argument_group("mimcheck (set by mimcheck load; forwarded to workers)")
        group.add_argument("--mimcheck-run-id", default=settings.run_id, help="run id of the data")
        group.add_argument("--mimcheck-options", default=_options_json(), help="profile options (JSON)")
        group.add_argument("--mimcheck-profile", default=profile_name, help="load profile name")

    def adopt_from_master(environment: Any, **_: Any) -> None:
        """On a worker, before any user starts: the master's run id; a different profile or options
        stop this worker (its master then counts it as dropped out and withholds the verdict)."""
        options = environment.parsed_options
        if not _is_worker(environment) or options is None:
            return
        master_run = getattr(options, "mimcheck_run_id", None)
        problems = []
        if getattr(options, "mimcheck_profile", profile_name) != profile_name:
            problems.append(f"the master runs profile {options.mimcheck_profile}, this worker {profile_name}")
        if json.loads(getattr(options, "mimcheck_options", None) or "{}") != json.loads(_options_json()):
            problems.append(
                f"the master's profile options are {options.mimcheck_options}, this worker's {_options_json()}"
            )
        if problems:
            print(PROGRESS_PREFIX + "worker refused: " + "; ".join(problems), flush=True)
            os._exit(EXIT_WORKER_REFUSED)
        if master_run and master_run != settings.run_id:
            settings.adopt(str(master_run))
            print(PROGRESS_PREFIX + f"worker: run id {settings.run_id} (from the master)", flush=True)

    events.init_command_line_parser.add_listener(add_arguments)
    events.test_start.add_listener(adopt_from_master)  # first: before the profile's own listeners
    events.test_start.add_listener(on_test_start)
    events.test_stop.add_listener(on_test_stop)
    events.quitting.add_listener(on_quitting)
    events.worker_connect.add_listener(on_worker_connect)


def expect_status(response: Any, *statuses: int) -> bool:
    """Mark a ``catch_response`` response failed unless its status is one of ``statuses``."""
    if response.status_code in statuses:
        response.success()
        return True
    snippet = (response.text or "")[:200].replace("\n", " ")
    wanted = " or ".join(str(s) for s in statuses)
    response.failure(f"expected HTTP {wanted}, got {response.status_code}: {snippet}")
    return False


def body_of(response: Any) -> Any:
    """The JSON body of a response, or None when it is not JSON.

    Parsed from the raw bytes by orjson (JSON is UTF-8: no text decoding first), several times faster
    than ``response.json()`` on a page of entities: on a fast target that parsing is a large part of
    what a profile's request costs the client. What orjson refuses (NaN, integers beyond 64 bits, a
    UTF-16 body) goes to the standard library's parser, as before."""
    content = response.content
    try:
        return loads(content) if content else None
    except ValueError:
        return None


def loads(content: bytes) -> Any:
    """JSON bytes parsed by orjson, or by the standard library what orjson refuses (NaN, integers beyond
    64 bits, UTF-16): ValueError when neither can."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


JSON_CONTENT = {"Content-Type": "application/json"}


def json_bytes(value: Any) -> Any:
    """A request body as compact JSON bytes (orjson; what Locust's ``json=`` builds with the standard
    library, at a twentieth of the cost): send it as ``data=`` with ``JSON_CONTENT`` among the headers.
    Typed Any: FastHttpSession's ``data`` is annotated ``str | dict``, its client sends bytes as they are."""
    return orjson.dumps(value)
