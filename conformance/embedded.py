"""The embedded reference platform as a target: started in a child process (the suite never imports
it), on a free loopback port, and stopped at the end of the run. Its target profile is the one the
platform publishes itself (``python -m reference --print-profile``): the suite keeps no copy of it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import requests

from conformance.process_guard import die_with_parent


class EmbeddedStartError(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def reference_profile_toml(base_url: str) -> str:
    """The reference platform's own capability profile (a target profile TOML), pointed at base_url.

    Asked of the platform in a child process of the same interpreter, like starting it."""
    cmd = [sys.executable, "-m", "reference", "--print-profile", "--base-url", base_url]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EmbeddedStartError(f"the embedded reference platform gave no profile: {exc}") from exc
    if proc.returncode != 0 or not proc.stdout.strip():
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise EmbeddedStartError(
            f"the embedded reference platform gave no profile (exit {proc.returncode}): {detail}"
        )
    return proc.stdout


class EmbeddedReference:
    """Context manager: ``with EmbeddedReference() as ref: ref.base_url``."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, log: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.base_url = f"http://{host}:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> EmbeddedReference:
        out = open(self.log, "wb") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reference", "--host", self.host, "--port", str(self.port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=die_with_parent(),  # no orphan when the suite is killed outright
            # Ctrl-C at a terminal signals the whole foreground process group: in a session of its own
            # the platform outlives the interrupted run's clean-up and is stopped last, by stop()
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedStartError(
                    f"the embedded reference platform exited with code {self.process.returncode}"
                    + (f"; see {self.log}" if self.log else "")
                )
            try:
                requests.get(self.base_url + "/ngsi-ld/v1/types", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise EmbeddedStartError(
            f"the embedded reference platform did not answer on {self.base_url} within 30 s"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def profile_toml(self, base_url: str | None = None) -> str:
        """The platform's profile, pointed at where it was started (or at ``base_url``, e.g. a proxy)."""
        return reference_profile_toml(base_url or self.base_url)
