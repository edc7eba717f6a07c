"""Derive the per-API data files of the MIM3 TM Forum v5 cases (conformance/data/tmf/v5/<api>.json) from
the v5 OpenAPI 3 files of the shared reference data, so that neither the suite nor the reference reads
an OAS file at run time.

For each v5 file (TMF620, 622, 632, 634, 637, 638, 639 v5.0.0; TMF629 v5.0.1) it keeps:
- the server URL of the file, and for each covered resource its @type, the `required` list of its
  <Resource>_FVO create schema (merged along allOf), that of its merge-patch (<Resource>_MVO) schema
  (`update_required`: @type in every file) and the response schema of create (POST 201),
  list (GET 200), retrieve (GET 200) and patch (PATCH 200, application/json);
- the schema of the Error body, and every component schema these reach, as JSON Schema (draft 7):
  descriptions and examples dropped, `nullable` dropped (a null member counts as absent), oneOf made
  anyOf (the Ref and the value of a *RefOrValue both match an instance: the @type picks), @type,
  @baseType, @schemaLocation, @referredType plain strings;
- OpenAPI discriminators on @type as validation: a schema S with a mapping becomes
  allOf[S.base, if @type is T then the mapped schema] (S.base is S without the dispatch, and the allOf
  of a subtype refers to it, so a subtype that extends S never dispatches back to itself). A @type
  the mapping does not name is validated against S itself (TMF630 Part 2 type extension).

Usage: .venv/bin/python tests/tools/derive_tmf_v5.py /work/shared/reference-data/tmforum
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from conformance.tmf.v5_resources import V5_APIS, v5_resources_of

OUT = Path(__file__).resolve().parents[2] / "conformance" / "data" / "tmf" / "v5"
DROP = {"description", "example", "examples", "title", "nullable", "readOnly", "writeOnly", "deprecated"}
POLYMORPHISM = {"@type", "@baseType", "@schemaLocation", "@referredType"}
PREFIX = "#/components/schemas/"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when libyaml is there


def _ref_name(ref: str) -> str:
    return ref.removeprefix(PREFIX)


def _clean(node: Any, dispatching: set[str], in_all_of: bool = False) -> Any:
    if isinstance(node, list):
        return [_clean(n, dispatching, in_all_of) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in DROP or key == "discriminator":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(PREFIX):
            name = _ref_name(value)
            target = f"{name}.base" if in_all_of and name in dispatching else name
            out[key] = f"#/definitions/{target}"
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                prop: ({"type": "string"} if prop in POLYMORPHISM else _clean(schema, dispatching))
                for prop, schema in value.items()
            }
        elif key == "allOf":
            out[key] = [_clean(part, dispatching, in_all_of=True) for part in value]
        elif key == "oneOf":
            out["anyOf"] = _clean(value, dispatching)
        else:
            out[key] = _clean(value, dispatching)
    return out


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX):
            found.add(_ref_name(ref))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _mapping(schema: dict[str, Any]) -> dict[str, str]:
    mapping = (schema.get("discriminator") or {}).get("mapping") or {}
    return {str(t): _ref_name(str(r)) for t, r in mapping.items()}


def required_of(schemas: dict[str, Any], name: str) -> list[str]:
    """The required members of a component schema, merged along its allOf."""
    schema = schemas[name]
    out = list(schema.get("required", []))
    for part in schema.get("allOf", []):
        inner = required_of(schemas, _ref_name(part["$ref"])) if "$ref" in part else part.get("required", [])
        out += [r for r in inner if r not in out]
    return out


def _response_schema(components: dict[str, Any], response: dict[str, Any] | None) -> Any:
    if response is None:
        return None
    if "$ref" in response:
        response = components["responses"][response["$ref"].split("/")[-1]]
    return response.get("content", {}).get("application/json", {}).get("schema")


def _body_schema(components: dict[str, Any], body: dict[str, Any], media: str = "application/json") -> str:
    if "$ref" in body:
        body = components["requestBodies"][body["$ref"].split("/")[-1]]
    return _ref_name(body["content"][media]["schema"]["$ref"])


def derive_file(path: Path, names: list[str]) -> dict[str, Any]:
    oas = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
    components, paths = oas["components"], oas["paths"]
    schemas: dict[str, Any] = components["schemas"]
    resources: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for name in names:
        ops = {
            "create": (f"/{name}", "post", "201"),
            "list": (f"/{name}", "get", "200"),
            "retrieve": (f"/{name}/{{id}}", "get", "200"),
            "patch": (f"/{name}/{{id}}", "patch", "200"),
        }
        responses = {}
        for op, (where, method, status) in ops.items():
            operation = paths.get(where, {}).get(method)
            if operation is None:
                continue
            schema = _response_schema(components, operation["responses"].get(status))
            if schema is not None:
                responses[op] = schema
        fvo = _body_schema(components, paths[f"/{name}"]["post"]["requestBody"])
        resources[name] = {
            "type": fvo.removesuffix("_FVO"),
            "fvo": fvo,
            "mandatory": required_of(schemas, fvo),
        }
        patch = paths.get(f"/{name}/{{id}}", {}).get("patch")
        if patch is not None:
            mvo = _body_schema(components, patch["requestBody"], "application/merge-patch+json")
            resources[name]["mvo"] = mvo
            resources[name]["update_required"] = required_of(schemas, mvo)
        raw[name] = responses
    todo, kept = _refs(raw) | {"Error"}, set()
    while todo:
        name = todo.pop()
        if name in kept or name not in schemas:
            continue
        kept.add(name)
        todo |= (_refs(schemas[name]) | set(_mapping(schemas[name]).values())) - kept
    dispatching = {n for n in kept if any(target != n for target in _mapping(schemas[n]).values())}
    definitions: dict[str, Any] = {}
    for name in sorted(kept):
        cleaned = _clean(schemas[name], dispatching)
        if name not in dispatching:
            definitions[name] = cleaned
            continue
        definitions[f"{name}.base"] = cleaned
        branches: list[dict[str, Any]] = [{"$ref": f"#/definitions/{name}.base"}]
        for type_name, target in sorted(_mapping(schemas[name]).items()):
            if target != name and target in kept:
                branches.append(
                    {
                        "if": {"properties": {"@type": {"const": type_name}}, "required": ["@type"]},
                        "then": {"$ref": f"#/definitions/{target}"},
                    }
                )
        definitions[name] = {"allOf": branches}
    for name, responses in raw.items():
        resources[name]["responses"] = {op: _clean(s, dispatching) for op, s in responses.items()}
    server = (oas.get("servers") or [{}])[0]
    url = str(server.get("url", ""))
    for var, spec in (server.get("variables") or {}).items():
        url = url.replace("{" + var + "}", str(spec.get("default", "")))
    return {
        "source": path.name,
        "version": oas["info"]["version"],
        "server": url,
        "resources": resources,
        "error": {"$ref": "#/definitions/Error"},
        "definitions": definitions,
    }


def derive(root: str) -> dict[str, dict[str, Any]]:
    out = {}
    for api in V5_APIS:
        number = api.number.upper()
        folder = next(p for p in Path(root).iterdir() if p.name.upper().startswith(number + "_"))
        files = sorted(p for p in folder.glob("*.oas.yaml") if re.search(r"v5\.\d\.\d", p.name))
        if len(files) != 1:
            raise SystemExit(f"{folder}: expected one v5 OAS file, found {[p.name for p in files]}")
        data = derive_file(files[0], [r.name for r in v5_resources_of(api)])
        out[api.capability] = {"api": api.capability, **data}
    return out


def main(root: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for api, data in derive(root).items():
        target = OUT / f"{api}.json"
        target.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
        print(target, target.stat().st_size, data["source"], data["server"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference-data/tmforum")
