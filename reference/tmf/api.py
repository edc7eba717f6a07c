"""Generic TMF630 resource behaviour for every TM Forum API of the reference (see specs.py for the APIs).

For each base path B and resource R of an API:

- POST   B/R        201, the created resource (id, href, @type and server-managed attributes added)
- GET    B/R        200 (whole result) or 206 (a page of it); ``fields``, ``attr[.op]=value`` filters,
                    ``sort``, ``offset``/``limit``; X-Total-Count and X-Result-Count headers
- GET    B/R/{id}   200 / 404 (``fields`` applies)
- PATCH  B/R/{id}   200 with the updated resource (application/merge-patch+json or application/json,
                    RFC 7396; application/json-patch+json, RFC 6902); non-patchable attributes 400;
                    illegal order state transition 409
- DELETE B/R/{id}   204 / 404
- POST   B/hub      201 EventSubscription; DELETE B/hub/{id} 204 (GET B/hub/{id} as an extension)

Errors use the TMF630 Error structure {code, reason, message, status, @type}.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .common import (
    MAX_LIMIT,
    TmfError,
    bad_request,
    int_param,
    json_response,
    matches,
    merge_patch,
    not_found,
    now,
    parse_filters,
    public_root,
    read_object,
    select_fields,
    sort_items,
)
from .hub import Hub
from .json_patch import JSON_PATCH, apply_json_patch, read_json_patch
from .specs import APIS, ORDER_CANCELLABLE, ORDER_FINAL, ApiDef, ResourceDef
from .specs_more import MORE_APIS
from .store import TmfStore
from .v5_specs import V5_APIS

PATCH_TYPES = ("application/merge-patch+json", "application/json", JSON_PATCH)
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _media(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


def _method_not_allowed(method: str, what: str) -> TmfError:
    return TmfError(405, "Method Not Allowed", f"{method} is not allowed on {what}")


class TmfApi:
    """The handlers of one API served under one base path."""

    def __init__(self, api: ApiDef, base: str, store: TmfStore, hub: Hub) -> None:
        self.api = api
        self.base = base
        self.store = store
        self.hub = hub

    # -------------------------------------------------------------- helpers
    def _collection(self, rdef: ResourceDef) -> str:
        return f"{self.api.code}/{rdef.path}"

    def _rdef(self, request: Request) -> ResourceDef:
        name = request.path_params["resource"]
        rdef = self.api.resources.get(name)
        if rdef is None:
            raise not_found(f"{self.base}/{name} is not a resource of {self.api.code}")
        if request.method not in rdef.methods:
            raise _method_not_allowed(request.method, f"{self.base}/{name}")
        return rdef

    def _render(self, request: Request, rdef: ResourceDef, doc: dict[str, Any]) -> dict[str, Any]:
        href = public_root(request) + f"{self.base}/{rdef.path}/{doc['id']}"
        rendered = {"id": doc["id"], "href": href}
        rendered.update({k: v for k, v in doc.items() if k not in ("id", "href")})
        return rendered

    def _load(self, rdef: ResourceDef, resource_id: str) -> dict[str, Any]:
        found = self.store.get(self._collection(rdef), resource_id)
        if found is None:
            raise not_found(f"{rdef.path} with id {resource_id} does not exist")
        return found

    def _publish(self, request: Request, rdef: ResourceDef, kind: str, doc: dict[str, Any]) -> None:
        self.hub.publish(
            self.api.code, f"{rdef.type}{kind}Event", rdef.event_key, self._render(request, rdef, doc)
        )

    # -------------------------------------------------------------- dispatch
    async def collection(self, request: Request) -> Response:
        if request.method == "GET":
            return await self.list(request)
        if request.method == "POST":
            return await self.create(request)
        self._rdef(request)
        raise _method_not_allowed(request.method, request.url.path)

    async def item(self, request: Request) -> Response:
        rdef = self._rdef(request)
        if request.method == "GET":
            return await self.retrieve(request, rdef)
        if request.method == "PATCH":
            return await self.patch(request, rdef)
        if request.method == "DELETE":
            return await self.delete(request, rdef)
        raise _method_not_allowed(request.method, request.url.path)

    # -------------------------------------------------------------- operations
    async def create(self, request: Request) -> Response:
        rdef = self._rdef(request)
        payload = await read_object(request, ("application/json",))
        doc = {k: v for k, v in payload.items() if k not in ("id", "href")}
        if not rdef.type_required:
            doc.setdefault("@type", rdef.type)
        stamp = now()
        doc.update(rdef.initial)
        for name in rdef.created_stamps:
            doc.setdefault(name, stamp)
        for name in rdef.server_stamps:
            doc[name] = stamp
        rdef.validate(doc)
        doc = {"id": str(uuid.uuid4()), **doc}
        if rdef.path.startswith("cancel"):
            self._cancel_order(request, rdef, doc)
        self.store.insert(self._collection(rdef), doc["id"], doc)
        self._publish(request, rdef, "Create", doc)
        rendered = self._render(request, rdef, doc)
        return json_response(rendered, 201, headers={"Location": rendered["href"]})

    def _cancel_order(self, request: Request, rdef: ResourceDef, task: dict[str, Any]) -> None:
        """cancelProductOrder / cancelServiceOrder: processed at once. A cancellable order (acknowledged,
        inProgress, pending, held) becomes cancelled and the task done; otherwise the task is
        terminatedWithError and the order is unchanged."""
        target_name = rdef.path.removeprefix("cancel")
        target_name = target_name[0].lower() + target_name[1:]
        target = self.api.resources[target_name]
        order_id = task[target_name]["id"]
        order = self.store.get(self._collection(target), order_id)
        if order is None:
            raise bad_request(f"{target_name} {order_id} does not exist")
        stamp = now()
        if order.get("state") in ORDER_CANCELLABLE:
            order["state"] = "cancelled"
            order.setdefault("cancellationDate", stamp)
            order.setdefault("completionDate", stamp)
            if isinstance(task.get("cancellationReason"), str):
                order["cancellationReason"] = task["cancellationReason"]
            self.store.update(self._collection(target), order_id, order)
            self._publish(request, target, "StateChange", order)
            task["state"] = "done"
            task["effectiveCancellationDate"] = stamp
        else:
            task["state"] = "terminatedWithError"
            task["errorMessage"] = f"{target_name} in state {order.get('state')} cannot be cancelled"

    async def retrieve(self, request: Request, rdef: ResourceDef) -> Response:
        found = self._render(request, rdef, self._load(rdef, request.path_params["id"]))
        return json_response(select_fields(found, request.query_params.get("fields")))

    async def list(self, request: Request) -> Response:
        rdef = self._rdef(request)
        offset = int_param(request, "offset", 0) or 0
        limit = int_param(request, "limit", None)
        if limit is not None and limit > MAX_LIMIT:
            raise bad_request(f"limit shall not exceed {MAX_LIMIT}")
        filters = parse_filters(list(request.query_params.multi_items()))
        rendered = [self._render(request, rdef, d) for d in self.store.list(self._collection(rdef))]
        items = sort_items([r for r in rendered if matches(r, filters)], request.query_params.get("sort"))
        page = items[offset:] if limit is None else items[offset : offset + limit]
        fields = request.query_params.get("fields")
        body = [select_fields(r, fields) for r in page]
        headers = {"X-Total-Count": str(len(items)), "X-Result-Count": str(len(body))}
        return json_response(body, 206 if len(body) < len(items) else 200, headers=headers)

    async def patch(self, request: Request, rdef: ResourceDef) -> Response:
        resource_id = request.path_params["id"]
        current = self._load(rdef, resource_id)
        rendered = self._render(request, rdef, current)
        if _media(request) == JSON_PATCH:
            patched = apply_json_patch(rendered, await read_json_patch(request))
            for name in sorted(rdef.non_patchable):
                if patched.get(name) != rendered.get(name):
                    raise bad_request(f"attribute {name!r} is not patchable")
            updated = {k: v for k, v in patched.items() if k != "href"}
        else:
            patch = await read_object(request, PATCH_TYPES)
            for name in sorted(rdef.non_patchable):
                if name in patch:
                    if patch[name] != rendered.get(name):
                        raise bad_request(f"attribute {name!r} is not patchable")
                    del patch[name]
            updated = merge_patch(current, patch)
        updated["id"] = resource_id
        if not rdef.type_required:
            updated.setdefault("@type", rdef.type)
        rdef.validate(updated)
        state = rdef.state_attr
        old_state, new_state = current.get(state) if state else None, updated.get(state) if state else None
        if rdef.transitions is not None and state:
            if new_state is None:
                raise bad_request(f"attribute {state!r} cannot be removed")
            allowed = (
                rdef.transitions.get(old_state, frozenset()) if isinstance(old_state, str) else frozenset()
            )
            if new_state != old_state and new_state not in allowed:
                raise TmfError(
                    409,
                    "Conflict",
                    f"state transition {old_state} -> {new_state} is not allowed",
                )
            if new_state != old_state and new_state in ORDER_FINAL:
                updated.setdefault("completionDate", now())
                if new_state == "cancelled":
                    updated.setdefault("cancellationDate", now())
        stamp = now()
        for name in rdef.server_stamps:
            updated[name] = stamp
        self.store.update(self._collection(rdef), resource_id, updated)
        # a state change has its own event where the swagger lists one, else it is a change like any other
        ignored = {state, *rdef.server_stamps} if rdef.state_event else set(rdef.server_stamps)
        if {k: v for k, v in updated.items() if k not in ignored} != {
            k: v for k, v in current.items() if k not in ignored
        }:
            self._publish(request, rdef, rdef.change_event, updated)
        if rdef.state_event and state and new_state != old_state:
            self._publish(request, rdef, rdef.state_event, updated)
        return json_response(self._render(request, rdef, updated))

    async def delete(self, request: Request, rdef: ResourceDef) -> Response:
        resource_id = request.path_params["id"]
        doc = self._load(rdef, resource_id)
        self.store.delete(self._collection(rdef), resource_id)
        self._publish(request, rdef, "Delete", doc)
        return Response(status_code=204)

    # -------------------------------------------------------------- hub
    async def hub_create(self, request: Request) -> Response:
        payload = await read_object(request, ("application/json",))
        hub = self.hub.register(self.api.code, payload)
        location = public_root(request) + f"{self.base}/hub/{hub['id']}"
        return json_response(hub, 201, headers={"Location": location})

    async def hub_item(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.hub.unregister(self.api.code, request.path_params["id"])
            return Response(status_code=204)
        if request.method == "GET":
            return json_response(self.hub.get(self.api.code, request.path_params["id"]))
        raise _method_not_allowed(request.method, request.url.path)


def _guard(handler: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except TmfError as error:
            return error.response()
        except Exception as exc:  # never answer a stack trace
            return TmfError(500, "Internal Server Error", f"{type(exc).__name__}: {exc}").response()

    return wrapped


def routes(db_path: str | None = None) -> list[Route]:
    """Routes of every TM Forum API of the reference, with their own storage (tables tmf_*)."""
    store = TmfStore(db_path)
    hub = Hub(store)
    result: list[Route] = []
    for api in (*APIS, *MORE_APIS, *V5_APIS):
        for base in api.bases():
            handlers = TmfApi(api, base, store, hub)
            result += [
                Route(base + "/hub", _guard(handlers.hub_create), methods=["POST"]),
                Route(base + "/hub/{id}", _guard(handlers.hub_item), methods=ALL_METHODS),
                Route(base + "/{resource}", _guard(handlers.collection), methods=ALL_METHODS),
                Route(base + "/{resource}/{id}", _guard(handlers.item), methods=ALL_METHODS),
            ]
    return result
