"""MIM1 pagination and counting of Query Entities results (ETSI GS CIM 009 V1.8.1 clauses 5.5.9,
6.3.10, 6.3.13): limit, offset, the prev/next Link relations, count=true and NGSILD-Results-Count,
limit=0, bad paging parameters, and a limit above the implementation's maximum.

The spec leaves the order of results and the maximum page size to the implementation: the scenarios
only rely on what it fixes (page sizes, each entity exactly once across pages, the count, the
refusals), over a dataset of an entity type unique to the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import (
    entities_of,
    ids_of,
    link_relations,
    query,
    results_count,
    run_type,
    same_ids,
    shared_dataset,
)
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.requirements import requirement
from conformance.run_ids import RunIds

TOTAL = 7


@dataclass
class Pages:
    type: str
    ids: list[str]


@pytest.fixture(scope="module")
def pages(http: RecordingClient, profile: TargetProfile, run_ids: RunIds) -> Iterator[Pages]:
    entity_type = run_type(run_ids, "MimPage")
    ids = [f"urn:ngsi-ld:MimPage:{run_ids.next()}-{n}" for n in range(TOTAL)]
    entities = [{"id": i, "type": entity_type, "rank": prop(n)} for n, i in enumerate(ids)]
    with shared_dataset(http, profile, entities):
        yield Pages(entity_type, ids)


def _page(ngsild: Any, pages: Pages, **params: Any) -> Any:
    return query(ngsild, {"type": pages.type, **{k: str(v) for k, v in params.items()}})


@requirement(
    "MIM1-QRY-021",
    clause="6.3.10",
    level="MUST",
    title="limit bounds the number of entities returned by Query Entities",
)
@pytest.mark.parametrize("limit", [1, 2, 3, TOTAL, 50])
def test_limit_bounds_the_page(ngsild: Any, pages: Pages, limit: int) -> None:
    got = ids_of(_page(ngsild, pages, limit=limit))
    checks.equal(f"number of entities with limit={limit}", len(got), min(limit, TOTAL))
    unexpected = sorted(set(got) - set(pages.ids))
    if unexpected or len(set(got)) != len(got):
        checks.fail(f"limit={limit}: unexpected or repeated entities: {got}")


@requirement(
    "MIM1-QRY-022",
    clause="5.5.9",
    level="MUST",
    title="Paging through a result set with limit and offset yields each entity exactly once",
)
@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_paging_yields_each_entity_once(ngsild: Any, pages: Pages, limit: int) -> None:
    seen: list[str] = []
    for offset in range(0, TOTAL + limit, limit):
        got = ids_of(_page(ngsild, pages, limit=limit, offset=offset))
        checks.equal(
            f"page size at offset={offset}, limit={limit}", len(got), max(0, min(limit, TOTAL - offset))
        )
        seen += got
    same_ids(f"all pages of limit={limit}", seen, pages.ids)


@requirement(
    "MIM1-QRY-023",
    clause="6.3.10, 4.12",
    level="MUST",
    title="A page links the next page (rel=next) while entities remain and the previous one (rel=prev) "
    "after the first; following next walks the result set once",
)
@pytest.mark.parametrize("limit", [2, 3])
def test_next_and_prev_links(ngsild: Any, pages: Pages, limit: int) -> None:
    seen: list[str] = []
    resp = _page(ngsild, pages, limit=limit)
    for number in range(TOTAL):  # bounded walk
        seen += ids_of(resp)
        links = link_relations(resp)
        remaining = TOTAL - len(seen)
        if number > 0 and "prev" not in links:
            checks.fail(
                f'page {number + 1} (limit={limit}) has no Link rel="prev"; Link: {resp.headers.get("Link")!r}'
            )
        if number == 0 and "prev" in links:
            checks.fail(f'the first page has a Link rel="prev": {links["prev"]}')
        if remaining <= 0:
            if "next" in links:
                checks.fail(f'the last page still has a Link rel="next": {links["next"]}')
            break
        if "next" not in links:
            checks.fail(
                f'page {number + 1} (limit={limit}) has no Link rel="next" although {remaining} entities remain; '
                f"Link: {resp.headers.get('Link')!r}"
            )
        resp = ngsild.http.request("GET", links["next"], headers=ngsild.headers())
    same_ids(f"pages reached through rel=next (limit={limit})", seen, pages.ids)


@requirement(
    "MIM1-QRY-024",
    clause="6.3.13, 4.13",
    level="MUST",
    title="count=true returns the total number of matching entities in NGSILD-Results-Count, whatever the page",
)
@pytest.mark.parametrize(
    "paging",
    [
        pytest.param({}, id="no-limit"),
        pytest.param({"limit": 2}, id="limit-2"),
        pytest.param({"limit": 2, "offset": 4}, id="limit-2-offset-4"),
        pytest.param({"limit": 3, "offset": 10}, id="offset-past-the-end"),
    ],
)
def test_count_header(ngsild: Any, pages: Pages, paging: dict[str, int]) -> None:
    resp = _page(ngsild, pages, count="true", **paging)
    entities_of(resp)
    checks.equal("NGSILD-Results-Count", results_count(resp), TOTAL)


@requirement(
    "MIM1-QRY-025",
    clause="6.3.13, 4.13",
    level="MUST",
    title="limit=0 with count=true answers 200 with no entities and the total in NGSILD-Results-Count",
)
def test_limit_zero_with_count(ngsild: Any, pages: Pages) -> None:
    resp = _page(ngsild, pages, limit=0, count="true")
    checks.equal("entities returned with limit=0", ids_of(resp), [])
    checks.equal("NGSILD-Results-Count", results_count(resp), TOTAL)


@requirement(
    "MIM1-QRY-026",
    clause="6.3.10",
    level="MUST",
    title="Bad paging parameters (limit=0 without count, negative or non-integer limit or offset) answer 400",
)
@pytest.mark.parametrize(
    "paging",
    [
        pytest.param({"limit": 0}, id="limit-0-without-count"),
        pytest.param({"limit": -1}, id="negative-limit"),
        pytest.param({"limit": "many"}, id="limit-not-a-number"),
        pytest.param({"limit": "1.5"}, id="limit-not-an-integer"),
        pytest.param({"limit": 2, "offset": -2}, id="negative-offset"),
    ],
)
def test_bad_paging_parameters(ngsild: Any, pages: Pages, paging: dict[str, Any]) -> None:
    resp = _page(ngsild, pages, **paging)
    checks.status_is(resp, 400)
    body = checks.json_object(resp)
    if body.get("type") not in (
        checks.NGSILD_ERROR_PREFIX + "BadRequestData",
        checks.NGSILD_ERROR_PREFIX + "InvalidRequest",
    ):
        checks.fail(
            f"expected a ProblemDetails of type BadRequestData (or InvalidRequest), got {body.get('type')!r}"
        )


@requirement(
    "MIM1-QRY-027",
    clause="6.3.10",
    level="MUST",
    title="A limit above the implementation's maximum is refused with 403 TooManyResults (or served in full)",
)
@pytest.mark.parametrize("limit", [1_000_000, 2_000_000_000])
def test_limit_above_maximum(ngsild: Any, pages: Pages, limit: int) -> None:
    resp = _page(ngsild, pages, limit=limit)
    if resp.status_code == 200:
        same_ids(f"limit={limit} served in full", ids_of(resp), pages.ids)
        return
    checks.ngsild_problem(resp, 403, "TooManyResults")
