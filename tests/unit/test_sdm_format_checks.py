"""How the "format" keyword of the Smart Data Models schemas is judged: strict (every format
jsonschema has a checker for, the default), lenient (date-time, date, time) or off; switched by
`mimcheck validate|audit --format-checks`, the profile's [mim2] format_checks, and recorded in the
certificate's model provenance. ipv4/ipv6 stay checked in every mode (oneOf discriminators)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from conformance import sdm, sdm_provenance, sdm_registry
from conformance.cli import main
from conformance.profiles import ProfileError, load_profile


@pytest.fixture(autouse=True)
def _user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sdm_registry.ENV_MODELS, str(tmp_path / "user-models"))


def _weather(**changes: Any) -> dict[str, Any]:
    models = sdm_registry.load()
    return {**sdm.to_key_values(models["WeatherObserved"].sample()), **changes}


BAD_DATE_TIME = {"dateObserved": "2016-13-45T07:00:00Z"}  # month 13
BAD_URI = {"image": "not a uri"}


@pytest.mark.parametrize(
    ("mode", "date_time_judged", "uri_judged"),
    [("strict", True, True), ("lenient", True, False), ("off", False, False)],
)
def test_each_mode(mode: str, date_time_judged: bool, uri_judged: bool) -> None:
    models = sdm_registry.load(format_checks=mode)
    assert models.validation_errors("WeatherObserved", _weather()) == [], "the sample is valid in every mode"
    errors = models.validation_errors("WeatherObserved", _weather(**BAD_DATE_TIME))
    assert bool(errors) is date_time_judged, errors
    if errors:
        assert errors == ["dateObserved: '2016-13-45T07:00:00Z' is not a 'date-time'"]
    place = {**sdm.to_key_values(models["PointOfInterest"].sample()), **BAD_URI}
    assert bool(models.validation_errors("PointOfInterest", place)) is uri_judged
    device = {**sdm.to_key_values(models["Device"].sample()), "ipAddress": ["192.168.1.1", "::1"]}
    assert models.validation_errors("Device", device) == [], "ipv4/ipv6 discriminate a oneOf in every mode"
    bad_ip = {**device, "ipAddress": ["not an address"]}
    assert models.validation_errors("Device", bad_ip), "neither ipv4 nor ipv6: no oneOf branch"


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="expected one of strict, lenient, off"):
        sdm_registry.load(format_checks="loose")


def _validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["validate", *args])
    return code, capsys.readouterr().out


def test_validate_switch_and_profile_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = tmp_path / "weather.json"
    payload.write_text(json.dumps(_weather(**BAD_DATE_TIME)), encoding="utf-8")
    code, out = _validate(capsys, str(payload))
    assert code == 1 and "is not a 'date-time'" in out, "strict by default"
    assert _validate(capsys, "--format-checks", "lenient", str(payload))[0] == 1
    assert _validate(capsys, "--format-checks", "off", str(payload))[0] == 0
    profile = tmp_path / "target.toml"
    profile.write_text(
        '[product]\nname = "x"\n[mim1]\nbase_url = "http://localhost:1"\n[mim2]\nformat_checks = "off"\n'
    )
    assert load_profile(str(profile)).format_checks == "off"
    assert _validate(capsys, "--target", str(profile), str(payload))[0] == 0, "the profile's key"
    code, _ = _validate(capsys, "--target", str(profile), "--format-checks", "strict", str(payload))
    assert code == 1, "the option wins over the profile"
    profile.write_text(
        '[product]\nname = "x"\n[mim1]\nbase_url = "http://localhost:1"\n[mim2]\nformat_checks = "loose"\n'
    )
    with pytest.raises(ProfileError, match="mim2.format_checks"):
        load_profile(str(profile))
    assert main(["validate", "--format-checks", "loose", str(payload)]) == 2


def test_audit_switch(httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    httpserver.expect_request("/ngsi-ld/v1/entities").respond_with_json([_weather(**BAD_DATE_TIME)])
    base = ["audit", "--target-url", httpserver.url_for("/"), "--model", "WeatherObserved", "--no-progress"]
    base += ["--forms", "normalized", "--out", str(tmp_path)]
    assert main(base) == 1, "strict by default"
    assert "is not a 'date-time'" in capsys.readouterr().out
    assert main([*base, "--format-checks", "off"]) == 0
    capsys.readouterr()


def test_provenance_records_the_mode() -> None:
    models = sdm_registry.load(format_checks="lenient")
    rows = sdm_provenance.provenance(models, ["WeatherObserved"])
    assert rows[0]["formatChecks"] == "lenient"
    assert sdm_provenance.models_of_run([], format_checks="off") == [], "no MIM2 case: no rows"


def test_models_check_is_list_check_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list", "--check-examples", "--format", "json"]) == 0
    listed = capsys.readouterr().out
    assert main(["models", "check", "--format", "json"]) == 0
    assert capsys.readouterr().out == listed


def test_the_mim2_scenarios_use_the_profile_key(tmp_path: Path) -> None:
    from conformance.mim2 import conftest

    profile = tmp_path / "target.toml"
    profile.write_text(
        '[product]\nname = "x"\n[mim1]\nbase_url = "http://localhost:1"\n[mim2]\nformat_checks = "off"\n'
    )

    class Config:
        stash = pytest.Stash()

        def getoption(self, name: str, default: Any = None) -> Any:
            return str(profile) if name == "--mim-profile" else default

    assert conftest.registry(Config()).format_checks == "off"  # type: ignore[arg-type]
