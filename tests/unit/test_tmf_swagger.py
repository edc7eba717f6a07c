"""The derived v4 swagger data (conformance/data/tmf/swagger) and the lenient response validation."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conformance import package_data
from conformance.tmf import swagger
from conformance.tmf.resources import RESOURCES


def test_every_resource_has_its_response_schemas_and_events() -> None:
    for resource in RESOURCES:
        api = resource.api.capability
        for operation in ("create", "retrieve", "list"):
            assert swagger.declares(api, resource.name, operation), (resource.id, operation)
        assert swagger.declares(api, resource.name, "patch") == resource.patchable, resource.id
        prefix = resource.name[0].upper() + resource.name[1:]
        assert prefix + "CreateEvent" in swagger.event_types(api, resource.name), resource.id


def test_null_members_count_as_absent_and_subtypes_are_extensions() -> None:
    body = {"@type": "Cash", "name": "n", "description": None, "statusReason": None}
    assert swagger.problems("tmf670", "paymentMethod", "retrieve", body) == []
    # the v4.0.0 enum of @type is lower case ("cash"): not a closed list
    assert swagger.problems("tmf670", "paymentMethod", "retrieve", {"@type": "MyWallet", "name": "n"}) == []


def test_a_broken_body_names_the_path_and_the_rule() -> None:
    found = swagger.problems("tmf670", "paymentMethod", "retrieve", {"@type": "Cash", "name": 5})
    assert found and found[0].startswith("$.name: breaks 'type'")
    found = swagger.problems(
        "tmf638", "service", "retrieve", {"startDate": "next Tuesday", "state": "active"}
    )
    assert any("$.startDate: breaks 'format'" in p for p in found)
    listed = swagger.problems("tmf629", "customer", "list", [{"name": "x"}, {"name": 1}])
    assert any(p.startswith("$[1].name") for p in listed)


def test_ref_or_value_given_by_value_needs_no_id() -> None:
    order = {"orderItem": [{"id": "1", "action": "add", "resource": {"name": "gateway"}}]}
    assert swagger.problems("tmf652", "resourceOrder", "create", order) == []


@pytest.mark.skipif(
    not os.environ.get("REFERENCE_DATA"),
    reason="REFERENCE_DATA is not set: point it at the shared reference data to re-derive the swagger data",
)
def test_the_data_files_are_derived_from_the_swaggers() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from derive_tmf_swagger import derive

    derived = derive(str(Path(os.environ["REFERENCE_DATA"]) / "tmforum"))
    for api, data in derived.items():
        stored = json.loads(
            package_data.path("data", "tmf", "swagger", f"{api}.json").read_text(encoding="utf-8")
        )
        assert stored == json.loads(json.dumps(data)), api
