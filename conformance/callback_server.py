"""The one HTTP server where the target reaches the suite: the @context files the suite serves and
the notification endpoints. One server, so a profile's fixed ``[notifications] bind`` port and its
``callback_url`` (the address as the target sees it, e.g. through NAT) hold for both."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[BaseHTTPRequestHandler], None]


class CallbackServerError(RuntimeError):
    """The server could not be bound; the message names the address."""


class CallbackServer:
    """Dispatches each request to the handler registered for the longest matching path prefix."""

    def __init__(
        self, bind_host: str = "127.0.0.1", bind_port: int = 0, callback_url: str | None = None
    ) -> None:
        self.bind_host = bind_host
        self.bind_port = bind_port
        self.callback_url = callback_url.rstrip("/") if callback_url else None
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def route(self, prefix: str, handler: Handler) -> None:
        with self._lock:
            self._routes[prefix] = handler

    def unroute(self, prefix: str) -> None:
        with self._lock:
            self._routes.pop(prefix, None)

    def _dispatch(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        with self._lock:
            matches = [p for p in self._routes if path.startswith(p)]
            handler = self._routes[max(matches, key=len)] if matches else None
        if handler is None:
            request.send_response(404)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        handler(request)

    def start(self) -> CallbackServer:
        server = self

        class Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                server._dispatch(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

        try:
            self._server = ThreadingHTTPServer((self.bind_host, self.bind_port), Request)
        except OSError as exc:
            raise CallbackServerError(
                f"cannot bind the suite's callback server at {self.bind_host}:{self.bind_port}: {exc.strerror}; "
                "change [notifications] bind in the target profile"
            ) from None
        self._server.daemon_threads = True
        # a short poll: stop() (shutdown) waits up to one poll interval, at the end of every worker
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="mimcheck-callback",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def bound_url(self) -> str:
        if self._server is None:
            raise CallbackServerError("the suite's callback server is not running")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """The address the target is given: callback_url when the profile sets it."""
        return self.callback_url or self.bound_url
