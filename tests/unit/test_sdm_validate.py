"""`mimcheck validate FILE...`: payload files in every form and container (one entity, an array,
NDJSON, a GeoJSON FeatureCollection), the model from `type` or --model, text/JSON/JUnit output and
the exit codes 0 (all valid), 1 (some invalid), 2 (bad usage, one line, no traceback). The official
examples come from the shared reference data when REFERENCE_DATA points at it."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sdm_samples import KEY_VALUES, NORMALIZED, make_subject, write

from conformance import sdm_registry
from conformance.cli import main
from conformance.sdm_import import add

REFERENCE_DATA = os.environ.get("REFERENCE_DATA")
needs_reference_data = pytest.mark.skipif(
    not REFERENCE_DATA, reason="REFERENCE_DATA is not set: point it at the shared reference data"
)


@pytest.fixture(autouse=True)
def _user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user-models"
    monkeypatch.setenv(sdm_registry.ENV_MODELS, str(folder))
    return folder


def _examples(model_dir: str) -> list[str]:
    return sorted(
        str(p) for p in (Path(REFERENCE_DATA or "") / "smart-data-models" / model_dir / "examples").iterdir()
    )


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@needs_reference_data
@pytest.mark.parametrize("model_dir", ["dataModel.Parking/ParkingSpot", "dataModel.Weather/WeatherObserved"])
def test_official_examples_in_every_form_are_valid(
    model_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _examples(model_dir)
    code, out, _ = _run(capsys, "--format", "json", *files)
    assert code == 0, out
    report = json.loads(out)
    forms = {r["form"] for r in report["results"]}
    assert forms == {"keyValues", "normalized", "NGSI-v2 normalized"}, (
        "example(.jsonld), -normalized.jsonld/.json"
    )
    assert report["summary"] == {"entities": 4, "valid": 4, "invalid": 0, "skipped": 0}
    model = model_dir.split("/")[1]
    assert report["models"][model]["source"] == f"smart-data-models/{model_dir.split('/')[0]}"


@needs_reference_data
def test_an_official_example_that_breaks_its_schema_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    example = (
        Path(REFERENCE_DATA or "") / "smart-data-models/dataModel.Environment/AirQualityObserved/examples"
    )
    code, out, _ = _run(capsys, str(example / "example.json"))
    assert code == 1
    assert "INVALID" in out and "dateObserved: '2016-03-15T11:00:00' is not a 'date-time'" in out


def test_containers_forms_and_a_made_up_model(
    tmp_path: Path, _user_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add(make_subject(tmp_path / "src"), _user_folder)
    concise = {
        "id": "urn:ngsi-ld:BikeRack:c",
        "type": "BikeRack",
        "capacity": {"value": 4},
        "refParkingSite": {"object": "urn:s"},
    }
    array = write(tmp_path / "array.json", [NORMALIZED, KEY_VALUES, concise])
    lines = tmp_path / "entities.ndjson"
    lines.write_text(
        "\n".join(json.dumps(e) for e in (KEY_VALUES, {**KEY_VALUES, "capacity": "many"})) + "\n"
    )
    feature = {"type": "Feature", "id": "urn:ngsi-ld:BikeRack:f", "geometry": None, "properties": KEY_VALUES}
    features = write(tmp_path / "features.geojson", {"type": "FeatureCollection", "features": [feature]})
    code, out, _ = _run(capsys, "--format", "json", str(array), str(lines), str(features))
    assert code == 1, "the second NDJSON line is invalid"
    results = json.loads(out)["results"]
    assert [r["form"] for r in results] == [
        "normalized",
        "keyValues",
        "concise",
        "keyValues",
        "keyValues",
        "keyValues",
    ]
    assert [r["valid"] for r in results] == [True, True, True, True, False, True]
    assert results[4]["position"] == " line 2" and results[4]["errors"] == [
        "capacity: 'many' is not of type 'integer'"
    ]
    assert results[5]["id"] == "urn:ngsi-ld:BikeRack:f"
    code, out, _ = _run(capsys, str(array))
    assert code == 0 and out.splitlines()[-1] == "mimcheck: 3 entities: 3 valid, 0 invalid"


def test_junit_output(tmp_path: Path, _user_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add(make_subject(tmp_path / "src"), _user_folder)
    good = write(tmp_path / "good.json", KEY_VALUES)
    bad = write(tmp_path / "bad.json", [{**KEY_VALUES, "capacity": -2}, KEY_VALUES])
    code, out, _ = _run(capsys, "--format", "junit", str(good), str(bad))
    assert code == 1
    suites = ET.fromstring(out.split("?>", 1)[1])
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in suites] == [
        (str(good), "1", "0"),
        (str(bad), "2", "1"),
    ]
    failure = suites[1][0].find("failure")
    assert failure is not None and "capacity: -2 is less than the minimum of 0" in (failure.text or "")
    assert suites[1][0].get("classname") == "BikeRack"


def test_model_option_and_unknown_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    untyped = write(tmp_path / "untyped.json", {"id": "urn:x", "type": "Something", "status": "free"})
    code, out, err = _run(capsys, str(untyped))
    assert code == 2 and out == ""
    assert "no model for type 'Something'" in err and "--skip-unknown" in err and len(err.splitlines()) == 1
    code, out, _ = _run(capsys, "--skip-unknown", str(untyped))
    assert code == 0 and "SKIPPED" in out
    code, out, _ = _run(capsys, "--model", "ParkingSpot", str(untyped))
    assert code == 1 and "'category' is a required property" in out
    code, _, err = _run(capsys, "--model", "Nope", str(untyped))
    assert code == 2 and "no model 'Nope'" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        ("{not json", "not JSON"),
        ('{"id": "urn:x", "type": "ParkingSpot"}\n{oops\n', "line 2: not JSON"),
    ],
)
def test_bad_usage_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "payload.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, _, err = _run(capsys, str(path))
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_entity_named_by_iris_is_compacted_with_the_model_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a platform answers with the core @context only: the model's type and attributes in full."""
    from conformance import sdm

    entity = sdm.load_fixture("ParkingSpot", lambda kind: f"urn:ngsi-ld:{kind}:1")
    entity["type"] = "https://smartdatamodels.org/dataModel.Parking/ParkingSpot"
    entity["https://smartdatamodels.org/dataModel.Parking/category"] = entity.pop("category")
    code, out, _ = _run(capsys, str(write(tmp_path / "iris.json", entity)))
    assert code == 0, out
    del entity["https://smartdatamodels.org/dataModel.Parking/category"]
    code, out, _ = _run(capsys, str(write(tmp_path / "iris.json", entity)))
    assert code == 1 and "'category' is a required property" in out
