"""Fixtures for the reference platform's own tests: an in-process uvicorn server on a free port."""

from __future__ import annotations

import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import uvicorn

# tests/reference (a namespace directory on sys.path via tests/) must not shadow the reference package.
_ROOT = str(Path(__file__).resolve().parents[2])
if sys.path[:1] != [_ROOT]:
    sys.path.insert(0, _ROOT)
for _name in [n for n in sys.modules if n == "reference" or n.startswith("reference.")]:
    if getattr(sys.modules[_name], "__file__", None) is None or "/tests/" in (
        sys.modules[_name].__file__ or ""
    ):
        del sys.modules[_name]

from ref_support import CORE, LD_REL, link  # noqa: E402,F401

from reference.app import create_app  # noqa: E402


class RunningServer:
    def __init__(self, db_path: str | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.app = create_app(db_path)
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started and time.time() < deadline:
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    running = RunningServer()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def base(server: RunningServer) -> str:
    return server.url


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:12]
