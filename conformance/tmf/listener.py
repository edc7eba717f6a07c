"""The suite's TMF630 listener: endpoints on the suite's one callback server where a TM Forum hub
(POST {root}/hub {"callback": ...}) delivers its events. Each endpoint keeps the events it received."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from conformance.callback_server import CallbackServer

BASE_PATH = "/tmf-listener"
MAX_BODY_BYTES = 1_000_000
MAX_PER_ENDPOINT = 200


@dataclass(frozen=True)
class Event:
    path: str
    body: Any  # the JSON body, or None where it was not JSON
    raw: bytes
    arrived: float  # time.monotonic()


class Listener:
    """``with Listener(server) as listener: url = listener.endpoint("run-id")``."""

    def __init__(self, server: CallbackServer) -> None:
        self.server = server
        self._cond = threading.Condition()
        self._events: list[Event] = []
        self._known: set[str] = set()
        self._counter = 0

    def __enter__(self) -> Listener:
        self.server.route(BASE_PATH, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.unroute(BASE_PATH)

    def endpoint(self, name: str) -> str:
        """The callback URL of a fresh endpoint (the path is unique in this listener)."""
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
        with self._cond:
            self._counter += 1
            path = f"{BASE_PATH}/{safe}-{self._counter}"
            self._known.add(path)
        return self.server.base_url + path

    @staticmethod
    def path_of(url: str) -> str:
        return url[url.index(BASE_PATH) :]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        try:
            length = max(int(handler.headers.get("Content-Length") or 0), 0)
        except ValueError:
            length = 0
        raw = handler.rfile.read(min(length, MAX_BODY_BYTES)) if length else b""
        if length > MAX_BODY_BYTES:
            handler.close_connection = True
        path = handler.path.split("?", 1)[0]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._cond:
            known = path in self._known
            if known and sum(1 for e in self._events if e.path == path) < MAX_PER_ENDPOINT:
                self._events.append(Event(path, body, raw, time.monotonic()))
                self._cond.notify_all()
        handler.send_response(201 if known else 404)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def all(self) -> list[Event]:
        with self._cond:
            return list(self._events)

    def received(self, url: str) -> list[Event]:
        path = self.path_of(url)
        with self._cond:
            return [e for e in self._events if e.path == path]

    def wait(self, url: str, where: Callable[[Event], bool], timeout: float) -> Event | None:
        """The first event at this endpoint that `where` accepts, waiting up to `timeout` seconds."""
        path = self.path_of(url)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self._events:
                    if event.path == path and where(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)


def resource_of(event: Event, key: str) -> dict[str, Any] | None:
    """event.<key> of a TMF630 event body (None where there is none)."""
    body = event.body
    if not isinstance(body, dict) or not isinstance(body.get("event"), dict):
        return None
    found = body["event"].get(key)
    return found if isinstance(found, dict) else None
