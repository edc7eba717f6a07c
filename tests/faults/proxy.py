"""A fault-injecting HTTP proxy between the suite and a target (the reference platform).

It forwards every request unchanged, except where one of the active fault's rules matches: a rule
rewrites the request before forwarding (drop or set a query parameter, drop a header) or the
response on the way back (status, headers, JSON members, body, delay). The suite sees the proxy as
an ordinary target, exactly as it would see a vendor's product.

The same rules also express legal variations (the tolerance matrix, tests/faults/tolerance.py):
JSON members in another order, arrays reversed, DateTimes in an equivalent form, values wrapped
in an array, header values extended or rewritten, the body gzip-encoded or sent chunked.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from conformance.recording import IDEMPOTENT, IDLE_REUSE_SECONDS, drop_idle_connections

CHUNK_SIZE = 64  # bytes per chunk when a variation sends the body chunked

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


@dataclass(frozen=True)
class Rule:
    """One rewrite. Matching: method, path regex, query regex, upstream status. Then the actions."""

    method: str | None = None
    path: str = ".*"
    query: str | None = None
    when_status: int | None = None
    when_error: bool = False  # only when the upstream answered 4xx or 5xx
    when_media: str | None = None  # regex on the upstream answer's Content-Type
    when_request_media: str | None = None  # regex on the request's Content-Type (matched before forwarding)
    when_request_body: str | None = (
        None  # regex on the request's body (as UTF-8 text), matched before forwarding
    )
    when_partial_list: bool = False  # only when upstream X-Result-Count < X-Total-Count (a partial page)
    # request actions
    drop_param: str | None = None
    set_params: dict[str, str] = field(default_factory=dict)
    drop_request_header: str | None = None
    request_json_set: dict[str, Any] = field(default_factory=dict)  # edits of the request body
    request_json_delete: tuple[str, ...] = ()
    request_delay_ms: int = 0  # wait before forwarding (a late notification)
    request_path_sub: tuple[str, ...] = ()  # (regex, replacement) on the path before forwarding
    request_reorder_members: bool = False  # the same JSON edits as below, on the request body
    request_reverse_arrays: tuple[str, ...] = ()
    request_datetime_form: str | None = None
    # response actions
    set_status: int | None = None
    drop_header: str | None = None
    set_headers: dict[str, str] = field(default_factory=dict)
    json_set: dict[str, Any] = field(default_factory=dict)
    json_delete: tuple[str, ...] = ()
    body: str | None = None
    delay_ms: int = 0
    # response actions for legal variations (each leaves the meaning of the answer unchanged)
    json_replace: dict[str, Any] = field(default_factory=dict)  # like json_set, only where present
    json_default: dict[str, Any] = field(default_factory=dict)  # like json_set, only where absent
    json_append: dict[str, Any] = field(default_factory=dict)  # appended to the array (or the value
    # made an array) at a pointer, where present and not already in it
    json_wrap: tuple[str, ...] = ()  # a value that is not an array becomes a one-element array
    json_values: dict[str, Any] = field(default_factory=dict)  # every string value equal to a key
    reverse_arrays: tuple[str, ...] = ()  # arrays at these pointers ("" the root) reversed
    reorder_members: bool = False  # every JSON object's members in reverse order, recursively
    datetime_form: str | None = None  # ISO 8601 UTC values re-rendered: millis, micros, nanos, trim, offset
    # which members hold DateTimes (regex on the member name; default: NGSI-LD's DateTime members);
    # the "@value" of a {"@type": "DateTime"} object always does. Other strings are data, kept as is.
    datetime_keys: str | None = None
    json_layout: str | None = None  # re-serialized: compact, pretty or ascii (\u escapes)
    append_headers: dict[str, str] = field(default_factory=dict)  # appended to present values
    # name -> (regex, replacement); in the replacement {base} is the proxy's base URL and {target}
    # the request's path and query
    header_sub: dict[str, tuple[str, ...]] = field(default_factory=dict)
    header_case: str | None = None  # header names sent in "upper" or "lower" case (RFC 9110 §5.1)
    gzip: bool = False  # Content-Encoding: gzip, when the request's Accept-Encoding allows it
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length
    close_connection: bool = False  # Connection: close, then the connection is closed (RFC 9112 §9.6)
    # delivery actions (for the notification path: target -> proxy -> suite's receiver)
    drop: bool = False  # do not forward; answer set_status (default 204) to the sender
    duplicate: bool = False  # forward the request twice

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Rule:
        data = dict(data)
        for key in (
            "json_delete",
            "request_json_delete",
            "request_path_sub",
            "request_reverse_arrays",
            "json_wrap",
            "reverse_arrays",
        ):
            if key in data:
                data[key] = tuple(data[key])
        if "header_sub" in data:
            data["header_sub"] = {k: tuple(v) for k, v in data["header_sub"].items()}
        for key in ("datetime_form", "request_datetime_form"):
            if data.get(key) is not None and data[key] not in DATETIME_FORMS:
                raise ValueError(f"{key} {data[key]!r}: expected one of {sorted(DATETIME_FORMS)}")
        if data.get("header_case") is not None and data["header_case"] not in ("upper", "lower"):
            raise ValueError(f"header_case {data['header_case']!r}: expected upper or lower")
        if data.get("json_layout") is not None and data["json_layout"] not in JSON_LAYOUTS:
            raise ValueError(f"json_layout {data['json_layout']!r}: expected one of {sorted(JSON_LAYOUTS)}")
        for key in ("request_path_sub",):
            if key in data and len(data[key]) != 2:
                raise ValueError(f"{key}: expected [regex, replacement]")
        for name, pair in data.get("header_sub", {}).items():
            if len(pair) != 2:
                raise ValueError(f"header_sub {name!r}: expected [regex, replacement]")
        return Rule(**data)

    @property
    def edits_response_json(self) -> bool:
        """Whether a response action of the variation kind parses and re-serializes the JSON body."""
        return bool(
            self.json_replace
            or self.json_default
            or self.json_append
            or self.json_wrap
            or self.json_values
            or self.reverse_arrays
            or self.reorder_members
            or self.datetime_form
            or self.json_layout
        )

    @property
    def edits_request_json(self) -> bool:
        return bool(self.request_reorder_members or self.request_reverse_arrays or self.request_datetime_form)

    def status_matches(self, status: int, headers: dict[str, str]) -> bool:
        """The response-side conditions: when_status, when_error, when_media, when_partial_list."""
        if self.when_status is not None and self.when_status != status:
            return False
        if self.when_error and status < 400:
            return False
        lowered = {k.lower(): v for k, v in headers.items()}
        if self.when_media is not None and not re.search(self.when_media, lowered.get("content-type", "")):
            return False
        if self.when_partial_list:
            total, result = lowered.get("x-total-count", ""), lowered.get("x-result-count", "")
            if not (total.strip().isdigit() and result.strip().isdigit() and int(result) < int(total)):
                return False
        return True

    def matches(
        self, method: str, path: str, query: str, request_media: str = "", request_body: bytes = b""
    ) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.when_request_media is not None and not re.search(self.when_request_media, request_media):
            return False
        if self.when_request_body is not None and not re.search(
            self.when_request_body, request_body.decode("utf-8", "replace")
        ):
            return False
        if not re.search(self.path, path):
            return False
        return not (self.query and not re.search(self.query, query))


def _pointer_parts(pointer: str) -> list[str]:
    return (
        [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")] if pointer else []
    )


def _apply_json(doc: Any, sets: dict[str, Any], deletes: tuple[str, ...]) -> Any:
    """Set or delete members by JSON pointer; '*' in a pointer applies to every array element."""

    def walk(node: Any, parts: list[str], action: str, value: Any) -> None:
        if not parts:
            return
        head, rest = parts[0], parts[1:]
        if head == "*" and isinstance(node, list):
            for element in node:
                walk(element, rest, action, value) if rest else None
            return
        if isinstance(node, dict):
            if not rest:
                if action == "set":
                    node[head] = value
                else:
                    node.pop(head, None)
            elif head in node:
                walk(node[head], rest, action, value)
        elif isinstance(node, list) and head.isdigit() and int(head) < len(node):
            if not rest:
                if action == "set":
                    node[int(head)] = value
                else:
                    node.pop(int(head))
            else:
                walk(node[int(head)], rest, action, value)

    for pointer, value in sets.items():
        walk(doc, _pointer_parts(pointer), "set", value)
    for pointer in deletes:
        walk(doc, _pointer_parts(pointer), "delete", None)
    return doc


UTC_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z")
DATETIME_FORMS = {"millis", "micros", "nanos", "trim", "offset"}
# The members that hold a DateTime in NGSI-LD (CIM 009 V1.8.1: temporal properties, system
# attributes, notification and subscription/registration bookkeeping, temporal queries).
NGSILD_DATETIME_KEYS = (
    r"^(observedAt|createdAt|modifiedAt|deletedAt|notifiedAt|expiresAt|lastNotification|lastSuccess"
    r"|lastFailure|timeAt|endTimeAt|startAt|endAt)$"
)
JSON_LAYOUTS = {"compact", "pretty", "ascii"}


def equivalent_datetime(value: str, form: str) -> str:
    """An ISO 8601 UTC DateTime (``...T12:00:00Z``, ``...T12:00:00.5Z``) rendered in another form
    that names the same instant: ``millis`` pads the fraction to at least 3 digits (as Orion-LD
    renders them), ``micros`` to at least 6, ``nanos`` to at least 9, ``trim`` drops trailing zeros of the fraction (and a
    zero fraction), ``offset`` writes ``+00:00`` instead of ``Z``. Other strings are returned as is."""
    match = UTC_DATETIME.fullmatch(value)
    if not match:
        return value
    base, fraction = match.group(1), match.group(2) or ""
    if form == "millis":
        fraction = fraction.ljust(3, "0")
    elif form == "micros":
        fraction = fraction.ljust(6, "0")
    elif form == "nanos":
        fraction = fraction.ljust(9, "0")
    elif form == "trim":
        fraction = fraction.rstrip("0")
    zone = "+00:00" if form == "offset" else "Z"
    return base + (f".{fraction}" if fraction else "") + zone


def _map_strings(node: Any, change: Any) -> Any:
    """Every string value (not member names) passed through ``change``."""
    if isinstance(node, dict):
        return {k: _map_strings(v, change) for k, v in node.items()}
    if isinstance(node, list):
        return [_map_strings(v, change) for v in node]
    if isinstance(node, str):
        return change(node)
    return node


def _map_datetimes(node: Any, form: str, keys: re.Pattern[str], name: str = "") -> Any:
    """Every DateTime re-rendered in ``form``: string values of members whose name matches ``keys``
    (array elements count as their member's), and the "@value" of a {"@type": "DateTime"} object."""
    if isinstance(node, dict):
        typed = node.get("@type") == "DateTime" or (
            isinstance(node.get("@type"), list) and "DateTime" in node["@type"]
        )
        return {
            k: equivalent_datetime(v, form)
            if typed and k == "@value" and isinstance(v, str)
            else _map_datetimes(v, form, keys, k)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_map_datetimes(v, form, keys, name) for v in node]
    if isinstance(node, str) and keys.search(name):
        return equivalent_datetime(node, form)
    return node


def _reversed_members(node: Any) -> Any:
    """Every object's members in reverse order, recursively (JSON objects are unordered, RFC 8259 §4)."""
    if isinstance(node, dict):
        return {k: _reversed_members(node[k]) for k in reversed(list(node))}
    if isinstance(node, list):
        return [_reversed_members(v) for v in node]
    return node


def _locate(doc: Any, pointer: str) -> list[tuple[Any, Any]]:
    """The (container, key) pairs a pointer names; '*' is every member of an object or element of
    an array. The root ("") is returned as (None, None). Nothing inside an @context is named."""
    found: list[tuple[Any, Any]] = []

    def walk(container: Any, key: Any, parts: list[str]) -> None:
        node = doc if container is None else container[key]
        if not parts:
            found.append((container, key))
            return
        head, rest = parts[0], parts[1:]
        if isinstance(node, dict):
            keys = [k for k in node if k != "@context"] if head == "*" else [head] if head in node else []
            for k in keys:
                walk(node, k, rest)
        elif isinstance(node, list):
            if head == "*":
                indices = list(range(len(node)))
            else:
                indices = [int(head)] if head.isdigit() and int(head) < len(node) else []
            for i in indices:
                walk(node, i, rest)

    walk(None, None, _pointer_parts(pointer))
    return found


def _get(doc: Any, container: Any, key: Any) -> Any:
    return doc if container is None else container[key]


def _put(doc: Any, container: Any, key: Any, value: Any) -> Any:
    if container is None:
        return value
    container[key] = value
    return doc


def transform_json(
    doc: Any,
    *,
    replace: dict[str, Any] | None = None,
    default: dict[str, Any] | None = None,
    append: dict[str, Any] | None = None,
    wrap: tuple[str, ...] = (),
    values: dict[str, Any] | None = None,
    reverse: tuple[str, ...] = (),
    datetime_form: str | None = None,
    datetime_keys: str | None = None,
    reorder: bool = False,
) -> Any:
    """The JSON edits of a legal variation, in this order: replace members that are present, add
    members that are absent (to objects that are there), append to arrays, wrap values in
    one-element arrays, replace string values, reverse arrays, re-render DateTimes, reverse the
    order of members. The document given is left as it is."""
    doc = copy.deepcopy(doc)
    for pointer, value in (replace or {}).items():
        for container, key in _locate(doc, pointer):
            doc = _put(doc, container, key, json.loads(json.dumps(value)))
    for pointer, value in (default or {}).items():
        parent, _, name = pointer.rpartition("/")
        name = name.replace("~1", "/").replace("~0", "~")
        for container, key in _locate(doc, parent):
            target = _get(doc, container, key)
            if isinstance(target, dict) and name not in target:
                target[name] = json.loads(json.dumps(value))
    for pointer, value in (append or {}).items():
        for container, key in _locate(doc, pointer):
            current = _get(doc, container, key)
            items = current if isinstance(current, list) else [current]
            if value not in items:
                doc = _put(doc, container, key, [*items, json.loads(json.dumps(value))])
    for pointer in wrap:
        for container, key in _locate(doc, pointer):
            current = _get(doc, container, key)
            if not isinstance(current, list):
                doc = _put(doc, container, key, [current])
    if values:
        doc = _map_strings(doc, lambda text: json.loads(json.dumps(values[text])) if text in values else text)
    for pointer in reverse:
        for container, key in _locate(doc, pointer):
            current = _get(doc, container, key)
            if isinstance(current, list):
                doc = _put(doc, container, key, list(reversed(current)))
    if datetime_form:
        doc = _map_datetimes(doc, datetime_form, re.compile(datetime_keys or NGSILD_DATETIME_KEYS))
    if reorder:
        doc = _reversed_members(doc)
    return doc


def dump_json(doc: Any, layout: str | None = None) -> bytes:
    """JSON text of a document: ``compact`` (no insignificant whitespace), ``pretty`` (indented),
    ``ascii`` (every non-ASCII character as a \\u escape), else the usual ``json.dumps`` spacing
    with UTF-8 characters as they are (all equivalent, RFC 8259 §2 and §7)."""
    if layout == "compact":
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    if layout == "pretty":
        return json.dumps(doc, indent=2, ensure_ascii=False).encode()
    if layout == "ascii":
        return json.dumps(doc, ensure_ascii=True).encode()
    return json.dumps(doc, ensure_ascii=False).encode()


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header value allows gzip (RFC 9110 §12.5.3; q=0 refuses it)."""
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().lower()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


class FaultProxy:
    """``with FaultProxy(upstream, rules) as proxy: proxy.base_url``"""

    def __init__(self, upstream: str, rules: list[Rule]) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules = rules
        self.hits = 0  # rules that matched a request (and its answer)
        self.changes = (
            0  # exchanges that a rule really altered (a variation that changes nothing proves nothing)
        )
        self._server: ThreadingHTTPServer | None = None
        self._session = requests.Session()
        self._session.trust_env = False
        self._last_upstream = 0.0  # monotonic time the last upstream exchange ended

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def setup(self) -> None:
                super().setup()
                # Small responses must not wait for Nagle's algorithm (~40 ms a request otherwise).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        path, query = split.path, split.query
        method = handler.command
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
        # as a reverse proxy does: the host the client addressed, for a target that builds absolute
        # URIs from it (the reference's TMF hrefs name the proxy, the host the suite talks to)
        if handler.headers.get("Host") and not any(k.lower() == "x-forwarded-host" for k in headers):
            headers["X-Forwarded-Host"] = handler.headers["Host"]
        request_media = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        active = [rule for rule in self.rules if rule.matches(method, path, query, request_media, body)]
        original_request = (path, body)
        for rule in active:
            if rule.request_path_sub:
                self.hits += 1
                path = re.sub(rule.request_path_sub[0], rule.request_path_sub[1], path)

        params = parse_qsl(query, keep_blank_values=True)
        for rule in active:
            if rule.drop_param:
                params = [(k, v) for k, v in params if k != rule.drop_param]
            for key, value in rule.set_params.items():
                params = [(k, v) for k, v in params if k != key] + [(key, value)]
            if rule.drop_request_header:
                headers = {k: v for k, v in headers.items() if k.lower() != rule.drop_request_header.lower()}
        url = self.upstream + path + (("?" + urlencode(params)) if params else "")
        for rule in active:
            if rule.request_delay_ms:
                self.hits += 1
                time.sleep(rule.request_delay_ms / 1000)
            if rule.request_json_set or rule.request_json_delete:
                self.hits += 1
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                if doc is not None:
                    body = json.dumps(
                        _apply_json(doc, rule.request_json_set, rule.request_json_delete)
                    ).encode()
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            if rule.edits_request_json:
                self.hits += 1
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                if doc is not None:
                    body = dump_json(
                        transform_json(
                            doc,
                            reverse=rule.request_reverse_arrays,
                            datetime_form=rule.request_datetime_form,
                            datetime_keys=rule.datetime_keys,
                            reorder=rule.request_reorder_members,
                        )
                    )
        # a request altered in its path, body or query parameters (drop_param, set_params) counts as changed
        request_changed = (path, body) != original_request or params != parse_qsl(
            query, keep_blank_values=True
        )
        dropping = [rule for rule in active if rule.drop]
        if dropping:
            self.hits += 1
            self._reply(handler, method, dropping[0].set_status or 204, {}, b"")
            return
        if any(rule.duplicate for rule in active):
            self.hits += 1
            try:
                self._session.request(
                    method, url, data=body or None, headers=headers, allow_redirects=False, timeout=60
                )
            except requests.RequestException:
                pass
        if method not in IDEMPOTENT and time.monotonic() - self._last_upstream > IDLE_REUSE_SECONDS:
            # a kept-alive connection the upstream closes as it is reused (uvicorn: after 5 s idle)
            # would lose this request, which is not retried: a 502 the target never caused
            drop_idle_connections(self._session)
        try:
            upstream = self._session.request(
                method, url, data=body or None, headers=headers, allow_redirects=False, timeout=60
            )
        except requests.RequestException as exc:  # the upstream is gone (e.g. a receiver after its run)
            self._last_upstream = time.monotonic()
            self._reply(
                handler, method, 502, {"Content-Type": "text/plain"}, f"proxy: {type(exc).__name__}".encode()
            )
            return

        status = upstream.status_code
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream_headers = dict(out_headers)
        content = upstream.content
        self._last_upstream = time.monotonic()
        encode_gzip = chunked = close = False
        header_case: str | None = None
        for rule in active:
            if not rule.status_matches(upstream.status_code, upstream_headers):
                continue
            self.hits += 1
            if rule.delay_ms:
                time.sleep(rule.delay_ms / 1000)
            if rule.set_status is not None:
                status = rule.set_status
            if rule.drop_header:
                out_headers = {k: v for k, v in out_headers.items() if k.lower() != rule.drop_header.lower()}
            out_headers.update(rule.set_headers)
            if rule.json_set or rule.json_delete:
                try:
                    doc = json.loads(content)
                except ValueError:
                    doc = None
                if doc is not None:
                    content = json.dumps(_apply_json(doc, rule.json_set, rule.json_delete)).encode()
            if rule.body is not None:
                content = rule.body.encode()
            if rule.edits_response_json and content:
                try:
                    doc = json.loads(content)
                except ValueError:
                    doc = None
                if doc is not None:
                    edited = transform_json(
                        doc,
                        replace=rule.json_replace,
                        default=rule.json_default,
                        append=rule.json_append,
                        wrap=rule.json_wrap,
                        values=rule.json_values,
                        reverse=rule.reverse_arrays,
                        datetime_form=rule.datetime_form,
                        datetime_keys=rule.datetime_keys,
                        reorder=rule.reorder_members,
                    )
                    if edited != doc or rule.json_layout or rule.reorder_members:
                        content = dump_json(edited, rule.json_layout)
            for name, suffix in rule.append_headers.items():
                for key in [k for k in out_headers if k.lower() == name.lower()]:
                    out_headers[key] += suffix
            for name, (pattern, replacement) in rule.header_sub.items():
                for key in [k for k in out_headers if k.lower() == name.lower()]:
                    out_headers[key] = (
                        re.sub(pattern, replacement, out_headers[key])
                        .replace("{base}", self.base_url)
                        .replace("{target}", handler.path)
                    )
            if rule.gzip and content and accepts_gzip(handler.headers.get("Accept-Encoding")):
                encode_gzip = True
            chunked = chunked or rule.chunked
            close = close or rule.close_connection
            header_case = rule.header_case or header_case

        if (
            request_changed
            or encode_gzip
            or chunked
            or close
            or header_case
            or status != upstream.status_code
            or out_headers != upstream_headers
            or content != upstream.content
        ):
            self.changes += 1
        if encode_gzip:
            content = gzip.compress(content, mtime=0)
            out_headers = {k: v for k, v in out_headers.items() if k.lower() != "content-encoding"}
            out_headers["Content-Encoding"] = "gzip"
            vary = [k for k in out_headers if k.lower() == "vary"]
            if vary:
                out_headers[vary[0]] += ", Accept-Encoding"
            else:
                out_headers["Vary"] = "Accept-Encoding"
        if close:
            out_headers["Connection"] = "close"
            handler.close_connection = True
        if header_case == "upper":
            out_headers = {k.upper(): v for k, v in out_headers.items()}
        elif header_case == "lower":
            out_headers = {k.lower(): v for k, v in out_headers.items()}
        self._reply(handler, method, status, out_headers, content, chunked=chunked, header_case=header_case)

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler,
        method: str,
        status: int,
        out_headers: dict[str, str],
        content: bytes,
        *,
        chunked: bool = False,
        header_case: str | None = None,
    ) -> None:
        # A 204 or 304 answer has no body and no framing (RFC 9110 §6.4.1, RFC 9112 §6.3).
        chunked = chunked and status not in (204, 304) and not 100 <= status < 200
        try:
            handler.send_response(status)
            for key, value in out_headers.items():
                handler.send_header(key, value)
            framing = ("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(len(content)))
            name = framing[0].upper() if header_case == "upper" else framing[0]
            handler.send_header(name.lower() if header_case == "lower" else name, framing[1])
            handler.end_headers()
            if method != "HEAD":
                if chunked:
                    # Several small chunks (RFC 9112 §7.1), so that a client must reassemble them.
                    for start in range(0, len(content), CHUNK_SIZE):
                        piece = content[start : start + CHUNK_SIZE]
                        handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    handler.wfile.write(b"0\r\n\r\n")
                else:
                    handler.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a delay fault beyond its timeout): nothing to answer
