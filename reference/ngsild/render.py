"""Rendering of stored entities: normalized, concise and simplified (keyValues) representations.

Clauses 4.5.1 - 4.5.4, 4.5.18 (ListProperty), 4.5.20+ (VocabProperty, JsonProperty, ListRelationship),
4.15 (LanguageProperty and the ``lang`` parameter), 6.3.11 (sysAttrs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .context import ActiveContext
from .errors import bad_request, invalid_request
from .model import ATTRIBUTE_TYPES

NORMALIZED = "normalized"
CONCISE = "concise"
KEY_VALUES = "keyValues"


@dataclass
class RenderOptions:
    format: str = NORMALIZED
    sys_attrs: bool = False
    attrs: set[str] | None = None  # expanded attribute names to keep
    lang: str | None = None
    dataset_ids: set[str | None] | None = None  # None key stands for the default instance ("@none")
    pick: set[str] | None = None  # entity members (short names) to keep
    omit: set[str] | None = None  # entity members (short names) to drop


def parse_options(options: str | None, format_param: str | None) -> tuple[str, bool]:
    """The representation and sysAttrs flag from the options and format URI parameters (6.3.7, 6.3.11)."""
    representation = NORMALIZED
    sys_attrs = False
    given: list[str] = []
    for item in (options or "").split(","):
        item = item.strip()
        if not item:
            continue
        if item == "sysAttrs":
            sys_attrs = True
        elif item in (NORMALIZED, CONCISE, KEY_VALUES, "simplified"):
            given.append(KEY_VALUES if item == "simplified" else item)
        elif item in ("noOverwrite", "replace", "update"):
            continue
        else:
            raise invalid_request(f"unsupported options value {item!r}")
    if len(set(given)) > 1:
        raise bad_request("options shall hold only one of normalized, concise, keyValues")
    if given:
        representation = given[0]
    if format_param is not None and format_param != "":
        fmt = "keyValues" if format_param == "simplified" else format_param
        if fmt not in (NORMALIZED, CONCISE, KEY_VALUES):
            raise invalid_request(f"unsupported format {format_param!r}")  # ETSI 018_16_01 (V1.8.1)
        representation = fmt
    return representation, sys_attrs


def select_language(language_map: dict[str, Any], lang: str) -> tuple[str, Any]:
    """Pick the best entry of a languageMap for a ``lang`` preference list (clause 4.15)."""
    prefs: list[tuple[float, int, str]] = []
    for index, part in enumerate(lang.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        tag = pieces[0]
        quality = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if tag:
            prefs.append((-quality, index, tag))
    prefs.sort()
    lowered = {k.lower(): k for k in language_map}
    for _, _, tag in prefs:
        if tag == "*":
            first = next(iter(language_map))
            return first, language_map[first]
        key = lowered.get(tag.lower())
        if key is not None:
            return key, language_map[key]
        # language-range prefix matching: "en" matches "en-GB"
        for low, original in lowered.items():
            if low.startswith(tag.lower() + "-"):
                return original, language_map[original]
    if "@none" in language_map:
        return "@none", language_map["@none"]
    first = next(iter(language_map))
    return first, language_map[first]


def _compact_vocab(value: Any, ctx: ActiveContext) -> Any:
    if isinstance(value, list):
        return [ctx.compact(v) for v in value]
    return ctx.compact(value)


# showChanges (NotificationParams, clause 5.2.14): the member carrying the previous value per attribute type
PREVIOUS_MEMBER = {
    "Property": "previousValue",
    "GeoProperty": "previousValue",
    "Relationship": "previousObject",
    "LanguageProperty": "previousLanguageMap",
    "ListProperty": "previousValueList",
    "ListRelationship": "previousObjectList",
    "VocabProperty": "previousVocab",
    "JsonProperty": "previousJson",
}
NULL_URI = "urn:ngsi-ld:null"


def _previous_out(inst: dict[str, Any], ctx: ActiveContext, concise: bool) -> Any:
    previous = inst["_previous"]
    if inst["type"] == "VocabProperty":
        return _compact_vocab(previous, ctx)
    if inst["type"] == "ListRelationship" and not concise and isinstance(previous, list):
        return [{"object": uri} for uri in previous]
    return previous


def _render_deleted(inst: dict[str, Any], ctx: ActiveContext, opts: RenderOptions) -> Any:
    """A deleted attribute instance in a notification: its value member is urn:ngsi-ld:null (4.5.x)."""
    if opts.format == KEY_VALUES:
        return NULL_URI
    out: dict[str, Any] = {}
    if opts.format != CONCISE:
        out["type"] = inst["type"]
    # clause 5.2.1: a LanguageProperty's Null is the languageMap {"@none": "urn:ngsi-ld:null"}
    out[ATTRIBUTE_TYPES[inst["type"]]] = (
        {"@none": NULL_URI} if inst["type"] == "LanguageProperty" else NULL_URI
    )
    if "_previous" in inst:
        out[PREVIOUS_MEMBER[inst["type"]]] = _previous_out(inst, ctx, opts.format == CONCISE)
    if "datasetId" in inst:
        out["datasetId"] = inst["datasetId"]
    if opts.sys_attrs:
        for member in ("createdAt", "modifiedAt", "deletedAt"):
            if member in inst:
                out[member] = inst[member]
    return out


def render_instance(inst: dict[str, Any], ctx: ActiveContext, opts: RenderOptions) -> Any:
    attr_type = inst["type"]
    if inst.get("_deleted"):
        return _render_deleted(inst, ctx, opts)
    if opts.format == KEY_VALUES:
        return _simplified_value(inst, ctx, opts)
    out: dict[str, Any] = {}
    concise = opts.format == CONCISE
    if not concise:
        out["type"] = attr_type
    if attr_type == "LanguageProperty" and opts.lang is not None:
        tag, text = select_language(inst["languageMap"], opts.lang)
        if not concise:
            out["type"] = "Property"
        out["value"] = text
        out["lang"] = tag
    elif attr_type == "ListRelationship":
        out["objectList"] = (
            list(inst["objectList"]) if concise else [{"object": uri} for uri in inst["objectList"]]
        )
    elif attr_type == "VocabProperty":
        out["vocab"] = _compact_vocab(inst["vocab"], ctx)
    else:
        member = ATTRIBUTE_TYPES[attr_type]
        out[member] = inst[member]
    if "_previous" in inst:
        out[PREVIOUS_MEMBER[attr_type]] = _previous_out(inst, ctx, concise)
    if "objectType" in inst:
        out["objectType"] = _compact_vocab(inst["objectType"], ctx)
    for member in ("datasetId", "observedAt", "unitCode"):
        if member in inst:
            out[member] = inst[member]
    if opts.sys_attrs:
        for member in ("createdAt", "modifiedAt"):
            if member in inst:
                out[member] = inst[member]
    sub_opts = RenderOptions(format=opts.format, sys_attrs=opts.sys_attrs, lang=opts.lang)
    for iri, subs in inst.get("subs", {}).items():
        out[ctx.compact(iri)] = _render_instances(subs, ctx, sub_opts)
    if concise and attr_type == "Property" and set(out) == {"value"} and not isinstance(out["value"], dict):
        return out["value"]
    return out


def _simplified_value(inst: dict[str, Any], ctx: ActiveContext, opts: RenderOptions) -> Any:
    attr_type = inst["type"]
    if attr_type in ("Property", "GeoProperty"):
        return inst["value"]
    if attr_type == "Relationship":
        return inst["object"]
    if attr_type == "LanguageProperty":
        if opts.lang is not None:
            return select_language(inst["languageMap"], opts.lang)[1]
        return {"languageMap": inst["languageMap"]}
    if attr_type == "ListProperty":
        return inst["valueList"]
    if attr_type == "ListRelationship":
        return list(inst["objectList"])
    if attr_type == "VocabProperty":
        return {"vocab": _compact_vocab(inst["vocab"], ctx)}
    if attr_type == "JsonProperty":
        return {"json": inst["json"]}
    return inst.get("value")


def _render_instances(instances: list[dict[str, Any]], ctx: ActiveContext, opts: RenderOptions) -> Any:
    if opts.format == KEY_VALUES and (len(instances) > 1 or "datasetId" in instances[0]):
        # 4.5.4: multi-instance attributes simplify to {"dataset": {datasetId | "@none": value}}
        return {"dataset": {i.get("datasetId", "@none"): render_instance(i, ctx, opts) for i in instances}}
    rendered = [render_instance(i, ctx, opts) for i in instances]
    return rendered[0] if len(rendered) == 1 else rendered


def select_instances(
    instances: list[dict[str, Any]], dataset_ids: set[str | None] | None
) -> list[dict[str, Any]]:
    if dataset_ids is None:
        return instances
    return [i for i in instances if i.get("datasetId") in dataset_ids]


def render_entity(entity: dict[str, Any], ctx: ActiveContext, opts: RenderOptions) -> dict[str, Any]:
    types = [ctx.compact(t) for t in entity["types"]]
    out: dict[str, Any] = {"id": entity["id"], "type": types[0] if len(types) == 1 else types}
    if entity.get("scope"):
        scope = entity["scope"]
        out["scope"] = scope[0] if len(scope) == 1 else scope
    if opts.sys_attrs:
        out["createdAt"] = entity["createdAt"]
        out["modifiedAt"] = entity["modifiedAt"]
    for iri, instances in entity["attrs"].items():
        if opts.attrs is not None and iri not in opts.attrs:
            continue
        chosen = select_instances(instances, opts.dataset_ids)
        if not chosen:
            continue
        out[ctx.compact(iri)] = _render_instances(chosen, ctx, opts)
    if opts.pick is not None:
        out = {k: v for k, v in out.items() if k in opts.pick}
    if opts.omit is not None:
        out = {k: v for k, v in out.items() if k not in opts.omit}
    return out
