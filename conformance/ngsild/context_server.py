"""The suite's own @context server: it serves the test contexts of its package data
(conformance/data/fixtures/contexts/, or ``contexts/`` under MIMCHECK_FIXTURES) over HTTP so that no
scenario depends on the internet, and it knows an unreachable context URL.

It binds where the profile says the target can reach the suite (``[notifications] bind``) and
advertises ``[notifications] callback_url`` when set (else the bound address). The unreachable
context is a URL on a loopback port that the suite holds bound but never listens on.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import fixtures
from conformance.callback_server import CallbackServer

CONTEXT_PATH = "/contexts/"


class ContextServer:
    """``with ContextServer(host, port, advertised) as server: server.url("mimcheck-v1.jsonld")``"""

    def __init__(
        self,
        bind_host: str = "127.0.0.1",
        bind_port: int = 0,
        advertised: str | None = None,
        *,
        shared: CallbackServer | None = None,
    ) -> None:
        self.bind_host = bind_host
        self.bind_port = bind_port
        self.advertised = advertised.rstrip("/") if advertised else None
        self.shared = shared  # serve through the session's callback server instead of binding
        self.folder: Path = fixtures.root() / "contexts"
        self.hits: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._closed_socket: socket.socket | None = None

    # -- documents ------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return sorted(p.name for p in self.folder.glob("*.jsonld"))

    def document(self, name: str) -> dict[str, Any]:
        return json.loads((self.folder / name).read_text(encoding="utf-8"))

    @property
    def base_url(self) -> str:
        if self.shared is not None:
            return self.shared.base_url
        if self.advertised:
            return self.advertised
        assert self._server is not None, "the context server is not started"
        host, port = self._server.server_address[:2]
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{port}"

    def url(self, name: str) -> str:
        if not (self.folder / name).is_file():
            raise FileNotFoundError(f"no test @context {name} in {self.folder}")
        return f"{self.base_url}{CONTEXT_PATH}{name}"

    def documents(self) -> dict[str, Any]:
        """URL -> document, for the JSON-LD oracle (which never fetches)."""
        return {self.url(name): self.document(name) for name in self.names()}

    @property
    def unreachable_url(self) -> str:
        """A context URL on a closed loopback port: nothing answers there."""
        assert self._closed_socket is not None
        port = self._closed_socket.getsockname()[1]
        return f"http://127.0.0.1:{port}/contexts/unreachable.jsonld"

    # -- lifecycle ------------------------------------------------------------------------------

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one GET or HEAD for a context document."""
        path = urlsplit(request.path).path
        name = path[len(CONTEXT_PATH) :] if path.startswith(CONTEXT_PATH) else ""
        self.hits.append(path)
        target = self.folder / name
        if not name or "/" in name or not name.endswith(".jsonld") or not target.is_file():
            body, status, ctype = b'{"error": "not found"}', 404, "application/json"
        else:
            body, status, ctype = target.read_bytes(), 200, "application/ld+json"
        request.send_response(status)
        request.send_header("Content-Type", ctype)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(body)

    def __enter__(self) -> ContextServer:
        server = self
        if self.shared is not None:
            self.shared.route(CONTEXT_PATH, self.serve)
            self._open_closed_socket()
            return self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.serve(self)

            do_HEAD = do_GET  # noqa: N815

        self._server = ThreadingHTTPServer((self.bind_host, self.bind_port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="mimcheck-contexts").start()
        self._open_closed_socket()
        return self

    def _open_closed_socket(self) -> None:
        closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        self._closed_socket = closed

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._closed_socket is not None:
            self._closed_socket.close()
            self._closed_socket = None
