"""The MIM3 TM Forum v5 package data and tables: requirement ids in MIM3-V5-001..060, one capability per
API, the @type discriminators followed by the schema checks, and (with REFERENCE_DATA) the derived data
and the fixtures matching the v5 OpenAPI files."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conformance.capabilities import CAPABILITIES
from conformance.mim3 import v5_cases
from conformance.tmf import v5_schema
from conformance.tmf.v5_resources import V5_APIS, V5_RESOURCES, v5_root

ROOT = Path(__file__).resolve().parents[2]


def test_requirement_ids_stay_in_the_given_range() -> None:
    ids = [v5_cases.requirement_id(api, family) for api in V5_APIS for family in v5_cases.FAMILIES]
    assert len(ids) == len(set(ids)) == 56
    assert all("MIM3-V5-001" <= i <= "MIM3-V5-060" for i in ids)


def test_every_v5_api_is_a_capability() -> None:
    for api in V5_APIS:
        assert api.capability in CAPABILITIES
        assert api.capability == f"{api.number}-v5"


def test_roots_default_and_profile() -> None:
    assert v5_root("https://h/tmf-api/", "tmf620-v5") == "https://h/tmf-api/productCatalogManagement/v5"
    assert v5_root("https://h/tmf-api", "tmf639-v5", {"tmf639-v5": "https://o/ri/v5/"}) == "https://o/ri/v5"


def test_profile_roots_accept_v5_capabilities() -> None:
    from conformance.profiles import parse_profile
    from conformance.tmf.v5_api import TmfV5

    roots = {"tmf620-v5": "https://cat.example.org/pcm/v5/", "tmf620": "https://cat.example.org/pcm/v4"}
    profile = parse_profile(
        {"product": {"name": "p"}, "mim3": {"base_url": "https://h/tmf-api", "roots": roots}}, "test.toml"
    )
    tmf = TmfV5(None, "https://h/tmf-api", roots=profile.tmf_roots)  # type: ignore[arg-type]  # no request
    assert tmf.collection("tmf620-v5", "category") == "https://cat.example.org/pcm/v5/category"
    assert (
        tmf.collection("tmf622-v5", "productOrder")
        == "https://h/tmf-api/productOrderingManagement/v5/productOrder"
    )


def test_mandatory_attributes_come_from_the_fvo_schemas() -> None:
    for resource in V5_RESOURCES:
        fvo = v5_schema.fvo_mandatory(resource.api.capability, resource.name)
        assert "@type" in resource.mandatory
        assert set(resource.mandatory) <= set(fvo)
        assert set(fvo) - set(resource.mandatory) <= {"lastUpdate", "lifecycleStatus"}


def test_fixtures_as_answers_conform() -> None:
    for resource in V5_RESOURCES:
        body = {**resource.body("x"), "id": "1", "href": "http://h/1"}
        for operation in ("create", "retrieve", "patch"):
            assert v5_schema.problems(resource.api.capability, resource.name, operation, body) == []
        assert v5_schema.problems(resource.api.capability, resource.name, "list", [body]) == []


def test_discriminator_picks_the_subtype() -> None:
    base = {"id": "1", "href": "http://h/1", "value": 5}
    # LogicalResource declares value as a string: checked when @type names it
    assert v5_schema.problems("tmf639-v5", "resource", "retrieve", {**base, "@type": "LogicalResource"})
    # an @type the mapping does not name is an extension: validated against Resource only
    assert v5_schema.problems("tmf639-v5", "resource", "retrieve", {**base, "@type": "ParkingSensor"}) == []
    # @type is required in every v5 response and Error
    assert v5_schema.problems("tmf620-v5", "productCatalog", "retrieve", {"id": "1", "name": "n"})
    assert v5_schema.error_problems("tmf620-v5", {"code": "404", "reason": "Not Found"})
    assert (
        v5_schema.error_problems("tmf620-v5", {"code": "404", "reason": "Not Found", "@type": "Error"}) == []
    )


def _reference_data() -> Path:
    folder = Path(os.environ.get("REFERENCE_DATA", "/nonexistent")) / "tmforum"
    if not folder.is_dir():
        pytest.skip("REFERENCE_DATA (TM Forum v5 OAS files) not available")
    return folder


def test_derived_data_is_up_to_date() -> None:
    folder = _reference_data()
    sys.path.insert(0, str(ROOT / "tests" / "tools"))
    try:
        import derive_tmf_v5
    finally:
        sys.path.pop(0)
    for capability, data in derive_tmf_v5.derive(str(folder)).items():
        stored = json.loads((ROOT / "conformance" / "data" / "tmf" / "v5" / f"{capability}.json").read_text())
        assert stored == json.loads(json.dumps(data)), capability


def test_fixtures_are_valid_create_bodies() -> None:
    """Every fixture conforms to the _FVO schema of its resource (the OAS files, with REFERENCE_DATA)."""
    folder = _reference_data()
    import yaml
    from jsonschema import Draft7Validator

    sys.path.insert(0, str(ROOT / "tests" / "tools"))
    try:
        import derive_tmf_v5 as derive
    finally:
        sys.path.pop(0)
    for api in V5_APIS:
        oas_file = next(folder.glob(f"{api.number.upper()}_*/*v5.*.oas.yaml"))
        schemas = yaml.load(oas_file.read_text(encoding="utf-8"), Loader=derive.LOADER)["components"][
            "schemas"
        ]
        resources = [r for r in V5_RESOURCES if r.api == api]
        data = derive.derive_file(oas_file, [r.name for r in resources])
        todo = {data["resources"][r.name]["fvo"] for r in resources}
        kept: set[str] = set()
        while todo:
            name = todo.pop()
            if name not in kept and name in schemas:
                kept.add(name)
                todo |= (derive._refs(schemas[name]) | set(derive._mapping(schemas[name]).values())) - kept
        definitions = {n: derive._clean(schemas[n], set()) for n in kept}
        for resource in resources:
            fvo = data["resources"][resource.name]["fvo"]
            validator = Draft7Validator({"$ref": f"#/definitions/{fvo}", "definitions": definitions})
            errors = [
                f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(resource.body("x"))
            ]
            assert errors == [], (resource.id, errors)


def test_preflight_probes_each_v5_api_at_its_root() -> None:
    from conformance.preflight import _tmf_urls, default_tmf_probes

    probes = default_tmf_probes()
    assert probes["tmf620-v5"] == "/productCatalogManagement/v5/productCatalog"
    assert probes["tmf620"] == "/productCatalogManagement/v4/catalog"
    base = "https://h/tmf-api"
    assert _tmf_urls(base, "tmf639-v5", probes["tmf639-v5"]) == [base + "/resourceInventory/v5/resource"]
    given = {"tmf639-v5": "https://inv.example.org/ri/v5"}
    assert _tmf_urls(base, "tmf639-v5", probes["tmf639-v5"], given) == [
        "https://inv.example.org/ri/v5/resource"
    ]


def test_roots_follow_the_server_url_of_each_v5_file() -> None:
    """The default root is the path of the OAS server URL without /tmf-api; where the file names no
    path (https://serverRoot), the v4 API name with v5 (ROOT_NOTES)."""
    from urllib.parse import urlsplit

    from conformance.tmf.v5_resources import ROOT_NOTES

    for api in V5_APIS:
        path = urlsplit(v5_schema.load(api.capability)["server"]).path.rstrip("/").removeprefix("/tmf-api")
        if path:
            assert api.root == path, api.capability
        else:
            assert api.capability in ROOT_NOTES and api.root.endswith("/v5")


def test_patches_carry_what_the_mvo_schema_requires() -> None:
    """Every _MVO (merge-patch) schema requires @type (TMF629 Customer_MVO also name and engagedParty):
    each patch the suite sends carries them, with the values sent on create."""
    for resource in V5_RESOURCES:
        sent = resource.body("x")
        body = v5_cases.patch_body(resource, sent, dict([resource.change]))
        assert body["@type"] == resource.type and body[resource.change[0]] == resource.change[1]
        for key in v5_schema.update_required(resource.api.capability, resource.name):
            assert body[key] == sent[key], (resource.id, key)
