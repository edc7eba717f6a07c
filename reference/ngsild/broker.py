"""The NGSI-LD broker state shared by all request handlers: storage, @context resolver, hosted contexts."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from ..storage import Storage
from .context import ActiveContext, ContextResolver
from .errors import NgsiLdError

log = logging.getLogger("reference.ngsild")

ENTITY = "entity"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 20

ChangeListener = Callable[[str, dict[str, Any] | None, dict[str, Any] | None], None]


@dataclass
class HostedContext:
    id: str
    kind: str  # Hosted | Cached | ImplicitlyCreated
    context: Any
    created_at: str


@dataclass
class Broker:
    storage: Storage
    resolver: ContextResolver = field(default_factory=ContextResolver)
    hosted: dict[str, HostedContext] = field(default_factory=dict)
    listeners: list[ChangeListener] = field(default_factory=list)
    registration_listeners: list[ChangeListener] = field(default_factory=list)
    notifier: Any = None  # the notifier.Notifier serving this broker
    # called at the start of every request (inside the event loop): starts background tasks lazily
    request_hooks: list[Callable[[], None]] = field(default_factory=list)
    # Context Source identity (clause 5.15.1): a fresh id per process, and the start time for the up-time
    source_id: str = field(default_factory=lambda: f"urn:ngsi-ld:ContextSource:{uuid.uuid4()}")
    started: float = field(default_factory=time.monotonic)

    def require_tenant(self, tenant: str) -> None:
        if not self.storage.tenant_exists(tenant):
            raise NgsiLdError("NonexistentTenant", f"tenant {tenant!r} does not exist")

    def notify_change(self, tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        """Tell the listeners (notifications, temporal history) about a change already stored.

        A failing listener never fails the request that made the change (it is logged)."""
        for listener in self.listeners:
            try:
                listener(tenant, before, after)
            except Exception:  # noqa: BLE001
                log.exception("entity change listener failed")

    def notify_registration(
        self, tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        for listener in self.registration_listeners:
            try:
                listener(tenant, before, after)
            except Exception:  # noqa: BLE001
                log.exception("registration change listener failed")

    def host_context(self, context: Any, kind: str, created_at: str) -> HostedContext:
        for hosted in self.hosted.values():
            if hosted.context == context and hosted.kind == kind:
                return hosted
        hosted = HostedContext(id=uuid.uuid4().hex, kind=kind, context=context, created_at=created_at)
        self.hosted[hosted.id] = hosted
        return hosted

    def hosted_url(self, request: Request, hosted: HostedContext) -> str:
        return str(request.base_url).rstrip("/") + "/ngsi-ld/v1/jsonldContexts/" + hosted.id

    def link_url_for(self, request: Request, context: ActiveContext, created_at: str) -> str | None:
        """URL of an implicitly created hosted copy of an inline request @context (clause 5.13)."""
        if context.source is None or isinstance(context.source, str):
            return None
        return self.hosted_url(request, self.host_context(context.source, "ImplicitlyCreated", created_at))
