"""Temporal API, query side: the temporal query (clause 4.11: timerel, timeAt, endTimeAt, timeproperty,
lastN), the representation options (4.5.9 temporalValues, 4.5.19 aggregatedValues) and the selection of the
stored instances it keeps.

``timerel`` before (t < timeAt), after (t >= timeAt), between (timeAt <= t < endTimeAt), on ``timeproperty``
(default observedAt; an instance without that time stamp never matches). Without ``timerel`` every instance
is returned. ``lastN`` keeps the last N instances per attribute (returned in ascending time order).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request

from .context import ActiveContext
from .errors import bad_request, invalid_request
from .http import projection_members
from .model import parse_datetime
from .query import parse_attrs_param

TIME_PROPERTIES = ("observedAt", "createdAt", "modifiedAt", "deletedAt")
AGGR_METHODS = ("totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq")


@dataclass
class TemporalQuery:
    timerel: str | None = None
    time_at: datetime | None = None
    end_time_at: datetime | None = None
    timeproperty: str = "observedAt"
    last_n: int | None = None
    representation: str = "normalized"  # normalized | temporalValues | aggregatedValues
    sys_attrs: bool = False
    aggr_methods: list[str] = field(default_factory=list)
    aggr_period: timedelta | None = None
    attrs: set[str] | None = None
    lang: str | None = None
    dataset_ids: set[str | None] | None = None
    pick: set[str] | None = None
    omit: set[str] | None = None

    def instance_time(self, inst: dict[str, Any]) -> datetime | None:
        return parse_datetime(inst.get(self.timeproperty))

    def in_range(self, inst: dict[str, Any]) -> bool:
        if self.timerel is None:
            return True
        moment = self.instance_time(inst)
        if moment is None or self.time_at is None:
            return False
        if self.timerel == "before":
            return moment < self.time_at
        if self.timerel == "after":
            return moment >= self.time_at
        assert self.end_time_at is not None
        return self.time_at <= moment < self.end_time_at


_DURATION_RE = re.compile(
    r"^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """ISO 8601 duration; years count 365 days and months 30 days. "0" means no period."""
    if text.strip() == "0":
        return timedelta(0)
    match = _DURATION_RE.match(text.strip())
    if not match:
        raise bad_request(f"aggrPeriodDuration {text!r} is not an ISO 8601 duration")
    years, months, weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(
        days=years * 365 + months * 30 + weeks * 7 + days, hours=hours, minutes=minutes, seconds=seconds
    )


def temporal_params(
    get: Callable[[str], Any], ctx: ActiveContext, options: str | None, fmt: str | None
) -> TemporalQuery:
    """Build a TemporalQuery from URI parameters (or the members of a temporalQ object)."""
    tq = TemporalQuery()
    timerel = get("timerel")
    if timerel is not None:
        if timerel not in ("before", "after", "between"):
            raise bad_request("timerel shall be before, after or between")
        tq.timerel = timerel
        tq.time_at = parse_datetime(get("timeAt"))
        if tq.time_at is None:
            raise bad_request("timeAt shall be a DateTime when timerel is present")
        if timerel == "between":
            tq.end_time_at = parse_datetime(get("endTimeAt"))
            if tq.end_time_at is None:
                raise bad_request("endTimeAt shall be a DateTime when timerel is between")
            if tq.end_time_at <= tq.time_at:
                raise bad_request("endTimeAt shall be after timeAt")
    elif get("timeAt") is not None or get("endTimeAt") is not None:
        raise bad_request("timeAt and endTimeAt require timerel")
    timeproperty = get("timeproperty")
    if timeproperty is not None:
        if timeproperty not in TIME_PROPERTIES:
            raise bad_request(f"timeproperty shall be one of {', '.join(TIME_PROPERTIES)}")
        tq.timeproperty = timeproperty
    last_n = get("lastN")
    if last_n is not None:
        text = str(last_n)
        if isinstance(last_n, bool) or not re.match(r"^\d+$", text) or int(text) < 1:
            raise bad_request("lastN shall be an integer >= 1")
        tq.last_n = int(text)
    chosen: list[str] = []
    for item in (options or "").split(","):
        item = item.strip()
        if not item:
            continue
        if item == "sysAttrs":
            tq.sys_attrs = True
        elif item in ("temporalValues", "aggregatedValues"):
            chosen.append(item)
        elif item != "normalized":
            raise invalid_request(f"unsupported options value {item!r}")
    if len(set(chosen)) > 1:
        raise bad_request("temporalValues and aggregatedValues shall not be used together")
    if fmt is not None and fmt != "":
        if fmt not in ("temporalValues", "aggregatedValues", "normalized"):
            raise invalid_request(f"unsupported format {fmt!r}")
        chosen = [fmt]
    if chosen:
        tq.representation = chosen[0]
    methods = get("aggrMethods")
    if tq.representation == "aggregatedValues":
        if methods is None:
            raise bad_request("aggregatedValues requires aggrMethods")
        items = methods if isinstance(methods, list) else str(methods).split(",")
        tq.aggr_methods = [str(m).strip() for m in items if str(m).strip()]
        if not tq.aggr_methods or any(m not in AGGR_METHODS for m in tq.aggr_methods):
            raise bad_request(f"aggrMethods shall be a list of {', '.join(AGGR_METHODS)}")
        period = get("aggrPeriodDuration")
        tq.aggr_period = parse_duration(str(period)) if period is not None else timedelta(0)
    elif get("aggrPeriodDuration") is not None:
        parse_duration(str(get("aggrPeriodDuration")))
    return tq


def select_instances(
    rows: list[tuple[str, str, dict[str, Any]]], tq: TemporalQuery
) -> dict[str, list[dict[str, Any]]]:
    attrs: dict[str, list[dict[str, Any]]] = {}
    for attr, _, inst in rows:
        if tq.attrs is not None and attr not in tq.attrs:
            continue
        if tq.dataset_ids is not None and inst.get("datasetId") not in tq.dataset_ids:
            continue
        if not tq.in_range(inst):
            continue
        attrs.setdefault(attr, []).append(inst)
    for attr, instances in attrs.items():
        instances.sort(
            key=lambda i: (
                tq.instance_time(i) is None,
                tq.instance_time(i) or datetime.min,
                i.get("createdAt") or i.get("deletedAt", ""),
            )
        )
        if tq.last_n is not None:
            attrs[attr] = instances[-tq.last_n :]
    return attrs


def projection(raw: Any, ctx: ActiveContext) -> set[str]:
    """pick/omit (clause 4.21) as a URI parameter (comma separated) or a Query member (an array): the
    same validation as for entities (http.projection_members): no empty or malformed member."""
    if isinstance(raw, list):
        if not all(isinstance(n, str) for n in raw):
            raise bad_request("pick/omit shall be an array of strings")
        return projection_members(raw, "pick/omit", ctx)
    if not str(raw).strip():
        raise bad_request("empty pick/omit parameter: it shall name at least one entity member")
    return projection_members(re.split(r"[,|]", str(raw)), "pick/omit", ctx)


def common_params(request: Request, ctx: ActiveContext) -> TemporalQuery:
    params = request.query_params
    tq = temporal_params(params.get, ctx, params.get("options"), params.get("format"))
    attrs = parse_attrs_param(params.get("attrs"), ctx)
    tq.attrs = set(attrs) if attrs is not None else None
    if params.get("lang") is not None:
        tq.lang = params["lang"]
    dataset = params.getlist("datasetId")
    if dataset:
        tq.dataset_ids = {
            None if d.strip() == "@none" else d.strip() for raw in dataset for d in raw.split(",")
        }
    if params.get("pick") is not None and params.get("omit") is not None:
        raise bad_request("pick and omit shall not be used together")
    if params.get("pick") is not None:
        tq.pick = projection(params["pick"], ctx)
    if params.get("omit") is not None:
        tq.omit = projection(params["omit"], ctx)
    return tq
