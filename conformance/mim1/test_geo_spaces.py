"""MIM1 geospatial properties observationSpace and operationSpace (ETSI GS CIM 009 V1.8.1 clause
4.7; the Entity members of clause 5.2.4; geo-queries clause 4.10): they are GeoProperties, kept and
rendered like location, and a geo-query names them with ``geoproperty``.

Three entities hold their location, observationSpace and operationSpace at three places about 55 km
apart, each at another one, so that a geo-query on the wrong GeoProperty returns another entity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.api import GEOJSON, NgsiLdOps, made
from conformance.ngsild.payloads import geo, point, prop
from conformance.ngsild.query import ids_of, query, query_post, run_type, same_ids, shared_dataset
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.requirements import requirement
from conformance.run_ids import RunIds

SPACES = ("observationSpace", "operationSpace")
GEOPROPERTIES = ("location", *SPACES)
PLACES = {"A": (5.0, 45.0), "B": (5.0, 45.5), "C": (5.0, 46.0)}
# entity -> the place of location, observationSpace, operationSpace
LAYOUT = {"e1": "ABC", "e2": "BCA", "e3": "CAB"}


def _square(lon: float, lat: float, half: float) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


SHAPES = {
    "Point": point(5.2, 45.2),
    "LineString": {"type": "LineString", "coordinates": [[5.2, 45.2], [5.3, 45.3]]},
    "Polygon": _square(5.2, 45.2, 0.01),
}


@requirement(
    "MIM1-ENT-038",
    clause="4.7",
    level="MUST",
    title="observationSpace and operationSpace are kept and rendered as GeoProperties (normalized: "
    "type GeoProperty and the geometry; keyValues: the geometry; GeoJSON with geometryProperty: the "
    "Feature geometry)",
)
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("name", SPACES)
@pytest.mark.parametrize(
    "options",
    [
        pytest.param(None, id="normalized"),
        pytest.param("keyValues", id="keyValues"),
        pytest.param("geojson", id="geojson-geometryProperty"),
    ],
)
def test_space_representation(
    ngsild: NgsiLdOps, run_ids: RunIds, name: str, shape: str, options: str | None
) -> None:
    geometry = SHAPES[shape]
    entity = made(
        ngsild,
        {
            "id": run_ids.entity_id("MimSpace"),
            "type": "MimSpace",
            "location": geo(point(5.0, 45.0)),
            name: geo(geometry),
        },
    )
    if options == "geojson":  # clause 4.5.16: the Feature's geometry is the GeoProperty named
        resp = ngsild.retrieve(entity["id"], params={"geometryProperty": name}, accept=GEOJSON)
        checks.status_is(resp, 200)
        feature = checks.json_object(resp)
        checks.equal("GeoJSON type", feature.get("type"), "Feature")
        checks.same_value(f"Feature geometry (geometryProperty={name})", feature.get("geometry"), geometry)
        return
    resp = ngsild.retrieve(entity["id"], params={"options": options} if options else None)
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    got = checks.member("entity", body, name)
    if options == "keyValues":
        checks.same_value(f"{name} (keyValues)", got, geometry)
        return
    if not isinstance(got, dict):
        checks.fail(f"{name}: expected a GeoProperty object, got {got!r}")
    checks.equal(f"{name}.type", got.get("type"), "GeoProperty")
    checks.same_value(f"{name}.value", got.get("value"), geometry)


@dataclass
class SpaceData:
    entity_type: str
    ids: dict[str, str]

    def at(self, geoproperty: str, place: str) -> set[str]:
        column = GEOPROPERTIES.index(geoproperty)
        return {self.ids[e] for e, places in LAYOUT.items() if places[column] == place}


@pytest.fixture(scope="module")
def spaces(http: RecordingClient, profile: TargetProfile, run_ids: RunIds) -> Iterator[SpaceData]:
    entity_type = run_type(run_ids, "MimSpaces")
    ids = {name: f"urn:ngsi-ld:MimSpaces:{run_ids.next()}-{name}" for name in LAYOUT}
    entities = []
    for name, places in LAYOUT.items():
        entity: dict[str, Any] = {"id": ids[name], "type": entity_type, "rank": prop(1)}
        for geoproperty, place in zip(GEOPROPERTIES, places, strict=True):
            entity[geoproperty] = geo(point(*PLACES[place]))
        entities.append(entity)
    with shared_dataset(http, profile, entities):
        yield SpaceData(entity_type, ids)


GEOQUERIES = {
    "near": lambda lon, lat: ("near;maxDistance==5000", point(lon + 0.01, lat)),
    "within": lambda lon, lat: ("within", _square(lon, lat, 0.05)),
    "intersects": lambda lon, lat: ("intersects", _square(lon, lat, 0.05)),
}


@requirement(
    "MIM1-ENT-039",
    clause="4.7",
    level="MUST",
    title="A geo-query with geoproperty=observationSpace or operationSpace selects entities by that "
    "GeoProperty (not by location)",
)
@pytest.mark.parametrize("georel", list(GEOQUERIES))
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("geoproperty", SPACES)
@pytest.mark.parametrize("form", ["get", "post"])
def test_space_geoquery(
    ngsild: Any, spaces: SpaceData, form: str, geoproperty: str, place: str, georel: str
) -> None:
    relation, geometry = GEOQUERIES[georel](*PLACES[place])
    if form == "get":
        params = {
            "type": spaces.entity_type,
            "geoproperty": geoproperty,
            "georel": relation,
            "geometry": geometry["type"],
            "coordinates": json.dumps(geometry["coordinates"], separators=(",", ":")),
        }
        resp = query(ngsild, params)
    else:
        geo_q = {"georel": relation, "geometry": geometry["type"], "coordinates": geometry["coordinates"]}
        resp = query_post(
            ngsild,
            {"entities": [{"type": spaces.entity_type}], "geoQ": {**geo_q, "geoproperty": geoproperty}},
        )
    same_ids(
        f"geoproperty={geoproperty} georel={relation} at {place}", ids_of(resp), spaces.at(geoproperty, place)
    )
