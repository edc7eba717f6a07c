"""Payload builders for NGSI-LD scenarios. Every entity gets a run-scoped id."""

from __future__ import annotations

from typing import Any

from conformance.run_ids import RunIds


def prop(value: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value, **extra}


def rel(target: str, **extra: Any) -> dict[str, Any]:
    return {"type": "Relationship", "object": target, **extra}


def geo(geometry: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "GeoProperty", "value": geometry, **extra}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def sensor(ids: RunIds, entity_type: str = "MimcheckSensor", **attrs: Any) -> dict[str, Any]:
    """A small normalized entity with a Property, a Relationship and a GeoProperty."""
    entity: dict[str, Any] = {
        "id": ids.entity_id(entity_type),
        "type": entity_type,
        "temperature": prop(21.5, unitCode="CEL"),
        "condition": prop("ok"),
        "isPartOf": rel(ids.entity_id("MimcheckSite")),
        "location": geo(point(2.1734, 41.3851)),
    }
    entity.update(attrs)
    return entity
