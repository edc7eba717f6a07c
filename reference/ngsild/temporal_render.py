"""Temporal API, rendering: the normalized temporal representation (clauses 4.5.6 - 4.5.8: every attribute
an array of instances with their instanceId), the simplified one (4.5.9: per attribute type and datasetId a
``values``/``objects``/``languageMaps``/``jsons``/``vocabs``/``valueLists``/``objectLists`` array of
[value, DateTime] pairs; LanguageProperty, JsonProperty and VocabProperty values wrapped in an object with their
value member) and the aggregated one (4.5.19).

A deletion instance (clause 4.8) always shows its deletedAt; in the simplified representation its pair holds
``urn:ngsi-ld:null`` and, when it has no value of the time property asked for, its deletedAt. Aggregations
ignore deletion instances.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta
from typing import Any

from .context import ActiveContext
from .errors import bad_request
from .model import ATTRIBUTE_TYPES, NULL_URI
from .render import RenderOptions, render_instance
from .temporal_history import VALUES_MEMBER, WRAPPED_TYPES
from .temporal_query import TemporalQuery


def _format_time(moment: datetime) -> str:
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _aggregate(method: str, values: list[Any]) -> Any:
    if method == "totalCount":
        return len(values)
    if method == "distinctCount":
        seen: list[Any] = []
        for v in values:
            if v not in seen:
                seen.append(v)
        return len(seen)
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not numbers:
        if method in ("min", "max"):
            comparable = [v for v in values if isinstance(v, str)]
            if comparable:
                return min(comparable) if method == "min" else max(comparable)
        return None
    if method == "sum":
        return sum(numbers)
    if method == "avg":
        return sum(numbers) / len(numbers)
    if method == "min":
        return min(numbers)
    if method == "max":
        return max(numbers)
    if method == "sumsq":
        return sum(n * n for n in numbers)
    if method == "stddev":
        return statistics.pstdev(numbers) if len(numbers) > 1 else 0.0
    raise bad_request(f"unknown aggregation method {method}")


def _value_of(inst: dict[str, Any]) -> Any:
    return inst.get(ATTRIBUTE_TYPES[inst["type"]])


def _group_by_dataset(instances: list[dict[str, Any]]) -> list[tuple[str | None, list[dict[str, Any]]]]:
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for inst in instances:
        groups.setdefault(inst.get("datasetId"), []).append(inst)
    return list(groups.items())


def _simplified_value(inst: dict[str, Any], ctx: ActiveContext) -> Any:
    attr_type = inst["type"]
    member = ATTRIBUTE_TYPES[attr_type]
    if inst.get("_deleted"):
        value: Any = {"@none": NULL_URI} if attr_type == "LanguageProperty" else NULL_URI
    else:
        value = _value_of(inst)
        if attr_type == "VocabProperty":
            value = [ctx.compact(v) for v in value] if isinstance(value, list) else ctx.compact(value)
    return {member: value} if attr_type in WRAPPED_TYPES else value


def _render_temporal_values(instances: list[dict[str, Any]], tq: TemporalQuery, ctx: ActiveContext) -> Any:
    out = []
    for dataset_id, group in _group_by_dataset(instances):
        attr_type = group[0]["type"]
        pairs = []
        for inst in group:
            moment = inst.get(tq.timeproperty) or inst.get("deletedAt")
            pairs.append([_simplified_value(inst, ctx), moment])
        item: dict[str, Any] = {"type": attr_type, VALUES_MEMBER[attr_type]: pairs}
        if dataset_id is not None:
            item["datasetId"] = dataset_id
        out.append(item)
    return out[0] if len(out) == 1 else out


def _render_aggregated(instances: list[dict[str, Any]], tq: TemporalQuery) -> Any:
    out = []
    for dataset_id, group in _group_by_dataset(instances):
        timed = [(t, i) for i in group if not i.get("_deleted") and (t := tq.instance_time(i)) is not None]
        item: dict[str, Any] = {"type": group[0]["type"]}
        if dataset_id is not None:
            item["datasetId"] = dataset_id
        for method in tq.aggr_methods:
            item[method] = []
        if timed:
            start = timed[0][0]
            period = tq.aggr_period or timedelta(0)
            buckets: dict[int, list[Any]] = {}
            if period <= timedelta(0):
                end = timed[-1][0]
                buckets[0] = [_value_of(i) for _, i in timed]
            else:
                for moment, inst in timed:
                    buckets.setdefault(math.floor((moment - start) / period), []).append(_value_of(inst))
            for index in sorted(buckets):
                if period > timedelta(0):
                    lower = start + period * index
                    upper = lower + period
                else:
                    lower, upper = start, end
                for method in tq.aggr_methods:
                    item[method].append(
                        [_aggregate(method, buckets[index]), _format_time(lower), _format_time(upper)]
                    )
        out.append(item)
    return out[0] if len(out) == 1 else out


def render_temporal(
    doc: dict[str, Any], attrs: dict[str, list[dict[str, Any]]], tq: TemporalQuery, ctx: ActiveContext
) -> dict[str, Any]:
    types = [ctx.compact(t) for t in doc["types"]]
    out: dict[str, Any] = {"id": doc["id"], "type": types[0] if len(types) == 1 else types}
    if doc.get("scope"):
        out["scope"] = doc["scope"][0] if len(doc["scope"]) == 1 else doc["scope"]
    if tq.sys_attrs:
        out["createdAt"] = doc["createdAt"]
        out["modifiedAt"] = doc["modifiedAt"]
        if "deletedAt" in doc:
            out["deletedAt"] = doc["deletedAt"]
    opts = RenderOptions(sys_attrs=tq.sys_attrs, lang=tq.lang)
    for iri, instances in attrs.items():
        name = ctx.compact(iri)
        if tq.representation == "temporalValues":
            out[name] = _render_temporal_values(instances, tq, ctx)
        elif tq.representation == "aggregatedValues":
            out[name] = _render_aggregated(instances, tq)
        else:
            rendered = []
            for inst in instances:
                item = render_instance(inst, ctx, opts)
                item["instanceId"] = inst["instanceId"]
                if "deletedAt" in inst:
                    item["deletedAt"] = inst["deletedAt"]
                rendered.append(item)
            out[name] = rendered
    if tq.pick is not None:
        out = {k: v for k, v in out.items() if k in tq.pick}
    if tq.omit is not None:
        out = {k: v for k, v in out.items() if k not in tq.omit}
    return out
