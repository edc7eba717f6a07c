"""`mimcheck models list --check-examples` (conformance/sdm_examples.py): each model's official
examples against its own schema, the broken ones with the JSON path of each error in the file; the
bundled examples are packaged (no reference data needed), an added model's come from its folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sdm_samples import KEY_VALUES, NORMALIZED, make_subject, write

from conformance import sdm, sdm_examples, sdm_registry
from conformance.cli import main
from conformance.sdm_import import add


@pytest.fixture(autouse=True)
def _user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user-models"
    monkeypatch.setenv(sdm_registry.ENV_MODELS, str(folder))
    return folder


def test_every_bundled_model_has_its_examples_packaged() -> None:
    models = sdm_registry.load()
    for name in sdm.MODELS:
        files = [p.name for p in sdm_examples.example_files(models[name])]
        assert files == [
            "example-normalized.json",
            "example-normalized.jsonld",
            "example.json",
            "example.jsonld",
        ]


def test_known_bad_bundled_examples_are_reported_with_json_paths() -> None:
    models = sdm_registry.load()
    by_file = {(r.model, r.file): r for n in sdm.MODELS for r in sdm_examples.check_model(models, n)}
    aqo = by_file[("AirQualityObserved", "example.json")]
    assert aqo.form == "keyValues"
    assert {e.split(":", 1)[0] for e in aqo.errors} == {"$.dateObserved", "$.tsp"}
    vehicle = by_file[("Vehicle", "example-normalized.jsonld")]
    assert vehicle.form == "normalized"
    assert {e.split(":", 1)[0] for e in vehicle.errors} == {
        "$.deviceBatteryStatus.value",
        "$.vehicleAltitude.value",
    }
    assert by_file[("PointOfInterest", "example.jsonld")].errors[0].startswith("$: not JSON")
    assert by_file[("ParkingSpot", "example-normalized.jsonld")].errors == []


def test_added_model_examples_checked_and_cli_lists_the_broken(
    tmp_path: Path, _user_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subject = make_subject(tmp_path)
    broken = {**NORMALIZED, "capacity": {"type": "Property", "value": -3}}
    write(subject / "BikeRack" / "examples" / "example-normalized.jsonld", broken)
    write(subject / "BikeRack" / "examples" / "example.json", [KEY_VALUES, {**KEY_VALUES, "capacity": "8"}])
    added = add(subject, _user_folder)
    assert [e.name for e in added.models] == ["BikeRack"]
    results = sdm_examples.check_model(sdm_registry.load(), "BikeRack")
    errors = {r.file: r.errors for r in results}
    assert errors["example-normalized.jsonld"] == ["$.capacity.value: -3 is less than the minimum of 0"]
    assert errors["example.json"] == ["$[1].capacity: '8' is not of type 'integer'"]
    assert main(["models", "list", "--check-examples"]) == 0
    out = capsys.readouterr().out
    assert "BikeRack: 0 of 2 examples valid, 2 break the schema" in out
    assert "    $.capacity.value: -3 is less than the minimum of 0" in out
    assert main(["models", "list", "--check-examples", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["examples"]
    assert {"model": "BikeRack", "file": "example.json", "form": "keyValues"}.items() <= next(
        r for r in listed if r["model"] == "BikeRack" and r["file"] == "example.json"
    ).items()
