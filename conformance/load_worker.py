"""`mimcheck load --worker`: one Locust worker of a distributed run whose master is another
`mimcheck load --master` (on this or another machine).

The master owns the run: the target URL, users, duration, thresholds, the merged statistics, the
verdict and the sweep. Locust sends the target URL to its workers; the run id and the profile's name
and options travel as Locust custom arguments with the first spawn message, and a worker whose
profile or options differ from its master's stops before any user starts (the master then counts it
as dropped out and withholds the verdict). What a worker takes from its own command line: the
profile (which must be the master's), ``--option`` (the same values), and ``--target`` for the
headers, credentials (a token is read on this machine, never sent by the master), the
``[notifications] bind_host`` and the TM Forum roots. Without ``--target`` no extra header is sent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from conformance.load_locust import (
    ENV_AUTH,
    ENV_HEADERS,
    ENV_NOTIFY_HOST,
    ENV_PROFILE_OPTIONS,
    ENV_PROGRESS_SECONDS,
    ENV_RUN_ID,
    ENV_TMF_ROOTS,
    EXIT_WORKER_REFUSED,
    PROGRESS_PREFIX,
)
from conformance.load_stats import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, MAX_DURATION_SECONDS
from conformance.run_ids import new_run_id

WORKER_LOG = "locust-worker.log"
DEFAULT_MASTER_PORT = 5557  # Locust's own default
# a worker cannot know the master's duration: it is bounded by the longest run plus the waits
WORKER_DEADLINE_SECONDS = MAX_DURATION_SECONDS + 600


def _err(message: str) -> None:
    print(f"mimcheck load: {message}", file=sys.stderr, flush=True)


def worker_command(locustfile: Path, master_host: str, master_port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
        "--loglevel",
        "INFO",
    ]


def worker_environment(
    ns: argparse.Namespace, options: dict[str, float], out: Path
) -> tuple[dict[str, str], Any] | int:
    """What the worker's Locust process reads (as for a local run), from ``--target`` if given, and
    the redactor of the profile's secrets; an exit code when the profile is unusable."""
    from conformance.load_target import auth_headers, plain_headers
    from conformance.profiles import ProfileError, from_url, load_profile
    from conformance.redaction import SECRET_HEADERS, Redactor

    env = {
        ENV_RUN_ID: new_run_id(),  # replaced by the master's when the test starts
        ENV_PROGRESS_SECONDS: "0",
        ENV_PROFILE_OPTIONS: json.dumps(options),
        ENV_HEADERS: "{}",
        ENV_TMF_ROOTS: "{}",
    }
    if not (ns.target or ns.target_url):
        return env, Redactor()
    try:
        profile = load_profile(ns.target) if ns.target else from_url(ns.target_url)
    except ProfileError as exc:
        _err(str(exc))
        return EXIT_USAGE
    if ns.target:
        (out / "target-profile.toml").write_text(
            Path(ns.target).read_text(encoding="utf-8"), encoding="utf-8"
        )
    headers = plain_headers(profile)
    env[ENV_HEADERS] = json.dumps(headers)
    env[ENV_NOTIFY_HOST] = profile.notifications.bind_host
    env[ENV_TMF_ROOTS] = json.dumps(profile.tmf_roots)
    credentials: dict[str, str] = {}
    if profile.auth.type != "none":
        from conformance.auth import AuthError
        from conformance.outcomes import Inconclusive

        try:
            credentials = auth_headers(profile)  # a missing token variable is found now
        except AuthError as exc:
            _err(str(exc))
            return EXIT_USAGE
        except Inconclusive as exc:
            _err(f"could not obtain a token: {exc.reason}")
            return EXIT_UNAVAILABLE
        env[ENV_AUTH] = json.dumps(dataclasses.asdict(profile.auth))
    secrets = [
        *credentials.values(),
        *profile.auth.secrets(),
        *(v for k, v in headers.items() if k.lower() in SECRET_HEADERS or len(v) >= 8),
    ]
    return env, Redactor(secrets)


def run_worker(ns: argparse.Namespace, locustfile: Path, options: dict[str, float]) -> int:
    """Run one Locust worker until its master quits it. Exit 0: it ended normally (the master judges
    the run); 2: the master runs another profile or other options; 3: no master, or it ended otherwise."""
    from conformance.process_guard import die_with_parent
    from conformance.runcontext import make_run_folder

    out = make_run_folder(ns.out, suffix="-load-worker", latest="latest-load-worker").resolve()
    prepared = worker_environment(ns, options, out)
    if isinstance(prepared, int):
        return prepared
    env, redactor = prepared
    print(
        f"mimcheck load: worker of {locustfile.stem} for the master at {ns.master_host}:{ns.master_port}; "
        f"log {out / WORKER_LOG}",
        flush=True,
    )
    with open(out / WORKER_LOG, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            worker_command(locustfile, ns.master_host, ns.master_port),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            cwd=out,
            preexec_fn=die_with_parent(),
        )
        assert proc.stdout is not None
        seen: dict[str, int] = {}
        pump = threading.Thread(target=_pump, args=(proc.stdout, log, redactor.text, seen), daemon=True)
        pump.start()
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            code: int | None = proc.wait(timeout=WORKER_DEADLINE_SECONDS)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            proc.send_signal(signal.SIGTERM)  # the worker tells its master it quits
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = None
            if seen.get("started"):
                _err("worker stopped before its master ended the run; the master withholds the verdict")
            else:
                _err("worker stopped before its master started a run")
            return EXIT_UNAVAILABLE
        finally:
            signal.signal(signal.SIGTERM, previous)
            pump.join(timeout=5)
    if code == EXIT_OK:
        print("mimcheck load: worker done; the master judges the run (its load-stats.json)", flush=True)
        return EXIT_OK
    if code == EXIT_WORKER_REFUSED:
        return EXIT_USAGE
    _err(
        f"the worker ended with exit {code} (no master at {ns.master_host}:{ns.master_port}?); see {out / WORKER_LOG}"
    )
    return EXIT_UNAVAILABLE


NO_MASTER = "Failed to connect to master"


def _pump(stream: IO[str], log: IO[str], scrub: Callable[[str], str], seen: dict[str, int]) -> None:
    """Into the log; progress lines echoed (``seen["started"]`` once the master started the test),
    and the first "no master yet" line and one a minute after it (Locust retries every 5 s)."""
    for raw in stream:
        line = scrub(raw)
        log.write(line)
        log.flush()
        if line.startswith(PROGRESS_PREFIX):
            seen["started"] = 1
            print("  " + line[len(PROGRESS_PREFIX) :].rstrip(), flush=True)
        elif NO_MASTER in line:
            if seen.get("no_master", 0) % 12 == 0:
                print("  " + line[line.index(NO_MASTER) :].rstrip(), flush=True)
            seen["no_master"] = seen.get("no_master", 0) + 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
