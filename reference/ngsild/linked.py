"""Linked Entity Retrieval (clause 4.5.23): the ``join``, ``joinLevel`` and ``containedBy`` URI
parameters of Retrieve Entity (5.7.1) and Query Entities (5.7.2).

- ``join=inline`` (4.5.23.2): each Relationship (and ListRelationship) whose target entity is held
  here gets an ``entity`` (``entityList``) member holding the target, rendered like the linking
  entity; in keyValues the Relationship's value becomes the target entity itself.
- ``join=flat`` (4.5.23.3): the linking entities are returned unchanged, followed by every entity
  reached over their Relationships, each once; Retrieve Entity then answers an array.
- ``join=@none``: no linked entity retrieval.
- ``joinLevel`` (default 1, a positive integer): how many Relationship hops are followed. An entity
  already encountered at a shallower depth (or named in ``containedBy``) is not expanded again, so
  cycles end; with ``inline`` it is still shown at the place that links to it.

Only entities stored here are followed: a Relationship whose target does not exist is left as it is.
``joinLevel`` or ``containedBy`` without ``join`` is refused (400 BadRequestData), as is a ``join``
value other than the three above or a ``joinLevel`` that is not a positive integer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .context import ActiveContext
from .errors import bad_request
from .render import KEY_VALUES, RenderOptions, render_entity

JOIN_VALUES = ("flat", "inline", "@none")
ENTITY_MEMBERS = {"id", "type", "scope", "createdAt", "modifiedAt", "@context"}

Lookup = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class Join:
    kind: str  # flat | inline
    level: int = 1
    contained_by: frozenset[str] = field(default_factory=frozenset)


def parse_join(params: Any) -> Join | None:
    """The linked entity retrieval asked for by the URI parameters; None for none (or join=@none)."""
    join = params.get("join")
    level_raw = params.get("joinLevel")
    contained_raw = params.get("containedBy")
    if join is None:
        if level_raw is not None or contained_raw is not None:
            raise bad_request("joinLevel and containedBy are only applicable together with join")
        return None
    if join not in JOIN_VALUES:
        raise bad_request(f"join shall be one of {', '.join(JOIN_VALUES)}, not {join!r}")
    level = 1
    if level_raw is not None:
        text = level_raw.strip()
        if not text.isdigit() or int(text) < 1:
            raise bad_request(f"joinLevel shall be a positive integer, not {level_raw!r}")
        level = int(text)
    contained = frozenset(i.strip() for i in (contained_raw or "").split(",") if i.strip())
    if join == "@none":
        return None
    return Join(join, level, contained)


def linked_options(opts: RenderOptions) -> RenderOptions:
    """Linked entities are rendered in the representation of the linking entity, in full."""
    return RenderOptions(format=opts.format, sys_attrs=opts.sys_attrs, lang=opts.lang)


def _targets(stored: dict[str, Any], rendered: dict[str, Any], ctx: ActiveContext) -> list[str]:
    """The target ids of the Relationships and ListRelationships shown in a rendered entity."""
    found: list[str] = []
    for name in rendered:
        if name in ENTITY_MEMBERS:
            continue
        for inst in stored["attrs"].get(ctx.expand(name), []):
            if inst.get("_deleted"):
                continue
            if inst["type"] == "Relationship":
                obj = inst.get("object")
                found.extend(o for o in (obj if isinstance(obj, list) else [obj]) if isinstance(o, str))
            elif inst["type"] == "ListRelationship":
                found.extend(o for o in inst.get("objectList", []) if isinstance(o, str))
    return found


class _Walk:
    """Breadth-first over the entity graph: the depth at which each entity is first encountered."""

    def __init__(
        self,
        roots: list[tuple[dict[str, Any], dict[str, Any]]],
        join: Join,
        lookup: Lookup,
        ctx: ActiveContext,
        opts: RenderOptions,
    ) -> None:
        self.join, self.lookup, self.ctx, self.opts = join, lookup, ctx, opts
        self.stored: dict[str, dict[str, Any]] = {}
        self.depth: dict[str, int] = {i: 0 for i in join.contained_by}
        self.order: list[str] = []  # linked entities (not roots) in the order first encountered
        frontier = []
        for stored, _rendered in roots:
            self.depth.setdefault(stored["id"], 0)
            self.stored[stored["id"]] = stored
            frontier.append(stored)
        link_opts = linked_options(opts)
        for level in range(1, join.level + 1):
            following: list[dict[str, Any]] = []
            for stored in frontier:
                rendered = render_entity(stored, ctx, link_opts if level > 1 else opts)
                for target in _targets(stored, rendered, ctx):
                    if target in self.depth:
                        continue
                    entity = lookup(target)
                    if entity is None:
                        continue
                    self.depth[target] = level
                    self.stored[target] = entity
                    self.order.append(target)
                    following.append(entity)
            frontier = following

    def render_linked(self, entity_id: str, level: int) -> dict[str, Any]:
        entity = self.stored[entity_id]
        rendered = render_entity(entity, self.ctx, linked_options(self.opts))
        if self.depth.get(entity_id) == level and level < self.join.level:
            self.inline(entity, rendered, level)
        return rendered

    def inline(self, stored: dict[str, Any], rendered: dict[str, Any], level: int) -> None:
        """Add the linked entities (level + 1) to the Relationships of a rendered entity, in place."""
        for name, value in list(rendered.items()):
            if name in ENTITY_MEMBERS:
                continue
            instances = stored["attrs"].get(self.ctx.expand(name), [])
            kinds = {i["type"] for i in instances}
            if not kinds & {"Relationship", "ListRelationship"}:
                continue
            if self.opts.format == KEY_VALUES:
                rendered[name] = self._inline_simplified(value, level)
                continue
            for inst in value if isinstance(value, list) else [value]:
                if isinstance(inst, dict):
                    self._inline_instance(inst, level)

    def _known(self, target: Any, level: int) -> bool:
        return isinstance(target, str) and target in self.stored and self.depth[target] <= level + 1

    def _inline_instance(self, inst: dict[str, Any], level: int) -> None:
        obj = inst.get("object")
        if isinstance(obj, str) and self._known(obj, level):
            inst["entity"] = self.render_linked(obj, level + 1)
        elif isinstance(obj, list):
            found = [self.render_linked(o, level + 1) for o in obj if self._known(o, level)]
            if found:
                inst["entity"] = found
        items = inst.get("objectList")
        if isinstance(items, list):
            ids = [i.get("object") if isinstance(i, dict) else i for i in items]
            found = [
                self.render_linked(o, level + 1) for o in ids if isinstance(o, str) and self._known(o, level)
            ]
            if found:
                inst["entityList"] = found

    def _inline_simplified(self, value: Any, level: int) -> Any:
        if isinstance(value, str) and self._known(value, level):
            return self.render_linked(value, level + 1)
        if isinstance(value, list):
            return [self.render_linked(v, level + 1) if self._known(v, level) else v for v in value]
        return value


def apply_join(
    join: Join,
    roots: list[tuple[dict[str, Any], dict[str, Any]]],
    lookup: Lookup,
    ctx: ActiveContext,
    opts: RenderOptions,
) -> list[dict[str, Any]]:
    """The rendered entities with linked entity retrieval applied: the roots (inline: with their
    linked entities inside) or, flat, the roots followed by every linked entity."""
    walk = _Walk(roots, join, lookup, ctx, opts)
    if join.kind == "flat":
        return [rendered for _stored, rendered in roots] + [
            render_entity(walk.stored[i], ctx, linked_options(opts)) for i in walk.order
        ]
    for stored, rendered in roots:
        walk.inline(stored, rendered, 0)
    return [rendered for _stored, rendered in roots]
