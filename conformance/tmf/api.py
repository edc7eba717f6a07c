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

# The swagger's own basePath where it lacks the /tmf-api prefix: a product may serve the API there,
# next to the MIM3 base URL's /tmf-api rather than below it. Used when the API is not found below.
SWAGGER_ROOTS: dict[str, str] = {"tmf676": "/payment/v4"}
NOT_THERE = (404, 405)

# (base URL, api) -> the root the API was found at (one probe per run and process)
_FOUND: dict[tuple[str, str], str] = {}


def root_candidates(base_url: str, api: str, roots: dict[str, str] | None = None) -> list[str]:
    """Where the API may be: at the root the profile gives it ([mim3.roots]), else below the MIM3
    base URL, then (TMF676) at its swagger basePath."""
    if roots and api in roots:
        return [roots[api].rstrip("/")]
    base = base_url.rstrip("/")
    out = [base + API_ROOTS[api]]
    alternative = SWAGGER_ROOTS.get(api)
    if alternative and base.endswith("/tmf-api"):
        out.append(base.removesuffix("/tmf-api") + alternative)
    return out


class Tmf:
    def __init__(
        self,
        http: RecordingClient,
        base_url: str,
        *,
        cleanup: Cleanup | None = None,
        roots: dict[str, str] | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.cleanup = cleanup
        self.roots = dict(roots or {})  # [mim3.roots] of the profile

    def root(self, api: str, resource: str) -> str:
        """The API root; where the API has a second candidate root, the first of them whose collection
        is there (anything but 404 or 405 to GET ?limit=1), probed once."""
        candidates = root_candidates(self.base_url, api, self.roots)
        if len(candidates) == 1:
            return candidates[0]
        key = (self.base_url, api)
        if key not in _FOUND:
            _FOUND[key] = candidates[0]
            for candidate in candidates:
                probe = self.http.get(
                    f"{candidate}/{resource}", params={"limit": 1}, headers={"Accept": JSON}
                )
                if probe.status_code not in NOT_THERE:
                    _FOUND[key] = candidate
                    break
        return _FOUND[key]

    def collection(self, api: str, resource: str) -> str:
        return f"{self.root(api, resource)}/{resource}"

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
