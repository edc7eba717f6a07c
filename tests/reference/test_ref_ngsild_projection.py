"""Reference platform: pick/omit validation (clause 4.21), the inputs a query needs (clause 5.7.2),
EntitySelector without type (clause 5.2.33), entity types expanding to a JSON-LD keyword."""

from __future__ import annotations

import json

import pytest
import requests
from ref_support import JSON, E

Q = "/ngsi-ld/v1/entityOperations/query"


def _problem(resp: requests.Response, status: int = 400, kind: str = "BadRequestData") -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()["type"].endswith("/" + kind)


@pytest.fixture
def seeded(base: str, http: requests.Session, uid: str) -> tuple[str, str]:
    kind = f"Prj{uid}"
    entity = {
        "id": f"urn:ngsi-ld:Prj:{uid}",
        "type": kind,
        "speed": {"type": "Property", "value": 1},
        "status": {"type": "Property", "value": "on"},
    }
    assert http.post(base + E, json=entity, headers=JSON).status_code == 201
    return kind, entity["id"]


@pytest.mark.parametrize("pick", ["speed,,status", "speed,", ",speed", "sp eed", "speed{status", "status)"])
def test_malformed_pick_members_are_refused(
    base: str, http: requests.Session, seeded: tuple[str, str], pick: str
) -> None:
    kind, entity_id = seeded
    _problem(http.get(f"{base}{E}/{entity_id}", params={"pick": pick}))
    _problem(http.get(base + E, params={"type": kind, "omit": pick}))


def test_pick_members_and_post_projection(base: str, http: requests.Session, seeded: tuple[str, str]) -> None:
    kind, entity_id = seeded
    assert http.get(f"{base}{E}/{entity_id}", params={"pick": "id,speed"}).json() == {
        "id": entity_id,
        "speed": {"type": "Property", "value": 1},
    }
    # '|' (a V1.9.1 synonym of ',') is taken too; a URI names an attribute
    picked = http.get(f"{base}{E}/{entity_id}", params={"pick": "id|status"}).json()
    assert set(picked) == {"id", "status"}
    uri = "https://uri.etsi.org/ngsi-ld/default-context/speed"
    assert set(http.get(f"{base}{E}/{entity_id}", params={"pick": f"id,{uri}"}).json()) == {"id", "speed"}
    body = {"type": "Query", "entities": [{"type": kind}], "pick": ["id", "status"]}
    answer = http.post(base + Q, data=json.dumps(body), headers=JSON).json()
    assert answer == [{"id": entity_id, "status": {"type": "Property", "value": "on"}}]
    for bad in ([], [""], ["sp eed"], ["speed{"]):
        _problem(http.post(base + Q, data=json.dumps({**body, "pick": bad}), headers=JSON))


@pytest.mark.parametrize(
    "params",
    [
        {"id": "{id}"},
        {"idPattern": ".*"},
        {"id": "{id}", "idPattern": ".*"},
        {"attrs": "id,type"},
        {"attrs": "type"},
    ],
)
def test_query_without_required_input_is_refused(
    base: str, http: requests.Session, seeded: tuple[str, str], params: dict[str, str]
) -> None:
    _, entity_id = seeded
    _problem(http.get(base + E, params={k: v.format(id=entity_id) for k, v in params.items()}))


def test_query_with_ids_and_a_type_or_attribute_is_served(
    base: str, http: requests.Session, seeded: tuple[str, str]
) -> None:
    kind, entity_id = seeded
    for params in (
        {"id": entity_id, "type": kind},
        {"id": entity_id, "type": "*"},
        {"attrs": "id,speed", "id": entity_id},
    ):
        resp = http.get(base + E, params=params)
        assert resp.status_code == 200, resp.text
        assert entity_id in [e["id"] for e in resp.json()]


@pytest.mark.parametrize(
    "selectors",
    [[{"id": "urn:ngsi-ld:Prj:x"}], [{"idPattern": ".*"}], [{"type": "T"}, {"id": "urn:ngsi-ld:Prj:x"}]],
)
def test_entity_selector_without_type_is_refused(base: str, http: requests.Session, selectors: list) -> None:
    body = {"type": "Query", "entities": selectors}
    _problem(http.post(base + Q, data=json.dumps(body), headers=JSON))


@pytest.mark.parametrize("type_name", ["type", "id", ["Thing", "type"]])
def test_keyword_entity_type_is_refused(
    base: str, http: requests.Session, uid: str, type_name: object
) -> None:
    entity = {"id": f"urn:ngsi-ld:PrjKw:{uid}", "type": type_name}
    _problem(http.post(base + E, json=entity, headers=JSON))
    assert http.get(f"{base}{E}/urn:ngsi-ld:PrjKw:{uid}").status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"pick": ["id"]}, {"lang": "en"}, {"attrs": ["id", "type"]}, {"datasetId": ["@none"]}]
)
def test_query_body_without_input_is_refused(base: str, http: requests.Session, body: dict) -> None:
    _problem(http.post(base + Q, data=json.dumps({"type": "Query", **body}), headers=JSON))


def test_query_body_with_one_input_is_served(
    base: str, http: requests.Session, seeded: tuple[str, str]
) -> None:
    kind, entity_id = seeded
    for body in ({"entities": [{"type": kind}]}, {"attrs": ["speed"]}, {"q": "speed==1"}):
        resp = http.post(base + Q, data=json.dumps({"type": "Query", **body}), headers=JSON)
        assert resp.status_code == 200, resp.text
    assert (
        http.post(base + Q, params={"local": "true"}, data='{"type": "Query"}', headers=JSON).status_code
        == 200
    )


@pytest.mark.parametrize("value", ["", "speed,,status", "sp eed", "speed{status"])
def test_temporal_malformed_projection_is_refused(
    base: str, http: requests.Session, uid: str, value: str
) -> None:
    kind = f"PrjTmp{uid}"
    entity = {
        "id": f"urn:ngsi-ld:{kind}:1",
        "type": kind,
        "speed": [{"type": "Property", "value": 1, "observedAt": "2020-01-01T00:00:00Z"}],
    }
    assert http.post(base + "/ngsi-ld/v1/temporal/entities", json=entity, headers=JSON).status_code in (
        201,
        204,
    )
    _problem(http.get(f"{base}/ngsi-ld/v1/temporal/entities/{entity['id']}", params={"pick": value}))
    window = {"type": kind, "timerel": "after", "timeAt": "2019-01-01T00:00:00Z"}
    _problem(http.get(base + "/ngsi-ld/v1/temporal/entities", params={**window, "omit": value}))
    body = {"type": "Query", "entities": [{"type": kind}], "pick": value.split(",") if value else []}
    _problem(
        http.post(base + "/ngsi-ld/v1/temporal/entityOperations/query", data=json.dumps(body), headers=JSON)
    )
    picked = http.get(f"{base}/ngsi-ld/v1/temporal/entities/{entity['id']}", params={"pick": "id,speed"})
    assert picked.status_code == 200 and set(picked.json()) == {"id", "speed"}
