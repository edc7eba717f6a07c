"""`mimcheck load`, the running side: Locust in child processes (alone, or a master and N workers on
this machine), bounded in time; the target's preflight; the sweep of what the users left behind; and
``measure``, one load run from target to statistics file, shared by ``load`` and ``capacity``."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from conformance.load_locust import (
    ENV_AUTH,
    ENV_EXPECT_WORKERS,
    ENV_HEADERS,
    ENV_MAX_FAILURE_RATIO,
    ENV_MAX_P95_MS,
    ENV_NOTIFY_HOST,
    ENV_PROFILE_OPTIONS,
    ENV_PROGRESS_SECONDS,
    ENV_RUN_ID,
    ENV_STATS,
    ENV_TMF_ROOTS,
    ENV_WARMUP_SECONDS,
    PROGRESS_PREFIX,
)
from conformance.load_stats import EXIT_UNAVAILABLE, Thresholds
from conformance.load_sweep import sweep_run_entities, sweep_run_subscriptions, sweep_run_tmf_resources
from conformance.load_target import Prepared
from conformance.run_ids import new_run_id
from conformance.sweep import RUN_FILE

STATS_FILE = "load-stats.json"
LOCUST_LOG = "locust.log"
HTML_REPORT = "locust-report.html"
CHART_FILE = "load-chart.svg"
STOP_TIMEOUT_SECONDS = 15
STARTUP_GRACE_SECONDS = 60
WORKERS_WAIT_SECONDS = 30  # how long the master waits for its workers to connect
REMOTE_WORKERS_WAIT_SECONDS = 120  # ... when they are started elsewhere (`mimcheck load --worker`)


def _err(message: str) -> None:
    print(f"mimcheck load: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class LocustJob:
    locustfile: Path
    host: str
    users: int
    spawn_rate: float
    duration_seconds: int
    out: Path
    workers: int = 0  # 0: one local Locust process; N: a master and N worker processes
    master_port: int = 0
    remote_workers: bool = False  # the N workers are started elsewhere (mimcheck load --worker)
    master_bind_host: str = "127.0.0.1"

    def command(self) -> list[str]:
        cmd = [
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
            "--html",
            HTML_REPORT,
            "--loglevel",
            "INFO",
        ]
        if self.workers:
            cmd += [
                "--master",
                "--master-bind-host",
                self.master_bind_host,
                "--master-bind-port",
                str(self.master_port),
                "--expect-workers",
                str(self.workers),
                "--expect-workers-max-wait",
                str(self.workers_wait_seconds()),
            ]
        return cmd

    def worker_command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(self.locustfile),
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(self.master_port),
            "--loglevel",
            "INFO",
        ]

    def workers_wait_seconds(self) -> int:
        """How long the master waits for its workers: longer for workers started by hand elsewhere."""
        return REMOTE_WORKERS_WAIT_SECONDS if self.remote_workers else WORKERS_WAIT_SECONDS

    def deadline_seconds(self) -> int:
        """When the child is terminated whatever it is doing."""
        grace = STARTUP_GRACE_SECONDS + (self.workers_wait_seconds() if self.workers else 0)
        return self.duration_seconds + STOP_TIMEOUT_SECONDS + grace


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
    workers_failed: tuple[str, ...] = ()  # workers that did not end normally, with their exit codes


def _start_workers(job: LocustJob, env: Mapping[str, str]) -> list[subprocess.Popen[bytes]]:
    """The worker processes of a distributed run, each logging to locust-worker-<n>.log."""
    from conformance.process_guard import die_with_parent

    workers = []
    for index in range(1, job.workers + 1):
        with open(job.out / f"locust-worker-{index}.log", "wb") as log:
            workers.append(
                subprocess.Popen(
                    job.worker_command(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                    cwd=job.out,
                    preexec_fn=die_with_parent(),  # no orphan worker when mimcheck is killed outright
                )
            )
    return workers


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> tuple[str, ...]:
    """Workers normally quit when the master does (exit 0); whatever is left is stopped. Returns the
    workers that ended otherwise."""
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    return tuple(
        f"worker {index} (exit {worker.returncode})"
        for index, worker in enumerate(workers, start=1)
        if worker.returncode != 0
    )


def run_locust(job: LocustJob, env: Mapping[str, str], scrub: Callable[[str], str]) -> LocustOutcome:
    """Run Locust to completion, bounded in time; Ctrl-C or SIGTERM stop it cleanly.

    Its output goes to locust.log through ``scrub`` (which masks secrets); progress lines are echoed.
    With ``job.workers`` the process started here is the master, and the workers are started beside it.
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
        workers = _start_workers(job, env) if job.workers and not job.remote_workers else []
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
            failed = _stop_workers(workers)
        pump.join(timeout=5)
    return dataclasses.replace(outcome, workers_failed=failed)


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


PROFILE_MIM = re.compile(r"""^MIMCHECK_MIM\s*=\s*["'](mim[123])["']""", re.MULTILINE)


def profile_mim(locustfile: Path) -> str:
    """The MIM whose base URL a locustfile loads: its ``MIMCHECK_MIM = "mim3"`` line, else mim1."""
    try:
        found = PROFILE_MIM.search(locustfile.read_text(encoding="utf-8"))
    except OSError:
        return "mim1"
    return found.group(1) if found else "mim1"


@dataclass(frozen=True)
class RunSpec:
    locustfile: Path
    users: int
    spawn_rate: float
    duration_seconds: int
    thresholds: Thresholds
    progress_seconds: float = 5.0
    workers: int = 0
    options: dict[str, float] = field(default_factory=dict)
    remote_workers: bool = False  # --master: the workers are other `mimcheck load --worker` processes
    master_bind_host: str = "127.0.0.1"
    master_port: int = 0  # 0: a free port


def _cleanup(target: Prepared, report: dict[str, Any], run_id: str) -> None:
    removed, problem = 0, None
    if report["total"]["failures"] < report["total"]["requests"]:  # something may have been created
        auth = {**target.headers, **target.credentials}
        timeout = target.profile.timeout_seconds
        if report.get("entity_types"):
            removed, problem = sweep_run_entities(target.base, auth, report["entity_types"], run_id, timeout)
        if report.get("subscriptions") and problem is None:
            more, problem = sweep_run_subscriptions(target.base, auth, run_id, timeout)
            removed += more
        if report.get("tmf_resources") and problem is None:
            more, problem = sweep_run_tmf_resources(
                target.base, auth, report["tmf_resources"], run_id, timeout
            )
            removed += more
    report["cleanup"] = {"leftover_entities_removed": removed, "problem": problem}
    if removed:
        print(f"  cleanup: the users left {removed} of this run's entities/resources behind; deleted them")
    if problem:
        _err(f"cleanup: {problem}; data with ids or names carrying the run id {run_id} may remain")


def measure(target: Prepared, spec: RunSpec, out: Path) -> tuple[dict[str, Any] | None, int]:
    """One load run into ``out``: Locust, cleanup, statistics file, chart. Returns the report (None
    when Locust ended without statistics) and the exit code when there is no report."""
    from conformance.embedded import free_port
    from conformance.load_svg import write_run_chart

    out.mkdir(parents=True, exist_ok=True)
    port = (spec.master_port or free_port()) if spec.workers else 0
    job = LocustJob(
        spec.locustfile,
        target.base,
        spec.users,
        spec.spawn_rate,
        spec.duration_seconds,
        out,
        spec.workers,
        port,
        spec.remote_workers,
        spec.master_bind_host,
    )
    stats_path = (out / STATS_FILE).resolve()
    stats_path.unlink(missing_ok=True)
    run_id = new_run_id()
    target.run_ids.append(run_id)
    # before any request: the run id survives a SIGKILL, for `mimcheck cleanup <out>`
    (out / RUN_FILE).write_text(json.dumps({"run_id": run_id, "kind": "load"}) + "\n", encoding="utf-8")
    env = {
        ENV_STATS: str(stats_path),
        ENV_RUN_ID: run_id,
        ENV_HEADERS: json.dumps(target.headers),
        ENV_MAX_FAILURE_RATIO: repr(spec.thresholds.max_failure_ratio),
        ENV_MAX_P95_MS: repr(spec.thresholds.max_p95_ms),
        ENV_PROGRESS_SECONDS: str(spec.progress_seconds),
        ENV_EXPECT_WORKERS: str(spec.workers),
        ENV_PROFILE_OPTIONS: json.dumps(spec.options),
        ENV_NOTIFY_HOST: target.profile.notifications.bind_host,
        ENV_TMF_ROOTS: json.dumps(target.profile.tmf_roots),
        ENV_WARMUP_SECONDS: str(math.ceil(spec.users / spec.spawn_rate) + 1),  # the ramp-up, and a second
    }
    if target.profile.auth.type != "none":
        env[ENV_AUTH] = json.dumps(dataclasses.asdict(target.profile.auth))
    outcome = run_locust(job, env, target.redactor.text)
    if not stats_path.is_file():
        _err(
            f"locust ended without statistics (exit {outcome.exit_code}); the last lines of "
            f"{out / LOCUST_LOG}:\n" + _tail(out / LOCUST_LOG)
        )
        return None, EXIT_UNAVAILABLE
    report: dict[str, Any] = json.loads(stats_path.read_text(encoding="utf-8"))
    _cleanup(target, report, run_id)
    report["target"] = target.profile.identity()
    report["settings"] = {
        "users": spec.users,
        "spawn_rate": spec.spawn_rate,
        "duration_seconds": spec.duration_seconds,
        "workers": spec.workers,
        "options": dict(spec.options),
        **(
            {"remote_workers": True, "master": f"{spec.master_bind_host}:{port}"}
            if spec.remote_workers
            else {}
        ),
    }
    report["locust_exit_code"] = outcome.exit_code
    cut_short = outcome.cut_short
    workers = report.get("workers")
    if workers is not None:
        workers["exited_abnormally"] = list(outcome.workers_failed)
    if outcome.workers_failed:
        cut_short = cut_short or f"{', '.join(outcome.workers_failed)} did not end normally"
    if workers and (workers["lost"] or workers["connected"] < workers["expected"]):
        if workers["lost"]:
            why = f"worker(s) dropped out: {', '.join(workers['lost'])}"
        else:
            why = "not every worker connected"
        cut_short = cut_short or f"{why} ({workers['connected']} of {workers['expected']} had connected)"
    report["cut_short"] = cut_short
    if cut_short:  # partial figures: the verdict is withheld, in the file as in the exit status
        report["measured_exit_code"] = report["exit_code"]
        report["exit_code"] = EXIT_UNAVAILABLE
    if (out / HTML_REPORT).is_file():
        report["html_report"] = HTML_REPORT
    if write_run_chart(report, out / CHART_FILE):
        report["chart"] = CHART_FILE
    stats_path.write_text(target.redactor.text(json.dumps(report, indent=2)) + "\n", encoding="utf-8")
    target.redactor.scrub_tree(out)  # last line of defence: Locust's own files and the copied profile
    return report, 0
