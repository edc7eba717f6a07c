"""What the MIM3 scenarios know about each TM Forum Open API (v4): its resources, their mandatory
attributes (the `required` list of the swagger's <Resource>_Create definition), and which
attributes the scenarios use to filter, select, patch and remove.

Read from the v4 swagger files when this table was written; the suite never reads them at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance import fixtures
from conformance.requirements import (
    SPEC_TMF620,
    SPEC_TMF622,
    SPEC_TMF629,
    SPEC_TMF632,
    SPEC_TMF637,
    SPEC_TMF638,
    SPEC_TMF639,
    SPEC_TMF641,
)


@dataclass(frozen=True)
class Api:
    capability: str  # also the key of API_ROOTS
    title: str  # e.g. "TMF620 Product Catalog Management"
    spec: str
    area: str  # requirement id area: CAT, ORD, PTY, CUS, INV, SOR
    base: int  # requirement numbers of this API start after this one (INV holds three APIs)


@dataclass(frozen=True)
class Resource:
    api: Api
    name: str  # the path segment and the resource name, e.g. "productOffering"
    mandatory: tuple[str, ...]  # required attributes of <Resource>_Create
    marker: str  # a string attribute the scenarios set to a run-scoped value to filter on
    change: tuple[str, Any]  # attribute and new value a merge patch sets
    remove: str  # optional attribute a merge patch removes with null
    fields: tuple[str, str]  # attributes requested with fields= (neither is the marker)
    update_required: tuple[str, ...] = field(default=())  # required by <Resource>_Update: sent unchanged
    # what the filtering scenario filters on: a mandatory string attribute of <Resource>_Create that
    # the body sets to a run-scoped value, else "id" (as the TM Forum CTKs do)
    filter_on: str = "id"

    @property
    def id(self) -> str:
        return f"{self.api.capability}-{self.name}"

    def body(self, name: str, marker: str | None = None) -> dict[str, Any]:
        """The fixture of this resource, run-scoped by name; the marker attribute set if given."""
        body = fixtures.load(f"tmf/{self.name}.json", name=name)
        if marker is not None:
            body[self.marker] = marker
        return body


TMF620 = Api("tmf620", "TMF620 Product Catalog Management", SPEC_TMF620, "CAT", 0)
TMF622 = Api("tmf622", "TMF622 Product Ordering Management", SPEC_TMF622, "ORD", 0)
TMF632 = Api("tmf632", "TMF632 Party Management", SPEC_TMF632, "PTY", 0)
TMF629 = Api("tmf629", "TMF629 Customer Management", SPEC_TMF629, "CUS", 0)
TMF637 = Api("tmf637", "TMF637 Product Inventory Management", SPEC_TMF637, "INV", 0)
TMF638 = Api("tmf638", "TMF638 Service Inventory Management", SPEC_TMF638, "INV", 20)
TMF639 = Api("tmf639", "TMF639 Resource Inventory Management", SPEC_TMF639, "INV", 40)
TMF641 = Api("tmf641", "TMF641 Service Ordering Management", SPEC_TMF641, "SOR", 0)

APIS: tuple[Api, ...] = (TMF620, TMF622, TMF632, TMF629, TMF637, TMF638, TMF639, TMF641)


def _catalog(name: str) -> Resource:
    return Resource(
        TMF620,
        name,
        mandatory=("name",),
        marker="description",
        change=("version", "2.0"),
        remove="description",
        fields=("name", "version"),
        filter_on="name",
    )


RESOURCES: tuple[Resource, ...] = (
    _catalog("catalog"),
    _catalog("category"),
    _catalog("productSpecification"),
    _catalog("productOffering"),
    _catalog("productOfferingPrice"),
    Resource(
        TMF622,
        "productOrder",
        mandatory=("productOrderItem",),
        marker="description",
        change=("priority", "2"),
        remove="category",
        fields=("priority", "category"),
        update_required=("productOrderItem",),
    ),
    Resource(
        TMF632,
        "individual",
        mandatory=("givenName", "familyName"),
        marker="familyName",
        change=("givenName", "Grace"),
        remove="title",
        fields=("givenName", "title"),
        filter_on="familyName",
    ),
    Resource(
        TMF632,
        "organization",
        mandatory=("tradingName",),
        marker="tradingName",
        change=("name", "Renamed Mobility Data Cooperative"),
        remove="organizationType",
        fields=("name", "organizationType"),
        filter_on="tradingName",
    ),
    Resource(
        TMF629,
        "customer",
        mandatory=("engagedParty", "name"),
        marker="name",
        change=("statusReason", "Updated by the MIM conformance suite"),
        remove="validFor",
        fields=("statusReason", "validFor"),
        update_required=("engagedParty",),
        filter_on="name",
    ),
    Resource(
        TMF637,
        "product",
        mandatory=("status",),
        marker="description",
        change=("name", "Renamed data feed subscription"),
        remove="productSerialNumber",
        fields=("name", "status"),
    ),
    Resource(
        TMF638,
        "service",
        mandatory=("state", "serviceSpecification"),
        marker="description",
        change=("serviceType", "data-feed-v2"),
        remove="category",
        fields=("name", "state"),
    ),
    Resource(
        TMF639,
        "resource",
        mandatory=("name",),
        marker="description",
        change=("resourceVersion", "2.0"),
        remove="category",
        fields=("name", "resourceVersion"),
        filter_on="name",
    ),
    Resource(
        TMF641,
        "serviceOrder",
        mandatory=("serviceOrderItem",),
        marker="description",
        change=("priority", "2"),
        remove="category",
        fields=("priority", "category"),
    ),
)

ORDERS: tuple[Resource, ...] = tuple(r for r in RESOURCES if r.name in ("productOrder", "serviceOrder"))

# Order state values (ProductOrderStateType, ServiceOrderStateType: the same in TMF622 and TMF641 v4).
ORDER_STATES = (
    "acknowledged",
    "rejected",
    "pending",
    "held",
    "inProgress",
    "cancelled",
    "completed",
    "failed",
    "partial",
    "assessingCancellation",
    "pendingCancellation",
)
ORDER_INITIAL_STATE = "acknowledged"
ORDER_TERMINAL_STATES = ("rejected", "cancelled", "completed", "failed", "partial")


def resources_of(api: Api) -> list[Resource]:
    return [r for r in RESOURCES if r.api == api]
