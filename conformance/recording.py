"""The one HTTP client every scenario uses: timeouts, a run deadline, and every exchange recorded.

Transport failures (connection refused, DNS, timeouts) and the end of the run deadline raise
``Inconclusive``: the requirement could not be checked. Everything the target answers, however
wrong, is returned to the scenario to judge.

Reads are bounded whatever the target does: a response body larger than ``max_response_bytes`` and
an exchange that has not completed within ``request_seconds`` (headers and body together, so a
target trickling one byte a second cannot hold a case open) are INCONCLUSIVE with a root cause that
names the profile key to raise. Credentials (the authorizer) and the profile's extra headers go only
to the origins of the profile's base URLs; a URL naming another host (an ``href`` of a TM Forum
resource, say) is requested without them, and the evidence says so.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from conformance.outcomes import Inconclusive
from conformance.redaction import Redactor

MAX_BODY_CHARS = 64_000
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
DEFAULT_REQUEST_SECONDS = 60.0
_CHUNK = 64 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RATE_LIMIT_RETRIES = 2
MAX_RETRY_AFTER = 3.0
# A request that is not retried (POST, PATCH) does not reuse a kept-alive connection idle this long:
# servers close idle connections after a few seconds (gunicorn 2, uvicorn and Node 5), and one closed
# just as it is reused loses the request with no answer (an INCONCLUSIVE that the target did not earn).
IDLE_REUSE_SECONDS = 1.0
_DEFAULT_PORTS = {"http": 80, "https": 443}


def drop_idle_connections(session: requests.Session) -> None:
    """Close the session's pooled idle connections (those in use are closed when they come back):
    the next request opens a fresh one."""
    for adapter in session.adapters.values():
        if isinstance(adapter, HTTPAdapter):
            adapter.poolmanager.clear()


def origin_of(url: str) -> str:
    """scheme://host:port of a URL, with the default port made explicit and the host lower-cased."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _retry_after(value: str | None) -> float:
    """Seconds to wait from a Retry-After header (delta seconds; a date or nothing: 1 s), capped."""
    try:
        seconds = float(value) if value is not None else 1.0
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class _Abandoned(Exception):
    """The caller stopped waiting for this exchange (its time limit passed)."""


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


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
    note: str | None = None

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
        trusted_urls: Iterable[str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        request_seconds: float = DEFAULT_REQUEST_SECONDS,
        verify: bool | str = True,
        cert: tuple[str, str] | str | None = None,
    ) -> None:
        self.verify, self.cert = verify, cert
        self.session = self._new_session()
        self.redactor = redactor
        self.timeout = timeout
        self.clock = clock or RunClock(1e9)
        self.default_headers = dict(default_headers or {})
        self.authorizer = authorizer
        # None: every origin is trusted (a client built without a profile, e.g. in unit tests)
        self.trusted = None if trusted_urls is None else {origin_of(u) for u in trusted_urls}
        self.max_response_bytes = max_response_bytes
        self.request_seconds = request_seconds
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._last_used: dict[str, float] = {}  # origin: monotonic time its last exchange ended

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # no proxies or netrc from the environment: evidence is exact
        # One retry of an idempotent request whose connection broke before any answer: a kept-alive
        # connection the server closed just as it was reused ("Connection reset by peer") is a race of
        # the transport, not an answer of the target. Statuses and redirects are never retried.
        retry = Retry(
            total=1,
            connect=1,
            read=1,
            status=0,
            other=0,
            redirect=0,
            allowed_methods=IDEMPOTENT,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        for scheme in ("http://", "https://"):
            session.mount(scheme, HTTPAdapter(max_retries=retry))
        session.verify = self.verify  # the profile's [tls]: CA bundle, or False when insecure
        # insecure is chosen in the profile and recorded in the certificate: no warning per request
        if self.verify is False:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        session.cert = self.cert
        return session

    def trusts(self, url: str) -> bool:
        """Whether credentials and the profile's extra headers may go to this URL."""
        return self.trusted is None or origin_of(url) in self.trusted

    def take(self) -> list[Exchange]:
        """Hand over the exchanges recorded since the last call."""
        taken, self.exchanges = self.exchanges, []
        return taken

    def request(self, method: str, url: str, **kw: Any) -> requests.Response:
        """One exchange; a 429 Too Many Requests is retried after its Retry-After (at most
        ``RATE_LIMIT_RETRIES`` times, each wait capped at ``MAX_RETRY_AFTER`` s), then INCONCLUSIVE: a
        target that throttles the suite has not answered the question the case asks."""
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            response = self._request_once(method, url, **kw)
            if response.status_code != 429:
                return response
            if attempt < RATE_LIMIT_RETRIES:
                time.sleep(
                    min(_retry_after(response.headers.get("Retry-After")), max(self.clock.remaining(), 0))
                )
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.redactor.text(url)))
        raise Inconclusive(
            f"{method} {self.redactor.text(url)}: still 429 Too Many Requests after {RATE_LIMIT_RETRIES} retries",
            blocked_by=f"{origin} rate-limited the suite (429 Too Many Requests); "
            "lift the product's rate limit for the suite's client",
        )

    def _request_once(
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
        trusted = self.trusts(url)
        merged = dict(self.default_headers) if trusted else {}
        if authorize and trusted and self.authorizer is not None:
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
        if not trusted:
            exchange.note = (
                "sent without credentials or profile headers: the host is not in the target profile"
            )
        start = time.perf_counter()
        total = max(min(self.request_seconds, remaining), limit)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(exchange.url))
        session = self.session
        if method.upper() not in IDEMPOTENT and self._idle(origin) > IDLE_REUSE_SECONDS:
            drop_idle_connections(session)
        abandoned = threading.Event()
        try:
            response = self._in_thread(session, prepared, limit, start + total, abandoned, total + 1.0)
        except _Abandoned:
            abandoned.set()
            with self._lock:  # the stuck connection stays with the old session; later requests get a new one
                if self.session is session:
                    self.session = self._new_session()
            exchange.elapsed_ms = (time.perf_counter() - start) * 1000
            exchange.error = f"no complete response within {total:g} s"
            self.exchanges.append(exchange)
            raise Inconclusive(
                f"{method} {exchange.url}: no complete response within {total:g} s",
                blocked_by=f"{origin} did not complete a response within {total:g} s "
                "(a slow or never-ending answer; the limit is [run] request_seconds in the profile)",
            ) from None
        except _TooLarge as big:
            exchange.elapsed_ms = (time.perf_counter() - start) * 1000
            exchange.error = f"response body larger than {self.max_response_bytes} bytes (read {big.size})"
            self.exchanges.append(exchange)
            raise Inconclusive(
                f"{method} {exchange.url}: the response body passed {self.max_response_bytes} bytes",
                blocked_by=f"a response of {origin} passed the size limit of {self.max_response_bytes} bytes "
                "([run] max_response_bytes in the profile)",
            ) from None
        except requests.RequestException as exc:
            exchange.elapsed_ms = (time.perf_counter() - start) * 1000
            exchange.error = self.redactor.text(f"{type(exc).__name__}: {exc}")
            self.exchanges.append(exchange)
            raise Inconclusive(
                f"{method} {exchange.url}: no response ({type(exc).__name__})",
                blocked_by=f"no response from {origin} ({type(exc).__name__})",
            ) from None
        finally:
            self._last_used[origin] = time.monotonic()
        exchange.elapsed_ms = (time.perf_counter() - start) * 1000
        exchange.status = response.status_code
        exchange.response_headers = self.redactor.headers(dict(response.headers))
        exchange.response_body = self.redactor.text(_body_text(response.content) or "") or None
        self.exchanges.append(exchange)
        return response

    def _idle(self, origin: str) -> float:
        """Seconds since the last exchange with ``origin`` ended (infinite before the first)."""
        last = self._last_used.get(origin)
        return float("inf") if last is None else time.monotonic() - last

    def _in_thread(
        self,
        session: requests.Session,
        prepared: requests.PreparedRequest,
        limit: float,
        deadline: float,
        abandoned: threading.Event,
        wait: float,
    ) -> requests.Response:
        """Run the exchange in a daemon thread and wait at most ``wait`` s: a target that holds the socket
        open cannot hold the case (nor, being a daemon, the interpreter's exit)."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["response"] = self._exchange(session, prepared, limit, deadline, abandoned)
            except BaseException as exc:  # handed to the caller's thread  # noqa: BLE001
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=work, name="mimcheck-http", daemon=True).start()
        if not done.wait(wait):
            raise _Abandoned
        if "error" in box:
            raise box["error"]
        response: requests.Response = box["response"]
        return response

    def _exchange(
        self,
        session: requests.Session,
        prepared: requests.PreparedRequest,
        limit: float,
        deadline: float,
        abandoned: threading.Event,
    ) -> requests.Response:
        """Send and read the whole body, within the size limit and the exchange's deadline."""
        response = session.send(prepared, timeout=limit, allow_redirects=False, stream=True)
        try:
            body = bytearray()
            raw = response.raw
            while True:
                if abandoned.is_set() or time.perf_counter() > deadline:
                    raise _Abandoned
                try:
                    chunk = raw.read1(_CHUNK, decode_content=True)
                except urllib3.exceptions.HTTPError as exc:  # a reset or stall in the middle of the body
                    raise requests.ConnectionError(f"while reading the body: {exc}") from None
                if not chunk:
                    break
                body += chunk
                if len(body) > self.max_response_bytes:
                    raise _TooLarge(len(body))
            response._content = bytes(body)  # the body as requests would have read it
            response._content_consumed = True  # type: ignore[attr-defined]
        finally:
            response.close()
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
