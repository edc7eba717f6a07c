"""GeoJSON representation of entities (ETSI GS CIM 009 clause 4.5.16, 4.5.17)."""

from __future__ import annotations

from typing import Any

from .context import ActiveContext
from .render import KEY_VALUES, RenderOptions


def entity_feature(
    entity: dict[str, Any],
    rendered: dict[str, Any],
    ctx: ActiveContext,
    geometry_property: str,
    opts: RenderOptions,
) -> dict[str, Any]:
    """Wrap a rendered entity as a GeoJSON Feature; the geometry comes from `geometry_property`."""
    geometry: Any = None
    instances = entity["attrs"].get(ctx.expand(geometry_property))
    if instances and instances[0].get("type") == "GeoProperty":
        geometry = instances[0].get("value")
    properties = {k: v for k, v in rendered.items() if k != "id"}
    feature: dict[str, Any] = {
        "id": entity["id"],
        "type": "Feature",
        "geometry": geometry,
        "properties": properties,
    }
    if opts.format == KEY_VALUES:
        feature["properties"] = properties
    return feature


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}
