"""`mimcheck serve` stopped by SIGTERM (as systemd or a container runtime stops it) leaves no process
behind and frees its port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests

from conformance.embedded import free_port


def test_sigterm_stops_the_reference_and_frees_the_port() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/ngsi-ld/v1/types", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            raise AssertionError("mimcheck serve did not answer within 30 s")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        with socket.socket() as sock:
            sock.settimeout(1)
            assert sock.connect_ex(("127.0.0.1", port)) != 0, "something still listens on the port"
        try:
            os.kill(proc.pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        assert not alive
    finally:
        if proc.poll() is None:
            proc.kill()
