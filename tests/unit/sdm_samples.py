"""A made-up Smart Data Models subject (dataModel.Mobility with one model, BikeRack) for the tests
of the model registry, `mimcheck models` and `mimcheck validate`: a schema that $refs the bundled
common schema and a shared schema of its own subject, a context.jsonld and a normalized example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHARED_ID = "https://smart-data-models.github.io/dataModel.Mobility/mobility-schema.json"
COMMON = "https://smart-data-models.github.io/data-models/common-schema.json#/definitions/"

SHARED = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SHARED_ID,
    "definitions": {"Capacity": {"type": "integer", "minimum": 0}},
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$schemaVersion": "0.0.1",
    "$id": "https://smart-data-models.github.io/dataModel.Mobility/BikeRack/schema.json",
    "title": "Bike rack",
    "type": "object",
    "required": ["id", "type", "capacity"],
    "allOf": [
        {"$ref": COMMON + "GSMA-Commons"},
        {"$ref": COMMON + "Location-Commons"},
        {
            "properties": {
                "type": {"type": "string", "enum": ["BikeRack"], "description": "Property. NGSI Entity type"},
                "capacity": {"$ref": SHARED_ID + "#/definitions/Capacity", "description": "Property. Bikes"},
                "refParkingSite": {
                    "type": "string",
                    "format": "uri",
                    "description": "Relationship. The site",
                },
            }
        },
    ],
}

CONTEXT = {
    "@context": {
        "BikeRack": "https://smartdatamodels.org/dataModel.Mobility/BikeRack",
        "capacity": "https://smartdatamodels.org/dataModel.Mobility/capacity",
        "refParkingSite": "https://smartdatamodels.org/dataModel.Mobility/refParkingSite",
    }
}

NORMALIZED = {
    "id": "urn:ngsi-ld:BikeRack:rack-1",
    "type": "BikeRack",
    "capacity": {"type": "Property", "value": 12},
    "dateCreated": {"type": "Property", "value": {"@type": "DateTime", "@value": "2024-01-01T00:00:00Z"}},
    "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [4.35, 50.85]}},
    "refParkingSite": {"type": "Relationship", "object": "urn:ngsi-ld:ParkingSite:site-1"},
    "@context": [
        "https://raw.githubusercontent.com/smart-data-models/dataModel.Mobility/master/context.jsonld"
    ],
}

KEY_VALUES = {
    "id": "urn:ngsi-ld:BikeRack:rack-2",
    "type": "BikeRack",
    "capacity": 8,
    "location": {"type": "Point", "coordinates": [4.36, 50.84]},
    "refParkingSite": "urn:ngsi-ld:ParkingSite:site-2",
}


def write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def make_subject(root: Path, *, shared: bool = True, normalized: bool = True) -> Path:
    """root/dataModel.Mobility: a clone-like subject folder; without ``shared`` its shared schema
    is missing (an unresolved $ref), without ``normalized`` only the keyValues example is there."""
    subject = root / "dataModel.Mobility"
    if shared:
        write(subject / "mobility-schema.json", SHARED)
    write(subject / "context.jsonld", CONTEXT)
    write(subject / "BikeRack" / "schema.json", SCHEMA)
    if normalized:
        write(subject / "BikeRack" / "examples" / "example-normalized.jsonld", NORMALIZED)
    write(subject / "BikeRack" / "examples" / "example.json", KEY_VALUES)
    return subject
