"""A load run killed outright (SIGKILL of its whole process group: mimcheck and Locust) cannot delete
what it created; the notification profile's subscription is then still on the target. The run folder
holds the run id from the start (run.json), the subscription carries it in its id and its endpoint, and
`mimcheck cleanup RUN_DIR` deletes it and the run's entities. The load run's own sweep also deletes
subscriptions of the run a Locust process left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conformance.embedded import EmbeddedReference
from conformance.load_locust import run_subscription_prefix
from conformance.load_sweep import sweep_run_subscriptions
from conformance.run_ids import new_run_id

SUBSCRIPTIONS = "/ngsi-ld/v1/subscriptions"
NOTIFY_TYPE = "MimcheckLoadNotify"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedReference]:
    with EmbeddedReference(log=tmp_path_factory.mktemp("killed") / "reference.log") as ref:
        yield ref


def _subscriptions(base: str, run_id: str) -> list[dict]:
    resp = requests.get(f"{base}{SUBSCRIPTIONS}", params={"limit": "1000"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return [s for s in resp.json() if run_id in json.dumps(s)]


def _entities(base: str, run_id: str) -> list[str]:
    resp = requests.get(
        f"{base}/ngsi-ld/v1/entities", params={"type": NOTIFY_TYPE, "limit": "1000"}, timeout=10
    )
    assert resp.status_code == 200, resp.text
    return [e["id"] for e in resp.json() if run_id in e["id"]]


def _subscribe(base: str, sid: str) -> None:
    body = {
        "id": sid,
        "type": "Subscription",
        "entities": [{"type": NOTIFY_TYPE}],
        "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify", "accept": "application/json"}},
    }
    assert requests.post(f"{base}{SUBSCRIPTIONS}", json=body, timeout=10).status_code == 201


def test_the_load_sweep_deletes_only_this_runs_subscriptions(platform: EmbeddedReference) -> None:
    base, run_id, other = platform.base_url, new_run_id(), new_run_id() + "x"
    _subscribe(base, run_subscription_prefix(run_id) + "abc123")
    _subscribe(base, run_subscription_prefix(other) + "abc123")
    try:
        assert sweep_run_subscriptions(base, {}, run_id, 10) == (1, None)
        assert not _subscriptions(base, run_id)
        assert len(_subscriptions(base, other)) == 1  # another run's is left alone
        assert sweep_run_subscriptions(base, {}, run_id, 10) == (0, None)
    finally:
        sweep_run_subscriptions(base, {}, other, 10)


@pytest.mark.slow
def test_cleanup_after_sigkill_removes_the_notification_subscription(
    platform: EmbeddedReference, tmp_path: Path
) -> None:
    base, out, log = platform.base_url, tmp_path / "run", tmp_path / "mimcheck.log"
    cmd = [sys.executable, "-m", "conformance.cli", "load", "--profile", "ngsi_ld_notifications"]
    cmd += ["--target-url", base, "--duration", "60s", "--users", "2", "--progress-seconds", "0"]
    cmd += ["--out", str(out)]
    with open(log, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            cmd,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            deadline = time.monotonic() + 60
            run_id = ""
            while time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text(encoding="utf-8")
                if not run_id and (out / "run.json").is_file():
                    run_id = json.loads((out / "run.json").read_text(encoding="utf-8"))["run_id"]
                if run_id and _subscriptions(base, run_id) and _entities(base, run_id):
                    break
                time.sleep(0.2)
            else:
                pytest.fail("no subscription within 60 s:\n" + log.read_text(encoding="utf-8"))
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # mimcheck and Locust, at once: nothing cleans up
            proc.wait()
    time.sleep(0.5)
    (left,) = _subscriptions(base, run_id)
    assert left["id"].startswith(run_subscription_prefix(run_id))
    assert run_id in left["notification"]["endpoint"]["uri"]
    assert not (out / "load-stats.json").exists()
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "cleanup", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "subscription" in done.stdout, done.stdout
    assert not _subscriptions(base, run_id) and not _entities(base, run_id)
