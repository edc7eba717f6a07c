"""``mimcheck validate FILE...``: offline validation of Smart Data Models payload files.

A file holds one entity (JSON or JSON-LD), an array of entities, a GeoJSON Feature or
FeatureCollection (clause 4.5.16), or one entity a line (NDJSON: ``.ndjson``/``.jsonl``, or any
file whose content is not one JSON document); ``-`` reads standard input. Every entity, in any
form, is converted to keyValues (conformance/sdm_forms.py) and validated against the schema of the
model its ``type`` names (or ``--model``), with the registry of conformance/sdm_registry.py.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from conformance import sdm_forms
from conformance.sdm_names import ModelNames
from conformance.sdm_registry import ModelEntry, ModelError, Models

NDJSON_SUFFIXES = (".ndjson", ".jsonl")


class PayloadError(Exception):
    """A file cannot be read as payloads (missing, not JSON): one line for the user."""


@dataclass
class Result:
    file: str
    position: str  # "#3" (array index, from 1) or "line 4" (NDJSON)
    entity_id: Any
    entity_type: Any
    model: str | None
    schema_version: str | None = None
    form: str | None = None
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the entity was not validated

    @property
    def valid(self) -> bool:
        return self.skipped is None and not self.errors

    @property
    def where(self) -> str:
        return f"{self.file}{self.position}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "position": self.position,
            "id": self.entity_id,
            "type": self.entity_type,
            "model": self.model,
            "schemaVersion": self.schema_version,
            "form": self.form,
            "valid": self.valid,
            "skipped": self.skipped,
            "errors": self.errors,
        }


def _lines(name: str, lines: Iterable[str]) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                yield f" line {number}", json.loads(line)
            except ValueError as exc:
                raise PayloadError(f"{name} line {number}: not JSON ({exc})") from None


def _entities(document: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        document = document.get("features", [])
    if isinstance(document, dict) and isinstance(document.get("@graph"), list):
        document = document["@graph"]
    items = document if isinstance(document, list) else [document]
    for index, item in enumerate(items, start=1):
        if (
            isinstance(item, dict)
            and item.get("type") == "Feature"
            and isinstance(item.get("properties"), dict)
        ):
            item = {**item["properties"], "id": item.get("id", item["properties"].get("id"))}
        yield (f"#{index}" if isinstance(document, list) else "", item)


def read_payloads(name: str) -> Iterator[tuple[str, Any]]:
    """(position, entity) of every entity in a payload file (``-``: standard input). An NDJSON
    file is read a line at a time, so that a large export is never held whole in memory."""
    try:
        if name.endswith(NDJSON_SUFFIXES):
            with open(name, encoding="utf-8") as lines:
                yield from _lines(name, lines)
            return
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise PayloadError(f"{name}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PayloadError(f"{name}: not UTF-8 text") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        if "Extra data" not in str(exc):
            raise PayloadError(f"{name}: not JSON ({exc})") from None
        yield from _lines(name, text.splitlines())  # several documents: one entity a line
        return
    yield from _entities(document)


@cache
def _names(entry: ModelEntry) -> ModelNames:
    return ModelNames(entry)


def validate_files(
    models: Models,
    files: list[str],
    *,
    model: str | None = None,
    form: str = "auto",
    skip_unknown: bool = False,
) -> list[Result]:
    """Validate every entity of every file. Raises PayloadError or ModelError for what stops it."""
    if model is not None:
        models[model]  # an unknown --model is a usage error before any file is read
    results = []
    for name in files:
        for position, entity in read_payloads(name):
            results.append(_validate(models, name, position, entity, model, form, skip_unknown))
    return results


def _validate(
    models: Models, name: str, position: str, entity: Any, model: str | None, form: str, skip_unknown: bool
) -> Result:
    if not isinstance(entity, dict):
        return Result(name, position, None, None, model, errors=["(root): not an entity (a JSON object)"])
    result = Result(
        name, position, entity.get("id"), entity.get("type"), model or models.for_type(entity.get("type"))
    )
    if result.model is None:
        why = f"no model for type {entity.get('type')!r}"
        if not skip_unknown:
            raise ModelError(
                f"{result.where} (id {result.entity_id}): {why}; give --model NAME, add the model with "
                "`mimcheck models add PATH`, or pass --skip-unknown"
            )
        result.skipped = why
        return result
    result.schema_version = models[result.model].schema_version
    if ModelNames.needed(entity):  # answered with the core @context only: the model's IRIs in full
        entity = _names(models[result.model]).compact(entity)
    result.form, key_values = sdm_forms.to_key_values(entity, form)
    result.errors = models.validation_errors(result.model, key_values)
    return result


# -- output ------------------------------------------------------------------------------------


def summary(results: list[Result]) -> dict[str, int]:
    return {
        "entities": len(results),
        "valid": sum(r.valid for r in results),
        "invalid": sum(1 for r in results if r.errors),
        "skipped": sum(1 for r in results if r.skipped),
    }


def render_text(results: list[Result]) -> str:
    lines = []
    for r in results:
        what = f"{r.where} {r.entity_id}"
        if r.skipped:
            lines.append(f"SKIPPED {what}: {r.skipped}")
            continue
        model = f"{r.model} {r.schema_version}" if r.model else "no model"
        lines.append(f"{'VALID  ' if r.valid else 'INVALID'} {what} ({model}, {r.form or '?'})")
        lines += [f"    {error}" for error in r.errors]
    s = summary(results)
    lines.append(
        f"mimcheck: {s['entities']} entities: {s['valid']} valid, {s['invalid']} invalid"
        + (f", {s['skipped']} skipped" if s["skipped"] else "")
    )
    return "\n".join(lines)


def render_json(results: list[Result], models: Models) -> str:
    used = sorted({r.model for r in results if r.model and r.model in models})
    return json.dumps(
        {
            "summary": summary(results),
            "models": {name: models[name].to_json() for name in used},
            "results": [r.to_json() for r in results],
        },
        indent=2,
    )


def render_junit(results: list[Result]) -> str:
    """One testsuite per file, one testcase per entity (a failure lists the schema errors)."""
    root = ET.Element("testsuites", name="mimcheck validate")
    for name in dict.fromkeys(r.file for r in results):
        mine = [r for r in results if r.file == name]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(mine)),
            failures=str(sum(1 for r in mine if r.errors)),
            skipped=str(sum(1 for r in mine if r.skipped)),
            errors="0",
        )
        for r in mine:
            case = ET.SubElement(
                suite, "testcase", classname=r.model or "unknown", name=f"{r.where} {r.entity_id}".strip()
            )
            if r.skipped:
                ET.SubElement(case, "skipped", message=r.skipped)
            elif r.errors:
                failure = ET.SubElement(
                    case, "failure", message=f"{len(r.errors)} schema error(s): {r.errors[0]}"
                )
                failure.text = "\n".join(r.errors)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
