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
    SPEC_TMF633,
    SPEC_TMF634,
    SPEC_TMF637,
    SPEC_TMF638,
    SPEC_TMF639,
    SPEC_TMF641,
    SPEC_TMF652,
    SPEC_TMF670,
    SPEC_TMF676,
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
    # of those, the ones another version of the swagger skips from _Update (a target may refuse them)
    update_disputed: tuple[str, ...] = field(default=())
    # what the filtering scenario filters on: a mandatory string attribute of <Resource>_Create that
    # the body sets to a run-scoped value, else "id" (as the TM Forum CTKs do)
    filter_on: str = "id"
    patchable: bool = True  # the API has PATCH on it (TMF676 v4 payment, refund: GET and POST only)
    deletable: bool = True  # the API has DELETE on it

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

TMF633 = Api("tmf633", "TMF633 Service Catalog Management", SPEC_TMF633, "SCA", 0)
TMF634 = Api("tmf634", "TMF634 Resource Catalog Management", SPEC_TMF634, "RCA", 0)
TMF652 = Api("tmf652", "TMF652 Resource Ordering Management", SPEC_TMF652, "ROR", 0)
TMF670 = Api("tmf670", "TMF670 Payment Methods", SPEC_TMF670, "PMT", 0)
TMF676 = Api("tmf676", "TMF676 Payment Management", SPEC_TMF676, "PAY", 0)

APIS: tuple[Api, ...] = (
    TMF620,
    TMF622,
    TMF632,
    TMF629,
    TMF637,
    TMF638,
    TMF639,
    TMF641,
    TMF633,
    TMF634,
    TMF652,
    TMF670,
    TMF676,
)


def _catalog(name: str, api: Api = TMF620, mandatory: tuple[str, ...] = ("name",)) -> Resource:
    """A catalog entity (TMF620, TMF633, TMF634): name mandatory, lifecycleStatus a free string."""
    return Resource(
        api,
        name,
        mandatory=mandatory,
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
    _catalog("serviceCatalog", TMF633),
    _catalog("serviceCategory", TMF633),
    _catalog("serviceCandidate", TMF633, ("name", "serviceSpecification")),
    _catalog("serviceSpecification", TMF633),
    _catalog("resourceCatalog", TMF634),
    _catalog("resourceCategory", TMF634),
    _catalog("resourceCandidate", TMF634),
    _catalog("resourceSpecification", TMF634),
    Resource(  # ResourceOrder_Create requires nothing (v4.0.0 swagger)
        TMF652,
        "resourceOrder",
        mandatory=(),
        marker="description",
        change=("priority", 2),
        remove="category",
        fields=("priority", "category"),
    ),
    Resource(  # both v4.0.0 swaggers: PaymentMethod_Create requires @type and name
        TMF670,
        "paymentMethod",
        mandatory=("@type", "name"),
        marker="description",
        change=("statusReason", "Updated by the MIM conformance suite"),
        remove="authorizationCode",
        fields=("name", "isPreferred"),
        # one v4.0.0 file's PaymentMethod_Update requires @type and name, the other name only
        update_required=("@type", "name"),
        update_disputed=("@type",),
        filter_on="name",
    ),
    *(
        Resource(  # Payment_Create, Refund_Create require account, paymentMethod, totalAmount
            TMF676,
            name,
            mandatory=("account", "paymentMethod", "totalAmount"),
            marker="description",
            change=("description", ""),  # not used: no PATCH
            remove="name",  # not used: no PATCH
            fields=("name", "totalAmount"),
            patchable=False,
            deletable=False,
        )
        for name in ("payment", "refund")
    ),
)

ORDERS: tuple[Resource, ...] = tuple(
    r for r in RESOURCES if r.name in ("productOrder", "serviceOrder", "resourceOrder")
)
# Catalog entities whose lifecycleStatus the lifecycle scenario walks (TMF633, TMF634).
LIFECYCLE: tuple[Resource, ...] = tuple(r for r in RESOURCES if r.api in (TMF633, TMF634))

# Order state values (ProductOrderStateType, ServiceOrderStateType: the same in TMF622 and TMF641 v4;
# the TMF652 v4 swagger types ResourceOrder.state as a string, its user guide uses the same states).
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
