"""A thin TM Forum Open API client: resource collections by API and version, run-scoped names,
cleanup of everything created."""

from __future__ import annotations

from typing import Any

import requests

from conformance.cleanup import Cleanup
from conformance.recording import RecordingClient

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"

# API roots below the MIM3 base URL (TMF630 REST guidelines: /tmf-api/{apiName}/{version}/); each is
# the basePath of the API's v4 swagger without its /tmf-api prefix.
API_ROOTS: dict[str, str] = {
    "tmf620": "/productCatalogManagement/v4",
    "tmf622": "/productOrderingManagement/v4",
    "tmf629": "/customerManagement/v4",
    "tmf632": "/party/v4",
    "tmf637": "/productInventory/v4",
    "tmf638": "/serviceInventory/v4",
    "tmf639": "/resourceInventoryManagement/v4",
    "tmf641": "/serviceOrdering/v4",
    "tmf633": "/serviceCatalogManagement/v4",
    "tmf634": "/resourceCatalog/v4",
    "tmf652": "/resourceOrderingManagement/v4",
    "tmf670": "/paymentMethod/v4",
    # The TMF676 v4 swagger declares basePath /payment/v4/ (no /tmf-api, host "serverRootserverRoot"):
    # served below the MIM3 base URL like every other API (TMF630 /tmf-api/{apiName}/{version}/).
    "tmf676": "/payment/v4",
}

# Resources the API cannot delete (TMF676 v4: payment and refund have no DELETE): nothing to clean up.
NOT_DELETABLE: frozenset[tuple[str, str]] = frozenset({("tmf676", "payment"), ("tmf676", "refund")})


class Tmf:
    def __init__(self, http: RecordingClient, base_url: str, *, cleanup: Cleanup | None = None) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.cleanup = cleanup

    def collection(self, api: str, resource: str) -> str:
        return f"{self.base_url}{API_ROOTS[api]}/{resource}"

    def item(self, api: str, resource: str, identifier: str) -> str:
        return f"{self.collection(api, resource)}/{identifier}"

    def create(self, api: str, resource: str, body: dict[str, Any]) -> requests.Response:
        """POST a resource; whatever the target answers, what it created is deleted at teardown."""
        resp = self.http.post(
            self.collection(api, resource), json_body=body, headers={"Content-Type": JSON, "Accept": JSON}
        )
        if (
            self.cleanup is not None
            and resp.status_code in (200, 201)
            and (api, resource) not in NOT_DELETABLE
        ):
            try:
                created = resp.json()
            except ValueError:
                created = None
            created_id = created.get("id") if isinstance(created, dict) else None
            if created_id:
                url = self.item(api, resource, str(created_id))
                self.cleanup.push(f"delete {resource} {created_id}", lambda: self.http.delete(url))
        return resp

    def get(
        self, url: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None
    ) -> requests.Response:
        return self.http.get(url, params=params, headers={"Accept": JSON})

    def patch(self, url: str, body: dict[str, Any]) -> requests.Response:
        """A JSON merge patch (RFC 7396), the PATCH format every TMF API must support (TMF630)."""
        return self.http.patch(url, json_body=body, headers={"Content-Type": MERGE_PATCH, "Accept": JSON})

    def delete(self, url: str) -> requests.Response:
        return self.http.delete(url, headers={"Accept": JSON})
