"""The TM Forum Open APIs v5 the MIM3 v5 cases cover: one capability per API (`tmf620-v5`, ...), its
default root, its resources and what the cases send and change.

Written from the v5 OpenAPI files of the shared reference data (TMF620, 622, 632, 634, 637, 638, 639
v5.0.0; TMF629 v5.0.1); their schemas are in conformance/data/tmf/v5 (tests/tools/derive_tmf_v5.py).
There is no v5 file of TMF633, 641, 652, 670 or 676 among them: no v5 capability for those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance import fixtures


@dataclass(frozen=True)
class V5Api:
    capability: str  # tmf620-v5; also the key of [mim3.roots]
    number: str  # tmf620
    title: str  # TMF620 Product Catalog Management
    version: str  # of the OAS file
    root: str  # below the [mim3] base URL (the v5 file's server path, see ROOT_NOTES)
    index: int  # requirement numbers of this API: 7 * index + family (MIM3-V5-nnn)

    @property
    def spec(self) -> str:
        return f"{self.title} v{self.version}"


@dataclass(frozen=True)
class V5Resource:
    api: V5Api
    name: str  # path segment, e.g. productCatalog
    type: str  # @type of the fixture (and the resource type name of the OAS)
    # mandatory attributes the cases leave out one at a time (the _FVO required list, except what
    # MANDATORY_NOT_CHECKED says); @type is always among them
    mandatory: tuple[str, ...]
    change: tuple[str, Any]  # attribute and new value a merge patch sets
    remove: str  # optional attribute a merge patch removes with null
    fields: tuple[str, str]  # attributes requested with fields=
    server_set: tuple[str, ...] = ()  # sent (the _FVO requires them) but the server may restamp them
    # a mandatory string attribute the fixture sets to a run-scoped value, which the list is also
    # filtered on (as the TM Forum CTKs filter on id or a mandatory attribute); None: id only
    filter_on: str | None = None

    @property
    def id(self) -> str:
        return f"{self.api.capability}-{self.name}"

    def body(self, name: str) -> dict[str, Any]:
        body: dict[str, Any] = fixtures.load(f"tmf_v5/{self.name}.json", name=name)
        return body


def _api(number: str, title: str, version: str, root: str, index: int) -> V5Api:
    return V5Api(f"{number}-v5", number, title, version, root, index)


TMF620 = _api("tmf620", "TMF620 Product Catalog Management", "5.0.0", "/productCatalogManagement/v5", 0)
TMF622 = _api("tmf622", "TMF622 Product Ordering Management", "5.0.0", "/productOrderingManagement/v5", 1)
TMF629 = _api("tmf629", "TMF629 Customer Management", "5.0.1", "/customer/v5", 2)
TMF632 = _api("tmf632", "TMF632 Party Management", "5.0.0", "/partyManagement/v5", 3)
TMF634 = _api("tmf634", "TMF634 Resource Catalog Management", "5.0.0", "/resourceCatalog/v5", 4)
TMF637 = _api("tmf637", "TMF637 Product Inventory Management", "5.0.0", "/productInventory/v5", 5)
TMF638 = _api("tmf638", "TMF638 Service Inventory Management", "5.0.0", "/serviceInventory/v5", 6)
TMF639 = _api("tmf639", "TMF639 Resource Inventory Management", "5.0.0", "/resourceInventory/v5", 7)

V5_APIS: tuple[V5Api, ...] = (TMF620, TMF622, TMF629, TMF632, TMF634, TMF637, TMF638, TMF639)

# Where the root comes from: the server URL of the v5 file, without /tmf-api; TMF622, TMF637 and
# TMF638 v5 give only https://serverRoot, so their v4 API name is kept with v5.
ROOT_NOTES = {
    "tmf622-v5": "server https://serverRoot: v4 name productOrderingManagement with v5",
    "tmf637-v5": "server https://serverRoot: v4 name productInventory with v5",
    "tmf638-v5": "server https://serverRoot: v4 name serviceInventory with v5",
}

# ProductOffering_FVO, ProductOfferingPrice_FVO and ProductSpecification_FVO (TMF620 v5.0.0) require
# lastUpdate and lifecycleStatus: the fixtures send both, but a product that sets them itself
# (lastUpdate is the time of the last update) is not failed for creating without them.
MANDATORY_NOT_CHECKED = ("lastUpdate", "lifecycleStatus")


def _catalog(api: V5Api, name: str, *extra: str, stamped: bool = False) -> V5Resource:
    return V5Resource(
        api,
        name,
        name[0].upper() + name[1:],
        mandatory=("@type", "name", *extra),
        change=("version", "2.0"),
        remove="description",
        fields=("name", "version"),
        server_set=("lastUpdate",) if stamped else (),
        filter_on="name",
    )


V5_RESOURCES: tuple[V5Resource, ...] = (
    _catalog(TMF620, "productCatalog"),
    _catalog(TMF620, "category"),
    _catalog(TMF620, "productOffering", stamped=True),
    _catalog(TMF620, "productOfferingPrice", "priceType", stamped=True),
    _catalog(TMF620, "productSpecification", stamped=True),
    V5Resource(
        TMF622,
        "productOrder",
        "ProductOrder",
        mandatory=("@type", "productOrderItem"),
        change=("priority", "2"),
        remove="category",
        fields=("priority", "category"),
    ),
    V5Resource(
        TMF629,
        "customer",
        "Customer",
        mandatory=("@type", "engagedParty", "name"),
        change=("statusReason", "Updated by the MIM conformance suite"),
        remove="validFor",
        fields=("statusReason", "validFor"),
        filter_on="name",
    ),
    V5Resource(
        TMF632,
        "individual",
        "Individual",
        mandatory=("@type", "givenName", "familyName"),
        change=("givenName", "Grace"),
        remove="title",
        fields=("givenName", "title"),
        filter_on="familyName",
    ),
    V5Resource(
        TMF632,
        "organization",
        "Organization",
        mandatory=("@type", "name"),
        change=("tradingName", "Renamed Mobility Data Cooperative"),
        remove="organizationType",
        fields=("name", "organizationType"),
        filter_on="name",
    ),
    _catalog(TMF634, "resourceCatalog"),
    _catalog(TMF634, "resourceCategory"),
    _catalog(TMF634, "resourceCandidate"),
    _catalog(TMF634, "resourceSpecification"),
    V5Resource(
        TMF637,
        "product",
        "Product",
        mandatory=("@type",),
        change=("name", "Renamed data feed subscription"),
        remove="productSerialNumber",
        fields=("name", "status"),
    ),
    V5Resource(
        TMF638,
        "service",
        "Service",
        mandatory=("@type", "state", "serviceSpecification"),
        change=("serviceType", "data-feed-v2"),
        remove="category",
        fields=("name", "state"),
    ),
    V5Resource(  # the fixture is a LogicalResource: the Resource schema dispatches on @type
        TMF639,
        "resource",
        "LogicalResource",
        mandatory=("@type",),
        change=("resourceVersion", "2.0"),
        remove="description",
        fields=("name", "resourceVersion"),
    ),
)


def v5_resources_of(api: V5Api) -> list[V5Resource]:
    return [r for r in V5_RESOURCES if r.api == api]


def v5_root(base_url: str, capability: str, roots: dict[str, str] | None = None) -> str:
    """The API root: the one [mim3.roots] gives the capability, else its default below the base URL."""
    if roots and capability in roots:
        return roots[capability].rstrip("/")
    api = next(a for a in V5_APIS if a.capability == capability)
    return base_url.rstrip("/") + api.root
