"""Ctrl-C during `mimcheck load`, as a terminal sends it (SIGINT to the whole process group): Locust stops
first and the target last, so the users and the sweep can still delete what the run created; the run
ends within a bound; the exit code printed, the exit code returned and ``exit_code`` in load-stats.json
agree (3: the verdict is withheld); no process of the run is left.

Two targets: the embedded reference (the default, which must outlive the interrupt to be cleaned up),
and a reference started here (``--target``), which is still there afterwards to be searched for
leftovers of the run."""

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
from conformance.load_stats import EXIT_UNAVAILABLE

pytestmark = pytest.mark.slow

ENTITIES = "/ngsi-ld/v1/entities"
LOAD_TYPE = "MimcheckLoad"  # the entity type of the ngsi_ld_entities profile
END_WITHIN_SECONDS = 45  # from the interrupt to the exit: Locust's stop, the users' deletes, the sweep


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedReference]:
    with EmbeddedReference(log=tmp_path_factory.mktemp("interrupt") / "reference.log") as ref:
        yield ref


def tagged_processes(tag: str) -> list[str]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if f"MIMCHECK_TEST_TAG={tag}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


def _load_entities(base: str) -> list[str]:
    resp = requests.get(f"{base}{ENTITIES}", params={"type": LOAD_TYPE, "limit": "1000"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return [entity["id"] for entity in resp.json()]


def _wait_for_entities(proc: subprocess.Popen[str], log: Path, base: str | None) -> None:
    """Until the run has created entities: seen on the platform, or (embedded) POSTs in the progress."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(encoding="utf-8")
        if base is not None and _load_entities(base):
            return
        progress = [
            line.split() for line in log.read_text(encoding="utf-8").splitlines() if " requests," in line
        ]
        if base is None and any(words[1] != "0" for words in progress):  # "  2s  41 requests, ..."
            return
        time.sleep(0.2)
    pytest.fail("the load run created nothing within 60 s:\n" + log.read_text(encoding="utf-8"))


@pytest.mark.parametrize("which", ["embedded", "own-reference"])
def test_ctrl_c_stops_locust_then_target_and_leaves_nothing(
    which: str, platform: EmbeddedReference, tmp_path: Path
) -> None:
    tag = f"load-interrupt-{which}-{os.getpid()}"
    out, log = tmp_path / "run", tmp_path / "mimcheck.log"
    cmd = [sys.executable, "-m", "conformance.cli", "load", "--duration", "20s", "--users", "3"]
    cmd += ["--progress-seconds", "1", "--out", str(out)]
    base = None
    if which == "own-reference":
        profile = tmp_path / "reference.toml"
        profile.write_text(platform.profile_toml(), encoding="utf-8")
        cmd += ["--target", str(profile)]
        base = platform.base_url
    with open(log, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            cmd,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, signalled as a terminal would
            env={**os.environ, "PYTHONUNBUFFERED": "1", "MIMCHECK_TEST_TAG": tag},
        )
        try:
            _wait_for_entities(proc, log, base)
            os.killpg(proc.pid, signal.SIGINT)
            interrupted = time.monotonic()
            code = proc.wait(timeout=END_WITHIN_SECONDS)
            took = time.monotonic() - interrupted
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    text = log.read_text(encoding="utf-8")
    assert took < END_WITHIN_SECONDS, text
    report = json.loads((out / "load-stats.json").read_text(encoding="utf-8"))
    assert code == EXIT_UNAVAILABLE, text
    assert report["exit_code"] == code, report
    assert f"Exit code: {code}" in text.splitlines(), text
    assert report["cut_short"] == "interrupted", report
    assert report["requests"]["POST /entities"]["requests"] > 0, report  # it had created entities
    # the target was still there for the users' deletes and the sweep
    assert report["cleanup"]["problem"] is None, report
    deletes = report["requests"].get("DELETE /entities/{id}", {"failures": 0})
    assert deletes["failures"] == 0, report["errors"]
    if base is not None:
        left = [i for i in _load_entities(base) if report["run_id"] in i]
        assert not left, f"entities of the run left on the target: {left}"
    deadline = time.monotonic() + 10
    while (procs := tagged_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not procs, f"processes of the run left behind: {procs}"
