"""An independent geometry oracle for geo-query scenarios (ETSI GS CIM 009 V1.8.1 clause 4.10).

Expected results are computed here from the dataset a scenario created, never from the target's
answer. Topological relations (within, contains, intersects, equals, disjoint, overlaps) follow the
OGC Simple Features semantics, evaluated with shapely in the longitude/latitude plane; distances for
``near`` are great-circle distances in metres (haversine). Datasets keep every test geometry clearly
inside or outside (hundreds of metres, or 30 % of a distance threshold) so that a correct
implementation using another model (an ellipsoid, spherical edges) reaches the same answer.
"""

from __future__ import annotations

import math
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
TOPOLOGICAL = ("within", "contains", "intersects", "equals", "disjoint", "overlaps")


def geom(geojson: dict[str, Any]) -> BaseGeometry:
    return shape(geojson)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def point_east_of(lon: float, lat: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` due east of (lon, lat) along the parallel (exact for the haversine chord
    up to well below a metre at the distances used)."""
    dlon = math.degrees(metres / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    # refine so that the haversine distance is the requested one
    for _ in range(3):
        got = haversine_m(lon, lat, lon + dlon, lat)
        dlon *= metres / got
    return round(lon + dlon, 7), lat


def point_north_of(lon: float, lat: float, metres: float) -> tuple[float, float]:
    return lon, round(lat + math.degrees(metres / EARTH_RADIUS_M), 7)


def point_distance_m(entity_geometry: dict[str, Any], reference: dict[str, Any]) -> float:
    """Distance from a Point reference to a Point entity geometry (the only pair the near
    scenarios use, so that the notion of distance between geometries is unambiguous)."""
    if entity_geometry["type"] != "Point" or reference["type"] != "Point":
        raise ValueError("the near oracle only compares points")
    lon1, lat1 = entity_geometry["coordinates"][:2]
    lon2, lat2 = reference["coordinates"][:2]
    return haversine_m(lon1, lat1, lon2, lat2)


def near(
    entity_geometry: dict[str, Any],
    reference: dict[str, Any],
    *,
    max_m: float | None = None,
    min_m: float | None = None,
) -> bool:
    distance = point_distance_m(entity_geometry, reference)
    if max_m is not None and distance > max_m:
        return False
    return not (min_m is not None and distance < min_m)


def relation(georel: str, entity_geometry: dict[str, Any], query_geometry: dict[str, Any]) -> bool:
    """Does the entity's geometry stand in ``georel`` to the query geometry?"""
    target, reference = geom(entity_geometry), geom(query_geometry)
    if georel == "within":
        return bool(target.within(reference))
    if georel == "contains":
        return bool(target.contains(reference))
    if georel == "intersects":
        return bool(target.intersects(reference))
    if georel == "equals":
        return bool(target.equals(reference))
    if georel == "disjoint":
        return bool(target.disjoint(reference))
    if georel == "overlaps":
        return bool(target.overlaps(reference))
    raise ValueError(f"unknown georel {georel!r}")
