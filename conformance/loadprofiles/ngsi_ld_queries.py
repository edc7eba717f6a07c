"""Load profile `ngsi_ld_queries`: MIM1 (NGSI-LD) queries over a seeded data set.

Before the users start, the profile seeds ``seed_entities`` entities (``--option seed_entities=N``,
default 100) of type ``MimcheckLoadQuery`` with run-scoped ids, by batch create (clause 5.6.7), on a
grid of points; every seeded value is a function of the entity's index, so each answer can be
checked. The users then query (clause 5.7.2): ``q`` on a number and on a string, geo-queries
(``near;maxDistance`` and ``within`` a polygon, clause 4.10) and a walk through every page
(``limit``/``offset``) of one query. When the test stops the seeded entities are deleted by batch
delete (clause 5.6.10); the CLI sweeps any the profile could not delete.

A request fails on any status but 200, a body that is not an array, an entity in the answer that does
not satisfy the query, or, for the page walk, a seeded match missing or one entity on two pages.
Entities of other runs or owners may be in the answers and are only checked against the query.
"""

from __future__ import annotations

import math
import random
from functools import cache, lru_cache
from typing import Any

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

from conformance.load_locust import (
    LoadSettings,
    attach_reporting,
    expect_status,
    loads,
    profile_option,
    run_entity_prefix,
)

MIMCHECK_MIM = "mim1"
ENTITIES = "/ngsi-ld/v1/entities"
ENTITY_TYPE = "MimcheckLoadQuery"
SETTINGS = LoadSettings.from_environ()
attach_reporting(events, SETTINGS, profile_name="ngsi_ld_queries", entity_types=(ENTITY_TYPE,))
SEED = max(1, int(profile_option("seed_entities", 100)))
PAGE = 20
CATEGORIES = ("alpha", "beta", "gamma", "delta")
ORIGIN = (4.35, 50.85)  # lon, lat of the grid's corner
STEP = 0.001  # degrees between grid points (about 70 m east-west, 111 m north-south here)
GRID = 20  # points per row
BATCH = 50
# '>' and '"' in a query written percent-encoded, as the HTTP client sends them anyway (the same bytes
# on the wire): a query it need not quote again skips its character-by-character quoting, which cost
# as much as the rest of the profile's work for a request
GE, QUOTE = "%3E=", "%22"


def seeded_id(index: int) -> str:
    return f"{run_entity_prefix(ENTITY_TYPE, SETTINGS.run_id)}seed-{index:06d}"


@cache  # SEED entries; read only by callers
def seeded_values(index: int) -> dict[str, Any]:
    """temperature, category and coordinates of seeded entity ``index``."""
    return {
        "temperature": (index * 7) % 40 - 5,
        "category": CATEGORIES[index % len(CATEGORIES)],
        "coordinates": [
            round(ORIGIN[0] + (index % GRID) * STEP, 6),
            round(ORIGIN[1] + (index // GRID) * STEP, 6),
        ],
    }


def seeded_entity(index: int) -> dict[str, Any]:
    values = seeded_values(index)
    return {
        "id": seeded_id(index),
        "type": ENTITY_TYPE,
        "temperature": {"type": "Property", "value": values["temperature"]},
        "category": {"type": "Property", "value": values["category"]},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": values["coordinates"]}},
    }


def _session_headers() -> dict[str, str]:
    return {"Accept": "application/json", **SETTINGS.headers, **SETTINGS.credentials()}


@events.test_start.add_listener
def seed(environment: Any, **_: Any) -> None:
    """Create the data set once: in the master of a distributed run, else in the only process."""
    from locust.runners import WorkerRunner

    if isinstance(environment.runner, WorkerRunner):
        return
    import requests

    url = f"{environment.host}/ngsi-ld/v1/entityOperations/create"
    for start in range(0, SEED, BATCH):
        batch = [seeded_entity(i) for i in range(start, min(SEED, start + BATCH))]
        answer = requests.post(url, json=batch, headers=_session_headers(), timeout=30, allow_redirects=False)
        if answer.status_code not in (200, 201):
            print(
                f"mimcheck-load: seeding answered HTTP {answer.status_code}: {answer.text[:200]}", flush=True
            )


@events.test_stop.add_listener
def unseed(environment: Any, **_: Any) -> None:
    from locust.runners import WorkerRunner

    if isinstance(environment.runner, WorkerRunner):
        return
    import requests

    url = f"{environment.host}/ngsi-ld/v1/entityOperations/delete"
    for start in range(0, SEED, BATCH):
        ids = [seeded_id(i) for i in range(start, min(SEED, start + BATCH))]
        requests.post(url, json=ids, headers=_session_headers(), timeout=30, allow_redirects=False)


def value_of(entity: dict[str, Any], name: str) -> Any:
    member = entity.get(name)
    return member.get("value") if isinstance(member, dict) else member


@cache
def seeded_matches(run_id: str, category: str) -> frozenset[str]:
    """The ids of the seeded entities of that category (what a page walk must meet), once per run."""
    return frozenset(seeded_id(i) for i in range(SEED) if seeded_values(i)["category"] == category)


def distance_m(a: list[float], b: list[float]) -> float:
    """Great-circle distance between two lon/lat points, in metres."""
    return _distance_m(a[0], a[1], b[0], b[1])


@lru_cache(maxsize=1 << 16)  # the seeded grid's pairs of points, and room for other entities
def _distance_m(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (lon_a, lat_a, lon_b, lat_b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def coordinates_of(entity: dict[str, Any]) -> list[float] | None:
    location = value_of(entity, "location")
    if isinstance(location, dict) and isinstance(location.get("coordinates"), list):
        return [float(c) for c in location["coordinates"][:2]]
    return None


# The last answer checked for each query: (request name, query) -> (answer bytes, ids answered, ids
# breaking the query). The seeded data does not change during a run, so a broker answers one query with
# the same bytes again and again; ``ok`` is a function of the query alone, so an answer byte for byte
# equal to the one already checked for the same query has the same verdict, with no second parse or
# check (a comparison of bytes, no hashing of them). Any other answer is parsed and checked in full.
CHECKED: dict[tuple[str, str], tuple[bytes, list[str], list[Any]]] = {}
MAX_CHECKED = 2000  # about the distinct queries of a run (with the default seed), a few MB of answers


def check_answer(name: str, params: str, content: Any, ok: Any) -> tuple[list[str], list[Any]] | None:
    """The ids an answer carries and those of its entities that break ``ok``; None if it is not an
    array of entities."""
    known = CHECKED.get((name, params))
    if known is not None and known[0] == content:
        return known[1], known[2]
    try:
        body = loads(content) if content else None
    except ValueError:
        body = None
    if not isinstance(body, list) or not all(isinstance(e, dict) for e in body):
        return None
    ids, wrong = [str(e.get("id")) for e in body], [e.get("id") for e in body if not ok(e)]
    if isinstance(content, bytes) and (known is not None or len(CHECKED) < MAX_CHECKED):
        CHECKED[(name, params)] = content, ids, wrong
    return ids, wrong


class NgsiLdQueryUser(FastHttpUser):
    wait_time = between(0.05, 0.25)
    network_timeout = 10.0
    connection_timeout = 5.0
    max_redirects = 0
    insecure = False
    default_headers = {"Accept": "application/json", **SETTINGS.headers}

    def query(self, params: str, name: str, ok: Any, what: str, last: Any = None) -> list[str] | None:
        """GET /entities?type=...&<params>; the ids of the entities answered, or None after marking the
        request failed.

        ``ok(entity)`` must hold for every entity of the answer (``what`` names the query in the failure);
        ``last(ids)`` may name a problem of the whole exchange, which fails this request."""
        with self.client.get(
            f"{ENTITIES}?type={ENTITY_TYPE}&{params}",
            name=name,
            headers=SETTINGS.credentials(),
            catch_response=True,
        ) as response:
            if not expect_status(response, 200):
                return None
            checked = check_answer(name, params, response.content, ok)
            if checked is None:
                response.failure("the answer is not an array of entities")
                return None
            ids, wrong = checked
            problem = last(ids) if last is not None else None
            if wrong:
                response.failure(f"{len(wrong)} entities do not satisfy {what}, e.g. {wrong[0]}")
            elif problem:
                response.failure(problem)
            return ids

    @task(4)
    def q_number(self) -> None:
        low = random.randint(-5, 30)

        def at_least(e: dict[str, Any]) -> bool:
            value = value_of(e, "temperature")
            return isinstance(value, int | float) and value >= low

        self.query(
            f"q=temperature{GE}{low}&limit={PAGE}",
            "GET /entities?q=temperature>=N",
            at_least,
            f"temperature>={low}",
        )

    @task(3)
    def q_string(self) -> None:
        category = random.choice(CATEGORIES)
        self.query(
            f"q=category=={QUOTE}{category}{QUOTE}&limit={PAGE}",
            'GET /entities?q=category=="..."',
            lambda e: value_of(e, "category") == category,
            f"category=={category}",
        )

    @task(2)
    def geo_near(self) -> None:
        point = seeded_values(random.randrange(SEED))["coordinates"]
        radius = random.choice((100, 250, 500))

        def near(e: dict[str, Any]) -> bool:
            where = coordinates_of(e)
            return where is not None and distance_m(where, point) <= radius * 1.01 + 1

        self.query(
            f"georel=near;maxDistance=={radius}&geometry=Point&coordinates=[{point[0]},{point[1]}]&limit={PAGE}",
            "GET /entities?georel=near;maxDistance",
            near,
            f"near {point} within {radius} m",
        )

    @task(2)
    def geo_within(self) -> None:
        x0, y0 = seeded_values(random.randrange(SEED))["coordinates"]
        x1, y1 = round(x0 + 3.5 * STEP, 6), round(y0 + 3.5 * STEP, 6)
        ring = f"[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]"
        slack = 1e-7

        def inside(e: dict[str, Any]) -> bool:
            where = coordinates_of(e)
            return (
                where is not None
                and x0 - slack <= where[0] <= x1 + slack
                and y0 - slack <= where[1] <= y1 + slack
            )

        self.query(
            f"georel=within&geometry=Polygon&coordinates={ring}&limit={PAGE}",
            "GET /entities?georel=within (Polygon)",
            inside,
            "within the polygon",
        )

    @task(1)
    def page_walk(self) -> None:
        """Every page of one query; the last page's request fails if the walk missed or repeated one."""
        category = random.choice(CATEGORIES)
        expected = seeded_matches(SETTINGS.run_id, category)
        seen: list[str] = []

        def verdict(found: list[str]) -> str | None:
            seen.extend(found)
            if len(found) == PAGE:
                return None  # not the last page yet
            if len(seen) != len(set(seen)):
                return "the page walk met one entity on two pages"
            missing = expected - set(seen)
            return f"{len(missing)} seeded matches missing from the pages" if missing else None

        for page in range(SEED // PAGE + 50):  # bounded even if the broker keeps answering full pages
            found = self.query(
                f"q=category=={QUOTE}{category}{QUOTE}&limit={PAGE}&offset={page * PAGE}",
                "GET /entities?q&limit&offset (page walk)",
                lambda e: value_of(e, "category") == category,
                f"category=={category}",
                verdict,
            )
            if found is None or len(found) < PAGE:
                return
