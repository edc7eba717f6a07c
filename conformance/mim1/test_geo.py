"""MIM1 geo-queries (ETSI GS CIM 009 V1.8.1 clause 4.10; GeoQuery data type clause 5.2.13):
near (maxDistance, minDistance), within, contains, intersects, equals, disjoint and overlaps, with
Point, LineString, Polygon and MultiPolygon reference geometries, the geoproperty parameter, GET
and POST forms, and refused geo-queries.

Expected results come from an independent oracle (conformance.ngsild.geometry: shapely for the
topology, haversine for distances) applied to the dataset the module created; every geometry lies
clearly inside or outside the reference (hundreds of metres, or 30 % of a distance threshold).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import checks
from conformance.ngsild import geometry as oracle
from conformance.ngsild.payloads import geo, point, prop
from conformance.ngsild.query import ids_of, query, query_post, run_type, same_ids, shared_dataset
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.requirements import requirement
from conformance.run_ids import RunIds

FORMS = [pytest.param("get", id="GET"), pytest.param("post", id="POST")]

ORIGIN = (2.0, 41.0)


def _square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


# Points at known great-circle distances from ORIGIN (east and north of it).
DISTANCES = {"p300": 300, "p700": 700, "p1600": 1600, "p3000": 3000, "p7000": 7000, "p12000": 12000}


def _near_points() -> dict[str, dict[str, Any]]:
    points = {"p0": point(*ORIGIN)}
    for index, (name, metres) in enumerate(DISTANCES.items()):
        lon, lat = (oracle.point_east_of if index % 2 == 0 else oracle.point_north_of)(*ORIGIN, metres)
        points[name] = point(lon, lat)
    return points


# Shapes around ORIGIN (degrees): clear margins of >= 0.005 deg (~400 m) from every reference edge.
SHAPES: dict[str, dict[str, Any]] = {
    "s-point-in": point(2.01, 41.01),
    "s-point-edge-in": point(2.05, 41.05),
    "s-point-out": point(2.20, 41.20),
    "s-line": {"type": "LineString", "coordinates": [[2.00, 41.00], [2.03, 41.03]]},
    "s-line-long": {"type": "LineString", "coordinates": [[1.95, 41.15], [2.15, 41.15]]},
    "s-small-square": polygon(_square(2.02, 41.02, 2.04, 41.04)),
    "s-big-square": polygon(_square(1.90, 40.90, 2.10, 41.10)),
    "s-overlapping": polygon(_square(2.04, 41.04, 2.09, 41.09)),
    "s-far-multi": {
        "type": "MultiPolygon",
        "coordinates": [[_square(2.30, 41.30, 2.32, 41.32)], [_square(2.40, 41.40, 2.42, 41.42)]],
    },
}

Q_SQUARE = polygon(_square(1.99, 40.99, 2.06, 41.06))
Q_MULTI = {
    "type": "MultiPolygon",
    "coordinates": [[_square(1.99, 40.99, 2.015, 41.015)], [_square(2.29, 41.29, 2.45, 41.45)]],
}
Q_LINE = {"type": "LineString", "coordinates": [[2.025, 40.95], [2.025, 41.045]]}
Q_POINT_IN_SQUARES = point(2.035, 41.025)
Q_POINT_EXACT = point(2.01, 41.01)

TOPOLOGY_CASES = [
    pytest.param("within", Q_SQUARE, id="within-Polygon"),
    pytest.param("within", Q_MULTI, id="within-MultiPolygon"),
    pytest.param("within", polygon(_square(1.85, 40.85, 2.50, 41.50)), id="within-large-Polygon"),
    pytest.param("contains", Q_POINT_IN_SQUARES, id="contains-Point"),
    pytest.param(
        "contains",
        {"type": "LineString", "coordinates": [[2.025, 41.035], [2.035, 41.035]]},
        id="contains-LineString",
    ),
    pytest.param("contains", polygon(_square(2.025, 41.025, 2.035, 41.035)), id="contains-Polygon"),
    pytest.param("intersects", Q_LINE, id="intersects-LineString"),
    pytest.param("intersects", Q_SQUARE, id="intersects-Polygon"),
    pytest.param("intersects", Q_MULTI, id="intersects-MultiPolygon"),
    pytest.param("intersects", point(2.035, 41.035), id="intersects-Point"),
    pytest.param("equals", Q_POINT_EXACT, id="equals-Point"),
    pytest.param("equals", SHAPES["s-small-square"], id="equals-Polygon"),
    pytest.param("equals", SHAPES["s-line"], id="equals-LineString"),
    pytest.param("disjoint", Q_SQUARE, id="disjoint-Polygon"),
    pytest.param("disjoint", Q_LINE, id="disjoint-LineString"),
    pytest.param("overlaps", Q_SQUARE, id="overlaps-Polygon"),
    pytest.param("overlaps", polygon(_square(2.08, 41.08, 2.19, 41.19)), id="overlaps-Polygon-corner"),
]


@dataclass
class GeoData:
    near_type: str
    shape_type: str
    ids: dict[str, str]
    near: dict[str, dict[str, Any]]

    def ids_where(self, names: list[str]) -> set[str]:
        return {self.ids[n] for n in names}


@pytest.fixture(scope="module")
def geodata(http: RecordingClient, profile: TargetProfile, run_ids: RunIds) -> Iterator[GeoData]:
    near_type, shape_type = run_type(run_ids, "MimGeoN"), run_type(run_ids, "MimGeoS")
    near_points = _near_points()
    ids = {name: f"urn:ngsi-ld:MimGeo:{run_ids.next()}-{name}" for name in [*near_points, *SHAPES]}
    entities = []
    for name, geometry in near_points.items():
        entities.append({"id": ids[name], "type": near_type, "location": geo(geometry)})
    for index, (name, geometry) in enumerate(SHAPES.items()):
        entity = {"id": ids[name], "type": shape_type, "location": geo(geometry), "rank": prop(index)}
        # observationSpace mirrors location shifted far north, so that a query on the wrong
        # GeoProperty gives another answer
        shifted = json.loads(json.dumps(geometry).replace("41.", "51."))
        entity["observationSpace"] = geo(shifted)
        entities.append(entity)
    with shared_dataset(http, profile, entities):
        yield GeoData(near_type, shape_type, ids, near_points)


def _geo_query(
    ngsild: Any,
    form: str,
    entity_type: str,
    georel: str,
    geometry: dict[str, Any],
    geoproperty: str | None = None,
) -> Any:
    if form == "get":
        params = {
            "type": entity_type,
            "georel": georel,
            "geometry": geometry["type"],
            "coordinates": json.dumps(geometry["coordinates"], separators=(",", ":")),
        }
        if geoproperty:
            params["geoproperty"] = geoproperty
        return query(ngsild, params)
    geo_q: dict[str, Any] = {
        "georel": georel,
        "geometry": geometry["type"],
        "coordinates": geometry["coordinates"],
    }
    if geoproperty:
        geo_q["geoproperty"] = geoproperty
    return query_post(ngsild, {"entities": [{"type": entity_type}], "geoQ": geo_q})


NEAR_MAX = [200, 1000, 2200, 5000, 9500, 20000]
NEAR_MIN = [200, 1000, 2200, 5000, 9500]


@requirement(
    "MIM1-GEO-001",
    clause="4.10",
    level="MUST",
    title="near;maxDistance==d selects the entities at most d metres from the reference Point",
)
@pytest.mark.parametrize("metres", NEAR_MAX)
@pytest.mark.parametrize("form", FORMS)
def test_near_max_distance(ngsild: Any, geodata: GeoData, form: str, metres: int) -> None:
    reference = point(*ORIGIN)
    resp = _geo_query(ngsild, form, geodata.near_type, f"near;maxDistance=={metres}", reference)
    expected = [n for n, g in geodata.near.items() if oracle.near(g, reference, max_m=metres)]
    same_ids(f"near;maxDistance=={metres}", ids_of(resp), geodata.ids_where(expected))


@requirement(
    "MIM1-GEO-002",
    clause="4.10",
    level="MUST",
    title="near;minDistance==d selects the entities at least d metres from the reference Point",
)
@pytest.mark.parametrize("metres", NEAR_MIN)
@pytest.mark.parametrize("form", FORMS)
def test_near_min_distance(ngsild: Any, geodata: GeoData, form: str, metres: int) -> None:
    reference = point(*ORIGIN)
    resp = _geo_query(ngsild, form, geodata.near_type, f"near;minDistance=={metres}", reference)
    expected = [n for n, g in geodata.near.items() if oracle.near(g, reference, min_m=metres)]
    same_ids(f"near;minDistance=={metres}", ids_of(resp), geodata.ids_where(expected))


def _topology(
    ngsild: Any,
    geodata: GeoData,
    form: str,
    georel: str,
    reference: dict[str, Any],
    geoproperty: str | None = None,
) -> None:
    resp = _geo_query(ngsild, form, geodata.shape_type, georel, reference, geoproperty)
    expected = [n for n, g in SHAPES.items() if oracle.relation(georel, g, reference)]
    same_ids(f"georel={georel} {reference['type']}", ids_of(resp), geodata.ids_where(expected))


@requirement(
    "MIM1-GEO-003",
    clause="4.10",
    level="MUST",
    title="within, contains, intersects, equals, disjoint and overlaps select entities by their "
    "topological relation to the reference geometry",
)
@pytest.mark.parametrize(("georel", "reference"), TOPOLOGY_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_topological_relations(
    ngsild: Any, geodata: GeoData, form: str, georel: str, reference: dict[str, Any]
) -> None:
    _topology(ngsild, geodata, form, georel, reference)


@requirement(
    "MIM1-GEO-004",
    clause="4.10",
    level="MUST",
    title="geoproperty names the GeoProperty a geo-query applies to (default: location)",
)
@pytest.mark.parametrize(
    ("georel", "reference"),
    [
        pytest.param("intersects", polygon(_square(1.99, 50.99, 2.06, 51.06)), id="intersects"),
        pytest.param("within", polygon(_square(1.85, 50.85, 2.50, 51.50)), id="within"),
    ],
)
@pytest.mark.parametrize("form", FORMS)
def test_geoproperty(
    ngsild: Any, geodata: GeoData, form: str, georel: str, reference: dict[str, Any]
) -> None:
    resp = _geo_query(ngsild, form, geodata.shape_type, georel, reference, "observationSpace")
    expected = [
        n
        for n, g in SHAPES.items()
        if oracle.relation(georel, json.loads(json.dumps(g).replace("41.", "51.")), reference)
    ]
    same_ids(f"geoproperty=observationSpace georel={georel}", ids_of(resp), geodata.ids_where(expected))


BAD_GEO = [
    pytest.param({"georel": "within"}, id="georel-without-geometry"),
    pytest.param({"georel": "within", "geometry": "Polygon"}, id="no-coordinates"),
    pytest.param({"georel": "nearby", "geometry": "Point", "coordinates": "[2,41]"}, id="unknown-georel"),
    pytest.param(
        {"georel": "near", "geometry": "Point", "coordinates": "[2,41]"}, id="near-without-distance"
    ),
    pytest.param(
        {"georel": "near;maxDistance==far", "geometry": "Point", "coordinates": "[2,41]"},
        id="distance-not-a-number",
    ),
    pytest.param({"georel": "within", "geometry": "Circle", "coordinates": "[2,41]"}, id="unknown-geometry"),
    pytest.param(
        {"georel": "intersects", "geometry": "Point", "coordinates": "[2,41"}, id="broken-coordinates"
    ),
    pytest.param(
        {"georel": "intersects", "geometry": "Polygon", "coordinates": "[2,41]"},
        id="coordinates-not-a-polygon",
    ),
]


@requirement(
    "MIM1-GEO-005",
    clause="5.7.2",
    level="MUST",
    title="A geo-query that is not valid (missing or unknown member, bad coordinates) answers 400 BadRequestData",
)
@pytest.mark.parametrize("params", BAD_GEO)
def test_bad_geo_query(ngsild: Any, geodata: GeoData, params: dict[str, str]) -> None:
    resp = query(ngsild, {"type": geodata.shape_type, **params})
    checks.ngsild_problem(resp, 400, "BadRequestData")
