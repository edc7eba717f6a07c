"""An aborted run (SIGTERM, as a CI job timeout sends it) still cleans up what it created and still
writes a certificate, marked interrupted and never CONFORMANT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from proxy import FaultProxy, Rule

from conformance.embedded import EmbeddedReference


def test_sigterm_mid_run_cleans_up_and_marks_the_certificate(
    reference: EmbeddedReference, tmp_path: Path
) -> None:
    slow = [Rule(method="GET", path="^/ngsi-ld/v1/entities/", delay_ms=700)]
    with FaultProxy(reference.base_url, slow) as proxy:
        profile = tmp_path / "target.toml"
        profile.write_text(
            f'[product]\nname = "slow reference"\n[mim1]\nbase_url = "{proxy.base_url}"\n', encoding="utf-8"
        )
        out = tmp_path / "out"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "conformance.cli",
                "run",
                "--target",
                str(profile),
                "--out",
                str(out),
                "--mim",
                "mim1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if "test cases collected" in line:
                break
        deadline = time.monotonic() + 60
        while proxy.hits < 1 and time.monotonic() < deadline:  # the run has entities of its own now
            time.sleep(0.05)
        time.sleep(0.3)  # a few entities are created and not yet deleted
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    assert proxy.hits >= 1, "the run was stopped before it created anything: the test proves nothing"
    assert proc.returncode == 3, rest
    cert = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    assert cert["interrupted"] is True
    assert cert["verdict"] == "INCOMPLETE"
    left = requests.get(
        f"{reference.base_url}/ngsi-ld/v1/entities",
        params={"type": "MimcheckSensor", "limit": 100},
        timeout=5,
    )
    assert left.status_code == 200
    assert left.json() == [], f"entities left behind after the abort: {[e['id'] for e in left.json()]}"


def test_a_fault_breaking_only_a_should_leaves_the_run_conformant_with_a_warning(
    reference: EmbeddedReference, tmp_path: Path
) -> None:
    """MIM1-TEN-003 (SHOULD): the unknown-tenant error misnamed. The run stays CONFORMANT (exit 0)
    and lists the one warning."""
    rule = Rule(
        method="GET",
        path="^/ngsi-ld/v1/(entities|types|attributes)$",
        when_status=404,
        json_set={"/type": "https://uri.etsi.org/ngsi-ld/errors/NonExistingTenant"},
    )
    with FaultProxy(reference.base_url, [rule]) as proxy:
        profile = tmp_path / "target.toml"
        declared = '["ngsild-multi-tenancy"]'
        profile.write_text(
            f'[product]\nname = "reference, one SHOULD broken"\n[mim1]\nbase_url = "{proxy.base_url}"\n'
            f"[capabilities]\ndeclared = {declared}\n",
            encoding="utf-8",
        )
        out = tmp_path / "out"
        proc = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--target", str(profile), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert proxy.hits >= 1, "the fault never applied: the test proves nothing"
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Verdict: CONFORMANT with 1 warning(s)" in proc.stdout
    assert "WARNING MIM1-TEN-003" in proc.stdout
    cert = json.loads((out / "certificate.json").read_text(encoding="utf-8"))
    assert cert["verdict"] == "CONFORMANT" and cert["warnings"] == ["MIM1-TEN-003"]
