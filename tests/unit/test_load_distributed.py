"""`mimcheck load --workers N`: Locust's master and N worker processes on loopback, thresholds judged
on the merged statistics; a worker that drops out is named and the verdict withheld (exit 3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.load_run import LocustJob

# A minimal locustfile: every user reads /types; with MIMCHECK_TEST_DROP set, the worker of index 1
# ends its process abruptly 1.5 s into the test, as a crashed or killed worker would.
PROBER = """
import os

import gevent
from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser

from conformance.load_locust import LoadSettings, attach_reporting

SETTINGS = LoadSettings.from_environ()
attach_reporting(events, SETTINGS, profile_name="prober")


@events.test_start.add_listener
def leave(environment, **_):
    from locust.runners import WorkerRunner

    if os.environ.get("MIMCHECK_TEST_DROP") and isinstance(environment.runner, WorkerRunner):
        if environment.runner.worker_index == 1:
            gevent.spawn_later(1.5, os._exit, 1)


class Prober(FastHttpUser):
    wait_time = constant(0.1)

    @task
    def types(self):
        self.client.get("/ngsi-ld/v1/types", name="GET /types")
"""


def test_the_master_binds_loopback_and_waits_for_its_workers(tmp_path: Path) -> None:
    job = LocustJob(tmp_path / "f.py", "http://127.0.0.1:1", 4, 2.0, 5, tmp_path, workers=2, master_port=5557)
    master = " ".join(job.command())
    assert "--master --master-bind-host 127.0.0.1 --master-bind-port 5557 --expect-workers 2" in master
    worker = " ".join(job.worker_command())
    assert "--worker --master-host 127.0.0.1 --master-port 5557" in worker
    assert "--html" in master and "--html" not in worker


def test_more_workers_than_users_is_bad_usage(tmp_path: Path) -> None:
    from conformance.cli import main

    assert main(["load", "--workers", "3", "--users", "2", "--out", str(tmp_path)]) == 2
    assert main(["load", "--workers", "99", "--out", str(tmp_path)]) == 2


def _load(tmp_path: Path, profile: str, drop: bool = False, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "load", "--profile", profile, "--workers", "2"]
        + [
            "--users",
            "4",
            "--spawn-rate",
            "4",
            "--duration",
            "6s",
            "--progress-seconds",
            "0",
            "--out",
            str(out),
        ]
        + list(extra),
        capture_output=True,
        text=True,
        timeout=240,
        env={**__import__("os").environ, **({"MIMCHECK_TEST_DROP": "1"} if drop else {})},
    )
    stats = out / "load-stats.json"
    report = json.loads(stats.read_text(encoding="utf-8")) if stats.is_file() else {}
    return done.returncode, report, done.stdout + done.stderr


@pytest.mark.slow
def test_a_master_and_two_workers_merge_their_statistics(tmp_path: Path) -> None:
    code, report, output = _load(tmp_path, "ngsi_ld_entities")
    assert code == 0, output
    assert report["workers"] == {"expected": 2, "connected": 2, "lost": [], "exited_abnormally": []}
    assert report["total"]["requests"] > 0 and report["total"]["failures"] == 0, report["errors"]
    assert report["cleanup"]["leftover_entities_removed"] == 0  # each worker's users deleted theirs
    logs = sorted(p.name for p in (tmp_path / "run").glob("locust-worker-*.log"))
    assert logs == ["locust-worker-1.log", "locust-worker-2.log"]
    assert "workers: 2 of 2 connected; dropped out: none" in output


@pytest.mark.slow
def test_a_worker_that_drops_out_is_named_and_the_verdict_withheld(tmp_path: Path) -> None:
    prober = tmp_path / "prober.py"
    prober.write_text(PROBER, encoding="utf-8")
    code, report, output = _load(tmp_path, str(prober), True)
    assert code == 3, output
    # seen twice: by the master (heartbeats stop; it may notice only at the end) and by its exit code
    assert len(report["workers"]["exited_abnormally"]) == 1, report["workers"]
    assert "exit 1" in report["workers"]["exited_abnormally"][0]
    assert report["cut_short"]
    assert "Verdict: WITHHELD" in output


# ------------------------------------------------------------- across machines: --master / --worker


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--master", "--worker", "--master-host", "h"], "exclude each other"),
        (["--worker"], "needs --master-host"),
        (["--master-host", "h"], "is for --worker"),
        (["--expect-workers", "2"], "is for --master"),
        (["--master-bind-host", "0.0.0.0"], "is for --master"),
        (["--master", "--workers", "2"], "leave it out"),
        (["--master", "--expect-workers", "6", "--users", "5"], "more than --users"),
    ],
)
def test_distributed_options_misused_are_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conformance.cli import main

    assert main(["load", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "conformance.cli", "load", *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**__import__("os").environ, "PYTHONUNBUFFERED": "1"},
        )


def _master_and_workers(
    tmp_path: Path, worker_args: list[list[str]], duration: str = "6s"
) -> tuple[list[subprocess.Popen[bytes]], Path]:
    from conformance.embedded import free_port

    port = str(free_port())
    out = tmp_path / "master"
    master = _spawn(
        ["--master", "--expect-workers", str(len(worker_args)), "--master-bind-host", "127.0.0.1"]
        + ["--master-port", port, "--users", "4", "--spawn-rate", "4", "--duration", duration]
        + ["--progress-seconds", "0", "--out", str(out)],
        tmp_path / "master.log",
    )
    workers = [
        _spawn(
            [
                "--worker",
                "--master-host",
                "127.0.0.1",
                "--master-port",
                port,
                "--out",
                str(tmp_path / f"w{n}"),
            ]
            + extra,
            tmp_path / f"worker-{n}.log",
        )
        for n, extra in enumerate(worker_args, start=1)
    ]
    return [master, *workers], out


def _finish(procs: list[subprocess.Popen[bytes]]) -> list[int]:
    import os
    import signal

    codes = []
    try:
        for proc in procs:
            codes.append(proc.wait(timeout=240))
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return codes


def _text(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in sorted(tmp_path.glob("*.log")))


@pytest.mark.slow
def test_a_master_and_two_worker_processes_on_loopback_merge_and_judge(tmp_path: Path) -> None:
    procs, out = _master_and_workers(tmp_path, [[], []])
    codes = _finish(procs)
    assert codes == [0, 0, 0], _text(tmp_path)
    report = json.loads((out / "load-stats.json").read_text(encoding="utf-8"))
    assert report["workers"] == {"expected": 2, "connected": 2, "lost": [], "exited_abnormally": []}
    assert report["settings"]["remote_workers"] is True
    assert report["total"]["requests"] > 0 and report["total"]["failures"] == 0, report["errors"]
    # the workers built their ids from the master's run id: their users' deletes left nothing to sweep
    assert report["cleanup"] == {"leftover_entities_removed": 0, "problem": None}
    for n in (1, 2):
        worker_log = (tmp_path / f"w{n}" / "locust-worker.log").read_text(encoding="utf-8")
        assert f"run id {report['run_id']} (from the master)" in worker_log
    assert "workers: 2 of 2 connected; dropped out: none" in (tmp_path / "master.log").read_text()


@pytest.mark.slow
def test_a_worker_of_another_profile_is_refused_and_the_verdict_withheld(tmp_path: Path) -> None:
    procs, out = _master_and_workers(tmp_path, [[], ["--profile", "ngsi_ld_queries"]])
    codes = _finish(procs)
    text = _text(tmp_path)
    assert codes[0] == 3 and codes[1] == 0, text
    assert codes[2] == 2, text  # the refused worker says so
    report = json.loads((out / "load-stats.json").read_text(encoding="utf-8"))
    assert report["cut_short"] and report["exit_code"] == 3, report.get("workers")
    assert "Verdict: WITHHELD" in (tmp_path / "master.log").read_text()


@pytest.mark.slow
def test_a_worker_killed_during_the_run_is_named_and_the_verdict_withheld(tmp_path: Path) -> None:
    import os
    import signal
    import time

    procs, out = _master_and_workers(tmp_path, [[], []], duration="12s")
    log = tmp_path / "w2" / "locust-worker.log"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if log.is_file() and "(from the master)" in log.read_text(encoding="utf-8"):
            break
        time.sleep(0.2)
    else:
        _finish(procs)
        pytest.fail("the run did not start:\n" + _text(tmp_path))
    time.sleep(1)
    os.killpg(procs[2].pid, signal.SIGKILL)  # the second worker's machine is lost
    codes = _finish(procs)
    text = _text(tmp_path)
    assert codes[0] == 3 and codes[1] == 0, text
    report = json.loads((out / "load-stats.json").read_text(encoding="utf-8"))
    assert len(report["workers"]["lost"]) == 1 and report["cut_short"], report["workers"]
    assert "dropped out: " in (tmp_path / "master.log").read_text() and "Verdict: WITHHELD" in text
