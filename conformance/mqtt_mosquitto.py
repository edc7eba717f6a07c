"""A local Mosquitto (Debian's `mosquitto` package) as the suite's own MQTT broker: preferred over
the embedded amqtt broker when the binary is installed, since it speaks both MQTT 3.1.1 and 5.0.

Started on a free loopback port with a throw-away configuration (anonymous, no persistence, no log)
and stopped on every exit path (``with LocalMosquitto() as broker: broker.url``)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from conformance.process_guard import die_with_parent, supervised

START_TIMEOUT_S = 10.0


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    debian = Path("/usr/sbin/mosquitto")
    return str(debian) if debian.is_file() else None


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class MosquittoError(RuntimeError):
    pass


class LocalMosquitto:
    versions = ("mqtt3.1.1", "mqtt5.0")
    kind = "local mosquitto broker"

    def __init__(self, binary: str, host: str = "127.0.0.1") -> None:
        self.binary = binary
        self.host = host
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> LocalMosquitto:
        self.port = _free_port(self.host)
        self._folder = tempfile.TemporaryDirectory(prefix="mimcheck-mosquitto-")
        conf = Path(self._folder.name) / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} {self.host}\nallow_anonymous true\npersistence false\nlog_dest none\n"
            # started as root, it stays root instead of switching to its own user (which may not exist)
            + (f"user {pwd.getpwuid(os.geteuid()).pw_name}\n" if os.geteuid() == 0 else ""),
            encoding="utf-8",
        )
        self._proc = subprocess.Popen(
            supervised([self.binary, "-c", str(conf)]),  # mosquitto as root drops capabilities: see there
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(),  # no orphan broker when the suite is killed outright
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    code = self._proc.poll()
                    self.stop()
                    raise MosquittoError(
                        f"mosquitto did not start on {self.host}:{self.port} (exit {code})"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        folder, self._folder = self._folder, None
        if folder is not None:
            folder.cleanup()

    def __enter__(self) -> LocalMosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
