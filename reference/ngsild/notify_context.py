"""The @context of a subscription's notifications and the URL announced for it (clauses 5.8.1, 6.3.5):
the subscription's jsonldContext when it has one; otherwise the @context it was created with, named by
its one user @context URL, by an ImplicitlyCreated hosted copy (an inline @context, clause 5.13.1) or by
the core @context. Retrieve Subscription shows that URL as jsonldContext when none was given (V1.8.1
5.8.1: the jsonldContext is initialised with the @context applicable for the subscription)."""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any

from .context import ActiveContext
from .errors import NgsiLdError
from .http import context_url_for
from .model import now_timestamp
from .notify_content import single_context_url

if TYPE_CHECKING:
    from .broker import Broker


def announced_context(broker: Broker, sub: dict[str, Any], ctx: ActiveContext) -> tuple[ActiveContext, str]:
    """The context used to compact the subscription's notifications and the URL announced for it."""
    if sub.get("jsonldContext"):
        with suppress(NgsiLdError):
            return broker.resolver.resolve(sub["jsonldContext"]), sub["jsonldContext"]
    single = single_context_url(ctx.source)
    if single is not None:
        # one @context URL (alone, in an array, or with the core context): the Link names it (6.3.5)
        return ctx, single
    hosted: str | None = None
    if ctx.source is not None and not isinstance(ctx.source, str):
        entry = broker.host_context(ctx.source, "ImplicitlyCreated", now_timestamp())
        hosted = (
            str(sub.get("_base", "http://127.0.0.1/")).rstrip("/") + "/ngsi-ld/v1/jsonldContexts/" + entry.id
        )
    return ctx, context_url_for(ctx, hosted)


def applicable_context_url(broker: Broker, sub: dict[str, Any]) -> str:
    """The jsonldContext a subscription shows: as given, or the URL of the @context it was created with."""
    if sub.get("jsonldContext"):
        return str(sub["jsonldContext"])
    return announced_context(broker, sub, broker.resolver.resolve(sub.get("_context")))[1]
