"""The Smart Data Models registry and `mimcheck models`: the bundled models with their provenance,
a made-up model added from a clone-like folder, refs resolved offline or refused with a message
that names the missing file, the user folder and the profile's models_path."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sdm_samples import SHARED, SHARED_ID, make_subject, write

from conformance import sdm, sdm_forms, sdm_registry
from conformance.cli import main
from conformance.profiles import ProfileError, parse_profile
from conformance.sdm_import import add
from conformance.sdm_registry import ModelError


@pytest.fixture(autouse=True)
def _user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never the real user models folder."""
    folder = tmp_path / "user-models"
    monkeypatch.setenv(sdm_registry.ENV_MODELS, str(folder))
    return folder


def test_bundled_models_carry_their_provenance() -> None:
    models = sdm_registry.load()
    assert models.names() == list(sdm.MODELS)
    entry = models["ParkingSpot"]
    assert entry.bundled and entry.capability == "sdm-parking"
    assert entry.source == "smart-data-models/dataModel.Parking"
    assert entry.commit == "d49af3c051dfc06d08d43183d2a7a3586d2ba163"  # from conformance/data/sdm/NOTICE.md
    assert entry.schema_version == sdm.schema_version("ParkingSpot")
    assert len(entry.sha256) == 64
    assert models.context_files() == {}, "the bundled @contexts are served from the fixtures already"
    assert models.missing_refs("AirQualityObserved") == []


def test_added_model_gets_everything_a_bundled_one_has(tmp_path: Path, _user_folder: Path) -> None:
    added = add(make_subject(tmp_path), _user_folder)
    assert [e.name for e in added.models] == ["BikeRack"] and added.warnings == []
    models = sdm_registry.load()
    entry = models["BikeRack"]
    assert (entry.subject, entry.capability, entry.schema_version) == ("Mobility", "sdm-mobility", "0.0.1")
    assert entry.origin == str(_user_folder) and not entry.bundled
    assert models.context_files() == {"model-BikeRack.jsonld": _user_folder / "BikeRack" / "context.jsonld"}
    assert "BikeRack" in models.with_relationships() and "BikeRack" in models.with_location()
    fixture = json.loads(entry.fixture_path.read_text(encoding="utf-8"))
    assert fixture["id"] == "{id}" and "@context" not in fixture
    assert fixture["refParkingSite"]["object"] == "{ParkingSite}"
    assert fixture["dateCreated"]["value"] == "2024-01-01T00:00:00Z", "typed DateTime made a plain string"
    sample = entry.sample()
    assert models.validation_errors("BikeRack", sdm.to_key_values(sample)) == []
    bad = {**sdm.to_key_values(sample), "capacity": -1}  # the shared schema's minimum
    assert models.validation_errors("BikeRack", bad) == ["capacity: -1 is less than the minimum of 0"]
    assert models.for_type("https://smartdatamodels.org/dataModel.Mobility/BikeRack") == "BikeRack"


def test_a_model_with_only_a_key_values_example_is_normalized_from_its_schema(tmp_path: Path) -> None:
    into = tmp_path / "models"
    add(make_subject(tmp_path, normalized=False) / "BikeRack", into)
    fixture = json.loads((into / "BikeRack" / "normalized.json").read_text(encoding="utf-8"))
    assert fixture["refParkingSite"] == {"type": "Relationship", "object": "{ParkingSite}"}
    assert fixture["location"]["type"] == "GeoProperty"
    assert fixture["capacity"] == {"type": "Property", "value": 8}


def test_unresolved_ref_refuses_the_model_and_names_the_file(tmp_path: Path, _user_folder: Path) -> None:
    with pytest.raises(ModelError) as caught:
        add(make_subject(tmp_path, shared=False), _user_folder)
    assert SHARED_ID in str(caught.value) and "mimcheck models add" in str(caught.value)
    assert not (_user_folder / "BikeRack").exists(), "nothing half-added"
    # adding the shared schema first makes the model resolve
    shared = write(tmp_path / "mobility-schema.json", SHARED)
    assert add(shared, _user_folder).schemas == [_user_folder / "schemas" / "mobility-schema.json"]
    assert [e.name for e in add(tmp_path / "dataModel.Mobility", _user_folder).models] == ["BikeRack"]
    assert sdm_registry.load().missing_refs("BikeRack") == []


def test_validation_refuses_a_ref_no_local_file_holds(tmp_path: Path) -> None:
    """A folder written by hand (no `models add` check): the $ref fails at validation with the message."""
    into = tmp_path / "models"
    add(make_subject(tmp_path), into)
    for path in (into / "BikeRack" / "schemas").glob("*.json"):
        path.unlink()
    models = sdm_registry.load([into])
    with pytest.raises(ModelError, match="mobility-schema.json.*nothing is fetched"):
        models.validation_errors("BikeRack", {"id": "urn:x", "type": "BikeRack", "capacity": 1})


def test_names_are_unique(tmp_path: Path, _user_folder: Path) -> None:
    subject = make_subject(tmp_path)
    add(subject, _user_folder)
    with pytest.raises(ModelError, match="already in"):
        add(subject, _user_folder)
    assert add(subject, _user_folder, replace=True).models[0].name == "BikeRack"
    parking = tmp_path / "dataModel.Parking" / "ParkingSpot"
    write(parking / "schema.json", sdm.schema("ParkingSpot"))
    write(
        parking / "examples" / "example-normalized.jsonld",
        sdm.load_fixture("ParkingSpot", lambda t: f"urn:{t}"),
    )
    write(parking.parent / "context.jsonld", {"@context": {}})
    with pytest.raises(ModelError, match="already bundled"):
        add(parking, _user_folder)
    other = tmp_path / "other"
    add(subject, other)
    with pytest.raises(ModelError, match="already in"):
        sdm_registry.load([other])


def test_clone_commit_and_source_without_credentials(tmp_path: Path, _user_folder: Path) -> None:
    subject = make_subject(tmp_path)
    git = ["git", "-C", str(subject), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run(
        [*git, "remote", "add", "origin", "https://user:secret@example.org/dataModel.Mobility"], check=True
    )
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "m"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    entry = add(subject, _user_folder).models[0]
    assert entry.commit == head
    assert entry.source == "https://example.org/dataModel.Mobility", "no credentials kept"


def test_models_cli_add_list_remove(
    tmp_path: Path, _user_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "add", str(make_subject(tmp_path))]) == 0
    assert "added BikeRack" in capsys.readouterr().out
    assert main(["models", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    row = next(m for m in listed["models"] if m["name"] == "BikeRack")
    assert (
        row["schemaVersion"] == "0.0.1"
        and len(row["sha256"]) == 64
        and row["source"].endswith("dataModel.Mobility")
    )
    assert main(["models", "list"]) == 0
    text = capsys.readouterr().out
    assert "BikeRack" in text and "ParkingSpot" in text and "d49af3c051df" in text
    assert main(["models", "remove", "BikeRack"]) == 0
    assert main(["models", "remove", "ParkingSpot"]) == 2
    assert main(["models", "add", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "nowhere: no such file or folder" in err and "Traceback" not in err


def test_profile_models_path_and_the_capability_of_a_new_subject(tmp_path: Path) -> None:
    add(make_subject(tmp_path), tmp_path / "profile-models")
    profile_file = tmp_path / "p.toml"
    profile_file.write_text("", encoding="utf-8")
    data = {
        "product": {"name": "x"},
        "mim1": {"base_url": "http://127.0.0.1:1"},
        "mim2": {"models_path": "profile-models"},
        "capabilities": {"declared": ["sdm-parking", "sdm-mobility"]},
    }
    profile = parse_profile(data, str(profile_file))
    assert profile.models_paths == (str((tmp_path / "profile-models").resolve()),)
    assert sdm_registry.load(profile.models_paths)["BikeRack"].origin == profile.models_paths[0]
    without = {**data, "mim2": {}}
    with pytest.raises(ProfileError, match="unknown capability 'sdm-mobility'"):
        parse_profile(without, str(profile_file))
    with pytest.raises(ProfileError, match="models_path"):
        parse_profile({**data, "mim2": {"models_path": 3}}, str(profile_file))


def test_forms_read_each_attribute_by_its_shape() -> None:
    concise = {
        "id": "urn:x",
        "type": "T",
        "a": {"value": 1, "unitCode": "C"},
        "r": {"object": "urn:y"},
        "k": [1, 2],
        "loc": {"type": "Point", "coordinates": [1, 2]},
        "multi": [{"type": "Property", "value": 2, "datasetId": "urn:d"}, {"type": "Property", "value": 3}],
    }
    form, simplified = sdm_forms.to_key_values(concise)
    assert form == "concise"
    assert simplified == {
        "id": "urn:x",
        "type": "T",
        "a": 1,
        "r": "urn:y",
        "k": [1, 2],
        "loc": {"type": "Point", "coordinates": [1, 2]},
        "multi": 3,
    }
    assert sdm_forms.to_key_values({"id": "urn:x", "type": "T", "a": {"value": 1}}, "keyValues")[1]["a"] == {
        "value": 1
    }


def test_an_added_model_gets_every_mim2_scenario(tmp_path: Path, _user_folder: Path) -> None:
    """No code change: the cases are parametrised from the registry at collection."""
    from conformance.cli import collect_catalogue

    before = {e["id"]: e["cases"] for e in collect_catalogue(["mim2"])}
    add(make_subject(tmp_path), _user_folder)
    after = {e["id"]: e["cases"] for e in collect_catalogue(["mim2"])}
    for requirement, cases in after.items():
        added = sorted(set(cases) - set(before[requirement]))
        assert added and all("[BikeRack" in case for case in added), requirement
        assert set(before[requirement]) <= set(cases), "the bundled models' case ids are unchanged"
    assert "MIM2-SDM-005[BikeRack]" in after["MIM2-SDM-005"]
    assert len(after["MIM2-SDM-007"]) == len(before["MIM2-SDM-007"]) + 3


def test_a_standalone_model_folder(tmp_path: Path, _user_folder: Path) -> None:
    """schema.json, the example beside it, its own context.jsonld and schemas/; subject from the $id."""
    from sdm_samples import CONTEXT, NORMALIZED, SCHEMA

    folder = tmp_path / "BikeRack"
    write(folder / "schema.json", SCHEMA)
    write(folder / "example-normalized.jsonld", NORMALIZED)
    write(folder / "context.jsonld", CONTEXT)
    write(folder / "schemas" / "mobility-schema.json", SHARED)
    entry = add(folder, _user_folder).models[0]
    assert (entry.name, entry.subject) == ("BikeRack", "Mobility")
    assert [p.name for p in entry.shared] == ["mobility-schema.json"]
    assert sdm_registry.load().validation_errors("BikeRack", sdm.to_key_values(entry.sample())) == []


def test_a_clone_with_bundled_models_adds_the_others(tmp_path: Path, _user_folder: Path) -> None:
    subject = make_subject(tmp_path)
    write(subject / "ParkingSpot" / "schema.json", sdm.schema("ParkingSpot"))
    added = add(subject, _user_folder)
    assert [e.name for e in added.models] == ["BikeRack"]
    assert added.warnings == ["ParkingSpot: skipped, bundled with the suite (pinned in conformance/data/sdm)"]
