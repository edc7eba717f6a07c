"""What the suite reads at run time is package data, found wherever the suite is installed (not
relative to a checkout or the working directory), and the embedded reference's profile is the one
the reference publishes itself."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import conformance
from conformance import fixtures, sdm
from conformance.embedded import EmbeddedStartError, reference_profile_toml
from conformance.profiles import parse_profile

PACKAGE = Path(conformance.__file__).resolve().parent


def test_fixtures_are_package_data_of_the_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fixtures.ENV_FIXTURES, raising=False)
    monkeypatch.chdir(tmp_path)
    assert fixtures.root().resolve() == PACKAGE / "data" / "fixtures"
    for folder in ("models", "contexts", "tmf"):
        assert (fixtures.root() / folder).is_dir(), folder
    for name in sdm.MODELS:  # every model's payload is there
        assert sdm.load_fixture(name, lambda entity_type: f"urn:ngsi-ld:{entity_type}:x")["type"] == name
    assert sdm.SCHEMA_DIR.resolve() == PACKAGE / "data" / "sdm"


def test_mimcheck_fixtures_names_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tmf").mkdir()
    (tmp_path / "tmf" / "x.json").write_text('{"name": "{name}"}', encoding="utf-8")
    monkeypatch.setenv(fixtures.ENV_FIXTURES, str(tmp_path))
    assert fixtures.root() == tmp_path
    assert fixtures.load("tmf/x.json", name="n") == {"name": "n"}
    with pytest.raises(FileNotFoundError, match=fixtures.ENV_FIXTURES):
        fixtures.load("models/ParkingSpot/normalized.json")


def test_the_reference_publishes_its_own_profile_for_any_base_url(tmp_path: Path) -> None:
    reference_version = subprocess.run(  # (in a child: tests/reference would shadow the package here)
        [sys.executable, "-c", "import reference; print(reference.__version__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    text = reference_profile_toml("http://127.0.0.1:8123/")
    profile = parse_profile(tomllib.loads(text), "reference --print-profile")
    assert profile.base_url("mim1") == "http://127.0.0.1:8123"
    assert profile.base_url("mim3") == "http://127.0.0.1:8123/tmf-api"
    assert profile.version == reference_version
    assert profile.declares("ngsild-temporal") and profile.declares("tmf620")
    assert "{base_url}" not in text and "{version}" not in text


def test_a_refused_base_url_is_an_embedded_start_error() -> None:
    with pytest.raises(EmbeddedStartError, match="not a usable base URL"):
        reference_profile_toml('http://127.0.0.1:1/"')


def test_the_suite_does_not_import_the_reference() -> None:
    code = (
        "import sys, conformance.cli, conformance.embedded, conformance.load, conformance.plugin; "
        "print(sorted(m for m in sys.modules if m == 'reference' or m.startswith('reference.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
