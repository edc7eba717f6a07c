"""Client helpers for the dynamic parts of the NGSI-LD API: subscriptions (clause 5.8), context
source registrations (5.9, 5.10) and the temporal API (5.6.11-5.6.16, 5.7.3, 5.7.4).

They build paths and headers, send through ``NgsiLd.request`` (so every exchange is recorded),
register the deletion of whatever they create, and return the raw response for the scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from conformance.ngsild.api import API_ROOT, CORE_CONTEXT, JSON, JSONLD, NgsiLd, entity_path

SUBSCRIPTIONS = f"{API_ROOT}/subscriptions"
REGISTRATIONS = f"{API_ROOT}/csourceRegistrations"
TEMPORAL = f"{API_ROOT}/temporal/entities"
TEMPORAL_QUERY = f"{API_ROOT}/temporal/entityOperations/query"


def subscription_path(sub_id: str) -> str:
    return f"{SUBSCRIPTIONS}/{quote(sub_id, safe=':')}"


def registration_path(reg_id: str) -> str:
    return f"{REGISTRATIONS}/{quote(reg_id, safe=':')}"


def temporal_path(entity_id: str) -> str:
    return f"{TEMPORAL}/{quote(entity_id, safe=':')}"


def iso(moment: datetime) -> str:
    """A DateTime as NGSI-LD writes it (UTC, 'Z', milliseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_plus(seconds: float) -> str:
    return iso(datetime.now(UTC) + timedelta(seconds=seconds))


def parse_time(value: Any) -> datetime | None:
    """A DateTime string as a timezone-aware datetime, None when it is not one."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def with_context(body: dict[str, Any], content_type: str) -> dict[str, Any]:
    """The body as sent: with the core @context in it when sent as JSON-LD."""
    if content_type == JSONLD:
        return {**body, "@context": CORE_CONTEXT}
    return body


class Dynamics:
    """Subscriptions, registrations and temporal entities of one test case."""

    def __init__(self, ngsild: NgsiLd) -> None:
        self.ngsild = ngsild

    def _later(self, what: str, path: str) -> None:
        if self.ngsild.cleanup is not None:
            self.ngsild.cleanup.push(what, lambda: self.ngsild.request("DELETE", path))

    # -- subscriptions -------------------------------------------------------------------

    def create_subscription(self, body: dict[str, Any], *, content_type: str = JSON) -> requests.Response:
        """POST /subscriptions; the subscription is deleted at teardown whatever the answer."""
        sent = with_context(body, content_type)
        if body.get("id"):
            self._later(f"delete subscription {body['id']}", subscription_path(str(body["id"])))
        resp = self.ngsild.request(
            "POST", SUBSCRIPTIONS, headers={"Content-Type": content_type}, json_body=sent
        )
        if not body.get("id") and resp.status_code == 201 and resp.headers.get("Location"):
            location = resp.headers["Location"]
            self._later(f"delete subscription at {location}", _path_of(location))
        return resp

    def get_subscription(self, sub_id: str, *, accept: str | None = None) -> requests.Response:
        headers = {"Accept": accept} if accept else None
        return self.ngsild.request("GET", subscription_path(sub_id), headers=headers)

    def list_subscriptions(self, params: dict[str, Any] | None = None) -> requests.Response:
        return self.ngsild.request("GET", SUBSCRIPTIONS, params=params)

    def patch_subscription(
        self, sub_id: str, fragment: dict[str, Any], *, content_type: str = JSON
    ) -> requests.Response:
        return self.ngsild.request(
            "PATCH",
            subscription_path(sub_id),
            headers={"Content-Type": content_type},
            json_body=with_context(fragment, content_type),
        )

    def delete_subscription(self, sub_id: str) -> requests.Response:
        return self.ngsild.request("DELETE", subscription_path(sub_id))

    # -- context source registrations ----------------------------------------------------

    def create_registration(self, body: dict[str, Any], *, content_type: str = JSON) -> requests.Response:
        if body.get("id"):
            self._later(f"delete registration {body['id']}", registration_path(str(body["id"])))
        resp = self.ngsild.request(
            "POST",
            REGISTRATIONS,
            headers={"Content-Type": content_type},
            json_body=with_context(body, content_type),
        )
        if not body.get("id") and resp.status_code == 201 and resp.headers.get("Location"):
            self._later("delete registration", _path_of(resp.headers["Location"]))
        return resp

    def get_registration(self, reg_id: str, *, accept: str | None = None) -> requests.Response:
        headers = {"Accept": accept} if accept else None
        return self.ngsild.request("GET", registration_path(reg_id), headers=headers)

    def query_registrations(self, params: dict[str, Any] | None = None) -> requests.Response:
        return self.ngsild.request("GET", REGISTRATIONS, params=params)

    def patch_registration(self, reg_id: str, fragment: dict[str, Any]) -> requests.Response:
        return self.ngsild.request(
            "PATCH", registration_path(reg_id), headers={"Content-Type": JSON}, json_body=fragment
        )

    def delete_registration(self, reg_id: str) -> requests.Response:
        return self.ngsild.request("DELETE", registration_path(reg_id))

    # -- temporal ------------------------------------------------------------------------

    def create_temporal(self, entity: dict[str, Any], *, content_type: str = JSON) -> requests.Response:
        """POST /temporal/entities; the temporal entity (and the entity) are deleted at teardown."""
        entity_id = str(entity.get("id", ""))
        if entity_id and self.ngsild.cleanup is not None:
            self.ngsild.cleanup.push(
                f"delete entity {entity_id}", lambda: self.ngsild.request("DELETE", entity_path(entity_id))
            )
            self._later(f"delete temporal entity {entity_id}", temporal_path(entity_id))
        return self.ngsild.request(
            "POST",
            TEMPORAL,
            headers={"Content-Type": content_type},
            json_body=with_context(entity, content_type),
        )

    def append_temporal(self, entity_id: str, fragment: dict[str, Any]) -> requests.Response:
        return self.ngsild.request(
            "POST", f"{temporal_path(entity_id)}/attrs", headers={"Content-Type": JSON}, json_body=fragment
        )

    def get_temporal(
        self, entity_id: str, params: dict[str, Any] | None = None, *, accept: str | None = None
    ) -> requests.Response:
        headers = {"Accept": accept} if accept else None
        return self.ngsild.request("GET", temporal_path(entity_id), params=params, headers=headers)

    def query_temporal(self, params: dict[str, Any]) -> requests.Response:
        return self.ngsild.request("GET", TEMPORAL, params=params)

    def post_temporal_query(
        self, query: dict[str, Any], params: dict[str, Any] | None = None
    ) -> requests.Response:
        return self.ngsild.request(
            "POST", TEMPORAL_QUERY, headers={"Content-Type": JSON}, json_body=query, params=params
        )

    def delete_temporal(self, entity_id: str) -> requests.Response:
        return self.ngsild.request("DELETE", temporal_path(entity_id))

    def delete_temporal_attribute(self, entity_id: str, attr: str) -> requests.Response:
        return self.ngsild.request("DELETE", f"{temporal_path(entity_id)}/attrs/{quote(attr, safe=':')}")

    def delete_instance(self, entity_id: str, attr: str, instance_id: str) -> requests.Response:
        return self.ngsild.request(
            "DELETE",
            f"{temporal_path(entity_id)}/attrs/{quote(attr, safe=':')}/{quote(instance_id, safe=':')}",
        )

    def patch_instance(
        self, entity_id: str, attr: str, instance_id: str, fragment: dict[str, Any]
    ) -> requests.Response:
        return self.ngsild.request(
            "PATCH",
            f"{temporal_path(entity_id)}/attrs/{quote(attr, safe=':')}/{quote(instance_id, safe=':')}",
            headers={"Content-Type": JSON},
            json_body=fragment,
        )


def _path_of(location: str) -> str:
    """The path of a Location header value (absolute URL or path), from the API root on."""
    if API_ROOT in location:
        return location[location.index(API_ROOT) :]
    if "://" in location:
        rest = location.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return location
