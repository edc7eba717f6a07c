"""NGSI-LD notifications (clauses 5.11.1 - 5.11.2): the notifier behind context subscriptions.

On-change subscriptions are matched synchronously when an entity changes (``Broker.notify_change``); the
notification is built at once and delivered by a background asyncio task (HTTP POST off the event loop,
in a worker thread), never blocking the request that caused it. Deliveries of one subscription keep their
order. Periodic subscriptions (``timeInterval``) are served by a ticker task that wakes every 100 ms;
``throttling`` and the endpoint ``cooldown`` are applied before each notification.

Registration subscriptions (csourceSubscriptions, clause 5.11.2 - 5.11.6) are served here too: a change
of a context source registration is matched against them and sent as a CsourceNotification, typed
ContextSourceNotification (the term the core @context defines).

The delivery bookkeeping is kept in the stored subscription (``_status``: timesSent, timesFailed,
lastNotification, lastSuccess, lastFailure, lastFailed).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from .broker import ENTITY, Broker
from .context import ActiveContext
from .errors import NgsiLdError
from .geo import geo_predicate, parse_geoquery
from .http import GEOJSON, JSON, JSONLD, body_context_member, link_header_value
from .model import now_timestamp, parse_datetime
from .notify_content import geojson_data, joined, render_changed, render_options
from .notify_context import announced_context
from .notify_delivery import EXECUTOR, send
from .notify_match import Change, entity_matches, selector_covers, subscription_status
from .registrations import REGISTRATION, csf_predicate, render_registration
from .render import render_entity

__all__ = [
    "CSOURCE_SUBSCRIPTION",
    "DEFAULT_TRIGGERS",
    "SUBSCRIPTION",
    "Change",
    "Notifier",
    "subscription_status",
]

log = logging.getLogger("reference.ngsild")

# storage kinds of subscriptions (clause 5.8) and of registration subscriptions (clause 5.11.2)
SUBSCRIPTION = "subscription"
CSOURCE_SUBSCRIPTION = "csourceSubscription"
DEFAULT_TRIGGERS = ["attributeCreated", "attributeUpdated"]
DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 30.0
TICK_S = 0.1


# ------------------------------------------------------------------------------- the notifier


class Notifier:
    """Matches entity changes against subscriptions and delivers notifications in the background."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.tails: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.ticker: asyncio.Task[None] | None = None
        self.next_due: dict[tuple[str, str], float] = {}
        broker.listeners.append(self.on_change)
        broker.registration_listeners.append(self.on_registration)
        broker.notifier = self
        broker.request_hooks.append(self.ensure_started)

    # ---------------------------------------------------------------- lifecycle
    def ensure_started(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self.ticker is None or self.ticker.done():
            self.ticker = loop.create_task(self._tick_forever())

    # ----------------------------------------------------------------- on-change
    def on_change(self, tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        subs = self.broker.storage.list(SUBSCRIPTION, tenant)
        if not subs:
            return
        change = Change(before, after)
        for sub in subs:
            try:
                self._consider(tenant, sub, change)
            except NgsiLdError:
                continue
            except Exception:  # noqa: BLE001 - one bad subscription never stops the others
                log.exception("subscription %s failed", sub.get("id"))

    def _context(self, sub: dict[str, Any]) -> ActiveContext:
        return self.broker.resolver.resolve(sub.get("_context"))

    def _consider(self, tenant: str, sub: dict[str, Any], change: Change) -> None:
        if subscription_status(sub) != "active" or "timeInterval" in sub:
            return
        triggers = set(sub.get("notificationTrigger", DEFAULT_TRIGGERS))
        if not change.fired(triggers, sub.get("watchedAttributes")):
            return
        if "datasetId" in sub and not change.entity_deleted:
            if not change.touches_datasets(sub["datasetId"], sub.get("watchedAttributes")):
                return  # only instances the subscription does not select changed
        ctx = self._context(sub)
        entity = change.after if change.after is not None else change.before
        assert entity is not None
        if not entity_matches(sub, entity, ctx, change.entity_deleted):
            return
        if not self._may_send(sub):
            return
        out_ctx, url = self._notification_context(sub, ctx)
        lookup = lambda i: self.broker.storage.get(ENTITY, tenant, i)  # noqa: E731
        data = joined(sub, change.after, render_changed(sub, change, out_ctx), lookup, out_ctx)
        self._send(tenant, sub, data, out_ctx, url, [change.after] if change.after is not None else None)

    def _may_send(self, sub: dict[str, Any]) -> bool:
        status = sub.get("_status", {})
        now = parse_datetime(now_timestamp())
        assert now is not None
        throttling = sub.get("throttling")
        last = parse_datetime(status.get("lastNotification"))
        if throttling and last and (now - last).total_seconds() < throttling:
            return False
        cooldown = sub["notification"]["endpoint"].get("cooldown")
        failure = parse_datetime(status.get("lastFailure"))
        if (
            cooldown
            and failure
            and status.get("lastFailed")
            and (now - failure).total_seconds() * 1000 < cooldown
        ):
            return False
        return True

    # ------------------------------------------------------------------- sending
    def _notification_context(self, sub: dict[str, Any], ctx: ActiveContext) -> tuple[ActiveContext, str]:
        """The context used to compact the notification and the URL announced for it."""
        return announced_context(self.broker, sub, ctx)

    def _send(
        self,
        tenant: str,
        sub: dict[str, Any],
        data: list[dict[str, Any]],
        ctx: ActiveContext,
        link_url: str,
        entities: list[dict[str, Any]] | None,
    ) -> None:
        endpoint = sub["notification"]["endpoint"]
        accept = endpoint.get("accept", JSON)
        payload: dict[str, Any] = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "Notification",
            "subscriptionId": sub["id"],
            "notifiedAt": now_timestamp(),
        }
        receiver_info = {i["key"]: i["value"] for i in endpoint.get("receiverInfo") or []}
        headers = {"Content-Type": JSON}
        if accept == GEOJSON:
            payload["data"] = geojson_data(sub, data, ctx, entities, receiver_info)
            headers["Content-Type"] = GEOJSON
        else:
            payload["data"] = data
        self._dispatch(tenant, SUBSCRIPTION, sub, payload, headers, ctx, link_url)

    def _dispatch(
        self,
        tenant: str,
        kind: str,
        sub: dict[str, Any],
        payload: dict[str, Any],
        headers: dict[str, str],
        ctx: ActiveContext,
        link_url: str,
    ) -> None:
        """Add the @context (body or Link), tenant and receiverInfo headers; deliver in the background."""
        endpoint = sub["notification"]["endpoint"]
        receiver_info = {i["key"]: i["value"] for i in endpoint.get("receiverInfo") or []}
        if endpoint.get("accept", JSON) == JSONLD:
            headers["Content-Type"] = JSONLD
            payload = {"@context": body_context_member(ctx), **payload}
        else:
            headers["Link"] = link_header_value(link_url)
        if tenant:
            headers["NGSILD-Tenant"] = tenant
        headers.update(receiver_info)
        status = sub.setdefault("_status", {})
        status["lastNotification"] = payload["notifiedAt"]
        self.broker.storage.update(kind, tenant, sub["id"], sub)
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        timeout = (
            min(MAX_TIMEOUT_S, endpoint["timeout"] / 1000) if "timeout" in endpoint else DEFAULT_TIMEOUT_S
        )
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        key = (tenant, kind + " " + sub["id"])
        previous = self.tails.get(key)
        task = loop.create_task(
            self._deliver(
                previous,
                tenant,
                kind,
                sub["id"],
                endpoint["uri"],
                headers,
                body,
                timeout,
                endpoint.get("notifierInfo"),
            )
        )
        self.tails[key] = task

        def forget(done: asyncio.Task[None], k: tuple[str, str] = key) -> None:
            if self.tails.get(k) is done:
                self.tails.pop(k, None)

        task.add_done_callback(forget)

    async def _deliver(
        self,
        previous: asyncio.Task[None] | None,
        tenant: str,
        kind: str,
        sub_id: str,
        uri: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
        notifier_info: list[dict[str, Any]] | None = None,
    ) -> None:
        if previous is not None and not previous.done():
            with suppress(Exception):
                await asyncio.wait([previous])
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(EXECUTOR, send, uri, notifier_info, headers, body, timeout)
        sub = self.broker.storage.get(kind, tenant, sub_id)
        if sub is None:
            return
        status = sub.setdefault("_status", {})
        now = now_timestamp()
        status["timesSent"] = status.get("timesSent", 0) + 1
        if ok:
            status["lastSuccess"] = now
            status["lastFailed"] = False
        else:
            status["timesFailed"] = status.get("timesFailed", 0) + 1
            status["lastFailure"] = now
            status["lastFailed"] = True
        self.broker.storage.update(kind, tenant, sub_id, sub)

    # --------------------------------------------------- registration subscriptions
    def _registration_matches(
        self, sub: dict[str, Any], reg: dict[str, Any] | None, ctx: ActiveContext
    ) -> bool:
        if reg is None:
            return False
        expires = parse_datetime(reg.get("expiresAt"))
        if expires is not None and expires <= (parse_datetime(now_timestamp()) or expires):
            return False
        watched = set(sub.get("watchedAttributes", []))

        def info_ok(info: dict[str, Any]) -> bool:
            entities = info.get("entities")
            if "entities" in sub and entities:
                if not any(selector_covers(s, e, ctx) for s in sub["entities"] for e in entities):
                    return False
            names = set(info.get("propertyNames", [])) | set(info.get("relationshipNames", []))
            return not (watched and names and not names & watched)

        if not any(info_ok(i) for i in reg["information"]):
            return False
        geo_q = sub.get("geoQ")
        if geo_q:
            if "location" not in reg:
                return False
            query = parse_geoquery(geo_q["georel"], geo_q["geometry"], geo_q["coordinates"], "location")
            pseudo = {"attrs": {"location": [{"type": "GeoProperty", "value": reg["location"]}]}}
            if query is not None and not geo_predicate(query)(pseudo):
                return False
        if sub.get("csf") and not csf_predicate(sub["csf"], ctx)(reg):
            return False
        return True

    def on_registration(
        self, tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        for sub in self.broker.storage.list(CSOURCE_SUBSCRIPTION, tenant):
            try:
                if subscription_status(sub) != "active" or not self._may_send(sub):
                    continue
                ctx = self._context(sub)
                was, now = (
                    self._registration_matches(sub, before, ctx),
                    self._registration_matches(sub, after, ctx),
                )
                if now:
                    reason = "updated" if was else "newlyMatching"
                elif was:
                    reason = "noLongerMatching"
                else:
                    continue
                self._send_registrations(tenant, sub, [after if after is not None else before], reason)
            except NgsiLdError:
                continue
            except Exception:  # noqa: BLE001
                log.exception("registration subscription %s failed", sub.get("id"))

    def initial_csource_notification(self, tenant: str, sub: dict[str, Any]) -> None:
        """First notification of a registration subscription: every registration matching now."""
        if subscription_status(sub) != "active":
            return
        ctx = self._context(sub)
        matching = [
            r
            for r in self.broker.storage.list(REGISTRATION, tenant)
            if self._registration_matches(sub, r, ctx)
        ]
        if matching:
            self._send_registrations(tenant, sub, matching, "newlyMatching")

    def _send_registrations(
        self, tenant: str, sub: dict[str, Any], regs: Sequence[dict[str, Any] | None], reason: str
    ) -> None:
        ctx, url = self._notification_context(sub, self._context(sub))
        sys_attrs = bool(sub["notification"].get("sysAttrs"))
        payload: dict[str, Any] = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "ContextSourceNotification",  # the core @context term (clause 5.3.2)
            "subscriptionId": sub["id"],
            "notifiedAt": now_timestamp(),
            "data": [render_registration(r, ctx, sys_attrs) for r in regs if r is not None],
            "triggerReason": reason,
        }
        self._dispatch(tenant, CSOURCE_SUBSCRIPTION, sub, payload, {"Content-Type": JSON}, ctx, url)

    # ------------------------------------------------------------------ periodic
    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self._tick(loop.time())
            except Exception:  # noqa: BLE001 - the ticker must survive any bad subscription
                continue

    def _tick(self, now: float) -> None:
        seen: set[tuple[str, str]] = set()
        for tenant, sub in self.broker.storage.list_all_tenants(SUBSCRIPTION):
            if "timeInterval" not in sub:
                continue
            key = (tenant, sub["id"])
            seen.add(key)
            due = self.next_due.get(key)
            if due is None:
                self.next_due[key] = now + sub["timeInterval"]
                continue
            if now < due:
                continue
            self.next_due[key] = now + sub["timeInterval"]
            if subscription_status(sub) != "active" or not self._may_send(sub):
                continue
            try:
                self._periodic(tenant, sub)
            except NgsiLdError:
                continue
        for key in set(self.next_due) - seen:
            del self.next_due[key]

    def _periodic(self, tenant: str, sub: dict[str, Any]) -> None:
        ctx = self._context(sub)
        entities = [e for e in self.broker.storage.list(ENTITY, tenant) if entity_matches(sub, e, ctx, False)]
        if not entities:
            return
        out_ctx, url = self._notification_context(sub, ctx)
        opts = render_options(sub, out_ctx)
        data = [render_entity(e, out_ctx, opts) for e in entities]
        self._send(tenant, sub, data, out_ctx, url, entities)
