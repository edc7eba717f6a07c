"""What differs between the TM Forum APIs served: base paths, resources, mandatory attributes, value sets
and state machines, written from the v4 swagger files of each API (TMF620, 622, 629, 632, 637, 638, 639,
641) and their user guides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .common import bad_request

Validator = Callable[[dict[str, Any]], None]

# ------------------------------------------------------------------ value sets (swagger enums)
ORDER_STATES = frozenset(
    {
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
    }
)
ORDER_ITEM_ACTIONS = frozenset({"add", "modify", "delete", "noChange"})
# TMF637 ProductStatusType spells one value "aborted " (trailing blank): both spellings are accepted.
PRODUCT_STATUS = frozenset(
    {"created", "pendingActive", "cancelled", "active", "pendingTerminate", "terminated", "suspended"}
    | {"aborted", "aborted "}
)
SERVICE_STATES = frozenset({"feasibilityChecked", "designed", "reserved", "inactive", "active", "terminated"})
# TMF632 IndividualStateType spells "deceaded": "deceased" is accepted too.
INDIVIDUAL_STATES = frozenset({"initialized", "validated", "deceaded", "deceased"})
ORGANIZATION_STATES = frozenset({"initialized", "validated", "closed"})
RESOURCE_ENUMS = {
    "administrativeState": frozenset({"locked", "unlocked", "shutdown"}),
    "operationalState": frozenset({"enable", "disable"}),
    "resourceStatus": frozenset({"standby", "alarm", "available", "reserved", "unknown", "suspended"}),
    "usageState": frozenset({"idle", "active", "busy"}),
}
CANCEL_TASK_STATES = frozenset({"acknowledged", "terminatedWithError", "inProgress", "done"})

# Order state machine (TMF622 v4 / TMF641 v4 user guides): acknowledged is the initial state.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "acknowledged": frozenset({"rejected", "inProgress", "assessingCancellation"}),
    "inProgress": frozenset({"pending", "held", "failed", "partial", "completed", "assessingCancellation"}),
    "pending": frozenset({"inProgress", "assessingCancellation"}),
    "held": frozenset({"inProgress", "assessingCancellation"}),
    "assessingCancellation": frozenset({"pendingCancellation", "inProgress", "pending", "held"}),
    "pendingCancellation": frozenset({"cancelled"}),
    "rejected": frozenset(),
    "cancelled": frozenset(),
    "completed": frozenset(),
    "failed": frozenset(),
    "partial": frozenset(),
}
ORDER_FINAL = frozenset(s for s, nxt in ORDER_TRANSITIONS.items() if not nxt)
ORDER_CANCELLABLE = frozenset({"acknowledged", "inProgress", "pending", "held"})


# ------------------------------------------------------------------ checks
def _string(name: str) -> Validator:
    def check(doc: dict[str, Any]) -> None:
        value = doc.get(name)
        if value is None:
            raise bad_request(f"mandatory attribute {name!r} is missing")
        if not isinstance(value, str) or not value.strip():
            raise bad_request(f"attribute {name!r} shall be a non-empty string")

    return check


def _ref(name: str) -> Validator:
    """A mandatory entity reference: an object with a string `id`."""

    def check(doc: dict[str, Any]) -> None:
        value = doc.get(name)
        if value is None:
            raise bad_request(f"mandatory attribute {name!r} is missing")
        if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not value["id"]:
            raise bad_request(f"attribute {name!r} shall be an object with an 'id'")

    return check


def _enum(name: str, values: frozenset[str], mandatory: bool = False) -> Validator:
    def check(doc: dict[str, Any]) -> None:
        if name not in doc:
            if mandatory:
                raise bad_request(f"mandatory attribute {name!r} is missing")
            return
        if not isinstance(doc[name], str) or doc[name] not in values:  # an array or object is no member
            raise bad_request(f"attribute {name!r} shall be one of {', '.join(sorted(values))}")

    return check


def _string_if_present(name: str) -> Validator:
    def check(doc: dict[str, Any]) -> None:
        if name in doc and not isinstance(doc[name], str):
            raise bad_request(f"attribute {name!r} shall be a string")

    return check


def _order_items(name: str, need_service: bool) -> Validator:
    """A non-empty array of order items, each with `id` and a valid `action` (and `service` in TMF641)."""

    def check(doc: dict[str, Any]) -> None:
        items = doc.get(name)
        if items is None:
            raise bad_request(f"mandatory attribute {name!r} is missing")
        if not isinstance(items, list) or not items:
            raise bad_request(f"attribute {name!r} shall be a non-empty array")
        for item in items:
            if not isinstance(item, dict):
                raise bad_request(f"every {name} shall be an object")
            if not isinstance(item.get("id"), str) or not item["id"]:
                raise bad_request(f"every {name} needs an 'id' (string)")
            if not isinstance(item.get("action"), str) or item["action"] not in ORDER_ITEM_ACTIONS:
                raise bad_request(
                    f"every {name} needs an 'action' among {', '.join(sorted(ORDER_ITEM_ACTIONS))}"
                )
            if need_service and not isinstance(item.get("service"), dict):
                raise bad_request(f"every {name} needs a 'service' object")

    return check


# ------------------------------------------------------------------ definitions
@dataclass(frozen=True)
class ResourceDef:
    path: str  # collection path segment, e.g. productOrder
    type: str  # default @type, also the event name prefix
    checks: tuple[Validator, ...] = ()
    non_patchable: frozenset[str] = frozenset({"id", "href"})
    state_attr: str | None = None  # a change of it is a StateChangeEvent
    # event names (after the type) the API's v4 swagger lists: <Type>AttributeValueChangeEvent for any
    # change, <Type>StateChangeEvent for a state change; TMF633/634 have one <Type>ChangeEvent for both
    # (state_event None), TMF670 a <Type>StatusChangeEvent
    change_event: str = "AttributeValueChange"
    state_event: str | None = "StateChange"
    transitions: dict[str, frozenset[str]] | None = None
    initial: dict[str, Any] = field(default_factory=dict)  # server-set on creation (overrides the client)
    created_stamps: tuple[str, ...] = ()  # set to the creation time when absent
    server_stamps: tuple[str, ...] = ()  # always set to the time of the last change
    methods: frozenset[str] = frozenset({"GET", "POST", "PATCH", "DELETE"})
    type_required: bool = False  # @type is mandatory, not defaulted (TMF670 PaymentMethod)

    @property
    def event_key(self) -> str:
        return self.type[0].lower() + self.type[1:]

    def validate(self, doc: dict[str, Any]) -> None:
        for check in self.checks:
            check(doc)


@dataclass(frozen=True)
class ApiDef:
    code: str
    base: str  # basePath of the v4 swagger, without trailing slash
    resources: dict[str, ResourceDef]
    aliases: tuple[str, ...] = ()  # other base paths served identically

    def bases(self) -> tuple[str, ...]:
        return (self.base, *self.aliases)


def _catalog_resource(path: str, type_: str) -> ResourceDef:
    return ResourceDef(
        path,
        type_,
        (_string("name"), _string_if_present("lifecycleStatus")),
        non_patchable=frozenset({"id", "href", "lastUpdate"}),
        state_attr="lifecycleStatus",
        server_stamps=("lastUpdate",),
    )


def _order(path: str, type_: str, items: str, need_service: bool) -> ResourceDef:
    return ResourceDef(
        path,
        type_,
        (_order_items(items, need_service), _enum("state", ORDER_STATES)),
        non_patchable=frozenset({"id", "href", "orderDate"}),
        state_attr="state",
        transitions=ORDER_TRANSITIONS,
        initial={"state": "acknowledged"},
        created_stamps=("orderDate",),
    )


def _cancel(path: str, type_: str, target: str) -> ResourceDef:
    return ResourceDef(
        path,
        type_,
        (_ref(target),),
        state_attr="state",
        methods=frozenset({"GET", "POST"}),
    )


def _resources(*defs: ResourceDef) -> dict[str, ResourceDef]:
    return {d.path: d for d in defs}


TMF620 = ApiDef(
    "TMF620",
    "/tmf-api/productCatalogManagement/v4",
    _resources(
        _catalog_resource("productOffering", "ProductOffering"),
        _catalog_resource("catalog", "Catalog"),
        _catalog_resource("category", "Category"),
        _catalog_resource("productSpecification", "ProductSpecification"),
        _catalog_resource("productOfferingPrice", "ProductOfferingPrice"),
    ),
)
TMF622 = ApiDef(
    "TMF622",
    "/tmf-api/productOrderingManagement/v4",
    _resources(
        _order("productOrder", "ProductOrder", "productOrderItem", need_service=False),
        _cancel("cancelProductOrder", "CancelProductOrder", "productOrder"),
    ),
)
TMF629 = ApiDef(
    "TMF629",
    "/tmf-api/customerManagement/v4",
    _resources(
        ResourceDef("customer", "Customer", (_string("name"), _ref("engagedParty")), state_attr="status"),
    ),
)
# The TMF632 v4 swagger's basePath is /tmf-api/party/v4; /tmf-api/partyManagement/v4 is served as well.
TMF632 = ApiDef(
    "TMF632",
    "/tmf-api/party/v4",
    _resources(
        ResourceDef(
            "individual",
            "Individual",
            (_string("givenName"), _string("familyName"), _enum("status", INDIVIDUAL_STATES)),
            state_attr="status",
        ),
        ResourceDef(
            "organization",
            "Organization",
            (_string("tradingName"), _enum("status", ORGANIZATION_STATES)),
            state_attr="status",
        ),
    ),
    aliases=("/tmf-api/partyManagement/v4",),
)
TMF637 = ApiDef(
    "TMF637",
    "/tmf-api/productInventory/v4",
    _resources(
        ResourceDef(
            "product", "Product", (_enum("status", PRODUCT_STATUS, mandatory=True),), state_attr="status"
        )
    ),
)
TMF638 = ApiDef(
    "TMF638",
    "/tmf-api/serviceInventory/v4",
    _resources(
        ResourceDef(
            "service",
            "Service",
            (_enum("state", SERVICE_STATES, mandatory=True), _ref("serviceSpecification")),
            non_patchable=frozenset({"id", "href", "serviceDate"}),
            state_attr="state",
            created_stamps=("serviceDate",),
        )
    ),
)
TMF639 = ApiDef(
    "TMF639",
    "/tmf-api/resourceInventoryManagement/v4",
    _resources(
        ResourceDef(
            "resource",
            "Resource",
            (_string("name"), *(_enum(name, values) for name, values in RESOURCE_ENUMS.items())),
            state_attr="resourceStatus",
        )
    ),
)
TMF641 = ApiDef(
    "TMF641",
    "/tmf-api/serviceOrdering/v4",
    _resources(
        _order("serviceOrder", "ServiceOrder", "serviceOrderItem", need_service=True),
        _cancel("cancelServiceOrder", "CancelServiceOrder", "serviceOrder"),
    ),
)

APIS: tuple[ApiDef, ...] = (TMF620, TMF622, TMF629, TMF632, TMF637, TMF638, TMF639, TMF641)
