"""A model's names and IRIs, from its local @context (pyld with a closed loader: nothing fetched).

A platform that answers with the core @context only names a model's type and attributes by their
full IRIs (``https://smartdatamodels.org/dataModel.Parking/category``); the schemas use the short
terms. ``ModelNames.compact`` turns the one into the other, as a caller sending the model's
@context would have been answered.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.ngsild.jsonld import Oracle
from conformance.sdm_registry import ModelEntry

LOCAL_CONTEXT = (
    "https://mimcheck.invalid/models/"  # where the oracle finds a model's @context (never fetched)
)


class ModelNames:
    def __init__(self, entry: ModelEntry) -> None:
        self.entry = entry
        self.context = LOCAL_CONTEXT + entry.context_name
        document = json.loads(entry.context_path.read_text(encoding="utf-8"))
        self.oracle = Oracle({self.context: document})
        self.names: dict[str, str] = {}
        self.types: dict[str, str] = {}

    @property
    def type_iri(self) -> str:
        return self.oracle.expand_type(self.entry.name, self.context)

    @staticmethod
    def needed(entity: dict[str, Any]) -> bool:
        """Whether an entity names a member or its type by an IRI."""
        kinds = entity.get("type")
        return any(":" in name for name in entity if name != "@context") or (
            isinstance(kinds, str) and "://" in kinds
        )

    def compact(self, entity: dict[str, Any]) -> dict[str, Any]:
        """The entity with its IRIs compacted with the model's @context (core last)."""
        out: dict[str, Any] = {}
        for name, member in entity.items():
            if name not in self.names:
                iri = ":" in name and name != "@context"
                self.names[name] = self.oracle.compact_iri(name, self.context) if iri else name
            out[self.names[name]] = member
        kinds = out.get("type")
        if isinstance(kinds, str) and ":" in kinds:
            if kinds not in self.types:  # compacting through pyld costs ~10 ms: once per type
                self.types[kinds] = self.oracle.compact_type(kinds, self.context)
            out["type"] = self.types[kinds]
        return out
