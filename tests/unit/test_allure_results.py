"""The allure-results a run writes fit the domain: suites MIM / area / requirement, cases named by
requirement and title, statuses from the verdict (INCONCLUSIVE broken, NOT_APPLICABLE skipped),
categories that tell product defects from suite errors and blocked cases, HTTP exchanges as steps
with their text attached and the failed check last, readable parameters, environment and executor."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conformance.allure_labels import CASE_LABEL, link_name, readable
from conformance.requirements import declare

pytest_plugins = ["pytester"]

SCENARIOS = """
import pytest
from conformance import checks
from conformance.outcomes import precondition
from conformance.requirements import requirement

BASE = "{base}"


class Thing:
    def __init__(self, name):
        self.name = name


@requirement("MIM1-ENT-901", clause="5.6.1", level="MUST", title="passes")
@pytest.mark.parametrize("form, thing", [("json", Thing("alpha")), ("jsonld", Thing("beta"))], ids=["json", "jsonld"])
def test_pass(http, form, thing):
    http.get(BASE + "/ok")


@requirement("MIM1-ENT-902", clause="5.6.1", level="SHOULD", title="a check fails")
def test_fail(http):
    answer = http.get(BASE + "/ok")
    checks.equal("the answer", answer.status_code, 201)


@requirement("MIM1-ENT-903", clause="5.6.1", level="MAY", title="the suite breaks")
def test_broken(http):
    {{}}["missing"]


@requirement("MIM1-ENT-904", clause="5.6.1", level="MUST", title="precondition")
def test_precondition(http):
    precondition(False, "create entity answered 422")


@requirement("MIM1-ENT-905", clause="5.6.1", level="MUST", title="optional", capability="ngsild-temporal")
def test_not_declared(http):
    raise AssertionError("never runs")


@requirement("MIM1-ENT-906", clause="5.6.1", level="MUST", title="a plain assert is a suite error")
def test_plain_assert(http):
    assert 1 == 2
"""


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def target() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def results(pytester: pytest.Pytester, tmp_path: Path, target: str) -> dict[str, dict[str, Any]]:
    pytester.makepyfile(test_scenarios=SCENARIOS.format(base=target))
    out = tmp_path / "out"
    pytester.runpytest_inprocess(
        "--mim-target-url", target, "--mim-out", str(out), "--alluredir", str(out / "allure-results")
    )
    by_name: dict[str, dict[str, Any]] = {}
    for path in (out / "allure-results").glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        by_name[data["name"]] = data
    return by_name


def _labels(data: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in data["labels"] if label["name"] == name]


def test_cases_are_named_and_grouped_by_requirement(results: dict[str, dict[str, Any]]) -> None:
    assert sorted(results) == [
        "MIM1-ENT-901 passes [json]",
        "MIM1-ENT-901 passes [jsonld]",
        "MIM1-ENT-902 a check fails",
        "MIM1-ENT-903 the suite breaks",
        "MIM1-ENT-904 precondition",
        "MIM1-ENT-905 optional",
        "MIM1-ENT-906 a plain assert is a suite error",
    ]
    case = results["MIM1-ENT-901 passes [json]"]
    assert _labels(case, "parentSuite") == ["MIM1"]
    assert _labels(case, "suite") == ["Entities"]
    assert _labels(case, "subSuite") == ["MIM1-ENT-901 passes"]
    assert _labels(case, "severity") == ["critical"]
    assert _labels(results["MIM1-ENT-902 a check fails"], "severity") == ["normal"]
    assert _labels(results["MIM1-ENT-903 the suite breaks"], "severity") == ["minor"]
    assert all(not _labels(data, CASE_LABEL) for data in results.values()), "the hidden label is removed"
    assert case["parameters"] == [{"name": "form", "value": "json"}, {"name": "thing", "value": "alpha"}]
    assert case["historyId"] == hashlib.md5(b"MIM1-ENT-901[json]").hexdigest()
    link = case["links"][0]
    assert link["url"].startswith("https://www.etsi.org/") and link["name"].startswith(
        "ETSI GS CIM 009 V1.8.1 clause 5.6.1: "
    )


def test_statuses_come_from_the_verdict(results: dict[str, dict[str, Any]]) -> None:
    status = {name: data["status"] for name, data in results.items()}
    assert status["MIM1-ENT-901 passes [json]"] == "passed"
    assert status["MIM1-ENT-902 a check fails"] == "failed"
    assert status["MIM1-ENT-903 the suite breaks"] == "broken"
    assert status["MIM1-ENT-904 precondition"] == "broken"
    assert status["MIM1-ENT-905 optional"] == "skipped"
    assert status["MIM1-ENT-906 a plain assert is a suite error"] == "broken", "not a product defect"
    message = {
        name: data["statusDetails"]["message"] for name, data in results.items() if "statusDetails" in data
    }
    assert message["MIM1-ENT-903 the suite breaks"].startswith("INCONCLUSIVE (suite error): ")
    assert message["MIM1-ENT-906 a plain assert is a suite error"].startswith("INCONCLUSIVE (suite error): ")
    assert message["MIM1-ENT-904 precondition"].startswith("INCONCLUSIVE: ")
    assert "create entity answered 422" in message["MIM1-ENT-904 precondition"]
    assert (
        message["MIM1-ENT-905 optional"]
        == "NOT APPLICABLE: capability 'ngsild-temporal' is not declared by the target"
    )


def test_exchanges_are_steps_and_the_failed_check_is_last(
    results: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    passed = results["MIM1-ENT-901 passes [json]"]
    assert [s["name"] for s in passed["steps"]] == ["GET /ok -> 200"]
    attachment = passed["steps"][0]["attachments"][0]
    text = (tmp_path / "out" / "allure-results" / attachment["source"]).read_text(encoding="utf-8")
    assert text.startswith("GET http://127.0.0.1:") and '{"ok": true}' in text
    failed = results["MIM1-ENT-902 a check fails"]
    assert [s["status"] for s in failed["steps"]] == ["passed", "failed"]
    last = failed["steps"][-1]
    assert last["name"].startswith("check failed: ")
    assert {p["name"]: p["value"] for p in last["parameters"]} == {"expected": "201", "seen": "200"}
    assert not any(a["name"] == "HTTP exchanges" for a in failed.get("attachments", []))


def test_categories_environment_and_executor(results: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    import re

    folder = tmp_path / "out" / "allure-results"
    categories = json.loads((folder / "categories.json").read_text(encoding="utf-8"))
    assert [c["name"].split(" (")[0] for c in categories] == [
        "Product defects",
        "Suite errors",
        "Target unreachable or blocked",
        "Not applicable",
    ]

    def category(data: dict[str, Any]) -> list[str]:
        found = []
        for c in categories:
            message = data.get("statusDetails", {}).get("message", "")
            if data["status"] in c["matchedStatuses"] and re.fullmatch(
                c.get("messageRegex", ".*"), message, re.S
            ):
                found.append(c["name"].split(" (")[0])
        return found

    assert category(results["MIM1-ENT-902 a check fails"]) == ["Product defects"]
    assert category(results["MIM1-ENT-903 the suite breaks"]) == ["Suite errors"]
    assert category(results["MIM1-ENT-904 precondition"]) == ["Target unreachable or blocked"]
    assert category(results["MIM1-ENT-905 optional"]) == ["Not applicable"]
    assert category(results["MIM1-ENT-901 passes [json]"]) == []
    env = dict(
        line.split("=", 1)
        for line in (folder / "environment.properties").read_text(encoding="utf-8").splitlines()
    )
    assert {"target", "target.vendor", "target.version", "suite", "run", "specs", "capabilities"} <= set(env)
    assert env["specs"] == "ETSI GS CIM 009 V1.8.1" and env["mims"] == "mim1"
    executor = json.loads((folder / "executor.json").read_text(encoding="utf-8"))
    assert executor["type"] == "mimcheck" and executor["reportName"] == env["target"]


@dataclass
class _Api:
    capability: str


@dataclass
class _Resource:
    api: _Api
    name: str
    fields: tuple[str, ...]


def test_readable_parameter_values() -> None:
    assert readable("json") == "json" and readable(3) == "3" and readable(None) == "None"
    assert readable(_Resource(_Api("tmf641"), "serviceOrder", ("a",))) == "tmf641 serviceOrder"
    assert readable({"subscriptionName": "renamed"}) == '{"subscriptionName": "renamed"}'
    assert readable({"id", "type"}) == '["id", "type"]'
    assert readable(("notification", "pick")) == '["notification", "pick"]'
    assert readable(lambda x: x, "GET-A,B") == "a function (case [GET-A,B])"
    assert readable(len) == "len()"
    assert len(readable("x" * 1000)) == 300


def test_link_names_the_clause() -> None:
    req = declare("MIM1-ENT-001", clause="5.6.1", level="MUST", title="t")
    assert link_name(req).startswith("ETSI GS CIM 009 V1.8.1 clause 5.6.1: ")
    tmf = declare("MIM3-CAT-001", clause="6.1", level="MUST", title="t")
    assert link_name(tmf) == "TMF620 Product Catalog Management v4.0.0 clause 6.1"


def test_a_case_that_never_reported_is_broken(tmp_path: Path) -> None:
    from conformance.allure_results import finish_results

    hidden = {"name": CASE_LABEL, "value": json.dumps({"case": "MIM1-ENT-999", "params": {}})}
    data = {"name": "test_x", "status": "skipped", "labels": [hidden, {"name": "suite", "value": "Entities"}]}
    path = tmp_path / "1-result.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert finish_results(tmp_path, tmp_path, []) == 0
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["status"] == "broken" and written["statusDetails"]["message"].startswith("INCONCLUSIVE: ")
    assert written["labels"] == [{"name": "suite", "value": "Entities"}]
