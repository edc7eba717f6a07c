"""Optional capabilities a product may declare in its Implementation Conformance Statement.

A requirement that names a capability is checked only when the target profile declares it;
otherwise its verdict is NOT_APPLICABLE. A profile naming a capability not listed here is rejected,
so that a typo cannot silently turn checks off.
"""

from __future__ import annotations

CAPABILITIES: dict[str, str] = {
    "ngsild-multi-tenancy": "NGSI-LD NGSILD-Tenant header: tenants isolated, created implicitly",
    "ngsild-concise": "NGSI-LD concise representation (options=concise)",
    "ngsild-geojson": "NGSI-LD GeoJSON representation (Accept: application/geo+json)",
    "ngsild-pick-omit": "NGSI-LD pick/omit projection parameters (V1.8.1)",
    "ngsild-language-property": "NGSI-LD LanguageProperty and the lang parameter",
    "ngsild-list-property": "NGSI-LD ListProperty and ListRelationship",
    "ngsild-vocab-property": "NGSI-LD VocabProperty",
    "ngsild-json-property": "NGSI-LD JsonProperty",
    "ngsild-scope": "NGSI-LD scope and scopeQ",
    "ngsild-batch": "NGSI-LD batch entity operations",
    "ngsild-merge": "NGSI-LD merge entity (PATCH /entities/{id}) and merge batch",
    "ngsild-geo-query": "NGSI-LD geo-queries",
    "ngsild-subscriptions": "NGSI-LD subscriptions and notifications over HTTP",
    "ngsild-periodic-notifications": "NGSI-LD periodic notifications (Subscription timeInterval)",
    "ngsild-mqtt-notifications": "NGSI-LD notifications over MQTT",
    "ngsild-csource-registrations": "NGSI-LD context source registrations",
    "ngsild-distributed-operations": "NGSI-LD distributed operations towards registered context sources",
    "ngsild-temporal": "NGSI-LD temporal API",
    "ngsild-temporal-aggregation": "NGSI-LD temporal aggregation (aggrMethods)",
    "ngsild-jsonld-contexts": "NGSI-LD @context management (/jsonldContexts)",
    "ngsild-source-identity": "NGSI-LD /info/sourceIdentity",
    "ngsild-v1.9": "ETSI GS CIM 009 V1.9.1 additions",
    "sdm-parking": "Smart Data Models: Parking subject (ParkingSpot, OffStreetParking, OnStreetParking)",
    "sdm-environment": "Smart Data Models: Environment subject (AirQualityObserved, NoiseLevelObserved)",
    "sdm-water-quality": "Smart Data Models: WaterQuality subject (WaterQualityObserved)",
    "sdm-weather": "Smart Data Models: Weather subject (WeatherObserved, WeatherForecast)",
    "sdm-streetlighting": "Smart Data Models: Streetlighting subject (Streetlight, StreetlightGroup)",
    "sdm-transportation": "Smart Data Models: Transportation subject (TrafficFlowObserved, Vehicle)",
    "sdm-waste-management": "Smart Data Models: WasteManagement subject (WasteContainer)",
    "sdm-device": "Smart Data Models: Device subject (Device, DeviceModel)",
    "sdm-building": "Smart Data Models: Building subject (Building)",
    "sdm-point-of-interest": "Smart Data Models: PointOfInterest subject (PointOfInterest)",
    "sdm-alert": "Smart Data Models: Alert subject (Alert)",
    "tmf620": "TM Forum TMF620 Product Catalog Management",
    "tmf622": "TM Forum TMF622 Product Ordering",
    "tmf629": "TM Forum TMF629 Customer Management",
    "tmf632": "TM Forum TMF632 Party Management",
    "tmf637": "TM Forum TMF637 Product Inventory",
    "tmf638": "TM Forum TMF638 Service Inventory",
    "tmf639": "TM Forum TMF639 Resource Inventory",
    "tmf641": "TM Forum TMF641 Service Ordering",
}


def unknown(declared: list[str]) -> list[str]:
    """The declared capability names that the suite does not know."""
    return [name for name in declared if name not in CAPABILITIES]
