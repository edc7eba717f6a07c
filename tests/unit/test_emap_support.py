"""The EntityMap scenarios' helpers: the map id a NGSILD-EntityMap header names, and what a map lists for
an entity under either reading of clause 5.2.39's "@none" sentence."""

from __future__ import annotations

import pytest

from conformance.mim1.dynamics.emap_support import instant, map_id_of, map_path, sources_of


@pytest.mark.parametrize(
    "value",
    [
        "/ngsi-ld/v1/entityMap/urn:ngsi-ld:EntityMap:1",
        "http://broker:1026/ngsi-ld/v1/entityMap/urn%3Angsi-ld%3AEntityMap%3A1",
        " urn:ngsi-ld:EntityMap:1 ",
        "https://broker/ngsi-ld/v1/entityMap/urn:ngsi-ld:EntityMap:1/",
    ],
)
def test_map_id_of_every_header_form(value: str) -> None:
    assert map_id_of(value) == "urn:ngsi-ld:EntityMap:1"


def test_map_path_keeps_the_urn_readable() -> None:
    assert map_path("urn:ngsi-ld:EntityMap:a b") == "/ngsi-ld/v1/entityMap/urn:ngsi-ld:EntityMap:a%20b"


def test_sources_of_reads_both_forms_of_local() -> None:
    entries = {"urn:e:1": ["@none", "urn:reg:1"], "urn:e:2": ["urn:reg:2"], "@none": ["urn:e:2", "urn:e:3"]}
    assert sources_of(entries, "urn:e:1") == ["@none", "urn:reg:1"]
    assert sources_of(entries, "urn:e:2") == ["urn:reg:2", "@none"]
    assert sources_of(entries, "urn:e:3") == ["@none"]
    assert sources_of(entries, "urn:e:4") == []
    assert sources_of({"urn:e:1": "not a list"}, "urn:e:1") == []


def test_instant() -> None:
    assert instant("2030-01-01T00:00:00Z") == instant("2030-01-01T01:00:00+01:00")
    assert instant("2030-01-01") is None and instant(5) is None and instant("2030-01-01Tx") is None
