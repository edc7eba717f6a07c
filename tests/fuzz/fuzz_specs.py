"""What the fuzzing driver (fuzz.py) knows of the specs: the spec files, where the reference serves each
API, the spec schemas corrected in memory or not checked (each with its reason), and how the
operations are loaded."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import schemathesis
import yaml

from conformance.tmf.api import API_ROOTS

ROOT = Path(__file__).resolve().parents[2]

# api -> (spec file below REFERENCE_DATA, base path the reference serves it at)
NGSILD_SPEC = "ngsi-ld/openapi/ngsi-ld-api-v1.8.1.yaml"
TMF_SPECS: dict[str, str] = {
    "tmf620": "TMF620_ProductCatalog/TMF620-ProductCatalog-v4.0.0.swagger.json",
    "tmf622": "TMF622_ProductOrder/TMF622-ProductOrder-v4.0.0.swagger.json",
    "tmf629": "TMF629_CustomerManagement/TMF629-Customer-v4.0.0.swagger.json",
    "tmf632": "TMF632_PartyManagement/TMF632-Party-v4.0.0.swagger.json",
    "tmf633": "TMF633_ServiceCatalog/TMF633-ServiceCatalog-v4.0.0.swagger.json",
    "tmf634": "TMF634_ResourceCatalog/TMF634-ResourceCatalog-v4.0.0.swagger.json",
    "tmf637": "TMF637_ProductInventory/TMF637-ProductInventory-v4.0.0.swagger.json",
    "tmf638": "TMF638_ServiceInventory/TMF638-ServiceInventory-v4.0.0.swagger.json",
    "tmf639": "TMF639_ResourceInventory/TMF639-ResourceInventory-v4.0.0.swagger.json",
    "tmf641": "TMF641_ServiceOrder/TMF641-Service_Ordering-v4.0.0.swagger.json",
    "tmf652": "TMF652_ResourceOrderManagement/TMF652-ResourceOrder-v4.0.0.swagger.json",
    "tmf670": "TMF670_PaymentMethods/TMF670-PaymentMethod-v4.0.0.swagger.json",
    "tmf676": "TMF676_PaymentManagement/TMF676-Payment-v4.0.0.swagger.json",
}
APIS = ["ngsild", *TMF_SPECS]

# (api, METHOD, path template) -> why the response schema check is not applied to that operation:
# the spec's own schema for the 2xx answer is not usable (explained per entry).
_IRI_NOT_URI = "the OpenAPI types the id of each entry (the expanded type or attribute name) as format uri (RFC 3986, ASCII only), but expanded JSON-LD names are IRIs and 4.6.2 allows names with non-ASCII letters (e.g. 'Caf\u00e9'): any such name fails the check"
SCHEMA_CHECK_EXCLUDED: dict[tuple[str, str, str], str] = {
    ("ngsild", "GET", "/jsonldContexts"): "the 200 schema is a oneOf of two arrays that both accept [] "
    "(an empty list is 'valid under more than one' and always fails), and its second branch is an "
    "array of LdContextMetadata, itself declared an array of objects: the details=true list of "
    "objects that 5.13.3.5 describes can never match",
    ("ngsild", "GET", "/types"): _IRI_NOT_URI,
    ("ngsild", "GET", "/types/{type}"): _IRI_NOT_URI,
    ("ngsild", "GET", "/attributes"): _IRI_NOT_URI,
    ("ngsild", "GET", "/attributes/{attrId}"): _IRI_NOT_URI,
}

# Values for path parameters when schemathesis cannot generate any (the NGSI-LD ids are URIs, and
# the URIs it generates hold characters that cannot go into a path segment: every example is
# filtered out, hypothesis reports Unsatisfiable). The driver creates these objects first.
FUZZ_ENTITY = "urn:ngsi-ld:FuzzThing:1"
PATH_VALUES: dict[str, list[str]] = {
    "entityId": [FUZZ_ENTITY, "urn:ngsi-ld:FuzzThing:absent"],
    "attrId": ["name", "https://uri.etsi.org/ngsi-ld/default-context/absent"],
    "instanceId": ["urn:ngsi-ld:Instance:absent"],
    "type": ["FuzzThing", "Absent"],
    "contextId": ["urn:ngsi-ld:absent-context"],
}
PATH_DEFAULT = ["urn:ngsi-ld:Fuzz:absent"]

NEGATIVE_SHARE = 0.3  # of each operation's examples, generated invalid on purpose
# APIs whose operations with a request body get no negative examples: schemathesis 4.32 spends minutes
# (unbounded, in its mutation-target walk) preparing invalid bodies for the deeply recursive NGSI-LD
# V1.8.1 schemas (Entity, Subscription, ...). Their query, path and header parameters still get
# negative examples where the operation has no body; bodies get positive ones only.
NO_NEGATIVE_BODIES = frozenset({"ngsild"})


def reference_data() -> Path:
    env = os.environ.get("REFERENCE_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "reference-data"


def spec_path(api: str, data: Path) -> Path:
    return data / NGSILD_SPEC if api == "ngsild" else data / "tmforum" / TMF_SPECS[api]


def api_base(api: str, base_url: str) -> str:
    base_url = base_url.rstrip("/")
    return base_url + ("/ngsi-ld/v1" if api == "ngsild" else "/tmf-api" + API_ROOTS[api])


def _drop_enum(definition: str, prop: str) -> Callable[[dict[str, Any]], None]:
    def patch(raw: dict[str, Any]) -> None:
        raw["definitions"][definition]["properties"][prop].pop("enum", None)

    return patch


# api -> in-memory corrections of a spec whose schemas contradict each other, and why.
def _temporal_geo_arrays(raw: dict[str, Any]) -> None:
    props = raw["components"]["schemas"]["EntityTemporal"]["properties"]
    for name in ("location", "observationSpace", "operationSpace"):
        props[name] = {"type": "array", "items": {"$ref": "#/components/schemas/GeoProperty"}}


SCHEMA_PATCHES: dict[str, list[tuple[Callable[[dict[str, Any]], None], str]]] = {
    "ngsild": [
        (
            _temporal_geo_arrays,
            "EntityTemporal declares location, observationSpace and operationSpace as one GeoProperty "
            "object, while its own description (5.2.20, 4.5.7) makes every attribute of the temporal "
            "representation an array of instances: they are checked as arrays of GeoProperty",
        )
    ],
    "tmf670": [
        (
            _drop_enum("PaymentMethod", "@type"),
            "PaymentMethod_Create and PaymentMethod_Update type @type as any string, PaymentMethod (the "
            "answer) as a 12-value enum: the server keeps the @type the client sent (TMF630), so the "
            "answer's enum is not checked",
        )
    ],
}


def load_operations(api: str, data: Path) -> list[Any]:
    path = spec_path(api, data)
    patches = SCHEMA_PATCHES.get(api)
    if patches:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
        for patch, _why in patches:
            patch(raw)
        schema = schemathesis.openapi.from_dict(raw)
    else:
        schema = schemathesis.openapi.from_path(str(path))
    return [result.ok() for result in schema.get_all_operations()]
