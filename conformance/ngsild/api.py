"""A thin NGSI-LD API client for scenarios: it builds URLs and headers the way the spec names
them (no trailing slashes), sends through the recording client, registers cleanup of whatever it
creates, and returns the raw response for the scenario to judge."""

from __future__ import annotations

from collections.abc import Callable
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

    def undo_later(self, description: str, undo: Callable[[], object]) -> None:
        """Register an undo action with the run's cleanup (when there is one). Test ``cleanup is not
        None``, never the cleanup's truth: an empty undo stack is falsy (it has a length)."""
        if self.cleanup is not None:
            self.cleanup.push(description, undo)

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


GEOJSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"


def attr_path(entity_id: str, attr: str | None = None) -> str:
    path = f"{entity_path(entity_id)}/attrs"
    return path if attr is None else f"{path}/{quote(attr, safe='')}"


def _body_headers(
    content_type: str, context: str | list[str] | None, extra: dict[str, str] | None
) -> dict[str, str]:
    headers = {"Content-Type": content_type}
    if context is not None and content_type != JSONLD:
        headers["Link"] = link_header(context if isinstance(context, str) else context[0])
    headers.update(extra or {})
    return headers


def with_context(body: dict[str, Any], context: str | list[str] | None) -> dict[str, Any]:
    """The body as application/ld+json: with an @context member (the core context when none given)."""
    if context is None:
        return {**body, "@context": CORE_CONTEXT}
    return {**body, "@context": context}


def as_sent(body: dict[str, Any], content_type: str) -> dict[str, Any]:
    """The body for a request of ``content_type``: with the core @context when JSON-LD, else as is."""
    return with_context(body, None) if content_type == JSONLD else body


class NgsiLdOps(NgsiLd):
    """The operations of clause 5.6/5.7/5.13/5.15 as the HTTP binding (clause 6) names them."""

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = JSON,
        context: str | list[str] | None = None,
        accept: str | None = None,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
        raw: str | bytes | None = None,
    ) -> requests.Response:
        """One request. With a JSON-LD body (content_type application/ld+json) the @context goes in
        the body (the caller puts it there); otherwise a given context goes in a Link header."""
        sent: dict[str, str] = {}
        if body is not None or raw is not None:
            sent.update(_body_headers(content_type, context, None))
        elif context is not None:
            sent["Link"] = link_header(context if isinstance(context, str) else context[0])
        if accept:
            sent["Accept"] = accept
        sent.update(headers or {})
        if raw is not None:
            return self.request(method, path, headers=sent, tenant=tenant, params=params, data=raw)
        return self.request(method, path, headers=sent, tenant=tenant, params=params, json_body=body)

    def create(
        self,
        entity: dict[str, Any],
        *,
        content_type: str = JSON,
        context: str | list[str] | None = None,
        tenant: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """POST /entities; cleanup registered whatever the answer."""
        self.forget_later(str(entity.get("id", "")), tenant=tenant)
        return self.send(
            "POST",
            f"{API_ROOT}/entities",
            entity,
            content_type=content_type,
            context=context,
            tenant=tenant,
            headers=headers,
        )

    def retrieve(
        self,
        entity_id: str,
        *,
        params: dict[str, Any] | None = None,
        accept: str | None = None,
        context: str | None = None,
        tenant: str | None = None,
    ) -> requests.Response:
        return self.send(
            "GET", entity_path(entity_id), params=params, accept=accept, context=context, tenant=tenant
        )

    def replace(self, entity_id: str, fragment: dict[str, Any], **kw: Any) -> requests.Response:
        return self.send("PUT", entity_path(entity_id), fragment, **kw)

    def merge(self, entity_id: str, fragment: dict[str, Any], **kw: Any) -> requests.Response:
        return self.send("PATCH", entity_path(entity_id), fragment, **kw)

    def append_attrs(self, entity_id: str, fragment: dict[str, Any], **kw: Any) -> requests.Response:
        return self.send("POST", attr_path(entity_id), fragment, **kw)

    def update_attrs(self, entity_id: str, fragment: dict[str, Any], **kw: Any) -> requests.Response:
        return self.send("PATCH", attr_path(entity_id), fragment, **kw)

    def partial_update(
        self, entity_id: str, attr: str, fragment: dict[str, Any], **kw: Any
    ) -> requests.Response:
        return self.send("PATCH", attr_path(entity_id, attr), fragment, **kw)

    def replace_attr(
        self, entity_id: str, attr: str, fragment: dict[str, Any], **kw: Any
    ) -> requests.Response:
        return self.send("PUT", attr_path(entity_id, attr), fragment, **kw)

    def delete_attr(self, entity_id: str, attr: str, **kw: Any) -> requests.Response:
        return self.send("DELETE", attr_path(entity_id, attr), **kw)

    # -- discovery (clause 5.7.5 - 5.7.10) ----------------------------------------------------------

    def types(self, **kw: Any) -> requests.Response:
        return self.send("GET", f"{API_ROOT}/types", **kw)

    def type_info(self, type_name: str, **kw: Any) -> requests.Response:
        return self.send("GET", f"{API_ROOT}/types/{quote(type_name, safe='')}", **kw)

    def attributes(self, **kw: Any) -> requests.Response:
        return self.send("GET", f"{API_ROOT}/attributes", **kw)

    def attribute_info(self, attr: str, **kw: Any) -> requests.Response:
        return self.send("GET", f"{API_ROOT}/attributes/{quote(attr, safe='')}", **kw)

    # -- @context management (clause 5.13) and source identity (clause 5.15) -----------------------

    def add_context(self, document: dict[str, Any], **kw: Any) -> requests.Response:
        return self.send("POST", f"{API_ROOT}/jsonldContexts", document, **kw)

    def list_contexts(self, **kw: Any) -> requests.Response:
        return self.send("GET", f"{API_ROOT}/jsonldContexts", **kw)

    def serve_context(self, context_id: str, **kw: Any) -> requests.Response:
        return self.send("GET", f"{API_ROOT}/jsonldContexts/{quote(context_id, safe='')}", **kw)

    def delete_context(self, context_id: str, **kw: Any) -> requests.Response:
        return self.send("DELETE", f"{API_ROOT}/jsonldContexts/{quote(context_id, safe='')}", **kw)

    def source_identity(self, **kw: Any) -> requests.Response:
        return self.send("GET", f"{API_ROOT}/info/sourceIdentity", **kw)


def made(ops: NgsiLdOps, entity: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """Create an entity a scenario builds on: anything but a 2xx makes the scenario INCONCLUSIVE."""
    from conformance.outcomes import precondition

    resp = ops.create(entity, **kw)
    precondition(200 <= resp.status_code < 300, f"creating {entity.get('id')} answered {resp.status_code}")
    return entity
