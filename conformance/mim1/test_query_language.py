"""MIM1 NGSI-LD Query Language (ETSI GS CIM 009 V1.8.1 clause 4.9) over GET /entities and
POST /entityOperations/query: comparisons of numbers, strings, booleans, DateTime and Date values,
ranges, value lists, patterns, existence, ';' and '|' with parentheses and precedence, sub-attribute
paths, compound-value paths, Relationship objects, the datasetId parameter, and refused expressions.

The expected result of each q expression is computed by the scenario from the records below, which
the module creates once under an entity type unique to the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.payloads import prop, rel
from conformance.ngsild.query import (
    entities_of,
    ids_of,
    query,
    query_post,
    run_type,
    same_ids,
    shared_dataset,
)
from conformance.profiles import TargetProfile
from conformance.recording import RecordingClient
from conformance.requirements import requirement
from conformance.run_ids import RunIds

FORMS = [pytest.param("get", id="GET"), pytest.param("post", id="POST")]
GPS = "urn:ngsi-ld:Dataset:mimcheck-gps"

# id suffix: temperature (with sub-property accuracy), label, when (DateTime), day (Date), ok (Boolean),
# isPartOf (Relationship to site S1/S2/S3), address (compound value: city, zip)
RECORDS: dict[str, dict[str, Any]] = {
    "r0": {
        "t": 10,
        "acc": 0.5,
        "label": "alpha",
        "when": "2021-01-01T10:00:00Z",
        "day": "2021-01-01",
        "ok": True,
        "site": "S1",
        "city": "Madrid",
        "zip": 28001,
    },
    "r1": {
        "t": 15.5,
        "acc": 1.5,
        "label": "beta",
        "when": "2021-06-01T00:00:00Z",
        "day": "2021-06-01",
        "ok": False,
        "site": "S2",
        "city": "Paris",
        "zip": 75001,
    },
    "r2": {
        "t": 20,
        "acc": 0.1,
        "label": "gamma",
        "when": "2022-01-01T00:00:00Z",
        "day": "2022-01-01",
        "ok": True,
        "site": "S1",
        "city": "Berlin",
        "zip": 10115,
    },
    "r3": {
        "t": 25,
        "acc": 2.0,
        "label": "delta",
        "when": "2022-06-15T12:30:00Z",
        "day": "2022-06-15",
        "ok": False,
        "site": "S3",
        "city": "Madrid",
        "zip": 28002,
    },
    "r4": {
        "t": 30,
        "label": "alphabet",
        "when": "2023-03-03T03:03:03Z",
        "day": "2023-03-03",
        "ok": True,
        "site": "S2",
        "city": "Rome",
        "zip": 100,
    },
    "r5": {"label": "epsilon", "city": "Paris", "zip": 75002},
    "r6": {
        "t": -5,
        "acc": 0.7,
        "when": "2020-12-31T23:59:59Z",
        "day": "2020-12-31",
        "ok": True,
        "site": "S3",
    },
}


@dataclass
class Dataset:
    type: str
    ids: dict[str, str]
    sites: dict[str, str]

    def select(self, keep: Callable[[dict[str, Any]], bool]) -> set[str]:
        return {self.ids[s] for s, record in RECORDS.items() if keep(record)}


def _entity(
    entity_id: str, entity_type: str, record: dict[str, Any], sites: dict[str, str], suffix: str
) -> dict[str, Any]:
    entity: dict[str, Any] = {"id": entity_id, "type": entity_type}
    if "t" in record:
        entity["temperature"] = prop(record["t"], unitCode="CEL")
        if "acc" in record:
            entity["temperature"]["accuracy"] = prop(record["acc"])
    if "label" in record:
        entity["label"] = prop(record["label"])
    if "when" in record:
        entity["when"] = prop({"@type": "DateTime", "@value": record["when"]})
    if "day" in record:
        entity["day"] = prop({"@type": "Date", "@value": record["day"]})
    if "ok" in record:
        entity["ok"] = prop(record["ok"])
    if "site" in record:
        entity["isPartOf"] = rel(sites[record["site"]])
    if "city" in record:
        entity["address"] = prop({"city": record["city"], "zip": record["zip"]})
    if suffix == "r0":
        entity["speed"] = [prop(50), prop(55, datasetId=GPS)]
    if suffix == "r1":
        entity["speed"] = [prop(60, datasetId=GPS), prop(61)]
    return entity


@pytest.fixture(scope="module")
def dataset(http: RecordingClient, profile: TargetProfile, run_ids: RunIds) -> Iterator[Dataset]:
    entity_type = run_type(run_ids, "MimQl")
    ids = {suffix: f"urn:ngsi-ld:MimQl:{run_ids.next()}-{suffix}" for suffix in RECORDS}
    sites = {name: f"urn:ngsi-ld:MimSite:{run_ids.next()}-{name}" for name in ("S1", "S2", "S3")}
    entities = [_entity(ids[s], entity_type, r, sites, s) for s, r in RECORDS.items()]
    with shared_dataset(http, profile, entities):
        yield Dataset(entity_type, ids, sites)


def _run_q(ngsild: Any, dataset: Dataset, form: str, q: str) -> Any:
    if form == "get":
        return query(ngsild, {"type": dataset.type, "q": q})
    return query_post(ngsild, {"entities": [{"type": dataset.type}], "q": q})


def _has(*keys: str) -> Callable[[dict[str, Any]], bool]:
    return lambda r: all(k in r for k in keys)


def _cmp(key: str, op: str, value: Any) -> Callable[[dict[str, Any]], bool]:
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return lambda r: key in r and ops[op](r[key], value)


def _check_q(
    ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[[dict[str, Any]], bool]
) -> None:
    expression = q.format(**dataset.sites)
    resp = _run_q(ngsild, dataset, form, expression)
    same_ids(f"q={expression}", ids_of(resp), dataset.select(keep))


def _cases(*cases: tuple[str, Callable[[dict[str, Any]], bool]]) -> list[Any]:
    return [pytest.param(q, keep, id=q) for q, keep in cases]


# ------------------------------------------------------------------------------ comparisons

NUMBER_CASES = _cases(
    ("temperature==20", _cmp("t", "==", 20)),
    ("temperature==15.5", _cmp("t", "==", 15.5)),
    ("temperature;temperature!=20", _cmp("t", "!=", 20)),
    ("temperature>20", _cmp("t", ">", 20)),
    ("temperature>=20", _cmp("t", ">=", 20)),
    ("temperature<20", _cmp("t", "<", 20)),
    ("temperature<=20", _cmp("t", "<=", 20)),
    ("temperature>15.4", _cmp("t", ">", 15.4)),
    ("temperature<0", _cmp("t", "<", 0)),
    ("temperature>=-5", _cmp("t", ">=", -5)),
)


@requirement(
    "MIM1-QRY-009",
    clause="4.9",
    level="MUST",
    title="q compares numeric Property values with ==, !=, >, >=, <, <= (integers, decimals, negatives)",
)
@pytest.mark.parametrize(("q", "keep"), NUMBER_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_numbers(ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]) -> None:
    _check_q(ngsild, dataset, form, q, keep)


STRING_CASES = _cases(
    ('label=="beta"', _cmp("label", "==", "beta")),
    ('label;label!="beta"', _cmp("label", "!=", "beta")),
    ('label>"beta"', _cmp("label", ">", "beta")),
    ('label>="delta"', _cmp("label", ">=", "delta")),
    ('label<"beta"', _cmp("label", "<", "beta")),
    ('label<="beta"', _cmp("label", "<=", "beta")),
    ("ok==true", _cmp("ok", "==", True)),
    ("ok==false", _cmp("ok", "==", False)),
)


@requirement(
    "MIM1-QRY-010",
    clause="4.9",
    level="MUST",
    title="q compares quoted String values (equality and ordering) and Boolean values",
)
@pytest.mark.parametrize(("q", "keep"), STRING_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_strings_and_booleans(
    ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]
) -> None:
    _check_q(ngsild, dataset, form, q, keep)


TEMPORAL_CASES = _cases(
    ("when==2022-01-01T00:00:00Z", _cmp("when", "==", "2022-01-01T00:00:00Z")),
    ("when>2021-12-31T00:00:00Z", _cmp("when", ">", "2021-12-31T00:00:00Z")),
    ("when>=2022-01-01T00:00:00Z", _cmp("when", ">=", "2022-01-01T00:00:00Z")),
    ("when<2021-06-01T00:00:00Z", _cmp("when", "<", "2021-06-01T00:00:00Z")),
    ("when<=2021-06-01T00:00:00Z", _cmp("when", "<=", "2021-06-01T00:00:00Z")),
    ("day==2021-06-01", _cmp("day", "==", "2021-06-01")),
    ("day>2022-01-01", _cmp("day", ">", "2022-01-01")),
    ("day<=2021-01-01", _cmp("day", "<=", "2021-01-01")),
)


@requirement(
    "MIM1-QRY-011",
    clause="4.9",
    level="MUST",
    title="q compares DateTime and Date Property values chronologically",
)
@pytest.mark.parametrize(("q", "keep"), TEMPORAL_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_dates(ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]) -> None:
    _check_q(ngsild, dataset, form, q, keep)


def _between(key: str, low: Any, high: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda r: key in r and low <= r[key] <= high


def _one_of(key: str, *values: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda r: key in r and r[key] in values


RANGE_LIST_CASES = _cases(
    ("temperature==10..20", _between("t", 10, 20)),
    ("temperature==15..26", _between("t", 15, 26)),
    ("temperature;temperature!=10..20", lambda r: "t" in r and not 10 <= r["t"] <= 20),
    (
        "when==2021-01-01T00:00:00Z..2021-12-31T23:59:59Z",
        _between("when", "2021-01-01T00:00:00Z", "2021-12-31T23:59:59Z"),
    ),
    ("day==2021-01-01..2022-01-01", _between("day", "2021-01-01", "2022-01-01")),
    ('label=="alpha".."beta"', _between("label", "alpha", "beta")),
    ("temperature==10,20,30", _one_of("t", 10, 20, 30)),
    ('label=="alpha","gamma","zeta"', _one_of("label", "alpha", "gamma", "zeta")),
    ("temperature;temperature!=10,20", lambda r: "t" in r and r["t"] not in (10, 20)),
    ("day==2021-01-01,2023-03-03", _one_of("day", "2021-01-01", "2023-03-03")),
)


@requirement(
    "MIM1-QRY-012",
    clause="4.9",
    level="MUST",
    title="q supports ranges (a..b, inclusive) and value lists (a,b,c) with == and !=",
)
@pytest.mark.parametrize(("q", "keep"), RANGE_LIST_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_ranges_and_lists(
    ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]
) -> None:
    _check_q(ngsild, dataset, form, q, keep)


PATTERN_CASES = [
    pytest.param("label~=", "^alp", lambda r: "label" in r and r["label"].startswith("alp"), id="prefix"),
    pytest.param("label~=", "ta$", lambda r: "label" in r and r["label"].endswith("ta"), id="suffix"),
    pytest.param(
        "label~=",
        "^[abg].*a$",
        lambda r: "label" in r and r["label"][0] in "abg" and r["label"].endswith("a"),
        id="class",
    ),
    pytest.param(
        "label;label!~=", "^alp", lambda r: "label" in r and not r["label"].startswith("alp"), id="not-prefix"
    ),
]


@requirement(
    "MIM1-QRY-013",
    clause="4.9",
    level="MUST",
    title="q matches String values against a regular expression with ~= and !~=",
)
@pytest.mark.parametrize(("head", "pattern", "keep"), PATTERN_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_patterns(
    ngsild: Any, dataset: Dataset, form: str, head: str, pattern: str, keep: Callable[..., bool]
) -> None:
    # The pattern is sent as written in the ABNF (unquoted); an implementation that only takes it
    # quoted answers 400 to that form, and is then judged on the quoted form.
    resp = _run_q(ngsild, dataset, form, head + pattern)
    if resp.status_code == 400:
        resp = _run_q(ngsild, dataset, form, f'{head}"{pattern}"')
    same_ids(f"q={head}{pattern}", ids_of(resp), dataset.select(keep))


EXISTENCE_CASES = _cases(
    ("temperature", _has("t")),
    ("label", _has("label")),
    ("isPartOf", _has("site")),
)


@requirement(
    "MIM1-QRY-014",
    clause="4.9",
    level="MUST",
    title="q with an attribute name alone selects the entities having that attribute",
)
@pytest.mark.parametrize(("q", "keep"), EXISTENCE_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_existence(ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]) -> None:
    _check_q(ngsild, dataset, form, q, keep)


# '!attr' (non-existence) is not in the clause 4.9 grammar (a QueryTerm is an Attribute, optionally
# followed by an operator and a value): an extension some brokers offer, informative only.
NON_EXISTENCE_CASES = _cases(
    ("!temperature", lambda r: "t" not in r),
    ("!label", lambda r: "label" not in r),
    ("label;!temperature|temperature<0", lambda r: ("label" in r and "t" not in r) or _t(r) < 0),
)


@requirement(
    "MIM1-QRY-028",
    clause="4.9 (extension: not in the grammar)",
    level="MAY",
    title="q '!attribute' (an extension outside the clause 4.9 grammar) selects the entities without it",
)
@pytest.mark.parametrize(("q", "keep"), NON_EXISTENCE_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_non_existence(ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]) -> None:
    _check_q(ngsild, dataset, form, q, keep)


def _t(r: dict[str, Any]) -> float:
    return r.get("t", float("nan"))


LOGIC_CASES = _cases(
    ("temperature>=20;ok==true", lambda r: _t(r) >= 20 and r.get("ok") is True),
    ('temperature<0|label=="beta"', lambda r: _t(r) < 0 or r.get("label") == "beta"),
    ("temperature>20|temperature<12;ok==true", lambda r: _t(r) > 20 or (_t(r) < 12 and r.get("ok") is True)),
    (
        "(temperature>20|temperature<12);ok==true",
        lambda r: (_t(r) > 20 or _t(r) < 12) and r.get("ok") is True,
    ),
    (
        'label=="alpha"|label=="beta";temperature>100',
        lambda r: r.get("label") == "alpha" or (r.get("label") == "beta" and _t(r) > 100),
    ),
    ('(label=="alpha"|label=="beta");temperature>100', lambda r: False),
    ("ok==true;(temperature<0|temperature>25)", lambda r: r.get("ok") is True and (_t(r) < 0 or _t(r) > 25)),
    # QueryTermAssoc holds QueryTerms only (no nested parentheses): two groups joined by '|'
    (
        "(temperature>=10;temperature<=20;ok==true)|(temperature>=30;ok==true)",
        lambda r: (10 <= _t(r) <= 20 or _t(r) >= 30) and r.get("ok") is True,
    ),
)


@requirement(
    "MIM1-QRY-015",
    clause="4.9",
    level="MUST",
    title="q combines terms with ';' (AND) and '|' (OR), AND binding tighter, and with parentheses",
)
@pytest.mark.parametrize(("q", "keep"), LOGIC_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_logic(ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]) -> None:
    _check_q(ngsild, dataset, form, q, keep)


PATH_CASES = _cases(
    ("temperature.accuracy>1", _cmp("acc", ">", 1)),
    ("temperature.accuracy<=0.5", _cmp("acc", "<=", 0.5)),
    ("temperature.accuracy==0.5..1.5", _between("acc", 0.5, 1.5)),
    ("temperature.accuracy", _has("acc")),
)


@requirement(
    "MIM1-QRY-016",
    clause="4.9",
    level="MUST",
    title="q addresses sub-attributes with '.' (attribute.subAttribute)",
)
@pytest.mark.parametrize(("q", "keep"), PATH_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_sub_attributes(
    ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]
) -> None:
    _check_q(ngsild, dataset, form, q, keep)


COMPOUND_CASES = _cases(
    ('address[city]=="Madrid"', _cmp("city", "==", "Madrid")),
    ("address[zip]>=28000", _cmp("zip", ">=", 28000)),
    ("address[zip]==75001..75002", _between("zip", 75001, 75002)),
    ('address[city]=="Paris";temperature>0', lambda r: r.get("city") == "Paris" and _t(r) > 0),
)


@requirement(
    "MIM1-QRY-017",
    clause="4.9",
    level="MUST",
    title="q addresses members of a compound (JSON object) value with [ ]",
)
@pytest.mark.parametrize(("q", "keep"), COMPOUND_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_compound_values(
    ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]
) -> None:
    _check_q(ngsild, dataset, form, q, keep)


# A single URI may stand alone (CompEqualityValue includes URI); a list of values is a ValueList of
# quoted strings, as in the spec's own example (isPartOf=="urn:a","urn:b").
RELATIONSHIP_CASES = _cases(
    ("isPartOf=={S1}", _cmp("site", "==", "S1")),
    ('isPartOf=="{S2}","{S3}"', _one_of("site", "S2", "S3")),
    ("isPartOf;isPartOf!={S1}", lambda r: "site" in r and r["site"] != "S1"),
)


@requirement(
    "MIM1-QRY-018",
    clause="4.9",
    level="MUST",
    title="q compares the object (URI) of a Relationship",
)
@pytest.mark.parametrize(("q", "keep"), RELATIONSHIP_CASES)
@pytest.mark.parametrize("form", FORMS)
def test_q_relationships(ngsild: Any, dataset: Dataset, form: str, q: str, keep: Callable[..., bool]) -> None:
    _check_q(ngsild, dataset, form, q, keep)


def _instances(attribute: Any) -> list[dict[str, Any]]:
    if isinstance(attribute, dict):
        return [attribute]
    if isinstance(attribute, list) and all(isinstance(i, dict) for i in attribute):
        return attribute
    checks.fail(f"expected an attribute (object or array of instances), got {attribute!r}")
    raise AssertionError  # unreachable


@requirement(
    "MIM1-QRY-019",
    clause="5.7.2",
    level="MUST",
    title="The datasetId parameter selects the attribute instances of that datasetId in a query result",
)
def test_query_dataset_id(ngsild: Any, dataset: Dataset) -> None:
    wanted = {dataset.ids["r0"]: 55, dataset.ids["r1"]: 60}
    resp = query(ngsild, {"id": ",".join(wanted), "type": dataset.type, "datasetId": GPS})
    body = entities_of(resp)
    same_ids("datasetId query", [e["id"] for e in body], wanted)
    for entity in body:
        instances = _instances(checks.member(f"entity {entity['id']}", entity, "speed"))
        values = [(i.get("datasetId"), i.get("value")) for i in instances]
        checks.equal(
            f"{entity['id']}: speed instances (datasetId, value)", values, [(GPS, wanted[entity["id"]])]
        )


BAD_Q = [
    pytest.param("(temperature>5", id="unbalanced-open"),
    pytest.param("temperature>5)", id="unbalanced-close"),
    pytest.param("temperature>", id="no-value"),
    pytest.param("==5", id="no-attribute"),
    pytest.param("temperature>5;;label", id="empty-term"),
    pytest.param("temperature>5|", id="dangling-or"),
    pytest.param('label=="unterminated', id="unterminated-string"),
    pytest.param("temperature=>5", id="unknown-operator"),
]


@requirement(
    "MIM1-QRY-020",
    clause="5.7.2",
    level="MUST",
    title="A q expression that is not syntactically valid is refused with 400 BadRequestData",
)
@pytest.mark.parametrize("q", BAD_Q)
@pytest.mark.parametrize("form", FORMS)
def test_q_syntax_error(ngsild: Any, dataset: Dataset, form: str, q: str) -> None:
    checks.ngsild_problem(_run_q(ngsild, dataset, form, q), 400, "BadRequestData")
