"""Client helpers for Context Source Registration Subscriptions (ETSI GS CIM 009 V1.8.1 clauses
5.11.2-5.11.6, resource /csourceSubscriptions).

As the other dynamics helpers, they send through ``NgsiLd.request`` (every exchange is recorded),
register the deletion of whatever they create, and return the raw response for the scenario."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from conformance.ngsild.api import API_ROOT, JSON, NgsiLd
from conformance.ngsild.subscriptions import with_context

CSOURCE_SUBSCRIPTIONS = f"{API_ROOT}/csourceSubscriptions"


def csource_subscription_path(sub_id: str) -> str:
    return f"{CSOURCE_SUBSCRIPTIONS}/{quote(sub_id, safe=':')}"


class CsourceSubscriptions:
    """The registration subscriptions of one test case."""

    def __init__(self, ngsild: NgsiLd) -> None:
        self.ngsild = ngsild

    def create(self, body: dict[str, Any], *, content_type: str = JSON) -> requests.Response:
        """POST /csourceSubscriptions; the subscription is deleted at teardown whatever the answer."""
        if body.get("id") and self.ngsild.cleanup is not None:
            path = csource_subscription_path(str(body["id"]))
            self.ngsild.cleanup.push(
                f"delete registration subscription {body['id']}",
                lambda: self.ngsild.request("DELETE", path),
            )
        return self.ngsild.request(
            "POST",
            CSOURCE_SUBSCRIPTIONS,
            headers={"Content-Type": content_type},
            json_body=with_context(body, content_type),
        )

    def get(self, sub_id: str, *, accept: str | None = None) -> requests.Response:
        headers = {"Accept": accept} if accept else None
        return self.ngsild.request("GET", csource_subscription_path(sub_id), headers=headers)

    def query(self, params: dict[str, Any] | None = None) -> requests.Response:
        return self.ngsild.request("GET", CSOURCE_SUBSCRIPTIONS, params=params)

    def patch(self, sub_id: str, fragment: dict[str, Any]) -> requests.Response:
        return self.ngsild.request(
            "PATCH", csource_subscription_path(sub_id), headers={"Content-Type": JSON}, json_body=fragment
        )

    def delete(self, sub_id: str) -> requests.Response:
        return self.ngsild.request("DELETE", csource_subscription_path(sub_id))
