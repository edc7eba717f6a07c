"""MIM1 Query Entities: entity selection by type (and type expressions), id, idPattern and attrs,
over GET /entities and POST /entityOperations/query, scopeQ, and refused queries
(ETSI GS CIM 009 V1.8.1 clauses 4.17, 4.19, 5.7.2).

Every scenario queries entity types unique to this run, so other data on the target never changes
the expected result, which is computed from the dataset the module created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.payloads import prop
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
SYSTEM_MEMBERS = {"id", "type", "scope", "@context", "createdAt", "modifiedAt", "deletedAt"}

# The dataset: suffix -> (type letters, attributes, scopes)
LAYOUT: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "a1": (("A",), ("temperature", "label"), ("/Madrid/Centro",)),
    "a2": (("A",), ("temperature",), ("/Madrid/Norte",)),
    "b1": (("B",), ("label", "humidity"), ("/Paris",)),
    "b2": (("B",), ("humidity",), ("/Madrid", "/Paris/Louvre")),
    "ab": (("A", "B"), ("temperature", "humidity"), ()),
    "ac": (("A", "C"), ("label",), ()),
    "c1": (("C",), ("temperature",), ()),
}


@dataclass
class Dataset:
    types: dict[str, str]  # letter -> run-scoped type name
    ids: dict[str, str]  # suffix -> entity id

    def select(self, keep: Callable[[str], bool]) -> set[str]:
        return {self.ids[s] for s in LAYOUT if keep(s)}

    def all_types(self) -> str:
        return ",".join(self.types[letter] for letter in "ABC")


def _entities(run_ids: RunIds, *, with_scope: bool, stem: str) -> tuple[Dataset, list[dict[str, Any]]]:
    types = {letter: run_type(run_ids, f"{stem}{letter}") for letter in "ABC"}
    ids = {suffix: f"urn:ngsi-ld:{stem}:{run_ids.next()}-{suffix}" for suffix in LAYOUT}
    entities = []
    for suffix, (letters, attrs, scopes) in LAYOUT.items():
        names = [types[letter] for letter in letters]
        entity: dict[str, Any] = {"id": ids[suffix], "type": names[0] if len(names) == 1 else names}
        for number, attr in enumerate(attrs):
            entity[attr] = prop(f"{attr}-{suffix}" if attr == "label" else 10 + number)
        if with_scope and scopes:
            entity["scope"] = scopes[0] if len(scopes) == 1 else list(scopes)
        entities.append(entity)
    return Dataset(types, ids), entities


@pytest.fixture(scope="module")
def dataset(http: RecordingClient, profile: TargetProfile, run_ids: RunIds) -> Iterator[Dataset]:
    data, entities = _entities(run_ids, with_scope=False, stem="MimQry")
    with shared_dataset(http, profile, entities):
        yield data


@pytest.fixture(scope="module")
def scoped(http: RecordingClient, profile: TargetProfile, run_ids: RunIds) -> Iterator[Dataset]:
    data, entities = _entities(run_ids, with_scope=True, stem="MimScp")
    with shared_dataset(http, profile, entities):
        yield data


def _types_of(suffix: str) -> set[str]:
    return set(LAYOUT[suffix][0])


def _run(
    ngsild: Any,
    form: str,
    *,
    type_expr: str | None = None,
    ids: list[str] | None = None,
    id_pattern: str | None = None,
    attrs: list[str] | None = None,
    scope_q: str | None = None,
) -> Any:
    if form == "get":
        params: dict[str, str] = {}
        if type_expr is not None:
            params["type"] = type_expr
        if ids:
            params["id"] = ",".join(ids)
        if id_pattern is not None:
            params["idPattern"] = id_pattern
        if attrs:
            params["attrs"] = ",".join(attrs)
        if scope_q is not None:
            params["scopeQ"] = scope_q
        return query(ngsild, params)
    body: dict[str, Any] = {}
    if ids:
        body["entities"] = [{"id": i, "type": type_expr} for i in ids]
    else:
        selector: dict[str, Any] = {}
        if type_expr is not None:
            selector["type"] = type_expr
        if id_pattern is not None:
            selector["idPattern"] = id_pattern
        body["entities"] = [selector]
    if attrs:
        body["attrs"] = attrs
    if scope_q is not None:
        body["scopeQ"] = scope_q
    return query_post(ngsild, body)


# ------------------------------------------------------------------------------ requirements


@requirement(
    "MIM1-QRY-001",
    clause="5.7.2, 6.4, 6.23.3",
    level="MUST",
    title="Query Entities by type returns exactly the entities of that type (GET /entities and POST query)",
)
@pytest.mark.parametrize("letter", ["A", "B", "C"])
@pytest.mark.parametrize("form", FORMS)
def test_query_by_type(ngsild: Any, dataset: Dataset, form: str, letter: str) -> None:
    resp = _run(ngsild, form, type_expr=dataset.types[letter])
    same_ids(f"type={letter}", ids_of(resp), dataset.select(lambda s: letter in _types_of(s)))


# Clause 4.17 grammar: types joined by ',' or '|' (any of them); ';' (all of them) only inside
# parentheses, which hold types joined by ';' and nothing else: "(A;B)", "(A;B)|C", not "A;B".
TYPE_EXPRESSIONS = [
    pytest.param("{A},{B}", lambda t: "A" in t or "B" in t, id="A,B"),
    pytest.param("{A}|{C}", lambda t: "A" in t or "C" in t, id="A|C"),
    pytest.param("({A};{B})", lambda t: {"A", "B"} <= t, id="(A;B)"),
    pytest.param("({A};{C})", lambda t: {"A", "C"} <= t, id="(A;C)"),
    pytest.param("({A};{B})|{C}", lambda t: {"A", "B"} <= t or "C" in t, id="(A;B)|C"),
    pytest.param("({A};{B})|({A};{C})", lambda t: "A" in t and ("B" in t or "C" in t), id="(A;B)|(A;C)"),
    pytest.param("{B},{C}", lambda t: "B" in t or "C" in t, id="B,C"),
]


@requirement(
    "MIM1-QRY-002",
    clause="4.17",
    level="MUST",
    title="Entity type selection: ',' and '|' select any of the types, '(A;B)' all of them",
)
@pytest.mark.parametrize(("expression", "keep"), TYPE_EXPRESSIONS)
@pytest.mark.parametrize("form", FORMS)
def test_type_expressions(
    ngsild: Any, dataset: Dataset, form: str, expression: str, keep: Callable[[set[str]], bool]
) -> None:
    expr = expression.format(**dataset.types)
    resp = _run(ngsild, form, type_expr=expr)
    same_ids(f"type={expr}", ids_of(resp), dataset.select(lambda s: keep(_types_of(s))))


@requirement(
    "MIM1-QRY-003",
    clause="5.7.2",
    level="MUST",
    title="Query Entities by a list of entity ids returns exactly those (of the requested types)",
)
@pytest.mark.parametrize(
    ("wanted", "letters"),
    [
        pytest.param(("a1", "b1"), "AB", id="two-ids"),
        pytest.param(("a1", "b1", "c1"), "A", id="ids-and-type"),
        pytest.param(("ab",), "B", id="one-multi-typed"),
    ],
)
@pytest.mark.parametrize("form", FORMS)
def test_query_by_ids(
    ngsild: Any, dataset: Dataset, form: str, wanted: tuple[str, ...], letters: str
) -> None:
    expr = ",".join(dataset.types[letter] for letter in letters)
    resp = _run(ngsild, form, type_expr=expr, ids=[dataset.ids[s] for s in wanted])
    expected = {dataset.ids[s] for s in wanted if _types_of(s) & set(letters)}
    same_ids(f"id list {list(wanted)} and type={letters}", ids_of(resp), expected)


@requirement(
    "MIM1-QRY-004",
    clause="5.7.2",
    level="MUST",
    title="Query Entities by idPattern returns exactly the entities whose id matches the regular expression",
)
@pytest.mark.parametrize(
    ("pattern", "keep"),
    [
        pytest.param(r".*-(a1|b1)$", lambda s: s in ("a1", "b1"), id="alternation"),
        pytest.param(r".*-a[0-9]$", lambda s: s in ("a1", "a2"), id="class"),
        pytest.param(r"^urn:ngsi-ld:MimQry:.*c$", lambda s: s == "ac", id="anchored"),
    ],
)
@pytest.mark.parametrize("form", FORMS)
def test_query_by_id_pattern(
    ngsild: Any, dataset: Dataset, form: str, pattern: str, keep: Callable[[str], bool]
) -> None:
    resp = _run(ngsild, form, type_expr=dataset.all_types(), id_pattern=pattern)
    same_ids(f"idPattern={pattern}", ids_of(resp), dataset.select(keep))


@requirement(
    "MIM1-QRY-005",
    clause="5.7.2",
    level="MUST",
    title="attrs selects the entities having any of the listed attributes and returns only those attributes",
)
@pytest.mark.parametrize("attrs", [("label",), ("humidity",), ("label", "humidity")], ids="-".join)
@pytest.mark.parametrize("form", FORMS)
def test_query_attrs(ngsild: Any, dataset: Dataset, form: str, attrs: tuple[str, ...]) -> None:
    resp = _run(ngsild, form, type_expr=dataset.all_types(), attrs=list(attrs))
    body = entities_of(resp)
    same_ids(
        f"attrs={','.join(attrs)}",
        [e["id"] for e in body],
        dataset.select(lambda s: bool(set(attrs) & set(LAYOUT[s][1]))),
    )
    for entity in body:
        extra = set(entity) - SYSTEM_MEMBERS - set(attrs)
        if extra:
            checks.fail(f"attrs={','.join(attrs)}: entity {entity['id']} also carries {sorted(extra)}")


@requirement(
    "MIM1-QRY-006",
    clause="5.7.2",
    level="MUST",
    title="A query with no entity selector, attribute, q or geo-query is refused with 400 BadRequestData",
)
def test_query_without_any_filter_is_refused(ngsild: Any) -> None:
    checks.ngsild_problem(query(ngsild, {}), 400, "BadRequestData")


@requirement(
    "MIM1-QRY-007",
    clause="5.7.2",
    level="MUST",
    title="Query Entities with an entity id or type expression that is not valid answers 400 BadRequestData",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"id": "not a uri", "type": "{A}"}, id="id-not-uri"),
        pytest.param({"type": "({A}"}, id="type-unbalanced"),
        pytest.param({"type": "{A};;{B}"}, id="type-empty-term"),
    ],
)
def test_invalid_selector_is_refused(ngsild: Any, dataset: Dataset, params: dict[str, str]) -> None:
    sent = {k: v.format(**dataset.types) for k, v in params.items()}
    checks.ngsild_problem(query(ngsild, sent), 400, "BadRequestData")


SCOPE_QUERIES = [
    pytest.param("/Madrid", lambda sc: "/Madrid" in sc, id="exact"),
    pytest.param(
        "/Madrid/#", lambda sc: any(s == "/Madrid" or s.startswith("/Madrid/") for s in sc), id="descendants"
    ),
    pytest.param(
        "/Madrid/+",
        lambda sc: any(s.startswith("/Madrid/") and s.count("/") == 2 for s in sc),
        id="one-level",
    ),
    pytest.param(
        "/Paris/#",
        lambda sc: any(s == "/Paris" or s.startswith("/Paris/") for s in sc),
        id="paris-descendants",
    ),
    pytest.param(
        "/Madrid/+,/Paris", lambda sc: any(s.startswith("/Madrid/") for s in sc) or "/Paris" in sc, id="or"
    ),
    pytest.param("/Madrid;/Paris/Louvre", lambda sc: {"/Madrid", "/Paris/Louvre"} <= set(sc), id="and"),
    pytest.param("/#", lambda sc: bool(sc), id="any-scope"),
]


@requirement(
    "MIM1-QRY-008",
    clause="4.19",
    level="MUST",
    title="scopeQ selects entities by scope: exact, '+' one level, '#' descendants, ';' and ','",
)
@pytest.mark.parametrize(("scope_q", "keep"), SCOPE_QUERIES)
@pytest.mark.parametrize("form", FORMS)
def test_scope_query(
    ngsild: Any, scoped: Dataset, form: str, scope_q: str, keep: Callable[[tuple[str, ...]], bool]
) -> None:
    resp = _run(ngsild, form, type_expr=scoped.all_types(), scope_q=scope_q)
    same_ids(f"scopeQ={scope_q}", ids_of(resp), scoped.select(lambda s: keep(LAYOUT[s][2])))
