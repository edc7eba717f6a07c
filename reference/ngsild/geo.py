"""Geo-queries (ETSI GS CIM 009 clause 4.10) evaluated with shapely.

Coordinates are GeoJSON [longitude, latitude]. Topological relations (within, contains, intersects,
equals, disjoint, overlaps) are evaluated in the lon/lat plane. Distances for ``near`` are in metres:
the entity geometry is projected onto a local azimuthal-equidistant-like plane centred on the reference
point (equirectangular scaling), which is accurate to well below 0.5 % over the distances geo-queries use;
point-to-point distances use the haversine formula.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

from .errors import bad_request
from .model import GEOMETRY_TYPES, is_geometry, validate_geometry

EARTH_RADIUS_M = 6_371_008.8
GEORELS = {"near", "within", "contains", "intersects", "equals", "disjoint", "overlaps"}


@dataclass
class GeoQuery:
    georel: str
    geometry: BaseGeometry
    geometry_json: dict[str, Any]
    geoproperty: str  # expanded name
    max_distance: float | None = None
    min_distance: float | None = None


def parse_geoquery(
    georel: str | None, geometry: str | None, coordinates: Any, geoproperty_iri: str
) -> GeoQuery | None:
    if georel is None and geometry is None and coordinates is None:
        return None
    if not georel or not geometry or coordinates is None or coordinates == "":
        raise bad_request("a geo-query needs georel, geometry and coordinates together")
    if geometry not in GEOMETRY_TYPES:
        raise bad_request(f"unsupported geometry {geometry!r}")
    if isinstance(coordinates, str):
        try:
            coords = json.loads(coordinates)
        except json.JSONDecodeError as exc:
            raise bad_request(f"coordinates are not a valid JSON array: {exc}") from exc
    else:
        coords = coordinates
    geometry_json = {"type": geometry, "coordinates": coords}
    validate_geometry(geometry_json, "geo-query")
    try:
        geom = shape(geometry_json)
    except (ShapelyError, GEOSException, ValueError, TypeError) as exc:
        raise bad_request(f"invalid geo-query geometry: {exc}") from exc
    if not geom.is_valid and geometry in ("Polygon", "MultiPolygon"):
        raise bad_request("the geo-query polygon is not valid (self-intersecting?)")
    parts = [p.strip() for p in georel.split(";")]
    relation = parts[0]
    if relation not in GEORELS:
        raise bad_request(f"unsupported georel {relation!r}")
    query = GeoQuery(relation, geom, geometry_json, geoproperty_iri)
    if relation == "near":
        if len(parts) != 2:
            raise bad_request("georel near needs exactly one of maxDistance==N or minDistance==N")
        match = re.match(r"^(maxDistance|minDistance)==(\d+(\.\d+)?)$", parts[1])
        if not match:
            raise bad_request(f"invalid near modifier {parts[1]!r}")
        distance = float(match.group(2))
        if match.group(1) == "maxDistance":
            query.max_distance = distance
        else:
            query.min_distance = distance
    elif len(parts) != 1:
        raise bad_request(f"georel {relation} takes no modifier")
    return query


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_m(reference: BaseGeometry, target: BaseGeometry) -> float:
    """Minimum distance in metres between two lon/lat geometries."""
    if reference.geom_type == "Point" and target.geom_type == "Point":
        return haversine_m(reference.x, reference.y, target.x, target.y)
    if reference.intersects(target):
        return 0.0
    centre = reference.centroid
    lat0 = math.radians(centre.y)

    def project(x: Any, y: Any, z: Any = None) -> tuple[Any, Any]:
        kx = math.cos(lat0) * math.pi / 180 * EARTH_RADIUS_M
        ky = math.pi / 180 * EARTH_RADIUS_M
        if isinstance(x, float | int):
            return (x - centre.x) * kx, (y - centre.y) * ky
        return tuple((xi - centre.x) * kx for xi in x), tuple((yi - centre.y) * ky for yi in y)

    return float(transform(project, reference).distance(transform(project, target)))


def geo_predicate(query: GeoQuery) -> Callable[[dict[str, Any]], bool]:
    def check(entity: dict[str, Any]) -> bool:
        instances = entity["attrs"].get(query.geoproperty)
        if not instances:
            return False
        for inst in instances:
            value = inst.get("value")
            if inst.get("type") != "GeoProperty" and not is_geometry(value):
                continue
            try:
                geom = shape(value)
            except (ShapelyError, GEOSException, ValueError, TypeError, AttributeError):
                continue
            if _relation_holds(query, geom):
                return True
        return False

    return check


def _relation_holds(query: GeoQuery, geom: BaseGeometry) -> bool:
    reference = query.geometry
    try:
        if query.georel == "near":
            distance = distance_m(reference, geom)
            if query.max_distance is not None:
                return distance <= query.max_distance
            return distance >= (query.min_distance or 0.0)
        if query.georel == "within":
            return bool(geom.within(reference))
        if query.georel == "contains":
            return bool(geom.contains(reference))
        if query.georel == "intersects":
            return bool(geom.intersects(reference))
        if query.georel == "equals":
            return bool(geom.equals(reference))
        if query.georel == "disjoint":
            return bool(geom.disjoint(reference))
        if query.georel == "overlaps":
            return bool(geom.overlaps(reference))
    except (ShapelyError, GEOSException):
        return False
    return False
