"""`python -m reference` starts, announces its URL on stdout and stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_start_and_stop(tmp_path: Path, sig: signal.Signals) -> None:
    db = tmp_path / "ref.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference", "--port", "0", "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        match = re.fullmatch(r"reference platform listening on http://127\.0\.0\.1:(\d+)\n", line)
        assert match, line
        url = f"http://127.0.0.1:{match.group(1)}"
        resp = requests.post(url + "/ngsi-ld/v1/entities", json={"id": "urn:x:1", "type": "T"}, timeout=5)
        assert resp.status_code == 201
        assert requests.get(url + "/ngsi-ld/v1/entities/urn:x:1", timeout=5).status_code == 200
    finally:
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    assert db.exists()


def test_cli_port_in_use() -> None:
    import socket

    busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "reference", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=20,
        )
    finally:
        busy.close()
    assert proc.returncode == 1
    out = (proc.stdout + proc.stderr).strip()
    assert out == f"reference: cannot listen on 127.0.0.1:{port}: address already in use", out
    assert "Traceback" not in out


def test_cli_print_profile_starts_nothing_and_fills_the_placeholders(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "reference", "--print-profile", *args]
        return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=20)

    default = run("--port", "1999")
    assert default.returncode == 0, default.stderr
    assert 'base_url = "http://127.0.0.1:1999"' in default.stdout
    assert "{base_url}" not in default.stdout and "{version}" not in default.stdout
    proxied = run("--base-url", "http://127.0.0.1:4000/")
    assert 'base_url = "http://127.0.0.1:4000/tmf-api"' in proxied.stdout
    refused = run("--base-url", 'http://x"')
    assert refused.returncode == 2 and "not a usable base URL" in refused.stderr
