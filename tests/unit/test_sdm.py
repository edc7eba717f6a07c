"""The suite's Smart Data Models material, offline: fixtures validate, the registry refuses unknown
URLs, the context copies are there, and the geometry check tells good from bad."""

from __future__ import annotations

import json

import pytest
from referencing.exceptions import Unresolvable

from conformance import checks, fixtures, sdm
from conformance.capabilities import CAPABILITIES
from conformance.ngsild.jsonld import Oracle


def _ids(kind: str) -> str:
    return f"urn:ngsi-ld:{kind}:unit-test"


@pytest.mark.parametrize("model", list(sdm.MODELS))
def test_every_fixture_validates_against_its_schema(model: str) -> None:
    entity = sdm.load_fixture(model, _ids)
    assert entity["type"] == model
    assert entity["id"] == _ids(model)
    assert "{" not in json.dumps(entity).replace('{"', "").replace("{}", ""), "a placeholder is left"
    assert sdm.validation_errors(model, sdm.to_key_values(entity)) == []


@pytest.mark.parametrize("model", list(sdm.MODELS))
def test_every_model_has_schema_context_and_capability(model: str) -> None:
    info = sdm.MODELS[model]
    assert info.capability in CAPABILITIES
    assert (sdm.SCHEMA_DIR / info.schema_file).is_file()
    assert (fixtures.root() / "contexts" / info.context_file).is_file()
    assert sdm.schema(model)["$id"].startswith("https://smart-data-models.github.io/")


def test_every_schema_is_registered_under_its_id_and_aliases() -> None:
    registry = sdm.registry()
    for file_name in sdm.SCHEMA_FILES.values():
        contents = json.loads((sdm.SCHEMA_DIR / file_name).read_text(encoding="utf-8"))
        assert registry.get_or_retrieve(contents["$id"]).value.contents == contents
    for alias in sdm.ALIASES:
        assert registry.get_or_retrieve(alias).value.contents["$id"].endswith("Environment-schema.json")
    listed = set(sdm.SCHEMA_FILES.values())
    on_disk = {p.name for p in sdm.SCHEMA_DIR.glob("*.json")}
    assert listed == on_disk, "a schema copy is not registered, or a registered one is missing"


def test_unknown_schema_url_is_refused_never_fetched() -> None:
    with pytest.raises(Unresolvable):
        sdm.registry().resolver().lookup("https://smart-data-models.github.io/dataModel.Unknown/schema.json")


def test_an_invalid_instance_is_reported() -> None:
    entity = sdm.to_key_values(sdm.load_fixture("ParkingSpot", _ids))
    entity["status"] = "FREE"
    del entity["category"]
    errors = sdm.validation_errors("ParkingSpot", entity)
    assert any(e.startswith("status:") for e in errors)
    assert any("category" in e for e in errors)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2016-03-15T11:00:00Z", True),
        ("2016-03-15T11:00:00.753+05:30", True),
        ("2016-03-15T11:00:00", False),
        ("2016-02-30T11:00:00Z", False),
        ("15/03/2016", False),
    ],
)
def test_date_time_format_is_asserted(value: str, ok: bool) -> None:
    assert sdm.format_checker().conforms(value, "date-time") is ok


def test_canonical_ignores_array_order_but_not_coordinates() -> None:
    assert sdm.canonical({"category": ["a", "b"]}) == sdm.canonical({"category": ["b", "a"]})
    point = {"type": "Point", "coordinates": [1.0, 2.0]}
    swapped = {"type": "Point", "coordinates": [2.0, 1.0]}
    assert sdm.canonical({"location": point}) != sdm.canonical({"location": swapped})


def test_relationships_and_locations_are_found() -> None:
    assert "ParkingSpot" in sdm.with_relationships()
    assert "NoiseLevelObserved" not in sdm.with_relationships()
    assert "Device" not in sdm.with_location()
    assert sdm.relationships(sdm.load_fixture("ParkingSpot", _ids)) == {"refParkingSite": _ids("ParkingSite")}


def test_normalized_ngsi_v2_relationship_is_simplified_to_its_value() -> None:
    v2 = {"id": "x", "type": "T", "refX": {"type": "Relationship", "value": "urn:y"}}
    assert sdm.to_key_values(v2)["refX"] == "urn:y"


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [-3.8, 43.4]},
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        {"type": "MultiLineString", "coordinates": [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]},
    ],
)
def test_valid_geojson_geometries_pass(geometry: dict) -> None:
    checks.geojson_geometry("location", geometry)


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point"},
        {"type": "Point", "coordinates": [-3.8]},
        {"type": "Point", "coordinates": [43.4, -200.0]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
        {"type": "Circle", "coordinates": [0, 0]},
        "POINT (0 0)",
    ],
)
def test_invalid_geojson_geometries_fail(geometry: object) -> None:
    with pytest.raises(checks.CheckFailed):
        checks.geojson_geometry("location", geometry)


@pytest.mark.parametrize("subject", sorted({m.context_file for m in sdm.MODELS.values()}))
def test_subject_contexts_expand_their_model_types_offline(subject: str) -> None:
    url = f"http://contexts.invalid/contexts/{subject}"
    document = json.loads((fixtures.root() / "contexts" / subject).read_text(encoding="utf-8"))
    oracle = Oracle({url: document})
    for model in (m for m in sdm.MODELS.values() if m.context_file == subject):
        assert oracle.expand_type(model.name, url).startswith("https://smartdatamodels.org/")
