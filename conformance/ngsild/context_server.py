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
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import fixtures
from conformance.callback_server import CallbackServer

CONTEXT_PATH = "/contexts/"
# a JSON document without an @context member: reachable, but not a JSON-LD @context
INVALID_NAME = "mimcheck-not-a-context.jsonld"
INVALID_BODY = b'{"mimcheck": "this document has no @context member"}'


class ContextServer:
    """The suite's @context documents as a route handler on the one callback server:
    ``with ContextServer(server) as contexts: contexts.url("mimcheck-v1.jsonld")``"""

    def __init__(self, server: CallbackServer, extra: Mapping[str, Path] | None = None) -> None:
        self.server = server
        self.folder: Path = fixtures.root() / "contexts"
        self.extra: dict[str, Path] = dict(extra or {})  # more documents by name (added data models)
        self.hits: list[str] = []
        self.withdrawn: set[str] = set()  # request targets (path?query) answered 404 from now on
        self._closed_socket: socket.socket | None = None

    # -- documents ------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return sorted({p.name for p in self.folder.glob("*.jsonld")} | set(self.extra))

    def _path(self, name: str) -> Path:
        return self.extra.get(name) or self.folder / name

    def document(self, name: str) -> dict[str, Any]:
        return json.loads(self._path(name).read_text(encoding="utf-8"))

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def url(self, name: str) -> str:
        if not self._path(name).is_file():
            raise FileNotFoundError(f"no test @context {name} in {self.folder}")
        return f"{self.base_url}{CONTEXT_PATH}{name}"

    def documents(self) -> dict[str, Any]:
        """URL -> document, for the JSON-LD oracle (which never fetches)."""
        return {self.url(name): self.document(name) for name in self.names()}

    def variant_url(self, name: str, tag: str) -> str:
        """The document ``name`` at a URL of its own (a query string the server ignores), so that a
        scenario can have a target download, cache, reload or lose it without touching other scenarios."""
        return f"{self.url(name)}?v={tag}"

    def withdraw(self, url: str) -> None:
        """From now on the server answers 404 at this URL (a @context whose source went away)."""
        parts = urlsplit(url)
        self.withdrawn.add(parts.path + ("?" + parts.query if parts.query else ""))

    @property
    def unreachable_url(self) -> str:
        """A context URL on a closed loopback port: nothing answers there."""
        assert self._closed_socket is not None
        port = self._closed_socket.getsockname()[1]
        return f"http://127.0.0.1:{port}/contexts/unreachable.jsonld"

    @property
    def invalid_url(self) -> str:
        """A URL that answers 200 with a JSON document that is not a JSON-LD @context."""
        return f"{self.base_url}{CONTEXT_PATH}{INVALID_NAME}"

    # -- lifecycle ------------------------------------------------------------------------------

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one GET or HEAD for a context document."""
        path = urlsplit(request.path).path
        name = path[len(CONTEXT_PATH) :] if path.startswith(CONTEXT_PATH) else ""
        self.hits.append(path)
        target = self._path(name)
        gone = request.path in self.withdrawn
        if name == INVALID_NAME and not gone:
            body, status, ctype = INVALID_BODY, 200, "application/ld+json"
        elif gone or not name or "/" in name or not name.endswith(".jsonld") or not target.is_file():
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
        self.server.route(CONTEXT_PATH, self.serve)
        self._open_closed_socket()
        return self

    def _open_closed_socket(self) -> None:
        closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        self._closed_socket = closed

    def __exit__(self, *exc: object) -> None:
        self.server.unroute(CONTEXT_PATH)
        if self._closed_socket is not None:
            self._closed_socket.close()
            self._closed_socket = None
