"""NGSI-LD Null (LanguageProperty, datasetId instances, outside updates), q language keys,
merge-patch on Partial Attribute Update and the LanguageProperty Null in notifications."""

from __future__ import annotations

import requests
from ref_support import JSON, E

NULL = "urn:ngsi-ld:null"
LANG_NULL = {"type": "LanguageProperty", "languageMap": {"@none": NULL}}
DS = "urn:ngsi-ld:Dataset:a"


def _make(base: str, http: requests.Session, uid: str, n: int = 0) -> str:
    entity = {
        "id": f"urn:ngsi-ld:NullLang:{uid}{n}",
        "type": "NullLang",
        "name": {"type": "LanguageProperty", "languageMap": {"en": "Main", "fr": "Principal"}},
        "level": [{"type": "Property", "value": 1}, {"type": "Property", "value": 2, "datasetId": DS}],
        "keep": {"type": "Property", "value": 0},
    }
    assert http.post(base + E, json=entity, headers=JSON).status_code == 201
    return f"{base}{E}/{entity['id']}"


def test_language_property_null_deletes(base: str, http: requests.Session, uid: str) -> None:
    """The languageMap {"@none": Null}, normalized or concise, deletes in merge, update, partial update."""
    forms = [LANG_NULL, {"languageMap": {"@none": NULL}}]
    n = 0
    for form in forms:
        for how in ("merge", "update", "partial"):
            n += 1
            url = _make(base, http, uid, n)
            if how == "merge":
                resp = http.patch(url, json={"name": form}, headers=JSON)
            elif how == "update":
                resp = http.patch(url + "/attrs", json={"name": form}, headers=JSON)
            else:
                resp = http.patch(url + "/attrs/name", json=form, headers=JSON)
            assert resp.status_code == 204, (how, resp.text)
            body = http.get(url).json()
            assert "name" not in body and body["keep"]["value"] == 0, (how, form, body)


def test_merge_null_dataset_instances(base: str, http: requests.Session, uid: str) -> None:
    # an array of one Null instance with a datasetId deletes that instance only
    url = _make(base, http, uid, 1)
    null = [{"type": "Property", "value": NULL, "datasetId": DS}]
    assert http.patch(url, json={"level": null}, headers=JSON).status_code == 204
    assert http.get(url).json()["level"] == {"type": "Property", "value": 1}
    # the normalized Null without datasetId deletes the default instance only, the bare Null all
    url = _make(base, http, uid, 2)
    assert (
        http.patch(url, json={"level": {"type": "Property", "value": NULL}}, headers=JSON).status_code == 204
    )
    assert http.get(url).json()["level"] == {"type": "Property", "value": 2, "datasetId": DS}
    assert http.patch(url, json={"level": NULL}, headers=JSON).status_code == 204
    assert "level" not in http.get(url).json()
    # a Null for an attribute the entity lacks creates nothing
    assert http.patch(url, json={"other": LANG_NULL}, headers=JSON).status_code == 204
    assert "other" not in http.get(url).json()


def test_null_outside_partial_update_is_bad_request(base: str, http: requests.Session, uid: str) -> None:
    """Clause 5.2.1: the Null anywhere but a partial update or a merge is BadRequestData."""
    url = _make(base, http, uid, 1)
    for fragment in ({"name": LANG_NULL}, {"keep": NULL}, {"keep": {"type": "Relationship", "object": NULL}}):
        resp = http.post(url + "/attrs", json=fragment, headers=JSON)
        assert resp.status_code == 400 and resp.json()["type"].endswith("BadRequestData"), resp.text
    assert http.get(url).json()["keep"]["value"] == 0
    entity = {"id": f"urn:ngsi-ld:NullLang:{uid}x", "type": "NullLang", "name": LANG_NULL}
    assert http.post(base + E, json=entity, headers=JSON).status_code == 400


def test_q_language_key(base: str, http: requests.Session, uid: str) -> None:
    _make(base, http, uid, 1)

    def ids(q: str) -> list[str]:
        resp = http.get(base + E, params={"type": "NullLang", "q": q}, headers=JSON)
        assert resp.status_code == 200, resp.text
        return [e["id"] for e in resp.json() if e["id"].endswith(f"{uid}1")]

    assert ids('name[en]=="Main"') and ids('name[fr]=="Principal"') and ids('name[fr]~="^Prin"')
    assert not ids('name[fr]=="Main"') and not ids('name[de]=="Main"')


def test_partial_update_accepts_merge_patch(base: str, http: requests.Session, uid: str) -> None:
    url = _make(base, http, uid, 1)
    headers = {"Content-Type": "application/merge-patch+json"}
    assert http.patch(url + "/attrs/keep", json={"value": 5}, headers=headers).status_code == 204
    assert http.get(url).json()["keep"]["value"] == 5


def test_render_deleted_language_property() -> None:
    from reference.ngsild.render import RenderOptions, _render_deleted

    inst = {"type": "LanguageProperty", "_deleted": True}
    out = _render_deleted(inst, None, RenderOptions())  # type: ignore[arg-type]
    assert out == {"type": "LanguageProperty", "languageMap": {"@none": NULL}}
    out = _render_deleted({"type": "Property", "_deleted": True}, None, RenderOptions())  # type: ignore[arg-type]
    assert out == {"type": "Property", "value": NULL}


def test_null_sub_attributes_and_members(base: str, http: requests.Session, uid: str) -> None:
    """Merge, update and partial update remove a sub-attribute of any kind and observedAt/unitCode
    set to the NGSI-LD Null (before, merge kept a sub-Relationship's or sub-LanguageProperty's Null
    and every operation stored a unitCode Null or refused an observedAt Null)."""
    gauge = {
        "type": "Property",
        "value": 1,
        "unitCode": "CEL",
        "observedAt": "2024-01-01T00:00:00Z",
        "acc": {"type": "Property", "value": 0.5},
        "by": {"type": "Relationship", "object": "urn:x:1"},
        "note": {"type": "LanguageProperty", "languageMap": {"en": "x"}},
    }
    nulls = {
        "by": {"object": NULL},
        "note": {"languageMap": {"@none": NULL}},
        "unitCode": NULL,
        "observedAt": NULL,
    }
    n = 0
    for removed, null in nulls.items():
        for how in ("merge", "update", "partial"):
            n += 1
            eid = f"urn:ngsi-ld:NullLang:{uid}m{n}"
            entity = {"id": eid, "type": "NullLang", "gauge": gauge}
            assert http.post(base + E, json=entity, headers=JSON).status_code == 201
            url = f"{base}{E}/{eid}"
            if how == "merge":
                resp = http.patch(url, json={"gauge": {"value": 2, removed: null}}, headers=JSON)
            elif how == "update":
                resp = http.patch(
                    url + "/attrs", json={"gauge": {**gauge, "value": 2, removed: null}}, headers=JSON
                )
            else:
                resp = http.patch(url + "/attrs/gauge", json={"value": 2, removed: null}, headers=JSON)
            assert resp.status_code == 204, (removed, how, resp.text)
            got = http.get(url).json()["gauge"]
            assert removed not in got and got["value"] == 2, (removed, how, got)
            assert {"acc", "by", "note", "unitCode", "observedAt"} - {removed} <= set(got), (
                removed,
                how,
                got,
            )
    # outside an update the Null of a member is BadRequestData
    entity = {"id": f"urn:ngsi-ld:NullLang:{uid}mx", "type": "NullLang", "gauge": {**gauge, "unitCode": NULL}}
    assert http.post(base + E, json=entity, headers=JSON).status_code == 400
