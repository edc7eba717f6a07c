"""A thin NGSI-LD API client for scenarios: it builds URLs and headers the way the spec names
them (no trailing slashes), sends through the recording client, registers cleanup of whatever it
creates, and returns the raw response for the scenario to judge."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from conformance.cleanup import Cleanup
from conformance.recording import RecordingClient

API_ROOT = "/ngsi-ld/v1"
CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
JSON = "application/json"
JSONLD = "application/ld+json"


def link_header(context_url: str) -> str:
    """A Link header that points at a JSON-LD @context (clause 6.3.5)."""
    return f'<{context_url}>; rel="{JSONLD_CONTEXT_REL}"; type="{JSONLD}"'


def entity_path(entity_id: str) -> str:
    return f"{API_ROOT}/entities/{quote(entity_id, safe=':')}"


class NgsiLd:
    def __init__(
        self,
        http: RecordingClient,
        base_url: str,
        *,
        tenant: str | None = None,
        cleanup: Cleanup | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        self.cleanup = cleanup

    def url(self, path: str) -> str:
        return self.base_url + path

    def headers(self, extra: dict[str, str] | None = None, *, tenant: str | None = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        effective_tenant = tenant if tenant is not None else self.tenant
        if effective_tenant:
            headers["NGSILD-Tenant"] = effective_tenant
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        tenant: str | None = None,
        **kw: Any,
    ) -> requests.Response:
        return self.http.request(method, self.url(path), headers=self.headers(headers, tenant=tenant), **kw)

    # -- entities -------------------------------------------------------------------------

    def create_entity(
        self,
        entity: dict[str, Any],
        *,
        content_type: str = JSON,
        context: str | None = None,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """POST /entities. The entity is deleted again at the test's teardown, whatever the answer."""
        sent = dict(headers or {})
        sent.setdefault("Content-Type", content_type)
        if context is not None and content_type == JSON:
            sent["Link"] = link_header(context)
        self.forget_later(str(entity.get("id", "")), tenant=tenant)
        return self.request("POST", f"{API_ROOT}/entities", headers=sent, tenant=tenant, json_body=entity)

    def forget_later(self, entity_id: str, *, tenant: str | None = None) -> None:
        if self.cleanup is not None and entity_id:
            self.cleanup.push(
                f"delete entity {entity_id}",
                lambda: self.request("DELETE", entity_path(entity_id), tenant=tenant),
            )

    def get_entity(
        self,
        entity_id: str,
        *,
        params: dict[str, Any] | None = None,
        accept: str | None = None,
        context: str | None = None,
        tenant: str | None = None,
    ) -> requests.Response:
        headers = {}
        if accept:
            headers["Accept"] = accept
        if context:
            headers["Link"] = link_header(context)
        return self.request("GET", entity_path(entity_id), headers=headers, params=params, tenant=tenant)

    def delete_entity(self, entity_id: str, *, tenant: str | None = None) -> requests.Response:
        return self.request("DELETE", entity_path(entity_id), tenant=tenant)
