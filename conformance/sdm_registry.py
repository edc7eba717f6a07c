"""The Smart Data Models registry: the bundled models, plus models added to a models folder.

A models folder holds one sub-folder per model (written by ``mimcheck models add``, see
conformance/sdm_import.py)::

    <Model>/model.json        name, subject, source, commit, added
    <Model>/schema.json       the model's JSON Schema (keyValues)
    <Model>/context.jsonld    the subject's @context
    <Model>/normalized.json   the payload the MIM2 scenarios send, with run-scoped placeholders
    <Model>/schemas/*.json    shared schemas the model's schema $refs (each under its own $id)
    schemas/*.json            shared schemas for every model of the folder

The folders read are the user models folder (``$MIMCHECK_MODELS``, else
``$XDG_DATA_HOME/mimcheck/models``, else ``~/.local/share/mimcheck/models``) and the target
profile's ``[mim2] models_path``. Every ``$ref`` resolves through a ``referencing`` registry of
these local files and the bundled ones; an unknown URL is an error naming the file to add, never a
network fetch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from conformance import fixtures, sdm

ENV_MODELS = "MIMCHECK_MODELS"
META_FILE = "model.json"
SCHEMA_FILE = "schema.json"
CONTEXT_FILE = "context.jsonld"
FIXTURE_FILE = "normalized.json"
SHARED_DIR = "schemas"
BUNDLED = "bundled"


class ModelError(Exception):
    """A model cannot be used (missing file, unresolved $ref, name clash): one line for the user."""


def user_folder() -> Path:
    """Where ``mimcheck models add`` copies models, and the first folder read."""
    override = os.environ.get(ENV_MODELS)
    if override:
        return Path(override).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "mimcheck" / "models"


def capability_for(subject: str) -> str:
    """The capability of a subject: the bundled one, else ``sdm-`` and the subject in kebab case."""
    for model in sdm.MODELS.values():
        if model.subject == subject:
            return model.capability
    return "sdm-" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", subject).lower()


@dataclass(frozen=True)
class ModelEntry:
    """One model the suite can check: where its schema, @context and payload are, and where from."""

    name: str
    subject: str
    schema_path: Path
    context_path: Path
    fixture_path: Path
    origin: str  # "bundled" or the models folder it was read from
    source: str  # the repository (or folder) it was copied from
    commit: str | None = None
    shared: tuple[Path, ...] = ()  # the model's own shared schemas

    @property
    def capability(self) -> str:
        return capability_for(self.subject)

    @property
    def bundled(self) -> bool:
        return self.origin == BUNDLED

    @property
    def context_name(self) -> str:
        """The file name under which the suite's context server serves the model's @context."""
        return f"sdm-{self.subject}.jsonld" if self.bundled else f"model-{self.name}.jsonld"

    def schema(self) -> dict[str, Any]:
        return _json(self.schema_path)

    @property
    def schema_version(self) -> str:
        return str(self.schema().get("$schemaVersion", "?"))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.schema_path.read_bytes()).hexdigest()

    def sample(self) -> dict[str, Any]:
        """The model's payload with placeholder ids filled in (to look at, not to send)."""
        return sdm.fill_placeholders(
            self.fixture_path.read_text(encoding="utf-8"), self.name, lambda kind: f"urn:ngsi-ld:{kind}:x"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "subject": self.subject,
            "capability": self.capability,
            "schemaVersion": self.schema_version,
            "origin": self.origin,
            "source": self.source,
            "commit": self.commit,
            "sha256": self.sha256,
        }


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"{path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ModelError(f"{path}: not JSON ({exc})") from None


@cache
def _bundled_commits() -> dict[str, tuple[str, str]]:
    """Schema file -> (repository, commit), read from the table of conformance/data/sdm/NOTICE.md."""
    rows: dict[str, tuple[str, str]] = {}
    for line in (sdm.SCHEMA_DIR / "NOTICE.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"[0-9a-f]{40}", cells[3]):
            rows[cells[0]] = (cells[1], cells[3])
    return rows


def bundled_entries() -> list[ModelEntry]:
    contexts = fixtures.root() / "contexts"
    entries = []
    for model in sdm.MODELS.values():
        repo, commit = _bundled_commits().get(
            model.schema_file, (f"smart-data-models/dataModel.{model.subject}", "")
        )
        entries.append(
            ModelEntry(
                name=model.name,
                subject=model.subject,
                schema_path=sdm.SCHEMA_DIR / model.schema_file,
                context_path=contexts / model.context_file,
                fixture_path=fixtures.root() / model.fixture,
                origin=BUNDLED,
                source=repo,
                commit=commit or None,
            )
        )
    return entries


def read_entry(folder: Path, origin: str) -> ModelEntry:
    """The model of one model folder (model.json and its files)."""
    meta = _json(folder / META_FILE)
    if (
        not isinstance(meta, dict)
        or not isinstance(meta.get("name"), str)
        or not isinstance(meta.get("subject"), str)
    ):
        raise ModelError(f"{folder / META_FILE}: expected an object with 'name' and 'subject'")
    for file_name in (SCHEMA_FILE, CONTEXT_FILE, FIXTURE_FILE):
        if not (folder / file_name).is_file():
            raise ModelError(
                f"model folder {folder} has no {file_name}; add the model again with `mimcheck models add`"
            )
    return ModelEntry(
        name=meta["name"],
        subject=meta["subject"],
        schema_path=folder / SCHEMA_FILE,
        context_path=folder / CONTEXT_FILE,
        fixture_path=folder / FIXTURE_FILE,
        origin=origin,
        source=str(meta.get("source") or folder),
        commit=meta.get("commit") if isinstance(meta.get("commit"), str) else None,
        shared=tuple(sorted((folder / SHARED_DIR).glob("*.json"))),
    )


def _folder_entries(root: Path) -> Iterator[ModelEntry]:
    if not root.is_dir():
        return
    for folder in sorted(
        p for p in root.iterdir() if not p.name.startswith(".") and (p / META_FILE).is_file()
    ):
        yield read_entry(folder, str(root))


class Models:
    """The models of the bundled data and of the given models folders (user folder first)."""

    def __init__(
        self, folders: Sequence[Path] = (), also: Sequence[ModelEntry] = (), format_checks: str = "strict"
    ) -> None:
        sdm.format_checker(format_checks)  # an unknown mode is refused here
        self.format_checks = format_checks  # how "format" is judged: sdm.format_checker
        self.folders = [Path(f) for f in folders]
        self.entries: dict[str, ModelEntry] = {e.name: e for e in bundled_entries()}
        for root in self.folders:
            for entry in _folder_entries(root):
                other = self.entries.get(entry.name)
                if other is not None:
                    where = "bundled" if other.bundled else f"in {other.origin}"
                    raise ModelError(f"model {entry.name} of {root} is already {where}: remove one of them")
                self.entries[entry.name] = entry
        self.entries.update({e.name: e for e in also})  # a model being added, checked before it is
        self._registries: dict[str, Registry[Any]] = {}
        self._validators: dict[str, Draft202012Validator] = {}

    # -- lookup ---------------------------------------------------------------------------------

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __getitem__(self, name: str) -> ModelEntry:
        try:
            return self.entries[name]
        except KeyError:
            raise ModelError(self.unknown(name)) from None

    def names(self) -> list[str]:
        return list(self.entries)

    def unknown(self, name: str) -> str:
        return (
            f"no model {name!r} (known: {', '.join(self.entries)}); add it with `mimcheck models add PATH` "
            f"(a dataModel.* clone or a folder with schema.json, examples and context.jsonld)"
        )

    def for_type(self, entity_type: Any) -> str | None:
        """The model of an entity type: a short name, or an IRI ending in the model's name."""
        for value in entity_type if isinstance(entity_type, list) else [entity_type]:
            if not isinstance(value, str):
                continue
            if value in self.entries:
                return value
            last = re.split(r"[/#:]", value)[-1]
            if last in self.entries:
                return last
        return None

    def with_relationships(self) -> list[str]:
        return [n for n, e in self.entries.items() if sdm.relationships(e.sample())]

    def with_location(self) -> list[str]:
        return [n for n, e in self.entries.items() if "location" in e.sample()]

    def context_files(self) -> dict[str, Path]:
        """The added models' @contexts, by the name the context server serves them under."""
        return {e.context_name: e.context_path for e in self.entries.values() if not e.bundled}

    def capabilities(self) -> set[str]:
        return {e.capability for e in self.entries.values()}

    # -- schemas --------------------------------------------------------------------------------

    def _shared(self) -> list[Path]:
        return [p for root in self.folders for p in sorted((root / SHARED_DIR).glob("*.json"))]

    def registry(self, name: str) -> Registry[Any]:
        """The bundled schemas, the folders' shared schemas and the model's own (which win)."""
        if name not in self._registries:
            entry = self[name]
            resources = []
            for path in [*self._shared(), *entry.shared, entry.schema_path]:
                contents = _json(path)
                if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
                    resources.append((contents["$id"], Resource.from_contents(contents)))
            self._registries[name] = sdm.registry().with_resources(resources)
        return self._registries[name]

    def missing_refs(self, name: str) -> list[str]:
        """The $ref URLs (fragment aside) reachable from the model's schema that no local file holds."""
        registry = self.registry(name)
        schema = self[name].schema()
        seen: set[str] = set()
        missing: list[str] = []
        todo: list[tuple[str, Any]] = [(str(schema.get("$id", "")), schema)]
        while todo:
            base, document = todo.pop()
            for ref in _refs(document):
                url = urldefrag(urljoin(base, ref)).url
                if not url or url in seen:
                    continue
                seen.add(url)
                if url in registry:
                    todo.append((url, registry.contents(url)))
                else:
                    missing.append(url)
        return missing

    def check_refs(self, name: str) -> None:
        missing = self.missing_refs(name)
        if missing:
            raise ModelError(missing_message(name, missing[0]))

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._validators:
            self.check_refs(name)
            self._validators[name] = Draft202012Validator(
                self[name].schema(),
                registry=self.registry(name),
                format_checker=sdm.format_checker(self.format_checks),
            )
        return self._validators[name]

    def validation_errors(self, name: str, instance: Any) -> list[str]:
        """Every way the keyValues instance breaks the model's schema, as readable lines."""
        return [f"{path}: {message}" for path, _, message in self.violations(name, instance)]

    def violations(self, name: str, instance: Any) -> list[tuple[str, str, str]]:
        """(JSON path, or "(root)"; the schema keyword broken, e.g. ``enum``; the message) of each error."""
        try:
            errors = sorted(
                self.validator(name).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]
            )
            return [
                ("/".join(str(p) for p in e.absolute_path) or "(root)", str(e.validator), e.message)
                for e in errors
            ]
        except Unresolvable as exc:
            raise ModelError(missing_message(name, str(getattr(exc, "ref", exc)))) from None


def missing_message(name: str, url: str) -> str:
    return (
        f"the {name} schema $refs {url}, which no local schema holds (nothing is fetched at run time): "
        f"add the file whose $id is that URL with `mimcheck models add FILE.json`, or add the subject "
        f"repository that holds it with `mimcheck models add CLONE`"
    )


def _refs(document: Any) -> Iterable[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(document, list):
        for item in document:
            yield from _refs(item)


def load(extra: Sequence[str | Path] = (), format_checks: str = "strict") -> Models:
    """The models of the bundled data, the user models folder and the ``extra`` folders, their
    "format" keywords judged as ``format_checks`` says (sdm.format_checker)."""
    folders: list[Path] = [user_folder()]
    for path in extra:
        folder = Path(path)
        if not folder.is_dir():
            raise ModelError(f"models path {folder} is not a folder")
        if folder.resolve() not in [f.resolve() for f in folders]:
            folders.append(folder)
    return Models(folders, format_checks=format_checks)
