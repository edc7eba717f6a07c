"""``mimcheck models add PATH``: copy a Smart Data Model into a models folder (conformance/sdm_registry.py).

PATH is one of:
- a local clone of a ``dataModel.<Subject>`` repository: every model folder in it (one with a
  ``schema.json``), or those named with ``--model``;
- one model folder (``schema.json``, ``examples/``), with the subject's ``context.jsonld`` in it
  or in its parent folder;
- one JSON Schema file with an ``$id`` (a shared schema that model schemas ``$ref``), copied to the
  folder's ``schemas/``.

The subject's shared schemas (the ``*.json`` files with an ``$id`` at the top of the clone) are
copied with each model. The payload the MIM2 scenarios send is derived from
``examples/example-normalized.jsonld`` (else from the keyValues ``example.jsonld`` or
``example.json``). A model whose ``$ref``s do not all resolve offline is not added.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance import sdm, sdm_forms
from conformance.sdm_registry import (
    CONTEXT_FILE,
    FIXTURE_FILE,
    META_FILE,
    SCHEMA_FILE,
    SHARED_DIR,
    ModelEntry,
    ModelError,
    Models,
    missing_message,
    read_entry,
)

EXAMPLES = ("example-normalized.jsonld", "example.jsonld", "example.json")


@dataclass
class Added:
    """What one ``models add`` did: the models added, shared schemas copied, warnings."""

    models: list[ModelEntry] = field(default_factory=list)
    schemas: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme and parts.hostname and (parts.username or parts.password):
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"{path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ModelError(f"{path}: not JSON ({exc})") from None


def _shared_schemas(root: Path) -> list[Path]:
    """The JSON Schema files with an $id at the top of a subject folder (Environment-schema.json...)."""
    found = []
    for path in sorted(p for p in root.glob("*.json") if p.name != SCHEMA_FILE):
        try:
            contents = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(contents, dict) and isinstance(contents.get("$id"), str) and "$schema" in contents:
            found.append(path)
    return found


def _subject(root: Path, schema: dict[str, Any], given: str | None) -> str:
    if given:
        return given
    if root.name.startswith("dataModel."):
        return root.name.removeprefix("dataModel.")
    match = re.search(r"/dataModel\.([A-Za-z0-9]+)/", str(schema.get("$id", "")))
    if match:
        return match.group(1)
    raise ModelError(
        f"{root}: cannot tell the model's subject (no dataModel.* folder or $id): give --subject NAME"
    )


def _example(folder: Path) -> tuple[str, dict[str, Any]]:
    for base in (folder / "examples", folder):
        for name in EXAMPLES:
            if (base / name).is_file():
                document = _load(base / name)
                if isinstance(document, list) and document:
                    document = document[0]
                if not isinstance(document, dict):
                    raise ModelError(f"{base / name}: expected an entity (a JSON object)")
                return name, document
    raise ModelError(
        f"{folder}: no examples/{EXAMPLES[0]} (nor {', '.join(EXAMPLES[1:])}): the model needs an example"
    )


def _fixture(folder: Path, schema: dict[str, Any]) -> dict[str, Any]:
    name, example = _example(folder)
    if name == "example-normalized.jsonld":
        return sdm_forms.fixture_from_normalized(example)
    return sdm_forms.fixture_from_key_values(example, schema)


def _model_folders(path: Path, only: list[str]) -> tuple[Path, list[Path]]:
    """The subject folder and the model folders to add."""
    if (path / SCHEMA_FILE).is_file():
        root = (
            path.parent
            if (path.parent / CONTEXT_FILE).is_file() and not (path / CONTEXT_FILE).is_file()
            else path
        )
        folders = [path]
    else:
        root = path
        folders = [p for p in sorted(path.iterdir()) if p.is_dir() and (p / SCHEMA_FILE).is_file()]
    if not folders:
        raise ModelError(
            f"{path} holds no {SCHEMA_FILE}: give a dataModel.* clone, a model folder or a schema file"
        )
    if only:
        unknown = [name for name in only if name not in {f.name for f in folders}]
        if unknown:
            raise ModelError(
                f"{path} has no model {unknown[0]!r}; it has {', '.join(f.name for f in folders)}"
            )
        folders = [f for f in folders if f.name in only]
    return root, folders


def _copy_shared_schema(path: Path, into: Path) -> Path:
    contents = _load(path)
    if not isinstance(contents, dict) or not isinstance(contents.get("$id"), str):
        raise ModelError(f'{path}: a schema file to add needs an "$id" (the URL other schemas $ref it by)')
    target = into / SHARED_DIR / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return target


def _write_model(folder: Path, root: Path, subject: str, target: Path, source: dict[str, Any]) -> None:
    schema = _load(folder / SCHEMA_FILE)
    if not isinstance(schema, dict):
        raise ModelError(f"{folder / SCHEMA_FILE}: expected a JSON Schema object")
    context = folder / CONTEXT_FILE if (folder / CONTEXT_FILE).is_file() else root / CONTEXT_FILE
    if not context.is_file():
        raise ModelError(f"{folder}: no {CONTEXT_FILE} in it or in {root}: copy the subject's @context there")
    fixture = _fixture(folder, schema)
    target.mkdir(parents=True)
    shutil.copyfile(folder / SCHEMA_FILE, target / SCHEMA_FILE)
    shutil.copyfile(context, target / CONTEXT_FILE)
    (target / FIXTURE_FILE).write_text(json.dumps(fixture, indent=2) + "\n", encoding="utf-8")
    if (folder / "examples").is_dir():
        shutil.copytree(folder / "examples", target / "examples")
    shared = [*_shared_schemas(root), *(sorted((folder / SHARED_DIR).glob("*.json")))]
    for path in shared:
        (target / SHARED_DIR).mkdir(exist_ok=True)
        shutil.copyfile(path, target / SHARED_DIR / path.name)
    meta = {
        "name": folder.name if fixture.get("type") is None else str(fixture["type"]),
        "subject": subject,
        **source,
    }
    (target / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def add(
    path: Path,
    into: Path,
    *,
    only: list[str] | None = None,
    subject: str | None = None,
    replace: bool = False,
) -> Added:
    """Copy the model(s) at ``path`` into the models folder ``into``; see the module's text."""
    path = path.expanduser().resolve()
    if not path.exists():
        raise ModelError(f"{path}: no such file or folder")
    added = Added()
    if path.is_file():
        added.schemas.append(_copy_shared_schema(path, into))
        return added
    root, folders = _model_folders(path, only or [])
    commit = _git(root, "rev-parse", "HEAD")
    remote = _git(root, "config", "--get", "remote.origin.url")
    source = {
        "source": _without_credentials(remote) if remote else str(root),
        "commit": commit,
        "modified": bool(_git(root, "status", "--porcelain", "--", ".")) if commit else None,
        "added": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "from": str(path),
    }
    into.mkdir(parents=True, exist_ok=True)
    for folder in folders:
        if len(folders) > 1 and not only and folder.name in sdm.MODELS:
            added.warnings.append(
                f"{folder.name}: skipped, bundled with the suite (pinned in conformance/data/sdm)"
            )
            continue
        schema = _load(folder / SCHEMA_FILE)
        name = folder.name
        target = into / name
        staging = into / f".adding-{name}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            _write_model(
                folder,
                root,
                _subject(root, schema if isinstance(schema, dict) else {}, subject),
                staging,
                source,
            )
            _checked(staging, into, name, replace)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        entry = read_entry(target, str(into))
        added.models.append(entry)
        errors = Models([into]).validation_errors(
            entry.name, sdm_forms.to_key_values(entry.sample(), "normalized")[1]
        )
        if errors:
            added.warnings.append(
                f"{entry.name}: the payload derived from its example breaks its own schema ({errors[0]}); "
                f"its MIM2 cases stay INCONCLUSIVE until {target / FIXTURE_FILE} is fixed"
            )
    return added


def _checked(staging: Path, into: Path, name: str, replace: bool) -> ModelEntry:
    """The staged model, checked: its name is free (or replaced) and every $ref resolves offline."""
    entry = read_entry(staging, str(into))
    if entry.name != name:
        raise ModelError(f"{staging}: the example's type {entry.name!r} is not the folder name {name!r}")
    models = Models([into])
    if name in models and (models[name].bundled or not replace):
        where = "bundled with the suite" if models[name].bundled else f"in {into} (use --replace)"
        raise ModelError(f"model {name} is already {where}")
    missing = Models([into], also=[entry]).missing_refs(name)
    if missing:
        raise ModelError(f"{name} not added: " + missing_message(name, missing[0]))
    return entry
