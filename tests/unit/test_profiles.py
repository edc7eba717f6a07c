from __future__ import annotations

from pathlib import Path

import pytest

from conformance.profiles import ProfileError, from_url, load_profile

GOOD = """
[product]
name = "Acme Broker"
vendor = "Acme"
version = "2.1"

[mim1]
base_url = "https://broker.example.org/"
tenant = "city"

[mim3]
base_url = "https://market.example.org/tmf-api"

[auth]
type = "bearer"
token_env = "ACME_TOKEN"

[headers]
X-Trace = "on"

[capabilities]
declared = ["ngsild-multi-tenancy", "tmf620"]

[notifications]
bind = "0.0.0.0:8765"
callback_url = "http://10.0.0.5:8765"
window_seconds = 3
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "target.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_complete_profile_loads(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD))
    assert profile.name == "Acme Broker"
    assert profile.base_url("mim1") == "https://broker.example.org"
    assert profile.base_url("mim2") == "https://broker.example.org"  # MIM2 rides on MIM1
    assert profile.base_url("mim3") == "https://market.example.org/tmf-api"
    assert profile.tenant == "city"
    assert profile.auth.type == "bearer" and profile.auth.token_env == "ACME_TOKEN"
    assert profile.declares("tmf620") and not profile.declares("tmf622")
    assert profile.notifications.bind_port == 8765
    assert profile.notifications.window_seconds == 3.0
    assert "ACME" not in str(profile.identity().values())


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('[product]\nname="x"\n[mim1]\nbase_url="ftp://x"', "mim1.base_url", "http"),
        ('[product]\nname="x"\n[mim1]\nbase_url="http://x"\nbaseurl="y"', "mim1.baseurl", "unknown key"),
        ('[mim1]\nbase_url="http://x"', "product.name", "required"),
        ('[product]\nname="x"', "mim1.base_url", "at least one"),
        ('[product]\nname="x"\n[mim1]\nbase_url="http://x"\n[auth]\ntype="magic"', "auth.type", "one of"),
        (
            '[product]\nname="x"\n[mim1]\nbase_url="http://x"\n[auth]\ntype="bearer"',
            "auth.token_env",
            "required",
        ),
        (
            '[product]\nname="x"\n[mim1]\nbase_url="http://x"\n[capabilities]\ndeclared=["tmf999"]',
            "capabilities.declared",
            "unknown capability 'tmf999'",
        ),
        (
            '[product]\nname="x"\n[mim1]\nbase_url="http://x"\n[capabilities]\ndeclared=["ngsild-geo-query"]',
            "capabilities.declared",
            "'ngsild-geo-query' is core in ETSI GS CIM 009 V1.8.1 (geo-queries, clause 4.10)",
        ),
        (
            '[product]\nname="x"\n[mim1]\nbase_url="http://x"\n[capabilities]\ndeclared=["ngsild-implicit-tenants"]',
            "capabilities.declared",
            "'ngsild-implicit-tenants' builds on 'ngsild-multi-tenancy'",
        ),
        (
            '[product]\nname="x"\n[mim1]\nbase_url="http://x"\n[notifications]\nbind="x"',
            "notifications.bind",
            "HOST:PORT",
        ),
        (
            '[product]\nname="x"\n[mim1]\nbase_url="http://x"\n[run]\ntimeout_seconds=-1',
            "run.timeout_seconds",
            "positive",
        ),
        (
            '[product]\nname="x"\n[mim1]\nbase_url="http://x"\n[headers]\nAuthorization="x"',
            "headers.Authorization",
            "[auth]",
        ),
        ("[product\n", "(syntax)", "not valid TOML"),
    ],
)
def test_an_invalid_profile_names_file_key_and_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    message = str(err.value)
    assert str(path) in message
    assert f"'{key}'" in message
    assert expected in message


def test_a_missing_file_says_where_to_look(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="example.toml"):
        load_profile(tmp_path / "nope.toml")


def test_target_url_shortcut() -> None:
    profile = from_url("http://localhost:1026/")
    assert profile.base_url("mim1") == "http://localhost:1026"
    assert profile.base_url("mim3") is None
    with pytest.raises(ProfileError):
        from_url("localhost:1026")


def test_shipped_example_profiles_are_valid() -> None:
    folder = Path(__file__).resolve().parents[2] / "profiles" / "targets"
    profiles = sorted(folder.glob("*.toml"))
    assert profiles, "profiles/targets/ should hold at least one example"
    for path in profiles:
        load_profile(path)
