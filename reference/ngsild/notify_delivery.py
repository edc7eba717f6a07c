"""Delivering one notification (clauses 6.3.x HTTP binding, 7.2 MQTT): an HTTP POST straight to the
endpoint (no environment proxy), or an MQTT publication for mqtt:// and mqtts:// endpoints."""

from __future__ import annotations

import concurrent.futures
import http.client
import re
import urllib.error
import urllib.request
from typing import Any

from . import mqtt

# notifications go straight to the endpoint: environment proxy settings are not applied
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# a dedicated pool: slow endpoints never starve the request handlers' thread pool (nor, much, each other)
EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="notify")


def post(uri: str, headers: dict[str, str], body: bytes, timeout: float) -> bool:
    if not re.match(r"^https?://", uri):
        return False
    request = urllib.request.Request(uri, data=body, headers=headers, method="POST")
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, http.client.HTTPException):
        return False


def send(
    uri: str, notifier_info: list[dict[str, Any]] | None, headers: dict[str, str], body: bytes, timeout: float
) -> bool:
    """Deliver one notification: MQTT for mqtt:// and mqtts:// endpoints (clause 7.2), else HTTP POST."""
    if mqtt.is_mqtt(uri):
        return mqtt.publish(uri, notifier_info, headers, body, timeout)
    return post(uri, headers, body, timeout)
