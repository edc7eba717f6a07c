"""Derive the small per-API data files the MIM3 suite reads (conformance/data/tmf/swagger/<api>.json)
from the TM Forum v4 swaggers of the shared reference data, so the suite never reads a swagger at run time.

For each v4 swagger file of an API (an API may have two v4 files: each is kept as a variant), it keeps:
- the response schema of create (POST 201), list (GET 200), retrieve (GET 200) and patch (PATCH 200) of
  every resource the suite covers, and the definitions they reach, without descriptions and examples;
  the polymorphism attributes (@type, @baseType, @schemaLocation, @referredType) reduced to strings
  (a v4 swagger's enum on @type does not close the type extension TMF630 Part 2 allows);
- of a *RefOrValue definition, id and href are not required: TMF630 Part 2 lets the entity be given by
  value, which has neither (several v4 files require both, e.g. TMF652 ResourceRefOrValue);
- the event types the swagger's /listener paths list, by the resource their payload carries.

Usage: .venv/bin/python tests/tools/derive_tmf_swagger.py /work/shared/reference-data/tmforum
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from conformance.tmf.resources import APIS, resources_of

OUT = Path(__file__).resolve().parents[2] / "conformance" / "data" / "tmf" / "swagger"
DROP = {"description", "example", "examples", "discriminator", "title"}
POLYMORPHISM = {"@type", "@baseType", "@schemaLocation", "@referredType"}


def _clean(node: Any) -> Any:
    if isinstance(node, list):
        return [_clean(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROP:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {
                name: ({"type": "string"} if name in POLYMORPHISM else _clean(schema))
                for name, schema in value.items()
            }
        else:
            out[key] = _clean(value)
    return out


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            found.add(ref.split("/")[-1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _variant(path: Path, names: list[str]) -> dict[str, Any]:
    swagger = json.loads(path.read_text(encoding="utf-8"))
    paths, definitions = swagger["paths"], swagger["definitions"]
    responses: dict[str, dict[str, Any]] = {}
    for name in names:
        ops = {
            "create": (f"/{name}", "post", "201"),
            "list": (f"/{name}", "get", "200"),
            "retrieve": (f"/{name}/{{id}}", "get", "200"),
            "patch": (f"/{name}/{{id}}", "patch", "200"),
        }
        responses[name] = {}
        for op, (where, method, status) in ops.items():
            schema = paths.get(where, {}).get(method, {}).get("responses", {}).get(status, {}).get("schema")
            if schema is not None:
                responses[name][op] = _clean(schema)
    todo, kept = set(_refs(responses)), {}
    while todo:
        name = todo.pop()
        if name in kept or name not in definitions:
            continue
        kept[name] = _clean(definitions[name])
        if name.endswith("RefOrValue") and "required" in kept[name]:
            required = [r for r in kept[name]["required"] if r not in ("id", "href")]
            if required:
                kept[name]["required"] = required
            else:
                del kept[name]["required"]
        todo |= _refs(kept[name]) - set(kept)
    events: dict[str, list[str]] = {name: [] for name in names}
    for where in paths:
        match = re.fullmatch(r"/listener/(\w+Event)", where)
        if not match:
            continue
        event = match.group(1)[0].upper() + match.group(1)[1:]
        payload = definitions.get(event, {}).get("properties", {}).get("event", {}).get("$ref", "")
        for key in definitions.get(payload.split("/")[-1], {}).get("properties", {}):
            if key in events:
                events[key].append(event)
    return {
        "source": path.name,
        "basePath": swagger.get("basePath"),
        "responses": responses,
        "events": events,
        "definitions": dict(sorted(kept.items())),
    }


def derive(root: str) -> dict[str, dict[str, Any]]:
    """api capability -> the content of its data file, from the swaggers under root."""
    out = {}
    for api in APIS:
        number = api.capability.upper()
        folder = next(p for p in Path(root).iterdir() if p.name.upper().startswith(number + "_"))
        files = sorted(p for p in folder.glob("*.json") if re.search(r"v4\.\d\.\d", p.name))
        names = [r.name for r in resources_of(api)]
        out[api.capability] = {"api": api.capability, "variants": [_variant(p, names) for p in files]}
    return out


def main(root: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for api, data in derive(root).items():
        target = OUT / f"{api}.json"
        target.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        print(target, target.stat().st_size, [v["source"] for v in data["variants"]])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference-data/tmforum")
