"""TMF620 Product Catalog Management API v4 (with TMF630 REST design guidelines part 1 and 2).

Resources served under /tmf-api/productCatalogManagement/v4/: productOffering (the MIM3 focus), and
with the same generic behaviour catalog, category, productSpecification and productOfferingPrice.

- POST   /{resource}           201, body = created resource (id, href, @type, lastUpdate added)
- GET    /{resource}           200, list; ``fields`` selection, ``attr=value`` filters, ``offset``/``limit``,
                               X-Total-Count and X-Result-Count headers
- GET    /{resource}/{id}      200 / 404
- PATCH  /{resource}/{id}      200 with the updated resource (application/merge-patch+json, RFC 7396)
- DELETE /{resource}/{id}      204 / 404
Errors use the TMF630 Error structure {code, reason, message, status, @type}.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..storage import Storage

BASE_PATH = "/tmf-api/productCatalogManagement/v4"
JSON_UTF8 = "application/json;charset=utf-8"
# resource path -> (default @type, mandatory attributes on creation)
RESOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "productOffering": ("ProductOffering", ("name",)),
    "catalog": ("Catalog", ("name",)),
    "category": ("Category", ("name",)),
    "productSpecification": ("ProductSpecification", ("name",)),
    "productOfferingPrice": ("ProductOfferingPrice", ("name",)),
}
READ_ONLY = ("id", "href")
LIST_PARAMS = {"fields", "offset", "limit", "sort", "depth", "expand"}
MAX_LIMIT = 1000


class TmfError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message

    def response(self) -> Response:
        body = {
            "code": str(self.status),
            "reason": self.reason,
            "message": self.message,
            "status": str(self.status),
            "@type": "Error",
        }
        return Response(json.dumps(body), status_code=self.status, media_type=JSON_UTF8)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status_code=status, media_type=JSON_UTF8, headers=headers
    )


async def _read_object(request: Request, allowed_types: tuple[str, ...]) -> dict[str, Any]:
    ctype = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if ctype not in allowed_types:
        raise TmfError(
            415,
            "Unsupported Media Type",
            f"Content-Type {ctype or '(none)'} is not supported; use {' or '.join(allowed_types)}",
        )
    raw = await request.body()
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TmfError(400, "Bad Request", f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise TmfError(400, "Bad Request", "the request body shall be a JSON object")
    return payload


def _select_fields(resource: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if fields is None or fields.strip() == "":
        return resource
    wanted = {f.strip().split(".", 1)[0] for f in fields.split(",") if f.strip()}
    if "none" in wanted:
        wanted.discard("none")
    keep = wanted | {"id", "href", "@type"}
    return {k: v for k, v in resource.items() if k in keep}


def _lookup(resource: Any, path: list[str]) -> list[Any]:
    """Values at a dotted path; lists are traversed (any element may match)."""
    if not path:
        return resource if isinstance(resource, list) else [resource]
    if isinstance(resource, list):
        found: list[Any] = []
        for item in resource:
            found.extend(_lookup(item, path))
        return found
    if isinstance(resource, dict) and path[0] in resource:
        return _lookup(resource[path[0]], path[1:])
    return []


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _matches(resource: dict[str, Any], filters: list[tuple[str, str]]) -> bool:
    for name, expected in filters:
        values = [_as_text(v) for v in _lookup(resource, name.split("."))]
        alternatives = expected.split(",")
        if not any(v in alternatives for v in values):
            return False
    return True


def _int_param(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not re.match(r"^\d+$", raw):
        raise TmfError(400, "Bad Request", f"{name} shall be a non-negative integer")
    return int(raw)


class CatalogApi:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    @staticmethod
    def _kind(resource: str) -> str:
        return "tmf620:" + resource

    @staticmethod
    def _resource(request: Request) -> str:
        resource = request.path_params["resource"]
        if resource not in RESOURCES:
            raise TmfError(404, "Not Found", f"unknown resource {resource}")
        return resource

    def _href(self, request: Request, resource: str, resource_id: str) -> str:
        return str(request.base_url).rstrip("/") + f"{BASE_PATH}/{resource}/{resource_id}"

    def _load(self, resource: str, resource_id: str) -> dict[str, Any]:
        found = self.storage.get(self._kind(resource), "", resource_id)
        if found is None:
            raise TmfError(404, "Not Found", f"{resource} with id {resource_id} does not exist")
        return found

    async def create(self, request: Request) -> Response:
        resource = self._resource(request)
        default_type, mandatory = RESOURCES[resource]
        payload = await _read_object(request, ("application/json",))
        for attribute in mandatory:
            value = payload.get(attribute)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise TmfError(400, "Bad Request", f"mandatory attribute {attribute!r} is missing")
            if not isinstance(value, str):
                raise TmfError(400, "Bad Request", f"attribute {attribute!r} shall be a string")
        resource_id = str(uuid.uuid4())
        created = {"id": resource_id, "href": self._href(request, resource, resource_id)}
        created.update({k: v for k, v in payload.items() if k not in READ_ONLY})
        created.setdefault("@type", default_type)
        created["lastUpdate"] = _now()
        self.storage.insert(self._kind(resource), "", resource_id, created)
        return _json(created, 201, headers={"Location": created["href"]})

    async def retrieve(self, request: Request) -> Response:
        resource = self._resource(request)
        found = self._load(resource, request.path_params["id"])
        return _json(_select_fields(found, request.query_params.get("fields")))

    async def list(self, request: Request) -> Response:
        resource = self._resource(request)
        offset = _int_param(request, "offset", 0) or 0
        limit = _int_param(request, "limit", None)
        if limit is not None and limit > MAX_LIMIT:
            raise TmfError(400, "Bad Request", f"limit shall not exceed {MAX_LIMIT}")
        filters = [(k, v) for k, v in request.query_params.multi_items() if k not in LIST_PARAMS]
        items = [r for r in self.storage.list(self._kind(resource), "") if _matches(r, filters)]
        page = items[offset:] if limit is None else items[offset : offset + limit]
        fields = request.query_params.get("fields")
        body = [_select_fields(r, fields) for r in page]
        headers = {"X-Total-Count": str(len(items)), "X-Result-Count": str(len(body))}
        return _json(body, 200, headers=headers)

    async def patch(self, request: Request) -> Response:
        resource = self._resource(request)
        resource_id = request.path_params["id"]
        current = self._load(resource, resource_id)
        patch = await _read_object(request, ("application/merge-patch+json", "application/json"))
        for attribute in READ_ONLY:
            if attribute in patch and patch[attribute] != current.get(attribute):
                raise TmfError(400, "Bad Request", f"attribute {attribute!r} cannot be modified")
        _, mandatory = RESOURCES[resource]
        for attribute in mandatory:
            if attribute in patch and (patch[attribute] is None or not isinstance(patch[attribute], str)):
                raise TmfError(400, "Bad Request", f"mandatory attribute {attribute!r} cannot be removed")
        updated = merge_patch(current, patch)
        updated["lastUpdate"] = _now()
        self.storage.update(self._kind(resource), "", resource_id, updated)
        return _json(updated)

    async def delete(self, request: Request) -> Response:
        resource = self._resource(request)
        resource_id = request.path_params["id"]
        self._load(resource, resource_id)
        self.storage.delete(self._kind(resource), "", resource_id)
        return Response(status_code=204)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _guard(handler: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except TmfError as error:
            return error.response()
        except Exception as exc:  # never answer a stack trace
            return TmfError(500, "Internal Server Error", f"{type(exc).__name__}: {exc}").response()

    return wrapped


def routes(storage: Storage) -> list[Route]:
    api = CatalogApi(storage)
    return [
        Route(BASE_PATH + "/{resource}", _guard(api.create), methods=["POST"]),
        Route(BASE_PATH + "/{resource}", _guard(api.list), methods=["GET"]),
        Route(BASE_PATH + "/{resource}/{id}", _guard(api.retrieve), methods=["GET"]),
        Route(BASE_PATH + "/{resource}/{id}", _guard(api.patch), methods=["PATCH"]),
        Route(BASE_PATH + "/{resource}/{id}", _guard(api.delete), methods=["DELETE"]),
    ]
