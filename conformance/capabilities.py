"""Optional capabilities a product may declare in its Implementation Conformance Statement.

A requirement that names a capability is checked only when the target profile declares it;
otherwise its verdict is NOT_APPLICABLE. Only what a specification lets an implementation leave
out is a capability, and each one cites the clause that makes it optional. Everything ETSI GS CIM
009 V1.8.1 says shall be supported is core: its requirements name no capability and apply to every
product. For NGSI-LD the rule is: optional where the spec (its text or its V1.8.1 OpenAPI) lets an
implementation decline the feature (an error type for it, an operation allowed to answer
OperationNotSupported or NotImplemented, an implementation-specific choice, an alternative
binding) or where the feature is not part of V1.8.1 at all.

A profile naming a capability not listed here is rejected, so that a typo cannot silently turn
checks off; a name that used to be a capability is rejected with the reason (now core).
``mimcheck capabilities --format markdown > docs/capabilities.md`` renders the table.
"""

from __future__ import annotations

from dataclasses import dataclass

NGSILD = "ETSI GS CIM 009 V1.8.1"
NGSILD_19 = "ETSI GS CIM 009 V1.9.1"
OPENAPI = "the V1.8.1 OpenAPI"
SDM = "OASC MIM2 (Smart Data Models)"
TMF = "OASC MIM3 (TM Forum Open APIs v4)"
TMF_V5 = "OASC MIM3 (TM Forum Open APIs v5)"


@dataclass(frozen=True)
class Capability:
    name: str
    description: str  # what the product does when it declares the capability
    spec: str  # the specification whose clause makes it optional
    clause: str  # the clause (or artefact) that makes it optional
    why: str  # how that clause makes it optional
    requires: tuple[str, ...] = ()  # capabilities it builds on (must be declared with it)


def _sdm(name: str, subject: str, models: str) -> Capability:
    return Capability(
        name,
        f"Smart Data Models: {subject} subject ({models})",
        SDM,
        f"dataModel.{subject}",
        "MIM2 certifies the data models of the domains a platform serves; each subject is a separate "
        "set of models, certified when declared.",
    )


def _tmf(name: str, title: str) -> Capability:
    return Capability(
        name,
        f"TM Forum {name.upper()} {title}",
        TMF,
        f"{name.upper()} v4.0.0 (the whole API)",
        "Each TM Forum Open API is a separate specification with its own conformance profile; MIM3 "
        "certifies the APIs a marketplace implements.",
    )


def _tmf_v5(number: str, title: str, version: str = "5.0.0") -> Capability:
    return Capability(
        f"{number}-v5",
        f"TM Forum {number.upper()} {title}, v5 (OpenAPI 3 file v{version})",
        TMF_V5,
        f"{number.upper()} v{version} (the whole API)",
        "A product may implement an API in v4, in v5 or in both; each major version is a separate "
        "specification, certified when declared (conformance/tmf/v5_resources.py).",
    )


_TABLE: tuple[Capability, ...] = (
    Capability(
        "ngsild-multi-tenancy",
        "NGSILD-Tenant header: the data of a tenant is isolated from the default tenant and from the "
        "other tenants; an unknown tenant is reported as NonexistentTenant",
        NGSILD,
        "4.14; 5.5.2 and 6.3.2 (error type NoMultiTenantSupport, 501)",
        "The V1.8.1 OpenAPI speaks of a Context Source that 'supports multi-tenancy (see clause 4.14)' "
        "(5.2.40), and the error type NoMultiTenantSupport (HTTP 501) is there for one that does not.",
    ),
    Capability(
        "ngsild-implicit-tenants",
        "A tenant named in NGSILD-Tenant that does not exist yet is created by the first entity "
        "created in it (the suite creates its own tenants)",
        NGSILD,
        "5.5.10",
        "How a tenant comes into being is implementation-specific: implicit creation on the first "
        "create is one option, tenants configured beforehand another.",
        requires=("ngsild-multi-tenancy",),
    ),
    Capability(
        "ngsild-csource-registrations",
        "Context source registrations (/csourceRegistrations): create, retrieve, update, delete, "
        "validation and discovery",
        NGSILD,
        "4.3 (architectures); 5.9.2 with " + OPENAPI,
        "A centralised deployment (clause 4.3) has no Context Registry, and the V1.8.1 OpenAPI lets "
        "POST /csourceRegistrations answer 422 OperationNotSupported (the operation is not available).",
    ),
    Capability(
        "ngsild-distributed-operations",
        "Operations forwarded to registered context sources",
        NGSILD,
        "4.3.6; 6.3.17; 6.3.18",
        "Distributed operations only arise from context source registrations (clause 4.3.6), and the "
        "spec lets a broker report a distributed operation as unsupported (clause 6.3.17).",
        requires=("ngsild-csource-registrations",),
    ),
    Capability(
        "ngsild-entity-maps",
        "EntityMaps: Query Entities and Retrieve Entity with entityMap=true answer NGSILD-EntityMap; "
        "/entityMap/{entityMapId} is served, updated and deleted; a request naming a map uses it",
        NGSILD,
        '5.7.1.4, 5.7.2.4 ("if the ContextBroker implementation supports the use of EntityMaps"); 5.14',
        "The behaviour of Retrieve Entity and Query Entities applies EntityMaps only when the broker "
        "supports them; they support distributed operations (clause 5.14), so they build on them.",
        requires=("ngsild-distributed-operations",),
    ),
    Capability(
        "ngsild-temporal",
        "Temporal API (/temporal/entities): temporal entities and instances, temporal queries, "
        "temporalValues and aggregatedValues (aggrMethods)",
        NGSILD,
        "5.6.11 with " + OPENAPI,
        "The V1.8.1 OpenAPI lets POST /temporal/entities answer 422 OperationNotSupported (the "
        "operation is not available): a broker may offer no temporal evolution of entities.",
    ),
    Capability(
        "ngsild-source-identity",
        "GET /info/sourceIdentity answers a ContextSourceIdentity",
        NGSILD,
        "5.15.1 with " + OPENAPI,
        "The V1.8.1 OpenAPI lets GET /info/sourceIdentity answer 501 NotImplemented.",
    ),
    Capability(
        "ngsild-mqtt-notifications",
        "Notifications over MQTT (endpoint.uri mqtt:// or mqtts://)",
        NGSILD,
        "7.1, 7.2 (API MQTT notification binding); 5.2.15 (Endpoint)",
        "Clause 7.1 calls the MQTT notification binding optional support; notifications over HTTP "
        "(clause 6) are core.",
    ),
    Capability(
        "ngsild-v1.9",
        "ETSI GS CIM 009 V1.9.1 additions",
        NGSILD_19,
        "(not part of V1.8.1)",
        "The suite certifies V1.8.1: what V1.9.1 adds is checked only when a product declares it.",
    ),
    _sdm("sdm-parking", "Parking", "ParkingSpot, OffStreetParking, OnStreetParking"),
    _sdm("sdm-environment", "Environment", "AirQualityObserved, NoiseLevelObserved"),
    _sdm("sdm-water-quality", "WaterQuality", "WaterQualityObserved"),
    _sdm("sdm-weather", "Weather", "WeatherObserved, WeatherForecast"),
    _sdm("sdm-streetlighting", "Streetlighting", "Streetlight, StreetlightGroup"),
    _sdm("sdm-transportation", "Transportation", "TrafficFlowObserved, Vehicle"),
    _sdm("sdm-waste-management", "WasteManagement", "WasteContainer"),
    _sdm("sdm-device", "Device", "Device, DeviceModel"),
    _sdm("sdm-building", "Building", "Building"),
    _sdm("sdm-point-of-interest", "PointOfInterest", "PointOfInterest"),
    _sdm("sdm-alert", "Alert", "Alert"),
    _tmf("tmf620", "Product Catalog Management"),
    _tmf("tmf622", "Product Ordering Management"),
    _tmf("tmf629", "Customer Management"),
    _tmf("tmf632", "Party Management"),
    _tmf("tmf637", "Product Inventory Management"),
    _tmf("tmf638", "Service Inventory Management"),
    _tmf("tmf639", "Resource Inventory Management"),
    _tmf("tmf641", "Service Ordering Management"),
    _tmf("tmf633", "Service Catalog Management"),
    _tmf("tmf634", "Resource Catalog Management"),
    _tmf("tmf652", "Resource Ordering Management"),
    _tmf("tmf670", "Payment Methods"),
    _tmf("tmf676", "Payment Management"),
    Capability(
        "tmf-json-patch",
        "TM Forum v4 APIs: PATCH accepts application/json-patch+json (RFC 6902 JSON Patch) on every "
        "patchable resource of the declared APIs, besides the mandatory JSON merge patch",
        TMF,
        "the v4 user guides, PATCH operations (TMF630 Part 1 partial update); no v4 swagger declares "
        "the media type",
        "The user guides make JSON Merge Patch mandatory and JSON Patch optional; a product certifies "
        "JSON Patch only when it declares it.",
    ),
    _tmf_v5("tmf620", "Product Catalog Management"),
    _tmf_v5("tmf622", "Product Ordering Management"),
    _tmf_v5("tmf629", "Customer Management", "5.0.1"),
    _tmf_v5("tmf632", "Party Management"),
    _tmf_v5("tmf634", "Resource Catalog Management"),
    _tmf_v5("tmf637", "Product Inventory Management"),
    _tmf_v5("tmf638", "Service Inventory Management"),
    _tmf_v5("tmf639", "Resource Inventory Management"),
)

CAPABILITIES: dict[str, Capability] = {c.name: c for c in _TABLE}

# Names that used to be capabilities: why a profile may no longer declare them.
_CORE = "is core in ETSI GS CIM 009 V1.8.1 ({what}, clause {clause}), no longer an optional capability"
RETIRED: dict[str, str] = {
    "ngsild-geo-query": _CORE.format(what="geo-queries", clause="4.10"),
    "ngsild-scope": _CORE.format(what="scope and scopeQ", clause="4.19"),
    "ngsild-pick-omit": _CORE.format(what="pick and omit", clause="4.21"),
    "ngsild-concise": _CORE.format(what="the concise representation", clause="4.5.2.3, 4.5.3.3"),
    "ngsild-language-property": _CORE.format(what="LanguageProperty and lang", clause="5.2.32, 4.15"),
    "ngsild-list-property": _CORE.format(what="ListProperty and ListRelationship", clause="5.2.36, 5.2.37"),
    "ngsild-vocab-property": _CORE.format(what="VocabProperty", clause="5.2.35"),
    "ngsild-json-property": _CORE.format(what="JsonProperty", clause="5.2.38"),
    "ngsild-geojson": _CORE.format(what="the GeoJSON representation", clause="4.5.16, 4.5.17"),
    "ngsild-batch": _CORE.format(what="batch entity operations", clause="5.6.7-5.6.10"),
    "ngsild-merge": _CORE.format(what="Merge Entity and batch merge", clause="5.6.17, 5.6.20"),
    "ngsild-subscriptions": _CORE.format(what="subscriptions and notifications over HTTP", clause="5.8"),
    "ngsild-periodic-notifications": _CORE.format(
        what="periodic notifications, Subscription timeInterval", clause="5.2.12"
    ),
    "ngsild-jsonld-contexts": _CORE.format(what="@context management", clause="5.13"),
    "ngsild-temporal-aggregation": (
        "is part of 'ngsild-temporal' (aggregated temporal representation, ETSI GS CIM 009 V1.8.1 "
        "clause 4.5.19), no longer a capability of its own"
    ),
}


def unknown(declared: list[str]) -> list[str]:
    """The declared capability names that the suite does not know."""
    return [name for name in declared if name not in CAPABILITIES]


def problem(declared: list[str]) -> str | None:
    """Why this list of declared capabilities is not valid (one line), or None."""
    for name in declared:
        if name in RETIRED:
            return f"{name!r} {RETIRED[name]}: remove it from the list"
    bad = unknown(declared)
    if bad:
        return f"unknown capability {bad[0]!r}; known: {', '.join(sorted(CAPABILITIES))}"
    for name in declared:
        missing = [r for r in CAPABILITIES[name].requires if r not in declared]
        if missing:
            return f"{name!r} builds on {missing[0]!r}: declare both"
    return None


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(generator: str) -> str:
    """The capability table as a markdown page (docs/capabilities.md)."""
    lines = [
        "# Optional capabilities",
        "",
        f"Generated by `mimcheck capabilities --format markdown` ({generator}) from",
        "`conformance/capabilities.py`; do not edit by hand.",
        "",
        "A product declares the optional capabilities it implements under `[capabilities] declared` in",
        "its target profile; the requirements of a capability it does not declare are NOT_APPLICABLE.",
        "Only what a specification lets an implementation leave out is a capability, with the clause",
        "that makes it optional. Everything ETSI GS CIM 009 V1.8.1 says shall be supported is core and",
        "checked on every product.",
        "",
        "| Capability | What | Optional by | Clause | Why optional | Builds on |",
        "|---|---|---|---|---|---|",
    ]
    for c in _TABLE:
        cells = [
            f"`{c.name}`",
            c.description,
            c.spec,
            c.clause,
            c.why,
            ", ".join(f"`{r}`" for r in c.requires),
        ]
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    lines += [
        "",
        "## Former capabilities",
        "",
        "A profile declaring one of these names is rejected with the reason below.",
        "",
        "| Name | Now |",
        "|---|---|",
    ]
    for name, why in RETIRED.items():
        lines.append(f"| `{name}` | {_cell(why)} |")
    lines.append("")
    return "\n".join(lines)
