"""The TM Forum Open APIs v5 the reference serves besides their v4 (specs.py): TMF620, 622, 629, 632, 634,
637, 638, 639, written from their v5 OpenAPI files (v5.0.0; TMF629 v5.0.1). Served by the same generic
handlers (api.py) at their own base path, with their own storage and hub.

What differs from v4:
- @type is mandatory on create (every _FVO schema extends Extensible_FVO, which requires it) and is
  never defaulted: a POST without it answers 400; a patch that removes it answers 400;
- the mandatory attributes are the `required` lists of the <Resource>_FVO schemas (TMF632 organization:
  name, not tradingName as in v4); TMF620 ProductOffering, ProductOfferingPrice and
  ProductSpecification _FVO also require lastUpdate and lifecycleStatus, which the reference does not
  insist on (lastUpdate is stamped by the server on every change, as in v4; see notes/mim3.md);
- value sets are the v5 enumerations (TMF638 ServiceStateType adds suspended, TMF632 IndividualStateType
  spells deceased, TMF622 ProductOrderStateType adds draft and inProgress.accepted).
Base paths: the server URL of the v5 file where it names one (below /tmf-api), else the v4 API name with
v5 (TMF622, TMF637, TMF638 give only https://serverRoot)."""

from __future__ import annotations

from dataclasses import replace

from .specs import (
    ORDER_STATES,
    PRODUCT_STATUS,
    SERVICE_STATES,
    ApiDef,
    ResourceDef,
    Validator,
    _catalog_resource,
    _enum,
    _order,
    _ref,
    _resources,
    _string,
)

TYPE = _string("@type")
SERVICE_STATES_V5 = SERVICE_STATES | {"suspended"}
INDIVIDUAL_STATES_V5 = frozenset({"initialized", "validated", "deceased"})
ORGANIZATION_STATES_V5 = frozenset({"initialized", "validated", "closed"})
ORDER_STATES_V5 = ORDER_STATES | {"draft", "inProgress.accepted"}


def _v5(rdef: ResourceDef, *checks: Validator) -> ResourceDef:
    """The v4 definition with @type mandatory (checked first, never defaulted) and these checks."""
    return replace(rdef, checks=(TYPE, *checks), type_required=True)


def _catalog(path: str, type_: str, *extra: str) -> ResourceDef:
    """A catalog entity: name (and extra) mandatory, lifecycleStatus a string, lastUpdate stamped."""
    base = _catalog_resource(path, type_)
    return _v5(base, *base.checks, *(_string(e) for e in extra))


TMF620_V5 = ApiDef(
    "TMF620-v5",
    "/tmf-api/productCatalogManagement/v5",
    _resources(
        _catalog("productCatalog", "ProductCatalog"),
        _catalog("category", "Category"),
        _catalog("productOffering", "ProductOffering"),
        _catalog("productOfferingPrice", "ProductOfferingPrice", "priceType"),
        _catalog("productSpecification", "ProductSpecification"),
    ),
)
_ORDER = _order("productOrder", "ProductOrder", "productOrderItem", need_service=False)
TMF622_V5 = ApiDef(
    "TMF622-v5",
    "/tmf-api/productOrderingManagement/v5",
    _resources(_v5(_ORDER, _ORDER.checks[0], _enum("state", ORDER_STATES_V5))),
)
TMF629_V5 = ApiDef(
    "TMF629-v5",
    "/tmf-api/customer/v5",
    _resources(
        _v5(ResourceDef("customer", "Customer", state_attr="status"), _string("name"), _ref("engagedParty"))
    ),
)
TMF632_V5 = ApiDef(
    "TMF632-v5",
    "/tmf-api/partyManagement/v5",
    _resources(
        _v5(
            ResourceDef("individual", "Individual", state_attr="status"),
            _string("givenName"),
            _string("familyName"),
            _enum("status", INDIVIDUAL_STATES_V5),
        ),
        _v5(
            ResourceDef("organization", "Organization", state_attr="status"),
            _string("name"),
            _enum("status", ORGANIZATION_STATES_V5),
        ),
    ),
)
TMF634_V5 = ApiDef(
    "TMF634-v5",
    "/tmf-api/resourceCatalog/v5",
    _resources(
        _catalog("resourceCatalog", "ResourceCatalog"),
        _catalog("resourceCategory", "ResourceCategory"),
        _catalog("resourceCandidate", "ResourceCandidate"),
        _catalog("resourceSpecification", "ResourceSpecification"),
    ),
)
TMF637_V5 = ApiDef(
    "TMF637-v5",
    "/tmf-api/productInventory/v5",
    _resources(_v5(ResourceDef("product", "Product", state_attr="status"), _enum("status", PRODUCT_STATUS))),
)
TMF638_V5 = ApiDef(
    "TMF638-v5",
    "/tmf-api/serviceInventory/v5",
    _resources(
        _v5(
            ResourceDef("service", "Service", state_attr="state"),
            _enum("state", SERVICE_STATES_V5, mandatory=True),
            _ref("serviceSpecification"),
        )
    ),
)
TMF639_V5 = ApiDef(
    "TMF639-v5",
    "/tmf-api/resourceInventory/v5",
    _resources(_v5(ResourceDef("resource", "Resource", state_attr="resourceStatus"))),
)

V5_APIS: tuple[ApiDef, ...] = (
    TMF620_V5,
    TMF622_V5,
    TMF629_V5,
    TMF632_V5,
    TMF634_V5,
    TMF637_V5,
    TMF638_V5,
    TMF639_V5,
)
