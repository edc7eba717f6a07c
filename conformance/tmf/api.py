"""A thin TM Forum Open API client: resource collections by API and version, run-scoped names,
cleanup of everything created."""

from __future__ import annotations

from typing import Any

import requests

from conformance.cleanup import Cleanup
from conformance.recording import RecordingClient

JSON = "application/json"

# API roots below the MIM3 base URL (TMF630 REST guidelines: /tmf-api/{apiName}/{version}/).
API_ROOTS: dict[str, str] = {
    "tmf620": "/productCatalogManagement/v4",
}


class Tmf:
    def __init__(self, http: RecordingClient, base_url: str, *, cleanup: Cleanup | None = None) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.cleanup = cleanup

    def collection(self, api: str, resource: str) -> str:
        return f"{self.base_url}{API_ROOTS[api]}/{resource}"

    def create(self, api: str, resource: str, body: dict[str, Any]) -> requests.Response:
        """POST a resource; whatever the target answers, what it created is deleted at teardown."""
        resp = self.http.post(
            self.collection(api, resource), json_body=body, headers={"Content-Type": JSON, "Accept": JSON}
        )
        if self.cleanup is not None and resp.status_code in (200, 201):
            try:
                created_id = resp.json().get("id")
            except ValueError:
                created_id = None
            if created_id:
                url = f"{self.collection(api, resource)}/{created_id}"
                self.cleanup.push(f"delete {resource} {created_id}", lambda: self.http.delete(url))
        return resp

    def get(self, url: str, params: dict[str, Any] | None = None) -> requests.Response:
        return self.http.get(url, params=params, headers={"Accept": JSON})
