"""TMF630 notification hub: POST {base}/hub registers a listener (EventSubscription), DELETE removes it;
events ({eventId, eventTime, eventType, event: {<resource>: ...}}) are POSTed to the callbacks."""

from __future__ import annotations

import concurrent.futures
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from .common import JSON_UTF8, bad_request, matches, not_found, now, parse_filters
from .store import TmfStore

LOG = logging.getLogger("reference.tmf.hub")
DELIVERY_TIMEOUT = 5.0


def parse_query(query: str | None) -> tuple[set[str] | None, list[tuple[list[str], str, str]]]:
    """The event types wanted (None: any) and attribute filters on the event, from a hub `query` such as
    ``eventType=ProductOrderCreateEvent,ProductOrderStateChangeEvent&event.productOrder.state=completed``."""
    if not query or not query.strip():
        return None, []
    items: list[tuple[str, str]] = []
    for part in query.strip().lstrip("?").split("&"):
        if not part.strip():
            continue
        if "=" not in part:
            raise bad_request(f"hub query term {part!r} is not of the form name=value")
        name, value = part.split("=", 1)
        items.append((urllib.parse.unquote(name.strip()), urllib.parse.unquote(value.strip())))
    types: set[str] | None = None
    rest = []
    for name, value in items:
        if name == "eventType":
            wanted = {v.strip() for v in value.split(",") if v.strip()}
            types = wanted if types is None else types & wanted
        else:
            rest.append((name, value))
    return types, parse_filters(rest)


class Hub:
    def __init__(self, store: TmfStore) -> None:
        self.store = store
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tmf-hub")
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @staticmethod
    def _collection(api_code: str) -> str:
        return f"{api_code}/hub"

    def register(self, api_code: str, payload: dict[str, Any]) -> dict[str, Any]:
        callback = payload.get("callback")
        if not isinstance(callback, str) or not callback.strip():
            raise bad_request("mandatory attribute 'callback' is missing")
        if urllib.parse.urlsplit(callback).scheme not in ("http", "https"):
            raise bad_request("'callback' shall be an http or https URL")
        query = payload.get("query")
        if query is not None and not isinstance(query, str):
            raise bad_request("'query' shall be a string")
        parse_query(query)  # validates
        hub = {"id": str(uuid.uuid4()), "callback": callback}
        if query is not None:
            hub["query"] = query
        self.store.insert(self._collection(api_code), hub["id"], hub)
        return hub

    def unregister(self, api_code: str, hub_id: str) -> None:
        if not self.store.delete(self._collection(api_code), hub_id):
            raise not_found(f"hub {hub_id} does not exist")

    def get(self, api_code: str, hub_id: str) -> dict[str, Any]:
        hub = self.store.get(self._collection(api_code), hub_id)
        if hub is None:
            raise not_found(f"hub {hub_id} does not exist")
        return hub

    def publish(self, api_code: str, event_type: str, key: str, resource: dict[str, Any]) -> None:
        hubs = self.store.list(self._collection(api_code))
        if not hubs:
            return
        event = {
            "eventId": str(uuid.uuid4()),
            "eventTime": now(),
            "eventType": event_type,
            "event": {key: resource},
        }
        for hub in hubs:
            types, filters = parse_query(hub.get("query"))
            if types is not None and event_type not in types:
                continue
            if filters and not matches(event, filters):
                continue
            self._executor.submit(self._deliver, hub["callback"], event)

    def _deliver(self, callback: str, event: dict[str, Any]) -> None:
        body = json.dumps(event, ensure_ascii=False).encode()
        request = urllib.request.Request(
            callback, data=body, method="POST", headers={"Content-Type": JSON_UTF8}
        )
        try:
            with self._opener.open(request, timeout=DELIVERY_TIMEOUT) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            LOG.info("event %s to %s failed: %s", event["eventType"], callback, exc)
