"""The official examples of each model against its own schema (``mimcheck models list --check-examples``).

A bundled model's examples are unmodified copies of its repository's ``<Model>/examples/`` files at
the commit of its schema (conformance/data/sdm/examples, see NOTICE.md there); an added model's are
the ``examples/`` folder ``mimcheck models add`` copied. Each file is read in its own form
(``example.json``/``example.jsonld`` keyValues; the ``example-normalized`` files NGSI-v2 or NGSI-LD
normalized, read by conformance/sdm_forms.py), reduced to keyValues and validated. Each error names
the JSON path in the file (``$.tsp``, ``$.dateObserved.value``), so that it can be reported upstream.
Some official examples break their own schema: notes/mim2.md lists them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import ValidationError

from conformance import sdm, sdm_forms
from conformance.ngsild.payloads import VALUE_MEMBER
from conformance.sdm_registry import ModelEntry, Models

BUNDLED_EXAMPLES = sdm.SCHEMA_DIR / "examples"


@dataclass
class ExampleResult:
    """One example file of a model: how it was read and where it breaks the schema (empty: valid)."""

    model: str
    file: str  # the file name, e.g. example-normalized.jsonld
    form: str = ""
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "file": self.file, "form": self.form, "errors": list(self.errors)}


def example_files(entry: ModelEntry) -> list[Path]:
    """The model's official example files (none when an added model came without examples)."""
    folder = BUNDLED_EXAMPLES / entry.name if entry.bundled else entry.schema_path.parent / "examples"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".json", ".jsonld") and p.is_file())


def _member(attribute: Any) -> str | None:
    """The member of an attribute object that holds its value (None for a bare keyValues value)."""
    if not isinstance(attribute, dict):
        return None
    kind = attribute.get("type")
    if kind == "Relationship" and "object" not in attribute:
        return "value"  # NGSI-v2 normalized
    if isinstance(kind, str) and kind in VALUE_MEMBER:
        return VALUE_MEMBER[kind]
    if isinstance(kind, str) and "value" in attribute and set(attribute) <= sdm_forms.V2_MEMBERS:
        return "value"
    return None


def json_path(document: dict[str, Any], path: list[Any], form: str) -> str:
    """The JSON path in the example file of an error found in its keyValues reduction."""
    parts = list(path)
    if parts and form != "keyValues" and parts[0] not in sdm_forms.CORE_MEMBERS:
        member = _member(document.get(parts[0]))
        if member is not None:
            parts.insert(1, member)
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _errors(models: Models, name: str, document: dict[str, Any], form: str, kv: dict[str, Any]) -> list[str]:
    validator = models.validator(name)
    found: list[ValidationError] = sorted(
        validator.iter_errors(kv), key=lambda e: [str(p) for p in e.absolute_path]
    )
    return [f"{json_path(document, list(e.absolute_path), form)}: {e.message}" for e in found]


def check_model(models: Models, name: str) -> list[ExampleResult]:
    """Every official example of the model, validated against its schema."""
    results = []
    for path in example_files(models[name]):
        result = ExampleResult(name, path.name)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            result.errors.append(f"$: not JSON ({exc})")
            results.append(result)
            continue
        entities = document if isinstance(document, list) else [document]
        for position, entity in enumerate(entities):
            prefix = f"[{position}]" if isinstance(document, list) else ""
            if not isinstance(entity, dict):
                result.errors.append(f"${prefix}: not a JSON object")
                continue
            forced = "keyValues" if path.name.startswith("example.") else "auto"
            result.form, kv = sdm_forms.to_key_values(entity, forced)
            errors = _errors(models, name, entity, result.form, kv)
            result.errors += [e.replace("$", "$" + prefix, 1) for e in errors]
        results.append(result)
    return results


def render_text(results: list[ExampleResult], names: list[str]) -> str:
    """One line per model; the examples that break their schema with each error's JSON path."""
    lines = []
    for name in names:
        mine = [r for r in results if r.model == name]
        if not mine:
            lines.append(f"{name}: no official examples")
            continue
        bad = [r for r in mine if r.errors]
        lines.append(
            f"{name}: {len(mine) - len(bad)} of {len(mine)} examples valid"
            + (f", {len(bad)} break{'s' if len(bad) == 1 else ''} the schema" if bad else "")
        )
        for result in bad:
            lines.append(f"  {result.file} ({result.form or 'unread'}):")
            lines += [f"    {error}" for error in result.errors]
    broken = sum(1 for r in results if r.errors)
    lines.append(f"{broken} of {len(results)} official examples break their own schema")
    return "\n".join(lines)
