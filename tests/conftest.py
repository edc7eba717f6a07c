from __future__ import annotations

import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.embedded import EmbeddedReference

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "faults"))

# A shell starts background commands with SIGINT ignored (`bash .ci/run &`), and every process started
# from there inherits it: the tests that press Ctrl-C on a run (SIGINT to its process group) would
# press nothing. Python's own handler here makes the processes the tests start get the default again.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedReference]:
    """The embedded reference platform, started once for the project's own tests."""
    log = tmp_path_factory.mktemp("reference") / "reference.log"
    with EmbeddedReference(log=log) as ref:
        yield ref


@pytest.fixture
def keepalive_race() -> Iterator[tuple[str, list[int]]]:
    """A server that answers the first request of a connection 201 (kept alive) and closes the
    connection, unanswered, on the next request it reads there: a keep-alive idle timeout racing the
    client, made certain. Yields a URL to POST ``{}`` to and the list of connections accepted."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    connections: list[int] = []

    def read_request(conn: socket.socket) -> bool:
        request = b""
        while not request.endswith(b"\r\n\r\n{}"):  # the tests send the body {}
            chunk = conn.recv(4096)
            if not chunk:
                return False
            request += chunk
        return True

    def connection(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            if read_request(conn):
                conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
                read_request(conn)  # then closed unanswered

    def accept() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            connections.append(1)
            threading.Thread(target=connection, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/entities", connections
    finally:
        srv.close()
