"""[mim3.roots]: one TM Forum API's root given in the profile overrides its default root below the
[mim3] base_url, for the scenarios (conformance/tmf/api.py), the preflight and the trusted origins."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.preflight import _tmf_urls
from conformance.profiles import ProfileError, parse_profile
from conformance.tmf.api import Tmf, root_candidates

BASE = "https://tmf.example.org/tmf-api"
INVENTORY = "https://inventory.example.org/serviceInventoryManagement/v4"


def _profile(mim3: dict[str, Any]) -> Any:
    return parse_profile({"product": {"name": "p"}, "mim3": mim3}, "test.toml")


def test_roots_override_one_api() -> None:
    profile = _profile({"base_url": BASE, "roots": {"tmf638": INVENTORY + "/"}})
    assert profile.tmf_roots == {"tmf638": INVENTORY}
    assert root_candidates(BASE, "tmf638", profile.tmf_roots) == [INVENTORY]
    assert root_candidates(BASE, "tmf620", profile.tmf_roots) == [BASE + "/productCatalogManagement/v4"]
    tmf = Tmf(None, BASE, roots=profile.tmf_roots)  # type: ignore[arg-type]  # no request needed
    assert tmf.collection("tmf638", "service") == INVENTORY + "/service"
    assert tmf.item("tmf638", "service", "42") == INVENTORY + "/service/42"
    # a root given for TMF676 replaces both of its candidate roots
    assert root_candidates(BASE, "tmf676", {"tmf676": "https://pay.example.org/p/v4"}) == [
        "https://pay.example.org/p/v4"
    ]


def test_preflight_probes_the_given_root_and_the_client_trusts_it() -> None:
    profile = _profile({"base_url": BASE, "roots": {"tmf638": INVENTORY}})
    assert _tmf_urls(BASE, "tmf638", "/serviceInventory/v4/service", profile.tmf_roots) == [
        INVENTORY + "/service"
    ]
    assert _tmf_urls(BASE, "tmf638", "/serviceInventory/v4/service") == [
        BASE + "/serviceInventory/v4/service"
    ]
    assert INVENTORY in profile.trusted_urls() and BASE in profile.trusted_urls()
    assert profile.identity()["mim3_roots"] == {"tmf638": INVENTORY}


@pytest.mark.parametrize(
    ("mim3", "where"),
    [
        ({"base_url": BASE, "roots": {"serviceInventory": INVENTORY}}, "mim3.roots.serviceInventory"),
        ({"base_url": BASE, "roots": {"tmf638": "ftp://x/y"}}, "mim3.roots.tmf638"),
        ({"base_url": BASE, "roots": "https://x/y"}, "mim3.roots"),
        ({"roots": {"tmf638": INVENTORY}}, "mim3.base_url"),
    ],
)
def test_bad_roots_are_refused(mim3: dict[str, Any], where: str) -> None:
    with pytest.raises(ProfileError) as raised:
        _profile(mim3)
    assert where in str(raised.value)


def test_no_roots_is_the_default() -> None:
    profile = _profile({"base_url": BASE})
    assert profile.tmf_roots == {} and "mim3_roots" not in profile.identity()
