"""Download of remote @contexts and the bookkeeping of the downloaded ("Cached") ones (clause 5.13.1):
when, how often and how lately each was used, for GET /jsonldContexts?details=true (clause 5.13.3)."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import NgsiLdError, bad_request

FETCH_TIMEOUT_S = 3.0


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class CacheEntry:
    """Bookkeeping of one downloaded ("Cached", clause 5.13.1) @context, for /jsonldContexts."""

    url: str
    local_id: str
    created_at: str = field(default_factory=now_iso)
    last_usage: str | None = None
    hits: int = 0


def cached_local_id(url: str) -> str:
    return "cached-" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


def fetch_document(url: str) -> Any:
    if not re.match(r"^https?://", url):
        raise bad_request(f"@context reference {url!r} is not a dereferenceable http(s) URL")
    request = urllib.request.Request(url, headers={"Accept": "application/ld+json, application/json;q=0.9"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
            raw = response.read(5_000_000)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise NgsiLdError("LdContextNotAvailable", f"@context {url} could not be retrieved: {exc}") from exc
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NgsiLdError(
            "LdContextNotAvailable", f"@context {url} did not return a JSON document: {exc}"
        ) from exc
