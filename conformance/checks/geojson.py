"""Checks of GeoJSON geometries (RFC 7946)."""

from __future__ import annotations

from typing import Any

from conformance.checks.http import fail

GEOJSON_GEOMETRIES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


def _geojson_problem(kind: Any, coordinates: Any) -> str | None:
    """Why these are not the coordinates of a GeoJSON geometry of this type (RFC 7946 clause 3.1),
    or None when they are."""

    def position(p: Any) -> str | None:
        if not isinstance(p, list) or not 2 <= len(p) <= 3:
            return f"a position should be an array of 2 or 3 numbers, got {p!r}"
        if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in p):
            return f"a position should hold numbers only, got {p!r}"
        if not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            return f"position {p!r} is not a longitude, latitude pair in range"
        return None

    def positions(items: Any, minimum: int, ring: bool = False) -> str | None:
        if not isinstance(items, list) or len(items) < minimum:
            return f"expected an array of at least {minimum} positions, got {items!r}"
        for p in items:
            problem = position(p)
            if problem:
                return problem
        if ring and items[0] != items[-1]:
            return f"a linear ring should end where it starts, got {items!r}"
        return None

    def many(items: Any, each: Any) -> str | None:
        if not isinstance(items, list) or not items:
            return f"expected a non-empty array, got {items!r}"
        for item in items:
            problem = each(item)
            if problem:
                return problem
        return None

    def polygon(rings: Any) -> str | None:
        return many(rings, lambda r: positions(r, 4, ring=True))

    if kind == "Point":
        return position(coordinates)
    if kind == "MultiPoint":
        return many(coordinates, position)
    if kind == "LineString":
        return positions(coordinates, 2)
    if kind == "MultiLineString":
        return many(coordinates, lambda line: positions(line, 2))
    if kind == "Polygon":
        return polygon(coordinates)
    if kind == "MultiPolygon":
        return many(coordinates, polygon)
    return f"type {kind!r} is not one of {', '.join(GEOJSON_GEOMETRIES)}"


def geojson_geometry(what: str, value: Any) -> None:
    """A GeoJSON geometry object (RFC 7946 clause 3.1): a geometry type and well-formed coordinates."""
    if not isinstance(value, dict):
        fail(f"{what}: expected a GeoJSON geometry object, got {value!r}")
    if "coordinates" not in value:
        fail(f"{what}: expected a GeoJSON geometry with 'coordinates', got {value!r}")
    problem = _geojson_problem(value.get("type"), value["coordinates"])
    if problem:
        fail(f"{what}: not a valid GeoJSON geometry: {problem}")
