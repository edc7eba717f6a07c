"""The TM Forum APIs of the OASC MIM3 list served besides the first eight (see specs.py): TMF633
Service Catalog, TMF634 Resource Catalog, TMF652 Resource Ordering, TMF670 Payment Methods and TMF676
Payment Management, written from their v4.0.0 swagger files.

- TMF633/634: catalog entities, name mandatory (and serviceSpecification for a serviceCandidate),
  lifecycleStatus a free string, lastUpdate set by the server.
- TMF652: ResourceOrder_Create requires nothing; state is a string in the swagger, served with the
  order state machine of TMF622/TMF641 (the TMF652 user guide uses the same states); created
  acknowledged; orderDate and completionDate are not patchable (_Update skips them).
- TMF670: @type and name mandatory (both v4.0.0 files); @type is not defaulted by the server (the
  payment method is pure-virtual: @type names the subtype).
- TMF676: payment and refund have POST and GET only; account, paymentMethod, totalAmount mandatory.
  The swagger's basePath is /payment/v4 (no /tmf-api): both paths are served.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .common import bad_request
from .specs import (
    ORDER_STATES,
    ORDER_TRANSITIONS,
    ApiDef,
    ResourceDef,
    Validator,
    _cancel,
    _catalog_resource,
    _enum,
    _ref,
    _resources,
    _string,
)


def _object(name: str) -> Validator:
    """A mandatory attribute whose value is a JSON object (a reference or a value, e.g. Money)."""

    def check(doc: dict[str, Any]) -> None:
        value = doc.get(name)
        if value is None:
            raise bad_request(f"mandatory attribute {name!r} is missing")
        if not isinstance(value, dict) or not value:
            raise bad_request(f"attribute {name!r} shall be a non-empty object")

    return check


def _array_if_present(name: str) -> Validator:
    def check(doc: dict[str, Any]) -> None:
        if name in doc and not isinstance(doc[name], list):
            raise bad_request(f"attribute {name!r} shall be an array")

    return check


def _with_checks(rdef: ResourceDef, *extra: Validator) -> ResourceDef:
    return ResourceDef(
        rdef.path,
        rdef.type,
        (*rdef.checks, *extra),
        non_patchable=rdef.non_patchable,
        state_attr=rdef.state_attr,
        server_stamps=rdef.server_stamps,
        change_event=rdef.change_event,
        state_event=rdef.state_event,
    )


def _service_catalog_entity(path: str, type_: str) -> ResourceDef:
    """A TMF633/634 catalog entity: the v4 swaggers list one <Type>ChangeEvent for every change, the
    lifecycleStatus included (no StateChangeEvent)."""
    return replace(_catalog_resource(path, type_), change_event="Change", state_event=None)


TMF633 = ApiDef(
    "TMF633",
    "/tmf-api/serviceCatalogManagement/v4",
    _resources(
        _service_catalog_entity("serviceCatalog", "ServiceCatalog"),
        _service_catalog_entity("serviceCategory", "ServiceCategory"),
        _with_checks(
            _service_catalog_entity("serviceCandidate", "ServiceCandidate"), _ref("serviceSpecification")
        ),
        _service_catalog_entity("serviceSpecification", "ServiceSpecification"),
    ),
)
TMF634 = ApiDef(
    "TMF634",
    "/tmf-api/resourceCatalog/v4",
    _resources(
        _service_catalog_entity("resourceCatalog", "ResourceCatalog"),
        _service_catalog_entity("resourceCategory", "ResourceCategory"),
        _service_catalog_entity("resourceCandidate", "ResourceCandidate"),
        _service_catalog_entity("resourceSpecification", "ResourceSpecification"),
    ),
)
TMF652 = ApiDef(
    "TMF652",
    "/tmf-api/resourceOrderingManagement/v4",
    _resources(
        ResourceDef(
            "resourceOrder",
            "ResourceOrder",
            (_enum("state", ORDER_STATES), _array_if_present("orderItem")),
            non_patchable=frozenset({"id", "href", "orderDate", "completionDate"}),
            state_attr="state",
            transitions=ORDER_TRANSITIONS,
            initial={"state": "acknowledged"},
            created_stamps=("orderDate",),
        ),
        _cancel("cancelResourceOrder", "CancelResourceOrder", "resourceOrder"),
    ),
)
TMF670 = ApiDef(
    "TMF670",
    "/tmf-api/paymentMethod/v4",
    _resources(
        ResourceDef(
            "paymentMethod",
            "PaymentMethod",
            (_string("@type"), _string("name")),
            state_attr="status",
            state_event="StatusChange",  # PaymentMethodStatusChangeEvent (v4.0.0 swaggers)
            type_required=True,
        ),
    ),
)


def _payment(path: str, type_: str, stamp: str) -> ResourceDef:
    return ResourceDef(
        path,
        type_,
        (_ref("account"), _object("paymentMethod"), _object("totalAmount")),
        state_attr="status",
        created_stamps=(stamp,),
        methods=frozenset({"GET", "POST"}),
    )


TMF676 = ApiDef(
    "TMF676",
    "/tmf-api/payment/v4",
    _resources(_payment("payment", "Payment", "paymentDate"), _payment("refund", "Refund", "refundDate")),
    aliases=("/payment/v4",),
)

MORE_APIS: tuple[ApiDef, ...] = (TMF633, TMF634, TMF652, TMF670, TMF676)
