"""After an aborted run the main process finds what the run left by its run id and deletes it (and
only that); the SIGTERM handler passes the abort on to the xdist workers it started (as SIGTERM: never ignored)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import SimpleNamespace

import requests

from conformance.abort import WorkerProcesses, after_abort
from conformance.embedded import EmbeddedReference
from conformance.profiles import from_url
from conformance.recording import RecordingClient
from conformance.redaction import Redactor

RUN_ID = "20261201T031500abc123"


def test_the_sweep_after_an_abort_deletes_what_carries_the_run_id_only(reference: EmbeddedReference) -> None:
    base = f"{reference.base_url}/ngsi-ld/v1/entities"
    ours = f"urn:ngsi-ld:AbortProbe:{RUN_ID}-w1-7"
    foreign = "urn:ngsi-ld:AbortProbe:someone-else"
    for ident in (ours, foreign):
        resp = requests.post(base, json={"id": ident, "type": "https://example.org/AbortProbe"}, timeout=10)
        assert resp.status_code == 201, resp.text
    said: list[str] = []
    try:
        client = RecordingClient(redactor=Redactor(), timeout=10)
        assert after_abort(from_url(reference.base_url), RUN_ID, client, said.append) >= 1
        assert requests.get(f"{base}/{ours}", timeout=10).status_code == 404
        assert requests.get(f"{base}/{foreign}", timeout=10).status_code == 200
        assert said and "deleted what the run left: 1 entity" in said[-1], said
        said.clear()
        assert after_abort(from_url(reference.base_url), RUN_ID, client, said.append) == 0
        assert said == []  # nothing left: nothing to say
    finally:
        requests.delete(f"{base}/{foreign}", timeout=10)


def test_an_unreachable_target_after_the_abort_says_what_to_do() -> None:
    said: list[str] = []
    client = RecordingClient(redactor=Redactor(), timeout=2)
    assert after_abort(from_url("http://127.0.0.1:9"), RUN_ID, client, said.append) == 0
    assert len(said) == 1 and "mimcheck cleanup" in said[0], said


# a run's worker as the plugin makes it: SIGTERM unwinds like Ctrl-C
WORKER = """
import signal, time
def stop(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGTERM, stop)
try:
    print("ready", flush=True)  # the SIGTERM may come before print returns
    time.sleep(30)
except KeyboardInterrupt:
    print("unwound", flush=True)
"""


def test_workers_are_passed_the_abort_and_unknown_nodes_are_ignored() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", WORKER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        workers = WorkerProcesses()
        workers.add(SimpleNamespace(gateway=SimpleNamespace(_io=SimpleNamespace(popen=child))))
        workers.add(SimpleNamespace())  # a node of another kind: no process to signal
        assert workers.pids == {child.pid}
        workers.interrupt()
        out, err = child.communicate(timeout=10)
        assert out.strip() == "unwound" and child.returncode == 0, ("SIGTERM unwound the worker", out, err)
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
    workers.interrupt()  # gone meanwhile: no error
