"""MIM1 EntityMaps towards context sources (ETSI GS CIM 009 V1.8.1 clause 5.2.39 ``linkedMaps`` as the V1.8.1
OpenAPI words it: "System generated mapping of CSourceRegistrations to a URI indicating which EntityMaps was
used by the Context Source", keys the ids of the registrations relevant to the request, values "the
associated EntityMap id used by the ContextSource"; the ``NGSILD-EntityMap`` header of queryEntity and
retrieveEntity, the only operations that take ``entityMap`` in V1.8.1).

The suite's context source plays a broker that keeps maps: asked for one (``entityMap=true``,
``details=true`` or the Query member ``entityMap`` of a POST query) or named one, it answers
``NGSILD-EntityMap: /ngsi-ld/v1/entityMap/{its map id}``. The clause text of how a broker passes maps on was
not at hand (notes/mim1.md, "Entity maps passed on to context sources"): asking the sources, recording
their maps and passing them on at later pages are SHOULD; what the schema says with "shall" (the keys and
values of ``linkedMaps``) and the answer's own header are MUST.
"""

from __future__ import annotations

import json

import pytest

from conformance import checks
from conformance.mim1.dynamics import test_distributed as dst
from conformance.mim1.dynamics import test_entity_maps as emaps
from conformance.mim1.dynamics.emap_support import HEADER, Maps, answered_ids, map_id_of, query_types
from conformance.mim1.dynamics.test_distributed import Federation, asked, entity
from conformance.mim1.dynamics.test_entity_maps import CAP
from conformance.ngsild.api import NgsiLd
from conformance.ngsild.context_source import Source, SourceRequest
from conformance.outcomes import precondition
from conformance.requirements import requirement

context_sources = dst.context_sources  # fixtures used by name
fed = dst.fed
maps = emaps.maps


def source_with_map(fed: Federation, stem: str, kind: str, *entity_ids: str) -> tuple[Source, str, str]:
    """A registered context source for ``kind`` holding these entities that keeps EntityMaps:
    (source, registration id, the map id it names)."""
    own = f"urn:ngsi-ld:EntityMap:mimcheck-source-{fed.ids.next()}"
    src = fed.source(stem).answers_map(own)
    src.hold(*(entity(eid, kind, temperature=n) for n, eid in enumerate(entity_ids)))
    reg = fed.register(src, [{"type": kind}])
    return src, str(reg["id"]), own


def plain_source(fed: Federation, stem: str, kind: str, *entity_ids: str) -> tuple[Source, str]:
    """A registered context source that knows nothing of EntityMaps: (source, registration id)."""
    src = fed.source(stem).hold(*(entity(eid, kind, humidity=n) for n, eid in enumerate(entity_ids)))
    reg = fed.register(src, [{"type": kind}])
    return src, str(reg["id"])


def how_asked(req: SourceRequest) -> str | None:
    """How a request to a source asked for an EntityMap, or None."""
    for name in ("entityMap", "details"):
        if (req.param(name) or "").lower() == "true":
            return f"{name}=true"
    if req.method == "POST" and req.body:
        try:
            doc = json.loads(req.body)
        except ValueError:
            return None
        if isinstance(doc, dict) and doc.get("entityMap") is True:
            return 'the Query member "entityMap": true'
    return None


def names_map(value: object, map_id: str) -> bool:
    """Whether a value names the map: its id, or a resource URI ending in /entityMap/{id}."""
    return isinstance(value, str) and (value == map_id or map_id_of(value) == map_id)


def linked_maps(maps: Maps, map_id: str) -> dict[str, object]:
    doc = maps.document(map_id, strict=True)
    return dict(checks.member(f"EntityMap {map_id}", doc, "linkedMaps", kind=dict))


def ask_sources_checked(src: Source, kind: str, *about: str) -> list[SourceRequest]:
    """The source's requests about the scenario; INCONCLUSIVE when the target did not ask it at all."""
    got = asked(src, *about) or asked(src, kind)
    precondition(bool(got), f"the target did not ask the context source {src.url} at all")
    return got


def recorded(maps: Maps, got: object, reg_id: str, own: str) -> None:
    """linkedMaps lists the source's map under its registration id (the id, or the value it answered)."""
    listed = got.get(reg_id) if isinstance(got, dict) else None
    checks.equal(
        f"the source's EntityMap {own} listed in linkedMaps under {reg_id} (linkedMaps: {got})",
        names_map(listed, own),
        True,
    )
    if listed != own:
        maps.case.note(f"linkedMaps names the source's map by the value it answered: {listed}")


@requirement(
    "MIM1-EMAP-016",
    clause="5.2.39, 5.7.2",
    level="SHOULD",
    capability=CAP,
    title="A query asked for an EntityMap asks each registered context source for its own EntityMap "
    "(entityMap=true, details=true, or the Query member entityMap of a forwarded POST query)",
)
@pytest.mark.parametrize(
    "how", [pytest.param("get", id="get-entities"), pytest.param("post", id="post-query")]
)
def test_sources_asked_for_maps(fed: Federation, maps: Maps, how: str) -> None:
    kind, eid = fed.kind("EmLnkAsk"), fed.entity_id("EmLnkAsk")
    src, _, _ = source_with_map(fed, "emlnk-ask", kind, eid)
    resp, _ = maps.query(kind, how)
    precondition(eid in answered_ids(resp), f"the query did not answer the source's entity {eid}")
    forms = {form for r in ask_sources_checked(src, kind, eid) if (form := how_asked(r))}
    checks.equal(f"the context source asked for its EntityMap ({src.url})", bool(forms), True)
    maps.case.note(f"the target asked the source for its EntityMap with {', '.join(sorted(forms))}")


@requirement(
    "MIM1-EMAP-017",
    clause="5.2.39",
    level="SHOULD",
    capability=CAP,
    title="The EntityMap of a query lists in linkedMaps, under the registration id, the EntityMap the "
    "context source named in its NGSILD-EntityMap answer",
)
def test_source_map_recorded(fed: Federation, maps: Maps) -> None:
    kind, eid = fed.kind("EmLnkRec"), fed.entity_id("EmLnkRec")
    src, reg_id, own = source_with_map(fed, "emlnk-rec", kind, eid)
    _, map_id = maps.query(kind)
    requests = ask_sources_checked(src, kind, eid)
    precondition(
        any(how_asked(r) or r.header(HEADER) for r in requests),
        "the target did not ask the source for an EntityMap, so it named none (see MIM1-EMAP-016)",
    )
    recorded(maps, linked_maps(maps, map_id), reg_id, own)


@requirement(
    "MIM1-EMAP-018",
    clause="5.2.39",
    level="MUST",
    capability=CAP,
    title="linkedMaps of an EntityMap lists only registrations of the request, each with the EntityMap its "
    "own context source named: none for a source that named no map, no source's map under another's id",
)
def test_linked_maps_consistent(fed: Federation, maps: Maps) -> None:
    kind = fed.kind("EmLnkSet")
    first, second, third = (fed.entity_id(f"EmLnkSet{n}") for n in "ABC")
    _, reg_a, map_a = source_with_map(fed, "emlnk-set-a", kind, first)
    _, reg_c, map_c = source_with_map(fed, "emlnk-set-c", kind, third)
    _, reg_b = plain_source(fed, "emlnk-set-b", kind, second)
    resp, map_id = maps.query(kind)
    precondition(
        {first, second, third} <= set(answered_ids(resp)),
        "the query did not answer the three sources' entities",
    )
    got = linked_maps(maps, map_id)
    own = {reg_a: map_a, reg_c: map_c}
    for key, value in got.items():
        if key not in own:
            checks.fail(
                f"linkedMaps lists {key!r}, not a registration whose context source named an EntityMap "
                f"({reg_a}, {reg_c}; {reg_b} named none)",
                seen=got,
            )
        checks.equal(
            f"the EntityMap linkedMaps lists for {key} ({value!r})", names_map(value, own[key]), True
        )
    maps.case.note(
        f"linkedMaps: {got}" if got else "linkedMaps is empty (the sources' maps are not recorded)"
    )


@requirement(
    "MIM1-EMAP-019",
    clause="5.2.39, 5.7.2",
    level="SHOULD",
    capability=CAP,
    title="A page request naming an EntityMap passes each linked context source its own EntityMap in the "
    "NGSILD-EntityMap header",
)
def test_source_map_passed_on(fed: Federation, maps: Maps, ngsild: NgsiLd) -> None:
    kind = fed.kind("EmLnkPage")
    mine, first, second = (fed.entity_id(f"EmLnkPage{n}") for n in ("Local", "A", "B"))
    fed.local(entity(mine, kind, temperature=1))
    src, _, own = source_with_map(fed, "emlnk-page", kind, first, second)
    resp, _ = maps.query(kind, limit="1")
    value = resp.headers[HEADER]
    before = len(src.received())
    page = query_types(ngsild, kind, "get", entity_map=value, limit="1", offset="1")
    checks.status_is(page, 200, 201)
    # only requests about this scenario's type: a broker may pass another scenario's Retrieve Entity
    # of an id it does not hold to every source registered by type alone (see dst.asked)
    recent = {id(r) for r in src.received()[before:]}
    later = [r for r in asked(src, kind) if id(r) in recent]
    precondition(bool(later), "the page was answered without asking the context source again")
    for req in later:
        sent = req.header(HEADER)
        checks.equal(
            f"the source's EntityMap {own} named in the page request {req.method} {req.path} ({HEADER}: {sent})",
            names_map(sent, own),
            True,
        )


@requirement(
    "MIM1-EMAP-020",
    clause="5.7.1, 5.2.39",
    level="SHOULD",
    capability=CAP,
    title="Retrieve Entity asked for an EntityMap asks the context source for its own EntityMap and lists "
    "it in linkedMaps under the registration id",
)
def test_retrieve_links_source_map(fed: Federation, maps: Maps, ngsild: NgsiLd) -> None:
    kind, eid = fed.kind("EmLnkRet"), fed.entity_id("EmLnkRet")
    src, reg_id, own = source_with_map(fed, "emlnk-ret", kind, eid)
    resp, map_id = maps.requested(lambda flag: ngsild.get_entity(eid, params={flag: "true"}), strict=False)
    checks.equal("id of the retrieved entity", checks.json_object(resp).get("id"), eid)
    requests = [r for r in ask_sources_checked(src, kind, eid) if r.method == "GET"]
    forms = {form for r in requests if (form := how_asked(r))}
    checks.equal(f"the context source asked for its EntityMap ({src.url})", bool(forms), True)
    maps.case.note(f"the target asked the source for its EntityMap with {', '.join(sorted(forms))}")
    recorded(maps, linked_maps(maps, map_id), reg_id, own)


@requirement(
    "MIM1-EMAP-021",
    clause="5.7.2",
    level="MUST",
    capability=CAP,
    title="A query whose context source answers an NGSILD-EntityMap of its own answers the location of the "
    "target's EntityMap (retrievable there, listing the source's entity), not the source's",
)
def test_answer_names_own_map(fed: Federation, maps: Maps) -> None:
    kind, eid = fed.kind("EmLnkOwn"), fed.entity_id("EmLnkOwn")
    _, _, own = source_with_map(fed, "emlnk-own", kind, eid)
    resp, map_id = maps.query(kind, strict=True)
    checks.equal("ids in the answer", answered_ids(resp), [eid])
    checks.equal(f"the EntityMap named by {HEADER} ({map_id}) is the source's ({own})", map_id == own, False)
    entries = checks.member(f"EntityMap {map_id}", maps.document(map_id, strict=True), "entityMap", kind=dict)
    checks.equal(f"entity {eid} listed in the EntityMap", eid in entries, True)


@requirement(
    "MIM1-EMAP-022",
    clause="5.2.39",
    level="SHOULD",
    capability=CAP,
    title="A context source is never sent an EntityMap that is not its own: none to a source that named "
    "no map, only its own to a source that did",
)
def test_foreign_map_not_sent(fed: Federation, maps: Maps, ngsild: NgsiLd) -> None:
    kind = fed.kind("EmLnkLone")
    first, second = fed.entity_id("EmLnkLoneA"), fed.entity_id("EmLnkLoneB")
    src_a, _, own = source_with_map(fed, "emlnk-lone-a", kind, first)
    src_b, _ = plain_source(fed, "emlnk-lone-b", kind, second)
    resp, map_id = maps.query(kind, limit="1")
    page = query_types(ngsild, kind, "get", entity_map=resp.headers[HEADER], limit="1", offset="1")
    checks.status_is(page, 200, 201)
    for src, theirs in ((src_a, own), (src_b, None)):
        for req in src.received():
            sent = req.header(HEADER)
            if sent is None or (theirs is not None and names_map(sent, theirs)):
                continue
            whose = "the target's own map" if names_map(sent, map_id) else "a map that is not its own"
            checks.fail(
                f"the context source {src.url} was sent {HEADER}: {sent} ({whose}) in {req.method} {req.path}"
            )
