"""The suite's notification receiver: the route of the session's callback server that the target
sends NGSI-LD notifications to.

The callback server is bound at the profile's ``[notifications] bind`` address and advertised to
the target as ``callback_url`` (else as the bound address). Every request it gets is
recorded with its arrival time (monotonic and wall clock), path, headers and body, and answered
``200 OK`` (clause 5.8.6 counts only 200 OK as a successful notification). Scenarios give each
subscription its own endpoint path and wait for notifications there on a ``threading.Condition``,
with a deadline: never a sleep.

What it holds is bounded, whatever the target sends: a body is read up to ``MAX_BODY_BYTES`` (a
longer one is kept cut, flagged, and its connection closed); each endpoint keeps at most
``MAX_PER_ENDPOINT`` requests and the receiver ``MAX_RECORDS`` in all; a request to a path the
receiver never handed out (a subscription the suite did not make) is answered 404 and only counted.
The per-endpoint bound can be lowered or raised with the environment variable
``MIMCHECK_MAX_NOTIFICATIONS_PER_ENDPOINT``.
What was dropped is counted per endpoint and shown with what was received, in the evidence.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from conformance.callback_server import CallbackServer

MAX_BODY_BYTES = 4_000_000
MAX_PER_ENDPOINT = 2_000
MAX_RECORDS = 50_000
BASE_PATH = "/mimcheck-notify"


@dataclass(frozen=True)
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    monotonic: float
    wall: str  # ISO 8601 UTC, for evidence
    answered: int
    truncated: bool = False  # the body was longer than MAX_BODY_BYTES: only its start is kept

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    @property
    def media_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def as_text(self, since: float | None = None, max_body: int = 4000) -> str:
        latency = (
            f" (+{(self.monotonic - since) * 1000:.0f} ms after the trigger)" if since is not None else ""
        )
        lines = [f"{self.method} {self.path} received {self.wall}{latency} -> answered {self.answered}"]
        if self.truncated:
            lines[0] += f" (body longer than {MAX_BODY_BYTES} bytes: cut)"
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        text = self.body.decode("utf-8", errors="replace")
        if len(text) > max_body:
            text = text[:max_body] + f"... [{len(text) - max_body} more characters]"
        if text:
            lines += ["", text]
        return "\n".join(lines)


@dataclass
class Endpoint:
    """A notification endpoint of one scenario: a unique path on the receiver."""

    receiver: NotificationReceiver
    path: str
    url: str
    created: float = field(default_factory=time.monotonic)

    def received(self) -> list[Received]:
        return self.receiver.received(self.path)

    def dropped(self) -> int:
        """Requests to this endpoint that were not kept (over MAX_PER_ENDPOINT or MAX_RECORDS)."""
        return self.receiver.dropped(self.path)

    def wait(
        self, count: int = 1, timeout: float | None = None, where: Callable[[Received], bool] | None = None
    ) -> list[Received]:
        return self.receiver.wait(self.path, count=count, timeout=timeout, where=where)

    def answer_with(self, status: int) -> None:
        """Answer later notifications on this endpoint with this status (for failure scenarios)."""
        self.receiver.set_status(self.path, status)


class NotificationReceiver:
    """Notification endpoints as route handlers on the suite's one callback server:
    ``rx = NotificationReceiver(server).start(); ep = rx.endpoint("name")``."""

    def __init__(
        self, server: CallbackServer, *, default_timeout: float = 5.0, base_path: str = BASE_PATH
    ) -> None:
        self.server = server
        self.base_path = base_path  # the route prefix: one receiver per prefix on the callback server
        self.default_timeout = default_timeout
        self._cond = threading.Condition()
        self._received: list[Received] = []
        self._status: dict[str, int] = {}
        self._counter = 0
        self._known: set[str] = set()
        self._kept: dict[str, int] = {}
        self._dropped: dict[str, int] = {}
        self.stray = 0  # requests to paths never handed out
        self.max_per_endpoint = int(
            os.environ.get("MIMCHECK_MAX_NOTIFICATIONS_PER_ENDPOINT") or MAX_PER_ENDPOINT
        )

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> NotificationReceiver:
        self.server.route(self.base_path, self._handle)
        return self

    def stop(self) -> None:
        self.server.unroute(self.base_path)

    def __enter__(self) -> NotificationReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def bound_url(self) -> str:
        return self.server.bound_url

    @property
    def base_url(self) -> str:
        """The address the target is told to send notifications to."""
        return self.server.base_url

    # -- endpoints -----------------------------------------------------------------------

    def endpoint(self, name: str) -> Endpoint:
        """A fresh endpoint whose path is unique in this receiver (``name`` should carry the run id)."""
        with self._cond:
            self._counter += 1
            number = self._counter
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
        path = f"{self.base_path}/{safe}-{number}"
        with self._cond:
            self._known.add(path)
        return Endpoint(self, path, self.base_url + path)

    def set_status(self, path: str, status: int) -> None:
        with self._cond:
            self._status[path] = status

    # -- recording and waiting -----------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        wall = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        try:
            length = max(int(handler.headers.get("Content-Length") or 0), 0)
        except ValueError:
            length = 0
        body = handler.rfile.read(min(length, MAX_BODY_BYTES)) if length else b""
        truncated = length > MAX_BODY_BYTES
        if truncated:  # the rest is not read: this connection cannot carry another request
            handler.close_connection = True
        path = handler.path.split("?", 1)[0]
        with self._cond:
            known = path in self._known
            full = self._kept.get(path, 0) >= self.max_per_endpoint or len(self._received) >= MAX_RECORDS
            if not known:
                self.stray += 1
            elif full:
                self._dropped[path] = self._dropped.get(path, 0) + 1
            status = self._status.get(path, 200)
        if not known or full:
            handler.send_response(404 if not known else status)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        record = Received(
            method=handler.command,
            path=path,
            headers={k: v for k, v in handler.headers.items()},
            body=body,
            monotonic=arrived,
            wall=wall,
            answered=status,
            truncated=truncated,
        )
        with self._cond:  # recorded before the answer: once the sender has it, the record is there
            self._received.append(record)
            self._kept[path] = self._kept.get(path, 0) + 1
            self._cond.notify_all()
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def dropped(self, path: str) -> int:
        with self._cond:
            return self._dropped.get(path, 0)

    def received(self, path: str | None = None) -> list[Received]:
        with self._cond:
            return [r for r in self._received if path is None or r.path == path]

    def wait(
        self,
        path: str,
        *,
        count: int = 1,
        timeout: float | None = None,
        where: Callable[[Received], bool] | None = None,
    ) -> list[Received]:
        """Wait until ``count`` requests (matching ``where``) have arrived at ``path``, or the deadline.

        Returns what matched by then (possibly fewer than ``count``): the caller judges."""
        deadline = time.monotonic() + (self.default_timeout if timeout is None else timeout)

        def matching() -> list[Received]:
            return [r for r in self._received if r.path == path and (where is None or where(r))]

        with self._cond:
            while True:
                found = matching()
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    return found
                self._cond.wait(remaining)
