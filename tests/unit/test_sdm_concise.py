"""sdm_forms.to_concise: the concise payload MIM2-SDM-008 sends (types left out, a GeoProperty with
nothing but its value a bare geometry), which reduces to the same keyValues as the normalized one."""

from __future__ import annotations

import pytest

from conformance import sdm, sdm_forms


@pytest.mark.parametrize("model", list(sdm.MODELS))
def test_concise_payload_reduces_like_the_normalized_one(model: str) -> None:
    entity = sdm.load_fixture(model, lambda kind: f"urn:ngsi-ld:{kind}:x")
    concise = sdm_forms.to_concise(entity)
    assert sdm_forms.to_key_values(concise)[1] == sdm.to_key_values(entity)
    for name, member in concise.items():
        if name not in sdm_forms.CORE_MEMBERS and isinstance(member, dict) and "value" in member:
            assert "type" not in member or member["type"] == "GeoProperty", name


def test_concise_shapes() -> None:
    entity = {
        "id": "urn:x:1",
        "type": "T",
        "p": {"type": "Property", "value": 1, "unitCode": "C", "sub": {"type": "Property", "value": "s"}},
        "r": {"type": "Relationship", "object": "urn:y:1"},
        "loc": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}},
        "seen": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}, "observedAt": "t"},
        "lang": {"type": "LanguageProperty", "languageMap": {"en": "a"}},
    }
    assert sdm_forms.to_concise(entity) == {
        "id": "urn:x:1",
        "type": "T",
        "p": {"value": 1, "unitCode": "C", "sub": {"value": "s"}},
        "r": {"object": "urn:y:1"},
        "loc": {"type": "Point", "coordinates": [1, 2]},
        "seen": entity["seen"],
        "lang": {"languageMap": {"en": "a"}},
    }
