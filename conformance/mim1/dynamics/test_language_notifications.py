"""MIM1 the lang member of a subscription (ETSI GS CIM 009 V1.8.1 clauses 5.2.12, 4.15): the
notified entity's LanguageProperty is reduced to the string of the chosen language, as the lang URI
parameter does on a query (the V1.8.1 OpenAPI: Subscription.lang, "Language filter to be applied to
the query (clause 4.15)")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import checks
from conformance.mim1.dynamics.support import Notifications, created, entity_in, subscription, subscription_id
from conformance.ngsild.api import JSON, NgsiLd, entity_path
from conformance.ngsild.payloads import lang_prop, prop, sensor
from conformance.ngsild.receiver import Received
from conformance.ngsild.subscriptions import Dynamics
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

NAME = "ldTitle"
LANGUAGE_MAP = {"en": "Main Square", "nl": "Grote Markt"}


@requirement(
    "MIM1-NTF-028",
    clause="5.2.12",
    level="MUST",
    title="A subscription with lang notifies a LanguageProperty as the string of that language: a Property "
    "with value and lang (normalized) or the bare string (keyValues)",
)
@pytest.mark.parametrize("fmt", ["normalized", "keyValues"])
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_subscription_lang(
    ngsild: NgsiLd, dyn: Dynamics, notifications: Notifications, run_ids: RunIds, lang: str, fmt: str
) -> None:
    entity_type = "MimcheckLang" + re.sub(r"[^A-Za-z0-9]", "", run_ids.next())
    entity = sensor(run_ids, entity_type, **{NAME: lang_prop(LANGUAGE_MAP)})
    resp = ngsild.create_entity(entity)
    precondition(resp.status_code in (200, 201, 204), f"creating {entity['id']} answered {resp.status_code}")
    endpoint = notifications.endpoint("lang")
    sub_id = subscription_id(run_ids)
    members: dict[str, Any] = {"lang": lang}
    if fmt != "normalized":
        members["notification"] = {"format": fmt}
    body = subscription(sub_id, endpoint, entities=[{"id": entity["id"], "type": entity_type}], **members)
    created(dyn.create_subscription(body), f"creating subscription {sub_id}")
    notifications.trigger(endpoint)
    resp = ngsild.request(
        "PATCH",
        f"{entity_path(entity['id'])}/attrs",
        headers={"Content-Type": JSON},
        json_body={"temperature": prop(30.5)},
    )
    precondition(resp.status_code in (204, 207), f"updating {entity['id']} answered {resp.status_code}")

    def carrying(r: Received) -> bool:
        notified = entity_in(r, entity["id"])
        return notified is not None and NAME in notified

    got = notifications.expect(endpoint, f"with {NAME}", where=carrying)
    notified = entity_in(got[0], entity["id"]) or {}
    value = notified[NAME]
    if fmt == "keyValues":
        checks.equal(f"notified {NAME} (keyValues, lang={lang})", value, LANGUAGE_MAP[lang])
        return
    if not isinstance(value, dict):
        checks.fail(f"notified {NAME} with lang={lang}: expected a Property object, got {value!r}")
    checks.equal(f"notified {NAME}.type", value.get("type"), "Property")
    checks.equal(f"notified {NAME}.value", value.get("value"), LANGUAGE_MAP[lang])
    checks.equal(f"notified {NAME}.lang", value.get("lang"), lang)
    checks.absent(f"notified {NAME}", value, "languageMap")
