"""[notifications] mqtt_url: a real MQTT broker for the MQTT notification scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.profiles import ProfileError, load_profile

BASE = '[product]\nname="x"\n[mim1]\nbase_url="http://x"\n[notifications]\n'


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "target.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def test_mqtt_url_absent_means_embedded_broker(tmp_path: Path) -> None:
    assert load(tmp_path, BASE).notifications.mqtt_url is None


@pytest.mark.parametrize("url", ["mqtt://127.0.0.1:1883", "mqtts://broker.example.org:8883/"])
def test_mqtt_url_accepted(tmp_path: Path, url: str) -> None:
    assert load(tmp_path, BASE + f'mqtt_url = "{url}"\n').notifications.mqtt_url == url.rstrip("/")


@pytest.mark.parametrize(
    "value",
    [
        '"http://127.0.0.1:1883"',
        '"mqtt://127.0.0.1"',
        '"mqtt://127.0.0.1:1883/topic"',
        '"mqtt://:1883"',
        "1883",
    ],
)
def test_mqtt_url_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ProfileError) as err:
        load(tmp_path, BASE + f"mqtt_url = {value}\n")
    assert "notifications.mqtt_url" in str(err.value)
