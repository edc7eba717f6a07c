"""Self-test: the MQTT notification scenarios (MIM1-NTF-021..024) pass on the reference platform
against a real MQTT broker, Mosquitto (Debian's `mosquitto`, installed by .ci/run), started on a free
loopback port and named in the target profile as [notifications] mqtt_url. Mosquitto speaks MQTT 5.0,
so the mqtt5.0 and default-version cases, not applicable on the embedded amqtt broker, run here."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference, reference_profile_toml

MQTT_REQUIREMENTS = {"MIM1-NTF-021", "MIM1-NTF-022", "MIM1-NTF-023", "MIM1-NTF-024"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").is_file() else None
    )
    if binary is None:
        pytest.skip(
            "mosquitto is not installed (.ci/run installs Debian's 'mosquitto' package where apt works)"
        )
    folder = tmp_path_factory.mktemp("mosquitto")
    port = _free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [binary, "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10.0
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mosquitto did not start on port {port} (exit {proc.poll()})")
                time.sleep(0.05)
        yield f"mqtt://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_mqtt_scenarios_pass_against_mosquitto(mosquitto: str, tmp_path: Path) -> None:
    with EmbeddedReference(log=tmp_path / "reference.log") as ref:
        profile = tmp_path / "target.toml"
        profile.write_text(
            reference_profile_toml(ref.base_url) + f'\n[notifications]\nmqtt_url = "{mosquitto}"\n',
            encoding="utf-8",
        )
        out = tmp_path / "run"
        cmd = [sys.executable, "-m", "conformance.cli", "run", "--target", str(profile), "--out", str(out)]
        proc = subprocess.run(
            [*cmd, "--mim", "mim1", "-k", "test_mqtt"], capture_output=True, text=True, timeout=300
        )
    cert = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    verdicts = {r["id"]: r["verdict"] for r in cert["requirements"] if r["id"] in MQTT_REQUIREMENTS}
    assert verdicts == dict.fromkeys(MQTT_REQUIREMENTS, "PASS"), proc.stdout + proc.stderr
    cases = {
        c["case_id"]: c["verdict"] for c in cert.get("cases", []) if isinstance(c, dict) and "case_id" in c
    }
    for case in ("MIM1-NTF-021[update-mqtt5.0]", "MIM1-NTF-021[update-default-version]"):
        evidence = json.loads((out / "evidence" / f"{case}.json").read_text(encoding="utf-8"))
        assert evidence["verdict"] == "PASS", (case, evidence.get("reason"), cases.get(case))
