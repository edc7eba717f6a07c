"""The one HTTP client every scenario uses: timeouts, a run deadline, and every exchange recorded.

Transport failures (connection refused, DNS, timeouts) and the end of the run deadline raise
``Inconclusive``: the requirement could not be checked. Everything the target answers, however
wrong, is returned to the scenario to judge.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from conformance.outcomes import Inconclusive
from conformance.redaction import Redactor

MAX_BODY_CHARS = 64_000


@dataclass
class Exchange:
    """One request and its response, as evidence (already redacted)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    elapsed_ms: float = 0.0
    started_at: float = 0.0
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def exchange_text(exchange: dict[str, Any]) -> str:
    """One recorded exchange (its JSON form) as readable text, for report attachments."""
    lines = [f"{exchange['method']} {exchange['url']}"]
    lines += [f"{k}: {v}" for k, v in exchange["request_headers"].items()]
    if exchange.get("request_body"):
        lines += ["", exchange["request_body"]]
    status = exchange["status"] if exchange["status"] is not None else f"no response: {exchange['error']}"
    lines += ["", f"--> {status}  ({exchange['elapsed_ms']:.1f} ms)"]
    lines += [f"{k}: {v}" for k, v in exchange.get("response_headers", {}).items()]
    if exchange.get("response_body"):
        lines += ["", exchange["response_body"]]
    return "\n".join(lines)


def _body_text(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        text = body.decode("utf-8", errors="replace")
    else:
        text = str(body)
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS] + f"... [{len(text) - MAX_BODY_CHARS} more characters]"
    return text


class RunClock:
    """The run's deadline."""

    def __init__(self, deadline_seconds: float) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + deadline_seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class RecordingClient:
    """A requests session that records every exchange and never blocks past its timeouts."""

    def __init__(
        self,
        *,
        redactor: Redactor,
        timeout: float = 10.0,
        clock: RunClock | None = None,
        default_headers: dict[str, str] | None = None,
        authorizer: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies or netrc from the environment: evidence is exact
        self.redactor = redactor
        self.timeout = timeout
        self.clock = clock or RunClock(1e9)
        self.default_headers = dict(default_headers or {})
        self.authorizer = authorizer
        self.exchanges: list[Exchange] = []

    def take(self) -> list[Exchange]:
        """Hand over the exchanges recorded since the last call."""
        taken, self.exchanges = self.exchanges, []
        return taken

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        data: str | bytes | None = None,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        timeout: float | None = None,
        authorize: bool = True,
    ) -> requests.Response:
        remaining = self.clock.remaining()
        if remaining <= 0:
            raise Inconclusive(
                "the run's deadline has passed; the request was not sent",
                blocked_by="the run's deadline passed (raise [run] deadline_seconds in the profile)",
            )
        merged = dict(self.default_headers)
        if authorize and self.authorizer is not None:
            merged.update(self.authorizer())
        merged.update(headers or {})
        if json_body is not None:
            data = json.dumps(json_body)
            merged.setdefault("Content-Type", "application/json")
        prepared = self.session.prepare_request(
            requests.Request(method, url, headers=merged, data=data, params=params)
        )
        limit = min(timeout or self.timeout, remaining)
        exchange = Exchange(
            method=method,
            url=self.redactor.text(prepared.url or url),
            request_headers=self.redactor.headers(dict(prepared.headers)),
            request_body=self.redactor.text(_body_text(prepared.body) or "") or None,
            status=None,
            started_at=time.time(),
        )
        start = time.perf_counter()
        try:
            response = self.session.send(prepared, timeout=limit, allow_redirects=False)
        except requests.RequestException as exc:
            exchange.elapsed_ms = (time.perf_counter() - start) * 1000
            exchange.error = self.redactor.text(f"{type(exc).__name__}: {exc}")
            self.exchanges.append(exchange)
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(exchange.url))
            raise Inconclusive(
                f"{method} {exchange.url}: no response ({type(exc).__name__})",
                blocked_by=f"no response from {origin} ({type(exc).__name__})",
            ) from None
        exchange.elapsed_ms = (time.perf_counter() - start) * 1000
        exchange.status = response.status_code
        exchange.response_headers = self.redactor.headers(dict(response.headers))
        exchange.response_body = self.redactor.text(_body_text(response.content) or "") or None
        self.exchanges.append(exchange)
        return response

    def get(self, url: str, **kw: Any) -> requests.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> requests.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> requests.Response:
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", url, **kw)

    def close(self) -> None:
        self.session.close()
